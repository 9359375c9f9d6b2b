"""The measured part of the restore benchmark; each function runs in a fresh subprocess.

``ours``: Cadence's ``Engine.start()`` on the seeded file. ``baseline``: what most bots do
with bare APScheduler 3.11: read every row, build a trigger each, ``add_job`` each on a
started ``AsyncIOScheduler`` with the default ``MemoryJobStore``, inside the running loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import re
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from scheduler.engine import Engine, EngineConfig
from scheduler.protocols import Delivery, Notice
from storage import Database

__all__ = ["measure_baseline", "measure_ours"]

_PART = re.compile(r"(\d+)([wdhms])")
_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def rss_mb() -> float:
    """Resident set size now (VmRSS), in MB."""
    return _status_kb("VmRSS") / 1024


def peak_mb() -> float:
    """Highest RSS since the last ``reset_peak()`` (VmHWM), in MB."""
    return _status_kb("VmHWM") / 1024


def reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux: write 5 to /proc/self/clear_refs)."""
    # Without it the peak covers the whole process life: still an upper bound.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


class StallMonitor:
    """Measures the longest gap the event loop leaves a 1 ms sleeper waiting beyond 1 ms."""

    def __init__(self) -> None:
        self.max_gap = 0.0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._watch())
        await asyncio.sleep(0.01)  # armed before the measured work starts
        self.max_gap = 0.0

    async def _watch(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.001)
            self.max_gap = max(self.max_gap, time.perf_counter() - started - 0.001)

    async def stop(self) -> float:
        """Stop watching; the longest stall seen, in ms."""
        await asyncio.sleep(0.002)  # let the sleeper observe the end of the last stall
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        return self.max_gap * 1000


def _timed_gc_ms() -> float:
    started = time.perf_counter()
    gc.collect()
    return (time.perf_counter() - started) * 1000


class NullDeliverer:
    """Posts nothing (restore never posts: nothing is due)."""

    async def deliver(self, delivery: Delivery) -> int:
        return 1


class NullAlerter:
    """Sends nothing."""

    async def send(self, notice: Notice) -> bool:
        return True


async def _wait_until(epoch: float) -> None:
    delay = epoch - time.time()
    if delay > 0:
        await asyncio.sleep(delay)


async def measure_ours(path: str, not_before: float) -> dict[str, Any]:
    """``Engine.start()`` until ready to fire, then the full schedule-index scan."""
    db = await Database.open(path)
    await _wait_until(not_before)
    gc.collect()
    rss_before = rss_mb()
    reset_peak()
    monitor = StallMonitor()
    await monitor.start()
    started = time.perf_counter()
    engine = Engine(
        db,
        deliverer=NullDeliverer(),
        alerter=NullAlerter(),
        config=EngineConfig(),
        use_apscheduler=True,
    )
    report = await engine.start()
    gc.collect()
    gc.freeze()  # as bot.py does once the bot is ready
    wall = time.perf_counter() - started
    stall = await monitor.stop()
    result: dict[str, Any] = {
        "wall_s": wall,
        "rss_mb": rss_mb() - rss_before,
        "peak_mb": peak_mb() - rss_before,
        "stall_ms": stall,
        "gc_ms": _timed_gc_ms(),
        "held": len(engine.index),
        "window_s": engine.config.window_seconds,
        "report": report,
        "late_by_s": time.time() - not_before,
    }
    rss_before = rss_mb()
    monitor = StallMonitor()
    await monitor.start()
    started = time.perf_counter()
    full = await engine.tasks.load_schedule_index()
    result["scan_s"] = time.perf_counter() - started
    result["scan_stall_ms"] = await monitor.stop()
    result["scan_rss_mb"] = rss_mb() - rss_before
    result["scan_count"] = len(full.task_ids)
    await engine.stop()
    gc.unfreeze()
    await db.close()
    return result


async def _fire(task_id: int) -> None:
    """The job every baseline task runs (never reached while measuring)."""


def _interval_seconds(spec: str) -> int:
    return sum(int(amount) * _SECONDS[unit] for amount, unit in _PART.findall(spec))


def _trigger(kind: str, spec: str, zone: str, start_ms: int | None) -> BaseTrigger:
    """The trigger a typical bot builds for a stored task (weekday bug included)."""
    if kind == "cron":
        return CronTrigger.from_crontab(spec, timezone=zone)
    if kind == "interval":
        start = None if start_ms is None else datetime.fromtimestamp(start_ms / 1000, UTC)
        return IntervalTrigger(seconds=_interval_seconds(spec), start_date=start, timezone=zone)
    return DateTrigger(run_date=datetime.fromisoformat(spec), timezone=zone)


def _add_all(scheduler: AsyncIOScheduler, path: str) -> int:
    """Read the active rows and add one job each: synchronous, as bots do in setup_hook."""
    query = """
        SELECT id, kind, spec, timezone, start_at FROM tasks
        WHERE status = 'active' ORDER BY id
    """
    added = 0
    with sqlite3.connect(path) as conn:
        for task_id, kind, spec, zone, start_ms in conn.execute(query):
            trigger = _trigger(kind, spec, zone, start_ms)
            scheduler.add_job(_fire, trigger, id=str(task_id), args=(task_id,))
            added += 1
    conn.close()
    return added


async def measure_baseline(path: str) -> dict[str, Any]:
    """Bare APScheduler 3.11: every task becomes a job in the default MemoryJobStore."""
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # no per-miss warning flood
    events = {"executed": 0, "missed": 0}

    def count(event: JobEvent) -> None:
        events["missed" if event.code == EVENT_JOB_MISSED else "executed"] += 1

    gc.collect()
    rss_before = rss_mb()
    reset_peak()
    monitor = StallMonitor()
    await monitor.start()
    started = time.perf_counter()
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_listener(count, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)
    scheduler.start()
    added = _add_all(scheduler, path)
    wall = time.perf_counter() - started
    await asyncio.sleep(0)  # one loop pass runs the wake-ups add_job queued (one per job)
    settled = time.perf_counter() - started
    stall = await monitor.stop()
    result: dict[str, Any] = {
        "wall_s": wall,
        "settle_s": settled - wall,
        "rss_mb": rss_mb() - rss_before,
        "peak_mb": peak_mb() - rss_before,
        "stall_ms": stall,
        "gc_ms": _timed_gc_ms(),
        "held": len(scheduler.get_jobs()),
        "added": added,
        "events": events,
    }
    scheduler.shutdown(wait=False)
    await asyncio.sleep(0)
    return result


# ----------------------------------------------------------------------------- reusable helpers


def add_jobs_at_stored_times(scheduler: AsyncIOScheduler, path: str) -> int:
    """Like the restore baseline, but each job keeps its stored ``next_run_at`` (as a bot that
    persists it does), so a quiet seed stays quiet; returns how many jobs were added."""
    query = """
        SELECT id, kind, spec, timezone, start_at, next_run_at FROM tasks
        WHERE status = 'active' AND next_run_at IS NOT NULL ORDER BY id
    """
    added = 0
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for task_id, kind, spec, zone, start_ms, next_ms in conn.execute(query):
            scheduler.add_job(
                _fire,
                _trigger(kind, spec, zone, start_ms),
                id=str(task_id),
                args=(task_id,),
                next_run_time=datetime.fromtimestamp(next_ms / 1000, UTC),
            )
            added += 1
    return added
