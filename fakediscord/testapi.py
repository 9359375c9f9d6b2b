"""Driving the bot as members would: slash commands, autocomplete, buttons, selects, modals.

Each call builds the INTERACTION_CREATE payload Discord would send, applies what Discord's
client enforces (the command must be synced, ``default_member_permissions``, the guild's
command permission overrides, option types, choices and ranges), dispatches it over the
gateway and returns an :class:`~fakediscord.interactions.Interaction` handle.
``bypass_permissions=True`` skips the permission gate; :meth:`TestAPI.send_interaction`
sends a crafted payload as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fakediscord.contexts import interaction_base, resolve_context, resolve_member
from fakediscord.gate import check_command_allowed
from fakediscord.inputs import modal_answers, select_values
from fakediscord.interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    Interaction,
)
from fakediscord.messages import StoredMessage
from fakediscord.models import Channel, Role
from fakediscord.options import InteractionRefused, Resolved, build_leaf_options
from fakediscord.permissions import Permission
from fakediscord.validation import walk_components
from fakediscord.world import Guild, id_of

if TYPE_CHECKING:
    from fakediscord.clock import EmulatorClock
    from fakediscord.commands import CommandRegistry
    from fakediscord.gateway import Gateway
    from fakediscord.interactions import InteractionRegistry
    from fakediscord.messages import MessageStore
    from fakediscord.notify import Notifier
    from fakediscord.settings import EmulatorSettings
    from fakediscord.world import World


class InteractionFailed(Exception):
    """The bot's answer was refused or never came (``interaction`` tells what happened)."""

    def __init__(self, message: str, interaction: Interaction) -> None:
        super().__init__(message)
        self.interaction = interaction


class TestAPI:
    """Interaction drivers, mixed into :class:`~fakediscord.server.FakeDiscord`."""

    __test__ = False  # not a pytest test class

    if TYPE_CHECKING:
        world: World
        clock: EmulatorClock
        settings: EmulatorSettings
        notifier: Notifier
        store: MessageStore
        commands: CommandRegistry
        interactions: InteractionRegistry
        gateway: Gateway

        @property
        def url(self) -> str: ...

        def _guild(self, guild: Any) -> Guild: ...

    # -- slash commands ----------------------------------------------------------------------

    async def slash(
        self,
        guild: Any,
        member: Any,
        path: str,
        /,
        *,
        in_channel: Any = None,
        bypass_permissions: bool = False,
        strict: bool = True,
        locale: str = "en-US",
        options: Mapping[str, Any] | None = None,
        **kw_options: Any,
    ) -> Interaction:
        """Run ``/path`` (e.g. ``"schedule cron"``) as ``member`` with the given options.

        Parameters
        ----------
        guild, member:
            World objects, discord.py objects or ids (a member may be a username).
        path:
            The command name, then group and subcommand names, separated by spaces.
        in_channel:
            Where the command is typed (default: the first text channel the member sees).
        bypass_permissions:
            Send it even when Discord would hide the command from this member.
        strict:
            Refuse what Discord's client refuses (missing required options, bad choices...).
        options, **kw_options:
            Option values by name: str/int/float/bool, world or discord.py objects (or ids)
            for users, channels and roles, ``FakeFile`` or ``(name, bytes)`` for attachments.
        """
        payload = self.build_slash_payload(
            guild,
            member,
            path,
            in_channel=in_channel,
            bypass_permissions=bypass_permissions,
            strict=strict,
            locale=locale,
            options={**(options or {}), **kw_options},
        )
        return await self.send_interaction(payload)

    def build_slash_payload(
        self,
        guild: Any,
        member: Any,
        path: str,
        *,
        in_channel: Any = None,
        bypass_permissions: bool = False,
        strict: bool = True,
        locale: str = "en-US",
        options: Mapping[str, Any] | None = None,
        focused: str | None = None,
    ) -> dict[str, Any]:
        """The INTERACTION_CREATE payload :meth:`slash` would send (to tweak, then send)."""
        found_guild, found_member, channel = resolve_context(self.world, guild, member, in_channel)
        names = path.strip().lstrip("/").split()
        command = self.commands.find(found_guild.id, names[0]) if names else None
        if command is None:
            raise InteractionRefused(f"/{path} is not a synced slash command in this guild")
        if not bypass_permissions:
            check_command_allowed(self.world, found_guild, found_member, channel, command)
        resolved = Resolved(self, found_guild, found_member, channel)
        definitions: list[dict[str, Any]] = command.get("options") or []
        top: list[dict[str, Any]] = []
        level = top
        for name in names[1:]:
            match = next(
                (o for o in definitions if o["name"] == name and int(o["type"]) in (1, 2)), None
            )
            if match is None:
                raise InteractionRefused(f"/{names[0]} has no subcommand or group {name!r}")
            node: dict[str, Any] = {"name": name, "type": int(match["type"]), "options": []}
            level.append(node)
            level = node["options"]
            definitions = match.get("options") or []
        if any(int(o["type"]) in (1, 2) for o in definitions):
            choices = [o["name"] for o in definitions]
            raise InteractionRefused(f"/{path} needs a subcommand: one of {choices}")
        values = dict(options or {})
        level.extend(
            build_leaf_options(definitions, values, resolved, strict=strict, focused=focused)
        )
        kind = AUTOCOMPLETE if focused else APPLICATION_COMMAND
        payload = interaction_base(
            self.world, self.settings, kind, found_guild, found_member, channel, locale=locale
        )
        data: dict[str, Any] = {
            "id": command["id"],
            "name": command["name"],
            "type": 1,
            "options": top,
        }
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        if resolved.payload():
            data["resolved"] = resolved.payload()
        payload["data"] = data
        return payload

    async def autocomplete(
        self,
        guild: Any,
        member: Any,
        path: str,
        /,
        *,
        focused: str,
        value: str = "",
        in_channel: Any = None,
        bypass_permissions: bool = False,
        wait: float = 3.0,
        **other: Any,
    ) -> list[dict[str, Any]]:
        """Type ``value`` into option ``focused`` of ``/path``; returns the bot's choices."""
        options = {**other, focused: value}
        payload = self.build_slash_payload(
            guild,
            member,
            path,
            in_channel=in_channel,
            bypass_permissions=bypass_permissions,
            options=options,
            focused=focused,
        )
        handle = await self.send_interaction(payload)
        try:
            callback = await handle.callback_attempt(timeout=wait)
        except TimeoutError:
            raise InteractionFailed("the bot sent no autocomplete answer", handle) from None
        if not callback.accepted or handle.choices is None:
            raise InteractionFailed(f"autocomplete answer refused ({callback.error_code})", handle)
        return list(handle.choices)

    # -- components and modals ---------------------------------------------------------------

    async def click(
        self,
        member: Any,
        message: Any,
        custom_id: str,
        *,
        bypass_permissions: bool = False,
    ) -> Interaction:
        """Click the button ``custom_id`` on ``message`` as ``member``."""
        stored, component = self._component(message, custom_id, (2,), bypass_permissions)
        data = {"custom_id": custom_id, "component_type": 2}
        if "id" in component:
            data["id"] = component["id"]
        return await self._component_interaction(member, stored, data, bypass_permissions)

    async def select(
        self,
        member: Any,
        message: Any,
        custom_id: str,
        values: list[Any],
        *,
        bypass_permissions: bool = False,
        strict: bool = True,
    ) -> Interaction:
        """Pick ``values`` in the select menu ``custom_id`` (string, user, role or channel)."""
        types = (3, 5, 6, 7, 8)
        stored, component = self._component(message, custom_id, types, bypass_permissions)
        kind = int(component["type"])
        low, high = int(component.get("min_values", 1)), int(component.get("max_values", 1))
        if strict and not low <= len(values) <= high:
            raise InteractionRefused(f"select {custom_id!r} takes {low} to {high} values")
        guild = self._guild(stored.guild_id)
        found_member = resolve_member(guild, member)
        channel = guild.channels[stored.channel_id]
        resolved = Resolved(self, guild, found_member, channel)
        picked = select_values(component, kind, values, resolved, strict)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": kind, "values": picked}
        if resolved.payload():
            data["resolved"] = resolved.payload()
        return await self._component_interaction(member, stored, data, bypass_permissions)

    async def submit_modal(
        self,
        handle_or_modal: Interaction | dict[str, Any],
        member: Any = None,
        values: Mapping[str, Any] | None = None,
        *,
        strict: bool = True,
    ) -> Interaction:
        """Fill and submit the modal the bot opened (``values`` by custom_id)."""
        if isinstance(handle_or_modal, Interaction):
            origin = handle_or_modal
            modal = origin.modal
            if modal is None:
                raise InteractionRefused("the bot did not open a modal for this interaction")
        else:
            modal = handle_or_modal
            opener = next(
                (i for i in reversed(self.interactions.by_id.values()) if i.modal is modal), None
            )
            if opener is None:
                raise InteractionRefused("that modal was not opened by any interaction")
            origin = opener
        guild = self.world.guilds[origin.guild_id or 0]
        found_member = resolve_member(guild, member if member is not None else origin.user_id)
        channel = guild.channels[origin.channel_id or 0]
        components = modal_answers(modal.get("components") or [], dict(values or {}), strict)
        payload = interaction_base(
            self.world, self.settings, MODAL_SUBMIT, guild, found_member, channel
        )
        payload["data"] = {"custom_id": modal["custom_id"], "components": components}
        source = self.store.get(origin.source_message_id or 0)
        if source is not None:
            payload["message"] = source.payload()
        return await self.send_interaction(payload, source_message_id=origin.source_message_id)

    # -- raw interactions and command permissions --------------------------------------------

    async def send_interaction(
        self, payload: dict[str, Any], *, source_message_id: int | None = None
    ) -> Interaction:
        """Dispatch an INTERACTION_CREATE as given (missing bookkeeping keys are filled in)."""
        if not self.gateway.live_sessions():
            raise RuntimeError("no bot is connected to the emulator's gateway")
        interaction_id = int(payload.get("id") or self.world.snowflakes.next())
        payload["id"] = str(interaction_id)
        payload.setdefault("application_id", str(self.world.application.id))
        payload.setdefault("version", 1)
        payload.setdefault("locale", "en-US")
        payload.setdefault("entitlements", [])
        payload.setdefault("attachment_size_limit", self.settings.attachment_size_limit)
        payload.setdefault("context", 0)
        if source_message_id is None and isinstance(payload.get("message"), dict):
            source_message_id = int(payload["message"]["id"])
        handle = self.interactions.create(
            interaction_id, int(payload["type"]), payload, self.clock.now(), source_message_id
        )
        guild_id = int(payload["guild_id"]) if payload.get("guild_id") else None
        await self.gateway.dispatch("INTERACTION_CREATE", payload, guild_id=guild_id)
        self.notifier.notify()
        return handle

    def set_command_permissions(
        self,
        guild: Any,
        command: str | int | None,
        permissions: Mapping[Any, bool],
    ) -> None:
        """Server Settings → Integrations: allow or deny roles, members, channels on a command.

        ``command`` is a command name or id, or None for the whole application. Keys are
        world Roles (the guild itself for @everyone), Members/Users, or Channels.
        """
        found = self._guild(guild)
        if command is None:
            key = self.world.application.id
        elif isinstance(command, str):
            stored = self.commands.find(found.id, command)
            if stored is None:
                raise KeyError(command)
            key = int(stored["id"])
        else:
            key = int(command)
        entries: dict[int, tuple[int, bool]] = {}
        for target, allowed in permissions.items():
            if isinstance(target, (Role, Guild)):
                entries[target.id] = (1, bool(allowed))
            elif isinstance(target, Channel):
                entries[target.id] = (3, bool(allowed))
            else:
                entries[id_of(target)] = (2, bool(allowed))
        found.command_permissions[key] = entries

    def can_use_command(
        self, guild: Any, member: Any, command: str, in_channel: Any = None
    ) -> bool:
        """Whether Discord would show ``/command`` to ``member`` (the same gate as slash)."""
        found_guild, found_member, channel = resolve_context(self.world, guild, member, in_channel)
        stored = self.commands.find(found_guild.id, command)
        if stored is None:
            return False
        try:
            check_command_allowed(self.world, found_guild, found_member, channel, stored)
        except InteractionRefused:
            return False
        return True

    # -- helpers -------------------------------------------------------------------------------

    def _component(
        self,
        message: Any,
        custom_id: str,
        types: tuple[int, ...],
        bypass: bool,
    ) -> tuple[StoredMessage, dict[str, Any]]:
        stored = self.store.get(id_of(message))
        if stored is None or stored.deleted:
            raise InteractionRefused(f"message {message!r} does not exist")
        for _, component in walk_components(stored.components):
            if component.get("custom_id") != custom_id:
                continue
            if int(component.get("type", 0)) not in types:
                raise InteractionRefused(f"{custom_id!r} is a component of another kind")
            if component.get("disabled") and not bypass:
                raise InteractionRefused(f"{custom_id!r} is disabled")
            return stored, component
        raise InteractionRefused(f"message {stored.id} has no component {custom_id!r}")

    async def _component_interaction(
        self,
        member: Any,
        stored: StoredMessage,
        data: dict[str, Any],
        bypass: bool,
    ) -> Interaction:
        guild = self._guild(stored.guild_id)
        found_member = resolve_member(guild, member)
        channel = guild.channels.get(stored.channel_id)
        if channel is None:
            raise InteractionRefused("the message's channel no longer exists")
        if not bypass:
            if stored.visible_to is not None and stored.visible_to != found_member.id:
                raise InteractionRefused("only the user who ran the command sees that message")
            if not guild.permissions_for(found_member, channel) & Permission.VIEW_CHANNEL:
                raise InteractionRefused("the member cannot see that channel")
        payload = interaction_base(
            self.world, self.settings, MESSAGE_COMPONENT, guild, found_member, channel
        )
        payload["data"] = data
        payload["message"] = stored.payload()
        return await self.send_interaction(payload, source_message_id=stored.id)
