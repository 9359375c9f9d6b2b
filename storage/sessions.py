"""SessionRepository: the dashboard's login sessions, keyed by the hash of their id.

The id itself lives only in the browser's `cadence_session` cookie; a stolen database gives
no session. Expired rows are never returned and are swept when someone logs in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from storage._codec import dump_json, load_json
from storage.database import Database
from storage.timeconv import from_ms, to_ms

__all__ = ["SEEN_EVERY", "SessionRepository", "WebSession"]

log = logging.getLogger(__name__)

SEEN_EVERY = timedelta(minutes=1)
"""``last_seen`` moves at most this often: a busy session costs one write a minute."""


@dataclass(frozen=True, slots=True)
class WebSession:
    """A logged-in dashboard user as stored (``id_hash`` is the SHA-256 of the cookie's id)."""

    id_hash: str
    user_id: int
    username: str
    avatar: str | None
    guilds: tuple[dict[str, Any], ...]
    """The user's guilds as Discord's OAuth2 listed them at login (for the server picker only:
    never a reason to allow anything)."""
    created_at: datetime
    expires_at: datetime
    last_seen: datetime


class SessionRepository:
    """``sessions``: one row per login; deleting the row ends the session."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, session: WebSession) -> None:
        query = """
            INSERT INTO sessions
                (id_hash, user_id, username, avatar, guilds, created_at, expires_at, last_seen)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        """
        await self._db.execute(
            query,
            (
                session.id_hash,
                session.user_id,
                session.username,
                session.avatar,
                dump_json(list(session.guilds)),
                to_ms(session.created_at),
                to_ms(session.expires_at),
                to_ms(session.last_seen),
            ),
        )

    async def live(self, id_hash: str, now: datetime) -> WebSession | None:
        """The session with this hash unless it expired (or never was)."""
        query = """SELECT * FROM sessions WHERE id_hash = ? AND expires_at > ?"""
        row = await self._db.fetch_one(query, (id_hash, to_ms(now)))
        if row is None:
            return None
        return WebSession(
            id_hash=row["id_hash"],
            user_id=row["user_id"],
            username=row["username"],
            avatar=row["avatar"],
            guilds=tuple(load_json(row["guilds"], [])),
            created_at=from_ms(row["created_at"]),
            expires_at=from_ms(row["expires_at"]),
            last_seen=from_ms(row["last_seen"]),
        )

    async def seen(self, id_hash: str, at: datetime) -> bool:
        """Record a use at ``at`` unless one was recorded less than ``SEEN_EVERY`` before."""
        at_ms = to_ms(at)
        every_ms = int(SEEN_EVERY.total_seconds() * 1000)
        query = """UPDATE sessions SET last_seen = ? WHERE id_hash = ? AND last_seen <= ?"""
        return await self._db.execute(query, (at_ms, id_hash, at_ms - every_ms)) > 0

    async def delete(self, id_hash: str) -> bool:
        """End one session; True when it existed."""
        query = """DELETE FROM sessions WHERE id_hash = ?"""
        return await self._db.execute(query, (id_hash,)) > 0

    async def delete_expired(self, now: datetime) -> int:
        """Sweep sessions past their end; how many went."""
        query = """DELETE FROM sessions WHERE expires_at <= ?"""
        return await self._db.execute(query, (to_ms(now),))
