"""Cron schedules: 5-field crontab read in an IANA zone, with Linux cron's (cronie's) rules.

:class:`WallMatcher` enumerates matching *wall-clock* times (naive local times, so it never
sees a DST change), with cronie's rule for the two day fields and the ``L``, ``nL`` and
``n#k`` extensions. We then map each wall time to real instants (see ``docs/SCHEDULING.md``):

* fixed-time crontabs (minute and hour fields not starting with ``*``) fire once per wall
  time: at the first occurrence in a fall-back overlap, at the end of a spring-forward gap;
* repeating crontabs fire at every real instant whose wall time matches.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import ClassVar
from zoneinfo import ZoneInfo

from scheduler.describe import describe_cron
from scheduler.parsing import CronFields, parse_cron_fields
from scheduler.phrases import crontab_for
from scheduler.timezones import (
    fixed_instant,
    load_zone,
    local_wall,
    require_aware,
    wall_instants,
)
from scheduler.triggers.base import ScheduleBase, utc_whole, within_end

__all__ = ["CronSchedule", "WallMatcher", "parse_cron"]

_MINUTE = timedelta(minutes=1)
_LAST_YEAR = 9999


class WallMatcher:
    """Finds matching naive wall-clock times for one crontab; shared by equal specs.

    Days come from :meth:`CronFields.days_in` (cronie's rule for the two day fields and the
    ``L``/``nL``/``n#k`` extensions), times of day from the sorted hour and minute lists.
    """

    __slots__ = ("_hours", "_minutes", "fields")

    def __init__(self, fields: CronFields) -> None:
        self.fields = fields
        self._hours = sorted(fields.hours)
        self._minutes = sorted(fields.minutes)

    def first_at_or_after(self, wall: datetime) -> datetime | None:
        """The first matching wall time at or after the naive ``wall``, or None."""
        year, month, day = wall.year, wall.month, wall.day
        hour, minute = wall.hour, wall.minute
        if wall.second or wall.microsecond:
            minute += 1
        months = self.fields.months
        while year <= _LAST_YEAR:
            if month in months:
                for found in self.fields.days_in(year, month):
                    if found < day:
                        continue
                    if found > day:
                        return datetime(year, month, found, self._hours[0], self._minutes[0])
                    at = self._time_at_or_after(hour, minute)
                    if at is not None:
                        return datetime(year, month, found, *at)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            day, hour, minute = 1, 0, 0
        return None

    def _time_at_or_after(self, hour: int, minute: int) -> tuple[int, int] | None:
        """The first (hour, minute) of the day at or after ``hour:minute``, or None."""
        if minute > 59:
            hour, minute = hour + 1, 0
        at = bisect_left(self._hours, hour)
        if at == len(self._hours):
            return None
        if self._hours[at] == hour:
            index = bisect_left(self._minutes, minute)
            if index < len(self._minutes):
                return hour, self._minutes[index]
            at += 1
            if at == len(self._hours):
                return None
        return self._hours[at], self._minutes[0]


@lru_cache(maxsize=8192)
def wall_matcher(spec: str) -> WallMatcher:
    """The (zone-independent) matcher for a crontab, one per distinct canonical text."""
    return WallMatcher(parse_cron_fields(spec))


@dataclass(frozen=True, slots=True)
class CronSchedule(ScheduleBase):
    """A crontab read in ``zone``; ``spec`` is the normalised 5-field text."""

    kind: ClassVar[str] = "cron"
    spec: str
    zone: str
    end: datetime | None = None
    _matcher: WallMatcher = field(init=False, repr=False, compare=False)
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        matcher = wall_matcher(parse_cron_fields(self.spec).spec)
        tz = load_zone(self.zone)
        object.__setattr__(self, "spec", matcher.fields.spec)
        object.__setattr__(self, "zone", tz.key)
        if self.end is not None:
            object.__setattr__(self, "end", utc_whole(self.end, "end"))
        object.__setattr__(self, "_matcher", matcher)
        object.__setattr__(self, "_tz", tz)

    def __reduce__(self) -> tuple[object, ...]:
        return (CronSchedule, (self.spec, self.zone, self.end))

    @property
    def fields(self) -> CronFields:
        """The parsed crontab fields."""
        return self._matcher.fields

    @property
    def repeating(self) -> bool:
        """True when minute or hour starts with ``*``: fires at every real matching instant."""
        return self._matcher.fields.repeating

    def next_after(self, instant: datetime) -> datetime | None:
        """The first fire strictly after ``instant``, or None past ``end``."""
        after = require_aware(instant, "instant")
        if self.end is not None and after >= self.end:
            return None
        try:
            if self._matcher.fields.repeating:
                fire = self._next_repeating(after)
            else:
                fire = self._next_fixed(after)
        except OverflowError:
            return None
        return within_end(fire, self.end)

    def _next_fixed(self, after: datetime) -> datetime | None:
        wall = local_wall(after, self._tz).replace(second=0, microsecond=0) + _MINUTE
        while True:
            found = self._matcher.first_at_or_after(wall)
            if found is None:
                return None
            fire = fixed_instant(found, self._tz)
            if fire > after:
                return fire
            wall = found + _MINUTE  # ``after`` was the second pass of an overlap

    def _next_repeating(self, after: datetime) -> datetime | None:
        local = after.astimezone(self._tz)
        wall = local.replace(tzinfo=None, second=0, microsecond=0)
        shift = _overlap_shift(local)
        # In the first pass of an overlap, earlier wall times still recur after ``after``.
        wall = wall - shift if shift else wall + _MINUTE
        best: datetime | None = None
        while True:
            found = self._matcher.first_at_or_after(wall)
            if found is None:
                return best
            instants = wall_instants(found, self._tz)
            if not instants:  # in a spring-forward gap: resume at its end
                wall = local_wall(fixed_instant(found, self._tz), self._tz)
                continue
            if best is not None and instants[0] >= best:
                return best
            candidate = next((fire for fire in instants if fire > after), None)
            if candidate is not None and (best is None or candidate < best):
                best = candidate
            if best is not None and best == instants[0]:
                return best  # later wall times all map to later instants
            wall = found + _MINUTE

    def describe(self) -> str:
        """For example ``At 08:00, Monday through Friday``."""
        return describe_cron(self.spec)


def _overlap_shift(local: datetime) -> timedelta:
    """How far the wall clock will fall back if ``local`` is a first pass of an overlap."""
    if local.fold:
        return timedelta(0)
    first = local.utcoffset()
    second = local.replace(fold=1).utcoffset()
    if first is None or second is None or first <= second:
        return timedelta(0)
    return first - second


def parse_cron(text: str, zone: str, *, end: datetime | None = None) -> CronSchedule:
    """Parse a 5-field crontab, an ``@alias`` or a plain-English phrase read in ``zone``.

    Parameters:
        text: e.g. ``0 9 * * 1-5``, ``*/15 * * * *``, ``@daily``, ``0 17 * * 5L``, or a phrase
            such as ``every weekday at 9:00`` (stored as its crontab); weekday 0 and 7 are
            Sunday.
        zone: an IANA name.
        end: no fire after this instant.

    Raises:
        ScheduleError: the text, zone or end cannot be used.
    """
    fields = parse_cron_fields(crontab_for(text))
    return cached_cron(
        fields.spec, load_zone(zone).key, None if end is None else utc_whole(end, "end")
    )


@lru_cache(maxsize=65536)
def cached_cron(spec: str, zone: str, end: datetime | None) -> CronSchedule:
    """One shared CronSchedule per (spec, zone, end)."""
    return CronSchedule(spec, zone, end)
