"""Emulation of Discord's rate limits, with the real headers and 429 answers.

On by default, as on Discord (``fd.settings.rate_limits = False`` turns it off, for a test
that says why). Buckets are keyed by method,
route template and the route's major parameter (channel, guild or webhook id), as Discord's are:

* message creates, per channel: ``settings.message_rate_limit`` (Discord: 5 per 5 s);
* message deletes, per channel: ``settings.delete_rate_limit``;
* anything else, per route and major id: ``settings.route_rate_limit``;
* every request together: ``settings.global_rate_limit`` per second (429 with ``global: true``).

Interaction callbacks do not count against the global limit (as on Discord); each
interaction has its own bucket, so they carry the headers but are never refused in practice.
The limits are read at every request, so a test may change them at any time
(:meth:`RateLimiter.reset` forgets what was counted so far).

Each bucket is a sliding log: a request is accepted only while fewer than ``count`` accepted
requests of its bucket lie in the last ``seconds``, so no window of that length ever holds
more. The headers tell a client all it needs never to be refused: ``X-RateLimit-Remaining`` is
what is left now, ``X-RateLimit-Reset-After`` (and the epoch ``X-RateLimit-Reset``) is when the
bucket is whole again, i.e. when the newest accepted request leaves the window. discord.py
waits that long when Remaining reaches 0 and then assumes the whole limit is back, which is
then true. Times are rounded up to the millisecond, so a client that obeys them is never early.

A 429 carries ``Via`` (discord.py only retries a 429 that has it), ``Retry-After`` (whole
seconds), ``X-RateLimit-Scope`` (``user`` or ``global``; ``X-RateLimit-Global: true`` for the
global limit) and the JSON body ``{"message", "code": 0, "retry_after", "global"}``, where
``retry_after`` is when the oldest request leaves the window, so that one request fits again.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import deque
from dataclasses import dataclass, field

from fakediscord.clock import EmulatorClock
from fakediscord.errors import DiscordError
from fakediscord.settings import EmulatorSettings

_MAJOR = re.compile(r"^/(channels|guilds|webhooks|interactions)/(\d+)")
_ID = re.compile(r"/\d+")
_TOKEN = re.compile(r"^(/(?:webhooks|interactions)/\{id\})/[^/]+")
RATE_LIMITED = "You are being rate limited."


def _ceil_ms(seconds: float) -> float:
    # Epoch floats carry about 0.2 µs of noise; forgive 1 µs of it before rounding up.
    return max(0.0, math.ceil(seconds * 1000 - 0.001) / 1000)


@dataclass
class _Bucket:
    """The accepted requests of one bucket that still lie inside its window."""

    limit: int
    per: float
    accepted: deque[float] = field(default_factory=deque)

    def expire(self, now: float) -> None:
        while self.accepted and self.accepted[0] <= now - self.per:
            self.accepted.popleft()

    @property
    def remaining(self) -> int:
        return max(0, self.limit - len(self.accepted))

    def retry_after(self, now: float) -> float:
        """Seconds until one more request fits (0 when one fits now)."""
        if self.remaining > 0 or not self.accepted:
            return 0.0
        # The request that must leave before one more fits.
        oldest_needed = self.accepted[len(self.accepted) - self.limit]
        return oldest_needed + self.per - now

    def reset_after(self, now: float) -> float:
        """Seconds until the bucket is whole again."""
        return self.accepted[-1] + self.per - now if self.accepted else 0.0


class RateLimiter:
    """Sliding-log buckets; :meth:`check` returns the headers or raises the 429."""

    def __init__(self, clock: EmulatorClock, settings: EmulatorSettings) -> None:
        self._clock = clock
        self._settings = settings
        self._buckets: dict[str, _Bucket] = {}
        self._global = _Bucket(settings.global_rate_limit, 1.0)
        #: How many requests were answered 429 (all scopes).
        self.limited = 0
        #: How many of them hit the global limit.
        self.limited_global = 0
        #: When each accepted request arrived, from every connection and process together.
        self.accepted_at: list[float] = []

    def reset(self) -> None:
        """Forget every bucket and the counts (e.g. after changing the settings)."""
        self._buckets.clear()
        self._global = _Bucket(self._settings.global_rate_limit, 1.0)
        self.limited = 0
        self.limited_global = 0
        self.accepted_at = []

    def peak(self, window: float = 1.0) -> int:
        """The most requests accepted in any ``window`` seconds (all clients together)."""
        times = sorted(self.accepted_at)
        best, start = 0, 0
        for end, instant in enumerate(times):
            while instant - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    def _limits(self, method: str, template: str) -> tuple[int, float]:
        if method == "POST" and template.endswith("/messages"):
            count, per = self._settings.message_rate_limit
        elif method == "DELETE" and "/messages/" in template:
            count, per = self._settings.delete_rate_limit
        else:
            count, per = self._settings.route_rate_limit
        return int(count), float(per)

    @staticmethod
    def template(route: str) -> str:
        """The route with ids (and webhook tokens) replaced, e.g. ``/channels/{id}/messages``."""
        return _TOKEN.sub(r"\1/{token}", _ID.sub("/{id}", route))

    @classmethod
    def bucket_key(cls, method: str, route: str) -> str:
        """The bucket a request counts against: method, template and major id."""
        major = _MAJOR.match(route)
        return f"{method.upper()} {cls.template(route)} {major.group(2) if major else ''}"

    def check(self, method: str, route: str, now: float | None = None) -> dict[str, str]:
        """Count a request at ``now`` (the emulator's clock by default).

        Returns the ``X-RateLimit-*`` headers for its answer, or raises the 429
        (:class:`DiscordError`) when its bucket or the global limit is spent; a refused
        request counts against nothing.
        """
        now = self._clock.now() if now is None else now
        method = method.upper()
        template = self.template(route)
        key = self.bucket_key(method, route)
        limit, per = self._limits(method, template)
        bucket = self._buckets.setdefault(key, _Bucket(limit, per))
        bucket.limit, bucket.per = limit, per
        self._global.limit = self._settings.global_rate_limit
        bucket_hash = hashlib.sha1(f"{method} {template}".encode()).hexdigest()[:16]
        callback = route.startswith("/interactions/")
        checked = ((bucket, False),) if callback else ((self._global, True), (bucket, False))
        for current, is_global in checked:
            current.expire(now)
            if current.remaining <= 0:
                self.limited += 1
                self.limited_global += int(is_global)
                raise self._too_many(current, now, bucket_hash, is_global)
        bucket.accepted.append(now)
        if callback:
            return self._headers(bucket, now, bucket_hash)
        self._global.accepted.append(now)
        self.accepted_at.append(now)
        return self._headers(bucket, now, bucket_hash)

    @staticmethod
    def _headers(bucket: _Bucket, now: float, bucket_hash: str) -> dict[str, str]:
        reset_after = _ceil_ms(bucket.reset_after(now))
        return {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(bucket.remaining),
            "X-RateLimit-Reset": f"{now + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash,
        }

    def _too_many(
        self, bucket: _Bucket, now: float, bucket_hash: str, is_global: bool
    ) -> DiscordError:
        retry_after = max(0.001, _ceil_ms(bucket.retry_after(now)))
        headers = {} if is_global else self._headers(bucket, now, bucket_hash)
        headers.update(
            {
                "Via": "1.1 google",
                "Retry-After": str(math.ceil(retry_after)),
                "X-RateLimit-Scope": "global" if is_global else "user",
            }
        )
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        extra = {"retry_after": retry_after, "global": is_global}
        return DiscordError(429, 0, RATE_LIMITED, headers=headers, extra=extra)
