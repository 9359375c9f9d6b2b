"""Pacing every REST request to Discord's global rate limit, before Discord has to say so.

discord.py learns each route's limit from response headers and waits when a bucket is
spent, but it knows nothing of the global limit (50 requests per second per bot) until a
429 says "global". A burst of 1,000 scheduled posts to 100 channels then drew some 650 such
429s, and Discord bans an IP for a while past 10,000 invalid requests in 10 minutes. So
every request the bot makes waits here first for a place in a sliding one-second window.
Interaction answers and their follow-ups are not bound by the global limit and pass at once.

With several processes on one token, each is given its share of the 50 (see
scheduler.process_group) through `SlidingWindowPacer.set_limit`; a share of 0 holds every
paced request until the group has made room for this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import aiohttp

GLOBAL_REQUESTS = 50
"""Requests per window: Discord's global limit for a bot."""

WINDOW_SECONDS = 1.02
"""Discord's one second, and a little: requests stamped here may reach Discord a few
milliseconds apart from the order they left in."""


IN_FLIGHT_LIMIT_SECONDS = 30.0
"""A request still unanswered after this long stops holding its place (it was lost)."""


class Slot:
    """One request's place in the window: from its send until `per` after it ended."""

    __slots__ = ("ended", "started")

    def __init__(self, started: float, ended: float | None) -> None:
        self.started = started
        self.ended = ended


class SlidingWindowPacer:
    """Lets at most `limit` callers through in any `per` seconds, in arrival order.

    A plain `acquire()` holds its place for `per` seconds from the moment it went through. A
    request paced with `acquire(in_flight=True)` holds it until `per` seconds after `done()`
    is called for it, i.e. after its answer came back: Discord counts a request when it
    arrives, somewhere between those two instants, so no second at Discord can then hold more
    than `limit` of them, however late a busy event loop or network delivers some of a burst.
    """

    def __init__(
        self,
        limit: int = GLOBAL_REQUESTS,
        per: float = WINDOW_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or per <= 0:
            raise ValueError("a pacer needs a limit of at least 1 and a positive window")
        self.limit = limit
        self.per = per
        self._clock = clock
        self._slots: deque[Slot] = deque()
        self._turn = asyncio.Lock()  # first come, first served
        self._open = asyncio.Event()
        self._open.set()
        self._ended = asyncio.Event()
        #: How often the line of callers was held, and for how long in all (for benches).
        self.pauses = 0
        self.paused_seconds = 0.0

    def set_limit(self, limit: int) -> None:
        """Change the requests allowed per window from now on; 0 holds every caller until a
        later call opens the line again."""
        if limit < 0:
            raise ValueError("a pacer's limit cannot be negative")
        if limit == 0:
            self._open.clear()
            return
        self.limit = limit
        self._open.set()
        self._ended.set()  # waiters look again with the new limit

    def done(self, slot: Slot) -> None:
        """The request of `slot` was answered (or failed): its place frees `per` from now."""
        if slot.ended is None:
            slot.ended = self._clock()
            self._ended.set()

    def _holding(self, now: float) -> int:
        """Drop the places that are free again; how many are still held."""
        kept = [
            slot
            for slot in self._slots
            if (slot.ended is None and slot.started > now - IN_FLIGHT_LIMIT_SECONDS)
            or (slot.ended is not None and slot.ended > now - self.per)
        ]
        self._slots = deque(kept)
        return len(kept)

    async def acquire(self, *, in_flight: bool = False) -> Slot:
        """Wait for a place; with `in_flight` it is held until `done()` (plus `per`)."""
        async with self._turn:
            while True:
                await self._open.wait()
                now = self._clock()
                if self._holding(now) < self.limit:
                    slot = Slot(now, None if in_flight else now)
                    self._slots.append(slot)
                    return slot
                ends = [s.ended + self.per for s in self._slots if s.ended is not None]
                delay = max(0.0, min(ends) - now) if ends else IN_FLIGHT_LIMIT_SECONDS
                self.pauses += 1
                self._ended.clear()
                # A place frees when the oldest ends its window, or when an answer comes back.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._ended.wait(), delay)
                self.paused_seconds += self._clock() - now


def _exempt(path: str) -> bool:
    """Interaction callbacks and follow-ups (webhook routes of the interaction's token)."""
    return "/interactions/" in path or "/webhooks/" in path


def pace_sends(
    trace: aiohttp.TraceConfig,
    pacer: SlidingWindowPacer,
    *,
    on_wait: Callable[[float], None] | None = None,
) -> None:
    """Make every request of the client built with `trace` (discord.py's `http_trace`) wait
    on `pacer` just before it is sent; `on_wait` hears how long each paced request waited (for
    `cadence_pacer_wait_seconds`).

    Pacing at the send, not when discord.py's `HTTPClient.request` is called, matters: a
    request then waits on its route's bucket (e.g. a channel's 5 posts per 5 s) or retries
    after a 429 inside discord.py, and a slot taken before that wait would let requests of
    several windows leave together. aiohttp awaits `on_request_start` before it connects, so
    the slot is taken at the instant the request leaves, retries included; it is held until
    `per` after the answer (`on_request_end`, or `on_request_exception`).
    """

    async def paced(session: aiohttp.ClientSession, context: Any, params: Any) -> None:
        if _exempt(str(params.url.path)) or "Upgrade" in params.headers:
            return  # interaction answers, and the gateway's WebSocket (not REST)
        started = time.perf_counter()
        context.cadence_slot = await pacer.acquire(in_flight=True)
        if on_wait is not None:
            on_wait(time.perf_counter() - started)

    async def answered(session: aiohttp.ClientSession, context: Any, params: Any) -> None:
        slot = getattr(context, "cadence_slot", None)
        if slot is not None:
            pacer.done(slot)

    trace.on_request_start.append(paced)
    trace.on_request_end.append(answered)
    trace.on_request_exception.append(answered)
