"""Helpers for the emulator's own tests: the scene (a world) and real discord.py clients; the
fixtures that use them are in conftest.py."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import discord
from discord import app_commands

from fakediscord import ChannelType, Permission, World
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


def make_client(*, members: bool = True) -> tuple[discord.Client, app_commands.CommandTree]:
    intents = discord.Intents.default()
    intents.members = members
    client = discord.Client(intents=intents, guild_ready_timeout=0.05)
    return client, app_commands.CommandTree(client)


StartBot = Callable[..., Awaitable[discord.Client]]


async def wait_until(predicate: Callable[[], bool], within: float = 5.0) -> None:
    """Poll the client's cache until ``predicate`` holds."""
    for _ in range(int(within / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")
