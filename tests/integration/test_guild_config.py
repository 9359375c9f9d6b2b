"""GuildConfig: guild settings, tasks moving with the guild's zone, and the overview's timing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.errors import ScheduleError
from scheduler.guild_config import GuildConfig, summary_due
from storage import MentionPolicy, Task
from tests.integration.engine_harness import (
    ADMIN,
    GUILD,
    OTHER_GUILD,
    START,
    Harness,
    guild_config,
)

BERLIN = "Europe/Berlin"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def service(h: Harness) -> GuildConfig:
    assert h.engine is not None
    assert h.db is not None
    return guild_config(h.engine, h.db)


async def stored(h: Harness, task: Task) -> Task:
    assert h.engine is not None
    fresh = await h.engine.tasks.get(task.id)
    assert fresh is not None
    return fresh


# --------------------------------------------------------------------------- zones


async def test_guild_zone_change_moves_the_tasks_that_follow_it(harness: Harness) -> None:
    follows = await harness.add("follows", "cron", "0 9 * * *", timezone=None)
    own = await harness.add("own-zone", "cron", "0 9 * * *", timezone="UTC")
    assert follows.next_run_at == own.next_run_at == utc(2026, 11, 2, 9, 0)
    await harness.start()
    engine = harness.engine
    assert engine is not None

    result = await service(harness).set_timezone(GUILD, BERLIN, ADMIN)

    # 09:00 in Berlin (CET, UTC+1) is 08:00 UTC; today's has passed (it is 08:59:30 UTC).
    assert [t.id for t in result.moved] == [follows.id]
    assert (await stored(harness, follows)).next_run_at == utc(2026, 11, 3, 8, 0)
    assert (await stored(harness, own)).next_run_at == utc(2026, 11, 2, 9, 0)
    assert (await engine.guilds.get(GUILD)).timezone == BERLIN
    assert await engine.zones.zone_for(await stored(harness, follows)) == BERLIN
    [entry] = await engine.audit.for_guild(GUILD, limit=1)
    assert (entry.action, entry.actor_id, entry.task_id) == ("config", ADMIN, None)
    assert entry.detail == {"timezone": {"from": None, "to": BERLIN}, "moved_tasks": 1}

    # The engine fires each at its new instant: own-zone at 09:00 UTC, the other not (its
    # old index entry is stale and ignored).
    await harness.tick(seconds=30)
    assert [p.task_id for p in harness.deliverer.posts] == [own.id]
    harness.clock.set(utc(2026, 11, 3, 7, 59, 59))
    await harness.tick()
    assert [p.task_id for p in harness.deliverer.posts] == [own.id]
    await harness.tick(seconds=1)  # 08:00 UTC = 09:00 Berlin
    assert [p.task_id for p in harness.deliverer.posts] == [own.id, follows.id]
    assert harness.deliverer.posts[-1].scheduled_for == utc(2026, 11, 3, 8, 0)


async def test_zone_change_keeps_local_times_and_leaves_instants_alone(harness: Harness) -> None:
    calendar = await harness.add(
        "daily-interval", "interval", "1d", timezone=None, start_at=utc(2026, 11, 2, 12, 0)
    )
    elapsed = await harness.add("every-90m", "interval", "90m", timezone=None)
    once = await harness.add("once", "date", "2026-11-05T10:00:00Z", timezone=None)
    paused = await harness.add("paused", "cron", "0 9 * * *", timezone=None)
    elsewhere = await harness.add(
        "elsewhere", "cron", "0 9 * * *", guild_id=OTHER_GUILD, timezone=None
    )
    assert harness.control is not None
    await harness.control.pause(paused, actor_id=ADMIN)
    before = {t.id: await stored(harness, t) for t in (elapsed, once, paused, elsewhere)}

    result = await service(harness).set_timezone(GUILD, BERLIN, ADMIN)

    moved = await stored(harness, calendar)
    # "Every day at 12:00" stays at 12:00, now Berlin's: 11:00 UTC.
    assert moved.start_at == utc(2026, 11, 2, 11, 0)
    assert moved.next_run_at == utc(2026, 11, 2, 11, 0)
    assert {t.id for t in result.moved} == {calendar.id}
    for old in before.values():
        new = await stored(harness, old)
        assert (new.next_run_at, new.start_at, new.status) == (
            old.next_run_at,
            old.start_at,
            old.status,
        ), old.name
    # Resuming later plans the paused task in the new zone.
    resumed = await harness.control.resume(await stored(harness, paused), actor_id=ADMIN)
    assert resumed.next_run_at == utc(2026, 11, 3, 8, 0)


async def test_clearing_the_zone_moves_tasks_back_to_the_default(harness: Harness) -> None:
    follows = await harness.add("follows", "cron", "0 9 * * *", timezone=None)
    config = service(harness)
    await config.set_timezone(GUILD, BERLIN, ADMIN)
    assert (await stored(harness, follows)).next_run_at == utc(2026, 11, 3, 8, 0)

    result = await config.set_timezone(GUILD, None, ADMIN)

    assert result.changed == {"timezone": (BERLIN, None)}
    assert (await stored(harness, follows)).next_run_at == utc(2026, 11, 2, 9, 0)
    assert (await config.get(GUILD)).timezone is None


async def test_a_task_already_due_is_left_to_the_engine(harness: Harness) -> None:
    follows = await harness.add("follows", "cron", "0 9 * * *", timezone=None)
    await harness.start()
    harness.clock.set(utc(2026, 11, 2, 9, 0, 0))  # due, not yet fired
    result = await service(harness).set_timezone(GUILD, BERLIN, ADMIN)
    assert result.moved == ()
    await harness.tick()
    assert [p.task_id for p in harness.deliverer.posts] == [follows.id]
    # After that run, the next one is planned in the new zone.
    assert (await stored(harness, follows)).next_run_at == utc(2026, 11, 3, 8, 0)


@pytest.mark.parametrize(
    ("changes", "clear", "message", "example"),
    [
        pytest.param({"timezone": "Mars/Base"}, [], "Unknown timezone", BERLIN, id="zone"),
        pytest.param(
            {"timezone": BERLIN, "summary_cron": "every morning"},
            [],
            "summary_cron:",
            "0 9 * * 1-5",
            id="bad-cron-with-a-good-zone",
        ),
        pytest.param({"summary_cron": "61 9 * * *"}, [], "summary_cron:", "0 9 * * 1-5", id="cron"),
        pytest.param({"mention_policy": "all"}, [], "mention_policy", "none", id="policy"),
        pytest.param({"timezone": BERLIN}, ["timezone"], "both set and cleared", None, id="both"),
    ],
)
async def test_invalid_values_write_nothing(
    harness: Harness,
    changes: dict[str, str],
    clear: list[str],
    message: str,
    example: str | None,
) -> None:
    follows = await harness.add("follows", "cron", "0 9 * * *", timezone=None)
    assert harness.engine is not None
    config = service(harness)
    with pytest.raises(ScheduleError) as caught:
        await config.update(GUILD, changes, clear=clear, actor_id=ADMIN)
    assert message in caught.value.message
    assert caught.value.example == example
    assert (await config.get(GUILD)).updated_at is None  # no row written
    assert [e for e in await harness.engine.audit.for_guild(GUILD) if e.action == "config"] == []
    assert await stored(harness, follows) == follows


async def test_unknown_setting_is_a_type_error(harness: Harness) -> None:
    with pytest.raises(TypeError):
        await service(harness).update(GUILD, {"colour": "red"}, actor_id=ADMIN)


async def test_settings_set_cleared_and_audited(harness: Harness) -> None:
    assert harness.engine is not None
    config = service(harness)
    result = await config.update(
        GUILD,
        {"dev_channel_id": 5, "mention_policy": "none", "manager_role_id": 7},
        actor_id=ADMIN,
    )
    assert result.after.dev_channel_id == 5 and result.after.manager_role_id == 7
    assert result.after.mention_policy == MentionPolicy.NONE
    again = await config.update(GUILD, {"dev_channel_id": 5}, actor_id=ADMIN)
    assert again.changed == {}  # no change, no audit row
    cleared = await config.update(GUILD, {}, clear=["mention_policy"], actor_id=ADMIN)
    assert cleared.after.mention_policy == MentionPolicy.CREATOR
    details = [
        e.detail for e in await harness.engine.audit.for_guild(GUILD) if e.action == "config"
    ]
    assert details == [
        {"mention_policy": {"from": "none", "to": "creator"}},
        {
            "dev_channel_id": {"from": None, "to": 5},
            "mention_policy": {"from": "creator", "to": "none"},
            "manager_role_id": {"from": None, "to": 7},
        },
    ]


# --------------------------------------------------------------------------- overview timing

DAILY = "0 9 * * *"


@pytest.mark.parametrize(
    ("cron", "zone", "last", "now", "expected"),
    [
        pytest.param(DAILY, "UTC", None, utc(2026, 11, 2, 9), None, id="nothing-remembered"),
        pytest.param(
            DAILY, "UTC", utc(2026, 11, 1, 9), utc(2026, 11, 2, 8, 59, 59), None, id="before"
        ),
        pytest.param(
            DAILY, "UTC", utc(2026, 11, 1, 9), utc(2026, 11, 2, 9), utc(2026, 11, 2, 9), id="at"
        ),
        pytest.param(
            DAILY,
            "UTC",
            utc(2026, 11, 1, 9),
            utc(2026, 11, 2, 9, 0, 25),
            utc(2026, 11, 2, 9),
            id="just-after",
        ),
        pytest.param(
            DAILY, "UTC", utc(2026, 11, 2, 9), utc(2026, 11, 2, 15), None, id="posted-already"
        ),
        pytest.param(
            DAILY,
            "UTC",
            utc(2026, 10, 27, 9),
            utc(2026, 11, 2, 12),
            utc(2026, 11, 2, 9),
            id="down-for-days-latest-only",
        ),
        pytest.param(
            DAILY,
            BERLIN,
            utc(2026, 11, 1, 8),
            utc(2026, 11, 2, 8, 30),
            utc(2026, 11, 2, 8),
            id="guild-zone",
        ),
        pytest.param(
            "* * * * *",
            "UTC",
            utc(2026, 10, 26, 0),
            utc(2026, 11, 2, 10, 17, 42),
            utc(2026, 11, 2, 10, 17),
            id="every-minute-after-a-week",
        ),
        pytest.param(
            "@yearly", "UTC", utc(2025, 1, 1), utc(2026, 11, 2), utc(2026, 1, 1), id="yearly"
        ),
        pytest.param(
            "30 2 * * *",
            "America/New_York",
            utc(2027, 3, 13, 7, 30),
            utc(2027, 3, 14, 7, 0),
            utc(2027, 3, 14, 7, 0),
            id="spring-gap-fires-at-03:00",
        ),
        pytest.param(
            DAILY, "UTC", utc(2026, 11, 3, 9), utc(2026, 11, 2, 9), None, id="last-in-future"
        ),
    ],
)
def test_summary_due(
    cron: str, zone: str, last: datetime | None, now: datetime, expected: datetime | None
) -> None:
    assert summary_due(cron, zone, last, now) == expected


def test_summary_due_refuses_a_bad_cron() -> None:
    with pytest.raises(ScheduleError):
        summary_due("nope", "UTC", utc(2026, 1, 1), utc(2026, 1, 2))


async def test_setting_a_summary_starts_from_now(harness: Harness) -> None:
    config = service(harness)
    await config.update(GUILD, {"summary_cron": "@hourly"}, actor_id=ADMIN)
    assert await config.last_summary(GUILD) == START
    assert (await config.get(GUILD)).summary_cron == "0 * * * *"
    assert await config.due_summaries(START + timedelta(seconds=29)) == []
    [(settings, fire)] = await config.due_summaries(START + timedelta(seconds=31))
    assert (settings.guild_id, fire) == (GUILD, utc(2026, 11, 2, 9))
    await config.remember_summary(GUILD, fire)
    assert await config.due_summaries(START + timedelta(minutes=30)) == []

    await config.update(GUILD, {}, clear=["summary_cron"], actor_id=ADMIN)
    assert await config.last_summary(GUILD) is None
    assert await config.due_summaries(START + timedelta(hours=5)) == []


async def test_a_zone_change_does_not_post_a_past_fire_time(harness: Harness) -> None:
    config = service(harness)
    await config.update(GUILD, {"summary_cron": "30 9 * * *"}, actor_id=ADMIN)
    harness.clock.advance(minutes=1)  # 09:00:30 UTC = 10:00:30 Berlin, past 09:30 Berlin
    await config.set_timezone(GUILD, BERLIN, ADMIN)
    assert await config.due_summaries(harness.clock.now()) == []
    [(_, fire)] = await config.due_summaries(utc(2026, 11, 3, 8, 30))
    assert fire == utc(2026, 11, 3, 8, 30)


async def test_due_summaries_remembers_a_start_and_skips_left_guilds(harness: Harness) -> None:
    assert harness.engine is not None
    config = service(harness)
    # Written without the service (e.g. by an older version): nothing remembered yet.
    await harness.engine.guilds.update(GUILD, START, summary_cron="* * * * *")
    await harness.engine.guilds.update(OTHER_GUILD, START, summary_cron="* * * * *")
    await harness.engine.guilds.mark_left(OTHER_GUILD, START)
    assert await config.due_summaries(START) == []
    assert await config.last_summary(GUILD) == START
    later = START + timedelta(minutes=1)
    assert [(s.guild_id, f) for s, f in await config.due_summaries(later)] == [
        (GUILD, utc(2026, 11, 2, 9))
    ]
    assert await config.last_summary(OTHER_GUILD) is None
