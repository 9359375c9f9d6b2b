"""Plain-English schedules: each phrase, the crontab it becomes, and the refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scheduler.errors import ScheduleError
from scheduler.phrases import PHRASE_EXAMPLES, crontab_for, is_phrase, phrase_to_crontab
from scheduler.schedules import parse_cron

PHRASES = [
    # the ten the issue asks for
    ("every day at 8am", "0 8 * * *"),
    ("every day at 8am and 8pm", "0 8,20 * * *"),
    ("every weekday at 9:00", "0 9 * * 1-5"),
    ("every monday and thursday at 18:30", "30 18 * * 1,4"),
    ("every 15 minutes", "*/15 * * * *"),
    ("every hour at :30", "30 * * * *"),
    ("first monday of the month at 10:00", "0 10 * * 1#1"),
    ("last day of the month at 17:00", "0 17 L * *"),
    ("last friday of the month at 5pm", "0 17 * * 5L"),
    ("on the 1st and 15th at 12:00", "0 12 1,15 * *"),
    # small variations
    ("Every Day At 8 AM", "0 8 * * *"),
    ("  every   day at 8am.  ", "0 8 * * *"),
    ("daily at 8am", "0 8 * * *"),
    ("each day at 7.30 p.m.", "30 19 * * *"),
    ("at 9am every weekday", "0 9 * * 1-5"),
    ("9am every weekday", "0 9 * * 1-5"),
    ("weekdays at 9am", "0 9 * * 1-5"),
    ("every workday at 09:00", "0 9 * * 1-5"),
    ("every weekend at noon", "0 12 * * 0,6"),
    ("mondays and thursdays at 18:30", "30 18 * * 1,4"),
    ("every mon, thu at 6:30pm", "30 18 * * 1,4"),
    ("every Monday, Wednesday and Friday at 7am", "0 7 * * 1,3,5"),
    ("every monday to friday at 8:15", "15 8 * * 1-5"),
    ("every friday through sunday at 22:00", "0 22 * * 5-7"),
    ("every sunday at midnight", "0 0 * * 0"),
    ("every day at 8am, 12pm and 6pm", "0 8,12,18 * * *"),
    ("every 2 hours", "0 */2 * * *"),
    ("every hour", "0 * * * *"),
    ("hourly", "0 * * * *"),
    ("every hour at 15 minutes past the hour", "15 * * * *"),
    ("every minute", "* * * * *"),
    ("every 5 mins", "*/5 * * * *"),
    ("the first monday of every month at 10am", "0 10 * * 1#1"),
    ("first and third monday of the month at 10am", "0 10 * * 1#1,1#3"),
    ("2nd tuesday of the month at 19:00", "0 19 * * 2#2"),
    ("last sunday of every month at 23:00", "0 23 * * 0L"),
    ("the last day of every month at 5pm", "0 17 L * *"),
    ("on the 15th at 9am", "0 9 15 * *"),
    ("the 1st and 15th at noon", "0 12 1,15 * *"),
    ("every month on the 1st at 9am", "0 9 1 * *"),
    ("on the 1st, 10th and 20th of the month at 8:00", "0 8 1,10,20 * *"),
]


@pytest.mark.parametrize(("phrase", "crontab"), PHRASES, ids=[row[0].strip() for row in PHRASES])
def test_phrase_becomes_crontab(phrase: str, crontab: str) -> None:
    assert phrase_to_crontab(phrase) == crontab
    schedule = parse_cron(phrase, "Europe/Berlin")
    assert schedule.spec == crontab  # stored as the crontab
    assert schedule.next_after(datetime(2026, 6, 1, tzinfo=UTC)) is not None


REFUSED = [
    ("every 45 minutes", "steps of minutes must divide 60"),
    ("every 7 hours", "steps of hours must divide 24"),
    ("every day at 8:15 and 9:30", "times with the same minutes"),
    ("every day at 25:00", "is not a time of day"),
    ("every day at 13pm", "is not a time of day"),
    ("on the 32nd at 9am", "days of the month run from 1 to 31"),
    ("every hour at :75", "the minute past the hour must be 0 to 59"),
    ("fortnightly", 'Could not read "fortnightly" as a schedule'),
    ("every day", 'Could not read "every day" as a schedule'),
    ("every blue moon at 9am", "Could not read"),
]


@pytest.mark.parametrize(("phrase", "fragment"), REFUSED, ids=[row[0] for row in REFUSED])
def test_refused_phrases(phrase: str, fragment: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_cron(phrase, "UTC")
    assert fragment in caught.value.message
    assert caught.value.example


def test_unknown_phrase_lists_three_examples_that_work() -> None:
    with pytest.raises(ScheduleError) as caught:
        phrase_to_crontab("whenever you like")
    assert len(PHRASE_EXAMPLES) == 3
    for example in PHRASE_EXAMPLES:
        assert f'"{example}"' in caught.value.message
        phrase_to_crontab(example)  # each one works


def test_crontabs_pass_through_untouched() -> None:
    assert not is_phrase("0 9 * * 1-5") and not is_phrase("*/5 * * * *")
    assert not is_phrase("@daily") and not is_phrase("")
    assert crontab_for("0 9 * * mon") == "0 9 * * mon"
    assert is_phrase("every day at 8am") and is_phrase("8am every day")
    assert is_phrase("2nd tuesday of the month at 19:00")
