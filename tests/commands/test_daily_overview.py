"""The daily overview (cogs/summaries.py): a guild's JobSummary posted at its summary_cron, in
its zone, once per fire time even across restarts, to its summary or dev channel only.

The posting is driven by calling `Summaries.post_due(now)` with chosen instants (the loop
that calls it every few seconds is stopped), so no test waits for a real minute."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from cogs.summaries import Summaries, overview_nonce
from fakediscord.messages import StoredMessage
from storage import ChannelDestination, NewTask, Payload, TaskKind, Variant
from tests.commands.harness import App, final_answer, text_of


@pytest.fixture
async def overview(app: App) -> AsyncIterator[Summaries]:
    """The loaded cog, its loop (running since start-up) stopped so the test drives it."""
    # load_extension imports its own copy of the module, so the class is not `Summaries`.
    cog = cast(Summaries, app.bot.get_cog("Summaries"))
    assert type(cog).__name__ == "Summaries"
    assert cog.overview_loop.is_running()
    cog.overview_loop.cancel()
    await asyncio.sleep(0)
    yield cog


async def configure(app: App, guild: Any = None, **options: Any) -> str:
    s = app.scene
    guild = guild or s.guild
    member = s.admin if guild is s.guild else s.other_admin
    handle = await app.fd.slash(guild, member, "scheduler config", **options)
    answer = await final_answer(handle)
    assert "Settings updated" in text_of(answer), text_of(answer)
    return text_of(answer)


async def seed(app: App, names: list[str], guild: Any = None) -> None:
    guild = guild or app.scene.guild
    channel = app.scene.general if guild is app.scene.guild else app.scene.other_general
    for index, name in enumerate(names):
        new = NewTask(
            name=name,
            kind=TaskKind.CRON,
            spec=f"{index % 60} 9 * * *",
            created_at=app.bot.engine.clock.now(),
            guild_id=guild.id,
            payload=Payload(variants=(Variant(content="hello"),)),
            destinations=(ChannelDestination(channel_id=channel.id),),
        )
        await app.bot.control.create(new, actor_id=None)


def posted(app: App, channel: Any, after: int) -> list[StoredMessage]:
    return [m for m in app.fd.messages(channel) if m.id > after]


def words(messages: list[StoredMessage]) -> str:
    parts: list[str] = []
    for message in messages:
        for embed in message.embeds:
            parts += [embed.get("title", ""), embed.get("description", "")]
            parts += [f.get("value", "") for f in embed.get("fields", [])]
    return "\n".join(parts)


def minute(instant: datetime) -> datetime:
    return instant.replace(second=0, microsecond=0)


async def test_posted_once_per_fire_time_even_across_a_restart(
    app: App, overview: Summaries
) -> None:
    s = app.scene
    await seed(app, ["standup", "retro"])
    await seed(app, ["not-ours"], guild=s.other)
    await configure(app, summary_cron="* * * * *", summary_channel=s.general)
    assert await overview.post_due() == 0  # setting it never posts a past fire time
    start = await overview.config.last_summary(s.guild.id)  # when it was set
    assert start is not None

    fire = minute(start) + timedelta(minutes=2)
    assert await overview.post_due(fire - timedelta(seconds=61)) == 0  # the previous minute
    cursor = app.fd.cursor()
    assert await overview.post_due(fire) == 1

    [message] = posted(app, s.general, cursor)
    header = message.embeds[0]
    assert header["title"] == "Commands: scheduled tasks"
    text = words([message])
    assert "standup" in text and "retro" in text and "not-ours" not in text
    assert message.nonce == overview_nonce(s.guild.id, fire, 1)
    assert await overview.post_due(fire) == 0
    assert await overview.post_due(fire + timedelta(seconds=59)) == 0

    # A new process reads what the old one remembered.
    restarted = type(overview)(app.bot, app.bot.services)
    assert await restarted.post_due(fire + timedelta(seconds=30)) == 0
    # Down for ten minutes: only the latest missed fire time is posted, not ten.
    assert await restarted.post_due(fire + timedelta(minutes=10, seconds=30)) == 1
    assert len(posted(app, s.general, cursor)) == 2
    assert await restarted.config.last_summary(s.guild.id) == fire + timedelta(minutes=10)
    assert not [m for m in app.fd.all_posts() if m.guild_id == s.other.id]


async def test_fire_times_follow_the_guilds_zone(app: App, overview: Summaries) -> None:
    s = app.scene
    await configure(app, timezone="Europe/Berlin", summary_cron="0 9 * * *", dev_channel=s.dev)
    start = await overview.config.last_summary(s.guild.id)
    assert start is not None
    berlin = ZoneInfo("Europe/Berlin")
    day = start.astimezone(berlin).date()
    fire = datetime(day.year, day.month, day.day, 9, tzinfo=berlin).astimezone(UTC)
    if fire <= start:
        day += timedelta(days=1)
        fire = datetime(day.year, day.month, day.day, 9, tzinfo=berlin).astimezone(UTC)
    cursor = app.fd.cursor()

    assert await overview.post_due(fire - timedelta(seconds=1)) == 0
    assert await overview.post_due(fire) == 1

    [message] = posted(app, s.dev, cursor)  # no summary channel: the dev channel
    assert message.nonce == overview_nonce(s.guild.id, fire, 1)
    assert "There are no scheduled tasks." in words([message])


async def test_a_long_overview_is_split_into_several_messages(
    app: App, overview: Summaries
) -> None:
    s = app.scene
    names = [f"task-{index:03}-" + "x" * 80 for index in range(90)]
    await seed(app, names)
    await configure(app, summary_cron="* * * * *", summary_channel=s.news)
    cursor = app.fd.cursor()

    assert await overview.post_due(app.bot.engine.clock.now() + timedelta(minutes=1)) == 1

    messages = posted(app, s.news, cursor)
    assert len(messages) >= 2
    for message in messages:
        assert 1 <= len(message.embeds) <= 10
    text = words(messages)
    assert all(name in text for name in names)
    assert len({m.nonce for m in messages}) == len(messages)


async def test_nothing_is_posted_without_a_channel(
    app: App, overview: Summaries, caplog: pytest.LogCaptureFixture
) -> None:
    text = await configure(app, summary_cron="* * * * *")
    assert "The overview has nowhere to go" in text
    cursor = app.fd.cursor()

    with caplog.at_level(logging.INFO, logger="cogs.summaries"):
        assert await overview.post_due(app.bot.engine.clock.now() + timedelta(minutes=1)) == 0

    assert [m for m in app.fd.all_posts() if m.id > cursor] == []
    assert "no summary or dev channel" in caplog.text


async def test_a_lost_channel_is_reported_and_not_retried(app: App, overview: Summaries) -> None:
    s = app.scene
    digest = s.guild.add_channel("digest")
    ops = s.guild.add_channel("ops")
    for channel in (digest, ops):
        await app.fd.channel_created(channel)
    for _ in range(200):
        if app.bot.get_channel(digest.id) and app.bot.get_channel(ops.id):
            break
        await asyncio.sleep(0.01)
    await configure(app, summary_cron="* * * * *", summary_channel=digest, dev_channel=ops)
    await app.fd.delete_channel(digest)
    cursor = app.fd.cursor()
    later = app.bot.engine.clock.now() + timedelta(minutes=1)

    assert await overview.post_due(later) == 0
    await app.bot.engine.alerts.flush()

    [notice] = posted(app, ops, cursor)
    assert notice.embeds[0]["title"] == "The task overview could not be posted"
    assert f"<#{digest.id}>" in notice.embeds[0]["description"]
    assert await overview.post_due(later) == 0  # remembered: not retried every few seconds
    await app.bot.engine.alerts.flush()
    assert len(posted(app, ops, cursor)) == 1


async def test_turning_the_overview_off_stops_it(app: App, overview: Summaries) -> None:
    s = app.scene
    await configure(app, summary_cron="* * * * *", summary_channel=s.general)
    await configure(app, clear="summary_cron")
    cursor = app.fd.cursor()
    assert await overview.post_due(app.bot.engine.clock.now() + timedelta(hours=1)) == 0
    assert posted(app, s.general, cursor) == []
