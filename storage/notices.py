"""NoticeRepository: notices kept for guilds without a dev channel (and for the operator)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from storage._rows import notice_from_row
from storage.database import Database
from storage.models import Notice, NoticeLevel
from storage.timeconv import to_ms

__all__ = ["NoticeRepository"]

log = logging.getLogger(__name__)


class NoticeRepository:
    """Unread notices are shown in ``/scheduler status``; ``guild_id`` None is the operator."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        guild_id: int | None,
        level: NoticeLevel,
        kind: str,
        title: str,
        body: str,
        at: datetime,
    ) -> Notice:
        """Keep one unread notice."""
        query = """
            INSERT INTO notices (guild_id, level, kind, title, body, created_at)
            VALUES (?, ?, ?, ?, ?, ?)
            RETURNING *
        """
        params = (guild_id, NoticeLevel(level), kind, title, body, to_ms(at))
        rows = await self._db.execute_returning(query, params)
        return notice_from_row(rows[0])

    async def unread(self, guild_id: int | None, limit: int = 10) -> list[Notice]:
        """The unread notices of a guild (None: the operator's), newest first."""
        query = f"""
            SELECT * FROM notices
            WHERE {_guild_is(guild_id)} AND read_at IS NULL
            ORDER BY created_at DESC, id DESC
            LIMIT ?
        """
        rows = await self._db.fetch_all(query, (*_guild_param(guild_id), limit))
        return [notice_from_row(row) for row in rows]

    async def count_unread(self, guild_id: int | None) -> int:
        query = f"""
            SELECT count(*) FROM notices WHERE {_guild_is(guild_id)} AND read_at IS NULL
        """
        return int(await self._db.fetch_value(query, _guild_param(guild_id)))

    async def mark_read(self, ids: Iterable[int], at: datetime) -> int:
        """Mark these notices read (already-read ones keep their time); return how many."""
        dialect = self._db.dialect
        query = f"""
            UPDATE notices SET read_at = ?
            WHERE read_at IS NULL AND {dialect.in_ids("id")}
        """
        return await self._db.execute(query, (to_ms(at), dialect.id_list(ids)))

    async def delete_read_before(self, instant: datetime) -> int:
        """Forget notices read before ``instant``; return how many."""
        query = """DELETE FROM notices WHERE read_at IS NOT NULL AND read_at < ?"""
        return await self._db.execute(query, (to_ms(instant),))


def _guild_is(guild_id: int | None) -> str:
    """``guild_id`` matches the guild, or is NULL for the operator's notices."""
    return "guild_id IS NULL" if guild_id is None else "guild_id = ?"


def _guild_param(guild_id: int | None) -> tuple[int, ...]:
    return () if guild_id is None else (guild_id,)
