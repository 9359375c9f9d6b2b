"""Shared by the /schedule commands: resolving tasks and zones, checking channels, replying
with a task's embed, and autocomplete."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from cogs.common import ensure_manager
from cogs.messages import MessageDraft
from cogs.render import task_embed
from scheduler.errors import ScheduleError
from scheduler.planning import schedule_for_task
from scheduler.timezones import load_zone, zone_suggestions
from scheduler.triggers import parse_when
from storage import Task, TaskNotFoundError

if TYPE_CHECKING:
    from cogs.bot import CadenceBot

Destination = discord.TextChannel | discord.Thread
# A task's number: ASCII digits only ("²".isdigit() is true too), and small enough for SQLite.
_TASK_NUMBER = re.compile(r"[0-9]{1,18}")
MAX_RUNS = 1_000_000


@dataclass(frozen=True, slots=True)
class Zone:
    """The zone a command works in: `stored` is None when the task follows the guild's."""

    effective: str
    stored: str | None


class ScheduleBase(commands.Cog):
    """Helpers for the command mixins (each a Cog, so discord.py collects their commands);
    the concrete cog sets `bot`."""

    bot: CadenceBot

    # ------------------------------------------------------------------ lookups

    async def resolve_task(self, interaction: discord.Interaction, value: str) -> Task:
        """This guild's task by name (or id); another guild's task is simply not found."""
        guild_id = _guild_id(interaction)
        tasks = self.bot.engine.tasks
        task = await tasks.get_by_name(guild_id, value.strip())
        if task is None and _TASK_NUMBER.fullmatch(value.strip()):
            task = await tasks.get_for_guild(guild_id, int(value.strip()))
        if task is None:
            raise ScheduleError(
                f"No task named “{value[:100]}” in this server. Start typing in the task "
                "option to pick one from the list, or see /schedule list."
            )
        return task

    async def refreshed(self, task: Task) -> Task:
        fresh = await self.bot.engine.tasks.get(task.id)
        if fresh is None:
            raise TaskNotFoundError(task.id)
        return fresh

    async def zone_for(self, interaction: discord.Interaction, name: str | None) -> Zone:
        if name:
            key = load_zone(name).key
            return Zone(effective=key, stored=key)
        settings = await self.bot.engine.guilds.get(_guild_id(interaction))
        return Zone(effective=settings.timezone or self.bot.settings.default_timezone, stored=None)

    def parse_instant(self, text: str | None, zone: str, what: str) -> datetime | None:
        if not text:
            return None
        try:
            return parse_when(text, zone, now=self.bot.engine.clock.now())
        except ScheduleError as exc:
            raise ScheduleError(f"{what}: {exc.message}", example=exc.example) from None

    # ------------------------------------------------------------------ checks

    def check_name(self, name: str) -> str:
        cleaned = " ".join(name.split())
        if not cleaned:
            raise ScheduleError("The task needs a name.", example="name: morning-news")
        if len(cleaned) > 100:
            raise ScheduleError(
                f"Task names have at most 100 characters; this one has {len(cleaned)}."
            )
        return cleaned

    async def check_new_name(
        self, interaction: discord.Interaction, name: str, *, except_id: int | None = None
    ) -> str:
        cleaned = self.check_name(name)
        existing = await self.bot.engine.tasks.get_by_name(_guild_id(interaction), cleaned)
        if existing is not None and existing.id != except_id:
            raise ScheduleError(
                f"This server already has a task named “{existing.name}”. Pick another name, "
                "or change that task with /schedule edit."
            )
        return cleaned

    async def check_room(self, interaction: discord.Interaction) -> None:
        limit = self.bot.settings.max_tasks_per_guild
        count = await self.bot.engine.tasks.count_for_guild(_guild_id(interaction))
        if count >= limit:
            raise ScheduleError(
                f"This server has {count} tasks, the most allowed ({limit}). Delete one with "
                "/schedule delete, or ask the bot's operator to raise MAX_TASKS_PER_GUILD."
            )

    def check_channel(
        self, interaction: discord.Interaction, channel: Destination, *, embed: bool
    ) -> dict[str, Any]:
        """The bot must be able to post (and embed) there; returns the stored destination."""
        guild = interaction.guild
        assert guild is not None
        resolved = guild.get_channel_or_thread(channel.id) or channel
        me = guild.me
        perms = resolved.permissions_for(me)
        missing = []
        if not perms.view_channel:
            missing.append("View Channel")
        is_thread = isinstance(resolved, discord.Thread)
        if not (perms.send_messages_in_threads if is_thread else perms.send_messages):
            missing.append("Send Messages in Threads" if is_thread else "Send Messages")
        if embed and not perms.embed_links:
            missing.append("Embed Links")
        if missing:
            raise ScheduleError(
                f"I can't post in {resolved.mention}: I'm missing {', '.join(missing)} there. "
                "Give me those permissions in the channel settings, or pick another channel."
            )
        if is_thread:
            parent = getattr(resolved, "parent_id", None)
            return {"type": "thread", "channel_id": parent or resolved.id, "thread_id": resolved.id}
        return {"type": "channel", "channel_id": resolved.id}

    # ------------------------------------------------------------------ replies

    async def describe(self, task: Task) -> tuple[str, str, list[datetime]]:
        """(readable schedule, effective zone, next runs) of a stored task."""
        zone = await self.bot.engine.zone_for(task)
        schedule = schedule_for_task(task, zone)
        upcoming: list[datetime] = []
        if task.next_run_at is not None and task.status == "active":
            upcoming = [task.next_run_at, *schedule.upcoming(task.next_run_at, 2)]
        return schedule.describe(), zone, upcoming

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
        names = await self.bot.engine.tasks.search_names(_guild_id(interaction), current, 25)
        return [app_commands.Choice(name=n[:100], value=n[:100]) for n in names]

    async def zone_names(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in zone_suggestions(current, 25)]


def checked_choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    """Discord offers only the listed choices, but a crafted interaction can send anything."""
    if value not in allowed:
        raise ScheduleError(
            f"{option} must be one of {', '.join(allowed)}, not “{value[:40]}”.",
            example=f"{option}: {allowed[0]}",
        )
    return value


def checked_range(value: int, low: int, high: int, option: str) -> int:
    """Discord keeps numbers within an option's range, but a crafted interaction can send any."""
    if not low <= value <= high:
        raise ScheduleError(
            f"{option} must be between {low:,} and {high:,}.", example=f"{option}: {low}"
        )
    return value


def draft_needs_embed(draft: MessageDraft | None) -> bool:
    return draft is not None and draft.has_embed


def _guild_id(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise ScheduleError("Cadence's commands work in servers, not in direct messages.")
    return interaction.guild_id
