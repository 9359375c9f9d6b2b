"""Interval schedules: a fixed period from an origin.

A period written only in days and weeks (``1d``, ``2w``) is a *calendar* interval: it keeps
the origin's local wall-clock time across DST changes, with the fixed-time rules. Any other
period (``36h``, ``1d12h``, ``90m``, ``24h``) is *elapsed* time: pure UTC arithmetic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from scheduler.describe import describe_interval, format_local
from scheduler.errors import ScheduleError
from scheduler.parsing import UNIT_SECONDS, duration_spec, parse_duration_parts
from scheduler.timezones import fixed_instant, load_zone, local_wall, require_aware
from scheduler.triggers.base import ScheduleBase, utc_whole, within_end

__all__ = ["IntervalSchedule", "interval_spec", "parse_interval", "parse_interval_spec"]

INTERVAL_EXAMPLE = "90m"
_EVERY_UNIT = {
    "every second": "1s",
    "every minute": "1m",
    "every hour": "1h",
    "hourly": "1h",
    "every day": "1d",
    "daily": "1d",
    "every week": "1w",
    "weekly": "1w",
}
_EVERY = re.compile(r"^every\s+", re.IGNORECASE)


def parse_interval_spec(text: str) -> tuple[str, dict[str, int]]:
    """Read interval text (``90m``, ``every 2 hours``, ``1d 12h``, ``daily``) into its spec."""
    if not isinstance(text, str) or not text.strip():
        raise ScheduleError("An interval is needed.", example=INTERVAL_EXAMPLE)
    lowered = " ".join(text.lower().split())
    lowered = _EVERY_UNIT.get(lowered, lowered)
    lowered = _EVERY.sub("", lowered)
    parts = parse_duration_parts(lowered)
    return duration_spec(parts), parts


def interval_spec(
    *, weeks: int = 0, days: int = 0, hours: int = 0, minutes: int = 0, seconds: int = 0
) -> str:
    """The spec for an interval given in units, e.g. ``interval_spec(hours=2, minutes=30)``."""
    parts = {"w": weeks, "d": days, "h": hours, "m": minutes, "s": seconds}
    if any(not isinstance(amount, int) or amount < 0 for amount in parts.values()):
        raise ScheduleError("Interval amounts must be whole numbers >= 0.", example="hours=2")
    spec = duration_spec(parts)
    if not spec:
        raise ScheduleError("An interval must be longer than zero.", example="minutes=90")
    parse_duration_parts(spec)  # the same bounds as typed text
    return spec


@dataclass(frozen=True, slots=True)
class IntervalSchedule(ScheduleBase):
    """Fires at ``start, start+p, ...``; without ``start`` at ``anchor+p, anchor+2p, ...``."""

    kind: ClassVar[str] = "interval"
    spec: str
    zone: str
    anchor: datetime
    start: datetime | None = None
    end: datetime | None = None
    period: timedelta = field(init=False, compare=False)
    calendar: bool = field(init=False, compare=False)
    _parts: dict[str, int] = field(init=False, repr=False, compare=False)
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)
    _wall: datetime = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        spec, parts = parse_interval_spec(self.spec)
        tz = load_zone(self.zone)
        setattr_ = object.__setattr__
        setattr_(self, "spec", spec)
        setattr_(self, "zone", tz.key)
        setattr_(self, "anchor", utc_whole(self.anchor, "anchor"))
        if self.start is not None:
            setattr_(self, "start", utc_whole(self.start, "start"))
        if self.end is not None:
            setattr_(self, "end", utc_whole(self.end, "end"))
        setattr_(
            self, "period", timedelta(seconds=sum(UNIT_SECONDS[u] * n for u, n in parts.items()))
        )
        setattr_(self, "calendar", set(parts) <= {"w", "d"})
        setattr_(self, "_parts", parts)
        setattr_(self, "_tz", tz)
        setattr_(self, "_wall", local_wall(self.origin, tz))

    def __reduce__(self) -> tuple[object, ...]:
        return (IntervalSchedule, (self.spec, self.zone, self.anchor, self.start, self.end))

    @property
    def origin(self) -> datetime:
        """``start`` when given, else ``anchor`` (the creation time)."""
        return self.start if self.start is not None else self.anchor

    @property
    def first_fire(self) -> datetime:
        """``start`` when given, else one period after ``anchor``."""
        return self._fire(self._first_index)

    @property
    def _first_index(self) -> int:
        return 0 if self.start is not None else 1

    def _fire(self, index: int) -> datetime:
        if index == 0:
            return self.origin
        if not self.calendar:
            return self.origin + self.period * index
        return fixed_instant(self._wall + timedelta(days=self.period.days * index), self._tz)

    def next_after(self, instant: datetime) -> datetime | None:
        """The first fire strictly after ``instant``, or None past ``end``."""
        after = require_aware(instant, "instant")
        try:
            return within_end(self._next(after), self.end)
        except OverflowError:
            return None

    def _next(self, after: datetime) -> datetime:
        first = self._first_index
        if after < self.origin:
            return self._fire(first)
        if not self.calendar:
            return self._fire(max(first, (after - self.origin) // self.period + 1))
        elapsed_days = (local_wall(after, self._tz).date() - self._wall.date()).days
        index = max(first, elapsed_days // self.period.days - 1)
        while (fire := self._fire(index)) <= after:
            index += 1
        return fire

    def describe(self) -> str:
        """``Every 90 minutes``, ``Every day at 02:30``, ``Every 2 weeks on Friday at 09:00``."""
        return describe_interval(self._parts, self.calendar, self._wall)


def parse_interval(
    text: str,
    zone: str,
    *,
    anchor: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
    min_seconds: int = 60,
) -> IntervalSchedule:
    """Parse an interval such as ``90m``, ``1d12h``, ``2w`` or ``every 2 hours``.

    Parameters:
        anchor: the creation time; without ``start`` the first run is ``anchor + period``.
        start: the first run, when the user gave one.
        end: no fire after this instant.
        min_seconds: shorter periods are refused.

    Raises:
        ScheduleError: bad text, zone, bounds, or a period below ``min_seconds``.
    """
    spec, parts = parse_interval_spec(text)
    seconds = sum(UNIT_SECONDS[unit] * amount for unit, amount in parts.items())
    if seconds < min_seconds:
        minimum = _largest_units(min_seconds)
        raise ScheduleError(
            f'Intervals must be at least {min_seconds} seconds ({minimum}); "{spec}" is shorter.',
            example=INTERVAL_EXAMPLE if min_seconds <= 5400 else minimum,
        )
    schedule = IntervalSchedule(spec, zone, anchor, start, end)
    first = schedule.first_fire
    if schedule.end is not None and schedule.end < first:
        raise ScheduleError(
            f"The end ({format_local(schedule.end, schedule.zone)}) is before the first run "
            f"({format_local(first, schedule.zone)}), so the interval would never fire.",
            example=f"end {format_local(first + schedule.period, schedule.zone)}",
        )
    return schedule


def _largest_units(seconds: int) -> str:
    parts: dict[str, int] = {}
    for unit in ("d", "h", "m", "s"):
        parts[unit], seconds = divmod(seconds, UNIT_SECONDS[unit])
    return duration_spec(parts) or "0s"
