"""Who may use /schedule: Discord hides it from plain members, and the bot checks again on
every command, button and modal, so a crafted interaction past Discord's gate changes nothing.
A guild's manager role is accepted once named, and allowed on the command by an admin."""

from __future__ import annotations

from typing import Any

import pytest

from fakediscord.options import InteractionRefused
from tests.commands.harness import App, assert_refused, embed_of, final_answer, text_of

NEEDS_PERMISSION = "You need the Manage Server permission to use Cadence's commands"

EVERY_COMMAND: list[Any] = [
    pytest.param(
        "cron", {"name": "x", "cron": "0 9 * * *", "channel": "general", "message": "hi"}, id="cron"
    ),
    pytest.param("cron", {"name": "x", "cron": "0 9 * * *", "channel": "general"}, id="cron-modal"),
    pytest.param(
        "once", {"name": "x", "when": "in 1 day", "channel": "general", "message": "hi"}, id="once"
    ),
    pytest.param(
        "every", {"name": "x", "interval": "2h", "channel": "general", "message": "hi"}, id="every"
    ),
    pytest.param("list", {}, id="list"),
    pytest.param("show", {"task": "standup"}, id="show"),
    pytest.param("edit", {"task": "standup", "cron": "0 10 * * *"}, id="edit"),
    pytest.param("edit", {"task": "standup", "edit_message": True}, id="edit-modal"),
    pytest.param("pause", {"task": "standup"}, id="pause"),
    pytest.param("resume", {"task": "standup"}, id="resume"),
    pytest.param("delete", {"task": "standup"}, id="delete"),
    pytest.param("skip", {"task": "standup", "count": 3}, id="skip"),
    pytest.param("run", {"task": "standup"}, id="run"),
    pytest.param("run", {"task": "standup", "dry_run": True}, id="dry-run"),
]


def with_channels(app: App, options: dict[str, Any]) -> dict[str, Any]:
    if isinstance(options.get("channel"), str):
        return {**options, "channel": getattr(app.scene, options["channel"])}
    return options


async def test_discord_hides_schedule_from_members_without_manage_server(app: App) -> None:
    s = app.scene
    assert app.fd.can_use_command(s.guild, s.admin, "schedule")
    assert not app.fd.can_use_command(s.guild, s.member, "schedule")
    assert not app.fd.can_use_command(s.guild, s.manager, "schedule")
    with pytest.raises(InteractionRefused):
        await app.slash(s.member, "list")


@pytest.mark.parametrize(("command", "options"), EVERY_COMMAND)
async def test_crafted_command_from_member_is_refused_and_writes_nothing(
    app: App, command: str, options: dict[str, Any]
) -> None:
    s = app.scene
    await app.create("standup")
    await app.answer(s.admin, "pause", task="standup")
    await app.answer(s.admin, "resume", task="standup")
    posts = len(app.fd.messages(s.general))
    before = await app.storage()

    handle = await app.slash(
        s.member, command, bypass_permissions=True, **with_channels(app, options)
    )
    answer = await final_answer(handle)

    assert handle.modal is None
    assert_refused(answer, NEEDS_PERMISSION)
    assert "standup" not in text_of(answer)  # nothing of the guild's tasks leaks
    assert await app.storage() == before
    assert len(app.fd.messages(s.general)) == posts


async def test_member_cannot_confirm_someone_elses_delete(app: App) -> None:
    s = app.scene
    await app.create("standup")
    prompt = await app.slash(s.admin, "delete", task="standup")
    await prompt.response()
    assert prompt.original is not None
    before = await app.storage()

    clicked = await app.fd.click(s.member, prompt.original, "confirm", bypass_permissions=True)
    answer = await clicked.response()

    assert_refused(answer, NEEDS_PERMISSION)
    assert await app.storage() == before
    # The prompt still works for the admin who asked.
    confirmed = await app.fd.click(s.admin, prompt.original, "confirm")
    assert embed_of(await confirmed.response())["title"] == "Deleted: standup"


async def test_member_cannot_page_someone_elses_list(app: App) -> None:
    s = app.scene
    await app.seed([f"task-{n:02d}" for n in range(12)])
    panel = await app.slash(s.admin, "list")
    await panel.response()
    assert panel.original is not None
    clicked = await app.fd.click(s.member, panel.original, "next", bypass_permissions=True)
    assert_refused(await clicked.response(), NEEDS_PERMISSION)


async def test_member_cannot_submit_someone_elses_modal(app: App) -> None:
    s = app.scene
    opened = await app.slash(s.admin, "cron", name="notes", cron="0 9 * * *", channel=s.general)
    await opened.response()
    before = await app.storage()
    submitted = await app.fd.submit_modal(opened, s.member, {"content": "sneaky"})
    assert_refused(await final_answer(submitted), NEEDS_PERMISSION)
    assert await app.storage() == before


async def test_member_gets_no_task_names_from_autocomplete(app: App) -> None:
    s = app.scene
    await app.create("standup")
    choices = await app.fd.autocomplete(
        s.guild, s.member, "schedule show", focused="task", value="st", bypass_permissions=True
    )
    assert choices == []


# ---------------------------------------------------------------------- the manager role


async def test_manager_role_allowed_on_command_but_not_named_is_refused(app: App) -> None:
    """An admin allowed the role under Integrations, but did not name it in /scheduler config:
    Discord lets carol's command through, the bot refuses it."""
    s = app.scene
    app.fd.set_command_permissions(s.guild, "schedule", {s.managers: True})
    assert app.fd.can_use_command(s.guild, s.manager, "schedule")
    before = await app.storage()
    answer = await app.answer(
        s.manager, "cron", name="carols", cron="0 9 * * *", channel=s.general, message="hi"
    )
    assert_refused(answer, NEEDS_PERMISSION)
    assert await app.storage() == before


async def test_manager_role_named_but_carol_refused_past_the_gate_names_the_role(
    app: App,
) -> None:
    s = app.scene
    await app.bot.engine.guilds.update(
        s.guild.id, app.bot.engine.clock.now(), manager_role_id=s.managers.id
    )
    handle = await app.slash(s.member, "list", bypass_permissions=True)
    assert_refused(
        await final_answer(handle),
        f"You need the Manage Server permission or the <@&{s.managers.id}> role",
    )


async def test_manager_role_member_can_create_list_and_delete(app: App) -> None:
    s = app.scene
    await app.allow_managers()
    assert app.fd.can_use_command(s.guild, s.manager, "schedule")

    task = await app.create("carols", member=s.manager, message="from carol")
    assert task.created_by == s.manager.id
    entry = (await app.audit())[0]
    assert (entry.action, entry.actor_id) == ("create", s.manager.id)

    listed = await app.answer(s.manager, "list")
    assert "carols" in text_of(listed)

    prompt = await app.slash(s.manager, "delete", task="carols")
    await prompt.response()
    assert prompt.original is not None
    clicked = await app.fd.click(s.manager, prompt.original, "confirm")
    assert embed_of(await clicked.response())["title"] == "Deleted: carols"
    assert await app.tasks() == []
    entry = (await app.audit())[0]
    assert (entry.action, entry.actor_id) == ("delete", s.manager.id)


async def test_manager_who_loses_the_role_setting_cannot_submit_the_modal(app: App) -> None:
    s = app.scene
    await app.allow_managers()
    opened = await app.slash(s.manager, "cron", name="notes", cron="0 9 * * *", channel=s.general)
    assert (await opened.response()).type == 9
    await app.bot.engine.guilds.clear(s.guild.id, "manager_role_id", app.bot.engine.clock.now())
    before = await app.storage()
    submitted = await app.fd.submit_modal(opened, s.manager, {"content": "too late"})
    assert_refused(await final_answer(submitted), NEEDS_PERMISSION)
    assert await app.storage() == before
