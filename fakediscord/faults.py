"""Faults a test can inject into REST answers: errors, latency, lost and held answers.

A fault applies to the next ``times`` requests whose method and route match. Each matching
request goes through, in order:

1. ``delay``: it spends that long "on the wire" before Discord sees it. If the client hangs up
   meanwhile (it crashed or was killed), Discord never sees it: nothing is created and the
   record says ``dropped``. :meth:`Fault.release` ends the delay early.
2. ``status``: it is answered with that error (429, 500, 502, 503, 403, 404, ...) in Discord's
   JSON shape, *without* being handled, unless ``processed`` is set: then it is handled
   first (the message is created) and the error replaces the real answer, as when a proxy
   loses Discord's answer on the way back.
3. ``hold``: the answer (real or error) is held back after the request was handled, until
   :meth:`Fault.release` (``hold=True``) or for at most that many seconds. The work is done
   (the message exists, MESSAGE_CREATE went out), only the client does not know it yet: the
   moment to kill a bot "while a send's answer is held".

:meth:`Fault.wait_held` and :meth:`Fault.wait_delayed` let a test wait until that many
requests are held or on the wire. :meth:`FaultInjector.clear` removes every fault and lets
everything held or delayed go.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fakediscord.errors import DiscordError

_MESSAGES = {
    400: "400: Bad Request",
    401: "401: Unauthorized",
    403: "Missing Permissions",
    404: "Unknown Channel",
    429: "You are being rate limited.",
    500: "500: Internal Server Error",
    502: "502: Bad Gateway",
    503: "503: Service Unavailable",
    504: "504: Gateway Timeout",
}


@dataclass(eq=False)
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
    hold: bool | float = False
    processed: bool = False
    #: Requests it applied to so far.
    hits: int = 0
    #: Requests dropped because their client hung up while they were on the wire.
    dropped: int = 0
    #: Requests on the wire (delayed) right now.
    delayed: int = 0
    #: Answers held right now.
    held: int = 0
    #: Answers that were held and then sent (released or timed out).
    released: int = 0
    _gate: asyncio.Event = field(default_factory=asyncio.Event, repr=False, init=False)
    _changed: asyncio.Event = field(default_factory=asyncio.Event, repr=False, init=False)

    def matches(self, method: str, route: str) -> bool:
        """True when this fault applies to the request and is not worn out."""
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method is not None and self.method != method.upper():
            return False
        return self.pattern.search(route) is not None

    @property
    def holds(self) -> bool:
        return self.hold is True or (not isinstance(self.hold, bool) and self.hold > 0)

    @property
    def answers_before_handling(self) -> bool:
        """True when the error is answered instead of handling the request."""
        return bool(self.status) and not self.processed

    def error(self) -> DiscordError | None:
        """The error to answer with (None when the real answer goes out)."""
        if not self.status:
            return None
        if self.status == 429:
            headers = {
                "Via": "1.1 google",
                "Retry-After": str(max(1, math.ceil(self.retry_after))),
                "X-RateLimit-Scope": "global" if self.is_global else "user",
            }
            if self.is_global:
                headers["X-RateLimit-Global"] = "true"
            else:
                headers.update(
                    {
                        "X-RateLimit-Limit": "5",
                        "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset": f"{time.time() + self.retry_after:.3f}",
                        "X-RateLimit-Reset-After": f"{self.retry_after:.3f}",
                        "X-RateLimit-Bucket": "fakediscord-fault",
                    }
                )
            extra = {"retry_after": self.retry_after, "global": self.is_global}
            return DiscordError(429, 0, self.message, headers=headers, extra=extra)
        return DiscordError(self.status, self.code, self.message)

    def release(self) -> None:
        """Let every answer held and every request delayed by this fault go now.

        Requests that match later are held or delayed again (until :meth:`remove` or
        :meth:`FaultInjector.clear`, or until the fault wears out).
        """
        gate, self._gate = self._gate, asyncio.Event()
        gate.set()

    async def wait_held(self, count: int = 1, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until at least ``count`` answers are held at once."""
        await self._wait(lambda: self.held >= count, timeout, f"{count} held answer(s)")

    async def wait_delayed(self, count: int = 1, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until at least ``count`` requests are on the wire (delayed) at once."""
        await self._wait(lambda: self.delayed >= count, timeout, f"{count} delayed request(s)")

    async def _wait(self, condition: Callable[[], bool], within: float, what: str) -> None:
        try:
            async with asyncio.timeout(within):
                while not condition():
                    await self._changed.wait()
        except TimeoutError:
            raise TimeoutError(f"fault {self.pattern.pattern!r}: no {what} in {within} s") from None

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _wait_gate(self, seconds: float | None) -> None:
        gate = self._gate
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(gate.wait(), seconds)

    async def on_the_wire(self, client_gone: Callable[[], bool]) -> bool:
        """Apply ``delay``; False when the client hung up meanwhile (drop the request)."""
        self.delayed += 1
        self._notify()
        try:
            await self._wait_gate(self.delay)
        finally:
            self.delayed -= 1
            self._notify()
        if client_gone():
            self.dropped += 1
            return False
        return True

    async def hold_answer(self) -> None:
        """Hold an answer until released (or for ``hold`` seconds)."""
        self.held += 1
        self._notify()
        try:
            await self._wait_gate(None if self.hold is True else float(self.hold))
        finally:
            self.held -= 1
            self.released += 1
            self._notify()


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
        hold: bool | float = False,
        processed: bool = False,
    ) -> Fault:
        """Inject a fault for requests whose route (after ``/api/v10``) matches ``path``.

        Parameters
        ----------
        path:
            A regular expression searched in the route, e.g. ``r"/channels/\\d+/messages$"``.
        method:
            Only this HTTP method (any when None).
        status:
            The error to answer (429, 500, 502, 503, 403, 404, ...); None for the real answer
            (with only a ``delay`` or a ``hold``).
        code:
            Discord's JSON error code (e.g. 50013, 10003).
        message:
            The error's message (a default per status otherwise).
        times:
            How many requests it applies to; None for every one until removed.
        delay:
            Seconds on the wire before Discord sees the request (latency). A request whose
            client hangs up meanwhile is dropped unhandled.
        retry_after:
            The ``retry_after`` of a 429.
        is_global:
            A 429 for the global limit (``global: true``, ``X-RateLimit-Global``).
        hold:
            Hold the answer after handling the request: True until :meth:`Fault.release`,
            a number of seconds at most.
        processed:
            With a ``status``: handle the request first, then answer the error instead.

        Faults are tried in the order they were added; the first that matches applies.
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
            hold=hold,
            processed=processed,
        )
        self.faults.append(fault)
        return fault

    def remove(self, fault: Fault) -> None:
        """Remove one fault and let what it holds or delays go."""
        if fault in self.faults:
            self.faults.remove(fault)
        fault.release()

    def release_all(self) -> None:
        """Let every held answer and delayed request go; the faults stay."""
        for fault in self.faults:
            fault.release()

    def clear(self) -> None:
        """Remove every fault and let everything held or delayed go."""
        faults, self.faults = self.faults, []
        for fault in faults:
            fault.release()

    def take(self, method: str, route: str) -> Fault | None:
        """The first fault that applies (its use is counted)."""
        for fault in self.faults:
            if fault.matches(method, route):
                fault.hits += 1
                return fault
        return None
