"""Who posts what (docs/SCALING.md) with two engines on one real PostgreSQL: each claims its
own shard's guild at once and leaves the other's, which it takes only once that run is
`CLAIM_FALLBACK_MS` late (a stuck or absent neighbour never holds a post back)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from scheduler.clock import FakeClock
from scheduler.engine import CLAIM_FALLBACK_MS, EngineConfig
from storage import RunStatus
from tests.integration.engine_harness import GUILD, OTHER_GUILD, START, Harness
from tests.postgres_server import fresh_database

DUE = START.replace(hour=9, minute=0, second=0)


@pytest.fixture
async def pair() -> AsyncIterator[tuple[Harness, Harness, FakeClock]]:
    async with fresh_database() as url:
        clock = FakeClock(START)
        a = Harness(target=url, clock=clock, config=EngineConfig(process_id="A"))
        b = Harness(target=url, clock=clock, config=EngineConfig(process_id="B"))
        await a.open()
        await b.open()
        try:
            yield a, b, clock
        finally:
            await a.close()
            await b.close()


async def test_each_engine_claims_its_own_guilds_first_and_the_others_when_late(
    pair: tuple[Harness, Harness, FakeClock],
) -> None:
    a, b, clock = pair
    mine_a = [await a.add(f"a{i}", "cron", "0 9 * * *", guild_id=GUILD) for i in range(5)]
    mine_b = [await a.add(f"b{i}", "cron", "0 9 * * *", guild_id=OTHER_GUILD) for i in range(5)]
    await a.start()
    await b.start()
    assert a.engine is not None and b.engine is not None
    a.engine.prefers = lambda guild_id: guild_id == GUILD
    b.engine.prefers = lambda guild_id: guild_id == OTHER_GUILD
    clock.set(DUE)
    # B wakes first (and polls): it leaves A's guild alone, on time.
    await b.engine.tick()
    await b.engine.poll_due()
    await b.engine.drain()
    assert {d.task_id for d in b.deliverer.posts} == {t.id for t in mine_b}
    # A is stuck: once A's runs are late past the fallback, B's poll takes them.
    clock.advance(seconds=CLAIM_FALLBACK_MS / 1000 - 0.5)
    await b.engine.poll_due()
    await b.engine.drain()
    assert len(b.deliverer.posts) == len(mine_b)
    clock.advance(seconds=1)
    await b.engine.poll_due()
    await b.engine.drain()
    assert {d.task_id for d in b.deliverer.posts} == {t.id for t in mine_a + mine_b}
    for task in mine_a:
        [run] = await b.engine.runs.list_for_task(task.id)
        assert (run.status, run.claimed_by) == (RunStatus.OK, "B")
    assert a.deliverer.posts == []
    assert clock.now() - DUE < timedelta(seconds=3)


async def test_without_a_preference_every_engine_claims_everything(
    pair: tuple[Harness, Harness, FakeClock],
) -> None:
    a, b, clock = pair
    tasks = [await a.add(f"t{i}", "cron", "0 9 * * *", guild_id=GUILD) for i in range(3)]
    await b.start()
    assert b.engine is not None and b.engine.prefers is None
    clock.set(DUE)
    await b.engine.tick()
    await b.engine.drain()
    assert {d.task_id for d in b.deliverer.posts} == {t.id for t in tasks}
