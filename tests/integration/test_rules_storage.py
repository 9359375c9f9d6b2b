"""The rules that read a guild's data: its zone, its task names, its room for more tasks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scheduler.errors import ScheduleError
from scheduler.rules import TaskRules, Zone
from storage import (
    Database,
    GuildSettingsRepository,
    MentionPolicy,
    NewTask,
    TaskKind,
    TaskRepository,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GUILD = 111
Stored = tuple[TaskRules, TaskRepository, GuildSettingsRepository]


@pytest.fixture
async def stored(db: Database) -> Stored:
    tasks, guilds = TaskRepository(db), GuildSettingsRepository(db)
    rules = TaskRules(tasks, guilds, default_timezone="Europe/Berlin", max_tasks_per_guild=2)
    return rules, tasks, guilds


async def add(tasks: TaskRepository, name: str, guild_id: int = GUILD) -> None:
    new = NewTask(name=name, kind=TaskKind.CRON, spec="0 9 * * *", created_at=T0, guild_id=guild_id)
    await tasks.create(new)


async def test_the_zone_is_the_named_one_else_the_guilds_else_the_bots(stored: Stored) -> None:
    rules, _, guilds = stored
    assert await rules.zone(GUILD, "America/New_York") == Zone(
        "America/New_York", "America/New_York"
    )
    assert await rules.zone(GUILD, None) == Zone("Europe/Berlin", None)
    await guilds.update(GUILD, T0, timezone="Asia/Tokyo")
    assert await rules.zone(GUILD, None) == Zone("Asia/Tokyo", None)
    with pytest.raises(ScheduleError):
        await rules.zone(GUILD, "Mars/Olympus")


async def test_a_name_is_unique_in_its_guild(stored: Stored) -> None:
    rules, tasks, _ = stored
    await add(tasks, "standup")
    with pytest.raises(ScheduleError) as info:
        await rules.new_name(GUILD, "  standup ")
    assert str(info.value) == (
        "This server already has a task named “standup”. Pick another name, or change that "
        "task with /schedule edit."
    )
    assert await rules.new_name(GUILD + 1, "standup") == "standup"
    [existing] = await tasks.list_for_guild(GUILD)
    assert await rules.new_name(GUILD, "standup", except_id=existing.id) == "standup"


async def test_a_guild_has_room_for_max_tasks_per_guild(stored: Stored) -> None:
    rules, tasks, _ = stored
    await add(tasks, "one")
    await rules.check_room(GUILD)
    await add(tasks, "two")
    with pytest.raises(ScheduleError) as info:
        await rules.check_room(GUILD)
    assert str(info.value) == (
        "This server has 2 tasks, the most allowed (2). Delete one with /schedule delete, or "
        "ask the bot's operator to raise MAX_TASKS_PER_GUILD."
    )
    await rules.check_room(GUILD + 1)


async def test_the_mention_policy_is_the_guilds(stored: Stored) -> None:
    rules, _, guilds = stored
    assert await rules.mention_policy(GUILD) == MentionPolicy.CREATOR
    await guilds.update(GUILD, T0, mention_policy=MentionPolicy.NONE)
    assert await rules.mention_policy(GUILD) == MentionPolicy.NONE
