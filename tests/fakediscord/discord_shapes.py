"""JSON Schemas (ours) for the Discord objects the emulator answers with.

Written by reading Discord's published OpenAPI description (github.com/discord/
discord-api-spec, specs/openapi.json; nothing copied): for each object the bot reads, the fields
Discord marks required and their types. Optional fields are checked only for their type, so a
schema fails when the emulator leaves out what a Discord client may count on, or sends a
field with the wrong type (a snowflake as a number, a null where a list belongs).
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

SNOWFLAKE: Schema = {"type": "string", "pattern": "^[0-9]+$"}
STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
BOOLEAN: Schema = {"type": "boolean"}
OBJECT: Schema = {"type": "object"}
ANY_ARRAY: Schema = {"type": "array"}


def nullable(schema: Schema) -> Schema:
    """``schema`` or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: Schema) -> Schema:
    """A list of ``items``."""
    return {"type": "array", "items": items}


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """An object with these required fields (and optional ones checked when present)."""
    return {
        "type": "object",
        "required": sorted(required),
        "properties": {**required, **(optional or {})},
    }


NULLABLE_STRING = nullable(STRING)
NULLABLE_SNOWFLAKE = nullable(SNOWFLAKE)

USER = obj(
    {
        "id": SNOWFLAKE,
        "username": STRING,
        "avatar": NULLABLE_STRING,
        "discriminator": STRING,
        "public_flags": INTEGER,
        "flags": INTEGER,
        "global_name": NULLABLE_STRING,
        "primary_guild": nullable(OBJECT),
    },
    {"bot": BOOLEAN, "banner": NULLABLE_STRING, "accent_color": nullable(INTEGER)},
)

ROLE = obj(
    {
        "id": SNOWFLAKE,
        "name": STRING,
        "permissions": STRING,
        "position": INTEGER,
        "color": INTEGER,
        "colors": obj({"primary_color": INTEGER}),
        "hoist": BOOLEAN,
        "managed": BOOLEAN,
        "mentionable": BOOLEAN,
        "icon": NULLABLE_STRING,
        "unicode_emoji": NULLABLE_STRING,
        "flags": INTEGER,
    },
    {"tags": OBJECT},
)

MEMBER = obj(
    {
        "avatar": NULLABLE_STRING,
        "banner": NULLABLE_STRING,
        "communication_disabled_until": NULLABLE_STRING,
        "flags": INTEGER,
        "joined_at": STRING,
        "nick": NULLABLE_STRING,
        "pending": BOOLEAN,
        "premium_since": NULLABLE_STRING,
        "roles": array(SNOWFLAKE),
        "user": USER,
        "mute": BOOLEAN,
        "deaf": BOOLEAN,
    }
)

OVERWRITE = obj({"id": SNOWFLAKE, "type": INTEGER, "allow": STRING, "deny": STRING})

_CHANNEL_FIELDS: dict[str, Schema] = {
    "id": SNOWFLAKE,
    "type": INTEGER,
    "flags": INTEGER,
    "name": STRING,
    "position": INTEGER,
}
_CHANNEL_OPTIONAL: dict[str, Schema] = {
    "last_message_id": NULLABLE_SNOWFLAKE,
    "parent_id": NULLABLE_SNOWFLAKE,
    "topic": NULLABLE_STRING,
    "nsfw": BOOLEAN,
    "rate_limit_per_user": INTEGER,
    "permission_overwrites": array(OVERWRITE),
    "permissions": STRING,
}

#: A guild channel from REST (``guild_id`` required).
CHANNEL = obj({**_CHANNEL_FIELDS, "guild_id": SNOWFLAKE}, _CHANNEL_OPTIONAL)
#: A channel inside GUILD_CREATE (the gateway leaves ``guild_id`` out).
GATEWAY_CHANNEL = obj(_CHANNEL_FIELDS, {**_CHANNEL_OPTIONAL, "guild_id": SNOWFLAKE})

THREAD = obj(
    {
        "id": SNOWFLAKE,
        "type": INTEGER,
        "flags": INTEGER,
        "guild_id": SNOWFLAKE,
        "name": STRING,
        "owner_id": SNOWFLAKE,
        "thread_metadata": obj(
            {
                "archived": BOOLEAN,
                "archive_timestamp": STRING,
                "auto_archive_duration": INTEGER,
                "locked": BOOLEAN,
            }
        ),
        "message_count": INTEGER,
        "member_count": INTEGER,
        "total_message_sent": INTEGER,
    },
    {"parent_id": NULLABLE_SNOWFLAKE, "last_message_id": NULLABLE_SNOWFLAKE},
)

_GUILD_FIELDS: dict[str, Schema] = {
    "id": SNOWFLAKE,
    "name": STRING,
    "icon": NULLABLE_STRING,
    "description": NULLABLE_STRING,
    "home_header": NULLABLE_STRING,
    "splash": NULLABLE_STRING,
    "discovery_splash": NULLABLE_STRING,
    "features": array(STRING),
    "banner": NULLABLE_STRING,
    "owner_id": SNOWFLAKE,
    "application_id": NULLABLE_SNOWFLAKE,
    "region": STRING,
    "afk_channel_id": NULLABLE_SNOWFLAKE,
    "afk_timeout": INTEGER,
    "system_channel_id": NULLABLE_SNOWFLAKE,
    "system_channel_flags": INTEGER,
    "widget_enabled": BOOLEAN,
    "widget_channel_id": NULLABLE_SNOWFLAKE,
    "verification_level": INTEGER,
    "roles": array(ROLE),
    "default_message_notifications": INTEGER,
    "mfa_level": INTEGER,
    "explicit_content_filter": INTEGER,
    "max_presences": nullable(INTEGER),
    "max_members": INTEGER,
    "max_stage_video_channel_users": INTEGER,
    "max_video_channel_users": INTEGER,
    "vanity_url_code": NULLABLE_STRING,
    "premium_tier": INTEGER,
    "premium_subscription_count": INTEGER,
    "preferred_locale": STRING,
    "rules_channel_id": NULLABLE_SNOWFLAKE,
    "safety_alerts_channel_id": NULLABLE_SNOWFLAKE,
    "public_updates_channel_id": NULLABLE_SNOWFLAKE,
    "premium_progress_bar_enabled": BOOLEAN,
    "nsfw": BOOLEAN,
    "nsfw_level": INTEGER,
    "emojis": ANY_ARRAY,
    "stickers": ANY_ARRAY,
    "incidents_data": nullable(OBJECT),
}

GUILD = obj(
    _GUILD_FIELDS,
    {"approximate_member_count": INTEGER, "approximate_presence_count": INTEGER},
)

#: GUILD_CREATE: the guild plus what the gateway adds (not in the REST description; the
#: fields are those of Discord's gateway documentation).
GUILD_CREATE = obj(
    {
        **_GUILD_FIELDS,
        "joined_at": STRING,
        "large": BOOLEAN,
        "member_count": INTEGER,
        "members": array(MEMBER),
        "channels": array(GATEWAY_CHANNEL),
        "threads": array(THREAD),
        "voice_states": ANY_ARRAY,
        "presences": ANY_ARRAY,
        "stage_instances": ANY_ARRAY,
        "guild_scheduled_events": ANY_ARRAY,
        "soundboard_sounds": ANY_ARRAY,
    },
    {"unavailable": BOOLEAN},
)

APPLICATION = obj(
    {
        "id": SNOWFLAKE,
        "name": STRING,
        "icon": NULLABLE_STRING,
        "description": STRING,
        "type": nullable(INTEGER),
        "verify_key": STRING,
        "flags": INTEGER,
        "flags_new": STRING,
        "redirect_uris": array(STRING),
        "interactions_endpoint_url": NULLABLE_STRING,
        "role_connections_verification_url": NULLABLE_STRING,
        "owner": USER,
        "approximate_guild_count": INTEGER,
        "approximate_user_install_count": INTEGER,
        "approximate_user_authorization_count": INTEGER,
        "explicit_content_filter": INTEGER,
        "team": nullable(OBJECT),
        "eligible_oauth2_scopes": array(STRING),
    },
    {
        "bot": USER,
        "bot_public": BOOLEAN,
        "bot_require_code_grant": BOOLEAN,
        "integration_types_config": OBJECT,
        "tags": array(STRING),
    },
)

GATEWAY_BOT = obj(
    {
        "url": STRING,
        "shards": INTEGER,
        "session_start_limit": obj(
            {
                "max_concurrency": INTEGER,
                "remaining": INTEGER,
                "reset_after": INTEGER,
                "total": INTEGER,
            }
        ),
    }
)

_OPTION: Schema = obj(
    {"type": INTEGER, "name": STRING, "description": STRING},
    {
        "required": BOOLEAN,
        "autocomplete": BOOLEAN,
        "choices": array(obj({"name": STRING})),
        "options": ANY_ARRAY,
        "channel_types": array(INTEGER),
    },
)

COMMAND = obj(
    {
        "id": SNOWFLAKE,
        "application_id": SNOWFLAKE,
        "version": SNOWFLAKE,
        "default_member_permissions": NULLABLE_STRING,
        "type": INTEGER,
        "name": STRING,
        "description": STRING,
    },
    {
        "guild_id": SNOWFLAKE,
        "dm_permission": BOOLEAN,
        "contexts": nullable(array(INTEGER)),
        "integration_types": array(INTEGER),
        "options": array(_OPTION),
        "nsfw": BOOLEAN,
    },
)


def _component(depth: int) -> Schema:
    children = {"components": array(_component(depth - 1))} if depth > 0 else {}
    return obj({"type": INTEGER, "id": INTEGER}, children)


#: Any component of a message (rows and what they hold, three levels deep): Discord gives
#: each one a numeric ``id``.
COMPONENT = _component(2)

ATTACHMENT = obj(
    {"id": SNOWFLAKE, "filename": STRING, "size": INTEGER, "url": STRING, "proxy_url": STRING}
)

MESSAGE = obj(
    {
        "type": INTEGER,
        "content": STRING,
        "mentions": array(USER),
        "mention_roles": array(SNOWFLAKE),
        "attachments": array(ATTACHMENT),
        "embeds": array(obj({"type": STRING})),
        "timestamp": STRING,
        "edited_timestamp": NULLABLE_STRING,
        "flags": INTEGER,
        "components": array(COMPONENT),
        "id": SNOWFLAKE,
        "channel_id": SNOWFLAKE,
        "author": USER,
        "pinned": BOOLEAN,
        "mention_everyone": BOOLEAN,
        "tts": BOOLEAN,
    },
    {
        "application_id": SNOWFLAKE,
        "webhook_id": SNOWFLAKE,
        "nonce": {"type": ["string", "integer"]},
        "interaction_metadata": obj(
            {"id": SNOWFLAKE, "type": INTEGER, "authorizing_integration_owners": OBJECT}
        ),
    },
)

WEBHOOK = obj(
    {
        "application_id": NULLABLE_SNOWFLAKE,
        "avatar": NULLABLE_STRING,
        "channel_id": NULLABLE_SNOWFLAKE,
        "id": SNOWFLAKE,
        "name": STRING,
        "type": INTEGER,
    },
    {"guild_id": NULLABLE_SNOWFLAKE, "user": USER, "token": STRING},
)

#: ``POST /interactions/{id}/{token}/callback?with_response=true``: a ``resource`` only for a
#: message answer (4) or an update (7), and then with the message.
CALLBACK_RESPONSE = obj(
    {
        "interaction": obj(
            {"id": SNOWFLAKE, "type": INTEGER},
            {
                "response_message_id": SNOWFLAKE,
                "response_message_loading": BOOLEAN,
                "response_message_ephemeral": BOOLEAN,
                "channel_id": SNOWFLAKE,
                "guild_id": SNOWFLAKE,
            },
        )
    },
    {
        "resource": obj(
            {"type": {"enum": [4, 7]}, "message": MESSAGE},
        )
    },
)
