"""Set-based batch writes for PostgreSQL: one statement over arrays instead of one per row.

SQLite runs a batch as ``executemany`` on one in-process connection, which costs little per
row. Over a network connection each statement is a round trip, so the engine's hot batches
(advancing the tasks of a burst, recording its outcomes) are sent to PostgreSQL as one
``UPDATE … FROM unnest(…)``. The result is the same as running the single-row statement once
per row only when no key repeats; callers fall back to the row-by-row form otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["COLUMN_TYPES", "columns_of", "unique_keys", "unnest_from", "unnest_update"]

# PostgreSQL types of the columns batch writes touch (migrations/postgres/0001_initial.sql).
COLUMN_TYPES: Mapping[str, str] = {
    **dict.fromkeys(
        (
            "id", "start_at", "end_at", "next_run_at", "last_run_at", "rotation_index",
            "skip_next", "run_count", "failure_count", "consecutive_failures", "updated_at",
            "updated_by", "finished_at", "late_by_ms", "fence",
        ),
        "bigint",
    ),
    **dict.fromkeys(("max_runs", "attempts"), "integer"),
    **dict.fromkeys(
        (
            "name", "spec", "timezone", "payload", "destinations", "kind", "status",
            "catch_up", "paused_reason", "error", "message_ids",
        ),
        "text",
    ),
}  # fmt: skip


def unnest_from(columns: Sequence[str], alias: str = "v") -> str:
    """``unnest(?::t1[], ?::t2[], …) AS v (c1, c2, …)``: one array parameter per column."""
    arrays = ", ".join(f"?::{COLUMN_TYPES[column]}[]" for column in columns)
    return f"unnest({arrays}) AS {alias} ({', '.join(columns)})"


def unnest_update(table: str, key: str, columns: Sequence[str]) -> str:
    """``UPDATE table SET c = v.c, … FROM unnest(…) WHERE table.key = v.key``; the arrays
    are ``key`` then ``columns``, in that order."""
    assignments = ", ".join(f"{column} = v.{column}" for column in columns)
    return (
        f"UPDATE {table} SET {assignments} "
        f"FROM {unnest_from([key, *columns])} WHERE {table}.{key} = v.{key}"
    )


def columns_of(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Rows turned into one list per column (the arrays ``unnest`` takes)."""
    return [list(column) for column in zip(*rows, strict=True)]


def unique_keys(keys: Sequence[Any]) -> bool:
    """True when no key repeats (the set-based form then equals the row-by-row one)."""
    return len(set(keys)) == len(keys)
