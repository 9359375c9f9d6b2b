"""GuildSettingsRepository.with_summary: the guilds whose daily overview is on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage import Database, GuildSettingsRepository

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def guilds(db: Database) -> GuildSettingsRepository:
    return GuildSettingsRepository(db)


async def test_empty_without_guilds(guilds: GuildSettingsRepository) -> None:
    assert await guilds.with_summary() == []


async def test_only_guilds_with_a_summary_cron_that_the_bot_is_in(
    guilds: GuildSettingsRepository,
) -> None:
    await guilds.update(30, T0, summary_cron="0 9 * * *", summary_channel_id=7)
    await guilds.update(10, T0, summary_cron="@hourly")
    await guilds.update(20, T0, timezone="Europe/Berlin", dev_channel_id=5)  # no overview
    await guilds.update(40, T0, summary_cron="0 8 * * 1")
    await guilds.mark_left(40, T0)  # left: its overview stops
    found = await guilds.with_summary()
    assert [(s.guild_id, s.summary_cron, s.summary_channel_id) for s in found] == [
        (10, "@hourly", None),
        (30, "0 9 * * *", 7),
    ]
    assert found[1] == await guilds.get(30)


async def test_cleared_and_returned_guilds(guilds: GuildSettingsRepository) -> None:
    await guilds.update(10, T0, summary_cron="@daily")
    await guilds.update(20, T0, summary_cron="@daily")
    await guilds.mark_left(20, T0)
    await guilds.clear(10, "summary_cron", T0)
    assert await guilds.with_summary() == []
    await guilds.mark_returned(20, T0)
    assert [s.guild_id for s in await guilds.with_summary()] == [20]
