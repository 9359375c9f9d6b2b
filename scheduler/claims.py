"""Runs held under a lease, so several processes on one PostgreSQL start and post each run
exactly once (issue 18).

A process *holds* every run it starts (``claimed_by`` its process id, ``lease_until``, a
``fence``). While it lives it extends all of them in one UPDATE every third of the lease; it
asks again, one row at a time, before each send attempt; its finishing writes are
conditioned on the fence it holds. A process that dies or freezes stops extending; once its
leases lapse, any live process's reaper takes the runs over (fence + 1) and re-sends or
closes them by the single-process recovery rules (``scheduler.recovery``).

With SQLite there is one process: runs are written held all the same and finishing is fenced
the same way, but nothing else can take a run over, so the per-send check, the reaper and
the polling are left out (they would only cost time).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from scheduler.clock import Clock
from storage import Claim, Database, LeaseRepository, Run
from storage.leases import TAKE_BATCH

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
"""The polling fallback for due rows (a lost notification, a dead process's tasks)."""
REAP_SECONDS = 1.0
"""How often a live process looks for lapsed leases: a dead process's runs resume within
this of their lease's end (the query reads only `running` rows, through the partial index
on them; an idle pass costs well under a millisecond)."""

Guard = Callable[[], Awaitable[bool]]
"""Asked before each send attempt: does this process still hold the run?"""


class Leases:
    """The runs this process holds, and the lease writes about them."""

    def __init__(
        self, database: Database, clock: Clock, *, process_id: str, lease_seconds: float
    ) -> None:
        self.process_id = process_id
        self.shared = database.dialect.is_postgres
        """True where other processes may share the database (PostgreSQL)."""
        self.lease = timedelta(seconds=lease_seconds)
        self.repository = LeaseRepository(database)
        self._clock = clock
        self._held: dict[int, int] = {}  # run id -> fence

    def claim(self, now: datetime) -> Claim:
        """What a run started now is written with."""
        return Claim(self.process_id, now + self.lease)

    def hold(self, run: Run) -> None:
        """Keep extending `run`'s lease (at its fence) until `release`."""
        self._held[run.id] = run.fence

    def release(self, run: Run) -> None:
        if self._held.get(run.id) == run.fence:
            del self._held[run.id]

    @property
    def held(self) -> dict[int, int]:
        return dict(self._held)

    def guard(self, run: Run) -> Guard | None:
        """The check the runner makes before each send of `run` (None: nobody else could
        have taken it, on SQLite)."""
        if not self.shared:
            return None

        async def still_held() -> bool:
            held = await self.repository.hold(run, self.process_id, self._clock.now() + self.lease)
            if not held:
                log.warning(
                    "Run %s (fence %s) was taken over by another process; not sending it",
                    run.id,
                    run.fence,
                )
                self.release(run)
            return held

        return still_held

    async def extend(self) -> int:
        """Extend every held lease in one statement; forget the runs lost meanwhile.
        Returns how many are still held."""
        held = list(self._held.items())
        if not held:
            return 0
        kept = await self.repository.extend(self.process_id, held, self._clock.now() + self.lease)
        for run_id, fence in held:
            if run_id not in kept and self._held.get(run_id) == fence:
                log.warning("Lost the lease of run %s (fence %s) to another process", run_id, fence)
                del self._held[run_id]
        return len(kept)

    async def give_up(self) -> int:
        """At a clean stop, after the last send: let every lease this process still holds
        lapse now, so a live process's reaper takes those runs over (same nonce) within a
        second instead of a lease later. Fenced like an extension: a run already taken over
        or finished is left alone. Returns how many were given up (0 on SQLite, where the
        next start takes every `running` row anyway)."""
        held = list(self._held.items())
        self._held.clear()
        if not self.shared or not held:
            return 0
        lapsed = self._clock.now() - timedelta(milliseconds=1)
        given = await self.repository.extend(self.process_id, held, lapsed)
        if given:
            log.info("Gave up the leases of %d unfinished run(s) at stop", len(given))
        return len(given)

    async def take(self, now: datetime, *, starting: bool) -> list[Run]:
        """Take over the runs whose lease lapsed, and hold them. ``starting``: at start-up,
        also those an earlier life of this process id held (a restart with a fixed process
        id recovers at once), or every `running` row when nobody else can hold one
        (SQLite)."""
        taken: list[Run] = []
        everything = starting and not self.shared
        while True:
            batch = await self.repository.take(
                self.process_id,
                now + self.lease,
                lapsed_before=None if everything else now,
                previous_life=starting,
            )
            for run in batch:
                self.hold(run)
            taken.extend(batch)
            if not starting or len(batch) < TAKE_BATCH:
                return taken  # the reaper takes one batch a pass; the next pass takes more


class Duties:
    """The background work of a process that shares its database: extend the leases, reap
    lapsed ones, poll for due rows. Each duty runs on its own loop; a failure is logged and
    the loop goes on."""

    def __init__(
        self,
        leases: Leases,
        *,
        reap: Callable[[], Awaitable[object]],
        poll: Callable[[], Awaitable[object]],
        poll_seconds: float = POLL_SECONDS,
        reap_seconds: float = REAP_SECONDS,
    ) -> None:
        self._loops = [
            (leases.extend, max(0.5, leases.lease.total_seconds() / 3), "extend leases"),
            (reap, reap_seconds, "reap lapsed leases"),
            (poll, poll_seconds, "poll due tasks"),
        ]
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._every(duty, seconds, name), name=f"cadence-{name}")
            for duty, seconds, name in self._loops
        ]

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @staticmethod
    async def _every(duty: Callable[[], Awaitable[object]], seconds: float, name: str) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await duty()
            except Exception:
                log.exception("Could not %s; trying again in %.1f s", name, seconds)
