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
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import aiohttp

GLOBAL_REQUESTS = 50
"""Requests per window: Discord's global limit for a bot."""

WINDOW_SECONDS = 1.02
"""Discord's one second, and a little: requests stamped here at send time may reach Discord
a few milliseconds apart from the order they left in."""


class SlidingWindowPacer:
    """Lets at most `limit` callers through in any `per` seconds, in arrival order."""

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
        self._sent: deque[float] = deque()
        self._turn = asyncio.Lock()  # first come, first served
        self._open = asyncio.Event()
        self._open.set()
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

    async def acquire(self) -> None:
        async with self._turn:
            while True:
                await self._open.wait()
                now = self._clock()
                while self._sent and self._sent[0] <= now - self.per:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    return
                delay = self._sent[0] + self.per - now
                self.pauses += 1
                self.paused_seconds += delay
                await asyncio.sleep(delay)


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
    the slot is taken at the instant the request leaves, retries included.
    """

    async def paced(session: aiohttp.ClientSession, context: Any, params: Any) -> None:
        if _exempt(str(params.url.path)) or "Upgrade" in params.headers:
            return  # interaction answers, and the gateway's WebSocket (not REST)
        started = time.perf_counter()
        await pacer.acquire()
        if on_wait is not None:
            on_wait(time.perf_counter() - started)

    trace.on_request_start.append(paced)
