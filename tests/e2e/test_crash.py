"""Crash proofs (issue 8): SIGKILL the real `python bot.py` in the middle of a burst, restart
it on the same database, and count on the emulator's side that every due post arrived
exactly once.

300 one-time tasks fall due over 3 seconds across 30 channels (every tenth through one of
three webhooks). Each scenario holds the burst at one point with an injected fault, kills
the process there, and restarts it:

* on the wire: every post is delayed, so runs have their `running` row but Discord never
  saw the send (the delayed requests are dropped when the process dies);
* held answers: Discord created the messages but the answers are held, so the bot never
  learns the sends succeeded;
* answers released: the held answers go out and the bot is killed as soon as the first of
  them has left, so the wave was answered but (most of it) not recorded;
* after the resume window (2 s here): runs left `running` become `unknown`, are reported
  once, and nothing is re-sent even though Discord's nonce window has passed.

A post is identified by (task, instant): the nonce (`make_nonce`) for a channel, the content
for a webhook (which takes no nonce, so an interrupted webhook run is `unknown` and not
re-sent: it may be missing, never doubled).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from pathlib import Path

import pytest

from fakediscord import FakeDiscord
from fakediscord.faults import Fault
from tests.e2e.burst import (
    Burst,
    add_channels,
    add_webhooks,
    count_posts,
    in_whole_seconds,
    run_rows,
    seed_burst,
    wait_until,
)
from tests.e2e.harness import BACKENDS, BotProcess, Scene
from tests.postgres_server import query_rows

pytestmark = pytest.mark.slow
log = logging.getLogger(__name__)

TASKS = 300
CHANNELS = 30
SPREAD = 3  # seconds over which the burst falls due
WEBHOOK_EVERY = 10  # every tenth task posts through a webhook
LEAD = 3.0  # seconds from now to the first instant (the bot starts in about 0.5 s)
STALLED = 10  # requests held or on the wire before the kill (one per channel in flight)
INTERRUPTED = "run(s) interrupted by a restart"


# Every proof here runs on each storage backend.
pytestmark = pytest.mark.parametrize("bot", BACKENDS, indirect=True)


@pytest.fixture(autouse=True)
def without_rate_limits(fd: FakeDiscord) -> None:
    """Discord's rate limits off for these proofs, for now (issue 19 item 6): with the limits
    on, the "Cadence started" notice does not reach the dev channel within the harness's
    20 s start-up wait while the 300-post burst's answers are held or its runs re-sent (not
    yet explained; all posts still arrive once). Exactly-once under the limits is proved by
    test_outage.py and test_fairness.py."""
    fd.settings.rate_limits = False


@pytest.fixture
async def burst(bot: BotProcess, fd: FakeDiscord, scene: Scene) -> Burst:
    channels = add_channels(scene.guild, CHANNELS)
    hooks = add_webhooks(fd, channels[:3])
    return await seed_burst(
        bot.db_path,
        scene.guild.id,
        channels,
        count=TASKS,
        first_at=in_whole_seconds(LEAD),
        spread=SPREAD,
        webhooks=hooks,
        webhook_every=WEBHOOK_EVERY,
    )


# -- helpers ------------------------------------------------------------------------------


async def sigkill(bot: BotProcess, fd: FakeDiscord) -> None:
    """SIGKILL the process, wait until it is gone and the emulator saw its sockets close."""
    assert bot.process is not None
    bot.process.kill()
    await bot.process.wait()
    bot.process = None
    await asyncio.sleep(0.2)


def running_keys(db_path: str | Path) -> set[tuple[int, int]]:
    query = "SELECT task_id, scheduled_for FROM runs WHERE status = 'running'"
    return {(row["task_id"], row["scheduled_for"]) for row in query_rows(db_path, query)}


def settled(db_path: str | Path) -> bool:
    """No run in flight and no burst task still waiting to run."""
    query = """
        SELECT (SELECT count(*) FROM runs WHERE status = 'running') AS running,
               (SELECT count(*) FROM tasks WHERE status = 'active' AND name LIKE 'burst-%')
               AS active
    """
    [row] = query_rows(db_path, query)
    return row["running"] == 0 and row["active"] == 0


def interrupted_notices(fd: FakeDiscord, scene: Scene) -> list[str]:
    return [
        m.embeds[0]["title"]
        for m in fd.messages(scene.dev)
        if m.embeds and INTERRUPTED in m.embeds[0].get("title", "")
    ]


async def restart_and_settle(bot: BotProcess, burst: Burst, **env: str) -> None:
    await bot.start(**env)
    await wait_until(lambda: settled(bot.db_path), 40, "the burst to settle after the restart")
    assert await bot.stop() == 0


def assert_each_post_once(fd: FakeDiscord, burst: Burst, db_path: str | Path) -> dict[str, int]:
    """Every channel post exactly once, webhook posts at most once, one run row each.

    Returns the run statuses, for the figures.
    """
    count = count_posts(fd, burst)
    doubled = {k: n for k, n in count.copies.items() if n > 1}
    assert doubled == {}, f"posted more than once: {doubled}"
    rows = run_rows(db_path)
    assert set(rows) == {p.key for p in burst.posts}
    several = {k: r for k, r in rows.items() if len(r) != 1}
    assert several == {}, f"an instant with several run rows: {several}"
    missing = {p.key for p in count.missing}
    for post in burst.channel_posts:
        [row] = rows[post.key]
        assert row.status == "ok", (post, row)
        assert post.key not in missing, post
    for post in burst.webhook_posts:
        [row] = rows[post.key]
        assert row.status in ("ok", "unknown"), (post, row)
        if row.status == "ok":
            assert post.key not in missing, post
    statuses = Counter(r[0].status for r in rows.values())
    print(
        f"\n{count.summary()}; webhook posts missing (unknown runs): "
        f"{len(missing)}; run rows {dict(statuses)}"
    )
    return dict(statuses)


def hold_the_burst(fd: FakeDiscord, burst: Burst, **how: float | bool) -> Fault:
    return fd.faults.add(burst.fault_path(), method="POST", status=None, times=None, **how)


async def start_with_answers_held(
    bot: BotProcess, fd: FakeDiscord, burst: Burst, **env: str
) -> Fault:
    """Start the bot with the burst's answers held; return once STALLED of them are held and
    the other runs have queued behind them."""
    held = hold_the_burst(fd, burst, hold=True)
    await bot.start(**env)
    await held.wait_held(STALLED, timeout=LEAD + 10)
    await asyncio.sleep(0.3)
    return held


# -- the scenarios ------------------------------------------------------------------------


async def test_kill_between_the_run_rows_and_the_sends(
    bot: BotProcess, fd: FakeDiscord, scene: Scene, burst: Burst
) -> None:
    wire = hold_the_burst(fd, burst, delay=60)
    await bot.start()
    await wire.wait_delayed(STALLED, timeout=LEAD + 10)
    await asyncio.sleep(0.3)  # the other runs queue behind them
    assert count_posts(fd, burst).delivered == 0  # nothing reached Discord
    await sigkill(bot, fd)
    # Read after the kill: the rows of runs that fall due later keep being written up to it.
    stuck = running_keys(bot.db_path)
    assert len(stuck) >= STALLED
    fd.faults.clear()  # the requests still on the wire arrive with nobody waiting: dropped
    await asyncio.sleep(0.1)
    assert wire.dropped >= STALLED
    assert count_posts(fd, burst).delivered == 0

    await restart_and_settle(bot, burst)
    statuses = assert_each_post_once(fd, burst, bot.db_path)
    # Each interrupted webhook run is unknown; its post was never made.
    stuck_hooks = {p.key for p in burst.webhook_posts if p.key in stuck}
    assert statuses.get("unknown", 0) == len(stuck_hooks)
    assert {p.key for p in count_posts(fd, burst).missing} == stuck_hooks
    assert interrupted_notices(fd, scene) == [f"{len(stuck)} {INTERRUPTED}"]
    assert "Traceback" not in bot.log()


async def test_kill_while_the_answers_are_held(
    bot: BotProcess, fd: FakeDiscord, scene: Scene, burst: Burst
) -> None:
    held = await start_with_answers_held(bot, fd, burst)
    created = count_posts(fd, burst)
    assert created.delivered == held.held >= STALLED  # Discord made them; the bot can't know
    await sigkill(bot, fd)
    stuck = running_keys(bot.db_path)  # after the kill, as above
    assert {k for k in created.copies} <= stuck
    fd.faults.clear()

    await restart_and_settle(bot, burst)
    assert_each_post_once(fd, burst, bot.db_path)
    # The held webhook posts were made even though their runs end `unknown`.
    rows = run_rows(bot.db_path)
    for post in burst.webhook_posts:
        if post.key in created.copies:
            assert count_posts(fd, [post]).delivered == 1
            assert rows[post.key][0].status == "unknown"
    assert interrupted_notices(fd, scene) == [f"{len(stuck)} {INTERRUPTED}"]
    assert "Traceback" not in bot.log()


async def test_kill_after_the_answers_before_the_results_are_recorded(
    bot: BotProcess, fd: FakeDiscord, scene: Scene, burst: Burst
) -> None:
    held = await start_with_answers_held(bot, fd, burst)
    released_after = len(fd.requests)
    held.release()  # the answers go out; later sends are held again
    # Kill as soon as the first answer has left: the bot records outcomes in batches within
    # a few milliseconds, so waiting for the first recorded result would often find the
    # whole wave recorded.
    deadline = time.monotonic() + 5
    while not any(r.answered and r.status == 200 for r in fd.requests[:released_after]):
        assert time.monotonic() < deadline, "no answer went out after the release"
        await asyncio.sleep(0.001)
    await sigkill(bot, fd)
    fd.faults.clear()
    # The point: posts answered (200 sent back) whose runs are still `running`.
    answered = {
        r.json.get("nonce")
        for r in fd.requests
        if r.answered and r.status == 200 and isinstance(r.json, dict)
    }
    stuck = running_keys(bot.db_path)
    answered_not_recorded = [
        p for p in burst.channel_posts if p.nonce in answered and p.key in stuck
    ]
    print(f"\nanswered but not recorded at the kill: {len(answered_not_recorded)}")
    assert answered_not_recorded

    await restart_and_settle(bot, burst)
    assert_each_post_once(fd, burst, bot.db_path)
    assert interrupted_notices(fd, scene) == [f"{len(stuck)} {INTERRUPTED}"]
    counts = [
        (row["status"], row["run_count"], row["n"])
        for row in query_rows(
            bot.db_path,
            "SELECT status, run_count, count(*) AS n FROM tasks WHERE name LIKE 'burst-%' "
            "GROUP BY status, run_count",
        )
    ]
    # Every task that posted is completed with one run: none left `active` half-recorded.
    assert ("active", 0) not in {(s, n) for s, n, _ in counts}
    assert all(n == 1 for s, n, _ in counts if s == "completed")
    assert "Traceback" not in bot.log()


async def test_restart_after_the_resume_window_resends_nothing(
    bot: BotProcess, fd: FakeDiscord, scene: Scene, burst: Burst
) -> None:
    window = {"RESUME_WINDOW_SECONDS": "2"}
    await start_with_answers_held(bot, fd, burst, **window)
    await sigkill(bot, fd)
    stuck = running_keys(bot.db_path)  # after the kill, as above
    made_before = set(count_posts(fd, burst).copies)
    fd.faults.clear()
    # Long enough that Discord's dedup would no longer save a re-send: any re-send doubles.
    fd.settings.nonce_window = 1.0
    await asyncio.sleep(3.0)

    await restart_and_settle(bot, burst, **window)
    count = count_posts(fd, burst)
    assert {k: n for k, n in count.copies.items() if n > 1} == {}
    rows = run_rows(bot.db_path)
    assert all(len(r) == 1 for r in rows.values())
    assert {k for k, r in rows.items() if r[0].status == "unknown"} == stuck
    assert {k for k, r in rows.items() if r[0].status != "unknown"} == {
        p.key for p in burst.posts
    } - stuck
    assert all(r[0].status == "ok" for k, r in rows.items() if k not in stuck)
    # An interrupted run's post exists only if Discord made it before the kill.
    assert {p.key for p in count.missing} == stuck - made_before
    assert interrupted_notices(fd, scene) == [f"{len(stuck)} {INTERRUPTED}"]
    print(f"\n{count.summary()}; unknown {len(stuck)}, of which posted {len(made_before)}")

    # Reported once: a further restart neither reports nor sends anything again.
    posts_before = len(fd.all_posts())
    await bot.start(**window)
    await asyncio.sleep(1.0)
    assert await bot.stop() == 0
    assert interrupted_notices(fd, scene) == [f"{len(stuck)} {INTERRUPTED}"]
    burst_posts = count_posts(fd, burst)
    assert burst_posts.copies == count.copies
    assert len(fd.all_posts()) > posts_before  # only the started/stopping notices
    assert "Traceback" not in bot.log()
