"""A client for the web API of the in-process bot: its real web server on a free port,
with every route module `web.api` assembles. The `api` fixture is in conftest.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from telemetry import Metrics
from tests.commands.harness import App
from web import WebServer, build_app
from web.api import ApiContext, api_routes
from web.auth import ApiAuth
from web.http_rules import CursorCodec
from web.limits import RateLimiter

__all__ = ["Api", "make_tasks", "serving_api"]


class Api:
    """Requests to the API as one caller or another; answers as (status, JSON body, response)."""

    def __init__(self, app: App, base: str, http: aiohttp.ClientSession) -> None:
        self.app, self.base, self.http = app, base, http

    async def token(
        self, name: str, scope: str = "read", member: Any = None, guild: Any = None
    ) -> str:
        s = self.app.scene
        made = await self.app.bot.services.api_tokens.create(
            (guild or s.guild).id, name, scope, (member or s.admin).id
        )
        return made.token

    async def request(
        self,
        method: str,
        path: str,
        token: str | None,
        *,
        json: Any = None,
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        sent = {"Authorization": f"Bearer {token}"} if token else {}
        sent.update(headers or {})
        async with self.http.request(
            method, self.base + path, headers=sent, json=json, data=data
        ) as resp:
            text = await resp.text()
            body = None
            if text:
                try:
                    body = await resp.json(content_type=None)
                except ValueError:
                    body = text
            return resp.status, body, resp

    async def get(self, path: str, token: str | None) -> tuple[int, Any, aiohttp.ClientResponse]:
        return await self.request("GET", path, token)


@asynccontextmanager
async def serving_api(app: App) -> AsyncIterator[Api]:
    services = app.bot.services
    auth = ApiAuth.for_bot(services.api_tokens, RateLimiter(5, 20), app.bot)
    context = ApiContext(services, app.bot, auth, CursorCodec(b"k" * 32))
    server = WebServer(
        build_app(checks={}, metrics=Metrics(), routes=api_routes(context)), "127.0.0.1", 0
    )
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield Api(app, f"http://127.0.0.1:{server.port}", http)
    finally:
        await server.stop()


async def make_tasks(app: App, count: int, guild: Any = None, admin: Any = None) -> None:
    """`count` daily cron tasks made with the slash command, named `task 00`, `task 01`, …"""
    s = app.scene
    for number in range(count):
        await app.answer(
            admin or s.admin,
            "cron",
            guild=guild or s.guild,
            name=f"task {number:02d}",
            cron="0 9 * * *",
            channel=s.other_general if guild is not None else s.general,
            message=f"post {number}",
        )
