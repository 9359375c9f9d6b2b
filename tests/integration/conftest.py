"""Fixtures shared by the integration tests: a fresh database, an engine harness.

Both run once per storage backend, with ids ``sqlite`` and ``postgres``: the storage contract
is proven by the same tests on each. A test that checks something only one backend has
(PRAGMAs, query plans, files) asks for ``sqlite_db`` or ``tmp_path`` instead, or is marked
``sqlite_only``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from scheduler.clock import FakeClock
from storage import Database
from tests.integration.engine_harness import START, Harness
from tests.postgres_server import fresh_database

BACKENDS = ("sqlite", "postgres")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: runs on the SQLite backend only")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the postgres case of a test marked ``sqlite_only``."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec else None
        wanted = backend != "postgres" or item.get_closest_marker("sqlite_only") is None
        (keep if wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The storage backend under test."""
    return str(request.param)


@pytest.fixture
async def database_target(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """Where a fresh, empty database is: a file path, or a PostgreSQL URL."""
    if backend == "sqlite":
        yield str(tmp_path / "cadence.db")
        return
    async with fresh_database() as url:
        yield url


@pytest.fixture
async def db(database_target: str) -> AsyncIterator[Database]:
    """A fresh, migrated database on each backend."""
    async with Database.open(database_target) as database:
        yield database


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh, migrated SQLite file (for what only SQLite has)."""
    async with Database.open(tmp_path / "cadence.db") as database:
        yield database


@pytest.fixture
async def harness(database_target: str) -> AsyncIterator[Harness]:
    """An engine over a fresh database on each backend, its clock at `START`."""
    h = await Harness(target=database_target, clock=FakeClock(START)).open()
    try:
        yield h
    finally:
        await h.close()
