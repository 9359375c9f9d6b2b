"""SessionRepository on the real backends (SQLite here; PostgreSQL with `database_target`):
only live sessions are read, `last_seen` moves at most once a minute, logout and the sweep
delete rows; and the viewer role is a guild setting like the manager role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import Database, GuildSettingsRepository, SessionRepository, WebSession

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _session(id_hash: str, expires: datetime) -> WebSession:
    return WebSession(
        id_hash=id_hash,
        user_id=42,
        username="carol",
        avatar=None,
        guilds=({"id": "7", "name": "Seven", "owner": False, "permissions": "32"},),
        created_at=T0,
        expires_at=expires,
        last_seen=T0,
    )


async def test_sessions_live_expire_and_end(database_target: str) -> None:
    async with Database.open(database_target) as db:
        sessions = SessionRepository(db)
        await sessions.create(_session("a" * 64, T0 + timedelta(days=7)))
        await sessions.create(_session("b" * 64, T0 + timedelta(hours=1)))
        found = await sessions.live("a" * 64, T0)
        assert found == _session("a" * 64, T0 + timedelta(days=7))
        assert await sessions.live("c" * 64, T0) is None
        assert await sessions.live("b" * 64, T0 + timedelta(hours=1)) is None
        assert not await sessions.seen("a" * 64, T0 + timedelta(seconds=30))
        assert await sessions.seen("a" * 64, T0 + timedelta(minutes=2))
        again = await sessions.live("a" * 64, T0 + timedelta(minutes=3))
        assert again is not None and again.last_seen == T0 + timedelta(minutes=2)
        assert await sessions.delete_expired(T0 + timedelta(hours=2)) == 1
        assert await sessions.delete("a" * 64)
        assert not await sessions.delete("a" * 64)
        assert await sessions.live("a" * 64, T0) is None


async def test_the_viewer_role_is_a_setting_that_clears(database_target: str) -> None:
    async with Database.open(database_target) as db:
        guilds = GuildSettingsRepository(db)
        assert (await guilds.get(7)).viewer_role_id is None
        assert (await guilds.update(7, T0, viewer_role_id=99)).viewer_role_id == 99
        assert (await guilds.clear(7, "viewer_role_id", T0)).viewer_role_id is None
