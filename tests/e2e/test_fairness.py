"""Fairness, through the real `python bot.py` process (issue 8, item 7).

One guild has 500 tasks due at the same instant; another guild's single task is due at that
instant too, and was stored last, so a first-come-first-served queue would post it last. Runs
are queued per guild and served round-robin, so it must be among the first few posts "Discord"
receives, and every one of the 501 posts must arrive exactly once.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from fakediscord import FakeDiscord, Permission
from tests.e2e.harness import BotProcess, Scene, build_scene
from tests.e2e.proof import (
    date_task,
    expected_posts,
    in_whole_seconds,
    seed_many,
    sleep_until,
    start_connected,
    tally,
    wait_for,
)

pytestmark = pytest.mark.slow

BUSY_TASKS = 500
BUSY_CHANNELS = 50
FIRST_FEW = 10  # the lone task's post must be among the first this many
RATE_LIMITED_TASKS = 40


@pytest.fixture
def scene() -> Scene:
    """The e2e guild with 50 channels for its burst, and a quiet second guild."""
    built = build_scene()
    for number in range(BUSY_CHANNELS):
        built.guild.add_channel(f"busy-{number}")
    quiet = built.world.add_guild("Quiet", owner="quiet-owner")
    quiet.add_role("Admins", Permission.ADMINISTRATOR)
    quiet.add_channel("quiet-general")
    return built


@pytest.mark.parametrize("rate_limits", [False, True], ids=["no-rate-limits", "rate-limited"])
async def test_another_guilds_single_task_is_not_held_back_by_a_500_task_burst(
    bot: BotProcess, fd: FakeDiscord, scene: Scene, rate_limits: bool
) -> None:
    """With Discord's rate limits emulated (5 posts per 5 s per channel, 50 requests a second
    in all) the busy guild's burst takes ten seconds or more; the lone post still goes first."""
    [quiet] = [g for g in scene.world.guilds.values() if g.name == "Quiet"]
    busy_channels = [scene.guild.channel_named(f"busy-{n}") for n in range(BUSY_CHANNELS)]
    instant = in_whole_seconds(6)
    busy = [
        date_task(
            f"busy-{i:03d}",
            guild_id=scene.guild.id,
            channel_id=busy_channels[i % BUSY_CHANNELS].id,
            at=instant,
        )
        for i in range(BUSY_TASKS)
    ]
    lone = date_task(
        "lone", guild_id=quiet.id, channel_id=quiet.channel_named("quiet-general").id, at=instant
    )
    tasks = await seed_many(bot.db_path, [*busy, lone])  # the lone task has the highest id
    assert tasks[-1].id == max(t.id for t in tasks)
    due = expected_posts(tasks)
    lone_due = due[-1]
    await start_connected(bot, MAX_TASKS_PER_GUILD="1000")
    # Off in the "no-rate-limits" case: it shows the engine's own order, without Discord's
    # limits spreading the burst over seconds (the "rate-limited" case keeps them on).
    fd.settings.rate_limits = rate_limits
    await sleep_until(instant)

    await wait_for(lambda: tally(fd, due).delivered == len(due), 45, "all 501 posts")

    posts = sorted(
        (m for m in fd.all_posts() if m.nonce in {d.nonce for d in due}), key=lambda m: m.id
    )
    order = [m.nonce for m in posts]
    rank = order.index(lone_due.nonce) + 1
    [lone_post] = [m for m in posts if m.nonce == lone_due.nonce]
    lone_late = lone_post.timestamp - instant.timestamp()
    busy_tally = tally(fd, due[:-1])
    summary = (
        f"rate limits {'on' if rate_limits else 'off'}: "
        f"lone task: post #{rank} of {len(due)}, {lone_late:.3f} s late; "
        f"busy guild: {busy_tally.summary()}"
    )
    print(f"\n[fairness] {summary}")
    assert rank <= FIRST_FEW, summary
    assert 0 <= lone_late < 2.0, summary
    whole = tally(fd, due)
    assert (whole.delivered, whole.duplicated, whole.missing) == (len(due), 0, [])
    assert whole.earliest >= 0
    assert await bot.stop() == 0
    assert "Traceback" not in bot.log()


async def test_a_rate_limited_burst_does_not_hold_back_another_guilds_later_task(
    bot: BotProcess, fd: FakeDiscord, scene: Scene
) -> None:
    """The busy guild's 40 tasks all post in one channel, which Discord lets through at 5 per
    5 s, so its runs wait out the rate limit for half a minute. A run waiting on a rate limit
    holds a worker; the quiet guild's task, due one second into that wait, must not queue
    behind them (it did: 4 s late when all 16 workers were held)."""
    [quiet] = [g for g in scene.world.guilds.values() if g.name == "Quiet"]
    instant = in_whole_seconds(6)
    busy = [
        date_task(
            f"stuck-{i:02d}", guild_id=scene.guild.id, channel_id=scene.general.id, at=instant
        )
        for i in range(RATE_LIMITED_TASKS)
    ]
    lone = date_task(
        "lone",
        guild_id=quiet.id,
        channel_id=quiet.channel_named("quiet-general").id,
        at=instant + timedelta(seconds=1),
    )
    tasks = await seed_many(bot.db_path, [*busy, lone])
    due = expected_posts(tasks)
    await start_connected(bot)
    fd.settings.rate_limits = True
    await sleep_until(instant)

    await wait_for(lambda: tally(fd, due[-1:]).delivered == 1, 15, "the quiet guild's post")

    lone_tally = tally(fd, due[-1:])
    busy_so_far = tally(fd, due[:-1]).delivered
    summary = (
        f"lone task due 1 s into a rate-limited burst: {lone_tally.worst:.3f} s late; "
        f"busy posts out by then: {busy_so_far} of {RATE_LIMITED_TASKS}"
    )
    print(f"\n[fairness] {summary}")
    assert 0 <= lone_tally.worst < 2.0, summary
    assert busy_so_far < RATE_LIMITED_TASKS  # the burst really was still waiting
    fd.settings.rate_limits = False  # let the rest through quickly: none lost, none doubled
    await wait_for(lambda: tally(fd, due).delivered == len(due), 20, "every post")
    assert tally(fd, due).duplicated == 0
    assert await bot.stop() == 0
