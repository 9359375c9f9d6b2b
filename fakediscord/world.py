"""The emulated Discord world: users, guilds, roles, channels, members, the bot and its app.

Build it in code before (or while) the emulator runs::

    world = World()
    guild = world.add_guild("Cadence HQ")
    admins = guild.add_role("Admins", Permission.ADMINISTRATOR)
    alice = guild.add_member("alice", roles=[admins])
    general = guild.add_channel("general")
    news = guild.add_channel("news", type=ChannelType.ANNOUNCEMENT)

Ids are Discord-style snowflakes. The @everyone role's id equals the guild's id.
"""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from fakediscord.clock import EmulatorClock, SnowflakeGenerator
from fakediscord.models import (
    THREAD_TYPES,
    Application,
    Channel,
    ChannelType,
    Member,
    Overwrite,
    Role,
    User,
    Webhook,
)
from fakediscord.permissions import (
    DEFAULT_BOT,
    DEFAULT_EVERYONE,
    base_permissions,
    channel_permissions,
)

log = logging.getLogger(__name__)


class Guild:
    """A guild with its roles, channels, threads and members."""

    def __init__(self, world: World, guild_id: int, name: str, owner_id: int) -> None:
        self.world = world
        self.id = guild_id
        self.name = name
        self.owner_id = owner_id
        self.roles: dict[int, Role] = {}
        self.channels: dict[int, Channel] = {}
        self.members: dict[int, Member] = {}
        self.features: list[str] = []
        self.bot_present = True
        self.bot_joined_at = world.clock.now()
        self.locale = "en-US"
        #: command id (or application id for app-wide) -> {target id: (type, allowed)}
        self.command_permissions: dict[int, dict[int, tuple[int, bool]]] = {}

    def __repr__(self) -> str:
        return f"<Guild id={self.id} name={self.name!r}>"

    @property
    def everyone(self) -> Role:
        """The @everyone role (its id is the guild's id)."""
        return self.roles[self.id]

    def add_role(
        self,
        name: str,
        permissions: int = 0,
        *,
        mentionable: bool = False,
        color: int = 0,
        hoist: bool = False,
        managed: bool = False,
        bot_id: int | None = None,
    ) -> Role:
        """Create a role above the existing ones."""
        role = Role(
            id=self.world.snowflakes.next(),
            guild_id=self.id,
            name=name,
            permissions=int(permissions),
            position=len(self.roles),
            color=color,
            hoist=hoist,
            mentionable=mentionable,
            managed=managed,
            bot_id=bot_id,
        )
        self.roles[role.id] = role
        return role

    def add_channel(
        self,
        name: str,
        type: int = ChannelType.TEXT,
        *,
        overwrites: Iterable[Overwrite] | Mapping[Any, tuple[int, int]] = (),
        topic: str | None = None,
        parent: Channel | None = None,
        position: int | None = None,
        nsfw: bool = False,
    ) -> Channel:
        """Create a channel; ``overwrites`` is a list of Overwrite or {target: (allow, deny)}."""
        if int(type) in THREAD_TYPES:
            if parent is None:
                raise ValueError("a thread needs a parent channel: use add_thread")
            return self.add_thread(parent, name)
        if isinstance(overwrites, Mapping):
            listed = [Overwrite.for_target(t, a, d) for t, (a, d) in overwrites.items()]
        else:
            listed = list(overwrites)
        channel = Channel(
            id=self.world.snowflakes.next(),
            guild_id=self.id,
            name=name,
            type=int(type),
            position=position if position is not None else self._next_position(),
            overwrites=listed,
            parent_id=parent.id if parent is not None else None,
            topic=topic,
            nsfw=nsfw,
            created_at=self.world.clock.now(),
        )
        self.channels[channel.id] = channel
        return channel

    def add_thread(
        self,
        parent: Channel,
        name: str,
        *,
        owner: Member | User | None = None,
        private: bool = False,
        archived: bool = False,
        locked: bool = False,
    ) -> Channel:
        """Create a thread under ``parent`` (public by default, type 10 under announcements)."""
        if parent.id not in self.channels or parent.is_thread:
            raise ValueError("a thread's parent must be a text or announcement channel here")
        if private:
            kind = ChannelType.PRIVATE_THREAD
        elif parent.type == ChannelType.ANNOUNCEMENT:
            kind = ChannelType.ANNOUNCEMENT_THREAD
        else:
            kind = ChannelType.PUBLIC_THREAD
        thread = Channel(
            id=self.world.snowflakes.next(),
            guild_id=self.id,
            name=name,
            type=int(kind),
            parent_id=parent.id,
            owner_id=owner.id if owner is not None else self.owner_id,
            archived=archived,
            locked=locked,
            created_at=self.world.clock.now(),
        )
        self.channels[thread.id] = thread
        return thread

    def add_member(
        self,
        user: User | str,
        *,
        roles: Iterable[Role | int] = (),
        nick: str | None = None,
    ) -> Member:
        """Add a user (or a new user of that name) to the guild."""
        if isinstance(user, str):
            user = self.world.add_user(user)
        member = Member(
            user=user,
            guild_id=self.id,
            roles=[r.id if isinstance(r, Role) else int(r) for r in roles],
            joined_at=self.world.clock.now(),
            nick=nick,
        )
        self.members[user.id] = member
        return member

    def remove_member(self, member: Member | User | int) -> None:
        """Remove a member from the guild (no event is sent; see FakeDiscord for that)."""
        self.members.pop(_id_of(member), None)

    def get_member(self, member: Member | User | int) -> Member | None:
        """The member with that id, or None."""
        return self.members.get(_id_of(member))

    def member_named(self, name: str) -> Member:
        """The member whose username is ``name``."""
        for member in self.members.values():
            if member.user.username == name:
                return member
        raise KeyError(name)

    def channel_named(self, name: str) -> Channel:
        """The channel or thread called ``name``."""
        for channel in self.channels.values():
            if channel.name == name:
                return channel
        raise KeyError(name)

    def role_named(self, name: str) -> Role:
        """The role called ``name``."""
        for role in self.roles.values():
            if role.name == name:
                return role
        raise KeyError(name)

    @property
    def bot_member(self) -> Member:
        """The bot's own member object in this guild."""
        return self.members[self.world.bot_user.id]

    def text_channels(self) -> list[Channel]:
        """Text and announcement channels, by position."""
        found = [c for c in self.channels.values() if c.type in (0, 5)]
        return sorted(found, key=lambda c: (c.position, c.id))

    def threads(self) -> list[Channel]:
        """The guild's threads."""
        return [c for c in self.channels.values() if c.is_thread]

    def permissions_for(self, member: Member | User | int, channel: Channel | None = None) -> int:
        """Guild-level permissions, or channel-level when ``channel`` is given."""
        found = self.get_member(member)
        if found is None:
            return 0
        if channel is None:
            return base_permissions(self, found)
        return channel_permissions(self, found, channel)

    def _next_position(self) -> int:
        return sum(1 for c in self.channels.values() if not c.is_thread)


class World:
    """Everything the emulator knows: the bot, its application, users and guilds."""

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_name: str = "Cadence",
        clock: EmulatorClock | None = None,
    ) -> None:
        self.clock = clock or EmulatorClock()
        self.snowflakes = SnowflakeGenerator(self.clock)
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.webhooks: dict[int, Webhook] = {}
        self.bot_user = self.add_user(bot_name, bot=True)
        owner = self.add_user(f"{bot_name.lower()}-developer")
        self.application = Application(id=self.bot_user.id, name=bot_name, owner=owner)
        self.token = token or _make_token(self.bot_user.id)

    def add_user(self, username: str, *, bot: bool = False, global_name: str | None = None) -> User:
        """Create a user."""
        user = User(id=self.snowflakes.next(), username=username, global_name=global_name, bot=bot)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str,
        owner: User | str | None = None,
        *,
        everyone_permissions: int = DEFAULT_EVERYONE,
        bot_permissions: int = DEFAULT_BOT,
        bot_present: bool = True,
        features: Iterable[str] = (),
        shard: tuple[int, int] | None = None,
    ) -> Guild:
        """Create a guild with @everyone, its owner, and the bot with its managed role;
        ``shard=(shard_id, shard_count)`` picks an id that shard receives."""
        if owner is None:
            owner = f"{name.lower().replace(' ', '-')}-owner"
        if isinstance(owner, str):
            owner = self.add_user(owner)
        ids = self.snowflakes
        guild_id = ids.next() if shard is None else ids.next_on_shard(*shard)
        guild = Guild(self, guild_id, name, owner.id)
        guild.features = list(features)
        guild.roles[guild.id] = Role(
            id=guild.id, guild_id=guild.id, name="@everyone", permissions=int(everyone_permissions)
        )
        guild.add_member(owner)
        bot_role = guild.add_role(
            self.bot_user.username, bot_permissions, managed=True, bot_id=self.bot_user.id
        )
        guild.add_member(self.bot_user, roles=[bot_role])
        guild.bot_present = bot_present
        self.guilds[guild.id] = guild
        log.debug("world: added guild %s (%s)", name, guild.id)
        return guild

    def guild(self, guild: Guild | int | Any) -> Guild | None:
        """The guild with that id (accepts anything with an ``id``)."""
        return self.guilds.get(_id_of(guild))

    def channel(self, channel: Channel | int | Any) -> Channel | None:
        """The channel or thread with that id, in any guild."""
        wanted = _id_of(channel)
        for guild in self.guilds.values():
            found = guild.channels.get(wanted)
            if found is not None:
                return found
        return None

    def user(self, user: User | Member | int | Any) -> User | None:
        """The user with that id."""
        return self.users.get(_id_of(user))

    def visible_guilds(self) -> list[Guild]:
        """Guilds the bot is currently a member of."""
        return [g for g in self.guilds.values() if g.bot_present]


def _id_of(thing: Any) -> int:
    if isinstance(thing, int):
        return thing
    if isinstance(thing, str):
        return int(thing)
    return int(thing.id)


def id_of(thing: Any) -> int:
    """The snowflake of an int, a numeric string, or anything with an ``id`` attribute."""
    return _id_of(thing)


def _make_token(bot_id: int) -> str:
    head = base64.urlsafe_b64encode(str(bot_id).encode()).decode().rstrip("=")
    return f"{head}.fake.{secrets.token_urlsafe(27)}"
