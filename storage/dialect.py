"""The few places where SQLite's and PostgreSQL's SQL differ, in one small object.

Repositories write SQL once, with ``?`` placeholders (``?1`` to reuse a parameter, or
``:name`` with a mapping). The PostgreSQL backend rewrites them to ``$n`` (``to_numbered``);
the rest of the differences are the fragments below, each chosen per backend.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["POSTGRES", "SQLITE", "Dialect", "to_numbered"]

# A quoted string or identifier, a comment, or a placeholder (?, ?NNN, :name).
_TOKEN = re.compile(
    r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/|::|\?(\d*)|:([A-Za-z_]\w*)""",
    re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Dialect:
    """Per-backend SQL fragments. ``name`` is ``"sqlite"`` or ``"postgres"``."""

    name: str

    @property
    def is_postgres(self) -> bool:
        return self.name == "postgres"

    def nocase(self, expression: str) -> str:
        """``expression`` compared and ordered case-insensitively (ASCII), like SQLite's
        ``COLLATE NOCASE`` column; PostgreSQL's column is ``COLLATE "C"`` under ``lower()``."""
        return f"lower({expression})" if self.is_postgres else expression

    def in_ids(self, column: str) -> str:
        """``column`` is one of a list of integers passed as one parameter (``id_list``)."""
        if self.is_postgres:
            return f"{column} = ANY(?::bigint[])"
        return f"{column} IN (SELECT value FROM json_each(?))"

    def id_list(self, ids: Iterable[int]) -> Any:
        """The parameter ``in_ids`` expects."""
        values = [int(value) for value in ids]
        return values if self.is_postgres else json.dumps(values, separators=(",", ":"))

    def has_channel(self, destinations: str) -> str:
        """A JSON array column holds an object whose ``channel_id`` (an integer or a string
        of digits) equals the integer parameter."""
        if self.is_postgres:
            value = "d.value->>'channel_id'"
            return (
                f"EXISTS (SELECT 1 FROM json_array_elements({destinations}::json) AS d"
                f" WHERE CASE WHEN {value} ~ '^[0-9]{{1,30}}$' THEN ({value})::numeric END = ?)"
            )
        return (
            f"EXISTS (SELECT 1 FROM json_each({destinations}) AS d"
            " WHERE CAST(json_extract(d.value, '$.channel_id') AS INTEGER) = ?)"
        )

    @property
    def no_limit(self) -> int | None:
        """The ``LIMIT`` parameter meaning "all rows"."""
        return None if self.is_postgres else -1


SQLITE = Dialect("sqlite")
POSTGRES = Dialect("postgres")


def to_numbered(query: str, params: Sequence[Any] | Mapping[str, Any]) -> tuple[str, list[Any]]:
    """Rewrite ``?``, ``?N`` and ``:name`` placeholders to PostgreSQL's ``$n``; return the
    query and its parameters as a list (a mapping is put in placeholder order)."""
    text, names = _numbered(query)
    if isinstance(params, Mapping):
        return text, [params[name] for name in names]
    return text, list(params)


@lru_cache(maxsize=1024)
def _numbered(query: str) -> tuple[str, tuple[str, ...]]:
    names: list[str] = []
    counter = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal counter
        token = match.group(0)
        if token.startswith("?"):
            if match.group(1):
                return f"${int(match.group(1))}"
            counter += 1
            return f"${counter}"
        if match.group(2) is not None:
            name = match.group(2)
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"
        return token

    return _TOKEN.sub(replace, query), tuple(names)
