"""Guild leave and return (ARCHITECTURE section 3), and the hourly housekeeping."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands, tasks

from scheduler.control import GuildLifecycle
from storage import RunRepository

if TYPE_CHECKING:
    from cogs.bot import CadenceBot

log = logging.getLogger(__name__)


class Lifecycle(commands.Cog):
    """Pauses a guild's tasks when the bot leaves it, resumes them when it returns, and
    deletes the data of guilds left longer than GUILD_DATA_RETENTION_DAYS."""

    def __init__(
        self, bot: CadenceBot, guilds: GuildLifecycle, runs: RunRepository, history_per_task: int
    ) -> None:
        self.bot = bot
        self.guilds = guilds
        self.runs = runs
        self.history_per_task = history_per_task

    async def cog_load(self) -> None:
        self.housekeeping.start()

    async def cog_unload(self) -> None:
        self.housekeeping.cancel()

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.guilds.left(guild.id)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.guilds.returned(guild.id)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # Guilds the bot rejoined while it was offline arrive as plain GUILD_CREATEs.
        for guild in self.bot.guilds:
            await self.guilds.returned(guild.id)

    @tasks.loop(hours=1)
    async def housekeeping(self) -> None:
        try:
            await self.guilds.purge_expired()
            await self.runs.prune_all(self.history_per_task)
        except Exception:
            log.exception("Housekeeping failed; it runs again in an hour")

    @housekeeping.before_loop
    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()


async def setup(bot: CadenceBot) -> None:
    services = bot.services
    await bot.add_cog(
        Lifecycle(
            bot,
            services.lifecycle,
            services.repositories.runs,
            bot.settings.history_per_task,
        )
    )
