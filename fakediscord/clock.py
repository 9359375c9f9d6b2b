"""The emulator's clock: real time plus an offset that tests can advance."""

from __future__ import annotations

import datetime as dt
import time

DISCORD_EPOCH_MS = 1_420_070_400_000


class EmulatorClock:
    """Wall-clock seconds since the Unix epoch, shifted by :meth:`advance`.

    Everything in the emulator that depends on time (message timestamps, snowflakes, the
    interaction deadline, the nonce window, token lifetimes) reads this clock, so a test can
    jump past a deadline without sleeping.
    """

    def __init__(self, offset: float = 0.0) -> None:
        self._offset = offset

    def now(self) -> float:
        """Seconds since the Unix epoch, as the emulator sees them."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the emulator's time forward (never backward)."""
        if seconds < 0:
            raise ValueError("the emulator's clock only moves forward")
        self._offset += seconds

    def iso(self, instant: float | None = None) -> str:
        """An ISO 8601 UTC timestamp as Discord sends (``2026-01-02T03:04:05.678000+00:00``)."""
        value = self.now() if instant is None else instant
        return iso_timestamp(value)


def iso_timestamp(instant: float) -> str:
    """Format epoch seconds as Discord's ISO 8601 timestamp."""
    return dt.datetime.fromtimestamp(instant, tz=dt.UTC).isoformat()


class SnowflakeGenerator:
    """Discord-style snowflakes: milliseconds since 2015 in the top bits, strictly increasing."""

    def __init__(self, clock: EmulatorClock, worker: int = 1) -> None:
        self._clock = clock
        self._worker = worker & 0x1F
        self._increment = 0
        self._last = 0

    def next(self) -> int:
        """A new id, greater than every id returned before."""
        millis = int(self._clock.now() * 1000) - DISCORD_EPOCH_MS
        self._increment = (self._increment + 1) & 0xFFF
        candidate = (millis << 22) | (self._worker << 17) | self._increment
        if candidate <= self._last:
            candidate = self._last + 1
        self._last = candidate
        return candidate

    def next_on_shard(self, shard_id: int, shard_count: int) -> int:
        """A new id whose guild Discord routes to ``shard_id`` of ``shard_count`` (its
        timestamp, ``id >> 22``, is moved up to ``shard_count - 1`` ms into the future)."""
        candidate = self.next()
        stamp = candidate >> 22
        stamp += (shard_id - stamp) % shard_count
        candidate = (stamp << 22) | (candidate & ((1 << 22) - 1))
        self._last = max(self._last, candidate)
        return candidate

    @property
    def last(self) -> int:
        """The most recent id handed out (0 before the first)."""
        return self._last


def snowflake_time(snowflake: int) -> float:
    """Epoch seconds encoded in a snowflake."""
    return ((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000
