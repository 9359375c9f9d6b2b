"""What claiming runs costs on PostgreSQL (issue 18): the tick's transaction with and
without the claim, and the lease writes around it.

    .venv/bin/python -m bench.claims [--tasks N] [--due N] [--postgres URL]

Seeds N tasks (``bench.seed``, not measured) into a scratch PostgreSQL database, then times
(medians of a few repetitions, in milliseconds), for ``--due`` tasks due at once:

- tick planning as single-process mode did it: ``get_many`` + ``start_many`` +
  ``update_many`` in one transaction;
- the same with the claim: rows locked ``FOR UPDATE SKIP LOCKED``, run rows written held
  (process id, lease, fence);
- one lease extension of every held run (one UPDATE), the reaper taking them all over, and
  the fenced outcome write against the unfenced one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bench.backends import NOW, _median_ms, _scratch_postgres
from bench.seed import seed_tasks
from storage import (
    Claim,
    Database,
    LeaseRepository,
    RunRepository,
    RunStatus,
    RunTrigger,
    TaskRepository,
)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.claims", description=__doc__)
    parser.add_argument("--tasks", type=int, default=10_000, help="tasks stored (10k)")
    parser.add_argument("--due", type=int, default=1000, help="tasks due at once (1000)")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (scratch database)")
    return parser.parse_args(argv)


async def measure(target: str, tasks_count: int, due: int) -> dict[str, float]:
    async with Database.open(target) as db:
        await seed_tasks(db, tasks_count, NOW)
        tasks, runs, leases = TaskRepository(db), RunRepository(db), LeaseRepository(db)
        index = await tasks.load_schedule_index()
        ids = list(index.task_ids[:due])
        figures: dict[str, float] = {}

        def planning(claimed: bool, hour: int) -> Any:
            async def plan(attempt: int) -> list[Any]:
                instant = NOW + timedelta(hours=hour, minutes=attempt)
                claim = Claim("bench", instant + timedelta(seconds=30)) if claimed else None
                async with db.transaction():
                    found = await tasks.get_many(ids, claim=claimed)
                    started = await runs.start_many(
                        [(t.id, instant, RunTrigger.SCHEDULE) for t in found], instant, claim
                    )
                    await tasks.update_many(
                        [(t.id, {"next_run_at": instant + timedelta(days=1)}) for t in found],
                        at=instant,
                    )
                return started

            return plan

        figures[f"tick planning, unclaimed ({due} due)"], _ = await _median_ms(
            planning(False, 1), repeats=7
        )
        figures[f"tick planning, claimed ({due} due)"], held = await _median_ms(
            planning(True, 2), repeats=7
        )
        pairs = [(run.id, run.fence) for run in held]
        at = NOW + timedelta(hours=3)
        figures[f"extend {len(pairs)} leases (one UPDATE)"], _ = await _median_ms(
            lambda n: leases.extend("bench", pairs, at + timedelta(seconds=n))
        )
        figures["check one lease before a send"], _ = await _median_ms(
            lambda n: leases.hold(held[0], "bench", at + timedelta(seconds=n)), repeats=50
        )

        async def take_all(_: int) -> int:
            total = 0
            # Leases run to at most `at` + 4 s (extended above); taken ones to `at` + 2 min.
            lapsed, until = at + timedelta(minutes=1), at + timedelta(minutes=2)
            while batch := await leases.take("reaper", until, lapsed_before=lapsed):
                total += len(batch)
            return total

        # Every run started above (claimed or not, 14 repetitions of `due`) lapsed by now.
        took_ms, taken = await _median_ms(take_all, repeats=1)
        figures[f"reaper takes {taken} lapsed runs (batches of 500)"] = took_ms
        finished = [
            replace(run, status=RunStatus.OK, finished_at=at, late_by_ms=3, attempts=1, fence=2)
            for run in held
        ]
        figures[f"fenced outcome write ({len(finished)} runs)"], _ = await _median_ms(
            lambda _: leases.finish_held("reaper", finished), repeats=1
        )
        assert taken >= len(held)
        return figures


async def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    server = args.postgres or os.environ.get("CADENCE_TEST_POSTGRES_URL")
    if not server:
        raise SystemExit("give --postgres URL or set CADENCE_TEST_POSTGRES_URL")
    async with _scratch_postgres(server) as url:
        figures = await measure(url, args.tasks, args.due)
    print(f"PostgreSQL, {args.tasks:,} tasks stored, {args.due:,} due at once (median ms):")
    for name, value in figures.items():
        print(f"  {name:<45} {value:9.1f}")


if __name__ == "__main__":
    asyncio.run(main())
