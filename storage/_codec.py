"""JSON and constraint-error helpers shared by the repositories."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

__all__ = ["dump_json", "is_foreign_key_error", "is_unique_error", "load_json"]


def dump_json(value: Any) -> str:
    """Compact UTF-8 JSON for a TEXT column."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def load_json(text: str | None, default: Any) -> Any:
    """Decode a JSON column; ``default`` when it is NULL."""
    return default if text is None else json.loads(text)


def is_unique_error(error: sqlite3.IntegrityError) -> bool:
    return getattr(error, "sqlite_errorname", "") in {
        "SQLITE_CONSTRAINT_UNIQUE",
        "SQLITE_CONSTRAINT_PRIMARYKEY",
    }


def is_foreign_key_error(error: sqlite3.IntegrityError) -> bool:
    return getattr(error, "sqlite_errorname", "") == "SQLITE_CONSTRAINT_FOREIGNKEY"
