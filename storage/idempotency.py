"""IdempotencyRepository: the first answer to each `Idempotency-Key`, kept for a retry.

A key is claimed before the request does anything (an INSERT that only one of two racing
requests wins), its answer stored once there is one, and the row removed when the request
failed without an answer worth repeating. Keys belong to one guild and one caller: the
primary key is (guild_id, caller, key), so nobody else's key can ever match."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage._codec import dump_json, load_json
from storage.database import Database
from storage.timeconv import from_ms, to_ms

__all__ = ["IdempotencyRepository", "IdempotentAnswer", "KeyClaim"]


@dataclass(frozen=True, slots=True)
class IdempotentAnswer:
    """A stored answer: what the first request was answered, to be answered again."""

    status: int
    body: str
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class KeyClaim:
    """What claiming a key found: nothing (the caller now owns it), or the earlier request's
    fingerprint and, once it finished, its answer (None: still in flight)."""

    request_hash: str
    created_at: datetime
    answer: IdempotentAnswer | None


class IdempotencyRepository:
    """``idempotency_keys``: one row per (guild, caller, key)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(
        self,
        guild_id: int,
        caller: str,
        key: str,
        request_hash: str,
        *,
        at: datetime,
        expired_before: datetime,
    ) -> KeyClaim | None:
        """Claim the key for a new request; None when claimed, else what holds it.

        A row created before ``expired_before`` no longer counts: it is replaced."""
        async with self._db.transaction():
            query = """
                DELETE FROM idempotency_keys
                WHERE guild_id = ? AND caller = ? AND key = ? AND created_at < ?
            """
            await self._db.execute(query, (guild_id, caller, key, to_ms(expired_before)))
            query = """
                INSERT INTO idempotency_keys (guild_id, caller, key, request_hash, created_at)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (guild_id, caller, key) DO NOTHING
                RETURNING created_at
            """
            params = (guild_id, caller, key, request_hash, to_ms(at))
            if await self._db.execute_returning(query, params):
                return None
            query = """
                SELECT request_hash, status, body, headers, created_at FROM idempotency_keys
                WHERE guild_id = ? AND caller = ? AND key = ?
            """
            row = await self._db.fetch_one(query, (guild_id, caller, key))
        assert row is not None  # the conflicting row cannot vanish inside the transaction
        answer = None
        if row["status"] is not None:
            answer = IdempotentAnswer(
                status=row["status"], body=row["body"] or "", headers=load_json(row["headers"], {})
            )
        return KeyClaim(row["request_hash"], from_ms(row["created_at"]), answer)

    async def complete(
        self, guild_id: int, caller: str, key: str, answer: IdempotentAnswer
    ) -> None:
        """Store the answer of the request that claimed the key."""
        query = """
            UPDATE idempotency_keys SET status = ?, body = ?, headers = ?
            WHERE guild_id = ? AND caller = ? AND key = ?
        """
        params: tuple[Any, ...] = (
            answer.status,
            answer.body,
            dump_json(answer.headers),
            guild_id,
            caller,
            key,
        )
        await self._db.execute(query, params)

    async def release(self, guild_id: int, caller: str, key: str) -> None:
        """Forget a claim whose request ended without an answer to repeat (a retry may run)."""
        query = """
            DELETE FROM idempotency_keys
            WHERE guild_id = ? AND caller = ? AND key = ? AND status IS NULL
        """
        await self._db.execute(query, (guild_id, caller, key))

    async def prune(self, before: datetime) -> int:
        """Delete every key created before ``before``; returns how many."""
        query = """DELETE FROM idempotency_keys WHERE created_at < ?"""
        return await self._db.execute(query, (to_ms(before),))
