"""The gate of Discord's client: who may see and run a command (permissions and overrides)."""

from __future__ import annotations

from typing import Any

from fakediscord.models import Channel, Member
from fakediscord.options import InteractionRefused
from fakediscord.permissions import Permission, has
from fakediscord.world import Guild, World


def check_command_allowed(
    world: World, guild: Guild, member: Member, channel: Channel, command: dict[str, Any]
) -> None:
    """Raise InteractionRefused when Discord would not let ``member`` run ``command`` here."""
    perms = guild.permissions_for(member, channel)
    name = command["name"]
    if not has(perms, Permission.VIEW_CHANNEL | Permission.USE_APPLICATION_COMMANDS):
        raise InteractionRefused(f"the member cannot use commands in #{channel.name}")
    contexts = command.get("contexts")
    if contexts is not None and 0 not in contexts:
        raise InteractionRefused(f"/{name} is not available in guilds")
    if has(guild.permissions_for(member), Permission.ADMINISTRATOR):
        return
    for key in (int(command["id"]), world.application.id):
        decision = _override(guild.command_permissions.get(key, {}), guild, member, channel)
        if decision is False:
            raise InteractionRefused(f"/{name} is denied to this member by the guild")
        if decision is True:
            return
    required = command.get("default_member_permissions")
    if required is None:
        return
    needed = int(required)
    if needed == 0 or not has(perms, needed):
        raise InteractionRefused(f"/{name} needs permissions {needed} the member lacks")


def _override(
    entries: dict[int, tuple[int, bool]], guild: Guild, member: Member, channel: Channel
) -> bool | None:
    """Discord's command permission overrides: channel deny, user, roles, @everyone."""
    if not entries:
        return None
    channel_entry = entries.get(channel.id) or entries.get(guild.id - 1)
    if channel_entry is not None and channel_entry[0] == 3 and not channel_entry[1]:
        return False
    user_entry = entries.get(member.id)
    if user_entry is not None and user_entry[0] == 2:
        return user_entry[1]
    role_values = [entries[r][1] for r in member.roles if r in entries and entries[r][0] == 1]
    if any(role_values):
        return True
    if role_values:
        return False
    everyone = entries.get(guild.id)
    return everyone[1] if everyone is not None and everyone[0] == 1 else None
