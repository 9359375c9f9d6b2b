"""Scale-out proofs with real processes (issue 18 item 8): three `python bot.py` processes of
one bot token, two shards each (SHARD_COUNT=6), on one PostgreSQL database and one
fakediscord with Discord's rate limits and identify limits on; 60 guilds spread over the
shards.

The issue asks for 3,000 tasks due over two minutes, SIGSTOP for 45 s. By default (the README's
test command, on a 2-core CI machine that also runs the emulator, the three bots and
PostgreSQL) each proof is scaled down to 600 tasks due over 30 s (20 a second, every second
touching every shard), LEASE_SECONDS=10, SIGSTOP for 20 s; `CADENCE_SCALE_FULL=1` runs the
issue's sizes with the default 30 s lease (tests.e2e.scale_fleet.SIZE; .ci/run's last stage).
The assertions are the same in both: every due post arrives exactly once, counted by nonce on
the emulator's side.
Each proof prints a `SCALE-PROOF {json}` line (run with -s) and appends it to the test's
tmp/figures.jsonl: due, delivered, doubled, lateness p50/p99/max, takeover time.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fakediscord.world import Guild
from tests.commands.harness import final_answer, text_of
from tests.e2e.burst import PostCount, count_posts, in_whole_seconds, message_route, wait_until
from tests.e2e.scale_fleet import (
    PROCESSES,
    SIZE,
    Fleet,
    all_delivered,
    answer_all,
    burst_started,
    fleet_of,
    in_flight,
    report,
    until,
)

pytestmark = pytest.mark.slow

LEASE = SIZE.lease


@pytest.fixture
async def fleet(tmp_path: Path) -> AsyncIterator[tuple[Fleet, list[Guild]]]:
    async with fleet_of(tmp_path) as made:
        yield made


async def test_sigkill_one_process_mid_burst_loses_and_doubles_nothing(
    fleet: tuple[Fleet, list[Guild]],
) -> None:
    """SIGKILL process 1 a third of the way through the burst while its posts are on the wire
    (Discord delays its guilds' message creates; the requests die with the process): 0 lost,
    0 doubled, and its guilds' posts resume within LEASE + 5 s."""
    group, guilds = fleet
    burst = await burst_started(group, guilds)
    victim = 1
    theirs = [c for g in guilds if group.owner(g.id) == victim for c in g.channels.values()]
    await until(burst.first_at.timestamp() + 10)
    wire = group.fd.faults.add(
        message_route(theirs), method="POST", status=None, times=None, delay=60
    )
    await wire.wait_delayed(3, timeout=10)
    bot = group.bots[victim]
    assert bot.process is not None
    pid = bot.process.pid
    bot.process.kill()
    killed_at = time.time()
    await bot.process.wait()
    bot.process = None
    held = in_flight(group.url, pid)
    group.fd.faults.remove(wire)  # what is still on the wire arrives with nobody waiting
    await asyncio.sleep(0.2)
    assert held, "the victim held no run at its death"
    assert not set(count_posts(group.fd, burst).arrived) & held, "a held post reached Discord"

    await all_delivered(group, burst, timeout=SIZE.deliver_within)
    count = count_posts(group.fd, burst)
    owners = {g.id: group.owner(g.id) for g in guilds}
    channel_guild = {c: g.id for g in guilds for c in g.channels}
    # The victim's guilds: each post of theirs that arrived after the kill came within
    # LEASE + 5 s of the kill or of its instant, whichever is later.
    after = [
        (count.arrived[p.key], max(p.instant.timestamp(), killed_at))
        for p in burst.posts
        if owners[channel_guild[p.channel_id]] == victim and count.arrived[p.key] > killed_at
    ]
    assert after, "none of the victim's guilds posted after the kill"
    slowest = max(arrived - owed for arrived, owed in after)
    report(
        group.tmp,
        "sigkill",
        count,
        held_at_kill=len(held),
        dropped_on_the_wire=wire.dropped,
        takeover_s=round(takeover(count, held, killed_at), 3),
        victim_guilds_worst_s=round(slowest, 3),
    )
    assert count.duplicated == 0 and not count.missing, count.summary()
    assert slowest <= LEASE + 5, f"the victim's guilds waited {slowest:.1f} s"


async def test_sigstop_past_the_lease_then_sigcont_doubles_nothing(
    fleet: tuple[Fleet, list[Guild]],
) -> None:
    """SIGSTOP process 1 while its posts are on the wire (Discord delays its guilds' message
    creates), for SIZE.stop_s (past the lease); the others take its runs over. Then Discord
    lets every delayed request through at once, the frozen process's stale sends and the
    takeovers' alike, and SIGCONT: the same nonces and the fenced late writes keep it 0
    doubled, 0 lost."""
    group, guilds = fleet
    burst = await burst_started(group, guilds)
    victim = 1
    theirs = [c for g in guilds if group.owner(g.id) == victim for c in g.channels.values()]
    await until(burst.first_at.timestamp() + 8)
    wire = group.fd.faults.add(
        message_route(theirs), method="POST", status=None, times=None, delay=120
    )
    await wire.wait_delayed(3, timeout=10)
    frozen = group.bots[victim]
    assert frozen.process is not None
    held = in_flight(group.url, frozen.process.pid)
    frozen.process.send_signal(signal.SIGSTOP)
    stopped_at = time.time()
    await asyncio.sleep(SIZE.stop_s)
    group.fd.faults.remove(wire)
    frozen.process.send_signal(signal.SIGCONT)

    await all_delivered(group, burst, timeout=SIZE.deliver_within)
    await asyncio.sleep(3)  # the woken process's writes land, if any were to double a post
    count = count_posts(group.fd, burst)
    report(
        group.tmp,
        "sigstop",
        count,
        held_at_stop=len(held),
        delayed_sends=wire.hits,
        stopped_s=SIZE.stop_s,
        lease_s=LEASE,
        takeover_s=round(takeover(count, held, stopped_at), 3),
    )
    assert count.duplicated == 0 and not count.missing, count.summary()
    assert frozen.process.returncode is None, "the woken process died"


async def test_a_rolling_restart_during_a_burst_loses_and_doubles_nothing(
    fleet: tuple[Fleet, list[Guild]],
) -> None:
    """SIGTERM each process in turn during the burst and start it again before the next."""
    group, guilds = fleet
    burst = await burst_started(group, guilds)
    await until(burst.first_at.timestamp() + 2)
    restarts = []
    for n in range(PROCESSES):
        began = time.time()
        assert await group.bots[n].stop() == 0
        await group.start(n)
        restarts.append(round(time.time() - began, 3))

    await all_delivered(group, burst, timeout=SIZE.deliver_within)
    count = count_posts(group.fd, burst)
    report(group.tmp, "rolling-restart", count, restart_s=restarts)
    assert count.duplicated == 0 and not count.missing, count.summary()


async def test_a_task_created_on_one_process_fires_on_time_when_another_claims_it(
    fleet: tuple[Fleet, list[Guild]],
) -> None:
    group, _ = fleet
    await group.start_all()
    fd, scene = group.fd, group.scene
    a = group.owner(scene.guild.id)
    # Created by a slash command answered by A, due in a few seconds; A is stopped at once,
    # so the run can only be claimed by B or C, woken through PostgreSQL.
    due = in_whole_seconds(4)
    answer = await final_answer(
        await fd.slash(
            scene.guild,
            scene.admin,
            "schedule once",
            name="handover",
            when=due.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            channel=scene.general,
            message="handed over",
        )
    )
    assert "handover" in text_of(answer), text_of(answer)
    assert await group.bots[a].stop() == 0
    await wait_until(
        lambda: any(m.content == "handed over" for m in fd.messages(scene.general)),
        15,
        "the handed-over post",
    )
    [post] = [m for m in fd.messages(scene.general) if m.content == "handed over"]
    late = post.timestamp - due.timestamp()
    print(f"\nSCALE-PROOF handover: created on process {a}, lateness {late:.3f} s")
    assert -0.05 <= late <= 1.5, late


async def test_commands_answer_in_every_guild_while_a_dead_process_shards_move(
    fleet: tuple[Fleet, list[Guild]],
) -> None:
    """SIGKILL process 2; restart process 0 with process 2's shards added (0,1,4,5): while
    process 0 restarts, process 1's guilds keep answering; afterwards every one of the 60
    guilds answers a slash command. Commands are synced globally (no DEV_GUILD_ID)."""
    group, guilds = fleet
    for bot in group.bots:
        bot.env["DEV_GUILD_ID"] = ""
    await group.start_all()
    dead = group.bots[2]
    assert dead.process is not None
    dead.process.kill()
    await dead.process.wait()
    dead.process = None

    assert await group.bots[0].stop() == 0
    moved = ",".join(str(s) for s in [*group.shards(0), *group.shards(2)])
    restarting = asyncio.create_task(group.start(0, SHARD_IDS=moved))
    meanwhile = [g for g in guilds if group.owner(g.id) == 1]
    answered_meanwhile = await answer_all(group.fd, meanwhile)
    moved_in = await restarting
    began = time.monotonic()
    answered = await answer_all(group.fd, guilds)
    print(
        "\nSCALE-PROOF "
        + json.dumps(
            {
                "proof": "commands-while-shards-move",
                "guilds": len(guilds),
                "answered_during_restart": answered_meanwhile,
                "answered_after": answered,
                "restart_with_moved_shards_s": round(moved_in, 3),
                "all_answered_in_s": round(time.monotonic() - began, 3),
            }
        )
    )
    assert answered_meanwhile == len(meanwhile)
    assert answered == len(guilds)


def takeover(count: PostCount, held: set[tuple[int, int]], since: float) -> float:
    """Seconds from `since` until the last run held at that moment reached Discord (0 when
    all of them had reached it before)."""
    return max((count.arrived[key] - since for key in held if key in count.arrived), default=0.0)
