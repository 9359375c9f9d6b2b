"""SHARD_COUNT=2 in one process on SQLite: an AutoShardedBot that connects both shards, caches
the guilds of each, and answers slash commands in a guild of either shard."""

from __future__ import annotations

import pytest

from cogs.bot import ShardedCadenceBot
from tests.commands.harness import App, Scene, build_scene, final_answer, text_of


@pytest.fixture
def scene() -> Scene:
    """The usual scene, plus a guild on the shard the main guild is not on."""
    built = build_scene()
    other_shard = 1 - (built.guild.id >> 22) % 2
    far = built.world.add_guild("Far shard", owner="far-owner", shard=(other_shard, 2))
    far.add_channel("general")
    return built


@pytest.mark.parametrize("app_settings", [{"SHARD_COUNT": "2"}])
async def test_one_process_connects_both_shards_and_answers_in_each(app: App) -> None:
    bot, fd = app.bot, app.fd
    assert isinstance(bot, ShardedCadenceBot)
    assert sorted(bot.shards) == [0, 1] and bot.process_group is None  # SQLite: no group
    assert sorted(s.shard for s in fd.gateway.live_sessions()) == [(0, 2), (1, 2)]
    guilds = list(fd.world.visible_guilds())
    assert {(g.id >> 22) % 2 for g in guilds} == {0, 1}
    assert {g.id for g in bot.guilds} == {g.id for g in guilds}
    for guild in guilds:
        handle = await fd.slash(guild, guild.owner_id, "scheduler status")
        text = text_of(await final_answer(handle))
        assert "Cadence status" in text and "Processes" not in text
