"""AuditRepository: who created, edited, paused, resumed, deleted, imported or ran what."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from storage._codec import dump_json
from storage._rows import audit_from_row
from storage.database import Database
from storage.models import AuditEntry
from storage.timeconv import to_ms

__all__ = ["AuditRepository"]

log = logging.getLogger(__name__)

_ID_CEILING = 2**63 - 1
"""Above every id: the first page of a listing paged by descending id."""


class AuditRepository:
    """The audit trail. It has no foreign key to tasks: a deleted task's trail remains."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        guild_id: int | None,
        task_id: int | None,
        actor_id: int | None,
        action: str,
        detail: dict[str, Any],
        at: datetime,
    ) -> AuditEntry:
        """Append one entry (``actor_id`` None: the bot itself)."""
        query = """
            INSERT INTO audit (guild_id, task_id, actor_id, action, detail, at)
            VALUES (?, ?, ?, ?, ?, ?)
            RETURNING *
        """
        params = (guild_id, task_id, actor_id, action, dump_json(detail), to_ms(at))
        rows = await self._db.execute_returning(query, params)
        return audit_from_row(rows[0])

    async def for_task(self, task_id: int, limit: int = 25) -> list[AuditEntry]:
        """The task's entries, newest first."""
        query = """
            SELECT * FROM audit WHERE task_id = ? ORDER BY at DESC, id DESC LIMIT ?
        """
        return [audit_from_row(row) for row in await self._db.fetch_all(query, (task_id, limit))]

    async def for_guild(self, guild_id: int, limit: int = 25) -> list[AuditEntry]:
        """The guild's entries, newest first."""
        query = """
            SELECT * FROM audit WHERE guild_id = ? ORDER BY at DESC, id DESC LIMIT ?
        """
        rows = await self._db.fetch_all(query, (guild_id, limit))
        return [audit_from_row(row) for row in rows]

    async def page_for_guild(
        self,
        guild_id: int,
        *,
        before_id: int | None = None,
        task_id: int | None = None,
        limit: int = 50,
    ) -> list[AuditEntry]:
        """One page of the guild's entries (only ``task_id``'s when given), newest first by
        id, after a page ending at ``before_id``; entries added meanwhile never shift it."""
        upper = _ID_CEILING if before_id is None else before_id
        if task_id is None:
            query = """
                SELECT * FROM audit WHERE guild_id = ? AND id < ? ORDER BY id DESC LIMIT ?
            """
            params: tuple[int, ...] = (guild_id, upper, limit)
        else:
            query = """
                SELECT * FROM audit WHERE guild_id = ? AND task_id = ? AND id < ?
                ORDER BY id DESC LIMIT ?
            """
            params = (guild_id, task_id, upper, limit)
        return [audit_from_row(row) for row in await self._db.fetch_all(query, params)]

    async def last_for_task(self, task_id: int) -> AuditEntry | None:
        """The task's latest entry ("last change" in ``/schedule show``)."""
        entries = await self.for_task(task_id, limit=1)
        return entries[0] if entries else None
