"""Fixtures for the emulator's own tests: a world, a running FakeDiscord, real discord.py bots
(the helpers they use are in harness.py)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import discord
import pytest
import yarl
from discord import app_commands

from cogs.running import running
from fakediscord import FakeDiscord
from fakediscord.world import Guild
from tests.fakediscord.harness import Scene, StartBot, build_scene


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


@pytest.fixture
async def start_bot(discord_at: FakeDiscord) -> AsyncIterator[StartBot]:
    """``await start_bot(client, tree=None, guild=None)``: log in, sync, connect, wait ready
    (closed at the end of the test)."""
    fd = discord_at

    async with contextlib.AsyncExitStack() as running_clients:

        async def start(
            client: discord.Client,
            tree: app_commands.CommandTree | None = None,
            guild: Guild | None = None,
        ) -> discord.Client:
            if tree is not None:

                async def sync_tree() -> None:  # between login and connect, as bots do
                    if guild is not None:
                        target = discord.Object(guild.id)
                        tree.copy_global_to(guild=target)
                        await tree.sync(guild=target)
                    else:
                        await tree.sync()

                client.setup_hook = sync_tree  # type: ignore[method-assign]
            await running_clients.enter_async_context(
                running(client, fd.token, api_base=fd.url, ready_timeout=5)
            )
            return client

        yield start
