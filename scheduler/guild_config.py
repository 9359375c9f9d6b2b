"""A guild's settings (`/scheduler config`) and the timing of its daily overview.

Discord-free: the cog checks what needs discord.py (can the bot post in that channel?); this
module checks zones and crons, writes the settings with an audit row, and moves the tasks
that follow the guild's zone when that zone changes (ARCHITECTURE section 4: a task created
without a zone "moves with it when the guild changes its zone").

Moving a task to the new zone keeps its *local* schedule: a cron `0 9 * * *` stays at 09:00,
now 09:00 in the new zone; a calendar interval (`1d`, `2w`) keeps its local wall-clock time,
so its pinned start is re-read in the new zone. Elapsed intervals (`90m`, `36h`) and dates
are instants and do not move.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from scheduler.clock import Clock
from scheduler.control import Scheduling
from scheduler.errors import ScheduleError
from scheduler.planning import schedule_for_task
from scheduler.timezones import fixed_instant, load_zone, local_wall, require_aware
from scheduler.triggers import IntervalSchedule, Schedule, parse_cron
from scheduler.zones import TaskZones
from storage import (
    SETTING_DEFAULTS,
    AuditRepository,
    GuildSettings,
    GuildSettingsRepository,
    MentionPolicy,
    StateRepository,
    Task,
    TaskKind,
    TaskRepository,
    TaskStatus,
)

__all__ = [
    "SUMMARY_CRON_EXAMPLE",
    "ConfigChange",
    "GuildConfig",
    "summary_due",
    "validate_mention_policy",
    "validate_summary_cron",
    "validate_timezone",
]

log = logging.getLogger(__name__)

SUMMARY_CRON_EXAMPLE = "0 9 * * 1-5"
SUMMARY_STATE_PREFIX = "summary_last:"
# How far back `summary_due` looks for the latest fire time, widening step by step, so a
# frequent cron walks few instants and a rare one (yearly, Feb 29) is still found.
_LOOKBACKS = tuple(timedelta(days=days) for days in (1 / 24, 1, 8, 32, 367, 8 * 366 + 2))


# --------------------------------------------------------------------------- validation


def validate_timezone(name: str) -> str:
    """The canonical IANA name for `name`; `ScheduleError` (with a suggestion) otherwise."""
    try:
        return load_zone(name).key
    except ScheduleError as exc:
        raise ScheduleError(exc.message, example="Europe/Berlin") from None


def validate_summary_cron(text: str, zone: str) -> str:
    """The canonical crontab for the daily overview, read in `zone`.

    Raises:
        ScheduleError: not a 5-field crontab or `@daily`-style alias.
    """
    try:
        return parse_cron(text, zone).spec
    except ScheduleError as exc:
        raise ScheduleError(f"summary_cron: {exc.message}", example=SUMMARY_CRON_EXAMPLE) from None


def validate_mention_policy(value: str) -> MentionPolicy:
    try:
        return MentionPolicy(value)
    except ValueError:
        choices = ", ".join(policy.value for policy in MentionPolicy)
        raise ScheduleError(f"mention_policy must be one of {choices}.", example="none") from None


# --------------------------------------------------------------------------- overview timing


def summary_due(
    cron: str, zone: str, last_posted: datetime | None, now: datetime
) -> datetime | None:
    """The overview fire time to post at `now`, or None.

    That is the latest fire time of `cron` (read in `zone`) in `(last_posted, now]`: each fire
    time is posted once, and fire times missed while the bot was down are skipped except the
    latest. Without `last_posted` (nothing remembered yet) nothing is due: the caller
    remembers `now` as the starting point, so setting a cron never posts a past fire time.
    """
    if last_posted is None:
        return None
    return latest_fire(parse_cron(cron, zone), require_aware(last_posted, "last post"), now)


def latest_fire(schedule: Schedule, after: datetime, now: datetime) -> datetime | None:
    """The latest fire of `schedule` in `(after, now]`, or None."""
    now = require_aware(now, "current time")
    if now <= after:
        return None
    for lookback in _LOOKBACKS:
        start = max(after, now - lookback)
        fire = schedule.next_after(start)
        if fire is not None and fire <= now:
            while (following := schedule.next_after(fire)) is not None and following <= now:
                fire = following
            return fire
        if start == after:
            return None
    return None


# --------------------------------------------------------------------------- the service


@dataclass(frozen=True, slots=True)
class ConfigChange:
    """What one `/scheduler config` call changed (setting -> (old, new)), and moved."""

    before: GuildSettings
    after: GuildSettings
    changed: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    moved: tuple[Task, ...] = ()


class GuildConfig:
    """Reads and changes guild settings; keeps the engine's zones and index in step."""

    def __init__(
        self,
        *,
        guilds: GuildSettingsRepository,
        tasks: TaskRepository,
        audit: AuditRepository,
        state: StateRepository,
        zones: TaskZones,
        clock: Clock,
        scheduling: Scheduling,
        transaction: Callable[[], AbstractAsyncContextManager[None]],
    ) -> None:
        self._guilds = guilds
        self._tasks = tasks
        self._audit = audit
        self.state = state
        self._zones = zones
        self._clock = clock
        self._scheduling = scheduling
        self._transaction = transaction

    def zone_of(self, settings: GuildSettings) -> str:
        """The zone the guild's tasks (and its overview) follow."""
        return settings.timezone or self._zones.default_timezone

    async def get(self, guild_id: int) -> GuildSettings:
        return await self._guilds.get(guild_id)

    async def set_timezone(
        self, guild_id: int, zone: str | None, actor_id: int | None
    ) -> ConfigChange:
        """Store the guild's zone (None: the bot's default) and move the tasks that follow it."""
        if zone is None:
            return await self.update(guild_id, {}, clear=["timezone"], actor_id=actor_id)
        return await self.update(guild_id, {"timezone": zone}, actor_id=actor_id)

    async def update(
        self,
        guild_id: int,
        changes: Mapping[str, Any],
        *,
        clear: Iterable[str] = (),
        actor_id: int | None,
        via: str | None = None,
    ) -> ConfigChange:
        """Validate, then set `changes` and reset `clear` (both keyed by setting column, see
        `storage.SETTING_DEFAULTS`), with one audit row. Nothing is written when a value is
        invalid. `via` names the door in the audit row when it is not the slash command
        (e.g. `api token “x”`).

        Raises:
            ScheduleError: an invalid value, or a setting both set and cleared.
            TypeError: an unknown setting.
        """
        cleared = list(dict.fromkeys(clear))
        unknown = sorted((set(changes) | set(cleared)) - SETTING_DEFAULTS.keys())
        if unknown:
            raise TypeError(f"unknown guild setting(s): {', '.join(unknown)}")
        both = sorted(set(changes) & set(cleared))
        if both:
            raise ScheduleError(f"{both[0]} is both set and cleared; do one or the other.")
        before = await self.get(guild_id)
        wanted = {**{name: SETTING_DEFAULTS[name] for name in cleared}, **changes}
        wanted = self._validated(before, wanted)
        diff = {
            name: (getattr(before, name), value)
            for name, value in wanted.items()
            if getattr(before, name) != value
        }
        if not diff:
            return ConfigChange(before, before)
        return await self._write(guild_id, before, diff, actor_id, via)

    def _validated(self, before: GuildSettings, wanted: dict[str, Any]) -> dict[str, Any]:
        out = dict(wanted)
        if out.get("timezone") is not None:
            out["timezone"] = validate_timezone(out["timezone"])
        if out.get("mention_policy") is not None:
            out["mention_policy"] = validate_mention_policy(out["mention_policy"])
        if out.get("summary_cron") is not None:
            zone = out.get("timezone", before.timezone)
            zone = zone or self._zones.default_timezone
            out["summary_cron"] = validate_summary_cron(out["summary_cron"], zone)
        return out

    async def _write(
        self,
        guild_id: int,
        before: GuildSettings,
        diff: dict[str, tuple[Any, Any]],
        actor_id: int | None,
        via: str | None = None,
    ) -> ConfigChange:
        now = self._clock.now()
        new_values = {name: new for name, (_, new) in diff.items()}
        old_zone = self.zone_of(before)
        moved: list[Task] = []
        try:
            async with self._transaction():
                after = await self._guilds.update(guild_id, now, **new_values)
                new_zone = self.zone_of(after)
                self._zones.forget(guild_id)
                if new_zone != old_zone:
                    moved = await self._move_tasks(guild_id, old_zone, new_zone, now, actor_id)
                await self._rebase_summary(guild_id, after, diff, now)
                detail: dict[str, Any] = {
                    name: {"from": _plain(old), "to": _plain(new)}
                    for name, (old, new) in diff.items()
                }
                if "timezone" in diff:
                    detail["moved_tasks"] = len(moved)
                if via is not None:
                    detail["via"] = via
                await self._audit.add(guild_id, None, actor_id, "config", detail, now)
        finally:
            self._zones.forget(guild_id)
        for task in moved:
            self._scheduling.track(task)
        if moved:
            log.info("Guild %s now in %s: moved %d task(s)", guild_id, new_zone, len(moved))
        return ConfigChange(before, after, diff, tuple(moved))

    async def _move_tasks(
        self, guild_id: int, old_zone: str, new_zone: str, now: datetime, actor_id: int | None
    ) -> list[Task]:
        """Re-plan the guild's tasks that follow its zone; returns those that changed."""
        moved: list[Task] = []
        for task in await self._tasks.list_for_guild(guild_id):
            changes = _moved_schedule(task, old_zone, new_zone, now)
            if changes:
                updated = await self._tasks.update(task.id, at=now, updated_by=actor_id, **changes)
                moved.append(updated)
        return moved

    # ----------------------------------------------------------------- the daily overview

    async def last_summary(self, guild_id: int) -> datetime | None:
        """The fire time of the guild's last posted overview (or when it was set up)."""
        value = await self.state.get(SUMMARY_STATE_PREFIX + str(guild_id))
        return None if value is None else datetime.fromisoformat(value)

    async def remember_summary(self, guild_id: int, instant: datetime) -> None:
        stamp = require_aware(instant, "overview time").isoformat()
        await self.state.set(SUMMARY_STATE_PREFIX + str(guild_id), stamp)

    async def due_summaries(self, now: datetime) -> list[tuple[GuildSettings, datetime]]:
        """(guild settings, fire time) of every overview due at `now`.

        A guild with nothing remembered yet starts from `now` (nothing due); a guild whose
        stored cron no longer parses is logged and skipped.
        """
        due: list[tuple[GuildSettings, datetime]] = []
        for settings in await self._guilds.with_summary():
            assert settings.summary_cron is not None
            last = await self.last_summary(settings.guild_id)
            if last is None:
                await self.remember_summary(settings.guild_id, now)
                continue
            try:
                fire = summary_due(settings.summary_cron, self.zone_of(settings), last, now)
            except ScheduleError as exc:
                log.warning("Guild %s: summary_cron unusable: %s", settings.guild_id, exc)
                continue
            if fire is not None:
                due.append((settings, fire))
        return due

    async def _rebase_summary(
        self,
        guild_id: int,
        after: GuildSettings,
        diff: Mapping[str, tuple[Any, Any]],
        now: datetime,
    ) -> None:
        """A new cron or zone starts from now: no past fire time is posted because of it."""
        key = SUMMARY_STATE_PREFIX + str(guild_id)
        if after.summary_cron is None:
            if "summary_cron" in diff:
                await self.state.delete(key)
            return
        if "summary_cron" in diff or "timezone" in diff:
            last = await self.last_summary(guild_id)
            await self.remember_summary(guild_id, now if last is None else max(last, now))


def _moved_schedule(task: Task, old_zone: str, new_zone: str, now: datetime) -> dict[str, Any]:
    """The columns that change when `task`'s guild moves from `old_zone` to `new_zone`.

    Only tasks that follow the guild's zone move; dates are instants and completed tasks have
    nothing left to move. An active task gets its next run re-planned from `now` unless that
    run is already due (the engine is firing it and plans the following one in the new zone).
    """
    if task.timezone is not None or task.kind == TaskKind.DATE:
        return {}
    if task.status == TaskStatus.COMPLETED:
        return {}
    changes: dict[str, Any] = {}
    candidate = task
    if task.kind == TaskKind.INTERVAL and task.start_at is not None:
        schedule = schedule_for_task(task, old_zone)
        if isinstance(schedule, IntervalSchedule) and schedule.calendar:
            wall = local_wall(task.start_at, load_zone(old_zone))
            start = fixed_instant(wall, load_zone(new_zone))
            if start != task.start_at:
                changes["start_at"] = start
                candidate = replace(task, start_at=start)
    if task.status != TaskStatus.ACTIVE or task.next_run_at is None or task.next_run_at <= now:
        return changes
    following = schedule_for_task(candidate, new_zone).next_after(now)
    if candidate.kind == TaskKind.INTERVAL and candidate.start_at is None and following:
        # Pin the origin as TaskControl does, so the phase never shifts again.
        changes["start_at"] = following
    if following is None:
        changes.update(status=TaskStatus.COMPLETED, next_run_at=None)
    elif following != task.next_run_at:
        changes["next_run_at"] = following
    return changes


def _plain(value: Any) -> Any:
    if isinstance(value, MentionPolicy):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value
