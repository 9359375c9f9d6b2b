"""Readable descriptions of the three schedule kinds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import scheduler.describe as describe_module
from scheduler.describe import describe_cron, describe_duration
from scheduler.schedules import parse_cron, parse_date_schedule, parse_interval

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cron", "text"),
    [
        ("0 8 * * 1-5", "At 08:00, Monday through Friday"),
        ("0 8 * * mon-fri", "At 08:00, Monday through Friday"),
        ("@daily", "At 00:00"),
        ("*/15 * * * *", "Every 15 minutes"),
        ("0 * * * *", "Every hour"),
        ("0 */2 * * *", "Every 2 hours"),
        ("0 9 * * 0", "At 09:00, only on Sunday"),
        ("0 9 * * 7", "At 09:00, only on Sunday"),
        ("0 9 * * sun", "At 09:00, only on Sunday"),
        ("0 9 1 * 1", "At 09:00, on day 1 of the month, or on Monday"),
        ("0 9 1,15 * mon-fri", "At 09:00, on day 1 and 15 of the month, or Monday through Friday"),
        ("0 9,17 * * 1-5", "At 09:00 and 17:00, Monday through Friday"),
        ("30 2 * * *", "At 02:30"),
        ("0 0 1 1 *", "At 00:00, on day 1 of the month, only in January"),
        ("0 9 * * sat,sun", "At 09:00, only on Saturday and Sunday"),
        ("0 9 * * sat-sun", "At 09:00, only on Saturday and Sunday"),
        ("0 9 * * 5-7", "At 09:00, Friday through Sunday"),
        ("0 9 * * */2", "At 09:00, only on Tuesday, Thursday, Saturday, and Sunday"),
        ("0 9 * * 0-7", "At 09:00"),
        ("0 9 1 * 0-7", "At 09:00"),
        ("0 9 1 * sat-sun", "At 09:00, on day 1 of the month, or on Saturday and Sunday"),
    ],
    ids=[
        "workdays", "workdays-names", "daily", "every-15", "hourly", "every-2h", "sunday-0",
        "sunday-7", "sunday-name", "or-rule", "or-rule-range", "two-times", "fixed", "yearly",
        "weekend", "weekend-range", "fri-sun", "every-other-weekday", "all-weekdays",
        "or-with-every-day", "or-with-weekend",
    ],
)  # fmt: skip
def test_cron_descriptions(cron: str, text: str) -> None:
    assert parse_cron(cron, "Europe/Berlin").describe() == text


@pytest.mark.parametrize(
    ("interval", "start", "text"),
    [
        ("90m", None, "Every 90 minutes"),
        ("1h", None, "Every hour"),
        ("30s", None, "Every 30 seconds"),
        ("2h30m", None, "Every 2 hours and 30 minutes"),
        ("1d12h", None, "Every 1 day and 12 hours"),
        ("1d2h3m", None, "Every 1 day, 2 hours and 3 minutes"),
        ("1d", "2026-06-02T00:30:00Z", "Every day at 02:30"),
        ("3d", "2026-06-02T00:30:00Z", "Every 3 days at 02:30"),
        ("1w", "2026-06-05T07:00:00Z", "Every week on Friday at 09:00"),
        ("2w", "2026-06-05T07:00:00Z", "Every 2 weeks on Friday at 09:00"),
        ("1w3d", "2026-06-05T07:00:00Z", "Every 10 days at 09:00"),
        ("1d", "2026-06-05T07:00:05Z", "Every day at 09:00:05"),
        ("1d", None, "Every day at 12:00"),
    ],
    ids=[
        "90m", "1h", "30s", "2h30m", "1d12h", "three-units", "daily", "3-days", "weekly",
        "fortnightly", "10-days", "with-seconds", "from-creation",
    ],
)  # fmt: skip
def test_interval_descriptions(interval: str, start: str | None, text: str) -> None:
    begin = datetime.fromisoformat(start.replace("Z", "+00:00")) if start else None
    schedule = parse_interval(interval, "Europe/Berlin", anchor=NOW, start=begin, min_seconds=1)
    assert schedule.describe() == text


@pytest.mark.parametrize(
    ("when", "zone", "text"),
    [
        ("2026-12-24 18:00", "Europe/Berlin", "Once at 2026-12-24 18:00 (Europe/Berlin)"),
        ("2026-12-24 18:00:30", "Europe/Berlin", "Once at 2026-12-24 18:00:30 (Europe/Berlin)"),
        ("2026-12-24T18:00Z", "America/New_York", "Once at 2026-12-24 13:00 (America/New_York)"),
        ("2026-10-04 02:30", "Australia/Adelaide", "Once at 2026-10-04 03:00 (Australia/Adelaide)"),
    ],
    ids=["berlin", "seconds", "offset-shown-in-zone", "gap-shows-real-time"],
)
def test_date_descriptions(when: str, zone: str, text: str) -> None:
    assert parse_date_schedule(when, zone, now=NOW).describe() == text


def test_duration_words() -> None:
    assert describe_duration({"m": 1}) == "minute"
    assert describe_duration({"h": 2}) == "2 hours"
    assert describe_duration({"w": 1, "s": 1}) == "1 week and 1 second"


def test_bad_cron_falls_back_to_its_text() -> None:
    assert describe_cron("not a cron") == "not a cron"


def test_descriptor_failure_falls_back_to_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise RuntimeError("cron-descriptor broke")

    describe_module.describe_cron_text.cache_clear()
    monkeypatch.setattr(describe_module, "ExpressionDescriptor", Broken)
    try:
        assert describe_cron("0 9 * * 1-5") == "0 9 * * 1-5"
    finally:
        describe_module.describe_cron_text.cache_clear()
