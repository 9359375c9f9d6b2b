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

from collections.abc import Iterable, Mapping
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


def decode_payload(value: Any) -> Payload:
    """A Payload from the decoded JSON of ``tasks.payload``."""
    if not isinstance(value, Mapping):
        return Payload()
    found = value.get("variants")
    variants = tuple(_variant(v) for v in found if isinstance(v, Mapping)) if found else ()
    rotation = value.get("rotation")
    mentions = value.get("mentions")
    return Payload(
        variants=variants,
        rotation=Rotation(rotation) if rotation in ("sequential", "random") else None,
        mentions=_mentions(mentions) if isinstance(mentions, Mapping) else None,
    )


def _variant(value: Mapping[str, Any]) -> Variant:
    embed = value.get("embed")
    return Variant(
        content=str(value.get("content") or ""),
        embed=_embed(embed) if isinstance(embed, Mapping) and embed else None,
    )


def _embed(value: Mapping[str, Any]) -> Embed:
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
            if isinstance(item, Mapping)
        ),
    )


def _mentions(value: Mapping[str, Any]) -> Mentions:
    return Mentions(
        everyone=bool(value.get("everyone", False)),
        roles=tuple(int(r) for r in value.get("roles", ())),
        users=bool(value.get("users", False)),
    )


def decode_destinations(value: Any) -> tuple[Destination, ...]:
    """The destinations from the decoded JSON of ``tasks.destinations``."""
    if not isinstance(value, list):
        return ()
    return tuple(_destination(item) for item in value if isinstance(item, Mapping))


def _destination(value: Mapping[str, Any]) -> Destination:
    kind = value.get("type") or "channel"
    channel_id = _snowflake(value.get("channel_id"))
    thread_id = _snowflake(value.get("thread_id")) or None
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
    return ChannelDestination(channel_id=channel_id, publish=bool(value.get("publish", False)))


def _snowflake(value: Any) -> int:
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
