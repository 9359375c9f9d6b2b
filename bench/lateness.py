"""Lateness benchmark: how late a due task starts, ours against bare APScheduler 3.11.

    .venv/bin/python -m bench.lateness [--quick] [--tasks N] [--count 1000] [--e2e-count 100]

With N tasks stored (100k; ``--quick`` 10k; seeded quiet: none of them falls due while
measuring) two cases run, each in a fresh process per side:

(a) ``--count`` one-time tasks due at the same instant; (b) as many spread evenly over 10 s.

Ours: a real ``Engine`` (SystemClock, APScheduler waking) over the seeded SQLite file, with a
deliverer that records the time ``deliver()`` is entered; lateness = that − scheduled
instant. Baseline: ``AsyncIOScheduler`` + ``MemoryJobStore`` holding one job per stored task,
plus one ``DateTrigger`` job per instant whose coroutine records when it starts.

(c) End to end: ``--e2e-count`` tasks due the same second in as many channels of fakediscord,
the real CadenceBot in this process; lateness = when the emulator received the POST −
scheduled instant. No rate limits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import math
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import (
    EXIT_LOST,
    RecordingDeliverer,
    database_target,
    date_tasks,
    emit,
    header,
    lateness_ms,
    quiet_background,
    quiet_logging,
    run_child,
    skipped_wakeups,
    spread_instants,
    table,
    until_done_or_stuck,
)

MODULE = "bench.lateness"
FULL_TASKS, QUICK_TASKS = 100_000, 10_000
LEAD = 2.0  # seconds between "ready" and the first measured instant
E2E_LEAD = 6.0  # the bot starts in this process first
GUILDS = 100  # the measured tasks are spread over this many guilds
MEASURED_GUILD = 10**16  # ids below the seed's, so names never clash
CASES = (("a", "same instant", 0.0), ("b", "spread over 10 s", 10.0))


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"python -m {MODULE}",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="10k tasks stored")
    parser.add_argument("--tasks", type=int, help="tasks stored besides the measured ones")
    parser.add_argument("--count", type=int, default=1000, help="measured tasks per case")
    parser.add_argument("--e2e-count", type=int, default=100, help="tasks/channels in (c)")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="store the tasks in PostgreSQL: a server URL where a scratch database may be "
        "created (cases (a) and (b) with ours only; the baseline and (c) stay on SQLite runs)",
    )
    parser.add_argument("--child", choices=("ours", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--spread", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--prefix", default="m", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# ----------------------------------------------------------------------------- children


async def measure_ours(path: str, count: int, spread: float, prefix: str) -> dict[str, Any]:
    """A real Engine over the seeded file; lateness at ``deliver()`` entry."""
    from bench.measure import NullAlerter
    from scheduler.engine import Engine
    from storage import Database, TaskRepository

    skipped = skipped_wakeups()
    db = await Database.open(path)
    deliverer = RecordingDeliverer(count)
    first = math.ceil(time.time() + LEAD)
    instants = spread_instants(first, count, spread)
    guilds = [MEASURED_GUILD + n for n in range(GUILDS)]
    await TaskRepository(db).create_many(
        date_tasks(instants, guilds, lambda i: MEASURED_GUILD + 10_000 + i, prefix=prefix)
    )
    engine = Engine(db, deliverer=deliverer, alerter=NullAlerter(), use_apscheduler=True)
    report = await engine.start()
    gc.collect()
    gc.freeze()  # as bot.py does once the bot is ready
    ready = time.time()
    finished = await until_done_or_stuck(
        deliverer, lambda: engine.dispatcher.pending, not_before=first + spread, limit_s=300
    )
    await engine.drain()
    runs = await engine.runs.recent_counts(datetime.fromtimestamp(first, UTC))
    await engine.stop()
    gc.unfreeze()
    await db.close()
    return {
        "lateness": deliverer.lateness(),
        "ran": len(deliverer.entries) - deliverer.doubled(),
        "doubled": deliverer.doubled(),
        "runs": runs,
        "indexed": report["indexed"],
        "spare_s": first - ready,
        "stuck": not finished,
        "skipped_wakeups": skipped(),
    }


async def measure_baseline(path: str, count: int, spread: float) -> dict[str, Any]:
    """AsyncIOScheduler with every stored task as a job, then the measured DateTrigger jobs."""
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobEvent
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.date import DateTrigger

    from bench.measure import add_jobs_at_stored_times

    events: Counter[str] = Counter()
    names = {EVENT_JOB_EXECUTED: "executed", EVENT_JOB_MISSED: "missed", EVENT_JOB_ERROR: "error"}
    finished = asyncio.Event()

    def listen(event: JobEvent) -> None:
        if event.job_id.startswith("m"):
            events[names[event.code]] += 1
            if sum(events.values()) >= count:
                finished.set()

    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    scheduler.start()
    loaded = add_jobs_at_stored_times(scheduler, path)
    await asyncio.sleep(0)  # the one wake-up per add_job queued meanwhile
    started: list[float] = []

    async def job(at: float) -> None:
        started.append(time.time() - at)

    first = math.ceil(time.time() + LEAD)
    for index, at in enumerate(spread_instants(first, count, spread)):
        trigger = DateTrigger(run_date=datetime.fromtimestamp(at, UTC), timezone=UTC)
        scheduler.add_job(job, trigger, id=f"m{index}", args=(at,))
    ready = time.time()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(finished.wait(), timeout=first + spread + 30 - time.time())
    scheduler.shutdown(wait=False)
    return {
        "lateness": started,
        "ran": len(started),
        "events": dict(events),
        "loaded": loaded,
        "spare_s": first - ready,
    }


def _child(args: argparse.Namespace) -> None:
    quiet_logging()
    if args.child == "ours":
        emit(asyncio.run(measure_ours(args.db, args.count, args.spread, args.prefix)))
    else:
        emit(asyncio.run(measure_baseline(args.db, args.count, args.spread)))


# ----------------------------------------------------------------------------- end to end


async def end_to_end(count: int, folder: Path, *, paced: bool) -> dict[str, Any]:
    """``count`` tasks due the same second in ``count`` channels; the real bot posts them.

    With ``paced`` false the bot's own pacing to Discord's global limit (50 requests a
    second, ``cogs/pacing.py``) is lifted, as the "no rate limit" target assumes
    (docs/ARCHITECTURE.md section 10)."""
    from bench.botside import (
        accepted_creates,
        count_posts,
        expected_nonces,
        running_bot,
        wait_for_nonces,
    )
    from fakediscord import World
    from fakediscord.settings import EmulatorSettings
    from storage import Database, TaskRepository

    world = World()
    guild = world.add_guild("Lateness", owner="owner")
    channels = [guild.add_channel(f"c-{n:03d}") for n in range(count)]
    dev = guild.add_channel("dev")
    path = folder / f"e2e-{'paced' if paced else 'free'}.sqlite3"
    first = math.ceil(time.time() + E2E_LEAD)
    async with Database.open(path) as db:
        await TaskRepository(db).create_many(
            date_tasks([first] * count, [guild.id], lambda i: channels[i].id, prefix="e2e")
        )
    # Paced, the bot meets Discord's limits (on in the emulator, as on Discord); unpaced is
    # the target's "no rate limit" condition, so the emulator's limits are off for it too.
    emulator = EmulatorSettings(rate_limits=paced)
    async with running_bot(world, path, dev_channel_id=dev.id, emulator=emulator) as (fd, bot):
        if not paced:
            bot.pacer.limit = 10**9
        spare = first - time.time()
        tasks = await bot.engine.tasks.list_for_guild(guild.id)
        nonces = expected_nonces(
            (t.id, datetime.fromtimestamp(first, UTC)) for t in tasks if t.name.startswith("e2e")
        )
        await wait_for_nonces(fd, nonces, within=first - time.time() + 60)
        await bot.engine.drain()
        arrived = [
            r.time - first
            for r in accepted_creates(fd)
            if isinstance(r.json, dict) and r.json.get("nonce") in nonces
        ]
        posts = count_posts(fd, nonces)
    return {"lateness": arrived, "posts": posts, "spare_s": spare}


# ----------------------------------------------------------------------------- driver


def _fmt(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:,.1f}"


def _ratio(base: float, ours: float) -> str:
    if math.isnan(base) or math.isnan(ours) or ours <= 0:
        return "—"
    return f"{base / ours:,.2f}×"


def _case_row(label: str, ours: dict[str, Any], base: dict[str, Any], count: int) -> list[str]:
    o, b = lateness_ms(ours["lateness"]), lateness_ms(base["lateness"])
    return [
        label,
        f"{ours['ran']:,}/{count:,}" + (" (stuck)" if ours["stuck"] else ""),
        _fmt(o["p50"]),
        _fmt(o["p99"]),
        _fmt(o["max"]),
        f"{base['ran']:,}/{count:,}",
        _fmt(b["p50"]),
        _fmt(b["p99"]),
        _fmt(b["max"]),
        _ratio(b["p50"], o["p50"]),
        _ratio(b["p99"], o["p99"]),
    ]


def _on_postgres(args: argparse.Namespace, size: int, folder: Path) -> int:
    """Cases (a) and (b), ours only, with the tasks stored in a scratch PostgreSQL database."""
    rows, failed = [], False
    with database_target(folder, "unused", args.postgres) as url:
        seeded = asyncio.run(quiet_background(url, size))
        print(f"seeded {seeded.size:,} tasks in PostgreSQL in {seeded.seconds:.1f} s")
        for key, label, spread in CASES:
            common = ["--db", url, "--count", str(args.count), "--spread", str(spread)]
            ours = run_child(MODULE, ["--child", "ours", "--prefix", key, *common])
            late = lateness_ms(ours["lateness"])
            rows.append(
                [f"({key}) {args.count:,} {label}", f"{ours['ran']:,}/{args.count:,}",
                 _fmt(late["p50"]), _fmt(late["p99"]), _fmt(late["max"])]
            )  # fmt: skip
            failed |= ours["ran"] < args.count or ours["doubled"] > 0
    print("\nEngine lateness on PostgreSQL (job start − scheduled instant)")
    print(table(["case", "ours ran", "p50 ms", "p99 ms", "max ms"], rows))
    return EXIT_LOST if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.child:
        _child(args)
        return 0
    size = args.tasks if args.tasks is not None else QUICK_TASKS if args.quick else FULL_TASKS
    header(MODULE, f"engine lateness with {size:,} tasks stored; end-to-end through fakediscord")
    started = time.perf_counter()
    rows, notes, failed = [], [], False
    with tempfile.TemporaryDirectory(prefix="cadence-lateness-") as scratch:
        folder = Path(scratch)
        if args.postgres:
            return _on_postgres(args, size, folder)
        path = folder / "lateness.sqlite3"
        seeded = asyncio.run(quiet_background(path, size))
        print(f"seeded {seeded.size:,} tasks in {seeded.seconds:.1f} s (none due while measuring)")
        for key, label, spread in CASES:
            common = ["--db", str(path), "--count", str(args.count), "--spread", str(spread)]
            ours = run_child(MODULE, ["--child", "ours", "--prefix", key, *common])
            base = run_child(MODULE, ["--child", "baseline", *common])
            rows.append(_case_row(f"({key}) {args.count:,} {label}", ours, base, args.count))
            notes.append(
                f"({key}) ours: runs {ours['runs']}, wake-ups APScheduler skipped (max_instances)"
                f" {ours['skipped_wakeups']}, {ours['spare_s']:.2f} s spare before the "
                f"first instant; baseline: {base['loaded']:,} jobs loaded, events "
                f"{base['events']}, {base['spare_s']:.2f} s spare"
            )
            failed |= ours["ran"] < args.count or ours["doubled"] > 0
        quiet_logging()
        e2e = {
            paced: asyncio.run(end_to_end(args.e2e_count, folder, paced=paced))
            for paced in (True, False)
        }
    head = ["case", "ours ran", "ours p50 ms", "p99 ms", "max ms", "baseline ran",
            "baseline p50 ms", "p99 ms", "max ms", "p50 ratio", "p99 ratio"]  # fmt: skip
    print("\nEngine lateness (job start − scheduled instant; ratio = baseline / ours)")
    print(table(head, rows))
    for note in notes:
        print(note)
    print(f"\n(c) end to end: {args.e2e_count} tasks due the same second in as many channels")
    e2e_rows = []
    for paced, label in ((True, "paced to 50 requests/s"), (False, "pacing lifted")):
        late, posts = lateness_ms(e2e[paced]["lateness"]), e2e[paced]["posts"]
        e2e_rows.append(
            [label, f"{posts.posted}/{posts.expected}", posts.lost, posts.doubled,
             _fmt(late["p50"]), _fmt(late["p99"]), _fmt(late["max"]),
             f"{e2e[paced]['spare_s']:.2f}"]
        )  # fmt: skip
        failed |= not posts.ok
    head = ["bot", "posted", "lost", "doubled", "p50 ms", "p99 ms", "max ms", "spare s"]
    print(table(head, e2e_rows))
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return EXIT_LOST if failed else 0


if __name__ == "__main__":
    sys.exit(main())
