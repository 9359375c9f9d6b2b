"""A guild never sees or touches another guild's tasks: not by name, not by id, not in lists
or autocomplete, even as that guild's administrator."""

from __future__ import annotations

from typing import Any

import pytest

from tests.commands.harness import App, assert_refused, embed_of, final_answer, text_of

BY_TASK: list[Any] = [
    pytest.param("show", {}, id="show"),
    pytest.param("edit", {"cron": "0 10 * * *"}, id="edit"),
    pytest.param("edit", {"edit_message": True}, id="edit-modal"),
    pytest.param("pause", {}, id="pause"),
    pytest.param("resume", {}, id="resume"),
    pytest.param("delete", {}, id="delete"),
    pytest.param("skip", {}, id="skip"),
    pytest.param("run", {}, id="run"),
    pytest.param("run", {"dry_run": True}, id="dry-run"),
]


@pytest.mark.parametrize("by", ["name", "id"])
@pytest.mark.parametrize(("command", "options"), BY_TASK)
async def test_another_guilds_task_is_not_found(
    app: App, command: str, options: dict[str, Any], by: str
) -> None:
    s = app.scene
    task = await app.create("standup")
    await app.answer(s.admin, "pause", task="standup")
    before = await app.storage()
    reference = task.name if by == "name" else str(task.id)

    handle = await app.slash(s.other_admin, command, guild=s.other, task=reference, **options)
    answer = await final_answer(handle)

    assert handle.modal is None
    assert_refused(answer, f"No task named “{reference}” in this server")
    assert await app.storage() == before
    assert app.fd.messages(s.general) == [] and app.fd.messages(s.other_general) == []


async def test_a_task_id_works_in_its_own_guild(app: App) -> None:
    task = await app.create("standup")
    answer = await app.answer(app.scene.admin, "show", task=str(task.id))
    assert embed_of(answer)["title"] == "Task: standup"


async def test_lists_and_autocomplete_show_only_the_guilds_own_tasks(app: App) -> None:
    s = app.scene
    await app.create("standup")
    await app.create("alpha-report")
    await app.create("elsewhere-report", guild=s.other)

    mine = text_of(await app.answer(s.admin, "list"))
    assert "standup" in mine and "alpha-report" in mine and "elsewhere" not in mine
    theirs = await app.answer(s.other_admin, "list", guild=s.other)
    assert "elsewhere-report" in text_of(theirs) and "standup" not in text_of(theirs)
    assert embed_of(theirs)["footer"]["text"] == "Page 1 of 1 · 1 task(s)"

    async def names(guild: Any, member: Any) -> list[str]:
        choices = await app.fd.autocomplete(
            guild, member, "schedule show", focused="task", value="rep"
        )
        return [c["value"] for c in choices]

    assert await names(s.guild, s.admin) == ["alpha-report"]
    assert await names(s.other, s.other_admin) == ["elsewhere-report"]


async def test_the_same_name_may_exist_in_two_guilds_independently(app: App) -> None:
    s = app.scene
    mine = await app.create("standup", message="ours")
    theirs = await app.create("standup", guild=s.other, message="theirs")
    assert mine.id != theirs.id

    await app.answer(s.other_admin, "pause", guild=s.other, task="standup")
    prompt = await app.slash(s.other_admin, "delete", guild=s.other, task="standup")
    await prompt.response()
    assert prompt.original is not None
    await (await app.fd.click(s.other_admin, prompt.original, "confirm")).response()

    assert await app.tasks(s.other) == []
    assert await app.task("standup") == mine  # untouched: still active, same row
    dry = await app.answer(s.admin, "run", task="standup", dry_run=True)
    assert "ours" in text_of(dry)
