"""The developer API (`bot.scheduler`): run your own coroutines on a schedule.

Each job is stored as a code task keyed by its `job_id`, so it gets the same runner, history,
catch-up after downtime and (with `send_alert`) failure alerts as admin tasks. The function
itself is kept in memory under its `job_id`, never pickled: register your jobs at start-up
(in `setup_hook` or a cog's `cog_load`) and they pick up where the stored task left off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from scheduler.clock import Clock
from scheduler.control import TaskControl
from scheduler.engine import Engine
from scheduler.errors import ScheduleError
from scheduler.parsing import duration_spec
from scheduler.planning import schedule_for_task
from scheduler.protocols import Notice
from scheduler.runner import CodeJob
from scheduler.summary import JobSummary
from scheduler.timezones import load_zone
from scheduler.triggers import parse_cron
from scheduler.zones import TaskZones
from storage import (
    CatchUp,
    NewTask,
    NoticeLevel,
    Task,
    TaskKind,
    TaskRepository,
    TaskSource,
    TaskStatus,
    TaskUpdate,
)

log = logging.getLogger(__name__)

_LEVELS = {
    "ok": NoticeLevel.OK,
    "info": NoticeLevel.INFO,
    "warning": NoticeLevel.WARNING,
    "error": NoticeLevel.ERROR,
}


class SchedulerAPI:
    """What bot developers call as `bot.scheduler`."""

    def __init__(
        self,
        engine: Engine,
        control: TaskControl,
        *,
        tasks: TaskRepository,
        zones: TaskZones,
        clock: Clock,
    ) -> None:
        self._engine = engine  # registers code jobs and takes notices
        self._control = control
        self._tasks = tasks
        self._zones = zones
        self._clock = clock

    async def add_cron_job(
        self,
        func: Callable[..., Any],
        cron_expression: str,
        job_id: str,
        args: Iterable[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        send_alert: bool = False,
        timezone: str | None = None,
        catch_up: str = "once",
    ) -> Task:
        """Run `func(*args, **kwargs)` on a crontab schedule (0 or 7 = Sunday)."""
        zone = self._zone(timezone)
        spec = parse_cron(cron_expression, zone).spec
        return await self._upsert(
            func, job_id, TaskKind.CRON, spec, zone, args, kwargs, send_alert, catch_up
        )

    async def add_date_job(
        self,
        func: Callable[..., Any],
        run_date: datetime,
        job_id: str,
        args: Iterable[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        send_alert: bool = False,
        timezone: str | None = None,
        catch_up: str = "once",
    ) -> Task:
        """Run `func` once at `run_date`, which must carry a timezone."""
        if not isinstance(run_date, datetime) or run_date.tzinfo is None:
            raise ScheduleError(
                f"run_date for job {job_id!r} has no timezone; pass an aware datetime.",
                example="datetime(2026, 12, 24, 18, 0, tzinfo=ZoneInfo('Europe/Berlin'))",
            )
        zone = self._zone(timezone)
        spec = run_date.astimezone(load_zone("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")
        return await self._upsert(
            func, job_id, TaskKind.DATE, spec, zone, args, kwargs, send_alert, catch_up
        )

    async def add_interval_job(
        self,
        func: Callable[..., Any],
        job_id: str,
        seconds: int = 0,
        minutes: int = 0,
        hours: int = 0,
        days: int = 0,
        weeks: int = 0,
        args: Iterable[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        send_alert: bool = False,
        timezone: str | None = None,
        catch_up: str = "once",
        start: datetime | None = None,
    ) -> Task:
        """Run `func` every period; whole days or weeks keep the local wall-clock time."""
        parts = {"w": weeks, "d": days, "h": hours, "m": minutes, "s": seconds}
        if any(not isinstance(v, int) or v < 0 for v in parts.values()) or not any(parts.values()):
            raise ScheduleError(
                f"Job {job_id!r} needs a positive whole-number period.", example="minutes=30"
            )
        if start is not None and start.tzinfo is None:
            raise ScheduleError(
                f"start for job {job_id!r} has no timezone; pass an aware datetime."
            )
        spec = duration_spec({k: v for k, v in parts.items() if v})
        return await self._upsert(
            func,
            job_id,
            TaskKind.INTERVAL,
            spec,
            self._zone(timezone),
            args,
            kwargs,
            send_alert,
            catch_up,
            start=start,
        )

    async def remove_job(self, job_id: str) -> bool:
        """Forget the job and delete its stored task and history; False if there was none."""
        self._engine.unregister(job_id)
        task = await self._tasks.get_by_job_id(job_id)
        if task is None:
            return False
        await self._control.delete(task, actor_id=None)
        return True

    async def get_jobs(self) -> list[Task]:
        """Every stored code task, registered or not."""
        return list(await self._tasks.list_code_tasks())

    async def send_dev_alert(
        self, message: str, color: int | None = None, title: str | None = None, level: str = "info"
    ) -> None:
        """Send a notice to the operator's dev channel (`DEV_CHANNEL_ID`)."""
        self._engine.notify(self._notice(message, color, title, level, alert_channel=False))

    async def send_alert(
        self, message: str, color: int | None = None, title: str | None = None, level: str = "info"
    ) -> None:
        """Send a notice to the operator's alert channel (`ALERT_CHANNEL_ID`)."""
        self._engine.notify(self._notice(message, color, title, level, alert_channel=True))

    async def summary(self, guild_id: int | None = None) -> JobSummary:
        """The overview of code tasks (or of one guild's tasks)."""
        tasks = (
            await self.get_jobs()
            if guild_id is None
            else await self._tasks.list_for_guild(guild_id)
        )
        return await summarize(tasks, zones=self._zones, now=self._clock.now())

    def _zone(self, timezone: str | None) -> str:
        name = timezone or self._zones.default_timezone
        load_zone(name)
        return name

    def _notice(
        self, message: str, color: int | None, title: str | None, level: str, *, alert_channel: bool
    ) -> Notice:
        return Notice(
            guild_id=None,
            level=_LEVELS.get(level, NoticeLevel.INFO),
            kind="developer_alert",
            title=title or "Alert",
            body=message,
            alert_channel=alert_channel,
            color=color,
        )

    async def _upsert(
        self,
        func: Callable[..., Any],
        job_id: str,
        kind: TaskKind,
        spec: str,
        zone: str,
        args: Iterable[Any],
        kwargs: Mapping[str, Any] | None,
        send_alert: bool,
        catch_up: str,
        *,
        start: datetime | None = None,
    ) -> Task:
        if not callable(func):
            raise TypeError(f"job {job_id!r}: func must be callable")
        if not job_id or not isinstance(job_id, str):
            raise ScheduleError(
                "Every job needs a job_id, a non-empty string.", example="daily-report"
            )
        try:
            policy = CatchUp(catch_up)
        except ValueError:
            raise ScheduleError(
                f"catch_up must be skip, once or all, not {catch_up!r}.", example="catch_up='once'"
            ) from None
        self._engine.register(
            CodeJob(job_id, func, tuple(args), dict(kwargs or {}), send_alert=send_alert)
        )
        existing = await self._tasks.get_by_job_id(job_id)
        if existing is None:
            new = NewTask(
                name=job_id,
                kind=kind,
                spec=spec,
                created_at=self._clock.now(),
                source=TaskSource.CODE,
                job_id=job_id,
                timezone=zone,
                start_at=start,
                catch_up=policy,
            )
            return await self._control.create(new)
        task = existing
        if (existing.kind, existing.spec, existing.timezone, existing.catch_up) != (
            kind,
            spec,
            zone,
            policy,
        ) or (start is not None and existing.start_at != start):
            changes = TaskUpdate(kind=kind, spec=spec, timezone=zone, catch_up=policy)
            if start is not None:
                changes = replace(changes, start_at=start)
            task = await self._control.edit(existing, changes, actor_id=None)
        if (
            task.status == TaskStatus.PAUSED
            and task.paused_reason
            and "no code" in task.paused_reason
        ):
            task = await self._control.resume(task, actor_id=None)
        return task


async def summarize(
    tasks: Sequence[Task], *, zones: TaskZones, now: datetime, title: str = "Scheduled tasks"
) -> JobSummary:
    """A JobSummary of `tasks`, each described and timed in its own effective zone."""
    zone_of = {task.id: await zones.zone_for(task) for task in tasks}
    return JobSummary.build(
        tasks,
        now=now,
        describe=lambda task: schedule_for_task(task, zone_of[task.id]).describe(),
        zone_of=lambda task: zone_of[task.id],
        title=title,
    )


def overview_title(guild_name: str | None) -> str:
    """The daily overview's title (the web API's summary has the same)."""
    return f"{guild_name}: scheduled tasks" if guild_name else "Scheduled tasks"


async def guild_summary(
    tasks: TaskRepository, zones: TaskZones, now: datetime, guild_id: int, *, title: str
) -> JobSummary:
    """The overview of one guild's tasks, times in each task's zone."""
    found = await tasks.list_for_guild(guild_id)
    return await summarize(found, zones=zones, now=now, title=title)
