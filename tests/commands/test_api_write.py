"""The web API's write routes over real HTTP, against the real bot in-process, its engine
and fakediscord: create, merge-patch, delete, pause/resume/skip/run, If-Match, concurrent
writers, Idempotency-Key, and every refusal with the slash commands' words."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scheduler.payload import make_nonce
from storage import AuditEntry, RunStatus, TaskStatus
from tests.commands.api_harness import Api, make_tasks
from web import api_task_writes
from web.idempotency import request_fingerprint
from web.problems import PROBLEM_JSON

JSON = {"Content-Type": "application/json"}


def entry(channel: Any, **changes: Any) -> dict[str, Any]:
    """A task body (an export entry) posting `hello` daily at 09:00 in `channel`."""
    body: dict[str, Any] = {
        "name": "from the api",
        "kind": "cron",
        "spec": "0 9 * * *",
        "payload": {"variants": [{"content": "hello"}]},
        "destinations": [{"type": "channel", "channel_id": str(channel.id)}],
    }
    body.update(changes)
    return body


def tasks_path(guild: Any) -> str:
    return f"/api/v1/guilds/{guild.id}/tasks"


async def created(api: Api, token: str, **changes: Any) -> tuple[dict[str, Any], str]:
    """A task made over the API, and its ETag."""
    s = api.app.scene
    status, body, resp = await api.request(
        "POST", tasks_path(s.guild), token, json=entry(s.general, **changes)
    )
    assert status == 201, body
    return body, resp.headers["ETag"]


async def task_audit(api: Api) -> list[AuditEntry]:
    """The guild's audit entries about tasks (not tokens), newest first."""
    return [a for a in await api.app.audit() if a.task_id is not None]


def fields(body: dict[str, Any]) -> dict[str, str]:
    return {e["field"]: e["message"] for e in body["errors"]}


async def test_a_created_task_is_stored_audited_as_the_token_and_fires(api: Api) -> None:
    s = api.app.scene
    token = await api.token("deployer", "write")
    due = (datetime.now(UTC) + timedelta(seconds=3)).replace(microsecond=0)
    spec = due.isoformat().replace("+00:00", "Z")
    body = entry(s.general, kind="date", spec=spec, payload={"variants": [{"content": "hi"}]})
    status, task, resp = await api.request("POST", tasks_path(s.guild), token, json=body)
    assert status == 201, task
    assert resp.headers["Location"] == f"{tasks_path(s.guild)}/{task['id']}"
    assert resp.headers["ETag"] == f'"task-{task["id"]}-v1"' and task["version"] == 1
    assert task["next_run_at"] == spec and task["created_by"] == str(s.admin.id)
    stored = await api.app.task("from the api")
    assert stored.next_run_at == due and stored.created_by == s.admin.id
    [audit] = await task_audit(api)
    assert (audit.action, audit.actor_id, audit.task_id) == ("create", s.admin.id, stored.id)
    assert audit.detail["via"] == "api token “deployer”"
    post = await api.app.fd.wait_for_message(s.general, timeout=8)
    assert post.content == "hi" and post.nonce == make_nonce(stored.id, due, 0)
    await api.app.bot.engine.drain()
    [run] = await api.app.runs(stored)
    assert run.status == RunStatus.OK and run.message_ids == [post.id]


async def test_a_bad_body_lists_every_problem_and_writes_nothing(api: Api) -> None:
    s = api.app.scene
    await make_tasks(api.app, 1)
    token = await api.token("deployer", "write")
    before = await api.app.storage()
    bad = entry(
        s.general,
        spec="61 9 * * *",
        max_runs=0,
        payload={"variants": [{"content": "x" * 2001}]},
        destinations=[{"type": "channel", "channel_id": "not a number"}],
    )
    status, body, resp = await api.request("POST", tasks_path(s.guild), token, json=bad)
    assert status == 422 and resp.content_type == PROBLEM_JSON
    found = fields(body)
    assert set(found) == {
        "spec",
        "max_runs",
        "payload.variants[0].content",
        "destinations[0].channel_id",
    }
    assert found["payload.variants[0].content"] == "has a message over 2000 characters"
    assert found["max_runs"].startswith("max_runs must be a whole number from 1 to")
    status, body, _ = await api.request(
        "POST", tasks_path(s.guild), token, json=entry(s.readonly, name="TASK 00", id="5")
    )
    assert status == 422
    found = fields(body)
    assert set(found) == {"id", "name", "destinations[0].channel_id"}
    assert found["name"].startswith("This server already has a task named “task 00”")
    assert found["destinations[0].channel_id"].startswith(f"I can't post in <#{s.readonly.id}>")
    assert found["id"] == "id is read-only"
    for body_ in (
        entry(s.other_general),  # another guild's channel
        entry(s.general, spec=None),
        entry(s.general, kind="sometimes"),
        entry(s.general, unknown=1),
    ):
        status, body, _ = await api.request("POST", tasks_path(s.guild), token, json=body_)
        assert status == 422 and body["errors"], body_
    status, body, _ = await api.request(
        "POST", tasks_path(s.guild), token, json=entry(s.other_general)
    )
    assert fields(body) == {
        "destinations[0].channel_id": f"channel {s.other_general.id} is not in this server"
    }
    assert await api.app.storage() == before


@pytest.mark.parametrize("app_settings", [{"MAX_TASKS_PER_GUILD": "1"}])
async def test_limits_are_the_slash_commands(api: Api) -> None:
    s = api.app.scene
    token = await api.token("deployer", "write")
    status, body, _ = await api.request(
        "POST", tasks_path(s.guild), token, json=entry(s.general, kind="interval", spec="30s")
    )
    assert status == 422 and "spec" in fields(body)
    assert "60" in fields(body)["spec"]  # MIN_INTERVAL_SECONDS
    await created(api, token)
    status, body, _ = await api.request(
        "POST", tasks_path(s.guild), token, json=entry(s.general, name="second")
    )
    assert status == 422 and "MAX_TASKS_PER_GUILD" in body["detail"]
    assert len(await api.app.tasks()) == 1


async def test_who_may_write_and_what_they_may_send(api: Api) -> None:
    s = api.app.scene
    await make_tasks(api.app, 1, guild=s.other, admin=s.other_admin)
    [theirs] = await api.app.tasks(s.other)
    reader = await api.token("reader", "read")
    writer = await api.token("writer", "write")
    base = tasks_path(s.guild)
    assert (await api.request("POST", base, None, json=entry(s.general)))[0] == 401
    status, body, _ = await api.request("POST", base, reader, json=entry(s.general))
    assert status == 403 and "read-only" in body["detail"]
    before = await api.app.storage()
    for method, suffix, headers in (
        ("PATCH", "", {"If-Match": "*"}),
        ("DELETE", "", {"If-Match": "*"}),
        ("POST", "/pause", {}),
        ("POST", "/resume", {}),
        ("POST", "/skip", {}),
        ("POST", "/run", {}),
    ):
        path = f"{base}/{theirs.id}{suffix}"  # another guild's task, through our guild
        status, body, _ = await api.request(method, path, writer, json={}, headers=headers)
        assert status == 404 and body["detail"] == "No task with this id in this server."
        path = f"{tasks_path(s.other)}/{theirs.id}{suffix}"  # their guild: not our token's
        status, _, _ = await api.request(method, path, writer, json={}, headers=headers)
        assert status == 404
    assert await api.app.storage() == before
    status, _, _ = await api.request(
        "POST", base, writer, data="name=x", headers={"Content-Type": "text/plain"}
    )
    assert status == 415
    status, _, _ = await api.request("POST", base, writer, data="{", headers=JSON)
    assert status == 400
    huge = json.dumps(entry(s.general, spec="x" * 1_100_000))
    status, body, _ = await api.request("POST", base, writer, data=huge, headers=JSON)
    assert status == 413 and body["status"] == 413


async def test_patch_merges_checks_and_needs_the_current_etag(api: Api) -> None:
    s = api.app.scene
    token = await api.token("deployer", "write")
    task, tag = await created(api, token)
    path = f"{tasks_path(s.guild)}/{task['id']}"
    change = {"name": "renamed", "payload": {"variants": [{"content": "new words"}]}}
    status, body, _ = await api.request("PATCH", path, token, json=change)
    assert status == 428 and "If-Match" in body["detail"]
    status, body, _ = await api.request(
        "PATCH", path, token, json=change, headers={"If-Match": '"task-1-v9"'}
    )
    assert status == 412
    for patch, field in (
        ({"spec": None}, "spec"),
        ({"status": "paused"}, "status"),
        ({"next_run_at": None, "version": 3}, "next_run_at"),
        ({"destinations": [{"type": "channel", "channel_id": str(s.noembed.id)}],
          "payload": {"variants": [{"embed": {"title": "t"}}]}},
         "destinations[0].channel_id"),
    ):  # fmt: skip
        status, body, _ = await api.request(
            "PATCH", path, token, json=patch, headers={"If-Match": tag}
        )
        assert status == 422 and field in fields(body), (patch, body)
    status, body, resp = await api.request(
        "PATCH", path, token, json=change, headers={"If-Match": tag}
    )
    assert status == 200, body
    assert body["name"] == "renamed" and body["spec"] == "0 9 * * *"
    assert body["payload"]["variants"] == [{"content": "new words"}]
    assert body["version"] == 2 and resp.headers["ETag"] == f'"task-{task["id"]}-v2"'
    status, body, _ = await api.request(
        "PATCH", path, token, json={"name": "again"}, headers={"If-Match": tag}
    )
    assert status == 412 and body["detail"].startswith("The task changed since you read it")
    audit = (await task_audit(api))[0]
    assert audit.action == "edit" and audit.actor_id == s.admin.id
    assert audit.detail["via"] == "api token “deployer”" and audit.detail["name"] == "renamed"


async def test_of_two_concurrent_patches_with_one_etag_exactly_one_wins(api: Api) -> None:
    s = api.app.scene
    token = await api.token("deployer", "write")
    task, tag = await created(api, token)
    path = f"{tasks_path(s.guild)}/{task['id']}"
    for round_ in range(5):
        answers = await asyncio.gather(
            *(
                api.request(
                    "PATCH",
                    path,
                    token,
                    json={"payload": {"variants": [{"content": f"{who} {round_}"}]}},
                    headers={"If-Match": tag},
                )
                for who in ("first", "second")
            )
        )
        statuses = sorted(status for status, _, _ in answers)
        assert statuses == [200, 412], answers
        [(_, winner, resp)] = [a for a in answers if a[0] == 200]
        stored = await api.app.task("from the api")
        assert stored.payload.variants[0].content == winner["payload"]["variants"][0]["content"]
        assert stored.version == round_ + 2
        tag = resp.headers["ETag"]
    edits = [a for a in await task_audit(api) if a.action == "edit"]
    assert len(edits) == 5


async def test_delete_needs_the_current_etag(api: Api) -> None:
    s = api.app.scene
    token = await api.token("deployer", "write")
    task, tag = await created(api, token)
    path = f"{tasks_path(s.guild)}/{task['id']}"
    assert (await api.request("DELETE", path, token))[0] == 428
    stale = {"If-Match": f'"task-{task["id"]}-v0"'}
    assert (await api.request("DELETE", path, token, headers=stale))[0] == 412
    status, body, _ = await api.request("DELETE", path, token, headers={"If-Match": tag})
    assert status == 204 and body is None
    assert await api.app.tasks() == []
    assert (await api.request("DELETE", path, token, headers={"If-Match": tag}))[0] == 404
    audit = (await task_audit(api))[0]
    assert audit.action == "delete" and audit.detail["via"] == "api token “deployer”"


async def test_pause_resume_and_skip_as_the_slash_commands(api: Api) -> None:
    s = api.app.scene
    token = await api.token("deployer", "write")
    task, _ = await created(api, token)
    path = f"{tasks_path(s.guild)}/{task['id']}"
    status, body, resp = await api.request("POST", f"{path}/pause", token)  # an empty body
    assert status == 200 and body["status"] == "paused" and body["version"] == 2
    assert resp.headers["ETag"] == f'"task-{task["id"]}-v2"'
    status, body, _ = await api.request("POST", f"{path}/pause", token, json={})
    assert status == 409 and body["detail"] == "Task 'from the api' is not active (it is paused)."
    status, body, _ = await api.request("POST", f"{path}/resume", token, json={})
    assert status == 200 and body["status"] == "active"
    status, body, _ = await api.request("POST", f"{path}/resume", token)
    assert status == 409 and body["detail"] == "Task 'from the api' is already active."
    status, body, _ = await api.request("POST", f"{path}/skip", token, json={"count": 3})
    assert status == 200 and (await api.app.task("from the api")).skip_next == 3
    for bad in ({"count": 0}, {"count": 1001}, {"count": "2"}, {"count": True}, {"n": 1}):
        status, body, _ = await api.request("POST", f"{path}/skip", token, json=bad)
        assert status == 422 and body["errors"], bad
    status, body, _ = await api.request("POST", f"{path}/skip", token, json={"count": 0})
    assert fields(body) == {"count": "count must be between 1 and 1000."}
    assert (await api.app.task("from the api")).skip_next == 3
    actions = [(a.action, a.detail.get("via")) for a in reversed(await task_audit(api))]
    assert actions == [
        ("create", "api token “deployer”"),
        ("pause", "api token “deployer”"),
        ("resume", "api token “deployer”"),
        ("skip", "api token “deployer”"),
    ]
    once = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0).isoformat()
    one_time, _ = await created(api, token, name="once", kind="date", spec=once)
    status, body, _ = await api.request(
        "POST", f"{tasks_path(s.guild)}/{one_time['id']}/skip", token
    )
    assert status == 409 and body["detail"].startswith("Only recurring tasks can skip runs")


async def test_run_now_and_dry_run(api: Api) -> None:
    s = api.app.scene
    token = await api.token("deployer", "write")
    task, _ = await created(
        api, token, payload={"variants": [{"content": "ping", "embed": {"title": "T"}}]}
    )
    path = f"{tasks_path(s.guild)}/{task['id']}/run"
    status, body, _ = await api.request("POST", path, token, json={"dry_run": True})
    assert status == 200 and body == {"dry_run": True, "content": "ping", "embed": {"title": "T"}}
    stored = await api.app.task("from the api")
    assert await api.app.runs(stored) == [] and api.app.fd.messages(s.general) == []
    status, body, _ = await api.request("POST", path, token, json={"dry_run": "yes"})
    assert status == 422 and fields(body) == {"dry_run": "dry_run must be true or false"}
    status, run, _ = await api.request("POST", path, token)
    assert status == 200 and run["status"] == "ok" and run["trigger"] == "manual"
    [post] = api.app.fd.messages(s.general)
    assert run["message_ids"] == [str(post.id)] and post.content == "ping"
    assert (await api.app.task("from the api")).version == stored.version  # runs are not edits
    audit = (await task_audit(api))[0]
    assert audit.action == "run" and audit.detail == {"via": "api token “deployer”"}


async def test_an_idempotent_post_creates_one_task_and_repeats_its_answer(api: Api) -> None:
    s = api.app.scene
    token = await api.token("deployer", "write")
    other_token = await api.token("other", "write")
    key = {"Idempotency-Key": "create-0001"}
    path = tasks_path(s.guild)
    first = await api.request("POST", path, token, json=entry(s.general), headers=key)
    again = await api.request("POST", path, token, json=entry(s.general), headers=key)
    assert first[0] == again[0] == 201 and first[1] == again[1]
    for header in ("Location", "ETag"):
        assert first[2].headers[header] == again[2].headers[header]
    assert again[2].headers["Idempotent-Replayed"] == "true"
    assert len(await api.app.tasks()) == 1
    status, body, _ = await api.request(
        "POST", tasks_path(s.guild), token, json=entry(s.general, name="other"), headers=key
    )
    assert status == 422 and "different request" in body["detail"]
    # Another token's key of the same text is its own: it runs (and meets the name rule).
    status, body, _ = await api.request(
        "POST", tasks_path(s.guild), other_token, json=entry(s.general), headers=key
    )
    assert status == 422 and "name" in fields(body)
    assert len(await api.app.tasks()) == 1
    for bad in ("", "has space", "x" * 256, "é"):
        status, body, _ = await api.request(
            "POST",
            tasks_path(s.guild),
            token,
            json=entry(s.general, name="k"),
            headers={"Idempotency-Key": bad} if bad else {"Idempotency-Key": " "},
        )
        assert status == 400 and "Idempotency-Key" in body["detail"], bad
    assert len(await api.app.tasks()) == 1


async def test_idempotency_keys_never_cross_guilds_and_one_in_flight_is_409(api: Api) -> None:
    s = api.app.scene
    ours = await api.token("ours", "write")
    theirs = await api.token("theirs", "write", guild=s.other, member=s.other_admin)
    key = {"Idempotency-Key": "shared-key"}
    body = entry(s.general)
    status, _, _ = await api.request("POST", tasks_path(s.guild), ours, json=body, headers=key)
    assert status == 201
    status, made, _ = await api.request(
        "POST", tasks_path(s.other), theirs, json=entry(s.other_general), headers=key
    )
    assert status == 201 and made["destinations"][0]["channel_id"] == str(s.other_general.id)
    assert len(await api.app.tasks(s.other)) == 1
    # A request whose first copy is still being answered is told so, and nothing is done.
    services = api.app.bot.services
    path = tasks_path(s.guild)
    second = entry(s.general, name="second")
    fingerprint = request_fingerprint("POST", path, json.dumps(second).encode())
    token_id = (await services.api_tokens.list_for_guild(s.guild.id))[0].id
    now = services.clock.now()
    await services.repositories.idempotency.claim(
        s.guild.id, f"token:{token_id}", "busy", fingerprint, at=now, expired_before=now
    )
    status, answer, resp = await api.request(
        "POST", path, ours, data=json.dumps(second), headers={**JSON, "Idempotency-Key": "busy"}
    )
    assert status == 409 and resp.headers["Retry-After"] == "1", answer
    assert [t.name for t in await api.app.tasks()] == ["from the api"]


async def test_an_idempotent_run_runs_once(api: Api) -> None:
    s = api.app.scene
    token = await api.token("deployer", "write")
    task, _ = await created(api, token)
    path = f"{tasks_path(s.guild)}/{task['id']}/run"
    key = {"Idempotency-Key": "run-1"}
    first = await api.request("POST", path, token, json={}, headers=key)
    again = await api.request("POST", path, token, json={}, headers=key)
    assert first[0] == again[0] == 200 and first[1] == again[1]
    assert len(api.app.fd.messages(s.general)) == 1
    assert len(await api.app.runs(await api.app.task("from the api"))) == 1
    assert (await api.app.task("from the api")).status == TaskStatus.ACTIVE


def test_the_write_operations_use_only_the_shared_component_names() -> None:
    shared = {
        "schemas": {"Task", "TaskInput", "TaskPatch", "Problem"},
        "parameters": {"GuildId", "TaskId", "IfMatch", "IdempotencyKey"},
        "responses": {
            "BadRequest",
            "Unauthorized",
            "Forbidden",
            "NotFound",
            "PreconditionFailed",
            "PayloadTooLarge",
            "UnsupportedMediaType",
            "Unprocessable",
            "PreconditionRequired",
            "TooManyRequests",
            "ServiceUnavailable",
        },
    }
    paths = api_task_writes.OPENAPI_PATHS
    operations = [op for methods in paths.values() for op in methods.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids)) == 7
    for op in operations:
        assert op["summary"] and op["tags"] == ["Tasks"]
        assert {"401", "403", "404", "429"} <= set(op["responses"])
    refs = re.findall(r"'\$ref': '#/components/(\w+)/(\w+)'", repr(paths))
    assert refs and all(name in shared[kind] for kind, name in refs), refs
    assert {"IfMatch"} <= {name for _, name in refs}
