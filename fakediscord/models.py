"""Plain records of the emulated world: users, roles, overwrites, channels, members, the app."""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass, field
from typing import Any


class ChannelType(enum.IntEnum):
    """Discord channel types the emulator models."""

    TEXT = 0
    CATEGORY = 4
    ANNOUNCEMENT = 5
    ANNOUNCEMENT_THREAD = 10
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12


THREAD_TYPES = frozenset(
    {ChannelType.ANNOUNCEMENT_THREAD, ChannelType.PUBLIC_THREAD, ChannelType.PRIVATE_THREAD}
)
"""The channel types that are threads."""


@dataclass(eq=False)
class User:
    """A Discord user (a person or a bot)."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    discriminator: str = "0"
    avatar: str | None = None


@dataclass(eq=False)
class Role:
    """A guild role; ``permissions`` is Discord's integer bit set."""

    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False
    bot_id: int | None = None


@dataclass
class Overwrite:
    """A channel permission overwrite; ``type`` 0 is a role, 1 a member."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0

    @classmethod
    def for_target(cls, target: Role | Member | User, allow: int = 0, deny: int = 0) -> Overwrite:
        """An overwrite for a role, a member or a user."""
        kind = 0 if isinstance(target, Role) else 1
        return cls(id=target.id, type=kind, allow=int(allow), deny=int(deny))


@dataclass(eq=False)
class Channel:
    """A guild channel or thread."""

    id: int
    guild_id: int
    name: str
    type: int = ChannelType.TEXT
    position: int = 0
    overwrites: list[Overwrite] = field(default_factory=list)
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    created_at: float = 0.0

    @property
    def is_thread(self) -> bool:
        """True for thread channels (types 10, 11, 12)."""
        return self.type in THREAD_TYPES

    def set_overwrite(self, target: Role | Member | User, allow: int = 0, deny: int = 0) -> None:
        """Replace (or add) the overwrite for ``target``."""
        self.overwrites = [o for o in self.overwrites if o.id != target.id]
        self.overwrites.append(Overwrite.for_target(target, allow, deny))


@dataclass(eq=False)
class Member:
    """A user's membership of a guild. ``roles`` never lists @everyone."""

    user: User
    guild_id: int
    roles: list[int] = field(default_factory=list)
    joined_at: float = 0.0
    nick: str | None = None
    flags: int = 0

    @property
    def id(self) -> int:
        """The user's id."""
        return self.user.id


@dataclass
class Application:
    """The bot's application (id, owner, flags) and its synced command trees."""

    id: int
    name: str
    owner: User
    description: str = ""
    flags: int = (1 << 12) | (1 << 14) | (1 << 18)  # presence, members, message content intents
    verify_key: str = field(default_factory=lambda: secrets.token_hex(32))
    bot_public: bool = True
    global_commands: list[dict[str, Any]] = field(default_factory=list)
    guild_commands: dict[int, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass(eq=False)
class Webhook:
    """A channel webhook (``token`` is what execute URLs carry)."""

    id: int
    guild_id: int
    channel_id: int
    name: str
    token: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    avatar: str | None = None
    creator_id: int | None = None
    application_id: int | None = None
