"""The developer API takes the crontab extensions and plain-English phrases, stored as crontabs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scheduler.errors import ScheduleError
from tests.integration.engine_harness import Harness, scheduler_api


def utc(month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


async def noop() -> None:
    return None


@pytest.mark.parametrize(
    ("expression", "spec", "first"),
    [
        ("0 17 * * 5L", "0 17 * * 5L", utc(11, 27, 17, 0)),
        ("0 10 * * 1#1,1#3", "0 10 * * 1#1,1#3", utc(11, 2, 10, 0)),
        ("0 17 L * *", "0 17 L * *", utc(11, 30, 17, 0)),
        ("last friday of the month at 5pm", "0 17 * * 5L", utc(11, 27, 17, 0)),
        ("every weekday at 9:00", "0 9 * * 1-5", utc(11, 2, 9, 0)),
    ],
)  # fmt: skip
async def test_add_cron_job_accepts_extensions_and_phrases(
    harness: Harness, expression: str, spec: str, first: datetime
) -> None:
    assert harness.engine is not None and harness.control is not None
    api = scheduler_api(harness.engine, harness.control)
    task = await api.add_cron_job(noop, expression, "job", timezone="UTC")
    assert task.spec == spec
    assert task.next_run_at == first


async def test_add_cron_job_refuses_an_unknown_phrase(harness: Harness) -> None:
    assert harness.engine is not None and harness.control is not None
    api = scheduler_api(harness.engine, harness.control)
    with pytest.raises(ScheduleError, match="every weekday at 9:00"):
        await api.add_cron_job(noop, "whenever it suits", "job")
