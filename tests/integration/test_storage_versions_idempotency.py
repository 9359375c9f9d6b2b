"""Storage contract, on both backends: a task's version moves with its definition and status
(never with run bookkeeping), a conditional write succeeds for exactly one of two writers
that read the same version, and Idempotency-Key claims are exclusive, scoped and expire."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from storage import (
    Database,
    IdempotencyRepository,
    IdempotentAnswer,
    StaleTaskError,
    TaskNotFoundError,
    TaskRepository,
    TaskStatus,
)
from tests.integration.test_storage_tasks import GUILD, T0, new_task

LATER = T0 + timedelta(minutes=1)


@pytest.fixture
def tasks(db: Database) -> TaskRepository:
    return TaskRepository(db)


@pytest.fixture
def keys(db: Database) -> IdempotencyRepository:
    return IdempotencyRepository(db)


async def test_a_new_task_is_version_1_and_bookkeeping_keeps_it(tasks: TaskRepository) -> None:
    task = await tasks.create(new_task())
    assert task.version == 1
    kept = await tasks.update(
        task.id, at=LATER, next_run_at=LATER, run_count=4, failure_count=1, last_run_at=T0
    )
    assert kept.version == 1
    await tasks.record_ok_runs([(task.id, LATER)], at=LATER)
    await tasks.update_many([(task.id, {"next_run_at": T0 + timedelta(days=1)})], at=LATER)
    await tasks.update_many([(task.id, {"skip_next": 0, "next_run_at": None})], at=LATER)
    assert (await tasks.get(task.id)).version == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "change",
    [
        {"name": "renamed"},
        {"spec": "0 10 * * *"},
        {"status": TaskStatus.PAUSED, "paused_reason": "x"},
        {"skip_next": 2},
        {"timezone": "Europe/Paris"},
    ],
    ids=["name", "spec", "status", "skip", "timezone"],
)
async def test_a_definition_or_status_change_bumps_the_version(
    tasks: TaskRepository, change: dict[str, object]
) -> None:
    task = await tasks.create(new_task())
    assert (await tasks.update(task.id, at=LATER, **change)).version == 2


async def test_the_engine_bumps_the_version_only_when_the_status_changes(
    tasks: TaskRepository,
) -> None:
    a = await tasks.create(new_task("a"))
    b = await tasks.create(new_task("b", max_runs=1))
    await tasks.update_many(
        [(a.id, {"next_run_at": None, "status": TaskStatus.COMPLETED})], at=LATER
    )
    await tasks.update_many([(a.id, {"status": TaskStatus.COMPLETED})], at=LATER)  # no change
    await tasks.record_ok_runs([(b.id, LATER)], at=LATER)  # max_runs reached: completed
    got = {t.name: t for t in await tasks.get_many([a.id, b.id])}
    assert (got["a"].status, got["a"].version) == (TaskStatus.COMPLETED, 2)
    assert (got["b"].status, got["b"].version) == (TaskStatus.COMPLETED, 2)


async def test_leaving_and_returning_to_a_guild_bumps_the_version(tasks: TaskRepository) -> None:
    task = await tasks.create(new_task())
    await tasks.pause_guild(GUILD, "guild_left", LATER)
    await tasks.resume_guild_left(GUILD, LATER)
    assert (await tasks.get(task.id)).version == 3  # type: ignore[union-attr]


async def test_a_conditional_update_needs_the_current_version(tasks: TaskRepository) -> None:
    task = await tasks.create(new_task())
    updated = await tasks.update(task.id, at=LATER, expected_version=1, name="one")
    assert updated.version == 2
    with pytest.raises(StaleTaskError) as stale:
        await tasks.update(task.id, at=LATER, expected_version=1, name="two")
    assert (stale.value.expected, stale.value.current) == (1, 2)
    assert (await tasks.get(task.id)).name == "one"  # type: ignore[union-attr]
    with pytest.raises(TaskNotFoundError):
        await tasks.update(999_999, at=LATER, expected_version=1, name="x")


async def test_of_two_racing_conditional_writes_exactly_one_wins(tasks: TaskRepository) -> None:
    task = await tasks.create(new_task())
    for round_ in range(5):
        version = (await tasks.get(task.id)).version  # type: ignore[union-attr]
        results = await asyncio.gather(
            tasks.update(task.id, at=LATER, expected_version=version, name=f"a{round_}"),
            tasks.update(task.id, at=LATER, expected_version=version, name=f"b{round_}"),
            return_exceptions=True,
        )
        won = [r for r in results if not isinstance(r, BaseException)]
        lost = [r for r in results if isinstance(r, StaleTaskError)]
        assert len(won) == 1 and len(lost) == 1, results
        assert (await tasks.get(task.id)).name == won[0].name  # type: ignore[union-attr]


async def test_a_conditional_delete_needs_the_current_version(tasks: TaskRepository) -> None:
    task = await tasks.create(new_task())
    await tasks.update(task.id, at=LATER, name="moved on")
    with pytest.raises(StaleTaskError):
        await tasks.delete(task.id, expected_version=1)
    assert await tasks.get(task.id) is not None
    assert await tasks.delete(task.id, expected_version=2)
    assert not await tasks.delete(task.id, expected_version=2)


async def test_a_key_is_claimed_once_and_answers_repeats(keys: IdempotencyRepository) -> None:
    expired = T0 - timedelta(hours=24)
    assert await keys.claim(GUILD, "token:1", "k", "h1", at=T0, expired_before=expired) is None
    held = await keys.claim(GUILD, "token:1", "k", "h1", at=T0, expired_before=expired)
    assert held is not None and held.request_hash == "h1" and held.answer is None  # in flight
    answer = IdempotentAnswer(201, '{"id": "7"}', {"Location": "/x/7", "ETag": '"t"'})
    await keys.complete(GUILD, "token:1", "k", answer)
    again = await keys.claim(GUILD, "token:1", "k", "h2", at=LATER, expired_before=expired)
    assert again is not None and again.answer == answer and again.request_hash == "h1"


async def test_keys_are_scoped_to_guild_and_caller(keys: IdempotencyRepository) -> None:
    expired = T0 - timedelta(hours=24)
    for guild, caller in ((GUILD, "token:1"), (GUILD, "token:2"), (GUILD + 1, "token:1")):
        claimed = await keys.claim(guild, caller, "same", "h", at=T0, expired_before=expired)
        assert claimed is None, (guild, caller)


async def test_a_released_or_expired_key_can_be_claimed_again(
    keys: IdempotencyRepository,
) -> None:
    old = T0 - timedelta(hours=24)
    assert await keys.claim(GUILD, "member:5", "k", "h", at=T0, expired_before=old) is None
    await keys.release(GUILD, "member:5", "k")
    assert await keys.claim(GUILD, "member:5", "k", "h2", at=T0, expired_before=old) is None
    await keys.complete(GUILD, "member:5", "k", IdempotentAnswer(200, "{}", {}))
    day_later = T0 + timedelta(hours=24, seconds=1)
    fresh = await keys.claim(
        GUILD, "member:5", "k", "h3", at=day_later, expired_before=day_later - timedelta(hours=24)
    )
    assert fresh is None
    await keys.complete(GUILD, "member:5", "k", IdempotentAnswer(200, "{}", {}))
    await keys.release(GUILD, "member:5", "k")  # an answered key is not released
    assert await keys.claim(GUILD, "member:5", "k", "h3", at=day_later, expired_before=old)


async def test_pruning_removes_only_old_keys(keys: IdempotencyRepository) -> None:
    old = T0 - timedelta(days=2)
    await keys.claim(GUILD, "token:1", "old", "h", at=old, expired_before=old)
    await keys.claim(GUILD, "token:1", "new", "h", at=T0, expired_before=old)
    assert await keys.prune(T0 - timedelta(hours=24)) == 1
    assert await keys.claim(GUILD, "token:1", "new", "h", at=T0, expired_before=old) is not None
