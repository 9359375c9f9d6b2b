"""Cron parsing: canonical specs, weekday numbering, the day-of-month OR weekday rule, errors."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

import pytest

from scheduler.errors import ScheduleError
from scheduler.schedules import CronSchedule, Schedule, parse_cron, schedule_from_spec

NOW = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)  # a Monday


def Z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# (text, canonical spec, first fire strictly after NOW, read in UTC)
VALID = [
    ("0 9 * * 1-5", "0 9 * * 1-5", "2026-06-01T09:00:00Z"),
    ("  0   9  *  *  MON-FRI ", "0 9 * * mon-fri", "2026-06-01T09:00:00Z"),
    ("@daily", "0 0 * * *", "2026-06-02T00:00:00Z"),
    ("@midnight", "0 0 * * *", "2026-06-02T00:00:00Z"),
    ("@hourly", "0 * * * *", "2026-06-01T01:00:00Z"),
    ("@weekly", "0 0 * * 0", "2026-06-07T00:00:00Z"),
    ("@monthly", "0 0 1 * *", "2026-07-01T00:00:00Z"),
    ("@yearly", "0 0 1 1 *", "2027-01-01T00:00:00Z"),
    ("@ANNUALLY", "0 0 1 1 *", "2027-01-01T00:00:00Z"),
    ("*/15 * * * *", "*/15 * * * *", "2026-06-01T00:15:00Z"),
    ("5,35 */6 * * *", "5,35 */6 * * *", "2026-06-01T00:05:00Z"),
    ("0 12 1-7 * 1", "0 12 1-7 * 1", "2026-06-01T12:00:00Z"),
    ("30 8 15 jan-mar,DEC *", "30 8 15 jan-mar,dec *", "2026-12-15T08:30:00Z"),
    ("0 0 29 2 *", "0 0 29 2 *", "2028-02-29T00:00:00Z"),
    ("0 9 * * 7", "0 9 * * 7", "2026-06-07T09:00:00Z"),
    ("0 9 * * 0", "0 9 * * 0", "2026-06-07T09:00:00Z"),
    ("0 9 * * Sun", "0 9 * * sun", "2026-06-07T09:00:00Z"),
    ("0 9 * * sat-sun", "0 9 * * sat-sun", "2026-06-06T09:00:00Z"),
    ("0 22 * * 5-7", "0 22 * * 5-7", "2026-06-05T22:00:00Z"),
    ("0 9 * * */2", "0 9 * * */2", "2026-06-02T09:00:00Z"),
    ("0-10/5 9 * * *", "0-10/5 9 * * *", "2026-06-01T09:00:00Z"),
    ("15 10/4 * * *", "15 10/4 * * *", "2026-06-01T10:15:00Z"),
    ("59 23 31 12 *", "59 23 31 12 *", "2026-12-31T23:59:00Z"),
    ("0 0 1/10 * *", "0 0 1/10 * *", "2026-06-11T00:00:00Z"),
    ("0 9 * jun *", "0 9 * jun *", "2026-06-01T09:00:00Z"),
    ("0 0 * * 1,3,5", "0 0 * * 1,3,5", "2026-06-03T00:00:00Z"),
]

# (text, fragment of the error message)
INVALID = [
    ("", "A cron expression is needed"),
    ("   ", "A cron expression is needed"),
    ("0 9 *", 'Cron needs 5 fields (minute hour day month weekday), got 3: "0 9 *"'),
    ("0 0 9 * * 1", "got 6"),
    ("0 0 9 * * 1 2027", "Seconds and years are not supported"),
    ("60 * * * *", 'Bad minute field "60": minute must be 0-59'),
    ("0 24 * * *", 'Bad hour field "24": hour must be 0-23'),
    ("0 0 0 * *", "day of month must be 1-31"),
    ("0 0 32 * *", "day of month must be 1-31"),
    ("0 0 * 13 *", "month must be 1-12"),
    ("0 0 * * 8", "weekday must be 0-7"),
    ("0 0 * * mon-xyz", 'unknown name "xyz"'),
    ("0 0 * foo *", 'unknown name "foo"; use jan..dec'),
    ("*/0 * * * *", "a minute step must be 1 to 60"),
    ("5-1 * * * *", "the range 5-1 runs backwards"),
    ("0 9 L/2 * *", "L and # cannot take a step"),
    ("0 9 ? * 1", "W and ? are not supported"),
    ("0 9 * * 1#6", "the week must be 1 to 5"),
    ("0 9 15W * *", "W and ? are not supported"),
    ("0 9 1,,2 * *", "an empty list item"),
    ("@reboot", 'Unknown cron shortcut "@reboot"'),
    ("0 9 31 4,6,9,11 *", "never fires"),
    ("0 9 30 2 *", "never fires"),
    ("a b c d e", 'Could not read "a b c d e" as a schedule'),
    ("0 9 * * mon-", '"mon-" is not a value, range (a-b) or step (*/n)'),
    ("*-5 * * * *", "'*' cannot start a range"),
    ("0 mon * * *", "hour must be a number 0-23"),
    ("1.5 * * * *", "is not a value"),
    ("0 9 * * 1/99999", "a weekday step must be 1 to 8"),
    ("99999999999 * * * *", "minute must be 0-59"),
]


@pytest.mark.parametrize(("text", "spec", "first"), VALID, ids=[row[0] for row in VALID])
def test_valid_cron(text: str, spec: str, first: str) -> None:
    schedule = parse_cron(text, "UTC")
    assert schedule.kind == "cron"
    assert schedule.spec == spec
    assert schedule.next_after(NOW) == Z(first)
    assert parse_cron(schedule.spec, "UTC") == schedule  # the spec round-trips


@pytest.mark.parametrize(("text", "fragment"), INVALID, ids=[row[0] or "empty" for row in INVALID])
def test_invalid_cron(text: str, fragment: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_cron(text, "UTC")
    assert fragment in str(caught.value)
    assert caught.value.example  # every error shows a valid example
    assert str(caught.value).endswith(f" Example: {caught.value.example}")


def test_table_sizes() -> None:
    assert len(VALID) >= 25 and len(INVALID) >= 25


def test_unknown_zone_is_refused() -> None:
    with pytest.raises(ScheduleError, match='Unknown timezone "Mars/Base"'):
        parse_cron("0 9 * * *", "Mars/Base")


# --------------------------------------------------------------------------- weekday numbering

WEEKDAYS = [
    ("0", {"Sunday"}),
    ("7", {"Sunday"}),
    ("sun", {"Sunday"}),
    ("1", {"Monday"}),
    ("1-5", {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}),
    ("mon-fri", {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}),
    ("*/2", {"Sunday", "Tuesday", "Thursday", "Saturday"}),
    ("1-7/2", {"Monday", "Wednesday", "Friday", "Sunday"}),
    ("sat,sun", {"Saturday", "Sunday"}),
    ("sat-sun", {"Saturday", "Sunday"}),
    ("5-7", {"Friday", "Saturday", "Sunday"}),
    ("0-7", {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}),
    ("6,0", {"Saturday", "Sunday"}),
]


@pytest.mark.parametrize(("field", "days"), WEEKDAYS, ids=[row[0] for row in WEEKDAYS])
def test_weekday_numbering(field: str, days: set[str]) -> None:
    schedule = parse_cron(f"0 9 * * {field}", "Europe/Berlin")
    fires = schedule.upcoming(NOW, 14)
    local = {fire.astimezone(schedule._tz).strftime("%A") for fire in fires}
    assert local == days
    assert all(fire.astimezone(schedule._tz).hour == 9 for fire in fires)


OR_RULE = [
    # 13th OR Friday: November 2026's Fridays are 6, 13, 20, 27; December 13th is a Sunday
    ("0 9 13 * 5", "2026-11-01", ["2026-11-06", "2026-11-13", "2026-11-20", "2026-11-27",
                                   "2026-12-04", "2026-12-11", "2026-12-13", "2026-12-18"]),
    ("0 9 1 * mon", "2026-06-01", ["2026-06-08", "2026-06-15", "2026-06-22", "2026-06-29",
                                    "2026-07-01", "2026-07-06"]),
    # the first seven days OR any Monday (APScheduler alone would AND them)
    ("0 9 1-7 * 1", "2026-06-20", ["2026-06-22", "2026-06-29", "2026-07-01", "2026-07-02",
                                    "2026-07-03"]),
    # a day field starting with "*" (cronie's star) means AND: odd days that are Mondays
    ("0 9 */2 * 1", "2026-06-01", ["2026-06-15", "2026-06-29", "2026-07-13"]),
    # only one field restricted: plain AND with "every day"
    ("0 9 * * 1", "2026-06-01", ["2026-06-08", "2026-06-15"]),
    ("0 9 13 * *", "2026-06-01", ["2026-06-13", "2026-07-13"]),
    # February 30 never matches, but Sundays do
    ("0 9 30 2 0", "2027-02-01", ["2027-02-07", "2027-02-14"]),
]  # fmt: skip


@pytest.mark.parametrize(("cron", "after", "days"), OR_RULE, ids=[row[0] for row in OR_RULE])
def test_day_of_month_or_weekday(cron: str, after: str, days: list[str]) -> None:
    schedule = parse_cron(cron, "UTC")
    start = datetime.fromisoformat(after).replace(hour=9, tzinfo=UTC)
    fires = schedule.upcoming(start, len(days))
    assert [fire.date().isoformat() for fire in fires] == days


# --------------------------------------------------------------------------- objects


def test_equal_specs_share_one_object() -> None:
    first = parse_cron("0 9 * * 1-5", "Europe/Berlin")
    assert parse_cron(" 0 9 * *  1-5", "europe/berlin") is first
    restored = schedule_from_spec("cron", "0 9 * * 1-5", "Europe/Berlin", anchor=NOW)
    assert restored is first
    assert hash(first) == hash(CronSchedule("0 9 * * 1-5", "Europe/Berlin"))
    assert first != parse_cron("0 9 * * 1-5", "UTC")


def test_all_kinds_satisfy_the_schedule_protocol() -> None:
    kinds = [
        parse_cron("0 9 * * *", "UTC"),
        schedule_from_spec("interval", "90m", "UTC", anchor=NOW),
        schedule_from_spec("date", "2026-12-24T17:00:00Z", "UTC", anchor=NOW),
    ]
    assert [schedule.kind for schedule in kinds] == ["cron", "interval", "date"]
    assert all(isinstance(schedule, Schedule) for schedule in kinds)


def test_schedule_is_immutable_and_picklable() -> None:
    schedule = parse_cron("0 9 * * 1-5", "Europe/Berlin", end=Z("2027-01-01T00:00:00Z"))
    with pytest.raises(AttributeError):
        schedule.spec = "* * * * *"  # type: ignore[misc]
    copy = pickle.loads(pickle.dumps(schedule))
    assert copy == schedule
    assert copy.next_after(NOW) == schedule.next_after(NOW)


def test_end_stops_the_schedule() -> None:
    schedule = parse_cron("0 9 * * *", "UTC", end=Z("2026-06-03T09:00:00Z"))
    assert schedule.upcoming(NOW, 10) == [
        Z("2026-06-01T09:00:00Z"),
        Z("2026-06-02T09:00:00Z"),
        Z("2026-06-03T09:00:00Z"),
    ]
    assert schedule.next_after(Z("2026-06-03T09:00:00Z")) is None


def test_next_fire_includes_now_and_follows_previous() -> None:
    schedule = parse_cron("0 9 * * *", "UTC")
    nine = Z("2026-06-01T09:00:00Z")
    assert schedule.next_fire(None, nine) == nine
    assert schedule.next_fire(None, nine.replace(microsecond=1)) == Z("2026-06-02T09:00:00Z")
    assert schedule.next_fire(nine, Z("2026-06-05T00:00:00Z")) == Z("2026-06-02T09:00:00Z")


def test_any_input_zone_gives_utc_output() -> None:
    schedule = parse_cron("0 9 * * *", "Asia/Tokyo")
    after = datetime.fromisoformat("2026-06-01T08:00:00+09:00")
    fire = schedule.next_after(after)
    assert fire == Z("2026-06-01T00:00:00Z")
    assert fire is not None and fire.tzinfo is UTC


def test_naive_instant_is_refused() -> None:
    with pytest.raises(ScheduleError, match="no timezone"):
        parse_cron("0 9 * * *", "UTC").next_after(datetime(2026, 6, 1))


def test_far_future_ends_quietly() -> None:
    schedule = parse_cron("0 0 29 2 *", "Pacific/Kiritimati")
    assert schedule.next_after(datetime(9999, 3, 1, tzinfo=UTC)) is None
    assert (
        parse_cron("* * * * *", "UTC").next_after(datetime(9999, 12, 31, 23, 59, tzinfo=UTC))
        is None
    )
