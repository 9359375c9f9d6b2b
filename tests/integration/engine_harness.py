"""An engine over a real database (a SQLite file or PostgreSQL), with a fake clock and
recording fakes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scheduler.api import SchedulerAPI
from scheduler.clock import FakeClock
from scheduler.control import GuildLifecycle, TaskControl
from scheduler.engine import Engine, EngineConfig
from scheduler.guild_config import GuildConfig
from scheduler.runner import RetryPolicy
from storage import (
    CatchUp,
    ChannelDestination,
    Database,
    NewTask,
    Payload,
    Repositories,
    Task,
    TaskKind,
    Variant,
)
from tests.fakes import RecordingAlerter, RecordingDeliverer

START = datetime(2026, 11, 2, 8, 59, 30, tzinfo=UTC)
GUILD = 111_111_111_111_111_111
OTHER_GUILD = 222_222_222_222_222_222
CHANNEL = 333_333_333_333_333_333
ADMIN = 444_444_444_444_444_444


def task_control(
    engine: Engine, database: Database, *, max_tasks_per_guild: int = 200
) -> TaskControl:
    """A TaskControl over the engine's repositories, wired as bot.py wires it."""
    return TaskControl(
        tasks=engine.tasks,
        runs=engine.runs,
        audit=engine.audit,
        zones=engine.zones,
        clock=engine.clock,
        scheduling=engine,
        transaction=database.transaction,
        max_tasks_per_guild=max_tasks_per_guild,
    )


def guild_lifecycle(engine: Engine, *, retention_days: int = 30) -> GuildLifecycle:
    return GuildLifecycle(
        tasks=engine.tasks,
        guilds=engine.guilds,
        audit=engine.audit,
        clock=engine.clock,
        scheduling=engine,
        retention_days=retention_days,
    )


def guild_config(engine: Engine, database: Database) -> GuildConfig:
    return GuildConfig(
        guilds=engine.guilds,
        tasks=engine.tasks,
        audit=engine.audit,
        state=Repositories.over(database).state,
        zones=engine.zones,
        clock=engine.clock,
        scheduling=engine,
        transaction=database.transaction,
    )


def scheduler_api(engine: Engine, control: TaskControl) -> SchedulerAPI:
    return SchedulerAPI(engine, control, tasks=engine.tasks, zones=engine.zones, clock=engine.clock)


@dataclass
class Harness:
    """One engine over one database; `restart()` builds a fresh engine on the same database.

    `target` is a file path or a PostgreSQL URL (see `Database.open`)."""

    target: str | Path
    clock: FakeClock
    deliverer: RecordingDeliverer = field(default_factory=RecordingDeliverer)
    alerter: RecordingAlerter = field(default_factory=RecordingAlerter)
    config: EngineConfig = field(default_factory=lambda: EngineConfig(alert_window_seconds=0))
    db: Database | None = None
    engine: Engine | None = None
    control: TaskControl | None = None

    async def open(self) -> Harness:
        self.db = await Database.open(self.target)
        self.engine = Engine(
            self.db,
            deliverer=self.deliverer,
            alerter=self.alerter,
            config=self.config,
            clock=self.clock,
            retry=RetryPolicy(attempts=3, base=1.0, jitter=0.0),
            use_apscheduler=False,
        )
        self.control = task_control(self.engine, self.db, max_tasks_per_guild=100_000)
        return self

    async def close(self) -> None:
        if self.engine is not None:
            await self.engine.stop()
        if self.db is not None:
            await self.db.close()
        self.engine = self.db = self.control = None

    async def die(self) -> None:
        """Like `close`, but the engine leaves its leases to lapse, as a killed process does."""
        if self.engine is not None:
            await self.engine.stop(hand_over=False)
        if self.db is not None:
            await self.db.close()
        self.engine = self.db = self.control = None

    async def restart(self) -> Engine:
        await self.close()
        await self.open()
        assert self.engine is not None
        return self.engine

    async def start(self) -> dict[str, int]:
        assert self.engine is not None
        report = await self.engine.start()
        await self.engine.drain()
        return report

    async def tick(self, **advance: float) -> int:
        """Move the clock, submit what is due, wait for it to finish."""
        assert self.engine is not None
        if advance:
            self.clock.advance(**advance)
        count = await self.engine.tick()
        await self.engine.drain()
        return count

    async def add(
        self,
        name: str,
        kind: str,
        spec: str,
        *,
        guild_id: int = GUILD,
        channel_id: int = CHANNEL,
        catch_up: str = "once",
        timezone: str | None = "UTC",
        content: str | None = None,
        **extra: Any,
    ) -> Task:
        assert self.control is not None
        new = NewTask(
            name=name,
            kind=TaskKind(kind),
            spec=spec,
            created_at=self.clock.now(),
            guild_id=guild_id,
            created_by=ADMIN,
            timezone=timezone,
            payload=Payload(variants=(Variant(content=content or f"post from {name}"),)),
            destinations=(ChannelDestination(channel_id=channel_id),),
            catch_up=CatchUp(catch_up),
            **extra,
        )
        return await self.control.create(new, actor_id=ADMIN)
