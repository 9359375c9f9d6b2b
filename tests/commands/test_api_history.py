"""The web API's history and transfer routes over real HTTP, against the real bot in-process
and fakediscord: runs, stats, upcoming, preview, audit, export and import, their bad
parameters, and other guilds' ids, cursors and documents."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from storage import RunStatus, RunTrigger, Task, WebhookDestination
from tests.commands.api_harness import Api, make_tasks
from tests.commands.harness import App, embed_of, field_of, text_of, weekday_mornings
from tests.commands.test_transfer import create_three, export
from web import api_history, api_transfer
from web.problems import PROBLEM_JSON


def guild_path(api: Api, rest: str, guild: Any = None) -> str:
    return f"/api/v1/guilds/{(guild or api.app.scene.guild).id}{rest}"


async def record_runs(app: App, task: Task, count: int) -> list[int]:
    """`count` finished runs of `task` at successive hours (late by 100 ms, 200 ms, …)."""
    runs = app.bot.engine.runs
    base = datetime(2026, 1, 1, 9, tzinfo=UTC)
    ids = []
    for n in range(count):
        at = base + timedelta(hours=n)
        run = await runs.start(task.id, at, RunTrigger.SCHEDULE, at)
        status = RunStatus.FAILED if n == 1 else RunStatus.OK
        await runs.finish(
            run.id,
            status,
            finished_at=at + timedelta(seconds=1),
            late_by_ms=100 * (n + 1),
            attempts=1 if status == RunStatus.OK else 3,
            error="403 Missing Access" if status == RunStatus.FAILED else None,
            message_ids=[10**17 + n] if status == RunStatus.OK else [],
        )
        ids.append(run.id)
    return ids


async def page_through(
    api: Api, path: str, token: str, cursor: str | None = None
) -> list[dict[str, Any]]:
    """Every item from `cursor` (None: the first page) on, following next_cursor."""
    items: list[dict[str, Any]] = []
    while True:
        sep = "&" if "?" in path else "?"
        status, body, _ = await api.get(path + (f"{sep}cursor={cursor}" if cursor else ""), token)
        assert status == 200, body
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


async def test_runs_page_newest_first_and_stay_stable_while_runs_are_added(api: Api) -> None:
    s = api.app.scene
    await make_tasks(api.app, 1)
    task = await api.app.task("task 00")
    recorded = await record_runs(api.app, task, 4)
    await api.app.answer(s.admin, "run", task="task 00")  # a real post, with its message id
    token = await api.token("reader")
    path = guild_path(api, f"/tasks/{task.id}/runs?limit=2")
    status, first, _ = await api.get(path, token)
    assert status == 200 and len(first["items"]) == 2
    manual = first["items"][0]
    assert manual["trigger"] == "manual" and manual["status"] == "ok"
    assert manual["task_id"] == str(task.id) and manual["scheduled_for"].endswith("Z")
    posted = [m for m in api.app.fd.messages(s.general) if m.content == "post 0"]
    assert manual["message_ids"] == [str(posted[-1].id)]
    assert isinstance(manual["lateness_seconds"], float)
    assert first["items"][1]["id"] == str(recorded[-1])
    late = await api.app.bot.engine.runs.start(
        task.id, datetime(2027, 1, 1, tzinfo=UTC), RunTrigger.SCHEDULE, datetime.now(UTC)
    )  # added between two pages: later pages do not shift
    rest = await page_through(api, path, token, first["next_cursor"])
    assert [r["id"] for r in rest] == [str(i) for i in reversed(recorded[:-1])]
    failed = next(r for r in rest if r["status"] == "failed")
    assert failed["error"] == "403 Missing Access" and failed["attempts"] == 3
    assert failed["lateness_seconds"] == 0.2 and failed["message_ids"] == []
    everything = await page_through(api, guild_path(api, f"/tasks/{task.id}/runs"), token)
    assert everything[0]["id"] == str(late.id) and everything[0]["status"] == "running"
    assert len(everything) == 6


async def test_bad_paging_parameters_and_foreign_cursors(api: Api) -> None:
    await make_tasks(api.app, 2)
    one, two = await api.app.task("task 00"), await api.app.task("task 01")
    await record_runs(api.app, one, 3)
    token = await api.token("reader")
    for bad in ("0", "101", "ten", "-1", "٣"):
        status, body, resp = await api.get(
            guild_path(api, f"/tasks/{one.id}/runs?limit={bad}"), token
        )
        assert status == 422 and resp.content_type == PROBLEM_JSON, bad
        assert body["errors"] == [
            {"field": "limit", "message": "must be a whole number from 1 to 100"}
        ]
    _, body, _ = await api.get(guild_path(api, f"/tasks/{one.id}/runs?limit=1"), token)
    cursor = body["next_cursor"]
    for path in (
        f"/tasks/{two.id}/runs?cursor={cursor}",  # another task's listing
        f"/audit?cursor={cursor}",  # another listing altogether
        f"/tasks/{one.id}/runs?cursor={cursor[:-2]}",  # tampered with
    ):
        status, body, _ = await api.get(guild_path(api, path), token)
        assert status == 400 and body["type"].endswith("bad-cursor"), path


async def test_stats_are_the_repositorys_with_lateness_percentiles(api: Api) -> None:
    await make_tasks(api.app, 1)
    task = await api.app.task("task 00")
    token = await api.token("reader")
    path = guild_path(api, f"/tasks/{task.id}/stats")
    status, empty, _ = await api.get(path, token)
    assert status == 200 and empty["total"] == 0 and empty["success_rate"] is None
    assert empty["lateness_seconds"] == {"p50": None, "p99": None, "max": None}
    await record_runs(api.app, task, 4)
    await api.app.bot.engine.runs.record_many(
        task.id, [datetime(2025, 1, 1, tzinfo=UTC)], "missed", "catch_up", datetime.now(UTC)
    )
    status, body, _ = await api.get(path, token)
    expected = await api.app.bot.engine.runs.stats(task.id)
    assert body["total"] == expected.total == 5
    assert body["counts"] == {"ok": 3, "failed": 1, "missed": 1, "skipped": 0, "unknown": 0}
    assert body["success_rate"] == expected.success_rate == 0.75
    assert body["lateness_seconds"] == {"p50": 0.2, "p99": 0.4, "max": 0.4}
    assert body["last_error"] == "403 Missing Access"
    assert body["last_ok_at"] == "2026-01-01T12:00:01Z"


async def test_upcoming_lists_what_schedule_show_lists(api: Api) -> None:
    s = api.app.scene
    task = await api.app.create("weekdays", timezone="Europe/Berlin")  # 0 9 * * 1-5
    token = await api.token("reader")
    path = guild_path(api, f"/tasks/{task.id}/upcoming")
    status, body, _ = await api.get(path, token)
    assert status == 200 and body["timezone"] == "Europe/Berlin" and len(body["next"]) == 5
    expected = weekday_mornings("Europe/Berlin", datetime.now(UTC), 12)
    assert body["next"] == [at.isoformat().replace("+00:00", "Z") for at in expected[:5]]
    show = await api.app.answer(s.admin, "show", task="weekdays")
    shown = field_of(show, "Next runs")
    assert [f"<t:{int(at.timestamp())}:F>" in shown for at in expected[:5]] == [True] * 5
    status, body, _ = await api.get(f"{path}?count=12", token)
    assert len(body["next"]) == 12 and body["next"][-1] == expected[-1].isoformat()[:19] + "Z"
    for bad in ("0", "51", "x"):
        status, body, _ = await api.get(f"{path}?count={bad}", token)
        assert status == 422 and body["errors"][0]["field"] == "count"
    await api.app.answer(s.admin, "pause", task="weekdays")
    status, body, _ = await api.get(path, token)
    assert status == 200 and body["next"] == []


async def test_preview_gives_the_spec_sentence_and_next_instants(api: Api) -> None:
    token = await api.token("reader")
    path = guild_path(api, "/preview")
    before = await api.app.storage()
    status, body, _ = await api.request(
        "POST",
        path,
        token,
        json={"cron": "every weekday at 9:00", "timezone": "Europe/Berlin", "count": 3},
    )
    assert status == 200, body
    assert body["kind"] == "cron" and body["spec"] == "0 9 * * 1-5"
    assert body["description"] and body["timezone"] == "Europe/Berlin"
    expected = weekday_mornings("Europe/Berlin", datetime.now(UTC), 3)
    assert body["next"] == [at.isoformat().replace("+00:00", "Z") for at in expected]
    status, body, _ = await api.request(
        "POST", path, token, json={"every": "2h", "start_at": "2030-01-01 10:00", "count": 2}
    )
    assert status == 200 and body["kind"] == "interval"
    assert body["next"] == ["2030-01-01T10:00:00Z", "2030-01-01T12:00:00Z"]
    assert body["start_at"] == "2030-01-01T10:00:00Z" and body["timezone"] == "UTC"
    status, body, _ = await api.request("POST", path, token, json={"once": "2030-06-01 18:00"})
    assert status == 200 and body["kind"] == "date" and body["next"] == ["2030-06-01T18:00:00Z"]
    assert await api.app.storage() == before  # a preview writes nothing


def slash_words(answer: Any) -> str:
    """A refusal as the API words it: the message, then the example when there is one."""
    embed = embed_of(answer)
    example = next((f["value"] for f in embed.get("fields", []) if f["name"] == "Example"), None)
    message = embed["description"]
    return f"{message} Example: {example.strip('`')}" if example else message


async def test_preview_errors_are_creations_errors(api: Api) -> None:
    s = api.app.scene
    token = await api.token("reader")
    cases = [
        ("cron", {"cron": "61 9 * * *"}, "cron"),
        ("cron", {"cron": "0 9 * * *", "timezone": "Mars/Olympus"}, "timezone"),
        ("every", {"interval": "10s"}, "every"),
        ("every", {"interval": "1h", "start": "next blursday"}, "start_at"),
        ("once", {"when": "2001-01-01 10:00"}, "once"),
    ]
    for command, options, field in cases:
        answer = await api.app.answer(
            s.admin, command, name="x", channel=s.general, message="hi", **options
        )
        assert embed_of(answer)["title"] == "That didn't work", text_of(answer)
        body_options = {
            {"interval": "every", "when": "once", "start": "start_at"}.get(k, k): v
            for k, v in options.items()
        }
        status, body, resp = await api.request(
            "POST", guild_path(api, "/preview"), token, json=body_options
        )
        assert status == 422 and resp.content_type == PROBLEM_JSON, body
        assert body["errors"] == [{"field": field, "message": slash_words(answer)}], command
    assert await api.app.tasks() == []


async def test_preview_body_problems_are_listed_together(api: Api) -> None:
    token = await api.token("reader")
    path = guild_path(api, "/preview")
    status, body, _ = await api.request(
        "POST", path, token, json={"cron": "0 9 * * *", "every": "1h", "count": 51, "zone": "x"}
    )
    assert status == 422
    assert {e["field"] for e in body["errors"]} == {"zone", "schedule", "count"}
    status, body, _ = await api.request("POST", path, token, json={"cron": 5})
    assert status == 422 and {"field": "cron", "message": "must be text"} in body["errors"]
    status, body, _ = await api.request(
        "POST", path, token, json={"cron": "0 9 * * *", "once": None}
    )
    assert status == 422 and body["errors"][0]["field"] == "schedule"  # given, though null
    status, body, _ = await api.request(
        "POST", path, token, json={"every": "1h", "timezone": None, "start_at": None}
    )
    assert status == 200 and body["kind"] == "interval"
    status, body, _ = await api.request("POST", path, token, json=["cron"])
    assert status == 422 and body["errors"][0]["field"] == "body"
    status, body, _ = await api.request(
        "POST", path, token, json={"once": "tomorrow 9am", "end_at": "2030-01-01"}
    )
    assert status == 422 and body["errors"][0]["field"] == "end_at"
    status, _, _ = await api.request("POST", path, token, data=b"cron=0 9 * * *")
    assert status == 415
    deep = b"[" * 100_000 + b"]" * 100_000
    status, body, _ = await api.request(
        "POST", path, token, data=deep, headers={"Content-Type": "application/json"}
    )
    assert status == 400, body


async def test_audit_pages_newest_first_with_a_task_filter(api: Api) -> None:
    s = api.app.scene
    token = await api.token("reader")  # audited too, as api_token_created
    await make_tasks(api.app, 2)
    await api.app.answer(s.admin, "pause", task="task 00")
    await api.app.answer(s.admin, "resume", task="task 00")
    one = await api.app.task("task 00")
    entries = await page_through(api, guild_path(api, "/audit?limit=2"), token)
    stored = await api.app.audit()
    assert [e["id"] for e in entries] == [str(e.id) for e in sorted(stored, key=lambda e: -e.id)]
    newest = entries[0]
    assert newest["action"] == "resume" and newest["task_id"] == str(one.id)
    assert newest["actor_id"] == str(s.admin.id) and newest["at"].endswith("Z")
    assert isinstance(newest["detail"], dict)
    mine = await page_through(api, guild_path(api, f"/audit?task_id={one.id}&limit=1"), token)
    assert [e["action"] for e in mine] == ["resume", "pause", "create"]
    for bad in ("abc", "", "9" * 19, "-1"):
        status, body, _ = await api.get(guild_path(api, f"/audit?task_id={bad}"), token)
        assert status == 422 and body["errors"][0]["field"] == "task_id", bad
    status, body, _ = await api.get(guild_path(api, "/audit?limit="), token)
    assert status == 422 and body["errors"][0]["field"] == "limit"
    _, body, _ = await api.get(guild_path(api, f"/audit?task_id={one.id}&limit=1"), token)
    status, _, _ = await api.get(guild_path(api, f"/audit?cursor={body['next_cursor']}"), token)
    assert status == 400  # a cursor made for one task's entries is not the guild's


async def test_export_is_the_slash_export_document(api: Api) -> None:
    await create_three(api.app)
    _, slash = await export(api.app)
    token = await api.token("reader")
    status, body, resp = await api.get(guild_path(api, "/export"), token)
    assert status == 200 and resp.content_type == "application/json"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    slash.pop("exported_at")
    assert body.pop("exported_at")
    assert body == slash


async def test_import_round_trip_is_audited_as_the_tokens_creator(api: Api) -> None:
    s = api.app.scene
    await create_three(api.app)
    writer = await api.token("deploys", "write")
    _, document, _ = await api.get(guild_path(api, "/export"), writer)
    for task in await api.app.tasks():
        await api.app.bot.control.delete(task, actor_id=1)
    reader = await api.token("reader")
    status, _, _ = await api.request("POST", guild_path(api, "/import"), reader, json=document)
    assert status == 403 and await api.app.tasks() == []
    status, body, _ = await api.request("POST", guild_path(api, "/import"), writer, json=document)
    assert status == 200, body
    assert (body["created"], body["replaced"], body["removed"]) == (3, 0, 0)
    assert sorted(t["name"] for t in body["items"]) == ["launch", "standup", "water"]
    created = [e for e in await api.app.audit() if e.action == "create"][:3]
    assert {e.actor_id for e in created} == {s.admin.id}
    assert {e.detail["via"] for e in created} == {"api token “deploys”"}
    status, body, _ = await api.request("POST", guild_path(api, "/import"), writer, json=document)
    assert status == 422 and len(body["errors"]) == 3
    assert all("already exists (use replace:true)" in e["message"] for e in body["errors"])
    assert [e["field"] for e in body["errors"]] == [
        "tasks[0].name",
        "tasks[1].name",
        "tasks[2].name",
    ]
    document["tasks"][0]["payload"]["variants"][0]["content"] = "version 2"
    status, body, _ = await api.request(
        "POST", guild_path(api, "/import?replace=true"), writer, json=document
    )
    assert status == 200 and (body["created"], body["replaced"], body["removed"]) == (3, 3, 3)
    assert len(await api.app.tasks()) == 3
    deleted = [e for e in await api.app.audit() if e.action == "delete"][:3]  # newest first
    assert {e.detail.get("via") for e in deleted} == {"api token “deploys”"}
    status, body, _ = await api.request(
        "POST", guild_path(api, "/import?replace=yes"), writer, json=document
    )
    assert status == 422 and body["errors"][0]["field"] == "replace"


async def test_import_with_several_bad_entries_writes_nothing_and_lists_them_all(
    api: Api,
) -> None:
    await create_three(api.app)
    writer = await api.token("deploys", "write")
    _, document, _ = await api.get(guild_path(api, "/export"), writer)
    for task in await api.app.tasks():
        await api.app.bot.control.delete(task, actor_id=1)
    before = await api.app.storage()
    assert [e["name"] for e in document["tasks"]] == ["launch", "standup", "water"]
    document["tasks"][1]["spec"] = "61 9 * * *"
    document["tasks"][2]["timezone"] = "Mars/Olympus"
    document["tasks"].append("not an entry")
    document["tasks"].append({"name": "  "})
    status, body, resp = await api.request(
        "POST", guild_path(api, "/import"), writer, json=document
    )
    assert status == 422 and resp.content_type == PROBLEM_JSON
    assert body["detail"].startswith("Nothing was imported: 4 problem(s)")
    fields = [e["field"] for e in body["errors"]]
    assert fields == ["tasks[1].spec", "tasks[2].timezone", "tasks[3]", "tasks[4].name"]
    messages = [e["message"] for e in body["errors"]]
    assert messages[0].startswith("Entry 2 (standup): ") and 'minute field "61"' in messages[0]
    assert "Unknown timezone" in messages[1] and messages[2] == "Entry 4: is not an object"
    assert await api.app.storage() == before
    status, body, _ = await api.request(
        "POST", guild_path(api, "/import"), writer, json={"format": "other"}
    )
    assert status == 422 and body["errors"][0]["field"] == "format"
    status, _, _ = await api.request(
        "POST", guild_path(api, "/import"), writer, data=b"{}", headers={"Content-Type": "text/x"}
    )
    assert status == 415
    big = json.dumps({"format": "cadence-tasks", "pad": "x" * 1_100_000}).encode()
    status, _, _ = await api.request(
        "POST",
        guild_path(api, "/import"),
        writer,
        data=big,
        headers={"Content-Type": "application/json"},
    )
    assert status == 413
    assert await api.app.storage() == before


async def test_no_route_reads_or_changes_another_guilds_history(api: Api) -> None:
    s = api.app.scene
    await make_tasks(api.app, 1)
    await make_tasks(api.app, 2, guild=s.other, admin=s.other_admin)
    ours = await api.token("ours", "write")
    theirs = await api.token("theirs", "write", guild=s.other, member=s.other_admin)
    their_task = (await api.app.tasks(s.other))[0]
    await record_runs(api.app, their_task, 3)
    before = await api.app.storage()
    their_routes = [
        ("GET", f"/tasks/{their_task.id}/runs"),
        ("GET", f"/tasks/{their_task.id}/stats"),
        ("GET", f"/tasks/{their_task.id}/upcoming"),
        ("GET", "/audit"),
        ("GET", "/export"),
        ("POST", "/preview"),
        ("POST", "/import"),
    ]
    _, their_export, _ = await api.get(guild_path(api, "/export", s.other), theirs)
    for method, rest in their_routes:
        body = their_export if rest == "/import" else {"cron": "0 9 * * *"}
        status, answer, _ = await api.request(
            method, guild_path(api, rest, s.other), ours, json=body if method == "POST" else None
        )
        assert status == 404, rest
        assert "Elsewhere" not in str(answer) and str(their_task.id) not in str(answer)
    for rest in ("runs", "stats", "upcoming"):  # their task under our guild's path
        status, answer, _ = await api.get(guild_path(api, f"/tasks/{their_task.id}/{rest}"), ours)
        assert status == 404 and answer["detail"] == "No task with this id in this server."
    _, page, _ = await api.get(
        guild_path(api, f"/tasks/{their_task.id}/runs?limit=1", s.other), theirs
    )
    our_task = (await api.app.tasks())[0]
    status, _, _ = await api.get(
        guild_path(api, f"/tasks/{our_task.id}/runs?cursor={page['next_cursor']}"), ours
    )
    assert status == 400
    _, their_audit, _ = await api.get(guild_path(api, "/audit?limit=1", s.other), theirs)
    status, _, _ = await api.get(
        guild_path(api, f"/audit?cursor={their_audit['next_cursor']}"), ours
    )
    assert status == 400
    audit = await page_through(api, guild_path(api, "/audit"), ours)
    assert {e["task_id"] for e in audit} == {str(our_task.id), None}  # None: token entries
    assert sorted(e["id"] for e in audit) == sorted(str(e.id) for e in await api.app.audit())
    # Their document imported into our guild: their channels are not ours, nothing is written.
    for entry in their_export["tasks"]:
        entry["name"] += " copy"
    status, answer, _ = await api.request(
        "POST", guild_path(api, "/import"), ours, json=their_export
    )
    assert status == 422 and len(answer["errors"]) == 2
    assert all("is not in this server" in e["message"] for e in answer["errors"])
    assert [e["field"] for e in answer["errors"]] == [
        f"tasks[{n}].destinations[0].channel_id" for n in (0, 1)
    ]
    assert await api.app.storage() == before


# ---------------------------------------------------------------------- OpenAPI


def refs(node: Any) -> list[str]:
    """Every `$ref` target in `node`."""
    return re.findall(r'"\$ref": "([^"]+)"', json.dumps(node))


def test_each_route_is_described_once_with_the_shared_components() -> None:
    paths = {**api_history.OPENAPI_PATHS, **api_transfer.OPENAPI_PATHS}
    app = web.Application()
    for routes in (  # add_to only registers the handlers: no collaborator is needed for that
        api_history.HistoryRoutes.__new__(api_history.HistoryRoutes),
        api_transfer.TransferRoutes.__new__(api_transfer.TransferRoutes),
    ):
        routes.add_to(app)
    served = {
        (route.resource.canonical, route.method.lower())
        for route in app.router.routes()
        if route.method != "HEAD" and route.resource is not None
    }
    described = {(path, method) for path, methods in paths.items() for method in methods}
    assert served == described and len(described) == 7
    operations = [op for methods in paths.values() for op in methods.values()]
    ids = [op["operationId"] for op in operations]
    assert len(set(ids)) == 7 and all(i[0].islower() and " " not in i for i in ids)
    for op in operations:
        assert op["summary"] and op["tags"] and "200" in op["responses"]
        assert {"401", "404", "429"} <= set(op["responses"])
        for parameter in op["parameters"]:
            if "$ref" not in parameter:
                assert parameter["in"] == "query" and "schema" in parameter
    # Only shared components (`web.openapi` resolves them; its document test checks each).
    assert {ref.split("/")[2] for ref in refs(paths)} == {"parameters", "responses", "schemas"}
    for path, methods in paths.items():
        for name, component in (("guild_id", "GuildId"), ("task_id", "TaskId")):
            if f"{{{name}}}" in path:
                wanted = {"$ref": f"#/components/parameters/{component}"}
                assert all(wanted in op["parameters"] for op in methods.values()), path


async def test_import_makes_webhooks_and_a_refused_webhook_writes_nothing(api: Api) -> None:
    s = api.app.scene
    writer = await api.token("deploys", "write")
    entry = {
        "name": "herald",
        "kind": "cron",
        "spec": "0 9 * * *",
        "payload": {"variants": [{"content": "extra!"}]},
        "destinations": [
            {"type": "webhook", "channel_id": str(s.general.id), "name": "Daily Herald"}
        ],
    }
    document = {"format": "cadence-tasks", "version": 1, "tasks": [entry]}
    refused = api.app.fd.faults.add(r"/channels/\d+/webhooks$", method="POST", status=403)
    status, body, _ = await api.request("POST", guild_path(api, "/import"), writer, json=document)
    assert status == 503 and body["type"].endswith("discord-unavailable"), body
    assert await api.app.tasks() == []
    api.app.fd.faults.remove(refused)
    status, body, _ = await api.request("POST", guild_path(api, "/import"), writer, json=document)
    assert status == 200, body
    [made] = body["items"]
    assert made["destinations"] == [
        {"type": "webhook", "channel_id": str(s.general.id), "name": "Daily Herald"}
    ]
    assert "webhook_token" not in json.dumps(body)
    [task] = await api.app.tasks()
    [hook] = task.destinations
    assert isinstance(hook, WebhookDestination) and hook.webhook_id and hook.webhook_token
