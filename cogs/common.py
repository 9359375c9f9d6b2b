"""What every command, button and modal shares: the permission check, error replies, and
answering an interaction whether or not it was answered before."""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from discordside.checks import MANAGE_SERVER, manager_refusal, manages_server
from scheduler.errors import ScheduleError
from scheduler.protocols import Notice
from storage import DuplicateTaskError, NoticeLevel, TaskNotFoundError

if TYPE_CHECKING:
    from cogs.bot import CadenceBot

log = logging.getLogger(__name__)

ERROR_COLOUR = 0xE74C3C
OK_COLOUR = 0x2ECC71
INFO_COLOUR = 0x3498DB
WARN_COLOUR = 0xE67E22


class NotAllowed(app_commands.CheckFailure):
    """The member may not use Cadence's commands here."""


def error_embed(message: str, *, example: str | None = None) -> discord.Embed:
    embed = discord.Embed(title="That didn't work", description=message[:4000], colour=ERROR_COLOUR)
    if example:
        embed.add_field(name="Example", value=f"`{example}`"[:1024], inline=False)
    return embed


async def reply(interaction: discord.Interaction, *, ephemeral: bool = True, **kwargs: Any) -> None:
    """Answer the interaction, or follow up when it was answered already."""
    if interaction.response.is_done():
        await interaction.followup.send(ephemeral=ephemeral, **kwargs)
    else:
        await interaction.response.send_message(ephemeral=ephemeral, **kwargs)


async def ensure_manager(interaction: discord.Interaction) -> None:
    """Manage Server, Administrator, or the guild's manager role; checked in code on every
    command, button and modal, so a crafted interaction cannot get past it."""
    bot: CadenceBot = interaction.client  # type: ignore[assignment]
    guild = interaction.guild
    if guild is None or not isinstance(interaction.user, discord.Member):
        raise NotAllowed("Cadence's commands work in servers, not in direct messages.")
    perms = interaction.permissions
    if manages_server(perms):
        return
    settings = await bot.services.repositories.guilds.get(guild.id)
    refusal = manager_refusal(interaction.user, perms, settings.manager_role_id)
    if refusal is not None:
        raise NotAllowed(refusal)


def ensure_server_manager(interaction: discord.Interaction) -> None:
    """Manage Server or Administrator: a manager role is not enough to change settings."""
    if not manages_server(interaction.permissions):
        raise NotAllowed(
            f"Only members with {MANAGE_SERVER} can see or change Cadence's "
            "settings here. The manager role may use /scheduler status and /schedule."
        )


def user_error(error: BaseException) -> tuple[str, str | None] | None:
    """(message, example) for errors a user can fix; None for internal ones."""
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        inner = error.__cause__ or getattr(error, "original", None)
        if inner is not None and inner is not error:
            return user_error(inner)
    if isinstance(error, ScheduleError):
        return error.message, error.example
    if isinstance(error, DuplicateTaskError):
        return f"{error} Pick another name, or change the existing task with /schedule edit.", None
    if isinstance(error, TaskNotFoundError):
        return "That task does not exist in this server.", None
    if isinstance(error, NotAllowed):
        return str(error), None
    if isinstance(error, app_commands.NoPrivateMessage):
        return "Cadence's commands work in servers, not in direct messages.", None
    if isinstance(error, app_commands.TransformerError):
        # Discord offers only fitting values; a crafted interaction can send any channel or role.
        kind = error.type.name.replace("_", " ")
        return f"That {kind} can't be used for this option; pick one Discord offers.", None
    if isinstance(error, app_commands.CheckFailure):
        return str(error) or "You may not use this command here.", None
    return None


async def handle_error(interaction: discord.Interaction, error: BaseException, where: str) -> None:
    """Show a user error as an ephemeral embed; log an internal one and show its id."""
    known = user_error(error)
    if known is not None:
        message, example = known
        embed = error_embed(message, example=example)
    else:
        error_id = secrets.token_hex(4)
        original = getattr(error, "original", error)
        log.error(
            "Internal error %s in %s",
            error_id,
            where,
            exc_info=(type(original), original, original.__traceback__),
        )
        embed = error_embed(
            f"Sorry, something went wrong on our side. Error id `{error_id}`: the bot's "
            "operator can find the details in the logs."
        )
        services = getattr(interaction.client, "services", None)
        if services is not None:
            services.notify(
                Notice(
                    None,
                    NoticeLevel.ERROR,
                    "internal_error",
                    f"Internal error {error_id}",
                    f"In {where}: {type(original).__name__}: {original}"[:1000],
                )
            )
    try:
        await reply(interaction, embed=embed)
    except discord.HTTPException:
        log.warning("Could not show an error to the user in %s", where)
