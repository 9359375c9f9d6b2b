"""The engine: SQLite is the source of truth, a compact index says what is due, APScheduler
wakes us.

Life of a run: the index pops `(next_run_ms, task_id)`; the task is re-read and checked; a
`running` run row is written and the task advanced to its next instant *before* anything is
sent; the runner posts (with retries); the run row and the task's counters are finished; the
pause rules and notices follow. Runs are queued per guild and served round-robin.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from config import Settings
from scheduler.alerts import AlertFolder
from scheduler.clock import Clock, SystemClock
from scheduler.dispatch import FairDispatcher
from scheduler.incidents import DeliveryIncidents
from scheduler.index import DueIndex
from scheduler.planning import Plan, plan, schedule_for_task
from scheduler.protocols import Alerter, Deliverer, Notice
from scheduler.runner import CodeJob, Outcome, RetryPolicy, Runner
from scheduler.triggers import Schedule
from storage import (
    AuditRepository,
    Database,
    GuildSettingsRepository,
    NoticeLevel,
    NoticeRepository,
    Run,
    RunExistsError,
    RunRepository,
    RunStatus,
    RunTrigger,
    Task,
    TaskRepository,
    TaskSource,
    TaskStatus,
)
from storage.timeconv import from_ms, to_ms

log = logging.getLogger(__name__)

WAKE_JOB_ID = "cadence-wake"


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """The settings the engine uses (a subset of `Settings`, plus tuning knobs)."""

    default_timezone: str = "UTC"
    max_consecutive_failures: int = 3
    history_per_task: int = 100
    catch_up_max: int = 10
    resume_window_seconds: int = 120
    window_seconds: int = 600
    window_limit: int = 50_000
    concurrency: int = 16
    # More workers that only take a guild with nothing running: posts of one guild waiting
    # out a rate limit then cannot hold back another guild's (see FairDispatcher).
    idle_guild_workers: int = 16
    alert_window_seconds: float = 3.0

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> EngineConfig:
        return cls(
            default_timezone=settings.default_timezone,
            max_consecutive_failures=settings.max_consecutive_failures,
            history_per_task=settings.history_per_task,
            catch_up_max=settings.catch_up_max,
            resume_window_seconds=settings.resume_window_seconds,
            **overrides,
        )


class Engine:
    """Restores tasks, fires each at its instant, records every run, survives restarts."""

    def __init__(
        self,
        database: Database,
        *,
        deliverer: Deliverer,
        alerter: Alerter,
        config: EngineConfig | None = None,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        use_apscheduler: bool = True,
    ) -> None:
        self.config = config or EngineConfig()
        self.clock: Clock = clock or SystemClock()
        self.database = database
        self.tasks = TaskRepository(database)
        self.runs = RunRepository(database)
        self.audit = AuditRepository(database)
        self.guilds = GuildSettingsRepository(database)
        self.notices = NoticeRepository(database)
        self.code_jobs: dict[str, CodeJob] = {}
        self.alerter = alerter
        self.alerts = AlertFolder(self._send_notice, window=self.config.alert_window_seconds)
        self.incidents = DeliveryIncidents(self.alerts.add)
        self.runner = Runner(
            deliverer=deliverer,
            clock=self.clock,
            code_jobs=self.code_jobs,
            retry=retry,
            on_retry=self.incidents.retrying,
        )
        self.index = DueIndex()
        self.dispatcher: FairDispatcher[tuple[int, int]] = FairDispatcher(
            self._handle_entry,
            concurrency=self.config.concurrency,
            reserved_for_idle=self.config.idle_guild_workers,
        )
        self._guild_zones: dict[int, str] = {}
        self._tick_lock = asyncio.Lock()
        self._use_apscheduler = use_apscheduler
        self._aps: AsyncIOScheduler | None = None
        self._waking: asyncio.Task[None] | None = None
        self._wake_again = False
        self.started_at: datetime | None = None
        self.startup_report: dict[str, int] = {}
        self._catching_up = False
        self._catch_up_lines: dict[int | None, list[str]] = defaultdict(list)

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> dict[str, int]:
        """Recover interrupted runs, catch up on missed ones, load the index, start waking.

        Returns figures for the "started" notice: tasks loaded, runs recovered, missed handled.
        """
        now = self.clock.now()
        self.started_at = now
        await self._pause_unregistered_code_tasks(now)
        recovered = await self._recover_running(now)
        self.dispatcher.start()
        caught_up = await self._catch_up(now)
        loaded = await self._load_window(now)
        gc.collect()
        gc.freeze()
        if self._use_apscheduler:
            self._aps = AsyncIOScheduler(
                timezone=UTC,
                job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
            )
            self._aps.start()
            self._arm()
        # Counting every task scans the whole index, so it is left to whoever reports the
        # start (bot.py does it after the engine is ready).
        self.startup_report = {
            "indexed": loaded,
            "recovered": recovered,
            "caught_up": caught_up,
        }
        log.info("Engine ready: %s", self.startup_report)
        return self.startup_report

    async def stop(self, grace: float = 0.0) -> None:
        """Stop waking; runs in flight get `grace` seconds to finish before they are cancelled."""
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        waking, self._waking = self._waking, None
        if waking is not None:
            waking.cancel()
            await asyncio.gather(waking, return_exceptions=True)
        await self.dispatcher.stop(grace)
        await self.alerts.close()
        gc.unfreeze()

    async def drain(self) -> None:
        """Wait until every submitted run has finished, then send pending notices (tests)."""
        await self.dispatcher.join()
        await self.alerts.flush()

    # ----------------------------------------------------------------- code jobs

    def register(self, job: CodeJob) -> None:
        self.code_jobs[job.job_id] = job

    def unregister(self, job_id: str) -> None:
        self.code_jobs.pop(job_id, None)

    # ----------------------------------------------------------------- schedules and zones

    async def zone_for(self, task: Task) -> str:
        if task.timezone:
            return task.timezone
        if task.guild_id is None:
            return self.config.default_timezone
        zone = self._guild_zones.get(task.guild_id)
        if zone is None:
            settings = await self.guilds.get(task.guild_id)
            zone = settings.timezone or self.config.default_timezone
            self._guild_zones[task.guild_id] = zone
        return zone

    def forget_guild_zone(self, guild_id: int) -> None:
        self._guild_zones.pop(guild_id, None)

    async def schedule_of(self, task: Task) -> Schedule:
        return schedule_for_task(task, await self.zone_for(task))

    # ----------------------------------------------------------------- the index

    def track(self, task: Task) -> None:
        """Put an active task's next instant in the index (when it falls inside the window)."""
        if task.status != TaskStatus.ACTIVE or task.next_run_at is None:
            return
        if self.index.push(to_ms(task.next_run_at), task.id):
            self._arm()

    async def _load_window(self, now: datetime) -> int:
        """Load the next window of due entries from SQLite into the index."""
        until_ms = to_ms(now) + self.config.window_seconds * 1000
        after_ms = self.index.horizon_ms
        entries = await self.tasks.index_window(after_ms, until_ms, self.config.window_limit)
        horizon = until_ms
        if len(entries) >= self.config.window_limit:
            # Stop just before the last instant seen, so that instant loads whole next time.
            horizon = max(after_ms, entries[-1][0] - 1)
            entries = [e for e in entries if e[0] <= horizon]
            if not entries:
                last = await self.tasks.index_window(after_ms, after_ms + 1, None)
                entries, horizon = last, after_ms + 1
        self.index.extend(entries, horizon)
        return len(entries)

    def _arm(self) -> None:
        """Wake at the earliest due entry or the next window refill: through APScheduler when
        that lies ahead, at once (on the loop) when it is due already."""
        if self._aps is None:
            return
        refill_ms = self.index.horizon_ms - self.config.window_seconds * 500
        due = self.index.peek()
        wake_ms = refill_ms if due is None else min(due, refill_ms)
        if wake_ms <= to_ms(self.clock.now()):
            # Never hand APScheduler a time already past: while its wake job instance is
            # still running, max_instances=1 would skip the one-shot job and delete it, and
            # the engine would sleep until something else armed it.
            self._wake_soon()
            return
        self._aps.add_job(
            self._on_timer,
            DateTrigger(run_date=from_ms(wake_ms), timezone=UTC),
            id=WAKE_JOB_ID,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
        )

    async def _on_timer(self) -> None:
        """APScheduler's job: hand over to the loop and return at once, so its instance is
        never still running when the next wake falls due."""
        self._wake_soon()

    def _wake_soon(self) -> None:
        if self._waking is not None:
            self._wake_again = True
            return
        self._waking = asyncio.create_task(self._wake(), name="cadence-wake")

    async def _wake(self) -> None:
        try:
            while True:
                self._wake_again = False
                try:
                    await self.tick()
                except Exception:
                    log.exception("Engine tick failed; retrying in a second")
                    await asyncio.sleep(1)
                due = self.index.peek()
                if not self._wake_again and (due is None or due > to_ms(self.clock.now())):
                    break
        finally:
            self._waking = None
            self._arm()

    async def tick(self) -> int:
        """Submit every entry due now; refill the window when it runs low. Returns how many."""
        async with self._tick_lock:
            now = self.clock.now()
            now_ms = to_ms(now)
            if now_ms + self.config.window_seconds * 500 >= self.index.horizon_ms:
                await self._load_window(now)
            due = self.index.pop_due(now_ms)
            if not due:
                return 0
            tasks = {t.id: t for t in await self.tasks.get_many([task_id for _, task_id in due])}
            for due_ms, task_id in due:
                task = tasks.get(task_id)
                if _still_due(task, due_ms):
                    self.dispatcher.submit(task.guild_id if task else None, (due_ms, task_id))
            return len(due)

    # ----------------------------------------------------------------- handling one due entry

    async def _handle_entry(self, entry: tuple[int, int]) -> None:
        due_ms, task_id = entry
        task = await self.tasks.get(task_id)
        if task is None or not _still_due(task, due_ms):
            return
        now = self.clock.now()
        decided = plan(
            task,
            await self.schedule_of(task),
            now,
            startup=self._catching_up,
            catch_up_max=self.config.catch_up_max,
        )
        await self._apply(task, decided, now)

    async def _apply(self, task: Task, plan: Plan, now: datetime) -> None:
        """Record what is missed or skipped, advance the task, then execute the runs.

        The run rows and the task's advance are written in one transaction: a process killed
        between the two would leave a `running` row for an instant the task still says is
        due, and the next start would run that instant a second time (as a catch-up).
        """
        started: list[Run] = []
        async with self.database.transaction():
            if plan.missed:
                await self.runs.record_many(
                    task.id, plan.missed, RunStatus.MISSED, RunTrigger.SCHEDULE, now
                )
            if plan.skipped:
                await self.runs.record_many(
                    task.id, plan.skipped, RunStatus.SKIPPED, RunTrigger.SCHEDULE, now
                )
            for instant in plan.run:
                trigger = RunTrigger.CATCH_UP if plan.late else RunTrigger.SCHEDULE
                try:
                    started.append(await self.runs.start(task.id, instant, trigger, now))
                except RunExistsError as exc:
                    log.info("Task %s: run for %s exists already (%s)", task.id, instant, exc)
            changes: dict[str, Any] = {"next_run_at": plan.next_run_at, "at": now}
            if plan.skip_used:
                changes["skip_next"] = max(0, task.skip_next - plan.skip_used)
            if plan.next_run_at is None and not started:
                changes["status"] = TaskStatus.COMPLETED
            task = await self.tasks.update(task.id, **changes)
        self.track(task)
        if plan.total_missed or plan.late:
            self._note_catch_up(task, plan)
        for run in started:
            await self.execute_run(task, run)
            task = await self.tasks.get(task.id) or task

    async def execute_run(self, task: Task, run: Run, *, resend: bool = False) -> Run:
        """Run `task` for the `running` row `run`, then finish the row and the task.

        With `resend` (recovery after a crash) an unknown outcome is not notified here: the
        restart's "runs interrupted" notice already lists it.
        """
        outcome = await self.runner.execute(task, run.scheduled_for, resend=resend)
        return await self._finish(task, run, outcome, notify=not (resend and outcome.unknown))

    async def _finish(self, task: Task, run: Run, outcome: Outcome, *, notify: bool = True) -> Run:
        now = self.clock.now()
        status = (
            RunStatus.OK
            if outcome.ok
            else RunStatus.UNKNOWN
            if outcome.unknown
            else RunStatus.FAILED
        )
        late_ms = max(0, to_ms(now) - to_ms(run.scheduled_for)) if run.trigger != "manual" else 0
        self.incidents.finished(
            task.guild_id,
            task.name,
            retried=outcome.retried,
            posted=outcome.ok,
            late_ms=late_ms,
            attempts=outcome.attempts,
        )
        # The run row and the task's counters together: a process killed in between would
        # leave an `ok` run whose task never learned of it (a one-time task stuck `active`).
        async with self.database.transaction():
            finished = await self.runs.finish(
                run.id,
                status,
                finished_at=now,
                late_by_ms=late_ms,
                attempts=outcome.attempts,
                error=outcome.error,
                message_ids=outcome.message_ids,
            )
            fresh = await self.tasks.get(task.id)
            if fresh is None:  # deleted while it ran
                return finished
            await self._update_after_run(fresh, run, outcome, now, notify=notify)
            await self.runs.prune(task.id, self.config.history_per_task)
        return finished

    async def _update_after_run(
        self, task: Task, run: Run, outcome: Outcome, now: datetime, *, notify: bool = True
    ) -> None:
        manual = run.trigger == RunTrigger.MANUAL
        changes: dict[str, Any] = {"at": now, "rotation_index": task.rotation_index + 1}
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
            await self.tasks.update(task.id, **changes)
            return
        failures = task.consecutive_failures + (0 if outcome.unknown else 1)
        changes["consecutive_failures"] = failures
        changes["failure_count"] = task.failure_count + (0 if outcome.unknown else 1)
        notice_title = f"Task {task.name!r} failed"
        action = "It will try again at its next run."
        if outcome.unknown:
            notice_title = f"Task {task.name!r}: outcome unknown"
            action = "Check the channel; nothing was re-sent to avoid a double post."
        if outcome.pause_now:
            changes.update(status=TaskStatus.FAILED, paused_reason=outcome.error, next_run_at=None)
            action = f"It is paused until you fix this and resume it. {outcome.fix}".strip()
            notice_title = f"Task {task.name!r} paused: its destination is gone"
        elif failures >= self.config.max_consecutive_failures and not outcome.unknown:
            changes.update(status=TaskStatus.PAUSED, paused_reason=outcome.error, next_run_at=None)
            action = (
                f"It failed {failures} runs in a row and is paused; fix the cause, then "
                f"`/schedule resume`. {outcome.fix}".strip()
            )
            notice_title = f"Task {task.name!r} paused after {failures} failures"
        elif finished_schedule and task.status == TaskStatus.ACTIVE:
            changes.update(status=TaskStatus.FAILED, next_run_at=None)
            action = "It had no further runs scheduled."
        await self.tasks.update(task.id, **changes)
        if not notify or (task.source == TaskSource.CODE and not self._alerts_wanted(task)):
            return
        self.alerts.add(
            Notice(
                guild_id=task.guild_id,
                level=NoticeLevel.WARNING if outcome.unknown else NoticeLevel.ERROR,
                kind="task_failed",
                title=notice_title,
                body=f"{outcome.error or 'unknown error'}\n{action}",
                fields=(
                    ("Scheduled for", f"<t:{int(run.scheduled_for.timestamp())}:F>"),
                    ("Attempts", str(outcome.attempts)),
                ),
                task_id=task.id,
            )
        )

    def _alerts_wanted(self, task: Task) -> bool:
        job = self.code_jobs.get(task.job_id or "")
        return bool(job and job.send_alert)

    # ----------------------------------------------------------------- start-up

    async def _pause_unregistered_code_tasks(self, now: datetime) -> None:
        for task in await self.tasks.list_code_tasks():
            if task.status != TaskStatus.ACTIVE or task.job_id in self.code_jobs:
                continue
            await self.tasks.update(
                task.id,
                status=TaskStatus.PAUSED,
                paused_reason="no code registered this job_id at start-up",
                at=now,
            )
            self.alerts.add(
                Notice(
                    guild_id=None,
                    level=NoticeLevel.WARNING,
                    kind="code_task_unregistered",
                    title=f"Code job {task.job_id!r} paused",
                    body=(
                        "It is stored, but no code registered it at start-up, so it stays "
                        "paused. Register it again (add_*_job with this job_id) or remove it."
                    ),
                    task_id=task.id,
                )
            )

    async def _recover_running(self, now: datetime) -> int:
        """Runs left `running` by a crash: re-send inside the resume window, else `unknown`."""
        window = timedelta(seconds=self.config.resume_window_seconds)
        count = 0
        lines: dict[int | None, list[str]] = defaultdict(list)
        for run in await self.runs.running():
            task = await self.tasks.get(run.task_id)
            if task is None:
                continue
            count += 1
            started = run.started_at or run.scheduled_for
            if now - started <= window:
                finished = await self.execute_run(task, run, resend=True)
                lines[task.guild_id].append(
                    f"• **{task.name}** ({_ts(run.scheduled_for)}): re-sent after the restart, "
                    f"{finished.status}"
                )
            else:
                reason = (
                    f"interrupted by a restart more than {self.config.resume_window_seconds} s "
                    "ago; not re-sent, so it may or may not have been posted"
                )
                await self._finish(
                    task, run, Outcome(ok=False, unknown=True, errors=[reason]), notify=False
                )
                lines[task.guild_id].append(
                    f"• **{task.name}** ({_ts(run.scheduled_for)}): {reason}"
                )
        for guild_id, guild_lines in lines.items():
            self.alerts.add(
                Notice(
                    guild_id=guild_id,
                    level=NoticeLevel.WARNING,
                    kind="runs_interrupted",
                    title=f"{len(guild_lines)} run(s) interrupted by a restart",
                    body="\n".join(guild_lines),
                )
            )
        return count

    async def _catch_up(self, now: datetime) -> int:
        """Apply each overdue task's catch-up policy, then send one report per guild."""
        handled = 0
        self._catching_up = True
        try:
            while True:
                batch = await self.tasks.due_before(now, limit=1000)
                batch = [t for t in batch if t.next_run_at is not None]
                if not batch:
                    break
                for task in batch:
                    key = task.guild_id
                    self.dispatcher.submit(key, (to_ms(task.next_run_at), task.id))  # type: ignore[arg-type]
                await self.dispatcher.join()
                handled += len(batch)
        finally:
            self._catching_up = False
        self._send_catch_up_reports()
        return handled

    def _note_catch_up(self, task: Task, plan: Plan) -> None:
        parts = []
        if plan.total_missed:
            parts.append(f"{plan.total_missed} missed")
        if plan.run and plan.late:
            parts.append(f"{len(plan.run)} run late")
        line = f"• **{task.name}** ({task.catch_up}): {', '.join(parts) or 'nothing to do'}"
        if self._catching_up:
            self._catch_up_lines[task.guild_id].append(line)
        else:
            self.alerts.add(
                Notice(
                    guild_id=task.guild_id,
                    level=NoticeLevel.WARNING,
                    kind="missed_runs",
                    title="Missed runs",
                    body=line,
                    task_id=task.id,
                )
            )

    def _send_catch_up_reports(self) -> None:
        lines, self._catch_up_lines = self._catch_up_lines, defaultdict(list)
        for guild_id, guild_lines in lines.items():
            shown = guild_lines[:20]
            more = len(guild_lines) - len(shown)
            self.alerts.add(
                Notice(
                    guild_id=guild_id,
                    level=NoticeLevel.WARNING,
                    kind="catch_up_report",
                    title=f"Missed runs while the bot was offline: {len(guild_lines)} task(s)",
                    body="\n".join(shown) + (f"\n… and {more} more" if more > 0 else ""),
                )
            )

    # ----------------------------------------------------------------- notices

    async def _send_notice(self, notice: Notice) -> None:
        delivered = False
        try:
            delivered = await self.alerter.send(notice)
        except Exception:
            log.exception("Alerter failed for %r; keeping it unread", notice.title)
        if not delivered:
            # Kept for /scheduler status, which shows title and body: fold the fields (such
            # as a digest's "What to do") into the body so nothing is lost.
            body = "\n".join([notice.body, *(f"{name}: {value}" for name, value in notice.fields)])
            await self.notices.add(
                notice.guild_id, notice.level, notice.kind, notice.title, body, self.clock.now()
            )

    def notify(self, notice: Notice) -> None:
        """Queue a notice (folded with others of its kind)."""
        self.alerts.add(notice)


def _still_due(task: Task | None, due_ms: int) -> bool:
    return (
        task is not None
        and task.status == TaskStatus.ACTIVE
        and task.next_run_at is not None
        and to_ms(task.next_run_at) == due_ms
    )


def _ts(instant: datetime) -> str:
    return f"<t:{int(instant.timestamp())}:f>"
