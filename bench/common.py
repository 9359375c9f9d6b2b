"""Helpers shared by the latency, loss, burst, command and fairness benches (not measured).

Figures are printed as plain tables headed by the machine they were taken on; each
measurement that must start from a clean interpreter runs as a child process that prints one
``RESULT {json}`` line (:func:`run_child`, :func:`emit`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.machine import machine
from bench.seed import SeedStats, cron_expressions, seed_database
from scheduler.protocols import Delivery
from scheduler.triggers import date_spec, schedule_from_spec
from storage import ChannelDestination, NewTask, Payload, TaskKind, Variant

__all__ = [
    "EXIT_LOST",
    "QUIET_LEAD",
    "RESULT_PREFIX",
    "RecordingDeliverer",
    "cron_tasks",
    "date_tasks",
    "emit",
    "header",
    "lateness_ms",
    "percentile",
    "quiet_background",
    "quiet_logging",
    "run_child",
    "skipped_wakeups",
    "spread_instants",
    "table",
    "until_done_or_stuck",
    "wait_until",
]

RESULT_PREFIX = "RESULT "
#: Exit status of a bench whose own side (ours) lost or doubled a run or a post.
EXIT_LOST = 1
#: Background tasks are seeded as if "now" were this far ahead: none falls due while measuring.
QUIET_LEAD = timedelta(hours=6)
BENCH_USER = 4242
#: Seconds without progress after which a waiting bench decides the engine is stuck.
STUCK_S = 5.0


# ----------------------------------------------------------------------------- output


def header(module: str, what: str) -> None:
    """Print the command line, the machine and one line saying what is measured."""
    print("command:", shlex.join([".venv/bin/python", "-m", module, *sys.argv[1:]]))
    for key, value in machine().items():
        print(f"{key}: {value}")
    print(what, flush=True)


def table(head: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (readable in a terminal too); floats keep the caller's formatting."""
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0.5 for p50, 0.99 for p99); NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def lateness_ms(values_s: Sequence[float]) -> dict[str, float]:
    """p50, p99 and max of lateness given in seconds, in ms."""
    ms = [value * 1000 for value in values_s]
    return {
        "p50": percentile(ms, 0.50),
        "p99": percentile(ms, 0.99),
        "max": max(ms) if ms else math.nan,
    }


def quiet_logging() -> None:
    """Warnings only; discord.py's rate-limit chatter and APScheduler's misses are counted,
    not logged."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("discord", "apscheduler", "scheduler.incidents"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


class _SkipCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "maximum number of running instances" in record.getMessage():
            self.count += 1


def skipped_wakeups() -> Callable[[], int]:
    """Count APScheduler's "skipped: maximum number of running instances reached" warnings
    (for the engine, a wake-up dropped while the previous one still ran); call to read."""
    counter = _SkipCounter()
    scheduler_log = logging.getLogger("apscheduler.scheduler")
    scheduler_log.setLevel(logging.WARNING)
    scheduler_log.propagate = False
    scheduler_log.addHandler(counter)
    return lambda: counter.count


# ----------------------------------------------------------------------------- children


def run_child(module: str, argv: Sequence[str], *, timeout: float | None = None) -> dict[str, Any]:
    """Run ``python -m module --child ...`` in a fresh interpreter; its ``RESULT`` line."""
    command = [sys.executable, "-m", module, *argv]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(command[1:])} failed ({done.returncode}):\n{done.stderr}")
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            return result
    raise RuntimeError(f"{shlex.join(command[1:])} printed no result:\n{done.stderr}")


def emit(result: dict[str, Any]) -> None:
    """Hand a child's result to the parent."""
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")


async def wait_until(epoch: float) -> None:
    delay = epoch - time.time()
    if delay > 0:
        await asyncio.sleep(delay)


# ----------------------------------------------------------------------------- the engine side


class RecordingDeliverer:
    """Posts nothing; records when each delivery entered ``deliver()`` (epoch seconds).

    ``entries`` holds ``(task_id, scheduled_for, entered)``; ``done`` is set once
    ``expected`` deliveries came in.
    """

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.entries: list[tuple[int, float, float]] = []
        self.done = asyncio.Event()

    async def deliver(self, delivery: Delivery) -> int:
        entered = time.time()
        self.entries.append((delivery.task_id, delivery.scheduled_for.timestamp(), entered))
        if len(self.entries) >= self.expected:
            self.done.set()
        return len(self.entries)

    def lateness(self) -> list[float]:
        return [entered - scheduled for _, scheduled, entered in self.entries]

    def doubled(self) -> int:
        """Deliveries of a (task, instant) that had been delivered already."""
        return len(self.entries) - len({(task, at) for task, at, _ in self.entries})


async def until_done_or_stuck(
    deliverer: RecordingDeliverer, pending: Callable[[], int], *, not_before: float, limit_s: float
) -> bool:
    """Wait until every expected delivery came in; give up (False) after ``limit_s`` seconds,
    or once ``STUCK_S`` seconds after ``not_before`` passed with no new delivery and nothing
    pending in the engine's dispatcher (the engine is not going to run the rest)."""
    deadline = time.time() + limit_s
    seen, changed = -1, time.time()
    while not deliverer.done.is_set() and time.time() < deadline:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(deliverer.done.wait(), 0.25)
        if len(deliverer.entries) != seen:
            seen, changed = len(deliverer.entries), time.time()
        elif time.time() - max(changed, not_before) > STUCK_S and pending() == 0:
            break
    return deliverer.done.is_set()


# ----------------------------------------------------------------------------- tasks


def spread_instants(first: float, count: int, spread_s: float) -> list[float]:
    """``count`` epoch instants from ``first``, evenly ``spread_s / count`` apart (0: the same)."""
    step = spread_s / count if count else 0.0
    return [round(first + index * step, 3) for index in range(count)]


def date_tasks(
    instants: Sequence[float],
    guild_ids: Sequence[int],
    channel_of: Callable[[int], int],
    *,
    prefix: str,
) -> list[NewTask]:
    """One one-time task per instant; task ``i`` in ``guild_ids[i % len]``, posting in
    ``channel_of(i)``. Sub-second instants keep their milliseconds in ``next_run_at`` (the
    engine runs ``next_run_at``; the spec holds the whole second)."""
    created = datetime.now(UTC)
    tasks = []
    for index, at in enumerate(instants):
        instant = datetime.fromtimestamp(at, UTC)
        tasks.append(
            NewTask(
                name=f"{prefix}-{index:05d}",
                kind=TaskKind.DATE,
                spec=date_spec(instant),
                created_at=created,
                guild_id=guild_ids[index % len(guild_ids)],
                created_by=BENCH_USER,
                timezone="UTC",
                payload=Payload(variants=(Variant(content=f"{prefix} {index}"),)),
                destinations=(ChannelDestination(channel_id=channel_of(index)),),
                next_run_at=instant,
            )
        )
    return tasks


def cron_tasks(count: int, guild_id: int, channel_id: int, *, prefix: str) -> list[NewTask]:
    """``count`` cron tasks of one guild over the seed's crontabs, next due hours from now."""
    specs = cron_expressions()
    created = datetime.now(UTC)
    quiet = created + QUIET_LEAD
    tasks = []
    for index in range(count):
        spec = specs[index % len(specs)]
        schedule = schedule_from_spec("cron", spec, "UTC", anchor=created)
        tasks.append(
            NewTask(
                name=f"{prefix}-{index:04d}",
                kind=TaskKind.CRON,
                spec=spec,
                created_at=created,
                guild_id=guild_id,
                created_by=BENCH_USER,
                timezone="UTC",
                payload=Payload(variants=(Variant(content=f"{prefix} {index} says hello"),)),
                destinations=(ChannelDestination(channel_id=channel_id),),
                next_run_at=schedule.next_fire(None, quiet),
            )
        )
    return tasks


@contextlib.contextmanager
def database_target(folder: Path, name: str, postgres: str | None) -> Iterator[str]:
    """Where one bench keeps its database: ``folder/name`` (SQLite), or, when ``postgres``
    (a server URL) is given, a scratch database created there and dropped afterwards."""
    if postgres is None:
        yield str(folder / name)
        return
    database = f"cadence_bench_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(postgres, f'CREATE DATABASE "{database}"'))
    try:
        yield urlunsplit(urlsplit(postgres)._replace(path=f"/{database}"))
    finally:
        asyncio.run(_admin(postgres, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


async def _admin(server: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def quiet_background(path: str | Path, size: int) -> SeedStats:
    """``size`` tasks of the restore bench's mix, none due in the next hours."""
    now = (datetime.now(UTC) + QUIET_LEAD).replace(microsecond=0)
    return await seed_database(path, size, now) if size else SeedStats(size=0, now=now)
