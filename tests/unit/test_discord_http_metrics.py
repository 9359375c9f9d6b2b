"""Discord request and 429 counters from aiohttp's trace hooks, against a real local server."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from telemetry import Metrics
from telemetry.discord_http import discord_trace, route_family

FAMILIES = [
    ("/api/v10/channels/1/messages", "messages"),
    ("/api/v10/channels/1/messages/2/crosspost", "messages"),
    ("/api/v10/channels/1", "channels"),
    ("/api/v10/interactions/5/tok/callback", "interactions"),
    ("/api/v10/webhooks/6/tok", "webhooks"),
    ("/api/v10/applications/7/guilds/8/commands", "commands"),
    ("/api/v10/applications/@me", "other"),
    ("/api/v10/guilds/8/members/9", "guilds"),
    ("/api/v10/users/@me", "users"),
    ("/api/v10/gateway/bot", "gateway"),
    ("/", "other"),
]


@pytest.mark.parametrize(("path", "family"), FAMILIES, ids=[p for p, _ in FAMILIES])
def test_route_families(path: str, family: str) -> None:
    assert route_family(path) == family


async def test_each_attempt_and_each_429_scope_is_counted() -> None:
    async def ok(request: web.Request) -> web.Response:
        return web.json_response({})

    async def limited(request: web.Request) -> web.Response:
        scope = request.query.get("scope")
        headers = {"X-RateLimit-Scope": scope} if scope else {"X-RateLimit-Global": "true"}
        return web.json_response({"retry_after": 0.1}, status=429, headers=headers)

    app = web.Application()
    app.router.add_post("/api/v10/channels/{id}/messages", ok)
    app.router.add_get("/api/v10/users/@me", limited)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    metrics = Metrics()
    try:
        async with aiohttp.ClientSession(trace_configs=[discord_trace(metrics)]) as http:
            for _ in range(3):
                await (await http.post(f"{base}/api/v10/channels/1/messages")).release()
            for query in ("?scope=user", "?scope=shared", ""):
                await (await http.get(f"{base}/api/v10/users/@me{query}")).release()
            with pytest.raises(aiohttp.ClientConnectionError):
                await http.get("http://127.0.0.1:1/api/v10/gateway/bot")
    finally:
        await runner.cleanup()
    found = {
        f.name: f.samples for f in text_string_to_metric_families((await metrics.render()).decode())
    }
    requests = {
        (s.labels["route"], s.labels["status"]): s.value
        for s in found["cadence_discord_requests"]
        if s.name.endswith("_total")
    }
    assert requests == {("messages", "200"): 3, ("users", "429"): 3, ("gateway", "error"): 1}
    limited_by = {
        s.labels["scope"]: s.value
        for s in found["cadence_discord_rate_limited"]
        if s.name.endswith("_total")
    }
    assert limited_by == {"user": 1, "shared": 1, "global": 1}
