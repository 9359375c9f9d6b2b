"""The global request pacer: never more than the limit in any window, interactions exempt."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import pytest

from cogs.pacing import SlidingWindowPacer, pace_requests


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


@dataclass
class Route:
    path: str


class FakeHTTP:
    """Stands in for discord.py's HTTPClient: records the requests that got through."""

    def __init__(self) -> None:
        self.done: list[str] = []

    async def request(self, route: Route, **kwargs: Any) -> str:
        self.done.append(route.path)
        return route.path


async def test_interaction_answers_and_follow_ups_are_not_paced() -> None:
    http = FakeHTTP()
    pacer = SlidingWindowPacer(1, 30.0)
    pace_requests(http, pacer)
    assert await http.request(Route("/channels/{channel_id}/messages")) == (
        "/channels/{channel_id}/messages"
    )
    blocked = asyncio.create_task(http.request(Route("/channels/{channel_id}/messages")))
    await http.request(Route("/interactions/{interaction_id}/{interaction_token}/callback"))
    await http.request(Route("/webhooks/{application_id}/{interaction_token}"))
    await asyncio.sleep(0.05)
    assert not blocked.done()  # the second channel post waits for the window
    assert http.done == [
        "/channels/{channel_id}/messages",
        "/interactions/{interaction_id}/{interaction_token}/callback",
        "/webhooks/{application_id}/{interaction_token}",
    ]
    blocked.cancel()


async def test_each_paced_request_reports_how_long_it_waited() -> None:
    http = FakeHTTP()
    waits: list[float] = []
    pace_requests(http, SlidingWindowPacer(1, 0.2), on_wait=waits.append)
    await http.request(Route("/channels/{channel_id}/messages"))
    await http.request(Route("/channels/{channel_id}/messages"))
    await http.request(Route("/interactions/{interaction_id}/{interaction_token}/callback"))
    assert len(waits) == 2  # the interaction answer is not paced, so not reported
    assert waits[0] < 0.05 and 0.15 <= waits[1] < 1.0


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
