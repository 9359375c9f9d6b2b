"""Public entry point of the pure time logic: parse user text, rebuild stored schedules.

Nothing here does I/O or reads the clock: every function takes ``now`` or ``anchor``.
The implementation lives in ``scheduler.triggers``; see ``docs/SCHEDULING.md`` for the rules.
"""

from __future__ import annotations

from scheduler.errors import ScheduleError
from scheduler.parsing import parse_duration
from scheduler.timezones import load_zone, zone_suggestions
from scheduler.triggers import (
    KINDS,
    CronSchedule,
    DateSchedule,
    IntervalSchedule,
    Schedule,
    date_spec,
    interval_spec,
    parse_cron,
    parse_date_schedule,
    parse_interval,
    parse_when,
    schedule_from_spec,
)

__all__ = [
    "KINDS",
    "CronSchedule",
    "DateSchedule",
    "IntervalSchedule",
    "Schedule",
    "ScheduleError",
    "date_spec",
    "interval_spec",
    "load_zone",
    "parse_cron",
    "parse_date_schedule",
    "parse_duration",
    "parse_interval",
    "parse_when",
    "schedule_from_spec",
    "zone_suggestions",
]
