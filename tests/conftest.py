"""How the suite is spread over pytest-xdist workers (``-n 4 --dist loadgroup``, pyproject's
addopts; docs/TESTING.md "How the suite runs in parallel").

Every test may run beside any other, except that the proofs which start many real bot
processes, hold a burst of hundreds of posts and kill processes in the middle of it run one
after another within their group, on one worker: two 3-process fleets side by side, or two
300-post bursts, would share the two cores of CI's machine and the emulator's request log
timing with each other. Each group still runs beside the rest of the suite. Every test keeps
its own emulator, its own temporary directory and, on PostgreSQL, its own fresh database
(tests/postgres_server.py), so the workers share nothing else.
"""

from __future__ import annotations

from pathlib import PurePath

import pytest

SERIAL_GROUPS = {
    # Three real bot processes (or three in-process bots) on one PostgreSQL database, with a
    # burst falling due while one is SIGKILLed, SIGSTOPped, restarted or resharded.
    "tests/commands/test_process_group_bots.py": "fleet",
    "tests/e2e/test_scale_out.py": "fleet",
    "tests/e2e/test_reshard.py": "fleet",
    # One real bot process through a 300-to-500-post burst with faults, kills and the
    # rate limits; test_fairness bounds a lone task's lateness beside such a burst.
    "tests/e2e/test_crash.py": "burst",
    "tests/e2e/test_outage.py": "burst",
    "tests/e2e/test_fairness.py": "burst",
}
"""Test module (relative to the repository) → the xdist group its tests run in, one by one."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = PurePath(str(config.rootpath))
    for item in items:
        module = PurePath(str(item.path)).relative_to(root).as_posix()
        group = SERIAL_GROUPS.get(module)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
