"""ApiTokenRepository: a guild's API tokens, stored as hashes (the token itself never is)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from storage._rows import api_token_from_row
from storage.database import ConstraintError, Database
from storage.errors import DuplicateApiTokenError
from storage.models import ApiToken, ApiTokenScope
from storage.timeconv import to_ms

__all__ = ["TOUCH_EVERY", "ApiTokenRepository"]

log = logging.getLogger(__name__)

TOUCH_EVERY = timedelta(minutes=1)
"""``last_used_at`` moves at most this often: a busy token costs one write a minute."""


class ApiTokenRepository:
    """``api_tokens``: names are unique per guild among live tokens; hashes are unique."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        guild_id: int,
        name: str,
        scope: ApiTokenScope,
        token_hash: str,
        created_by: int,
        at: datetime,
    ) -> ApiToken:
        """Store a new live token.

        Raises
        ------
        DuplicateApiTokenError
            The guild already has a live token called ``name``.
        """
        query = """
            INSERT INTO api_tokens (guild_id, name, scope, token_hash, created_by, created_at)
            VALUES (?, ?, ?, ?, ?, ?)
            RETURNING *
        """
        params = (guild_id, name, ApiTokenScope(scope), token_hash, created_by, to_ms(at))
        try:
            rows = await self._db.execute_returning(query, params)
        except ConstraintError as error:
            if error.kind == "unique" and "token_hash" not in error.where:
                raise DuplicateApiTokenError(name) from error
            raise
        return api_token_from_row(rows[0])

    async def list_for_guild(
        self, guild_id: int, *, include_revoked: bool = False
    ) -> list[ApiToken]:
        """The guild's tokens by name (live ones only, unless ``include_revoked``)."""
        live = "" if include_revoked else "AND revoked_at IS NULL"
        query = f"""
            SELECT * FROM api_tokens WHERE guild_id = ? {live} ORDER BY name, id
        """
        return [api_token_from_row(row) for row in await self._db.fetch_all(query, (guild_id,))]

    async def count_live(self, guild_id: int) -> int:
        query = """SELECT count(*) FROM api_tokens WHERE guild_id = ? AND revoked_at IS NULL"""
        return int(await self._db.fetch_value(query, (guild_id,)))

    async def get_by_hash(self, token_hash: str) -> ApiToken | None:
        """The token with this hash, live or revoked (the caller decides), or None."""
        query = """SELECT * FROM api_tokens WHERE token_hash = ?"""
        row = await self._db.fetch_one(query, (token_hash,))
        return None if row is None else api_token_from_row(row)

    async def touch(self, token_id: int, at: datetime) -> bool:
        """Record a use at ``at``, unless one was recorded less than ``TOUCH_EVERY`` before;
        True when the row was written."""
        at_ms = to_ms(at)
        query = """
            UPDATE api_tokens SET last_used_at = ?
            WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)
        """
        every_ms = int(TOUCH_EVERY.total_seconds() * 1000)
        return await self._db.execute(query, (at_ms, token_id, at_ms - every_ms)) > 0

    async def revoke(self, guild_id: int, name: str, at: datetime) -> ApiToken | None:
        """Revoke the guild's live token called ``name``; None when there is none."""
        query = """
            UPDATE api_tokens SET revoked_at = ?
            WHERE guild_id = ? AND name = ? AND revoked_at IS NULL
            RETURNING *
        """
        rows = await self._db.execute_returning(query, (to_ms(at), guild_id, name))
        return api_token_from_row(rows[0]) if rows else None
