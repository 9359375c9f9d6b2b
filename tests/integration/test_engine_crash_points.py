"""Regression tests for crash points found by the end-to-end crash proofs (tests/e2e/
test_crash.py): what a process killed at an unlucky instant leaves in SQLite, and what the
next start makes of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.payload import make_nonce
from scheduler.planning import plan
from storage import RunStatus, RunTrigger, TaskStatus, WebhookDestination
from tests.integration.engine_harness import CHANNEL, GUILD, Harness

DUE = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
WEBHOOK = WebhookDestination(channel_id=CHANNEL, webhook_id=77, webhook_token="t")


async def test_a_webhook_run_interrupted_by_a_crash_is_unknown_not_ok(harness: Harness) -> None:
    assert harness.engine is not None
    task = await harness.add("hooked", "cron", "0 9 * * *")
    await harness.engine.tasks.update(task.id, destinations=(WEBHOOK,), at=DUE)
    # The previous process wrote the run row, advanced the task, then died mid-send.
    run = await harness.engine.runs.start(task.id, DUE, RunTrigger.SCHEDULE, DUE)
    await harness.engine.tasks.advance(task.id, next_run_at=DUE + timedelta(days=1))
    await harness.close()
    harness.clock.set(DUE + timedelta(seconds=30))  # inside the resume window
    await harness.open()
    await harness.start()
    assert harness.deliverer.calls == []  # a webhook takes no nonce: never re-sent
    stored = await harness.engine.runs.get(run.id)
    assert stored is not None and stored.status == RunStatus.UNKNOWN
    assert "not re-sent" in (stored.error or "")
    # Reported once, in the restart notice, not a second time as a task failure.
    [notice] = [n for n in harness.alerter.sent if n.kind == "runs_interrupted"]
    assert "hooked" in notice.body and "unknown" in notice.body
    assert [n for n in harness.alerter.sent if n.kind == "task_failed"] == []


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs (SQLite drops the open transaction)."""


@pytest.mark.parametrize("down_for", [30, 600], ids=["inside-resume-window", "beyond-it"])
async def test_a_kill_between_the_run_row_and_the_advance_leaves_neither(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, down_for: int
) -> None:
    """Before the fix the `running` row stayed while the task still said it was due, so the
    next start re-sent it as a recovered run *and* ran it again as a catch-up: two run rows,
    and beyond the resume window a re-send the design promises never to make."""
    assert harness.engine is not None
    task = await harness.add("daily", "cron", "0 9 * * *")
    await harness.start()

    async def killed(*args: object, **kwargs: object) -> None:
        raise Killed

    monkeypatch.setattr(harness.engine.tasks, "update_many", killed)
    harness.clock.set(DUE)
    due = plan(
        task, await harness.engine.zones.schedule_of(task), DUE, startup=False, catch_up_max=1
    )
    with pytest.raises(Killed):
        await harness.engine._apply(task, due, DUE)
    monkeypatch.undo()
    assert await harness.engine.runs.list_for_task(task.id) == []
    stored = await harness.engine.tasks.get(task.id)
    assert stored is not None and stored.next_run_at == DUE

    await harness.close()
    harness.clock.set(DUE + timedelta(seconds=down_for))
    await harness.open()
    await harness.start()
    assert [c.nonce for c in harness.deliverer.calls] == [make_nonce(task.id, DUE, 0)]
    [run] = await harness.engine.runs.list_for_task(task.id, limit=10)
    assert (run.scheduled_for, run.status) == (DUE, RunStatus.OK)
    stored = await harness.engine.tasks.get(task.id)
    assert stored is not None and stored.next_run_at == DUE + timedelta(days=1)
    assert stored.status == TaskStatus.ACTIVE


async def test_guild_of_the_interrupted_webhook_run_gets_one_notice(harness: Harness) -> None:
    assert harness.engine is not None
    names = ["h1", "h2"]
    for name in names:
        task = await harness.add(name, "cron", "0 9 * * *")
        await harness.engine.tasks.update(task.id, destinations=(WEBHOOK,), at=DUE)
        await harness.engine.runs.start(task.id, DUE, RunTrigger.SCHEDULE, DUE)
        await harness.engine.tasks.advance(task.id, next_run_at=DUE + timedelta(days=1))
    await harness.close()
    harness.clock.set(DUE + timedelta(seconds=10))
    await harness.open()
    await harness.start()
    notices = [n for n in harness.alerter.sent if n.guild_id == GUILD]
    assert [n.kind for n in notices] == ["runs_interrupted"]
    assert all(name in notices[0].body for name in names)


async def test_a_kill_between_the_run_result_and_the_task_counters_leaves_neither(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the fix the run was `ok` while its one-time task stayed `active` with no next
    run, for ever, and its run count never moved."""
    assert harness.engine is not None
    task = await harness.add("once", "date", "2026-11-02T09:00:00Z")
    await harness.start()

    async def killed(*args: object, **kwargs: object) -> None:  # the counters after the post
        raise Killed

    monkeypatch.setattr(harness.engine.finisher._tasks, "record_ok_runs", killed)
    harness.clock.set(DUE)
    due = plan(
        task, await harness.engine.zones.schedule_of(task), DUE, startup=False, catch_up_max=1
    )
    with pytest.raises(Killed):
        await harness.engine._apply(task, due, DUE)
    monkeypatch.undo()
    [run] = await harness.engine.runs.list_for_task(task.id)
    assert run.status == RunStatus.RUNNING  # posted, result not recorded: recovered next start

    await harness.close()
    harness.clock.set(DUE + timedelta(seconds=20))
    await harness.open()
    await harness.start()
    nonce = make_nonce(task.id, DUE, 0)
    assert [c.nonce for c in harness.deliverer.calls] == [nonce, nonce]  # the re-send
    assert len(harness.deliverer.posts) == 1  # which Discord answers with the first message
    [run] = await harness.engine.runs.list_for_task(task.id)
    assert run.status == RunStatus.OK
    stored = await harness.engine.tasks.get(task.id)
    assert stored is not None
    assert (stored.status, stored.run_count, stored.next_run_at) == (TaskStatus.COMPLETED, 1, None)
