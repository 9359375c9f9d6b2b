"""JobSummary: grouping, ordering, markers, escaping, paging within Discord's limits, text."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scheduler.summary import (
    EmbedData,
    JobSummary,
    SummaryPage,
    escape_markdown,
    interval_period,
)
from storage import Payload
from storage.models import CatchUp, Task, TaskKind, TaskSource, TaskStatus

NOW = datetime(2026, 5, 4, 5, 0, tzinfo=UTC)  # Monday 07:00 in Berlin, 01:00 in New York
_ids = itertools.count(1)


def make_task(
    name: str,
    kind: TaskKind = TaskKind.CRON,
    spec: str = "0 8 * * *",
    *,
    next_run_at: datetime | None = NOW + timedelta(hours=1),
    status: TaskStatus = TaskStatus.ACTIVE,
    timezone: str | None = "UTC",
    **overrides: Any,
) -> Task:
    task = Task(
        id=next(_ids),
        guild_id=1,
        source=TaskSource.ADMIN,
        job_id=None,
        name=name,
        kind=kind,
        spec=spec,
        timezone=timezone,
        start_at=None,
        end_at=None,
        max_runs=None,
        payload=Payload(),
        destinations=(),
        rotation_index=0,
        status=status,
        paused_reason=None,
        catch_up=CatchUp.ONCE,
        skip_next=0,
        next_run_at=next_run_at,
        last_run_at=None,
        run_count=0,
        failure_count=0,
        consecutive_failures=0,
        created_by=None,
        created_at=NOW,
        updated_by=None,
        updated_at=NOW,
    )
    return replace(task, **overrides)


def describe(task: Task) -> str:
    return f"{task.kind.value} {task.spec}"


def zone_of(task: Task) -> str:
    return task.timezone or "Europe/Paris"  # None: the (test) guild's zone


def build(tasks: list[Task], **kwargs: Any) -> JobSummary:
    return JobSummary.build(tasks, now=NOW, describe=describe, zone_of=zone_of, **kwargs)


def names(summary: JobSummary, title: str) -> list[str]:
    (section,) = [s for s in summary.sections if s.title == title]
    return [line.name for line in section.lines]


def at(hour: int, minute: int = 0, day: int = 4) -> datetime:
    return datetime(2026, 5, day, hour, minute, tzinfo=UTC)


# ----------------------------------------------------------------------------- ordering

CRON_CASES = [
    pytest.param(
        # Berlin 08:00 local is 06:00 UTC, New York 03:00 local is 07:00 UTC: local time wins.
        [("berlin", "Europe/Berlin", at(6)), ("new york", "America/New_York", at(7))],
        ["new york", "berlin"],
        id="local-time-of-day-across-zones",
    ),
    pytest.param(
        # Tokyo 07:00 is 22:00 UTC the day before; UTC 12:00 comes later in its own day.
        [("noon utc", "UTC", at(12)), ("tokyo", "Asia/Tokyo", at(22, day=3))],
        ["tokyo", "noon utc"],
        id="earlier-local-time-despite-later-day",
    ),
    pytest.param(
        # Adelaide (+09:30) 09:45 is 00:15 UTC; Kolkata (+05:30) 09:30 is 04:00 UTC.
        [("adelaide", "Australia/Adelaide", at(0, 15)), ("kolkata", "Asia/Kolkata", at(4))],
        ["kolkata", "adelaide"],
        id="half-hour-offsets",
    ),
    pytest.param(
        [("b", "Europe/Berlin", at(6)), ("A", "UTC", at(8, day=5)), ("c", "UTC", at(8))],
        ["A", "b", "c"],
        id="same-local-time-then-name",
    ),
    pytest.param(
        [("idle", "UTC", None), ("late", "UTC", at(23, 59)), ("early", "UTC", at(0, 1))],
        ["early", "late", "idle"],
        id="no-next-run-last",
    ),
    pytest.param(
        [("guild", None, at(6)), ("utc", "UTC", at(7))],
        ["utc", "guild"],  # None follows the guild (Paris): 08:00 local
        id="guild-zone-from-zone-of",
    ),
    pytest.param(
        [("bogus", "Mars/Olympus", at(9)), ("utc", "UTC", at(10))],
        ["bogus", "utc"],  # an unknown zone orders as UTC instead of failing
        id="unknown-zone-as-utc",
    ),
]


@pytest.mark.parametrize(("rows", "expected"), CRON_CASES)
def test_cron_tasks_sorted_by_local_time_of_day(
    rows: list[tuple[str, str | None, datetime | None]], expected: list[str]
) -> None:
    tasks = [make_task(name, timezone=zone, next_run_at=run) for name, zone, run in rows]
    assert names(build(tasks), "Cron") == expected


DATE_CASES = [
    pytest.param(
        [("later", at(9, day=20), "active"), ("sooner", at(23, day=5), "active")],
        ["sooner", "later"],
        id="by-date",
    ),
    pytest.param(
        [("b", at(9), "active"), ("a", at(9), "paused")],
        ["a", "b"],
        id="same-instant-then-name",
    ),
    pytest.param(
        [("done", None, "completed"), ("next", at(23, day=30), "active"), ("x", None, "failed")],
        ["next", "done", "x"],
        id="completed-and-undated-last",
    ),
    pytest.param(
        [("kept", at(1), "completed"), ("soon", at(9), "active")],
        ["soon", "kept"],
        id="completed-last-even-with-a-date",
    ),
]


@pytest.mark.parametrize(("rows", "expected"), DATE_CASES)
def test_date_tasks_sorted_by_date(
    rows: list[tuple[str, datetime | None, str]], expected: list[str]
) -> None:
    tasks = [
        make_task(name, TaskKind.DATE, "2026-05-04 09:00", next_run_at=run, status=TaskStatus(st))
        for name, run, st in rows
    ]
    assert names(build(tasks), "Date") == expected


INTERVAL_CASES = [
    pytest.param(
        [("w", "2w"), ("d", "1d12h"), ("s", "30s"), ("h", "4h"), ("m", "90m")],
        ["s", "m", "h", "d", "w"],
        id="shortest-first",
    ),
    pytest.param([("b", "36h"), ("a", "1d12h")], ["a", "b"], id="equal-period-then-name"),
    pytest.param([("odd", "fortnightly"), ("m", "5m")], ["m", "odd"], id="unreadable-last"),
]


@pytest.mark.parametrize(("rows", "expected"), INTERVAL_CASES)
def test_interval_tasks_sorted_by_period(rows: list[tuple[str, str]], expected: list[str]) -> None:
    tasks = [make_task(name, TaskKind.INTERVAL, spec) for name, spec in rows]
    assert names(build(tasks), "Interval") == expected


def test_period_of_overrides_the_spec_parser() -> None:
    tasks = [make_task("a", TaskKind.INTERVAL, "1m"), make_task("b", TaskKind.INTERVAL, "1h")]
    periods = {"a": timedelta(days=1), "b": timedelta(seconds=1)}
    summary = build(tasks, period_of=lambda task: periods[task.name])
    assert names(summary, "Interval") == ["b", "a"]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param("30s", timedelta(seconds=30), id="seconds"),
        pytest.param("90m", timedelta(minutes=90), id="minutes"),
        pytest.param("1d12h", timedelta(hours=36), id="days-hours"),
        pytest.param("2w", timedelta(weeks=2), id="weeks"),
        pytest.param(" 1H 30M ", timedelta(minutes=90), id="spaces-and-case"),
        pytest.param("1h1m1s", timedelta(seconds=3661), id="three-units"),
        pytest.param("0m", None, id="zero"),
        pytest.param("", None, id="empty"),
        pytest.param("1.5h", None, id="fraction"),
        pytest.param("every day", None, id="words"),
        pytest.param("999999999999w", timedelta(days=999_999_999), id="huge-is-capped"),
    ],
)
def test_interval_period(spec: str, expected: timedelta | None) -> None:
    assert interval_period(spec) == expected


def test_sections_in_kind_order_and_empty_ones_left_out() -> None:
    tasks = [
        make_task("i", TaskKind.INTERVAL, "1h"),
        make_task("c", TaskKind.CRON),
        make_task("i2", TaskKind.INTERVAL, "2h"),
    ]
    summary = build(tasks)
    assert [s.title for s in summary.sections] == ["Cron", "Interval"]
    summary = build([*tasks, make_task("d", TaskKind.DATE, "2026-06-01")])
    assert [s.title for s in summary.sections] == ["Cron", "Date", "Interval"]
    assert summary.total == 4
    page = summary.pages()[0]
    assert [e.title for e in page.embeds] == ["Scheduled tasks", "Cron", "Date", "Interval"]


# ----------------------------------------------------------------------------- lines


@pytest.mark.parametrize(
    ("status", "marker"),
    [
        pytest.param(TaskStatus.ACTIVE, "▶", id="active"),
        pytest.param(TaskStatus.PAUSED, "⏸", id="paused"),
        pytest.param(TaskStatus.COMPLETED, "✓", id="completed"),
        pytest.param(TaskStatus.FAILED, "✖", id="failed"),
    ],
)
def test_status_markers(status: TaskStatus, marker: str) -> None:
    summary = build([make_task("job", status=status)])
    (line,) = summary.sections[0].lines
    assert line.status == status.value
    assert line.marker == marker
    assert line.markdown().startswith(f"{marker} **job** · {status.value}\n")
    assert f"{marker} job · " in summary.text()
    assert summary.counts_by_status == {s.value: int(s == status) for s in TaskStatus} and list(
        summary.counts_by_status
    ) == ["active", "paused", "completed", "failed"]


def test_line_shows_schedule_discord_timestamps_and_zone() -> None:
    run = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
    task = make_task("standup", spec="0 8 * * 1-5", timezone="Europe/Berlin", next_run_at=run)
    summary = JobSummary.build(
        [task], now=NOW, describe=lambda t: "At 08:00, Monday through Friday", zone_of=zone_of
    )
    (line,) = summary.sections[0].lines
    unix = int(run.timestamp())
    assert line.markdown() == (
        "▶ **standup** · active\n"
        f"At 08:00, Monday through Friday · <t:{unix}:f> (<t:{unix}:R>) · Europe/Berlin"
    )
    assert (line.task_id, line.kind, line.next_run_at, line.zone) == (
        task.id,
        TaskKind.CRON,
        run,
        "Europe/Berlin",
    )


def test_no_next_run_shows_a_dash() -> None:
    summary = build([make_task("idle", status=TaskStatus.PAUSED, next_run_at=None)])
    assert summary.sections[0].lines[0].markdown().endswith("cron 0 8 \\* \\* \\* · — · UTC")


def test_describe_value_error_falls_back_to_the_spec() -> None:
    def broken(task: Task) -> str:
        raise ValueError("cannot describe")

    summary = JobSummary.build([make_task("x")], now=NOW, describe=broken, zone_of=zone_of)
    assert summary.sections[0].lines[0].schedule_text == "cron 0 8 * * *"


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        pytest.param("a*b", r"a\*b", id="asterisk"),
        pytest.param("__init__", r"\_\_init\_\_", id="underscore"),
        pytest.param("~~gone~~", r"\~\~gone\~\~", id="tilde"),
        pytest.param("`code`", r"\`code\`", id="backtick"),
        pytest.param("||spoiler||", r"\|\|spoiler\|\|", id="pipe"),
        pytest.param("> quote", r"\> quote", id="quote"),
        pytest.param("[x](https://e.x)", r"\[x\](https://e.x)", id="masked-link"),
        pytest.param("<@&123>", r"\<@&123\>", id="mention"),
        pytest.param("back\\", "back\\\\", id="backslash"),
        pytest.param("plain name 42", "plain name 42", id="plain"),
    ],
)
def test_escape_markdown(raw: str, escaped: str) -> None:
    assert escape_markdown(raw) == escaped


def test_names_cannot_break_the_layout() -> None:
    nasty = "**bold** _it_ ~~s~~ `c` ||sp|| > q\n# header\\"
    summary = build([make_task(nasty, timezone="America/New_York")])
    entry = summary.sections[0].lines[0].markdown()
    first, second = entry.split("\n")  # the newline in the name was flattened
    assert first == (
        r"▶ **\*\*bold\*\* \_it\_ \~\~s\~\~ \`c\` \|\|sp\|\| \> q # header\\** · active"
    )
    assert second.endswith(r"· America/New\_York")
    # Every markdown character outside our own bold markers is escaped.
    inner = first[len("▶ **") : -len("** · active")]
    assert re.search(r"(?<!\\)(?:\\\\)*[*_~`|>]", inner) is None


@pytest.mark.parametrize(
    ("length", "shown"),
    [
        pytest.param(100, 100, id="100-chars-shown-whole"),
        pytest.param(101, 100, id="longer-cut-with-ellipsis"),
        pytest.param(5000, 100, id="very-long"),
    ],
)
def test_long_names_are_cut(length: int, shown: int) -> None:
    name = "n" * length
    entry = build([make_task(name)]).sections[0].lines[0].markdown()
    bold = entry.split("**")[1]
    assert len(bold) == shown
    assert bold.endswith("…") == (length > shown)


# ----------------------------------------------------------------------------- paging


def assert_within_limits(
    page: SummaryPage, *, max_embeds: int = 10, max_chars: int = 6000, max_fields: int = 25
) -> None:
    assert 1 <= len(page.embeds) <= max_embeds <= 10
    assert page.char_count() == sum(e.char_count() for e in page.embeds) <= max_chars <= 6000
    for embed in page.embeds:
        assert embed.char_count() <= 6000
        assert embed.title is None or 0 < len(embed.title) <= 256
        assert embed.description is None or 0 < len(embed.description) <= 4096
        assert embed.footer is None or len(embed.footer) <= 2048
        assert len(embed.fields) <= max_fields <= 25
        assert embed.fields or embed.description  # Discord refuses an empty embed
        for name, value, inline in embed.fields:
            assert 0 < len(name) <= 256
            assert 0 < len(value) <= 1024
            assert inline is False


def make_many(count: int, name_length: int) -> list[Task]:
    """``count`` tasks of every kind, status and a few zones; names full of markdown."""
    kinds = [(TaskKind.CRON, "*/5 * * * *"), (TaskKind.DATE, "2027-01-01"), (TaskKind.INTERVAL, "")]
    zones = ["Europe/Berlin", "America/New_York", "Australia/Adelaide", None]
    statuses = list(TaskStatus)
    tasks = []
    for i in range(count):
        kind, spec = kinds[i % 3]
        spec = spec or f"{i % 97 + 1}m"
        name = f"T{i:04d} " + ("*_~`|>" * name_length)[: name_length - 6]
        run = NOW + timedelta(minutes=37 * i) if i % 11 else None
        tasks.append(
            make_task(
                name,
                kind,
                spec,
                timezone=zones[i % 4],
                status=statuses[i % 4],
                next_run_at=run,
            )
        )
    return tasks


def entry_ids(pages: list[SummaryPage]) -> list[int]:
    values = [value for page in pages for e in page.embeds for _, value, _ in e.fields]
    return [int(m) for value in values for m in re.findall(r"^\S+ \*\*T(\d{4}) ", value, re.M)]


LIMIT_CASES = [
    pytest.param(60, 100, {}, id="60-tasks"),
    pytest.param(1000, 100, {}, id="1000-tasks-long-names"),
    pytest.param(1000, 100, {"embeds_per_page": 4, "fields_per_embed": 3}, id="1000-tidy-view"),
    pytest.param(
        1000, 100, {"max_embeds": 2, "max_chars": 2000, "fields_per_embed": 1}, id="1000-tight"
    ),
    pytest.param(1000, 300, {}, id="1000-over-long-names"),
]


@pytest.mark.parametrize(("count", "name_length", "limits"), LIMIT_CASES)
def test_every_page_respects_every_limit(count: int, name_length: int, limits: dict) -> None:
    summary = build(make_many(count, name_length))
    pages = summary.pages(**limits)
    max_embeds = limits.get("embeds_per_page") or limits.get("max_embeds", 10)
    for page in pages:
        assert_within_limits(
            page,
            max_embeds=max_embeds,
            max_chars=limits.get("max_chars", 6000),
            max_fields=limits.get("fields_per_embed", 25),
        )
    # Each task exactly once, in the summary's order.
    expected = [int(line.name[1:5]) for s in summary.sections for line in s.lines]
    assert sorted(expected) == list(range(count))
    assert entry_ids(pages) == expected
    assert summary.total == count
    if not limits:  # with Discord's own limits, pages are well used: all but the last > 5000
        assert all(page.char_count() > 5000 for page in pages[:-1])


def field_span(name: str) -> tuple[int, int, int]:
    """(first, last, section size) from a field name such as ``"8–14 of 334"``."""
    numbers = [int(n) for n in re.findall(r"\d+", name)]
    first, *rest, size = numbers
    return first, rest[0] if rest else first, size


def test_sections_continue_with_cont_titles() -> None:
    summary = build(make_many(1000, 100))
    pages = summary.pages()
    assert len(pages) > 3
    seen: dict[str, int] = {}
    for page in pages:
        for embed in page.embeds[1:]:
            assert embed.title is not None
            section = embed.title.removesuffix(" (cont.)")
            size = len(next(s for s in summary.sections if s.title == section).lines)
            first = field_span(embed.fields[0][0])[0]
            assert (embed.title != section) == (first > 1)
            for name, value, _ in embed.fields:
                start, end, of = field_span(name)
                assert (start, of) == (seen.get(section, 0) + 1, size)  # no gap, no repeat
                assert len(re.findall(r"^\S+ \*\*T", value, re.M)) == end - start + 1
                seen[section] = end
    assert seen == {s.title: len(s.lines) for s in summary.sections}


def test_worst_case_entries_fit_the_tightest_pages() -> None:
    """Everything as long and as markdown-heavy as it can be, on the smallest pages allowed."""
    tasks = [make_task(f"{i:03d}" + "`" * 5000, timezone="_" * 500) for i in range(40)]
    summary = JobSummary.build(
        tasks,
        now=NOW,
        describe=lambda task: "*" * 5000,
        zone_of=lambda task: task.timezone or "",
        title="|" * 1000,
    )
    tight = {"max_embeds": 2, "max_chars": 2000, "fields_per_embed": 1}
    pages = summary.pages(**tight)
    assert len(pages) == 40  # one entry of about 720 characters per 2000-character page
    for page in pages:
        assert_within_limits(page, max_embeds=2, max_chars=2000, max_fields=1)
    entry = summary.sections[0].lines[0].markdown()
    assert len(entry) < 1024 - 300


def test_page_numbers_and_footers() -> None:
    pages = build(make_many(200, 60)).pages()
    total = len(pages)
    assert total > 1
    assert [(p.number, p.total) for p in pages] == [(n, total) for n in range(1, total + 1)]
    for page in pages:
        assert [e.footer for e in page.embeds[:-1]] == [None] * (len(page.embeds) - 1)
        assert page.embeds[-1].footer == f"Page {page.number} of {total} · 200 tasks"
        header = page.embeds[0]
        assert header.title == "Scheduled tasks"
        assert header.description == (
            "200 tasks: ▶ 50 active, ⏸ 50 paused, ✓ 50 completed, ✖ 50 failed\n"
            f"As of <t:{int(NOW.timestamp())}:f>"
        )


def test_one_task_footer_is_singular() -> None:
    (page,) = build([make_task("only")]).pages()
    assert page.embeds[-1].footer == "Page 1 of 1 · 1 task"


def test_empty_summary() -> None:
    summary = build([], title="Daily overview")
    assert summary.sections == () and summary.total == 0
    assert set(summary.counts_by_status.values()) == {0}
    (page,) = summary.pages()
    assert (page.number, page.total) == (1, 1)
    assert page.embeds == (
        EmbedData(
            title="Daily overview",
            description="There are no scheduled tasks.",
            footer="Page 1 of 1 · 0 tasks",
            color=0x3498DB,
        ),
    )
    assert summary.text() == "Daily overview — no tasks."


@pytest.mark.parametrize(
    "limits",
    [
        pytest.param({"max_embeds": 11}, id="too-many-embeds"),
        pytest.param({"max_embeds": 1}, id="no-room-for-a-section"),
        pytest.param({"max_chars": 6001}, id="too-many-chars"),
        pytest.param({"max_chars": 1999}, id="too-few-chars"),
        pytest.param({"fields_per_embed": 26}, id="too-many-fields"),
        pytest.param({"fields_per_embed": 0}, id="no-fields"),
        pytest.param({"embeds_per_page": 11}, id="view-above-max"),
        pytest.param({"embeds_per_page": 1}, id="view-too-small"),
    ],
)
def test_limits_beyond_discord_are_refused(limits: dict) -> None:
    with pytest.raises(ValueError):
        build([make_task("x")]).pages(**limits)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        JobSummary.build([], now=datetime(2026, 5, 4), describe=describe, zone_of=zone_of)


def test_long_title_is_cut_to_discord_limit() -> None:
    (page,) = build([make_task("x")], title="T" * 300).pages()
    assert page.embeds[0].title is not None and len(page.embeds[0].title) == 256


# ----------------------------------------------------------------------------- text


def test_text_rendering() -> None:
    tasks = [
        make_task("Interval *job*", TaskKind.INTERVAL, "90m", next_run_at=at(6, 30)),
        make_task("NY", timezone="America/New_York", next_run_at=at(7)),
        make_task("Berlin", timezone="Europe/Berlin", next_run_at=at(6)),
        make_task(
            "Gone", TaskKind.DATE, "2026-01-01", next_run_at=None, status=TaskStatus.COMPLETED
        ),
        make_task(
            "Stopped",
            TaskKind.DATE,
            "2026-06-01 12:00",
            status=TaskStatus.FAILED,
            next_run_at=at(12, day=6),
            timezone=None,
        ),
    ]
    assert build(tasks).text() == "\n".join(
        [
            "Scheduled tasks — 5 tasks: 3 active, 1 completed, 1 failed",
            "Cron (2)",
            "  ▶ NY · cron 0 8 * * * · next 2026-05-04 03:00 (America/New_York) · active",
            "  ▶ Berlin · cron 0 8 * * * · next 2026-05-04 08:00 (Europe/Berlin) · active",
            "Date (2)",
            "  ✖ Stopped · date 2026-06-01 12:00 · next 2026-05-06 14:00 (Europe/Paris) · failed",
            "  ✓ Gone · date 2026-01-01 · next — (UTC) · completed",
            "Interval (1)",
            "  ▶ Interval *job* · interval 90m · next 2026-05-04 06:30 (UTC) · active",
        ]
    )
