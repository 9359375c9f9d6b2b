"""Fixtures shared by the integration tests (storage tests keep their own `db` fixtures)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from scheduler.clock import FakeClock
from tests.integration.engine_harness import START, Harness


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    """An engine over a fresh database file, its clock at `START`."""
    h = await Harness(path=tmp_path / "cadence.db", clock=FakeClock(START)).open()
    try:
        yield h
    finally:
        await h.close()
