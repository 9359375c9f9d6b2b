"""The PostgreSQL backend: an asyncpg pool behind the same contract as the SQLite backend.

- Queries arrive written for both backends (``?`` placeholders) and are rewritten to ``$n``
  once per query text (``storage.dialect.to_numbered``).
- A single statement outside a transaction runs on any pool connection and commits on its
  own. ``transaction()`` holds one connection for the asyncio task that opened it; that task's
  statements (reads included) run on it, and a nested block is a SAVEPOINT.
- Writes are serialised within the process by one ``asyncio.Lock``, as on SQLite, so the
  engine's transactions never wait on each other's row locks. Reads from other tasks run
  beside them on other pool connections and see committed rows only.
- The schema version lives in the table ``cadence_schema``; it is read before anything is
  written, and migrations run under an advisory lock, each in its own transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

from storage import migrate
from storage.database import (
    ConstraintError,
    Database,
    Listening,
    Params,
    Row,
    masked_url,
    register_backend,
)
from storage.dialect import POSTGRES, to_numbered
from storage.errors import DatabaseUnavailableError
from storage.listening import PostgresListener
from storage.migrate import check_not_too_new

__all__ = ["PostgresDatabase"]

log = logging.getLogger(__name__)

SETTING = "DATABASE_URL"
_MIGRATION_LOCK = 0x43414445  # "CADE": one migrating process at a time per database
_VERSION_TABLE = """
    CREATE TABLE IF NOT EXISTS cadence_schema (
        version    INTEGER NOT NULL,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )
"""
_CONSTRAINT_KINDS: dict[type[Exception], str] = {
    asyncpg.UniqueViolationError: "unique",
    asyncpg.ForeignKeyViolationError: "foreign_key",
}


class PostgresDatabase(Database):
    """Owns one asyncpg pool. Create it with ``await Database.open("postgresql://…")``."""

    dialect = POSTGRES

    def __init__(
        self, pool: asyncpg.Pool, display: str, connect: Callable[[], Awaitable[Any]] | None = None
    ) -> None:
        self._pool = pool
        self._connect = connect
        self.path = display
        self._write_lock = asyncio.Lock()
        self._tx_owner: asyncio.Task[Any] | None = None
        self._tx_conn: asyncpg.Connection | None = None
        self._closed = False
        self.schema_version = 0

    # ----------------------------------------------------------------- lifetime

    @classmethod
    async def connect(cls, url: str, *, pool_size: int) -> PostgresDatabase:
        """Connect a pool to ``url``, refuse a too-new schema, apply pending migrations.

        A ``statement_cache_size`` query parameter in the URL is passed to asyncpg (``0``
        behind PgBouncer in transaction mode).
        """
        display = masked_url(url)
        dsn, options = _split_options(url)
        try:
            pool = await asyncpg.create_pool(dsn, min_size=1, max_size=max(pool_size, 1), **options)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            raise DatabaseUnavailableError(display, str(error)) from error
        db = cls(pool, display, lambda: asyncpg.connect(dsn, **options))
        try:
            async with pool.acquire() as conn:
                db.schema_version = await _apply_migrations(conn, display)
        except BaseException:
            await pool.close()
            raise
        log.info("Opened database %s (schema %d)", display, db.schema_version)
        return db

    async def close(self) -> None:
        """Close the pool (waiting for connections in use). Idempotent."""
        async with self._write_lock:
            if self._closed:
                return
            self._closed = True
            await self._pool.close()
        log.info("Closed database %s", self.path)

    # ------------------------------------------------------------- transactions

    def in_transaction(self) -> bool:
        return self._tx_owner is not None and self._tx_owner is asyncio.current_task()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        if self.in_transaction():
            assert self._tx_conn is not None
            async with self._tx_conn.transaction():  # a SAVEPOINT
                yield
            return
        async with self._write_lock, self._pool.acquire() as conn, conn.transaction():
            self._tx_owner = asyncio.current_task()
            self._tx_conn = conn
            try:
                yield
            finally:
                self._tx_owner = None
                self._tx_conn = None

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[asyncpg.Connection]:
        if self.in_transaction():
            assert self._tx_conn is not None
            yield self._tx_conn
            return
        async with self._pool.acquire() as conn:
            yield conn

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[asyncpg.Connection]:
        # A single statement: inside our own transaction, or alone under the write lock.
        try:
            if self.in_transaction():
                assert self._tx_conn is not None
                yield self._tx_conn
                return
            async with self._write_lock, self._pool.acquire() as conn:
                yield conn
        except asyncpg.IntegrityConstraintViolationError as error:
            kind = _CONSTRAINT_KINDS.get(type(error), "check")
            where = getattr(error, "constraint_name", None) or ""
            raise ConstraintError(kind, where, str(error)) from error

    # -------------------------------------------------------------------- reads

    async def fetch_all(self, query: str, params: Params = ()) -> list[Row]:
        text, args = to_numbered(query, params)
        async with self._reading() as conn:
            return cast(list[Row], await conn.fetch(text, *args))

    async def stream(
        self, query: str, params: Params = (), *, chunk_size: int = 20_000
    ) -> AsyncGenerator[list[tuple[Any, ...]], None]:
        """Yield a SELECT's rows (``asyncpg.Record``, which iterate and index like tuples),
        ``chunk_size`` at a time, from one REPEATABLE READ snapshot; writes wait until the
        stream is exhausted (or closed)."""
        text, args = to_numbered(query, params)
        async with self._writing() as conn:
            if self.in_transaction():
                async for chunk in _chunks(conn, text, args, chunk_size):
                    yield chunk
                return
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                async for chunk in _chunks(conn, text, args, chunk_size):
                    yield chunk

    # ------------------------------------------------------------------- writes

    async def execute(self, query: str, params: Params = ()) -> int:
        text, args = to_numbered(query, params)
        async with self._writing() as conn:
            return _row_count(await conn.execute(text, *args))

    async def execute_returning(self, query: str, params: Params = ()) -> list[Row]:
        text, args = to_numbered(query, params)
        async with self._writing() as conn:
            return cast(list[Row], await conn.fetch(text, *args))

    async def execute_many(self, query: str, rows: Iterable[Params]) -> int:
        changed = 0
        async with self.transaction(), self._writing() as conn:
            statement: asyncpg.prepared_stmt.PreparedStatement | None = None
            for params in rows:
                text, args = to_numbered(query, params)
                if statement is None:
                    statement = await conn.prepare(text)
                await statement.fetch(*args)
                changed += _row_count(statement.get_statusmsg())
        return changed

    async def execute_batch(self, query: str, rows: Iterable[Params]) -> None:
        """All rows through asyncpg's pipelined ``executemany``, in one transaction."""
        batch = [to_numbered(query, params) for params in rows]
        if not batch:
            return
        async with self.transaction(), self._writing() as conn:
            await conn.executemany(batch[0][0], [args for _, args in batch])

    # ------------------------------------------------------------ notifications

    async def listen(self, channel: str, callback: Callable[[str], None]) -> Listening | None:
        """LISTEN on a dedicated connection (not the pool's), re-established when lost."""
        if self._connect is None:
            return None
        listener = PostgresListener(self._connect, channel, callback)
        await listener.start()
        return listener

    # ------------------------------------------------------------------- status

    async def size_bytes(self) -> int:
        """The database's size on disk (``pg_database_size``)."""
        return int(await self.fetch_value("SELECT pg_database_size(current_database())"))


async def _chunks(
    conn: asyncpg.Connection, text: str, args: list[Any], chunk_size: int
) -> AsyncIterator[list[tuple[Any, ...]]]:
    cursor = await conn.cursor(text, *args)
    while rows := await cursor.fetch(chunk_size):
        yield cast(list[tuple[Any, ...]], rows)


def _row_count(status: str) -> int:
    """The row count at the end of a command tag (``UPDATE 3``, ``INSERT 0 1``)."""
    last = status.rpartition(" ")[2]
    return int(last) if last.isdigit() else 0


def _split_options(url: str) -> tuple[str, dict[str, Any]]:
    """Take asyncpg's own options (``statement_cache_size``) out of the URL's query."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    options = {k: int(v) for k, v in query if k == "statement_cache_size"}
    kept = [(k, v) for k, v in query if k != "statement_cache_size"]
    return urlunsplit(parts._replace(query=urlencode(kept))), options


async def _read_version(conn: asyncpg.Connection) -> int:
    """The schema version (0: no Cadence schema yet). Reads only."""
    if await conn.fetchval("SELECT to_regclass('cadence_schema')") is None:
        return 0
    return int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM cadence_schema"))


async def _apply_migrations(conn: asyncpg.Connection, display: str) -> int:
    """Refuse a too-new schema before writing anything, then apply what is pending.

    Pending migrations run under a session advisory lock taken before their transactions
    begin (so each transaction sees the catalog as the previous holder left it), and the
    version is read again under it: two processes starting at once migrate once.
    """
    current = await _read_version(conn)
    check_not_too_new(display, current, SETTING)
    pending = [m for m in migrate.load_migrations("postgres") if m.version > current]
    if not pending:
        return current
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        for migration in pending:
            async with conn.transaction():
                current = await _read_version(conn)
                check_not_too_new(display, current, SETTING)
                if migration.version <= current:
                    continue
                await conn.execute(_VERSION_TABLE)
                await conn.execute(migration.script)
                query = "INSERT INTO cadence_schema (version) VALUES ($1)"
                await conn.execute(query, migration.version)
            current = migration.version
            log.info("Applied migration %s to %s", migration.name, display)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    return current


async def _connect(target: str, pool_size: int) -> Database:
    return await PostgresDatabase.connect(target, pool_size=pool_size)


register_backend("postgres", _connect)
