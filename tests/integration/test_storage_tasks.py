"""TaskRepository contract, against a real SQLite file."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from storage import (
    GUILD_LEFT_REASON,
    ApiTokenRepository,
    ApiTokenScope,
    AuditRepository,
    CatchUp,
    ChannelDestination,
    Database,
    DuplicateTaskError,
    Embed,
    GuildSettingsRepository,
    Mentions,
    NewTask,
    NoticeLevel,
    NoticeRepository,
    Payload,
    Rotation,
    RunRepository,
    RunTrigger,
    Task,
    TaskKind,
    TaskNotFoundError,
    TaskRepository,
    TaskSource,
    TaskStatus,
    Variant,
    WebhookDestination,
    to_ms,
)
from storage.sqlite import SqliteDatabase

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GUILD = 111
OTHER = 222


@pytest.fixture
def tasks(db: Database) -> TaskRepository:
    return TaskRepository(db)


def new_task(name: str = "daily", **overrides: Any) -> NewTask:
    fields: dict[str, Any] = {
        "name": name,
        "kind": TaskKind.CRON,
        "spec": "0 9 * * *",
        "created_at": T0,
        "guild_id": GUILD,
        "created_by": 42,
        "next_run_at": T0 + timedelta(hours=1),
    }
    fields.update(overrides)
    return NewTask(**fields)


async def insert_raw(db: Database, rows: Iterable[tuple[int | None, str, str, int | None]]) -> int:
    """Bulk-insert (guild_id, name, status, next_run_at_ms) rows with executemany."""
    query = """
        INSERT INTO tasks (guild_id, source, name, kind, spec, status, next_run_at,
                           created_at, updated_at)
        VALUES (?, 'admin', ?, 'cron', '* * * * *', ?, ?, 0, 0)
    """
    return await db.execute_many(query, rows)


async def traced_plan(
    db: Database, call: Callable[[], Awaitable[object]], table: str
) -> str | None:
    """Run ``call``, capture the SELECT it sent about ``table`` and return SQLite's query plan.

    None on PostgreSQL: its planner chooses by table statistics (a sequential scan of a small
    table is the right plan there), so plans are only pinned down on SQLite.
    """
    if db.dialect.is_postgres:
        return None
    assert isinstance(db, SqliteDatabase)
    statements: list[str] = []
    await db.set_trace(statements.append)
    try:
        await call()
    finally:
        await db.set_trace(None)
    select = next(s for s in statements if s.lstrip().startswith("SELECT") and table in s)
    rows = await db.fetch_all("EXPLAIN QUERY PLAN " + select)
    return "\n".join(str(row[-1]) for row in rows)


# ------------------------------------------------------------------- create / read


@pytest.mark.parametrize(
    "new",
    [
        pytest.param(new_task(), id="admin-cron-minimal"),
        pytest.param(
            new_task(
                "standup",
                kind=TaskKind.INTERVAL,
                spec="1d",
                timezone="Europe/Berlin",
                start_at=T0 + timedelta(days=1),
                end_at=T0 + timedelta(days=30),
                max_runs=10,
                payload=Payload(
                    variants=(Variant(content="héllo ☕", embed=Embed(title="t")),),
                    rotation=Rotation.RANDOM,
                    mentions=Mentions(roles=(5,)),
                ),
                destinations=(
                    ChannelDestination(channel_id=2**62 + 1),
                    WebhookDestination(channel_id=3, name="Bot", avatar_url=None),
                ),
                catch_up=CatchUp.ALL,
            ),
            id="admin-interval-everything",
        ),
        pytest.param(
            new_task(
                "nightly_cleanup",
                source=TaskSource.CODE,
                job_id="nightly_cleanup",
                guild_id=None,
                created_by=None,
                catch_up=CatchUp.SKIP,
            ),
            id="code-task",
        ),
        pytest.param(
            new_task(
                "later",
                kind=TaskKind.DATE,
                spec="2026-12-24T18:00:00+00:00",
                status=TaskStatus.PAUSED,
                paused_reason="admin",
            ),
            id="paused-date",
        ),
    ],
)
async def test_create_round_trips_every_field(tasks: TaskRepository, new: NewTask) -> None:
    created = await tasks.create(new)
    assert created.id > 0
    expected = Task(
        id=created.id,
        guild_id=new.guild_id,
        source=new.source,
        job_id=new.job_id,
        name=new.name,
        kind=new.kind,
        spec=new.spec,
        timezone=new.timezone,
        start_at=new.start_at,
        end_at=new.end_at,
        max_runs=new.max_runs,
        payload=new.payload,
        destinations=new.destinations,
        rotation_index=0,
        status=new.status,
        paused_reason=new.paused_reason,
        catch_up=new.catch_up,
        skip_next=0,
        next_run_at=new.next_run_at,
        last_run_at=None,
        run_count=0,
        failure_count=0,
        consecutive_failures=0,
        created_by=new.created_by,
        created_at=T0,
        updated_by=new.created_by,
        updated_at=T0,
    )
    assert created == expected
    assert await tasks.get(created.id) == expected
    assert created.created_at.tzinfo is UTC


async def test_lookups(tasks: TaskRepository) -> None:
    mine = await tasks.create(new_task("Daily"))
    code = await tasks.create(
        new_task("job", source=TaskSource.CODE, job_id="job.1", guild_id=None)
    )
    assert await tasks.get_for_guild(GUILD, mine.id) == mine
    assert await tasks.get_for_guild(OTHER, mine.id) is None  # never another guild's
    assert await tasks.get_by_name(GUILD, "dAILY") == mine
    assert await tasks.get_by_name(OTHER, "Daily") is None
    assert await tasks.get_by_job_id("job.1") == code
    assert await tasks.get_by_job_id("job.2") is None
    assert await tasks.get(10_000) is None
    assert await tasks.list_code_tasks() == [code]


async def test_get_many_keeps_the_given_order(tasks: TaskRepository) -> None:
    a, b, c = [await tasks.create(new_task(name)) for name in ("a", "b", "c")]
    found = await tasks.get_many([c.id, 999, a.id, c.id, b.id])
    assert [t.id for t in found] == [c.id, a.id, b.id]
    assert await tasks.get_many([]) == []


@pytest.mark.parametrize(
    ("first", "second", "field"),
    [
        pytest.param(new_task("daily"), new_task("daily"), "name", id="same-name"),
        pytest.param(new_task("Daily"), new_task("dAILY"), "name", id="name-any-case"),
        pytest.param(
            new_task("a", source=TaskSource.CODE, job_id="j", guild_id=None),
            new_task("b", source=TaskSource.CODE, job_id="j", guild_id=None),
            "job_id",
            id="same-job-id",
        ),
    ],
)
async def test_duplicates_raise_our_error_and_write_nothing(
    db: Database, tasks: TaskRepository, first: NewTask, second: NewTask, field: str
) -> None:
    await tasks.create(first)
    with pytest.raises(DuplicateTaskError) as caught:
        await tasks.create(second)
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)
    assert repr(second.job_id if field == "job_id" else second.name) in str(caught.value)
    assert await db.fetch_value("SELECT count(*) FROM tasks") == 1


async def test_same_name_in_another_guild_is_fine(tasks: TaskRepository) -> None:
    await tasks.create(new_task("daily"))
    other = await tasks.create(new_task("daily", guild_id=OTHER))
    assert other.guild_id == OTHER


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"created_at": datetime(2026, 3, 1, 12)}, id="naive-created-at"),
        pytest.param({"next_run_at": datetime(2026, 3, 1, 13)}, id="naive-next-run"),
        pytest.param({"end_at": datetime(2026, 4, 1)}, id="naive-end"),
        pytest.param({"kind": "weekly"}, id="unknown-kind"),
    ],
)
async def test_invalid_values_are_refused_before_writing(
    db: Database, tasks: TaskRepository, overrides: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):
        await tasks.create(new_task(**overrides))
    assert await db.fetch_value("SELECT count(*) FROM tasks") == 0


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"source": TaskSource.CODE, "guild_id": None}, id="code-without-job-id"),
        pytest.param({"job_id": "x"}, id="admin-with-job-id"),
        pytest.param({"guild_id": None}, id="admin-without-guild"),
        pytest.param({"max_runs": 0}, id="max-runs-zero"),
        pytest.param({"name": ""}, id="empty-name"),
    ],
)
def test_new_task_validates_itself(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        new_task(**overrides)


# ------------------------------------------------------------------ list / search


async def test_list_for_guild_filters_orders_and_pages(tasks: TaskRepository) -> None:
    for name, channel, status in [
        ("beta", 1, TaskStatus.ACTIVE),
        ("Alpha", 2, TaskStatus.PAUSED),
        ("gamma", 1, TaskStatus.ACTIVE),
        ("delta", 3, TaskStatus.FAILED),
    ]:
        await tasks.create(
            new_task(name, status=status, destinations=(ChannelDestination(channel_id=channel),))
        )
    await tasks.create(new_task("other", guild_id=OTHER))

    def names(found: list[Task]) -> list[str]:
        return [t.name for t in found]

    assert names(await tasks.list_for_guild(GUILD)) == ["Alpha", "beta", "delta", "gamma"]
    assert names(await tasks.list_for_guild(GUILD, status=TaskStatus.ACTIVE)) == ["beta", "gamma"]
    assert names(await tasks.list_for_guild(GUILD, channel_id=1)) == ["beta", "gamma"]
    assert names(await tasks.list_for_guild(GUILD, limit=2, offset=1)) == ["beta", "delta"]
    assert await tasks.count_for_guild(GUILD) == 4
    assert await tasks.count_for_guild(GUILD, TaskStatus.ACTIVE) == 2
    assert await tasks.counts_by_status(GUILD) == {
        "active": 2,
        "paused": 1,
        "completed": 0,
        "failed": 1,
    }
    assert await tasks.counts_by_status() == {"active": 3, "paused": 1, "completed": 0, "failed": 1}


SEARCH_NAMES = ["alpha", "Alphabet", "ALP_X", "beta-alpha", "gamma", "a%b", "zeta alp"]


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        pytest.param(
            "alp",
            25,
            ["ALP_X", "alpha", "Alphabet", "beta-alpha", "zeta alp"],
            id="prefix-before-substring",
        ),
        pytest.param("ALPHA", 25, ["alpha", "Alphabet", "beta-alpha"], id="case-insensitive"),
        pytest.param("alp", 2, ["ALP_X", "alpha"], id="limit-within-prefixes"),
        pytest.param(
            "alp", 4, ["ALP_X", "alpha", "Alphabet", "beta-alpha"], id="limit-into-substrings"
        ),
        pytest.param("p_", 25, ["ALP_X"], id="underscore-is-literal"),
        pytest.param("%", 25, ["a%b"], id="percent-is-literal"),
        pytest.param("", 3, ["a%b", "ALP_X", "alpha"], id="empty-lists-by-name"),
        pytest.param("  gam ", 25, ["gamma"], id="trimmed"),
        pytest.param("nothing", 25, [], id="no-match"),
    ],
)
async def test_search_names(
    tasks: TaskRepository, text: str, limit: int, expected: list[str]
) -> None:
    for name in SEARCH_NAMES:
        await tasks.create(new_task(name))
    await tasks.create(new_task("alpine", guild_id=OTHER))
    assert await tasks.search_names(GUILD, text, limit) == expected


async def test_search_names_uses_the_name_index_at_100k(
    db: Database, tasks: TaskRepository
) -> None:
    await insert_raw(db, ((GUILD, f"task-{i:06d}", "active", None) for i in range(100_000)))
    started = time.perf_counter()
    found = await tasks.search_names(GUILD, "TASK-0999")
    substring = await tasks.search_names(GUILD, "99999")
    print(f"\nsearch_names over 100k tasks: {(time.perf_counter() - started) * 1000:.1f} ms")
    assert found == [f"task-0999{i:02d}" for i in range(25)]
    assert substring == ["task-099999"]
    plan = await traced_plan(db, lambda: tasks.search_names(GUILD, "task-01"), "tasks")
    assert plan is None or "tasks_guild_name" in plan


# ------------------------------------------------------------------ update / delete


async def test_update_changes_known_columns_and_stamps(tasks: TaskRepository) -> None:
    task = await tasks.create(new_task())
    later = T0 + timedelta(minutes=5)
    updated = await tasks.update(
        task.id,
        at=later,
        updated_by=77,
        name="renamed",
        spec="30 8 * * 1-5",
        timezone="America/New_York",
        status=TaskStatus.PAUSED,
        paused_reason="admin",
        payload=Payload(variants=(Variant(content="new"),)),
        end_at=None,
        max_runs=3,
        next_run_at=T0 + timedelta(days=2),
    )
    assert updated == replace(
        task,
        name="renamed",
        spec="30 8 * * 1-5",
        timezone="America/New_York",
        status=TaskStatus.PAUSED,
        paused_reason="admin",
        payload=Payload(variants=(Variant(content="new"),)),
        max_runs=3,
        next_run_at=T0 + timedelta(days=2),
        updated_at=later,
        updated_by=77,
        version=task.version + 1,
    )
    assert await tasks.get(task.id) == updated


async def test_update_many_applies_each_change_set_and_skips_the_gone(
    tasks: TaskRepository,
) -> None:
    a = await tasks.create(new_task("a"))
    b = await tasks.create(new_task("b"))
    c = await tasks.create(new_task("c"))
    later = T0 + timedelta(minutes=5)
    changed = await tasks.update_many(
        [
            (a.id, {"next_run_at": T0 + timedelta(days=1)}),
            (b.id, {"next_run_at": None, "status": TaskStatus.COMPLETED}),
            (c.id, {"next_run_at": T0 + timedelta(days=2)}),  # same columns as a: one statement
            (999_999, {"next_run_at": None}),
        ],
        at=later,
    )
    assert changed == 3
    assert await tasks.get(a.id) == replace(
        a, next_run_at=T0 + timedelta(days=1), updated_at=later, updated_by=None
    )
    assert await tasks.get(b.id) == replace(
        b,
        next_run_at=None,
        status=TaskStatus.COMPLETED,
        updated_at=later,
        updated_by=None,
        version=b.version + 1,  # a new status is a new version; a next instant is not
    )
    assert (await tasks.get(c.id)).next_run_at == T0 + timedelta(days=2)  # type: ignore[union-attr]


async def test_update_many_refuses_bad_changes_and_renames_writing_nothing(
    tasks: TaskRepository,
) -> None:
    a = await tasks.create(new_task("a"))
    with pytest.raises(TypeError):
        await tasks.update_many([(a.id, {"name": "renamed"})], at=T0)
    with pytest.raises(ValueError):
        await tasks.update_many([(a.id, {"run_count": 1}), (a.id, {"status": "sleeping"})], at=T0)
    assert await tasks.get(a.id) == a


async def test_record_ok_runs_counts_and_completes_what_is_over(tasks: TaskRepository) -> None:
    later = T0 + timedelta(minutes=5)
    ongoing = await tasks.create(new_task("ongoing"))
    await tasks.update(ongoing.id, at=T0, consecutive_failures=2, rotation_index=4)
    once = await tasks.create(new_task("once", next_run_at=None))
    capped = await tasks.create(new_task("capped", max_runs=3))
    await tasks.update(capped.id, at=T0, run_count=2)
    paused = await tasks.create(new_task("paused", status=TaskStatus.PAUSED, next_run_at=None))
    ran_at = T0 + timedelta(hours=1)
    changed = await tasks.record_ok_runs(
        [(t.id, ran_at) for t in (ongoing, once, capped, paused)] + [(999_999, ran_at)],
        at=later,
    )
    assert changed == 4
    got = {t.name: t for t in await tasks.get_many([ongoing.id, once.id, capped.id, paused.id])}
    a = got["ongoing"]
    assert (a.run_count, a.rotation_index, a.consecutive_failures) == (1, 5, 0)
    assert (a.status, a.next_run_at, a.last_run_at) == (
        TaskStatus.ACTIVE,
        T0 + timedelta(hours=1),
        ran_at,
    )
    assert (a.updated_at, a.updated_by) == (later, None)
    assert (got["once"].status, got["once"].next_run_at) == (TaskStatus.COMPLETED, None)
    assert (got["capped"].status, got["capped"].run_count) == (TaskStatus.COMPLETED, 3)
    assert got["capped"].next_run_at is None
    assert (got["paused"].status, got["paused"].run_count) == (TaskStatus.PAUSED, 1)


async def test_guilds_of(tasks: TaskRepository) -> None:
    a = await tasks.create(new_task("a"))
    b = await tasks.create(new_task("b", guild_id=OTHER))
    assert await tasks.guilds_of([b.id, a.id, 999_999]) == {a.id: GUILD, b.id: OTHER}


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        pytest.param({"colour": "red"}, TypeError, id="unknown-column"),
        pytest.param({"guild_id": OTHER}, TypeError, id="guild-is-immutable"),
        pytest.param({"job_id": "x"}, TypeError, id="job-id-is-immutable"),
        pytest.param({"status": "sleeping"}, ValueError, id="bad-status"),
        pytest.param({"next_run_at": datetime(2026, 3, 2)}, ValueError, id="naive-datetime"),
    ],
)
async def test_update_refuses_bad_changes(
    tasks: TaskRepository, changes: dict[str, Any], error: type[Exception]
) -> None:
    task = await tasks.create(new_task())
    with pytest.raises(error):
        await tasks.update(task.id, at=T0, **changes)
    assert await tasks.get(task.id) == task


async def test_update_rename_onto_another_name_writes_nothing(tasks: TaskRepository) -> None:
    await tasks.create(new_task("first"))
    second = await tasks.create(new_task("second"))
    with pytest.raises(DuplicateTaskError, match="FIRST"):
        await tasks.update(second.id, at=T0, name="FIRST")
    assert await tasks.get(second.id) == second


async def test_update_and_advance_of_a_missing_task(tasks: TaskRepository) -> None:
    with pytest.raises(TaskNotFoundError, match="Task 5 does not exist"):
        await tasks.update(5, at=T0, name="x")
    with pytest.raises(KeyError):
        await tasks.advance(5, next_run_at=None)


async def test_delete(tasks: TaskRepository) -> None:
    task = await tasks.create(new_task())
    assert await tasks.delete(task.id) is True
    assert await tasks.get(task.id) is None
    assert await tasks.delete(task.id) is False


# --------------------------------------------------------------------- engine


async def test_advance_after_runs(tasks: TaskRepository) -> None:
    task = await tasks.create(new_task(max_runs=3))
    t1, t2 = T0 + timedelta(hours=1), T0 + timedelta(hours=2)

    failed = await tasks.advance(
        task.id, next_run_at=t2, last_run_at=t1, run_count_delta=1, failed=True, rotation_index=1
    )
    assert (failed.next_run_at, failed.last_run_at, failed.run_count) == (t2, t1, 1)
    assert (failed.failure_count, failed.consecutive_failures, failed.rotation_index) == (1, 1, 1)
    again = await tasks.advance(task.id, next_run_at=t2, failed=True)
    assert (again.failure_count, again.consecutive_failures, again.last_run_at) == (2, 2, t1)
    ok = await tasks.advance(
        task.id,
        next_run_at=None,
        last_run_at=t2,
        run_count_delta=1,
        failed=False,
        status=TaskStatus.COMPLETED,
    )
    assert (ok.failure_count, ok.consecutive_failures, ok.run_count) == (2, 0, 2)
    assert (ok.next_run_at, ok.status) == (None, TaskStatus.COMPLETED)
    assert ok.updated_at == task.updated_at  # progress is not an edit


async def test_advance_consumes_skips_and_pauses_with_a_reason(tasks: TaskRepository) -> None:
    task = await tasks.create(new_task())
    await tasks.update(task.id, at=T0, skip_next=1)
    skipped = await tasks.advance(task.id, next_run_at=T0, skip_next_delta=-1)
    assert skipped.skip_next == 0
    floored = await tasks.advance(task.id, next_run_at=T0, skip_next_delta=-1)
    assert floored.skip_next == 0
    paused = await tasks.advance(
        task.id, next_run_at=T0, status=TaskStatus.FAILED, paused_reason="unknown_channel"
    )
    assert (paused.status, paused.paused_reason) == (TaskStatus.FAILED, "unknown_channel")


async def test_due_before_and_next_due_after(db: Database, tasks: TaskRepository) -> None:
    hours = [3, 1, 2, 5]
    created = [
        await tasks.create(new_task(f"t{h}", next_run_at=T0 + timedelta(hours=h))) for h in hours
    ]
    await tasks.create(new_task("paused", status=TaskStatus.PAUSED, next_run_at=T0))
    await tasks.create(new_task("no-next", next_run_at=None))
    by_hour = dict(zip(hours, created, strict=True))

    due = await tasks.due_before(T0 + timedelta(hours=3), limit=10)
    assert [t.id for t in due] == [by_hour[1].id, by_hour[2].id, by_hour[3].id]
    assert [t.id for t in await tasks.due_before(T0 + timedelta(hours=3), limit=1)] == [
        by_hour[1].id
    ]
    after = await tasks.next_due_after(T0 + timedelta(hours=2), 10)
    assert [t.id for t in after] == [by_hour[3].id, by_hour[5].id]

    plan = await traced_plan(db, lambda: tasks.due_before(T0, limit=5), "tasks")
    if plan is not None:
        assert "tasks_status_next_run" in plan
        assert "SCAN tasks" not in plan and "TEMP B-TREE" not in plan


async def test_load_schedule_index_at_200k(db: Database, tasks: TaskRepository) -> None:
    rnd = random.Random(20260301)
    rows: list[tuple[int | None, str, str, int | None]] = []
    for i in range(200_000):
        status = "paused" if i % 10 == 0 else "active"
        next_run = None if i % 97 == 0 else to_ms(T0) + rnd.randrange(0, 86_400_000 * 30)
        if i % 1000 == 1:
            next_run = to_ms(T0)  # ties are ordered by id
        rows.append((i // 200 + 1, f"task-{i}", status, next_run))
    await insert_raw(db, rows)
    expected = sorted(
        (next_run, task_id)
        for task_id, (_, _, status, next_run) in enumerate(rows, start=1)
        if status == "active" and next_run is not None
    )

    started = time.perf_counter()
    index = await tasks.load_schedule_index()
    elapsed = time.perf_counter() - started
    print(
        f"\nload_schedule_index: {len(index.task_ids)} active of 200k rows in "
        f"{elapsed * 1000:.0f} ms"
    )

    times, ids = index
    assert index.next_run_at_ms.typecode == index.task_ids.typecode == "q"
    assert list(zip(times, ids, strict=True)) == expected
    plan = await traced_plan(db, tasks.load_schedule_index, "tasks")
    if plan is not None:
        assert "COVERING INDEX tasks_status_next_run" in plan and "TEMP B-TREE" not in plan


async def test_load_schedule_index_of_an_empty_database(tasks: TaskRepository) -> None:
    index = await tasks.load_schedule_index()
    assert (len(index.next_run_at_ms), len(index.task_ids)) == (0, 0)


# ---------------------------------------------------------------- guild leave


async def test_guild_leave_and_return(tasks: TaskRepository) -> None:
    active = await tasks.create(new_task("active"))
    by_admin = await tasks.create(
        new_task("by-admin", status=TaskStatus.PAUSED, paused_reason="admin")
    )
    elsewhere = await tasks.create(new_task("elsewhere", guild_id=OTHER))
    left = T0 + timedelta(days=1)

    assert await tasks.pause_guild(GUILD, GUILD_LEFT_REASON, left) == [active.id]
    paused = await tasks.get(active.id)
    assert paused is not None
    assert (paused.status, paused.paused_reason, paused.updated_at) == (
        TaskStatus.PAUSED,
        GUILD_LEFT_REASON,
        left,
    )
    assert (await tasks.load_schedule_index()).task_ids.tolist() == [elsewhere.id]

    assert await tasks.resume_guild_left(GUILD, left + timedelta(days=2)) == [active.id]
    resumed = await tasks.get(active.id)
    assert resumed is not None
    assert (resumed.status, resumed.paused_reason) == (TaskStatus.ACTIVE, None)
    assert resumed.next_run_at == active.next_run_at  # catch-up is the engine's call
    still = await tasks.get(by_admin.id)
    assert still is not None and still.status == TaskStatus.PAUSED  # the admin's pause stays
    assert await tasks.resume_guild_left(GUILD, left) == []


async def test_delete_guild_data_removes_only_that_guild(
    db: Database, tasks: TaskRepository
) -> None:
    runs, audit = RunRepository(db), AuditRepository(db)
    guilds, notices = GuildSettingsRepository(db), NoticeRepository(db)
    for guild in (GUILD, OTHER):
        task = await tasks.create(new_task("t", guild_id=guild))
        await runs.start(task.id, T0, RunTrigger.SCHEDULE, T0)
        await audit.add(guild, task.id, 1, "created", {}, at=T0)
        await notices.add(guild, NoticeLevel.INFO, "k", "title", "body", at=T0)
        await guilds.update(guild, T0, timezone="Europe/Paris")
        await ApiTokenRepository(db).create(guild, "ci", ApiTokenScope.READ, f"{guild:064x}", 1, T0)

    assert await tasks.delete_guild_data(GUILD) == 1

    query = """
        SELECT (SELECT count(*) FROM tasks WHERE guild_id = ?1),
               (SELECT count(*) FROM runs),
               (SELECT count(*) FROM audit WHERE guild_id = ?1),
               (SELECT count(*) FROM notices WHERE guild_id = ?1),
               (SELECT count(*) FROM guild_settings WHERE guild_id = ?1),
               (SELECT count(*) FROM api_tokens WHERE guild_id = ?1)
    """
    assert tuple(await db.fetch_one(query, (GUILD,)) or ()) == (0, 1, 0, 0, 0, 0)
    assert tuple(await db.fetch_one(query, (OTHER,)) or ()) == (1, 1, 1, 1, 1, 1)


async def test_channel_filter_accepts_snowflakes_stored_as_strings(
    db: Database, tasks: TaskRepository
) -> None:
    big = 2**62 + 123
    as_text = await tasks.create(new_task("as-text"))
    await tasks.create(new_task("as-int", destinations=(ChannelDestination(channel_id=big),)))
    await tasks.create(new_task("webhook", destinations=(WebhookDestination(channel_id=7),)))
    # An older version stored some snowflakes as strings.
    old_row = json.dumps([{"channel_id": str(big)}])
    await db.execute("UPDATE tasks SET destinations = ? WHERE id = ?", (old_row, as_text.id))
    found = await tasks.list_for_guild(GUILD, channel_id=big)
    assert [t.name for t in found] == ["as-int", "as-text"]


async def test_index_window(db: Database, tasks: TaskRepository) -> None:
    base = to_ms(T0)
    rows = [(GUILD, f"t{i}", "active", base + ms) for i, ms in enumerate([0, 10, 10, 20, 30])]
    rows.append((GUILD, "paused", "paused", base + 10))
    await insert_raw(db, rows)
    assert await tasks.index_window(base, base + 20, None) == [
        (base + 10, 2),
        (base + 10, 3),
        (base + 20, 4),
    ]
    assert await tasks.index_window(base - 1, base + 30, 2) == [(base, 1), (base + 10, 2)]
    assert await tasks.index_window(base + 30, base + 99, None) == []
    plan = await traced_plan(db, lambda: tasks.index_window(base, base + 20, 5), "tasks")
    if plan is not None:
        assert "COVERING INDEX tasks_status_next_run" in plan and "TEMP B-TREE" not in plan
