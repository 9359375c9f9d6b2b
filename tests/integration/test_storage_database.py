"""Database lifetime, pragmas, migrations, the newer-schema refusal and transactions, on both
backends where the behaviour is the contract's, on SQLite where it is SQLite's own."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

import storage.migrate as migrate
from storage import (
    AuditRepository,
    Database,
    DuplicateTaskError,
    NewTask,
    SchemaTooNewError,
    StateRepository,
    TaskKind,
    TaskRepository,
    latest_version,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


TABLES = {"guild_settings", "tasks", "runs", "audit", "notices", "bot_state", "api_tokens"}
INDEXES = {
    "guild_settings_left_at",
    "tasks_guild_name",
    "tasks_job_id",
    "tasks_status_next_run",
    "runs_task_scheduled",
    "runs_scheduled_status",
    "runs_running",
    "audit_guild_at",
    "audit_task_at",
    "notices_unread",
}


async def _names(db: Database, kind: str) -> set[str]:
    if db.dialect.is_postgres:
        catalog = {"table": ("tablename", "pg_tables"), "index": ("indexname", "pg_indexes")}
        column, view = catalog[kind]
        query = f"""SELECT {column} FROM {view} WHERE schemaname = current_schema()"""
        return {row[0] for row in await db.fetch_all(query)}
    query = """SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%'"""
    return {row[0] for row in await db.fetch_all(query, (kind,))}


def _make_foreign_file(path: Path, *, user_version: int, wal: bool) -> None:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE from_the_future (x)")
    conn.execute(f"PRAGMA user_version = {user_version}")
    conn.commit()
    conn.close()


def _sidecars(path: Path) -> list[Path]:
    return [p for p in (Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


def _journal_mode(path: Path) -> str:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        conn.close()


# ------------------------------------------------------------------------ migrations


async def test_migrates_an_empty_database_to_the_newest_schema(db: Database) -> None:
    assert db.schema_version == latest_version() >= 1
    assert await _names(db, "table") >= TABLES
    assert await _names(db, "index") >= INDEXES


async def test_sqlite_keeps_the_version_in_user_version(sqlite_db: Database) -> None:
    assert await sqlite_db.pragma("user_version") == latest_version()


@pytest.mark.parametrize(
    ("pragma", "expected"),
    [
        pytest.param("journal_mode", "wal", id="wal"),
        pytest.param("foreign_keys", 1, id="foreign-keys-on"),
        pytest.param("synchronous", 1, id="synchronous-normal"),
        pytest.param("busy_timeout", 5000, id="busy-timeout"),
    ],
)
async def test_connection_pragmas(sqlite_db: Database, pragma: str, expected: object) -> None:
    assert await sqlite_db.pragma(pragma) == expected


async def test_reopening_is_idempotent_and_keeps_data(database_target: str) -> None:
    path = database_target
    async with Database.open(path) as db:
        await StateRepository(db).set("tree_hash", "abc")
    db = await Database.open(path)
    try:
        assert db.schema_version == latest_version()
        assert await StateRepository(db).get("tree_hash") == "abc"
        assert await _names(db, "index") >= INDEXES
    finally:
        await db.close()


async def test_open_creates_parent_folders(tmp_path: Path) -> None:
    path = tmp_path / "data" / "nested" / "cadence.db"
    async with Database.open(str(path)) as db:
        assert db.path == str(path)
    assert path.is_file()


async def test_in_memory_database_is_migrated() -> None:
    async with Database.open(":memory:") as db:
        assert db.schema_version == latest_version()
        assert await _names(db, "table") >= TABLES


@pytest.mark.parametrize("wal", [False, True], ids=["rollback-journal-file", "wal-file"])
async def test_newer_schema_is_refused_and_the_file_left_alone(tmp_path: Path, wal: bool) -> None:
    path = tmp_path / "cadence.db"
    _make_foreign_file(path, user_version=99, wal=wal)
    before_bytes = path.read_bytes()
    before_mtime = path.stat().st_mtime_ns
    before_mode = _journal_mode(path)

    with pytest.raises(SchemaTooNewError) as caught:
        await Database.open(path)

    assert str(caught.value) == (
        f"Database {path} was written by a newer Cadence (schema 99, this version knows up "
        f"to {latest_version()}). Upgrade Cadence or use another DATABASE_PATH."
    )
    assert isinstance(caught.value, RuntimeError)
    assert path.read_bytes() == before_bytes
    assert path.stat().st_mtime_ns == before_mtime
    assert _journal_mode(path) == before_mode == ("wal" if wal else "delete")
    if not wal:
        assert not _sidecars(path)


async def test_newer_schema_is_refused_by_the_context_manager_form(tmp_path: Path) -> None:
    path = tmp_path / "cadence.db"
    _make_foreign_file(path, user_version=latest_version() + 1, wal=False)
    with pytest.raises(SchemaTooNewError, match="Upgrade Cadence"):
        async with Database.open(path):
            pass


async def test_a_failing_migration_leaves_the_previous_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cadence.db"
    async with Database.open(path):
        pass
    real = migrate.load_migrations()
    statements = ("CREATE TABLE half_done (x)", "INSERT INTO no_such_table VALUES (1)")
    broken = migrate.Migration(len(real) + 1, "9999_broken.sql", statements, "")
    monkeypatch.setattr(migrate, "load_migrations", lambda backend="sqlite": (*real, broken))

    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        await Database.open(path)

    monkeypatch.undo()
    async with Database.open(path) as db:
        assert db.schema_version == len(real)
        assert "half_done" not in await _names(db, "table")


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        pytest.param("CREATE TABLE a (x);", ["CREATE TABLE a (x);"], id="one"),
        pytest.param(
            "-- header; with a semicolon\nCREATE TABLE a (x);\n\nCREATE TABLE b (y);\n",
            ["-- header; with a semicolon\nCREATE TABLE a (x);", "CREATE TABLE b (y);"],
            id="comment-and-two",
        ),
        pytest.param(
            "INSERT INTO a VALUES ('x;y');", ["INSERT INTO a VALUES ('x;y');"], id="string"
        ),
        pytest.param(
            "CREATE TRIGGER t AFTER INSERT ON a BEGIN DELETE FROM b; DELETE FROM c; END;",
            ["CREATE TRIGGER t AFTER INSERT ON a BEGIN DELETE FROM b; DELETE FROM c; END;"],
            id="trigger-body",
        ),
        pytest.param("-- only a comment\n", [], id="comment-only"),
    ],
)
def test_split_statements(script: str, expected: list[str]) -> None:
    assert migrate.split_statements(script) == expected


def test_split_statements_refuses_an_unterminated_statement() -> None:
    with pytest.raises(ValueError, match="incomplete"):
        migrate.split_statements("CREATE TABLE a (x);\nCREATE TABLE b (y)")


def test_packaged_migrations_are_numbered_from_one_alike_on_both_backends() -> None:
    migrations = migrate.load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].name == "0001_initial.sql"
    on_postgres = migrate.load_migrations("postgres")
    assert [m.name for m in on_postgres] == [m.name for m in migrations]
    with pytest.raises(ValueError, match="unknown storage backend"):
        migrate.load_migrations("oracle")


# ---------------------------------------------------------------------- transactions


async def test_transaction_commits(db: Database) -> None:
    state = StateRepository(db)
    async with db.transaction():
        await state.set("a", "1")
        await state.set("b", "2")
    assert (await state.get("a"), await state.get("b")) == ("1", "2")


async def test_transaction_rolls_back_everything_when_the_block_raises(db: Database) -> None:
    state = StateRepository(db)
    with pytest.raises(RuntimeError, match="boom"):
        async with db.transaction():
            await state.set("a", "1")
            raise RuntimeError("boom")
    assert await state.get("a") is None


async def test_a_duplicate_inside_a_composed_write_writes_nothing(db: Database) -> None:
    tasks, audit = TaskRepository(db), AuditRepository(db)
    first = NewTask(name="daily", kind=TaskKind.CRON, spec="0 9 * * *", created_at=T0, guild_id=1)
    await tasks.create(first)
    with pytest.raises(DuplicateTaskError):
        async with db.transaction():
            await audit.add(1, None, 7, "imported", {"count": 1}, at=T0)
            await tasks.create(first)
    assert await audit.for_guild(1) == []
    assert await tasks.count_for_guild(1) == 1


async def test_nested_transaction_is_a_savepoint(db: Database) -> None:
    state = StateRepository(db)
    async with db.transaction():
        await state.set("outer", "kept")
        with pytest.raises(ValueError):
            async with db.transaction():
                await state.set("inner", "undone")
                raise ValueError
    assert await state.get("outer") == "kept"
    assert await state.get("inner") is None


async def test_writes_from_other_coroutines_wait_for_an_open_transaction(db: Database) -> None:
    state = StateRepository(db)
    inside = asyncio.Event()
    release = asyncio.Event()

    async def rolled_back() -> None:
        with pytest.raises(RuntimeError):
            async with db.transaction():
                await state.set("mine", "x")
                inside.set()
                await release.wait()
                raise RuntimeError("undo mine")

    holder = asyncio.create_task(rolled_back())
    await inside.wait()
    other = asyncio.create_task(state.set("theirs", "y"))
    await asyncio.sleep(0.05)
    assert not other.done()  # serialised behind the open transaction
    release.set()
    await asyncio.gather(holder, other)
    assert await state.get("mine") is None
    assert await state.get("theirs") == "y"  # not swept into the rolled-back transaction


async def test_cancelled_transaction_rolls_back(db: Database) -> None:
    state = StateRepository(db)
    inside = asyncio.Event()

    async def cancelled() -> None:
        async with db.transaction():
            await state.set("a", "1")
            inside.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(cancelled())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await state.get("a") is None
    await state.set("b", "2")  # the lock was released
    assert await state.get("b") == "2"


@pytest.mark.sqlite_only
async def test_a_cancellation_after_the_commit_ran_stays_a_cancellation(db: Database) -> None:
    # A cancellation can land while COMMIT is queued on aiosqlite's thread: the COMMIT still
    # runs, so the ROLLBACK that follows finds no transaction. The caller must see the
    # cancellation (a worker being stopped), not "cannot rollback", and the write must stay.
    state = StateRepository(db)

    slow = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) "
        "SELECT count(*) FROM c"
    )
    queued: list[asyncio.Task[object]] = []

    async def committed_then_cancelled() -> None:
        async with db.transaction():
            await state.set("a", "1")
            # Keep aiosqlite's thread busy, queue the COMMIT behind it, and leave while both
            # wait: the block's clean-up still sees an open transaction, and its ROLLBACK runs
            # after the COMMIT, just as when a cancellation interrupts the COMMIT's await.
            raw = db._conn  # the raw connection: our own API would wait for this transaction
            queued.append(asyncio.create_task(raw.execute(slow)))
            queued.append(asyncio.create_task(raw.execute("COMMIT")))
            await asyncio.sleep(0)
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await committed_then_cancelled()
    await asyncio.gather(*queued)
    assert await state.get("a") == "1"
    await state.set("b", "2")  # the lock was released
    assert await state.get("b") == "2"


async def test_size_bytes_is_positive(db: Database) -> None:
    assert await db.size_bytes() > 0


async def test_sqlite_size_is_whole_pages(sqlite_db: Database) -> None:
    page_size = await sqlite_db.pragma("page_size")
    assert (await sqlite_db.size_bytes()) % page_size == 0


async def test_close_is_idempotent(database_target: str) -> None:
    db = await Database.open(database_target)
    await db.close()
    await db.close()
