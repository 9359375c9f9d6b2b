"""The storage contract's door: ``Database``, one connection (SQLite) or one pool (PostgreSQL).

``Database.open(target)`` picks the backend from the target: a path or ``sqlite:///path``
opens SQLite through aiosqlite (``storage.sqlite``); ``postgresql://user:password@host:port/db``
opens PostgreSQL through an asyncpg pool (``storage.postgres``). Both offer the same methods,
take the same SQL (``?`` placeholders, see ``storage.dialect``) and behave the same:

- a single write statement commits on its own; statements that must stand or fall together
  run inside ``async with db.transaction():``, re-entrant within one asyncio task (an inner
  block is a SAVEPOINT);
- writes are serialised within the process by one ``asyncio.Lock``, so one coroutine's
  statement never lands inside another's transaction, and transactions never deadlock on
  each other;
- a constraint violation raises ``ConstraintError`` whatever the backend.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import (
    AsyncGenerator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Mapping,
    Sequence,
)
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from storage.dialect import Dialect

__all__ = ["ConstraintError", "Database", "Listening", "Params", "Row", "masked_url"]

Params = Sequence[Any] | Mapping[str, Any]
Row = Any
"""A result row: ``sqlite3.Row`` or ``asyncpg.Record``; both index by position and name."""

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
SQLITE_SCHEME = "sqlite:///"
DEFAULT_POOL_SIZE = 10


Connector = Callable[[str, int], Awaitable["Database"]]
"""Opens one backend's database: ``(target, pool_size) -> Database``."""

_CONNECTORS: dict[str, Connector] = {}


def register_backend(name: str, connector: Connector) -> None:
    """Called by each backend module (``storage.sqlite``, ``storage.postgres``) as it loads;
    ``storage/__init__`` loads both, so the door never imports its backends (no cycle)."""
    _CONNECTORS[name] = connector


class ConstraintError(Exception):
    """A write broke a constraint. ``kind`` is ``"unique"``, ``"foreign_key"`` or ``"check"``;
    ``where`` names the constraint or its columns, as the backend reported them."""

    def __init__(self, kind: str, where: str, message: str) -> None:
        self.kind = kind
        self.where = where
        super().__init__(message)


class Database(ABC):
    """What every repository needs from a database. Create one with ``Database.open``."""

    dialect: Dialect
    path: str
    """The database's name fit for logs: a file path, or the URL without its password."""
    schema_version: int

    @classmethod
    def open(cls, target: str | Path, *, pool_size: int = DEFAULT_POOL_SIZE) -> _Opening:
        """Open (creating a SQLite file if needed) and migrate the database at ``target``.

        ``target`` is a path (``":memory:"`` is allowed), ``sqlite:///path``, or
        ``postgresql://user:password@host:port/db`` (``pool_size`` connections at most).
        Use ``db = await Database.open(target)`` … ``await db.close()``, or
        ``async with Database.open(target) as db:``.

        Raises
        ------
        SchemaTooNewError
            The database's schema is newer than this code knows; nothing was written.
        """
        return _Opening(target, pool_size)

    # ----------------------------------------------------------------- lifetime

    @abstractmethod
    async def close(self) -> None:
        """Close the connection (or pool). Idempotent."""

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ------------------------------------------------------------- transactions

    @abstractmethod
    def in_transaction(self) -> bool:
        """True when the current asyncio task holds the open transaction."""

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[None]:
        """BEGIN … COMMIT; ROLLBACK if the block raises (or is cancelled).

        Nested use in the same asyncio task becomes a SAVEPOINT. Do not await another task
        that writes from inside the block: it would wait for this transaction to end.
        """

    # -------------------------------------------------------------------- reads

    @abstractmethod
    async def fetch_all(self, query: str, params: Params = ()) -> list[Row]:
        """Run a SELECT and return every row."""

    async def fetch_one(self, query: str, params: Params = ()) -> Row | None:
        """Run a SELECT and return its first row, or None."""
        return next(iter(await self.fetch_all(query, params)), None)

    async def fetch_value(self, query: str, params: Params = ()) -> Any:
        """Run a SELECT and return the first column of its first row, or None."""
        row = await self.fetch_one(query, params)
        return None if row is None else row[0]

    @abstractmethod
    def stream(
        self, query: str, params: Params = (), *, chunk_size: int = 20_000
    ) -> AsyncGenerator[list[tuple[Any, ...]], None]:
        """Yield a SELECT's rows as plain tuples, ``chunk_size`` at a time, from one
        consistent snapshot; writes wait until it is exhausted (or closed)."""

    # ------------------------------------------------------------------- writes

    @abstractmethod
    async def execute(self, query: str, params: Params = ()) -> int:
        """Run one write statement; return the number of rows it changed."""

    @abstractmethod
    async def execute_returning(self, query: str, params: Params = ()) -> list[Row]:
        """Run one write statement with a RETURNING clause; return its rows."""

    @abstractmethod
    async def execute_many(self, query: str, rows: Iterable[Params]) -> int:
        """Run one write statement for each parameter row, atomically; return rows changed."""

    @abstractmethod
    async def execute_batch(self, query: str, rows: Iterable[Params]) -> None:
        """``execute_many`` without the count: all rows at once (pipelined on PostgreSQL)."""

    # ------------------------------------------------------------ notifications

    async def listen(self, channel: str, callback: Callable[[str], None]) -> Listening | None:
        """Call ``callback(payload)`` for each notification other processes send on
        ``channel`` until the returned handle is closed; None where the backend has no
        notifications (SQLite: one process, nobody else to hear from)."""
        return None

    # ------------------------------------------------------------------- status

    async def ping(self) -> bool:
        """Whether the database answers a trivial query now (for `/readyz`)."""
        try:
            return bool(await self.fetch_value("SELECT 1") == 1)
        except Exception:
            return False

    @abstractmethod
    async def size_bytes(self) -> int:
        """The database's size on disk, for status displays."""


class Listening(ABC):
    """A subscription opened by ``Database.listen``."""

    @abstractmethod
    async def close(self) -> None:
        """Stop listening. Idempotent."""


class _Opening:
    """What ``Database.open`` returns: awaitable, and an async context manager."""

    def __init__(self, target: str | Path, pool_size: int) -> None:
        self._target = target
        self._pool_size = pool_size
        self._db: Database | None = None

    async def _open(self) -> Database:
        target = str(self._target)
        if target.startswith(POSTGRES_SCHEMES):
            return await _CONNECTORS["postgres"](target, self._pool_size)
        if target.startswith(SQLITE_SCHEME):
            target = target.removeprefix(SQLITE_SCHEME)
        return await _CONNECTORS["sqlite"](target, self._pool_size)

    def __await__(self) -> Generator[Any, None, Database]:
        return self._open().__await__()

    async def __aenter__(self) -> Database:
        self._db = await self._open()
        return self._db

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._db is not None:
            await self._db.close()


def masked_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for logs and messages)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
