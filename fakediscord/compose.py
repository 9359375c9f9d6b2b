"""Turning request bodies into stored messages (create and edit), shared by every route."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from fakediscord.errors import DiscordError, ErrorTree, empty_message, too_large
from fakediscord.messages import (
    EPHEMERAL,
    LOADING,
    StoredAttachment,
    StoredMessage,
    UploadedFile,
    resolve_mentions,
)
from fakediscord.models import Channel
from fakediscord.payloads import user_payload
from fakediscord.validation import (
    ALLOWED_CREATE_FLAGS,
    is_empty,
    validate_message_body,
    walk_components,
)

if TYPE_CHECKING:
    from fakediscord.server import FakeDiscord


def make_message(
    fd: FakeDiscord,
    channel: Channel,
    body: dict[str, Any],
    files: list[UploadedFile],
    *,
    author: dict[str, Any],
    source: str,
    can_mention_everyone: bool,
    check_nonce: bool = False,
    webhook_id: int | None = None,
    visible_to: int | None = None,
    extra_flags: int = 0,
) -> StoredMessage:
    """Validate ``body`` and build (not yet store) the message Discord would create."""
    validate_message_body(body, file_count=len(files), check_nonce=check_nonce)
    message_id = fd.world.snowflakes.next()
    content = str(body.get("content") or "")
    flags = (int(body.get("flags") or 0) & ALLOWED_CREATE_FLAGS) | extra_flags
    if visible_to is None:
        flags &= ~EPHEMERAL
    allowed = body.get("allowed_mentions")
    guild = fd.world.guild(channel.guild_id)
    mentions, roles, everyone = resolve_mentions(
        guild,
        content,
        allowed,
        can_mention_everyone=can_mention_everyone,
        user_payload=user_payload,
    )
    message = StoredMessage(
        id=message_id,
        channel_id=channel.id,
        guild_id=channel.guild_id,
        author=author,
        author_id=int(author["id"]),
        timestamp=fd.clock.now(),
        source=source,
        content=content,
        embeds=[_normalize_embed(e) for e in body.get("embeds") or []],
        components=numbered_components(body.get("components") or []),
        attachments=store_attachments(fd, channel.id, body, files, keep=[]),
        flags=flags,
        nonce=str(body["nonce"]) if body.get("nonce") is not None else None,
        tts=bool(body.get("tts", False)),
        mentions=mentions,
        mention_roles=roles,
        mention_everyone=everyone,
        allowed_mentions=allowed,
        webhook_id=webhook_id,
        webhook_username=body.get("username"),
        avatar_url=body.get("avatar_url"),
        visible_to=visible_to if flags & EPHEMERAL else None,
    )
    reference = body.get("message_reference")
    if isinstance(reference, dict) and reference.get("message_id"):
        message.message_reference = {
            "type": 0,
            "message_id": str(reference["message_id"]),
            "channel_id": str(reference.get("channel_id") or channel.id),
            "guild_id": str(channel.guild_id),
        }
        message.type = 19
    return message


def apply_edit(
    fd: FakeDiscord,
    message: StoredMessage,
    body: dict[str, Any],
    files: list[UploadedFile],
    *,
    can_mention_everyone: bool,
) -> None:
    """Apply a PATCH body to ``message`` (absent fields keep their value)."""
    validate_message_body(body, file_count=len(files), require_content=False, check_nonce=False)
    merged = {
        "content": body.get("content", message.content),
        "embeds": body.get("embeds", message.embeds),
        "components": body.get("components", message.components),
        "attachments": body.get("attachments", message.attachments),
    }
    if is_empty(merged, len(files)):
        raise empty_message()
    if "content" in body:
        message.content = str(body.get("content") or "")
    if "embeds" in body:
        message.embeds = [_normalize_embed(e) for e in body.get("embeds") or []]
    if "components" in body:
        message.components = numbered_components(body.get("components") or [])
    if "attachments" in body or files:
        kept = [str(a.get("id")) for a in body.get("attachments") or [] if isinstance(a, dict)]
        previous = [a for a in message.attachments if a["id"] in kept]
        if "attachments" not in body:
            previous = list(message.attachments)
        message.attachments = previous + store_attachments(
            fd, message.channel_id, body, files, keep=[a["id"] for a in previous]
        )
    if "flags" in body and body["flags"] is not None:
        keep = message.flags & (EPHEMERAL | 1)
        message.flags = (int(body["flags"]) & (1 << 2)) | keep
    if "allowed_mentions" in body:
        message.allowed_mentions = body.get("allowed_mentions")
    guild = fd.world.guild(message.guild_id or 0)
    message.mentions, message.mention_roles, message.mention_everyone = resolve_mentions(
        guild,
        message.content,
        message.allowed_mentions,
        can_mention_everyone=can_mention_everyone,
        user_payload=user_payload,
    )
    message.flags &= ~(1 << 7)
    message.edited_timestamp = fd.clock.now()
    message.edits += 1


def store_attachments(
    fd: FakeDiscord,
    channel_id: int,
    body: dict[str, Any],
    files: list[UploadedFile],
    *,
    keep: list[str],
) -> list[dict[str, Any]]:
    """Keep uploaded files and return the attachment objects of the new ones."""
    if not files:
        return []
    if sum(len(f.data) for f in files) > fd.settings.attachment_size_limit:
        raise too_large()
    by_index = {_file_index(f.field): f for f in files}
    described = {
        str(a.get("id")): a
        for a in body.get("attachments") or []
        if isinstance(a, dict) and str(a.get("id")) not in keep
    }
    tree = ErrorTree()
    result: list[dict[str, Any]] = []
    for index, upload in sorted(by_index.items()):
        meta = described.get(str(index), {})
        attachment_id = fd.world.snowflakes.next()
        filename = str(meta.get("filename") or upload.filename or f"file{index}")
        if len(filename) > 1024:
            tree.too_long(("attachments", index, "filename"), 1024)
            continue
        stored = StoredAttachment(
            id=attachment_id,
            channel_id=channel_id,
            filename=filename,
            content_type=upload.content_type or "application/octet-stream",
            data=upload.data,
            url=f"{fd.url}/attachments/{channel_id}/{attachment_id}/{filename}",
            description=meta.get("description"),
        )
        fd.store.attachments[attachment_id] = stored
        result.append(stored.payload())
    tree.raise_if_any()
    return result


def _file_index(field: str) -> int:
    if field.startswith("files[") and field.endswith("]"):
        try:
            return int(field[6:-1])
        except ValueError:
            pass
    if field.startswith("file"):
        digits = "".join(ch for ch in field if ch.isdigit())
        return int(digits) if digits else 0
    raise DiscordError(400, 50035, "Invalid Form Body", {"files": {"_errors": []}})


def numbered_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The components as Discord stores them: every one (nested ones too) with an ``id``.

    Discord numbers the components a request left without one 1, 2, 3... in document order
    (depth first), skipping the numbers the request gave; a 0 counts as absent.
    """
    numbered = copy.deepcopy(list(components))
    found = [component for _, component in walk_components(numbered)]
    for component in found:
        if component.get("id") == 0:
            del component["id"]
    taken = {c["id"] for c in found if isinstance(c.get("id"), int)}
    counter = 0
    for component in found:
        if "id" in component:
            continue
        counter += 1
        while counter in taken:
            counter += 1
        component["id"] = counter
    return numbered


def _normalize_embed(embed: dict[str, Any]) -> dict[str, Any]:
    data = dict(embed)
    data.setdefault("type", "rich")
    return data


def make_placeholder(
    fd: FakeDiscord, channel: Channel, *, ephemeral: bool, visible_to: int | None
) -> StoredMessage:
    """The "thinking..." message of a deferred interaction response (flag 128 LOADING)."""
    flags = LOADING | (EPHEMERAL if ephemeral else 0)
    return StoredMessage(
        id=fd.world.snowflakes.next(),
        channel_id=channel.id,
        guild_id=channel.guild_id,
        author=fd.bot_author(),
        author_id=fd.world.bot_user.id,
        timestamp=fd.clock.now(),
        source="interaction",
        flags=flags,
        visible_to=visible_to if ephemeral else None,
    )
