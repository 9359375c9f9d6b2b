"""End-to-end helpers: the real `python bot.py` process against fakediscord in the test
process (`BotProcess`, `Scene`, `build_scene`: bench/processes.py, shared with the benches
that start real processes), and a way to seed the bot's database before it starts. The
fixtures are in conftest.py."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from bench.processes import FAKETIME_LIB, ROOT, BotProcess, Scene, build_scene
from scheduler.clock import FakeClock
from scheduler.engine import Engine
from storage import CatchUp, ChannelDestination, Database, NewTask, Payload, Task, TaskKind, Variant
from tests.fakes import RecordingAlerter, RecordingDeliverer
from tests.integration.engine_harness import task_control

__all__ = [
    "BACKENDS",
    "FAKETIME_LIB",
    "ROOT",
    "BotProcess",
    "Scene",
    "build_scene",
    "faketime_missing_outside_ci",
    "seed_task",
]

BACKENDS = ("sqlite", "postgres")
"""For ``@pytest.mark.parametrize("bot", BACKENDS, indirect=True)``: a proof on each backend."""


async def seed_task(
    db_path: str | Path,
    *,
    name: str,
    kind: str,
    spec: str,
    guild_id: int,
    channel_id: int,
    now: datetime | None = None,
    timezone: str = "UTC",
    content: str = "scheduled post",
    catch_up: str = "once",
) -> Task:
    """Store a task the way /schedule would, before the bot process starts."""
    async with Database.open(db_path) as db:
        engine = Engine(
            db,
            deliverer=RecordingDeliverer(),
            alerter=RecordingAlerter(),
            clock=FakeClock(now or datetime.now(UTC)),
            use_apscheduler=False,
        )
        control = task_control(engine, db)
        return await control.create(
            NewTask(
                name=name,
                kind=TaskKind(kind),
                spec=spec,
                created_at=engine.clock.now(),
                guild_id=guild_id,
                timezone=timezone,
                catch_up=CatchUp(catch_up),
                payload=Payload(variants=(Variant(content=content),)),
                destinations=(ChannelDestination(channel_id=channel_id),),
            )
        )


def faketime_missing_outside_ci() -> bool:
    """libfaketime is missing on a developer's machine; in CI (`CI` set) it must be there."""
    return not FAKETIME_LIB.exists() and not os.environ.get("CI")
