"""A fleet of real `python bot.py` processes for the scale-out proofs (issue 18 item 8): N
processes on one PostgreSQL database and one fakediscord, each with its own SHARD_IDS, tmp
directory and log; 60 guilds spread over the shards; a burst of one-time tasks seeded straight
into the database before the processes start, counted by nonce on the emulator's side.
`Fleet` and `add_guilds` live in bench/processes.py, shared with bench.scale."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.processes import Fleet, add_guilds
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
from tests.e2e.burst import Burst, DuePost, PostCount
from tests.postgres_server import query_rows

__all__ = ["Fleet", "add_guilds", "in_flight", "report", "seed_spread", "settled"]


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
