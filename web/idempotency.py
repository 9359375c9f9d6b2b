"""`Idempotency-Key` for the API's POSTs that create something (a task, a run).

A client that did not hear the answer sends the same request again with the same key; the
first answer is sent again (same status, body, `Location` and `ETag`) and nothing is done
twice. The key is claimed in storage before the request does anything, so of two requests
racing with one key exactly one runs; the other is told it is in flight (409). Keys are
kept 24 hours, for one guild and one caller (an API token, or a member), so another
guild's or another token's key never matches. Only successful answers are kept: after an
error the key is free again, so a corrected retry may use it."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from aiohttp import web

from scheduler.clock import Clock
from storage import IdempotencyRepository, IdempotentAnswer
from web.auth import Caller
from web.problems import FieldError, Problem

__all__ = ["KEY_HEADER", "TTL", "Idempotency", "caller_key", "request_fingerprint"]

log = logging.getLogger(__name__)

KEY_HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
PRUNE_EVERY = timedelta(minutes=10)
KEY_MAX = 255
_KEPT_HEADERS = ("Content-Type", "Location", "ETag")


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """What must be the same for a repeat to count as the same request."""
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def caller_key(caller: Caller) -> str:
    """Whose keys these are: the API token, else the member."""
    if caller.token is not None:
        return f"token:{caller.token.id}"
    return f"member:{caller.member_id}"


class Idempotency:
    """Runs a request once per key and answers repeats from storage."""

    def __init__(self, store: IdempotencyRepository, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._pruned: datetime | None = None

    async def once(
        self,
        request: web.Request,
        caller: Caller,
        handler: Callable[[], Awaitable[web.Response]],
    ) -> web.Response:
        """`handler()`'s answer, or the stored answer of the first request with this key."""
        key = request.headers.get(KEY_HEADER)
        if key is None:
            return await handler()
        _check_key(key)
        now = self._clock.now()
        await self._prune(now)
        fingerprint = request_fingerprint(request.method, request.path, await request.read())
        owner = caller_key(caller)
        found = await self._store.claim(
            caller.guild_id, owner, key, fingerprint, at=now, expired_before=now - TTL
        )
        if found is not None:
            if found.request_hash != fingerprint:
                raise Problem(
                    422,
                    "This Idempotency-Key was used with a different request (another path "
                    "or body) in the last 24 hours. Use a new key for a new request.",
                    kind="idempotency-key-reused",
                    errors=[FieldError(KEY_HEADER, "was used with a different request")],
                )
            if found.answer is None:
                raise Problem(
                    409,
                    "A request with this Idempotency-Key is still being answered; wait for "
                    "it, then repeat this one to get its answer.",
                    kind="idempotency-key-in-flight",
                    headers={"Retry-After": "1"},
                )
            return _replay(found.answer)
        answered = False
        try:
            response = await handler()
            if 200 <= response.status < 300:
                await self._store.complete(caller.guild_id, owner, key, _kept(response))
                answered = True
            return response
        finally:
            if not answered:
                await self._store.release(caller.guild_id, owner, key)

    async def _prune(self, now: datetime) -> None:
        if self._pruned is not None and now - self._pruned < PRUNE_EVERY:
            return
        self._pruned = now
        pruned = await self._store.prune(now - TTL)
        if pruned:
            log.debug("Pruned %d idempotency keys older than %s", pruned, TTL)


def _check_key(key: str) -> None:
    if not 1 <= len(key) <= KEY_MAX or not all("!" <= c <= "~" for c in key):
        raise Problem(
            400,
            f"The {KEY_HEADER} header must be 1 to {KEY_MAX} visible ASCII characters "
            "(no spaces), e.g. a UUID.",
            kind="bad-idempotency-key",
        )


def _kept(response: web.Response) -> IdempotentAnswer:
    body = response.body
    text = body.decode() if isinstance(body, bytes | bytearray) else ""
    headers = {name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers}
    return IdempotentAnswer(status=response.status, body=text, headers=headers)


def _replay(answer: IdempotentAnswer) -> web.Response:
    headers = dict(answer.headers)
    headers["Idempotent-Replayed"] = "true"
    return web.Response(status=answer.status, body=answer.body.encode(), headers=headers)
