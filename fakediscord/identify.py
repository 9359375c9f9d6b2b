"""Discord's limits on starting gateway sessions, shared by every connection of the bot token.

Two limits apply to IDENTIFY (not to RESUME), whichever process or socket sends it:

* **max_concurrency**: shards are grouped by their rate-limit key ``shard_id %
  max_concurrency``; each key admits one IDENTIFY per ``identify_interval`` seconds (5 s on
  Discord). A client that identifies too early is answered op 9 INVALID_SESSION ``d: false``
  (the gateway "could not initialize a session"), and must wait and identify again.
* **session start limit**: ``session_start_total`` IDENTIFYs per day. Past it Discord resets
  the bot's token, so the socket is closed with 4004 (authentication failed).

``GET /gateway/bot`` reports the same figures (``session_start_limit``), so a client that reads
them and obeys them is never refused. IDENTIFYs are always counted; they are refused only with
``settings.identify_limits`` on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fakediscord.clock import EmulatorClock
from fakediscord.settings import EmulatorSettings

DAY_SECONDS = 86_400.0


class IdentifyRefused(Exception):
    """An IDENTIFY the limits do not admit; ``fatal`` means the start limit is spent."""

    def __init__(self, reason: str, *, fatal: bool) -> None:
        super().__init__(reason)
        self.fatal = fatal


@dataclass
class IdentifyLimiter:
    """Counts IDENTIFYs per rate-limit key and per day; :meth:`admit` refuses the excess."""

    clock: EmulatorClock
    settings: EmulatorSettings
    #: rate-limit key -> when its last admitted IDENTIFY arrived (emulator seconds)
    last_by_key: dict[int, float] = field(default_factory=dict)
    #: every admitted IDENTIFY as (emulator seconds, shard id or None)
    admitted: list[tuple[float, int | None]] = field(default_factory=list)
    #: IDENTIFYs refused for coming too early (op 9)
    refused: int = 0
    _day_started: float | None = None
    _started_today: int = 0

    def key(self, shard_id: int | None) -> int:
        """The rate-limit key of ``shard_id`` (an unsharded session is shard 0)."""
        return (shard_id or 0) % max(1, self.settings.max_concurrency)

    def admit(self, shard_id: int | None) -> None:
        """Count an IDENTIFY of ``shard_id`` now, or raise :class:`IdentifyRefused`."""
        now = self.clock.now()
        self._roll_day(now)
        key = self.key(shard_id)
        if self.settings.identify_limits:
            if self._started_today >= self.settings.session_start_total:
                raise IdentifyRefused("session start limit reached", fatal=True)
            last = self.last_by_key.get(key)
            if last is not None and now - last < self.settings.identify_interval:
                self.refused += 1
                raise IdentifyRefused(f"identify rate limit of key {key}", fatal=False)
        self.last_by_key[key] = now
        self._started_today += 1
        self.admitted.append((now, shard_id))

    def session_start_limit(self) -> dict[str, int]:
        """The ``session_start_limit`` object of ``GET /gateway/bot``."""
        now = self.clock.now()
        self._roll_day(now)
        started = self._day_started if self._day_started is not None else now
        return {
            "total": self.settings.session_start_total,
            "remaining": max(0, self.settings.session_start_total - self._started_today),
            "reset_after": int(max(0.0, started + DAY_SECONDS - now) * 1000),
            "max_concurrency": self.settings.max_concurrency,
        }

    def _roll_day(self, now: float) -> None:
        if self._day_started is None or now - self._day_started >= DAY_SECONDS:
            self._day_started = now
            self._started_today = 0
