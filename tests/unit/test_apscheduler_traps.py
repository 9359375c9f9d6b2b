"""APScheduler 3.11 trigger traps: what raw APScheduler does, and what our wrapper does instead.

Each test first asserts the raw (surprising) behaviour, so it documents the trap and fails loudly
if a new APScheduler release changes it, then asserts that ``scheduler.schedules`` gets it right.
The engine-level traps (misfire_grace_time, max_instances, coalesce, re-adding jobs without
their next_run_time, pickling) belong to the engine's tests.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from zoneinfo import ZoneInfo

import apscheduler.triggers.date as aps_date
import pytest
import pytz
from apscheduler.triggers.calendarinterval import CalendarIntervalTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from scheduler.errors import ScheduleError
from scheduler.schedules import load_zone, parse_cron, parse_interval

NY = "America/New_York"
NY_TZ = ZoneInfo(NY)


def Z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def raw_fires(
    trigger: CronTrigger | CalendarIntervalTrigger, now: datetime, count: int
) -> list[datetime]:
    fires: list[datetime] = []
    previous = None
    for _ in range(count):
        previous = trigger.get_next_fire_time(previous, previous or now)
        assert previous is not None
        fires.append(previous.astimezone(UTC))
    return fires


def test_pinned_apscheduler_is_a_fixed_release() -> None:
    # 3.11.0 to 3.11.2 hang at the autumn DST change; 4.x is a different API.
    major, minor, patch = (int(part) for part in version("apscheduler").split(".")[:3])
    assert (major, minor) == (3, 11) and patch >= 3
    trigger = CronTrigger.from_crontab("30 1 * * *", timezone=NY_TZ)
    started = time.monotonic()
    raw_fires(trigger, Z("2026-10-31T12:00:00Z"), 3)
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(
    ("field", "raw_days", "our_days"),
    [
        ("0", ["Monday"], ["Sunday"]),
        ("1-5", ["Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
         ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]),
        ("6", ["Sunday"], ["Saturday"]),
    ],
    ids=["0-is-monday", "1-5-is-tue-sat", "6-is-sunday"],
)  # fmt: skip
def test_from_crontab_counts_weekday_zero_as_monday(
    field: str, raw_days: list[str], our_days: list[str]
) -> None:
    now = Z("2026-06-07T12:00:00Z")  # Sunday, after 09:00 New York time
    raw = CronTrigger.from_crontab(f"0 9 * * {field}", timezone=NY_TZ)
    raw_names = [
        fire.astimezone(NY_TZ).strftime("%A") for fire in raw_fires(raw, now, len(raw_days))
    ]
    assert raw_names == raw_days
    ours = parse_cron(f"0 9 * * {field}", NY).upcoming(now, len(our_days))
    assert [fire.astimezone(NY_TZ).strftime("%A") for fire in ours] == our_days


def test_cron_trigger_ands_day_of_month_and_weekday() -> None:
    now = Z("2026-06-01T00:00:00Z")
    raw = CronTrigger(hour=9, minute=0, day="1-7", day_of_week="mon", timezone=UTC)
    # raw: only a Monday within the first seven days of a month
    assert raw_fires(raw, now, 2) == [Z("2026-06-01T09:00:00Z"), Z("2026-07-06T09:00:00Z")]
    ours = parse_cron("0 9 1-7 * 1", "UTC").upcoming(now, 3)
    # ours (cron's OR rule): any of the first seven days, or any Monday
    assert ours == [Z("2026-06-01T09:00:00Z"), Z("2026-06-02T09:00:00Z"), Z("2026-06-03T09:00:00Z")]


def test_cron_time_in_spring_gap() -> None:
    now = Z("2027-03-13T12:00:00Z")
    raw = raw_fires(CronTrigger.from_crontab("30 2 * * *", timezone=NY_TZ), now, 1)
    assert raw == [Z("2027-03-14T07:30:00Z")]  # 03:30 EDT: half an hour late
    assert parse_cron("30 2 * * *", NY).next_after(now) == Z("2027-03-14T07:00:00Z")  # 03:00 EDT


def test_cron_time_in_repeated_hour() -> None:
    now = Z("2026-10-31T12:00:00Z")
    raw = raw_fires(CronTrigger.from_crontab("30 1 * * *", timezone=NY_TZ), now, 3)
    # raw: 01:30 EDT and again 01:30 EST
    assert raw == [Z("2026-11-01T05:30:00Z"), Z("2026-11-01T06:30:00Z"), Z("2026-11-02T06:30:00Z")]
    ours = parse_cron("30 1 * * *", NY).upcoming(now, 2)
    assert ours == [Z("2026-11-01T05:30:00Z"), Z("2026-11-02T06:30:00Z")]


def test_calendar_interval_skips_the_spring_day() -> None:
    now = Z("2027-03-12T00:00:00Z")
    raw_trigger = CalendarIntervalTrigger(
        days=1, hour=2, minute=30, timezone=NY_TZ, start_date=datetime(2027, 3, 12).date()
    )
    raw = raw_fires(raw_trigger, now, 3)
    assert raw == [Z("2027-03-12T07:30:00Z"), Z("2027-03-13T07:30:00Z"), Z("2027-03-15T06:30:00Z")]
    ours = parse_interval("1d", NY, anchor=now, start=Z("2027-03-12T07:30:00Z")).upcoming(now, 4)
    assert ours == [
        Z("2027-03-12T07:30:00Z"),
        Z("2027-03-13T07:30:00Z"),
        Z("2027-03-14T07:00:00Z"),
        Z("2027-03-15T06:30:00Z"),
    ]


def test_pytz_zone_as_tzinfo_has_a_local_mean_time_offset() -> None:
    pytz_zone = pytz.timezone(NY)
    wrong = datetime(2026, 6, 1, 9, 0, tzinfo=pytz_zone)
    assert str(wrong.utcoffset()) == "-1 day, 19:04:00"  # -04:56, New York's LMT of 1883
    zone = load_zone(NY)
    assert isinstance(zone, ZoneInfo)
    assert datetime(2026, 6, 1, 9, 0, tzinfo=zone).astimezone(UTC) == Z("2026-06-01T13:00:00Z")
    assert parse_cron("0 9 * * *", NY).next_after(Z("2026-06-01T00:00:00Z")) == Z(
        "2026-06-01T13:00:00Z"
    )


def test_naive_date_trigger_uses_the_host_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    naive = datetime(2026, 12, 24, 18, 0)
    monkeypatch.setattr(aps_date, "get_localzone", lambda: ZoneInfo("Asia/Tokyo"))
    in_tokyo = DateTrigger(run_date=naive).run_date.astimezone(UTC)
    monkeypatch.setattr(aps_date, "get_localzone", lambda: ZoneInfo("America/Los_Angeles"))
    in_los_angeles = DateTrigger(run_date=naive).run_date.astimezone(UTC)
    assert in_tokyo == Z("2026-12-24T09:00:00Z")
    assert in_los_angeles == Z("2026-12-25T02:00:00Z")
    # ours: no naive datetime is ever guessed at
    with pytest.raises(ScheduleError, match="no timezone"):
        parse_interval("1h", NY, anchor=naive)
    with pytest.raises(ScheduleError, match="no timezone"):
        parse_cron("0 9 * * *", NY).next_after(naive)


def test_apscheduler_reads_the_wall_clock_but_our_time_logic_never_does() -> None:
    import apscheduler.schedulers.base as aps_base

    assert "datetime.now(" in Path(aps_base.__file__).read_text(encoding="utf-8")
    root = Path(__file__).resolve().parents[2] / "scheduler"
    ours = [
        root / "errors.py",
        root / "timezones.py",
        root / "parsing.py",
        root / "describe.py",
        root / "schedules.py",
        *sorted((root / "triggers").glob("*.py")),
    ]
    clock_reads = re.compile(r"\b(datetime\.(now|utcnow|today)|date\.today|time\.time)\(")
    for path in ours:
        assert not clock_reads.search(path.read_text(encoding="utf-8")), path
