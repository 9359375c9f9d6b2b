"""The global request pacer: never more than the limit in any window, interactions exempt."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from cogs.pacing import SlidingWindowPacer, pace_sends


async def test_no_window_ever_holds_more_than_the_limit() -> None:
    pacer = SlidingWindowPacer(5, 0.2)
    stamps: list[float] = []

    async def one() -> None:
        await pacer.acquire()
        stamps.append(time.monotonic())

    started = time.monotonic()
    await asyncio.gather(*(one() for _ in range(15)))
    assert len(stamps) == 15
    stamps.sort()
    for i in range(len(stamps) - 5):
        assert stamps[i + 5] - stamps[i] >= 0.2 - 1e-3  # the 6th after any one: a window later
    assert stamps[-1] - started >= 0.4 - 1e-3  # 15 at 5 per 0.2 s: two windows waited
    assert pacer.pauses >= 2 and pacer.paused_seconds >= 0.4 - 1e-3


async def test_the_first_limit_go_at_once() -> None:
    pacer = SlidingWindowPacer(50, 1.0)
    started = time.monotonic()
    for _ in range(50):
        await pacer.acquire()
    assert time.monotonic() - started < 0.5
    assert pacer.pauses == 0


def test_a_pacer_needs_a_limit_and_a_window() -> None:
    with pytest.raises(ValueError):
        SlidingWindowPacer(0, 1.0)
    with pytest.raises(ValueError):
        SlidingWindowPacer(5, 0)


@contextlib.asynccontextmanager
async def paced_session(
    pacer: SlidingWindowPacer, on_wait: Any = None
) -> AsyncIterator[tuple[aiohttp.ClientSession, str, list[str]]]:
    """A real aiohttp server that records each request's path as it arrives, and a session
    paced as discord.py's is (through its `http_trace`)."""
    arrived: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        arrived.append(request.path)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    trace = aiohttp.TraceConfig()
    pace_sends(trace, pacer, on_wait=on_wait)
    try:
        async with aiohttp.ClientSession(trace_configs=[trace]) as session:
            yield session, f"http://127.0.0.1:{port}/api/v10", arrived
    finally:
        await runner.cleanup()


async def test_interaction_answers_and_follow_ups_are_not_paced() -> None:
    async with paced_session(SlidingWindowPacer(1, 30.0)) as (session, base, arrived):
        async with session.post(f"{base}/channels/1/messages") as first:
            assert first.status == 200
        blocked = asyncio.create_task(session.post(f"{base}/channels/1/messages"))
        for path in ("/interactions/5/tok/callback", "/webhooks/7/tok"):
            async with session.post(f"{base}{path}") as answer:
                assert answer.status == 200
        await asyncio.sleep(0.05)
        assert not blocked.done()  # the second channel post waits for the window
        assert arrived == [
            "/api/v10/channels/1/messages",
            "/api/v10/interactions/5/tok/callback",
            "/api/v10/webhooks/7/tok",
        ]
        blocked.cancel()


async def test_each_paced_request_reports_how_long_it_waited() -> None:
    waits: list[float] = []
    pacer = SlidingWindowPacer(1, 0.2)
    async with paced_session(pacer, waits.append) as (session, base, _):
        for path in ("/channels/1/messages", "/channels/1/messages", "/interactions/5/t/callback"):
            async with session.post(f"{base}{path}") as answer:
                assert answer.status == 200
    assert len(waits) == 2  # the interaction answer is not paced, so not reported
    assert waits[0] < 0.05 and 0.15 <= waits[1] < 1.0


async def test_a_request_is_paced_when_it_leaves_not_when_it_was_asked_for() -> None:
    """Requests that waited elsewhere first (a route bucket, a retry) still leave one window
    apart: the slot is taken at the send."""
    pacer = SlidingWindowPacer(2, 0.3)
    async with paced_session(pacer) as (session, base, arrived):
        gate = asyncio.Event()
        stamps: list[float] = []

        async def late_post() -> None:
            await gate.wait()  # like discord.py waiting on a channel's bucket
            async with session.post(f"{base}/channels/1/messages"):
                stamps.append(time.monotonic())

        posts = [asyncio.create_task(late_post()) for _ in range(4)]
        await asyncio.sleep(0.4)  # a pacer stamped at the call would have let all 4 go by now
        gate.set()
        await asyncio.gather(*posts)
    stamps.sort()
    assert stamps[2] - stamps[0] >= 0.3 - 0.01 and len(arrived) == 4


async def test_a_smaller_share_slows_the_line_and_zero_holds_it() -> None:
    """The process group's share: 50 -> 2 per window paces to 2; 0 holds until reopened."""
    pacer = SlidingWindowPacer(50, 0.2)
    pacer.set_limit(2)
    started = time.monotonic()
    for _ in range(4):
        await pacer.acquire()
    assert time.monotonic() - started >= 0.2 - 1e-3  # the 3rd waited a window
    pacer.set_limit(0)
    waiting = asyncio.create_task(pacer.acquire())
    await asyncio.sleep(0.3)
    assert not waiting.done()
    pacer.set_limit(10)
    await asyncio.wait_for(waiting, 1)
    with pytest.raises(ValueError):
        pacer.set_limit(-1)


async def test_a_request_in_flight_holds_its_place_until_a_window_after_its_answer() -> None:
    """Discord counts a request somewhere between its send and its answer: its place is
    free only `per` after the answer, so a slow answer never lets a window overfill."""
    pacer = SlidingWindowPacer(2, 0.2)
    first = await pacer.acquire(in_flight=True)
    await pacer.acquire(in_flight=True)
    third = asyncio.create_task(pacer.acquire())
    await asyncio.sleep(0.35)  # longer than the window: unanswered requests still hold it
    assert not third.done()
    answered = time.monotonic()
    pacer.done(first)
    await asyncio.wait_for(third, 1)
    assert time.monotonic() - answered >= 0.2 - 1e-3
