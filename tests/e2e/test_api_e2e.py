"""The web API end to end: `python bot.py` with WEB_PORT, a token made with the slash command,
a task created over HTTP that posts in fakediscord at its instant with its nonce."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from fakediscord import FakeDiscord
from scheduler.payload import make_nonce
from tests.commands.harness import final_answer, text_of
from tests.e2e.harness import BotProcess, Scene
from tests.e2e.test_web_process import free_port, ready

pytestmark = pytest.mark.slow

TOKEN = re.compile(r"cadence_[A-Za-z0-9_-]{43}")


async def test_a_task_created_over_http_posts_at_its_instant_with_its_nonce(
    bot: BotProcess, fd: FakeDiscord, scene: Scene
) -> None:
    port = free_port()
    await bot.start(WEB_PORT=str(port))
    base = f"http://127.0.0.1:{port}"
    made = await fd.slash(
        scene.guild, scene.admin, "scheduler api-token create", name="deploys", scope="write"
    )
    answer = await final_answer(made)
    assert answer.ephemeral
    tokens = TOKEN.findall(text_of(answer))
    assert len(tokens) == 1, text_of(answer)
    auth = {"Authorization": f"Bearer {tokens[0]}"}

    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=6)
    entry = {
        "name": "launch",
        "kind": "date",
        "spec": due.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timezone": "UTC",
        "payload": {"variants": [{"content": "we have lift-off"}]},
        "destinations": [{"type": "channel", "channel_id": str(scene.general.id)}],
    }
    async with aiohttp.ClientSession() as http:
        await ready(http, f"{base}/readyz")
        async with http.post(
            f"{base}/api/v1/guilds/{scene.guild.id}/tasks", json=entry, headers=auth
        ) as resp:
            body = await resp.json()
            assert resp.status == 201, body
            location = resp.headers["Location"]
            assert resp.headers["ETag"]
        task_id = int(body["id"])
        assert location.endswith(f"/api/v1/guilds/{scene.guild.id}/tasks/{task_id}")
        assert body["next_run_at"] == entry["spec"]

        post = await fd.wait_for_message(
            scene.general, lambda m: m.content == "we have lift-off", timeout=15
        )
        assert post.nonce == make_nonce(task_id, due, 0)
        assert post.timestamp >= due.timestamp()
        assert post.timestamp - due.timestamp() < 2.0

        # The post is recorded just after it is sent: poll the task until it says so.
        for _ in range(50):
            async with http.get(f"{base}{location}", headers=auth) as resp:
                after = await resp.json()
                assert resp.status == 200, after
            if after["run_count"]:
                break
            await asyncio.sleep(0.1)
        assert after["run_count"] == 1
        assert after["status"] == "completed"
        async with http.get(f"{base}/api/v1/guilds/{scene.guild.id}/audit", headers=auth) as resp:
            audit = await resp.json()
            assert resp.status == 200, audit
    created = [
        e for e in audit["items"] if e["action"] == "create" and e["task_id"] == str(task_id)
    ]
    assert len(created) == 1, audit
    assert created[0]["actor_id"] == str(scene.admin.id)
    assert "deploys" in str(created[0]["detail"])
    assert await bot.stop() == 0
    assert tokens[0] not in bot.log()
