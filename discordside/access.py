"""Who may reach a guild's Cadence data from the web, decided by the bot at every request.

An API token acts with the rights of the member who made it, so the web API asks at every
use, as the bot sees the guild now: the member from the cache, else from Discord, kept for a
short while (`discordside.members`; 404: they left); the guild owner, Administrator or Manage
Server (guild-wide, as for `/scheduler config`, see `discordside.checks.manages_server`) may
(`creator_refusal`). A dashboard user acts as themself: the `/schedule` rule (owner,
Administrator, Manage Server, manager role) reads and writes, the viewer role reads
(`dashboard_access`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Literal

import discord

from discordside.checks import MANAGE_SERVER, manager_refusal, manages_server
from discordside.members import MemberLookup, lookup_for

__all__ = [
    "CreatorRefusal",
    "DashboardAccess",
    "acting_member",
    "creator_refusal",
    "dashboard_access",
    "member_now",
    "settings_refusal",
]

log = logging.getLogger(__name__)

_ROLE_MENTION = re.compile(r"<@&(\d+)>")


@dataclass(frozen=True, slots=True)
class CreatorRefusal:
    """Why a token may no longer act: ``reason`` for code, ``detail`` for the person."""

    reason: Literal["no_guild", "left", "no_permission"]
    detail: str

    def __str__(self) -> str:
        return self.detail


async def acting_member(
    client: discord.Client, guild_id: int, member_id: int
) -> discord.Member | CreatorRefusal:
    """The member a token acts as, as the bot sees them now (the cache, else Discord), or why
    there is none. Other Discord errors than 404 are raised, as for `creator_refusal`."""
    guild = client.get_guild(guild_id)
    if guild is None:
        return CreatorRefusal(
            "no_guild", "Cadence is no longer in this server, so its tokens do not work."
        )
    member = await member_now(guild, member_id, lookup_for(client))
    if member is None:
        return CreatorRefusal("left", "The token's creator left the server; create a new token.")
    return member


async def member_now(
    guild: discord.Guild, user_id: int, lookup: MemberLookup
) -> discord.Member | None:
    """The member as the bot sees them now: discord.py's cache, else a copy fetched from
    Discord and kept briefly (`discordside.members`); None when they are not in the guild.
    Other Discord errors than 404 are raised."""
    return await lookup.member(guild, user_id)


async def creator_refusal(
    client: discord.Client, guild_id: int, member_id: int
) -> CreatorRefusal | None:
    """None when ``member_id`` may still manage Cadence in ``guild_id``; else why not.

    Other Discord errors than 404 (an outage, a rate limit) are raised: the caller answers
    with a temporary error rather than a refusal.
    """
    member = await acting_member(client, guild_id, member_id)
    if isinstance(member, CreatorRefusal):
        return member
    if member.guild.owner_id == member.id or manages_server(member.guild_permissions):
        return None
    return CreatorRefusal(
        "no_permission",
        f"The token's creator no longer has {MANAGE_SERVER} in this server; create a new token.",
    )


@dataclass(frozen=True, slots=True)
class DashboardAccess:
    """What a logged-in person may do with one guild's Cadence data, as the bot sees them now.

    ``member`` False (the bot is not in the guild, or they are not a member): answer as if the
    guild did not exist. Otherwise ``refusal`` says, in the slash commands' words, what they
    lack to change things (None when they may), and ``can_read`` whether they may look.
    """

    member: bool
    can_read: bool = False
    can_write: bool = False
    refusal: str | None = None


async def dashboard_access(
    client: discord.Client,
    guild_id: int,
    user_id: int,
    manager_role_id: int | None,
    viewer_role_id: int | None,
) -> DashboardAccess:
    """Read and write for the owner, Administrator, Manage Server and the manager role (the
    rule `/schedule` follows: `discordside.checks.manager_refusal`); read only for the viewer
    role; nothing otherwise. Decided from the member the bot sees (its cache, else Discord),
    never from the person's own OAuth guild list.

    Other Discord errors than 404 are raised: the caller answers with a temporary error.
    """
    guild = client.get_guild(guild_id)
    member = None if guild is None else await member_now(guild, user_id, lookup_for(client))
    if guild is None or member is None:
        return DashboardAccess(member=False)
    refusal = manager_refusal(member, member.guild_permissions, manager_role_id)
    if refusal is None:
        return DashboardAccess(member=True, can_read=True, can_write=True)
    viewer = bool(viewer_role_id) and any(role.id == viewer_role_id for role in member.roles)
    if not viewer and viewer_role_id:
        refusal += f" To only read its tasks, you need the <@&{viewer_role_id}> role."
    return DashboardAccess(member=True, can_read=viewer, refusal=plain_roles(guild, refusal))


def plain_roles(guild: discord.Guild, text: str) -> str:
    """Role mentions (``<@&id>``) as ``@name``, for places that do not render mentions."""
    return _ROLE_MENTION.sub(
        lambda found: (
            f"@{role.name}"
            if (role := guild.get_role(int(found.group(1)))) is not None
            else "a role that no longer exists"
        ),
        text,
    )


async def settings_refusal(client: discord.Client, guild_id: int, member_id: int) -> str | None:
    """Why ``member_id`` may not manage this guild's settings and API tokens (None: they may),
    worded for that member. The rule is `creator_refusal`'s: one rule, two wordings."""
    refusal = await creator_refusal(client, guild_id, member_id)
    if refusal is None:
        return None
    if refusal.reason == "no_permission":
        return f"You need {MANAGE_SERVER} in this server to manage its API tokens."
    if refusal.reason == "left":
        return "You are not a member of this server."
    return refusal.detail
