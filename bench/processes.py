"""Real `python bot.py` processes against fakediscord in the calling process: one bot
(:class:`BotProcess`) or a sharded group of them on one PostgreSQL database (:class:`Fleet`).

Shared by the end-to-end proofs (tests/e2e, which import these names through
tests/e2e/harness.py and tests/e2e/scale_fleet.py) and by the benches that measure real
processes (bench.scale), so that both start the bot the same way: same environment, same
"Cadence started" notice awaited, same log files.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fakediscord import ChannelType, FakeDiscord, Permission, World
from fakediscord.messages import StoredMessage
from fakediscord.world import Guild

__all__ = [
    "FAKETIME_LIB",
    "ROOT",
    "STARTED",
    "BotProcess",
    "Fleet",
    "Scene",
    "add_guilds",
    "build_scene",
    "wait_until",
]

ROOT = Path(__file__).resolve().parents[1]
FAKETIME_LIBS = sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))
FAKETIME_LIB = FAKETIME_LIBS[0] if FAKETIME_LIBS else Path("/usr/lib/faketime/libfaketime.so.1")
STARTED = "Cadence started"
"""The title of the notice a process posts in the dev channel once it is up."""


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


async def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:  # noqa: ASYNC109
    """Poll `condition` every 20 ms until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


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
            lambda m: bool(m.embeds) and m.embeds[0].get("title") == STARTED,
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


@dataclass
class Fleet:
    """`processes` bots sharing `shard_count` shards, `per_process` consecutive shards each."""

    fd: FakeDiscord
    scene: Scene
    tmp: Path
    url: str
    shard_count: int
    per_process: int
    env: dict[str, str] = field(default_factory=dict)
    bots: list[BotProcess] = field(default_factory=list)

    def __post_init__(self) -> None:
        for n in range(self.shard_count // self.per_process):
            folder = self.tmp / f"p{n}"
            folder.mkdir(exist_ok=True)
            env = {
                **self.env,
                "SHARD_COUNT": str(self.shard_count),
                "SHARD_IDS": ",".join(str(s) for s in self.shards(n)),
            }
            self.bots.append(BotProcess(self.fd, self.scene, folder, env, database_url=self.url))

    def shards(self, n: int) -> list[int]:
        return list(range(n * self.per_process, (n + 1) * self.per_process))

    def owner(self, guild_id: int) -> int:
        """The process whose shards receive this guild's events."""
        return ((guild_id >> 22) % self.shard_count) // self.per_process

    def started_notices(self) -> int:
        return sum(
            1
            for m in self.fd.messages(self.scene.dev)
            if m.embeds and m.embeds[0].get("title") == STARTED
        )

    async def start(self, n: int, timeout: float = 60, **extra: str) -> float:  # noqa: ASYNC109
        """Start process `n` and wait for its "Cadence started"; returns the seconds it took."""
        began = time.monotonic()
        before = self.started_notices()
        await self.bots[n].start(wait_started=False, **extra)
        await wait_until(lambda: self.started_notices() > before, timeout, f"process {n} start")
        return time.monotonic() - began

    async def start_all(self, timeout: float = 90) -> None:  # noqa: ASYNC109
        before = self.started_notices()
        for bot in self.bots:
            await bot.start(wait_started=False)
        wanted = before + len(self.bots)
        await wait_until(lambda: self.started_notices() >= wanted, timeout, "all processes up")

    async def kill_all(self) -> None:
        for bot in self.bots:
            if bot.process is not None and bot.process.returncode is None:
                bot.process.kill()
                await bot.process.wait()

    def logs(self) -> str:
        return "\n".join(f"== process {n}\n{bot.log()[-4000:]}" for n, bot in enumerate(self.bots))


def add_guilds(
    fd: FakeDiscord, count: int, shard_counts: tuple[int, ...], channels: int
) -> list[Guild]:
    """`count` guilds, each with `channels` text channels, round-robin over the shards of
    every layout in `shard_counts` at once (guild `g` is on shard `g % n` of each count `n`:
    its id is picked on the least common multiple of the counts)."""
    spread = math.lcm(*shard_counts)
    guilds = []
    for g in range(count):
        guild = fd.world.add_guild(f"guild-{g:02d}", shard=(g % spread, spread))
        for c in range(channels):
            guild.add_channel(f"c{c}")
        guilds.append(guild)
    return guilds
