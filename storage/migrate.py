"""Numbered SQL migrations per backend (``storage/migrations/<backend>/NNNN_name.sql``).

Both backends have the same numbers: migration N brings either to schema N. SQLite tracks the
version in ``PRAGMA user_version``: each pending migration runs in its own ``BEGIN IMMEDIATE``
transaction together with the ``user_version`` bump, so a failed migration leaves the file at
the previous version. PostgreSQL's runner is in ``storage.postgres``.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from functools import cache
from importlib import resources

import aiosqlite

from storage.errors import SchemaTooNewError

__all__ = [
    "Migration",
    "apply_migrations",
    "check_not_too_new",
    "latest_version",
    "load_migrations",
    "read_user_version",
    "split_statements",
]

log = logging.getLogger(__name__)

_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]
    script: str


BACKENDS = ("sqlite", "postgres")


@cache
def load_migrations(backend: str = "sqlite") -> tuple[Migration, ...]:
    """Read a backend's packaged migrations, checking they are numbered 1, 2, 3… without gaps."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown storage backend {backend!r}")
    folder = resources.files("storage").joinpath("migrations", backend)
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match is None:
            continue
        script = entry.read_text(encoding="utf-8")
        statements = tuple(split_statements(script))
        found.append(Migration(int(match.group(1)), entry.name, statements, script))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"storage migrations must be numbered 1..n without gaps: {versions}")
    return tuple(found)


def latest_version() -> int:
    """The newest schema version this code knows (the same for every backend)."""
    return len(load_migrations())


def split_statements(script: str) -> list[str]:
    """Split an SQL script into complete statements (semicolons in strings, comments and
    trigger bodies are handled by ``sqlite3.complete_statement``)."""
    statements: list[str] = []
    *pieces, tail = script.split(";")
    pending = ""
    for piece in pieces:
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            statement = pending.strip()
            if _has_code(statement):
                statements.append(statement)
            pending = ""
    pending += tail
    if _has_code(pending):
        raise ValueError(f"incomplete SQL statement at the end of a migration: {pending!r}")
    return statements


def _has_code(sql: str) -> bool:
    lines = (line.split("--", 1)[0].strip() for line in sql.splitlines())
    return any(line and line != ";" for line in lines)


async def read_user_version(conn: aiosqlite.Connection) -> int:
    """The file's ``PRAGMA user_version`` (read-only)."""
    rows = list(await conn.execute_fetchall("PRAGMA user_version"))
    return int(rows[0][0])


def check_not_too_new(path: str, version: int, setting: str = "DATABASE_PATH") -> None:
    """Raise SchemaTooNewError when ``version`` is newer than the newest migration we know;
    ``setting`` is the variable the operator would change to use another database."""
    known = latest_version()
    if version > known:
        raise SchemaTooNewError(path, version, known, setting)


async def apply_migrations(conn: aiosqlite.Connection, path: str) -> int:
    """Apply every pending migration in order; return the resulting schema version.

    ``conn`` must be in autocommit mode and not inside a transaction.
    """
    current = await read_user_version(conn)
    check_not_too_new(path, current)
    for migration in load_migrations():
        if migration.version <= current:
            continue
        await conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated between our read and our lock.
            current = await read_user_version(conn)
            check_not_too_new(path, current)
            if migration.version <= current:
                await conn.execute("ROLLBACK")
                continue
            for statement in migration.statements:
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {migration.version:d}")
            await conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            log.error(
                "Migration %s failed on %s; the file stays at schema %d",
                migration.name,
                path,
                current,
            )
            raise
        current = migration.version
        log.info("Applied migration %s to %s", migration.name, path)
    return current
