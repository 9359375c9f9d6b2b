"""Channel, message, guild and bot-side webhook routes (all need the bot token)."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from fakediscord import errors
from fakediscord.compose import apply_edit, make_message
from fakediscord.errors import single_field_error
from fakediscord.messages import CROSSPOSTED
from fakediscord.models import ChannelType, Webhook
from fakediscord.payloads import (
    channel_payload,
    guild_payload,
    member_payload,
    role_payload,
    webhook_payload,
)
from fakediscord.permissions import Permission, has
from fakediscord.routing import body_of, fd_of, files_of, json_response, no_content, snowflake
from fakediscord.validation import validate_message_body

log = logging.getLogger(__name__)


def _require(permissions: int, needed: int) -> None:
    if not has(permissions, needed):
        raise errors.missing_permissions()


async def get_channel(request: web.Request) -> web.Response:
    """GET /channels/{channel_id}."""
    _, channel, _ = fd_of(request).bot_channel(snowflake(request, "channel_id"))
    return json_response(channel_payload(channel))


async def post_message(request: web.Request) -> web.Response:
    """POST /channels/{channel_id}/messages, with permissions, validation and nonce dedup."""
    fd = fd_of(request)
    _, channel, perms = fd.bot_channel(snowflake(request, "channel_id"))
    if channel.type == ChannelType.CATEGORY:
        raise errors.wrong_channel_type()
    send_bit = (
        Permission.SEND_MESSAGES_IN_THREADS if channel.is_thread else Permission.SEND_MESSAGES
    )
    _require(perms, send_bit)
    if channel.is_thread and channel.locked:
        _require(perms, Permission.MANAGE_THREADS)
    body, files = body_of(request), files_of(request)
    validate_message_body(body, file_count=len(files), check_nonce=True)
    if body.get("embeds"):
        _require(perms, Permission.EMBED_LINKS)
    if files:
        _require(perms, Permission.ATTACH_FILES)
    bot_id = fd.world.bot_user.id
    nonce = str(body["nonce"]) if body.get("nonce") is not None else None
    if nonce is not None and body.get("enforce_nonce"):
        existing = fd.store.find_nonce(bot_id, nonce, fd.clock.now(), fd.settings.nonce_window)
        if existing is not None:
            log.debug("nonce %s: returning existing message %s", nonce, existing.id)
            return json_response(existing.payload())
    message = make_message(
        fd,
        channel,
        body,
        files,
        author=fd.bot_author(),
        source="channel",
        can_mention_everyone=has(perms, Permission.MENTION_EVERYONE),
        check_nonce=True,
    )
    reference = message.message_reference
    if reference is not None and fd.store.get(int(reference["message_id"])) is None:
        raise single_field_error(
            "message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"
        )
    if channel.is_thread and channel.archived:
        channel.archived = False
    await fd.publish(message)
    if nonce is not None and body.get("enforce_nonce"):
        fd.store.remember_nonce(bot_id, nonce, message.id, fd.clock.now())
    return json_response(message.payload())


async def get_messages(request: web.Request) -> web.Response:
    """GET /channels/{channel_id}/messages (newest first; limit, before, after, around)."""
    fd = fd_of(request)
    _, channel, perms = fd.bot_channel(snowflake(request, "channel_id"))
    if not has(perms, Permission.READ_MESSAGE_HISTORY):
        return json_response([])
    try:
        limit = max(1, min(100, int(request.query.get("limit", "50"))))
    except ValueError:
        raise single_field_error("limit", "NUMBER_TYPE_COERCE", "Value is not int.") from None
    found = fd.store.in_channel(channel.id)
    before, after, around = (_query_id(request, k) for k in ("before", "after", "around"))
    if before is not None:
        found = [m for m in found if m.id < before]
    if after is not None:
        found = [m for m in found if m.id > after][:limit]
    if around is not None:
        older = [m for m in found if m.id <= around][-(limit // 2 + 1) :]
        found = older + [m for m in found if m.id > around][: limit - len(older)]
    newest_first = sorted(found, key=lambda m: m.id, reverse=True)[:limit]
    return json_response([m.payload() for m in newest_first])


def _query_id(request: web.Request, name: str) -> int | None:
    value = request.query.get(name)
    if value is None:
        return None
    if not value.isdigit():
        raise single_field_error(name, "NUMBER_TYPE_COERCE", f'Value "{value}" is not snowflake.')
    return int(value)


def _channel_message(request: web.Request) -> tuple[Any, Any, int]:
    fd = fd_of(request)
    _, channel, perms = fd.bot_channel(snowflake(request, "channel_id"))
    message = fd.store.get(snowflake(request, "message_id"))
    if message is None or message.deleted or message.channel_id != channel.id or message.ephemeral:
        raise errors.unknown_message()
    return channel, message, perms


async def get_message(request: web.Request) -> web.Response:
    """GET /channels/{channel_id}/messages/{message_id}."""
    _, message, perms = _channel_message(request)
    _require(perms, Permission.READ_MESSAGE_HISTORY)
    return json_response(message.payload())


async def patch_message(request: web.Request) -> web.Response:
    """PATCH /channels/{channel_id}/messages/{message_id} (only the bot's own messages)."""
    fd = fd_of(request)
    _, message, perms = _channel_message(request)
    if message.author_id != fd.world.bot_user.id or message.webhook_id:
        raise errors.cannot_edit_others()
    body, files = body_of(request), files_of(request)
    if body.get("embeds"):
        _require(perms, Permission.EMBED_LINKS)
    apply_edit(
        fd, message, body, files, can_mention_everyone=has(perms, Permission.MENTION_EVERYONE)
    )
    await fd.message_updated(message)
    return json_response(message.payload())


async def delete_message(request: web.Request) -> web.Response:
    """DELETE /channels/{channel_id}/messages/{message_id}."""
    fd = fd_of(request)
    _, message, perms = _channel_message(request)
    if message.author_id != fd.world.bot_user.id:
        _require(perms, Permission.MANAGE_MESSAGES)
    await fd.message_deleted(message)
    return no_content()


async def crosspost(request: web.Request) -> web.Response:
    """POST /channels/{channel_id}/messages/{message_id}/crosspost (announcement channels)."""
    fd = fd_of(request)
    channel, message, perms = _channel_message(request)
    if channel.type != ChannelType.ANNOUNCEMENT:
        raise errors.wrong_channel_type()
    if message.author_id == fd.world.bot_user.id:
        _require(perms, Permission.SEND_MESSAGES)
    else:
        _require(perms, Permission.MANAGE_MESSAGES)
    if message.crossposted:
        raise errors.already_crossposted()
    message.flags |= CROSSPOSTED
    await fd.message_updated(message)
    return json_response(message.payload())


async def create_webhook(request: web.Request) -> web.Response:
    """POST /channels/{channel_id}/webhooks (needs MANAGE_WEBHOOKS)."""
    fd = fd_of(request)
    guild, channel, perms = fd.bot_channel(snowflake(request, "channel_id"))
    if channel.type not in (ChannelType.TEXT, ChannelType.ANNOUNCEMENT):
        raise errors.wrong_channel_type()
    _require(perms, Permission.MANAGE_WEBHOOKS)
    name = body_of(request).get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 80:
        raise single_field_error(
            "name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 80 in length."
        )
    if "clyde" in name.lower() or "discord" in name.lower():
        raise single_field_error(
            "name", "WEBHOOK_INVALID_NAME", "Webhook names cannot contain 'clyde' or 'discord'"
        )
    webhook = Webhook(
        id=fd.world.snowflakes.next(),
        guild_id=guild.id,
        channel_id=channel.id,
        name=name,
        creator_id=fd.world.bot_user.id,
        application_id=fd.world.application.id,
    )
    fd.world.webhooks[webhook.id] = webhook
    return json_response(webhook_payload(webhook, fd.world))


async def get_channel_webhooks(request: web.Request) -> web.Response:
    """GET /channels/{channel_id}/webhooks (needs MANAGE_WEBHOOKS)."""
    fd = fd_of(request)
    _, channel, perms = fd.bot_channel(snowflake(request, "channel_id"))
    _require(perms, Permission.MANAGE_WEBHOOKS)
    found = [w for w in fd.world.webhooks.values() if w.channel_id == channel.id]
    return json_response([webhook_payload(w, fd.world) for w in found])


def _bot_webhook(request: web.Request) -> Webhook:
    fd = fd_of(request)
    webhook = fd.world.webhooks.get(snowflake(request, "webhook_id"))
    if webhook is None:
        raise errors.unknown_webhook()
    _, _, perms = fd.bot_channel(webhook.channel_id)
    _require(perms, Permission.MANAGE_WEBHOOKS)
    return webhook


async def get_webhook(request: web.Request) -> web.Response:
    """GET /webhooks/{webhook_id} (bot token)."""
    return json_response(webhook_payload(_bot_webhook(request), fd_of(request).world))


async def delete_webhook(request: web.Request) -> web.Response:
    """DELETE /webhooks/{webhook_id} (bot token)."""
    webhook = _bot_webhook(request)
    del fd_of(request).world.webhooks[webhook.id]
    return no_content()


def _bot_guild(request: web.Request) -> Any:
    fd = fd_of(request)
    guild = fd.world.guild(snowflake(request, "guild_id"))
    if guild is None:
        raise errors.unknown_guild()
    if not guild.bot_present:
        raise errors.missing_access()
    return guild


async def get_guild(request: web.Request) -> web.Response:
    """GET /guilds/{guild_id} (``with_counts`` adds the approximate counts)."""
    guild = _bot_guild(request)
    data = guild_payload(guild)
    if request.query.get("with_counts", "").lower() in ("1", "true"):
        data["approximate_member_count"] = len(guild.members)
        data["approximate_presence_count"] = 0
    return json_response(data)


async def get_guild_channels(request: web.Request) -> web.Response:
    """GET /guilds/{guild_id}/channels (threads are not listed, as on Discord)."""
    guild = _bot_guild(request)
    found = [c for c in guild.channels.values() if not c.is_thread]
    return json_response([channel_payload(c) for c in found])


async def get_guild_member(request: web.Request) -> web.Response:
    """GET /guilds/{guild_id}/members/{user_id}."""
    guild = _bot_guild(request)
    member = guild.get_member(snowflake(request, "user_id"))
    if member is None:
        raise errors.unknown_member()
    return json_response(member_payload(member))


async def get_guild_roles(request: web.Request) -> web.Response:
    """GET /guilds/{guild_id}/roles."""
    guild = _bot_guild(request)
    return json_response([role_payload(r) for r in guild.roles.values()])


async def get_guild_role(request: web.Request) -> web.Response:
    """GET /guilds/{guild_id}/roles/{role_id}."""
    guild = _bot_guild(request)
    role = guild.roles.get(snowflake(request, "role_id"))
    if role is None:
        raise errors.unknown_role()
    return json_response(role_payload(role))


def register(app: web.Application, api: str) -> None:
    """Add the channel, message, guild and webhook-management routes."""
    channel = f"{api}/channels/{{channel_id}}"
    message = f"{channel}/messages/{{message_id}}"
    app.router.add_get(channel, get_channel)
    app.router.add_post(f"{channel}/messages", post_message)
    app.router.add_get(f"{channel}/messages", get_messages)
    app.router.add_get(message, get_message)
    app.router.add_patch(message, patch_message)
    app.router.add_delete(message, delete_message)
    app.router.add_post(f"{message}/crosspost", crosspost)
    app.router.add_post(f"{channel}/webhooks", create_webhook)
    app.router.add_get(f"{channel}/webhooks", get_channel_webhooks)
    app.router.add_get(f"{api}/webhooks/{{webhook_id}}", get_webhook)
    app.router.add_delete(f"{api}/webhooks/{{webhook_id}}", delete_webhook)
    guild = f"{api}/guilds/{{guild_id}}"
    app.router.add_get(guild, get_guild)
    app.router.add_get(f"{guild}/channels", get_guild_channels)
    app.router.add_get(f"{guild}/members/{{user_id}}", get_guild_member)
    app.router.add_get(f"{guild}/roles", get_guild_roles)
    app.router.add_get(f"{guild}/roles/{{role_id}}", get_guild_role)
