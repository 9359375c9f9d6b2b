"""The rulebook: whether a task may be created or changed, whichever door asks.

Slash commands, an import and the web API call these and get the same `ScheduleError`s, with
messages fit to show a user. Discord-free; the checks that need a guild's members and
channels (permissions, mentions) are in `discordside.checks` and use these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from scheduler.errors import ScheduleError
from scheduler.timezones import load_zone
from scheduler.triggers import date_spec, parse_cron, parse_interval, parse_when
from storage import GuildSettingsRepository, MentionPolicy, TaskKind, TaskRepository

__all__ = [
    "MAX_DESTINATIONS",
    "MAX_RUNS",
    "NAME_MAX",
    "WEBHOOK_NAME_MAX",
    "ScheduleChoice",
    "TaskRules",
    "Zone",
    "check_one_schedule",
    "check_webhook_identity",
    "checked_choice",
    "checked_range",
    "clean_name",
    "forbidden_webhook_name",
    "instant_option",
    "is_http_url",
]

NAME_MAX = 100
MAX_RUNS = 1_000_000
MAX_DESTINATIONS = 10
WEBHOOK_NAME_MAX = 80
_HTTP_URL = re.compile(r"https?://\S+")


@dataclass(frozen=True, slots=True)
class Zone:
    """The zone a change works in: `stored` is None when the task follows the guild's."""

    effective: str
    stored: str | None


@dataclass(frozen=True, slots=True)
class ScheduleChoice:
    """A schedule read from what a user typed: what the task stores."""

    kind: TaskKind
    spec: str
    start_at: datetime | None = None
    end_at: datetime | None = None


class TaskRules:
    """The rules that read the guild's data (names, room, zone) and the bot's settings."""

    def __init__(
        self,
        tasks: TaskRepository,
        guilds: GuildSettingsRepository,
        *,
        default_timezone: str = "UTC",
        max_tasks_per_guild: int = 200,
        min_interval_seconds: int = 60,
    ) -> None:
        self._tasks = tasks
        self._guilds = guilds
        self.default_timezone = default_timezone
        self.max_tasks_per_guild = max_tasks_per_guild
        self.min_interval_seconds = min_interval_seconds

    # ------------------------------------------------------------------ guild-wide

    async def zone(self, guild_id: int, name: str | None) -> Zone:
        """The zone named (an IANA name zoneinfo can load), else the guild's."""
        if name:
            key = load_zone(name).key
            return Zone(effective=key, stored=key)
        settings = await self._guilds.get(guild_id)
        return Zone(effective=settings.timezone or self.default_timezone, stored=None)

    async def new_name(self, guild_id: int, name: str, *, except_id: int | None = None) -> str:
        """A cleaned name no other task of the guild has."""
        cleaned = clean_name(name)
        existing = await self._tasks.get_by_name(guild_id, cleaned)
        if existing is not None and existing.id != except_id:
            raise ScheduleError(
                f"This server already has a task named “{existing.name}”. Pick another name, "
                "or change that task with /schedule edit."
            )
        return cleaned

    async def check_room(self, guild_id: int) -> None:
        """A guild has at most MAX_TASKS_PER_GUILD tasks."""
        limit = self.max_tasks_per_guild
        count = await self._tasks.count_for_guild(guild_id)
        if count >= limit:
            raise ScheduleError(
                f"This server has {count} tasks, the most allowed ({limit}). Delete one with "
                "/schedule delete, or ask the bot's operator to raise MAX_TASKS_PER_GUILD."
            )

    async def mention_policy(self, guild_id: int) -> MentionPolicy:
        """Whether the guild lets tasks mention @everyone, @here and roles at all."""
        return (await self._guilds.get(guild_id)).mention_policy

    # ------------------------------------------------------------------ schedules

    def cron(self, text: str, zone: str, *, end_at: datetime | None = None) -> ScheduleChoice:
        spec = parse_cron(text, zone, end=end_at).spec
        return ScheduleChoice(TaskKind.CRON, spec, end_at=end_at)

    def once(self, text: str, zone: str, *, now: datetime) -> ScheduleChoice:
        return ScheduleChoice(TaskKind.DATE, date_spec(parse_when(text, zone, now=now)))

    def every(
        self,
        text: str,
        zone: str,
        *,
        now: datetime,
        start_at: datetime | None = None,
        end_at: datetime | None = None,
    ) -> ScheduleChoice:
        """An interval (never below MIN_INTERVAL_SECONDS); `start_at` None: one interval from
        now."""
        if start_at and end_at and end_at <= start_at:
            raise ScheduleError(
                "end must come after start.", example="start: tomorrow 9am  end: 2027-06-30 18:00"
            )
        schedule = parse_interval(
            text,
            zone,
            anchor=now,
            start=start_at,
            end=end_at,
            min_seconds=self.min_interval_seconds,
        )
        return ScheduleChoice(TaskKind.INTERVAL, schedule.spec, start_at=start_at, end_at=end_at)

    def new_schedule(
        self,
        *,
        cron: str | None,
        when: str | None,
        interval: str | None,
        zone: str,
        now: datetime,
        end_at: datetime | None,
    ) -> ScheduleChoice | None:
        """An edit's new schedule: at most one of cron, when and interval (None: none given)."""
        check_one_schedule(cron, when, interval)
        if cron is not None:
            return self.cron(cron, zone, end_at=end_at)
        if when is not None:
            return self.once(when, zone, now=now)
        if interval is not None:
            return self.every(interval, zone, now=now, end_at=end_at)
        return None


def check_one_schedule(cron: str | None, when: str | None, interval: str | None) -> None:
    """A change names at most one new schedule."""
    if len([v for v in (cron, when, interval) if v is not None]) > 1:
        raise ScheduleError(
            "Give only one of cron, when and interval.", example="cron: 0 9 * * 1-5"
        )


def instant_option(text: str | None, zone: str, what: str, *, now: datetime) -> datetime | None:
    """A `start` or `end` option read in `zone`; its error names the option."""
    if not text:
        return None
    try:
        return parse_when(text, zone, now=now)
    except ScheduleError as exc:
        raise ScheduleError(f"{what}: {exc.message}", example=exc.example) from None


def clean_name(name: str) -> str:
    """A task's name with its spaces tidied: 1 to 100 characters."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ScheduleError("The task needs a name.", example="name: morning-news")
    if len(cleaned) > NAME_MAX:
        raise ScheduleError(
            f"Task names have at most {NAME_MAX} characters; this one has {len(cleaned)}."
        )
    return cleaned


def checked_choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    """A form offers only the listed choices, but a crafted request can send anything."""
    if value not in allowed:
        raise ScheduleError(
            f"{option} must be one of {', '.join(allowed)}, not “{value[:40]}”.",
            example=f"{option}: {allowed[0]}",
        )
    return value


def checked_range(value: int, low: int, high: int, option: str) -> int:
    """A form keeps numbers within an option's range, but a crafted request can send any."""
    if not low <= value <= high:
        raise ScheduleError(
            f"{option} must be between {low:,} and {high:,}.", example=f"{option}: {low}"
        )
    return value


def is_http_url(text: str) -> bool:
    """An http:// or https:// URL without spaces."""
    return _HTTP_URL.fullmatch(text) is not None


def forbidden_webhook_name(name: str) -> bool:
    """Discord refuses webhook names containing “discord” or “clyde”."""
    lowered = name.lower()
    return "discord" in lowered or "clyde" in lowered


def check_webhook_identity(name: str, avatar_url: str) -> None:
    """A webhook identity a member typed: Discord's name rule, an http(s) avatar."""
    if avatar_url and not re.match(r"^https?://\S+$", avatar_url):
        raise ScheduleError(
            "The avatar URL must start with http:// or https://.",
            example="https://example.com/avatar.png",
        )
    if forbidden_webhook_name(name):
        raise ScheduleError(
            "Discord does not allow webhook names containing “discord” or "
            "“clyde”. Pick another name."
        )
