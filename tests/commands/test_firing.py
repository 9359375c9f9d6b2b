"""Tasks created by command post at their scheduled second, with the run's nonce."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from scheduler.payload import make_nonce
from storage import RunStatus, RunTrigger, TaskStatus
from tests.commands.harness import App

ON_TIME = 1.5  # seconds after the scheduled instant the post must have reached "Discord"


async def test_date_and_interval_tasks_post_at_their_second(app: App) -> None:
    """A `once` task and an `every` task both due in three seconds (one wait for both)."""
    s = app.scene
    asked = datetime.now(UTC)
    once = await app.create("soon-once", "once", when="in 3 seconds", channel=s.general)
    every = await app.create(
        "soon-every", "every", interval="1m", start="in 3 seconds", channel=s.news
    )
    for task in (once, every):
        due = task.next_run_at
        assert due is not None and due.microsecond == 0  # whole seconds, rounded up
        assert timedelta(seconds=3) <= due - asked <= timedelta(seconds=4.5)
    assert app.fd.messages(s.general) == [] and app.fd.messages(s.news) == []

    posts = [
        await app.fd.wait_for_message(s.general, timeout=8),
        await app.fd.wait_for_message(s.news, timeout=8),
    ]

    await app.bot.engine.drain()
    for task, post in zip((once, every), posts, strict=True):
        due = task.next_run_at
        assert due is not None
        assert post.content == f"{task.name} says hello"
        assert due.timestamp() <= post.timestamp < due.timestamp() + ON_TIME
        assert post.nonce == make_nonce(task.id, due, 0)
        [run] = await app.runs(task)
        assert (run.trigger, run.status, run.scheduled_for) == (
            RunTrigger.SCHEDULE,
            RunStatus.OK,
            due,
        )
        assert run.message_ids == [post.id]
        assert (await app.task(task.name)).run_count == 1
    done = await app.task("soon-once")
    assert done.status == TaskStatus.COMPLETED and done.next_run_at is None
    again = await app.task("soon-every")
    assert again.status == TaskStatus.ACTIVE
    assert every.next_run_at is not None
    assert again.next_run_at == every.next_run_at + timedelta(minutes=1)


@pytest.mark.slow
async def test_cron_every_minute_posts_at_the_minute_boundary(app: App) -> None:
    """Waits for the next minute boundary (at most about a minute, 30 s on average)."""
    s = app.scene
    if 60 - time.time() % 60 < 5:  # too close to create the task first: take the next one
        await asyncio.sleep(60 - time.time() % 60 + 0.1)
    boundary = datetime.fromtimestamp((int(time.time()) // 60 + 1) * 60, UTC)

    task = await app.create("every-minute", cron="* * * * *", message="Tick")
    assert task.next_run_at == boundary

    wait = boundary.timestamp() - time.time() + 5
    post = await app.fd.wait_for_message(s.general, timeout=wait)

    assert post.content == "Tick"
    assert boundary.timestamp() <= post.timestamp < boundary.timestamp() + ON_TIME
    assert post.nonce == make_nonce(task.id, boundary, 0)
    await app.bot.engine.drain()
    [run] = await app.runs(task)
    assert (run.trigger, run.status, run.scheduled_for) == (
        RunTrigger.SCHEDULE,
        RunStatus.OK,
        boundary,
    )
    assert (await app.task("every-minute")).next_run_at == boundary + timedelta(minutes=1)
