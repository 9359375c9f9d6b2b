"""Moving house: SQLite -> PostgreSQL -> SQLite leaves every table identical, a non-empty
target is refused, and `python bot.py --copy-database-to` says what to change in .env."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage import (
    ApiTokenRepository,
    ApiTokenScope,
    AuditRepository,
    ChannelDestination,
    Database,
    GuildSettingsRepository,
    NewTask,
    NoticeLevel,
    NoticeRepository,
    Payload,
    RunRepository,
    RunStatus,
    RunTrigger,
    StateRepository,
    TaskKind,
    TaskRepository,
    TaskSource,
    Variant,
)
from storage.copy import TABLES, TargetNotEmptyError, check, copy_database
from tests.integration.test_bot_process import TOKEN, run_bot
from tests.postgres_server import fresh_database, with_password

T0 = datetime(2026, 3, 1, 12, 0, 0, 123_000, tzinfo=UTC)
GUILD = 987_654_321_098_765_432  # a snowflake near the top of the 64-bit range


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async with fresh_database() as url:
        yield url


async def fill(db: Database) -> None:
    """One of everything, with the awkward values: unicode, JSON, NULLs, big ids, deletions."""
    tasks, runs = TaskRepository(db), RunRepository(db)
    await GuildSettingsRepository(db).update(
        GUILD, T0, timezone="Europe/Berlin", dev_channel_id=GUILD - 1, summary_cron="0 9 * * 1"
    )
    made = []
    for i, name in enumerate(["Morgenrunde ☀", "daily", "Ünïcode — “quotes”", "gone"]):
        new = NewTask(
            name=name,
            kind=TaskKind.CRON,
            spec="0 9 * * 1-5",
            created_at=T0,
            guild_id=GUILD,
            created_by=GUILD - 2,
            payload=Payload(variants=(Variant(content=f"line one\nline 'two' {i}"),)),
            destinations=(ChannelDestination(channel_id=GUILD - 3),),
            next_run_at=T0 + timedelta(hours=i),
        )
        made.append(await tasks.create(new))
    code = NewTask(
        name="report",
        kind=TaskKind.INTERVAL,
        spec="1d",
        created_at=T0,
        source=TaskSource.CODE,
        job_id="jobs.report",
    )
    await tasks.create(code)
    await tasks.delete(made[-1].id)  # a gap in the ids
    started = await runs.start(made[0].id, T0, RunTrigger.SCHEDULE, T0)
    await runs.finish(
        started.id, RunStatus.OK, finished_at=T0, late_by_ms=7, attempts=1, message_ids=[GUILD]
    )
    await runs.record_many(
        made[1].id, [T0, T0 + timedelta(days=1)], RunStatus.MISSED, RunTrigger.CATCH_UP, T0
    )
    await AuditRepository(db).add(GUILD, made[0].id, None, "created", {"via": "import"}, at=T0)
    await NoticeRepository(db).add(None, NoticeLevel.WARNING, "kind", "Title", "Body ✓", T0)
    await StateRepository(db).set("command_tree_hash", "abc123")
    tokens = ApiTokenRepository(db)
    await tokens.create(GUILD, "ci-bot", ApiTokenScope.WRITE, "a" * 64, GUILD - 2, T0)
    await tokens.create(GUILD, "old", ApiTokenScope.READ, "b" * 64, GUILD - 2, T0)
    await tokens.touch((await tokens.get_by_hash("a" * 64)).id, T0)  # type: ignore[union-attr]
    await tokens.revoke(GUILD, "old", T0 + timedelta(seconds=1))


async def test_sqlite_to_postgresql_to_sqlite_is_identical(
    tmp_path: Path, postgres_url: str
) -> None:
    first, back = tmp_path / "first.db", tmp_path / "back.db"
    async with Database.open(first) as source:
        await fill(source)
        original = await check(source)
    async with Database.open(first) as source, Database.open(postgres_url) as target:
        there = await copy_database(source, target)
    async with Database.open(postgres_url) as source, Database.open(back) as target:
        returned = await copy_database(source, target)
    async with Database.open(back) as final:
        assert await check(final) == original

    assert there.identical and returned.identical
    assert there.target == returned.target == original
    assert [c.table for c in original] == list(TABLES)
    assert {c.table: c.rows for c in original} == {
        "guild_settings": 1,
        "tasks": 4,
        "runs": 3,
        "audit": 1,
        "notices": 1,
        "bot_state": 1,
        "api_tokens": 2,
    }


async def test_the_copy_reads_back_the_same_records_and_ids_go_on(
    tmp_path: Path, postgres_url: str
) -> None:
    async with Database.open(tmp_path / "first.db") as source:
        await fill(source)
        async with Database.open(postgres_url) as target:
            await copy_database(source, target)
            for repo in (TaskRepository(source), TaskRepository(target)):
                assert await repo.list_for_guild(GUILD) == await TaskRepository(
                    source
                ).list_for_guild(GUILD)
            before = await TaskRepository(source).list_code_tasks()
            assert await TaskRepository(target).list_code_tasks() == before
            new = NewTask(name="after", kind=TaskKind.DATE, spec="x", created_at=T0, guild_id=1)
            created = await TaskRepository(target).create(new)
            assert created.id > max(t.id for t in before)
            tokens = await ApiTokenRepository(source).list_for_guild(GUILD, include_revoked=True)
            copied = ApiTokenRepository(target)
            assert await copied.list_for_guild(GUILD, include_revoked=True) == tokens
            later = await copied.create(GUILD, "new", ApiTokenScope.READ, "c" * 64, 1, T0)
            assert later.id > max(t.id for t in tokens)


async def test_a_target_with_rows_is_refused_and_left_alone(
    tmp_path: Path, postgres_url: str
) -> None:
    async with Database.open(postgres_url) as target:
        await StateRepository(target).set("mine", "keep")
        before = await check(target)
    async with Database.open(tmp_path / "first.db") as source:
        await fill(source)
        async with Database.open(postgres_url) as target:
            with pytest.raises(TargetNotEmptyError, match=r"not empty \(bot_state \(1\)\)"):
                await copy_database(source, target)
            assert await check(target) == before


async def test_copy_database_to_from_the_command_line(tmp_path: Path, postgres_url: str) -> None:
    source = tmp_path / "cadence.db"
    async with Database.open(source) as db:
        await fill(db)
    target = with_password(postgres_url, "copy-secret-pw")

    result = run_bot(tmp_path, {"DATABASE_PATH": str(source)}, "--copy-database-to", target)
    assert result.returncode == 0, result.stderr
    assert "every table verified" in result.stdout
    assert "tasks                    4 rows" in result.stdout
    assert "Now set DATABASE_URL=postgresql://postgres:***@" in result.stdout
    assert "copy-secret-pw" not in result.stdout + result.stderr
    assert TOKEN not in result.stdout

    again = run_bot(tmp_path, {"DATABASE_PATH": str(source)}, "--copy-database-to", target)
    assert again.returncode == 2
    assert "is not empty" in again.stderr and "copy-secret-pw" not in again.stderr

    bad = run_bot(tmp_path, {}, "--copy-database-to", "mysql://u:copy-secret-pw@h/db")
    assert bad.returncode == 2
    assert bad.stderr.startswith("cadence: --copy-database-to: expects sqlite:///")
    assert "copy-secret-pw" not in bad.stderr
