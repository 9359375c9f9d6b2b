"""Slash-command fixtures; the helpers they use (and tests import) are in harness.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.commands.api_harness import Api, serving_api
from tests.commands.harness import App, Scene, build_scene, started_app


@pytest.fixture
def scene() -> Scene:
    return build_scene()


@pytest.fixture
def app_settings() -> dict[str, str]:
    """Settings added to the `app` fixture's; parametrize this name to change them, e.g.
    `@pytest.mark.parametrize("app_settings", [{"MAX_TASKS_PER_GUILD": "2"}])`."""
    return {}


@pytest.fixture
async def app(scene: Scene, tmp_path: Path, app_settings: dict[str, str]) -> AsyncIterator[App]:
    async with started_app(scene, tmp_path / "cadence.db", app_settings) as started:
        yield started


@pytest.fixture
async def api(app: App) -> AsyncIterator[Api]:
    """The in-process bot's web API on a free port, with a client for it."""
    async with serving_api(app) as served:
        yield served
