"""Plain-English schedules translated to a crontab: "every weekday at 9:00" -> ``0 9 * * 1-5``.

Pure text to text. The crontab is what gets stored; the phrase is only echoed back when a
task is created. Case, extra spaces, "at"/"on"/"the", plurals ("mondays"), short day names
("thu") and "each" for "every" are all tolerated.
"""

from __future__ import annotations

import re

from scheduler.errors import ScheduleError

__all__ = ["PHRASE_EXAMPLES", "crontab_for", "is_phrase", "phrase_to_crontab"]

PHRASE_EXAMPLES = ("every weekday at 9:00", "every 15 minutes", "last friday of the month at 5pm")

_DAY_NUMBERS = {
    "sunday": 0, "sun": 0,
    "monday": 1, "mon": 1,
    "tuesday": 2, "tue": 2, "tues": 2,
    "wednesday": 3, "wed": 3, "weds": 3,
    "thursday": 4, "thu": 4, "thur": 4, "thurs": 4,
    "friday": 5, "fri": 5,
    "saturday": 6, "sat": 6,
}  # fmt: skip
_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
    "fourth": 4, "4th": 4, "fifth": 5, "5th": 5, "last": 0,
}  # fmt: skip
_DAY = "(?:" + "|".join(sorted(_DAY_NUMBERS, key=len, reverse=True)) + ")s?"
_ORDINAL = "(?:" + "|".join(_ORDINALS) + ")"
_AND = r"\s*(?:,\s*and|,|and|&|\+)\s*"
_TIME = r"(?:\d{1,2}(?:[:.]\d{2})?\s*(?:a\.?m\.?|p\.?m\.?)|\d{1,2}:\d{2}|noon|midnight)"
_TIMES = rf"{_TIME}(?:{_AND}{_TIME})*"
_MONTH = r"(?:\s+of\s+(?:the|every|each)\s+month|\s+of\s+month|\s+monthly)?"
_EVERY = r"(?:(?:every|each|on)\s+)?"

_WITH_TIME = (
    re.compile(rf"(?P<days>.*?)\s*\b(?:at\s+)?(?P<times>{_TIMES})"),
    re.compile(rf"(?:at\s+)?(?P<times>{_TIMES})\s*(?P<days>.*)"),
)
_EVERY_MINUTES = re.compile(r"every\s+(?:(?P<n>\d+)\s+)?(?:minutes?|mins?)")
_EVERY_HOURS = re.compile(
    r"(?:every\s+(?:(?P<n>\d+)\s+)?(?:hours?|hrs?)|hourly)"
    r"(?:\s+at\s+:?(?P<at>\d{1,2})(?:\s+minutes\s+past(?:\s+the\s+hour)?)?"
    r"|\s+on\s+the\s+hour)?"
)
_EVERY_DAY = re.compile(r"(?:every\s*day|each\s+day|daily|every\s+night|nightly)?")
_WEEKDAYS = re.compile(rf"{_EVERY}(?:weekdays?|workdays?|work\s+days?|business\s+days?)")
_WEEKENDS = re.compile(rf"{_EVERY}(?:the\s+)?weekends?")
_DAY_LIST = re.compile(rf"{_EVERY}(?P<list>{_DAY}(?:{_AND}{_DAY})*)")
_DAY_RANGE = re.compile(
    rf"{_EVERY}(?P<first>{_DAY})\s*(?:-|to|through|thru|until)\s*(?P<last>{_DAY})"
)
_NTH_WEEKDAY = re.compile(
    rf"{_EVERY}(?:the\s+)?(?P<ordinals>{_ORDINAL}(?:{_AND}{_ORDINAL})*)\s+(?P<day>{_DAY}){_MONTH}"
)
_LAST_DAY = re.compile(rf"{_EVERY}(?:the\s+)?last\s+day{_MONTH}")
_DATE = r"(?:the\s+)?(?:day\s+)?\d{1,2}(?:st|nd|rd|th)?"
_DATES = re.compile(
    rf"(?:(?:every|each)\s+month\s+)?(?:on\s+)?(?P<list>{_DATE}(?:{_AND}{_DATE})*){_MONTH}"
)


def is_phrase(text: str) -> bool:
    """Whether ``text`` is meant as a phrase: its first word has a letter in it (a crontab's
    minute field never has) and it is not an ``@alias``: "every ...", "2nd tuesday", "8am ..."."""
    words = text.split(maxsplit=1) if isinstance(text, str) else []
    return bool(words) and not words[0].startswith("@") and _LETTER.search(words[0]) is not None


_LETTER = re.compile(r"[^\W\d_]")


def crontab_for(text: str) -> str:
    """``text`` itself when it is a crontab or ``@alias``, else the phrase's crontab."""
    return phrase_to_crontab(text) if is_phrase(text) else text


def phrase_to_crontab(text: str) -> str:
    """Translate a plain-English schedule to a 5-field crontab.

    Raises:
        ScheduleError: the phrase is not understood (the message lists three that are), or
            asks for something a crontab cannot say (every 45 minutes, 8:15 and 9:30).
    """
    cleaned = " ".join(text.lower().replace("\u2019", "'").split()).rstrip(".!")
    cleaned = re.sub(r"^(?:run\s+|post\s+)?(?:it\s+)?", "", cleaned)
    crontab = _repeating(cleaned)
    if crontab is None:
        crontab = _at_times(cleaned)
    if crontab is None:
        raise _unknown(text)
    return crontab


def _repeating(text: str) -> str | None:
    if (match := _EVERY_MINUTES.fullmatch(text)) is not None:
        every = _divisor(match["n"], 60, "minutes", text)
        return "* * * * *" if every == 1 else f"*/{every} * * * *"
    if (match := _EVERY_HOURS.fullmatch(text)) is not None:
        every = _divisor(match["n"], 24, "hours", text)
        minute = int(match["at"]) if match["at"] else 0
        if minute > 59:
            raise ScheduleError(
                f'"{_shown(text)}": the minute past the hour must be 0 to 59.',
                example="every hour at :30",
            )
        return f"{minute} {'*' if every == 1 else f'*/{every}'} * * *"
    return None


def _divisor(number: str | None, whole: int, unit: str, text: str) -> int:
    every = int(number) if number and len(number) <= 4 else 1
    if every < 1 or whole % every:
        raise ScheduleError(
            f'"{_shown(text)}" does not fit a crontab: steps of {unit} must divide {whole} '
            f"evenly. For any other period use an interval.",
            example=f"/schedule every interval:{every}{unit[0]}",
        )
    return every


def _at_times(text: str) -> str | None:
    for pattern in _WITH_TIME:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        days = _days(match["days"].strip().rstrip(","))
        if days is not None:
            minute, hours = _times(match["times"], text)
            return f"{minute} {hours} {days}"
    return None


def _days(text: str) -> str | None:
    """The day-of-month, month and weekday fields for the day part of a phrase, or None."""
    if _EVERY_DAY.fullmatch(text):
        return "* * *"
    if _WEEKDAYS.fullmatch(text):
        return "* * 1-5"
    if _WEEKENDS.fullmatch(text):
        return "* * 0,6"
    if (match := _DAY_LIST.fullmatch(text)) is not None:
        numbers = sorted({_weekday(day) for day in re.split(_AND, match["list"])})
        return "* * " + ",".join(map(str, numbers))
    if (match := _DAY_RANGE.fullmatch(text)) is not None:
        first, last = _weekday(match["first"]), _weekday(match["last"])
        return f"* * {first}-{last or 7}" if first <= (last or 7) else None
    if _LAST_DAY.fullmatch(text):
        return "L * *"
    if (match := _NTH_WEEKDAY.fullmatch(text)) is not None:
        day = _weekday(match["day"])
        ordinals = [_ORDINALS[word] for word in re.split(_AND, match["ordinals"])]
        items = [f"{day}L" if k == 0 else f"{day}#{k}" for k in sorted(set(ordinals), key=_last)]
        return "* * " + ",".join(items)
    if (match := _DATES.fullmatch(text)) is not None:
        dates = sorted({int(re.sub(r"\D", "", date)) for date in re.split(_AND, match["list"])})
        if not all(1 <= date <= 31 for date in dates):
            raise ScheduleError(
                f'"{_shown(text)}": days of the month run from 1 to 31.',
                example="on the 1st and 15th at 12:00",
            )
        return ",".join(map(str, dates)) + " * *"
    return None


def _last(k: int) -> int:
    return 6 if k == 0 else k  # "last" after "first"..."fifth"


def _weekday(word: str) -> int:
    word = word.strip()
    return _DAY_NUMBERS[word] if word in _DAY_NUMBERS else _DAY_NUMBERS[word[:-1]]


def _times(text: str, phrase: str) -> tuple[int, str]:
    """The minute and the hour field for ``8am and 8pm``: one minute for all of them."""
    clock = [_clock(part.strip()) for part in re.split(_AND, text)]
    minutes = {minute for _, minute in clock}
    if len(minutes) > 1:
        raise ScheduleError(
            f'"{_shown(phrase)}": one crontab can only hold times with the same minutes '
            "(8:00 and 20:00, not 8:15 and 9:30); create one task per time.",
            example="every day at 8am and 8pm",
        )
    hours = sorted({hour for hour, _ in clock})
    return minutes.pop(), ",".join(map(str, hours))


def _clock(text: str) -> tuple[int, int]:
    if text == "noon":
        return 12, 0
    if text == "midnight":
        return 0, 0
    match = re.fullmatch(r"(\d{1,2})(?:[:.](\d{2}))?\s*(a\.?m\.?|p\.?m\.?)?", text)
    if match is None:  # pragma: no cover - the caller's pattern only lets clock times through
        raise ScheduleError(f'"{text}" is not a time of day.', example="9:30pm")
    hour, minute = int(match[1]), int(match[2] or 0)
    suffix = (match[3] or "").replace(".", "")
    if (suffix and not 1 <= hour <= 12) or hour > 23 or minute > 59:
        raise ScheduleError(
            f'"{text}" is not a time of day: use 0:00 to 23:59, or 1am to 12pm.', example="18:30"
        )
    if suffix == "am":
        hour %= 12
    elif suffix == "pm":
        hour = hour % 12 + 12
    return hour, minute


def _unknown(text: str) -> ScheduleError:
    first, second, third = PHRASE_EXAMPLES
    return ScheduleError(
        f'Could not read "{_shown(text)}" as a schedule. Write a crontab (minute hour day '
        f'month weekday) or a phrase such as "{first}", "{second}" or "{third}".',
        example="0 9 * * 1-5",
    )


def _shown(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
