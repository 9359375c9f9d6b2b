"""Imports point one way: config <- storage <- scheduler <- discordside <- cogs (and web) <- bot.py.

discordside/ holds the discord-side rules both doors share, so neither door imports the other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "storage": {"discord", "scheduler", "discordside", "cogs", "web", "bot", "apscheduler"},
    "scheduler": {"discord", "discordside", "cogs", "web", "bot"},
    "discordside": {"cogs", "web", "bot"},
    "cogs": {"web"},
}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(package: str) -> None:
    wrong = {
        f"{path.relative_to(ROOT)} imports {root}"
        for path in (ROOT / package).rglob("*.py")
        for root in imported_roots(path) & FORBIDDEN[package]
    }
    assert not wrong, sorted(wrong)
