"""A fleet of real `python bot.py` processes for the scale-out proofs (issue 18 item 8): N
processes on one PostgreSQL database and one fakediscord, each with its own SHARD_IDS, tmp
directory and log; 60 guilds spread over the shards; a burst of one-time tasks seeded straight
into the database before the processes start, counted by nonce on the emulator's side."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

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
from tests.e2e.burst import Burst, DuePost, PostCount, wait_until
from tests.e2e.harness import BotProcess, Scene
from tests.postgres_server import query_rows

STARTED = "Cadence started"


@dataclass
class Fleet:
    """`processes` bots sharing `shard_count` shards, `per_process` consecutive shards each."""

    fd: FakeDiscord
    scene: Scene
    tmp: Path
    url: str
    shard_count: int
    per_process: int
    env: dict[str, str] = field(default_factory=dict)
    bots: list[BotProcess] = field(default_factory=list)

    def __post_init__(self) -> None:
        for n in range(self.shard_count // self.per_process):
            folder = self.tmp / f"p{n}"
            folder.mkdir(exist_ok=True)
            env = {
                **self.env,
                "SHARD_COUNT": str(self.shard_count),
                "SHARD_IDS": ",".join(str(s) for s in self.shards(n)),
            }
            self.bots.append(BotProcess(self.fd, self.scene, folder, env, database_url=self.url))

    def shards(self, n: int) -> list[int]:
        return list(range(n * self.per_process, (n + 1) * self.per_process))

    def owner(self, guild_id: int) -> int:
        """The process whose shards receive this guild's events."""
        return ((guild_id >> 22) % self.shard_count) // self.per_process

    def started_notices(self) -> int:
        return sum(
            1
            for m in self.fd.messages(self.scene.dev)
            if m.embeds and m.embeds[0].get("title") == STARTED
        )

    async def start(self, n: int, timeout: float = 60, **extra: str) -> float:  # noqa: ASYNC109
        """Start process `n` and wait for its "Cadence started"; returns the seconds it took."""
        began = time.monotonic()
        before = self.started_notices()
        await self.bots[n].start(wait_started=False, **extra)
        await wait_until(lambda: self.started_notices() > before, timeout, f"process {n} start")
        return time.monotonic() - began

    async def start_all(self, timeout: float = 90) -> None:  # noqa: ASYNC109
        before = self.started_notices()
        for bot in self.bots:
            await bot.start(wait_started=False)
        wanted = before + len(self.bots)
        await wait_until(lambda: self.started_notices() >= wanted, timeout, "all processes up")

    async def kill_all(self) -> None:
        for bot in self.bots:
            if bot.process is not None and bot.process.returncode is None:
                bot.process.kill()
                await bot.process.wait()

    def logs(self) -> str:
        return "\n".join(f"== process {n}\n{bot.log()[-4000:]}" for n, bot in enumerate(self.bots))


def add_guilds(fd: FakeDiscord, count: int, shard_count: int, channels: int) -> list[Guild]:
    """`count` guilds, round-robin over the shards, each with `channels` text channels."""
    guilds = []
    for g in range(count):
        guild = fd.world.add_guild(f"guild-{g:02d}", shard=(g % shard_count, shard_count))
        for c in range(channels):
            guild.add_channel(f"c{c}")
        guilds.append(guild)
    return guilds


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
