"""Lost runs: N one-time tasks fall due at the same instant, ours against APScheduler's defaults.

    .venv/bin/python -m bench.lost [--quick] [--count 20000]

Ours: a real ``Engine`` (SystemClock, APScheduler waking) over SQLite holding the N tasks,
with a deliverer that records each delivery; counted: deliveries, doubled deliveries, and the
run rows by status. Baseline: ``AsyncIOScheduler()`` with its defaults (``MemoryJobStore``,
``misfire_grace_time`` 1 s, ``coalesce`` off, ``max_instances`` 1), one ``DateTrigger`` job per
task whose coroutine counts itself; counted: executed and missed events from listeners. Both
also report the longest event-loop stall (a 1 ms sleeper kept waiting) from just before the
instant until the last run, and how long that took. Each side runs in a fresh process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
    STUCK_S,
    RecordingDeliverer,
    date_tasks,
    emit,
    header,
    quiet_logging,
    run_child,
    skipped_wakeups,
    table,
    until_done_or_stuck,
    wait_until,
)
from bench.measure import NullAlerter, StallMonitor

MODULE = "bench.lost"
FULL_COUNT, QUICK_COUNT = 20_000, 5_000
LEAD = 3.0
Scenario = tuple[float, float]  # seconds the loop is blocked at the instant; a straggler's delay
SCENARIOS: tuple[tuple[str, Scenario], ...] = (
    ("free loop", (0.0, 0.0)),
    ("loop blocked 1.5 s at the instant", (1.5, 0.0)),
    ("+1 task due 20 ms after the burst", (0.0, 0.02)),
)
GUILDS = 100
GUILD_BASE = 10**16


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"python -m {MODULE}",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_COUNT:,} tasks")
    parser.add_argument("--count", type=int, help="tasks due at once")
    parser.add_argument("--child", choices=("ours", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=600.0, help=argparse.SUPPRESS)
    parser.add_argument("--block", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--straggler", type=float, default=0.0, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _block_at(due: float, seconds: float) -> None:
    """Block the loop (as a synchronous restore or a long GC would) from 0.2 s before ``due``."""
    if seconds > 0:
        delay = max(0.0, due - 0.2 - time.time())
        asyncio.get_running_loop().call_later(delay, time.sleep, seconds)


def _instants(due: float, count: int, straggler: float) -> list[float]:
    """``count`` at ``due``, and one more ``straggler`` seconds later when it is not 0."""
    return [due] * count + ([due + straggler] if straggler else [])


async def measure_ours(path: str, count: int, limit_s: float, scenario: Scenario) -> dict[str, Any]:
    from scheduler.engine import Engine
    from storage import Database, TaskRepository

    block, straggler = scenario
    skipped = skipped_wakeups()
    db = await Database.open(path)
    due = math.ceil(time.time() + LEAD)
    instants = _instants(due, count, straggler)
    deliverer = RecordingDeliverer(len(instants))
    guilds = [GUILD_BASE + n for n in range(GUILDS)]
    await TaskRepository(db).create_many(
        date_tasks(instants, guilds, lambda i: GUILD_BASE + 100_000 + i % 1000, prefix="l")
    )
    engine = Engine(db, deliverer=deliverer, alerter=NullAlerter(), use_apscheduler=True)
    await engine.start()
    spare = due - time.time()
    await wait_until(due - 0.5)
    monitor = StallMonitor()
    await monitor.start()
    _block_at(due, block)
    finished = await until_done_or_stuck(
        deliverer, lambda: engine.dispatcher.pending, not_before=max(instants), limit_s=limit_s
    )
    last = max((entered for *_, entered in deliverer.entries), default=math.nan)
    await engine.drain()
    settled = time.time()
    stall = await monitor.stop()
    runs = await engine.runs.recent_counts(datetime.fromtimestamp(due, UTC))
    await engine.stop()
    await db.close()
    return {
        "ran": len(deliverer.entries) - deliverer.doubled(),
        "doubled": deliverer.doubled(),
        "lost": len(instants) - runs["ok"],
        "stuck": not finished,
        "runs": runs,
        "skipped_wakeups": skipped(),
        "stall_ms": stall,
        "last_start_s": last - due,
        "settled_s": settled - due,
        "spare_s": spare,
    }


async def measure_baseline(count: int, limit_s: float, scenario: Scenario) -> dict[str, Any]:
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobEvent
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.date import DateTrigger

    block, straggler = scenario
    events: Counter[str] = Counter()
    names = {EVENT_JOB_EXECUTED: "executed", EVENT_JOB_MISSED: "missed", EVENT_JOB_ERROR: "error"}
    finished = asyncio.Event()
    due = math.ceil(time.time() + LEAD)
    instants = _instants(due, count, straggler)

    def listen(event: JobEvent) -> None:
        events[names[event.code]] += 1
        if sum(events.values()) >= len(instants):
            finished.set()

    starts: list[float] = []

    async def job(task_id: int) -> None:
        starts.append(time.time())

    scheduler = AsyncIOScheduler(timezone=UTC)  # APScheduler's defaults, as most bots run it
    scheduler.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    scheduler.start()
    for task_id, at in enumerate(instants):
        trigger = DateTrigger(run_date=datetime.fromtimestamp(at, UTC), timezone=UTC)
        scheduler.add_job(job, trigger, id=str(task_id), args=(task_id,))
    spare = due - time.time()
    await wait_until(due - 0.5)
    monitor = StallMonitor()
    await monitor.start()
    _block_at(due, block)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(finished.wait(), timeout=limit_s)
    settled = time.time()
    stall = await monitor.stop()
    scheduler.shutdown(wait=False)
    return {
        "ran": len(starts),
        "doubled": 0,
        "lost": len(instants) - len(starts),
        "stuck": False,
        "events": dict(events),
        "stall_ms": stall,
        "last_start_s": (max(starts) - due) if starts else math.nan,
        "settled_s": settled - due,
        "spare_s": spare,
    }


def _child(args: argparse.Namespace) -> None:
    quiet_logging()
    if args.child == "ours":
        scenario = (args.block, args.straggler)
        emit(asyncio.run(measure_ours(args.db, args.count, args.timeout, scenario)))
    else:
        emit(asyncio.run(measure_baseline(args.count, args.timeout, (args.block, args.straggler))))


def _seconds(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.2f}"


def _row(scenario: str, side: str, r: dict[str, Any]) -> list[str]:
    ran = f"{r['ran']:,}" + (" (stuck)" if r["stuck"] else "")
    return [scenario, side, ran, f"{r['lost']:,}", f"{r['doubled']:,}", f"{r['stall_ms']:,.1f}",
            _seconds(r["last_start_s"]), _seconds(r["settled_s"])]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    count = args.count or (QUICK_COUNT if args.quick else FULL_COUNT)
    if args.child:
        args.count = count
        _child(args)
        return 0
    header(MODULE, f"runs lost when {count:,} one-time tasks fall due at the same instant")
    started = time.perf_counter()
    rows: list[list[str]] = []
    failed = False
    for scenario, (block, straggler) in SCENARIOS:
        with tempfile.TemporaryDirectory(prefix="cadence-lost-") as scratch:
            path = Path(scratch) / "lost.sqlite3"
            common = ["--count", str(count), "--block", str(block), "--straggler", str(straggler)]
            ours = run_child(MODULE, ["--child", "ours", "--db", str(path), *common])
            base = run_child(MODULE, ["--child", "baseline", *common])
        rows += [_row(scenario, "ours", ours), _row(scenario, "baseline", base)]
        print(
            f"{scenario}: ours' run rows {ours['runs']}, wake-ups APScheduler skipped "
            f"{ours['skipped_wakeups']}; baseline's events {base['events']}; "
            f"spare before the instant: ours {ours['spare_s']:.2f} s, baseline "
            f"{base['spare_s']:.2f} s",
            flush=True,
        )
        failed |= bool(ours["lost"] or ours["doubled"] or ours["stuck"])
    print(f"\n{count:,} due at once (baseline: misfire_grace_time 1 s, APScheduler's default)")
    head = ["scenario", "side", "ran", "lost", "doubled", "longest stall ms", "last start s",
            "all done s"]  # fmt: skip
    print(table(head, rows))
    print(
        "last start: the last run started, seconds after the instant; all done: ours' runs "
        "finished and recorded, the baseline's last event; stuck: ours stopped running with "
        f"runs still due (nothing happened for {STUCK_S:.0f} s)"
    )
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return EXIT_LOST if failed else 0


if __name__ == "__main__":
    sys.exit(main())
