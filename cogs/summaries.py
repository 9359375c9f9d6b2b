"""The daily overview (ARCHITECTURE section 6): a guild's JobSummary, posted at its `summary_cron`.

Every `CHECK_SECONDS` the loop asks `GuildConfig.due_summaries` which guilds' fire times have
come (read from the engine's clock, in each guild's zone) and posts those overviews to the
guild's summary channel, or its dev channel, as many messages as needed. The last posted fire
time is remembered per guild, so a fire time is posted once even across restarts, and the
fire times missed while the bot was down are skipped except the latest. Each message carries
a nonce derived from (guild, fire time, page): a post repeated after a crash within Discord's
dedup window is not doubled.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord.ext import commands, tasks

from cogs.overview import page_embeds
from scheduler.api import guild_summary, overview_title
from scheduler.protocols import Notice
from scheduler.services import Services
from storage import GuildSettings, NoticeLevel

if TYPE_CHECKING:
    from cogs.bot import CadenceBot

log = logging.getLogger(__name__)

CHECK_SECONDS = 20


def overview_nonce(guild_id: int, fire: datetime, page: int) -> str:
    """25 characters, the same for the same (guild, fire time, page)."""
    key = f"{guild_id}:{int(fire.timestamp())}:{page}".encode()
    return "ov:" + hashlib.blake2b(key, digest_size=11).hexdigest()


class Summaries(commands.Cog):
    """Posts each guild's task overview at the times its `summary_cron` names."""

    def __init__(self, bot: CadenceBot, services: Services) -> None:
        self.bot = bot
        self.config = services.guild_config
        self.tasks = services.repositories.tasks
        self.zones = services.zones
        self.clock = services.clock
        self.notify = services.notify
        self._lock = asyncio.Lock()

    async def cog_load(self) -> None:
        self.overview_loop.start()

    async def cog_unload(self) -> None:
        self.overview_loop.cancel()

    @tasks.loop(seconds=CHECK_SECONDS)
    async def overview_loop(self) -> None:
        try:
            await self.post_due()
        except Exception:
            log.exception("Posting the daily overviews failed; trying again shortly")

    @overview_loop.before_loop
    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()

    async def post_due(self, now: datetime | None = None) -> int:
        """Post every overview due at `now` (default: the engine's clock); returns how many."""
        async with self._lock:
            now = now or self.clock.now()
            posted = 0
            for settings, fire in await self.config.due_summaries(now):
                try:
                    if await self.post_overview(settings, fire):
                        posted += 1
                except Exception:
                    # Not remembered: the next check tries again (the nonce prevents doubles).
                    log.exception("Overview for guild %s failed", settings.guild_id)
            return posted

    async def post_overview(self, settings: GuildSettings, fire: datetime) -> bool:
        """Post the guild's overview for fire time `fire`; False when it could not be."""
        guild_id = settings.guild_id
        channel_id = settings.summary_channel_id or settings.dev_channel_id
        if channel_id is None:
            log.info(
                "Guild %s: overview due at %s, but it has no summary or dev channel; skipped",
                guild_id,
                fire.isoformat(),
            )
            await self.config.remember_summary(guild_id, fire)
            return False
        guild = self.bot.get_guild(guild_id)
        title = overview_title(guild.name if guild else None)
        summary = await guild_summary(
            self.tasks, self.zones, self.clock.now(), guild_id, title=title
        )
        channel = self.bot.get_partial_messageable(channel_id, guild_id=guild_id)
        try:
            for page in summary.pages():
                await channel.send(
                    embeds=page_embeds(page),
                    nonce=overview_nonce(guild_id, fire, page.number),
                    allowed_mentions=discord.AllowedMentions.none(),
                )
        except (discord.Forbidden, discord.NotFound) as exc:
            await self.config.remember_summary(guild_id, fire)
            log.warning("Guild %s: overview not posted in %s: %s", guild_id, channel_id, exc)
            self.notify(
                Notice(
                    guild_id=guild_id,
                    level=NoticeLevel.WARNING,
                    kind="overview_failed",
                    title="The task overview could not be posted",
                    body=(
                        f"Posting in <#{channel_id}> failed: {exc.text or exc}. Give me View "
                        "Channel, Send Messages and Embed Links there, or pick another "
                        "channel with /scheduler config summary_channel:."
                    ),
                )
            )
            return False
        await self.config.remember_summary(guild_id, fire)
        log.info("Posted the overview of guild %s for %s", guild_id, fire.isoformat())
        return True


async def setup(bot: CadenceBot) -> None:
    await bot.add_cog(Summaries(bot, bot.services))
