"""The developer API (`bot.scheduler`) over the real engine, real SQLite and a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.api import SchedulerAPI
from scheduler.errors import ScheduleError
from storage import RunStatus, TaskSource, TaskStatus
from tests.integration.engine_harness import Harness, scheduler_api


def api_of(h: Harness) -> SchedulerAPI:
    assert h.engine is not None and h.control is not None
    return scheduler_api(h.engine, h.control)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    async def __call__(self, *args: object, **kwargs: object) -> None:
        self.calls.append((*args, *sorted(kwargs.items())))


async def test_cron_date_and_interval_jobs_fire(harness: Harness) -> None:
    api = api_of(harness)
    cron, date, every = Recorder(), Recorder(), Recorder()
    await api.add_cron_job(cron, "0 9 * * *", "report", args=("daily",), kwargs={"n": 1})
    await api.add_date_job(date, datetime(2026, 11, 2, 9, 30, tzinfo=UTC), "once")
    await api.add_interval_job(every, "poll", minutes=10)
    await harness.start()
    await harness.tick(seconds=30)  # 09:00
    assert cron.calls == [("daily", ("n", 1))]
    await harness.tick(minutes=10)  # 09:10 (interval first at 08:59:30 + 10 min)
    assert len(every.calls) == 1
    await harness.tick(minutes=10)  # 09:20
    assert date.calls == []
    await harness.tick(minutes=10)  # 09:30
    assert date.calls == [()]
    assert len(every.calls) == 3
    jobs = {t.job_id: t for t in await api.get_jobs()}
    assert set(jobs) == {"report", "once", "poll"}
    assert all(t.source == TaskSource.CODE and t.guild_id is None for t in jobs.values())
    assert jobs["once"].status == TaskStatus.COMPLETED
    assert harness.deliverer.calls == []  # code jobs call functions, they post nothing


async def test_a_code_job_catches_up_after_downtime(harness: Harness) -> None:
    api = api_of(harness)
    first = Recorder()
    await api.add_cron_job(first, "0 * * * *", "hourly", catch_up="once")
    await harness.start()
    await harness.tick(seconds=30)
    assert len(first.calls) == 1
    await harness.close()
    harness.clock.set(datetime(2026, 11, 2, 13, 10, tzinfo=UTC))
    await harness.open()
    again = Recorder()
    task = await api_of(harness).add_cron_job(again, "0 * * * *", "hourly", catch_up="once")
    assert task.next_run_at == datetime(2026, 11, 2, 10, tzinfo=UTC)  # kept across restart
    await harness.start()
    assert len(again.calls) == 1
    assert harness.engine is not None
    runs = await harness.engine.runs.list_for_task(task.id, limit=50)
    statuses = sorted(str(r.status) for r in runs)
    assert statuses == ["missed", "missed", "missed", "ok", "ok"]


async def test_stored_code_task_without_a_function_is_reported_and_paused(
    harness: Harness,
) -> None:
    await api_of(harness).add_cron_job(Recorder(), "0 9 * * *", "orphan", send_alert=True)
    await harness.close()
    await harness.open()
    await harness.start()  # nothing registers "orphan" this time
    assert harness.engine is not None
    task = await harness.engine.tasks.get_by_job_id("orphan")
    assert task is not None and task.status == TaskStatus.PAUSED
    [notice] = [n for n in harness.alerter.sent if n.kind == "code_task_unregistered"]
    assert notice.guild_id is None and "orphan" in notice.title
    await harness.tick(seconds=30)
    assert await harness.engine.runs.list_for_task(task.id) == []


async def test_reregistering_resumes_a_task_paused_for_having_no_function(
    harness: Harness,
) -> None:
    await api_of(harness).add_cron_job(Recorder(), "0 9 * * *", "comeback")
    await harness.close()
    await harness.open()
    await harness.start()
    back = Recorder()
    task = await api_of(harness).add_cron_job(back, "0 9 * * *", "comeback")
    assert task.status == TaskStatus.ACTIVE
    await harness.tick(seconds=30)
    assert len(back.calls) == 1


async def test_a_raising_job_is_recorded_and_alerted_when_asked(harness: Harness) -> None:
    async def broken() -> None:
        raise RuntimeError("database is on fire")

    api = api_of(harness)
    await api.add_cron_job(broken, "0 9 * * *", "broken", send_alert=True)
    quiet = await api.add_cron_job(broken, "0 9 * * *", "quiet")
    await harness.start()
    await harness.tick(seconds=30)
    assert harness.engine is not None
    [run] = await harness.engine.runs.list_for_task(quiet.id)
    assert run.status == RunStatus.FAILED and "database is on fire" in (run.error or "")
    failures = [n for n in harness.alerter.sent if n.kind == "task_failed"]
    assert [n.guild_id for n in failures] == [None]
    assert "broken" in failures[0].title


@pytest.mark.parametrize(
    "call",
    [
        lambda api, f: api.add_date_job(f, datetime(2026, 12, 24, 18, 0), "naive"),
        lambda api, f: api.add_interval_job(f, "naive-start", hours=1, start=datetime(2027, 1, 1)),
    ],
    ids=["date", "interval-start"],
)
async def test_naive_datetimes_are_refused(harness: Harness, call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ScheduleError, match="timezone"):
        await call(api_of(harness), Recorder())
    assert harness.engine is not None
    assert await harness.engine.tasks.list_code_tasks() == []


async def test_bad_job_arguments_are_refused(harness: Harness) -> None:
    api = api_of(harness)
    with pytest.raises(ScheduleError):
        await api.add_cron_job(Recorder(), "0 9 * *", "bad-cron")
    with pytest.raises(ScheduleError):
        await api.add_interval_job(Recorder(), "no-period")
    with pytest.raises(ScheduleError):
        await api.add_cron_job(Recorder(), "0 9 * * *", "bad-policy", catch_up="sometimes")
    with pytest.raises(ScheduleError):
        await api.add_cron_job(Recorder(), "0 9 * * *", "bad-zone", timezone="Mars/Base")
    assert harness.engine is not None
    assert await harness.engine.tasks.list_code_tasks() == []


async def test_remove_job_deletes_the_task(harness: Harness) -> None:
    api = api_of(harness)
    await api.add_cron_job(Recorder(), "0 9 * * *", "temp")
    assert await api.remove_job("temp") is True
    assert await api.remove_job("temp") is False
    assert await api.get_jobs() == []


async def test_alerts_go_to_the_operator(harness: Harness) -> None:
    api = api_of(harness)
    await api.send_dev_alert("disk almost full", title="Disk", level="warning")
    await api.send_alert("maintenance tonight", color=0x00FF00)
    assert harness.engine is not None
    await harness.engine.drain()
    dev, alert = harness.alerter.sent
    assert (dev.guild_id, dev.alert_channel, dev.title) == (None, False, "Disk")
    assert (alert.alert_channel, alert.color, alert.body) == (True, 0x00FF00, "maintenance tonight")


async def test_date_job_in_another_zone_fires_at_the_right_instant(harness: Harness) -> None:
    api = api_of(harness)
    hit = Recorder()
    berlin = datetime(2026, 11, 2, 10, 15, tzinfo=ZoneInfo("Europe/Berlin"))  # 09:15 UTC
    await api.add_date_job(hit, berlin, "berlin", timezone="Europe/Berlin")
    await harness.start()
    await harness.tick(minutes=15)  # 09:14:30
    assert hit.calls == []
    await harness.tick(seconds=30)
    assert hit.calls == [()]
    assert harness.clock.now() == berlin.astimezone(UTC) + timedelta(0)
