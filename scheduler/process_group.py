"""The group of Cadence processes sharing one PostgreSQL database: heartbeats, who is live,
and each process's share of Discord's per-token request budget.

Discord allows a bot token 50 requests a second, however many processes use it. Each process
paces its own REST requests (cogs.pacing); the group divides the budget by the live
processes: `floor(50 / N)` each, and the remainder one each to the first processes by process
id (3 processes: 17, 17, 16), refreshed at every heartbeat. That needs no coordination per
request (a database round trip per request would cost more than the request), and it errs on
the safe side: an idle process's unused share is lost, never lent.

A process's share never rises when another joins and never falls when one leaves (joining
only moves a process's rank down the list, leaving only up), so while processes still hold
different views of the group their shares add up to at most the smaller view's total.

The two moments when shares could add up to more than the whole are handled explicitly:

* **a process joins**: the others learn of it at their next heartbeat, so until every other
  live process has beaten once after the newcomer's first row was written, the newcomer's
  share is 0 (its paced requests wait; its heartbeat does not need REST). A process overdue
  by half an interval is not waited for, and the row of a process of this host whose pid is
  gone (a crash before this restart) is removed at once;
* **a process dies**: the others keep their smaller share until its heartbeat is
  `LIVE_INTERVALS` intervals old, which only wastes budget.

A clean stop deletes the row at once, so the others grow their share at their next beat.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from scheduler.clock import Clock
from storage import ProcessRecord, ProcessRepository

__all__ = [
    "FALLBACK",
    "GLOBAL_BUDGET",
    "HEARTBEAT_SECONDS",
    "LIVE_INTERVALS",
    "Membership",
    "ProcessGroup",
    "ShardPreference",
    "share_of",
]

log = logging.getLogger(__name__)

GLOBAL_BUDGET = 50
"""Discord's global limit: requests per second for a bot token, all processes together."""
HEARTBEAT_SECONDS = 5.0
LIVE_INTERVALS = 3
"""A process is live while its heartbeat is younger than this many intervals."""
FALLBACK = timedelta(seconds=2)
"""How late another live process's run may get before any process claims it."""
IDENTIFY_SPACING = timedelta(seconds=5.25)
"""Discord's identify window (5 s per rate-limit key) and a margin for the time an IDENTIFY
takes to reach Discord after its slot (and for clocks of hosts a little apart)."""
FORGET_AFTER = timedelta(hours=1)
"""Rows of processes dead this long are deleted by the others (a crash leaves its row)."""


def share_of(live: int, budget: int = GLOBAL_BUDGET, rank: int | None = None) -> int:
    """The requests per second of the process at `rank` (its place among the `live` ones by
    process id): `floor(budget / live)`, plus one for the first `budget % live` ranks, so the
    shares add up to the whole budget (without a rank: the floor). At least 1."""
    live = max(1, live)
    share = budget // live
    if rank is not None and rank < budget % live:
        share += 1
    return max(1, share)


@dataclass(frozen=True, slots=True)
class Membership:
    """What the last heartbeat learnt: the live processes and this process's share."""

    live: tuple[ProcessRecord, ...]
    share: int
    """Requests per second this process may make (0: wait, the others have not seen it)."""

    def preference(self, process_id: str, shard_count: int) -> ShardPreference:
        """Which shards' guilds `process_id` should post for first (docs/SCALING.md)."""
        mine: set[int] = set()
        held: set[int] = set()
        for process in self.live:
            if process.shard_count != shard_count:
                continue  # a process of an older layout, being restarted: holds nothing here
            (mine if process.process_id == process_id else held).update(process.shard_ids)
        orphaned = set(range(shard_count)) - mine - held
        return ShardPreference(shard_count, frozenset(mine), frozenset(orphaned))


@dataclass(frozen=True, slots=True)
class ShardPreference:
    """Who posts what: a process claims the due runs of guilds on its own shards at once
    (its cache answers mention and permission checks), and of guilds whose shard no live
    process holds (a dead process's); the runs of another live process's guilds only when
    they are `FALLBACK` late, so that a stuck or overloaded process never holds them back.
    """

    shard_count: int
    mine: frozenset[int]
    orphaned: frozenset[int]

    def claims_at_once(self, guild_id: int) -> bool:
        """True when this process should claim `guild_id`'s due runs without waiting."""
        shard = (guild_id >> 22) % self.shard_count
        return shard in self.mine or shard in self.orphaned


class ProcessGroup:
    """This process's membership: `start()` beats every `interval` s until `stop()`.

    `on_share(n)` is called after each beat whose share differs from the last one (0 means
    hold every paced request).
    """

    def __init__(
        self,
        processes: ProcessRepository,
        clock: Clock,
        *,
        shard_ids: tuple[int, ...],
        shard_count: int,
        process_id: str | None = None,
        interval: float = HEARTBEAT_SECONDS,
        budget: int = GLOBAL_BUDGET,
        on_share: Callable[[int], None] | None = None,
    ) -> None:
        self._processes = processes
        self._clock = clock
        self.process_id = process_id or str(uuid.uuid4())
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.shard_ids = shard_ids
        self.shard_count = shard_count
        self.interval = interval
        self.budget = budget
        self._on_share = on_share
        self.started_at: datetime | None = None
        self._joined_at: datetime | None = None
        self.membership: Membership | None = None
        self._preference: ShardPreference | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def max_age(self) -> timedelta:
        return timedelta(seconds=self.interval * LIVE_INTERVALS)

    async def beat(self) -> Membership:
        """Write this process's heartbeat, read the live processes, update the share."""
        now = self._clock.now()
        if self.started_at is None:
            self.started_at = now
        record = ProcessRecord(
            self.process_id, self.host, self.pid, self.shard_ids, self.shard_count,
            self.started_at, now,
        )  # fmt: skip
        await self._processes.beat(record)
        if self._joined_at is None:
            # After the row is written: a process whose beat starts later reads this row.
            self._joined_at = self._clock.now()
        live = tuple(await self._live(now))
        others = [p for p in live if p.process_id != self.process_id]
        # Wait to be seen only by processes still beating: one overdue by half an interval
        # has died or is frozen, and would otherwise hold this one back until it expires.
        overdue = now - timedelta(seconds=self.interval * 1.5)
        seen_by_all = all(
            p.heartbeat_at > self._joined_at or p.heartbeat_at < overdue for p in others
        )
        rank = sorted(p.process_id for p in [*others, record]).index(self.process_id)
        share = share_of(len(others) + 1, self.budget, rank) if seen_by_all else 0
        changed = self.membership is None or self.membership.share != share
        self.membership = Membership(live, share)
        self._preference = self.membership.preference(self.process_id, self.shard_count)
        # Shard ids compare only within one layout: during a reshard, shard 0 of the old count
        # and shard 0 of the new one are different guilds (docs/SCALING.md, "Resharding").
        held = {s for p in others if p.shard_count == self.shard_count for s in p.shard_ids}
        overlap = held & set(self.shard_ids)
        if overlap:
            log.warning(
                "Shard(s) %s are also connected by another live process: both answer the "
                "same guilds' commands; give each process its own SHARD_IDS",
                sorted(overlap),
            )
        if changed:
            log.info(
                "Process group: %d live process(es); this one may make %s request(s)/s",
                len(others) + 1,
                share if share else "no (waiting until the others have seen it)",
            )
            if self._on_share is not None:
                self._on_share(share)
        return self.membership

    def prefers(self, guild_id: int) -> bool:
        """Whether this process claims `guild_id`'s due runs at once (its own shard's guild, or
        a guild no live process holds); True before the first heartbeat."""
        preference = self._preference
        return preference is None or preference.claims_at_once(guild_id)

    async def _live(self, now: datetime) -> list[ProcessRecord]:
        """The live rows, without those of this host whose process is gone (a crash leaves its
        row; the restarted process would otherwise share the budget with a ghost for 15 s)."""
        live = []
        for process in await self._processes.live(now, self.max_age):
            if process.process_id != self.process_id and self._gone(process):
                log.info("Process %s (pid %d) is gone; removing its row", process.process_id,
                         process.pid)  # fmt: skip
                await self._processes.remove(process.process_id)
                continue
            live.append(process)
        return live

    def _gone(self, process: ProcessRecord) -> bool:
        """True when `process` ran on this host and its pid no longer exists."""
        if process.host != self.host or process.pid == self.pid:
            return False
        try:
            os.kill(process.pid, 0)
        except ProcessLookupError:
            return True
        except OSError:
            return False  # it exists, under another user
        return False

    async def identify_turn(self, shard_id: int, max_concurrency: int) -> float:
        """Wait until `shard_id` may IDENTIFY without breaking Discord's `max_concurrency`
        for the whole group (one per key `shard_id % max_concurrency` per 5 s); returns the
        seconds waited. The slot is reserved in the database, so processes never collide."""
        key = shard_id % max(1, max_concurrency)
        now = self._clock.now()
        slot = await self._processes.reserve_identify(key, now, IDENTIFY_SPACING)
        delay = max(0.0, (slot - now).total_seconds())
        if delay:
            log.info("Shard %d identifies in %.1f s (rate-limit key %d)", shard_id, delay, key)
            await self._clock.sleep(delay)
        return delay

    async def start(self) -> Membership:
        """Beat once now (so the share is known before any request), then every interval."""
        membership = await self.beat()
        await self._processes.forget_dead(self._clock.now() - FORGET_AFTER)
        self._task = asyncio.create_task(self._beating(), name="cadence-heartbeat")
        return membership

    async def _beating(self) -> None:
        while True:
            holding = self.membership is not None and self.membership.share == 0
            # While held, look again soon: the others' beats (or their death) release it.
            await self._clock.sleep(min(self.interval, 0.5) if holding else self.interval)
            try:
                await self.beat()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Heartbeat failed; trying again in %g s", self.interval)

    async def stop(self) -> None:
        """Stop beating and delete this process's row, so the others take its share."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        try:
            await self._processes.remove(self.process_id)
        except Exception:
            log.warning("Could not remove this process's heartbeat row; it expires by itself")
