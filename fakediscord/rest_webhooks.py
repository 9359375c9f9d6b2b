"""Token routes: interaction callbacks, followups, webhook execution and webhook messages.

These routes take no bot token: the interaction or webhook token in the path is the
credential, as on Discord.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from fakediscord import errors
from fakediscord.compose import apply_edit, make_message, make_placeholder
from fakediscord.errors import DiscordError, ErrorTree, single_field_error
from fakediscord.interactions import (
    ALLOWED_CALLBACKS,
    APPLICATION_COMMAND,
    AUTOCOMPLETE_RESULT,
    DEFERRED_MESSAGE,
    DEFERRED_UPDATE,
    MESSAGE,
    MODAL,
    UPDATE_MESSAGE,
    Callback,
    Interaction,
)
from fakediscord.messages import EPHEMERAL, LOADING, StoredMessage
from fakediscord.models import Channel, Webhook
from fakediscord.payloads import webhook_author, webhook_payload
from fakediscord.permissions import Permission, has
from fakediscord.routing import body_of, fd_of, files_of, json_response, no_content, query_flag
from fakediscord.routing import snowflake as path_id

if TYPE_CHECKING:
    from fakediscord.server import FakeDiscord

log = logging.getLogger(__name__)


# -- interaction callbacks ---------------------------------------------------------------


async def interaction_callback(request: web.Request) -> web.Response:
    """POST /interactions/{id}/{token}/callback: the bot's initial answer."""
    fd = fd_of(request)
    interaction = fd.interactions.get(path_id(request, "interaction_id"))
    if interaction is None or interaction.token != request.match_info["token"]:
        raise errors.unknown_interaction()
    body = body_of(request)
    kind = int(body.get("type") or 0)
    data = body.get("data") if isinstance(body.get("data"), dict) else None
    now = fd.clock.now()
    try:
        resource_message = await _accept(fd, interaction, kind, data or {}, request, now)
    except DiscordError as exc:
        interaction.callbacks.append(Callback(kind, data, now, exc.status, exc.code))
        fd.notifier.notify()
        log.info("interaction %s: callback type %s refused (%s)", interaction.id, kind, exc.code)
        raise
    with_response = query_flag(request, "with_response")
    interaction.callbacks.append(Callback(kind, data, now, 200 if with_response else 204))
    fd.notifier.notify()
    if not with_response:
        return no_content()
    return json_response(_callback_response(interaction, kind, resource_message))


async def _accept(
    fd: FakeDiscord,
    interaction: Interaction,
    kind: int,
    data: dict[str, Any],
    request: web.Request,
    now: float,
) -> StoredMessage | None:
    if interaction.acknowledged:
        raise errors.already_acknowledged()
    if now - interaction.created_at > fd.settings.interaction_deadline:
        raise errors.unknown_interaction()
    allowed = ALLOWED_CALLBACKS.get(interaction.type, frozenset())
    needs_source = kind in (DEFERRED_UPDATE, UPDATE_MESSAGE)
    if kind not in allowed or (needs_source and interaction.source_message_id is None):
        raise single_field_error(
            "type",
            "INTERACTION_RESPONSE_TYPE_INVALID",
            f"Interaction response type {kind} is not valid for interaction type "
            f"{interaction.type}",
        )
    channel = _interaction_channel(fd, interaction)
    message: StoredMessage | None = None
    if kind == MESSAGE:
        message = _response_message(fd, interaction, channel, data, request, "interaction")
        interaction.original_id = message.id
        await fd.publish(message)
    elif kind == DEFERRED_MESSAGE:
        ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
        message = make_placeholder(fd, channel, ephemeral=ephemeral, visible_to=interaction.user_id)
        _stamp(fd, interaction, message)
        interaction.original_id = message.id
        await fd.publish(message)
    elif kind == UPDATE_MESSAGE:
        message = _source_message(fd, interaction)
        apply_edit(fd, message, data, files_of(request), can_mention_everyone=True)
        await fd.message_updated(message)
    elif kind == AUTOCOMPLETE_RESULT:
        interaction.choices = _checked_choices(data)
    elif kind == MODAL:
        interaction.modal = _checked_modal(data)
    interaction.response_type = kind
    return message


def _callback_response(
    interaction: Interaction, kind: int, message: StoredMessage | None
) -> dict[str, Any]:
    """The ``?with_response`` body, shaped as Discord's ``InteractionCallbackResponse``.

    Only a message answer (4) and an update (7) carry a ``resource`` with the message: a
    deferred answer (5) has no message yet (the interaction names the "thinking" message by
    id, with ``response_message_loading``), and 6, 8 and 9 create nothing.
    """
    info: dict[str, Any] = {
        "id": str(interaction.id),
        "type": interaction.type,
        "channel_id": str(interaction.channel_id),
    }
    if interaction.guild_id is not None:
        info["guild_id"] = str(interaction.guild_id)
    if message is not None:
        info["response_message_id"] = str(message.id)
        info["response_message_loading"] = bool(message.flags & LOADING)
        info["response_message_ephemeral"] = message.ephemeral
    body: dict[str, Any] = {"interaction": info}
    if message is not None and kind in (MESSAGE, UPDATE_MESSAGE):
        body["resource"] = {"type": kind, "message": message.payload()}
    return body


def _interaction_channel(fd: FakeDiscord, interaction: Interaction) -> Channel:
    channel = fd.world.channel(interaction.channel_id or 0)
    if channel is None:
        raise errors.unknown_channel()
    return channel


def _source_message(fd: FakeDiscord, interaction: Interaction) -> StoredMessage:
    found = fd.store.get(interaction.source_message_id or 0)
    if found is None or found.deleted:
        raise errors.unknown_message()
    return found


def _response_message(
    fd: FakeDiscord,
    interaction: Interaction,
    channel: Channel,
    data: dict[str, Any],
    request: web.Request,
    source: str,
) -> StoredMessage:
    bot_perms = fd.world.guilds[channel.guild_id].permissions_for(fd.world.bot_user, channel)
    message = make_message(
        fd,
        channel,
        data,
        files_of(request),
        author=fd.bot_author(),
        source=source,
        can_mention_everyone=has(bot_perms, Permission.MENTION_EVERYONE),
        webhook_id=fd.world.application.id,
        visible_to=interaction.user_id,
    )
    _stamp(fd, interaction, message)
    if interaction.type == APPLICATION_COMMAND and source == "interaction":
        message.type = 20
    return message


def _stamp(fd: FakeDiscord, interaction: Interaction, message: StoredMessage) -> None:
    message.application_id = fd.world.application.id
    message.webhook_id = fd.world.application.id
    message.interaction_id = interaction.id
    metadata: dict[str, Any] = {
        "id": str(interaction.id),
        "type": interaction.type,
        "user": (interaction.payload.get("member") or {}).get("user")
        or interaction.payload.get("user"),
        "authorizing_integration_owners": {"0": str(interaction.guild_id)},
    }
    if interaction.type == APPLICATION_COMMAND:
        metadata["name"] = (interaction.payload.get("data") or {}).get("name")
    message.interaction_metadata = metadata


def _checked_choices(data: dict[str, Any]) -> list[dict[str, Any]]:
    choices = data.get("choices")
    tree = ErrorTree()
    if not isinstance(choices, list):
        tree.required(("data", "choices"))
        tree.raise_if_any()
        return []
    if len(choices) > 25:
        tree.too_long(("data", "choices"), 25)
    for index, choice in enumerate(choices):
        name = choice.get("name") if isinstance(choice, dict) else None
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            tree.add(
                ("data", "choices", index, "name"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
        value = choice.get("value") if isinstance(choice, dict) else None
        if isinstance(value, str) and len(value) > 100:
            tree.too_long(("data", "choices", index, "value"), 100)
    tree.raise_if_any()
    return list(choices)


def _checked_modal(data: dict[str, Any]) -> dict[str, Any]:
    tree = ErrorTree()
    custom_id, title = data.get("custom_id"), data.get("title")
    if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= 100:
        tree.add(("data", "custom_id"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100.")
    if not isinstance(title, str) or not 1 <= len(title) <= 45:
        tree.add(("data", "title"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length.")
    components = data.get("components")
    if not isinstance(components, list) or not 1 <= len(components) <= 5:
        tree.add(("data", "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5.")
    tree.raise_if_any()
    return data


# -- followups and webhooks --------------------------------------------------------------


def _interaction_for(request: web.Request) -> Interaction | None:
    fd = fd_of(request)
    if path_id(request, "webhook_id") != fd.world.application.id:
        return None
    interaction = fd.interactions.for_token(request.match_info["token"])
    if interaction is None:
        raise errors.unknown_webhook()
    if fd.clock.now() - interaction.created_at > fd.settings.interaction_token_lifetime:
        raise errors.invalid_webhook_token()
    return interaction


def _webhook_for(request: web.Request) -> Webhook:
    fd = fd_of(request)
    webhook = fd.world.webhooks.get(path_id(request, "webhook_id"))
    if webhook is None:
        raise errors.unknown_webhook()
    if webhook.token != request.match_info["token"]:
        raise errors.invalid_webhook_token()
    return webhook


async def execute(request: web.Request) -> web.Response:
    """POST /webhooks/{id}/{token}: a followup (interaction token) or a webhook execution."""
    fd = fd_of(request)
    interaction = _interaction_for(request)
    if interaction is not None:
        message = await _followup(fd, interaction, request)
    else:
        message = await _execute_webhook(fd, _webhook_for(request), request)
    if not query_flag(request, "wait"):
        return no_content()
    return json_response(message.payload())


async def _followup(
    fd: FakeDiscord, interaction: Interaction, request: web.Request
) -> StoredMessage:
    if not interaction.acknowledged:
        raise errors.unknown_webhook()
    original = interaction.original
    if (
        interaction.response_type == DEFERRED_MESSAGE
        and original is not None
        and original.flags & LOADING
    ):
        apply_edit(fd, original, body_of(request), files_of(request), can_mention_everyone=True)
        interaction.resolved_after_defer = True
        await fd.message_updated(original)
        return original
    channel = _interaction_channel(fd, interaction)
    message = _response_message(fd, interaction, channel, body_of(request), request, "followup")
    interaction.followups.append(message)
    await fd.publish(message)
    return message


async def _execute_webhook(
    fd: FakeDiscord, webhook: Webhook, request: web.Request
) -> StoredMessage:
    body = body_of(request)
    username = body.get("username")
    if username is not None:
        lowered = str(username).lower()
        if not 1 <= len(str(username)) <= 80 or "clyde" in lowered or "discord" in lowered:
            raise single_field_error("username", "USERNAME_INVALID", "Invalid username")
    channel = _webhook_target(fd, webhook, request)
    message = make_message(
        fd,
        channel,
        body,
        files_of(request),
        author=webhook_author(webhook, username),
        source="webhook",
        can_mention_everyone=True,
        webhook_id=webhook.id,
    )
    await fd.publish(message)
    return message


def _webhook_target(fd: FakeDiscord, webhook: Webhook, request: web.Request) -> Channel:
    channel = fd.world.channel(webhook.channel_id)
    if channel is None:
        raise errors.unknown_webhook()
    thread_id = request.query.get("thread_id")
    if thread_id is None:
        return channel
    thread = fd.world.channel(int(thread_id)) if thread_id.isdigit() else None
    if thread is None or not thread.is_thread or thread.parent_id != webhook.channel_id:
        raise errors.unknown_channel()
    if thread.archived and not thread.locked:
        thread.archived = False
    return thread


def _target_message(request: web.Request) -> tuple[StoredMessage, Interaction | None]:
    fd = fd_of(request)
    wanted = request.match_info["message_id"]
    interaction = _interaction_for(request)
    if interaction is not None:
        if wanted == "@original":
            found = interaction.original
        else:
            allowed = {m.id for m in interaction.followups} | {interaction.original_id}
            found = fd.store.get(int(wanted)) if wanted.isdigit() else None
            found = found if found is not None and found.id in allowed else None
    else:
        webhook = _webhook_for(request)
        found = fd.store.get(int(wanted)) if wanted.isdigit() else None
        if found is not None and found.webhook_id != webhook.id:
            found = None
    if found is None or found.deleted:
        raise errors.unknown_message()
    return found, interaction


async def get_webhook_message(request: web.Request) -> web.Response:
    """GET /webhooks/{id}/{token}/messages/{message_id|@original}."""
    message, _ = _target_message(request)
    return json_response(message.payload())


async def edit_webhook_message(request: web.Request) -> web.Response:
    """PATCH /webhooks/{id}/{token}/messages/{message_id|@original}."""
    fd = fd_of(request)
    message, interaction = _target_message(request)
    apply_edit(fd, message, body_of(request), files_of(request), can_mention_everyone=True)
    if interaction is not None and request.match_info["message_id"] == "@original":
        interaction.resolved_after_defer = True
    await fd.message_updated(message)
    return json_response(message.payload())


async def delete_webhook_message(request: web.Request) -> web.Response:
    """DELETE /webhooks/{id}/{token}/messages/{message_id|@original}."""
    message, _ = _target_message(request)
    await fd_of(request).message_deleted(message)
    return no_content()


async def get_webhook_with_token(request: web.Request) -> web.Response:
    """GET /webhooks/{id}/{token}."""
    webhook = _webhook_for(request)
    return json_response(webhook_payload(webhook, fd_of(request).world, with_token=True))


async def delete_webhook_with_token(request: web.Request) -> web.Response:
    """DELETE /webhooks/{id}/{token}."""
    webhook = _webhook_for(request)
    del fd_of(request).world.webhooks[webhook.id]
    return no_content()


def register(app: web.Application, api: str) -> None:
    """Add the token routes."""
    app.router.add_post(
        f"{api}/interactions/{{interaction_id}}/{{token}}/callback", interaction_callback
    )
    hook = f"{api}/webhooks/{{webhook_id}}/{{token}}"
    app.router.add_post(hook, execute)
    app.router.add_get(hook, get_webhook_with_token)
    app.router.add_delete(hook, delete_webhook_with_token)
    app.router.add_get(f"{hook}/messages/{{message_id}}", get_webhook_message)
    app.router.add_patch(f"{hook}/messages/{{message_id}}", edit_webhook_message)
    app.router.add_delete(f"{hook}/messages/{{message_id}}", delete_webhook_message)
