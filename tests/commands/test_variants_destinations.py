"""/schedule add-variant, rotation and destinations end to end, with posts checked where
"Discord" received them."""

from __future__ import annotations

from fakediscord.interactions import Interaction
from storage import RunStatus, TaskStatus
from tests.commands.harness import App, embed_of, final_answer, text_of
from tests.stored import destinations_json, payload_json


async def create(app: App, name: str = "rotating", channel=None) -> None:  # type: ignore[no-untyped-def]
    s = app.scene
    answer = await app.answer(
        s.admin, "cron", name=name, cron="0 9 * * *", channel=channel or s.general, message="first"
    )
    assert "Scheduled" in embed_of(answer)["title"], text_of(answer)


async def run_now(app: App, name: str) -> None:
    answer = await app.answer(app.scene.admin, "run", task=name)
    assert "Ran" in text_of(answer) or "failed" in text_of(answer)


async def test_variants_post_in_turn_sequentially(app: App) -> None:
    s = app.scene
    await create(app)
    await app.answer(s.admin, "add-variant", task="rotating", message="second")
    answer = await app.answer(s.admin, "add-variant", task="rotating", message="third")
    assert "3 (sequential)" in text_of(answer)
    for _ in range(4):
        await run_now(app, "rotating")
    assert [m.content for m in app.fd.messages(s.general)] == ["first", "second", "third", "first"]


async def test_add_variant_through_the_modal_keeps_line_breaks(app: App) -> None:
    s = app.scene
    await create(app)
    handle = await app.slash(s.admin, "add-variant", task="rotating")
    opened = await handle.response()
    assert opened.type == 9
    submitted = await app.fd.submit_modal(handle, s.admin, {"content": "line one\nline two"})
    assert "Variant added" in text_of(await final_answer(submitted))
    [task] = await app.tasks()
    assert payload_json(task)["variants"][1]["content"] == "line one\nline two"


async def test_random_rotation_and_a_bad_mode(app: App) -> None:
    s = app.scene
    await create(app)
    for n in range(4):
        await app.answer(s.admin, "add-variant", task="rotating", message=f"v{n}")
    answer = await app.answer(s.admin, "rotation", task="rotating", mode="random")
    assert "Rotation random" in embed_of(answer)["title"]
    [task] = await app.tasks()
    assert payload_json(task)["rotation"] == "random"
    refused = await app.fd.slash(
        s.guild, s.admin, "schedule rotation", task="rotating", mode="shuffle", strict=False
    )
    callback = await refused.callback_attempt()
    assert callback.ephemeral or not callback.accepted
    [unchanged] = await app.tasks()
    assert payload_json(unchanged)["rotation"] == "random"


async def test_empty_variant_is_refused_and_nothing_changes(app: App) -> None:
    s = app.scene
    await create(app)
    handle = await app.slash(s.admin, "add-variant", task="rotating")
    await handle.response()
    submitted = await app.fd.submit_modal(handle, s.admin, {"content": "   "})
    answer = await final_answer(submitted)
    assert answer.ephemeral and "empty" in text_of(answer)
    [task] = await app.tasks()
    assert len(payload_json(task)["variants"]) == 1


async def open_destinations(app: App, task: str = "rotating") -> Interaction:
    handle = await app.slash(app.scene.admin, "destinations", task=task)
    await handle.response()
    return handle


async def test_destinations_several_channels_a_thread_and_auto_publish(app: App) -> None:
    s = app.scene
    await create(app)
    handle = await open_destinations(app)
    message = handle.original
    assert message is not None
    await (
        await app.fd.select(s.admin, message, "dest_channels", [s.general, s.news, s.thread])
    ).response()
    await (await app.fd.click(s.admin, message, "dest_publish")).response()
    saved = await app.fd.click(s.admin, message, "dest_save")
    await saved.wait_done()
    [task] = await app.tasks()
    kinds = sorted((d["type"], d.get("publish", False)) for d in destinations_json(task))
    assert kinds == [("channel", False), ("channel", True), ("thread", False)]
    await run_now(app, "rotating")
    assert [m.content for m in app.fd.messages(s.news)] == ["first"]
    assert [m.content for m in app.fd.messages(s.thread)] == ["first"]
    assert any(r.path.endswith("/crosspost") for r in app.fd.requests)


async def test_one_failing_destination_does_not_stop_the_others(app: App) -> None:
    s = app.scene
    await create(app)
    handle = await open_destinations(app)
    message = handle.original
    assert message is not None
    await (await app.fd.select(s.admin, message, "dest_channels", [s.general, s.news])).response()
    await (await app.fd.click(s.admin, message, "dest_save")).wait_done()
    await app.fd.delete_channel(s.general)
    await run_now(app, "rotating")
    assert [m.content for m in app.fd.messages(s.news)] == ["first"]
    [task] = await app.tasks()
    [run] = await app.bot.engine.runs.list_for_task(task.id)
    assert run.status == RunStatus.FAILED
    assert len(run.message_ids) == 1
    assert "no longer exists" in (run.error or "")
    assert task.status == TaskStatus.FAILED  # the deleted channel pauses it at once


async def test_webhook_identity_posts_with_a_custom_name(app: App) -> None:
    s = app.scene
    await create(app)
    handle = await open_destinations(app)
    message = handle.original
    assert message is not None
    await (await app.fd.select(s.admin, message, "dest_channels", [s.general])).response()
    opened = await app.fd.click(s.admin, message, "dest_identity")
    await opened.response()
    filled = await app.fd.submit_modal(
        opened, s.admin, {"name": "Daily Herald", "avatar": "https://x.test/a.png"}
    )
    await filled.response()
    await (await app.fd.click(s.admin, message, "dest_save")).wait_done()
    [task] = await app.tasks()
    [dest] = destinations_json(task)
    assert dest["type"] == "webhook" and dest["name"] == "Daily Herald"
    await run_now(app, "rotating")
    [posted] = app.fd.messages(s.general)
    assert posted.webhook_username == "Daily Herald" and posted.content == "first"


async def test_destinations_refuses_a_channel_the_bot_cannot_post_in(app: App) -> None:
    s = app.scene
    await create(app)
    handle = await open_destinations(app)
    message = handle.original
    assert message is not None
    await (await app.fd.select(s.admin, message, "dest_channels", [s.readonly])).response()
    saved = await app.fd.click(s.admin, message, "dest_save")
    await saved.wait_done()
    assert any(
        "I can't post in" in (m.embeds[0].get("description", "") if m.embeds else "")
        for m in saved.followups
    )
    [task] = await app.tasks()
    assert destinations_json(task) == [{"type": "channel", "channel_id": s.general.id}]
