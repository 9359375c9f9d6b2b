"""JobSummary pages as discord.py embeds."""

from __future__ import annotations

import discord

from scheduler.summary import EmbedData, SummaryPage


def to_embed(data: EmbedData) -> discord.Embed:
    embed = discord.Embed(title=data.title, description=data.description, colour=data.color)
    for name, value, inline in data.fields:
        embed.add_field(name=name, value=value, inline=inline)
    if data.footer:
        embed.set_footer(text=data.footer)
    return embed


def page_embeds(page: SummaryPage) -> list[discord.Embed]:
    return [to_embed(data) for data in page.embeds]
