"""RunRepository contract, against a real SQLite file."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from storage import (
    Database,
    NewTask,
    Run,
    RunExistsError,
    RunNotFoundError,
    RunRepository,
    RunStats,
    RunStatus,
    RunTrigger,
    Task,
    TaskKind,
    TaskNotFoundError,
    TaskRepository,
)
from storage.runs import nearest_rank

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
GUILD = 111
OTHER = 222


@pytest.fixture
def runs(db: Database) -> RunRepository:
    return RunRepository(db)


@pytest.fixture
async def task(db: Database) -> Task:
    return await make_task(db, "hourly", GUILD)


async def make_task(db: Database, name: str, guild_id: int) -> Task:
    new = NewTask(name=name, kind=TaskKind.CRON, spec="0 * * * *", created_at=T0, guild_id=guild_id)
    return await TaskRepository(db).create(new)


async def finished(
    runs: RunRepository, task: Task, at: datetime, status: RunStatus, error: str | None = None
) -> Run:
    run = await runs.start(task.id, at, RunTrigger.SCHEDULE, at)
    return await runs.finish(
        run.id,
        status,
        finished_at=at + timedelta(seconds=1),
        late_by_ms=12,
        attempts=1,
        error=error,
    )


async def test_start_then_finish(runs: RunRepository, task: Task) -> None:
    started = await runs.start(task.id, T0, RunTrigger.SCHEDULE, T0 + timedelta(milliseconds=7))
    assert started == Run(
        id=started.id,
        task_id=task.id,
        scheduled_for=T0,
        trigger=RunTrigger.SCHEDULE,
        status=RunStatus.RUNNING,
        started_at=T0 + timedelta(milliseconds=7),
        finished_at=None,
        late_by_ms=None,
        attempts=0,
        error=None,
        message_ids=[],
    )
    done = await runs.finish(
        started.id,
        RunStatus.OK,
        finished_at=T0 + timedelta(seconds=1),
        late_by_ms=7,
        attempts=2,
        message_ids=[2**62 + 5, 3],
    )
    assert done.status == RunStatus.OK
    assert (done.late_by_ms, done.attempts, done.message_ids) == (7, 2, [2**62 + 5, 3])
    assert await runs.get(started.id) == done


async def test_starting_the_same_run_twice_raises_with_the_existing_row(
    db: Database, runs: RunRepository, task: Task
) -> None:
    first = await runs.start(task.id, T0, RunTrigger.SCHEDULE, T0)
    with pytest.raises(RunExistsError) as caught:
        await runs.start(task.id, T0, RunTrigger.SCHEDULE, T0 + HOUR)
    assert caught.value.existing == first
    assert await db.fetch_value("SELECT count(*) FROM runs") == 1
    # The same instant under another trigger is another run.
    manual = await runs.start(task.id, T0, RunTrigger.MANUAL, T0)
    assert manual.id != first.id


async def test_start_for_a_missing_task(runs: RunRepository) -> None:
    with pytest.raises(TaskNotFoundError):
        await runs.start(404, T0, RunTrigger.SCHEDULE, T0)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        pytest.param("finish-running", ValueError, id="cannot-finish-as-running"),
        pytest.param("finish-missing", RunNotFoundError, id="finish-missing-run"),
        pytest.param("unknown-missing", RunNotFoundError, id="mark-unknown-missing-run"),
        pytest.param("naive", ValueError, id="naive-scheduled-for"),
    ],
)
async def test_run_errors(
    runs: RunRepository, task: Task, call: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        if call == "finish-running":
            run = await runs.start(task.id, T0, RunTrigger.SCHEDULE, T0)
            await runs.finish(run.id, RunStatus.RUNNING, finished_at=T0, late_by_ms=0, attempts=1)
        elif call == "finish-missing":
            await runs.finish(999, RunStatus.OK, finished_at=T0, late_by_ms=0, attempts=1)
        elif call == "unknown-missing":
            await runs.mark_unknown(999, "stale", T0)
        else:
            await runs.start(task.id, datetime(2026, 3, 1, 12), RunTrigger.SCHEDULE, T0)


async def test_record_many_ignores_instants_already_recorded(
    runs: RunRepository, task: Task
) -> None:
    instants = [T0 + i * HOUR for i in range(4)]
    assert (
        await runs.record_many(task.id, instants[:2], RunStatus.MISSED, RunTrigger.CATCH_UP, T0)
        == 2
    )
    assert await runs.record_many(task.id, instants, RunStatus.MISSED, RunTrigger.CATCH_UP, T0) == 2
    assert await runs.record_many(task.id, [], RunStatus.SKIPPED, RunTrigger.SCHEDULE, T0) == 0
    stored = await runs.list_for_task(task.id, 10)
    assert [r.scheduled_for for r in stored] == instants[::-1]
    assert {(r.status, r.trigger, r.finished_at) for r in stored} == {
        (RunStatus.MISSED, RunTrigger.CATCH_UP, T0)
    }
    with pytest.raises(ValueError):
        await runs.record_many(task.id, instants, RunStatus.OK, RunTrigger.SCHEDULE, T0)


async def test_running_rows_and_mark_unknown(db: Database, runs: RunRepository, task: Task) -> None:
    other = await make_task(db, "other", OTHER)
    a = await runs.start(task.id, T0, RunTrigger.SCHEDULE, T0)
    b = await runs.start(other.id, T0, RunTrigger.MANUAL, T0)
    await finished(runs, task, T0 + HOUR, RunStatus.OK)
    assert [r.id for r in await runs.running()] == [a.id, b.id]

    unknown = await runs.mark_unknown(a.id, "left running by a crash", T0 + 5 * HOUR)
    assert (unknown.status, unknown.error, unknown.finished_at) == (
        RunStatus.UNKNOWN,
        "left running by a crash",
        T0 + 5 * HOUR,
    )
    assert [r.id for r in await runs.running()] == [b.id]


async def test_stats_and_history(runs: RunRepository, task: Task) -> None:
    assert await runs.stats(task.id) == RunStats(0, 0, 0, 0, 0, 0, None, None)
    await finished(runs, task, T0, RunStatus.OK)
    await finished(runs, task, T0 + HOUR, RunStatus.FAILED, "403 Missing Access")
    await finished(runs, task, T0 + 2 * HOUR, RunStatus.OK)
    await finished(runs, task, T0 + 3 * HOUR, RunStatus.FAILED, "503 then timeout")
    await runs.record_many(task.id, [T0 + 4 * HOUR], RunStatus.MISSED, RunTrigger.CATCH_UP, T0)

    stats = await runs.stats(task.id)
    assert stats == RunStats(
        total=5,
        ok=2,
        failed=2,
        missed=1,
        skipped=0,
        unknown=0,
        last_error="503 then timeout",
        last_ok_at=T0 + 2 * HOUR + timedelta(seconds=1),
        lateness_p50_ms=12,
        lateness_p99_ms=12,
        lateness_max_ms=12,
    )
    assert stats.success_rate == 0.5
    history = await runs.list_for_task(task.id, 2)
    assert [r.scheduled_for for r in history] == [T0 + 4 * HOUR, T0 + 3 * HOUR]


async def test_recent_counts_per_guild_and_bot_wide(
    db: Database, runs: RunRepository, task: Task
) -> None:
    other = await make_task(db, "other", OTHER)
    since = T0
    await finished(runs, task, T0 - HOUR, RunStatus.OK)  # before the window
    await finished(runs, task, T0, RunStatus.OK)
    await finished(runs, task, T0 + HOUR, RunStatus.FAILED, "boom")
    await finished(runs, other, T0 + HOUR, RunStatus.OK)
    await runs.start(other.id, T0 + 2 * HOUR, RunTrigger.SCHEDULE, T0)

    zero = dict.fromkeys(("running", "ok", "failed", "skipped", "missed", "unknown"), 0)
    assert await runs.recent_counts(since, guild_id=GUILD) == {**zero, "ok": 1, "failed": 1}
    assert await runs.recent_counts(since, guild_id=OTHER) == {**zero, "ok": 1, "running": 1}
    assert await runs.recent_counts(since) == {**zero, "ok": 2, "failed": 1, "running": 1}


@pytest.mark.parametrize(
    ("total", "keep", "kept"),
    [
        pytest.param(10, 3, 3, id="keeps-newest-3"),
        pytest.param(3, 5, 3, id="fewer-than-keep"),
        pytest.param(4, 0, 0, id="keep-none"),
    ],
)
async def test_prune_keeps_the_newest(
    db: Database, runs: RunRepository, task: Task, total: int, keep: int, kept: int
) -> None:
    other = await make_task(db, "other", OTHER)
    for i in range(total):
        await finished(runs, task, T0 + i * HOUR, RunStatus.OK)
        await finished(runs, other, T0 + i * HOUR, RunStatus.OK)
    assert await runs.prune(task.id, keep) == total - kept
    remaining = await runs.list_for_task(task.id, 100)
    assert [r.scheduled_for for r in remaining] == [
        T0 + i * HOUR for i in reversed(range(total - kept, total))
    ]
    assert len(await runs.list_for_task(other.id, 100)) == total  # other tasks untouched


async def test_prune_never_deletes_a_running_row(runs: RunRepository, task: Task) -> None:
    stuck = await runs.start(task.id, T0, RunTrigger.SCHEDULE, T0)
    for i in range(1, 5):
        await finished(runs, task, T0 + i * HOUR, RunStatus.OK)
    assert await runs.prune(task.id, 2) == 2
    remaining = {r.id for r in await runs.list_for_task(task.id, 100)}
    assert stuck.id in remaining and len(remaining) == 3


async def test_prune_all(db: Database, runs: RunRepository, task: Task) -> None:
    other = await make_task(db, "other", OTHER)
    for i in range(6):
        await finished(runs, task, T0 + i * HOUR, RunStatus.OK)
    for i in range(2):
        await finished(runs, other, T0 + i * HOUR, RunStatus.OK)
    assert await runs.prune_all(3) == 3
    assert len(await runs.list_for_task(task.id, 100)) == 3
    assert len(await runs.list_for_task(other.id, 100)) == 2


async def test_deleting_a_task_cascades_to_its_runs(
    db: Database, runs: RunRepository, task: Task
) -> None:
    other = await make_task(db, "other", OTHER)
    for i in range(3):
        await finished(runs, task, T0 + i * HOUR, RunStatus.OK)
    await finished(runs, other, T0, RunStatus.OK)
    assert await TaskRepository(db).delete(task.id)
    assert await runs.list_for_task(task.id, 10) == []
    assert await db.fetch_value("SELECT count(*) FROM runs") == 1


# --------------------------------------------------------------------- batches (the engine)


async def test_start_many_writes_running_rows_and_leaves_out_what_exists(
    db: Database, runs: RunRepository, task: Task
) -> None:
    other = await make_task(db, "other", OTHER)
    first = await runs.start(task.id, T0, RunTrigger.SCHEDULE, T0)
    at = T0 + timedelta(milliseconds=5)
    started = await runs.start_many(
        [
            (task.id, T0, RunTrigger.SCHEDULE),  # exists: left alone, left out
            (task.id, T0 + HOUR, RunTrigger.CATCH_UP),
            (other.id, T0, RunTrigger.SCHEDULE),
            (999_999, T0, RunTrigger.SCHEDULE),  # no such task: left out, nothing undone
        ],
        at,
    )
    assert [(r.task_id, r.scheduled_for, r.trigger) for r in started] == [
        (task.id, T0 + HOUR, RunTrigger.CATCH_UP),
        (other.id, T0, RunTrigger.SCHEDULE),
    ]
    assert all(r.status == RunStatus.RUNNING and r.started_at == at for r in started)
    assert await runs.get(first.id) == first
    assert {r.id for r in await runs.running()} == {first.id, *(r.id for r in started)}


async def test_start_many_spans_several_statements(db: Database, runs: RunRepository) -> None:
    tasks = [await make_task(db, f"t{n}", GUILD) for n in range(3)]
    wanted = [(t.id, T0 + i * HOUR, RunTrigger.SCHEDULE) for t in tasks for i in range(400)]
    started = await runs.start_many(wanted, T0)  # 1,200 rows: more than one INSERT
    assert len(started) == 1200
    assert len({r.id for r in started}) == 1200


async def test_finish_many_records_each_outcome(runs: RunRepository, task: Task) -> None:
    a = await runs.start(task.id, T0, RunTrigger.SCHEDULE, T0)
    b = await runs.start(task.id, T0 + HOUR, RunTrigger.SCHEDULE, T0 + HOUR)
    done_a = replace(
        a,
        status=RunStatus.OK,
        finished_at=T0 + timedelta(seconds=1),
        late_by_ms=40,
        attempts=1,
        message_ids=[77],
    )
    done_b = replace(
        b,
        status=RunStatus.FAILED,
        finished_at=T0 + HOUR,
        late_by_ms=0,
        attempts=3,
        error="403 Missing Access",
    )
    gone = replace(done_a, id=999_999)
    assert await runs.finish_many([done_a, done_b, gone]) == 2
    assert await runs.get(a.id) == done_a
    assert await runs.get(b.id) == done_b
    with pytest.raises(ValueError, match="running"):
        await runs.finish_many([a])


async def test_prune_many_prunes_only_the_tasks_named(
    db: Database, runs: RunRepository, task: Task
) -> None:
    other = await make_task(db, "other", OTHER)
    third = await make_task(db, "third", GUILD)
    for i in range(5):
        for t in (task, other, third):
            await finished(runs, t, T0 + i * HOUR, RunStatus.OK)
    assert await runs.prune_many([task.id, other.id, task.id], 2) == 6
    assert [r.scheduled_for for r in await runs.list_for_task(task.id, 100)] == [
        T0 + 4 * HOUR,
        T0 + 3 * HOUR,
    ]
    assert len(await runs.list_for_task(other.id, 100)) == 2
    assert len(await runs.list_for_task(third.id, 100)) == 5
    assert await runs.prune_many([], 2) == 0


async def test_lateness_percentiles_leave_out_missed_skipped_and_running(
    runs: RunRepository, task: Task
) -> None:
    for hour, late in enumerate([5, 1, 9, 3, 400]):
        run = await runs.start(task.id, T0 + hour * HOUR, RunTrigger.SCHEDULE, T0)
        await runs.finish(
            run.id, RunStatus.OK, finished_at=T0, late_by_ms=late, attempts=1, error=None
        )
    await runs.record_many(task.id, [T0 - HOUR], RunStatus.MISSED, RunTrigger.CATCH_UP, T0)
    await runs.start(task.id, T0 + 9 * HOUR, RunTrigger.SCHEDULE, T0)
    stats = await runs.stats(task.id)
    # Nearest rank over [1, 3, 5, 9, 400]: the median is observed, p99 is the worst.
    assert (stats.lateness_p50_ms, stats.lateness_p99_ms, stats.lateness_max_ms) == (5, 400, 400)


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [([], 50, None), ([7], 99, 7), ([1, 2], 50, 1), ([1, 2, 3, 4], 50, 2), ([1, 2, 3], 99, 3)],
    ids=["empty", "one", "two-median", "even-median", "p99"],
)
def test_nearest_rank(values: list[int], percent: int, expected: int | None) -> None:
    assert nearest_rank(values, percent) == expected


async def test_pages_by_id_stay_stable_while_runs_are_added(
    db: Database, runs: RunRepository, task: Task
) -> None:
    other = await make_task(db, "other", OTHER)
    made = [await finished(runs, task, T0 + n * HOUR, RunStatus.OK) for n in range(5)]
    await finished(runs, other, T0, RunStatus.OK)
    first = await runs.page_for_task(task.id, limit=2)
    assert [r.id for r in first] == [made[4].id, made[3].id]
    await finished(runs, task, T0 + 10 * HOUR, RunStatus.OK)  # arrives between two pages
    rest = await runs.page_for_task(task.id, before_id=first[-1].id, limit=10)
    assert [r.id for r in rest] == [made[2].id, made[1].id, made[0].id]
