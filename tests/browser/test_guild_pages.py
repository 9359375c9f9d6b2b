"""The server-level pages in Chromium: settings (as /scheduler config, errors at their field in
the slash command's words), the audit log, and a task's history with its SVG chart."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.harness import Dashboard
from tests.commands.api_harness import make_tasks


async def test_settings_save_and_show_errors_at_their_field(dashboard: Dashboard) -> None:
    api = dashboard.api
    s = api.app.scene
    page = await dashboard.open(f"/guilds/{s.guild.id}/settings")
    zone = page.get_by_label("Time zone")
    await zone.fill("Mars/Olympus")
    await page.get_by_role("button", name="Save settings").click()
    error = page.locator("[data-error-for='timezone']")
    await expect(error).not_to_be_empty()
    _, problem, _ = await api.request(
        "PATCH",
        f"/api/v1/guilds/{s.guild.id}/settings",
        await api.token("probe", "write"),
        json={"timezone": "Mars/Olympus"},
    )
    assert await error.inner_text() == problem["errors"][0]["message"]

    await zone.fill("Europe/Berlin")
    await page.get_by_label("Dev channel").select_option(label="#general")
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.locator("#status")).to_contain_text("Settings saved")
    await expect(error).to_be_empty()
    await expect(page.locator("#setting-effective_timezone")).to_have_text("Europe/Berlin")
    config = await api.app.bot.services.guild_config.get(s.guild.id)
    assert config.timezone == "Europe/Berlin" and config.dev_channel_id == s.general.id
    await dashboard.screenshot(page, "settings")


async def test_the_audit_log_lists_changes_newest_first(dashboard: Dashboard) -> None:
    api = dashboard.api
    s = api.app.scene
    await make_tasks(api.app, 2)
    await api.token("deploys", "write")  # audited after the two creations
    page = await dashboard.open(f"/guilds/{s.guild.id}/audit")
    rows = page.locator("table.audit tbody tr")
    stored = await api.app.audit()  # newest first
    await expect(rows).to_have_count(len(stored))
    shown = await rows.locator("td:nth-child(3)").all_inner_texts()
    assert shown == [e.action for e in stored]
    assert shown == ["api_token_created", "create", "create"]
    await dashboard.screenshot(page, "audit")


async def test_history_lists_runs_and_draws_the_chart(dashboard: Dashboard) -> None:
    api = dashboard.api
    app = api.app
    s = app.scene
    await make_tasks(app, 1)
    task = await app.task("task 00")
    before = app.fd.cursor()
    await app.answer(s.admin, "run", task="task 00")
    await app.fd.wait_for_message(s.general, after=before, timeout=10)
    page = await dashboard.open(f"/guilds/{s.guild.id}/tasks/{task.id}/history")
    await expect(page.locator("table.runs tbody tr")).to_have_count(1)
    await expect(page.locator("table.runs .badge")).to_have_text("ok")
    chart = page.locator("figure.chart svg")
    assert "1 of 1 runs succeeded (100%)" in (await chart.get_attribute("aria-label") or "")
    await expect(chart.locator("rect.bar-ok")).to_have_count(1)
    await dashboard.screenshot(page, "history")
