"""Optional emulation of Discord's per-route rate limits, with the real headers.

Off by default (``fd.settings.rate_limits = True`` turns it on). Buckets are keyed by method,
route template and the route's major parameter (channel, guild or webhook id), with fixed
windows: message creates per channel as ``settings.message_rate_limit`` (Discord: 5 per 5 s),
5 deletes per second, 50 of anything else per second, and ``settings.global_rate_limit``
requests per second overall. Interaction callbacks are not limited.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass

from fakediscord.clock import EmulatorClock
from fakediscord.errors import DiscordError
from fakediscord.settings import EmulatorSettings

_MAJOR = re.compile(r"^/(channels|guilds|webhooks)/(\d+)")
_ID = re.compile(r"/\d+")


@dataclass
class _Window:
    limit: int
    per: float
    reset_at: float = 0.0
    remaining: int = 0


class RateLimiter:
    """Fixed-window buckets; :meth:`check` returns headers or raises the 429."""

    def __init__(self, clock: EmulatorClock, settings: EmulatorSettings) -> None:
        self._clock = clock
        self._settings = settings
        self._buckets: dict[str, _Window] = {}
        self._global = _Window(settings.global_rate_limit, 1.0)
        #: How many requests were answered 429.
        self.limited = 0

    def reset(self) -> None:
        """Forget every bucket (after changing the settings)."""
        self._buckets.clear()
        self._global = _Window(self._settings.global_rate_limit, 1.0)

    def _limits(self, method: str, template: str) -> tuple[int, float]:
        if method == "POST" and template.endswith("/messages"):
            count, per = self._settings.message_rate_limit
            return int(count), float(per)
        if method == "DELETE" and "/messages/" in template:
            return 5, 1.0
        return 50, 1.0

    def check(self, method: str, route: str) -> dict[str, str]:
        """Count a request; raise 429 when its bucket (or the global limit) is spent."""
        if route.startswith("/interactions/"):
            return {}
        now = self._clock.now()
        major = _MAJOR.match(route)
        template = _ID.sub("/{id}", route)
        key = f"{method} {template} {major.group(2) if major else ''}"
        limit, per = self._limits(method, template)
        window = self._buckets.setdefault(key, _Window(limit, per))
        bucket_hash = hashlib.sha1(f"{method} {template}".encode()).hexdigest()[:16]
        for current, is_global in ((self._global, True), (window, False)):
            if now >= current.reset_at:
                current.reset_at = now + current.per
                current.remaining = current.limit
            if current.remaining <= 0:
                self.limited += 1
                raise self._too_many(current, now, bucket_hash, is_global)
        self._global.remaining -= 1
        window.remaining -= 1
        return self._headers(window, now, bucket_hash)

    @staticmethod
    def _headers(window: _Window, now: float, bucket: str) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(window.remaining),
            "X-RateLimit-Reset": f"{window.reset_at:.3f}",
            "X-RateLimit-Reset-After": f"{max(0.0, window.reset_at - now):.3f}",
            "X-RateLimit-Bucket": bucket,
        }

    def _too_many(self, window: _Window, now: float, bucket: str, is_global: bool) -> DiscordError:
        retry_after = max(0.001, window.reset_at - now)
        headers = self._headers(window, now, bucket)
        headers.update(
            {
                "Via": "1.1 google",
                "Retry-After": str(math.ceil(retry_after)),
                "X-RateLimit-Scope": "global" if is_global else "user",
            }
        )
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        extra = {"retry_after": round(retry_after, 3), "global": is_global}
        return DiscordError(429, 0, "You are being rate limited.", headers=headers, extra=extra)
