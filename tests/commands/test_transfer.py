"""/schedule export and /schedule import end to end: the JSON attachment round trip, and an
import with one bad entry that writes nothing."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from fakediscord.interactions import Interaction
from tests.commands.harness import App, embed_of, final_answer, text_of
from tests.stored import destinations_json, payload_json


async def create_three(app: App) -> None:
    s = app.scene
    await app.answer(
        s.admin,
        "cron",
        name="standup",
        cron="0 9 * * 1-5",
        channel=s.general,
        message="Stand-up!",
        timezone="Europe/Berlin",
        catch_up="all",
    )
    await app.answer(
        s.admin,
        "every",
        name="water",
        interval="2h",
        channel=s.thread,
        message="Drink water",
        title="Health",
        color="teal",
        max_runs=50,
    )
    await app.answer(
        s.admin, "once", name="launch", when="in 3 days", channel=s.news, message="We launch today"
    )
    assert len(await app.tasks()) == 3


async def export(app: App) -> tuple[Interaction, dict[str, Any]]:
    handle = await app.slash(app.scene.admin, "export")
    await final_answer(handle)
    message = handle.original
    assert message is not None and message.attachments
    attachment = message.attachments[0]
    assert attachment["filename"].endswith(".json")
    async with aiohttp.ClientSession() as http, http.get(attachment["url"]) as response:
        data = await response.read()
    return handle, json.loads(data)


async def do_import(app: App, document: Any, **options: Any):  # type: ignore[no-untyped-def]
    payload = document if isinstance(document, bytes) else json.dumps(document).encode()
    handle = await app.fd.slash(
        app.scene.guild, app.scene.admin, "schedule import", file=("tasks.json", payload), **options
    )
    return await final_answer(handle)


def comparable(tasks: list[Any]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            t.name,
            str(t.kind),
            t.spec,
            t.timezone,
            str(t.catch_up),
            t.max_runs,
            json.dumps(payload_json(t), sort_keys=True),
            json.dumps(
                [
                    {k: v for k, v in d.items() if not k.startswith("webhook_")}
                    for d in destinations_json(t)
                ],
                sort_keys=True,
            ),
        )
        for t in tasks
    )


async def test_export_then_import_recreates_identical_tasks(app: App) -> None:
    await create_three(app)
    before = comparable(await app.tasks())
    _, document = await export(app)
    assert document["format"] == "cadence-tasks" and len(document["tasks"]) == 3
    assert "webhook_token" not in json.dumps(document)
    for task in await app.tasks():
        await app.bot.control.delete(task, actor_id=1)
    answer = await do_import(app, document)
    assert "Imported 3 task(s)" in embed_of(answer)["title"], text_of(answer)
    assert comparable(await app.tasks()) == before
    audit = await app.bot.engine.audit.for_guild(app.scene.guild.id, limit=50)
    assert sum(1 for a in audit if a.action == "create") >= 6


async def test_import_with_one_bad_entry_writes_nothing_and_lists_every_problem(app: App) -> None:
    await create_three(app)
    _, document = await export(app)
    for task in await app.tasks():
        await app.bot.control.delete(task, actor_id=1)
    entries = {entry["name"]: entry for entry in document["tasks"]}
    entries["standup"]["spec"] = "61 9 * * *"
    entries["water"]["timezone"] = "Mars/Olympus"
    answer = await do_import(app, document)
    text = text_of(answer)
    assert answer.ephemeral and "Nothing was imported: 2 problem(s)" in text
    assert '(standup): Bad minute field "61"' in text
    assert "(water): Unknown timezone" in text and "(launch)" not in text
    assert await app.tasks() == []


async def test_existing_names_are_refused_unless_replace(app: App) -> None:
    await create_three(app)
    _, document = await export(app)
    standup_entry = next(e for e in document["tasks"] if e["name"] == "standup")
    standup_entry["payload"]["variants"][0]["content"] = "Stand-up, v2"
    refused = await do_import(app, document)
    assert "already exists (use replace:true)" in text_of(refused)
    assert len(await app.tasks()) == 3
    replaced = await do_import(app, document, replace=True)
    assert "Imported 3 task(s)" in embed_of(replaced)["title"]
    standup = next(t for t in await app.tasks() if t.name == "standup")
    assert payload_json(standup)["variants"][0]["content"] == "Stand-up, v2"
    assert len(await app.tasks()) == 3


async def test_import_of_a_file_that_is_not_an_export(app: App) -> None:
    answer = await do_import(app, b"this is not json")
    assert answer.ephemeral and "not valid JSON" in text_of(answer)
    answer = await do_import(app, {"hello": "world"})
    assert "not a Cadence export" in text_of(answer)
    assert await app.tasks() == []


async def test_import_into_channels_of_another_server_is_refused(app: App) -> None:
    await create_three(app)
    _, document = await export(app)
    for entry in document["tasks"]:
        entry["destinations"] = [{"type": "channel", "channel_id": str(app.scene.other_general.id)}]
    for task in await app.tasks():
        await app.bot.control.delete(task, actor_id=1)
    answer = await do_import(app, document)
    assert "is not in this server" in text_of(answer)
    assert await app.tasks() == []
