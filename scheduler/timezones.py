"""IANA timezones from the pinned ``tzdata`` package, and local wall time <-> UTC instants.

Zones are always loaded from the ``tzdata`` package (not the host's ``/usr/share/zoneinfo``),
so every machine computes the same instants whatever its operating system ships.
"""

from __future__ import annotations

import difflib
from datetime import UTC, datetime
from functools import cache, lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

import pytz

from scheduler.errors import ScheduleError

__all__ = [
    "UTC",
    "available_zones",
    "fixed_instant",
    "load_zone",
    "local_wall",
    "require_aware",
    "wall_instants",
    "zone_suggestions",
]

_EXAMPLE_ZONE = "Europe/Berlin"
_NOT_ZONES = frozenset({"Factory"})


@lru_cache(maxsize=1)
def available_zones() -> dict[str, str]:
    """Every zone name ``tzdata`` ships, keyed by its lower-case form."""
    text = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8")
    names = (line.strip() for line in text.splitlines())
    return {name.lower(): name for name in names if name and name not in _NOT_ZONES}


def load_zone(name: str) -> ZoneInfo:
    """Return the zone called ``name`` (an IANA name, case-insensitive).

    Raises:
        ScheduleError: the name is empty or not an IANA zone name.
    """
    if not isinstance(name, str) or not name.strip():
        raise ScheduleError(f"A timezone is needed. Use an IANA name such as {_EXAMPLE_ZONE}.")
    canonical = available_zones().get(name.strip().lower())
    if canonical is None:
        raise ScheduleError(_unknown_zone_message(name))
    return _load_canonical(canonical)


@cache
def _load_canonical(key: str) -> ZoneInfo:
    # One instance per key, read from the pinned tzdata package.
    path = resources.files("tzdata.zoneinfo").joinpath(*key.split("/"))
    with path.open("rb") as handle:
        return ZoneInfo.from_file(handle, key=key)


def _unknown_zone_message(name: str) -> str:
    shown = name if len(name) <= 60 else name[:57] + "..."
    message = f'Unknown timezone "{shown}". Use an IANA name such as {_EXAMPLE_ZONE}.'
    close = difflib.get_close_matches(name.strip(), pytz.common_timezones, n=1, cutoff=0.8)
    if close:
        message += f" Did you mean {close[0]}?"
    return message


def zone_suggestions(prefix: str, limit: int = 25) -> list[str]:
    """Zone names for autocomplete, best matches first.

    Names starting with ``prefix`` come first, then names with a part (after ``/``) starting
    with it, then names containing it anywhere. Case-insensitive; spaces match underscores.
    """
    if limit <= 0:
        return []
    needle = prefix.strip().lower().replace(" ", "_") if isinstance(prefix, str) else ""
    if not needle:
        return list(pytz.common_timezones[:limit])
    starts: list[str] = []
    part_starts: list[str] = []
    contains: list[str] = []
    for zone in pytz.common_timezones:
        lowered = zone.lower()
        if lowered.startswith(needle):
            starts.append(zone)
        elif any(part.startswith(needle) for part in lowered.split("/")[1:]):
            part_starts.append(zone)
        elif needle in lowered:
            contains.append(zone)
    return (starts + part_starts + contains)[:limit]


def require_aware(value: datetime, what: str) -> datetime:
    """Return ``value`` converted to UTC; refuse naive datetimes and non-datetimes."""
    if not isinstance(value, datetime):
        raise ScheduleError(f"The {what} must be a datetime, got {type(value).__name__}.")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ScheduleError(
            f"The {what} has no timezone ({value.isoformat()}); give an aware datetime.",
            example="datetime(2026, 12, 24, 17, 0, tzinfo=UTC)",
        )
    return value.astimezone(UTC)


def local_wall(instant: datetime, zone: ZoneInfo) -> datetime:
    """The naive local wall-clock time of an aware ``instant`` in ``zone``."""
    return instant.astimezone(zone).replace(tzinfo=None)


def _as_utc(wall: datetime, zone: ZoneInfo, fold: int) -> datetime:
    return wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)


def wall_instants(wall: datetime, zone: ZoneInfo) -> tuple[datetime, ...]:
    """Every real instant whose local time in ``zone`` is ``wall`` (naive), in order.

    Empty in a spring-forward gap, two instants in a fall-back overlap, else one.
    """
    first = _as_utc(wall, zone, 0)
    second = _as_utc(wall, zone, 1)
    if first == second:
        return (first,)
    if first < second:
        return (first, second)
    return ()


def fixed_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant a fixed-time schedule fires for local ``wall`` (naive) in ``zone``.

    The rule of cron on Linux: a repeated wall time fires at its first occurrence, a wall
    time in a spring-forward gap fires at the first instant after the gap.
    """
    first = _as_utc(wall, zone, 0)
    second = _as_utc(wall, zone, 1)
    if first <= second:
        return first
    return _gap_end(second, first, zone)


def _gap_end(low: datetime, high: datetime, zone: ZoneInfo) -> datetime:
    """The transition instant in ``(low, high]``: the first instant after a gap."""
    before = low.astimezone(zone).utcoffset()
    lo = int(low.timestamp())
    hi = int(high.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, UTC).astimezone(zone).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return datetime.fromtimestamp(hi, UTC)
