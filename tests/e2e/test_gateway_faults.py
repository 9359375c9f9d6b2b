"""Gateway faults during a burst, through the real `python bot.py` process (issue 8, item 4).

About 100 one-time tasks fall due over five seconds, spread over ten channels. In the middle
of the burst fakediscord sends RECONNECT (op 7), INVALID_SESSION (op 9, resumable or not),
drops the socket and keeps the gateway unreachable for a while, or drops it with 4009 and
refuses the RESUME. Posts go over REST, which does
not depend on the gateway, so every one must still arrive on time and exactly once; and once
the gateway is back (RESUME, or a new IDENTIFY after discord.py's 5-second
`before_identify_hook` sleep) slash commands must be answered again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from fakediscord import FakeDiscord
from tests.e2e.harness import BotProcess, Scene, build_scene
from tests.e2e.proof import (
    bot_connected,
    date_task,
    expected_posts,
    final_answer,
    in_whole_seconds,
    run_rows,
    seed_many,
    sleep_until,
    tally,
    text_of,
    wait_for,
)

pytestmark = pytest.mark.slow

TASKS = 100
SPREAD_SECONDS = 5
CHANNELS = 10
ON_TIME = 2.0  # seconds after its instant a post must have reached "Discord"
# discord.py sleeps 5 s before an IDENTIFY that is not the first (before_identify_hook).
REIDENTIFY_SLEEP = 5.0

Fault = Callable[[FakeDiscord], Awaitable[None]]


async def send_reconnect(fd: FakeDiscord) -> None:
    await fd.gateway.reconnect()


async def send_invalid_resumable(fd: FakeDiscord) -> None:
    await fd.gateway.invalidate_session(resumable=True)


async def send_invalid_fresh(fd: FakeDiscord) -> None:
    await fd.gateway.invalidate_session(resumable=False)


async def drop_with_gap(fd: FakeDiscord) -> None:
    """Close the socket and keep the gateway unreachable for 2.5 s (a network gap)."""
    fd.gateway.hold()
    await fd.gateway.drop()
    await asyncio.sleep(2.5)
    fd.gateway.release()


async def drop_session(fd: FakeDiscord) -> None:
    """Close the socket with 4009 (session timed out): the RESUME is refused, IDENTIFY again."""
    await fd.gateway.drop(code=4009, resumable=False)


async def every_fault(fd: FakeDiscord) -> None:
    """Four of them, one after another, each once the bot has resumed from the one before."""
    for count, fault in enumerate((send_reconnect, send_invalid_resumable, drop_with_gap), 1):
        await fault(fd)
        await wait_for(resumes_reach(fd, count), 5, f"resume {count}")
    await send_invalid_fresh(fd)


def resumes_reach(fd: FakeDiscord, count: int) -> Callable[[], bool]:
    return lambda: fd.gateway.resumes >= count


# (fault, resumes expected, identifies expected) once the gateway is back
FAULTS = {
    "reconnect": (send_reconnect, 1, 1),
    "invalid-session-resumable": (send_invalid_resumable, 1, 1),
    "invalid-session-fresh": (send_invalid_fresh, 0, 2),
    "dropped-socket": (drop_with_gap, 1, 1),
    "session-timed-out": (drop_session, 0, 2),
    "all-in-a-row": (every_fault, 3, 2),
}


@pytest.fixture(autouse=True)
def without_rate_limits(fd: FakeDiscord) -> None:
    """Discord's rate limits off for these proofs, on purpose: their burst (100 posts to 10
    channels within 5 s, 10 per channel) is above Discord's 5 posts per 5 s per channel, so
    under the limits half of each channel's posts wait about 5 s and no gateway fault could
    meet ON_TIME (2 s). What they prove is that gateway faults lose and double nothing and
    delay no post; a workload within the limits (20 channels) would prove it under them."""
    fd.settings.rate_limits = False


@pytest.fixture
def scene() -> Scene:
    """The e2e guild with ten more channels for the burst."""
    built = build_scene()
    for number in range(CHANNELS):
        built.guild.add_channel(f"burst-{number}")
    return built


@pytest.mark.parametrize("fault_name", list(FAULTS))
async def test_posts_stay_on_time_and_commands_work_after_a_gateway_fault(
    bot: BotProcess, fd: FakeDiscord, scene: Scene, fault_name: str
) -> None:
    fault, resumes, identifies = FAULTS[fault_name]
    channels = [scene.guild.channel_named(f"burst-{n}") for n in range(CHANNELS)]
    start = in_whole_seconds(8)  # time for the process to start and connect
    step = timedelta(seconds=SPREAD_SECONDS) / TASKS
    tasks = await seed_many(
        bot.db_path,
        [
            date_task(
                f"burst-{i:03d}",
                guild_id=scene.guild.id,
                channel_id=channels[i % CHANNELS].id,
                at=(start + step * i).replace(microsecond=0),
                content=f"burst post {i:03d}",
            )
            for i in range(TASKS)
        ],
    )
    due = expected_posts(tasks)
    await bot.start()
    await wait_for(lambda: bot_connected(fd), timeout=10, what="the first IDENTIFY")
    assert start.timestamp() - time.time() > 1, "the process took too long to start"

    await sleep_until(start + timedelta(seconds=1.2))  # a quarter of the burst is out
    await fault(fd)
    await wait_for(
        lambda: tally(fd, due).delivered == TASKS,
        timeout=SPREAD_SECONDS + ON_TIME + 10,
        what="every burst post",
    )

    # The gateway comes back: a RESUME, or after op 9 d:false a new IDENTIFY (5 s later).
    await wait_for(
        lambda: (
            fd.gateway.resumes >= resumes
            and fd.gateway.identifies >= identifies
            and bot_connected(fd)
        ),
        timeout=REIDENTIFY_SLEEP + 10,
        what="the bot back on the gateway",
    )
    handle = await fd.slash(scene.guild, scene.admin, "schedule list")
    answer = await final_answer(handle)
    assert answer.type == 4 and answer.ephemeral
    assert "burst-000" in text_of(answer)

    result = tally(fd, due)
    print(f"\n[{fault_name}] {result.summary()}")
    assert result.missing == []
    assert result.duplicated == 0
    assert result.earliest >= 0, "a post went out before its instant"
    assert result.worst < ON_TIME, result.summary()
    assert (fd.gateway.resumes, fd.gateway.identifies) == (resumes, identifies)

    assert await bot.stop() == 0
    for task in tasks:
        [run] = run_rows(bot.db_path, task.id)
        assert (run["status"], run["trigger"], run["attempts"]) == ("ok", "schedule", 1)
    assert "Traceback" not in bot.log()
    assert fd.internal_errors == []
