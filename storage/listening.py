"""PostgreSQL LISTEN on one dedicated connection that comes back when it is lost.

A pooled connection cannot listen (it goes back to the pool between statements), so the
listener owns its own. A notification sent while the connection was down is lost for good;
whoever listens must also poll (the engine polls due rows every second), so a reconnect only
needs to listen again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from storage.database import Listening

__all__ = ["PostgresListener"]

log = logging.getLogger(__name__)

CHECK_EVERY = 5.0
"""Seconds between health checks of the listening connection (a silent network loss)."""
RETRY_AFTER = 1.0


class PostgresListener(Listening):
    """Hands each payload on ``channel`` to ``callback``; reconnects and listens again when
    the connection is closed or stops answering."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[Any]],
        channel: str,
        callback: Callable[[str], None],
    ) -> None:
        self._connect = connect
        self._channel = channel
        self._callback = callback
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self.connections = 0
        """How many times a connection was made (tests watch it come back)."""
        self.connection: Any = None

    async def start(self) -> None:
        """Start listening; returns once the first LISTEN is in place (or failed once)."""
        self._task = asyncio.create_task(self._run(), name=f"cadence-listen-{self._channel}")
        await self._ready.wait()

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def _deliver(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            self._callback(payload)
        except Exception:
            log.exception("Listener of %s failed on %r", self._channel, payload)

    async def _run(self) -> None:
        while True:
            conn: Any = None
            try:
                conn = await self._connect()
                lost = asyncio.Event()
                conn.add_termination_listener(_setter(lost))
                await conn.add_listener(self._channel, self._deliver)
                self.connections += 1
                self.connection = conn
                self._ready.set()
                while not lost.is_set():
                    try:
                        await asyncio.wait_for(lost.wait(), timeout=CHECK_EVERY)
                    except TimeoutError:
                        await asyncio.wait_for(conn.fetchval("SELECT 1"), timeout=CHECK_EVERY)
                log.warning("LISTEN %s: connection lost; reconnecting", self._channel)
            except asyncio.CancelledError:
                if conn is not None and not conn.is_closed():
                    conn.terminate()
                raise
            except Exception as error:
                log.warning("LISTEN %s failed (%s); retrying", self._channel, error)
                self._ready.set()
            if conn is not None and not conn.is_closed():
                conn.terminate()
            await asyncio.sleep(RETRY_AFTER)


def _setter(event: asyncio.Event) -> Callable[[Any], None]:
    """A termination callback that sets ``event`` (bound now, not when called)."""
    return lambda _conn: event.set()
