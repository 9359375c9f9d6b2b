"""What only the PostgreSQL backend has: its schema version table, its refusal of a newer
schema before any write, its migrations' rollback, its URL handling and its pool."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import asyncpg
import pytest

import storage.migrate as migrate
from storage import (
    Database,
    DatabaseUnavailableError,
    SchemaTooNewError,
    StateRepository,
    latest_version,
    masked_url,
)
from tests.postgres_server import fresh_database, with_password


@pytest.fixture
async def url() -> AsyncIterator[str]:
    """An empty PostgreSQL database."""
    async with fresh_database() as fresh:
        yield fresh


async def _catalog(url: str) -> list[tuple[str, ...]]:
    """Every table of the public schema with its row count: what a write would change."""
    conn = await asyncpg.connect(url)
    try:
        names = [
            row[0]
            for row in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        counts = [str(await conn.fetchval(f'SELECT count(*) FROM "{name}"')) for name in names]
        return list(zip(names, counts, strict=True))
    finally:
        await conn.close()


async def test_the_version_is_kept_in_cadence_schema(url: str) -> None:
    async with Database.open(url) as db:
        assert db.schema_version == latest_version()
        assert await db.fetch_value("SELECT max(version) FROM cadence_schema") == latest_version()
    async with Database.open(url) as db:  # reopening applies nothing twice
        assert await db.fetch_value("SELECT count(*) FROM cadence_schema") == latest_version()


async def test_a_newer_schema_is_refused_before_any_write(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("CREATE TABLE cadence_schema (version INTEGER NOT NULL)")
        await conn.execute("INSERT INTO cadence_schema VALUES (99)")
        await conn.execute("CREATE TABLE from_the_future (x INTEGER)")
    finally:
        await conn.close()
    before = await _catalog(url)
    secret_url = with_password(url, "s3cr3t-pw")

    with pytest.raises(SchemaTooNewError) as caught:
        await Database.open(secret_url)

    assert str(caught.value) == (
        f"Database {masked_url(secret_url)} was written by a newer Cadence (schema 99, this "
        f"version knows up to {latest_version()}). Upgrade Cadence or use another DATABASE_URL."
    )
    assert "s3cr3t-pw" not in str(caught.value)
    assert await _catalog(url) == before


async def test_a_failing_migration_leaves_the_previous_schema(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Database.open(url):
        pass
    real = migrate.load_migrations("postgres")
    script = "CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);"
    broken = migrate.Migration(len(real) + 1, "9999_broken.sql", (), script)
    monkeypatch.setattr(migrate, "load_migrations", lambda backend="sqlite": (*real, broken))

    with pytest.raises(asyncpg.UndefinedTableError, match="no_such_table"):
        await Database.open(url)

    monkeypatch.undo()
    async with Database.open(url) as db:
        assert db.schema_version == len(real)
        assert ("half_done",) not in [row[:1] for row in await _catalog(url)]


async def test_two_processes_opening_at_once_migrate_once(url: str) -> None:
    first, second = await asyncio.gather(Database.open(url), Database.open(url))
    try:
        assert first.schema_version == second.schema_version == latest_version()
        assert await first.fetch_value("SELECT count(*) FROM cadence_schema") == latest_version()
    finally:
        await first.close()
        await second.close()


async def test_the_password_is_never_logged(url: str, caplog: pytest.LogCaptureFixture) -> None:
    secret_url = with_password(url, "hunter2-secret")  # trust auth: any password is accepted
    with caplog.at_level(logging.DEBUG):
        async with Database.open(secret_url) as db:
            await StateRepository(db).set("k", "v")
            assert "hunter2-secret" not in db.path and "***" in db.path
    assert caplog.records
    assert all("hunter2-secret" not in record.getMessage() for record in caplog.records)


async def test_an_unreachable_server_is_a_clear_error_without_the_password() -> None:
    url = "postgresql://cadence:hunter2-secret@127.0.0.1:1/cadence"
    with pytest.raises(DatabaseUnavailableError) as caught:
        await Database.open(url)
    message = str(caught.value)
    assert "hunter2-secret" not in message
    assert message.startswith("Cannot connect to the database postgresql://cadence:***@127.0.0.1:1")
    assert "DATABASE_URL" in message


async def test_statement_cache_size_in_the_url_goes_to_asyncpg(url: str) -> None:
    # What PgBouncer in transaction mode needs; the server never sees it as a setting.
    async with Database.open(f"{url}?statement_cache_size=0") as db:
        state = StateRepository(db)
        await state.set("k", "v")
        assert await state.get("k") == "v"


async def test_the_pool_is_bounded_by_pool_size(url: str) -> None:
    async with Database.open(url, pool_size=2) as db:
        reads = [db.fetch_value("SELECT 1 FROM pg_sleep(0.05)") for _ in range(6)]
        assert await asyncio.gather(*reads) == [1] * 6
        busy = await db.fetch_value(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        )
        assert 1 <= busy <= 2
