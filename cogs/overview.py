"""JobSummary pages as discord.py embeds, and building a guild's summary."""

from __future__ import annotations

from datetime import datetime

import discord

from scheduler.api import summarize
from scheduler.summary import EmbedData, JobSummary, SummaryPage
from scheduler.zones import TaskZones
from storage import TaskRepository


def to_embed(data: EmbedData) -> discord.Embed:
    embed = discord.Embed(title=data.title, description=data.description, colour=data.color)
    for name, value, inline in data.fields:
        embed.add_field(name=name, value=value, inline=inline)
    if data.footer:
        embed.set_footer(text=data.footer)
    return embed


def page_embeds(page: SummaryPage) -> list[discord.Embed]:
    return [to_embed(data) for data in page.embeds]


async def guild_summary(
    tasks: TaskRepository, zones: TaskZones, now: datetime, guild_id: int, *, title: str
) -> JobSummary:
    """The overview of one guild's tasks, times in each task's zone."""
    found = await tasks.list_for_guild(guild_id)
    return await summarize(found, zones=zones, now=now, title=title)
