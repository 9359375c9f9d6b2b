"""Interval parsing: units, calendar vs elapsed, origin, bounds and errors."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import pytest

from scheduler.errors import ScheduleError
from scheduler.schedules import (
    IntervalSchedule,
    interval_spec,
    parse_duration,
    parse_interval,
    schedule_from_spec,
)

ANCHOR = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # 14:00 in Berlin
ZONE = "Europe/Berlin"

# (text, canonical spec, calendar, period)
VALID = [
    ("90m", "90m", False, timedelta(minutes=90)),
    ("1d12h", "1d12h", False, timedelta(hours=36)),
    ("2h30m", "2h30m", False, timedelta(minutes=150)),
    ("2h 30m", "2h30m", False, timedelta(minutes=150)),
    ("30m 2h", "2h30m", False, timedelta(minutes=150)),
    ("90 minutes", "90m", False, timedelta(minutes=90)),
    ("every 90 minutes", "90m", False, timedelta(minutes=90)),
    ("every 2 hours and 30 minutes", "2h30m", False, timedelta(minutes=150)),
    ("1 hour, 15 minutes", "1h15m", False, timedelta(minutes=75)),
    ("4h", "4h", False, timedelta(hours=4)),
    ("36h", "36h", False, timedelta(hours=36)),
    ("24h", "24h", False, timedelta(hours=24)),
    ("1d", "1d", True, timedelta(days=1)),
    ("2w", "2w", True, timedelta(weeks=2)),
    ("1w3d", "1w3d", True, timedelta(days=10)),
    ("daily", "1d", True, timedelta(days=1)),
    ("every day", "1d", True, timedelta(days=1)),
    ("hourly", "1h", False, timedelta(hours=1)),
    ("every week", "1w", True, timedelta(weeks=1)),
    ("60s", "60s", False, timedelta(seconds=60)),
    ("EVERY 45 MINS", "45m", False, timedelta(minutes=45)),
    ("1 week", "1w", True, timedelta(weeks=1)),
    ("an hour", "1h", False, timedelta(hours=1)),
    ("52w", "52w", True, timedelta(weeks=52)),
    ("1h 0m", "1h", False, timedelta(hours=1)),
]

# (text, fragment of the error message)
INVALID = [
    ("", "An interval is needed"),
    ("30s", "Intervals must be at least 60 seconds (1m)"),
    ("59s", "at least 60 seconds"),
    ("0m", "must be longer than zero"),
    ("-5m", "must be positive"),
    ("1.5h", "Use whole numbers"),
    ("2 months", "Months and years are not interval units"),
    ("1y", "Months and years are not interval units"),
    ("53w", "durations can be at most 365 days"),
    ("400d", "durations can be at most 365 days"),
    ("1h 1h", "Each unit may appear once"),
    ("90", 'Could not read "90" as a duration'),
    ("m", "Could not read"),
    ("5 parsecs", 'Unknown unit "parsecs"'),
    ("every", "Could not read"),
    ("99999999999h", "too large"),
    ("1h30", "Could not read"),
    ("every other day", "Could not read"),
    ("1h; 2m", "Could not read"),
]


@pytest.mark.parametrize(("text", "spec", "calendar", "period"), VALID, ids=[r[0] for r in VALID])
def test_valid_interval(text: str, spec: str, calendar: bool, period: timedelta) -> None:
    schedule = parse_interval(text, ZONE, anchor=ANCHOR)
    assert (schedule.kind, schedule.spec, schedule.calendar, schedule.period) == (
        "interval",
        spec,
        calendar,
        period,
    )
    assert schedule.origin == ANCHOR
    assert schedule.next_after(ANCHOR) == ANCHOR + period  # no DST change in June
    rebuilt = schedule_from_spec("interval", schedule.spec, ZONE, anchor=ANCHOR)
    assert rebuilt == schedule


@pytest.mark.parametrize(("text", "fragment"), INVALID, ids=[r[0] or "empty" for r in INVALID])
def test_invalid_interval(text: str, fragment: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_interval(text, ZONE, anchor=ANCHOR)
    assert fragment in str(caught.value)
    assert caught.value.example


def test_table_sizes() -> None:
    assert len(VALID) >= 20 and len(INVALID) >= 15


def test_minimum_is_configurable() -> None:
    assert parse_interval("5s", ZONE, anchor=ANCHOR, min_seconds=5).period == timedelta(seconds=5)
    with pytest.raises(ScheduleError, match=r"at least 600 seconds \(10m\)"):
        parse_interval("5m", ZONE, anchor=ANCHOR, min_seconds=600)


def test_restore_skips_the_minimum() -> None:
    schedule = schedule_from_spec("interval", "5s", ZONE, anchor=ANCHOR)
    assert schedule.next_after(ANCHOR) == ANCHOR + timedelta(seconds=5)


def test_without_start_first_run_is_one_period_after_creation() -> None:
    schedule = parse_interval("90m", ZONE, anchor=ANCHOR)
    assert schedule.first_fire == ANCHOR + timedelta(minutes=90)
    assert schedule.next_fire(None, ANCHOR) == ANCHOR + timedelta(minutes=90)
    assert schedule.next_after(ANCHOR - timedelta(days=5)) == ANCHOR + timedelta(minutes=90)


def test_with_start_the_start_itself_fires() -> None:
    start = ANCHOR + timedelta(days=2)
    schedule = parse_interval("90m", ZONE, anchor=ANCHOR, start=start)
    assert schedule.origin == start
    assert schedule.next_fire(None, ANCHOR) == start
    assert schedule.upcoming(ANCHOR, 3) == [start + timedelta(minutes=90 * k) for k in range(3)]
    later = start + timedelta(days=3, seconds=1)
    assert schedule.next_after(later) == start + timedelta(minutes=90 * 49)


def test_calendar_start_keeps_local_wall_time() -> None:
    start = datetime(2026, 10, 20, 7, 0, tzinfo=UTC)  # 09:00 CEST
    schedule = parse_interval("1w", ZONE, anchor=ANCHOR, start=start)
    fires = schedule.upcoming(start, 2)
    assert fires == [
        datetime(2026, 10, 27, 8, 0, tzinfo=UTC),
        datetime(2026, 11, 3, 8, 0, tzinfo=UTC),
    ]


def test_sub_seconds_are_dropped() -> None:
    schedule = parse_interval("1m", ZONE, anchor=ANCHOR.replace(microsecond=999_999))
    assert schedule.anchor == ANCHOR
    assert schedule.next_after(
        ANCHOR + timedelta(seconds=59, microseconds=5)
    ) == ANCHOR + timedelta(minutes=1)


def test_end_bounds_the_runs() -> None:
    schedule = parse_interval("1h", ZONE, anchor=ANCHOR, end=ANCHOR + timedelta(hours=3))
    assert schedule.upcoming(ANCHOR, 10) == [ANCHOR + timedelta(hours=k) for k in (1, 2, 3)]


def test_end_before_first_run_is_refused() -> None:
    with pytest.raises(ScheduleError, match="before the first run"):
        parse_interval("1h", ZONE, anchor=ANCHOR, end=ANCHOR + timedelta(minutes=30))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ScheduleError, match="no timezone"):
        parse_interval("1h", ZONE, anchor=datetime(2026, 6, 1, 12))
    with pytest.raises(ScheduleError, match="start has no timezone"):
        parse_interval("1h", ZONE, anchor=ANCHOR, start=datetime(2026, 6, 2))


def test_unknown_zone_is_refused() -> None:
    with pytest.raises(ScheduleError, match="Unknown timezone"):
        parse_interval("1h", "Europe/Atlantis", anchor=ANCHOR)


def test_schedules_are_hashable_and_picklable() -> None:
    first = parse_interval("90m", ZONE, anchor=ANCHOR)
    again = parse_interval("90 minutes", ZONE, anchor=ANCHOR)
    assert first == again and hash(first) == hash(again)
    assert pickle.loads(pickle.dumps(first)) == first
    assert isinstance(first, IntervalSchedule)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("90m", timedelta(minutes=90)),
        ("1d12h", timedelta(hours=36)),
        ("2w", timedelta(weeks=2)),
        ("2h30m", timedelta(hours=2, minutes=30)),
        ("2 hours 30 minutes", timedelta(hours=2, minutes=30)),
        ("1w 2d 3h 4m 5s", timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5)),
    ],
    ids=["30s", "90m", "1d12h", "2w", "2h30m", "words", "all-units"],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("units", "spec"),
    [
        ({"minutes": 90}, "90m"),
        ({"hours": 2, "minutes": 30}, "2h30m"),
        ({"days": 1}, "1d"),
        ({"weeks": 2}, "2w"),
        ({"days": 1, "hours": 12}, "1d12h"),
    ],
    ids=["90m", "2h30m", "1d", "2w", "1d12h"],
)
def test_interval_spec_from_units(units: dict[str, int], spec: str) -> None:
    assert interval_spec(**units) == spec


def test_interval_spec_refuses_nothing() -> None:
    with pytest.raises(ScheduleError, match="longer than zero"):
        interval_spec()
    with pytest.raises(ScheduleError, match="whole numbers"):
        interval_spec(hours=-1)
