"""Who may do what from the dashboard, decided by the bot at every request, over real HTTP:
the authorization matrix on a read route and a write route, `/scheduler config viewer_role`,
rights that change while logged in, and the CSRF rules for cookie-carried changes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from fakediscord import Permission
from tests.commands.api_harness import make_tasks
from tests.commands.dashboard_harness import Dashboard, serving_dashboard
from tests.commands.harness import App, Scene, build_scene, final_answer, text_of


@pytest.fixture
def scene() -> Scene:
    s = build_scene()
    s.guild.add_member("mona", roles=[s.guild.add_role("Server managers", Permission.MANAGE_GUILD)])
    s.guild.add_member("vera", roles=[s.guild.add_role("Viewers", 0)])
    s.world.add_user("nina")  # in no guild at all
    return s


@pytest.fixture
async def dash(app: App) -> AsyncIterator[Dashboard]:
    s = app.scene
    answer = await final_answer(
        await app.fd.slash(
            s.guild,
            s.admin,
            "scheduler config",
            manager_role=s.managers,
            viewer_role=s.guild.role_named("Viewers"),
        )
    )
    assert "Viewer role" in text_of(answer) and "@Viewers" not in text_of(answer)
    await make_tasks(app, 1)
    async with serving_dashboard(app) as served:
        yield served


async def _pause(dash: Dashboard) -> str:
    """The pause route of the one task: a write route of the API."""
    [task] = await dash.app.tasks()
    return f"/api/v1/guilds/{dash.app.scene.guild.id}/tasks/{task.id}/pause"


def _who(s: Scene, name: str) -> Any:
    users = {user.username: user for user in s.world.users.values()}
    return {"owner": s.world.user(s.guild.owner_id)}.get(name) or users[name]


MATRIX = [
    ("owner", 200, 200),
    ("alice", 200, 200),  # Administrator
    ("mona", 200, 200),  # Manage Server
    ("carol", 200, 200),  # the manager role
    ("vera", 200, 403),  # the viewer role: read only
    ("bob", 403, 403),  # a plain member
    ("nina", 404, 404),  # not a member
    ("dave", 404, 404),  # a member (an admin) of another guild
]


@pytest.mark.parametrize(("who", "read", "write"), MATRIX, ids=[row[0] for row in MATRIX])
async def test_the_authorization_matrix(dash: Dashboard, who: str, read: int, write: int) -> None:
    s = dash.app.scene
    login = await dash.login(_who(s, who))
    status, body, _ = await dash.as_user(login, "GET", f"/api/v1/guilds/{s.guild.id}/tasks")
    assert status == read, body
    if read == 200:
        assert [task["name"] for task in body["items"]] == ["task 00"]
    status, body, _ = await dash.as_user(login, "POST", await _pause(dash))
    assert status == write, body
    entries = [e for e in await dash.app.audit() if e.action == "pause"]
    if write == 200:
        assert body["status"] == "paused"
        # Audited as the person, through the dashboard.
        [entry] = entries
        assert entry.actor_id == _who(s, who).id
        assert entry.detail["via"] == f"dashboard ({_who(s, who).username})"
    else:
        assert entries == [] and (await dash.app.task("task 00")).status.value == "active"
    if 403 in (read, write):
        # The refusal names what is needed, in the slash commands' words, roles by name.
        assert "Manage Server permission or the @Schedulers role" in body["detail"]
        assert "<@&" not in body["detail"]
    if read == 404:
        assert body["type"].endswith("/not-found") and "Commands" not in body["detail"]


async def test_another_guild_of_the_same_user_is_404(dash: Dashboard) -> None:
    s = dash.app.scene
    login = await dash.login(s.admin)
    for guild_id in (s.other.id, 123456789012345678):
        status, body, _ = await dash.as_user(login, "GET", f"/api/v1/guilds/{guild_id}/tasks")
        assert status == 404, body


async def test_rights_are_checked_at_every_request(dash: Dashboard) -> None:
    s = dash.app.scene
    vera = s.guild.member_named("vera")
    login = await dash.login(vera)
    read = f"/api/v1/guilds/{s.guild.id}/tasks"
    assert (await dash.as_user(login, "GET", read))[0] == 200
    vera.roles.clear()
    await dash.app.fd.member_updated(vera)
    for _ in range(100):
        status, body, _ = await dash.as_user(login, "GET", read)
        if status != 200:
            break
        await asyncio.sleep(0.02)
    assert status == 403 and "@Viewers" in body["detail"]
    await dash.app.fd.remove_member(s.guild, vera)
    for _ in range(100):
        status, body, _ = await dash.as_user(login, "GET", read)
        if status != 403:
            break
        await asyncio.sleep(0.02)
    assert status == 404


async def test_the_viewer_role_cannot_be_everyone_and_is_audited(dash: Dashboard) -> None:
    s = dash.app.scene
    answer = await final_answer(
        await dash.app.fd.slash(s.guild, s.admin, "scheduler config", viewer_role=s.guild.everyone)
    )
    assert answer.ephemeral and "@everyone can't be the viewer role" in text_of(answer)
    entries = await dash.app.bot.engine.audit.for_guild(s.guild.id, 100)
    [config] = [entry.detail for entry in entries if entry.action == "config"]
    assert config["viewer_role_id"] == {"from": None, "to": s.guild.role_named("Viewers").id}


CSRF_CASES = [
    ("no token", {"Origin": "http://cadence.test"}, 403),
    ("wrong token", {"X-CSRF-Token": "nope", "Origin": "http://cadence.test"}, 403),
    ("foreign origin", {"X-CSRF-Token": None, "Origin": "http://evil.test"}, 403),
    ("no origin, no fetch site", {"X-CSRF-Token": None}, 403),
    ("cross-site fetch", {"X-CSRF-Token": None, "Sec-Fetch-Site": "cross-site"}, 403),
    ("same-origin fetch", {"X-CSRF-Token": None, "Sec-Fetch-Site": "same-origin"}, 200),
    ("our origin", {"X-CSRF-Token": None, "Origin": "http://cadence.test"}, 200),
]


@pytest.mark.parametrize(
    ("case", "headers", "expected"), CSRF_CASES, ids=[c[0] for c in CSRF_CASES]
)
async def test_csrf_on_cookie_carried_changes(
    dash: Dashboard, case: str, headers: dict[str, str | None], expected: int
) -> None:
    s = dash.app.scene
    login = await dash.login(s.admin)
    sent = {k: (login.csrf if v is None else v) for k, v in headers.items()}
    status, body, _ = await dash.as_user(
        login, "POST", await _pause(dash), csrf=False, headers=sent
    )
    assert status == expected, body
    if expected == 403:
        assert body["type"].endswith("/csrf")
        assert (await dash.app.task("task 00")).status.value == "active"


async def test_bearer_tokens_are_not_csrf_checked(dash: Dashboard) -> None:
    s = dash.app.scene
    token = (
        await dash.app.bot.services.api_tokens.create(s.guild.id, "ci", "write", s.admin.id)
    ).token
    status, body, _ = await dash.send(
        "POST",
        await _pause(dash),
        headers={"Authorization": f"Bearer {token}", "Origin": "http://evil.test"},
    )
    assert status == 200 and body["status"] == "paused"
