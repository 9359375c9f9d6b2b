"""/schedule edit: options left out stay unchanged; a changed schedule restarts from now;
`edit_message:true` opens the message modal pre-filled; refusals change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from storage import CatchUp, MentionPolicy, TaskKind
from tests.commands.harness import (
    App,
    assert_refused,
    discord_time,
    embed_of,
    field_of,
    final_answer,
    weekday_mornings,
)
from tests.stored import destinations_json, payload_json

MODAL = 9


async def test_edit_cron_restarts_from_now_and_writes_an_audit_row(app: App) -> None:
    s = app.scene
    task = await app.create("standup", timezone="Europe/Berlin", message="Stand-up!")
    before = datetime.now(UTC)

    answer = await app.answer(s.admin, "edit", task="standup", cron="30 8 * * 1-5")

    assert answer.ephemeral
    embed = embed_of(answer)
    assert embed["title"] == "Updated: standup"
    assert embed["description"] == "At 08:30, Monday through Friday"
    expected = weekday_mornings("Europe/Berlin", before, 3, hour=8, minute=30)
    runs = field_of(answer, "Next runs").splitlines()
    assert [line.split(" ")[0] for line in runs] == [discord_time(at) for at in expected]
    stored = await app.task("standup")
    assert (stored.kind, stored.spec) == (TaskKind.CRON, "30 8 * * 1-5")
    assert stored.next_run_at == expected[0]
    # Everything not given stays as it was.
    assert stored.payload == task.payload and stored.destinations == task.destinations
    assert stored.timezone == "Europe/Berlin" and stored.name == "standup"
    assert stored.updated_by == s.admin.id
    entry = (await app.audit())[0]
    assert (entry.action, entry.actor_id, entry.task_id) == ("edit", s.admin.id, task.id)
    assert entry.detail == {"spec": "30 8 * * 1-5"}


async def test_edit_changes_the_kind_of_schedule(app: App) -> None:
    s = app.scene
    await app.create("job")
    answer = await app.answer(s.admin, "edit", task="job", when="2031-01-02 03:04")
    assert "Once at 2031-01-02 03:04" in embed_of(answer)["description"]
    stored = await app.task("job")
    assert stored.kind == TaskKind.DATE
    assert stored.next_run_at == datetime(2031, 1, 2, 3, 4, tzinfo=UTC)

    start = app.bot.engine.clock.now()
    answer = await app.answer(s.admin, "edit", task="job", interval="2h")
    assert embed_of(answer)["description"] == "Every 2 hours"
    stored = await app.task("job")
    assert stored.kind == TaskKind.INTERVAL and stored.next_run_at is not None
    assert abs(stored.next_run_at - (start + timedelta(hours=2))) < timedelta(seconds=2)


async def test_edit_name_message_title_colour_channel_and_options(app: App) -> None:
    s = app.scene
    task = await app.create("standup", message="old text")
    answer = await app.answer(
        s.admin,
        "edit",
        task="standup",
        name="Daily stand-up",
        message="new text",
        title="Stand-up",
        color="#00ff00",
        channel=s.news,
        catch_up="skip",
        max_runs=10,
        end="2031-01-01 00:00",
    )
    assert embed_of(answer)["title"] == "Updated: Daily stand-up"
    assert field_of(answer, "Posts to") == f"<#{s.news.id}>"
    options = field_of(answer, "Options")
    assert "at most 10 runs" in options and "catch-up: skip" in options
    stored = await app.task("daily stand-up")
    assert stored.id == task.id
    assert payload_json(stored)["variants"] == [
        {"embed": {"title": "Stand-up", "description": "new text", "color": 0x00FF00}}
    ]
    assert destinations_json(stored) == [{"type": "channel", "channel_id": s.news.id}]
    assert stored.catch_up == CatchUp.SKIP and stored.max_runs == 10
    assert stored.end_at == datetime(2031, 1, 1, tzinfo=UTC)
    entry = (await app.audit())[0]
    assert entry.action == "edit"
    assert {"name", "payload", "destinations", "catch_up", "max_runs", "end_at"} <= set(
        entry.detail
    )


async def test_edit_timezone_moves_the_next_run(app: App) -> None:
    s = app.scene
    await app.create("standup", cron="0 9 * * *")
    answer = await app.answer(s.admin, "edit", task="standup", timezone="Asia/Tokyo")
    assert field_of(answer, "Timezone") == "Asia/Tokyo"
    stored = await app.task("standup")
    assert stored.timezone == "Asia/Tokyo" and stored.next_run_at is not None
    local = stored.next_run_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert (local.hour, local.minute) == (9, 0)


async def test_renaming_to_another_case_of_its_own_name_is_allowed(app: App) -> None:
    await app.create("standup")
    answer = await app.answer(app.scene.admin, "edit", task="standup", name="StandUp")
    assert embed_of(answer)["title"] == "Updated: StandUp"
    assert (await app.task("standup")).name == "StandUp"


EDIT_REFUSALS = [
    pytest.param(
        {"cron": "0 9 * * *", "when": "in 2 days"},
        ["Give only one of cron, when and interval."],
        "cron: 0 9 * * 1-5",
        id="cron-and-when",
    ),
    pytest.param(
        {"cron": "0 9 * * *", "interval": "2h"},
        ["Give only one of cron, when and interval."],
        "cron: 0 9 * * 1-5",
        id="cron-and-interval",
    ),
    pytest.param(
        {"when": "in 2 days", "interval": "2h"},
        ["Give only one of cron, when and interval."],
        "cron: 0 9 * * 1-5",
        id="when-and-interval",
    ),
    pytest.param(
        {"cron": "0 9 * * *", "when": "in 2 days", "interval": "2h"},
        ["Give only one of cron, when and interval."],
        "cron: 0 9 * * 1-5",
        id="all-three",
    ),
    pytest.param({}, ["Nothing to change"], None, id="nothing"),
    pytest.param({"cron": "0 25 * * *"}, ['Bad hour field "25"'], "0 9 * * 1-5", id="bad-cron"),
    pytest.param({"when": "2001-01-01 10:00"}, ["in the past"], None, id="past-date"),
    pytest.param({"interval": "45s"}, ["at least 60 seconds"], "90m", id="short-interval"),
    pytest.param({"timezone": "Europe/Atlantis"}, ["Unknown timezone"], None, id="unknown-zone"),
    pytest.param(
        {"end": "2001-01-01 00:00"}, ["end: That time is in the past"], None, id="past-end"
    ),
    pytest.param({"name": "OTHER"}, ["already has a task named “other”"], None, id="duplicate"),
    pytest.param({"color": "rainbow"}, ["is not a colour"], "color: #ff8800", id="bad-colour"),
    pytest.param({"message": "m" * 2001}, ["has 2001 characters"], None, id="message-over-2000"),
    pytest.param({"channel": "readonly"}, ["missing Send Messages"], None, id="channel-readonly"),
    pytest.param(
        {"channel": "noembed", "title": "T"}, ["missing Embed Links"], None, id="noembed-title"
    ),
    pytest.param(
        {"edit_message": True, "cron": "0 9 *"}, ["Cron needs 5 fields"], None, id="modal-bad-cron"
    ),
    pytest.param(
        {"catch_up": "sometimes"}, ["catch_up must be one of"], None, id="crafted-catch-up"
    ),
]


@pytest.mark.parametrize(("options", "fragments", "example"), EDIT_REFUSALS)
async def test_edit_refusals_change_nothing(
    app: App, options: dict[str, Any], fragments: list[str], example: str | None
) -> None:
    s = app.scene
    await app.create("standup")
    await app.create("other")
    before = await app.storage()
    if isinstance(options.get("channel"), str):
        options = {**options, "channel": getattr(s, options["channel"])}
    handle = await app.fd.slash(
        s.guild, s.admin, "schedule edit", task="standup", strict=False, **options
    )
    answer = await final_answer(handle)
    assert handle.modal is None
    assert_refused(answer, *fragments, example=example)
    assert await app.storage() == before


async def test_edit_to_an_embed_in_a_channel_without_embed_links_is_refused(app: App) -> None:
    """The task already posts in #noembed as plain text; giving it a title needs Embed Links."""
    s = app.scene
    await app.create("plain", channel=s.noembed)
    before = await app.storage()
    answer = await app.answer(s.admin, "edit", task="plain", title="Now an embed")
    assert_refused(answer, "missing Embed Links")
    assert await app.storage() == before


async def test_edit_refuses_a_role_mention_under_mention_policy_none(app: App) -> None:
    s = app.scene
    await app.create("standup")
    await app.bot.engine.guilds.update(
        s.guild.id, app.bot.engine.clock.now(), mention_policy=MentionPolicy.NONE
    )
    before = await app.storage()
    answer = await app.answer(
        s.admin, "edit", task="standup", message=f"<@&{s.managers.id}> stand-up"
    )
    assert_refused(answer, "mention policy is `none`")
    assert await app.storage() == before


async def test_edit_message_opens_the_modal_pre_filled_and_saves(app: App) -> None:
    s = app.scene
    await app.create("news", message="Plain intro")
    await app.answer(
        s.admin, "edit", task="news", title="Headline", message="Body text", color="red"
    )
    before = await app.storage()

    handle = await app.slash(s.admin, "edit", task="news", edit_message=True)
    first = await handle.response()
    assert first.type == MODAL and handle.callbacks[0].type == MODAL
    assert handle.modal is not None and handle.modal["title"] == "Message for news"
    values = {
        c["custom_id"]: c.get("value")
        for row in handle.modal["components"]
        for c in row["components"]
    }
    assert values == {
        "content": None,
        "title": "Headline",
        "description": "Body text",
        "footer": None,
        "image_url": None,
    }
    assert await app.storage() == before  # opening the modal changes nothing

    submitted = await app.fd.submit_modal(
        handle,
        s.admin,
        {
            "content": "",
            "title": "Headline",
            "description": "Line 1\nLine 2",
            "footer": "by the team",
            "image_url": "",
        },
    )
    answer = await final_answer(submitted)
    assert answer.ephemeral and embed_of(answer)["title"] == "Updated: news"
    stored = await app.task("news")
    assert payload_json(stored)["variants"] == [
        {
            "embed": {
                "title": "Headline",
                "description": "Line 1\nLine 2",
                "footer": "by the team",
                "color": 0xE74C3C,
            }
        }
    ]
    entry = (await app.audit())[0]
    assert (entry.action, entry.actor_id) == ("edit", s.admin.id)


async def test_edit_message_with_schedule_change_saves_both_after_the_modal(app: App) -> None:
    s = app.scene
    await app.create("notes", message="one line")
    handle = await app.slash(s.admin, "edit", task="notes", edit_message=True, cron="15 7 * * *")
    await handle.response()
    assert handle.modal is not None
    assert (await app.task("notes")).spec == "0 9 * * 1-5"  # nothing saved yet
    submitted = await app.fd.submit_modal(handle, s.admin, {"content": "two\nlines"})
    answer = await final_answer(submitted)
    assert embed_of(answer)["description"] == "At 07:15"
    stored = await app.task("notes")
    assert stored.spec == "15 7 * * *"
    assert payload_json(stored)["variants"] == [{"content": "two\nlines"}]


async def test_an_empty_title_clears_an_embed_title_and_leaves_plain_text_alone(app: App) -> None:
    s = app.scene
    await app.create("plain", message="keep me")
    before = await app.storage()
    handle = await app.fd.slash(s.guild, s.admin, "schedule edit", task="plain", title="")
    assert_refused(await final_answer(handle), "Nothing to change")
    assert await app.storage() == before

    await app.create("fancy", message="body", title="Title", color="red")
    handle = await app.fd.slash(s.guild, s.admin, "schedule edit", task="fancy", title="")
    assert embed_of(await final_answer(handle))["title"] == "Updated: fancy"
    stored = await app.task("fancy")
    assert payload_json(stored)["variants"] == [
        {"embed": {"description": "body", "color": 0xE74C3C}}
    ]


async def test_modal_that_adds_an_embed_in_a_channel_without_embed_links_is_refused(
    app: App,
) -> None:
    s = app.scene
    await app.create("plain", channel=s.noembed, message="plain text")
    handle = await app.slash(s.admin, "edit", task="plain", edit_message=True)
    await handle.response()
    before = await app.storage()
    submitted = await app.fd.submit_modal(
        handle, s.admin, {"content": "plain text", "title": "Suddenly an embed"}
    )
    assert_refused(await final_answer(submitted), "missing Embed Links")
    assert await app.storage() == before
