"""Date parsing: ISO 8601, relative and simple English forms, read in the zone; errors."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import pytest

from scheduler.errors import ScheduleError
from scheduler.schedules import DateSchedule, parse_date_schedule, parse_when, schedule_from_spec

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # Monday 12:00 in Berlin (CEST, +02:00)
ZONE = "Europe/Berlin"


def Z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# (text, expected UTC instant) read in Europe/Berlin at NOW
VALID = [
    ("2026-12-24 18:00", "2026-12-24T17:00:00Z"),
    ("2026-12-24T18:00", "2026-12-24T17:00:00Z"),
    ("2026-12-24 18:00:30", "2026-12-24T17:00:30Z"),
    ("2026-12-24T18:00:30.750", "2026-12-24T17:00:30Z"),
    ("2026-12-24T18:00+01:00", "2026-12-24T17:00:00Z"),
    ("2026-12-24T18:00Z", "2026-12-24T18:00:00Z"),
    ("2026-12-24 18:00 UTC", "2026-12-24T18:00:00Z"),
    ("2026-07-01 9:05", "2026-07-01T07:05:00Z"),
    ("2026-12-24 18:00 -05:00", "2026-12-24T23:00:00Z"),
    ("2026-12-24T18:00:00+0530", "2026-12-24T12:30:00Z"),
    ("in 45 seconds", "2026-06-01T10:00:45Z"),
    ("in 90 minutes", "2026-06-01T11:30:00Z"),
    ("in 2h30m", "2026-06-01T12:30:00Z"),
    ("in 1 day", "2026-06-02T10:00:00Z"),
    ("in 3 weeks", "2026-06-22T10:00:00Z"),
    ("in an hour", "2026-06-01T11:00:00Z"),
    ("in 2 hours and 15 minutes", "2026-06-01T12:15:00Z"),
    ("45 minutes", "2026-06-01T10:45:00Z"),
    ("tomorrow 9am", "2026-06-02T07:00:00Z"),
    ("tomorrow at 09:00", "2026-06-02T07:00:00Z"),
    ("  Tomorrow   9AM ", "2026-06-02T07:00:00Z"),
    ("9am tomorrow", "2026-06-02T07:00:00Z"),
    ("today 18:00", "2026-06-01T16:00:00Z"),
    ("tonight", "2026-06-01T18:00:00Z"),
    ("tonight 11pm", "2026-06-01T21:00:00Z"),
    ("next friday 18:00", "2026-06-05T16:00:00Z"),
    ("friday 9:30pm", "2026-06-05T19:30:00Z"),
    ("fri 9.30 pm", "2026-06-05T19:30:00Z"),
    ("monday 9am", "2026-06-08T07:00:00Z"),
    ("monday 3pm", "2026-06-01T13:00:00Z"),
    ("next monday 3pm", "2026-06-08T13:00:00Z"),
    ("18:00 next friday", "2026-06-05T16:00:00Z"),
    ("noon", "2026-06-02T10:00:00Z"),
    ("midnight", "2026-06-01T22:00:00Z"),
    ("18:00", "2026-06-01T16:00:00Z"),
    ("11:00", "2026-06-02T09:00:00Z"),
    ("12am tomorrow", "2026-06-01T22:00:00Z"),
    ("tomorrow 12pm", "2026-06-02T10:00:00Z"),
    ("dec 24 6pm", "2026-12-24T17:00:00Z"),
    ("24 december 2026 18:00", "2026-12-24T17:00:00Z"),
    ("december 24th, 2026 at 6:30pm", "2026-12-24T17:30:00Z"),
    ("jan 1 9am", "2027-01-01T08:00:00Z"),
    ("2026-06-01 12:00", "2026-06-01T10:00:00Z"),
    ("2026-06-03 at 7am", "2026-06-03T05:00:00Z"),
    ("at 18:30:15", "2026-06-01T16:30:15Z"),
]

# (text, fragment of the error message)
INVALID = [
    ("", "A date and time is needed"),
    ("2026-01-01 09:00", "That time is in the past: 2026-01-01 09:00 (Europe/Berlin)."),
    ("today 9am", "That time is in the past: 2026-06-01 09:00 (Europe/Berlin)."),
    ("2026-06-01 11:59:59", "That time is in the past: 2026-06-01 11:59:59 (Europe/Berlin)."),
    ("2026-06-01T09:00Z", "That time is in the past: 2026-06-01 11:00 (Europe/Berlin)."),
    ("2026-02-30 10:00", "is not a real date"),
    ("2026-13-01 10:00", "is not a real date"),
    ("2026-12-24 25:00", "has an impossible time of day"),
    ("2026-12-24 18:60", "has an impossible time of day"),
    ("25:00", "is not a time of day (00:00 to 23:59)"),
    ("13pm", "use 1-12 with am/pm"),
    ("0am", "use 1-12 with am/pm"),
    ("9", 'Is "9" in the morning or the evening?'),
    ("tomorrow", 'Add a time of day to "tomorrow"'),
    ("next friday", 'Add a time of day to "next friday"'),
    ("2026-12-24", 'Add a time of day to "2026-12-24"'),
    ("blah", 'Could not read "blah" as a date and time'),
    ("someday 9am", "Could not read"),
    ("yesterday 9am", "Could not read"),
    ("in 0 minutes", "must be longer than zero"),
    ("in 2 years", "Months and years are not interval units"),
    ("in 400 days", "at most 365 days"),
    ("in soon", "Could not read"),
    ("feb 30 9am", "is not a real date"),
    ("2026-12-24 18:00 +25:00", "Bad UTC offset"),
    ("9999-12-31 23:59", "more than 100 years ahead"),
    ("0001-01-01 00:00", "out of the supported range"),
    ("2026-12-24 18:00 Europe/Paris", "Could not read"),
]


@pytest.mark.parametrize(("text", "expected"), VALID, ids=[row[0].strip() for row in VALID])
def test_valid_when(text: str, expected: str) -> None:
    instant = parse_when(text, ZONE, now=NOW)
    assert instant == Z(expected)
    assert instant.tzinfo is UTC and instant.microsecond == 0


@pytest.mark.parametrize(("text", "fragment"), INVALID, ids=[row[0] or "empty" for row in INVALID])
def test_invalid_when(text: str, fragment: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_when(text, ZONE, now=NOW)
    assert fragment in str(caught.value)
    assert caught.value.example


def test_table_sizes() -> None:
    assert len(VALID) >= 40 and len(INVALID) >= 25


def test_past_message_names_instant_and_suggests_a_future_one() -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_when("2026-01-01 09:00", ZONE, now=NOW)
    assert caught.value.message == "That time is in the past: 2026-01-01 09:00 (Europe/Berlin)."
    assert caught.value.example == "2026-06-02 12:00 or in 2h"


def test_now_with_microseconds_rounds_up() -> None:
    now = NOW + timedelta(microseconds=500)
    with pytest.raises(ScheduleError, match="in the past"):
        parse_when("2026-06-01 12:00", ZONE, now=now)
    assert parse_when("in 10s", ZONE, now=now) == NOW + timedelta(seconds=11)


def test_unknown_zone_and_naive_now_are_refused() -> None:
    with pytest.raises(ScheduleError, match="Unknown timezone"):
        parse_when("tomorrow 9am", "Moon/Tranquility", now=NOW)
    with pytest.raises(ScheduleError, match="no timezone"):
        parse_when("tomorrow 9am", ZONE, now=datetime(2026, 6, 1))


def test_date_schedule_fires_once() -> None:
    schedule = parse_date_schedule("2026-12-24 18:00", ZONE, now=NOW)
    at = Z("2026-12-24T17:00:00Z")
    assert (schedule.kind, schedule.spec, schedule.zone, schedule.at) == (
        "date",
        "2026-12-24T17:00:00Z",
        ZONE,
        at,
    )
    assert schedule.next_fire(None, NOW) == at
    assert schedule.next_fire(None, at) == at
    assert schedule.next_after(at) is None
    assert schedule.next_fire(at, NOW) is None
    assert schedule.upcoming(NOW, 5) == [at]
    assert schedule.end is None


def test_date_schedule_restores_without_past_check() -> None:
    schedule = schedule_from_spec("date", "2020-01-01T00:00:00Z", ZONE, anchor=NOW)
    assert isinstance(schedule, DateSchedule)
    assert schedule.next_after(NOW) is None
    assert schedule is schedule_from_spec("date", "2020-01-01T00:00:00Z", ZONE, anchor=NOW)
    assert DateSchedule("2026-12-24T18:00:00+01:00", ZONE).spec == "2026-12-24T17:00:00Z"
    assert pickle.loads(pickle.dumps(schedule)) == schedule


@pytest.mark.parametrize(
    "spec",
    ["2026-12-24 18:00", "tomorrow", "", "2026-12-24T18:00"],
    ids=["no-offset", "words", "empty", "T-no-offset"],
)
def test_stored_date_needs_iso_with_offset(spec: str) -> None:
    with pytest.raises(ScheduleError, match="ISO 8601 with an offset"):
        schedule_from_spec("date", spec, ZONE, anchor=NOW)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ScheduleError, match='Unknown schedule kind "weekly"'):
        schedule_from_spec("weekly", "x", ZONE, anchor=NOW)
