"""Slash-command tests: the real CadenceBot (engine, storage, cogs) in the test's event loop,
talking over real sockets to fakediscord, driven as members would drive it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl

from bot import CadenceBot
from config import load_settings
from fakediscord import ChannelType, FakeDiscord, Permission, World
from fakediscord.interactions import Callback, Interaction
from storage import Database, Task


@dataclass
class Scene:
    world: World
    guild: Any
    admin: Any
    manager: Any
    member: Any
    managers: Any
    general: Any
    news: Any
    readonly: Any
    noembed: Any
    dev: Any
    thread: Any
    other: Any
    other_admin: Any
    other_general: Any


def build_scene() -> Scene:
    world = World()
    guild = world.add_guild("Commands", owner="owner")
    admins = guild.add_role("Admins", Permission.ADMINISTRATOR)
    managers = guild.add_role("Schedulers", 0)
    admin = guild.add_member("alice", roles=[admins])
    manager = guild.add_member("carol", roles=[managers])
    member = guild.add_member("bob")
    bot = guild.bot_member
    general = guild.add_channel("general")
    news = guild.add_channel("news", type=ChannelType.ANNOUNCEMENT)
    readonly = guild.add_channel("readonly", overwrites={bot: (0, Permission.SEND_MESSAGES)})
    noembed = guild.add_channel("noembed", overwrites={bot: (0, Permission.EMBED_LINKS)})
    dev = guild.add_channel("dev")
    thread = guild.add_thread(general, "standup")
    other = world.add_guild("Elsewhere", owner="owner2")
    other_admins = other.add_role("Admins", Permission.ADMINISTRATOR)
    other_admin = other.add_member("dave", roles=[other_admins])
    other_general = other.add_channel("general")
    return Scene(
        world,
        guild,
        admin,
        manager,
        member,
        managers,
        general,
        news,
        readonly,
        noembed,
        dev,
        thread,
        other,
        other_admin,
        other_general,
    )


@dataclass
class App:
    fd: FakeDiscord
    bot: CadenceBot
    scene: Scene

    async def slash(
        self, member: Any, path: str, *, guild: Any = None, **options: Any
    ) -> Interaction:
        return await self.fd.slash(guild or self.scene.guild, member, f"schedule {path}", **options)

    async def answer(
        self, member: Any, path: str, *, guild: Any = None, **options: Any
    ) -> Callback:
        """Run a command and wait until it is fully answered; return the visible answer."""
        handle = await self.slash(member, path, guild=guild, **options)
        return await final_answer(handle)

    async def tasks(self, guild: Any = None) -> list[Task]:
        return await self.bot.engine.tasks.list_for_guild((guild or self.scene.guild).id)


async def final_answer(handle: Interaction) -> Callback:
    """The first accepted callback, or for a deferred one the followup that completed it."""
    callback = await handle.response(timeout=10)
    if callback.type == 5:  # deferred: the answer is the first followup
        await handle.wait_followups(1, timeout=10)
        message = handle.followups[0]
        return Callback(
            type=4,
            data={"embeds": message.embeds, "content": message.content, "flags": message.flags},
            at=callback.at,
            status=200,
        )
    return callback


def embed_of(callback: Callback) -> dict[str, Any]:
    data = callback.data or {}
    embeds = data.get("embeds") or []
    assert embeds, f"no embed in {data}"
    return embeds[0]


def text_of(callback: Callback) -> str:
    """Everything a person reads in the answer, as one string."""
    data = callback.data or {}
    parts = [data.get("content") or ""]
    for embed in data.get("embeds") or []:
        parts += [embed.get("title", ""), embed.get("description", "")]
        for field in embed.get("fields", []):
            parts += [field.get("name", ""), field.get("value", "")]
    return "\n".join(p for p in parts if p)


@pytest.fixture
def scene() -> Scene:
    return build_scene()


@pytest.fixture
async def app(scene: Scene, tmp_path: Path) -> AsyncIterator[App]:
    fd = await FakeDiscord.start(scene.world)
    old = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = f"{fd.url}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fd.ws_url)
    settings = load_settings(
        {
            "DISCORD_TOKEN": fd.token,
            "DEV_CHANNEL_ID": str(scene.dev.id),
            "MIN_INTERVAL_SECONDS": "60",
        },
        env_file=None,
    )
    database = await Database.open(tmp_path / "cadence.db")
    bot = CadenceBot(settings, database, guild_ready_timeout=0.05)
    runner: asyncio.Task[None] | None = None
    try:
        await bot.login(fd.token)
        runner = asyncio.create_task(bot.connect(reconnect=False))
        await asyncio.wait_for(bot.wait_until_ready(), 10)
        yield App(fd, bot, scene)
    finally:
        await bot.close()
        if runner is not None:
            await asyncio.gather(runner, return_exceptions=True)
        await database.close()
        await fd.stop()
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old
