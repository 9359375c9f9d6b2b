"""/schedule list, show, pause, resume, delete, skip and run: what Discord receives and what
storage holds afterwards; refusals leave storage exactly as it was."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from scheduler.payload import make_nonce
from storage import RunStatus, RunTrigger, TaskStatus
from tests.commands.harness import (
    App,
    assert_refused,
    discord_time,
    embed_of,
    field_of,
    final_answer,
    text_of,
    weekday_mornings,
)

UPDATE_MESSAGE = 7

# ---------------------------------------------------------------------- list


async def test_list_shows_every_task_with_schedule_next_run_and_channel(app: App) -> None:
    s = app.scene
    standup = await app.create("standup", timezone="Europe/Berlin")
    await app.create("Launch", "once", when="2031-01-02 03:04")
    await app.create("pulse", "every", interval="90m", channel=s.news)
    await app.answer(s.admin, "pause", task="pulse")
    before = await app.storage()

    answer = await app.answer(s.admin, "list")

    assert answer.ephemeral
    embed = embed_of(answer)
    assert embed["title"] == "Scheduled tasks"
    entries = embed["description"].split("\n\n")
    assert [e.split(" · ")[0] for e in entries] == ["**Launch**", "**pulse**", "**standup**"]
    due = standup.next_run_at
    assert due is not None
    assert entries[2] == (
        f"**standup** · ▶ active\nAt 09:00, Monday through Friday · next "
        f"{discord_time(due)} (<t:{int(due.timestamp())}:R>) · <#{s.general.id}>"
    )
    assert "Once at 2031-01-02 03:04 (UTC)" in entries[0]
    assert entries[1].startswith("**pulse** · ⏸ paused\nEvery 90 minutes · next —")
    assert embed["footer"]["text"] == "Page 1 of 1 · 3 task(s)"
    assert not (answer.data or {}).get("components")  # one page: no buttons
    assert await app.storage() == before


async def test_list_filters_by_status_and_channel(app: App) -> None:
    s = app.scene
    await app.create("a-general")
    await app.create("b-news", channel=s.news)
    await app.create("c-paused", channel=s.news)
    await app.answer(s.admin, "pause", task="c-paused")

    paused = await app.answer(s.admin, "list", status="paused")
    assert "c-paused" in text_of(paused) and "b-news" not in text_of(paused)
    in_news = await app.answer(s.admin, "list", channel=s.news)
    assert "b-news" in text_of(in_news) and "c-paused" in text_of(in_news)
    assert "a-general" not in text_of(in_news)
    nothing = await app.answer(s.admin, "list", status="completed")
    assert embed_of(nothing)["description"] == "No tasks match."


async def test_list_refuses_a_status_outside_the_choices(app: App) -> None:
    """A crafted payload with a status Discord's client would not send is a user error."""
    s = app.scene
    await app.create("standup")
    before = await app.storage()
    handle = await app.fd.slash(s.guild, s.admin, "schedule list", status="bogus", strict=False)
    answer = await final_answer(handle)
    assert_refused(answer, "bogus", "active, paused, completed, failed")
    assert await app.storage() == before


async def test_list_with_more_than_ten_tasks_pages_with_buttons(app: App) -> None:
    s = app.scene
    names = [f"task-{n:02d}" for n in range(23)]
    await app.seed(names)
    handle = await app.slash(s.admin, "list")
    first = await final_answer(handle)
    assert first.ephemeral
    assert embed_of(first)["footer"]["text"] == "Page 1 of 3 · 23 task(s)"
    assert "task-00" in text_of(first) and "task-09" in text_of(first)
    assert "task-10" not in text_of(first)
    message = handle.original
    assert message is not None
    buttons = {c["custom_id"]: c for row in message.components for c in row["components"]}
    assert buttons["prev"]["disabled"] is True and buttons["next"]["disabled"] is False

    async def click(custom_id: str) -> str:
        clicked = await app.fd.click(s.admin, message, custom_id)
        answer = await clicked.response()
        assert answer.type == UPDATE_MESSAGE
        return str(embed_of(answer)["footer"]["text"]) + "\n" + text_of(answer)

    page = await click("next")
    assert page.startswith("Page 2 of 3") and "task-10" in page and "task-19" in page
    page = await click("next")
    assert page.startswith("Page 3 of 3") and "task-22" in page and "task-19" not in page
    buttons = {c["custom_id"]: c for row in message.components for c in row["components"]}
    assert buttons["next"]["disabled"] is True
    page = await click("prev")
    assert page.startswith("Page 2 of 3")


# ---------------------------------------------------------------------- show


async def test_show_has_next_five_runs_stats_after_a_run_and_last_change(app: App) -> None:
    s = app.scene
    before = datetime.now(UTC)
    await app.create("standup", timezone="Europe/Berlin", message="Stand-up!")
    await app.answer(s.admin, "run", task="standup")
    stored = await app.storage()

    answer = await app.answer(s.admin, "show", task="standup")

    assert answer.ephemeral
    embed = embed_of(answer)
    assert embed["title"] == "Task: standup"
    assert embed["description"] == "At 09:00, Monday through Friday"
    expected = weekday_mornings("Europe/Berlin", before, 5)
    runs = field_of(answer, "Next runs").splitlines()
    assert [line.split(" ")[0] for line in runs] == [discord_time(at) for at in expected]
    assert field_of(answer, "Timezone") == "Europe/Berlin"
    assert field_of(answer, "Message") == "Stand-up!"
    assert field_of(answer, "Runs (kept history)") == "1 ok, 0 failed, 0 missed · success 100%"
    assert field_of(answer, "Last change").startswith(f"run by <@{s.admin.id}>, <t:")
    assert await app.storage() == stored  # showing writes nothing


async def test_show_of_a_paused_task_says_why_and_has_no_next_run(app: App) -> None:
    s = app.scene
    await app.create("standup")
    await app.answer(s.admin, "pause", task="standup")
    answer = await app.answer(s.admin, "show", task="standup")
    assert field_of(answer, "Status") == "⏸ paused"
    assert field_of(answer, "Next run") == "none scheduled"
    assert field_of(answer, "Why it stopped") == "paused by alice"
    assert field_of(answer, "Last change").startswith(f"pause by <@{s.admin.id}>")


# ---------------------------------------------------------------------- pause and resume


async def test_pause_then_resume(app: App) -> None:
    s = app.scene
    task = await app.create("standup")

    paused = await app.answer(s.admin, "pause", task="standup")
    assert paused.ephemeral
    assert embed_of(paused)["title"] == "Paused: standup"
    assert field_of(paused, "Status") == "⏸ paused"
    stored = await app.task("standup")
    assert stored.status == TaskStatus.PAUSED and stored.updated_by == s.admin.id
    entry = (await app.audit())[0]
    assert (entry.action, entry.actor_id, entry.task_id) == ("pause", s.admin.id, task.id)

    resumed = await app.answer(s.admin, "resume", task="standup")
    assert embed_of(resumed)["title"] == "Resumed: standup"
    assert field_of(resumed, "Status") == "▶ active"
    stored = await app.task("standup")
    assert stored.status == TaskStatus.ACTIVE and stored.next_run_at == task.next_run_at
    assert field_of(resumed, "Next runs").startswith(discord_time(task.next_run_at))
    entry = (await app.audit())[0]
    assert (entry.action, entry.actor_id) == ("resume", s.admin.id)


async def test_pause_of_a_paused_task_is_refused(app: App) -> None:
    s = app.scene
    await app.create("standup")
    await app.answer(s.admin, "pause", task="standup")
    before = await app.storage()
    answer = await app.answer(s.admin, "pause", task="standup")
    assert_refused(answer, "'standup' is not active (it is paused)")
    assert await app.storage() == before


async def test_resume_of_an_active_task_is_refused(app: App) -> None:
    await app.create("standup")
    before = await app.storage()
    answer = await app.answer(app.scene.admin, "resume", task="standup")
    assert_refused(answer, "'standup' is already active")
    assert await app.storage() == before


# ---------------------------------------------------------------------- delete


async def test_delete_asks_first_and_cancel_keeps_the_task(app: App) -> None:
    s = app.scene
    await app.create("standup")
    before = await app.storage()
    handle = await app.slash(s.admin, "delete", task="standup")
    prompt = await handle.response()
    assert prompt.ephemeral
    assert embed_of(prompt)["title"] == "Delete “standup”?"
    assert "cannot be undone" in embed_of(prompt)["description"]
    message = handle.original
    assert message is not None
    labels = {c["custom_id"]: c["label"] for row in message.components for c in row["components"]}
    assert labels == {"confirm": "Delete", "cancel": "Cancel"}
    assert await app.storage() == before  # asking deletes nothing

    clicked = await app.fd.click(s.admin, message, "cancel")
    answer = await clicked.response()
    assert answer.type == UPDATE_MESSAGE
    assert (answer.data or {}).get("content") == "Cancelled; nothing was changed."
    assert message.components == []
    assert await app.storage() == before


async def test_delete_confirmed_removes_task_and_runs_and_writes_audit(app: App) -> None:
    s = app.scene
    task = await app.create("standup")
    await app.answer(s.admin, "run", task="standup")
    assert len(await app.runs(task)) == 1
    handle = await app.slash(s.admin, "delete", task="standup")
    await handle.response()
    assert handle.original is not None

    clicked = await app.fd.click(s.admin, handle.original, "confirm")
    answer = await clicked.response()

    assert answer.type == UPDATE_MESSAGE
    assert embed_of(answer)["title"] == "Deleted: standup"
    assert handle.original.components == []
    assert await app.tasks() == []
    assert await app.runs(task) == []
    entry = (await app.audit())[0]
    assert (entry.action, entry.actor_id, entry.task_id) == ("delete", s.admin.id, task.id)
    assert entry.detail["name"] == "standup"
    # The name is free again.
    await app.create("standup")


async def test_confirming_a_stale_prompt_after_the_task_is_gone_is_refused(app: App) -> None:
    s = app.scene
    await app.create("standup")
    first = await app.slash(s.admin, "delete", task="standup")
    second = await app.slash(s.admin, "delete", task="standup")
    await first.response()
    await second.response()
    assert first.original is not None and second.original is not None
    await (await app.fd.click(s.admin, first.original, "confirm")).response()
    before = await app.storage()

    clicked = await app.fd.click(s.admin, second.original, "confirm")

    assert_refused(await clicked.response(), "That task does not exist in this server.")
    assert await app.storage() == before


async def test_only_the_member_who_asked_may_confirm(app: App) -> None:
    s = app.scene
    await app.allow_managers()
    await app.create("standup")
    handle = await app.slash(s.admin, "delete", task="standup")
    await handle.response()
    before = await app.storage()
    clicked = await app.fd.click(s.manager, handle.original, "confirm", bypass_permissions=True)
    answer = await clicked.response()
    assert answer.ephemeral
    assert (answer.data or {}).get("content") == "Only the member who asked can answer this."
    assert await app.storage() == before


# ---------------------------------------------------------------------- skip


async def test_skip_counts_runs_to_skip(app: App) -> None:
    s = app.scene
    task = await app.create("standup")
    answer = await app.answer(s.admin, "skip", task="standup", count=2)
    assert answer.ephemeral
    assert embed_of(answer)["title"] == "Skipping 2 run(s): standup"
    assert "skipping the next 2" in field_of(answer, "Options")
    stored = await app.task("standup")
    assert stored.skip_next == 2 and stored.next_run_at == task.next_run_at
    entry = (await app.audit())[0]
    assert (entry.action, entry.actor_id, entry.detail) == ("skip", s.admin.id, {"count": 2})

    await app.answer(s.admin, "skip", task="standup")  # count defaults to 1
    assert (await app.task("standup")).skip_next == 3


@pytest.mark.parametrize(
    ("setup", "options", "fragments"),
    [
        pytest.param("once", {}, ["Only recurring tasks can skip runs"], id="one-time-task"),
        pytest.param("cron", {"count": 0}, ["count must be between 1 and 1000"], id="count-zero"),
    ],
)
async def test_skip_refusals(
    app: App, setup: str, options: dict[str, Any], fragments: list[str]
) -> None:
    s = app.scene
    await app.create("job", setup)
    before = await app.storage()
    handle = await app.fd.slash(
        s.guild, s.admin, "schedule skip", task="job", strict=False, **options
    )
    assert_refused(await final_answer(handle), *fragments)
    assert await app.storage() == before


# ---------------------------------------------------------------------- run


async def test_run_dry_run_previews_and_posts_nothing(app: App) -> None:
    s = app.scene
    await app.create("standup", message="Stand-up in 5 minutes!", title="Stand-up", color="blue")
    before = await app.storage()
    answer = await app.answer(s.admin, "run", task="standup", dry_run=True)
    assert answer.ephemeral
    data = answer.data or {}
    assert data["content"].startswith("**Preview of standup** (nothing was posted):")
    [embed] = data["embeds"]
    assert embed["title"] == "Stand-up"
    assert embed["description"] == "Stand-up in 5 minutes!"
    assert embed["color"] == 0x3498DB
    assert app.fd.messages(s.general) == []
    assert await app.storage() == before


async def test_run_posts_now_records_a_manual_run_and_keeps_the_schedule(app: App) -> None:
    s = app.scene
    task = await app.create("standup", message="Stand-up time!")
    answer = await app.answer(s.admin, "run", task="standup")

    assert answer.ephemeral
    assert embed_of(answer)["title"] == "Ran standup"
    assert "schedule is unchanged" in embed_of(answer)["description"]
    [post] = app.fd.messages(s.general)
    assert post.content == "Stand-up time!"
    [run] = await app.runs(task)
    assert (run.trigger, run.status) == (RunTrigger.MANUAL, RunStatus.OK)
    assert run.message_ids == [post.id]
    assert post.nonce == make_nonce(task.id, run.scheduled_for, 0)
    stored = await app.task("standup")
    assert stored.next_run_at == task.next_run_at
    assert stored.run_count == 0  # manual runs do not count towards max_runs
    entry = (await app.audit())[0]
    assert (entry.action, entry.actor_id, entry.task_id) == ("run", s.admin.id, task.id)


async def test_run_that_discord_refuses_is_reported_and_recorded(app: App) -> None:
    s = app.scene
    task = await app.create("standup")
    app.fd.faults.add(r"/channels/\d+/messages$", method="POST", status=403, code=50013)
    answer = await app.answer(s.admin, "run", task="standup")
    assert answer.ephemeral
    assert embed_of(answer)["title"] == "Running standup failed"
    [run] = await app.runs(task)
    assert run.status == RunStatus.FAILED and run.error
    assert app.fd.messages(s.general) == []


# ---------------------------------------------------------------------- unknown task


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("show", {}),
        ("edit", {"cron": "0 10 * * *"}),
        ("pause", {}),
        ("resume", {}),
        ("delete", {}),
        ("skip", {}),
        ("run", {}),
        ("run", {"dry_run": True}),
    ],
    ids=["show", "edit", "pause", "resume", "delete", "skip", "run", "dry-run"],
)
async def test_unknown_task_name_is_refused(
    app: App, command: str, options: dict[str, object]
) -> None:
    await app.create("standup")
    before = await app.storage()
    answer = await app.answer(app.scene.admin, command, task="stand-down", **options)
    assert_refused(answer, "No task named “stand-down” in this server", "/schedule list")
    assert await app.storage() == before
