"""Finishing runs: the run row, the task's counters, the pause rules and failure notices.

Outcomes are written in batches. The first finished run is written at once; the runs that
finish while that write is under way wait for it and go together in the next transaction.
So a quiet bot writes each run as it finishes, and a burst of 1,000 pays for a handful of
transactions instead of a thousand. Each run's row and its task's counters are still
written in the same transaction: a process killed in between cannot leave an `ok` run whose
task never learned of it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from scheduler.clock import Clock
from scheduler.incidents import DeliveryIncidents
from scheduler.protocols import Notice
from scheduler.runner import Outcome
from storage import (
    Database,
    LeaseRepository,
    NoticeLevel,
    Run,
    RunRepository,
    RunStatus,
    RunTrigger,
    Task,
    TaskRepository,
    TaskSource,
    TaskStatus,
)
from storage.timeconv import to_ms
from telemetry import Metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FinishRules:
    """The settings the pause rules and the history pruning follow."""

    max_consecutive_failures: int = 3
    history_per_task: int = 100


@dataclass(slots=True)
class _Pending:
    task: Task
    run: Run  # as it will read once finished
    outcome: Outcome
    notify: bool
    done: asyncio.Future[Run]


class RunFinisher:
    """Records finished runs in batches and applies what each outcome means for its task."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Clock,
        rules: FinishRules,
        incidents: DeliveryIncidents,
        notify: Callable[[Notice], None],
        alerts_wanted: Callable[[Task], bool],
        metrics: Metrics | None = None,
        process_id: str = "",
    ) -> None:
        """`notify` queues a notice; `alerts_wanted(task)` says whether a code task's
        developer asked for failure alerts. Outcomes are written only for runs that
        `process_id` still holds (see `scheduler.claims`)."""
        self._db = database
        self._leases = LeaseRepository(database)
        self._process_id = process_id
        self._tasks = TaskRepository(database)
        self._runs = RunRepository(database)
        self._clock = clock
        self._rules = rules
        self._incidents = incidents
        self._notify = notify
        self._alerts_wanted = alerts_wanted
        self._metrics = metrics or Metrics()
        self._queue: list[_Pending] = []
        self._writer: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    def finish(
        self, task: Task, run: Run, outcome: Outcome, *, notify: bool = True
    ) -> asyncio.Future[Run]:
        """Queue the outcome of `run`; the returned future gives the finished row once it is
        written (await it, or leave it: an error is logged either way)."""
        now = self._clock.now()
        status = (
            RunStatus.OK
            if outcome.ok
            else RunStatus.UNKNOWN
            if outcome.unknown
            else RunStatus.FAILED
        )
        self._metrics.run_finished(str(status), str(run.trigger))
        manual = run.trigger == RunTrigger.MANUAL
        late_ms = 0 if manual else max(0, to_ms(now) - to_ms(run.scheduled_for))
        self._incidents.finished(
            task.guild_id,
            task.name,
            retried=outcome.retried,
            posted=outcome.ok,
            late_ms=late_ms,
            attempts=outcome.attempts,
        )
        finished = replace(
            run,
            status=status,
            finished_at=now,
            late_by_ms=late_ms,
            attempts=outcome.attempts,
            error=outcome.error,
            message_ids=list(outcome.message_ids),
        )
        done: asyncio.Future[Run] = asyncio.get_running_loop().create_future()
        done.add_done_callback(_observe)
        self._queue.append(_Pending(task, finished, outcome, notify, done))
        self._idle.clear()
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_queued(), name="cadence-finish")
        return done

    async def join(self) -> None:
        """Wait until every queued outcome is written."""
        await self._idle.wait()

    async def _write_queued(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                try:
                    await self._write(batch)
                except Exception as exc:
                    if len(batch) == 1:
                        log.exception("Could not record run %s", batch[0].run.id)
                        _fail(batch[0].done, exc)
                        continue
                    # One bad outcome must not lose the others: write them one by one.
                    log.exception("Could not record %d runs together; one by one", len(batch))
                    for pending in batch:
                        try:
                            await self._write([pending])
                        except Exception as alone:
                            log.exception("Could not record run %s", pending.run.id)
                            _fail(pending.done, alone)
                except BaseException as exc:  # cancelled, or the process is going down
                    for pending in batch:
                        _fail(pending.done, exc)
                    raise
        finally:
            self._writer = None
            self._idle.set()

    async def _write(self, batch: list[_Pending]) -> None:
        with self._metrics.db_operation_seconds.labels("finish_runs").time():
            await self._write_batch(batch)

    async def _write_batch(self, batch: list[_Pending]) -> None:
        now = self._clock.now()
        notices: list[Notice] = []
        # A successful scheduled run (nearly all of them) changes its task's counters the
        # same way whatever they hold, so SQL does it; the rest are decided here, per task.
        plain: list[_Pending] = []
        others: list[_Pending] = []
        async with self._db.transaction():
            # Fenced: a run another process took over (this one froze past its lease) keeps
            # what that process writes, and its task's counters are not touched from here.
            written = await self._leases.finish_held(self._process_id, [p.run for p in batch])
            for pending in batch:
                if pending.run.id not in written:
                    log.warning(
                        "Run %s of task %s: lost its lease before its outcome (%s) was "
                        "written; nothing recorded from this process",
                        pending.run.id,
                        pending.task.id,
                        pending.run.status,
                    )
                    continue
                ok = pending.outcome.ok and pending.run.trigger != RunTrigger.MANUAL
                (plain if ok else others).append(pending)
            await self._tasks.record_ok_runs(
                [(p.task.id, p.run.scheduled_for) for p in plain], at=now
            )
            fresh = {t.id: t for t in await self._tasks.get_many(p.task.id for p in others)}
            updates: list[tuple[int, dict[str, Any]]] = []
            for pending in others:
                task = fresh.get(pending.task.id)
                if task is None:  # deleted while it ran
                    continue
                changes, notice = self.after_run(task, pending.run, pending.outcome)
                fresh[task.id] = replace(task, **changes)  # the next run of it in this batch
                updates.append((task.id, changes))
                if notice is not None and pending.notify:
                    notices.append(notice)
            await self._tasks.update_many(updates, at=now)
            await self._runs.prune_many((p.task.id for p in batch), self._rules.history_per_task)
        for notice in notices:
            self._notify(notice)
        for pending in batch:
            if not pending.done.done():
                pending.done.set_result(pending.run)

    def after_run(
        self, task: Task, run: Run, outcome: Outcome
    ) -> tuple[dict[str, Any], Notice | None]:
        """What a finished run changes in its task (as read now), and the notice to send."""
        manual = run.trigger == RunTrigger.MANUAL
        changes: dict[str, Any] = {"rotation_index": task.rotation_index + 1}
        if not manual:
            changes["last_run_at"] = run.scheduled_for
            changes["run_count"] = task.run_count + 1
        finished_schedule = not manual and (
            task.next_run_at is None
            or (task.max_runs is not None and task.run_count + 1 >= task.max_runs)
        )
        if outcome.ok:
            changes["consecutive_failures"] = 0
            if finished_schedule and task.status == TaskStatus.ACTIVE:
                changes["status"] = TaskStatus.COMPLETED
                changes["next_run_at"] = None
            return changes, None
        failures = task.consecutive_failures + (0 if outcome.unknown else 1)
        changes["consecutive_failures"] = failures
        changes["failure_count"] = task.failure_count + (0 if outcome.unknown else 1)
        title = f"Task {task.name!r} failed"
        action = "It will try again at its next run."
        if outcome.unknown:
            title = f"Task {task.name!r}: outcome unknown"
            action = "Check the channel; nothing was re-sent to avoid a double post."
        if outcome.pause_now:
            changes.update(status=TaskStatus.FAILED, paused_reason=outcome.error, next_run_at=None)
            action = f"It is paused until you fix this and resume it. {outcome.fix}".strip()
            title = f"Task {task.name!r} paused: its destination is gone"
        elif failures >= self._rules.max_consecutive_failures and not outcome.unknown:
            changes.update(status=TaskStatus.PAUSED, paused_reason=outcome.error, next_run_at=None)
            action = (
                f"It failed {failures} runs in a row and is paused; fix the cause, then "
                f"`/schedule resume`. {outcome.fix}".strip()
            )
            title = f"Task {task.name!r} paused after {failures} failures"
        elif finished_schedule and task.status == TaskStatus.ACTIVE:
            changes.update(status=TaskStatus.FAILED, next_run_at=None)
            action = "It had no further runs scheduled."
        if task.source == TaskSource.CODE and not self._alerts_wanted(task):
            return changes, None
        notice = Notice(
            guild_id=task.guild_id,
            level=NoticeLevel.WARNING if outcome.unknown else NoticeLevel.ERROR,
            kind="task_failed",
            title=title,
            body=f"{outcome.error or 'unknown error'}\n{action}",
            fields=(
                ("Scheduled for", f"<t:{int(run.scheduled_for.timestamp())}:F>"),
                ("Attempts", str(outcome.attempts)),
            ),
            task_id=task.id,
        )
        return changes, notice


def _observe(done: asyncio.Future[Run]) -> None:
    """Mark a failed future's error as seen: it was logged when it happened."""
    if not done.cancelled():
        done.exception()


def _fail(done: asyncio.Future[Run], error: BaseException) -> None:
    if not done.done():
        done.set_exception(error)
