"""The OpenAPI document and its page: valid OpenAPI 3.1, every `$ref` resolving, the same
routes and methods as the app really serves, and the answers of the real routes conforming
to it (the schemathesis end-to-end test checks the rest with generated requests)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from schemathesis.specs.openapi.definitions import OPENAPI_31

from telemetry import Metrics
from tests.commands.api_harness import Api, make_tasks
from tests.commands.harness import App
from web import build_app
from web.api import ApiContext, api_paths, api_routes
from web.auth import ApiAuth
from web.http_rules import CursorCodec
from web.limits import RateLimiter
from web.openapi import TAGS, build_document
from web.problems import PROBLEM_JSON

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
def document() -> dict[str, Any]:
    return build_document(api_paths())


def walk(node: Any, where: str = "#") -> Iterator[tuple[str, Any]]:
    """Every (JSON pointer, value) in `node`, depth first."""
    yield where, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for number, value in enumerate(node):
            yield from walk(value, f"{where}/{number}")


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def validator(document: dict[str, Any], name: str) -> jsonschema_rs.Validator:
    """A validator of one component schema, its `$ref`s resolved within the document."""
    return jsonschema_rs.Draft202012Validator(
        {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    )


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    spec = jsonschema_rs.Draft202012Validator(OPENAPI_31)
    assert not [str(e) for e in spec.iter_errors(document)]
    assert document["openapi"] == "3.1.0" and document["info"]["title"] == "Cadence API"
    broken = copy.deepcopy(document)
    broken["paths"]["/api/v1/openapi.json"]["get"]["responses"] = {"200": "fine"}
    assert not spec.is_valid(broken)
    schemas = [
        (where, node.get("schema", node))
        for where, node in walk(document)
        if (where.startswith("#/components/schemas/") and where.count("/") == 3)
        or (isinstance(node, dict) and isinstance(node.get("schema"), dict))
    ]
    assert len(schemas) > 20
    invalid = [where for where, schema in schemas if not jsonschema_rs.meta.is_valid(schema)]
    assert not invalid


def test_every_ref_resolves_and_every_operation_is_named_once(document: dict[str, Any]) -> None:
    refs = [node["$ref"] for _, node in walk(document) if isinstance(node, dict) and "$ref" in node]
    assert len(refs) > 10
    for ref in refs:
        assert ref.startswith("#/components/"), ref
        node: Any = document
        for part in ref.removeprefix("#/").split("/"):
            assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
            node = node[part]
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    for path, method, op in operations(document):
        assert re.fullmatch(r"[a-z][A-Za-z0-9]*", op["operationId"]), (method, path)
        assert op["summary"] and op["responses"], (method, path)
        assert op["tags"] and set(op["tags"]) <= set(TAGS), (method, path, op["tags"])
    shared = document["components"]
    assert {"Task", "TaskInput", "TaskPatch", "Problem", "ValidationProblem", "FieldError"} <= set(
        shared["schemas"]
    )
    assert {"GuildId", "TaskId", "Limit", "Cursor", "IfMatch", "IdempotencyKey"} <= set(
        shared["parameters"]
    )
    with pytest.raises(ValueError, match="operationId"):
        build_document([*api_paths(), {"/x": {"get": {"operationId": ids[0]}}}])


def test_the_document_names_every_route_the_app_serves_and_no_other(
    app: App, document: dict[str, Any]
) -> None:
    services = app.bot.services
    context = ApiContext(
        services,
        app.bot,
        ApiAuth.for_bot(services.api_tokens, RateLimiter(5, 20), app.bot),
        CursorCodec(b"k" * 32),
    )
    web_app = build_app(checks={}, metrics=Metrics(), routes=api_routes(context))
    served = {
        (route.resource.canonical, route.method.lower())
        for route in web_app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith(("/api/v1/", "/api/docs"))
        and route.method != "HEAD"
    }
    described = {(path, method) for path, method, _ in operations(document)}
    assert served == described
    assert ("/api/v1/guilds/{guild_id}/tasks", "get") in served


async def test_the_document_and_its_page_are_served_without_a_token(api: Api) -> None:
    status, body, resp = await api.get("/api/v1/openapi.json", None)
    assert status == 200 and resp.content_type == "application/json"
    assert body == json.loads(json.dumps(build_document(api_paths())))
    status, page, resp = await api.get("/api/docs", None)
    assert status == 200 and resp.content_type == "text/html"
    assert '<meta name=viewport content="width=device-width' in page
    for path, method, op in operations(body):
        assert f'id="{op["operationId"]}"' in page
        assert f'href="#{op["operationId"]}"' in page
        assert re.search(rf"{method.upper()}</span><span class=path>{re.escape(path)}<", page)
        for code in op["responses"]:
            assert f"<td>{code}</td>" in page
    assert "<td><code>channel_id</code></td>" in page  # a query parameter of listTasks
    assert "<code>destinations</code> <span class=req>required</span>" in page  # TaskInput
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href|url)\s*[=(]\s*["']?(https?:)?//""", page)


async def test_the_routes_answers_conform_to_the_document(api: Api) -> None:
    s = api.app.scene
    document = build_document(api_paths())
    await make_tasks(api.app, 2)
    token = await api.token("reader")
    status, body, _ = await api.get(f"/api/v1/guilds/{s.guild.id}/tasks?limit=1", token)
    assert status == 200 and body["next_cursor"]
    task = validator(document, "Task")
    for item in body["items"]:
        assert not [str(e) for e in task.iter_errors(item)]
    wrong = dict(body["items"][0], id=7)
    assert not task.is_valid(wrong)
    fields = document["components"]["schemas"]["Task"]["properties"]
    entry = {k: v for k, v in body["items"][0].items() if not fields[k].get("readOnly")}
    assert not [str(e) for e in validator(document, "TaskInput").iter_errors(entry)]
    status, problem, resp = await api.get(f"/api/v1/guilds/{s.guild.id}/tasks?limit=0", token)
    assert status == 422 and resp.content_type == PROBLEM_JSON
    assert validator(document, "ValidationProblem").is_valid(problem)
    status, problem, resp = await api.get(f"/api/v1/guilds/{s.guild.id}/tasks/999999", token)
    assert status == 404 and validator(document, "Problem").is_valid(problem)
    assert not validator(document, "ValidationProblem").is_valid(problem)


async def test_digits_that_python_reads_but_ids_are_not_are_refused(api: Api) -> None:
    """`str.isdigit` accepts "²" and "١", and int() of 5,000 digits raises: each was a 500.
    An empty filter is refused too: the document says what each accepts, and "" is not that."""
    s = api.app.scene
    token = await api.token("reader")
    base = f"/api/v1/guilds/{s.guild.id}/tasks"
    for query in (
        "channel_id=%C2%B2",
        "limit=%C2%B2",
        "limit=" + "9" * 5000,
        "channel_id=99999999999999999999",
        "limit=",
        "status=",
    ):
        status, body, _ = await api.get(f"{base}?{query}", token)
        assert status == 422, (query, body)
    for task_id in ("%C2%B2", "%D9%A1", "99999999999999999999", "9223372036854775808"):
        status, body, _ = await api.get(f"{base}/{task_id}", token)
        assert status == 404, (task_id, body)


async def test_a_merge_patch_may_be_sent_as_its_own_media_type(api: Api) -> None:
    """The document offers PATCH both `application/merge-patch+json` (RFC 7396) and JSON."""
    s = api.app.scene
    await make_tasks(api.app, 1)
    token = await api.token("writer", "write")
    path = f"/api/v1/guilds/{s.guild.id}/tasks"
    _, listed, _ = await api.get(path, token)
    task = f"{path}/{listed['items'][0]['id']}"
    for number, media in enumerate(("application/merge-patch+json", "application/json")):
        _, _, read = await api.get(task, token)
        status, body, _ = await api.request(
            "PATCH",
            task,
            token,
            data=json.dumps({"name": f"renamed {number}"}),
            headers={"Content-Type": media, "If-Match": read.headers["ETag"]},
        )
        assert status == 200 and body["name"] == f"renamed {number}", body
    status, body, _ = await api.request(
        "PATCH", task, token, data="{}", headers={"Content-Type": "text/plain", "If-Match": "*"}
    )
    assert status == 415 and body["status"] == 415


async def test_a_task_of_every_shape_reads_as_the_document_says(api: Api) -> None:
    """Embeds, several messages, a published announcement channel, a thread and a webhook:
    each part of the task object as created over HTTP conforms to `Task`."""
    s = api.app.scene
    document = build_document(api_paths())
    token = await api.token("writer", "write")
    entry = {
        "name": "every shape",
        "kind": "interval",
        "spec": "2h",
        "timezone": "Europe/Paris",
        "catch_up": "all",
        "start_at": "2026-12-04T10:00:00Z",
        "end_at": "2040-01-01T00:00:00Z",
        "max_runs": 5,
        "payload": {
            "rotation": "random",
            "variants": [
                {"content": f"hello <@&{s.managers.id}> and @everyone"},
                {"embed": {"title": "T", "description": "D", "footer": "F", "color": 255}},
            ],
        },
        "destinations": [
            {"type": "channel", "channel_id": str(s.news.id), "publish": True},
            {"type": "thread", "channel_id": str(s.general.id), "thread_id": str(s.thread.id)},
            {"type": "webhook", "channel_id": str(s.dev.id), "name": "Herald"},
        ],
    }
    assert validator(document, "TaskInput").is_valid(entry)
    status, made, _ = await api.request(
        "POST", f"/api/v1/guilds/{s.guild.id}/tasks", token, json=entry
    )
    assert status == 201, made
    status, task, _ = await api.get(f"/api/v1/guilds/{s.guild.id}/tasks/{made['id']}", token)
    assert status == 200 and task == made
    assert not [str(e) for e in validator(document, "Task").iter_errors(task)]
    assert {d["type"] for d in task["destinations"]} == {"channel", "thread", "webhook"}
    assert task["payload"]["mentions"] == {
        "everyone": True,
        "roles": [str(s.managers.id)],
        "users": True,
    }
    status, patched, _ = await api.request(
        "PATCH",
        f"/api/v1/guilds/{s.guild.id}/tasks/{made['id']}",
        token,
        json={"max_runs": 6},
        headers={"If-Match": "*"},
    )
    assert status == 200 and patched["payload"] == task["payload"], patched
