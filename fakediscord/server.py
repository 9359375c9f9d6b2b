"""FakeDiscord: the emulator's server, its state, and the world events tests can trigger."""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any

from aiohttp import web

from fakediscord import errors
from fakediscord.commands import CommandRegistry
from fakediscord.faults import FaultInjector
from fakediscord.gateway import GUILDS_INTENT, MEMBERS_INTENT, MESSAGES_INTENT, Gateway
from fakediscord.interactions import Callback, InteractionRegistry
from fakediscord.messages import MessageStore, StoredMessage
from fakediscord.models import Channel, Member, Role
from fakediscord.notify import Notifier
from fakediscord.oauth2 import OAuth2
from fakediscord.payloads import (
    channel_payload,
    member_payload,
    role_payload,
    user_payload,
)
from fakediscord.permissions import Permission
from fakediscord.ratelimit import RateLimiter
from fakediscord.rest import RecordedRequest, build_app
from fakediscord.settings import EmulatorSettings
from fakediscord.testapi import TestAPI
from fakediscord.world import Guild, World, id_of

log = logging.getLogger(__name__)


class FakeDiscord(TestAPI):
    """A local Discord (REST v10 + Gateway v10) on 127.0.0.1 for the unmodified discord.py.

    Start it with ``fd = await FakeDiscord.start(world)`` (or ``async with FakeDiscord(world)
    as fd``), point discord.py at ``fd.url`` and ``fd.ws_url``, log in with ``fd.token``.
    """

    def __init__(self, world: World | None = None, *, settings: EmulatorSettings | None = None):
        self.world = world or World()
        self.clock = self.world.clock
        self.settings = settings or EmulatorSettings()
        self.notifier = Notifier()
        self.store = MessageStore()
        self.commands = CommandRegistry(self.world)
        self.interactions = InteractionRegistry(self.store, self.notifier)
        self.faults = FaultInjector()
        #: The application's OAuth2 (web login): ``fd.oauth2.approve_as(member)`` and more.
        self.oauth2 = OAuth2(self.world, self.clock)
        self.rate_limiter = RateLimiter(self.clock, self.settings)
        self.requests: list[RecordedRequest] = []
        #: Unexpected exceptions inside the emulator (answered 400, code -1); should stay empty.
        self.internal_errors: list[BaseException] = []
        self.gateway = Gateway(self)
        self.host = "127.0.0.1"
        self.port = 0
        self._runner: web.AppRunner | None = None

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    async def start(
        cls,
        world: World | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        settings: EmulatorSettings | None = None,
    ) -> FakeDiscord:
        """Create and start an emulator; ``port=0`` picks a free port."""
        fd = cls(world, settings=settings)
        await fd.serve(host, port)
        return fd

    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Start listening (called by :meth:`start` and ``async with``)."""
        if self._runner is not None:
            return
        app = build_app(self)
        app.on_shutdown.append(self._on_shutdown)
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self.host = host
        self.port = int(runner.addresses[0][1])
        log.info("fakediscord listening on %s", self.url)

    async def stop(self) -> None:
        """Close the gateway sockets and the server."""
        if self._runner is None:
            return
        self.faults.clear()  # held answers and delayed requests must not stall the shutdown
        await self._runner.cleanup()
        self._runner = None

    async def _on_shutdown(self, app: web.Application) -> None:
        await self.gateway.close_all()

    async def __aenter__(self) -> FakeDiscord:
        await self.serve(self.host, self.port)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """The origin, e.g. ``http://127.0.0.1:PORT`` (REST is under ``/api/v10``)."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """``{url}/api/v10``: what ``discord.http.Route.BASE`` must be."""
        return f"{self.url}/api/v10"

    @property
    def ws_url(self) -> str:
        """``ws://127.0.0.1:PORT/``: the gateway (and READY's resume_gateway_url)."""
        return f"ws://{self.host}:{self.port}/"

    @property
    def token(self) -> str:
        """The bot token the emulator accepts."""
        return self.world.token

    # -- reading back ----------------------------------------------------------------------

    def messages(
        self, channel: Any, *, include_ephemeral: bool = False, include_deleted: bool = False
    ) -> list[StoredMessage]:
        """Messages of a channel (a world Channel, discord.py channel or id), oldest first."""
        return self.store.in_channel(
            id_of(channel), include_ephemeral=include_ephemeral, include_deleted=include_deleted
        )

    def all_posts(self, *, include_ephemeral: bool = False) -> list[StoredMessage]:
        """Every message in every channel, oldest first."""
        return self.store.all(include_ephemeral=include_ephemeral)

    def message(self, message: Any) -> StoredMessage | None:
        """A stored message by id (or anything with an ``id``)."""
        return self.store.get(id_of(message))

    @property
    def callbacks(self) -> list[Callback]:
        """Every interaction callback received, accepted or refused, in order."""
        return [callback for _, callback in self.interactions.all_callbacks()]

    def cursor(self) -> int:
        """The newest id handed out so far: pass it as ``after=`` to wait for newer messages."""
        return self.world.snowflakes.last

    async def wait_for_message(
        self,
        channel: Any = None,
        predicate: Callable[[StoredMessage], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        after: int | None = None,
        include_ephemeral: bool = False,
    ) -> StoredMessage:
        """The first stored message (existing or future) matching channel/predicate/after."""
        channel_id = id_of(channel) if channel is not None else None

        def probe() -> StoredMessage | None:
            for message in self.store.all(include_ephemeral=include_ephemeral):
                if channel_id is not None and message.channel_id != channel_id:
                    continue
                if after is not None and message.id <= after:
                    continue
                if predicate is None or predicate(message):
                    return message
            return None

        return await self.notifier.wait_for(probe, timeout)

    def requests_to(self, method: str, pattern: str) -> list[RecordedRequest]:
        """Recorded requests with that method whose route contains ``pattern``."""
        return [r for r in self.requests if r.method == method.upper() and pattern in r.route]

    # -- helpers for the routes ------------------------------------------------------------

    def bot_channel(self, channel_id: int) -> tuple[Guild, Channel, int]:
        """The channel, its guild and the bot's permissions there (10003 / 50001 otherwise)."""
        channel = self.world.channel(channel_id)
        if channel is None:
            raise errors.unknown_channel()
        guild = self.world.guilds[channel.guild_id]
        if not guild.bot_present:
            raise errors.missing_access()
        permissions = guild.permissions_for(self.world.bot_user, channel)
        if not permissions & Permission.VIEW_CHANNEL:
            raise errors.missing_access()
        return guild, channel, permissions

    def bot_author(self) -> dict[str, Any]:
        """The bot's user object as a message author."""
        return user_payload(self.world.bot_user)

    async def publish(self, message: StoredMessage) -> None:
        """Store a new message and send MESSAGE_CREATE (unless ephemeral)."""
        self.store.add(message)
        self.notifier.notify()
        if not message.ephemeral:
            await self._message_event("MESSAGE_CREATE", message)

    async def message_updated(self, message: StoredMessage) -> None:
        """Send MESSAGE_UPDATE for an edited message."""
        self.notifier.notify()
        if not message.ephemeral:
            await self._message_event("MESSAGE_UPDATE", message)

    async def message_deleted(self, message: StoredMessage) -> None:
        """Mark deleted and send MESSAGE_DELETE."""
        message.deleted = True
        self.notifier.notify()
        if message.ephemeral or not self.settings.message_events:
            return
        data = {"id": str(message.id), "channel_id": str(message.channel_id)}
        if message.guild_id:
            data["guild_id"] = str(message.guild_id)
        await self.gateway.dispatch(
            "MESSAGE_DELETE", data, guild_id=message.guild_id, intent=MESSAGES_INTENT
        )

    async def _message_event(self, event: str, message: StoredMessage) -> None:
        if not self.settings.message_events:
            return
        data = message.event_payload()
        guild = self.world.guild(message.guild_id or 0)
        member = guild.get_member(message.author_id) if guild and not message.webhook_id else None
        if member is not None:
            data["member"] = member_payload(member, with_user=False)
        await self.gateway.dispatch(event, data, guild_id=message.guild_id, intent=MESSAGES_INTENT)

    # -- world events ----------------------------------------------------------------------

    async def remove_bot(self, guild: Any) -> None:
        """The bot is kicked from (or leaves) a guild: GUILD_DELETE."""
        found = self._guild(guild)
        found.bot_present = False
        await self.gateway.dispatch(
            "GUILD_DELETE", {"id": str(found.id)}, guild_id=found.id, intent=GUILDS_INTENT
        )

    async def add_bot(self, guild: Any) -> None:
        """The bot is (re-)added to a guild: GUILD_CREATE."""
        found = self._guild(guild)
        found.bot_present = True
        found.bot_joined_at = self.clock.now()
        await self.gateway.dispatch(
            "GUILD_CREATE", self.gateway.guild_create(found.id, joined=True), guild_id=found.id
        )

    async def channel_created(self, channel: Channel) -> None:
        """Announce a channel or thread added after start: CHANNEL_CREATE / THREAD_CREATE."""
        if channel.is_thread:
            data = channel_payload(channel)
            data["newly_created"] = True
            await self.gateway.dispatch(
                "THREAD_CREATE", data, guild_id=channel.guild_id, intent=GUILDS_INTENT
            )
            return
        await self._channel_event("CHANNEL_CREATE", channel)

    async def channel_updated(self, channel: Channel) -> None:
        """Announce changed overwrites or name: CHANNEL_UPDATE (THREAD_UPDATE for threads)."""
        await self._channel_event(
            "THREAD_UPDATE" if channel.is_thread else "CHANNEL_UPDATE", channel
        )

    async def delete_channel(self, channel: Any) -> None:
        """Delete a channel (and its webhooks and threads): CHANNEL_DELETE."""
        found = self.world.channel(channel)
        if found is None:
            raise KeyError(channel)
        guild = self.world.guilds[found.guild_id]
        children = [c for c in guild.channels.values() if c.parent_id == found.id and c.is_thread]
        for child in children:
            guild.channels.pop(child.id, None)
        guild.channels.pop(found.id, None)
        for webhook_id in [w.id for w in self.world.webhooks.values() if w.channel_id == found.id]:
            del self.world.webhooks[webhook_id]
        await self._channel_event("THREAD_DELETE" if found.is_thread else "CHANNEL_DELETE", found)

    async def member_updated(self, member: Member) -> None:
        """Announce changed roles or nick: GUILD_MEMBER_UPDATE."""
        data = member_payload(member)
        data["guild_id"] = str(member.guild_id)
        await self.gateway.dispatch(
            "GUILD_MEMBER_UPDATE", data, guild_id=member.guild_id, intent=MEMBERS_INTENT
        )

    async def remove_member(self, guild: Any, member: Any) -> None:
        """A member leaves: GUILD_MEMBER_REMOVE."""
        found = self._guild(guild)
        removed = found.members.pop(id_of(member), None)
        if removed is None:
            return
        data = {"guild_id": str(found.id), "user": user_payload(removed.user)}
        await self.gateway.dispatch(
            "GUILD_MEMBER_REMOVE", data, guild_id=found.id, intent=MEMBERS_INTENT
        )

    async def role_updated(self, role: Role) -> None:
        """Announce changed role permissions: GUILD_ROLE_UPDATE."""
        data = {"guild_id": str(role.guild_id), "role": role_payload(role)}
        await self.gateway.dispatch(
            "GUILD_ROLE_UPDATE", data, guild_id=role.guild_id, intent=GUILDS_INTENT
        )

    async def _channel_event(self, event: str, channel: Channel) -> None:
        await self.gateway.dispatch(
            event, channel_payload(channel), guild_id=channel.guild_id, intent=GUILDS_INTENT
        )

    def _guild(self, guild: Any) -> Guild:
        found = self.world.guild(guild)
        if found is None:
            raise KeyError(guild)
        return found
