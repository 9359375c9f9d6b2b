"""End-to-end fixtures: fakediscord in the test process and the bot process against it; the
helpers they use (and tests import) are in harness.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from fakediscord import FakeDiscord
from tests.e2e.harness import BotProcess, Scene, build_scene
from tests.postgres_server import fresh_database


@pytest.fixture
def scene() -> Scene:
    return build_scene()


@pytest.fixture
async def fd(scene: Scene) -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord.start(scene.world)
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def bot(
    request: pytest.FixtureRequest, fd: FakeDiscord, scene: Scene, tmp_path: Path
) -> AsyncIterator[BotProcess]:
    """The bot process over a SQLite file, or over a fresh PostgreSQL database when the test
    parametrizes ``bot`` indirectly with ``"postgres"`` (see `BACKENDS`)."""
    async with AsyncExitStack() as stack:
        url = None
        if getattr(request, "param", "sqlite") == "postgres":
            url = await stack.enter_async_context(fresh_database())
        process = BotProcess(fd, scene, tmp_path, database_url=url)
        try:
            yield process
        finally:
            if process.process is not None and process.process.returncode is None:
                process.process.kill()
                await process.process.wait()
