"""The web API's read routes and its authorization, over real HTTP, against the real bot
in-process and fakediscord: tokens, other guilds, demoted creators, rate limits, paging."""

from __future__ import annotations

import asyncio
import math

from tests.commands.api_harness import Api, make_tasks
from web.problems import PROBLEM_JSON


async def test_a_task_reads_as_its_export_entry_plus_read_only_fields(api: Api) -> None:
    s = api.app.scene
    await make_tasks(api.app, 1)
    token = await api.token("reader")
    status, body, _ = await api.get(f"/api/v1/guilds/{s.guild.id}/tasks", token)
    assert status == 200 and body["next_cursor"] is None
    [item] = body["items"]
    assert item["name"] == "task 00" and item["kind"] == "cron" and item["spec"] == "0 9 * * *"
    assert item["destinations"] == [{"type": "channel", "channel_id": str(s.general.id)}]
    assert item["payload"]["variants"][0]["content"] == "post 0"
    assert isinstance(item["id"], str) and item["created_by"] == str(s.admin.id)
    assert item["next_run_at"].endswith("T09:00:00Z") and item["run_count"] == 0
    assert item["version"] == 1
    status, one, resp = await api.get(f"/api/v1/guilds/{s.guild.id}/tasks/{item['id']}", token)
    assert status == 200 and one == item
    # The tag names the definition's version; per-run fields may change under it, so the
    # answer is never cached and If-None-Match gets no 304.
    assert resp.headers["ETag"] == f'"task-{item["id"]}-v1"'
    assert resp.headers["Cache-Control"] == "no-store"
    async with api.http.get(
        f"{api.base}/api/v1/guilds/{s.guild.id}/tasks/{item['id']}",
        headers={"Authorization": f"Bearer {token}", "If-None-Match": resp.headers["ETag"]},
    ) as again:
        assert again.status == 200


async def test_the_etag_follows_the_definition_not_the_runs(api: Api) -> None:
    s = api.app.scene
    await make_tasks(api.app, 1)
    task = await api.app.task("task 00")
    token = await api.token("reader")
    path = f"/api/v1/guilds/{s.guild.id}/tasks/{task.id}"
    first = (await api.get(path, token))[2].headers["ETag"]
    tasks = api.app.bot.services.repositories.tasks
    now = api.app.bot.services.clock.now()
    await tasks.update(task.id, at=now, run_count=3, next_run_at=task.next_run_at)
    _, body, resp = await api.get(path, token)
    assert body["run_count"] == 3 and resp.headers["ETag"] == first
    await api.app.answer(s.admin, "pause", task="task 00")
    _, body, resp = await api.get(path, token)
    assert body["version"] == 2 and resp.headers["ETag"] == f'"task-{task.id}-v2"' != first


async def test_paging_filters_and_bad_parameters(api: Api) -> None:
    s = api.app.scene
    await make_tasks(api.app, 5)
    token = await api.token("reader")
    path = f"/api/v1/guilds/{s.guild.id}/tasks?limit=2"
    names: list[str] = []
    cursor = None
    while True:
        status, body, _ = await api.get(path + (f"&cursor={cursor}" if cursor else ""), token)
        assert status == 200 and len(body["items"]) <= 2
        names += [t["name"] for t in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert names == [f"task {n:02d}" for n in range(5)]
    status, body, _ = await api.get(f"/api/v1/guilds/{s.guild.id}/tasks?q=TASK%2003", token)
    assert [t["name"] for t in body["items"]] == ["task 03"]
    status, body, _ = await api.get(
        f"/api/v1/guilds/{s.guild.id}/tasks?status=paused&kind=cron", token
    )
    assert status == 200 and body["items"] == []
    status, body, resp = await api.get(
        f"/api/v1/guilds/{s.guild.id}/tasks?status=sleeping&limit=500", token
    )
    assert status == 422 and resp.content_type == PROBLEM_JSON
    assert {e["field"] for e in body["errors"]} == {"status", "limit"}
    first = await api.get(path, token)
    cursor = first[1]["next_cursor"]
    status, body, _ = await api.get(
        f"/api/v1/guilds/{s.guild.id}/tasks?limit=2&status=active&cursor={cursor}", token
    )
    assert status == 400  # a cursor made for other filters


async def test_no_token_reads_another_guilds_tasks(api: Api) -> None:
    s = api.app.scene
    await make_tasks(api.app, 1)
    await make_tasks(api.app, 1, guild=s.other, admin=s.other_admin)
    ours = await api.token("ours")
    theirs = await api.token("theirs", guild=s.other, member=s.other_admin)
    _, body, _ = await api.get(f"/api/v1/guilds/{s.other.id}/tasks", theirs)
    their_task = body["items"][0]["id"]
    for path in (
        f"/api/v1/guilds/{s.other.id}/tasks",
        f"/api/v1/guilds/{s.other.id}/tasks/{their_task}",
    ):
        status, body, _ = await api.get(path, ours)
        assert status == 404, path
        assert "Elsewhere" not in str(body) and str(their_task) not in str(body)
    # Their task id under our guild's path is not found either.
    status, _, _ = await api.get(f"/api/v1/guilds/{s.guild.id}/tasks/{their_task}", ours)
    assert status == 404
    # Their cursor is refused in our guild.
    await make_tasks(api.app, 2, guild=s.other, admin=s.other_admin)
    _, body, _ = await api.get(f"/api/v1/guilds/{s.other.id}/tasks?limit=1", theirs)
    status, _, _ = await api.get(
        f"/api/v1/guilds/{s.guild.id}/tasks?limit=1&cursor={body['next_cursor']}", ours
    )
    assert status == 400


async def test_missing_unknown_revoked_and_demoted_tokens(api: Api) -> None:
    s = api.app.scene
    path = f"/api/v1/guilds/{s.guild.id}/tasks"
    status, body, resp = await api.get(path, None)
    assert status == 401 and resp.headers["WWW-Authenticate"].startswith("Bearer")
    status, _, _ = await api.get(path, "cadence_" + "x" * 43)
    assert status == 401
    token = await api.token("soon-revoked")
    assert (await api.get(path, token))[0] == 200
    await api.app.bot.services.api_tokens.revoke(s.guild.id, "soon-revoked", s.admin.id)
    assert (await api.get(path, token))[0] == 401
    token = await api.token("admins")
    s.admin.roles.clear()  # demoted: the token acts with its creator's rights, checked each use
    await api.app.fd.member_updated(s.admin)
    for _ in range(50):
        status, body, _ = await api.get(path, token)
        if status == 403:
            break
        await asyncio.sleep(0.1)
    assert status == 403 and "no longer has the Manage Server permission" in body["detail"]


async def test_a_token_over_its_rate_gets_429_with_retry_after(api: Api) -> None:
    s = api.app.scene
    token = await api.token("busy")
    path = f"/api/v1/guilds/{s.guild.id}/tasks"
    # A burst of 20, then 5 a second: the bucket refills while the requests are made, so
    # allow for the time they took (a busy machine may take longer than 0.2 s for 20).
    loop = asyncio.get_running_loop()
    began = loop.time()
    answers = []
    while len(answers) < 200:
        answers.append(await api.get(path, token))
        if answers[-1][0] != 200:
            break
    elapsed = loop.time() - began
    served = len(answers) - 1
    assert 20 <= served <= 20 + math.ceil(5 * elapsed), (served, elapsed)
    status, body, resp = answers[-1]
    assert status == 429, body
    assert body["type"].endswith("rate-limited")
    assert int(resp.headers["Retry-After"]) >= 1
    other = await api.token("calm")
    assert (await api.get(path, other))[0] == 200  # each token has its own budget
