"""Does an API token's creator still have the right to manage this guild's Cadence settings?

A token acts with the rights of the member who made it, so the web API asks at every use,
as the bot sees the guild now: the member from the cache, else from Discord (404: they left);
the guild owner, Administrator or Manage Server (guild-wide, as for `/scheduler config`,
see `discordside.checks.manages_server`) may.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import discord

from discordside.checks import MANAGE_SERVER, manages_server

__all__ = ["CreatorRefusal", "creator_refusal", "settings_refusal"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CreatorRefusal:
    """Why a token may no longer act: ``reason`` for code, ``detail`` for the person."""

    reason: Literal["no_guild", "left", "no_permission"]
    detail: str

    def __str__(self) -> str:
        return self.detail


async def creator_refusal(
    client: discord.Client, guild_id: int, member_id: int
) -> CreatorRefusal | None:
    """None when ``member_id`` may still manage Cadence in ``guild_id``; else why not.

    Other Discord errors than 404 (an outage, a rate limit) are raised: the caller answers
    with a temporary error rather than a refusal.
    """
    guild = client.get_guild(guild_id)
    if guild is None:
        return CreatorRefusal(
            "no_guild", "Cadence is no longer in this server, so its tokens do not work."
        )
    member = guild.get_member(member_id)
    if member is None:
        try:
            member = await guild.fetch_member(member_id)
        except discord.NotFound:
            return CreatorRefusal(
                "left", "The token's creator left the server; create a new token."
            )
    if guild.owner_id == member.id or manages_server(member.guild_permissions):
        return None
    return CreatorRefusal(
        "no_permission",
        f"The token's creator no longer has {MANAGE_SERVER} in this server; create a new token.",
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
