"""Fixtures shared by the integration tests: a fresh database file, an engine harness."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from scheduler.clock import FakeClock
from storage import Database
from tests.integration.engine_harness import START, Harness


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh, migrated database file."""
    async with Database.open(tmp_path / "cadence.db") as database:
        yield database


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    """An engine over a fresh database file, its clock at `START`."""
    h = await Harness(path=tmp_path / "cadence.db", clock=FakeClock(START)).open()
    try:
        yield h
    finally:
        await h.close()
