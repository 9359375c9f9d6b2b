"""The message modal: it opens as the first answer when `message` is left out, only after
every other option was validated, and keeps line breaks that slash options cannot carry."""

from __future__ import annotations

from typing import Any

import pytest

from tests.commands.harness import App, assert_refused, embed_of, final_answer
from tests.stored import payload_json

MODAL = 9
INPUTS = ["content", "title", "description", "footer", "image_url"]
SCHEDULES: dict[str, dict[str, Any]] = {
    "cron": {"cron": "0 9 * * 1-5"},
    "once": {"when": "in 3 days"},
    "every": {"interval": "6h"},
}


def inputs_of(modal: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        component["custom_id"]: component
        for row in modal["components"]
        for component in row["components"]
    }


@pytest.mark.parametrize("command", list(SCHEDULES))
async def test_leaving_out_message_opens_the_modal_as_first_answer(app: App, command: str) -> None:
    s = app.scene
    before = await app.storage()
    handle = await app.slash(
        s.admin, command, name="notes", channel=s.general, **SCHEDULES[command]
    )
    first = await handle.response()
    assert first.type == MODAL
    assert handle.callbacks[0].type == MODAL  # the very first answer, nothing before it
    assert handle.modal is not None
    assert handle.modal["title"] == "Message for notes"
    fields = inputs_of(handle.modal)
    assert list(fields) == INPUTS
    assert fields["content"]["style"] == 2  # paragraph: line breaks allowed
    assert fields["content"]["max_length"] == 2000
    assert fields["title"]["max_length"] == 256
    assert await app.storage() == before  # nothing is stored until the modal is submitted


async def test_submitting_the_modal_creates_the_task_with_line_breaks(app: App) -> None:
    s = app.scene
    handle = await app.slash(s.admin, "cron", name="notes", cron="0 9 * * 1-5", channel=s.general)
    await handle.response()
    content = "Agenda:\n- coffee\n- stand-up\n\nSee you!"
    submitted = await app.fd.submit_modal(handle, s.admin, {"content": content})

    answer = await final_answer(submitted)
    assert answer.type == 4 and answer.ephemeral
    assert embed_of(answer)["title"] == "Scheduled: notes"
    assert embed_of(answer)["description"] == "At 09:00, Monday through Friday"
    task = await app.task("notes")
    assert payload_json(task)["variants"] == [{"content": content}]
    [entry] = await app.audit()
    assert (entry.action, entry.actor_id, entry.task_id) == ("create", s.admin.id, task.id)

    # What the channel receives keeps the line breaks too.
    ran = await app.answer(s.admin, "run", task="notes")
    assert embed_of(ran)["title"] == "Ran notes"
    [post] = app.fd.messages(s.general)
    assert post.content == content


async def test_modal_embed_fields_with_title_and_colour_options(app: App) -> None:
    s = app.scene
    handle = await app.slash(
        s.admin, "every", name="news", interval="1d", channel=s.news, title="Daily", color="teal"
    )
    await handle.response()
    assert handle.modal is not None
    assert inputs_of(handle.modal)["title"]["value"] == "Daily"  # pre-filled from the option
    submitted = await app.fd.submit_modal(
        handle,
        s.admin,
        {
            "title": "Daily news",
            "description": "First line\nSecond line",
            "footer": "Cadence",
            "image_url": "https://example.com/banner.png",
        },
    )
    answer = await final_answer(submitted)
    assert embed_of(answer)["title"] == "Scheduled: news"
    task = await app.task("news")
    assert payload_json(task)["variants"] == [
        {
            "embed": {
                "title": "Daily news",
                "description": "First line\nSecond line",
                "footer": "Cadence",
                "image_url": "https://example.com/banner.png",
                "color": 0x1ABC9C,
            }
        }
    ]


BAD_BEFORE_MODAL = [
    pytest.param("cron", {"cron": "0 9 *"}, ["Cron needs 5 fields"], id="bad-cron"),
    pytest.param("cron", {"timezone": "Nowhere/City"}, ["Unknown timezone"], id="unknown-zone"),
    pytest.param("once", {"when": "2001-01-01 10:00"}, ["in the past"], id="past-date"),
    pytest.param("every", {"interval": "10s"}, ["at least 60 seconds"], id="short-interval"),
    pytest.param("cron", {"name": "EXISTING"}, ["already has a task named"], id="duplicate"),
    pytest.param("cron", {"color": "plaid"}, ["is not a colour"], id="bad-colour"),
    pytest.param("once", {"channel": "readonly"}, ["missing Send Messages"], id="readonly"),
    pytest.param(
        "cron", {"channel": "noembed", "title": "Hi"}, ["missing Embed Links"], id="noembed-title"
    ),
]


@pytest.mark.parametrize(("command", "options", "fragments"), BAD_BEFORE_MODAL)
async def test_a_bad_option_gets_the_error_instead_of_the_modal(
    app: App, command: str, options: dict[str, Any], fragments: list[str]
) -> None:
    s = app.scene
    await app.create("existing")
    before = await app.storage()
    merged: dict[str, Any] = {
        "name": "notes",
        "channel": s.general,
        **SCHEDULES[command],
        **options,
    }
    if isinstance(merged["channel"], str):
        merged["channel"] = getattr(s, merged["channel"])
    handle = await app.slash(s.admin, command, **merged)
    answer = await handle.response()
    assert handle.modal is None
    assert_refused(answer, *fragments)
    assert await app.storage() == before


BAD_MODAL_VALUES = [
    pytest.param({"content": "", "title": ""}, ["The message is empty"], id="empty"),
    pytest.param(
        {"content": "hi", "title": "T" * 300},
        ["The title has 300 characters; Discord allows 256"],
        id="title-over-256",
    ),
    pytest.param(
        {"title": "T" * 256, "description": "d" * 4000, "footer": "f" * 2000},
        ["The embed has 6256 characters; Discord allows 6000"],
        id="embed-over-6000",
    ),
    pytest.param(
        {"content": "c" * 2001},
        ["The message has 2001 characters; Discord allows 2000"],
        id="content-over-2000",
    ),
    pytest.param(
        {"title": "Banner", "image_url": "ftp://example.com/a b.png"},
        ["The image URL must start with http:// or https://"],
        id="bad-image-url",
    ),
    pytest.param(
        {"content": "@everyone look"},
        ["You may not mention @everyone"],
        id="mention-by-manager",
    ),
]


@pytest.mark.parametrize(("values", "fragments"), BAD_MODAL_VALUES)
async def test_bad_modal_values_are_refused_and_nothing_is_written(
    app: App, values: dict[str, str], fragments: list[str]
) -> None:
    s = app.scene
    await app.allow_managers()
    handle = await app.slash(s.manager, "cron", name="notes", cron="0 9 * * *", channel=s.general)
    await handle.response()
    before = await app.storage()
    # strict=False sends what Discord's client would cap (a crafted submit).
    submitted = await app.fd.submit_modal(handle, s.manager, values, strict=False)
    answer = await final_answer(submitted)
    assert_refused(answer, *fragments)
    assert await app.storage() == before
