"""The guild routes of the web API (channels, summary, status, settings) over real HTTP,
against the in-process bot and fakediscord: the same data and the same words as
`/scheduler status`, `/scheduler config` and the daily overview."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from storage import NoticeLevel, RunStatus, RunTrigger
from tests.commands.api_harness import Api, make_tasks
from web import api_guild, api_settings
from web.problems import PROBLEM_JSON

BERLIN = "Europe/Berlin"


def guild_path(api: Api, route: str, guild: Any = None) -> str:
    return f"/api/v1/guilds/{(guild or api.app.scene.guild).id}/{route}"


async def patch(api: Api, token: str, body: Any) -> tuple[int, Any, Any]:
    return await api.request("PATCH", guild_path(api, "settings"), token, json=body)


async def config_audit(api: Api) -> list[Any]:
    entries = await api.app.audit()
    return [entry for entry in entries if entry.action == "config"]


# ---------------------------------------------------------------------- channels


async def test_channels_list_where_tasks_may_post_and_what_the_bot_lacks(api: Api) -> None:
    s = api.app.scene
    token = await api.token("reader")

    status, body, _ = await api.get(guild_path(api, "channels"), token)

    assert status == 200 and body["next_cursor"] is None
    by_name = {item["name"]: item for item in body["items"]}
    assert by_name["general"] == {
        "id": str(s.general.id),
        "name": "general",
        "type": "text",
        "parent_id": None,
        "position": by_name["general"]["position"],
        "missing": [],
    }
    assert by_name["news"]["type"] == "news"
    assert by_name["noembed"]["missing"] == ["embed_links"]
    # discord.py: without Send Messages, Embed Links is implicitly denied too
    assert by_name["readonly"]["missing"] == ["send_messages", "embed_links"]
    thread = by_name["standup"]
    assert thread["id"] == str(s.thread.id) and thread["parent_id"] == str(s.general.id)
    assert thread["type"].endswith("_thread") and thread["position"] is None
    names = [item["name"] for item in body["items"]]
    assert names.index("standup") == names.index("general") + 1  # a thread follows its parent
    assert "general" in names and len(names) == len(set(item["id"] for item in body["items"]))
    assert str(s.other_general.id) not in {item["id"] for item in body["items"]}


# ---------------------------------------------------------------------- summary


async def test_summary_is_the_daily_overview_as_json(api: Api) -> None:
    s = api.app.scene
    await make_tasks(api.app, 2)
    paused = await api.app.task("task 01")
    await api.app.bot.control.pause(paused, actor_id=None)
    await make_tasks(api.app, 1, guild=s.other, admin=s.other_admin)
    token = await api.token("reader")

    status, body, _ = await api.get(guild_path(api, "summary"), token)

    assert status == 200
    assert body["title"] == f"{s.guild.name}: scheduled tasks"
    assert body["generated_at"].endswith("Z") and body["total"] == 2
    assert body["counts_by_status"] == {"active": 1, "paused": 1, "completed": 0, "failed": 0}
    [section] = body["sections"]
    assert section["kind"] == "cron" and section["title"] == "Cron"
    by_name = {line["name"]: line for line in section["tasks"]}
    assert set(by_name) == {"task 00", "task 01"}
    first = await api.app.task("task 00")
    assert by_name["task 00"]["id"] == str(first.id)
    assert by_name["task 00"]["next_run_at"].endswith("T09:00:00Z")
    assert by_name["task 01"]["status"] == "paused"
    assert "09:00" in by_name["task 00"]["schedule"]


# ---------------------------------------------------------------------- status


async def test_status_after_some_runs_without_marking_notices_read(api: Api) -> None:
    s = api.app.scene
    await make_tasks(api.app, 2)
    task = await api.app.task("task 00")
    engine = api.app.bot.engine
    now = engine.clock.now()
    for minutes, outcome in ((5, RunStatus.FAILED), (10, RunStatus.OK), (60 * 25, RunStatus.OK)):
        run = await engine.runs.start(
            task.id, now - timedelta(minutes=minutes), RunTrigger.SCHEDULE, now
        )
        await engine.runs.finish(run.id, outcome, finished_at=now, late_by_ms=0, attempts=1)
    await engine.notices.add(s.guild.id, NoticeLevel.ERROR, "task_failed", "It broke", "403", now)
    await engine.notices.add(s.other.id, NoticeLevel.ERROR, "task_failed", "Elsewhere", "x", now)
    token = await api.token("reader")

    status, body, _ = await api.get(guild_path(api, "status"), token)

    assert status == 200
    assert body["version"] == api.app.bot.version
    assert body["started_at"].endswith("Z") and body["uptime_seconds"] >= 0
    assert body["tasks"] == {"active": 2, "paused": 0, "completed": 0, "failed": 0}
    assert body["runs_last_24h"]["counts"]["ok"] == 1
    assert body["runs_last_24h"]["counts"]["failed"] == 1
    first = min(await api.app.tasks(), key=lambda t: (t.next_run_at, t.id))
    assert body["next_run"] == {
        "task_id": str(first.id),
        "name": first.name,
        "at": body["next_run"]["at"],
    }
    assert body["next_run"]["at"].endswith("T09:00:00Z")
    assert body["database_bytes"] > 0 and body["dev_channel_id"] is None
    assert body["notices"]["unread"] == 1
    assert [n["title"] for n in body["notices"]["items"]] == ["It broke"]
    assert body["notices"]["items"][0]["level"] == "error"
    assert await engine.notices.count_unread(s.guild.id) == 1  # still unread
    again = await api.get(guild_path(api, "status"), token)
    assert again[1]["notices"]["unread"] == 1


# ---------------------------------------------------------------------- settings


async def test_settings_round_trip_and_audit_as_the_tokens_creator(api: Api) -> None:
    s = api.app.scene
    reader = await api.token("reader")
    writer = await api.token("deploys", "write")
    status, before, _ = await api.get(guild_path(api, "settings"), reader)
    assert status == 200
    assert before["timezone"] is None and before["mention_policy"] == "creator"
    assert before["effective_timezone"] == api.app.bot.services.zones.default_timezone

    status, after, _ = await patch(
        api,
        writer,
        {
            "timezone": BERLIN,
            "dev_channel_id": str(s.dev.id),
            "manager_role_id": str(s.managers.id),
            "summary_cron": "0 9 * * 1-5",
            "mention_policy": "none",
        },
    )

    assert status == 200, after
    assert after["timezone"] == BERLIN and after["effective_timezone"] == BERLIN
    assert after["dev_channel_id"] == str(s.dev.id)
    assert after["manager_role_id"] == str(s.managers.id)
    assert after["summary_cron"] == "0 9 * * 1-5" and after["mention_policy"] == "none"
    assert after["updated_at"].endswith("Z")
    assert (await api.get(guild_path(api, "settings"), reader))[1] == after
    [entry] = await config_audit(api)
    assert entry.actor_id == s.admin.id and entry.detail["via"] == "api token “deploys”"
    assert entry.detail["timezone"] == {"from": None, "to": BERLIN}

    status, reset, _ = await patch(api, writer, {"dev_channel_id": None, "timezone": None})
    assert status == 200 and reset["dev_channel_id"] is None and reset["timezone"] is None
    assert reset["manager_role_id"] == str(s.managers.id)  # untouched by the patch
    stored = await api.app.bot.services.guild_config.get(s.guild.id)
    assert stored.dev_channel_id is None and stored.timezone is None


async def test_the_viewer_role_is_a_setting_with_the_slash_commands_rule(api: Api) -> None:
    s = api.app.scene
    writer = await api.token("deploys", "write")
    status, after, _ = await patch(api, writer, {"viewer_role_id": str(s.managers.id)})
    assert status == 200, after
    assert after["viewer_role_id"] == str(s.managers.id)
    stored = await api.app.bot.services.guild_config.get(s.guild.id)
    assert stored.viewer_role_id == s.managers.id
    status, refused, _ = await patch(api, writer, {"viewer_role_id": str(s.guild.everyone.id)})
    assert status == 422, refused
    assert [e["field"] for e in refused["errors"]] == ["viewer_role_id"]
    status, cleared, _ = await patch(api, writer, {"viewer_role_id": None})
    assert status == 200 and cleared["viewer_role_id"] is None


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        pytest.param(
            {"timezone": "Mars/Base"}, "timezone", 'Unknown timezone "Mars/Base"', id="zone"
        ),
        pytest.param({"summary_cron": "0 25 * * *"}, "summary_cron", "summary_cron:", id="cron"),
        pytest.param({"mention_policy": "all"}, "mention_policy", "must be one of", id="policy"),
        pytest.param({"colour": "red"}, "colour", "is not a setting", id="unknown"),
        pytest.param({"updated_at": "2026-01-01T00:00:00Z"}, "updated_at", "read-only", id="ro"),
        pytest.param({"dev_channel_id": 5}, "dev_channel_id", "channel id", id="number"),
        pytest.param({"dev_channel_id": "123"}, "dev_channel_id", "not in this server", id="gone"),
        pytest.param(
            {"manager_role_id": "123"}, "manager_role_id", "not in this server", id="role"
        ),
    ],
)
async def test_bad_settings_are_refused_in_the_slash_words_and_nothing_changes(
    api: Api, body: dict[str, Any], field: str, fragment: str
) -> None:
    writer = await api.token("deploys", "write")
    before = await api.get(guild_path(api, "settings"), writer)

    beside = {} if field == "mention_policy" else {"mention_policy": "none"}  # a good value

    status, problem, resp = await patch(api, writer, {**body, **beside})

    assert status == 422 and resp.content_type == PROBLEM_JSON
    [error] = [e for e in problem["errors"] if e["field"] == field]
    assert fragment in error["message"]
    assert (await api.get(guild_path(api, "settings"), writer))[1] == before[1]
    assert await config_audit(api) == []


async def test_channels_and_roles_follow_the_slash_commands_rules(api: Api) -> None:
    s = api.app.scene
    writer = await api.token("deploys", "write")

    status, problem, _ = await patch(
        api,
        writer,
        {
            "dev_channel_id": str(s.noembed.id),
            "alert_channel_id": str(s.thread.id),
            "summary_channel_id": str(s.other_general.id),
            "manager_role_id": str(s.guild.everyone.id),
        },
    )

    assert status == 422
    errors = {e["field"]: e["message"] for e in problem["errors"]}
    assert errors["dev_channel_id"].startswith(
        f"dev_channel_id: I can't post embeds in <#{s.noembed.id}>: I'm missing Embed Links"
    )
    assert "is not a text channel" in errors["alert_channel_id"]
    assert "not in this server" in errors["summary_channel_id"]  # another guild's channel
    assert errors["manager_role_id"].startswith("@everyone can't be the manager role")


async def test_a_read_token_may_not_patch_and_bodies_must_be_json_objects(api: Api) -> None:
    reader = await api.token("reader")
    writer = await api.token("deploys", "write")

    status, problem, _ = await patch(api, reader, {"timezone": BERLIN})
    assert status == 403 and "read-only" in problem["detail"]
    status, _, _ = await api.request(
        "PATCH",
        guild_path(api, "settings"),
        writer,
        data="timezone=x",
        headers={"Content-Type": "text/plain"},
    )
    assert status == 415
    status, problem, _ = await patch(api, writer, ["timezone"])
    assert status == 422 and problem["errors"][0]["field"] == "body"
    assert await config_audit(api) == []


# ---------------------------------------------------------------------- other guilds


@pytest.mark.parametrize("route", ["channels", "summary", "status", "settings"])
async def test_no_token_reads_another_guilds_data(api: Api, route: str) -> None:
    s = api.app.scene
    ours = await api.token("ours", "write")
    status, problem, _ = await api.get(guild_path(api, route, s.other), ours)
    assert status == 404 and problem["type"].endswith("not-found")
    assert s.other.name not in str(problem)


async def test_no_token_changes_another_guilds_settings(api: Api) -> None:
    s = api.app.scene
    ours = await api.token("ours", "write")
    before = await api.app.bot.services.guild_config.get(s.other.id)
    status, _, _ = await api.request(
        "PATCH", guild_path(api, "settings", s.other), ours, json={"timezone": BERLIN}
    )
    assert status == 404
    assert await api.app.bot.services.guild_config.get(s.other.id) == before


# ---------------------------------------------------------------------- OpenAPI


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [
            ref for value in node.values() for ref in _refs(value)
        ]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_every_operation_is_described_with_the_shared_components_only() -> None:
    shared = {
        "parameters": {"GuildId"},
        "responses": {
            "BadRequest",
            "Unauthorized",
            "Forbidden",
            "NotFound",
            "PayloadTooLarge",
            "UnsupportedMediaType",
            "Unprocessable",
            "TooManyRequests",
            "ServiceUnavailable",
        },
    }
    paths = {**api_guild.OPENAPI_PATHS, **api_settings.OPENAPI_PATHS}
    operations = [op for methods in paths.values() for op in methods.values()]
    assert sorted(paths) == sorted(
        f"/api/v1/guilds/{{guild_id}}/{route}"
        for route in ("channels", "summary", "status", "settings")
    )
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids)) == 5
    for op in operations:
        assert op["summary"] and op["tags"] == ["Guild"] and "200" in op["responses"]
    for ref in _refs(paths):
        _, _, kind, name = ref.split("/")
        assert name in shared[kind], ref
