"""StateRepository: small key/value facts about the bot (e.g. the synced command tree hash)."""

from __future__ import annotations

import logging

from storage.database import Database

__all__ = ["StateRepository"]

log = logging.getLogger(__name__)


class StateRepository:
    """``bot_state``: one text value per key."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        """The value stored under ``key``, or None."""
        query = """SELECT value FROM bot_state WHERE key = ?"""
        value = await self._db.fetch_value(query, (key,))
        return None if value is None else str(value)

    async def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``, replacing any previous value."""
        query = """
            INSERT INTO bot_state (key, value) VALUES (?, ?)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value
        """
        await self._db.execute(query, (key, value))

    async def delete(self, key: str) -> bool:
        """Forget ``key``; False when it was not set."""
        query = """DELETE FROM bot_state WHERE key = ?"""
        return await self._db.execute(query, (key,)) > 0
