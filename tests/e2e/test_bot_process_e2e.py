"""The real bot process against fakediscord: start-up, posts at their second, restarts,
code jobs, shutdown, and DST under libfaketime."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from fakediscord import FakeDiscord
from scheduler.payload import make_nonce
from tests.e2e.harness import BotProcess, Scene, faketime_missing_outside_ci, seed_task

pytestmark = pytest.mark.slow


def in_seconds(seconds: int) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)


def iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_start_syncs_to_the_dev_guild_and_announces_itself(
    bot: BotProcess, fd: FakeDiscord, scene: Scene
) -> None:
    started = await bot.start()
    assert started is not None
    embed = started.embeds[0]
    assert embed["color"] == 0x2ECC71
    assert {f["name"] for f in embed["fields"]} >= {"Active tasks", "Next run"}
    syncs = [r for r in fd.requests if r.method == "PUT" and r.path.endswith("/commands")]
    assert syncs and all(f"/guilds/{scene.guild.id}/commands" in r.path for r in syncs)
    assert await bot.stop() == 0


async def test_a_stored_task_fires_at_its_second_with_its_nonce_and_again_after_restart(
    bot: BotProcess, fd: FakeDiscord, scene: Scene
) -> None:
    first_due = in_seconds(8)
    first = await seed_task(
        bot.db_path,
        name="first",
        kind="date",
        spec=iso(first_due),
        guild_id=scene.guild.id,
        channel_id=scene.general.id,
        content="first post",
    )
    await bot.start()
    post = await fd.wait_for_message(scene.general, lambda m: m.content == "first post", timeout=15)
    assert post.nonce == make_nonce(first.id, first_due, 0)
    assert post.timestamp >= first_due.timestamp()
    assert post.timestamp - first_due.timestamp() < 2.0
    assert await bot.stop() == 0

    second_due = in_seconds(10)
    second = await seed_task(
        bot.db_path,
        name="second",
        kind="date",
        spec=iso(second_due),
        guild_id=scene.guild.id,
        channel_id=scene.news.id,
        content="second post",
    )
    await bot.start()
    again = await fd.wait_for_message(scene.news, lambda m: m.content == "second post", timeout=15)
    assert again.nonce == make_nonce(second.id, second_due, 0)
    assert again.timestamp >= second_due.timestamp()
    assert [m.content for m in fd.messages(scene.general)] == ["first post"]
    assert await bot.stop() == 0


async def test_code_jobs_alert_the_operator(bot: BotProcess, fd: FakeDiscord, scene: Scene) -> None:
    await bot.start(EXTRA_EXTENSIONS="tests.e2e.codejob_ext")
    ping = await fd.wait_for_message(
        scene.alerts,
        lambda m: bool(m.embeds) and m.embeds[0].get("title") == "Code job",
        timeout=10,
    )
    assert ping.embeds[0]["description"] == "ping from a code job"
    failure = await fd.wait_for_message(
        scene.dev,
        lambda m: bool(m.embeds) and "e2e-broken" in m.embeds[0].get("title", ""),
        timeout=10,
    )
    assert "the report service is down" in failure.embeds[0]["description"]
    assert failure.embeds[0]["color"] == 0xE74C3C
    assert await bot.stop() == 0


async def test_sigterm_stops_cleanly_and_the_token_never_reaches_the_logs(
    bot: BotProcess, fd: FakeDiscord, scene: Scene
) -> None:
    await bot.start()
    after = fd.cursor()
    assert await bot.stop() == 0
    stopping = await fd.wait_for_message(
        scene.dev,
        lambda m: bool(m.embeds) and m.embeds[0]["title"] == "Cadence stopping",
        after=after,
        timeout=5,
    )
    assert stopping is not None
    log = bot.log()
    assert "Stopped cleanly" in log
    assert "Traceback" not in log
    assert fd.token not in log
    with sqlite3.connect(bot.db_path) as conn:
        dumped = "\n".join(conn.iterdump())
    assert fd.token not in dumped


@pytest.mark.skipif(
    faketime_missing_outside_ci(),
    reason="needs libfaketime (Debian package faketime); .ci/run installs it and never skips",
)
async def test_spring_forward_gap_fires_at_the_first_instant_after_it(
    bot: BotProcess, fd: FakeDiscord, scene: Scene
) -> None:
    created = datetime(2027, 3, 13, 12, 0, tzinfo=UTC)
    task = await seed_task(
        bot.db_path,
        name="gap",
        kind="cron",
        spec="30 2 * * *",
        timezone="America/New_York",
        guild_id=scene.guild.id,
        channel_id=scene.general.id,
        now=created,
        content="gap post",
    )
    gap_end = datetime(2027, 3, 14, 7, 0, tzinfo=UTC)  # 03:00 EDT, first instant after 02:00
    assert task.next_run_at == gap_end
    await bot.start(faketime="@2027-03-14 06:59:52")
    post = await fd.wait_for_message(scene.general, lambda m: m.content == "gap post", timeout=20)
    assert post.nonce == make_nonce(task.id, gap_end, 0)
    assert await bot.stop() == 0
    with sqlite3.connect(bot.db_path) as conn:
        scheduled, started, trigger = conn.execute(
            "SELECT scheduled_for, started_at, trigger FROM runs WHERE task_id = ?", (task.id,)
        ).fetchone()
        following = conn.execute(
            "SELECT next_run_at FROM tasks WHERE id = ?", (task.id,)
        ).fetchone()[0]
    assert scheduled == int(gap_end.timestamp() * 1000)
    assert trigger == "schedule"
    assert 0 <= started - scheduled < 2000  # on the bot's (faked) clock
    assert following == int(datetime(2027, 3, 15, 6, 30, tzinfo=UTC).timestamp() * 1000)


async def test_global_sync_happens_only_when_the_command_tree_changed(
    bot: BotProcess, fd: FakeDiscord, scene: Scene
) -> None:
    def global_syncs() -> int:
        return sum(
            1
            for r in fd.requests
            if r.method == "PUT" and r.path.endswith("/commands") and "/guilds/" not in r.path
        )

    await bot.start(DEV_GUILD_ID="")
    assert global_syncs() == 1
    assert await bot.stop() == 0
    await bot.start(DEV_GUILD_ID="")
    assert global_syncs() == 1  # unchanged tree: Discord's command rate limit is spared
    assert "Command tree unchanged" in bot.log()
    assert await bot.stop() == 0
