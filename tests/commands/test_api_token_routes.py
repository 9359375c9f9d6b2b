"""`/api/v1/guilds/{g}/api-tokens` over real HTTP with dashboard sessions: the same service,
limits, words and audit as `/scheduler api-token`; managers of settings only (a manager-role
holder may manage tasks, not tokens); CSRF on changes; another guild's tokens unreachable."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from scheduler.api_tokens import TOKEN_PATTERN
from tests.commands.dashboard_harness import Dashboard, serving_dashboard
from tests.commands.harness import App, final_answer
from web.problems import PROBLEM_JSON


@pytest.fixture
async def dash(app: App) -> AsyncIterator[Dashboard]:
    s = app.scene
    await final_answer(
        await app.fd.slash(s.guild, s.admin, "scheduler config", manager_role=s.managers)
    )
    async with serving_dashboard(app) as served:
        yield served


async def test_a_settings_manager_lists_creates_and_revokes(dash: Dashboard) -> None:
    app = dash.app
    s = app.scene
    base = f"/api/v1/guilds/{s.guild.id}/api-tokens"
    login = await dash.login(s.admin)
    status, body, _ = await dash.as_user(login, "GET", base)
    assert status == 200 and body == {"items": [], "next_cursor": None}

    status, made, resp = await dash.as_user(
        login, "POST", base, json={"name": "deploys", "scope": "read"}
    )
    assert status == 201 and resp.headers["Cache-Control"] == "no-store"
    assert TOKEN_PATTERN.fullmatch(made["token"]) and made["created_by"] == str(s.admin.id)
    status, body, _ = await dash.as_user(login, "GET", base)
    assert [t["name"] for t in body["items"]] == ["deploys"]
    assert "token" not in body["items"][0]
    status, _, _ = await dash.send(
        "GET",
        f"/api/v1/guilds/{s.guild.id}/tasks",
        headers={"Authorization": f"Bearer {made['token']}"},
    )
    assert status == 200

    status, problem, resp = await dash.as_user(
        login, "POST", base, json={"name": "deploys", "scope": "admin"}
    )
    assert status == 422 and resp.content_type == PROBLEM_JSON
    assert [e["field"] for e in problem["errors"]] == ["scope"]
    status, problem, _ = await dash.as_user(
        login, "POST", base, json={"name": "deploys", "scope": "write"}
    )
    assert status == 422 and "already exists" in problem["detail"]  # the slash command's words

    status, _, _ = await dash.as_user(login, "DELETE", f"{base}/deploys")
    assert status == 204
    status, problem, _ = await dash.as_user(login, "DELETE", f"{base}/deploys")
    assert status == 404 and "no API token named 'deploys'" in problem["detail"]
    actions = [e.action for e in await app.audit()]
    assert actions[:2] == ["api_token_revoked", "api_token_created"]


async def test_only_settings_managers_and_only_with_csrf(dash: Dashboard) -> None:
    app = dash.app
    s = app.scene
    base = f"/api/v1/guilds/{s.guild.id}/api-tokens"
    carol = await dash.login(s.manager)  # the manager role: tasks yes, tokens no
    status, problem, _ = await dash.as_user(carol, "GET", base)
    assert status == 403 and "Manage Server" in problem["detail"]
    bob = await dash.login(s.member)
    status, _, _ = await dash.as_user(bob, "POST", base, json={"name": "x", "scope": "read"})
    assert status == 403
    dave = await dash.login(s.other_admin)  # an admin of another server
    status, _, _ = await dash.as_user(dave, "GET", base)
    assert status == 404

    alice = await dash.login(s.admin)
    status, _, _ = await dash.as_user(
        alice, "POST", base, csrf=False, json={"name": "forged", "scope": "write"}
    )
    assert status == 403
    status, _, _ = await dash.as_user(
        alice,
        "POST",
        base,
        json={"name": "forged", "scope": "write"},
        headers={"Origin": "http://evil.example"},
    )
    assert status == 403
    assert await app.bot.services.api_tokens.list_for_guild(s.guild.id) == []
