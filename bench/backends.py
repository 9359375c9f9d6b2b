"""Storage hot paths on each backend: what the engine does to the database around a burst.

    .venv/bin/python -m bench.backends [--quick] [--tasks N] [--due N] [--postgres URL]

Seeds N tasks (``bench.seed``, not measured) into a fresh SQLite file and, when a PostgreSQL
URL is given (``--postgres`` or CADENCE_TEST_POSTGRES_URL: a server where a scratch database
may be created), into a fresh PostgreSQL database; then times, on each: the start-up index
(``load_schedule_index``), one index window, tick planning for ``--due`` tasks due at once
(``get_many`` + ``start_many`` + ``update_many``, in one transaction as the engine does),
outcome recording (``finish_many`` + ``record_ok_runs`` + ``prune_many``), and single-row
reads and writes. Medians of a few repetitions, in milliseconds. Results: docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bench.seed import seed_tasks
from storage import (
    Database,
    RunRepository,
    RunStatus,
    RunTrigger,
    StateRepository,
    TaskRepository,
    to_ms,
)

NOW = datetime(2026, 11, 2, 9, 0, 17, tzinfo=UTC)
REPEATS = 5


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.backends",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="10k tasks, 200 due")
    parser.add_argument("--tasks", type=int, default=100_000, help="tasks stored (100k)")
    parser.add_argument("--due", type=int, default=1000, help="tasks due at once (1000)")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (scratch database)")
    return parser.parse_args(argv)


@asynccontextmanager
async def _scratch_postgres(server: str) -> AsyncIterator[str]:
    name = f"cadence_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def _median_ms(
    make: Callable[[int], Awaitable[Any]], repeats: int = REPEATS
) -> tuple[float, Any]:
    times: list[float] = []
    result: Any = None
    for attempt in range(repeats):
        started = time.perf_counter()
        result = await make(attempt)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


async def measure(target: str, tasks_count: int, due: int) -> dict[str, float]:
    """Seed ``target`` and time each hot path there."""
    async with Database.open(target) as db:
        seeded = await seed_tasks(db, tasks_count, NOW)
        print(f"{db.dialect.name}: seeded {tasks_count:,} tasks in {seeded.seconds:.1f} s")
        tasks, runs, state = TaskRepository(db), RunRepository(db), StateRepository(db)
        figures: dict[str, float] = {}
        figures["load_schedule_index"], index = await _median_ms(
            lambda _: tasks.load_schedule_index(), repeats=3
        )
        ids = list(index.task_ids[:due])
        first = index.next_run_at_ms[0]
        figures["index_window"], _ = await _median_ms(
            lambda _: tasks.index_window(first - 1, first + 3_600_000, 1000)
        )

        async def plan(attempt: int) -> list[Any]:
            instant = NOW + timedelta(minutes=attempt)
            async with db.transaction():
                found = await tasks.get_many(ids)
                started = await runs.start_many(
                    [(t.id, instant, RunTrigger.SCHEDULE) for t in found], instant
                )
                await tasks.update_many(
                    [(t.id, {"next_run_at": instant + timedelta(days=1)}) for t in found],
                    at=instant,
                )
            return started

        figures[f"tick planning ({due} due)"], started = await _median_ms(plan)

        async def record(attempt: int) -> None:
            instant = NOW + timedelta(hours=1, minutes=attempt)
            written = await runs.start_many(
                [(task_id, instant, RunTrigger.SCHEDULE) for task_id in ids], instant
            )
            finished = [
                replace(run, status=RunStatus.OK, finished_at=instant, late_by_ms=3, attempts=1)
                for run in written
            ]
            started_at = time.perf_counter()
            await runs.finish_many(finished)
            await tasks.record_ok_runs([(run.task_id, instant) for run in written], at=instant)
            await runs.prune_many(ids, 100)
            record.elapsed.append((time.perf_counter() - started_at) * 1000)  # type: ignore[attr-defined]

        record.elapsed = []  # type: ignore[attr-defined]
        await _median_ms(record)
        figures[f"outcome recording ({due} runs)"] = statistics.median(record.elapsed)  # type: ignore[attr-defined]
        figures["get one task"], _ = await _median_ms(lambda _: tasks.get(ids[0]), repeats=50)
        figures["set one state key"], _ = await _median_ms(
            lambda n: state.set("bench", str(n)), repeats=50
        )
        figures["size on disk MB"] = await db.size_bytes() / 1e6
        assert len(started) == len(ids) and to_ms(NOW) > 0
    return figures


async def _main(args: argparse.Namespace) -> int:
    tasks_count, due = (10_000, 200) if args.quick else (args.tasks, args.due)
    server = args.postgres or os.environ.get("CADENCE_TEST_POSTGRES_URL")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="cadence-bench-") as folder:
        results["sqlite"] = await measure(str(Path(folder) / "backends.db"), tasks_count, due)
    if server:
        async with _scratch_postgres(server) as url:
            results["postgres"] = await measure(url, tasks_count, due)
    else:
        print("(no PostgreSQL URL given: SQLite only)")
    print(f"\nStorage hot paths, {tasks_count:,} tasks stored, median ms")
    names = list(results["sqlite"])
    print(f"{'path':<34}" + "".join(f"{backend:>12}" for backend in results))
    for name in names:
        print(f"{name:<34}" + "".join(f"{results[b][name]:>12.1f}" for b in results))
    return 0


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(_main(_parse(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
