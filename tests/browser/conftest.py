"""Browser fixtures: the in-process bot with its web server (every route module) and a
Chromium driving it. Skipped, with the reason, only where Chromium is not installed; CI
installs it (`.ci/run`) and runs these with everything else."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.browser.harness import CHROMIUM, Dashboard, launched_browser
from tests.commands.api_harness import Api
from tests.commands.dashboard_harness import serving_dashboard
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
    """Every route module and the login, with `PUBLIC_URL` the server's own address (so the
    browser's Origin is same-origin and Discord sends it back here)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with serving_dashboard(app, f"http://127.0.0.1:{port}", port=port) as served:
        assert served.base == served.public_url
        yield Api(app, served.base, served.http)


@pytest.fixture
async def dashboard(api: Api, tmp_path: Path) -> AsyncIterator[Dashboard]:
    """Chromium on the served dashboard; fails the test if any page had a script error."""
    async with launched_browser() as browser:
        board = Dashboard(browser, api, shots=tmp_path)
        yield board
    board.check_clean()
