"""Permanent faults, through the real `python bot.py` process (issue 8, item 5).

A task that posts every 3 seconds loses its destination: the channel is deleted, the bot's
permission to post there is taken away, or its webhook is deleted. The pause rules hold
(Unknown Channel 10003 and Unknown Webhook 10015 pause at once as `failed`; a 403 pauses after
MAX_CONSECUTIVE_FAILURES = 3 failed runs), the guild's own dev channel is told which task, why
and how to fix it, and after the fix a member's `/schedule resume` (with `/schedule edit
channel:` or `/schedule destinations` first where the destination is gone) makes the next run
post again.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from fakediscord import FakeDiscord, Permission
from fakediscord.interactions import Callback
from fakediscord.messages import StoredMessage
from fakediscord.models import Webhook
from storage import NewTask, Payload, Task, TaskKind, Variant
from storage.payloads import decode_destinations
from tests.e2e.harness import BotProcess, Scene, build_scene
from tests.e2e.proof import (
    channel_notices,
    final_answer,
    notice_text,
    run_rows,
    seed_new,
    start_connected,
    task_row,
    text_of,
    wait_for,
)

pytestmark = pytest.mark.slow

EVERY = 3  # seconds between runs
# discord.py's own permission checks are not involved: the bot posts through a partial
# messageable, so every refusal below comes from "Discord" (fakediscord), as in production.


@pytest.fixture
def scene() -> Scene:
    """The e2e guild plus the guild's own dev channel and the channels that will break."""
    built = build_scene()
    for name in ("ops", "doomed", "locked", "hooked"):
        built.guild.add_channel(name)
    return built


def channel(scene: Scene, name: str) -> Any:
    return scene.guild.channel_named(name)


async def command(fd: FakeDiscord, scene: Scene, path: str, **options: Any) -> Callback:
    """Run a slash command as the guild's admin and return its visible answer."""
    return await final_answer(await fd.slash(scene.guild, scene.admin, path, **options))


async def start(bot: BotProcess, fd: FakeDiscord, scene: Scene) -> None:
    """Start the process and give the guild its own dev channel, as an admin would."""
    await start_connected(bot, MIN_INTERVAL_SECONDS=str(EVERY), MAX_CONSECUTIVE_FAILURES="3")
    ops = channel(scene, "ops")
    answer = await command(fd, scene, "scheduler config", dev_channel=ops)
    assert f"<#{ops.id}>" in text_of(answer)


async def seed_every(bot: BotProcess, scene: Scene, name: str, destination: dict[str, Any]) -> Task:
    return await seed_new(
        bot.db_path,
        NewTask(
            name=name,
            kind=TaskKind.INTERVAL,
            spec=f"{EVERY}s",
            created_at=datetime.now(UTC),
            guild_id=scene.guild.id,
            created_by=scene.admin.id,
            timezone="UTC",
            payload=Payload(variants=(Variant(content=f"{name} post"),)),
            destinations=decode_destinations([destination]),
        ),
    )


async def notice_about(fd: FakeDiscord, scene: Scene, title: str, timeout: float) -> StoredMessage:  # noqa: ASYNC109
    """The notice titled `title` in the guild's dev channel."""
    return await fd.wait_for_message(
        channel(scene, "ops"),
        lambda m: bool(m.embeds) and m.embeds[0].get("title") == title,
        timeout=timeout,
    )


def statuses(bot: BotProcess, task: Task) -> list[str]:
    return [row["status"] for row in run_rows(bot.db_path, task.id)]


async def settled(bot: BotProcess, task: Task, count: int) -> list[dict[str, Any]]:
    """The task's first `count` run rows once none of them is still `running`."""
    await wait_for(
        lambda: len(statuses(bot, task)) >= count and "running" not in statuses(bot, task)[:count],
        5,
        f"{count} finished runs of {task.name}",
    )
    return run_rows(bot.db_path, task.id)[:count]


def assert_only_in_ops(fd: FakeDiscord, scene: Scene, task: Task) -> None:
    """The guild's notices went to its own dev channel, not the operator's."""
    assert not channel_notices(fd, scene.dev, lambda t: task.name in t)


async def test_deleted_channel_pauses_at_once_and_a_new_channel_plus_resume_fixes_it(
    bot: BotProcess, fd: FakeDiscord, scene: Scene
) -> None:
    doomed = channel(scene, "doomed")
    task = await seed_every(bot, scene, "doomed-news", {"type": "channel", "channel_id": doomed.id})
    await start(bot, fd, scene)
    await fd.wait_for_message(doomed, lambda m: m.content == "doomed-news post", timeout=EVERY + 5)

    await fd.delete_channel(doomed)
    notice = await notice_about(
        fd, scene, "Task 'doomed-news' paused: its destination is gone", timeout=EVERY + 8
    )

    text = notice_text(notice)
    assert f"<#{doomed.id}> no longer exists (Unknown Channel)" in text  # why
    assert "Choose another channel with /schedule edit, then /schedule resume." in text  # fix
    assert notice.embeds[0]["color"] == 0xE74C3C
    stored = task_row(bot.db_path, task.id)
    assert (stored["status"], stored["next_run_at"]) == ("failed", None)
    assert statuses(bot, task) == ["ok", "failed"]  # paused at the first 10003
    attempts = len(fd.requests_to("POST", f"/channels/{doomed.id}/messages"))
    await asyncio.sleep(EVERY + 1)
    assert len(fd.requests_to("POST", f"/channels/{doomed.id}/messages")) == attempts
    assert statuses(bot, task) == ["ok", "failed"]
    assert_only_in_ops(fd, scene, task)

    edited = await command(fd, scene, "schedule edit", task="doomed-news", channel=scene.general)
    assert "Updated: doomed-news" in text_of(edited)
    assert f"<#{scene.general.id}>" in text_of(edited)
    resumed = await command(fd, scene, "schedule resume", task="doomed-news")
    assert "Resumed: doomed-news" in text_of(resumed)
    post = await fd.wait_for_message(
        scene.general, lambda m: m.content == "doomed-news post", timeout=EVERY + 3
    )

    rows = await settled(bot, task, 3)
    assert [r["status"] for r in rows] == ["ok", "failed", "ok"]
    assert rows[2]["message_ids"] == f"[{post.id}]"
    assert task_row(bot.db_path, task.id)["status"] == "active"
    assert await bot.stop() == 0


@pytest.mark.parametrize(
    ("denied", "why"),
    [  # 403 code 50013, then 403 code 50001
        (Permission.SEND_MESSAGES, "the bot may not post in <#{id}> (Missing Permissions)"),
        (Permission.VIEW_CHANNEL, "the bot cannot see <#{id}> (Missing Access)"),
    ],
    ids=["send-messages", "view-channel"],
)
async def test_lost_permission_pauses_after_three_failures_and_resume_after_the_fix_posts(
    bot: BotProcess, fd: FakeDiscord, scene: Scene, denied: int, why: str
) -> None:
    locked = channel(scene, "locked")
    task = await seed_every(bot, scene, "locked-news", {"type": "channel", "channel_id": locked.id})
    await start(bot, fd, scene)
    await fd.wait_for_message(locked, lambda m: m.content == "locked-news post", timeout=EVERY + 5)

    locked.set_overwrite(scene.guild.bot_member, deny=denied)
    await fd.channel_updated(locked)
    paused = await notice_about(
        fd, scene, "Task 'locked-news' paused after 3 failures", timeout=3 * EVERY + 10
    )

    reason = why.format(id=locked.id)
    failed = channel_notices(fd, channel(scene, "ops"), lambda t: t == "Task 'locked-news' failed")
    assert len(failed) == 2  # the first two failures, told one by one
    for notice in failed:
        assert reason in notice_text(notice)
        assert "It will try again at its next run." in notice_text(notice)
    text = notice_text(paused)
    assert reason in text
    assert "It failed 3 runs in a row and is paused" in text
    assert f"Give the bot View Channel, Send Messages and Embed Links in <#{locked.id}>" in text
    assert "/schedule resume" in text
    refused = [
        r for r in fd.requests_to("POST", f"/channels/{locked.id}/messages") if r.status == 403
    ]
    assert len(refused) == 3  # a permanent error is not retried inside the run
    stored = task_row(bot.db_path, task.id)
    assert (stored["status"], stored["consecutive_failures"], stored["next_run_at"]) == (
        "paused",
        3,
        None,
    )
    assert statuses(bot, task)[-3:] == ["failed"] * 3
    assert_only_in_ops(fd, scene, task)
    await asyncio.sleep(EVERY + 1)
    assert len(statuses(bot, task)) == 4  # nothing runs while paused

    locked.overwrites = []
    await fd.channel_updated(locked)
    resumed = await command(fd, scene, "schedule resume", task="locked-news")
    assert "Resumed: locked-news" in text_of(resumed)
    after = fd.cursor()
    post = await fd.wait_for_message(
        locked, lambda m: m.content == "locked-news post", timeout=EVERY + 3, after=after
    )

    rows = await settled(bot, task, 5)
    assert [r["status"] for r in rows] == ["ok", "failed", "failed", "failed", "ok"]
    assert rows[-1]["message_ids"] == f"[{post.id}]"
    assert task_row(bot.db_path, task.id)["consecutive_failures"] == 0
    assert await bot.stop() == 0


async def test_deleted_webhook_pauses_at_once_and_new_destinations_plus_resume_fix_it(
    bot: BotProcess, fd: FakeDiscord, scene: Scene
) -> None:
    hooked = channel(scene, "hooked")
    hook = Webhook(
        id=fd.world.snowflakes.next(),
        guild_id=scene.guild.id,
        channel_id=hooked.id,
        name="Cadence",
        creator_id=fd.world.bot_user.id,
        application_id=fd.world.application.id,
    )
    fd.world.webhooks[hook.id] = hook
    destination = {
        "type": "webhook",
        "channel_id": hooked.id,
        "webhook_id": hook.id,
        "webhook_token": hook.token,
        "name": "Herald",
    }
    task = await seed_every(bot, scene, "herald", destination)
    await start(bot, fd, scene)
    first = await fd.wait_for_message(hooked, lambda m: m.content == "herald post", timeout=10)
    assert first.webhook_id == hook.id and first.webhook_username == "Herald"

    del fd.world.webhooks[hook.id]  # a member deletes it in the channel's settings
    notice = await notice_about(
        fd, scene, "Task 'herald' paused: its destination is gone", timeout=EVERY + 8
    )

    text = notice_text(notice)
    assert f"the webhook for <#{hooked.id}> was deleted (Unknown Webhook)" in text
    assert "Set the destination again with /schedule destinations, then /schedule resume." in text
    assert task_row(bot.db_path, task.id)["status"] == "failed"
    assert statuses(bot, task) == ["ok", "failed"]
    assert_only_in_ops(fd, scene, task)

    opened = await fd.slash(scene.guild, scene.admin, "schedule destinations", task="herald")
    await opened.response()
    panel = opened.original
    assert panel is not None
    await (await fd.select(scene.admin, panel, "dest_channels", [hooked])).response()
    identity = await fd.click(scene.admin, panel, "dest_identity")
    await identity.response()
    filled = await fd.submit_modal(identity, scene.admin, {"name": "Herald", "avatar": ""})
    await filled.response()
    await (await fd.click(scene.admin, panel, "dest_save")).wait_done()
    resumed = await command(fd, scene, "schedule resume", task="herald")
    assert "Resumed: herald" in text_of(resumed)
    post = await fd.wait_for_message(
        hooked,
        lambda m: m.content == "herald post" and m.id > first.id,
        timeout=EVERY + 3,
    )

    [new_hook] = [w for w in fd.world.webhooks.values() if w.channel_id == hooked.id]
    assert post.webhook_id == new_hook.id != hook.id
    assert post.webhook_username == "Herald"
    assert [r["status"] for r in await settled(bot, task, 3)] == ["ok", "failed", "ok"]
    assert await bot.stop() == 0


async def test_a_deleted_channel_of_many_tasks_gives_one_digest_that_still_says_how_to_fix(
    bot: BotProcess, fd: FakeDiscord, scene: Scene
) -> None:
    """Four tasks post in the channel that is deleted: their four notices arrive together and
    are folded into one digest, which must still name each task, why, and what to do."""
    doomed = channel(scene, "doomed")
    names = [f"shared-{n}" for n in range(4)]
    tasks = [
        await seed_every(bot, scene, name, {"type": "channel", "channel_id": doomed.id})
        for name in names
    ]
    await start(bot, fd, scene)
    await wait_for(
        lambda: len(fd.messages(doomed)) >= len(names), EVERY + 5, "a post of every task"
    )

    await fd.delete_channel(doomed)
    digest = await notice_about(fd, scene, "4 notices: task failed", timeout=EVERY + 8)

    text = notice_text(digest)
    for name in names:
        assert f"Task '{name}' paused: its destination is gone" in text  # which
    assert f"<#{doomed.id}> no longer exists (Unknown Channel)" in text  # why
    assert "Choose another channel with /schedule edit, then /schedule resume." in text  # fix
    for task in tasks:
        assert task_row(bot.db_path, task.id)["status"] == "failed"
    assert await bot.stop() == 0
