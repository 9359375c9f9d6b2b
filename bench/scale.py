"""Capacity of three Cadence processes on one PostgreSQL (issue 18 item 9), real processes.

    CI=true .ci/postgres.sh .venv/bin/python -m bench.scale [--quick] [--tasks N] [--burst N]

PostgreSQL only (``--postgres URL`` or CADENCE_TEST_POSTGRES_URL: a server where a scratch
database may be created). Seeds ``--tasks`` tasks of the restore bench's mix (``bench.seed``,
not measured) over ``--guilds`` guilds that exist in fakediscord, all due hours from now;
then a **warm** set (one-time tasks due every third of a second from before the processes
start until shortly before the burst, every shard's guilds in turn) and a **burst** of
``--burst`` one-time tasks due at the same instant, spread over every guild and channel so
that only the global limit binds. Then starts three real ``python bot.py`` processes
(SHARD_COUNT=6, two shards each, ``bench.processes.Fleet``) against fakediscord with
Discord's rate and identify limits on, and measures:

- **time to first claim**: from a process's spawn to the ``started_at`` of the first run row
  it claimed (the claim's transaction stamps it); the overdue warm runs are there from the
  start, so this is start-up (index of every stored task, gateway, process group) plus at most
  one tick;
- **claim latency**: per run, ``started_at - scheduled_for`` (due to claimed, ms), for the
  warm runs (steady state) and the burst's; and the claiming transaction itself per chunk
  (``cadence_db_operation_seconds{operation="start_runs"}``, read from each process's
  /metrics: bucket bounds, so "p99 ≤ x");
- **the burst**: from its instant to the last of its posts accepted by fakediscord, against
  the bound ``posts / 50 s`` (ratio; target within 10 %) and against the group's own budget
  (the three shares of ``scheduler.process_group.share_of`` per 1.02 s window); lost and
  doubled by nonce on fakediscord's side; the most requests fakediscord accepted in any
  second (all processes together) and its global 429s.

Exits 1 when a post was lost or doubled (``bench.all`` fails then); slow figures never fail it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bench.backends import _scratch_postgres
from bench.botside import count_posts, expected_nonces
from bench.common import EXIT_LOST, QUIET_LEAD, date_tasks, header, percentile, table
from bench.processes import Fleet, add_guilds, build_scene, wait_until
from bench.seed import seed_tasks
from fakediscord import FakeDiscord
from scheduler.payload import make_nonce
from scheduler.process_group import share_of
from storage import Database, TaskRepository

PROCESSES, SHARDS = 3, 6
GLOBAL_LIMIT = 50  # Discord's requests per second per bot token
WINDOW_S = 1.02  # cogs/pacing.py's window; each process holds its share of the 50 per window
WARM_EVERY_S = 1 / 3  # one warm run due every third of a second
WARM_BEFORE_S = 10.0  # the warm set starts this long before the processes are spawned
QUIET_S = 8.0  # the warm set ends this long before the burst
FULL = {"tasks": 1_000_000, "burst": 3000, "guilds": 1000, "channels": 6, "lead": 90.0}
QUICK = {"tasks": 10_000, "burst": 300, "guilds": 60, "channels": 2, "lead": 35.0}


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="10k tasks, a 300-post burst")
    parser.add_argument("--tasks", type=int, help="tasks stored (1,000,000)")
    parser.add_argument("--burst", type=int, help="posts due at the same instant (3,000)")
    parser.add_argument("--guilds", type=int, help="guilds in fakediscord (1,000)")
    parser.add_argument("--lead", type=float, help="seconds from spawn to the burst (90)")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (scratch database)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the processes' logs here")
    parser.add_argument("--log-level", default="WARNING", help="the processes' LOG_LEVEL")
    args = parser.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    return args


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _seed(url: str, fd: FakeDiscord, args: argparse.Namespace) -> Any:
    """The background tasks, then the warm set and the burst (timed from the end of the
    background's seeding, when the processes are spawned); returns what each owes."""
    guilds = add_guilds(fd, args.guilds, (SHARDS,), args.channels)
    channels = [[c.id for c in g.channels.values()] for g in guilds]
    ids = [g.id for g in guilds]
    async with Database.open(url) as db:
        # Off the whole minute: a cron instant equal to the seed's "now" is not after it.
        quiet = (datetime.now(UTC) + QUIET_LEAD).replace(second=17, microsecond=0)
        seeded = await seed_tasks(
            db, args.tasks, quiet, guilds=list(zip(ids, channels, strict=True))
        )
        print(seeded.line(), flush=True)
        spawn_at = time.time() + 1.0
        burst_at = float(int(spawn_at + args.lead))
        first = spawn_at - WARM_BEFORE_S
        warm = [first + i * WARM_EVERY_S for i in range(int((burst_at - QUIET_S - first) * 3))]
        repository = TaskRepository(db)
        await repository.create_many(
            date_tasks(warm, ids, lambda i: channels[i % len(ids)][0], prefix="warm")
        )
        await repository.create_many(
            date_tasks(
                [burst_at] * args.burst,
                ids,
                lambda i: channels[i % len(ids)][(i // len(ids)) % args.channels],
                prefix="burst",
            )
        )
        rows = await db.fetch_all(
            "SELECT id, name, next_run_at FROM tasks"
            " WHERE name LIKE 'warm-%' OR name LIKE 'burst-%'"
        )
    owed: dict[str, list[tuple[int, datetime]]] = {"warm": [], "burst": []}
    for row in rows:
        at = datetime.fromtimestamp(row["next_run_at"] / 1000, UTC)
        owed[row["name"].split("-")[0]].append((row["id"], at))
    return burst_at, owed, seeded


async def _histogram(port: int, operation: str) -> tuple[int, list[tuple[float, float]]]:
    """A process's cadence_db_operation_seconds for ``operation``: count, cumulative buckets."""
    url = f"http://127.0.0.1:{port}/metrics"
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        text = await answer.text()
    buckets: list[tuple[float, float]] = []
    count = 0
    for family in text_string_to_metric_families(text):
        if family.name != "cadence_db_operation_seconds":
            continue
        for sample in family.samples:
            if sample.labels.get("operation") != operation:
                continue
            if sample.name.endswith("_bucket"):
                buckets.append((float(sample.labels["le"]), sample.value))
            elif sample.name.endswith("_count"):
                count = int(sample.value)
    return count, sorted(buckets)


def _bucket_quantile(buckets: list[tuple[float, float]], count: int, share: float) -> float:
    """The upper bound of the bucket holding the ``share`` quantile (inf past the last)."""
    for bound, cumulative in buckets:
        if cumulative >= share * count:
            return bound
    return float("inf")


async def _claims(url: str, pids: list[int], owner: Callable[[int], int]) -> dict[str, Any]:
    """Run rows of the warm and burst tasks, with who claimed them (by process index); and
    how many burst runs claimed late (over 0.5 s) were claimed by their own shard's process."""
    async with Database.open(url) as db:
        processes = await db.fetch_all("SELECT process_id, pid FROM cadence_processes")
        runs = await db.fetch_all(
            "SELECT t.name, t.guild_id, r.task_id, r.scheduled_for, r.started_at, r.claimed_by"
            " FROM runs r JOIN tasks t ON t.id = r.task_id WHERE r.trigger != 'manual'"
        )
    index = {row["process_id"]: pids.index(row["pid"]) for row in processes if row["pid"] in pids}
    found: dict[str, Any] = {"first": {}, "warm": [], "burst": [], "owner": {}, "late_own": 0}
    for row in runs:
        kind = row["name"].split("-")[0]
        if kind not in ("warm", "burst"):
            continue
        found[kind].append((row["scheduled_for"], row["started_at"] - row["scheduled_for"]))
        n = index.get(row["claimed_by"])
        if n is None:
            continue
        first = found["first"].get(n)
        found["first"][n] = row["started_at"] if first is None else min(first, row["started_at"])
        if kind == "burst":
            found["owner"][row["task_id"]] = n
            late = row["started_at"] - row["scheduled_for"] > 500
            found["late_own"] += late and owner(row["guild_id"]) == n
    return found


async def measure(server: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    scene = build_scene()
    async with _scratch_postgres(server) as url, FakeDiscord(scene.world) as fd:
        fd.settings.rate_limits = True
        fd.settings.identify_limits = True
        fd.settings.max_concurrency = 16
        burst_at, owed, seeded = await _seed(url, fd, args)
        fleet = Fleet(
            fd, scene, folder, url, SHARDS, SHARDS // PROCESSES, env={"LOG_LEVEL": args.log_level}
        )
        ports = [_free_port() for _ in fleet.bots]
        spawned: list[float] = []
        try:
            for bot, port in zip(fleet.bots, ports, strict=True):
                spawned.append(time.time())
                await bot.start(wait_started=False, METRICS_PORT=str(port))
            await wait_until(lambda: fleet.started_notices() >= PROCESSES, 300, "processes up")
            up = time.time()
            if up > burst_at:
                print(f"warning: the processes were up {up - burst_at:.1f} s after the burst")
            nonces = {kind: expected_nonces(runs) for kind, runs in owed.items()}
            everything = nonces["warm"] | nonces["burst"]
            deadline = max(time.time(), burst_at) + 3 * args.burst / GLOBAL_LIMIT + 60
            for _ in range(int((deadline - time.time()) * 2)):  # every 0.5 s: cheap for the CPU
                if not count_posts(fd, everything).lost:
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(2.0)  # a late second copy would show now
            pids = [bot.process.pid for bot in fleet.bots if bot.process is not None]
            claims = await _claims(url, pids, fleet.owner)
            histograms = [await _histogram(port, "start_runs") for port in ports]
        except BaseException:
            print(fleet.logs(), file=sys.stderr)
            raise
        finally:
            for bot in fleet.bots:
                if bot.process is not None and bot.process.returncode is None:
                    await bot.stop()
        task_of = {make_nonce(task_id, at, 0): task_id for task_id, at in owed["burst"]}
        arrivals = [(m.timestamp, task_of[m.nonce]) for m in fd.all_posts() if m.nonce in task_of]
        burst_times = [at for at, _ in arrivals]
        last_by_process: dict[int, float] = {}
        for at, task_id in arrivals:
            n = claims["owner"].get(task_id, -1)
            last_by_process[n] = max(at, last_by_process.get(n, at))
        return {
            "seeded": seeded,
            "spawned": spawned,
            "up": up,
            "burst_at": burst_at,
            "warm": count_posts(fd, nonces["warm"]),
            "burst": count_posts(fd, nonces["burst"]),
            "burst_first": min(burst_times, default=float("nan")),
            "burst_last": max(burst_times, default=float("nan")),
            "claims": claims,
            "last_by_process": last_by_process,
            "histograms": histograms,
            "peak": fd.rate_limiter.peak(1.0),
            "limited_global": fd.rate_limiter.limited_global,
            "limited": fd.rate_limiter.limited,
        }


def report(args: argparse.Namespace, r: dict[str, Any]) -> bool:
    """Print the figures; True when nothing was lost or doubled."""
    claims = r["claims"]
    firsts = [
        (claims["first"][n] / 1000 - r["spawned"][n]) if n in claims["first"] else float("nan")
        for n in range(len(r["spawned"]))
    ]
    # Warm runs due once all three were up (the steady state); the overdue ones at start-up
    # are late by design (they measure the time to first claim instead).
    warm_ms = [late for due, late in claims["warm"] if due >= r["up"] * 1000]
    burst_ms = [late for _, late in claims["burst"]]
    count = sum(c for c, _ in r["histograms"])
    merged: dict[float, float] = {}
    for _, buckets in r["histograms"]:
        for bound, cumulative in buckets:
            merged[bound] = merged.get(bound, 0.0) + cumulative
    buckets = sorted(merged.items())
    bound_s = args.burst / GLOBAL_LIMIT
    shares = [share_of(PROCESSES, GLOBAL_LIMIT, rank) for rank in range(PROCESSES)]
    budget_s = args.burst / (sum(shares) / WINDOW_S)
    took = r["burst_last"] - r["burst_at"]
    burst, warm = r["burst"], r["warm"]
    print(
        f"\nprocesses up (all three 'Cadence started') {r['up'] - r['spawned'][0]:.1f} s after "
        f"the first spawn; the burst fell due {r['burst_at'] - r['spawned'][0]:.1f} s after it"
    )
    print(
        "time from spawn to first claim, per process (s): "
        + ", ".join(f"{value:.2f}" for value in firsts)
    )
    owners = list(claims["owner"].values())
    per_process = [owners.count(n) for n in range(PROCESSES)]
    lasts = ", ".join(
        f"{r['last_by_process'][n] - r['burst_at']:.2f}" for n in sorted(r["last_by_process"])
    )
    print(f"burst runs claimed per process: {per_process}; each one's last post at (s): {lasts}")
    print(
        f"claim latency, due -> claimed (ms): warm p50 {percentile(warm_ms, 0.5):.0f} / p99 "
        f"{percentile(warm_ms, 0.99):.0f} ({len(warm_ms)} runs); burst p50 "
        f"{percentile(burst_ms, 0.5):.0f} / p99 {percentile(burst_ms, 0.99):.0f} "
        f"({len(burst_ms)} runs, {sum(late > 500 for late in burst_ms)} of them claimed more "
        f"than 0.5 s after due, {claims['late_own']} of those by their own shard's process)"
    )
    print(
        f"claiming transaction (start_runs, {count} chunks, bucket bounds): p50 <= "
        f"{_bucket_quantile(buckets, count, 0.5) * 1000:g} ms, p99 <= "
        f"{_bucket_quantile(buckets, count, 0.99) * 1000:g} ms"
    )
    print(
        f"burst: first post {r['burst_first'] - r['burst_at']:.2f} s after the instant, last "
        f"{took:.2f} s; bound {bound_s:.1f} s at 50/s (ratio {took / bound_s:.3f}), "
        f"{budget_s:.1f} s at the group's budget {' + '.join(map(str, shares))} per "
        f"{WINDOW_S} s (ratio "
        f"{took / budget_s:.3f})"
    )
    print(
        f"warm: {warm.expected} due, {warm.posted} posted, lost {warm.lost}, doubled "
        f"{warm.doubled}; fakediscord: 429s {r['limited']} (global {r['limited_global']})"
    )
    head = [
        "tasks stored",
        "processes",
        "first claim s (max)",
        "claim p99 ms (warm / burst)",
        "burst",
        "bound s",
        "measured s",
        "ratio",
        "lost",
        "doubled",
        "peak/s",
        "global 429s",
    ]
    row = [
        f"{args.tasks:,}",
        PROCESSES,
        f"{max(firsts):.1f}",
        f"{percentile(warm_ms, 0.99):.0f} / {percentile(burst_ms, 0.99):.0f}",
        f"{args.burst:,}",
        f"{bound_s:.0f}",
        f"{took:.1f}",
        f"{took / bound_s:.3f}",
        burst.lost + warm.lost,
        burst.doubled + warm.doubled,
        r["peak"],
        r["limited_global"],
    ]
    print("\n" + table(head, [row]))
    return burst.ok and warm.ok


async def _main(args: argparse.Namespace) -> int:
    server = args.postgres or os.environ.get("CADENCE_TEST_POSTGRES_URL")
    if not server:
        print(
            "bench.scale is PostgreSQL only: give --postgres URL or run it under "
            "`.ci/postgres.sh` (CADENCE_TEST_POSTGRES_URL)",
            file=sys.stderr,
        )
        return 2
    header(
        "bench.scale",
        f"{args.tasks:,} tasks stored, {PROCESSES} processes x "
        f"{SHARDS // PROCESSES} shards, {args.guilds:,} guilds, a burst of {args.burst:,} "
        "posts due at once; fakediscord with Discord's rate and identify limits",
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cadence-scale-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        results = await measure(server, args, folder)
    ok = report(args, results)
    print(f"\ntotal {time.perf_counter() - started:.0f} s (seeding and start-up included)")
    return 0 if ok else EXIT_LOST


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(_main(_parse(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
