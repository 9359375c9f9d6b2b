"""Autocomplete: `task` offers this guild's names (prefix matches first, at most 25);
`timezone` offers IANA zone names, best matches first."""

from __future__ import annotations

import pytest

from tests.commands.harness import App


async def task_choices(app: App, value: str, command: str = "schedule show") -> list[str]:
    s = app.scene
    choices = await app.fd.autocomplete(s.guild, s.admin, command, focused="task", value=value)
    assert all(c["name"] == c["value"] for c in choices)
    return [c["value"] for c in choices]


async def test_task_names_prefix_matches_first_then_substring(app: App) -> None:
    await app.seed(["weekly-report", "Report-monthly", "report-daily", "standup", "reporter"])
    await app.seed(["report-elsewhere"], guild=app.scene.other)
    assert await task_choices(app, "rep") == [
        "report-daily",
        "Report-monthly",
        "reporter",
        "weekly-report",
    ]
    assert await task_choices(app, "REPORT-D") == ["report-daily"]
    assert await task_choices(app, "nothing like it") == []


async def test_task_names_are_capped_at_25_with_30_tasks(app: App) -> None:
    names = [f"report-{n:02d}" for n in range(30)]
    await app.seed(["a-weekly-report", *names])
    assert await task_choices(app, "") == ["a-weekly-report", *names[:24]]
    # 30 prefix matches: the first 25 fill the list, the substring match does not make it.
    assert await task_choices(app, "report") == names[:25]
    assert await task_choices(app, "2") == ["report-02", "report-12", *names[20:]]


@pytest.mark.parametrize("command", ["schedule edit", "schedule delete", "schedule run"])
async def test_every_task_option_autocompletes(app: App, command: str) -> None:
    await app.seed(["standup", "stats"])
    assert await task_choices(app, "sta", command) == ["standup", "stats"]


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("berl", "Europe/Berlin"),
        ("Europe/Ber", "Europe/Berlin"),
        ("new y", "America/New_York"),
        ("adel", "Australia/Adelaide"),
        ("tokyo", "Asia/Tokyo"),
    ],
)
async def test_timezone_suggestions_best_match_first(app: App, typed: str, first: str) -> None:
    s = app.scene
    choices = await app.fd.autocomplete(
        s.guild,
        s.admin,
        "schedule cron",
        focused="timezone",
        value=typed,
        name="x",
        cron="0 9 * * *",
        channel=s.general,
    )
    assert choices[0] == {"name": first, "value": first}
    assert len(choices) <= 25


async def test_timezone_suggestions_without_text_are_25_zones(app: App) -> None:
    s = app.scene
    choices = await app.fd.autocomplete(
        s.guild, s.admin, "schedule edit", focused="timezone", value="", task="x"
    )
    assert len(choices) == 25
