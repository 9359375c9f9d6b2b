"""/scheduler api-token create | list | revoke: per-server tokens for Cadence's web API.

Only members who may change `/scheduler config` (Manage Server or Administrator) manage
tokens. A new token is shown once, ephemerally, and never again: only its hash is stored,
and it is never logged or audited.
"""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from cogs.common import INFO_COLOUR, ensure_server_manager, reply
from scheduler.api_tokens import ApiTokens
from storage import ApiToken

__all__ = ["ApiTokenCommands", "token_line"]


def token_line(token: ApiToken) -> str:
    """One line of `/scheduler api-token list`: never the token, never its hash."""
    created = f"<t:{int(token.created_at.timestamp())}:R>"
    used = token.last_used_at
    last = f"<t:{int(used.timestamp())}:R>" if used else "never"
    return (
        f"**{token.name}** · {token.scope} · by <@{token.created_by}> · created {created}"
        f" · last used {last}"
    )


class ApiTokenCommands(commands.Cog):
    """The `api-token` subgroup, mixed into the `/scheduler` GroupCog (a Cog, so discord.py
    collects its commands)."""

    api_tokens: ApiTokens

    api_token = app_commands.Group(
        name="api-token", description="Tokens for Cadence's web API in this server"
    )

    @api_token.command(name="create", description="Make an API token (shown once)")
    @app_commands.describe(
        name="A name for the token: 1-32 letters, digits, - or _",
        scope="read: look only; write: also change tasks and settings",
    )
    async def token_create(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, 32],
        scope: Literal["read", "write"],
    ) -> None:
        ensure_server_manager(interaction)
        assert interaction.guild_id is not None
        made = await self.api_tokens.create(interaction.guild_id, name, scope, interaction.user.id)
        await reply(
            interaction,
            content=(
                f"```\n{made.token}\n```\n"
                f"This {made.record.scope} token **{made.record.name}** will not be shown "
                "again: copy it now. Send it with each request to Cadence's web API as "
                "`Authorization: Bearer <token>`."
            ),
        )

    @api_token.command(name="list", description="This server's API tokens")
    async def token_list(self, interaction: discord.Interaction) -> None:
        ensure_server_manager(interaction)
        assert interaction.guild_id is not None
        tokens = await self.api_tokens.list_for_guild(interaction.guild_id)
        lines = [token_line(token) for token in tokens]
        embed = discord.Embed(
            title="API tokens",
            description="\n".join(lines)
            or "No API tokens yet. Make one with /scheduler api-token create.",
            colour=INFO_COLOUR,
        )
        await reply(interaction, embed=embed)

    @api_token.command(name="revoke", description="Revoke an API token: it stops working at once")
    @app_commands.describe(name="The token's name")
    async def token_revoke(self, interaction: discord.Interaction, name: str) -> None:
        ensure_server_manager(interaction)
        assert interaction.guild_id is not None
        revoked = await self.api_tokens.revoke(interaction.guild_id, name, interaction.user.id)
        embed = discord.Embed(
            title="API token revoked",
            description=f"**{revoked.name}** ({revoked.scope}) no longer works.",
            colour=INFO_COLOUR,
        )
        await reply(interaction, embed=embed)

    @token_revoke.autocomplete("name")
    async def _token_names(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        try:
            ensure_server_manager(interaction)
        except app_commands.CheckFailure:
            return []
        tokens = await self.api_tokens.list_for_guild(interaction.guild_id)
        wanted = current.strip().lower()
        return [
            app_commands.Choice(name=token.name, value=token.name)
            for token in tokens
            if wanted in token.name.lower()
        ][:25]
