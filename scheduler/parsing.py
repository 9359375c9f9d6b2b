"""Text parsing shared by the schedule kinds: durations and crontab fields.

Everything here turns user text into plain values or raises :class:`ScheduleError`.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from scheduler.errors import ScheduleError

__all__ = [
    "CRON_ALIASES",
    "CronFields",
    "duration_spec",
    "parse_cron_fields",
    "parse_duration",
    "parse_duration_parts",
]

# --------------------------------------------------------------------------- durations

UNIT_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_UNIT_WORDS = {
    "w": ("w", "wk", "wks", "week", "weeks"),
    "d": ("d", "day", "days"),
    "h": ("h", "hr", "hrs", "hour", "hours"),
    "m": ("m", "min", "mins", "minute", "minutes"),
    "s": ("s", "sec", "secs", "second", "seconds"),
}
_UNITS = {word: unit for unit, words in _UNIT_WORDS.items() for word in words}
_UNSUPPORTED_UNITS = ("mo", "mon", "month", "months", "y", "yr", "yrs", "year", "years")
_DURATION_PART = re.compile(r"([0-9]+|an?(?= ))\s*([a-z]+)", re.ASCII)
_SEPARATORS = re.compile(r"\s*(?:,|\band\b)\s*|\s+")
MAX_DURATION = timedelta(days=365)
DURATION_EXAMPLE = "2h30m"


def parse_duration_parts(text: str) -> dict[str, int]:
    """Read ``"1d12h"``, ``"90 minutes"``, ``"2 hours and 30 minutes"`` into ``{unit: amount}``.

    Units are ``w d h m s`` (or their words); each may appear once. Raises ScheduleError.
    """
    if not isinstance(text, str) or not text.strip():
        raise ScheduleError("A duration is needed.", example=DURATION_EXAMPLE)
    shown = _shown(text)
    cleaned = _SEPARATORS.sub(" ", text.strip().lower()).strip()
    if cleaned.startswith("-"):
        raise ScheduleError(f'A duration must be positive, got "{shown}".', example="90m")
    if re.search(r"[0-9][.,][0-9]", cleaned):
        raise ScheduleError(
            f'Use whole numbers in durations, got "{shown}".', example="1h30m instead of 1.5h"
        )
    parts: dict[str, int] = {}
    pos = 0
    while pos < len(cleaned):
        if cleaned[pos] == " ":
            pos += 1
            continue
        match = _DURATION_PART.match(cleaned, pos)
        if match is None:
            raise ScheduleError(
                f'Could not read "{shown}" as a duration; use a number and a unit '
                "(s, m, h, d, w) for each part.",
                example=DURATION_EXAMPLE,
            )
        amount_text, word = match.groups()
        unit = _unit_of(word, shown)
        if unit in parts:
            raise ScheduleError(f'Each unit may appear once, got "{shown}".', example="1d12h")
        parts[unit] = _amount(amount_text, shown)
        pos = match.end()
    total = sum(UNIT_SECONDS[unit] * amount for unit, amount in parts.items())
    if total <= 0:
        raise ScheduleError(f'A duration must be longer than zero, got "{shown}".', example="90m")
    if total > MAX_DURATION.total_seconds():
        raise ScheduleError(
            f'"{shown}" is too long; durations can be at most 365 days (52w).', example="2w"
        )
    return {unit: amount for unit, amount in parts.items() if amount}


def parse_duration(text: str) -> timedelta:
    """Parse ``"30s"``, ``"90m"``, ``"1d12h"``, ``"2w"``, ``"2h30m"`` into a timedelta."""
    parts = parse_duration_parts(text)
    return timedelta(seconds=sum(UNIT_SECONDS[unit] * amount for unit, amount in parts.items()))


def duration_spec(parts: dict[str, int]) -> str:
    """Canonical text for duration parts, largest unit first: ``{"h": 2, "m": 30}`` -> ``2h30m``."""
    return "".join(f"{parts[unit]}{unit}" for unit in UNIT_SECONDS if parts.get(unit))


def _unit_of(word: str, shown: str) -> str:
    unit = _UNITS.get(word)
    if unit is not None:
        return unit
    if word in _UNSUPPORTED_UNITS:
        raise ScheduleError(
            f'Months and years are not interval units ("{shown}"); use a cron schedule '
            "for monthly or yearly runs.",
            example="0 9 1 * *",
        )
    raise ScheduleError(
        f'Unknown unit "{word[:20]}" in "{shown}"; use s, m, h, d or w.', example=DURATION_EXAMPLE
    )


def _amount(text: str, shown: str) -> int:
    if text in ("a", "an"):
        return 1
    if len(text) > 9:
        raise ScheduleError(f'The number in "{shown}" is too large.', example=DURATION_EXAMPLE)
    return int(text)


def _shown(text: str, limit: int = 60) -> str:
    """User text as quoted in messages: stripped and shortened."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- crontab

CRON_ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
CRON_EXAMPLE = "0 9 * * 1-5"
_FIELD_NAMES = ("minute", "hour", "day of month", "month", "weekday")
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_NAMES: tuple[dict[str, int], ...] = (
    {},
    {},
    {},
    {name: number for number, name in enumerate(_MONTHS, start=1)},
    {name: number for number, name in enumerate(_WEEKDAYS)},
)
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # February may have 29
_UNSUPPORTED = re.compile(r"[0-9]*w|lw|.*[?].*", re.ASCII | re.DOTALL)  # Quartz W and ?
_ITEM = re.compile(r"(\*|[a-z0-9]+)(?:-([a-z0-9]+))?(?:/([0-9]+))?", re.ASCII)
_NTH = re.compile(r"([a-z0-9]+)#([0-9]+)", re.ASCII)  # weekday n#k: the k-th weekday n
_LAST_WEEKDAY = re.compile(r"([a-z0-9]+)l", re.ASCII)  # weekday nL: the last weekday n
_EXTENSION_HINT = "L (last day) belongs in day of month; nL and n#k in weekday"


@dataclass(frozen=True, slots=True)
class CronFields:
    """A validated crontab: canonical text and the value set of each field.

    ``weekdays`` uses crontab numbering with Sunday as 0 (a 7 in the text becomes 0).
    The extensions: ``last_day`` (``L`` in day of month), ``nth_weekdays`` ((weekday, k) for
    ``n#k``) and ``last_weekdays`` (n for ``nL``). ``day_is_star``/``weekday_is_star`` are
    cronie's flags: the field's first character is ``*`` (``*``, ``*/2``).
    """

    spec: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    day_is_star: bool
    weekday_is_star: bool
    repeating: bool
    last_day: bool = False
    nth_weekdays: frozenset[tuple[int, int]] = frozenset()
    last_weekdays: frozenset[int] = frozenset()
    _month_days: dict[tuple[int, int], tuple[int, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @property
    def day_or_weekday(self) -> bool:
        """Neither day field starts with ``*``: a day matches if EITHER matches (cronie)."""
        return not self.day_is_star and not self.weekday_is_star

    def day_matches(self, day: int, weekday: int, length: int) -> bool:
        """Whether ``day`` of a month of ``length`` days, falling on ``weekday`` (0 = Sunday),
        is a day this crontab runs on, by cronie's rule for the two day fields."""
        by_day = day in self.days or (self.last_day and day == length)
        by_weekday = (
            weekday in self.weekdays
            or (weekday, (day - 1) // 7 + 1) in self.nth_weekdays
            or (weekday in self.last_weekdays and day + 7 > length)
        )
        if self.day_or_weekday:
            return by_day or by_weekday
        return by_day and by_weekday

    def days_in(self, year: int, month: int) -> tuple[int, ...]:
        """The days of ``month`` in ``year`` this crontab runs on (ignores the month field)."""
        monday_first, length = monthrange(year, month)
        key = ((monday_first + 1) % 7, length)
        found = self._month_days.get(key)
        if found is None:
            found = self._month_days[key] = self.days_for(*key)
        return found

    def days_for(self, first_weekday: int, length: int) -> tuple[int, ...]:
        """The matching days of a month of ``length`` days starting on ``first_weekday``."""
        return tuple(
            day
            for day in range(1, length + 1)
            if self.day_matches(day, (first_weekday + day - 1) % 7, length)
        )


def parse_cron_fields(text: str) -> CronFields:
    """Validate a 5-field crontab or an ``@alias`` and return its fields. Raises ScheduleError."""
    if not isinstance(text, str) or not text.strip():
        raise ScheduleError("A cron expression is needed.", example=CRON_EXAMPLE)
    return _parse_cron_fields(text)


@lru_cache(maxsize=8192)
def _parse_cron_fields(text: str) -> CronFields:
    if not text.strip():
        raise ScheduleError("A cron expression is needed.", example=CRON_EXAMPLE)
    lowered = " ".join(text.lower().split())
    if lowered.startswith("@"):
        if lowered not in CRON_ALIASES:
            names = " ".join(CRON_ALIASES)
            raise ScheduleError(
                f'Unknown cron shortcut "{_shown(text)}"; use one of {names}.', example="@daily"
            )
        lowered = CRON_ALIASES[lowered]
    tokens = lowered.split(" ")
    if len(tokens) != 5:
        hint = " Seconds and years are not supported." if len(tokens) in (6, 7) else ""
        raise ScheduleError(
            "Cron needs 5 fields (minute hour day month weekday), "
            f'got {len(tokens)}: "{_shown(text)}".{hint}',
            example=CRON_EXAMPLE,
        )
    minutes, hours = _parse_field(tokens[0], 0), _parse_field(tokens[1], 1)
    days, last_day = _parse_day_field(tokens[2])
    months = _parse_field(tokens[3], 3)
    weekdays, nth, last_weekdays = _parse_weekday_field(tokens[4])
    fields = CronFields(
        spec=" ".join(_spelled(tokens)),
        minutes=minutes,
        hours=hours,
        days=days,
        months=months,
        weekdays=weekdays,
        day_is_star=tokens[2].startswith("*"),
        weekday_is_star=tokens[4].startswith("*"),
        repeating=tokens[0].startswith("*") or tokens[1].startswith("*"),
        last_day=last_day,
        nth_weekdays=nth,
        last_weekdays=last_weekdays,
    )
    _check_can_fire(fields)
    return fields


def _spelled(tokens: list[str]) -> list[str]:
    """Canonical spelling: lower case but for the extensions' ``L`` (``L``, ``5L``, ``friL``);
    no weekday name has an "l" in it, and a month field cannot hold an extension."""
    return [*tokens[:2], tokens[2].replace("l", "L"), tokens[3], tokens[4].replace("l", "L")]


def _parse_field(token: str, index: int) -> frozenset[int]:
    values: set[int] = set()
    for item in token.split(","):
        values.update(_parse_item(item, token, index))
    return frozenset(values)


def _parse_day_field(token: str) -> tuple[frozenset[int], bool]:
    """Day of month: the usual items, and ``L`` for the last day of the month."""
    days: set[int] = set()
    last = False
    for item in token.split(","):
        if item == "l":
            last = True
        elif ("l" in item or "#" in item) and not _UNSUPPORTED.fullmatch(item):
            raise _field_error(token, 2, _extension_misuse(item, 2))
        else:
            days.update(_parse_item(item, token, 2))
    return frozenset(days), last


def _parse_weekday_field(
    token: str,
) -> tuple[frozenset[int], frozenset[tuple[int, int]], frozenset[int]]:
    """Weekday: the usual items, ``nL`` (last weekday n) and ``n#k`` (k-th weekday n)."""
    weekdays: set[int] = set()
    nth: set[tuple[int, int]] = set()
    last: set[int] = set()
    for item in token.split(","):
        if (match := _NTH.fullmatch(item)) is not None:
            k = int(match[2]) if len(match[2]) <= 2 else 0
            if not 1 <= k <= 5:
                problem = f"in {item} the week must be 1 to 5 (n#1 = first, n#5 = fifth)"
                raise _field_error(token, 4, problem)
            nth.add((_weekday_value(match[1], token), k))
        elif (match := _LAST_WEEKDAY.fullmatch(item)) is not None:
            last.add(_weekday_value(match[1], token))
        elif ("#" in item or "l" in item) and not _UNSUPPORTED.fullmatch(item):
            raise _field_error(token, 4, _extension_misuse(item, 4))
        else:
            weekdays.update(day % 7 for day in _parse_item(item, token, 4))
    return frozenset(weekdays), frozenset(nth), frozenset(last)


def _weekday_value(text: str, token: str) -> int:
    return _value(text, token, 4) % 7


def _extension_misuse(item: str, index: int) -> str:
    """What is wrong with an ``L`` or ``#`` item that is not one of the forms we accept."""
    shown = item[:20]
    if "/" in item:
        return f"{shown}: L and # cannot take a step"
    if "-" in item:
        return f"{shown}: L and # cannot be part of a range"
    if index == 2:
        return f'"{shown}": use L alone for the last day of the month (nL and n#k go in weekday)'
    if item == "l":
        return 'write nL for the last weekday n (5L = last Friday); "L" alone goes in day of month'
    return f'"{shown}" is not n#k (1#1 = first Monday) or nL (5L = last Friday)'


def _parse_item(item: str, token: str, index: int) -> range:
    name = _FIELD_NAMES[index]
    low, high = _BOUNDS[index]
    if index in (0, 1, 3) and ("#" in item or (index < 3 and "l" in item)):
        raise _field_error(token, index, _EXTENSION_HINT)
    match = None if _UNSUPPORTED.fullmatch(item) else _ITEM.fullmatch(item)
    if match is None:
        raise _field_error(token, index, _item_hint(item))
    first, last, step_text = match.groups()
    if first == "*":
        if last is not None:
            raise _field_error(token, index, "'*' cannot start a range")
        start, end = low, high if index != 4 else 6
    else:
        start = _value(first, token, index)
        end = start if last is None else _value(last, token, index)
        if index == 4 and last is not None and end == 0 and start > 0:
            end = 7  # "sat-sun" is 6-7
        if last is None and step_text is not None:
            end = high if index != 4 else 6  # "a/n" means a to the end of the field
    if start > end:
        raise _field_error(token, index, f"the range {item} runs backwards")
    step = 1
    if step_text is not None:
        step = int(step_text) if len(step_text) <= 3 else 0
        if not 1 <= step <= high - low + 1:
            raise _field_error(token, index, f"a {name} step must be 1 to {high - low + 1}")
    return range(start, end + 1, step)


def _value(text: str, token: str, index: int) -> int:
    name = _FIELD_NAMES[index]
    low, high = _BOUNDS[index]
    if text.isascii() and text.isdigit():
        number = int(text) if len(text) <= 3 else high + 1
        if not low <= number <= high:
            raise _field_error(token, index, f"{name} must be {low}-{high}")
        return number
    names = _NAMES[index]
    if text in names:
        return names[text]
    if names:
        raise _field_error(token, index, f'unknown name "{text[:12]}"; use {_names_hint(index)}')
    raise _field_error(token, index, f"{name} must be a number {low}-{high}")


def _names_hint(index: int) -> str:
    return "jan..dec" if index == 3 else "sun..sat (or 0-7, 0 and 7 = Sunday)"


def _item_hint(item: str) -> str:
    if not item:
        return "an empty list item"
    if _UNSUPPORTED.fullmatch(item):
        return f"W and ? are not supported ({_EXTENSION_HINT})"
    return f'"{item[:20]}" is not a value, range (a-b) or step (*/n)'


def _field_error(token: str, index: int, problem: str) -> ScheduleError:
    shown = token if len(token) <= 30 else token[:27] + "..."
    return ScheduleError(
        f'Bad {_FIELD_NAMES[index]} field "{shown}": {problem}.', example=CRON_EXAMPLE
    )


def _check_can_fire(fields: CronFields) -> None:
    """Refuse a crontab no day of any year can match (``0 9 30 2 *``, ``0 9 */20 * 1#5``).

    Every chosen month is tried with each length it can have and each weekday it can start on;
    the Gregorian calendar has every such combination.
    """
    for month in fields.months:
        lengths = (28, 29) if month == 2 else (_DAYS_IN_MONTH[month - 1],)
        for length in lengths:
            if any(fields.days_for(first, length) for first in range(7)):
                return
    raise ScheduleError(
        f'"{fields.spec}" never fires: no chosen month has a day that matches both day fields.',
        example="0 9 28 2 *",
    )
