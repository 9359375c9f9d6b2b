"""A fleet of real `python bot.py` processes for the scale-out proofs (issue 18 items 6 and 8):
N processes on one PostgreSQL database and one fakediscord, each with its own SHARD_IDS, tmp
directory and log; 60 guilds spread over the shards; a burst of one-time tasks seeded straight
into the database before the processes start, counted by nonce on the emulator's side.

`Fleet` and `add_guilds` live in bench/processes.py, shared with bench.scale.

`SIZE` is the one place that reads `CADENCE_SCALE_FULL`: unset, the proofs run scaled down
(the README's test command stays short); `CADENCE_SCALE_FULL=1` runs the issue's sizes (.ci/run
does, in a stage of its own after the README's command)."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.processes import Fleet, add_guilds
from fakediscord import FakeDiscord
from fakediscord.world import Guild
from scheduler.payload import make_nonce
from scheduler.triggers.date import date_spec
from storage import (
    CatchUp,
    ChannelDestination,
    Database,
    NewTask,
    Payload,
    TaskKind,
    TaskRepository,
    Variant,
)
from tests.commands.harness import final_answer, text_of
from tests.e2e.burst import Burst, DuePost, PostCount, in_whole_seconds, wait_delivered, wait_until
from tests.e2e.harness import Scene, build_scene
from tests.postgres_server import fresh_database, query_rows

STARTED = "Cadence started"
PROCESSES = 3
SHARD_COUNT = 6
GUILDS = 60
CHANNELS = 2


@dataclass(frozen=True)
class ScaleSize:
    """How big the burst proofs are: the issue's sizes, or scaled down for the default run."""

    full: bool
    tasks: int
    per_second: int
    """Tasks due each whole second: every second touches every shard."""
    lease: int
    """LEASE_SECONDS of every process."""
    stop_s: int
    """How long the SIGSTOP proof keeps its process frozen (past the lease)."""
    lead: float
    """Seconds from seeding to the first instant: the three processes start meanwhile."""

    @property
    def span(self) -> float:
        """Seconds over which the burst falls due."""
        return self.tasks / self.per_second

    @property
    def deliver_within(self) -> float:
        """How long, from a disturbance early in the burst, every post may take to arrive."""
        return self.span + self.lease + 30


def scale_size(environ: Mapping[str, str] = os.environ) -> ScaleSize:
    """The issue's sizes (3,000 tasks over two minutes, SIGSTOP 45 s, the default 30 s lease)
    with `CADENCE_SCALE_FULL=1`; else 600 over 30 s, SIGSTOP lease + 10 s, a 10 s lease, so
    that each proof takes one to two minutes on a 2-core machine."""
    if environ.get("CADENCE_SCALE_FULL", "").strip() not in ("", "0"):
        return ScaleSize(full=True, tasks=3000, per_second=25, lease=30, stop_s=45, lead=30.0)
    return ScaleSize(full=False, tasks=600, per_second=20, lease=10, stop_s=20, lead=25.0)


SIZE = scale_size()


async def seed_spread(
    url: str, guilds: list[Guild], *, count: int, first_at: datetime, per_second: int
) -> Burst:
    """`count` one-time tasks, `per_second` due each whole second from `first_at`, task `i`
    in guild `i % len(guilds)` (so every second touches every shard), one transaction."""
    assert first_at.microsecond == 0
    news, plans = [], []
    for i in range(count):
        guild = guilds[i % len(guilds)]
        channels = list(guild.channels.values())
        texts = [c for c in channels if c.name.startswith("c")]
        channel = texts[(i // len(guilds)) % len(texts)]
        at = first_at + timedelta(seconds=i // per_second)
        name = f"scale-{i:05d}"
        news.append(
            NewTask(
                name=name,
                kind=TaskKind.DATE,
                spec=date_spec(at),
                created_at=first_at - timedelta(minutes=1),
                guild_id=guild.id,
                timezone="UTC",
                catch_up=CatchUp.ONCE,
                payload=Payload(variants=(Variant(content=f"{name} at {date_spec(at)}"),)),
                destinations=(ChannelDestination(channel_id=channel.id),),
                next_run_at=at,
            )
        )
        plans.append((name, guild.id, at, channel))
    async with Database.open(url) as db:
        await TaskRepository(db).create_many(news)
    ids = {row["name"]: row["id"] for row in query_rows(url, "SELECT id, name FROM tasks")}
    posts = [
        DuePost(
            task_id=ids[name],
            name=name,
            instant=at,
            channel_id=channel.id,
            content=f"{name} at {date_spec(at)}",
            nonce=make_nonce(ids[name], at, 0),
        )
        for name, _, at, channel in plans
    ]
    return Burst(posts, [channel for *_, channel in plans])


def settled(url: str) -> bool:
    """No run in flight and no seeded task still waiting to run."""
    query = """
        SELECT (SELECT count(*) FROM runs WHERE status = 'running') AS running,
               (SELECT count(*) FROM tasks WHERE status = 'active' AND name LIKE 'scale-%')
               AS active
    """
    [row] = query_rows(url, query)
    return row["running"] == 0 and row["active"] == 0


def report(tmp: Path, proof: str, count: PostCount, **extra: Any) -> dict[str, Any]:
    """The proof's figures: printed (run with -s) and kept as a JSON line in tmp."""
    figures = {
        "proof": proof,
        "due": count.due,
        "delivered": count.delivered,
        "doubled": count.duplicated,
        "lateness_p50_s": round(count.p50, 3),
        "lateness_p99_s": round(count.p99, 3),
        "lateness_max_s": round(count.worst, 3),
        **extra,
    }
    line = json.dumps(figures)
    print(f"\nSCALE-PROOF {line}")
    with (tmp / "figures.jsonl").open("a") as out:
        out.write(line + "\n")
    return figures


def in_flight(url: str, pid: int) -> set[tuple[int, int]]:
    """(task id, scheduled ms) of the runs the process with this pid holds `running` now."""
    query = """
        SELECT r.task_id, r.scheduled_for FROM runs r
        JOIN cadence_processes p ON r.claimed_by = p.process_id
        WHERE r.status = 'running' AND p.pid = ?
    """
    return {(row["task_id"], row["scheduled_for"]) for row in query_rows(url, query, (pid,))}


@asynccontextmanager
async def fleet_of(
    tmp: Path, *, layouts: tuple[int, ...] = (SHARD_COUNT,)
) -> AsyncIterator[tuple[Fleet, list[Guild]]]:
    """Three processes on SHARD_COUNT shards (not started), PostgreSQL and fakediscord with
    Discord's rate and identify limits on, GUILDS guilds spread over the shards of every
    layout in `layouts` (a reshard proof passes the old and the new count)."""
    scene: Scene = build_scene()
    async with fresh_database() as url, FakeDiscord(scene.world) as fd:
        fd.settings.rate_limits = True
        fd.settings.identify_limits = True
        fd.settings.max_concurrency = 16
        guilds = add_guilds(fd, GUILDS, layouts, CHANNELS)
        group = Fleet(
            fd, scene, tmp, url, SHARD_COUNT, SHARD_COUNT // PROCESSES,
            env={"LEASE_SECONDS": str(SIZE.lease), "LOG_LEVEL": "INFO"},
        )  # fmt: skip
        try:
            yield group, guilds
        finally:
            await group.kill_all()


async def burst_started(fleet: Fleet, guilds: list[Guild]) -> Burst:
    """Seed the burst (SIZE), then start the three processes before its first instant."""
    burst = await seed_spread(
        fleet.url,
        guilds,
        count=SIZE.tasks,
        first_at=in_whole_seconds(SIZE.lead),
        per_second=SIZE.per_second,
    )
    await fleet.start_all()
    assert time.time() < burst.first_at.timestamp(), "the processes started after the burst"
    return burst


async def until(at: float) -> None:
    """Sleep until the wall-clock instant `at`."""
    await asyncio.sleep(max(0.0, at - time.time()))


async def all_delivered(fleet: Fleet, burst: Burst, timeout: float) -> None:  # noqa: ASYNC109
    """Wait for every due post and for no run left in flight; print the logs if not."""
    try:
        await wait_delivered(fleet.fd, burst, timeout)
        await wait_until(lambda: settled(fleet.url), 30, "no run left in flight")
    except AssertionError:
        print(fleet.logs())
        raise


async def answer_all(fd: FakeDiscord, guilds: list[Guild]) -> int:
    """Run /schedule list as each guild's owner; how many were answered (each within 10 s)."""

    async def one(guild: Guild) -> bool:
        answer = await asyncio.wait_for(
            final_answer(await fd.slash(guild, guild.owner_id, "schedule list")), 10
        )
        return bool(text_of(answer))

    results = await asyncio.gather(*(one(g) for g in guilds))
    return sum(results)
