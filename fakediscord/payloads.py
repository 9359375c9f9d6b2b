"""Discord JSON payloads for the world's objects (snowflakes as strings, as Discord sends)."""

from __future__ import annotations

from typing import Any

from fakediscord.clock import iso_timestamp
from fakediscord.models import Channel, Member, Role, User, Webhook
from fakediscord.world import Guild, World


def user_payload(user: User) -> dict[str, Any]:
    """A user object."""
    data: dict[str, Any] = {
        "id": str(user.id),
        "username": user.username,
        "discriminator": user.discriminator,
        "global_name": user.global_name,
        "avatar": user.avatar,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "primary_guild": None,
    }
    if user.bot:
        data["bot"] = True
    return data


def bot_user_payload(world: World) -> dict[str, Any]:
    """The bot's own user, as ``GET /users/@me`` and READY give it."""
    data = user_payload(world.bot_user)
    data.update({"verified": True, "mfa_enabled": False, "email": None, "locale": "en-US"})
    return data


def member_payload(
    member: Member, *, with_user: bool = True, permissions: int | None = None
) -> dict[str, Any]:
    """A guild member; ``permissions`` is added for interaction payloads."""
    data: dict[str, Any] = {
        "roles": [str(r) for r in member.roles],
        "joined_at": iso_timestamp(member.joined_at),
        "nick": member.nick,
        "avatar": None,
        "banner": None,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": member.flags,
        "communication_disabled_until": None,
    }
    if with_user:
        data["user"] = user_payload(member.user)
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def role_payload(role: Role) -> dict[str, Any]:
    """A role object (permissions as a string)."""
    data: dict[str, Any] = {
        "id": str(role.id),
        "name": role.name,
        "color": role.color,
        "colors": {"primary_color": role.color, "secondary_color": None, "tertiary_color": None},
        "hoist": role.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": role.position,
        "permissions": str(role.permissions),
        "managed": role.managed,
        "mentionable": role.mentionable,
        "flags": 0,
    }
    if role.bot_id is not None:
        data["tags"] = {"bot_id": str(role.bot_id)}
    return data


def channel_payload(channel: Channel, *, with_guild_id: bool = True) -> dict[str, Any]:
    """A guild channel or thread object."""
    if channel.is_thread:
        return thread_payload(channel, with_guild_id=with_guild_id)
    data: dict[str, Any] = {
        "id": str(channel.id),
        "type": channel.type,
        "name": channel.name,
        "position": channel.position,
        "permission_overwrites": [
            {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)}
            for o in channel.overwrites
        ],
        "parent_id": str(channel.parent_id) if channel.parent_id is not None else None,
        "nsfw": channel.nsfw,
        "flags": 0,
    }
    if channel.type != 4:
        data.update(
            {
                "topic": channel.topic,
                "last_message_id": None,
                "rate_limit_per_user": 0,
                "default_auto_archive_duration": 1440,
            }
        )
    if with_guild_id:
        data["guild_id"] = str(channel.guild_id)
    return data


def thread_payload(channel: Channel, *, with_guild_id: bool = True) -> dict[str, Any]:
    """A thread channel object with its metadata."""
    data: dict[str, Any] = {
        "id": str(channel.id),
        "type": channel.type,
        "name": channel.name,
        "parent_id": str(channel.parent_id),
        "owner_id": str(channel.owner_id),
        "last_message_id": None,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "rate_limit_per_user": 0,
        "flags": 0,
        "thread_metadata": {
            "archived": channel.archived,
            "auto_archive_duration": 1440,
            "archive_timestamp": iso_timestamp(channel.created_at),
            "locked": channel.locked,
            "create_timestamp": iso_timestamp(channel.created_at),
        },
    }
    if with_guild_id:
        data["guild_id"] = str(channel.guild_id)
    return data


def guild_payload(guild: Guild) -> dict[str, Any]:
    """The guild object of ``GET /guilds/{id}`` (no members or channels)."""
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(guild.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [role_payload(r) for r in guild.roles.values()],
        "emojis": [],
        "stickers": [],
        "features": list(guild.features),
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "max_members": 500000,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": guild.locale,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        # Required by Discord's guild object, though Cadence reads none of them.
        "home_header": None,
        "region": "deprecated",
        "widget_enabled": False,
        "widget_channel_id": None,
        "max_presences": None,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "nsfw": False,
        "incidents_data": None,
    }


def guild_create_payload(
    guild: Guild,
    *,
    with_members: bool = True,
    joined: bool = False,
    large_threshold: int = 250,
) -> dict[str, Any]:
    """The complete GUILD_CREATE dispatch, members listed as Discord lists them.

    Without the members intent only the bot is listed. With it, a guild of more than
    ``large_threshold`` members (IDENTIFY's, 50 to 250) is ``large`` and Discord leaves its
    offline members out: no one is online here, so only the bot is listed and the client asks
    for the rest with REQUEST_GUILD_MEMBERS (discord.py does so when it chunks at start-up).

    ``unavailable: false`` marks a guild announced in READY; a guild the bot just joined has
    no ``unavailable`` key (discord.py tells ``on_guild_join`` from ``on_guild_available`` so).
    """
    count = len(guild.members)
    large = count > large_threshold
    listed = guild.members.values() if with_members and not large else [guild.bot_member]
    data = guild_payload(guild)
    data.update(
        {
            "joined_at": iso_timestamp(guild.bot_joined_at),
            "large": large,
            "member_count": count,
            "voice_states": [],
            "members": [member_payload(m) for m in listed],
            "channels": [
                channel_payload(c, with_guild_id=False)
                for c in guild.channels.values()
                if not c.is_thread
            ],
            "threads": [thread_payload(c) for c in guild.channels.values() if c.is_thread],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "embedded_activities": [],
            "lazy": True,
        }
    )
    if not joined:
        data["unavailable"] = False
    return data


def application_payload(world: World) -> dict[str, Any]:
    """``GET /oauth2/applications/@me``."""
    app = world.application
    return {
        "id": str(app.id),
        "name": app.name,
        "icon": None,
        "description": app.description,
        "summary": "",
        "type": None,
        "bot_public": app.bot_public,
        "bot_require_code_grant": False,
        "verify_key": app.verify_key,
        "owner": user_payload(app.owner),
        "flags": app.flags,
        "team": None,
        "bot": user_payload(world.bot_user),
        "hook": True,
        "tags": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "approximate_guild_count": len(world.visible_guilds()),
        "approximate_user_install_count": 0,
        "approximate_user_authorization_count": 0,
        "integration_types_config": {"0": {}},
        "flags_new": str(app.flags),
        "role_connections_verification_url": None,
        "explicit_content_filter": 0,
        "eligible_oauth2_scopes": ["applications.commands", "bot"],
    }


def webhook_payload(webhook: Webhook, world: World, *, with_token: bool = True) -> dict[str, Any]:
    """A webhook object (the token only for its owner)."""
    creator = world.user(webhook.creator_id) if webhook.creator_id else None
    data: dict[str, Any] = {
        "id": str(webhook.id),
        "type": 1,
        "guild_id": str(webhook.guild_id),
        "channel_id": str(webhook.channel_id),
        "name": webhook.name,
        "avatar": webhook.avatar,
        "application_id": str(webhook.application_id) if webhook.application_id else None,
    }
    if creator is not None:
        data["user"] = user_payload(creator)
    if with_token:
        data["token"] = webhook.token
    return data


def webhook_author(webhook: Webhook, username: str | None) -> dict[str, Any]:
    """The ``author`` of a message sent through a webhook."""
    return {
        "id": str(webhook.id),
        "username": username or webhook.name,
        "discriminator": "0000",
        "global_name": None,
        "avatar": webhook.avatar,
        "bot": True,
        "public_flags": 0,
        "flags": 0,
        "primary_guild": None,
    }
