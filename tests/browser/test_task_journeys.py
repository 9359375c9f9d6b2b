"""The dashboard's task journeys in Chromium, against the real bot, fakediscord and the web
server: create a cron task through the form while watching the preview, find it in the list
and the calendar, run it and see the post arrive, dry run it, pause it, edit it while a stale
copy is open in a second tab and see the conflict, delete it (it asks first)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import expect

from tests.browser.harness import TIMEZONE, Dashboard
from tests.commands.api_harness import make_tasks


async def test_create_a_cron_task_through_the_form_watching_the_preview(
    dashboard: Dashboard,
) -> None:
    api = dashboard.api
    s = api.app.scene
    g = f"/api/v1/guilds/{s.guild.id}"
    token = await api.token("checks", "read")  # to ask the API what it says, beside the page
    page = await dashboard.open(f"/guilds/{s.guild.id}/tasks/new")

    await page.get_by_label("Name", exact=True).fill("weekday standup")
    await page.get_by_label("Kind").select_option("cron")
    schedule = page.get_by_label("Schedule", exact=True)
    await schedule.fill("every weekday at 9:00")
    await page.get_by_label("Time zone").fill("Europe/Paris")
    preview = page.locator("#schedule-preview")
    await expect(preview.locator(".next-runs li")).to_have_count(5)
    assert (await preview.locator(".readable").inner_text()).strip()

    await schedule.fill("61 * * * *")
    spec_error = page.locator("[data-error-for='spec']")
    await expect(spec_error).not_to_be_empty()
    _, problem, _ = await api.request(
        "POST",
        f"{g}/preview",
        token,
        json={"cron": "61 * * * *", "timezone": "Europe/Paris", "count": 5},
    )
    same = next(e["message"] for e in problem["errors"] if e["field"] == "cron")
    assert await spec_error.inner_text() == same  # the API's own words

    await schedule.fill("0 9 * * 1-5")
    await expect(preview.locator(".next-runs li")).to_have_count(5)
    await expect(spec_error).to_be_empty()
    channel = page.get_by_label("Channel", exact=True)
    options = await channel.locator("option").all_inner_texts()
    assert any(o.startswith("#readonly — bot lacks") for o in options)
    await channel.select_option(label="#general")
    await page.get_by_label("Text", exact=True).fill("Standup in the usual room")
    await expect(page.locator(".discord-content")).to_have_text("Standup in the usual room")
    await dashboard.screenshot(page, "form")

    await page.get_by_role("button", name="Create task").click()
    await page.wait_for_url(f"**/guilds/{s.guild.id}?created=*")
    await page.wait_for_selector("body[data-ready=true]")
    await expect(page.locator("tr[data-task-name='weekday standup']")).to_have_count(1)
    task = await api.app.task("weekday standup")
    assert task.spec == "0 9 * * 1-5" and task.timezone == "Europe/Paris"
    assert task.destinations[0].channel_id == s.general.id
    assert task.payload.variants[0].content == "Standup in the usual room"
    await dashboard.screenshot(page, "tasks")


async def test_the_calendar_shows_each_day_and_what_posts_when(dashboard: Dashboard) -> None:
    api = dashboard.api
    s = api.app.scene
    await make_tasks(api.app, 1)
    page = await dashboard.open(f"/guilds/{s.guild.id}/calendar")
    days = page.locator("ol.calendar > li")
    await expect(days).to_have_count(7)
    zone = ZoneInfo(TIMEZONE)
    now = datetime.now(UTC)
    today = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    expected = {}
    for n in range(8):  # 09:00 UTC each day, kept when it falls in the 7 local days ahead
        at = (now + timedelta(days=n)).replace(hour=9, minute=0, second=0, microsecond=0)
        local = at.astimezone(zone)
        if at >= now and local < today + timedelta(days=7):
            expected[local.date().isoformat()] = local.strftime("%I:%M %p")
    for key, shown in expected.items():
        day = page.locator(f"li[data-day='{key}']")
        assert "1 post" in await day.locator("h2").inner_text()
        assert shown in await day.locator("time").inner_text()
        await expect(day.get_by_role("link", name="task 00")).to_have_count(1)
    await dashboard.screenshot(page, "calendar")
    await page.get_by_role("link", name="Next 30 days").click()
    await page.wait_for_selector("body[data-ready=true]")
    await expect(days).to_have_count(30)


async def test_run_now_posts_dry_run_posts_nothing_and_pause(dashboard: Dashboard) -> None:
    api = dashboard.api
    app = api.app
    s = app.scene
    await make_tasks(app, 1)
    page = await dashboard.open(f"/guilds/{s.guild.id}")
    row = page.locator("tr[data-task-name='task 00']")

    before = app.fd.cursor()
    await row.get_by_role("button", name="Dry run task 00").click()
    dialog = page.locator("dialog.dry-run")
    await expect(dialog.locator(".discord-content")).to_have_text("post 0")
    assert [m for m in app.fd.messages(s.general) if m.id > before] == []
    await dialog.get_by_role("button", name="Close").click()

    await row.get_by_role("button", name="Run now task 00").click()
    posted = await app.fd.wait_for_message(s.general, after=before, timeout=10)
    assert posted.content == "post 0"

    await row.get_by_role("button", name="Pause task 00").click()
    await expect(row.locator(".badge")).to_have_text("paused")
    await expect(row.get_by_role("button", name="Resume task 00")).to_have_count(1)
    assert str((await app.task("task 00")).status) == "paused"


async def test_a_stale_tab_sees_the_conflict_and_their_version(dashboard: Dashboard) -> None:
    api = dashboard.api
    app = api.app
    s = app.scene
    await make_tasks(app, 1)
    task = await app.task("task 00")
    context = await dashboard.signed_in()
    path = f"/guilds/{s.guild.id}/tasks/{task.id}"
    first = await dashboard.page(context, path)
    stale = await dashboard.page(context, path)

    await first.get_by_label("Text", exact=True).fill("their words")
    await first.get_by_role("button", name="Save changes").click()
    await expect(first.locator("#status")).to_contain_text("Saved")

    await stale.get_by_label("Name", exact=True).fill("my new name")
    await stale.get_by_role("button", name="Save changes").click()
    conflict = stale.locator("#conflict .conflict")
    await expect(conflict).to_contain_text("Someone else changed this task")
    await expect(conflict.locator(".their-version")).to_contain_text("their words")
    await dashboard.screenshot(stale, "conflict")
    stored = await app.task("task 00")
    assert stored.payload.variants[0].content == "their words"

    await conflict.get_by_role("button", name="Keep my edits over theirs").click()
    await stale.get_by_role("button", name="Save changes").click()
    await expect(stale.locator("#status")).to_contain_text("Saved")
    renamed = await app.task("my new name")
    assert renamed.id == task.id


async def test_delete_asks_first(dashboard: Dashboard) -> None:
    api = dashboard.api
    app = api.app
    s = app.scene
    await make_tasks(app, 2)
    page = await dashboard.open(f"/guilds/{s.guild.id}")
    row = page.locator("tr[data-task-name='task 01']")
    await row.get_by_role("button", name="Delete task 01").click()
    await page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    assert len(await app.tasks()) == 2
    await row.get_by_role("button", name="Delete task 01").click()
    await page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    await expect(page.locator("table.tasks tbody tr")).to_have_count(1)
    assert [t.name for t in await app.tasks()] == ["task 00"]


async def test_a_once_task_with_variants_an_embed_and_a_webhook_identity(
    dashboard: Dashboard,
) -> None:
    """The composer's variants and embed and the destination's webhook identity reach the
    API in its own shapes: the task posts its first variant as "Daily Herald"."""
    api = dashboard.api
    app = api.app
    s = app.scene
    g = f"/api/v1/guilds/{s.guild.id}"
    page = await dashboard.open(f"/guilds/{s.guild.id}/tasks/new")
    await page.get_by_label("Name", exact=True).fill("herald")
    await page.get_by_label("Kind").select_option("date")
    zone = ZoneInfo(TIMEZONE)
    at = (datetime.now(zone) + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    await page.get_by_label("Posts at").fill(at.strftime("%Y-%m-%dT%H:%M"))
    await expect(page.locator("#schedule-preview .next-runs li")).to_have_count(1)

    await page.locator("#v0-content").fill("first")
    await page.get_by_role("button", name="Add a variant").click()
    await page.locator("details").nth(1).locator("summary").click()
    await page.locator("#v1-title").fill("Second")
    await page.locator("#v1-use-color").check()
    await expect(page.locator(".discord-embed .embed-title")).to_have_text("Second")
    await page.get_by_label("With several variants, post them").select_option("sequential")

    await page.get_by_label("Type").select_option("webhook")
    await page.get_by_label("Channel", exact=True).select_option(label="#general")
    await page.get_by_label("Webhook name").fill("Daily Herald")
    await page.get_by_role("button", name="Create task").click()
    await page.wait_for_url(f"**/guilds/{s.guild.id}?created=*")

    task = await app.task("herald")
    assert task.next_run_at == at.astimezone(UTC)
    first, second = task.payload.variants
    assert first.content == "first" and second.embed is not None
    assert second.embed.title == "Second" and second.embed.color == 0x5865F2
    [dest] = task.destinations
    assert dest.kind == "webhook" and dest.channel_id == s.general.id

    before = app.fd.cursor()
    status, _, _ = await api.request(
        "POST", f"{g}/tasks/{task.id}/run", await api.token("runner", "write"), json={}
    )
    assert status in (200, 201, 202)
    posted = await app.fd.wait_for_message(s.general, after=before, timeout=10)
    assert posted.content == "first" and posted.webhook_username == "Daily Herald"
