"""What a benchmark's figures were measured on, printed above every table."""

from __future__ import annotations

import os
import platform
import sqlite3
from importlib.metadata import version
from pathlib import Path

__all__ = ["machine"]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    return {
        "platform": platform.platform(),
        "cpu": f"{_cpu_model()}, {os.cpu_count()} cores, {_memory_gb():.0f} GB RAM",
        "python": platform.python_version(),
        "apscheduler": version("APScheduler"),
        "aiosqlite": version("aiosqlite"),
        "sqlite": sqlite3.sqlite_version,
    }
