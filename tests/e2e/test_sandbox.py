"""The sandbox driven through a pipe, as a script (or a curious person) would drive it."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import aiohttp
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


async def test_the_sandbox_serves_the_dashboard_and_logs_you_in_as_its_admin(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DEV_", "WEB_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        "--sandbox",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp_path,
        env=env,
    )
    assert process.stdout is not None and process.stdin is not None
    try:
        seen = []
        while not any(line.startswith("Dashboard: ") for line in seen):
            line = await asyncio.wait_for(process.stdout.readline(), 30)
            assert line, "the sandbox ended before printing its dashboard's address:\n" + "".join(
                seen
            )
            seen.append(line.decode())
        url = next(line for line in seen if line.startswith("Dashboard: ")).split()[1]
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", url), url
        # Cookies on an IP address need the "unsafe" jar; a browser keeps them as usual.
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(f"{url}login?next=/") as resp:
                assert resp.status == 200, await resp.text()
                assert str(resp.url) == url  # approved by the local Discord, then sent home
            async with http.get(f"{url}auth/session") as resp:
                session = await resp.json()
                assert resp.status == 200, session
            assert session["user"]["username"] == "you"
            async with http.get(f"{url}auth/guilds") as resp:
                guilds = await resp.json()
                assert resp.status == 200, guilds
            sandbox = [g for g in guilds["guilds"] if g["name"] == "Sandbox"]
            assert len(sandbox) == 1 and sandbox[0]["access"] == "write", guilds
            async with http.get(f"{url}api/v1/guilds/{sandbox[0]['id']}/tasks") as resp:
                listed = await resp.json()
                assert resp.status == 200, listed
            assert listed == {"items": [], "next_cursor": None}
        process.stdin.write(b"quit\n")
        await process.stdin.drain()
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
