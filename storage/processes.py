"""ProcessRepository: the Cadence processes sharing this database, and their IDENTIFY slots.

Each process rewrites its own `cadence_processes` row at every heartbeat and deletes it on a
clean stop; a process is live while its heartbeat is younger than the caller's `max_age`.
Nothing here coordinates anything by itself: callers (scheduler.process_group) read the live
rows to share Discord's per-token limits, and reserve IDENTIFY slots one atomic upsert at a
time, so that processes never need to talk to each other.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage._codec import dump_json, load_json
from storage.database import Database
from storage.timeconv import from_ms, to_ms

__all__ = ["ProcessRecord", "ProcessRepository"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ProcessRecord:
    """One process of the group, as its last heartbeat left it."""

    process_id: str
    host: str
    pid: int
    shard_ids: tuple[int, ...]
    shard_count: int
    started_at: datetime
    heartbeat_at: datetime


class ProcessRepository:
    """``cadence_processes`` and ``cadence_identify_slots``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def beat(self, record: ProcessRecord) -> None:
        """Insert or refresh `record`'s row (its `heartbeat_at` is the beat's instant)."""
        query = """
            INSERT INTO cadence_processes
                (process_id, host, pid, shard_ids, shard_count, started_at, heartbeat_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (process_id) DO UPDATE SET
                shard_ids = excluded.shard_ids,
                shard_count = excluded.shard_count,
                heartbeat_at = excluded.heartbeat_at
        """
        await self._db.execute(
            query,
            (
                record.process_id,
                record.host,
                record.pid,
                dump_json(list(record.shard_ids)),
                record.shard_count,
                to_ms(record.started_at),
                to_ms(record.heartbeat_at),
            ),
        )

    async def live(self, now: datetime, max_age: timedelta) -> list[ProcessRecord]:
        """Processes whose heartbeat is younger than `max_age` at `now`, oldest start first."""
        query = """
            SELECT process_id, host, pid, shard_ids, shard_count, started_at, heartbeat_at
            FROM cadence_processes WHERE heartbeat_at > ?
            ORDER BY started_at, process_id
        """
        rows = await self._db.fetch_all(query, (to_ms(now - max_age),))
        return [
            ProcessRecord(
                process_id=str(row["process_id"]),
                host=str(row["host"]),
                pid=int(row["pid"]),
                shard_ids=tuple(int(i) for i in load_json(row["shard_ids"], [])),
                shard_count=int(row["shard_count"]),
                started_at=from_ms(int(row["started_at"])),
                heartbeat_at=from_ms(int(row["heartbeat_at"])),
            )
            for row in rows
        ]

    async def remove(self, process_id: str) -> bool:
        """Delete a process's row (a clean stop); False when it was not there."""
        query = """DELETE FROM cadence_processes WHERE process_id = ?"""
        return await self._db.execute(query, (process_id,)) > 0

    async def forget_dead(self, before: datetime) -> int:
        """Delete rows whose last heartbeat is older than `before` (long-dead processes)."""
        query = """DELETE FROM cadence_processes WHERE heartbeat_at < ?"""
        return await self._db.execute(query, (to_ms(before),))

    async def reserve_identify(self, rate_key: int, now: datetime, spacing: timedelta) -> datetime:
        """Reserve the next IDENTIFY of `rate_key` for the whole group; returns when the caller
        may send it: `now`, or `spacing` after the latest slot reserved by anyone.

        One upsert (the row is locked while it runs), so two processes never get slots closer
        than `spacing`.
        """
        query = """
            INSERT INTO cadence_identify_slots (rate_key, slot_at) VALUES (?, ?)
            ON CONFLICT (rate_key) DO UPDATE SET slot_at = CASE
                WHEN cadence_identify_slots.slot_at + ? > excluded.slot_at
                THEN cadence_identify_slots.slot_at + ?
                ELSE excluded.slot_at END
            RETURNING slot_at
        """
        gap = spacing // timedelta(milliseconds=1)
        rows = await self._db.execute_returning(query, (rate_key, to_ms(now), gap, gap))
        return from_ms(int(rows[0]["slot_at"]))
