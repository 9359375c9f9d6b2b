"""Where an interaction happens (guild, member, channel) and its common payload."""

from __future__ import annotations

from typing import Any

from fakediscord.models import Channel, Member, User
from fakediscord.options import InteractionRefused
from fakediscord.payloads import channel_payload, member_payload
from fakediscord.permissions import Permission
from fakediscord.settings import EmulatorSettings
from fakediscord.world import Guild, World, id_of


def resolve_context(
    world: World, guild: Any, member: Any, in_channel: Any
) -> tuple[Guild, Member, Channel]:
    """The guild, member and channel of an interaction (default: first visible text channel)."""
    found_guild = world.guild(guild)
    if found_guild is None:
        raise InteractionRefused(f"unknown guild {guild!r}")
    if not found_guild.bot_present:
        raise InteractionRefused(f"the bot is not in {found_guild.name}")
    found_member = resolve_member(found_guild, member)
    if in_channel is None:
        visible = [
            c
            for c in found_guild.text_channels()
            if found_guild.permissions_for(found_member, c) & Permission.VIEW_CHANNEL
        ]
        if not visible:
            raise InteractionRefused("the member sees no text channel to type in")
        return found_guild, found_member, visible[0]
    channel = found_guild.channels.get(id_of(in_channel))
    if channel is None:
        raise InteractionRefused(f"channel {in_channel!r} is not in {found_guild.name}")
    return found_guild, found_member, channel


def resolve_member(guild: Guild, member: Any) -> Member:
    """A member of ``guild`` from a Member, User, id or username."""
    if isinstance(member, str) and not member.isdigit():
        try:
            return guild.member_named(member)
        except KeyError:
            raise InteractionRefused(f"no member named {member!r} in {guild.name}") from None
    found = guild.get_member(member.id if isinstance(member, User) else member)
    if found is None:
        raise InteractionRefused(f"{member!r} is not a member of {guild.name}")
    return found


def interaction_base(
    world: World,
    settings: EmulatorSettings,
    kind: int,
    guild: Guild,
    member: Member,
    channel: Channel,
    *,
    locale: str = "en-US",
) -> dict[str, Any]:
    """INTERACTION_CREATE without ``data``: everything discord.py requires, complete."""
    member_perms = guild.permissions_for(member, channel)
    bot_perms = guild.permissions_for(world.bot_user, channel)
    channel_data = channel_payload(channel)
    channel_data["permissions"] = str(member_perms)
    return {
        "id": str(world.snowflakes.next()),
        "application_id": str(world.application.id),
        "type": kind,
        "guild_id": str(guild.id),
        "guild": {"id": str(guild.id), "locale": guild.locale, "features": guild.features},
        "channel_id": str(channel.id),
        "channel": channel_data,
        "member": member_payload(member, permissions=member_perms),
        "version": 1,
        "app_permissions": str(bot_perms),
        "locale": locale,
        "guild_locale": guild.locale,
        "entitlements": [],
        "entitlement_sku_ids": [],
        "authorizing_integration_owners": {"0": str(guild.id)},
        "context": 0,
        "attachment_size_limit": settings.attachment_size_limit,
    }
