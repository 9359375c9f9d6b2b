"""LeaseRepository and claimed starts, on both backends: who holds a run, extension,
takeover, fenced finishing, and the one-start-per-instant guard."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from storage import (
    Claim,
    Database,
    LeaseRepository,
    NewTask,
    Run,
    RunRepository,
    RunStatus,
    RunTrigger,
    Task,
    TaskKind,
    TaskRepository,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


@pytest.fixture
async def task(db: Database) -> Task:
    new = NewTask(name="hourly", kind=TaskKind.CRON, spec="0 * * * *", created_at=T0, guild_id=1)
    return await TaskRepository(db).create(new)


async def _started(db: Database, task: Task, count: int = 3) -> list[Run]:
    starts = [(task.id, T0 + timedelta(hours=n), RunTrigger.SCHEDULE) for n in range(count)]
    return await RunRepository(db).start_many(starts, T0, Claim("A", T0 + LEASE))


async def test_runs_start_held_by_their_claim(db: Database, task: Task) -> None:
    runs = await _started(db, task)
    assert {(r.claimed_by, r.lease_until, r.fence) for r in runs} == {("A", T0 + LEASE, 1)}
    manual = await RunRepository(db).start(
        task.id, T0, RunTrigger.MANUAL, T0, Claim("A", T0 + LEASE)
    )
    assert (manual.claimed_by, manual.fence) == ("A", 1)


async def test_one_instant_is_started_once_whatever_its_trigger(db: Database, task: Task) -> None:
    runs = RunRepository(db)
    [first] = await runs.start_many([(task.id, T0, RunTrigger.SCHEDULE)], T0)
    again = await runs.start_many([(task.id, T0, RunTrigger.CATCH_UP)], T0)
    assert again == []  # the unique (task_id, scheduled_for) guard, non-manual runs
    assert [r.id for r in await runs.running()] == [first.id]


async def test_extend_keeps_only_what_is_still_held(db: Database, task: Task) -> None:
    leases = LeaseRepository(db)
    a, b, c = await _started(db, task)
    later = T0 + 2 * LEASE
    held = await leases.extend("A", [(a.id, 1), (b.id, 7), (c.id, 1)], later)
    assert held == {a.id, c.id}  # b's fence is not 1 any more in that pair: not held
    assert await leases.extend("B", [(a.id, 1)], later) == set()  # not B's
    stored = await RunRepository(db).get(a.id)
    assert stored is not None and stored.lease_until == later


async def test_take_moves_lapsed_runs_and_fences_the_old_holder(db: Database, task: Task) -> None:
    leases = LeaseRepository(db)
    a, b, c = await _started(db, task)
    await leases.extend("A", [(b.id, 1)], T0 + 3 * LEASE)  # b is kept alive, a and c lapse
    now = T0 + 2 * LEASE
    assert await leases.take("B", now + LEASE, lapsed_before=T0) == []  # none lapsed yet
    taken = await leases.take("B", now + LEASE, lapsed_before=now)
    assert [r.id for r in taken] == [a.id, c.id]
    assert {(r.claimed_by, r.fence) for r in taken} == {("B", 2)}
    assert not await leases.hold(a, "A", now + LEASE)  # A's check before a send fails
    assert await leases.hold(taken[0], "B", now + LEASE)
    done = replace(a, status=RunStatus.OK, finished_at=now, attempts=1, late_by_ms=0)
    assert await leases.finish_held("A", [done]) == set()  # A's late write is fenced
    assert await leases.finish_held("B", [replace(done, fence=2)]) == {a.id}
    stored = await RunRepository(db).get(a.id)
    assert stored is not None and (stored.status, stored.claimed_by) == (RunStatus.OK, "B")
    assert await leases.finish_held("B", [replace(done, fence=2)]) == set()  # once only


async def test_a_restart_takes_back_its_own_runs_at_once(db: Database, task: Task) -> None:
    leases = LeaseRepository(db)
    await _started(db, task)
    assert await leases.take("A", T0 + LEASE, lapsed_before=T0) == []
    taken = await leases.take("A", T0 + LEASE, lapsed_before=T0, previous_life=True)
    assert len(taken) == 3 and {r.fence for r in taken} == {2}


async def test_take_everything_for_a_lone_process(db: Database, task: Task) -> None:
    await _started(db, task)
    taken = await LeaseRepository(db).take("Z", T0 + LEASE, lapsed_before=None)
    assert len(taken) == 3 and {r.claimed_by for r in taken} == {"Z"}
