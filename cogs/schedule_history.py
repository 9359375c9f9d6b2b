"""/schedule history and /schedule summary."""

from __future__ import annotations

from collections.abc import Sequence

import discord
from discord import app_commands

from cogs.common import INFO_COLOUR, reply
from cogs.overview import page_embeds
from cogs.render import when
from cogs.schedule_base import Destination, ScheduleBase
from cogs.views import PagerView
from scheduler.api import guild_summary
from scheduler.errors import ScheduleError
from scheduler.rules import checked_range
from storage import AuditEntry, Run, Task

STATUS_MARK = {
    "ok": "✅ ok",
    "failed": "❌ failed",
    "missed": "⚠️ missed",
    "skipped": "⏭ skipped",
    "unknown": "❔ unknown",
    "running": "⏳ running",
}


def lateness(run: Run) -> str:
    if run.late_by_ms is None or run.status in ("missed", "skipped"):
        return ""
    if run.late_by_ms < 1000:
        return "on time"
    return f"{run.late_by_ms / 1000:.1f} s late"


def history_embed(task: Task, runs: Sequence[Run], changes: Sequence[AuditEntry]) -> discord.Embed:
    lines = []
    for run in runs:
        parts = [
            f"<t:{int(run.scheduled_for.timestamp())}:f>",
            STATUS_MARK.get(run.status, run.status),
        ]
        if run.trigger != "schedule":
            parts.append(str(run.trigger).replace("_", "-"))
        if lateness(run):
            parts.append(lateness(run))
        line = " · ".join(parts)
        if run.error:
            line += f"\n  ↳ {run.error[:180]}"
        lines.append(line)
    embed = discord.Embed(
        title=f"History: {task.name}"[:256],
        description="\n".join(lines)[:4000] or "No runs yet.",
        colour=INFO_COLOUR,
    )
    if changes:
        text = "\n".join(
            f"{when(c.at)}: {c.action} by {f'<@{c.actor_id}>' if c.actor_id else 'Cadence'}"
            for c in changes
        )
        embed.add_field(name="Changes", value=text[:1024], inline=False)
    embed.set_footer(text=f"Newest first · {len(runs)} run(s) shown")
    return embed


class HistoryCommands(ScheduleBase):
    """Looking back (history) and across (summary)."""

    @app_commands.command(name="history", description="A task's recent runs and changes")
    @app_commands.describe(task="The task (start typing its name)", limit="How many runs")
    async def history_command(
        self,
        interaction: discord.Interaction,
        task: str,
        limit: app_commands.Range[int, 1, 25] = 10,
    ) -> None:
        limit = checked_range(limit, 1, 25, "limit")
        found = await self.resolve_task(interaction, task)
        runs = await self.runs.list_for_task(found.id, limit=limit)
        changes = await self.audit.for_task(found.id, limit=5)
        await reply(interaction, embed=history_embed(found, runs, changes))

    @app_commands.command(name="summary", description="Overview of this server's tasks")
    @app_commands.describe(channel="Post the overview there instead of showing it only to you")
    async def summary_command(
        self, interaction: discord.Interaction, channel: Destination | None = None
    ) -> None:
        assert interaction.guild is not None
        summary = await guild_summary(
            self.tasks,
            self.zones,
            self.clock.now(),
            interaction.guild.id,
            title=f"Scheduled tasks in {interaction.guild.name}",
        )
        pages = [page_embeds(page) for page in summary.pages()]
        if channel is None:
            if len(pages) == 1:
                await reply(interaction, embeds=pages[0])
                return
            view = PagerView(pages, interaction.user.id, prefix="sum_")
            await reply(interaction, embeds=view.first, view=view)
            return
        self.check_channel(interaction, channel, embed=True)
        await interaction.response.defer(ephemeral=True, thinking=True)
        target = interaction.guild.get_channel_or_thread(channel.id)
        if not isinstance(target, discord.abc.Messageable):
            raise ScheduleError(f"I can't post in {channel.mention}.")
        for embeds in pages:
            await target.send(embeds=embeds, allowed_mentions=discord.AllowedMentions.none())
        await reply(
            interaction,
            content=f"Posted the overview to {channel.mention} ({len(pages)} message(s)).",
        )
