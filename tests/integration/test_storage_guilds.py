"""GuildSettingsRepository contract, against a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from storage import Database, GuildSettings, GuildSettingsRepository, MentionPolicy

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GUILD = 111


@pytest.fixture
def guilds(db: Database) -> GuildSettingsRepository:
    return GuildSettingsRepository(db)


async def test_defaults_without_a_row(guilds: GuildSettingsRepository) -> None:
    settings = await guilds.get(GUILD)
    assert settings == GuildSettings(guild_id=GUILD)
    assert settings.timezone is None and settings.mention_policy == MentionPolicy.CREATOR


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"timezone": "Europe/Berlin"}, {"timezone": "Europe/Berlin"}, id="timezone"),
        pytest.param(
            {"dev_channel_id": 2**62 + 9, "alert_channel_id": 10, "manager_role_id": 11},
            {"dev_channel_id": 2**62 + 9, "alert_channel_id": 10, "manager_role_id": 11},
            id="channels-and-role",
        ),
        pytest.param(
            {"summary_cron": "0 8 * * 1", "summary_channel_id": 12},
            {"summary_cron": "0 8 * * 1", "summary_channel_id": 12},
            id="summary",
        ),
        pytest.param(
            {"mention_policy": "none"}, {"mention_policy": MentionPolicy.NONE}, id="mention-policy"
        ),
    ],
)
async def test_update_upserts(
    guilds: GuildSettingsRepository, changes: dict[str, Any], expected: dict[str, Any]
) -> None:
    updated = await guilds.update(GUILD, T0, **changes)
    assert updated == GuildSettings(guild_id=GUILD, updated_at=T0, **expected)
    assert await guilds.get(GUILD) == updated


async def test_update_keeps_other_settings_and_clear_resets_one(
    guilds: GuildSettingsRepository,
) -> None:
    await guilds.update(
        GUILD, T0, timezone="Asia/Tokyo", dev_channel_id=5, mention_policy=MentionPolicy.NONE
    )
    later = T0 + timedelta(hours=1)
    await guilds.update(GUILD, later, alert_channel_id=6)
    cleared = await guilds.clear(GUILD, "mention_policy", later)
    assert cleared == GuildSettings(
        guild_id=GUILD,
        timezone="Asia/Tokyo",
        dev_channel_id=5,
        alert_channel_id=6,
        updated_at=later,
    )
    cleared = await guilds.clear(GUILD, "timezone", later)
    assert cleared.timezone is None and cleared.dev_channel_id == 5


@pytest.mark.parametrize(
    ("call", "error"),
    [
        pytest.param(lambda g: g.update(GUILD, T0, colour="red"), TypeError, id="unknown"),
        pytest.param(lambda g: g.update(GUILD, T0, left_at=T0), TypeError, id="left-at-via-mark"),
        pytest.param(lambda g: g.clear(GUILD, "nope", T0), TypeError, id="clear-unknown"),
        pytest.param(
            lambda g: g.update(GUILD, T0, mention_policy="all"), ValueError, id="bad-policy"
        ),
        pytest.param(
            lambda g: g.update(GUILD, datetime(2026, 3, 1), timezone="UTC"),
            ValueError,
            id="naive-at",
        ),
    ],
)
async def test_update_refuses(
    guilds: GuildSettingsRepository, call: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await call(guilds)
    assert await guilds.get(GUILD) == GuildSettings(guild_id=GUILD)


async def test_leave_and_return(guilds: GuildSettingsRepository) -> None:
    await guilds.update(GUILD, T0, timezone="Europe/Paris")
    left = await guilds.mark_left(GUILD, T0 + timedelta(days=1))
    assert left.left_at == T0 + timedelta(days=1) and left.timezone == "Europe/Paris"
    await guilds.mark_left(222, T0 + timedelta(days=35))  # a guild that never set anything

    assert await guilds.left_before(T0 + timedelta(days=31)) == [GUILD]
    assert await guilds.left_before(T0 + timedelta(days=40)) == [GUILD, 222]
    assert await guilds.left_before(T0 + timedelta(days=1)) == []

    back = await guilds.mark_returned(GUILD, T0 + timedelta(days=2))
    assert back.left_at is None and back.timezone == "Europe/Paris"
    assert await guilds.left_before(T0 + timedelta(days=40)) == [222]
