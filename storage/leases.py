"""LeaseRepository: which process holds each `running` run, until when, and under which fence.

Several Cadence processes may share one PostgreSQL database. A run is started by exactly one
of them (the tick's transaction locks the due tasks ``FOR UPDATE SKIP LOCKED``), which then
*holds* it: ``claimed_by`` (its process id), ``lease_until`` (extended while the post waits)
and ``fence`` (bumped on every takeover). A process that stops extending loses its runs to
another's reaper; every later write it makes for them is conditioned on the fence it held, so
it changes nothing. On SQLite the same columns are written (one process; its fence always
holds), so the code path is the same.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage._codec import dump_json
from storage._rows import run_from_row, run_outcome_columns
from storage.batch import unnest_from
from storage.database import Database
from storage.models import Run
from storage.timeconv import to_ms

__all__ = ["TAKE_BATCH", "Claim", "LeaseRepository"]

log = logging.getLogger(__name__)

TAKE_BATCH = 500


@dataclass(frozen=True, slots=True)
class Claim:
    """Who starts a run and until when its lease runs (the first fence is 1)."""

    process_id: str
    lease_until: datetime


class LeaseRepository:
    """Lease extension, the reaper's takeover, and fenced finishing."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def extend(
        self, process_id: str, held: Sequence[tuple[int, int]], until: datetime
    ) -> set[int]:
        """Extend to ``until`` the lease of every (run id, fence) still held by
        ``process_id``: one statement for all of them. Returns the ids still held (a run
        missing from it was taken over or finished)."""
        if not held:
            return set()
        if self._db.dialect.is_postgres:
            query = f"""
                UPDATE runs SET lease_until = ?
                FROM {unnest_from(["id", "fence"])}
                WHERE runs.id = v.id AND runs.fence = v.fence
                  AND runs.claimed_by = ? AND runs.status = 'running'
                RETURNING runs.id
            """
            ids = [run_id for run_id, _ in held]
            fences = [fence for _, fence in held]
            rows = await self._db.execute_returning(query, (to_ms(until), ids, fences, process_id))
            return {row[0] for row in rows}
        query = """
            UPDATE runs SET lease_until = ?
            WHERE id IN (SELECT value ->> 0 FROM json_each(?))
              AND fence = (SELECT value ->> 1 FROM json_each(?2) WHERE value ->> 0 = runs.id)
              AND claimed_by = ? AND status = 'running'
            RETURNING id
        """
        pairs = dump_json([[run_id, fence] for run_id, fence in held])
        rows = await self._db.execute_returning(query, (to_ms(until), pairs, process_id))
        return {row[0] for row in rows}

    async def hold(self, run: Run, process_id: str, until: datetime) -> bool:
        """Whether ``process_id`` still holds ``run`` (at its fence); extends the lease if so.

        One single-row conditional UPDATE: the runner asks before each send attempt, so a
        process frozen past its lease does not post what another process took over."""
        query = """
            UPDATE runs SET lease_until = ?
            WHERE id = ? AND fence = ? AND claimed_by = ? AND status = 'running'
        """
        params = (to_ms(until), run.id, run.fence, process_id)
        return await self._db.execute(query, params) == 1

    async def take(
        self,
        process_id: str,
        until: datetime,
        *,
        lapsed_before: datetime | None,
        previous_life: bool = False,
        limit: int = TAKE_BATCH,
    ) -> list[Run]:
        """Take over `running` runs: those whose lease lapsed before ``lapsed_before`` (or
        that never had one), and with ``previous_life`` those an earlier run of this same
        process id held (it is dead: we are its restart); every one when ``lapsed_before``
        is None (a single process starting after a crash). Each taken run gets
        ``claimed_by = process_id``, ``fence + 1`` and a lease to ``until``; returned oldest
        first. Rows another process is taking at the same moment are skipped (PostgreSQL),
        so no run is taken twice."""
        lapsed = ""
        params: list[object] = [process_id, to_ms(until)]
        if lapsed_before is not None:
            mine = "OR claimed_by = ?" if previous_life else ""
            lapsed = f"AND (lease_until IS NULL OR lease_until < ? {mine})"
            params.append(to_ms(lapsed_before))
            if previous_life:
                params.append(process_id)
        params.append(limit)
        skip = "FOR UPDATE SKIP LOCKED" if self._db.dialect.is_postgres else ""
        query = f"""
            UPDATE runs SET claimed_by = ?, fence = fence + 1, lease_until = ?
            WHERE id IN (
                SELECT id FROM runs WHERE status = 'running' {lapsed}
                ORDER BY id LIMIT ? {skip})
            RETURNING *
        """
        rows = await self._db.execute_returning(query, params)
        return sorted(map(run_from_row, rows), key=lambda run: run.id)

    async def finish_held(self, process_id: str, finished: Sequence[Run]) -> set[int]:
        """Record each run's outcome (the ``Run`` as it should now read) only where
        ``process_id`` still holds it at the run's fence. Returns the ids written; a run left
        out was lost to a takeover (or finished already): nothing of it was changed."""
        written: set[int] = set()
        rows = [(*run_outcome_columns(run), run.fence) for run in finished]
        if not rows:
            return written
        if self._db.dialect.is_postgres:
            columns = [
                "id", "fence", "status", "finished_at", "late_by_ms", "attempts", "error",
                "message_ids",
            ]  # fmt: skip
            query = f"""
                UPDATE runs SET status = v.status, finished_at = v.finished_at,
                    late_by_ms = v.late_by_ms, attempts = v.attempts, error = v.error,
                    message_ids = v.message_ids, lease_until = NULL
                FROM {unnest_from(columns)}
                WHERE runs.id = v.id AND runs.fence = v.fence
                  AND coalesce(runs.claimed_by, '') = ? AND runs.status = 'running'
                RETURNING runs.id
            """
            arrays = [list(c) for c in zip(*[(r[6], r[7], *r[:6]) for r in rows], strict=True)]
            result = await self._db.execute_returning(query, (*arrays, process_id))
            return {row[0] for row in result}
        query = """
            UPDATE runs SET status = ?, finished_at = ?, late_by_ms = ?, attempts = ?,
                error = ?, message_ids = ?, lease_until = NULL
            WHERE id = ? AND fence = ? AND coalesce(claimed_by, '') = ? AND status = 'running'
        """
        async with self._db.transaction():
            for row in rows:
                if await self._db.execute(query, (*row, process_id)) == 1:
                    written.add(row[6])
        return written
