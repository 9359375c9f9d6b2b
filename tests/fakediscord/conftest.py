"""Fixtures for the emulator's own tests: a world, a running FakeDiscord, real discord.py bots."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass

import discord
import pytest
import yarl
from discord import app_commands

from fakediscord import ChannelType, FakeDiscord, Permission, World
from fakediscord.models import Channel, Member, Role
from fakediscord.world import Guild


@dataclass
class Scene:
    """A small guild: an admin, a plain member, a manager, and channels with overwrites."""

    world: World
    guild: Guild
    admins: Role
    managers: Role
    alice: Member
    bob: Member
    carol: Member
    general: Channel
    news: Channel
    secret: Channel
    readonly: Channel
    noembed: Channel
    thread: Channel


def build_scene() -> Scene:
    world = World()
    guild = world.add_guild("Cadence Test", owner="owner")
    admins = guild.add_role("Admins", Permission.ADMINISTRATOR)
    managers = guild.add_role("Managers", Permission.MANAGE_GUILD)
    alice = guild.add_member("alice", roles=[admins])
    bob = guild.add_member("bob")
    carol = guild.add_member("carol", roles=[managers])
    bot = guild.bot_member
    general = guild.add_channel("general")
    news = guild.add_channel("news", type=ChannelType.ANNOUNCEMENT)
    secret = guild.add_channel("secret", overwrites={bot: (0, Permission.VIEW_CHANNEL)})
    readonly = guild.add_channel("readonly", overwrites={bot: (0, Permission.SEND_MESSAGES)})
    noembed = guild.add_channel("noembed", overwrites={bot: (0, Permission.EMBED_LINKS)})
    thread = guild.add_thread(general, "daily-thread")
    return Scene(
        world,
        guild,
        admins,
        managers,
        alice,
        bob,
        carol,
        general,
        news,
        secret,
        readonly,
        noembed,
        thread,
    )


@pytest.fixture
def scene() -> Scene:
    return build_scene()


@pytest.fixture
async def fd(scene: Scene) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(scene.world) as emulator:
        yield emulator
        assert emulator.internal_errors == []


@pytest.fixture
def discord_at(fd: FakeDiscord) -> Iterator[FakeDiscord]:
    """Point discord.py at the emulator for the test, then restore its defaults."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = f"{fd.url}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fd.ws_url)
    try:
        yield fd
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


def make_client(*, members: bool = True) -> tuple[discord.Client, app_commands.CommandTree]:
    intents = discord.Intents.default()
    intents.members = members
    client = discord.Client(intents=intents, guild_ready_timeout=0.05)
    return client, app_commands.CommandTree(client)


StartBot = Callable[..., Awaitable[discord.Client]]


@pytest.fixture
async def start_bot(discord_at: FakeDiscord) -> AsyncIterator[StartBot]:
    """``await start_bot(client, tree=None, guild=None)``: log in, sync, connect, wait ready."""
    fd = discord_at
    running: list[tuple[discord.Client, asyncio.Task[None]]] = []

    async def start(
        client: discord.Client,
        tree: app_commands.CommandTree | None = None,
        guild: Guild | None = None,
    ) -> discord.Client:
        await client.login(fd.token)
        if tree is not None:
            if guild is not None:
                target = discord.Object(guild.id)
                tree.copy_global_to(guild=target)
                await tree.sync(guild=target)
            else:
                await tree.sync()
        task = asyncio.create_task(client.connect())
        running.append((client, task))
        await asyncio.wait_for(client.wait_until_ready(), 5)
        return client

    yield start
    for client, task in running:
        await client.close()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(task, 2)
