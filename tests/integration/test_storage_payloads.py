"""Rows written before payloads and destinations were typed: the repository reads them as
the typed records, and writing those records back stores the very same bytes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import (
    ChannelDestination,
    Database,
    Mentions,
    NewTask,
    Rotation,
    TaskKind,
    TaskRepository,
    WebhookDestination,
)
from tests.stored import DESTINATIONS, PAYLOADS

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def store_raw(db: Database, tasks: TaskRepository, payload: str, destinations: str) -> int:
    """A task whose JSON columns hold exactly these bytes, as an older Cadence wrote them."""
    new = NewTask(name="old", kind=TaskKind.CRON, spec="0 9 * * *", created_at=T0, guild_id=1)
    task = await tasks.create(new)
    query = "UPDATE tasks SET payload = ?, destinations = ? WHERE id = ?"
    await db.execute(query, (payload, destinations, task.id))
    return task.id


async def raw_columns(db: Database, task_id: int) -> tuple[str, str]:
    row = await db.fetch_one("SELECT payload, destinations FROM tasks WHERE id = ?", (task_id,))
    assert row is not None
    return row["payload"], row["destinations"]


@pytest.mark.parametrize(
    ("payload", "destinations"),
    [
        (PAYLOADS["slash create, embed"], DESTINATIONS["several"]),
        (PAYLOADS["content and embed, random"], DESTINATIONS["webhook in a thread, with avatar"]),
        (PAYLOADS["code task"], DESTINATIONS["none"]),
    ],
    ids=["embed-several", "rotation-webhook", "code-task"],
)
async def test_old_rows_read_typed_and_write_back_the_same_bytes(
    db: Database, payload: str, destinations: str
) -> None:
    tasks = TaskRepository(db)
    task_id = await store_raw(db, tasks, payload, destinations)
    task = await tasks.get(task_id)
    assert task is not None
    await tasks.update(
        task_id,
        at=T0 + timedelta(minutes=1),
        payload=task.payload,
        destinations=task.destinations,
    )
    assert await raw_columns(db, task_id) == (payload, destinations)


async def test_an_old_row_reads_as_typed_records(db: Database) -> None:
    tasks = TaskRepository(db)
    task_id = await store_raw(
        db, tasks, PAYLOADS["content and embed, random"], DESTINATIONS["webhook"]
    )
    task = await tasks.get(task_id)
    assert task is not None
    assert task.payload.rotation == Rotation.RANDOM
    assert [v.content for v in task.payload.variants] == ["a", "c"]
    assert task.payload.approved == Mentions(users=True)
    assert task.destinations == (
        WebhookDestination(channel_id=5, webhook_id=7, webhook_token="tok", name="Herald"),
    )


async def test_new_tasks_are_stored_in_the_same_shape(db: Database) -> None:
    tasks = TaskRepository(db)
    old_id = await store_raw(db, tasks, PAYLOADS["bench and seed"], DESTINATIONS["channel"])
    old = await tasks.get(old_id)
    assert old is not None and old.destinations == (ChannelDestination(333333333333333333),)
    new = NewTask(
        name="new",
        kind=TaskKind.CRON,
        spec="0 9 * * *",
        created_at=T0,
        guild_id=1,
        payload=old.payload,
        destinations=old.destinations,
    )
    created = await tasks.create(new)
    assert await raw_columns(db, created.id) == await raw_columns(db, old_id)
