"""Building interaction option values and ``resolved`` data the way Discord's client does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fakediscord.messages import StoredAttachment
from fakediscord.models import Channel, Member, Role, User
from fakediscord.payloads import channel_payload, member_payload, role_payload, user_payload
from fakediscord.permissions import Permission
from fakediscord.world import Guild, id_of

if TYPE_CHECKING:
    from fakediscord.testapi import TestAPI

STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)
MAX_SAFE_INTEGER = 2**53


class InteractionRefused(Exception):
    """Discord's client would not let this member do this (the emulator refuses to send it)."""


@dataclass
class FakeFile:
    """A file a member attaches to an attachment option."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"


class Resolved:
    """The ``resolved`` object of an interaction, filled as options are converted."""

    def __init__(self, fd: TestAPI, guild: Guild, member: Member, channel: Channel) -> None:
        self.fd = fd
        self.guild = guild
        self.member = member
        self.channel = channel
        self.data: dict[str, dict[str, Any]] = {}

    def payload(self) -> dict[str, dict[str, Any]]:
        """What goes into ``data.resolved`` (empty sections left out)."""
        return {k: v for k, v in self.data.items() if v}

    def add_user(self, target: Any) -> str:
        """Resolve a member or user; returns its id as a string."""
        user = self.fd.world.user(target)
        if user is None:
            raise InteractionRefused(f"unknown user {target!r}")
        self.data.setdefault("users", {})[str(user.id)] = user_payload(user)
        member = self.guild.get_member(user.id)
        if member is not None:
            perms = self.guild.permissions_for(member, self.channel)
            self.data.setdefault("members", {})[str(user.id)] = member_payload(
                member, with_user=False, permissions=perms
            )
        return str(user.id)

    def add_role(self, target: Any) -> str:
        """Resolve a role of this guild."""
        role = self.guild.roles.get(id_of(target))
        if role is None:
            raise InteractionRefused(f"role {target!r} is not in this guild")
        self.data.setdefault("roles", {})[str(role.id)] = role_payload(role)
        return str(role.id)

    def add_channel(self, target: Any, allowed_types: list[int] | None, strict: bool) -> str:
        """Resolve a channel of this guild (checking ``channel_types`` when strict)."""
        channel = self.guild.channels.get(id_of(target))
        if channel is None:
            raise InteractionRefused(f"channel {target!r} is not in this guild")
        perms = self.guild.permissions_for(self.member, channel)
        if strict and allowed_types and channel.type not in allowed_types:
            raise InteractionRefused(f"#{channel.name} is not one of the types {allowed_types}")
        if strict and not perms & Permission.VIEW_CHANNEL:
            raise InteractionRefused(f"the member cannot see #{channel.name}")
        data = channel_payload(channel)
        data["permissions"] = str(perms)
        self.data.setdefault("channels", {})[str(channel.id)] = data
        return str(channel.id)

    def add_mentionable(self, target: Any) -> str:
        """A user or a role."""
        if isinstance(target, Role) or (
            not isinstance(target, (Member, User)) and id_of(target) in self.guild.roles
        ):
            return self.add_role(target)
        return self.add_user(target)

    def add_attachment(self, target: Any) -> str:
        """Store an uploaded file and resolve it."""
        if isinstance(target, tuple):
            target = FakeFile(str(target[0]), bytes(target[1]))
        elif isinstance(target, (bytes, bytearray)):
            target = FakeFile("file.bin", bytes(target))
        if not isinstance(target, FakeFile):
            raise InteractionRefused("an attachment option needs a FakeFile or (name, bytes)")
        attachment_id = self.fd.world.snowflakes.next()
        stored = StoredAttachment(
            id=attachment_id,
            channel_id=self.channel.id,
            filename=target.filename,
            content_type=target.content_type,
            data=target.data,
            url=f"{self.fd.url}/attachments/{self.channel.id}/{attachment_id}/{target.filename}",
        )
        self.fd.store.attachments[attachment_id] = stored
        payload = stored.payload()
        payload["ephemeral"] = True
        self.data.setdefault("attachments", {})[str(attachment_id)] = payload
        return str(attachment_id)


def convert_option(
    definition: dict[str, Any], value: Any, resolved: Resolved, *, strict: bool
) -> Any:
    """The JSON ``value`` of one option, as Discord would send it."""
    kind = int(definition["type"])
    name = definition["name"]
    if kind == STRING:
        text = value if isinstance(value, str) else str(value)
        if strict and not isinstance(value, str):
            raise InteractionRefused(f"option {name!r} takes a string")
        _check_string(definition, text, strict)
        return text
    if kind in (INTEGER, NUMBER):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InteractionRefused(f"option {name!r} takes a number")
        if kind == INTEGER and not isinstance(value, int):
            raise InteractionRefused(f"option {name!r} takes an integer")
        _check_number(definition, value, strict)
        return value
    if kind == BOOLEAN:
        if not isinstance(value, bool):
            raise InteractionRefused(f"option {name!r} takes True or False")
        return value
    if kind == USER:
        return resolved.add_user(value)
    if kind == CHANNEL:
        return resolved.add_channel(value, definition.get("channel_types"), strict)
    if kind == ROLE:
        return resolved.add_role(value)
    if kind == MENTIONABLE:
        return resolved.add_mentionable(value)
    if kind == ATTACHMENT:
        return resolved.add_attachment(value)
    raise InteractionRefused(f"option {name!r} has an unknown type {kind}")


def _check_choices(definition: dict[str, Any], value: Any, strict: bool) -> None:
    choices = definition.get("choices")
    if strict and choices and value not in [c["value"] for c in choices]:
        raise InteractionRefused(f"{value!r} is not a choice of option {definition['name']!r}")


def _check_string(definition: dict[str, Any], text: str, strict: bool) -> None:
    _check_choices(definition, text, strict)
    if not strict:
        return
    low, high = definition.get("min_length"), definition.get("max_length", 6000)
    if low is not None and len(text) < int(low):
        raise InteractionRefused(f"option {definition['name']!r} needs {low}+ characters")
    if len(text) > int(high):
        raise InteractionRefused(f"option {definition['name']!r} allows {high} characters")


def _check_number(definition: dict[str, Any], value: float, strict: bool) -> None:
    _check_choices(definition, value, strict)
    if not strict:
        return
    low = definition.get("min_value", -MAX_SAFE_INTEGER)
    high = definition.get("max_value", MAX_SAFE_INTEGER)
    if not float(low) <= value <= float(high):
        raise InteractionRefused(f"option {definition['name']!r} must be in [{low}, {high}]")


def build_leaf_options(
    definitions: list[dict[str, Any]],
    values: dict[str, Any],
    resolved: Resolved,
    *,
    strict: bool,
    focused: str | None = None,
) -> list[dict[str, Any]]:
    """The options of a command or subcommand from ``values`` (in definition order)."""
    by_name = {d["name"]: d for d in definitions}
    unknown = set(values) - set(by_name)
    if unknown:
        raise InteractionRefused(f"unknown option(s) {sorted(unknown)}; known: {sorted(by_name)}")
    built: list[dict[str, Any]] = []
    for definition in definitions:
        name = definition["name"]
        if name == focused:
            built.append(
                {"name": name, "type": definition["type"], "value": str(values.get(name, ""))}
            )
            built[-1]["focused"] = True
            continue
        if name not in values or values[name] is None:
            if strict and definition.get("required") and focused is None:
                raise InteractionRefused(f"option {name!r} is required")
            continue
        value = convert_option(
            definition, values[name], resolved, strict=strict and focused is None
        )
        built.append({"name": name, "type": definition["type"], "value": value})
    return built
