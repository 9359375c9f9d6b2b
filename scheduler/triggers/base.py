"""The interface every schedule kind implements, and what they share."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from scheduler.timezones import UTC, require_aware

__all__ = ["MAX_UPCOMING", "Schedule", "ScheduleBase", "within_end"]

MAX_UPCOMING = 1000
_EPSILON = timedelta(microseconds=1)


@runtime_checkable
class Schedule(Protocol):
    """When a task fires. Immutable and hashable; every instant out is aware UTC."""

    @property
    def kind(self) -> str:
        """``"cron"``, ``"date"`` or ``"interval"``."""
        ...

    @property
    def spec(self) -> str:
        """Canonical text to store; ``schedule_from_spec`` rebuilds the schedule from it."""
        ...

    @property
    def zone(self) -> str:
        """The IANA name of the zone the schedule is read in."""
        ...

    @property
    def end(self) -> datetime | None:
        """No fire after this instant (inclusive bound), or None."""
        ...

    def next_after(self, instant: datetime) -> datetime | None:
        """The first fire strictly after ``instant``; None when there are no more."""
        ...

    def next_fire(self, previous: datetime | None, now: datetime) -> datetime | None:
        """The first fire at or after ``now`` when ``previous`` is None, else after ``previous``."""
        ...

    def upcoming(self, after: datetime, count: int) -> list[datetime]:
        """The next ``count`` fires after ``after`` (fewer when the schedule ends)."""
        ...

    def describe(self) -> str:
        """A readable sentence such as ``At 08:00, Monday through Friday``."""
        ...


class ScheduleBase:
    """``next_fire`` and ``upcoming`` written once in terms of ``next_after``."""

    __slots__ = ()

    def next_after(self, instant: datetime) -> datetime | None:
        raise NotImplementedError

    def next_fire(self, previous: datetime | None, now: datetime) -> datetime | None:
        """The first fire at or after ``now`` when ``previous`` is None, else after ``previous``."""
        if previous is not None:
            return self.next_after(previous)
        return self.next_after(require_aware(now, "current time") - _EPSILON)

    def upcoming(self, after: datetime, count: int) -> list[datetime]:
        """The next ``count`` (at most 1000) fires after ``after``."""
        fires: list[datetime] = []
        cursor: datetime | None = after
        for _ in range(max(0, min(count, MAX_UPCOMING))):
            cursor = self.next_after(cursor) if cursor is not None else None
            if cursor is None:
                break
            fires.append(cursor)
        return fires


def within_end(fire: datetime | None, end: datetime | None) -> datetime | None:
    """``fire`` unless it is None or later than ``end``."""
    if fire is None or (end is not None and fire > end):
        return None
    return fire


def utc_whole(value: datetime, what: str) -> datetime:
    """An aware datetime as UTC with the sub-second part dropped."""
    return require_aware(value, what).replace(microsecond=0).astimezone(UTC)
