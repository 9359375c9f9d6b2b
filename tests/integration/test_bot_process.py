"""`python bot.py` as a user runs it: exit codes and the one-line explanations."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from tests.postgres_server import fresh_database, with_password

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gabcde.very-secret-token-value"


def run_bot(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in _SETTINGS}
    clean.update(env)
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "--env-file", str(tmp_path / "absent.env"), *args],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


_SETTINGS = {
    "DISCORD_TOKEN",
    "DEV_CHANNEL_ID",
    "ALERT_CHANNEL_ID",
    "DEFAULT_TIMEZONE",
    "DATABASE_PATH",
    "DATABASE_URL",
    "DATABASE_POOL_SIZE",
    "DEV_GUILD_ID",
    "LOG_LEVEL",
    "DISCORD_API_BASE",
}


def test_no_token_exits_2_with_one_line_that_says_how_to_set_one(tmp_path: Path) -> None:
    result = run_bot(tmp_path, {})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "DISCORD_TOKEN" in lines[0]
    assert ".env" in lines[0] and "python bot.py --sandbox" in lines[0]
    assert result.stdout == ""


def test_malformed_setting_exits_2_naming_it_without_echoing_the_token(tmp_path: Path) -> None:
    result = run_bot(tmp_path, {"DISCORD_TOKEN": TOKEN, "DEV_CHANNEL_ID": "my-channel"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cadence: DEV_CHANNEL_ID: "), result.stderr
    assert TOKEN not in result.stderr + result.stdout


def test_database_from_a_newer_cadence_is_refused_and_left_untouched(tmp_path: Path) -> None:
    db = tmp_path / "future.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 999")
    before = db.read_bytes()
    result = run_bot(tmp_path, {"DISCORD_TOKEN": TOKEN, "DATABASE_PATH": str(db)})
    assert result.returncode == 2
    assert "newer" in result.stderr and str(db) in result.stderr
    assert db.read_bytes() == before
    assert TOKEN not in result.stderr + result.stdout


async def test_a_postgresql_database_from_a_newer_cadence_is_refused(tmp_path: Path) -> None:
    async with fresh_database() as url:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("CREATE TABLE cadence_schema (version INTEGER NOT NULL)")
            await conn.execute("INSERT INTO cadence_schema VALUES (999)")
        finally:
            await conn.close()
        secret = with_password(url, "pg-secret-pw")
        result = run_bot(tmp_path, {"DISCORD_TOKEN": TOKEN, "DATABASE_URL": secret})
        conn = await asyncpg.connect(url)
        try:
            tables = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname='public'")
        finally:
            await conn.close()
    assert result.returncode == 2, result.stderr
    assert "newer" in result.stderr and "DATABASE_URL" in result.stderr
    assert tables == 1  # nothing was migrated
    assert "pg-secret-pw" not in result.stderr + result.stdout
    assert TOKEN not in result.stderr + result.stdout


def test_a_malformed_database_url_exits_2_without_echoing_the_password(tmp_path: Path) -> None:
    url = "postgresql://cadence:pg-secret-pw@db.example:port/cadence"
    result = run_bot(tmp_path, {"DISCORD_TOKEN": TOKEN, "DATABASE_URL": url})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cadence: DATABASE_URL: "), result.stderr
    assert "pg-secret-pw" not in result.stderr


def test_an_unreachable_postgresql_exits_3_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://cadence:pg-secret-pw@127.0.0.1:{_closed_port()}/cadence"
    result = run_bot(tmp_path, {"DISCORD_TOKEN": TOKEN, "DATABASE_URL": url, "LOG_LEVEL": "DEBUG"})
    assert result.returncode == 3, result.stderr
    assert "Cannot connect to the database postgresql://cadence:***@127.0.0.1" in result.stderr
    assert "Traceback" not in result.stderr
    assert "pg-secret-pw" not in result.stderr + result.stdout


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_discord_fails_cleanly_and_never_logs_the_token(tmp_path: Path) -> None:
    env = {
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_BASE": f"http://127.0.0.1:{_closed_port()}",
        "DATABASE_PATH": str(tmp_path / "db" / "cadence.db"),
        "LOG_LEVEL": "DEBUG",
    }
    result = run_bot(tmp_path, env)
    assert result.returncode == 3, result.stderr
    assert "Cannot reach Discord" in result.stderr
    assert "Traceback" not in result.stderr
    assert TOKEN not in result.stderr + result.stdout
    # The database was created and migrated before connecting.
    assert (tmp_path / "db" / "cadence.db").exists()


@pytest.mark.parametrize("flag", ["--help"])
def test_help_lists_the_sandbox_flag(tmp_path: Path, flag: str) -> None:
    result = run_bot(tmp_path, {}, flag)
    assert result.returncode == 0
    assert "--sandbox" in result.stdout
