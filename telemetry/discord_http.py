"""Counting every REST request the bot makes to Discord, from aiohttp's own trace hooks.

discord.py retries 429s and 5xx inside its HTTP client, so a wrapper around its `request`
sees only the last answer. An `aiohttp.TraceConfig` (which discord.py accepts as
`http_trace`) sees each attempt: `cadence_discord_requests_total{route, status}` counts them
by route family, and `cadence_discord_rate_limited_total{scope}` counts the 429s by the
scope Discord gives (`user`, `global`, `shared`; `unknown` when it gives none)."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import aiohttp

from telemetry.metrics import Metrics

__all__ = ["ROUTE_FAMILIES", "discord_trace", "route_family"]

ROUTE_FAMILIES = (
    "messages",
    "interactions",
    "webhooks",
    "commands",
    "channels",
    "guilds",
    "users",
    "gateway",
    "other",
)
_VERSION_PREFIX = re.compile(r"^/api/v\d+")


def route_family(path: str) -> str:
    """The family of a Discord REST path (`/api/v10/channels/1/messages` -> `messages`)."""
    path = _VERSION_PREFIX.sub("", path)
    parts = [p for p in path.split("/") if p]
    if not parts:
        return "other"
    head = parts[0]
    if head == "interactions":
        return "interactions"
    if head == "webhooks":
        return "webhooks"
    if head == "applications" and "commands" in parts:
        return "commands"
    if head == "channels":
        return "messages" if "messages" in parts else "channels"
    if head in ("guilds", "users", "gateway"):
        return {"guilds": "guilds", "users": "users", "gateway": "gateway"}[head]
    return "other"


def discord_trace(metrics: Metrics) -> aiohttp.TraceConfig:
    """A trace config that counts each request and each 429 on `metrics`."""
    trace = aiohttp.TraceConfig()

    async def on_request_end(
        session: aiohttp.ClientSession, context: SimpleNamespace, params: Any
    ) -> None:
        response = params.response
        family = route_family(params.url.path)
        metrics.discord_requests.labels(family, str(response.status)).inc()
        if response.status == 429:
            scope = response.headers.get("X-RateLimit-Scope")
            if scope is None and response.headers.get("X-RateLimit-Global", "").lower() == "true":
                scope = "global"
            metrics.discord_rate_limited.labels(scope or "unknown").inc()

    async def on_request_exception(
        session: aiohttp.ClientSession, context: SimpleNamespace, params: Any
    ) -> None:
        metrics.discord_requests.labels(route_family(params.url.path), "error").inc()

    trace.on_request_end.append(on_request_end)
    trace.on_request_exception.append(on_request_exception)
    return trace
