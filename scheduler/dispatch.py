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

    Taking turns is not enough when one key's items sit in their handler for long (posts
    waiting out Discord's rate limit for their channel): they would hold every worker, and
    another key's item would wait for one to come free. So `reserved_for_idle` more workers
    serve only keys with nothing in flight: a key's first item starts at once while fewer
    than that many keys are stuck, and at most `concurrency + reserved_for_idle` items run.
    """

    def __init__(
        self,
        handler: Callable[[T], Awaitable[None]],
        *,
        concurrency: int = 16,
        reserved_for_idle: int = 0,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if reserved_for_idle < 0:
            raise ValueError("reserved_for_idle cannot be negative")
        self._handler = handler
        self._concurrency = concurrency
        self._reserved = reserved_for_idle
        self._running = 0
        self._in_flight: dict[Hashable, int] = {}
        self._queues: OrderedDict[Hashable, deque[T]] = OrderedDict()
        self._ready = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._pending = 0
        self._workers: list[asyncio.Task[None]] = []
        self._closing = False
        self._quiet = asyncio.Event()  # set while no handler is running
        self._quiet.set()

    @property
    def pending(self) -> int:
        """Items submitted and not yet finished."""
        return self._pending

    @property
    def running(self) -> int:
        """Items in their handler right now."""
        return self._running

    def start(self) -> None:
        if self._workers:
            return
        self._workers = [
            asyncio.create_task(self._work(), name=f"cadence-dispatch-{n}")
            for n in range(self._concurrency + self._reserved)
        ]

    async def stop(self, grace: float = 0.0) -> None:
        """Stop: start nothing new, give running handlers `grace` seconds, then cancel them.

        Items still queued stay unrun (their run rows say so, and recovery at the next start
        picks them up), as does a handler cancelled mid-way.
        """
        self._closing = True
        self._ready.set()
        if grace > 0 and self._running:
            try:
                await asyncio.wait_for(self._quiet.wait(), grace)
            except TimeoutError:
                log.warning("%d run(s) still in flight at shutdown; cancelling them", self._running)
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

    def _next(self) -> tuple[Hashable, T] | None:
        """The next key's next item, if a worker may take one now."""
        if not self._queues or self._closing:
            return None
        key: Hashable
        if self._running < self._concurrency:
            key = next(iter(self._queues))
        elif self._running < self._concurrency + self._reserved:
            for candidate in self._queues:  # in turn order, the first key with none running
                if candidate not in self._in_flight:
                    key = candidate
                    break
            else:
                return None
        else:
            return None
        queue = self._queues[key]
        item = queue.popleft()
        if queue:
            self._queues.move_to_end(key)
        else:
            del self._queues[key]
        return key, item

    async def _work(self) -> None:
        while True:
            picked = self._next()
            if picked is None:
                self._ready.clear()
                await self._ready.wait()
                continue
            key, item = picked
            self._running += 1
            self._quiet.clear()
            self._in_flight[key] = self._in_flight.get(key, 0) + 1
            try:
                await self._handler(item)
            except asyncio.CancelledError:
                raise
            except Exception:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    # Cancelled, and the handler's clean-up raised something else on the
                    # way out: this worker is being stopped, it must not carry on.
                    log.warning("A run raised while being cancelled", exc_info=True)
                    raise asyncio.CancelledError from None
                log.exception("A scheduled run raised; the scheduler carries on")
            finally:
                self._running -= 1
                if self._running == 0:
                    self._quiet.set()
                if self._in_flight[key] > 1:
                    self._in_flight[key] -= 1
                else:
                    del self._in_flight[key]
                self._pending -= 1
                if self._pending == 0:
                    self._idle.set()
            # This worker looks for the next item itself: what its finished item made
            # possible (a free slot, a key with none running) it can take as well as any.
