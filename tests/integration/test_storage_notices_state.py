"""NoticeRepository and StateRepository contracts, against a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import Database, Notice, NoticeLevel, NoticeRepository, StateRepository

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GUILD = 111


@pytest.fixture
def notices(db: Database) -> NoticeRepository:
    return NoticeRepository(db)


async def test_add_round_trips(notices: NoticeRepository) -> None:
    notice = await notices.add(
        GUILD,
        NoticeLevel.ERROR,
        "task_failed",
        "daily failed",
        "403 Missing Access in #news",
        at=T0,
    )
    assert notice == Notice(
        id=notice.id,
        guild_id=GUILD,
        level=NoticeLevel.ERROR,
        kind="task_failed",
        title="daily failed",
        body="403 Missing Access in #news",
        created_at=T0,
        read_at=None,
    )


@pytest.mark.parametrize("guild_id", [GUILD, None], ids=["guild", "operator"])
async def test_unread_newest_first_then_mark_read(
    notices: NoticeRepository, guild_id: int | None
) -> None:
    added = [
        await notices.add(
            guild_id, NoticeLevel.INFO, "k", f"n{i}", "b", at=T0 + timedelta(minutes=i)
        )
        for i in range(4)
    ]
    await notices.add(999, NoticeLevel.WARNING, "k", "someone else's", "b", at=T0)

    assert [n.title for n in await notices.unread(guild_id)] == ["n3", "n2", "n1", "n0"]
    assert [n.title for n in await notices.unread(guild_id, limit=2)] == ["n3", "n2"]
    assert await notices.count_unread(guild_id) == 4

    read_at = T0 + timedelta(hours=1)
    assert await notices.mark_read([added[3].id, added[1].id], read_at) == 2
    assert await notices.mark_read([added[3].id], read_at + timedelta(hours=1)) == 0
    assert [n.title for n in await notices.unread(guild_id)] == ["n2", "n0"]
    assert await notices.count_unread(guild_id) == 2

    assert await notices.delete_read_before(read_at + timedelta(seconds=1)) == 2
    assert await notices.count_unread(999) == 1


async def test_bad_level_is_refused(notices: NoticeRepository) -> None:
    with pytest.raises(ValueError):
        await notices.add(GUILD, "critical", "k", "t", "b", at=T0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("writes", "key", "expected"),
    [
        pytest.param([], "tree_hash", None, id="missing"),
        pytest.param([("tree_hash", "abc")], "tree_hash", "abc", id="set"),
        pytest.param(
            [("tree_hash", "abc"), ("tree_hash", "def")], "tree_hash", "def", id="replaced"
        ),
        pytest.param([("a", "1"), ("b", "2")], "a", "1", id="independent-keys"),
    ],
)
async def test_state(
    db: Database, writes: list[tuple[str, str]], key: str, expected: str | None
) -> None:
    state = StateRepository(db)
    for k, v in writes:
        await state.set(k, v)
    assert await state.get(key) == expected


async def test_state_delete(db: Database) -> None:
    state = StateRepository(db)
    await state.set("k", "v")
    assert await state.delete("k") is True
    assert await state.delete("k") is False
    assert await state.get("k") is None
