"""Slash commands, autocomplete, modals, components, deadlines and the permission gate."""

from __future__ import annotations

import asyncio

import discord
import pytest

from fakediscord import FakeDiscord, FakeFile, InteractionRefused

from .bot_under_test import Recorder, build_bot
from .harness import Scene, StartBot


@pytest.fixture
async def recorder(start_bot: StartBot, scene: Scene) -> Recorder:
    recorder = Recorder()
    client, tree = build_bot(recorder)
    await start_bot(client, tree, scene.guild)
    return recorder


async def test_synced_tree_is_stored_and_listable(
    recorder: Recorder, start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    [stored] = fd.commands.commands(scene.guild.id)
    assert stored["name"] == "schedule"
    assert stored["default_member_permissions"] == str(discord.Permissions(manage_guild=True).value)
    assert {o["name"] for o in stored["options"]} >= {"cron", "show", "note", "panel"}
    client = discord.Client(intents=discord.Intents.none())
    await client.login(fd.token)
    try:
        listed = await discord.app_commands.CommandTree(client).fetch_commands(
            guild=discord.Object(scene.guild.id)
        )
    finally:
        await client.close()
    assert [c.name for c in listed] == ["schedule"]


async def test_slash_with_options_reaches_the_handler(
    recorder: Recorder, fd: FakeDiscord, scene: Scene
) -> None:
    handle = await fd.slash(
        scene.guild,
        scene.alice,
        "schedule cron",
        name="standup",
        cron="0 9 * * 1-5",
        channel=scene.news,
        max_runs=3,
        notify=scene.managers,
    )
    callback = await handle.response()
    assert callback.type == 4 and callback.ephemeral
    [(kind, values)] = recorder.calls
    assert kind == "cron"
    assert values["name"] == "standup" and values["cron"] == "0 9 * * 1-5"
    assert isinstance(values["channel"], discord.TextChannel)
    assert values["channel"].id == scene.news.id
    assert values["max_runs"] == 3
    assert values["notify"].id == scene.managers.id
    assert values["manage_guild"] is True and values["user"] == scene.alice.id
    assert handle.original is not None and handle.original.ephemeral
    assert handle.original.content == "created standup"
    assert fd.messages(scene.general) == []  # ephemeral answers are not channel posts
    assert fd.messages(scene.general, include_ephemeral=True)[0].id == handle.original.id
    assert fd.callbacks == [callback]


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        pytest.param({"name": "x", "cron": "* * * * *"}, "required", id="missing-required"),
        pytest.param(
            {"name": "x", "cron": "c", "channel": "thread"}, "types", id="thread-not-text"
        ),
        pytest.param(
            {"name": "x", "cron": "c", "channel": "general", "max_runs": 0},
            "must be in",
            id="below-min",
        ),
        pytest.param(
            {"name": "x", "cron": "c", "channel": "general", "when": "x"},
            "unknown",
            id="unknown-option",
        ),
    ],
)
async def test_client_side_option_rules(
    recorder: Recorder, fd: FakeDiscord, scene: Scene, options: dict, reason: str
) -> None:
    named = {"thread": scene.thread, "general": scene.general}
    if "channel" in options:
        options["channel"] = named[options["channel"]]
    with pytest.raises(InteractionRefused, match=reason):
        await fd.slash(scene.guild, scene.alice, "schedule cron", **options)


async def test_default_member_permissions_gate_and_bypass(
    recorder: Recorder, fd: FakeDiscord, scene: Scene
) -> None:
    args = {"name": "x", "cron": "* * * * *", "channel": scene.general}
    with pytest.raises(InteractionRefused, match="permissions"):
        await fd.slash(scene.guild, scene.bob, "schedule cron", **args)
    assert not fd.can_use_command(scene.guild, scene.bob, "schedule")
    handle = await fd.slash(scene.guild, scene.carol, "schedule cron", **args)  # Manage Server
    await handle.response()
    crafted = await fd.slash(
        scene.guild, scene.bob, "schedule cron", bypass_permissions=True, **args
    )
    await crafted.response()
    assert recorder.calls[-1][1]["user"] == scene.bob.id
    assert recorder.calls[-1][1]["manage_guild"] is False


async def test_command_permission_override_allows_a_role(
    recorder: Recorder, fd: FakeDiscord, scene: Scene
) -> None:
    schedulers = scene.guild.add_role("Schedulers")
    scene.bob.roles.append(schedulers.id)
    fd.set_command_permissions(scene.guild, "schedule", {schedulers: True})
    assert fd.can_use_command(scene.guild, scene.bob, "schedule")
    fd.set_command_permissions(scene.guild, "schedule", {scene.general: False})
    assert not fd.can_use_command(scene.guild, scene.carol, "schedule", in_channel=scene.general)


async def test_autocomplete_round_trip(recorder: Recorder, fd: FakeDiscord, scene: Scene) -> None:
    choices = await fd.autocomplete(
        scene.guild, scene.alice, "schedule show", focused="task", value="da"
    )
    assert [c["name"] for c in choices] == ["daily-standup", "dashboard", "data-export"]


async def test_modal_then_submit(recorder: Recorder, fd: FakeDiscord, scene: Scene) -> None:
    handle = await fd.slash(scene.guild, scene.alice, "schedule note")
    callback = await handle.response()
    assert callback.type == 9 and handle.modal is not None
    assert handle.modal["title"] == "Message"
    submitted = await fd.submit_modal(handle, scene.alice, {"content": "line 1\nline 2"})
    await submitted.wait_done()
    assert recorder.calls == [("modal", {"content": "line 1\nline 2", "footer": ""})]
    assert submitted.original is not None and submitted.original.content == "saved"
    with pytest.raises(InteractionRefused, match="required"):
        await fd.submit_modal(handle, scene.alice, {"footer": "only the footer"})


async def test_modal_only_as_first_answer(
    recorder: Recorder, fd: FakeDiscord, scene: Scene
) -> None:
    await fd.slash(scene.guild, scene.alice, "schedule late-modal")
    await asyncio.wait_for(recorder.done.wait(), 5)
    [error] = recorder.errors
    assert isinstance(error, discord.HTTPException) and error.code == 40060
    recorder.done.clear()
    handle = await fd.slash(scene.guild, scene.alice, "schedule note", again=True)
    await handle.response()
    submitted = await fd.submit_modal(handle, values={"content": "x"})
    await asyncio.wait_for(recorder.done.wait(), 5)
    assert recorder.errors[-1].code == 50035  # type: ignore[attr-defined]
    assert submitted.callbacks[0].status == 400 and not submitted.acknowledged


async def test_button_click_updates_the_message(
    recorder: Recorder, fd: FakeDiscord, scene: Scene
) -> None:
    handle = await fd.slash(scene.guild, scene.alice, "schedule panel")
    await handle.response()
    panel = handle.original
    assert panel is not None and fd.messages(scene.general) == [panel]
    click = await fd.click(scene.bob, panel, "pause")
    callback = await click.response()
    assert callback.type == 7
    assert recorder.calls == [("pause", {"user": scene.bob.id})]
    updated = fd.message(panel.id)
    assert updated is not None and updated.content == "paused" and updated.components == []
    with pytest.raises(InteractionRefused):
        await fd.click(scene.bob, panel, "pause")  # the view is gone


async def test_string_and_channel_selects(
    recorder: Recorder, fd: FakeDiscord, scene: Scene
) -> None:
    handle = await fd.slash(scene.guild, scene.alice, "schedule panel")
    await handle.response()
    panel = handle.original
    picked = await fd.select(scene.alice, panel, "mode", ["random"])
    await picked.wait_done()
    assert recorder.calls[-1] == ("mode", {"values": ["random"]})
    with pytest.raises(InteractionRefused):
        await fd.select(scene.alice, panel, "mode", ["nope"])
    where = await fd.select(scene.alice, panel, "where", [scene.general, scene.news])
    await where.wait_done()
    assert recorder.calls[-1] == ("where", {"ids": [scene.general.id, scene.news.id]})
    assert fd.message(panel.id).content == "2 channels"  # type: ignore[union-attr]


async def test_three_second_deadline(recorder: Recorder, fd: FakeDiscord, scene: Scene) -> None:
    handle = await fd.slash(scene.guild, scene.alice, "schedule slow")
    await asyncio.wait_for(recorder.started.wait(), 5)
    fd.clock.advance(3.5)
    recorder.release.set()
    await asyncio.wait_for(recorder.done.wait(), 5)
    [error] = recorder.errors
    assert isinstance(error, discord.NotFound) and error.code == 10062
    assert handle.callbacks[0].error_code == 10062 and not handle.acknowledged


async def test_defer_then_followups(recorder: Recorder, fd: FakeDiscord, scene: Scene) -> None:
    handle = await fd.slash(scene.guild, scene.alice, "schedule think")
    assert (await handle.response()).type == 5
    await handle.wait_done()
    [extra] = await handle.wait_followups(1)
    assert handle.original is not None and handle.original.content == "done thinking"
    assert not handle.original.flags & 128  # no longer "thinking"
    assert extra.ephemeral and extra.content == "one more"


async def test_edit_original(recorder: Recorder, fd: FakeDiscord, scene: Scene) -> None:
    handle = await fd.slash(scene.guild, scene.alice, "schedule edit")
    await handle.response()
    await fd.wait_for_message(scene.general, lambda m: m.content == "v2")
    assert handle.original is not None and handle.original.edits == 1


async def test_attachment_option(recorder: Recorder, fd: FakeDiscord, scene: Scene) -> None:
    handle = await fd.slash(
        scene.guild, scene.alice, "schedule import", file=FakeFile("tasks.json", b"[1, 2]")
    )
    await handle.wait_done()
    assert recorder.calls[-1] == ("import", {"name": "tasks.json", "data": b"[1, 2]"})


async def test_unsynced_command_is_refused(
    recorder: Recorder, fd: FakeDiscord, scene: Scene
) -> None:
    with pytest.raises(InteractionRefused, match="not a synced"):
        await fd.slash(scene.guild, scene.alice, "scheduler status")
    with pytest.raises(InteractionRefused, match="subcommand"):
        await fd.slash(scene.guild, scene.alice, "schedule")
