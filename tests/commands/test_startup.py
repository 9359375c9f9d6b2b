"""Start-up after downtime (issue 13, item 1): commands are answered while catch-up posts, and
mentions are judged by the creator's rights today, whether or not the gateway's cache holds
the guild yet.

Each test stores overdue tasks before the real bot starts on the real clock, against
fakediscord over real sockets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fakediscord import FakeDiscord
from fakediscord.messages import StoredMessage
from storage import (
    CatchUp,
    ChannelDestination,
    Database,
    Mentions,
    NewTask,
    Payload,
    RunRepository,
    RunTrigger,
    Task,
    TaskKind,
    Variant,
)
from storage import TaskRepository as Tasks
from tests.commands.harness import App, Scene, embed_of, final_answer, started_app

MESSAGES = r"/channels/\d+/messages$"
STARTED = "Cadence started"


def overdue(scene: Scene, name: str, content: str, *, everyone: bool = False) -> NewTask:
    """A one-time task (created by the admin) that fell due an hour ago, while the bot was
    down; `catch_up=once` posts it late at start-up."""
    now = datetime.now(UTC)
    payload = Payload(
        variants=(Variant(content=content),),
        mentions=Mentions(everyone=True) if everyone else None,
    )
    return NewTask(
        name=name,
        kind=TaskKind.DATE,
        spec=(now - timedelta(hours=1)).isoformat(),
        created_at=now - timedelta(days=1),
        guild_id=scene.guild.id,
        created_by=scene.admin.id,
        timezone="UTC",
        catch_up=CatchUp.ONCE,
        payload=payload,
        destinations=(ChannelDestination(channel_id=scene.general.id),),
        next_run_at=now - timedelta(hours=1),
    )


def seeding(*news: NewTask) -> Callable[[FakeDiscord, Database], Awaitable[None]]:
    async def seed(fd: FakeDiscord, database: Database) -> None:
        for new in news:
            await Tasks(database).create(new)

    return seed


def is_started(message: StoredMessage) -> bool:
    return bool(message.embeds) and message.embeds[0].get("title") == STARTED


def fields_of(message: StoredMessage) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message.embeds[0].get("fields", [])}


async def muted_notice(app: App) -> StoredMessage:
    return await app.fd.wait_for_message(
        app.scene.dev,
        lambda m: bool(m.embeds) and "mentions muted" in m.embeds[0]["title"],
        timeout=5,
    )


async def test_a_command_is_answered_while_catch_up_is_still_posting(
    scene: Scene, tmp_path: Path
) -> None:
    posts = [overdue(scene, f"missed-{n}", f"missed post {n}") for n in range(3)]
    held: list[Any] = []

    async def seed_and_hold(fd: FakeDiscord, database: Database) -> None:
        await seeding(*posts)(fd, database)
        # Every channel post is made, but its answer is held: catch-up cannot finish.
        held.append(fd.faults.add(MESSAGES, method="POST", status=None, hold=True, times=None))

    async with started_app(
        scene, tmp_path / "cadence.db", before_start=seed_and_hold, wait_started=False
    ) as app:
        [fault] = held
        await fault.wait_held(1)
        answer = await final_answer(await app.fd.slash(scene.guild, scene.admin, "schedule list"))
        assert "missed-0" in str(embed_of(answer)), embed_of(answer)
        assert fault.held >= 1 and not app.bot.started.is_set()  # catch-up still under way
        assert not [m for m in app.fd.messages(scene.dev) if is_started(m)]

        app.fd.faults.clear()  # Discord answers again: catch-up ends, the bot says so
        await asyncio.wait_for(app.bot.started.wait(), 10)
        started = await app.fd.wait_for_message(scene.dev, is_started, timeout=5)
        assert fields_of(started)["Missed runs handled"] == "3"
        contents = sorted(m.content for m in app.fd.messages(scene.general))
        assert contents == ["missed post 0", "missed post 1", "missed post 2"]


async def test_catch_up_mutes_mentions_the_creator_may_no_longer_make(
    scene: Scene, tmp_path: Path
) -> None:
    scene.admin.roles.clear()  # lost Administrator (and with it Mention Everyone) while down
    seed = seeding(overdue(scene, "ping-all", "@everyone stand-up!", everyone=True))
    async with started_app(scene, tmp_path / "cadence.db", before_start=seed) as app:
        [posted] = app.fd.messages(scene.general)
        assert posted.content == "@everyone stand-up!"
        assert posted.mention_everyone is False
        notice = await muted_notice(app)
        assert "may no longer mention them" in notice.embeds[0]["description"]


async def test_catch_up_keeps_mentions_the_creator_may_still_make(
    scene: Scene, tmp_path: Path
) -> None:
    seed = seeding(overdue(scene, "ping-all", "@everyone stand-up!", everyone=True))
    async with started_app(scene, tmp_path / "cadence.db", before_start=seed) as app:
        [posted] = app.fd.messages(scene.general)
        assert posted.mention_everyone is True


async def test_a_run_resent_before_the_gateway_is_ready_is_checked_over_rest(
    scene: Scene, tmp_path: Path
) -> None:
    """Recovery re-sends an interrupted run in setup_hook, before the gateway connects: the
    cache is empty, so the check asks Discord's REST API instead of letting the ping through."""
    scene.admin.roles.clear()
    interrupted: list[Task] = []

    async def seed(fd: FakeDiscord, database: Database) -> None:
        task = await Tasks(database).create(
            overdue(scene, "ping-all", "@everyone stand-up!", everyone=True)
        )
        assert task.next_run_at is not None
        now = datetime.now(UTC)
        await RunRepository(database).start_many(
            [(task.id, task.next_run_at, RunTrigger.SCHEDULE)], now - timedelta(seconds=5)
        )
        await Tasks(database).update(task.id, next_run_at=None, at=now)
        interrupted.append(task)

    async with started_app(scene, tmp_path / "cadence.db", before_start=seed) as app:
        [posted] = app.fd.messages(scene.general)
        assert posted.mention_everyone is False
        fetched = [r.route for r in app.fd.requests if r.method == "GET"]
        assert f"/guilds/{scene.guild.id}/members/{scene.admin.id}" in fetched
        await app.bot.engine.alerts.flush()
        await muted_notice(app)
        [run] = await app.runs(interrupted[0])
        assert run.status == "ok"


async def test_a_second_ready_or_a_resume_does_not_start_catch_up_again(
    scene: Scene, tmp_path: Path
) -> None:
    seed = seeding(overdue(scene, "missed", "missed post"))
    async with started_app(scene, tmp_path / "cadence.db", before_start=seed) as app:
        ready_again = asyncio.create_task(app.bot.wait_for("ready", timeout=10))
        await app.fd.gateway.invalidate_session(resumable=False)  # identify again: READY
        await ready_again
        resumed = asyncio.create_task(app.bot.wait_for("resumed", timeout=10))
        await app.fd.gateway.drop(resumable=True)  # reconnect and RESUME
        await resumed
        await app.fd.wait_for_message(scene.general, lambda m: True, timeout=1)
        await asyncio.sleep(0.3)  # what a second catch-up would have posted, it has by now
        assert [m.content for m in app.fd.messages(scene.general)] == ["missed post"]
        assert len([m for m in app.fd.messages(scene.dev) if is_started(m)]) == 1


async def test_without_the_gateway_catch_up_goes_on_after_the_timeout_and_says_so(
    scene: Scene, tmp_path: Path
) -> None:
    """The gateway is held for 3 s; catch-up waits 0.5 s for it, then posts anyway, judging
    mentions over REST, and the start notice says the gateway was not ready."""
    scene.admin.roles.clear()

    async def seed_and_hold_gateway(fd: FakeDiscord, database: Database) -> None:
        await seeding(overdue(scene, "ping-all", "@everyone stand-up!", everyone=True))(
            fd, database
        )
        fd.gateway.hold()
        asyncio.get_running_loop().call_later(3, fd.gateway.release)

    async with started_app(
        scene,
        tmp_path / "cadence.db",
        before_start=seed_and_hold_gateway,
        wait_started=False,
        ready_timeout=0.5,
    ) as app:
        assert app.bot.started.is_set()  # before READY: the gateway was held until now
        [posted] = app.fd.messages(scene.general)
        assert posted.mention_everyone is False
        started = await app.fd.wait_for_message(scene.dev, is_started, timeout=5)
        assert "The gateway was not ready after 0.5 s" in started.embeds[0]["description"]
        await muted_notice(app)
