"""The engine: SQLite is the source of truth, a compact index says what is due, APScheduler
wakes us.

Life of a run: the index pops every `(next_run_ms, task_id)` due now; in one transaction the
tasks are re-read and checked, a `running` run row is written for each run and each task is
advanced to its next instant, *before* anything is sent; the runs are queued per guild and
served round-robin; the runner posts (with retries); the `RunFinisher` records the outcomes
(run rows and task counters, in batches), the pause rules and notices."""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from config import Settings
from scheduler.alerts import AlertFolder
from scheduler.claims import Duties, Leases
from scheduler.clock import Clock, SystemClock
from scheduler.cron_rewrite import rewrite_star_step_crons
from scheduler.dispatch import FairDispatcher
from scheduler.finishing import FinishRules, RunFinisher
from scheduler.incidents import DeliveryIncidents
from scheduler.planning import Plan, plan
from scheduler.process_group import FALLBACK
from scheduler.protocols import Alerter, Deliverer, Notice
from scheduler.recovery import CatchUpNotes, InterruptedRuns, pause_unregistered_code_tasks
from scheduler.runner import CodeJob, RetryPolicy, Runner
from scheduler.waking import Waker
from scheduler.zones import TaskZones
from storage import (
    TASKS_CHANNEL,
    Claim,
    Database,
    Listening,
    Repositories,
    Run,
    RunStatus,
    RunTrigger,
    StateRepository,
    Task,
    TaskSource,
    TaskStatus,
)
from storage.timeconv import to_ms
from telemetry import Metrics, log_context

CLAIM_FALLBACK_MS = FALLBACK // timedelta(milliseconds=1)
"""How late another live process's guild's run may get before this process claims it."""

log = logging.getLogger(__name__)

PLAN_CHUNK = 500
"""Due entries planned per transaction: the loop gets a turn between chunks."""


@dataclass(frozen=True, slots=True)
class _Due:
    """A due index entry, planned and written when a worker takes it."""

    due_ms: int
    task_id: int


@dataclass(frozen=True, slots=True)
class _Started:
    """A task's runs, already written `running` with the task advanced: only to execute."""

    task: Task
    runs: tuple[Run, ...]


_Item = _Due | _Started


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
    #: This process among those sharing the database: written on the runs it holds (and
    #: reused by the process group's heartbeat). A new one at every start.
    process_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    lease_seconds: int = 30

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> EngineConfig:
        return cls(
            default_timezone=settings.default_timezone,
            max_consecutive_failures=settings.max_consecutive_failures,
            history_per_task=settings.history_per_task,
            catch_up_max=settings.catch_up_max,
            resume_window_seconds=settings.resume_window_seconds,
            lease_seconds=settings.lease_seconds,
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
        repositories: Repositories | None = None,
        zones: TaskZones | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.config = config or EngineConfig()
        #: Who posts what (docs/SCALING.md): given a guild id, whether this process claims its
        #: due runs at once; the others only once they are `CLAIM_FALLBACK_MS` late (the
        #: one-second poll brings them back). None: claim everything (one process).
        self.prefers: Callable[[int], bool] | None = None
        self.metrics = metrics or Metrics()
        self.clock: Clock = clock or SystemClock()
        self.database = database
        stores = repositories or Repositories.over(database)
        self.tasks = stores.tasks
        self.runs = stores.runs
        self.audit = stores.audit
        self.guilds = stores.guilds
        self.notices = stores.notices
        self.zones = zones or TaskZones(self.guilds, default_timezone=self.config.default_timezone)
        self.code_jobs: dict[str, CodeJob] = {}
        self.alerter = alerter
        self.leases = Leases(
            database,
            self.clock,
            process_id=self.config.process_id,
            lease_seconds=self.config.lease_seconds,
        )
        self.duties = Duties(self.leases, reap=self.reap, poll=self.poll_due)
        self._listening: Listening | None = None
        self.alerts = AlertFolder(self._send_notice, window=self.config.alert_window_seconds)
        self.incidents = DeliveryIncidents(self.alerts.add)
        self.runner = Runner(
            deliverer=deliverer,
            clock=self.clock,
            code_jobs=self.code_jobs,
            retry=retry,
            on_retry=self.incidents.retrying,
            metrics=self.metrics,
        )
        self.finisher = RunFinisher(
            database,
            clock=self.clock,
            rules=FinishRules(
                max_consecutive_failures=self.config.max_consecutive_failures,
                history_per_task=self.config.history_per_task,
            ),
            incidents=self.incidents,
            notify=self.alerts.add,
            alerts_wanted=self._alerts_wanted,
            metrics=self.metrics,
            process_id=self.config.process_id,
        )
        self.dispatcher: FairDispatcher[_Item] = FairDispatcher(
            self._handle,
            concurrency=self.config.concurrency,
            reserved_for_idle=self.config.idle_guild_workers,
        )
        self._tick_lock = asyncio.Lock()
        self._use_apscheduler = use_apscheduler
        self.waker = Waker(
            self.tasks,
            self.clock,
            self.tick,
            window_seconds=self.config.window_seconds,
            window_limit=self.config.window_limit,
        )
        self.index = self.waker.index
        self.catch_up_notes = CatchUpNotes(self.alerts.add)
        self.interrupted = InterruptedRuns(
            tasks=self.tasks,
            resend=lambda task, run: self.execute_run(task, run, resend=True),
            finish=lambda task, run, outcome: self.finisher.finish(
                task, run, outcome, notify=False
            ),
            notify=self.alerts.add,
            resume_window_seconds=self.config.resume_window_seconds,
        )
        self.started_at: datetime | None = None
        self.startup_report: dict[str, int] = {}

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> dict[str, int]:
        """Both start-up steps at once: `recover()`, then `catch_up_and_wake()`.

        For code with no gateway to wait for (tests, benchmarks); the bot runs the second
        step only once Discord's gateway is ready. Returns the start-up figures.
        """
        await self.recover()
        return await self.catch_up_and_wake()

    async def recover(self) -> int:
        """Start-up, step one (before the gateway connects): pause code tasks nobody
        registered, re-send or close the runs a crash left `running`, load the index.

        Nothing is caught up and nothing wakes yet. Returns how many runs were recovered.
        """
        now = self.clock.now()
        self.started_at = now
        await rewrite_star_step_crons(
            self.tasks, self.audit, StateRepository(self.database), self.notify, now
        )
        await pause_unregistered_code_tasks(self.tasks, self.code_jobs, self.alerts.add, now)
        # Alone on SQLite, every `running` row is a crash's; sharing PostgreSQL, only those
        # whose lease lapsed or that our own earlier life held (the others belong to live
        # processes; their leases lapse, and the reaper takes them, if they are dead).
        taken = await self.leases.take(now, starting=True)
        recovered = await self.interrupted.recover(now, taken)
        self.dispatcher.start()
        loaded = await self.waker.load_window(now)
        self.startup_report = {"indexed": loaded, "recovered": recovered}
        log.info("Engine %s recovered: %s", self.config.process_id, self.startup_report)
        return recovered

    async def catch_up_and_wake(self) -> dict[str, int]:
        """Start-up, step two: apply the catch-up policy to every task that was due when
        `recover()` ran, wait until those posts are out, then start waking.

        Returns figures for the "started" notice: tasks indexed, runs recovered, missed
        handled. (Counting every task scans the whole index, so that is left to whoever
        reports the start.)
        """
        if self.started_at is None:
            raise RuntimeError("Engine.recover() must run before catch_up_and_wake()")
        caught_up = await self._catch_up(self.started_at)
        if self.leases.shared:
            self._listening = await self.database.listen(TASKS_CHANNEL, self.heard)
        if self._use_apscheduler:
            self.waker.start()
            if self.leases.shared:
                self.duties.start()
        self.startup_report["caught_up"] = caught_up
        log.info("Engine ready: %s", self.startup_report)
        return dict(self.startup_report)

    async def stop(self, grace: float = 0.0, *, hand_over: bool = True) -> None:
        """Stop waking; runs in flight get `grace` seconds to finish before they are cancelled.
        With `hand_over`, the leases of runs left unfinished lapse at once, so another
        process re-sends them within a second; without it they lapse when their lease ends,
        as after a crash (tests of the takeover path use that)."""
        await self.waker.stop()
        await self.duties.stop()
        listening, self._listening = self._listening, None
        if listening is not None:
            await listening.close()
        await self.dispatcher.stop(grace)
        await self.finisher.join()
        if hand_over:
            await self.leases.give_up()
        await self.alerts.close()

    async def drain(self) -> None:
        """Wait until every submitted run has finished, then send pending notices (tests)."""
        await self.dispatcher.join()
        await self.finisher.join()
        await self.alerts.flush()

    # ----------------------------------------------------------------- code jobs

    def register(self, job: CodeJob) -> None:
        self.code_jobs[job.job_id] = job

    def unregister(self, job_id: str) -> None:
        self.code_jobs.pop(job_id, None)

    # ----------------------------------------------------------------- the index

    def track(self, task: Task) -> None:
        """Put an active task's next instant in the index (when it falls inside the window)."""
        if task.status != TaskStatus.ACTIVE or task.next_run_at is None:
            return
        self.waker.push(to_ms(task.next_run_at), task.id)

    async def tick(self) -> int:
        """Start every entry due now; refill the window when it runs low. Returns how many."""
        async with self._tick_lock:
            now = self.clock.now()
            now_ms = to_ms(now)
            if self.waker.needs_refill(now_ms):
                await self.waker.load_window(now)
            due = self.index.pop_due(now_ms)
            if len(due) > PLAN_CHUNK:
                # Planned in chunks, and the first chunk's runs start before the last is
                # planned: deal the entries out guild by guild, so that the first chunk holds
                # every guild's first entry and no guild waits behind another's burst.
                due = _by_turns(due, await self.tasks.guilds_of(i for _, i in due))
            for offset in range(0, len(due), PLAN_CHUNK):
                await self._start_due(due[offset : offset + PLAN_CHUNK], now)
            return len(due)

    async def _start_due(self, entries: list[tuple[int, int]], now: datetime) -> None:
        """Plan due entries and write their run rows and advances in one transaction, then
        hand the runs to the workers.

        A burst of 1,000 due at once thus costs one transaction before the first post, not
        a few per run while the others wait. Code tasks and webhook posts are planned when a
        worker takes them instead: a restart re-sends neither (neither can be told apart
        from a double), so their `running` row must mean "started", not "queued".
        """
        order: list[_Due | int] = []  # in due order: entries to plan later, or task ids
        guilds: dict[int, int | None] = {}
        with self.metrics.db_operation_seconds.labels("start_runs").time():
            async with self.database.transaction():
                # Locked: a task another process is starting now is left out (it is theirs).
                found = await self.tasks.get_many((i for _, i in entries), claim=True)
                tasks = {t.id: t for t in found}
                decisions: list[tuple[Task, Plan]] = []
                for due_ms, task_id in entries:
                    task = tasks.pop(task_id, None)  # popped: a task is started once a chunk
                    if task is None or not _still_due(task, due_ms):
                        continue
                    if not self._claims_now(task.guild_id, due_ms, now):
                        continue  # another live process's guild: theirs unless it runs late
                    if task.source == TaskSource.CODE or any(
                        d.kind == "webhook" for d in task.destinations
                    ):
                        order.append(_Due(due_ms, task_id))
                        guilds[task_id] = task.guild_id
                        continue
                    order.append(task_id)
                    decisions.append((task, await self._plan(task, now)))
                started = {t.id: (t, p, r) for t, p, r in await self._start_runs(decisions, now)}
        for entry in order:
            if isinstance(entry, _Due):
                self.dispatcher.submit(guilds[entry.task_id], entry)
                continue
            task, decided, runs = started[entry]
            self._after_start(task, decided)
            if runs:
                self.dispatcher.submit(task.guild_id, _Started(task, tuple(runs)))

    def _claims_now(self, guild_id: int | None, due_ms: int, now: datetime) -> bool:
        """Whether this process should start `guild_id`'s run due at `due_ms` now (a task of
        no guild, such as a code task, belongs to no shard: anyone's)."""
        if self.prefers is None or guild_id is None or self.prefers(guild_id):
            return True
        return due_ms <= to_ms(now) - CLAIM_FALLBACK_MS

    async def _plan(self, task: Task, now: datetime) -> Plan:
        return plan(
            task,
            await self.zones.schedule_of(task),
            now,
            startup=self.catch_up_notes.collecting,
            catch_up_max=self.config.catch_up_max,
        )

    async def _start_runs(
        self, decisions: list[tuple[Task, Plan]], now: datetime
    ) -> list[tuple[Task, Plan, list[Run]]]:
        """Inside the caller's transaction: record what is missed or skipped, write a
        `running` row per run and advance each task. Returns each task as read, its plan
        and the runs written (an instant already started is left out, and logged).

        The run rows and the advances must commit together: a process killed between the two
        would leave a `running` row for an instant the task still says is due, and the next
        start would run that instant a second time (as a catch-up).
        """
        for task, decided in decisions:
            if decided.missed:
                await self.runs.record_many(
                    task.id, decided.missed, RunStatus.MISSED, RunTrigger.SCHEDULE, now
                )
                self.metrics.runs.labels("missed", "schedule").inc(len(decided.missed))
            if decided.skipped:
                await self.runs.record_many(
                    task.id, decided.skipped, RunStatus.SKIPPED, RunTrigger.SCHEDULE, now
                )
                self.metrics.runs.labels("skipped", "schedule").inc(len(decided.skipped))
        wanted = [
            (task.id, instant, _trigger(decided))
            for task, decided in decisions
            for instant in decided.run
        ]
        written = await self.runs.start_many(wanted, now, self.leases.claim(now)) if wanted else []
        for started in written:
            self.leases.hold(started)
        by_key = {(r.task_id, to_ms(r.scheduled_for), str(r.trigger)): r for r in written}
        updates: list[tuple[int, dict[str, Any]]] = []
        result: list[tuple[Task, Plan, list[Run]]] = []
        for task, decided in decisions:
            runs: list[Run] = []
            for instant in decided.run:
                run = by_key.get((task.id, to_ms(instant), str(_trigger(decided))))
                if run is None:
                    log.info("Task %s: the run for %s exists already", task.id, instant)
                else:
                    runs.append(run)
            changes: dict[str, Any] = {"next_run_at": decided.next_run_at}
            if decided.skip_used:
                changes["skip_next"] = max(0, task.skip_next - decided.skip_used)
            if decided.next_run_at is None and not runs:
                changes["status"] = TaskStatus.COMPLETED
            updates.append((task.id, changes))
            result.append((task, decided, runs))  # the task as read: what the runner needs
        await self.tasks.update_many(updates, at=now)
        return result

    def _after_start(self, task: Task, decided: Plan) -> None:
        if decided.next_run_at is not None:
            self.waker.push(to_ms(decided.next_run_at), task.id)
        if decided.total_missed or decided.late:
            self.catch_up_notes.note(task, decided)

    # ----------------------------------------------------------------- handling one item

    async def _handle(self, item: _Item) -> None:
        if isinstance(item, _Due):
            await self._handle_entry(item.due_ms, item.task_id)
            return
        task, runs = item.task, item.runs
        if len(runs) == 1:
            run = runs[0]
            self._observe_start(run)
            with log_context(guild_id=task.guild_id, task_id=task.id, run_id=run.id):
                outcome = await self.runner.execute(
                    task, run.scheduled_for, guard=self.leases.guard(run)
                )
            if outcome.lost:
                self.leases.release(run)
                return
            done = self.finisher.finish(task, run, outcome)  # written with others; not awaited
            done.add_done_callback(lambda _: self.leases.release(run))
            return
        await self._execute_in_turn(task, list(runs))

    async def _handle_entry(self, due_ms: int, task_id: int) -> None:
        task = await self.tasks.get(task_id)
        if task is None or not _still_due(task, due_ms):
            return
        now = self.clock.now()
        await self._apply(task, await self._plan(task, now), now)

    async def _apply(self, task: Task, decided: Plan, now: datetime) -> None:
        """Start one task's runs (rows and advance in one transaction), then execute them."""
        async with self.database.transaction():
            locked = await self.tasks.get_many([task.id], claim=True)
            if not locked or locked[0].next_run_at != task.next_run_at:
                return  # another process is starting it, or has
            [(task, decided, runs)] = await self._start_runs([(task, decided)], now)
        self._after_start(task, decided)
        await self._execute_in_turn(task, runs)

    async def _execute_in_turn(self, task: Task, runs: list[Run]) -> None:
        """Several runs of one task (catch-up `all`): each sees the counters the last left."""
        for run in runs:
            await self.execute_run(task, run)
            task = await self.tasks.get(task.id) or task

    async def execute_run(self, task: Task, run: Run, *, resend: bool = False) -> Run:
        """Run `task` for the `running` row `run`, then finish the row and the task.

        With `resend` (recovery after a crash) an unknown outcome is not notified here: the
        restart's "runs interrupted" notice already lists it.
        """
        self.leases.hold(run)
        try:
            self._observe_start(run)
            with log_context(guild_id=task.guild_id, task_id=task.id, run_id=run.id):
                outcome = await self.runner.execute(
                    task, run.scheduled_for, resend=resend, guard=self.leases.guard(run)
                )
            if outcome.lost:
                return run
            return await self.finisher.finish(
                task, run, outcome, notify=not (resend and outcome.unknown)
            )
        finally:
            self.leases.release(run)

    # ----------------------------------------------------------------- other processes

    def claim(self, now: datetime) -> Claim:
        """What a run this process starts now (a manual one) is written with."""
        return self.leases.claim(now)

    async def reap(self) -> int:
        """Take over the runs whose lease lapsed (their process died or froze) and re-send
        or close them as a restart would. Returns how many were taken."""
        now = self.clock.now()
        taken = await self.leases.take(now, starting=False)
        if taken:
            log.warning("Took over %d run(s) whose lease lapsed", len(taken))
            await self.interrupted.recover(now, taken)
        return len(taken)

    async def poll_due(self) -> int:
        """The fallback for wake-ups: start what is due in the database but missing from
        this process's index (a lost notification; a task another process advanced, then
        died). Returns how many entries were looked at."""
        now = self.clock.now()
        due = await self.tasks.due_before(now, limit=PLAN_CHUNK)
        entries = [(to_ms(t.next_run_at), t.id) for t in due if t.next_run_at is not None]
        if entries:
            async with self._tick_lock:
                await self._start_due(entries, now)
        return len(entries)

    def heard(self, payload: str) -> None:
        """A notification from another process: `<task_id>:<next_run_ms>` now falls due.
        Only what lands in the index window is kept; the waker is re-armed if it is the
        earliest."""
        task_id, _, due_ms = payload.partition(":")
        try:
            self.waker.push(int(due_ms), int(task_id))
        except ValueError:
            log.warning("Ignoring a malformed task notification %r", payload)

    def _observe_start(self, run: Run) -> None:
        """`cadence_run_lateness_seconds`: how late a scheduled run starts (a manual run has
        no instant to be late for)."""
        if run.trigger != RunTrigger.MANUAL:
            self.metrics.run_started((self.clock.now() - run.scheduled_for).total_seconds())

    def _alerts_wanted(self, task: Task) -> bool:
        job = self.code_jobs.get(task.job_id or "")
        return bool(job and job.send_alert)

    # ----------------------------------------------------------------- start-up

    async def _catch_up(self, now: datetime) -> int:
        """Apply each overdue task's catch-up policy, then send one report per guild."""
        handled = 0
        self.catch_up_notes.collecting = True
        try:
            while True:
                batch = await self.tasks.due_before(now, limit=1000)
                batch = [t for t in batch if t.next_run_at is not None]
                if not batch:
                    break
                entries = [(to_ms(t.next_run_at), t.id) for t in batch if t.next_run_at]
                await self._start_due(entries, now)
                await self.dispatcher.join()
                await self.finisher.join()
                handled += len(batch)
        finally:
            self.catch_up_notes.collecting = False
        self.catch_up_notes.send_reports()
        return handled

    # ----------------------------------------------------------------- notices

    async def _send_notice(self, notice: Notice) -> None:
        self.metrics.notices.labels(notice.kind).inc()
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


def _by_turns(
    entries: list[tuple[int, int]], guild_of: dict[int, int | None]
) -> list[tuple[int, int]]:
    """`entries` reordered so that guilds take turns: each guild's first, then each one's
    second, and so on (each guild's own entries keep their order)."""
    queues: dict[int | None, list[tuple[int, int]]] = defaultdict(list)
    for entry in entries:
        queues[guild_of.get(entry[1])].append(entry)
    dealt: list[tuple[int, int]] = []
    for turn in itertools.zip_longest(*queues.values()):
        dealt.extend(entry for entry in turn if entry is not None)
    return dealt


def _trigger(decided: Plan) -> RunTrigger:
    return RunTrigger.CATCH_UP if decided.late else RunTrigger.SCHEDULE
