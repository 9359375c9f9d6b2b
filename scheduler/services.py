"""What the doors (slash commands now, the web API next) are given: the repositories they
read, the rulebook, and the services that change tasks and settings. Built once by the
composition root; each door's part takes only the pieces it uses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from config import Settings
from scheduler.api_tokens import ApiTokens
from scheduler.clock import Clock
from scheduler.control import GuildLifecycle, TaskControl
from scheduler.engine import Engine
from scheduler.guild_config import GuildConfig
from scheduler.protocols import Notice
from scheduler.rules import TaskRules
from scheduler.zones import TaskZones
from storage import Database, Repositories

__all__ = ["Services", "build_services"]


@dataclass(frozen=True, slots=True)
class Services:
    """The engine's neighbours, without the engine: nothing here runs schedules."""

    repositories: Repositories
    control: TaskControl
    rules: TaskRules
    zones: TaskZones
    guild_config: GuildConfig
    lifecycle: GuildLifecycle
    api_tokens: ApiTokens
    clock: Clock
    notify: Callable[[Notice], None]
    """Queue a notice for a dev channel (folded with others of its kind)."""
    started_at: Callable[[], datetime | None]
    """When the engine started (None: not yet)."""
    database_size: Callable[[], Awaitable[int]]


def build_services(
    settings: Settings,
    database: Database,
    stores: Repositories,
    zones: TaskZones,
    clock: Clock,
    engine: Engine,
) -> Services:
    """The repositories, rulebook and services the cogs are given (never the engine)."""
    control = TaskControl(
        tasks=stores.tasks,
        runs=stores.runs,
        audit=stores.audit,
        zones=zones,
        clock=clock,
        scheduling=engine,
        transaction=database.transaction,
        max_tasks_per_guild=settings.max_tasks_per_guild,
    )
    rules = TaskRules(
        stores.tasks,
        stores.guilds,
        default_timezone=settings.default_timezone,
        max_tasks_per_guild=settings.max_tasks_per_guild,
        min_interval_seconds=settings.min_interval_seconds,
    )
    guild_config = GuildConfig(
        guilds=stores.guilds,
        tasks=stores.tasks,
        audit=stores.audit,
        state=stores.state,
        zones=zones,
        clock=clock,
        scheduling=engine,
        transaction=database.transaction,
    )
    lifecycle = GuildLifecycle(
        tasks=stores.tasks,
        guilds=stores.guilds,
        audit=stores.audit,
        clock=clock,
        scheduling=engine,
        retention_days=settings.guild_data_retention_days,
    )
    return Services(
        repositories=stores,
        control=control,
        rules=rules,
        zones=zones,
        guild_config=guild_config,
        lifecycle=lifecycle,
        api_tokens=ApiTokens(stores.api_tokens, stores.audit, clock),
        clock=clock,
        notify=engine.notify,
        started_at=lambda: engine.started_at,
        database_size=database.size_bytes,
    )
