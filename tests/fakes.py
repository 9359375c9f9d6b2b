"""Recording stand-ins for the engine's outside world (the Discord side is tested elsewhere)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from scheduler.protocols import Delivery, Notice

Fault = Callable[[Delivery], Exception | None]


@dataclass
class RecordingDeliverer:
    """Records every delivery; `faults` may turn a delivery into a raised error.

    Like Discord with `enforce_nonce`, a delivery whose nonce was seen before returns the
    first message id instead of posting again; `posts` holds what was really posted.
    """

    faults: list[Fault] = field(default_factory=list)
    calls: list[Delivery] = field(default_factory=list)
    posts: list[Delivery] = field(default_factory=list)
    delay: float = 0.0
    _by_nonce: dict[str, int] = field(default_factory=dict)
    _next_id: int = 1000

    async def deliver(self, delivery: Delivery) -> int:
        self.calls.append(delivery)
        if self.delay:
            await asyncio.sleep(self.delay)
        for fault in self.faults:
            error = fault(delivery)
            if error is not None:
                raise error
        if delivery.nonce is not None and delivery.nonce in self._by_nonce:
            return self._by_nonce[delivery.nonce]
        self._next_id += 1
        if delivery.nonce is not None:
            self._by_nonce[delivery.nonce] = self._next_id
        self.posts.append(delivery)
        return self._next_id

    def posted(self, task_id: int) -> list[Delivery]:
        return [d for d in self.posts if d.task_id == task_id]


@dataclass
class RecordingAlerter:
    """Records notices; guilds in `without_channel` answer False (kept unread)."""

    sent: list[Notice] = field(default_factory=list)
    without_channel: set[int | None] = field(default_factory=set)

    async def send(self, notice: Notice) -> bool:
        if notice.guild_id in self.without_channel:
            return False
        self.sent.append(notice)
        return True

    def kinds(self) -> list[str]:
        return [n.kind for n in self.sent]

    def for_guild(self, guild_id: int | None) -> list[Notice]:
        return [n for n in self.sent if n.guild_id == guild_id]
