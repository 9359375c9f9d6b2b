"""What `/scheduler status` and `GET /api/v1/guilds/{guild_id}/status` show, gathered once.

Both doors render the same `GuildStatus`: the cog as embeds, the web API as JSON. Gathering
reads only; marking the shown notices read is the slash command's own step (the API never
marks them, so reading the status over HTTP does not hide them from the next
`/scheduler status`). Discord-free: the bot's version and gateway latency are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from scheduler.services import Services
from storage import Notice, Task, TaskStatus

__all__ = ["NOTICES_SHOWN", "GuildStatus", "gather_status"]

NOTICES_SHOWN = 10
"""Unread notices shown at once (the newest); the rest are counted."""
RUNS_WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class GuildStatus:
    """The bot's state as one guild sees it, at `now`."""

    now: datetime
    version: str
    started_at: datetime | None
    """When the engine started (None: not yet)."""
    task_counts: dict[str, int]
    """Tasks per status, every status present."""
    next_task: Task | None
    """The active task that runs first (ties: the lowest id), if any."""
    runs_since: datetime
    run_counts: dict[str, int]
    """Runs per status scheduled at or after `runs_since` (the last 24 hours)."""
    latency: float
    """Gateway latency in seconds (infinite or NaN: not measured yet)."""
    database_bytes: int
    dev_channel_id: int | None
    unread: tuple[Notice, ...]
    """The newest unread notices, at most `NOTICES_SHOWN`."""
    unread_total: int

    @property
    def uptime(self) -> timedelta | None:
        return None if self.started_at is None else self.now - self.started_at


async def gather_status(
    services: Services, guild_id: int, *, now: datetime, version: str, latency: float
) -> GuildStatus:
    """Read everything the status shows for `guild_id`; changes nothing."""
    repositories = services.repositories
    settings = await services.guild_config.get(guild_id)
    active = await repositories.tasks.list_for_guild(guild_id, status=TaskStatus.ACTIVE)
    upcoming = [task for task in active if task.next_run_at is not None]
    next_task = min(upcoming, key=lambda t: (t.next_run_at, t.id)) if upcoming else None
    since = now - RUNS_WINDOW
    unread = await repositories.notices.unread(guild_id, limit=NOTICES_SHOWN)
    total = await repositories.notices.count_unread(guild_id) if unread else 0
    return GuildStatus(
        now=now,
        version=version,
        started_at=services.started_at(),
        task_counts=await repositories.tasks.counts_by_status(guild_id),
        next_task=next_task,
        runs_since=since,
        run_counts=await repositories.runs.recent_counts(since, guild_id),
        latency=latency,
        database_bytes=await services.database_size(),
        dev_channel_id=settings.dev_channel_id,
        unread=tuple(unread),
        unread_total=total,
    )
