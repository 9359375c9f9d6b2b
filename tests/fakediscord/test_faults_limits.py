"""Rate limits and injected faults: the headers Discord sends, and the real discord.py client
obeying them (no errors, no 429 it could have avoided), plus errors, latency, dropped
requests and held answers."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence

import aiohttp
import discord
import pytest

from fakediscord import FakeDiscord
from fakediscord.rest import RecordedRequest

from .harness import Scene, StartBot, make_client

MESSAGES = r"/channels/\d+/messages$"


@pytest.fixture
async def raw(fd: FakeDiscord) -> AsyncIterator[aiohttp.ClientSession]:
    """A bare HTTP client with the bot's token, to read headers as they are."""
    headers = {"Authorization": f"Bot {fd.token}"}
    async with aiohttp.ClientSession(base_url=fd.url, headers=headers) as session:
        yield session


def limits_on(fd: FakeDiscord, *, messages: tuple[int, float] = (5, 5.0), per_second: int = 50):
    fd.settings.rate_limits = True
    fd.settings.message_rate_limit = messages
    fd.settings.global_rate_limit = per_second
    fd.rate_limiter.reset()


async def post(raw: aiohttp.ClientSession, channel_id: int, content: str) -> aiohttp.ClientResponse:
    async with raw.post(f"/api/v10/channels/{channel_id}/messages", json={"content": content}) as r:
        await r.read()
        return r


def most_in_any_window(times: Sequence[float], per: float) -> int:
    """The most of `times` that fit in any half-open window [t, t + per)."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, instant in enumerate(ordered):
        while ordered[start] <= instant - per:
            start += 1
        best = max(best, end - start + 1)
    return best


def accepted_creates(requests: Sequence[RecordedRequest]) -> dict[str, list[float]]:
    """The times of the message creates the rate limiter let through, per channel."""
    found: dict[str, list[float]] = defaultdict(list)
    for r in requests:
        if r.method == "POST" and r.route.endswith("/messages") and r.status == 200:
            found[r.route].append(r.time)
    return found


# -- rate limits: what the headers say ----------------------------------------------------


async def test_message_creates_carry_the_real_headers_and_the_sixth_is_refused(
    fd: FakeDiscord, scene: Scene, raw: aiohttp.ClientSession
) -> None:
    limits_on(fd)
    answers = [await post(raw, scene.general.id, f"m{i}") for i in range(5)]
    assert [r.status for r in answers] == [200] * 5
    assert [r.headers["X-RateLimit-Remaining"] for r in answers] == ["4", "3", "2", "1", "0"]
    first, last = answers[0].headers, answers[-1].headers
    assert first["X-RateLimit-Limit"] == "5"
    assert 4.9 < float(last["X-RateLimit-Reset-After"]) <= 5.0
    assert abs(float(last["X-RateLimit-Reset"]) - (time.time() + 5.0)) < 0.5
    assert first["X-RateLimit-Bucket"] == last["X-RateLimit-Bucket"]

    refused = await post(raw, scene.general.id, "sixth")
    assert refused.status == 429
    assert refused.headers["Via"]  # discord.py retries only a 429 that came through a proxy
    assert refused.headers["X-RateLimit-Scope"] == "user"
    assert "X-RateLimit-Global" not in refused.headers
    assert int(refused.headers["Retry-After"]) == 5
    body = await refused.json()
    assert body["global"] is False and body["code"] == 0
    assert 4.9 < body["retry_after"] <= 5.0
    assert len(fd.messages(scene.general)) == 5
    assert fd.rate_limiter.limited == 1

    other = await post(raw, scene.news.id, "another channel, another bucket")
    assert other.status == 200 and other.headers["X-RateLimit-Remaining"] == "4"
    assert other.headers["X-RateLimit-Bucket"] == first["X-RateLimit-Bucket"]  # hash per route


async def test_the_window_slides_one_request_at_a_time(
    fd: FakeDiscord, scene: Scene, raw: aiohttp.ClientSession
) -> None:
    limits_on(fd, messages=(2, 0.4))
    assert (await post(raw, scene.general.id, "a")).status == 200
    await asyncio.sleep(0.2)
    second = await post(raw, scene.general.id, "b")
    assert second.status == 200
    # Whole again only when the newest leaves the window.
    assert 0.35 < float(second.headers["X-RateLimit-Reset-After"]) <= 0.4
    refused = await post(raw, scene.general.id, "c")
    assert refused.status == 429
    # One fits again when the oldest leaves.
    assert 0.1 < (await refused.json())["retry_after"] <= 0.2
    await asyncio.sleep(0.22)
    third = await post(raw, scene.general.id, "c")
    assert third.status == 200 and third.headers["X-RateLimit-Remaining"] == "0"


async def test_the_global_limit_answers_a_global_429(
    fd: FakeDiscord, scene: Scene, raw: aiohttp.ClientSession
) -> None:
    limits_on(fd, per_second=3)
    statuses = [(await post(raw, c.id, "g")).status for c in (scene.general, scene.news)] * 1
    statuses.append((await post(raw, scene.general.id, "g")).status)
    assert statuses == [200, 200, 200]
    refused = await post(raw, scene.noembed.id, "too many")
    assert refused.status == 429
    assert refused.headers["X-RateLimit-Global"] == "true"
    assert refused.headers["X-RateLimit-Scope"] == "global"
    assert refused.headers["Via"]
    body = await refused.json()
    assert body["global"] is True and 0 < body["retry_after"] <= 1.0
    assert fd.rate_limiter.limited_global == 1


async def test_interaction_callbacks_carry_headers_but_skip_the_global_limit(
    fd: FakeDiscord,
) -> None:
    """Callbacks answer with X-RateLimit-* (as Discord's do), each interaction in its own
    bucket, and never count against the global limit."""
    limits_on(fd, per_second=1)
    per_route = fd.settings.route_rate_limit[0]
    for interaction in range(1, 4):
        route = f"/interactions/{interaction}/token{interaction}/callback"
        headers = fd.rate_limiter.check("POST", route)
        assert headers["X-RateLimit-Remaining"] == str(per_route - 1)
    assert fd.rate_limiter.check("GET", "/users/@me")["X-RateLimit-Limit"] == str(per_route)
    assert fd.rate_limiter.limited == 0


# -- rate limits: the real discord.py client obeys them ----------------------------------


async def test_discord_py_bursts_within_the_channel_limit_without_a_single_429(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    limits_on(fd, messages=(5, 1.0))
    client = await start_bot(make_client()[0])
    targets = [client.get_partial_messageable(c.id) for c in (scene.general, scene.news)]
    started = time.monotonic()
    await asyncio.gather(*(t.send(f"burst {i}") for i in range(12) for t in targets))
    elapsed = time.monotonic() - started
    for channel in (scene.general, scene.news):
        assert sorted(m.content for m in fd.messages(channel)) == sorted(
            f"burst {i}" for i in range(12)
        )
    assert fd.rate_limiter.limited == 0
    for route, times in accepted_creates(fd.requests).items():
        assert most_in_any_window(times, 1.0) <= 5, route
    assert elapsed >= 2.0  # 12 a channel at 5 per second: two full windows waited out


async def test_discord_py_waits_out_global_429s_and_loses_nothing(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    client = await start_bot(make_client()[0])
    limits_on(fd, messages=(50, 1.0), per_second=4)
    first = len(fd.requests)
    channels = (scene.general, scene.news, scene.noembed)
    targets = [client.get_partial_messageable(c.id) for c in channels]
    await asyncio.gather(*(t.send(f"g{i}") for i in range(4) for t in targets))
    assert sum(len(fd.messages(c)) for c in channels) == 12
    assert fd.rate_limiter.limited_global >= 1  # discord.py learns the global limit by 429s
    accepted = [r.time for r in fd.requests[first:] if r.status == 200]
    assert len(accepted) == 12
    assert most_in_any_window(accepted, 1.0) <= 4


# -- faults -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "raised"),
    [
        pytest.param(403, 50013, discord.Forbidden, id="403-missing-permissions"),
        pytest.param(404, 10003, discord.NotFound, id="404-unknown-channel"),
        pytest.param(503, 0, discord.DiscordServerError, id="503-not-retried-by-discord.py"),
        pytest.param(400, 50035, discord.HTTPException, id="400-invalid-form"),
    ],
)
async def test_an_error_fault_answers_the_next_requests_then_wears_out(
    start_bot: StartBot,
    fd: FakeDiscord,
    scene: Scene,
    status: int,
    code: int,
    raised: type[Exception],
) -> None:
    client = await start_bot(make_client()[0])
    channel = client.get_partial_messageable(scene.general.id)
    fault = fd.faults.add(MESSAGES, method="POST", status=status, code=code, times=2)
    for _ in range(2):
        with pytest.raises(raised) as caught:
            await channel.send("refused")
        assert caught.value.status == status  # type: ignore[attr-defined]
        assert caught.value.code == code  # type: ignore[attr-defined]
    await channel.send("accepted")
    assert [m.content for m in fd.messages(scene.general)] == ["accepted"]
    assert fault.hits == 2


@pytest.mark.parametrize("status", [500, 502])
async def test_discord_py_retries_500_and_502_by_itself(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene, status: int
) -> None:
    client = await start_bot(make_client()[0])
    channel = client.get_partial_messageable(scene.general.id)
    fd.faults.add(MESSAGES, method="POST", status=status, times=1)
    await channel.send("after one retry")  # discord.py sleeps 1 s and tries again
    assert [r.status for r in fd.requests_to("POST", "/messages")] == [status, 200]
    assert len(fd.messages(scene.general)) == 1


async def test_a_429_storm_fault_is_waited_out(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    client = await start_bot(make_client()[0])
    channel = client.get_partial_messageable(scene.general.id)
    fd.faults.add(MESSAGES, method="POST", status=429, times=3, retry_after=0.05, is_global=True)
    await channel.send("through the storm")
    assert [r.status for r in fd.requests_to("POST", "/messages")] == [429, 429, 429, 200]


async def test_latency_delays_the_answer(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    client = await start_bot(make_client()[0])
    channel = client.get_partial_messageable(scene.general.id)
    fd.faults.add(MESSAGES, method="POST", status=None, delay=0.3, times=None)
    started = time.monotonic()
    await channel.send("slow")
    assert time.monotonic() - started >= 0.3
    assert len(fd.messages(scene.general)) == 1


async def test_a_request_whose_client_hangs_up_on_the_wire_is_never_handled(
    fd: FakeDiscord, scene: Scene, raw: aiohttp.ClientSession
) -> None:
    fault = fd.faults.add(MESSAGES, method="POST", status=None, delay=30, times=None)
    attempt = asyncio.create_task(post(raw, scene.general.id, "never seen"))
    await fault.wait_delayed(1)
    attempt.cancel()  # the client goes away while its request is on the wire
    with pytest.raises(asyncio.CancelledError):
        await attempt
    await raw.close()
    await asyncio.sleep(0.05)
    fault.release()
    await asyncio.sleep(0.05)
    [record] = fd.requests_to("POST", "/messages")
    assert record.dropped and record.status is None
    assert record.json == {"content": "never seen"}
    assert fd.messages(scene.general) == [] and fault.dropped == 1


async def test_a_held_answer_comes_after_the_message_exists(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    client = await start_bot(make_client()[0])
    channel = client.get_partial_messageable(scene.general.id)
    fault = fd.faults.add(MESSAGES, method="POST", status=None, hold=True, times=None)
    sending = asyncio.create_task(channel.send("created, answer held", nonce="n1"))
    await fault.wait_held(1)
    [stored] = fd.messages(scene.general)
    assert stored.content == "created, answer held"
    await asyncio.sleep(0.1)
    assert not sending.done()
    [record] = fd.requests_to("POST", "/messages")
    assert record.status == 200 and record.answered is None
    fault.release()
    sent = await asyncio.wait_for(sending, 2)
    assert sent.id == stored.id and fault.held == 0 and fault.released == 1
    assert record.answered is not None


async def test_a_timed_hold_lets_the_answer_go_by_itself(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    client = await start_bot(make_client()[0])
    channel = client.get_partial_messageable(scene.general.id)
    fd.faults.add(MESSAGES, method="POST", status=None, hold=0.3, times=1)
    started = time.monotonic()
    await channel.send("held a while")
    assert time.monotonic() - started >= 0.3


async def test_a_lost_answer_is_repaired_by_the_nonce(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    client = await start_bot(make_client()[0])
    channel = client.get_partial_messageable(scene.general.id)
    # Discord creates the message, then the proxy answers 502; discord.py sends it again.
    fd.faults.add(MESSAGES, method="POST", status=502, processed=True, times=1)
    sent = await channel.send("once", nonce="lost-answer-1")
    assert [r.status for r in fd.requests_to("POST", "/messages")] == [502, 200]
    assert [m.id for m in fd.messages(scene.general)] == [sent.id]


async def test_clear_and_stop_let_held_answers_go(fd: FakeDiscord, scene: Scene) -> None:
    fault = fd.faults.add(MESSAGES, method="POST", status=None, hold=True, times=None)
    headers = {"Authorization": f"Bot {fd.token}"}
    async with aiohttp.ClientSession(base_url=fd.url, headers=headers) as session:
        attempts = [asyncio.create_task(post(session, scene.general.id, f"h{i}")) for i in range(3)]
        await fault.wait_held(3)
        fd.faults.clear()
        assert [r.status for r in await asyncio.gather(*attempts)] == [200] * 3
        assert fd.faults.faults == []
        fault = fd.faults.add(MESSAGES, method="POST", status=None, hold=True, times=None)
        last = asyncio.create_task(post(session, scene.general.id, "at shutdown"))
        await fault.wait_held(1)
        started = time.monotonic()
        await fd.stop()
        assert time.monotonic() - started < 1.5
        last.cancel()
    with pytest.raises(TimeoutError):
        await fault.wait_held(1, timeout=0.05)
