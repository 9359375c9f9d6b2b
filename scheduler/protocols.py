"""What the engine needs from the outside world, as small Protocols (no discord here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from storage import NO_MENTIONS, Destination, Mentions, NoticeLevel, Variant


class DeliveryError(Exception):
    """Sending a task's message failed; `reason` is fit to show an admin."""

    def __init__(self, reason: str, *, code: int | None = None, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.status = status


class TransientDeliveryError(DeliveryError):
    """Worth retrying with the same nonce: 5xx, time-outs, dropped connections."""


class PermanentDeliveryError(DeliveryError):
    """Retrying will not help (403, 404, invalid body).

    `pause_now` is true when the destination is gone (Unknown Channel 10003, Unknown Webhook
    10015): the task is paused at once instead of after several failed runs. `fix` tells the
    admin what to do about it.
    """

    def __init__(
        self,
        reason: str,
        *,
        code: int | None = None,
        status: int | None = None,
        pause_now: bool = False,
        fix: str = "",
    ) -> None:
        super().__init__(reason, code=code, status=status)
        self.pause_now = pause_now
        self.fix = fix


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message to one destination for one run."""

    task_id: int
    guild_id: int | None
    task_name: str
    scheduled_for: datetime
    destination: Destination
    message: Variant
    nonce: str | None
    allowed_mentions: Mentions = NO_MENTIONS
    created_by: int | None = None
    attempt: int = 1


class Deliverer(Protocol):
    """Posts a task's message somewhere; returns the id of the message Discord kept.

    Raises `TransientDeliveryError` or `PermanentDeliveryError`; anything else is treated as
    a permanent failure of that destination for that run.
    """

    async def deliver(self, delivery: Delivery) -> int: ...


@dataclass(frozen=True, slots=True)
class Notice:
    """A message for a dev or alert channel. `guild_id` None means the operator's channel."""

    guild_id: int | None
    level: NoticeLevel
    kind: str
    title: str
    body: str
    fields: tuple[tuple[str, str], ...] = ()
    task_id: int | None = None
    alert_channel: bool = False
    color: int | None = None


class Alerter(Protocol):
    """Sends notices; returns False when the guild has no channel for them (kept unread)."""

    async def send(self, notice: Notice) -> bool: ...
