"""Mentions approved at save time are re-checked when the task posts (ARCHITECTURE section 6)."""

from __future__ import annotations

import asyncio

from tests.commands.harness import App, embed_of
from tests.stored import payload_json


async def create_everyone_task(app: App) -> int:
    s = app.scene
    answer = await app.answer(
        s.admin,
        "cron",
        name="ping-all",
        cron="0 9 * * *",
        channel=s.general,
        message="@everyone stand-up!",
    )
    assert "Scheduled" in embed_of(answer)["title"]
    [task] = await app.tasks()
    assert payload_json(task)["mentions"]["everyone"] is True
    return task.id


async def wait_for_cache(app: App, check) -> None:  # type: ignore[no-untyped-def]
    for _ in range(50):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the bot's cache did not catch up")


async def test_post_pings_while_the_creator_keeps_the_right(app: App) -> None:
    await create_everyone_task(app)
    [task] = await app.tasks()
    await app.bot.control.run_now(task, actor_id=None)
    [posted] = app.fd.messages(app.scene.general)
    assert posted.mention_everyone is True


async def test_post_goes_out_muted_when_the_creator_lost_the_right(app: App) -> None:
    s = app.scene
    await create_everyone_task(app)
    s.admin.roles.clear()
    await app.fd.member_updated(s.admin)
    guild = app.bot.get_guild(s.guild.id)
    assert guild is not None
    await wait_for_cache(  # MEMBER_CACHE=full: wait for the event; needed: nothing is kept
        app,
        lambda: (
            (cached := guild.get_member(s.admin.id)) is None
            or not cached.guild_permissions.administrator
        ),
    )
    [task] = await app.tasks()
    await app.bot.control.run_now(task, actor_id=None)
    [posted] = app.fd.messages(s.general)
    assert posted.content == "@everyone stand-up!" and posted.mention_everyone is False
    await app.bot.engine.alerts.flush()
    notice = await app.fd.wait_for_message(
        s.dev, lambda m: bool(m.embeds) and "mentions muted" in m.embeds[0]["title"], timeout=5
    )
    assert "may no longer mention them" in notice.embeds[0]["description"]


async def test_editing_the_first_variant_keeps_the_others_approved_mentions(app: App) -> None:
    s = app.scene
    await app.answer(
        s.admin, "cron", name="mixed", cron="0 9 * * *", channel=s.general, message="plain first"
    )
    await app.answer(s.admin, "add-variant", task="mixed", message="@everyone second")
    [task] = await app.tasks()
    assert payload_json(task)["mentions"]["everyone"] is True
    await app.answer(s.admin, "edit", task="mixed", message="plain first, edited")
    [edited] = await app.tasks()
    assert payload_json(edited)["variants"][0]["content"] == "plain first, edited"
    assert payload_json(edited)["mentions"]["everyone"] is True  # the second variant still pings
