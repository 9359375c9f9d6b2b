"""RunRepository: one row per firing of a task for one scheduled instant."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from storage._codec import dump_json
from storage._rows import run_from_row, run_outcome_columns
from storage.batch import columns_of, unique_keys, unnest_update
from storage.database import ConstraintError, Database
from storage.errors import RunExistsError, RunNotFoundError, TaskNotFoundError
from storage.leases import Claim
from storage.models import Run, RunStats, RunStatus, RunTrigger
from storage.timeconv import from_ms_or_none, to_ms

__all__ = ["RunRepository"]

log = logging.getLogger(__name__)

_FINAL_STATUSES = frozenset(RunStatus) - {RunStatus.RUNNING}
_BULK_STATUSES = frozenset({RunStatus.MISSED, RunStatus.SKIPPED})
_FINISH = """
    UPDATE runs
    SET status = ?, finished_at = ?, late_by_ms = ?, attempts = ?, error = ?, message_ids = ?
    WHERE id = ?
"""
# Deletes all but each task's newest ``keep`` (the last parameter) runs among ``{runs}``.
_PRUNE = """
    DELETE FROM runs
    WHERE status != 'running' AND id IN (
        SELECT id FROM (
            SELECT id, row_number() OVER (
                PARTITION BY task_id ORDER BY scheduled_for DESC, id DESC) AS rank
            FROM {runs} AS pruned) AS ranked
        WHERE rank > ?)
"""
_ID_CEILING = 2**63 - 1
"""Above every id: the first page of a listing paged by descending id."""
_ROWS_PER_INSERT = 500  # four parameters a row, well under SQLite's variable limit


class RunRepository:
    """Run history: written before anything is sent, finished after."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def start(
        self,
        task_id: int,
        scheduled_for: datetime,
        trigger: RunTrigger,
        started_at: datetime,
        claim: Claim | None = None,
    ) -> Run:
        """Insert a ``running`` row for (task, scheduled_for, trigger) and return it, held
        under ``claim`` (see ``storage.leases``) when given.

        Raises
        ------
        RunExistsError
            That run was already started (its ``existing`` attribute is the stored Run);
            nothing is written. This is how the engine never fires one instant twice.
        TaskNotFoundError
            The task is gone.
        """
        scheduled_ms = to_ms(scheduled_for)
        query = """
            INSERT INTO runs (task_id, scheduled_for, trigger, status, started_at, attempts,
                              claimed_by, lease_until, fence)
            VALUES (?, ?, ?, 'running', ?, 0, ?, ?, ?)
            ON CONFLICT DO NOTHING
            RETURNING *
        """
        params = (task_id, scheduled_ms, RunTrigger(trigger), to_ms(started_at), *_held(claim))
        try:
            rows = await self._db.execute_returning(query, params)
        except ConstraintError as error:
            if error.kind == "foreign_key":
                raise TaskNotFoundError(task_id) from error
            raise
        if rows:
            return run_from_row(rows[0])
        query = """
            SELECT * FROM runs WHERE task_id = ? AND scheduled_for = ?
            ORDER BY (trigger = ?) DESC LIMIT 1
        """
        existing = await self._db.fetch_one(query, (task_id, scheduled_ms, RunTrigger(trigger)))
        assert existing is not None  # the conflict said so
        raise RunExistsError(run_from_row(existing))

    async def start_many(
        self,
        starts: Sequence[tuple[int, datetime, RunTrigger]],
        started_at: datetime,
        claim: Claim | None = None,
    ) -> list[Run]:
        """Insert a ``running`` row for each (task_id, scheduled_for, trigger), held under
        ``claim`` when given; return the rows written. A run already started is left alone
        and left out of the result (the caller compares), as is one whose task is gone."""
        at_ms = to_ms(started_at)
        rows = [
            (task_id, to_ms(instant), RunTrigger(trigger), at_ms)
            for task_id, instant, trigger in starts
        ]
        if self._db.dialect.is_postgres:
            return await self._start_many_unnest(rows, claim)
        started: list[Run] = []
        for offset in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[offset : offset + _ROWS_PER_INSERT]
            # Only tasks that still exist: a foreign-key failure would undo the whole chunk.
            query = f"""
                INSERT INTO runs (task_id, scheduled_for, trigger, status, started_at, attempts,
                                  claimed_by, lease_until, fence)
                SELECT v.column1, v.column2, v.column3, 'running', v.column4, 0, ?, ?, ?
                FROM (VALUES {", ".join(["(?, ?, ?, ?)"] * len(chunk))}) AS v
                WHERE EXISTS (SELECT 1 FROM tasks WHERE tasks.id = v.column1)
                ON CONFLICT DO NOTHING
                RETURNING *
            """
            params = [*_held(claim), *(value for row in chunk for value in row)]
            started.extend(map(run_from_row, await self._db.execute_returning(query, params)))
        return started

    async def _start_many_unnest(
        self, rows: Sequence[tuple[int, int, str, int]], claim: Claim | None
    ) -> list[Run]:
        """PostgreSQL: the whole batch as four arrays in one statement."""
        if not rows:
            return []
        query = """
            INSERT INTO runs (task_id, scheduled_for, trigger, status, started_at, attempts,
                              claimed_by, lease_until, fence)
            SELECT v.task_id, v.scheduled_for, v.trigger, 'running', v.started_at, 0,
                   ?::text, ?::bigint, ?::bigint
            FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::bigint[])
                 AS v (task_id, scheduled_for, trigger, started_at)
            WHERE EXISTS (SELECT 1 FROM tasks WHERE tasks.id = v.task_id)
            ON CONFLICT DO NOTHING
            RETURNING *
        """
        columns = [list(column) for column in zip(*rows, strict=True)]
        params = [*_held(claim), *columns]
        return list(map(run_from_row, await self._db.execute_returning(query, params)))

    async def finish(
        self,
        run_id: int,
        status: RunStatus,
        *,
        finished_at: datetime,
        late_by_ms: int | None,
        attempts: int,
        error: str | None = None,
        message_ids: Sequence[int] | None = None,
    ) -> Run:
        """Record a run's outcome (any status but ``running``).

        Raises
        ------
        RunNotFoundError
            No such run (e.g. pruned or cascaded away with its task).
        """
        status = RunStatus(status)
        if status not in _FINAL_STATUSES:
            raise ValueError(f"a run cannot finish as {status!r}")
        query = f"{_FINISH} RETURNING *"
        params = (
            status,
            to_ms(finished_at),
            late_by_ms,
            attempts,
            error,
            dump_json(list(message_ids or ())),
            run_id,
        )
        rows = await self._db.execute_returning(query, params)
        if not rows:
            raise RunNotFoundError(run_id)
        return run_from_row(rows[0])

    async def finish_many(self, finished: Sequence[Run]) -> int:
        """Record the outcome of many runs at once (each ``Run`` as it should now read:
        status, finished_at, late_by_ms, attempts, error, message_ids); runs gone are
        skipped. Returns how many rows changed."""
        rows = [run_outcome_columns(run) for run in finished]
        if not rows:
            return 0
        if self._db.dialect.is_postgres and unique_keys([row[-1] for row in rows]):
            columns = ["status", "finished_at", "late_by_ms", "attempts", "error", "message_ids"]
            query = unnest_update("runs", "id", columns)
            return await self._db.execute(query, columns_of([(row[-1], *row[:-1]) for row in rows]))
        return await self._db.execute_many(_FINISH, rows)

    async def record_many(
        self,
        task_id: int,
        scheduled_for_list: Iterable[datetime],
        status: RunStatus,
        trigger: RunTrigger,
        at: datetime,
    ) -> int:
        """Record ``missed`` or ``skipped`` runs in one transaction, ignoring instants
        already recorded; return how many rows were added."""
        status = RunStatus(status)
        if status not in _BULK_STATUSES:
            raise ValueError(f"record_many records missed or skipped runs, not {status!r}")
        at_ms = to_ms(at)
        trigger = RunTrigger(trigger)
        rows = [(task_id, to_ms(instant), trigger, status, at_ms) for instant in scheduled_for_list]
        if not rows:
            return 0
        query = """
            INSERT INTO runs (task_id, scheduled_for, trigger, status, finished_at)
            VALUES (?, ?, ?, ?, ?)
            ON CONFLICT DO NOTHING
        """
        try:
            return await self._db.execute_many(query, rows)
        except ConstraintError as error:
            if error.kind == "foreign_key":
                raise TaskNotFoundError(task_id) from error
            raise

    async def get(self, run_id: int) -> Run | None:
        query = """SELECT * FROM runs WHERE id = ?"""
        row = await self._db.fetch_one(query, (run_id,))
        return None if row is None else run_from_row(row)

    async def running(self) -> list[Run]:
        """Rows still ``running`` (after a crash: to resume or mark unknown), oldest first."""
        query = """SELECT * FROM runs WHERE status = 'running' ORDER BY id"""
        return [run_from_row(row) for row in await self._db.fetch_all(query)]

    async def mark_unknown(self, run_id: int, error: str, at: datetime) -> Run:
        """Close a run whose outcome cannot be known (left ``running`` too long ago)."""
        query = """
            UPDATE runs SET status = 'unknown', error = ?, finished_at = ?
            WHERE id = ?
            RETURNING *
        """
        rows = await self._db.execute_returning(query, (error, to_ms(at), run_id))
        if not rows:
            raise RunNotFoundError(run_id)
        return run_from_row(rows[0])

    async def list_for_task(self, task_id: int, limit: int = 25) -> list[Run]:
        """The task's runs, newest scheduled instant first."""
        query = """
            SELECT * FROM runs WHERE task_id = ?
            ORDER BY scheduled_for DESC, id DESC
            LIMIT ?
        """
        rows = await self._db.fetch_all(query, (task_id, limit))
        return [run_from_row(row) for row in rows]

    async def page_for_task(
        self, task_id: int, *, before_id: int | None = None, limit: int = 50
    ) -> list[Run]:
        """One page of the task's runs, newest first by id, after a page ending at
        ``before_id``. Paging by id (not by instant) keeps pages stable while runs are added:
        a new run has a larger id, so it never shifts what later pages hold."""
        query = """
            SELECT * FROM runs WHERE task_id = ? AND id < ?
            ORDER BY id DESC
            LIMIT ?
        """
        upper = _ID_CEILING if before_id is None else before_id
        rows = await self._db.fetch_all(query, (task_id, upper, limit))
        return [run_from_row(row) for row in rows]

    async def stats(self, task_id: int) -> RunStats:
        """Counts over the task's retained history, its last error and last success."""
        query = """
            SELECT count(*),
                   count(CASE WHEN status = 'ok' THEN 1 END),
                   count(CASE WHEN status = 'failed' THEN 1 END),
                   count(CASE WHEN status = 'missed' THEN 1 END),
                   count(CASE WHEN status = 'skipped' THEN 1 END),
                   count(CASE WHEN status = 'unknown' THEN 1 END),
                   (SELECT error FROM runs
                    WHERE task_id = ?1 AND status IN ('failed', 'unknown')
                      AND error IS NOT NULL
                    ORDER BY scheduled_for DESC, id DESC LIMIT 1),
                   (SELECT max(finished_at) FROM runs WHERE task_id = ?1 AND status = 'ok')
            FROM runs WHERE task_id = ?1
        """
        row = await self._db.fetch_one(query, (task_id,))
        assert row is not None  # an aggregate always yields one row
        query = """
            SELECT late_by_ms FROM runs
            WHERE task_id = ? AND late_by_ms IS NOT NULL
              AND status NOT IN ('running', 'missed', 'skipped')
            ORDER BY late_by_ms
        """
        lateness = [r[0] for r in await self._db.fetch_all(query, (task_id,))]
        return RunStats(
            total=row[0],
            ok=row[1],
            failed=row[2],
            missed=row[3],
            skipped=row[4],
            unknown=row[5],
            last_error=row[6],
            last_ok_at=from_ms_or_none(row[7]),
            lateness_p50_ms=nearest_rank(lateness, 50),
            lateness_p99_ms=nearest_rank(lateness, 99),
            lateness_max_ms=lateness[-1] if lateness else None,
        )

    async def recent_counts(self, since: datetime, guild_id: int | None = None) -> dict[str, int]:
        """Runs per status whose scheduled instant is at or after ``since`` (every status
        present, zeros included); bot-wide when ``guild_id`` is None."""
        if guild_id is None:
            query = """
                SELECT status, count(*) FROM runs WHERE scheduled_for >= ? GROUP BY status
            """
            rows = await self._db.fetch_all(query, (to_ms(since),))
        else:
            query = """
                SELECT r.status, count(*)
                FROM tasks AS t CROSS JOIN runs AS r
                WHERE t.guild_id = ? AND r.task_id = t.id AND r.scheduled_for >= ?
                GROUP BY r.status
            """
            rows = await self._db.fetch_all(query, (guild_id, to_ms(since)))
        counts: dict[str, int] = dict.fromkeys((status.value for status in RunStatus), 0)
        for row in rows:
            counts[row[0]] = row[1]
        return counts

    async def prune(self, task_id: int, keep: int) -> int:
        """Delete all but the task's newest ``keep`` runs (a ``running`` row is never
        deleted); return how many went."""
        return await self.prune_many([task_id], keep)

    async def prune_many(self, task_ids: Iterable[int], keep: int) -> int:
        """``prune`` several tasks in one statement; return how many runs went."""
        wanted = sorted(set(task_ids))
        if not wanted:
            return 0
        dialect = self._db.dialect
        query = _PRUNE.format(runs=f"(SELECT * FROM runs WHERE {dialect.in_ids('task_id')})")
        return await self._db.execute(query, (dialect.id_list(wanted), max(keep, 0)))

    async def prune_all(self, keep: int) -> int:
        """``prune`` every task at once (e.g. after HISTORY_PER_TASK was lowered)."""
        query = _PRUNE.format(runs="runs")
        deleted = await self._db.execute(query, (max(keep, 0),))
        log.info("Pruned %d runs beyond the newest %d per task", deleted, keep)
        return deleted


def nearest_rank(ordered: Sequence[int], percent: int) -> int | None:
    """The nearest-rank percentile of an ascending list (None when it is empty): a value
    that was observed, never an interpolation."""
    if not ordered:
        return None
    rank = max(1, -(-len(ordered) * percent // 100))
    return ordered[rank - 1]


def _held(claim: Claim | None) -> tuple[str | None, int | None, int]:
    """The (claimed_by, lease_until, fence) a new run row starts with."""
    if claim is None:
        return None, None, 0
    return claim.process_id, to_ms(claim.lease_until), 1
