"""What a task posts and where, as frozen dataclasses, and their one JSON codec.

The ``tasks.payload`` column holds::

    {"variants": [{"content": "...", "embed": {"title", "description", "footer", "image_url",
                   "color", "fields": [{"name", "value", "inline"}]}}],
     "rotation": "sequential" | "random",
     "mentions": {"everyone": false, "roles": [123], "users": true}}

(every key optional: a code task stores ``{}``), and ``tasks.destinations`` a list of
``{"type": "channel", "channel_id": 1, "publish": true}`` (``publish`` only when on: an
announcement channel whose posts are published), ``{"type": "thread", "channel_id": 1,
"thread_id": 2}`` or ``{"type": "webhook", "channel_id": 1, "webhook_id": 3,
"webhook_token": "...", "name": "...", "avatar_url": "...", "thread_id": 2}``.

Rows are decoded once, when the repository reads them (:func:`decode_payload`,
:func:`decode_destinations`), and encoded once, when it writes them; everything above storage
sees only these types. Encoding gives back the bytes the slash commands have always written,
so old rows need no migration. Decoding is lenient with what older versions wrote (a
snowflake as a string, a destination without ``type``); keys Cadence never wrote are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

__all__ = [
    "NO_MENTIONS",
    "ChannelDestination",
    "Destination",
    "Embed",
    "EmbedField",
    "Mentions",
    "Payload",
    "Rotation",
    "ThreadDestination",
    "Variant",
    "WebhookDestination",
    "decode_destinations",
    "decode_payload",
    "encode_destinations",
    "encode_payload",
]


class Rotation(StrEnum):
    SEQUENTIAL = "sequential"
    RANDOM = "random"


@dataclass(frozen=True, slots=True)
class EmbedField:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True, slots=True)
class Embed:
    """A message's embed; empty strings are parts left out."""

    title: str = ""
    description: str = ""
    footer: str = ""
    image_url: str = ""
    color: int | None = None
    fields: tuple[EmbedField, ...] = ()

    @property
    def has_text(self) -> bool:
        """Whether the embed shows anything besides its colour."""
        return bool(self.title or self.description or self.footer or self.image_url or self.fields)


@dataclass(frozen=True, slots=True)
class Variant:
    """One message a task may post: content and/or an embed."""

    content: str = ""
    embed: Embed | None = None

    def __bool__(self) -> bool:
        return bool(self.content) or self.embed is not None


@dataclass(frozen=True, slots=True)
class Mentions:
    """The mentions approved when the task was saved; nothing else may ping when it posts."""

    everyone: bool = False
    roles: tuple[int, ...] = ()
    users: bool = False


NO_MENTIONS = Mentions()


@dataclass(frozen=True, slots=True)
class Payload:
    """What a task posts. ``rotation`` and ``mentions`` are None when not stored (a code task,
    an old row): sequential, and nothing may ping."""

    variants: tuple[Variant, ...] = ()
    rotation: Rotation | None = None
    mentions: Mentions | None = None

    @property
    def rotation_mode(self) -> Rotation:
        return self.rotation or Rotation.SEQUENTIAL

    @property
    def approved(self) -> Mentions:
        return self.mentions or NO_MENTIONS


@dataclass(frozen=True, slots=True)
class ChannelDestination:
    """A text channel, or an announcement channel whose posts are published when `publish`."""

    channel_id: int
    publish: bool = False

    kind: ClassVar[str] = "channel"

    @property
    def target_id(self) -> int:
        return self.channel_id


@dataclass(frozen=True, slots=True)
class ThreadDestination:
    """A thread; `channel_id` is its parent channel."""

    channel_id: int
    thread_id: int

    kind: ClassVar[str] = "thread"

    @property
    def target_id(self) -> int:
        return self.thread_id


@dataclass(frozen=True, slots=True)
class WebhookDestination:
    """A webhook in `channel_id` (posting in `thread_id` when set), with a custom identity.

    `webhook_id` and `webhook_token` are None until the webhook is made (an import's claim)."""

    channel_id: int
    webhook_id: int | None = None
    webhook_token: str | None = None
    name: str | None = None
    avatar_url: str | None = None
    thread_id: int | None = None

    kind: ClassVar[str] = "webhook"

    @property
    def target_id(self) -> int:
        return self.thread_id or self.channel_id


Destination = ChannelDestination | ThreadDestination | WebhookDestination


# --------------------------------------------------------------------------- decoding


_ROTATIONS = {str(mode): mode for mode in Rotation}
# The approvals almost every task has, shared instead of built for each row.
_COMMON_MENTIONS = {
    (everyone, users): Mentions(everyone=everyone, users=users)
    for everyone in (False, True)
    for users in (False, True)
}


def decode_payload(value: Any) -> Payload:
    """A Payload from the decoded JSON of ``tasks.payload``."""
    if not isinstance(value, dict):
        return Payload()
    found = value.get("variants")
    variants = tuple([_variant(v) for v in found if isinstance(v, dict)]) if found else ()
    mentions = value.get("mentions")
    return Payload(
        variants,
        _ROTATIONS.get(value.get("rotation")),  # type: ignore[arg-type]
        _mentions(mentions) if isinstance(mentions, dict) else None,
    )


def _variant(value: dict[str, Any]) -> Variant:
    embed = value.get("embed")
    return Variant(
        str(value.get("content") or ""),
        _embed(embed) if embed and isinstance(embed, dict) else None,
    )


def _embed(value: dict[str, Any]) -> Embed:
    colour = value.get("color")
    return Embed(
        title=str(value.get("title") or ""),
        description=str(value.get("description") or ""),
        footer=str(value.get("footer") or ""),
        image_url=str(value.get("image_url") or ""),
        color=int(colour) if colour is not None else None,
        fields=tuple(
            EmbedField(
                name=str(item.get("name", "")),
                value=str(item.get("value", "")),
                inline=bool(item.get("inline", False)),
            )
            for item in value.get("fields") or ()
            if isinstance(item, dict)
        ),
    )


def _mentions(value: dict[str, Any]) -> Mentions:
    everyone = bool(value.get("everyone", False))
    users = bool(value.get("users", False))
    roles = value.get("roles")
    if not roles:
        return _COMMON_MENTIONS[everyone, users]
    return Mentions(everyone, tuple(map(int, roles)), users)


def decode_destinations(value: Any) -> tuple[Destination, ...]:
    """The destinations from the decoded JSON of ``tasks.destinations``."""
    if not isinstance(value, list):
        return ()
    return tuple([_destination(item) for item in value if isinstance(item, dict)])


def _destination(value: dict[str, Any]) -> Destination:
    kind = value.get("type") or "channel"
    channel_id = _snowflake(value.get("channel_id"))
    thread_id = _snowflake(value.get("thread_id")) or None
    if kind == "channel" and thread_id is None:
        return ChannelDestination(channel_id, bool(value.get("publish")))
    if kind == "webhook":
        return WebhookDestination(
            channel_id=channel_id,
            webhook_id=_snowflake(value.get("webhook_id")) or None,
            webhook_token=value.get("webhook_token"),
            name=value.get("name"),
            avatar_url=value.get("avatar_url"),
            thread_id=thread_id,
        )
    if kind == "thread" or thread_id is not None:
        return ThreadDestination(channel_id=channel_id, thread_id=thread_id or channel_id)
    return ChannelDestination(channel_id, bool(value.get("publish")))


def _snowflake(value: Any) -> int:
    if type(value) is int:
        return value
    try:
        return int(value) if value is not None else 0
    except (TypeError, ValueError):
        return 0


# --------------------------------------------------------------------------- encoding


def encode_payload(payload: Payload) -> dict[str, Any]:
    """The JSON-ready form of a Payload, key for key what Cadence has always stored."""
    out: dict[str, Any] = {}
    if payload.variants:
        out["variants"] = [encode_variant(v) for v in payload.variants]
    if payload.rotation is not None:
        out["rotation"] = str(payload.rotation)
    if payload.mentions is not None:
        out["mentions"] = encode_mentions(payload.mentions)
    return out


def encode_variant(variant: Variant) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if variant.content:
        out["content"] = variant.content
    if variant.embed is not None:
        out["embed"] = encode_embed(variant.embed)
    return out


def encode_embed(embed: Embed) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("title", "description", "footer", "image_url"):
        if getattr(embed, key):
            out[key] = getattr(embed, key)
    if embed.color is not None:
        out["color"] = embed.color
    if embed.fields:
        out["fields"] = [
            {"name": f.name, "value": f.value, "inline": f.inline} for f in embed.fields
        ]
    return out


def encode_mentions(mentions: Mentions) -> dict[str, Any]:
    return {"everyone": mentions.everyone, "roles": list(mentions.roles), "users": mentions.users}


def encode_destinations(destinations: Iterable[Destination]) -> list[dict[str, Any]]:
    return [encode_destination(d) for d in destinations]


def encode_destination(destination: Destination) -> dict[str, Any]:
    out: dict[str, Any] = {"type": destination.kind, "channel_id": destination.channel_id}
    if isinstance(destination, ChannelDestination):
        if destination.publish:
            out["publish"] = True
    elif isinstance(destination, ThreadDestination):
        out["thread_id"] = destination.thread_id
    else:
        for key in ("webhook_id", "webhook_token", "name", "avatar_url", "thread_id"):
            if getattr(destination, key) is not None:
                out[key] = getattr(destination, key)
    return out
