"""Browser fixtures: the in-process bot with its web server (every route module) and a
Chromium driving it. Skipped, with the reason, only where Chromium is not installed; CI
installs it (`.ci/run`) and runs these with everything else."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.browser.harness import CHROMIUM, Dashboard, launched_browser
from tests.commands.api_harness import Api, serving_api
from tests.commands.harness import App, Scene, build_scene, started_app


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium.")
    skip = pytest.mark.skip(reason=f"no {CHROMIUM}: apt-get install chromium")
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(skip)


@pytest.fixture
def scene() -> Scene:
    return build_scene()


@pytest.fixture
async def app(scene: Scene, tmp_path: Path) -> AsyncIterator[App]:
    async with started_app(scene, tmp_path / "cadence.db") as started:
        yield started


@pytest.fixture
async def api(app: App) -> AsyncIterator[Api]:
    async with serving_api(app) as served:
        yield served


@pytest.fixture
async def dashboard(api: Api) -> AsyncIterator[Dashboard]:
    """Chromium on the served dashboard; fails the test if any page had a script error."""
    async with launched_browser() as browser:
        board = Dashboard(browser, api)
        yield board
    board.check_clean()
