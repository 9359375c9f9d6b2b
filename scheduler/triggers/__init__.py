"""The three schedule kinds (cron, interval, date) and rebuilding them from storage."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from scheduler.errors import ScheduleError
from scheduler.timezones import load_zone
from scheduler.triggers.base import Schedule, ScheduleBase
from scheduler.triggers.cron import CronSchedule, parse_cron
from scheduler.triggers.date import DateSchedule, date_spec, parse_date_schedule, parse_when
from scheduler.triggers.interval import IntervalSchedule, interval_spec, parse_interval

__all__ = [
    "KINDS",
    "CronSchedule",
    "DateSchedule",
    "IntervalSchedule",
    "Schedule",
    "ScheduleBase",
    "date_spec",
    "interval_spec",
    "parse_cron",
    "parse_date_schedule",
    "parse_interval",
    "parse_when",
    "schedule_from_spec",
]

KINDS = ("cron", "date", "interval")


def schedule_from_spec(
    kind: str,
    spec: str,
    zone: str,
    *,
    anchor: datetime,
    end: datetime | None = None,
    start: datetime | None = None,
) -> Schedule:
    """Rebuild a schedule from what storage holds, without the checks made at creation.

    No past-time check for dates and no minimum-interval check, so a task stored under other
    settings still loads. Equal cron and date specs share one object.

    Parameters:
        kind: ``cron``, ``date`` or ``interval``.
        spec: the stored canonical text (``Schedule.spec``).
        zone: the task's effective IANA zone.
        anchor: the task's creation time (the origin of an interval without ``start``).
        end: the task's end, if any (ignored for dates).
        start: an interval's start, if the task has one.

    Raises:
        ScheduleError: the kind, spec or zone is not valid.
    """
    if kind == "cron":
        return parse_cron(spec, zone, end=end)
    if kind == "interval":
        return IntervalSchedule(spec, zone, anchor, start, end)
    if kind == "date":
        return _date_schedule(spec, load_zone(zone).key)
    shown = kind if isinstance(kind, str) and len(kind) <= 20 else "?"
    raise ScheduleError(
        f'Unknown schedule kind "{shown}"; use cron, date or interval.', example="cron"
    )


@lru_cache(maxsize=16384)
def _date_schedule(spec: str, zone: str) -> DateSchedule:
    return DateSchedule(spec, zone)
