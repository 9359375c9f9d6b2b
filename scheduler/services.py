"""What the doors (slash commands now, the web API next) are given: the repositories they
read, the rulebook, and the services that change tasks and settings. Built once by the
composition root; each door's part takes only the pieces it uses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from scheduler.clock import Clock
from scheduler.control import GuildLifecycle, TaskControl
from scheduler.guild_config import GuildConfig
from scheduler.protocols import Notice
from scheduler.rules import TaskRules
from scheduler.zones import TaskZones
from storage import Repositories

__all__ = ["Services"]


@dataclass(frozen=True, slots=True)
class Services:
    """The engine's neighbours, without the engine: nothing here runs schedules."""

    repositories: Repositories
    control: TaskControl
    rules: TaskRules
    zones: TaskZones
    guild_config: GuildConfig
    lifecycle: GuildLifecycle
    clock: Clock
    notify: Callable[[Notice], None]
    """Queue a notice for a dev channel (folded with others of its kind)."""
    started_at: Callable[[], datetime | None]
    """When the engine started (None: not yet)."""
    database_size: Callable[[], Awaitable[int]]
