"""Fair dispatch: one queue per guild, served round-robin by a bounded pool of workers."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class FairDispatcher(Generic[T]):
    """Runs `handler(item)` for submitted items, at most `concurrency` at a time.

    Items are queued per key (a guild id) and keys take turns, so 500 items of one guild
    cannot hold back another guild's single item. A handler that raises is logged and the
    workers carry on.
    """

    def __init__(self, handler: Callable[[T], Awaitable[None]], *, concurrency: int = 16) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._handler = handler
        self._concurrency = concurrency
        self._queues: OrderedDict[Hashable, deque[T]] = OrderedDict()
        self._ready = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._pending = 0
        self._workers: list[asyncio.Task[None]] = []

    @property
    def pending(self) -> int:
        """Items submitted and not yet finished."""
        return self._pending

    def start(self) -> None:
        if self._workers:
            return
        self._workers = [
            asyncio.create_task(self._work(), name=f"cadence-dispatch-{n}")
            for n in range(self._concurrency)
        ]

    async def stop(self) -> None:
        """Cancel the workers; items still queued stay unrun (their run rows say so)."""
        workers, self._workers = self._workers, []
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)

    def submit(self, key: Hashable, item: T) -> None:
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
        queue.append(item)
        self._pending += 1
        self._idle.clear()
        self._ready.set()

    async def join(self) -> None:
        """Wait until every submitted item has been handled."""
        await self._idle.wait()

    def _next(self) -> T | None:
        if not self._queues:
            return None
        key, queue = next(iter(self._queues.items()))
        item = queue.popleft()
        if queue:
            self._queues.move_to_end(key)
        else:
            del self._queues[key]
        return item

    async def _work(self) -> None:
        while True:
            item = self._next()
            if item is None:
                self._ready.clear()
                await self._ready.wait()
                continue
            try:
                await self._handler(item)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("A scheduled run raised; the scheduler carries on")
            finally:
                self._pending -= 1
                if self._pending == 0:
                    self._idle.set()
