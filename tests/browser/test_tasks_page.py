"""Journeys through the tasks page in Chromium: the list, its filters and search, next runs in
the browser's local time with the task's zone named, and the pages people reach from it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from playwright.async_api import expect

from tests.browser.harness import TIMEZONE, Dashboard
from tests.commands.api_harness import make_tasks


async def test_the_list_shows_next_runs_in_local_time_and_filters(dashboard: Dashboard) -> None:
    app = dashboard.api.app
    s = app.scene
    await make_tasks(app, 3)
    await app.answer(
        s.admin,
        "cron",
        name="paris standup",
        cron="30 9 * * *",
        channel=s.news,
        message="standup",
        timezone="Europe/Paris",
    )
    page = await dashboard.open(f"/guilds/{s.guild.id}")

    rows = page.locator("table.tasks tbody tr")
    assert await rows.count() == 4
    paris = await app.task("paris standup")
    assert paris.next_run_at is not None
    row = page.locator("tr[data-task-name='paris standup']")
    local = paris.next_run_at.astimezone(ZoneInfo(TIMEZONE))
    shown = await row.locator("time").inner_text()
    assert local.strftime("%I:%M %p").lstrip("0") in shown.replace(" 0", " ")
    assert await row.locator("time").get_attribute("datetime") == (
        paris.next_run_at.isoformat().replace("+00:00", "Z")
    )
    assert "Europe/Paris" in await row.inner_text()
    assert "09:30" in await row.locator(".zone").inner_text()
    assert await row.locator(".badge").inner_text() == "active"

    await page.get_by_label("Search").fill("paris")
    await expect(rows).to_have_count(1)
    assert "q=paris" in page.url
    await page.get_by_label("Search").fill("")
    await expect(rows).to_have_count(4)

    await app.answer(s.admin, "pause", task="task 01")
    await page.get_by_label("Status").select_option("paused")
    await expect(rows).to_have_count(1)
    assert await page.locator("table.tasks tbody tr th").inner_text() == "task 01"
    assert await page.locator("table.tasks .badge").inner_text() == "paused"
    await page.get_by_label("Status").select_option("completed")
    await page.get_by_text("No task matches these filters.").wait_for()


UNNAMED_CONTROLS = """() => [...document.querySelectorAll('input, select, textarea, button, a')]
  .filter((el) => !el.closest('[hidden]'))
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
    && !el.textContent.trim())
  .map((el) => el.outerHTML)"""


async def test_pages_work_at_phone_width_and_by_keyboard(dashboard: Dashboard) -> None:
    app = dashboard.api.app
    await make_tasks(app, 2)
    task = await app.task("task 00")
    g = f"/guilds/{app.scene.guild.id}"
    context = await dashboard.signed_in(width=360, height=740)
    for path in (g, f"{g}/tasks/new", f"{g}/tasks/{task.id}", f"{g}/settings"):
        page = await dashboard.page(context, path)
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360, path
        assert await page.evaluate(UNNAMED_CONTROLS) == [], path  # every control is named
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.textContent") == "Skip to content"
        await page.keyboard.press("Enter")
        await page.keyboard.press("Tab")  # from the skip link into the page's own content
        inside = await page.evaluate("document.activeElement.closest('main') !== null")
        assert inside, path
        await page.close()
