"""The process group over a real database (both backends): heartbeats, who is live, each
process's share of the 50 requests/s, and IDENTIFY slots reserved for the whole group."""

from __future__ import annotations

import asyncio
import itertools
import logging
import subprocess
from datetime import timedelta

import pytest

from scheduler.clock import FakeClock
from scheduler.process_group import IDENTIFY_SPACING, ProcessGroup, share_of
from storage import Database, ProcessRepository
from tests.integration.engine_harness import START


def _group(db: Database, clock: FakeClock, name: str, shards: tuple[int, ...]) -> ProcessGroup:
    return ProcessGroup(
        ProcessRepository(db), clock, shard_ids=shards, shard_count=6, process_id=name
    )


def test_shares_divide_fifty_and_never_drop_to_nothing() -> None:
    assert [share_of(n) for n in (1, 2, 3, 4, 7, 50, 80)] == [50, 25, 16, 12, 7, 1, 1]
    assert [share_of(3, rank=r) for r in range(3)] == [17, 17, 16]  # the remainder by rank
    for live in range(1, 51):
        assert sum(share_of(live, rank=r) for r in range(live)) == 50, live


def test_a_share_never_rises_on_a_join_nor_falls_on_a_leave() -> None:
    """What keeps the sum at most 50 while processes hold different views of the group: a
    join moves a process's rank by 0 or 1 (the newcomer sorts after or before it)."""
    for live in range(1, 50):
        for rank in range(live):
            for moved in (rank, rank + 1):
                grown, before = share_of(live + 1, rank=moved), share_of(live, rank=rank)
                assert grown <= before, (live, rank, moved)


async def test_shares_follow_joins_clean_stops_and_deaths(db: Database) -> None:
    clock = FakeClock(START)
    a, b, c = (_group(db, clock, n, (i * 2, i * 2 + 1)) for i, n in enumerate("abc"))
    shares: dict[str, int] = {}

    async def beat(group: ProcessGroup) -> None:
        shares[group.process_id] = (await group.beat()).share
        assert sum(shares.values()) <= 50, shares  # never more than Discord's 50 together
        clock.advance(1)

    await beat(a)
    assert shares == {"a": 50}
    await beat(b)
    assert shares["b"] == 0  # a has not seen b yet: b holds its requests
    await beat(a)
    await beat(b)
    assert shares == {"a": 25, "b": 25}
    await beat(c)
    assert shares["c"] == 0
    await beat(a)
    await beat(c)
    assert shares["c"] == 0  # b still runs at 25
    await beat(b)
    await beat(c)
    assert shares == {"a": 17, "b": 17, "c": 16}  # the remainder goes by process id
    live = (await c.beat()).live
    assert [(p.process_id, p.shard_ids, p.shard_count) for p in live] == [
        ("a", (0, 1), 6),
        ("b", (2, 3), 6),
        ("c", (4, 5), 6),
    ]
    await a.stop()  # a clean stop removes the row at once
    shares.pop("a")
    await beat(b)
    await beat(c)
    assert shares == {"b": 25, "c": 25}
    clock.advance(c.interval * 3)  # c dies: no more heartbeats
    shares.pop("c")
    await beat(b)
    assert shares == {"b": 50}


async def test_a_long_dead_row_is_forgotten_at_the_next_start(db: Database) -> None:
    clock = FakeClock(START)
    await _group(db, clock, "crashed", (0,)).beat()
    clock.advance(hours=2)
    survivor = _group(db, clock, "new", (0,))
    await survivor.start()
    await survivor.stop()
    assert await ProcessRepository(db).live(clock.now(), timedelta(days=1)) == []


async def test_identify_slots_are_spaced_for_the_whole_group(db: Database) -> None:
    repository = ProcessRepository(db)
    now = START
    slots = await asyncio.gather(
        *(repository.reserve_identify(0, now, IDENTIFY_SPACING) for _ in range(4))
    )
    ordered = sorted(slots)
    assert ordered[0] == now
    assert [later - earlier for earlier, later in itertools.pairwise(ordered)] == [
        IDENTIFY_SPACING
    ] * 3
    assert await repository.reserve_identify(1, now, IDENTIFY_SPACING) == now  # another key
    later = now + timedelta(minutes=1)
    assert await repository.reserve_identify(0, later, IDENTIFY_SPACING) == later  # slot free


async def test_identify_turn_waits_for_the_slot_another_process_took(db: Database) -> None:
    clock = FakeClock(START)
    first, second = _group(db, clock, "p1", (0,)), _group(db, clock, "p2", (2,))
    assert await first.identify_turn(0, max_concurrency=2) == 0
    assert await second.identify_turn(2, max_concurrency=2) == IDENTIFY_SPACING.total_seconds()
    assert await second.identify_turn(1, max_concurrency=2) == 0  # key 1 is free


async def test_who_posts_what_follows_the_live_processes_shards(db: Database) -> None:
    """Own shards and a dead process's shards at once; a live neighbour's only as fallback."""
    clock = FakeClock(START)
    a, b, c = (_group(db, clock, n, (i * 2, i * 2 + 1)) for i, n in enumerate("abc"))
    for group in (a, b, c):
        await group.beat()
    guild_on = {shard: (600 + shard) << 22 for shard in range(6)}  # (id >> 22) % 6 == shard
    preference = (await a.beat()).preference("a", 6)
    assert (preference.mine, preference.orphaned) == ({0, 1}, frozenset())
    assert [preference.claims_at_once(guild_on[s]) for s in range(6)] == [True, True] + [False] * 4
    clock.advance(c.interval * 3)  # b and c die; a keeps beating
    preference = (await a.beat()).preference("a", 6)
    assert preference.orphaned == {2, 3, 4, 5}
    assert all(preference.claims_at_once(guild_on[s]) for s in range(6))
    await b.beat()  # b comes back: its guilds are its own again
    preference = (await a.beat()).preference("a", 6)
    assert preference.orphaned == {4, 5} and not preference.claims_at_once(guild_on[2])


async def test_a_crashed_process_of_this_host_holds_nothing_back(db: Database) -> None:
    """A restart after a crash: the old row (this host, a pid that is gone) is removed at the
    first beat, so the new process gets the whole budget at once instead of waiting 15 s."""
    clock = FakeClock(START)
    ghost = _group(db, clock, "ghost", (0,))
    ghost.pid = _dead_pid()
    await ghost.beat()
    clock.advance(1)
    restarted = _group(db, clock, "restarted", (0,))
    membership = await restarted.beat()
    assert membership.share == 50
    assert [p.process_id for p in membership.live] == ["restarted"]


async def test_a_frozen_neighbour_is_not_waited_for(db: Database) -> None:
    """Another host's process that stopped beating (frozen, or dead on its host) still counts
    in the division until it expires, but the newcomer does not wait for it to see it."""
    clock = FakeClock(START)
    frozen = _group(db, clock, "frozen", (0,))
    frozen.host = "another-host"
    await frozen.beat()
    clock.advance(frozen.interval * 1.5 + 1)
    newcomer = _group(db, clock, "new", (1,))
    membership = await newcomer.beat()
    assert membership.share == 25 and len(membership.live) == 2


async def test_a_reshard_mixes_layouts_without_false_overlaps(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A rolling reshard from 6 shards to 4: a process of the new layout holds no shard of the
    old one's (and the reverse), so each treats the other layout's guilds as orphaned, and
    shard 2 of four is not "also connected" by the old layout's shard 2 of six."""
    clock = FakeClock(START)
    old_b, old_c = _group(db, clock, "b", (2, 3)), _group(db, clock, "c", (4, 5))
    new_b = ProcessGroup(
        ProcessRepository(db), clock, shard_ids=(2, 3), shard_count=4, process_id="b4"
    )
    with caplog.at_level(logging.WARNING, logger="scheduler.process_group"):
        for group in (old_b, old_c, new_b, old_b, old_c, new_b):
            await group.beat()
        assert not [r for r in caplog.records if "also connected" in r.getMessage()]
        new = (await new_b.beat()).preference("b4", 4)
        assert (new.mine, new.orphaned) == ({2, 3}, {0, 1})
        old = (await old_b.beat()).preference("b", 6)
        assert (old.mine, old.orphaned) == ({2, 3}, {0, 1})
        twin = ProcessGroup(  # a mistake in the new layout: shard 1 of four twice
            ProcessRepository(db), clock, shard_ids=(1, 2), shard_count=4, process_id="x4"
        )
        await twin.beat()
        assert [r for r in caplog.records if "also connected" in r.getMessage()]


def _dead_pid() -> int:
    """A pid that no process has now: a child that has exited and been reaped."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid
