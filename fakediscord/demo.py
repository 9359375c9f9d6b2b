"""A ready-made world for the standalone emulator and the sandbox."""

from __future__ import annotations

from fakediscord.models import ChannelType
from fakediscord.permissions import Permission
from fakediscord.world import World


def demo_world(token: str | None = None) -> World:
    """One guild with an admin, a scheduler, a plain member and a few kinds of channels.

    - ``alice`` is an administrator, ``carol`` has Manage Server, ``bob`` has no extra rights;
    - ``#general`` (with a ``standup`` thread), ``#announcements`` (announcement channel),
      ``#dev-alerts`` and ``#readonly`` (the bot may not send there).
    """
    world = World(token=token)
    guild = world.add_guild("Cadence Sandbox", owner="sandbox-owner")
    admins = guild.add_role("Admins", Permission.ADMINISTRATOR, color=0xE74C3C)
    schedulers = guild.add_role("Schedulers", Permission.MANAGE_GUILD, mentionable=True)
    guild.add_member("alice", roles=[admins])
    guild.add_member("bob")
    guild.add_member("carol", roles=[schedulers])
    general = guild.add_channel("general", topic="Talk and scheduled posts")
    guild.add_channel("announcements", type=ChannelType.ANNOUNCEMENT)
    guild.add_channel("dev-alerts")
    guild.add_channel("readonly", overwrites={guild.bot_member: (0, Permission.SEND_MESSAGES)})
    guild.add_thread(general, "standup")
    return world
