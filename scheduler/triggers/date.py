"""Date schedules: one instant, read from ISO 8601, relative or simple English text.

Local times are read in the task's zone with the fixed-time DST rules: a time in a
spring-forward gap means the first instant after the gap, a repeated time its first pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import ClassVar
from zoneinfo import ZoneInfo

from scheduler.describe import describe_date, format_local
from scheduler.errors import ScheduleError
from scheduler.parsing import parse_duration
from scheduler.timezones import UTC, fixed_instant, load_zone, local_wall, require_aware
from scheduler.triggers.base import ScheduleBase, utc_whole

__all__ = ["DateSchedule", "date_spec", "parse_date_schedule", "parse_when"]

WHEN_EXAMPLE = "2026-12-24 18:00, tomorrow 9am or in 2h30m"
_MAX_YEARS_AHEAD = 100
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAYS = {
    name: number
    for number, names in enumerate(
        (
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        )
    )
    for name in names
}
_ISO = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{1,2})-(?P<d>[0-9]{1,2})"
    r"(?:(?:t|\s+)(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:[.,][0-9]{1,9})?)?"
    r"\s*(?P<off>z|utc|[+-][0-9]{2}(?::?[0-9]{2})?)?)?",
    re.ASCII,
)
_TIME = (
    r"(?P<word>noon|midnight)"
    r"|(?P<h12>[0-9]{1,2})(?:[:.](?P<m12>[0-9]{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)"
    r"|(?P<h24>[0-9]{1,2}):(?P<m24>[0-9]{2})(?::(?P<s24>[0-9]{2}))?"
)
_TIME_LAST = re.compile(rf"(?P<day>.*?)\s*(?:\bat\s+)?(?:{_TIME})", re.ASCII)
_TIME_FIRST = re.compile(rf"(?:{_TIME})(?:\s+(?:on\s+)?(?P<day>.*))?", re.ASCII)
_ISO_DATE = re.compile(r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{1,2})-(?P<d>[0-9]{1,2})", re.ASCII)
_MONTH_DAY = re.compile(
    r"(?:(?P<m1>[a-z]+)\.?\s+(?P<d1>[0-9]{1,2})(?:st|nd|rd|th)?"
    r"|(?P<d2>[0-9]{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>[a-z]+)\.?)"
    r"(?:\s+(?P<y>[0-9]{4}))?",
    re.ASCII,
)
_WEEKDAY = re.compile(r"(?:(?P<which>next|this)\s+)?(?P<name>[a-z]+)", re.ASCII)


@dataclass(frozen=True, slots=True)
class _Day:
    """What the day part of a date text asks for."""

    exact: date | None = None  # an explicit date, today or tomorrow
    weekday: int | None = None  # Monday = 0
    strictly_later: bool = False  # "next friday": never today
    month_day: tuple[int, int] | None = None  # (month, day) without a year


def parse_when(text: str, zone: str, *, now: datetime) -> datetime:
    """Read a date-kind input as an aware UTC instant (whole seconds).

    Parameters:
        text: ISO 8601 (``2026-12-24 18:00``, ``2026-12-24T18:00:30+01:00``), relative
            (``in 90 minutes``, ``in 2h30m``) or English (``tomorrow 9am``,
            ``next friday 18:00``, ``noon``, ``18:00`` = the next 18:00).
        zone: IANA name the local forms are read in.
        now: the current instant.

    Raises:
        ScheduleError: unreadable text, unknown zone, or an instant before ``now``.
    """
    tz = load_zone(zone)
    now = require_aware(now, "current time")
    if now.microsecond:  # instants are whole seconds: the earliest acceptable one
        now = now.replace(microsecond=0) + timedelta(seconds=1)
    if not isinstance(text, str) or not text.strip():
        raise ScheduleError("A date and time is needed.", example=WHEN_EXAMPLE)
    cleaned = " ".join(text.lower().replace(",", " ").split())
    try:
        instant = _read(cleaned, tz, now, text)
    except OverflowError:
        raise ScheduleError(
            f'"{_shown(text)}" is out of the supported range of dates.', example=WHEN_EXAMPLE
        ) from None
    if instant < now:
        raise ScheduleError(
            f"That time is in the past: {format_local(instant, tz.key)} ({tz.key}).",
            example=f"{format_local(now + timedelta(days=1), tz.key)} or in 2h",
        )
    if instant.year > now.year + _MAX_YEARS_AHEAD:
        raise ScheduleError(
            f"That time is more than {_MAX_YEARS_AHEAD} years ahead.", example=WHEN_EXAMPLE
        )
    return instant


def _read(cleaned: str, tz: ZoneInfo, now: datetime, original: str) -> datetime:
    iso = _ISO.fullmatch(cleaned)
    if iso is not None and iso["h"] is not None:
        return _from_iso(iso, tz, original)
    if cleaned.startswith("in "):
        return now + parse_duration(cleaned[3:])
    for pattern in (_TIME_LAST, _TIME_FIRST):
        match = pattern.fullmatch(cleaned)
        if match is not None:
            return _resolve(_day(match["day"] or "", now, tz, original), _time(match), tz, now)
    if cleaned == "tonight":
        return _resolve(_Day(exact=local_wall(now, tz).date()), time(20), tz, now)
    if cleaned[:1].isdigit() and not cleaned.isdigit() and _ISO_DATE.fullmatch(cleaned) is None:
        try:
            return now + parse_duration(cleaned)
        except ScheduleError:
            pass
    raise _unreadable(cleaned, original, now, tz)


def _unreadable(cleaned: str, original: str, now: datetime, tz: ZoneInfo) -> ScheduleError:
    shown = _shown(original)
    if re.fullmatch(r"[0-9]{1,2}", cleaned):
        return ScheduleError(
            f'Is "{shown}" in the morning or the evening? Give am/pm or minutes.',
            example=f"{int(cleaned)}am, {int(cleaned)}pm or {int(cleaned):02d}:00",
        )
    try:
        _day(cleaned, now, tz, original)
    except ScheduleError:
        pass
    else:
        return ScheduleError(f'Add a time of day to "{shown}".', example=f"{cleaned} 9am")
    return ScheduleError(f'Could not read "{shown}" as a date and time.', example=WHEN_EXAMPLE)


def _from_iso(match: re.Match[str], tz: ZoneInfo | None, original: str) -> datetime:
    wall = _wall(
        _date(int(match["y"]), int(match["mo"]), int(match["d"]), original),
        int(match["h"]),
        int(match["mi"]),
        int(match["s"] or 0),
        original,
    )
    offset = match["off"]
    if offset is None:
        return fixed_instant(wall, tz or load_zone("UTC"))
    return wall.replace(tzinfo=_offset(offset, original)).astimezone(UTC)


def _offset(text: str, original: str) -> timezone:
    if text in ("z", "utc"):
        return UTC
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise ScheduleError(f'Bad UTC offset in "{_shown(original)}".', example="+01:00")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if text[0] == "-" else delta)


def _time(match: re.Match[str]) -> time:
    if match["word"] is not None:
        return time(12) if match["word"] == "noon" else time(0)
    if match["h12"] is not None:
        hour, minute = int(match["h12"]), int(match["m12"] or 0)
        if not 1 <= hour <= 12 or minute > 59:
            raise ScheduleError(
                f'"{_time_text(match, "h12")}" is not a time; use 1-12 with am/pm.',
                example="9:30pm",
            )
        return time(hour % 12 + (12 if match["ampm"][0] == "p" else 0), minute)
    hour, minute, second = int(match["h24"]), int(match["m24"]), int(match["s24"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ScheduleError(
            f'"{_time_text(match, "h24")}" is not a time of day (00:00 to 23:59).', example="18:30"
        )
    return time(hour, minute, second)


def _time_text(match: re.Match[str], first_group: str) -> str:
    """The part of the matched text that holds the time, for messages."""
    return match.string[match.start(first_group) :].strip()[:20]


def _day(text: str, now: datetime, tz: ZoneInfo, original: str) -> _Day:
    today = local_wall(now, tz).date()
    if not text:
        return _Day()
    if text in ("today", "tonight"):
        return _Day(exact=today)
    if text in ("tomorrow", "tmrw"):
        return _Day(exact=today + timedelta(days=1))
    iso = _ISO_DATE.fullmatch(text)
    if iso is not None:
        return _Day(exact=_date(int(iso["y"]), int(iso["mo"]), int(iso["d"]), original))
    weekday = _WEEKDAY.fullmatch(text)
    if weekday is not None and weekday["name"] in _WEEKDAYS:
        return _Day(weekday=_WEEKDAYS[weekday["name"]], strictly_later=weekday["which"] == "next")
    month_day = _MONTH_DAY.fullmatch(text)
    if month_day is not None:
        month = _MONTHS.get(month_day["m1"] or month_day["m2"])
        day = int(month_day["d1"] or month_day["d2"])
        if month is not None:
            if month_day["y"] is not None:
                return _Day(exact=_date(int(month_day["y"]), month, day, original))
            _date(2000, month, day, original)  # a leap year: refuses only impossible days
            return _Day(month_day=(month, day))
    raise ScheduleError(
        f'Could not read "{_shown(original)}" as a date and time.', example=WHEN_EXAMPLE
    )


def _resolve(day: _Day, at: time, tz: ZoneInfo, now: datetime) -> datetime:
    today = local_wall(now, tz).date()
    if day.exact is not None:
        return fixed_instant(datetime.combine(day.exact, at), tz)
    if day.month_day is not None:
        month, number = day.month_day
        for year in range(today.year, today.year + 9):
            try:
                candidate = fixed_instant(
                    datetime(year, month, number, at.hour, at.minute, at.second), tz
                )
            except ValueError:  # 29 February outside a leap year
                continue
            if candidate >= now:
                return candidate
        raise ScheduleError(f"{month}-{number} does not occur soon enough.", example=WHEN_EXAMPLE)
    first = 1 if day.strictly_later else 0
    for offset in range(first, first + 8):
        candidate_day = today + timedelta(days=offset)
        if day.weekday is not None and candidate_day.weekday() != day.weekday:
            continue
        candidate = fixed_instant(datetime.combine(candidate_day, at), tz)
        if candidate > now:
            return candidate
    raise AssertionError("unreachable: a week always holds the weekday")  # pragma: no cover


def _date(year: int, month: int, day: int, original: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ScheduleError(
            f'"{_shown(original)}" is not a real date.', example="2026-12-24 18:00"
        ) from None


def _wall(day: date, hour: int, minute: int, second: int, original: str) -> datetime:
    if hour > 23 or minute > 59 or second > 59:
        raise ScheduleError(
            f'"{_shown(original)}" has an impossible time of day.', example="2026-12-24 18:00"
        )
    return datetime(day.year, day.month, day.day, hour, minute, second)


def _shown(text: str, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def date_spec(instant: datetime) -> str:
    """Canonical text for an instant: ``2026-12-24T17:00:00Z``."""
    return f"{utc_whole(instant, 'instant'):%Y-%m-%dT%H:%M:%S}Z"


@dataclass(frozen=True, slots=True)
class DateSchedule(ScheduleBase):
    """Fires once, at ``at``; ``spec`` is its ISO 8601 UTC text."""

    kind: ClassVar[str] = "date"
    spec: str
    zone: str
    at: datetime = field(init=False, compare=False)

    def __post_init__(self) -> None:
        match = _ISO.fullmatch(self.spec.strip().lower()) if isinstance(self.spec, str) else None
        if match is None or match["h"] is None or match["off"] is None:
            raise ScheduleError(
                f'A stored date must be ISO 8601 with an offset, got "{_shown(self.spec)}".',
                example="2026-12-24T17:00:00Z",
            )
        at = _from_iso(match, None, self.spec)
        object.__setattr__(self, "at", at)
        object.__setattr__(self, "spec", date_spec(at))
        object.__setattr__(self, "zone", load_zone(self.zone).key)

    @property
    def end(self) -> datetime | None:
        """A date schedule has no separate end."""
        return None

    def __reduce__(self) -> tuple[object, ...]:
        return (DateSchedule, (self.spec, self.zone))

    def next_after(self, instant: datetime) -> datetime | None:
        """``at`` when it is after ``instant``, else None."""
        return self.at if self.at > require_aware(instant, "instant") else None

    def describe(self) -> str:
        """``Once at 2026-12-24 18:00 (Europe/Berlin)``."""
        return describe_date(self.at, self.zone)


def parse_date_schedule(text: str, zone: str, *, now: datetime) -> DateSchedule:
    """Parse a date-kind input (see :func:`parse_when`) into a one-off schedule."""
    return DateSchedule(date_spec(parse_when(text, zone, now=now)), zone)
