"""TaskRepository: admin and code tasks, and the queries the engine runs on them."""

from __future__ import annotations

import logging
from array import array
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, aclosing, nullcontext
from datetime import datetime
from itertools import chain
from typing import Any, NamedTuple

from storage._rows import (
    BOOKKEEPING_FIELDS,
    UPDATABLE_FIELDS,
    new_task_columns,
    task_from_row,
    task_or_none,
    task_update_columns,
)
from storage.batch import columns_of, unique_keys, unnest_from, unnest_update
from storage.database import ConstraintError, Database
from storage.errors import DuplicateTaskError, StaleTaskError, TaskNotFoundError
from storage.models import NewTask, Task, TaskStatus
from storage.timeconv import to_ms, to_ms_or_none

TASKS_CHANNEL = "cadence_tasks"
"""The PostgreSQL channel on which task writes announce ``<task_id>:<next_run_ms>``."""

__all__ = [
    "BOOKKEEPING_FIELDS",
    "GUILD_LEFT_REASON",
    "TASKS_CHANNEL",
    "UPDATABLE_FIELDS",
    "ScheduleIndex",
    "TaskRepository",
]

log = logging.getLogger(__name__)

GUILD_LEFT_REASON = "guild_left"
"""``paused_reason`` of tasks paused because the bot left their guild."""

_BUMP_ON_NEW_STATUS = "version = version + CASE WHEN status <> ? THEN 1 ELSE 0 END"
"""A new ``status`` is a new version; the engine's other bookkeeping is not. (Every
expression of an UPDATE reads the row as it was, so ``status`` here is the old one.)"""


class ScheduleIndex(NamedTuple):
    """(next_run_at, id) of every active task, ordered by next_run_at then id.

    Two parallel ``array('q')`` (8 bytes an entry): 16 MB for a million tasks.
    """

    next_run_at_ms: array[int]
    task_ids: array[int]


class TaskRepository:
    """Tasks of every guild and the bot's code tasks."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ----------------------------------------------------------------- create

    async def create(self, new: NewTask) -> Task:
        """Insert a task and return it.

        Raises
        ------
        DuplicateTaskError
            The guild already has a task of that name (case-insensitive), or the job_id is
            taken. Nothing is written.
        ValueError
            A naive datetime, or an unknown enum value.
        """
        query = """
            INSERT INTO tasks (
                guild_id, source, job_id, name, kind, spec, timezone, start_at, end_at,
                max_runs, payload, destinations, status, paused_reason, catch_up,
                next_run_at, created_by, created_at, updated_by, updated_at
            ) VALUES (
                :guild_id, :source, :job_id, :name, :kind, :spec, :timezone, :start_at, :end_at,
                :max_runs, :payload, :destinations, :status, :paused_reason, :catch_up,
                :next_run_at, :created_by, :created_at, :created_by, :created_at
            )
            RETURNING *
        """
        params = new_task_columns(new)
        try:
            async with self._announcing():
                rows = await self._db.execute_returning(query, params)
                task = task_from_row(rows[0])
                await self._announce(task)
        except ConstraintError as error:
            if error.kind == "unique":
                raise _duplicate(error, name=new.name, job_id=new.job_id) from error
            raise
        return task

    async def create_many(self, news: Iterable[NewTask]) -> int:
        """Insert many tasks in one transaction (import, benchmarks); all or nothing.

        Raises
        ------
        DuplicateTaskError
            A name or job_id is taken (or repeated in ``news``). Nothing is written.
        """
        query = """
            INSERT INTO tasks (
                guild_id, source, job_id, name, kind, spec, timezone, start_at, end_at,
                max_runs, payload, destinations, status, paused_reason, catch_up,
                next_run_at, created_by, created_at, updated_by, updated_at
            ) VALUES (
                :guild_id, :source, :job_id, :name, :kind, :spec, :timezone, :start_at, :end_at,
                :max_runs, :payload, :destinations, :status, :paused_reason, :catch_up,
                :next_run_at, :created_by, :created_at, :created_by, :created_at
            )
        """
        rows = [new_task_columns(new) for new in news]
        try:
            await self._db.execute_batch(query, rows)
        except ConstraintError as error:
            if error.kind == "unique":
                raise _duplicate(error, name="(one of the imported names)", job_id=None) from error
            raise
        return len(rows)

    # ------------------------------------------------------------------- read

    async def get(self, task_id: int) -> Task | None:
        query = """SELECT * FROM tasks WHERE id = ?"""
        return task_or_none(await self._db.fetch_one(query, (task_id,)))

    async def get_for_guild(self, guild_id: int, task_id: int) -> Task | None:
        """The task, only if it belongs to ``guild_id`` (a guild never sees another's)."""
        query = """SELECT * FROM tasks WHERE id = ? AND guild_id = ?"""
        return task_or_none(await self._db.fetch_one(query, (task_id, guild_id)))

    async def get_by_name(self, guild_id: int, name: str) -> Task | None:
        """The guild's task called ``name`` (case-insensitive)."""
        nocase = self._db.dialect.nocase
        query = f"""SELECT * FROM tasks WHERE guild_id = ? AND {nocase("name")} = {nocase("?")}"""
        return task_or_none(await self._db.fetch_one(query, (guild_id, name)))

    async def get_by_job_id(self, job_id: str) -> Task | None:
        query = """SELECT * FROM tasks WHERE job_id = ?"""
        return task_or_none(await self._db.fetch_one(query, (job_id,)))

    async def get_many(self, ids: Iterable[int], *, claim: bool = False) -> list[Task]:
        """The tasks with these ids, in the order given; unknown ids are left out.

        With ``claim`` (inside the caller's transaction) the rows are locked ``FOR UPDATE
        SKIP LOCKED`` on PostgreSQL: a task another process is starting right now is left
        out, so of two engines on one database exactly one starts each due instant. (SQLite
        has one writer; there it is a plain read.)"""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        dialect = self._db.dialect
        lock = " ORDER BY id FOR UPDATE SKIP LOCKED" if claim and dialect.is_postgres else ""
        query = f"""SELECT * FROM tasks WHERE {dialect.in_ids("id")}{lock}"""
        rows = await self._db.fetch_all(query, (dialect.id_list(wanted),))
        by_id = {row["id"]: task_from_row(row) for row in rows}
        return [by_id[task_id] for task_id in wanted if task_id in by_id]

    async def guilds_of(self, ids: Iterable[int]) -> dict[int, int | None]:
        """Each task's guild id (None for a code task without one); unknown ids left out."""
        dialect = self._db.dialect
        query = f"""SELECT id, guild_id FROM tasks WHERE {dialect.in_ids("id")}"""
        rows = await self._db.fetch_all(query, (dialect.id_list(ids),))
        return {row[0]: row[1] for row in rows}

    async def list_for_guild(
        self,
        guild_id: int,
        *,
        status: TaskStatus | None = None,
        channel_id: int | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Task]:
        """The guild's tasks ordered by name (case-insensitive).

        ``channel_id`` keeps tasks with a destination whose ``"channel_id"`` is that id.
        """
        dialect = self._db.dialect
        conditions = ["guild_id = ?"]
        params: list[Any] = [guild_id]
        if status is not None:
            conditions.append("status = ?")
            params.append(TaskStatus(status))
        if channel_id is not None:
            conditions.append(dialect.has_channel("tasks.destinations"))
            params.append(channel_id)
        query = f"""
            SELECT * FROM tasks
            WHERE {" AND ".join(conditions)}
            ORDER BY {dialect.nocase("name")}
            LIMIT ? OFFSET ?
        """
        params += [dialect.no_limit if limit is None else limit, offset]
        return [task_from_row(row) for row in await self._db.fetch_all(query, params)]

    async def cron_specs_containing(self, *fragments: str) -> list[tuple[int, str]]:
        """(id, spec) of every cron task whose spec contains one of ``fragments``, by id
        (a one-time scan at start-up; no Task objects are built)."""
        if not fragments:
            return []
        matches = " OR ".join("spec LIKE ? ESCAPE '\\'" for _ in fragments)
        query = f"""SELECT id, spec FROM tasks WHERE kind = 'cron' AND ({matches}) ORDER BY id"""
        patterns = tuple(f"%{_like_escaped(fragment)}%" for fragment in fragments)
        return [(row[0], row[1]) for row in await self._db.fetch_all(query, patterns)]

    async def list_code_tasks(self) -> list[Task]:
        """Every code task, ordered by job_id."""
        # job_id IS NOT NULL is the same set (a CHECK ties it to source = 'code') and lets
        # SQLite search the job_id index instead of scanning it: 0.2 ms instead of 140 ms
        # with a million admin tasks (bench/restore.py).
        query = """SELECT * FROM tasks WHERE job_id IS NOT NULL ORDER BY job_id"""
        return [task_from_row(row) for row in await self._db.fetch_all(query)]

    async def search_names(self, guild_id: int, text: str, limit: int = 25) -> list[str]:
        """Names of the guild's tasks matching ``text``, case-insensitively, for autocomplete.

        Names starting with ``text`` come first, then names containing it; each group in
        name order. Both are range scans of the (guild_id, name) index.
        """
        escaped = text.strip().replace("!", "!!").replace("%", "!%").replace("_", "!_")
        name = self._db.dialect.nocase("name")
        like = self._db.dialect.nocase("?")
        query = f"""
            SELECT name FROM tasks
            WHERE guild_id = ? AND {name} LIKE {like} ESCAPE '!'
            ORDER BY {name} LIMIT ?
        """
        rows = await self._db.fetch_all(query, (guild_id, escaped + "%", limit))
        names = [row[0] for row in rows]
        if not escaped or len(names) >= limit:
            return names
        query = f"""
            SELECT name FROM tasks
            WHERE guild_id = ? AND {name} LIKE {like} ESCAPE '!'
              AND {name} NOT LIKE {like} ESCAPE '!'
            ORDER BY {name} LIMIT ?
        """
        params = (guild_id, f"%{escaped}%", escaped + "%", limit - len(names))
        names.extend(row[0] for row in await self._db.fetch_all(query, params))
        return names

    async def count_for_guild(self, guild_id: int, status: TaskStatus | None = None) -> int:
        if status is None:
            query = """SELECT count(*) FROM tasks WHERE guild_id = ?"""
            return int(await self._db.fetch_value(query, (guild_id,)))
        query = """SELECT count(*) FROM tasks WHERE guild_id = ? AND status = ?"""
        return int(await self._db.fetch_value(query, (guild_id, TaskStatus(status))))

    async def counts_by_status(self, guild_id: int | None = None) -> dict[str, int]:
        """Tasks per status (every status present, zeros included); all tasks when
        ``guild_id`` is None."""
        if guild_id is None:
            query = """SELECT status, count(*) FROM tasks GROUP BY status"""
            rows = await self._db.fetch_all(query)
        else:
            query = """SELECT status, count(*) FROM tasks WHERE guild_id = ? GROUP BY status"""
            rows = await self._db.fetch_all(query, (guild_id,))
        counts: dict[str, int] = dict.fromkeys((status.value for status in TaskStatus), 0)
        for row in rows:
            counts[row[0]] = row[1]
        return counts

    # ----------------------------------------------------------------- engine

    async def due_before(self, instant: datetime, *, limit: int) -> list[Task]:
        """Active tasks with ``next_run_at <= instant``, soonest first."""
        query = """
            SELECT * FROM tasks
            WHERE status = 'active' AND next_run_at <= ?
            ORDER BY next_run_at, id
            LIMIT ?
        """
        rows = await self._db.fetch_all(query, (to_ms(instant), limit))
        return [task_from_row(row) for row in rows]

    async def next_due_after(self, instant: datetime, limit: int) -> list[Task]:
        """Active tasks with ``next_run_at > instant``, soonest first."""
        query = """
            SELECT * FROM tasks
            WHERE status = 'active' AND next_run_at > ?
            ORDER BY next_run_at, id
            LIMIT ?
        """
        rows = await self._db.fetch_all(query, (to_ms(instant), limit))
        return [task_from_row(row) for row in rows]

    async def load_schedule_index(self, *, chunk_size: int = 10_000) -> ScheduleIndex:
        """(next_run_at ms, id) of every active task with a next run, in firing order.

        Streams a covering-index scan in chunks (no Task objects are built), from one
        consistent snapshot; writes wait until it is done.
        """
        query = """
            SELECT next_run_at, id FROM tasks
            WHERE status = 'active' AND next_run_at IS NOT NULL
            ORDER BY next_run_at, id
        """
        times: array[int] = array("q")
        ids: array[int] = array("q")
        async with aclosing(self._db.stream(query, chunk_size=chunk_size)) as chunks:
            async for rows in chunks:
                flat = array("q", chain.from_iterable(rows))
                times.extend(flat[0::2])
                ids.extend(flat[1::2])
        log.debug("Loaded a schedule index of %d tasks", len(ids))
        return ScheduleIndex(times, ids)

    async def index_window(
        self, after_ms: int, until_ms: int, limit: int | None
    ) -> list[tuple[int, int]]:
        """(next_run_at ms, id) of active tasks with ``after_ms < next_run_at <= until_ms``,
        in firing order, at most ``limit`` of them (None: all): the engine's next window."""
        query = """
            SELECT next_run_at, id FROM tasks
            WHERE status = 'active' AND next_run_at > ? AND next_run_at <= ?
            ORDER BY next_run_at, id
            LIMIT ?
        """
        params = (after_ms, until_ms, self._db.dialect.no_limit if limit is None else limit)
        return [(row[0], row[1]) for row in await self._db.fetch_all(query, params)]

    async def advance(
        self,
        task_id: int,
        *,
        next_run_at: datetime | None,
        last_run_at: datetime | None = None,
        run_count_delta: int = 0,
        failed: bool | None = None,
        rotation_index: int | None = None,
        skip_next_delta: int = 0,
        status: TaskStatus | None = None,
        paused_reason: str | None = None,
    ) -> Task:
        """The narrow update after a run (or a skip). Leaves ``updated_at``/``updated_by``
        alone: they describe the last edit, not progress.

        Parameters
        ----------
        next_run_at: the next instant, or None when the task has no further run.
        last_run_at: set when given, kept when None.
        run_count_delta: added to ``run_count``.
        failed: True counts a failure (``failure_count`` and ``consecutive_failures`` + 1);
            False resets ``consecutive_failures``; None leaves both.
        rotation_index: set when given.
        skip_next_delta: added to ``skip_next`` (floored at 0), e.g. -1 after a skip.
        status: set when given, together with ``paused_reason``.

        Raises
        ------
        TaskNotFoundError
            The task is gone (e.g. deleted while it ran).
        """
        query = """
            UPDATE tasks SET
                next_run_at = ?,
                last_run_at = coalesce(?, last_run_at),
                run_count = run_count + ?,
                failure_count = failure_count + ?,
                consecutive_failures = CASE
                    WHEN ? THEN consecutive_failures + 1
                    WHEN ? THEN 0
                    ELSE consecutive_failures END,
                rotation_index = coalesce(?, rotation_index),
                skip_next = CASE WHEN skip_next + ? < 0 THEN 0 ELSE skip_next + ? END,
                paused_reason = CASE WHEN ? THEN ? ELSE paused_reason END,
                version = version + CASE WHEN coalesce(?, status) <> status THEN 1 ELSE 0 END,
                status = coalesce(?, status)
            WHERE id = ?
            RETURNING *
        """
        params = (
            to_ms_or_none(next_run_at),
            to_ms_or_none(last_run_at),
            run_count_delta,
            1 if failed else 0,
            failed is True,
            failed is False,
            rotation_index,
            skip_next_delta,
            skip_next_delta,
            status is not None,
            paused_reason,
            None if status is None else TaskStatus(status),
            None if status is None else TaskStatus(status),
            task_id,
        )
        rows = await self._db.execute_returning(query, params)
        if not rows:
            raise TaskNotFoundError(task_id)
        return task_from_row(rows[0])

    # ------------------------------------------------------------ edit/delete

    async def update(
        self,
        task_id: int,
        *,
        at: datetime,
        updated_by: int | None = None,
        expected_version: int | None = None,
        **changes: Any,
    ) -> Task:
        """Change the given columns (see ``UPDATABLE_FIELDS``) and stamp ``updated_at``/
        ``updated_by``. A change to anything but run bookkeeping (``BOOKKEEPING_FIELDS``)
        bumps ``version``.

        ``expected_version`` makes the write conditional: it happens only if the task is
        still at that version, checked by the UPDATE itself, so of two writers that read the
        same version exactly one succeeds.

        Raises
        ------
        TaskNotFoundError
            No such task.
        StaleTaskError
            The task is not at ``expected_version`` any more. Nothing is written.
        DuplicateTaskError
            A rename onto another task's name. Nothing is written.
        TypeError
            A column that is unknown or may not be changed.
        """
        stored = task_update_columns(changes)
        stored["updated_at"] = to_ms(at)
        stored["updated_by"] = updated_by
        assignments = ", ".join(f"{field} = ?" for field in stored)
        if changes.keys() - BOOKKEEPING_FIELDS:
            assignments += ", version = version + 1"
        params: tuple[Any, ...] = (*stored.values(), task_id)
        condition = "id = ?"
        if expected_version is not None:
            condition += " AND version = ?"
            params += (expected_version,)
        query = f"""UPDATE tasks SET {assignments} WHERE {condition} RETURNING *"""
        try:
            async with self._announcing():
                rows = await self._db.execute_returning(query, params)
                if rows and {"next_run_at", "status"} & changes.keys():
                    await self._announce(task_from_row(rows[0]))
        except ConstraintError as error:
            if error.kind == "unique":
                raise _duplicate(error, name=str(changes.get("name")), job_id=None) from error
            raise
        if not rows:
            raise await self._missing_or_stale(task_id, expected_version)
        return task_from_row(rows[0])

    def _announcing(self) -> AbstractAsyncContextManager[None]:
        """A write and its announcement in one transaction (PostgreSQL; SQLite has nobody
        to tell, so the write stands alone as before)."""
        return self._db.transaction() if self._db.dialect.is_postgres else nullcontext()

    async def _announce(self, task: Task | None) -> None:
        """PostgreSQL: tell every process's engine, in the writer's transaction, that an
        active task now falls due at its ``next_run_at`` (``NOTIFY cadence_tasks,
        '<task_id>:<next_run_ms>'``; delivered at commit, dropped on rollback). The engine's
        own advances are not announced: a process that misses one finds the run by polling."""
        if (
            not self._db.dialect.is_postgres
            or task is None
            or task.status != TaskStatus.ACTIVE
            or task.next_run_at is None
        ):
            return
        payload = f"{task.id}:{to_ms(task.next_run_at)}"
        await self._db.fetch_all("SELECT pg_notify(?, ?)", (TASKS_CHANNEL, payload))

    async def _missing_or_stale(
        self, task_id: int, expected_version: int | None
    ) -> TaskNotFoundError | StaleTaskError:
        """Why a conditional write matched no row: the task is gone, or at another version."""
        query = """SELECT version FROM tasks WHERE id = ?"""
        current = await self._db.fetch_value(query, (task_id,))
        if current is None or expected_version is None:
            return TaskNotFoundError(task_id)
        return StaleTaskError(task_id, expected_version, int(current))

    async def update_many(
        self, updates: Sequence[tuple[int, Mapping[str, Any]]], *, at: datetime
    ) -> int:
        """Apply many ``update``s at once (the engine advancing or finishing a batch of runs):
        each (task_id, changes), stamped ``at`` with no ``updated_by``. Tasks gone are
        skipped; returns how many rows changed. Renames are not accepted here."""
        groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for task_id, changes in updates:
            if "name" in changes:
                raise TypeError("update_many does not rename; use update")
            stored = task_update_columns(dict(changes))
            stored["updated_at"] = to_ms(at)
            stored["updated_by"] = None
            groups.setdefault(tuple(stored), []).append((*stored.values(), task_id))
        changed = 0
        for columns, rows in groups.items():
            # Only a new status is a new version here (a skip used up, a next instant are not).
            new_status = "status" in columns
            if self._db.dialect.is_postgres and unique_keys([row[-1] for row in rows]):
                query = unnest_update("tasks", "id", columns)
                if new_status:
                    query = query.replace(
                        " FROM unnest(",
                        ", version = tasks.version"
                        " + CASE WHEN tasks.status <> v.status THEN 1 ELSE 0 END FROM unnest(",
                        1,
                    )
                params = columns_of([(row[-1], *row[:-1]) for row in rows])
                changed += await self._db.execute(query, params)
                continue
            assignments = ", ".join(f"{column} = ?" for column in columns)
            if new_status:
                at_status = columns.index("status")
                assignments = f"{_BUMP_ON_NEW_STATUS}, {assignments}"
                rows = [(row[at_status], *row) for row in rows]
            changed += await self._db.execute_many(
                f"UPDATE tasks SET {assignments} WHERE id = ?", rows
            )
        return changed

    async def record_ok_runs(self, runs: Sequence[tuple[int, datetime]], *, at: datetime) -> int:
        """Count successful scheduled runs, each (task_id, scheduled_for), in one statement:
        ``last_run_at``, ``run_count`` + 1, ``rotation_index`` + 1, no consecutive failures;
        an active task whose schedule is over (no next run, or ``max_runs`` reached) becomes
        ``completed``. Computed from each row as stored, so nothing has to be read first.
        Tasks gone are skipped; returns how many rows changed."""
        over = (
            "status = 'active' AND (next_run_at IS NULL"
            " OR (max_runs IS NOT NULL AND run_count + 1 >= max_runs))"
        )
        # Every expression reads the row as it was before this UPDATE.
        assignments = f"""
                run_count = run_count + 1,
                rotation_index = rotation_index + 1, consecutive_failures = 0,
                version = CASE WHEN {over} THEN version + 1 ELSE version END,
                status = CASE WHEN {over} THEN 'completed' ELSE status END,
                next_run_at = CASE WHEN {over} THEN NULL ELSE next_run_at END,
                updated_at = ?, updated_by = NULL
        """
        at_ms = to_ms(at)
        if not runs:
            return 0
        if self._db.dialect.is_postgres and unique_keys([task_id for task_id, _ in runs]):
            query = f"""
                UPDATE tasks SET last_run_at = v.last_run_at, {assignments}
                FROM {unnest_from(["id", "last_run_at"])} WHERE tasks.id = v.id
            """
            params = [at_ms, *columns_of([(task_id, to_ms(instant)) for task_id, instant in runs])]
            return await self._db.execute(query, params)
        query = f"""UPDATE tasks SET last_run_at = ?, {assignments} WHERE id = ?"""
        rows = [(to_ms(instant), at_ms, task_id) for task_id, instant in runs]
        return await self._db.execute_many(query, rows)

    async def delete(self, task_id: int, *, expected_version: int | None = None) -> bool:
        """Delete a task and (by cascade) its runs; False when there was none.

        Raises
        ------
        StaleTaskError
            ``expected_version`` is given and the task is at another one. Nothing is deleted.
        """
        if expected_version is None:
            query = """DELETE FROM tasks WHERE id = ?"""
            return await self._db.execute(query, (task_id,)) > 0
        query = """DELETE FROM tasks WHERE id = ? AND version = ?"""
        if await self._db.execute(query, (task_id, expected_version)) > 0:
            return True
        missing = await self._missing_or_stale(task_id, expected_version)
        if isinstance(missing, StaleTaskError):
            raise missing
        return False

    # ---------------------------------------------------------- guild leave

    async def pause_guild(self, guild_id: int, reason: str, at: datetime) -> list[int]:
        """Pause the guild's active tasks with ``paused_reason = reason``; return their ids."""
        query = """
            UPDATE tasks SET status = 'paused', paused_reason = ?, updated_at = ?,
                             updated_by = NULL, version = version + 1
            WHERE guild_id = ? AND status = 'active'
            RETURNING id
        """
        rows = await self._db.execute_returning(query, (reason, to_ms(at), guild_id))
        return sorted(row[0] for row in rows)

    async def resume_guild(self, guild_id: int, reason: str, at: datetime) -> list[int]:
        """Resume the guild's tasks paused with exactly ``reason``; return their ids.

        Their ``next_run_at`` is left as it was, so the engine's catch-up applies to it.
        """
        query = """
            UPDATE tasks SET status = 'active', paused_reason = NULL, updated_at = ?,
                             updated_by = NULL, version = version + 1
            WHERE guild_id = ? AND status = 'paused' AND paused_reason = ?
            RETURNING id
        """
        rows = await self._db.execute_returning(query, (to_ms(at), guild_id, reason))
        return sorted(row[0] for row in rows)

    async def resume_guild_left(self, guild_id: int, at: datetime) -> list[int]:
        """Resume what ``pause_guild(guild_id, GUILD_LEFT_REASON, at)`` paused."""
        return await self.resume_guild(guild_id, GUILD_LEFT_REASON, at)

    async def delete_guild_data(self, guild_id: int) -> int:
        """Delete the guild's tasks (and runs), audit trail, notices, API tokens and settings
        at once; return how many tasks went."""
        async with self._db.transaction():
            query = """DELETE FROM tasks WHERE guild_id = ?"""
            deleted = await self._db.execute(query, (guild_id,))
            query = """DELETE FROM audit WHERE guild_id = ?"""
            await self._db.execute(query, (guild_id,))
            query = """DELETE FROM notices WHERE guild_id = ?"""
            await self._db.execute(query, (guild_id,))
            query = """DELETE FROM api_tokens WHERE guild_id = ?"""
            await self._db.execute(query, (guild_id,))
            query = """DELETE FROM idempotency_keys WHERE guild_id = ?"""
            await self._db.execute(query, (guild_id,))
            query = """DELETE FROM guild_settings WHERE guild_id = ?"""
            await self._db.execute(query, (guild_id,))
        log.info("Deleted the data of guild %d (%d tasks)", guild_id, deleted)
        return deleted


def _duplicate(error: ConstraintError, *, name: str, job_id: str | None) -> DuplicateTaskError:
    """Our error for a UNIQUE conflict on tasks (``tasks.job_id`` on SQLite, the index
    ``tasks_job_id`` on PostgreSQL)."""
    if "job_id" in error.where:
        return DuplicateTaskError("job_id", job_id or "")
    return DuplicateTaskError("name", name)


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
