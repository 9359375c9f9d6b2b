"""What docs/OPERATIONS.md tells operators, checked: online backups while Cadence writes, an
older copy restores, and a configuration problem found at the gateway exits 2 (so systemd's
`RestartPreventExitStatus=2` stops a restart loop)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

from fakediscord import FakeDiscord, World
from storage import (
    ChannelDestination,
    Database,
    NewTask,
    Payload,
    TaskKind,
    TaskRepository,
    Variant,
)

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def new_task(n: int) -> NewTask:
    return NewTask(
        name=f"task {n}",
        kind=TaskKind.CRON,
        spec="0 9 * * *",
        created_at=NOW,
        guild_id=1,
        payload=Payload(variants=(Variant(content=f"post {n}"),)),
        destinations=(ChannelDestination(channel_id=2),),
        next_run_at=NOW,
    )


def check_copy(path: Path) -> int:
    with sqlite3.connect(path) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return int(copy.execute("SELECT count(*) FROM tasks").fetchone()[0])


async def test_online_backups_while_cadence_writes_and_the_copy_restores(tmp_path: Path) -> None:
    live = tmp_path / "cadence.db"
    database = await Database.open(live)
    tasks = TaskRepository(database)
    written = 0

    async def keep_writing() -> None:
        nonlocal written
        while written < 300:
            await tasks.create(new_task(written))
            written += 1
            await asyncio.sleep(0)

    writer = asyncio.create_task(keep_writing())
    await asyncio.sleep(0.05)
    backup, vacuumed = tmp_path / "backup.db", tmp_path / "vacuum.db"

    def back_up() -> None:
        # What `sqlite3 cadence.db ".backup backup.db"` and `VACUUM INTO` do, from a second
        # connection, as a backup script would.
        with sqlite3.connect(live) as source, sqlite3.connect(backup) as target:
            source.backup(target)
        with sqlite3.connect(live) as source:
            source.execute("VACUUM INTO ?", (str(vacuumed),))

    await asyncio.to_thread(back_up)
    await writer
    await database.close()
    assert 0 < check_copy(backup) <= written and 0 < check_copy(vacuumed) <= written

    # Restoring: the copy opens as the database (migrations, if any, apply forward).
    copied = check_copy(backup)
    restored = await Database.open(backup)
    try:
        assert await TaskRepository(restored).count_for_guild(1) == copied
    finally:
        await restored.close()


async def test_a_bot_without_the_members_intent_exits_2_with_advice(tmp_path: Path) -> None:
    """Regression: Discord's refusal of a privileged intent was reported as "Cannot reach
    Discord" with exit 3, which a service manager restarts for ever."""
    world = World()
    world.add_guild("Server", owner="owner")
    world.application.flags = 0  # no privileged intents enabled in the Developer Portal
    fd = await FakeDiscord.start(world)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
    env.update(
        DISCORD_TOKEN=fd.token,
        DISCORD_API_BASE=fd.url,
        DATABASE_PATH=str(tmp_path / "cadence.db"),
        LOG_LEVEL="INFO",
    )
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "bot.py"),
            "--env-file",
            str(tmp_path / "absent.env"),
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    finally:
        await fd.stop()
    log = stderr.decode()
    assert process.returncode == 2, log
    assert "Server Members Intent" in log and "Cannot reach Discord" not in log
    assert fd.token not in log
