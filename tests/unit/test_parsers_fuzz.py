"""Property tests: no input makes a parser raise anything but ScheduleError, and cron schedules
agree with a brute-force minute-by-minute reference around DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.errors import ScheduleError
from scheduler.parsing import parse_cron_fields
from scheduler.schedules import (
    load_zone,
    parse_cron,
    parse_date_schedule,
    parse_duration,
    parse_interval,
    parse_when,
    schedule_from_spec,
    zone_suggestions,
)
from scheduler.timezones import fixed_instant

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Australia/Adelaide", "Australia/Lord_Howe"]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def only_schedule_errors(call: object, *args: object, **kwargs: object) -> None:
    try:
        call(*args, **kwargs)  # type: ignore[operator]
    except ScheduleError as error:
        assert error.message
        assert str(error).startswith(error.message)


@FUZZ
@given(st.text())
def test_any_text_cron(text: str) -> None:
    only_schedule_errors(parse_cron, text, "UTC")


@FUZZ
@given(st.text())
def test_any_text_interval(text: str) -> None:
    only_schedule_errors(parse_interval, text, "UTC", anchor=NOW)
    only_schedule_errors(parse_duration, text)


@FUZZ
@given(st.text())
def test_any_text_when(text: str) -> None:
    only_schedule_errors(parse_when, text, "Europe/Berlin", now=NOW)
    only_schedule_errors(parse_date_schedule, text, "UTC", now=NOW)


@FUZZ
@given(st.text(), st.sampled_from(["cron", "date", "interval", "weekly"]))
def test_any_text_stored_spec(text: str, kind: str) -> None:
    only_schedule_errors(schedule_from_spec, kind, text, "UTC", anchor=NOW)


@FUZZ
@given(st.text())
def test_any_text_zone(text: str) -> None:
    only_schedule_errors(load_zone, text)
    only_schedule_errors(parse_cron, "0 9 * * *", text)
    assert len(zone_suggestions(text)) <= 25


CRON_PIECES = [
    "*", "*/", "/", "-", ",", "0", "1", "2", "5", "7", "8", "12", "13", "23", "24", "29", "30",
    "31", "32", "59", "60", "99", "00", "mon", "fri", "sun", "sat", "jan", "feb", "dec", "L",
    "W", "#", "?", "x", "@daily", "@reboot", "@", " ", "\t", "\u00b2", "\u0663",
]  # fmt: skip
cron_field = st.lists(st.sampled_from(CRON_PIECES), min_size=1, max_size=5).map("".join)
cron_text = st.lists(cron_field, min_size=1, max_size=7).map(" ".join)


@settings(max_examples=500, deadline=None)
@given(cron_text, st.sampled_from(ZONES), st.datetimes(min_value=datetime(2000, 1, 1)))
def test_cronish_tokens(text: str, zone: str, when: datetime) -> None:
    try:
        schedule = parse_cron(text, zone)
    except ScheduleError:
        return
    after = when.replace(tzinfo=UTC)
    fires = schedule.upcoming(after, 3)
    assert all(fire > after and fire.tzinfo is UTC for fire in fires)
    assert fires == sorted(set(fires))
    assert isinstance(schedule.describe(), str)
    assert parse_cron(schedule.spec, zone) is schedule


DURATION_PIECES = ["1", "2", "30", "90", "0", "-", ".", "5", "s", "m", "h", "d", "w", "y", " ",
                   "min", "hours", "and", ",", "every ", "in ", "an ", "day"]  # fmt: skip
WHEN_PIECES = [
    "2026-12-24", "2027-03-14", "0001-01-01", "9999-12-31", " ", "T", "18:00", "02:30", "24:00",
    ":30", "+01:00", "-05:00", "Z", "utc", "9am", "12pm", "13pm", "noon", "midnight", "tomorrow",
    "today", "tonight", "next", "friday", "mon", "at", "on", "in", "2h30m", "45 seconds", "dec",
    "24th", "2026", ",", "feb 29", "9",
]  # fmt: skip


@FUZZ
@given(st.lists(st.sampled_from(DURATION_PIECES), min_size=1, max_size=8).map("".join))
def test_durationish_tokens(text: str) -> None:
    only_schedule_errors(parse_interval, text, "Europe/Berlin", anchor=NOW, min_seconds=1)


@FUZZ
@given(
    st.lists(st.sampled_from(WHEN_PIECES), min_size=1, max_size=6).map(" ".join),
    st.sampled_from(ZONES),
    st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2090, 1, 1)),
)
def test_whenish_tokens(text: str, zone: str, now: datetime) -> None:
    aware_now = now.replace(tzinfo=UTC)
    try:
        instant = parse_when(text, zone, now=aware_now)
    except ScheduleError:
        return
    assert instant >= aware_now.replace(microsecond=0)
    assert instant.tzinfo is UTC and instant.microsecond == 0


# --------------------------------------------------------------------------- brute force

# Around these instants the local clock jumps (UTC): spring and fall for each zone.
TRANSITIONS = [
    ("America/New_York", datetime(2027, 3, 14, 7, 0, tzinfo=UTC)),
    ("America/New_York", datetime(2026, 11, 1, 6, 0, tzinfo=UTC)),
    ("Europe/Berlin", datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),
    ("Europe/Berlin", datetime(2026, 10, 25, 1, 0, tzinfo=UTC)),
    ("Australia/Adelaide", datetime(2026, 10, 3, 16, 30, tzinfo=UTC)),
    ("Australia/Adelaide", datetime(2027, 4, 3, 16, 30, tzinfo=UTC)),
    ("Australia/Lord_Howe", datetime(2026, 10, 3, 15, 30, tzinfo=UTC)),  # a 30-minute shift
    ("Australia/Lord_Howe", datetime(2027, 4, 3, 15, 0, tzinfo=UTC)),
]
MINUTES = ["*", "*/15", "0", "30", "0,30", "*/7", "45", "15-20"]
HOURS = ["*", "*/2", "1", "2", "1-3", "0,2", "3"]
DAYS = ["*", "1", "*/2", "1-7"]
WEEKDAYS = ["*", "0", "1-5", "sun", "*/3", "6"]
WINDOW = timedelta(hours=6)


def brute_force(spec: str, zone: str, start: datetime, end: datetime) -> list[datetime]:
    """Every fire in ``(start, end)`` by checking each minute (repeating) or each wall (fixed)."""
    fields = parse_cron_fields(spec)
    tz = load_zone(zone)

    def matches(wall: datetime) -> bool:
        day_ok = wall.day in fields.days
        weekday_ok = wall.isoweekday() % 7 in fields.weekdays
        either = fields.day_or_weekday  # cron's OR rule when both day fields are restricted
        on_day = (day_ok or weekday_ok) if either else (day_ok and weekday_ok)
        return (
            wall.minute in fields.minutes
            and wall.hour in fields.hours
            and wall.month in fields.months
            and on_day
        )

    fires: set[datetime] = set()
    if fields.repeating:
        instant = start.replace(second=0) + timedelta(minutes=1)
        while instant < end:
            if matches(instant.astimezone(tz).replace(tzinfo=None)):
                fires.add(instant)
            instant += timedelta(minutes=1)
    else:
        wall = (start - timedelta(hours=3)).astimezone(tz).replace(tzinfo=None, second=0)
        last = (end + timedelta(hours=3)).astimezone(tz).replace(tzinfo=None)
        while wall < last:
            if matches(wall):
                fire = fixed_instant(wall, tz)
                if start < fire < end:
                    fires.add(fire)
            wall += timedelta(minutes=1)
    return sorted(fires)


@settings(max_examples=120, deadline=None)
@given(
    st.sampled_from(TRANSITIONS),
    st.sampled_from(MINUTES),
    st.sampled_from(HOURS),
    st.sampled_from(DAYS),
    st.sampled_from(WEEKDAYS),
    st.integers(min_value=0, max_value=59),
)
def test_cron_matches_brute_force_around_dst(
    transition: tuple[str, datetime], minute: str, hour: str, day: str, weekday: str, jitter: int
) -> None:
    zone, instant = transition
    spec = f"{minute} {hour} {day} * {weekday}"
    start = instant - WINDOW + timedelta(minutes=jitter)
    end = instant + WINDOW
    schedule = parse_cron(spec, zone)
    ours: list[datetime] = []
    cursor = schedule.next_after(start)
    while cursor is not None and cursor < end:
        ours.append(cursor)
        cursor = schedule.next_after(cursor)
    assert ours == brute_force(spec, zone, start, end)
