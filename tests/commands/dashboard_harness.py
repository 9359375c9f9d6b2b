"""The dashboard's login over real HTTP: the in-process bot's web server (every API route
module, the login routes, session callers) logging in through fakediscord's OAuth2.

Cookies are handled by hand (no cookie jar) so tests see exactly what the server sets and
the browser would send. `PUBLIC_URL` is `http://cadence.test` unless a test asks for another:
Discord redirects the browser there, and the client replays that redirect against the real
server's address.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http.cookies import Morsel
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp

from config.settings import Secret
from telemetry import Metrics
from tests.commands.harness import App
from web import WebServer, build_app
from web.api import ApiContext, api_routes
from web.auth import ApiAuth, SessionAuth
from web.http_rules import CursorCodec
from web.limits import RateLimiter
from web.login import LoginConfig, LoginRoutes
from web.sessions import WebSessions, origin_of

__all__ = ["PUBLIC_URL", "Dashboard", "Login", "serving_dashboard"]

PUBLIC_URL = "http://cadence.test"


@dataclass
class Login:
    """What one login left in the browser."""

    session_id: str
    csrf: str
    cookie: Morsel[str]
    location: str


class Dashboard:
    """A browser (without a cookie jar) in front of the bot's web server."""

    def __init__(self, app: App, base: str, public_url: str, http: aiohttp.ClientSession):
        self.app, self.base, self.public_url, self.http = app, base, public_url, http

    async def send(
        self,
        method: str,
        path: str,
        *,
        cookies: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        json: Any = None,
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        sent = dict(headers or {})
        if cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        url = path if path.startswith("http") else self.base + path
        async with self.http.request(
            method, url, headers=sent, json=json, allow_redirects=False
        ) as resp:
            text = await resp.text()
            try:
                body: Any = await resp.json(content_type=None) if text else None
            except ValueError:
                body = text
            return resp.status, body, resp

    async def as_user(
        self, login: Login, method: str, path: str, *, csrf: bool = True, **kwargs: Any
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        """A request of the logged-in browser; changes carry the token and our Origin."""
        headers = {"X-CSRF-Token": login.csrf, "Origin": self.public_url} if csrf else {}
        headers.update(kwargs.pop("headers", {}))
        return await self.send(
            method, path, cookies={"cadence_session": login.session_id}, headers=headers, **kwargs
        )

    async def start(self, next_path: str | None = None) -> tuple[str, str]:
        """GET /login: the consent URL at fakediscord and the login cookie's value."""
        query = "" if next_path is None else "?" + urlencode({"next": next_path})
        status, body, resp = await self.send("GET", "/login" + query)
        assert status == 302, body
        return resp.headers["Location"], resp.cookies["cadence_login"].value

    async def consent(self, authorize_url: str, member: Any) -> str:
        """fakediscord's consent page approves as `member`; the callback URL on our server."""
        self.app.fd.oauth2.approve_as(member)
        status, body, resp = await self.send("GET", authorize_url)
        assert status == 302, body
        back = urlsplit(resp.headers["Location"])
        return f"{self.base}{back.path}?{back.query}"

    async def callback(self, url: str, login_cookie: str | None) -> aiohttp.ClientResponse:
        cookies = {"cadence_login": login_cookie} if login_cookie else None
        _, _, resp = await self.send("GET", url, cookies=cookies)
        return resp

    async def login(self, member: Any, next_path: str | None = None) -> Login:
        """The whole flow, as a browser would run it."""
        authorize, cookie = await self.start(next_path)
        resp = await self.callback(await self.consent(authorize, member), cookie)
        assert resp.status == 302, resp.status
        morsel = resp.cookies["cadence_session"]
        status, body, _ = await self.send(
            "GET", "/auth/session", cookies={"cadence_session": morsel.value}
        )
        assert status == 200, body
        return Login(morsel.value, body["csrf_token"], morsel, resp.headers["Location"])


@asynccontextmanager
async def serving_dashboard(
    app: App, public_url: str = PUBLIC_URL, *, client_secret: str | None = None, port: int = 0
) -> AsyncIterator[Dashboard]:
    """The bot's web server with the login; `port` 0 picks a free one (a browser test picks
    it first, so that `PUBLIC_URL` can be the server's own address)."""
    services = app.bot.services
    limiter = RateLimiter(50, 100)
    sessions = SessionAuth.for_bot(
        WebSessions(services.repositories.sessions, services.clock),
        services.repositories.guilds,
        app.bot,
        limiter,
        origin_of(public_url),
    )
    auth = ApiAuth.for_bot(services.api_tokens, limiter, app.bot, sessions)
    context = ApiContext(services, app.bot, auth, CursorCodec(b"k" * 32))
    secret = app.fd.oauth2.client_secret if client_secret is None else client_secret
    config = LoginConfig(app.fd.url, None, Secret(secret), public_url)
    login = LoginRoutes(config, sessions, app.bot, services.clock)
    routes = [*api_routes(context), login.add_to]
    server = WebServer(build_app(checks={}, metrics=Metrics(), routes=routes), "127.0.0.1", port)
    await server.start()
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
            yield Dashboard(app, f"http://127.0.0.1:{server.port}", public_url, http)
    finally:
        await server.stop()
