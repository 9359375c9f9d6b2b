"""The /schedule command group (ARCHITECTURE section 5): guild-only, Manage Server by default, the
manager role checked in code on every command."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from cogs.common import ensure_manager, handle_error
from cogs.schedule_create import CreateCommands
from cogs.schedule_destinations import DestinationCommands
from cogs.schedule_edit import EditCommand
from cogs.schedule_history import HistoryCommands
from cogs.schedule_manage import ManageCommands
from cogs.schedule_transfer import TransferCommands
from cogs.schedule_variants import VariantCommands
from scheduler.services import Services

if TYPE_CHECKING:
    from cogs.bot import CadenceBot


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class ScheduleCog(
    CreateCommands,
    EditCommand,
    ManageCommands,
    HistoryCommands,
    DestinationCommands,
    VariantCommands,
    TransferCommands,
    commands.GroupCog,
    group_name="schedule",
    group_description="Schedule posts in this server",
):
    """Create, inspect and control this server's scheduled posts."""

    def __init__(self, bot: CadenceBot, services: Services) -> None:
        self.bot = bot
        self.tasks = services.repositories.tasks
        self.runs = services.repositories.runs
        self.audit = services.repositories.audit
        self.control = services.control
        self.rules = services.rules
        self.zones = services.zones
        self.clock = services.clock
        super().__init__()
        for command in self.__cog_app_commands__:
            if isinstance(command, app_commands.Command):
                for parameter in command.parameters:
                    if parameter.name == "task":
                        command.autocomplete("task")(self.task_names)
                    elif parameter.name == "timezone":
                        command.autocomplete("timezone")(self.zone_names)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        await ensure_manager(interaction)
        return True

    async def cog_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        command = interaction.command
        where = f"/{command.qualified_name}" if command else "a /schedule command"
        await handle_error(interaction, error, where)


async def setup(bot: CadenceBot) -> None:
    await bot.add_cog(ScheduleCog(bot, bot.services))
