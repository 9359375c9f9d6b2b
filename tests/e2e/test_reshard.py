"""Resharding with real processes (issue 18 item 6): during a burst, the fleet of three
`python bot.py` processes on six shards (SHARD_COUNT=6, two shards each) is restarted, one
process at a time, as two processes on four shards (SHARD_COUNT=4, two shards each); the third
process is stopped and not replaced. PostgreSQL, fakediscord with Discord's rate and identify
limits on, 60 guilds spread over the shards of both layouts, the burst's size from
tests.e2e.scale_fleet.SIZE (`CADENCE_SCALE_FULL=1` for the issue's 3,000 tasks).

Why one at a time (a rolling reshard) and not all at once: it is what docs/SCALING.md tells
operators to do (the bot keeps answering commands throughout), and it is the harder case for
the claims: for most of the restart, processes of both layouts are alive together, each
reading the other's heartbeat row with a shard count that is not its own, and the gateway
routes a guild's events by each session's own `[shard_id, shard_count]`. Stopping everything
and starting the new layout is the same as a restart with nobody running in between, which the
rolling-restart and SIGKILL proofs already cover (runs are claimed in the database, not owned
by a shard).

Counted by nonce on the emulator's side: 0 lost, 0 doubled. Afterwards only sessions of the new
layout are connected, each guild is covered by exactly one of them (its shard of four), and
every one of the 60 guilds answers a slash command. Prints a `SCALE-PROOF {json}` line (-s).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fakediscord.world import Guild
from tests.e2e.burst import count_posts
from tests.e2e.scale_fleet import (
    PROCESSES,
    SHARD_COUNT,
    SIZE,
    Fleet,
    all_delivered,
    answer_all,
    burst_started,
    fleet_of,
    report,
    until,
)
from tests.postgres_server import query_rows

pytestmark = pytest.mark.slow

NEW_SHARD_COUNT = 4
NEW_LAYOUT = [[0, 1], [2, 3]]  # SHARD_IDS of processes 0 and 1; process 2 is not replaced


@pytest.fixture
async def fleet(tmp_path: Path) -> AsyncIterator[tuple[Fleet, list[Guild]]]:
    async with fleet_of(tmp_path, layouts=(SHARD_COUNT, NEW_SHARD_COUNT)) as made:
        for bot in made[0].bots:
            bot.env["DEV_GUILD_ID"] = ""  # commands synced globally: every guild has them
        yield made


async def test_a_rolling_reshard_from_six_shards_to_four_loses_and_doubles_nothing(
    fleet: tuple[Fleet, list[Guild]],
) -> None:
    group, guilds = fleet
    burst = await burst_started(group, guilds)
    await until(burst.first_at.timestamp() + 2)
    steps = []
    for n in range(PROCESSES):
        began = time.time()
        assert await group.bots[n].stop() == 0
        if n < len(NEW_LAYOUT):
            await group.start(
                n,
                SHARD_COUNT=str(NEW_SHARD_COUNT),
                SHARD_IDS=",".join(str(s) for s in NEW_LAYOUT[n]),
            )
        steps.append(round(time.time() - began, 3))
    resharded_at = time.time()

    await all_delivered(group, burst, timeout=SIZE.deliver_within)
    count = count_posts(group.fd, burst)

    # Only the new layout is connected; each guild is routed to exactly one of its shards.
    connected = sorted(s.shard for s in group.fd.gateway.sessions.values() if s.connected)
    routed = {g.id: [s.shard for s in group.fd.gateway.live_sessions()
                     if s.connected and s.covers(g.id)] for g in guilds}  # fmt: skip
    began = time.monotonic()
    answered = await answer_all(group.fd, guilds)
    answered_in = time.monotonic() - began
    rows = query_rows(group.url, "SELECT shard_ids, shard_count FROM cadence_processes")
    report(
        group.tmp,
        "reshard-6-to-4",
        count,
        full_size=SIZE.full,
        lease_s=SIZE.lease,
        restart_s=steps,
        reshard_done_after_first_instant_s=round(resharded_at - burst.first_at.timestamp(), 3),
        guilds_answered_after=answered,
        all_answered_in_s=round(answered_in, 3),
    )
    assert count.duplicated == 0 and not count.missing, count.summary()
    assert connected == [(s, NEW_SHARD_COUNT) for s in range(NEW_SHARD_COUNT)], connected
    assert all(
        shards == [((g >> 22) % NEW_SHARD_COUNT, NEW_SHARD_COUNT)] for g, shards in routed.items()
    ), routed
    assert answered == len(guilds)
    assert sorted((json.loads(r["shard_ids"]), r["shard_count"]) for r in rows) == [
        (ids, NEW_SHARD_COUNT) for ids in NEW_LAYOUT
    ], rows
