"""Faults a test can inject into REST answers: 429s, 5xx, 403/404, slow responses."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fakediscord.errors import DiscordError

_MESSAGES = {
    403: "Missing Permissions",
    404: "Unknown Channel",
    429: "You are being rate limited.",
    500: "500: Internal Server Error",
    502: "502: Bad Gateway",
    503: "503: Service Unavailable",
    504: "504: Gateway Timeout",
}


@dataclass
class Fault:
    """One injected fault; ``times`` None means it never wears out."""

    pattern: re.Pattern[str]
    method: str | None
    status: int | None
    code: int
    message: str
    times: int | None
    delay: float
    retry_after: float
    is_global: bool
    hits: int = 0

    def matches(self, method: str, route: str) -> bool:
        """True when this fault applies to the request and is not worn out."""
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method is not None and self.method != method.upper():
            return False
        return self.pattern.search(route) is not None

    def error(self) -> DiscordError | None:
        """The error to answer with (None for a slow-but-successful response)."""
        if not self.status:
            return None
        if self.status == 429:
            headers = {
                "Via": "1.1 google",
                "Retry-After": str(max(1, round(self.retry_after))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": str(self.retry_after),
                "X-RateLimit-Bucket": "fakediscord-fault",
                "X-RateLimit-Scope": "global" if self.is_global else "user",
            }
            if self.is_global:
                headers["X-RateLimit-Global"] = "true"
            extra = {"retry_after": self.retry_after, "global": self.is_global}
            return DiscordError(429, 0, self.message, headers=headers, extra=extra)
        return DiscordError(self.status, self.code, self.message)


class FaultInjector:
    """The list of active faults, consulted by the REST middleware for every request."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(
        self,
        path: str = ".*",
        *,
        method: str | None = None,
        status: int | None = 500,
        code: int = 0,
        message: str | None = None,
        times: int | None = 1,
        delay: float = 0.0,
        retry_after: float = 0.5,
        is_global: bool = False,
    ) -> Fault:
        """Inject a fault for requests whose route (after ``/api/v10``) matches ``path``.

        Parameters
        ----------
        path:
            A regular expression searched in the route, e.g. ``r"/channels/\\d+/messages$"``.
        method:
            Only this HTTP method (any when None).
        status:
            The status to answer (429, 403, 404, 500, ...); None for only a ``delay``.
        code:
            Discord's JSON error code (e.g. 50013, 10003).
        times:
            How many requests it hits; None for every one until :meth:`clear`.
        delay:
            Seconds to wait before answering.
        retry_after:
            The ``retry_after`` of a 429.
        """
        fault = Fault(
            pattern=re.compile(path),
            method=method.upper() if method else None,
            status=status,
            code=code,
            message=message or _MESSAGES.get(status or 0, "Error"),
            times=times,
            delay=delay,
            retry_after=retry_after,
            is_global=is_global,
        )
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every fault."""
        self.faults.clear()

    def take(self, method: str, route: str) -> Fault | None:
        """The first fault that applies (its use is counted)."""
        for fault in self.faults:
            if fault.matches(method, route):
                fault.hits += 1
                return fault
        return None
