"""Runtime changes to tasks: create, edit, pause, resume, delete, skip, run now.

Every change is validated before anything is written, writes an audit row, and keeps the
engine's index in step. Errors a user can fix are `ScheduleError`s (or storage's
`DuplicateTaskError` / `TaskNotFoundError`) with a message fit to show them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from scheduler.clock import Clock
from scheduler.errors import ScheduleError
from scheduler.planning import schedule_for_task
from scheduler.timezones import fixed_instant, load_zone, local_wall
from scheduler.zones import TaskZones
from storage import (
    GUILD_LEFT_REASON,
    AuditRepository,
    Claim,
    GuildSettingsRepository,
    NewTask,
    Run,
    RunExistsError,
    RunRepository,
    RunTrigger,
    Task,
    TaskKind,
    TaskNotFoundError,
    TaskRepository,
    TaskSource,
    TaskStatus,
    TaskUpdate,
)
from storage.payloads import Payload, encode_destinations, encode_payload

log = logging.getLogger(__name__)

SCHEDULE_FIELDS = frozenset({"kind", "spec", "timezone", "start_at", "end_at"})
MAX_SKIP = 1000
"""The most runs one skip may skip (the slash command's bound too)."""


class Scheduling(Protocol):
    """What the changes need of the engine: follow a task, run one now."""

    def track(self, task: Task) -> None: ...

    async def execute_run(self, task: Task, run: Run) -> Run: ...

    def claim(self, now: datetime) -> Claim: ...


class TaskControl:
    """The operations behind the slash commands, the developer API and (next) the web API."""

    def __init__(
        self,
        *,
        tasks: TaskRepository,
        runs: RunRepository,
        audit: AuditRepository,
        zones: TaskZones,
        clock: Clock,
        scheduling: Scheduling,
        transaction: Callable[[], AbstractAsyncContextManager[None]],
        max_tasks_per_guild: int = 200,
    ) -> None:
        self._tasks = tasks
        self._runs = runs
        self._audit = audit
        self._zones = zones
        self._clock = clock
        self._scheduling = scheduling
        self._transaction = transaction
        self.max_tasks_per_guild = max_tasks_per_guild

    async def get(self, guild_id: int | None, task_id: int) -> Task:
        """A task of this guild (None: a code task); another guild's task is not found."""
        task = await self._tasks.get(task_id)
        if task is None or task.guild_id != guild_id:
            raise TaskNotFoundError(task_id)
        return task

    async def create(
        self, new: NewTask, *, actor_id: int | None = None, via: str | None = None
    ) -> Task:
        """Store a new task with its first instant and start tracking it.

        ``via`` names the door in the audit entry when it is not a slash command (e.g. an
        API token); the actor is always the member whose rights the change carries."""
        now = self._clock.now()
        if new.source == TaskSource.ADMIN and new.guild_id is not None:
            count = await self._tasks.count_for_guild(new.guild_id)
            if count >= self.max_tasks_per_guild:
                raise ScheduleError(
                    f"This server already has {count} tasks, the most allowed "
                    f"({self.max_tasks_per_guild}). Delete one with /schedule delete first."
                )
        probe = _probe(new, now)
        first = schedule_for_task(probe, await self._zones.zone_for(probe)).next_fire(None, now)
        if first is None:
            raise ScheduleError(
                "This schedule has no run in the future (is its end already past?).",
                example="end: a date after the first run",
            )
        if new.kind == TaskKind.INTERVAL and new.start_at is None:
            # Pin the origin, so a restart or an edit elsewhere never shifts the phase.
            new = replace(new, start_at=first)
        task = await self._tasks.create(replace(new, next_run_at=first, created_at=now))
        detail = _via(_describe_new(task), via)
        await self._audit.add(task.guild_id, task.id, actor_id, "create", detail, now)
        self._scheduling.track(task)
        return task

    async def edit(
        self,
        task: Task,
        edit: TaskUpdate,
        *,
        actor_id: int | None,
        via: str | None = None,
        expected_version: int | None = None,
    ) -> Task:
        """Apply `edit`; a changed schedule restarts from now.

        With ``expected_version`` the write happens only if the task is still at that
        version (storage's `StaleTaskError` otherwise), however many writers race."""
        now = self._clock.now()
        changes = {k: v for k, v in edit.changes().items() if getattr(task, k) != v}
        if not changes:
            return task
        update: dict[str, Any] = dict(changes)
        if SCHEDULE_FIELDS & changes.keys():
            candidate = replace(task, **changes, created_at=now)
            restarted = bool({"kind", "spec"} & changes.keys())
            if candidate.kind == TaskKind.INTERVAL and restarted and "start_at" not in changes:
                # A new period starts from now; a new end or zone keeps the old phase.
                candidate = replace(candidate, start_at=None)
            elif "timezone" in changes and "start_at" not in changes:
                # A calendar interval keeps its local wall-clock time in the new zone.
                start = await self._start_in_new_zone(task, candidate)
                if start is not None:
                    candidate = replace(candidate, start_at=start)
                    update["start_at"] = start
            schedule = schedule_for_task(candidate, await self._zones.zone_for(candidate))
            first = schedule.next_fire(None, now)
            if first is None:
                raise ScheduleError("With this change the task would never run again.")
            if candidate.kind == TaskKind.INTERVAL and candidate.start_at is None:
                update["start_at"] = first
            if task.status == TaskStatus.ACTIVE:
                update["next_run_at"] = first
        updated = await self._tasks.update(
            task.id, updated_by=actor_id, at=now, expected_version=expected_version, **update
        )
        detail = _via({k: _plain(v) for k, v in changes.items()}, via)
        await self._audit.add(task.guild_id, task.id, actor_id, "edit", detail, now)
        self._scheduling.track(updated)
        return updated

    async def _start_in_new_zone(self, task: Task, candidate: Task) -> datetime | None:
        if task.kind != TaskKind.INTERVAL or task.start_at is None:
            return None
        old_zone = await self._zones.zone_for(task)
        if not getattr(schedule_for_task(task, old_zone), "calendar", False):
            return None
        wall = local_wall(task.start_at, load_zone(old_zone))
        return fixed_instant(wall, load_zone(await self._zones.zone_for(candidate)))

    async def import_tasks(
        self,
        replaced: Sequence[Task],
        new: Sequence[NewTask],
        *,
        actor_id: int | None,
        via: str | None = None,
    ) -> list[Task]:
        """Delete `replaced` and create `new`, all or nothing (an import); `via` names the
        door in each audit entry, as for `create`."""
        async with self._transaction():
            for old in replaced:
                await self.delete(old, actor_id=actor_id, via=via)
            return [await self.create(task, actor_id=actor_id, via=via) for task in new]

    async def pause(
        self, task: Task, *, actor_id: int | None, reason: str = "paused", via: str | None = None
    ) -> Task:
        if task.status != TaskStatus.ACTIVE:
            raise ScheduleError(f"Task {task.name!r} is not active (it is {task.status}).")
        now = self._clock.now()
        updated = await self._tasks.update(
            task.id, status=TaskStatus.PAUSED, paused_reason=reason, updated_by=actor_id, at=now
        )
        await self._audit.add(task.guild_id, task.id, actor_id, "pause", _via({}, via), now)
        return updated

    async def resume(self, task: Task, *, actor_id: int | None, via: str | None = None) -> Task:
        """Make a paused or failed task active again, from its next instant after now."""
        if task.status == TaskStatus.ACTIVE:
            raise ScheduleError(f"Task {task.name!r} is already active.")
        now = self._clock.now()
        schedule = await self._zones.schedule_of(task)
        following = schedule.next_after(now)
        if following is None:
            raise ScheduleError(
                f"Task {task.name!r} has no run left in the future; edit its schedule first."
            )
        updated = await self._tasks.update(
            task.id,
            status=TaskStatus.ACTIVE,
            paused_reason=None,
            consecutive_failures=0,
            next_run_at=following,
            updated_by=actor_id,
            at=now,
        )
        await self._audit.add(task.guild_id, task.id, actor_id, "resume", _via({}, via), now)
        self._scheduling.track(updated)
        return updated

    async def delete(
        self,
        task: Task,
        *,
        actor_id: int | None,
        via: str | None = None,
        expected_version: int | None = None,
    ) -> None:
        """Delete the task (only at ``expected_version`` when given: `StaleTaskError`)."""
        now = self._clock.now()
        await self._tasks.delete(task.id, expected_version=expected_version)
        detail = _via({"name": task.name, "spec": task.spec}, via)
        await self._audit.add(task.guild_id, task.id, actor_id, "delete", detail, now)

    async def skip(
        self, task: Task, count: int, *, actor_id: int | None, via: str | None = None
    ) -> Task:
        if task.kind == "date":
            raise ScheduleError(
                "Only recurring tasks can skip runs; pause or delete a one-time task."
            )
        if not 1 <= count <= MAX_SKIP:
            raise ScheduleError(f"count must be between 1 and {MAX_SKIP}.", example="count: 2")
        now = self._clock.now()
        updated = await self._tasks.update(
            task.id, skip_next=task.skip_next + count, updated_by=actor_id, at=now
        )
        detail = _via({"count": count}, via)
        await self._audit.add(task.guild_id, task.id, actor_id, "skip", detail, now)
        return updated

    async def run_now(self, task: Task, *, actor_id: int | None, via: str | None = None) -> Run:
        """Run the task once now, recorded as a manual run; its schedule is untouched."""
        now = self._clock.now()
        try:
            claim = self._scheduling.claim(now)
            run = await self._runs.start(task.id, now, RunTrigger.MANUAL, now, claim)
        except RunExistsError as exc:
            raise ScheduleError("That task was just run; try again in a second.") from exc
        await self._audit.add(task.guild_id, task.id, actor_id, "run", _via({}, via), now)
        return await self._scheduling.execute_run(task, run)


def _probe(new: NewTask, now: Any) -> Task:
    """A not-yet-stored task, enough to compute its schedule."""
    return Task(
        id=0,
        guild_id=new.guild_id,
        source=new.source,
        job_id=new.job_id,
        name=new.name,
        kind=new.kind,
        spec=new.spec,
        timezone=new.timezone,
        start_at=new.start_at,
        end_at=new.end_at,
        max_runs=new.max_runs,
        payload=new.payload,
        destinations=new.destinations,
        rotation_index=0,
        status=new.status,
        paused_reason=None,
        catch_up=new.catch_up,
        skip_next=0,
        next_run_at=None,
        last_run_at=None,
        run_count=0,
        failure_count=0,
        consecutive_failures=0,
        created_by=new.created_by,
        created_at=now,
        updated_by=new.created_by,
        updated_at=now,
    )


def _plain(value: Any) -> Any:
    """A change as the audit row's JSON shows it (a payload or destinations as stored)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Payload):
        return encode_payload(value)
    if isinstance(value, tuple):
        return encode_destinations(value)
    return value


def _via(detail: dict[str, Any], via: str | None) -> dict[str, Any]:
    """The audit detail, naming the door when it is not a slash command."""
    return detail if via is None else {**detail, "via": via}


def _describe_new(task: Task) -> dict[str, Any]:
    return {
        "name": task.name,
        "kind": str(task.kind),
        "spec": task.spec,
        "timezone": task.timezone,
        "next_run_at": _plain(task.next_run_at),
    }


class GuildLifecycle:
    """The bot leaving and rejoining guilds (ARCHITECTURE section 3)."""

    def __init__(
        self,
        *,
        tasks: TaskRepository,
        guilds: GuildSettingsRepository,
        audit: AuditRepository,
        clock: Clock,
        scheduling: Scheduling,
        retention_days: int = 30,
    ) -> None:
        self._tasks = tasks
        self._guilds = guilds
        self._audit = audit
        self._clock = clock
        self._scheduling = scheduling
        self.retention_days = retention_days

    async def left(self, guild_id: int) -> int:
        """Pause the guild's active tasks and note when the bot left; returns how many."""
        now = self._clock.now()
        paused = await self._tasks.pause_guild(guild_id, GUILD_LEFT_REASON, now)
        await self._guilds.mark_left(guild_id, now)
        await self._audit.add(guild_id, None, None, "guild_left", {"paused": len(paused)}, now)
        log.info("Left guild %s: paused %d task(s)", guild_id, len(paused))
        return len(paused)

    async def returned(self, guild_id: int) -> int:
        """Resume what leaving paused (catch-up applies to what was missed); returns how many."""
        settings = await self._guilds.get(guild_id)
        if settings.left_at is None:
            return 0
        now = self._clock.now()
        await self._guilds.mark_returned(guild_id, now)
        resumed = await self._tasks.resume_guild_left(guild_id, now)
        for task in await self._tasks.get_many(resumed):
            self._scheduling.track(task)
        await self._audit.add(
            guild_id, None, None, "guild_returned", {"resumed": len(resumed)}, now
        )
        log.info("Back in guild %s: resumed %d task(s)", guild_id, len(resumed))
        return len(resumed)

    async def purge_expired(self) -> list[int]:
        """Delete the data of guilds left more than `retention_days` ago."""
        now = self._clock.now()
        expired = await self._guilds.left_before(now - timedelta(days=self.retention_days))
        for guild_id in expired:
            await self._tasks.delete_guild_data(guild_id)
            log.info("Deleted the data of guild %s (left over %d days ago)", guild_id,
                     self.retention_days)  # fmt: skip
        return expired
