"""Moving house: copy every table of one database into another, empty one, and prove it.

Works between any two backends (SQLite to PostgreSQL, and back). Both databases are opened
(so migrated) to the same schema first. The target must hold no rows at all. Rows are copied
in chunks inside one transaction on the target (a failed copy leaves it empty), ids kept; on
PostgreSQL the identity sequences are then moved past the copied ids. Finally every table is
counted and checksummed on both sides.

The checksum of a table is the sum, modulo 2**256, of the SHA-256 of each row's values
(as compact JSON, columns by name): independent of row order, so both backends compute it the
same way whatever their collations.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from storage.database import Database

__all__ = [
    "TABLES",
    "CopyMismatchError",
    "CopyReport",
    "TableCheck",
    "TargetNotEmptyError",
    "check",
    "copy_database",
]

log = logging.getLogger(__name__)

TABLES = ("guild_settings", "tasks", "runs", "audit", "notices", "bot_state", "api_tokens")
"""Every table of the schema, parents before children."""
_IDENTITY_TABLES = ("tasks", "runs", "audit", "notices", "api_tokens")
_CHUNK = 5_000


class TargetNotEmptyError(ValueError):
    """The target database already holds rows; nothing was copied."""

    def __init__(self, where: str, counts: dict[str, int]) -> None:
        filled = ", ".join(f"{table} ({count})" for table, count in counts.items() if count)
        super().__init__(
            f"The target database {where} is not empty ({filled}); copy only into an empty "
            "database, e.g. one just made with CREATE DATABASE."
        )


class CopyMismatchError(RuntimeError):
    """After the copy, a table's count or checksum differs between source and target."""


@dataclass(frozen=True, slots=True)
class TableCheck:
    table: str
    rows: int
    checksum: str


@dataclass(frozen=True, slots=True)
class CopyReport:
    source: tuple[TableCheck, ...]
    target: tuple[TableCheck, ...]

    @property
    def identical(self) -> bool:
        return self.source == self.target


async def copy_database(source: Database, target: Database) -> CopyReport:
    """Copy every row of ``source`` into the empty ``target``; verify counts and checksums.

    Raises
    ------
    TargetNotEmptyError
        ``target`` has rows; nothing was written.
    CopyMismatchError
        The verification failed (the copy is left in place for inspection).
    """
    if source.schema_version != target.schema_version:
        raise ValueError(
            f"schema versions differ: {source.schema_version} and {target.schema_version}"
        )
    counts = {table: await _count(target, table) for table in TABLES}
    if any(counts.values()):
        raise TargetNotEmptyError(target.path, counts)
    async with target.transaction():
        for table in TABLES:
            copied = await _copy_table(source, target, table)
            log.info("Copied %d rows of %s", copied, table)
        if target.dialect.is_postgres:
            for table in _IDENTITY_TABLES:
                query = f"""
                    SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                                  coalesce(max(id), 0) + 1, false)
                    FROM {table}
                """
                await target.fetch_all(query)
    report = CopyReport(await check(source), await check(target))
    if not report.identical:
        raise CopyMismatchError(
            f"the copy in {target.path} differs from {source.path}: "
            f"{report.source} != {report.target}"
        )
    return report


async def check(db: Database) -> tuple[TableCheck, ...]:
    """Row count and checksum of every table."""
    checks = []
    for table in TABLES:
        columns = sorted(await _columns(db, table))  # by name: the same on both backends
        total, rows = 0, 0
        query = f"""SELECT {", ".join(columns)} FROM {table}"""
        async with aclosing(db.stream(query, chunk_size=_CHUNK)) as chunks:
            async for chunk in chunks:
                for row in chunk:
                    encoded = json.dumps(list(row), separators=(",", ":"), ensure_ascii=False)
                    digest = hashlib.sha256(encoded.encode()).digest()
                    total = (total + int.from_bytes(digest, "big")) % 2**256
                    rows += 1
        checks.append(TableCheck(table, rows, f"{total:064x}"))
    return tuple(checks)


async def _copy_table(source: Database, target: Database, table: str) -> int:
    columns = await _columns(source, table)
    if set(columns) != set(await _columns(target, table)):
        raise ValueError(f"table {table} has different columns in {source.path} and {target.path}")
    select = f"""SELECT {", ".join(columns)} FROM {table}"""
    insert = f"""
        INSERT INTO {table} ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})
    """
    copied = 0
    async with aclosing(source.stream(select, chunk_size=_CHUNK)) as chunks:
        async for chunk in chunks:
            await target.execute_batch(insert, [tuple(row) for row in chunk])
            copied += len(chunk)
    return copied


async def _count(db: Database, table: str) -> int:
    return int(await db.fetch_value(f"SELECT count(*) FROM {table}"))


async def _columns(db: Database, table: str) -> Sequence[str]:
    """The table's column names in their declared order."""
    if db.dialect.is_postgres:
        query = """
            SELECT column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = ?
            ORDER BY ordinal_position
        """
    else:
        query = """SELECT name FROM pragma_table_info(?) ORDER BY cid"""
    rows: list[Any] = await db.fetch_all(query, (table,))
    return [str(row[0]) for row in rows]
