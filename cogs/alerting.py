"""The engine's `Alerter`: colour-coded embeds to the operator's or a guild's own channels.

Routing (ARCHITECTURE section 2): a notice about a guild goes only to that guild's dev channel (or
its alert channel for member-facing notices). Without one, it falls back to the operator's
dev channel only when that channel is in the same guild; otherwise it is kept unread for
`/scheduler status`. Operator notices (`guild_id` None) go to `DEV_CHANNEL_ID`, or to
`ALERT_CHANNEL_ID` for `send_alert`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from config import Settings
from scheduler.protocols import Notice
from storage import GuildSettingsRepository, NoticeLevel

if TYPE_CHECKING:
    from discord.ext import commands

log = logging.getLogger(__name__)

COLOURS = {
    NoticeLevel.OK: 0x2ECC71,  # green
    NoticeLevel.ERROR: 0xE74C3C,  # red
    NoticeLevel.WARNING: 0xE67E22,  # orange
    NoticeLevel.INFO: 0x3498DB,  # blue
}


def notice_embed(notice: Notice) -> discord.Embed:
    """The embed a notice is shown as, within Discord's limits."""
    embed = discord.Embed(
        title=notice.title[:256],
        description=notice.body[:4096] or None,
        colour=notice.color if notice.color is not None else COLOURS[notice.level],
    )
    for name, value in notice.fields[:25]:
        embed.add_field(name=name[:256], value=value[:1024] or "—", inline=True)
    embed.set_footer(text=f"Cadence · {notice.kind.replace('_', ' ')}")
    return embed


class DiscordAlerter:
    """Sends notices as embeds; returns False when there is no channel for them."""

    def __init__(self, bot: commands.Bot, settings: Settings, guilds: GuildSettingsRepository):
        self._bot = bot
        self._settings = settings
        self._guilds = guilds
        self._channel_guilds: dict[int, int | None] = {}

    async def send(self, notice: Notice) -> bool:
        channel_id = await self.route(notice)
        if channel_id is None:
            log.info(
                "No channel for notice %r (guild %s); kept unread", notice.title, notice.guild_id
            )
            return False
        channel = self._bot.get_partial_messageable(channel_id)
        await channel.send(
            embed=notice_embed(notice), allowed_mentions=discord.AllowedMentions.none()
        )
        return True

    async def route(self, notice: Notice) -> int | None:
        """The channel id a notice goes to, or None."""
        operator_dev = self._settings.dev_channel_id
        if notice.guild_id is None:
            if notice.alert_channel and self._settings.alert_channel_id:
                return self._settings.alert_channel_id
            return operator_dev
        settings = await self._guilds.get(notice.guild_id)
        own = settings.alert_channel_id if notice.alert_channel else None
        own = own or settings.dev_channel_id
        if own:
            return own
        if operator_dev and await self._guild_of(operator_dev) == notice.guild_id:
            return operator_dev
        return None

    async def _guild_of(self, channel_id: int) -> int | None:
        if channel_id in self._channel_guilds:
            return self._channel_guilds[channel_id]
        channel = self._bot.get_channel(channel_id)
        guild_id: int | None = None
        if channel is None:
            try:
                fetched = await self._bot.fetch_channel(channel_id)
            except discord.HTTPException:
                log.warning("DEV_CHANNEL_ID %s cannot be fetched", channel_id)
                return None
            guild_id = getattr(fetched, "guild", None) and fetched.guild.id  # type: ignore[union-attr]
        else:
            guild = getattr(channel, "guild", None)
            guild_id = guild.id if guild is not None else None
        self._channel_guilds[channel_id] = guild_id
        return guild_id
