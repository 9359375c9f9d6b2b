"""Burst benchmark: many posts due at once under Discord's rate limits, the real bot end to end.

    .venv/bin/python -m bench.burst [--quick] [--posts 1000] [--channels 100]

One-time tasks (``--posts``, 1,000; ``--quick`` 200) fall due at the same second, spread
round-robin over ``--channels`` channels (100; ``--quick`` 20). The real CadenceBot runs in
this process against fakediscord with ``settings.rate_limits = True`` and the emulator's
default limits (message creates 5 per 5 s per channel, 50 requests per second overall). Two
layouts: every channel in one guild, and one channel per guild.

Printed: the total time from the scheduled second to the last accepted post, the bound the
limits impose, their ratio, the posts lost and doubled (counted by nonce on the emulator's
side), the sends the emulator deduplicated, the 429 answers, and the run rows. The bound is
the last post of the best schedule both limits allow (:func:`limit_bound`; requests other than
the posts are ignored): 19 s for 1,000 posts to 100 channels (the global limit), 6 s for 200
to 20 (five per channel in the first two seconds, five more from the fifth second).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.botside import (
    Posts,
    accepted_creates,
    count_posts,
    expected_nonces,
    running_bot,
    wait_for_nonces,
)
from bench.common import EXIT_LOST, date_tasks, header, quiet_logging, table
from fakediscord import World
from fakediscord.settings import EmulatorSettings
from storage import Database, TaskRepository

MODULE = "bench.burst"
LEAD = 6.0


@dataclass(frozen=True, slots=True)
class Outcome:
    layout: str
    posts: Posts
    bound_s: float
    total_s: float
    first_s: float
    runs_ok: int
    spare_s: float
    global_429: int


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"python -m {MODULE}",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="200 posts to 20 channels")
    parser.add_argument("--posts", type=int, help="posts due at once")
    parser.add_argument("--channels", type=int, help="channels they go to")
    parser.add_argument(
        "--metrics",
        action="store_true",
        help="after each burst, print the /metrics lines that matter (cadence_runs_total, …)",
    )
    return parser.parse_args(argv)


def limit_bound(posts: int, channels: int, settings: EmulatorSettings) -> float:
    """Seconds from the first post to the last in the best schedule the emulator's limits
    allow: posts go out greedily, the channels with the most left first, whenever both their
    channel's window and the global one have room (both are sliding windows)."""
    per_channel, window = settings.message_rate_limit
    overall = settings.global_rate_limit
    left = [posts // channels + (1 if c < posts % channels else 0) for c in range(channels)]
    logs: list[deque[float]] = [deque() for _ in range(channels)]
    overall_log: deque[float] = deque()
    now = last = 0.0
    remaining = posts
    while remaining:
        while overall_log and overall_log[0] <= now - 1.0:
            overall_log.popleft()
        for log in logs:
            while log and log[0] <= now - window:
                log.popleft()
        for channel in sorted(range(channels), key=lambda c: -left[c]):
            while left[channel] and len(logs[channel]) < per_channel and len(overall_log) < overall:
                logs[channel].append(now)
                overall_log.append(now)
                left[channel] -= 1
                remaining -= 1
                last = now
        expiries = [overall_log[0] + 1.0] if len(overall_log) >= overall else []
        expiries += [log[0] + window for c, log in enumerate(logs) if left[c] and log]
        if remaining:
            now = min(e for e in expiries if e > now)
    return last


def _world(channels: int, one_guild: bool) -> tuple[World, list[int], list[int], int]:
    """The world; the guild of each channel, the channel ids, and a dev channel elsewhere."""
    world = World()
    guild_of, channel_ids = [], []
    shared = world.add_guild("Burst", owner="owner") if one_guild else None
    for number in range(channels):
        guild = shared or world.add_guild(f"Burst {number:03d}", owner=f"owner-{number}")
        channel_ids.append(guild.add_channel(f"burst-{number:03d}").id)
        guild_of.append(guild.id)
    dev = world.add_guild("Ops", owner="ops").add_channel("dev")
    return world, guild_of, channel_ids, dev.id


async def run_burst(
    posts: int, channels: int, one_guild: bool, folder: Path, *, show_metrics: bool = False
) -> Outcome:
    emulator = EmulatorSettings(rate_limits=True)
    world, guild_of, channel_ids, dev = _world(channels, one_guild)
    path = folder / f"burst-{'one' if one_guild else 'many'}.sqlite3"
    due = math.ceil(time.time() + LEAD)
    # Task i posts in channel i % channels, and belongs to that channel's guild.
    tasks = date_tasks([due] * posts, guild_of, lambda i: channel_ids[i % channels], prefix="b")
    async with Database.open(path) as db:
        await TaskRepository(db).create_many(tasks)
    instant = datetime.fromtimestamp(due, UTC)
    async with running_bot(world, path, dev_channel_id=dev, emulator=emulator) as (fd, bot):
        spare = due - time.time()
        ids = await _task_ids(bot.engine.tasks, set(guild_of))
        nonces = expected_nonces((task_id, instant) for task_id in ids)
        bound = limit_bound(posts, channels, emulator)
        await wait_for_nonces(fd, nonces, within=due - time.time() + bound * 4 + 60)
        await bot.engine.drain()
        times = [
            r.time - due
            for r in accepted_creates(fd)
            if isinstance(r.json, dict) and r.json.get("nonce") in nonces
        ]
        counted = count_posts(fd, nonces)
        runs = await bot.engine.runs.recent_counts(instant)
        global_429 = fd.rate_limiter.limited_global
        if show_metrics:
            print_metrics((await bot.metrics.render()).decode())
    layout = f"{channels} guilds, 1 channel each"
    return Outcome(
        layout=f"{channels} channels in one guild" if one_guild else layout,
        posts=counted,
        bound_s=bound,
        total_s=max(times, default=math.nan),
        first_s=min(times, default=math.nan),
        runs_ok=runs["ok"],
        spare_s=spare,
        global_429=global_429,
    )


_SHOWN = (
    "cadence_runs_total",
    "cadence_posts_total",
    "cadence_run_lateness_seconds_count",
    "cadence_run_lateness_seconds_sum",
    "cadence_discord_requests_total",
    "cadence_discord_rate_limited_total",
    "cadence_pacer_wait_seconds_count",
    "cadence_pacer_wait_seconds_sum",
    "cadence_db_operation_seconds_count",
    "cadence_db_operation_seconds_sum",
    "cadence_notices_total",
)


def print_metrics(text: str) -> None:
    """The exposition lines of the counters and sums a burst moves."""
    print("\n/metrics after the burst (the lines that matter):")
    for line in text.splitlines():
        if line.startswith(_SHOWN) or ('lateness_seconds_bucket{le="0.1"}' in line) or (
            'lateness_seconds_bucket{le="1.0"}' in line
        ):
            print(f"  {line}")


async def _task_ids(tasks: TaskRepository, guilds: set[int]) -> list[int]:
    found: list[int] = []
    for guild_id in guilds:
        found += [t.id for t in await tasks.list_for_guild(guild_id)]
    return found


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    posts = args.posts or (200 if args.quick else 1000)
    channels = args.channels or (20 if args.quick else 100)
    header(MODULE, f"a burst of {posts:,} posts to {channels} channels under rate limits")
    quiet_logging()
    started = time.perf_counter()
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="cadence-burst-") as scratch:
        for one_guild in (True, False):
            burst = run_burst(
                posts, channels, one_guild, Path(scratch), show_metrics=args.metrics
            )
            outcomes.append(asyncio.run(burst))
    head = ["layout", "posted", "lost", "doubled", "dedup re-sends", "429s (global)", "runs ok",
            "first post s", "total s", "bound s", "total / bound"]  # fmt: skip
    rows = [
        [o.layout, f"{o.posts.posted}/{o.posts.expected}", o.posts.lost, o.posts.doubled,
         o.posts.resent, f"{o.posts.refused_429} ({o.global_429})", o.runs_ok,
         f"{o.first_s:.2f}", f"{o.total_s:.2f}", f"{o.bound_s:.0f}",
         f"{o.total_s / o.bound_s:.2f}" if o.bound_s else "—"]
        for o in outcomes
    ]  # fmt: skip
    print(f"\n{posts:,} posts due at the same second, {channels} channels, rate limits on")
    print(table(head, rows))
    print(
        "times are seconds after the scheduled second, as the emulator received the posts; "
        "spare before it: " + ", ".join(f"{o.spare_s:.2f} s" for o in outcomes)
    )
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0 if all(o.posts.ok for o in outcomes) else EXIT_LOST


if __name__ == "__main__":
    sys.exit(main())
