"""Readable sentences for schedules: "At 08:00, Monday through Friday", "Every 90 minutes"."""

from __future__ import annotations

import logging
from datetime import datetime, time
from functools import lru_cache

from cron_descriptor import CasingTypeEnum, ExpressionDescriptor, Options

from scheduler.errors import ScheduleError
from scheduler.parsing import CronFields, parse_cron_fields
from scheduler.timezones import load_zone

__all__ = [
    "describe_cron",
    "describe_cron_text",
    "describe_date",
    "describe_duration",
    "describe_interval",
    "format_local",
]

log = logging.getLogger(__name__)

_UNIT_NAMES = {"w": "week", "d": "day", "h": "hour", "m": "minute", "s": "second"}
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SUNDAY_FIRST = (_WEEKDAY_NAMES[6], *_WEEKDAY_NAMES[:6])  # index = crontab number
_ORDINALS = ("", "first", "second", "third", "fourth", "fifth")


@lru_cache(maxsize=1)
def _options() -> Options:
    return Options(
        locale_code="en_US", use_24hour_time_format=True, day_of_week_start_index_zero=True
    )


def describe_cron(spec: str) -> str:
    """Describe a crontab; falls back to the text itself when it cannot be described."""
    try:
        fields = parse_cron_fields(spec)
    except ScheduleError:
        return spec
    return describe_cron_text(fields.spec)


def _weekday_text(weekdays: frozenset[int]) -> str:
    """A weekday set as cron-descriptor reads it best: Monday first, Sunday as 7."""
    if len(weekdays) == 7 or not weekdays:
        return "*"
    days = sorted(7 if day == 0 else day for day in weekdays)
    runs: list[str] = []
    start = previous = days[0]
    for day in [*days[1:], None]:
        if day is not None and day == previous + 1:
            previous = day
            continue
        if previous - start >= 2:
            runs.append(f"{start}-{previous}")
        else:
            runs.extend(str(value) for value in range(start, previous + 1))
        if day is not None:
            start = previous = day
    return ",".join(runs)


@lru_cache(maxsize=4096)
def describe_cron_text(spec: str) -> str:
    """The sentence for a valid canonical ``spec``; ``spec`` itself if it cannot be made.

    cron-descriptor words the time of day, the plain day-of-month and weekday lists and the
    months; we word what it does not know: cronie's rule for the two day fields (OR when
    neither starts with ``*``, else AND), ``L`` in a list, ``nL`` and ``n#k``.
    """
    try:
        fields = parse_cron_fields(spec)
        tokens = fields.spec.split(" ")
        tokens[2] = tokens[2].replace("l", "L")
        tokens[4] = _weekday_text(fields.weekdays)
        extended = bool(fields.nth_weekdays or fields.last_weekdays)
        every_weekday = len(fields.weekdays) == 7
        every_day = len(fields.days) == 31
        either = fields.day_or_weekday
        if (either and (every_weekday or every_day)) or (not either and every_weekday):
            tokens[4], extended = "*", False  # the weekday field adds nothing
        if (either and (every_weekday or every_day)) or (not either and every_day):
            tokens[2] = "*"  # the day-of-month field adds nothing
        descriptor = ExpressionDescriptor(" ".join(_without_last(tokens)), _options())
        by_day = _day_of_month_part(descriptor, tokens[2])
        by_weekday = _weekday_extension_part(fields) if extended else ""
        by_weekday = by_weekday or descriptor.get_day_of_week_description()
        text = "".join(
            (
                descriptor.get_time_of_day_description(),
                _join_days(by_day, by_weekday, either),
                descriptor.get_month_description(),
            )
        )
        text = descriptor.transform_verbosity(text, use_verbose_format=False)
        return ExpressionDescriptor.transform_case(text, CasingTypeEnum.Sentence)
    except Exception:  # a third-party describer must never break a listing
        log.debug("cron-descriptor could not describe %r", spec, exc_info=True)
        return spec


def _without_last(tokens: list[str]) -> list[str]:
    """cron-descriptor reads ``L`` alone but not in a list: leave it out of lists."""
    day = tokens[2]
    if day != "L" and "L" in day.split(","):
        day = ",".join(item for item in day.split(",") if item != "L")
    return [tokens[0], tokens[1], day, tokens[3], tokens[4]]


def _day_of_month_part(descriptor: ExpressionDescriptor, token: str) -> str:
    if token == "*":
        return ""
    text = descriptor.get_day_of_month_description()
    if token == "L" or "L" not in token.split(","):
        return text
    suffix = " of the month"
    if text.endswith(suffix):
        return f"{text[: -len(suffix)]} and the last day of the month"
    return f"{text}, and on the last day of the month"


def _join_days(by_day: str, by_weekday: str, either: bool) -> str:
    """The two day parts, joined by cronie's rule: OR when ``either``, else AND."""
    if not by_day or not by_weekday:
        return by_day + by_weekday
    rest = by_weekday[2:] if by_weekday.startswith(", ") else by_weekday
    if either:
        return f"{by_day}, {rest}" if rest.startswith("or ") else f"{by_day}, or {rest}"
    for prefix in ("or ", "only ", "on "):
        rest = rest.removeprefix(prefix)
    return f"{by_day}, only on {rest}"


def _weekday_extension_part(fields: CronFields) -> str:
    """``, on Monday or the last Friday of the month`` and the like (``nL``, ``n#k``)."""
    names = _SUNDAY_FIRST
    parts: list[str] = []
    plain = sorted(fields.weekdays, key=lambda day: (day + 6) % 7)  # Monday first
    if plain:
        parts.append(" and ".join(names[day] for day in plain))
    for day in sorted({day for day, _ in fields.nth_weekdays}, key=lambda d: (d + 6) % 7):
        weeks = sorted(k for other, k in fields.nth_weekdays if other == day)
        parts.append(f"the {' and '.join(_ORDINALS[k] for k in weeks)} {names[day]}")
    parts.extend(
        f"the last {names[day]}" for day in sorted(fields.last_weekdays, key=lambda d: (d + 6) % 7)
    )
    return f", on {' or '.join(parts)} of the month"


def describe_duration(parts: dict[str, int]) -> str:
    """``{"h": 2, "m": 30}`` -> ``2 hours and 30 minutes``; ``{"h": 1}`` -> ``hour``."""
    words = [
        f"{amount} {_UNIT_NAMES[unit]}{'' if amount == 1 else 's'}"
        for unit, amount in ((unit, parts.get(unit, 0)) for unit in _UNIT_NAMES)
        if amount
    ]
    if len(words) == 1 and words[0].startswith("1 "):
        return words[0][2:]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def describe_interval(parts: dict[str, int], calendar: bool, wall: datetime) -> str:
    """Describe an interval; a calendar interval also names its wall time (``wall``, local)."""
    if not calendar:
        return f"Every {describe_duration(parts)}"
    days = parts.get("w", 0) * 7 + parts.get("d", 0)
    at = _clock(wall.time())
    if days % 7 == 0:
        weeks = days // 7
        every = "Every week" if weeks == 1 else f"Every {weeks} weeks"
        return f"{every} on {_WEEKDAY_NAMES[wall.weekday()]} at {at}"
    every = "Every day" if days == 1 else f"Every {days} days"
    return f"{every} at {at}"


def describe_date(instant: datetime, zone: str) -> str:
    """``Once at 2026-12-24 18:00 (Europe/Berlin)``."""
    return f"Once at {format_local(instant, zone)} ({zone})"


def format_local(instant: datetime, zone: str) -> str:
    """An instant as local ``YYYY-MM-DD HH:MM`` (``:SS`` when not zero) in ``zone``."""
    local = instant.astimezone(load_zone(zone))
    return f"{local:%Y-%m-%d} {_clock(local.time())}"


def _clock(value: time) -> str:
    return f"{value:%H:%M:%S}" if value.second else f"{value:%H:%M}"
