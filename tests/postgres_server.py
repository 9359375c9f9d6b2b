"""Fresh PostgreSQL databases for tests, on the server named by CADENCE_TEST_POSTGRES_URL.

Without the variable the PostgreSQL cases skip, saying how to run them; with ``CI=true`` a
missing server fails the run instead (CI must never pass by skipping them).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from storage.dialect import to_numbered

ENV = "CADENCE_TEST_POSTGRES_URL"
HOW = "run them with: .ci/postgres.sh .venv/bin/python -m pytest -q (a throwaway cluster)"


def server_url() -> str:
    """The test server's URL; skip (or, under CI, fail) when there is none."""
    url = os.environ.get(ENV, "").strip()
    if url:
        return url
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{ENV} is not set under CI=true: the PostgreSQL tests must run ({HOW})")
    pytest.skip(f"PostgreSQL tests need {ENV}; {HOW}")


def with_database(url: str, name: str) -> str:
    """``url`` pointing at the database ``name`` on the same server."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def with_password(url: str, password: str) -> str:
    """``url`` with ``password`` added (the test server trusts 127.0.0.1: any is accepted)."""
    parts = urlsplit(url)
    netloc = f"{parts.username}:{password}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """Create an empty database for one test, yield its URL, drop it afterwards."""
    url = server_url()
    name = f"cadence_test_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(url)
    try:
        strategy = " STRATEGY file_copy" if admin.get_server_version().major >= 15 else ""
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0{strategy}')
        try:
            yield with_database(url, name)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def query_rows(target: str | Path, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Read rows straight from a bot's database, SQLite file or PostgreSQL URL alike
    (``?`` placeholders), without the bot's storage layer. Safe to call from inside a running
    event loop: PostgreSQL is read on a thread of its own."""
    target = str(target)
    if target.startswith(("postgresql://", "postgres://")):
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, _pg_rows(target, sql, params)).result()
    with sqlite3.connect(target) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]


async def _pg_rows(url: str, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    text, args = to_numbered(sql, params)
    conn = await asyncpg.connect(url)
    try:
        return [dict(row) for row in await conn.fetch(text, *args)]
    finally:
        await conn.close()
