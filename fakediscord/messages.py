"""Stored messages and attachments, and how mentions are recorded under allowed_mentions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fakediscord.clock import iso_timestamp
from fakediscord.world import Guild

EPHEMERAL = 1 << 6
LOADING = 1 << 7
CROSSPOSTED = 1 << 0

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


@dataclass
class UploadedFile:
    """One ``files[n]`` part of a multipart request."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class StoredAttachment:
    """An uploaded file kept by the emulator and served at ``url``."""

    id: int
    channel_id: int
    filename: str
    content_type: str
    data: bytes
    url: str
    description: str | None = None

    def payload(self) -> dict[str, Any]:
        """The attachment object of a message."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
        }
        if self.description is not None:
            data["description"] = self.description
        return data


@dataclass
class StoredMessage:
    """A message as the emulator recorded it, with what Discord would show.

    ``source`` says how it was made: ``channel`` (bot REST send), ``webhook``, ``interaction``
    (an initial response) or ``followup``. ``visible_to`` is the only user who sees an
    ephemeral message.
    """

    id: int
    channel_id: int
    guild_id: int | None
    author: dict[str, Any]
    author_id: int
    timestamp: float
    source: str = "channel"
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    nonce: str | None = None
    tts: bool = False
    type: int = 0
    edited_timestamp: float | None = None
    mentions: list[dict[str, Any]] = field(default_factory=list)
    mention_roles: list[str] = field(default_factory=list)
    mention_everyone: bool = False
    allowed_mentions: dict[str, Any] | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    webhook_username: str | None = None
    avatar_url: str | None = None
    interaction_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    message_reference: dict[str, Any] | None = None
    visible_to: int | None = None
    deleted: bool = False
    edits: int = 0

    @property
    def ephemeral(self) -> bool:
        """True when only the invoking user sees it (flag 64)."""
        return bool(self.flags & EPHEMERAL)

    @property
    def crossposted(self) -> bool:
        """True once published from an announcement channel."""
        return bool(self.flags & CROSSPOSTED)

    @property
    def embed(self) -> dict[str, Any] | None:
        """The first embed, or None."""
        return self.embeds[0] if self.embeds else None

    def payload(self) -> dict[str, Any]:
        """The message object Discord returns."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "channel_id": str(self.channel_id),
            "content": self.content,
            "author": dict(self.author),
            "timestamp": iso_timestamp(self.timestamp),
            "edited_timestamp": (
                iso_timestamp(self.edited_timestamp) if self.edited_timestamp else None
            ),
            "tts": self.tts,
            "mention_everyone": self.mention_everyone,
            "mentions": [dict(m) for m in self.mentions],
            "mention_roles": list(self.mention_roles),
            "attachments": [dict(a) for a in self.attachments],
            "embeds": [dict(e) for e in self.embeds],
            "components": list(self.components),
            "pinned": False,
            "flags": self.flags,
        }
        optional: dict[str, Any] = {
            "nonce": self.nonce,
            "webhook_id": str(self.webhook_id) if self.webhook_id else None,
            "application_id": str(self.application_id) if self.application_id else None,
            "interaction_metadata": self.interaction_metadata,
            "message_reference": self.message_reference,
        }
        data.update({k: v for k, v in optional.items() if v is not None})
        return data

    def event_payload(self) -> dict[str, Any]:
        """The payload of MESSAGE_CREATE/MESSAGE_UPDATE (adds ``guild_id``)."""
        data = self.payload()
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        return data


class MessageStore:
    """Every message by id and per channel, plus the nonce index for ``enforce_nonce``."""

    def __init__(self) -> None:
        self.by_id: dict[int, StoredMessage] = {}
        self.by_channel: dict[int, list[StoredMessage]] = {}
        self.attachments: dict[int, StoredAttachment] = {}
        self._nonces: dict[tuple[int, str], tuple[int, float]] = {}

    def add(self, message: StoredMessage) -> None:
        """Record a new message."""
        self.by_id[message.id] = message
        self.by_channel.setdefault(message.channel_id, []).append(message)

    def get(self, message_id: int) -> StoredMessage | None:
        """A message by id (deleted ones included)."""
        return self.by_id.get(message_id)

    def in_channel(
        self, channel_id: int, *, include_ephemeral: bool = False, include_deleted: bool = False
    ) -> list[StoredMessage]:
        """A channel's messages, oldest first."""
        return [
            m
            for m in self.by_channel.get(channel_id, [])
            if (include_ephemeral or not m.ephemeral) and (include_deleted or not m.deleted)
        ]

    def all(
        self, *, include_ephemeral: bool = False, include_deleted: bool = False
    ) -> list[StoredMessage]:
        """Every message in every channel, oldest first."""
        return sorted(
            (
                m
                for m in self.by_id.values()
                if (include_ephemeral or not m.ephemeral) and (include_deleted or not m.deleted)
            ),
            key=lambda m: m.id,
        )

    def find_nonce(
        self, author_id: int, nonce: str, now: float, window: float
    ) -> StoredMessage | None:
        """The message the same author created with this nonce within ``window`` seconds."""
        found = self._nonces.get((author_id, nonce))
        if found is None:
            return None
        message_id, created = found
        if now - created > window:
            del self._nonces[(author_id, nonce)]
            return None
        message = self.by_id.get(message_id)
        return message if message is not None and not message.deleted else None

    def remember_nonce(self, author_id: int, nonce: str, message_id: int, now: float) -> None:
        """Index a message under its author and nonce."""
        self._nonces[(author_id, nonce)] = (message_id, now)


def resolve_mentions(
    guild: Guild | None,
    content: str,
    allowed: dict[str, Any] | None,
    *,
    can_mention_everyone: bool,
    user_payload: Any,
) -> tuple[list[dict[str, Any]], list[str], bool]:
    """Which users, roles and @everyone/@here a message really mentions.

    ``allowed`` is the request's ``allowed_mentions`` (None means Discord's default: parse
    everything). Roles that are not mentionable, and @everyone/@here, only count when the
    author may mention everyone. ``user_payload`` turns a world user into its JSON.
    """
    default_parse = {"users", "roles", "everyone"}
    parse = set(allowed.get("parse") or []) if allowed is not None else default_parse
    listed_users = {int(u) for u in (allowed or {}).get("users") or []}
    listed_roles = {int(r) for r in (allowed or {}).get("roles") or []}
    users: list[dict[str, Any]] = []
    seen: set[int] = set()
    for match in _USER_MENTION.finditer(content):
        user_id = int(match.group(1))
        if user_id in seen or not ("users" in parse or user_id in listed_users):
            continue
        seen.add(user_id)
        user = guild.world.user(user_id) if guild is not None else None
        if user is not None:
            users.append(user_payload(user))
    roles: list[str] = []
    for match in _ROLE_MENTION.finditer(content):
        role_id = int(match.group(1))
        role = guild.roles.get(role_id) if guild is not None else None
        if role is None or str(role_id) in roles:
            continue
        if not ("roles" in parse or role_id in listed_roles):
            continue
        if role.mentionable or can_mention_everyone:
            roles.append(str(role_id))
    everyone = (
        ("@everyone" in content or "@here" in content)
        and "everyone" in parse
        and can_mention_everyone
    )
    return users, roles, everyone
