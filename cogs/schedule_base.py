"""Shared by the /schedule commands: resolving tasks and zones, checking channels, replying
with a task's embed, and autocomplete."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from cogs.common import ensure_manager
from cogs.render import task_embed
from discordside.checks import Postable, check_channel
from scheduler.clock import Clock
from scheduler.control import TaskControl
from scheduler.errors import ScheduleError
from scheduler.planning import schedule_for_task, upcoming_runs
from scheduler.rules import TaskRules, Zone, instant_option
from scheduler.timezones import zone_suggestions
from scheduler.zones import TaskZones
from storage import (
    AuditRepository,
    ChannelDestination,
    RunRepository,
    Task,
    TaskNotFoundError,
    TaskRepository,
    ThreadDestination,
)

if TYPE_CHECKING:
    from cogs.bot import CadenceBot

Destination = Postable
# A task's number: ASCII digits only ("²".isdigit() is true too), and small enough for SQLite.
_TASK_NUMBER = re.compile(r"[0-9]{1,18}")


class ScheduleBase(commands.Cog):
    """Helpers for the command mixins (each a Cog, so discord.py collects their commands);
    the concrete cog sets its collaborators."""

    bot: CadenceBot
    tasks: TaskRepository
    runs: RunRepository
    audit: AuditRepository
    control: TaskControl
    rules: TaskRules
    zones: TaskZones
    clock: Clock

    # ------------------------------------------------------------------ lookups

    async def resolve_task(self, interaction: discord.Interaction, value: str) -> Task:
        """This guild's task by name (or id); another guild's task is simply not found."""
        guild_id = _guild_id(interaction)
        task = await self.tasks.get_by_name(guild_id, value.strip())
        if task is None and _TASK_NUMBER.fullmatch(value.strip()):
            task = await self.tasks.get_for_guild(guild_id, int(value.strip()))
        if task is None:
            raise ScheduleError(
                f"No task named “{value[:100]}” in this server. Start typing in the task "
                "option to pick one from the list, or see /schedule list."
            )
        return task

    async def refreshed(self, task: Task) -> Task:
        fresh = await self.tasks.get(task.id)
        if fresh is None:
            raise TaskNotFoundError(task.id)
        return fresh

    async def zone_for(self, interaction: discord.Interaction, name: str | None) -> Zone:
        return await self.rules.zone(_guild_id(interaction), name)

    def parse_instant(self, text: str | None, zone: str, what: str) -> datetime | None:
        return instant_option(text, zone, what, now=self.clock.now())

    # ------------------------------------------------------------------ checks

    async def check_new_name(
        self, interaction: discord.Interaction, name: str, *, except_id: int | None = None
    ) -> str:
        return await self.rules.new_name(_guild_id(interaction), name, except_id=except_id)

    async def check_room(self, interaction: discord.Interaction) -> None:
        await self.rules.check_room(_guild_id(interaction))

    def check_channel(
        self, interaction: discord.Interaction, channel: Destination, *, embed: bool
    ) -> ChannelDestination | ThreadDestination:
        """The bot must be able to post (and embed) there; returns the stored destination."""
        assert interaction.guild is not None
        return check_channel(interaction.guild, channel, embed=embed)

    # ------------------------------------------------------------------ replies

    async def describe(self, task: Task) -> tuple[str, str, list[datetime]]:
        """(readable schedule, effective zone, next runs) of a stored task."""
        zone = await self.zones.zone_for(task)
        schedule = schedule_for_task(task, zone)
        return schedule.describe(), zone, upcoming_runs(task, zone, 3)

    async def task_reply(self, task: Task, heading: str) -> discord.Embed:
        text, zone, upcoming = await self.describe(task)
        return task_embed(task, heading=heading, schedule_text=text, zone=zone, upcoming=upcoming)

    # ------------------------------------------------------------------ autocomplete

    async def task_names(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            await ensure_manager(interaction)
        except app_commands.CheckFailure:
            return []
        names = await self.tasks.search_names(_guild_id(interaction), current, 25)
        return [app_commands.Choice(name=n[:100], value=n[:100]) for n in names]

    async def zone_names(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in zone_suggestions(current, 25)]


def _guild_id(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise ScheduleError("Cadence's commands work in servers, not in direct messages.")
    return interaction.guild_id
