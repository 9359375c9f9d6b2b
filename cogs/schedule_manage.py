"""/schedule list, show, pause, resume, delete, skip and run."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands

from cogs.common import OK_COLOUR, reply
from cogs.delivery import build_embed
from cogs.render import list_pages, show_embed
from cogs.schedule_base import Destination, ScheduleBase
from cogs.views import ConfirmView, PagerView
from scheduler.control import MAX_SKIP
from scheduler.payload import dry_run_variant
from scheduler.planning import schedule_for_task, upcoming_runs
from scheduler.rules import checked_choice
from storage import RunStatus, TaskStatus

StatusChoice = Literal["active", "paused", "completed", "failed"]
STATUSES = ("active", "paused", "completed", "failed")


class ManageCommands(ScheduleBase):
    """Inspecting and controlling existing tasks."""

    @app_commands.command(name="list", description="This server's tasks with their next run")
    @app_commands.describe(channel="Only tasks posting here", status="Only tasks in this state")
    async def list_command(
        self,
        interaction: discord.Interaction,
        channel: Destination | None = None,
        status: StatusChoice | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        tasks = await self.tasks.list_for_guild(
            interaction.guild_id,
            status=TaskStatus(checked_choice(status, STATUSES, "status")) if status else None,
            channel_id=channel.id if channel else None,
        )
        described = {}
        for task in tasks:
            zone = await self.zones.zone_for(task)
            described[task.id] = schedule_for_task(task, zone).describe()
        pages = list_pages(tasks, described)
        if len(pages) == 1:
            await reply(interaction, embed=pages[0])
            return
        view = PagerView(pages, interaction.user.id)
        await reply(interaction, embeds=view.first, view=view)

    @app_commands.command(name="show", description="A task's details, next 5 runs and stats")
    @app_commands.describe(task="The task (start typing its name)")
    async def show_command(self, interaction: discord.Interaction, task: str) -> None:
        found = await self.resolve_task(interaction, task)
        zone = await self.zones.zone_for(found)
        schedule = schedule_for_task(found, zone)
        embed = show_embed(
            found,
            schedule_text=schedule.describe(),
            zone=zone,
            upcoming=upcoming_runs(found, zone, 5),
            stats=await self.runs.stats(found.id),
            last_change=await self.audit.last_for_task(found.id),
        )
        await reply(interaction, embed=embed)

    @app_commands.command(name="pause", description="Stop a task from posting until resumed")
    @app_commands.describe(task="The task (start typing its name)")
    async def pause_command(self, interaction: discord.Interaction, task: str) -> None:
        found = await self.resolve_task(interaction, task)
        paused = await self.control.pause(
            found, actor_id=interaction.user.id, reason=f"paused by {interaction.user}"
        )
        await reply(interaction, embed=await self.task_reply(paused, "Paused"))

    @app_commands.command(name="resume", description="Resume a paused or failed task")
    @app_commands.describe(task="The task (start typing its name)")
    async def resume_command(self, interaction: discord.Interaction, task: str) -> None:
        found = await self.resolve_task(interaction, task)
        resumed = await self.control.resume(found, actor_id=interaction.user.id)
        await reply(interaction, embed=await self.task_reply(resumed, "Resumed"))

    @app_commands.command(name="delete", description="Delete a task and its history")
    @app_commands.describe(task="The task (start typing its name)")
    async def delete_command(self, interaction: discord.Interaction, task: str) -> None:
        found = await self.resolve_task(interaction, task)

        async def confirmed(button: discord.Interaction) -> None:
            current = await self.refreshed(found)
            await self.control.delete(current, actor_id=button.user.id)
            await button.response.edit_message(
                content=None,
                view=None,
                embed=discord.Embed(
                    title=f"Deleted: {current.name}",
                    colour=OK_COLOUR,
                    description="The task and its run history are gone.",
                ),
            )

        view = ConfirmView(interaction.user.id, confirmed)
        embed = discord.Embed(
            title=f"Delete “{found.name}”?",
            description="Its schedule and run history will be deleted. This cannot be undone.",
            colour=0xE67E22,
        )
        await reply(interaction, embed=embed, view=view)

    @app_commands.command(name="skip", description="Skip the next runs of a recurring task")
    @app_commands.describe(task="The task (start typing its name)", count="How many runs to skip")
    async def skip_command(
        self,
        interaction: discord.Interaction,
        task: str,
        count: app_commands.Range[int, 1, MAX_SKIP] = 1,
    ) -> None:
        found = await self.resolve_task(interaction, task)
        updated = await self.control.skip(found, count, actor_id=interaction.user.id)
        await reply(interaction, embed=await self.task_reply(updated, f"Skipping {count} run(s)"))

    @app_commands.command(name="run", description="Run a task now, or preview it with dry_run")
    @app_commands.describe(
        task="The task (start typing its name)",
        dry_run="Only show the message to you; post nothing",
    )
    async def run_command(
        self, interaction: discord.Interaction, task: str, dry_run: bool = False
    ) -> None:
        found = await self.resolve_task(interaction, task)
        if dry_run:
            variant = dry_run_variant(found, self.clock.now())
            embed = build_embed(variant.embed)
            await reply(
                interaction,
                content=f"**Preview of {found.name}** (nothing was posted):\n" + variant.content,
                embeds=[embed] if embed else [],
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        run = await self.control.run_now(found, actor_id=interaction.user.id)
        if run.status == RunStatus.OK:
            embed = discord.Embed(
                title=f"Ran {found.name}",
                colour=OK_COLOUR,
                description="Posted now; its schedule is unchanged.",
            )
        else:
            embed = discord.Embed(
                title=f"Running {found.name} failed",
                colour=0xE74C3C,
                description=(run.error or "unknown error")[:4000],
            )
        await reply(interaction, embed=embed)
