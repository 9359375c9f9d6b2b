"""Outage proofs (issue 8): the real `python bot.py` through Discord errors and rate limits.

* A 10-second 503 outage on every message create (dev channel included) in the middle of a
  burst: discord.py raises a 503 at once, Cadence retries with backoff and the same nonce.
  Every post arrives once when Discord is back, each run records how late it was, and the
  dev channel gets one notice for the incident, not one per task.
* Lost answers: Discord creates the message but the proxy answers 502, so discord.py sends
  it again; the nonce makes Discord return the first message.
* Discord's rate limits on (5 creates per channel per 5 s, 50 requests per second): a burst
  of 200 posts to 10 channels through an injected storm of global 429s, and a burst wide
  enough (60 channels) to hit the global limit. Everything arrives once, and the request log
  shows the limits were never exceeded by what Discord accepted.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from fakediscord import FakeDiscord
from fakediscord.rest import RecordedRequest
from tests.e2e.burst import (
    Burst,
    accepted_creates,
    add_channels,
    count_posts,
    in_whole_seconds,
    most_in_any_window,
    percentile,
    rate_limited,
    run_rows,
    seed_burst,
    wait_delivered,
    wait_until,
)
from tests.e2e.harness import BACKENDS, BotProcess, Scene

pytestmark = pytest.mark.slow

ALL_CREATES = r"^/channels/\d+/messages$"
LEAD = 3.0  # seconds from now to the first instant (the bot starts in about 0.5 s)


async def seed(bot: BotProcess, scene: Scene, *, tasks: int, channels: int, spread: int) -> Burst:
    return await seed_burst(
        bot.db_path,
        scene.guild.id,
        add_channels(scene.guild, channels),
        count=tasks,
        first_at=in_whole_seconds(LEAD),
        spread=spread,
    )


async def sleep_until(instant: float) -> None:
    await asyncio.sleep(max(0.0, instant - time.time()))


def assert_once_and_ok(fd: FakeDiscord, burst: Burst, bot: BotProcess) -> None:
    count = count_posts(fd, burst)
    assert count.duplicated == 0 and count.missing == []
    rows = run_rows(bot.db_path)
    assert {k: [r.status for r in v] for k, v in rows.items()} == {
        p.key: ["ok"] for p in burst.posts
    }


def delayed_notices(fd: FakeDiscord, scene: Scene) -> list[dict[str, object]]:
    return [
        m.embeds[0]
        for m in fd.messages(scene.dev)
        if m.embeds and "Discord errors delayed" in m.embeds[0].get("title", "")
    ]


def figures(label: str, fd: FakeDiscord, burst: Burst, bot: BotProcess) -> None:
    count = count_posts(fd, burst)
    late = [r[0].late_by_ms or 0 for r in run_rows(bot.db_path).values()]
    print(
        f"\n{label}: {count.summary()}; run rows late_by p50 {percentile(late, 50)} ms, "
        f"p99 {percentile(late, 99)} ms; 429s answered {rate_limited(fd.requests)}"
    )


# -- 5xx ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bot", BACKENDS, indirect=True)
async def test_a_503_outage_delays_posts_once_each_and_is_reported_once(
    bot: BotProcess, fd: FakeDiscord, scene: Scene
) -> None:
    burst = await seed(bot, scene, tasks=100, channels=10, spread=2)
    await bot.start()  # its "started" notice is out; the outage begins before the burst
    outage = fd.faults.add(ALL_CREATES, method="POST", status=503, times=None)
    assert time.time() < burst.first_at.timestamp()
    await asyncio.sleep(10.0)
    fd.faults.remove(outage)
    back = time.time()

    await wait_delivered(fd, burst, timeout=60)
    await wait_until(lambda: bool(delayed_notices(fd, scene)), 30, "the incident notice")
    # Under Discord's rate limits the last posts arrive after the notice; their runs are
    # recorded a moment after their answers.
    await wait_until(lambda: not run_rows_running(bot), 20, "the runs to finish")
    figures("503 for 10 s", fd, burst, bot)
    assert_once_and_ok(fd, burst, bot)
    count = count_posts(fd, burst)
    assert min(count.arrived.values()) >= back - 0.01  # nothing got through the outage
    # Each run recorded its lateness: at least how late its post reached Discord.
    posted = {p.key: count.arrived[p.key] - p.instant.timestamp() for p in burst.posts}
    for key, [row] in run_rows(bot.db_path).items():
        assert row.late_by_ms is not None and row.late_by_ms >= posted[key] * 1000 - 50
    retried = [r[0] for r in run_rows(bot.db_path).values() if r[0].attempts > 1]
    assert retried and outage.hits > len(retried)
    assert await bot.stop() == 0  # flushes any notice still buffered
    # One notice for the whole incident in the dev channel, no failure notice per task.
    [notice] = delayed_notices(fd, scene)
    delayed = int(str(notice["title"]).split()[3])
    print(f"one notice: {notice['title']}")
    assert len(retried) <= delayed <= len(burst.posts)
    assert "503" in str(notice["fields"])
    titles = [m.embeds[0].get("title", "") for m in fd.messages(scene.dev) if m.embeds]
    assert not [t for t in titles if "failed" in t or "notices" in t], titles


@pytest.mark.parametrize("bot", BACKENDS, indirect=True)
async def test_lost_answers_are_not_doubled_by_the_resends(
    bot: BotProcess, fd: FakeDiscord, scene: Scene
) -> None:
    burst = await seed(bot, scene, tasks=60, channels=10, spread=1)
    # Discord makes each message, then the proxy loses the answer (502): discord.py sends
    # the same request again 1 s and then 3 s later, with the same nonce.
    lost = fd.faults.add(burst.fault_path(), method="POST", status=502, processed=True, times=None)
    await bot.start()
    await sleep_until(burst.first_at.timestamp() + 2.5)
    fd.faults.remove(lost)

    await wait_delivered(fd, burst, timeout=40)
    await wait_until(lambda: not run_rows_running(bot), 40, "the runs to finish")
    figures("502 after processing for 3 s", fd, burst, bot)
    assert_once_and_ok(fd, burst, bot)
    sends = Counter(
        r.json.get("nonce") for r in fd.requests_to("POST", "/messages") if isinstance(r.json, dict)
    )
    resent = [p for p in burst.posts if sends[p.nonce] > 1]
    assert len(resent) >= len(burst.channels)  # each channel's first post, at least
    count = count_posts(fd, burst)
    for post in resent:
        # Made on time by the first request; the re-sends returned it instead of a copy.
        assert count.copies[post.key] == 1
        assert count.arrived[post.key] - post.instant.timestamp() < 0.5
    assert lost.hits >= 2 * len(resent)
    assert await bot.stop() == 0


def run_rows_running(bot: BotProcess) -> bool:
    return any(r.status == "running" for rows in run_rows(bot.db_path).values() for r in rows)


# -- rate limits --------------------------------------------------------------------------


def accepted_per_second(requests: list[RecordedRequest]) -> int:
    """The most requests Discord accepted (not 429, not dropped) in any one second."""
    times = [
        r.time
        for r in requests
        if r.status not in (None, 429) and not r.route.startswith("/interactions/")
    ]
    return most_in_any_window(times, 1.0)


async def test_a_rate_limited_burst_through_a_429_storm_stays_within_the_limits(
    bot: BotProcess, fd: FakeDiscord, scene: Scene
) -> None:
    fd.settings.rate_limits = True
    fd.rate_limiter.reset()
    burst = await seed(bot, scene, tasks=200, channels=10, spread=1)
    storm = fd.faults.add(
        burst.fault_path(), method="POST", status=429, is_global=True, retry_after=0.5, times=30
    )
    first_request = len(fd.requests)
    await bot.start()

    await wait_delivered(fd, burst, timeout=50)
    await wait_until(lambda: not run_rows_running(bot), 20, "the runs to finish")
    figures("200 posts, 10 channels, limits on, 30 global 429s injected", fd, burst, bot)
    assert storm.hits == 30
    assert_once_and_ok(fd, burst, bot)
    creates = accepted_creates(fd.requests)
    assert all(most_in_any_window(creates[c.id], 5.0) <= 5 for c in burst.channels)
    assert accepted_per_second(fd.requests[first_request:]) <= 50
    # The bot's own pace never drew a 429 from the limiter: discord.py obeyed the headers.
    assert fd.rate_limiter.limited == 0
    assert rate_limited(fd.requests) == 30
    assert await bot.stop() == 0


async def test_a_burst_over_sixty_channels_meets_the_global_limit(
    bot: BotProcess, fd: FakeDiscord, scene: Scene
) -> None:
    fd.settings.rate_limits = True
    fd.rate_limiter.reset()
    burst = await seed(bot, scene, tasks=180, channels=60, spread=1)
    await bot.start()
    first_request = len(fd.requests)

    await wait_delivered(fd, burst, timeout=40)
    await wait_until(lambda: not run_rows_running(bot), 20, "the runs to finish")
    figures("180 posts, 60 channels, limits on", fd, burst, bot)
    assert_once_and_ok(fd, burst, bot)
    assert accepted_per_second(fd.requests[first_request:]) <= 50
    creates = accepted_creates(fd.requests)
    assert all(most_in_any_window(creates[c.id], 5.0) <= 5 for c in burst.channels)
    print(f"global 429s {fd.rate_limiter.limited_global}, per-route {fd.rate_limiter.limited}")
    assert await bot.stop() == 0
