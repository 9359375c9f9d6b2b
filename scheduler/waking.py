"""Waking the engine: the due index, filled window by window from SQLite, and one APScheduler
job that fires when the earliest entry falls due (or the window needs a refill)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from scheduler.clock import Clock
from scheduler.index import DueIndex
from storage import TaskRepository
from storage.timeconv import from_ms, to_ms

log = logging.getLogger(__name__)

WAKE_JOB_ID = "cadence-wake"


class Waker:
    """Keeps `index` filled and calls `on_wake()` whenever an entry in it falls due."""

    def __init__(
        self,
        tasks: TaskRepository,
        clock: Clock,
        on_wake: Callable[[], Awaitable[object]],
        *,
        window_seconds: int,
        window_limit: int,
    ) -> None:
        self.index = DueIndex()
        self._tasks = tasks
        self._clock = clock
        self._on_wake = on_wake
        self._window_ms = window_seconds * 1000
        self._window_limit = window_limit
        self._aps: AsyncIOScheduler | None = None
        self._waking: asyncio.Task[None] | None = None
        self._wake_again = False

    def start(self) -> None:
        """Start APScheduler with the wake job armed (tests drive `on_wake` themselves)."""
        self._aps = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        self._aps.start()
        self.arm()

    async def stop(self) -> None:
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        waking, self._waking = self._waking, None
        if waking is not None:
            waking.cancel()
            await asyncio.gather(waking, return_exceptions=True)

    def push(self, due_ms: int, task_id: int) -> None:
        """An entry that may belong in the index now; re-arm when it is the earliest."""
        if self.index.push(due_ms, task_id):
            self.arm()

    def needs_refill(self, now_ms: int) -> bool:
        """True once half of the loaded window has passed."""
        return now_ms + self._window_ms // 2 >= self.index.horizon_ms

    async def load_window(self, now: datetime) -> int:
        """Load the next window of due entries from SQLite into the index."""
        until_ms = to_ms(now) + self._window_ms
        after_ms = self.index.horizon_ms
        entries = await self._tasks.index_window(after_ms, until_ms, self._window_limit)
        horizon = until_ms
        if len(entries) >= self._window_limit:
            # Stop just before the last instant seen, so that instant loads whole next time.
            horizon = max(after_ms, entries[-1][0] - 1)
            entries = [e for e in entries if e[0] <= horizon]
            if not entries:
                last = await self._tasks.index_window(after_ms, after_ms + 1, None)
                entries, horizon = last, after_ms + 1
        self.index.extend(entries, horizon)
        return len(entries)

    def arm(self) -> None:
        """Wake at the earliest due entry or the next window refill: through APScheduler when
        that lies ahead, at once (on the loop) when it is due already."""
        if self._aps is None:
            return
        refill_ms = self.index.horizon_ms - self._window_ms // 2
        due = self.index.peek()
        wake_ms = refill_ms if due is None else min(due, refill_ms)
        if wake_ms <= to_ms(self._clock.now()):
            # Never hand APScheduler a time already past: while its wake job instance is
            # still running, max_instances=1 would skip the one-shot job and delete it, and
            # the engine would sleep until something else armed it.
            self._wake_soon()
            return
        self._aps.add_job(
            self._on_timer,
            DateTrigger(run_date=from_ms(wake_ms), timezone=UTC),
            id=WAKE_JOB_ID,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
        )

    async def _on_timer(self) -> None:
        """APScheduler's job: hand over to the loop and return at once, so its instance is
        never still running when the next wake falls due."""
        self._wake_soon()

    def _wake_soon(self) -> None:
        if self._waking is not None:
            self._wake_again = True
            return
        self._waking = asyncio.create_task(self._wake(), name="cadence-wake")

    async def _wake(self) -> None:
        try:
            while True:
                self._wake_again = False
                try:
                    await self._on_wake()
                except Exception:
                    log.exception("Engine tick failed; retrying in a second")
                    await asyncio.sleep(1)
                due = self.index.peek()
                if not self._wake_again and (due is None or due > to_ms(self._clock.now())):
                    break
        finally:
            self._waking = None
            self.arm()
