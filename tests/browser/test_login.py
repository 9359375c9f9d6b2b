"""Logging in to the dashboard in Chromium, through fakediscord's OAuth2: the server picker,
logging out, a plain member who sees no server to manage, and the API tokens page (a session
change, so it needs the CSRF token and a same-origin Origin, which the pages send)."""

from __future__ import annotations

from playwright.async_api import expect

from scheduler.api_tokens import TOKEN_PATTERN
from tests.browser.harness import Dashboard
from tests.commands.api_harness import make_tasks


async def test_log_in_pick_the_server_and_log_out(dashboard: Dashboard) -> None:
    s = dashboard.api.app.scene
    page = await dashboard.login(s.admin)
    await expect(page.locator("#who")).to_contain_text("Logged in as alice")
    servers = page.locator("li.server")
    await expect(servers).to_have_count(1)  # alice is not in the other server
    await dashboard.screenshot(page, "servers")
    await page.get_by_role("link", name=f"Manage {s.guild.name}").click()
    await page.wait_for_url(f"**/guilds/{s.guild.id}")
    await page.wait_for_selector("body[data-ready=true]")
    await expect(page.get_by_role("heading", name="Tasks")).to_have_count(1)

    await page.get_by_role("button", name="Log out").click()
    await page.wait_for_url(dashboard.base + "/")
    await page.wait_for_selector("body[data-ready=true]")
    await expect(page.get_by_role("link", name="Log in with Discord")).to_have_count(1)
    cookies = await page.context.cookies()
    assert [c for c in cookies if c["name"] == "cadence_session"] == []


async def test_a_plain_member_sees_no_server_to_manage(dashboard: Dashboard) -> None:
    s = dashboard.api.app.scene
    page = await dashboard.login(s.member)
    await expect(page.locator("#who")).to_contain_text("Logged in as bob")
    await expect(page.locator("#no-servers")).to_have_count(1)
    await expect(page.locator("li.server")).to_have_count(0)
    # Typing the address does not help: the API decides, and the page says so.
    await dashboard.goto(page, f"/guilds/{s.guild.id}")
    await expect(page.locator("main .error")).to_contain_text("Manage Server")
    await expect(page.locator("table.tasks")).to_have_count(0)


async def test_create_a_token_shown_once_then_revoke_it(dashboard: Dashboard) -> None:
    app = dashboard.api.app
    s = app.scene
    page = await dashboard.login(s.admin, f"/guilds/{s.guild.id}/tokens")
    await page.get_by_label("Name", exact=True).fill("has space")
    await page.get_by_role("button", name="Create token").click()
    await expect(page.locator("[data-error-for='name']")).to_contain_text("1 to 32 letters")

    await page.get_by_label("Name", exact=True).fill("deploys")
    await page.get_by_label("Scope").select_option("write")
    await page.get_by_role("button", name="Create token").click()
    shown = page.locator("#token-value")
    await expect(shown).to_have_count(1)
    token = await shown.inner_text()
    assert TOKEN_PATTERN.fullmatch(token)
    [stored] = await app.bot.services.api_tokens.list_for_guild(s.guild.id)
    assert stored.name == "deploys" and str(stored.scope) == "write"
    assert stored.created_by == s.admin.id
    status, _, _ = await dashboard.api.get(f"/api/v1/guilds/{s.guild.id}/tasks", token)
    assert status == 200  # the token shown works
    await dashboard.screenshot(page, "tokens", hide="#token-value")

    await dashboard.goto(page, f"/guilds/{s.guild.id}/tokens")
    await expect(page.locator("tr[data-token='deploys']")).to_have_count(1)
    assert token not in await page.content()  # shown once, never again
    await page.get_by_role("button", name="Revoke deploys").click()
    await page.get_by_role("dialog").get_by_role("button", name="Revoke").click()
    await expect(page.locator("tr[data-token='deploys']")).to_have_count(0)
    assert await app.bot.services.api_tokens.list_for_guild(s.guild.id) == []
    status, _, _ = await dashboard.api.get(f"/api/v1/guilds/{s.guild.id}/tasks", token)
    assert status == 401


async def test_a_viewer_sees_the_schedule_without_the_controls_that_change_it(
    dashboard: Dashboard,
) -> None:
    app = dashboard.api.app
    s = app.scene
    await make_tasks(app, 1)
    await app.bot.services.guild_config.update(
        s.guild.id, {"viewer_role_id": s.managers.id}, actor_id=s.admin.id
    )
    page = await dashboard.login(s.manager, f"/guilds/{s.guild.id}")  # carol holds the role
    await expect(page.locator("#read-only")).to_contain_text("viewer role")
    row = page.locator("tr[data-task-name='task 00']")
    await expect(row).to_have_count(1)
    await expect(row.get_by_role("link", name="History of task 00")).to_have_count(1)
    for control in ("Pause", "Run now", "Dry run", "Delete"):
        await expect(row.get_by_role("button", name=f"{control} task 00")).to_have_count(0)
    await expect(page.get_by_role("link", name="New task")).to_have_count(0)
    await expect(page.get_by_role("link", name="API tokens")).to_have_count(0)

    task = await app.task("task 00")
    await dashboard.goto(page, f"/guilds/{s.guild.id}/tasks/{task.id}")
    await expect(page.get_by_role("button", name="Save changes")).to_be_disabled()

    # The admin still sees every control.
    admin = await dashboard.open(f"/guilds/{s.guild.id}")
    await expect(admin.locator("#read-only")).to_have_count(0)
    admin_row = admin.locator("tr[data-task-name='task 00']")
    await expect(admin_row.get_by_role("button", name="Pause task 00")).to_have_count(1)
