"""The SQLite backend: one aiosqlite connection with a clear lifetime, explicit transactions
and serialised writes.

The connection runs in autocommit mode (``isolation_level=None``): the sqlite3 module never
opens a transaction behind our back. A single write statement commits on its own; several
statements that must stand or fall together run inside ``transaction()``, which issues
``BEGIN IMMEDIATE`` … ``COMMIT`` (or ``ROLLBACK``) itself.

Reads take no lock; a read issued while another coroutine's transaction is open sees that
transaction's uncommitted rows (it is the same connection).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Iterable,
)
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import aiosqlite

from storage.database import ConstraintError, Database, Params, Row, register_backend
from storage.dialect import SQLITE
from storage.migrate import apply_migrations, check_not_too_new, read_user_version

__all__ = ["SqliteDatabase"]

log = logging.getLogger(__name__)

MEMORY = ":memory:"
_PRAGMAS = (
    "PRAGMA busy_timeout = 5000",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
)


class SqliteDatabase(Database):
    """Owns one aiosqlite connection. Create it with ``await Database.open(path)``."""

    dialect = SQLITE

    def __init__(self, connection: aiosqlite.Connection, path: str) -> None:
        self._conn = connection
        self.path = path
        self._write_lock = asyncio.Lock()
        self._tx_owner: asyncio.Task[Any] | None = None
        self._savepoints = 0
        self._closed = False
        self.schema_version = 0

    # ----------------------------------------------------------------- lifetime

    @classmethod
    async def connect(cls, path: str | Path) -> SqliteDatabase:
        """Open (creating if needed) and migrate the file at ``path``; see ``Database.open``."""
        name = str(path)
        if name != MEMORY:
            probe_uri = await asyncio.to_thread(_prepare_path, name)
            if probe_uri is not None:
                await _check_read_only(name, probe_uri)
        conn = await aiosqlite.connect(name, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            db = cls(conn, name)
            for pragma in _PRAGMAS:
                await conn.execute(pragma)
            async with db._write_lock:
                db.schema_version = await apply_migrations(conn, name)
        except BaseException:
            await conn.close()
            raise
        log.info("Opened database %s (schema %d)", name, db.schema_version)
        return db

    async def close(self) -> None:
        """Run ``PRAGMA optimize`` and close the connection (checkpointing the WAL). Idempotent."""
        async with self._write_lock:
            if self._closed:
                return
            self._closed = True
            try:
                await self._conn.execute("PRAGMA optimize")
            finally:
                await self._conn.close()
        log.info("Closed database %s", self.path)

    # ------------------------------------------------------------- transactions

    def in_transaction(self) -> bool:
        """True when the current asyncio task holds the open transaction."""
        return self._tx_owner is not None and self._tx_owner is asyncio.current_task()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``; ``ROLLBACK`` if the block raises (or is cancelled).

        Nested use in the same asyncio task becomes a SAVEPOINT. Do not await another task
        that writes from inside the block: it would wait for this transaction to end.
        """
        if self.in_transaction():
            async with self._savepoint():
                yield
            return
        async with self._write_lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            self._tx_owner = asyncio.current_task()
            try:
                yield
                await self._conn.execute("COMMIT")
            except BaseException:
                await self._rollback_if_open()
                raise
            finally:
                self._tx_owner = None

    async def _rollback_if_open(self) -> None:
        """ROLLBACK, unless the transaction already ended.

        A cancellation can arrive while COMMIT is queued on aiosqlite's thread: the COMMIT
        still runs, and by the time our ROLLBACK reaches SQLite there is nothing to roll
        back. That is not an error, and it must not hide the cancellation.
        """
        try:
            await self._conn.execute("ROLLBACK")
        except sqlite3.OperationalError:
            if self._conn.in_transaction:
                raise

    @asynccontextmanager
    async def _savepoint(self) -> AsyncIterator[None]:
        self._savepoints += 1
        name = f"sp_{self._savepoints}"
        await self._conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            await self._conn.execute(f"ROLLBACK TO {name}")
            await self._conn.execute(f"RELEASE {name}")
            raise
        await self._conn.execute(f"RELEASE {name}")

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[None]:
        # A single statement: inside our own transaction, or alone under the write lock.
        if self.in_transaction():
            yield
            return
        async with self._write_lock:
            yield

    # -------------------------------------------------------------------- reads

    async def fetch_all(self, query: str, params: Params = ()) -> list[Row]:
        """Run a SELECT and return every row."""
        return list(await self._conn.execute_fetchall(query, params))

    async def stream(
        self, query: str, params: Params = (), *, chunk_size: int = 20_000
    ) -> AsyncGenerator[list[tuple[Any, ...]], None]:
        """Yield a SELECT's rows as plain tuples, ``chunk_size`` at a time.

        Holds the write lock until exhausted (or closed), so the rows come from one
        consistent snapshot and no write waits behind the unfinished statement.
        """
        async with self._writing():
            cursor = await self._conn.cursor()
            cursor.row_factory = None
            try:
                await cursor.execute(query, params)
                while rows := await cursor.fetchmany(chunk_size):
                    yield cast(list[tuple[Any, ...]], rows)
            finally:
                await cursor.close()

    # ------------------------------------------------------------------- writes

    async def execute(self, query: str, params: Params = ()) -> int:
        """Run one write statement; return the number of rows it changed."""
        async with self._writing(), _constraints():
            cursor = await self._conn.execute(query, params)
            return cursor.rowcount

    async def execute_returning(self, query: str, params: Params = ()) -> list[Row]:
        """Run one write statement with a RETURNING clause; return its rows."""
        async with self._writing(), _constraints():
            return list(await self._conn.execute_fetchall(query, params))

    async def execute_many(self, query: str, rows: Iterable[Params]) -> int:
        """Run one write statement for each parameter row, atomically; return rows changed."""
        async with self.transaction(), _constraints():
            cursor = await self._conn.executemany(query, rows)
            return cursor.rowcount

    async def execute_batch(self, query: str, rows: Iterable[Params]) -> None:
        """``execute_many`` without the count."""
        await self.execute_many(query, rows)

    # ------------------------------------------------------------------- status

    async def size_bytes(self) -> int:
        """The database's logical size (pages × page size), for status displays."""
        pages = await self.fetch_value("PRAGMA page_count")
        page_size = await self.fetch_value("PRAGMA page_size")
        return int(pages) * int(page_size)

    async def set_trace(self, callback: Callable[[str], object] | None) -> None:
        """Pass every statement run from now on (parameters inlined) to ``callback``, on the
        connection's thread; None stops. For debugging and query-plan tests."""
        await self._conn.set_trace_callback(callback)  # type: ignore[arg-type]  # None is valid

    async def pragma(self, name: str) -> Any:
        """Read one PRAGMA's value (e.g. ``journal_mode``), for tests and diagnostics."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"not a pragma name: {name!r}")
        return await self.fetch_value(f"PRAGMA {name}")


_CONSTRAINT_KINDS = {
    "SQLITE_CONSTRAINT_UNIQUE": "unique",
    "SQLITE_CONSTRAINT_PRIMARYKEY": "unique",
    "SQLITE_CONSTRAINT_FOREIGNKEY": "foreign_key",
}


@asynccontextmanager
async def _constraints() -> AsyncIterator[None]:
    """Turn sqlite3's IntegrityError into the backend-neutral ConstraintError."""
    try:
        yield
    except sqlite3.IntegrityError as error:
        kind = _CONSTRAINT_KINDS.get(getattr(error, "sqlite_errorname", ""), "check")
        where = str(error).rpartition(": ")[2]
        raise ConstraintError(kind, where, str(error)) from error


def _prepare_path(path: str) -> str | None:
    """Create the parent folders; return a read-only URI for the file when it exists."""
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    return f"{file.resolve().as_uri()}?mode=ro" if file.exists() else None


async def _check_read_only(path: str, uri: str) -> None:
    """Refuse a too-new schema before anything (even the WAL switch) touches the file."""
    async with aiosqlite.connect(uri, uri=True) as probe:
        version = await read_user_version(probe)
    check_not_too_new(path, version)


async def _connect(target: str, pool_size: int) -> Database:
    return await SqliteDatabase.connect(target)


register_backend("sqlite", _connect)
