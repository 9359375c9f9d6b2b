"""The sandbox driven through a pipe, as a script (or a curious person) would drive it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

SCRIPT = """\
/schedule every name:ping interval:5s channel:#general message:hello from the sandbox
wait 11.5
/schedule list
/schedule run task:ping
/schedule pause task:ping
wait 7
/schedul list
/schedule every name:ping interval:5s channel:#nowhere message:x
/schedule delete task:ping
click 1
/schedule list
"""


def run_sandbox(script: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DEV_"))}
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "--sandbox", *args],
        input=script,
        capture_output=True,
        text=True,
        timeout=90,
        cwd=tmp_path,
        env=env,
    )


def section(output: str, start: str, end: str) -> str:
    """The output between the echoed command `start` and the next echoed `end`."""
    after = output.split(f"> {start}", 1)[1]
    return after.split(f"> {end}", 1)[0]


def test_sandbox_through_a_pipe(tmp_path: Path) -> None:
    result = run_sandbox(SCRIPT, tmp_path)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Cadence sandbox" in out and "Sandbox stopped." in out
    created = section(out, "/schedule every name:ping", "wait")
    assert "Cadence (only you can see this):" in created
    assert "Scheduled: ping" in created and "Every 5 seconds" in created
    running = section(out, "wait 11.5", "/schedule list")
    posts = re.findall(
        r"^\[\d\d:\d\d:\d\d\] #general Cadence:\n    hello from the sandbox$",
        running,
        flags=re.MULTILINE,
    )
    assert len(posts) >= 2, out
    listed = section(out, "/schedule list", "/schedule run")
    assert "ping · ▶ active" in listed
    ran = section(out, "/schedule run task:ping", "/schedule pause")
    assert "Ran ping" in ran and "Posted now" in ran
    paused = section(out, "/schedule pause task:ping", "/schedul list")
    assert "Paused: ping" in paused
    assert "#general Cadence:" not in paused.split("> wait 7", 1)[1]  # no more posts
    mistyped = section(
        out, "/schedul list", "/schedule every name:ping interval:5s channel:#nowhere"
    )
    assert "! Unknown command /schedul list. Did you mean /schedule list" in mistyped
    unknown_channel = section(
        out, "/schedule every name:ping interval:5s channel:#nowhere", "/schedule delete"
    )
    assert "! channel: no channel named “nowhere” in the sandbox." in unknown_channel
    deleted = section(out, "click 1", "/schedule list")
    assert "Deleted: ping" in deleted
    assert "No tasks match." in out.split("> click 1", 1)[1]
    assert "Traceback" not in result.stderr


def test_sandbox_keeps_its_database_with_db(tmp_path: Path) -> None:
    db = tmp_path / "keep.db"
    first = run_sandbox(
        "/schedule cron name:kept cron:0 9 * * * channel:#general message:hi\n",
        tmp_path,
        "--db",
        str(db),
    )
    assert first.returncode == 0 and "Scheduled: kept" in first.stdout
    second = run_sandbox("/schedule list\n", tmp_path, "--db", str(db))
    assert "kept · ▶ active" in second.stdout
