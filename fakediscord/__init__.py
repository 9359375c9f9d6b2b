"""fakediscord: a local Discord (REST v10 + Gateway v10) for testing discord.py bots.

See docs/FAKEDISCORD.md. The package imports nothing of the bot.
"""

from __future__ import annotations

from fakediscord.interactions import Callback, Interaction
from fakediscord.messages import StoredAttachment, StoredMessage
from fakediscord.models import Channel, ChannelType, Member, Overwrite, Role, User, Webhook
from fakediscord.options import FakeFile, InteractionRefused
from fakediscord.permissions import ALL_PERMISSIONS, Permission
from fakediscord.server import FakeDiscord
from fakediscord.settings import EmulatorSettings
from fakediscord.testapi import InteractionFailed
from fakediscord.world import Guild, World

InteractionHandle = Interaction

__all__ = [
    "ALL_PERMISSIONS",
    "Callback",
    "Channel",
    "ChannelType",
    "EmulatorSettings",
    "FakeDiscord",
    "FakeFile",
    "Guild",
    "Interaction",
    "InteractionFailed",
    "InteractionHandle",
    "InteractionRefused",
    "Member",
    "Overwrite",
    "Permission",
    "Role",
    "StoredAttachment",
    "StoredMessage",
    "User",
    "Webhook",
    "World",
]
