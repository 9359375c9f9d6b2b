"""The real CadenceBot in this process against fakediscord over real sockets, as the
command tests run it (tests/commands/harness.py), plus what the benches read back from the
emulator: accepted message creates and posts counted by nonce."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.common import cron_tasks
from cogs.bot import CadenceBot
from cogs.running import running
from config import load_settings
from fakediscord import FakeDiscord, Permission, World
from fakediscord.rest import RecordedRequest
from fakediscord.settings import EmulatorSettings
from scheduler.payload import make_nonce
from storage import Database, TaskRepository

__all__ = [
    "CommandingGuild",
    "Posts",
    "accepted_creates",
    "commanding_bot",
    "count_posts",
    "expected_nonces",
    "running_bot",
    "wait_for_nonces",
]


@dataclass(frozen=True)
class CommandingGuild:
    """The guild a bench drives the bot from: an admin, #general (where its tasks post) and
    #dev (the bot's notices)."""

    world: World
    guild: Any
    admin: Any
    general: Any
    dev: Any


@asynccontextmanager
async def commanding_bot(
    db_path: str | Path, name: str, tasks: int, *, room: int
) -> AsyncIterator[tuple[FakeDiscord, CadenceBot, CommandingGuild]]:
    """The bot running on a world with one guild and its admin, `tasks` cron tasks of that
    guild stored in `db_path` (none due for hours) and room for `room` more."""
    world = World()
    guild = world.add_guild(name, owner="owner")
    admin = guild.add_member("alice", roles=[guild.add_role("Admins", Permission.ADMINISTRATOR)])
    general = guild.add_channel("general")
    dev = guild.add_channel("dev")
    async with Database.open(db_path) as db:
        await TaskRepository(db).create_many(cron_tasks(tasks, guild.id, general.id, prefix="t"))
    scene = CommandingGuild(world, guild, admin, general, dev)
    settings = {"MAX_TASKS_PER_GUILD": str(tasks + room)}
    async with running_bot(world, db_path, dev_channel_id=dev.id, settings=settings) as (fd, bot):
        yield fd, bot, scene


@asynccontextmanager
async def running_bot(
    world: World,
    db_path: str | Path,
    *,
    dev_channel_id: int | None = None,
    settings: Mapping[str, str] | None = None,
    emulator: EmulatorSettings | None = None,
) -> AsyncIterator[tuple[FakeDiscord, CadenceBot]]:
    """Start fakediscord and the bot on ``db_path``; yield both once the bot is ready."""
    fd = await FakeDiscord.start(world, settings=emulator)
    environ = {"DISCORD_TOKEN": fd.token, "MIN_INTERVAL_SECONDS": "60", **(settings or {})}
    if dev_channel_id is not None:
        environ["DEV_CHANNEL_ID"] = str(dev_channel_id)
    database = await Database.open(db_path)
    bot = CadenceBot(load_settings(environ, env_file=None), database, guild_ready_timeout=0.05)
    try:
        async with running(bot, fd.token, api_base=fd.url, ready_timeout=30, reconnect=False):
            await asyncio.wait_for(bot.started.wait(), 30)
            yield fd, bot
    finally:
        await database.close()
        await fd.stop()


def accepted_creates(fd: FakeDiscord) -> list[RecordedRequest]:
    """The channel message creates the emulator accepted, in the order they arrived."""
    return [
        request
        for request in fd.requests_to("POST", "/messages")
        if request.route.startswith("/channels/") and (request.status or 0) < 300
    ]


@dataclass(frozen=True, slots=True)
class Posts:
    """What the emulator holds for the expected (task, instant) nonces."""

    expected: int
    posted: int
    lost: int
    doubled: int
    resent: int
    refused_429: int

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.doubled == 0


def expected_nonces(runs: Iterable[tuple[int, datetime]]) -> set[str]:
    return {make_nonce(task_id, at, 0) for task_id, at in runs}


def count_posts(fd: FakeDiscord, nonces: set[str]) -> Posts:
    """Lost and doubled posts by nonce: ``doubled`` counts messages stored beyond one per
    nonce; ``resent`` counts sends the emulator answered with the first message (dedup)."""
    stored = Counter(m.nonce for m in fd.all_posts() if m.nonce in nonces)
    sends = Counter(
        r.json.get("nonce")
        for r in accepted_creates(fd)
        if isinstance(r.json, dict) and r.json.get("nonce") in nonces
    )
    refused = sum(1 for r in fd.requests_to("POST", "/messages") if r.status == 429)
    return Posts(
        expected=len(nonces),
        posted=len(stored),
        lost=len(nonces - set(stored)),
        doubled=sum(count - 1 for count in stored.values()),
        resent=sum(sends.values()) - len(stored),
        refused_429=refused,
    )


async def wait_for_nonces(fd: FakeDiscord, nonces: set[str], within: float) -> bool:
    """Wait until a message with each nonce is stored; False after ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if nonces <= {m.nonce for m in fd.all_posts()}:
            return True
        await asyncio.sleep(0.05)
    return False
