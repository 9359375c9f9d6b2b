"""End-to-end helpers: the real `python bot.py` process against fakediscord in the test
process, and a way to seed the bot's database before it starts. The fixtures are in
conftest.py."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fakediscord import ChannelType, FakeDiscord, Permission, World
from fakediscord.messages import StoredMessage
from scheduler.clock import FakeClock
from scheduler.engine import Engine
from storage import CatchUp, ChannelDestination, Database, NewTask, Payload, Task, TaskKind, Variant
from tests.fakes import RecordingAlerter, RecordingDeliverer
from tests.integration.engine_harness import task_control

ROOT = Path(__file__).resolve().parents[2]
FAKETIME_LIBS = sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))
FAKETIME_LIB = FAKETIME_LIBS[0] if FAKETIME_LIBS else Path("/usr/lib/faketime/libfaketime.so.1")


@dataclass
class Scene:
    """The world the bot meets: one guild with an admin and a few channels."""

    world: World
    guild: Any
    admin: Any
    member: Any
    general: Any
    news: Any
    dev: Any
    alerts: Any


def build_scene() -> Scene:
    world = World()
    guild = world.add_guild("Cadence E2E", owner="owner")
    admins = guild.add_role("Admins", Permission.ADMINISTRATOR)
    admin = guild.add_member("alice", roles=[admins])
    member = guild.add_member("bob")
    general = guild.add_channel("general")
    news = guild.add_channel("news", type=ChannelType.ANNOUNCEMENT)
    dev = guild.add_channel("dev")
    alerts = guild.add_channel("alerts")
    return Scene(world, guild, admin, member, general, news, dev, alerts)


BACKENDS = ("sqlite", "postgres")
"""For ``@pytest.mark.parametrize("bot", BACKENDS, indirect=True)``: a proof on each backend."""


@dataclass
class BotProcess:
    """`python bot.py` with its own database and environment, logs kept in a file."""

    fd: FakeDiscord
    scene: Scene
    tmp: Path
    env: dict[str, str] = field(default_factory=dict)
    process: asyncio.subprocess.Process | None = None
    log_path: Path | None = None
    starts: int = 0
    database_url: str | None = None
    """A PostgreSQL database to use instead of the SQLite file ``tmp/cadence.db``."""

    @property
    def db_path(self) -> str | Path:
        """The bot's database: the SQLite file, or the PostgreSQL URL."""
        return self.database_url or self.tmp / "cadence.db"

    def environment(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DEV_"))}
        env.update(
            DISCORD_TOKEN=self.fd.token,
            DISCORD_API_BASE=self.fd.url,
            DATABASE_PATH=str(self.tmp / "cadence.db"),
            DATABASE_URL=self.database_url or "",
            DEV_GUILD_ID=str(self.scene.guild.id),
            DEV_CHANNEL_ID=str(self.scene.dev.id),
            ALERT_CHANNEL_ID=str(self.scene.alerts.id),
            LOG_LEVEL="DEBUG",
            PYTHONPATH=str(ROOT),
        )
        env.update(self.env)
        env.update(extra or {})
        return env

    async def start(
        self, *, faketime: str | None = None, wait_started: bool = True, **extra: str
    ) -> StoredMessage | None:
        """Start the process; by default wait for the "Cadence started" embed."""
        self.starts += 1
        self.log_path = self.tmp / f"bot-{self.starts}.log"
        env = self.environment(extra)
        if faketime is not None:
            env.update(LD_PRELOAD=str(FAKETIME_LIB), FAKETIME=faketime, TZ="UTC")
        after = self.fd.cursor()
        with self.log_path.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(ROOT / "bot.py"),
                "--env-file",
                str(self.tmp / "none.env"),
                cwd=self.tmp,
                env=env,
                stdout=log,
                stderr=log,
            )
        if not wait_started:
            return None
        return await self.fd.wait_for_message(
            self.scene.dev,
            lambda m: bool(m.embeds) and m.embeds[0].get("title") == "Cadence started",
            timeout=20,
            after=after,
        )

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:  # noqa: ASYNC109
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(sig)
        code = await asyncio.wait_for(self.process.wait(), timeout)
        self.process = None
        return code

    def log(self) -> str:
        logs = sorted(self.tmp.glob("bot-*.log"))
        return "\n".join(p.read_text(errors="replace") for p in logs)


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
