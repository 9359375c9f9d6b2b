"""Readable sentences for schedules: "At 08:00, Monday through Friday", "Every 90 minutes"."""

from __future__ import annotations

import logging
from datetime import datetime, time
from functools import lru_cache

from cron_descriptor import CasingTypeEnum, ExpressionDescriptor, Options

from scheduler.errors import ScheduleError
from scheduler.parsing import parse_cron_fields
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
    tokens = fields.spec.split(" ")
    tokens[4] = _weekday_text(fields.weekdays)
    either = fields.day_or_weekday
    if either and (len(fields.weekdays) == 7 or len(fields.days) == 31):
        tokens[2] = tokens[4] = "*"  # "any day OR ..." is every day
        either = False
    text = describe_cron_text(" ".join(tokens), either)
    return spec if text == " ".join(tokens) else text


def _weekday_text(weekdays: frozenset[int]) -> str:
    """A weekday set as cron-descriptor reads it best: Monday first, Sunday as 7."""
    if len(weekdays) == 7:
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
def describe_cron_text(spec: str, either_day: bool) -> str:
    """cron-descriptor's sentence for a valid 5-field ``spec``; ``spec`` itself on failure."""
    try:
        descriptor = ExpressionDescriptor(spec, _options())
        if not either_day:
            return descriptor.get_description()
        # Both day fields restricted: cron fires when EITHER matches; say so for every form.
        weekday = descriptor.get_day_of_week_description()
        if weekday.startswith(", ") and not weekday.startswith(", or "):
            weekday = ", or " + weekday[2:]
        text = "".join(
            (
                descriptor.get_time_of_day_description(),
                descriptor.get_day_of_month_description(),
                weekday,
                descriptor.get_month_description(),
            )
        )
        text = descriptor.transform_verbosity(text, use_verbose_format=False)
        return ExpressionDescriptor.transform_case(text, CasingTypeEnum.Sentence)
    except Exception:  # a third-party describer must never break a listing
        log.debug("cron-descriptor could not describe %r", spec, exc_info=True)
        return spec


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
