"""The zone a task's schedule runs in: its own, else its guild's (cached), else the bot's."""

from __future__ import annotations

from scheduler.planning import schedule_for_task
from scheduler.triggers import Schedule
from storage import GuildSettingsRepository, Task

__all__ = ["TaskZones"]


class TaskZones:
    """Answers `zone_for(task)`; a guild's zone is read once and kept until `forget`."""

    def __init__(self, guilds: GuildSettingsRepository, *, default_timezone: str = "UTC") -> None:
        self._guilds = guilds
        self.default_timezone = default_timezone
        self._guild_zones: dict[int, str] = {}

    async def zone_for(self, task: Task) -> str:
        if task.timezone:
            return task.timezone
        if task.guild_id is None:
            return self.default_timezone
        zone = self._guild_zones.get(task.guild_id)
        if zone is None:
            settings = await self._guilds.get(task.guild_id)
            zone = settings.timezone or self.default_timezone
            self._guild_zones[task.guild_id] = zone
        return zone

    def forget(self, guild_id: int) -> None:
        """The guild's zone changed: read it again next time."""
        self._guild_zones.pop(guild_id, None)

    async def schedule_of(self, task: Task) -> Schedule:
        return schedule_for_task(task, await self.zone_for(task))
