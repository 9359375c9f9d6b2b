"""`python bot.py` with WEB_PORT: the web side starts with the bot and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import socket

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.harness import BotProcess, Scene

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def ready(http: aiohttp.ClientSession, url: str, timeout: float = 10.0) -> dict:  # noqa: ASYNC109
    """Poll `/readyz` until it answers 200 (the gateway connects after the start notice)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        async with http.get(url) as resp:
            body = await resp.json()
            if resp.status == 200:
                return dict(body)
            assert resp.status == 503 and body["not_ready"], body
        assert loop.time() < deadline, f"not ready after {timeout} s: {body}"
        await asyncio.sleep(0.1)


async def test_health_and_readiness_are_served_while_the_bot_runs(bot: BotProcess) -> None:
    port = free_port()
    await bot.start(WEB_PORT=str(port))
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/healthz") as resp:
            assert resp.status == 200
        body = await ready(http, f"{base}/readyz")
        assert body["checks"] == {"gateway": "ok", "engine": "ok", "database": "ok"}
        assert await bot.stop() == 0
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(f"{base}/healthz")
    assert bot.fd.token not in bot.log()


async def test_logging_in_with_discord_in_the_bot_process(bot: BotProcess, scene: Scene) -> None:
    """bot.py wires the login: the client id is the application's, the secret is never
    logged, and a session opened through fakediscord reads the admin's guild."""
    port = free_port()
    secret = bot.fd.oauth2.client_secret
    await bot.start(WEB_PORT=str(port), DISCORD_CLIENT_SECRET=secret)
    base = f"http://127.0.0.1:{port}"
    bot.fd.oauth2.approve_as(scene.admin)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        await ready(http, f"{base}/readyz")
        async with http.get(f"{base}/login", allow_redirects=False) as resp:
            assert resp.status == 302
            authorize = resp.headers["Location"]
            login_cookie = resp.cookies["cadence_login"].value
        assert authorize.startswith(f"{bot.fd.url}/oauth2/authorize?")
        assert f"client_id={bot.fd.oauth2.client_id}" in authorize
        async with http.get(authorize, allow_redirects=False) as resp:
            back = resp.headers["Location"]
        assert back.startswith(f"{base}/auth/callback?")
        async with http.get(
            back, headers={"Cookie": f"cadence_login={login_cookie}"}, allow_redirects=False
        ) as resp:
            assert resp.status == 302, await resp.text()
            session = resp.cookies["cadence_session"].value
        cookie = {"Cookie": f"cadence_session={session}"}
        async with http.get(f"{base}/auth/guilds", headers=cookie) as resp:
            body = await resp.json()
        assert [g["name"] for g in body["guilds"]] == ["Cadence E2E"]
        assert await bot.stop() == 0
    assert secret not in bot.log() and session not in bot.log()


async def test_a_busy_web_port_stops_start_up_with_exit_2(bot: BotProcess) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        await bot.start(wait_started=False, WEB_PORT=str(port))
        assert bot.process is not None
        code = await asyncio.wait_for(bot.process.wait(), 20)
    assert code == 2
    assert f"Cannot listen on 127.0.0.1 port {port}" in bot.log()


async def test_json_logs_and_the_operators_metrics_port(bot: BotProcess) -> None:
    port = free_port()
    await bot.start(METRICS_PORT=str(port), LOG_FORMAT="json")
    async with aiohttp.ClientSession() as http:
        await ready(http, f"http://127.0.0.1:{port}/readyz")
        async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
            assert resp.status == 200
            text = await resp.text()
    assert await bot.stop() == 0
    found = {f.name: f.samples for f in text_string_to_metric_families(text)}
    tasks = {s.labels["status"]: s.value for s in found["cadence_tasks"]}
    assert tasks == {"active": 0.0, "paused": 0.0, "completed": 0.0, "failed": 0.0}
    sent = {
        (s.labels["route"], s.labels["status"])
        for s in found["cadence_discord_requests"]
        if s.name.endswith("_total")
    }
    assert ("messages", "200") in sent  # the "Cadence started" notice
    assert ("commands", "200") in sent  # the command sync to the dev guild
    [latency] = found["cadence_gateway_latency_seconds"]
    assert 0 <= latency.value < 5
    lines = [line for line in bot.log().splitlines() if line.strip()]
    assert len(lines) > 10
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {"time", "level", "logger", "message"} <= set(records[0])
    assert any(r["message"] == "Stopped cleanly" for r in records)
    assert bot.fd.token not in bot.log()
