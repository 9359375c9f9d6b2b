"""Discord's permission bits and its permission algorithm.

The algorithm follows Discord's documentation ("Permission Hierarchy"): base permissions from
@everyone and the member's roles, the owner and ADMINISTRATOR shortcuts, then the channel's
@everyone overwrite, the member's role overwrites aggregated, and the member overwrite. Threads
use their parent channel's overwrites. Two implicit rules are applied as Discord does: without
VIEW_CHANNEL a member has no permission in the channel, and without the right to send, the
send-related permissions (embeds, files, mentions, TTS) are denied too.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from fakediscord.models import THREAD_TYPES

if TYPE_CHECKING:
    from fakediscord.models import Channel, Member
    from fakediscord.world import Guild


class Permission(enum.IntFlag):
    """The permission bits Cadence and discord.py care about (Discord's values)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    PRIORITY_SPEAKER = 1 << 8
    STREAM = 1 << 9
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    VIEW_GUILD_INSIGHTS = 1 << 19
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    MUTE_MEMBERS = 1 << 22
    DEAFEN_MEMBERS = 1 << 23
    MOVE_MEMBERS = 1 << 24
    USE_VAD = 1 << 25
    CHANGE_NICKNAME = 1 << 26
    MANAGE_NICKNAMES = 1 << 27
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    MANAGE_GUILD_EXPRESSIONS = 1 << 30
    USE_APPLICATION_COMMANDS = 1 << 31
    REQUEST_TO_SPEAK = 1 << 32
    MANAGE_EVENTS = 1 << 33
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    USE_EXTERNAL_STICKERS = 1 << 37
    SEND_MESSAGES_IN_THREADS = 1 << 38
    USE_EMBEDDED_ACTIVITIES = 1 << 39
    MODERATE_MEMBERS = 1 << 40
    VIEW_CREATOR_MONETIZATION_ANALYTICS = 1 << 41
    USE_SOUNDBOARD = 1 << 42
    CREATE_GUILD_EXPRESSIONS = 1 << 43
    CREATE_EVENTS = 1 << 44
    USE_EXTERNAL_SOUNDS = 1 << 45
    SEND_VOICE_MESSAGES = 1 << 46
    SEND_POLLS = 1 << 49
    USE_EXTERNAL_APPS = 1 << 50


ALL_PERMISSIONS = 0
for _flag in Permission:
    ALL_PERMISSIONS |= int(_flag)

#: What a new guild's @everyone role allows in text channels (a trimmed Discord default).
DEFAULT_EVERYONE = int(
    Permission.CREATE_INSTANT_INVITE
    | Permission.ADD_REACTIONS
    | Permission.VIEW_CHANNEL
    | Permission.SEND_MESSAGES
    | Permission.EMBED_LINKS
    | Permission.ATTACH_FILES
    | Permission.READ_MESSAGE_HISTORY
    | Permission.USE_EXTERNAL_EMOJIS
    | Permission.CHANGE_NICKNAME
    | Permission.USE_APPLICATION_COMMANDS
    | Permission.CREATE_PUBLIC_THREADS
    | Permission.SEND_MESSAGES_IN_THREADS
)

#: What the bot's own managed role allows by default: what a scheduling bot is invited with.
DEFAULT_BOT = int(
    Permission.VIEW_CHANNEL
    | Permission.SEND_MESSAGES
    | Permission.SEND_MESSAGES_IN_THREADS
    | Permission.EMBED_LINKS
    | Permission.ATTACH_FILES
    | Permission.READ_MESSAGE_HISTORY
    | Permission.MENTION_EVERYONE
    | Permission.MANAGE_MESSAGES
    | Permission.MANAGE_WEBHOOKS
    | Permission.USE_EXTERNAL_EMOJIS
    | Permission.ADD_REACTIONS
)

_SEND_DEPENDENT = int(
    Permission.SEND_TTS_MESSAGES
    | Permission.MENTION_EVERYONE
    | Permission.ATTACH_FILES
    | Permission.EMBED_LINKS
)


def base_permissions(guild: Guild, member: Member) -> int:
    """Guild-level permissions: @everyone plus the member's roles; owner and admins get all."""
    if member.id == guild.owner_id:
        return ALL_PERMISSIONS
    permissions = guild.everyone.permissions
    for role_id in member.roles:
        role = guild.roles.get(role_id)
        if role is not None:
            permissions |= role.permissions
    if permissions & Permission.ADMINISTRATOR:
        return ALL_PERMISSIONS
    return permissions


def channel_permissions(guild: Guild, member: Member, channel: Channel) -> int:
    """Permissions of ``member`` in ``channel`` (threads use their parent's overwrites)."""
    base = base_permissions(guild, member)
    if base & Permission.ADMINISTRATOR:
        return ALL_PERMISSIONS
    source = channel
    if channel.type in THREAD_TYPES and channel.parent_id is not None:
        parent = guild.channels.get(channel.parent_id)
        if parent is not None:
            source = parent
    permissions = _apply_overwrites(base, guild, member, source)
    if not permissions & Permission.VIEW_CHANNEL:
        return 0
    send_bit = (
        Permission.SEND_MESSAGES_IN_THREADS
        if channel.type in THREAD_TYPES
        else Permission.SEND_MESSAGES
    )
    if not permissions & send_bit:
        permissions &= ~_SEND_DEPENDENT
    return permissions


def _apply_overwrites(base: int, guild: Guild, member: Member, channel: Channel) -> int:
    permissions = base
    by_id = {overwrite.id: overwrite for overwrite in channel.overwrites}
    everyone = by_id.get(guild.id)
    if everyone is not None and everyone.type == 0:
        permissions &= ~everyone.deny
        permissions |= everyone.allow
    allow = deny = 0
    for role_id in member.roles:
        overwrite = by_id.get(role_id)
        if overwrite is not None and overwrite.type == 0 and role_id != guild.id:
            allow |= overwrite.allow
            deny |= overwrite.deny
    permissions &= ~deny
    permissions |= allow
    own = by_id.get(member.id)
    if own is not None and own.type == 1:
        permissions &= ~own.deny
        permissions |= own.allow
    return permissions


def has(permissions: int, needed: int) -> bool:
    """True when every bit of ``needed`` is set (ADMINISTRATOR implies everything)."""
    if permissions & Permission.ADMINISTRATOR:
        return True
    return permissions & needed == needed


def names(permissions: int) -> list[str]:
    """The names of the set bits, for error messages and logs."""
    return [flag.name or str(int(flag)) for flag in Permission if permissions & flag]
