"""AuditRepository contract, against a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import AuditEntry, AuditRepository, Database, NewTask, TaskKind, TaskRepository

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GUILD = 111


@pytest.fixture
def audit(db: Database) -> AuditRepository:
    return AuditRepository(db)


async def test_add_round_trips(audit: AuditRepository) -> None:
    detail = {"changes": {"spec": ["0 9 * * *", "0 10 * * *"]}, "note": "ünïcode"}
    entry = await audit.add(GUILD, 5, 42, "edited", detail, at=T0)
    assert entry == AuditEntry(
        id=entry.id, guild_id=GUILD, task_id=5, actor_id=42, action="edited", detail=detail, at=T0
    )
    assert await audit.for_task(5) == [entry]


async def test_newest_first_per_task_and_guild(audit: AuditRepository) -> None:
    actions = ["created", "edited", "paused", "resumed"]
    for minute, action in enumerate(actions):
        await audit.add(GUILD, 1, 42, action, {}, at=T0 + timedelta(minutes=minute))
    await audit.add(GUILD, 2, 42, "created", {}, at=T0 + timedelta(minutes=10))
    await audit.add(999, 3, 7, "created", {}, at=T0)
    code = await audit.add(None, 4, None, "registered", {"job_id": "x"}, at=T0)

    assert [e.action for e in await audit.for_task(1)] == actions[::-1]
    assert [e.action for e in await audit.for_task(1, limit=2)] == ["resumed", "paused"]
    assert [(e.task_id, e.action) for e in await audit.for_guild(GUILD, limit=3)] == [
        (2, "created"),
        (1, "resumed"),
        (1, "paused"),
    ]
    last = await audit.last_for_task(1)
    assert last is not None and last.action == "resumed"
    assert await audit.last_for_task(12345) is None
    assert code.guild_id is None and code.actor_id is None


async def test_same_instant_keeps_insertion_order(audit: AuditRepository) -> None:
    first = await audit.add(GUILD, 1, 1, "created", {}, at=T0)
    second = await audit.add(GUILD, 1, 1, "ran", {}, at=T0)
    assert await audit.for_task(1) == [second, first]


async def test_trail_outlives_a_deleted_task(db: Database, audit: AuditRepository) -> None:
    tasks = TaskRepository(db)
    task = await tasks.create(
        NewTask(name="t", kind=TaskKind.CRON, spec="* * * * *", created_at=T0, guild_id=GUILD)
    )
    async with db.transaction():
        await tasks.delete(task.id)
        await audit.add(GUILD, task.id, 42, "deleted", {"name": "t"}, at=T0)
    assert [e.action for e in await audit.for_task(task.id)] == ["deleted"]


async def test_naive_instant_is_refused(audit: AuditRepository) -> None:
    with pytest.raises(ValueError, match="naive"):
        await audit.add(GUILD, 1, 1, "created", {}, at=datetime(2026, 3, 1))
    assert await audit.for_guild(GUILD) == []


async def test_guild_pages_by_id_with_an_optional_task_filter(audit: AuditRepository) -> None:
    ids = [(await audit.add(GUILD, n % 2, 42, f"a{n}", {}, at=T0)).id for n in range(5)]
    await audit.add(999, 1, 7, "elsewhere", {}, at=T0)
    first = await audit.page_for_guild(GUILD, limit=2)
    assert [e.id for e in first] == [ids[4], ids[3]]
    await audit.add(GUILD, 1, 42, "later", {}, at=T0 - timedelta(days=1))  # never shifts pages
    rest = await audit.page_for_guild(GUILD, before_id=first[-1].id, limit=10)
    assert [e.id for e in rest] == [ids[2], ids[1], ids[0]]
    odd = await audit.page_for_guild(GUILD, task_id=1, limit=10)
    assert [e.action for e in odd] == ["later", "a3", "a1"]
