"""Log in with Discord: `/login`, `/auth/callback`, `/auth/session`, `/auth/logout`, and the
server picker's list, `/auth/guilds`.

`/login?next=/path` sends the browser to Discord's consent page with a random `state` and a
PKCE challenge, remembered in a signed cookie for 10 minutes; `/auth/callback` checks that
state, exchanges the code (form body), reads who logged in and their guilds, revokes the
Discord token (none is kept) and opens a session (`web.sessions`). `next` may only be a path on
this site. The pages a browser lands on answer in HTML; the JSON routes in problem+json.

What a session may do in a guild is never read from the OAuth guild list: it only draws the
picker. Each request asks the bot (`web.auth.SessionAuth`).
"""

from __future__ import annotations

import hmac
import html
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import discord
from aiohttp import web

from config.settings import Secret
from scheduler.clock import Clock
from web.auth import SessionAuth
from web.discord_oauth import (
    LOGIN_COOKIE,
    LOGIN_LIFETIME_SECONDS,
    DiscordOAuth,
    LoginFailed,
    LoginState,
)
from web.sessions import (
    check_csrf,
    clear_session_cookie,
    csrf_token,
    local_path,
    set_session_cookie,
)

__all__ = ["LoginConfig", "LoginRoutes"]

log = logging.getLogger(__name__)

PICKER_CACHE = timedelta(seconds=60)
_MANAGE_GUILD = 1 << 5
_ADMINISTRATOR = 1 << 3


@dataclass(frozen=True, slots=True)
class LoginConfig:
    """The login's settings: `DISCORD_API_BASE`, `DISCORD_CLIENT_ID` (None: the application's
    id), `DISCORD_CLIENT_SECRET`, `PUBLIC_URL`."""

    api_base: str
    client_id: int | None
    client_secret: Secret
    public_url: str

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url}/auth/callback"

    @property
    def secure(self) -> bool:
        """Cookies are Secure when the site is served over https."""
        return self.public_url.lower().startswith("https://")


class LoginRoutes:
    """The login and session routes."""

    def __init__(
        self, config: LoginConfig, auth: SessionAuth, client: discord.Client, clock: Clock
    ) -> None:
        self._config = config
        self._auth = auth
        self._client = client
        self._clock = clock
        self._http: aiohttp.ClientSession | None = None
        self._picker: dict[int, tuple[datetime, dict[str, Any]]] = {}

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/login", self.login)
        app.router.add_get("/auth/callback", self.callback)
        app.router.add_get("/auth/session", self.session)
        app.router.add_post("/auth/logout", self.logout)
        app.router.add_get("/auth/guilds", self.guilds)
        app.on_cleanup.append(self._close)

    async def _close(self, app: web.Application) -> None:
        if self._http is not None:
            await self._http.close()

    def _oauth(self) -> DiscordOAuth | None:
        client_id = self._config.client_id or self._client.application_id
        if client_id is None or not self._config.client_secret:
            return None
        return DiscordOAuth(
            self._config.api_base,
            client_id,
            self._config.client_secret,
            self._config.redirect_uri,
        )

    # -- the browser's pages ------------------------------------------------------------------

    async def login(self, request: web.Request) -> web.StreamResponse:
        """GET /login?next=/path: off to Discord's consent page."""
        oauth = self._oauth()
        if oauth is None:
            return _page(503, "Log in with Discord is not set up", self._setup_help())
        next_path = local_path(request.query.get("next"))
        url, state = oauth.start(next_path, self._clock.now().timestamp())
        response = _redirect(url)
        response.set_cookie(
            LOGIN_COOKIE,
            state.seal(oauth.state_key),
            max_age=LOGIN_LIFETIME_SECONDS,
            path="/auth",
            secure=self._config.secure,
            httponly=True,
            samesite="Lax",
        )
        return response

    def _setup_help(self) -> str:
        if not self._config.client_secret:
            return (
                "The operator has not set DISCORD_CLIENT_SECRET. In the Discord Developer "
                "Portal, open the application's OAuth2 page, copy its Client Secret into "
                "DISCORD_CLIENT_SECRET, add the redirect URI "
                f"{self._config.redirect_uri} there, and restart Cadence."
            )
        return "Cadence has not connected to Discord yet; try again in a moment."

    async def callback(self, request: web.Request) -> web.StreamResponse:
        """GET /auth/callback?code=…&state=…: check the state, read who it is, open a session."""
        oauth = self._oauth()
        if oauth is None:
            return _page(503, "Log in with Discord is not set up", self._setup_help())
        if "error" in request.query:
            return _page(400, "Login cancelled", "Discord did not confirm the login.", retry=True)
        sealed = request.cookies.get(LOGIN_COOKIE, "")
        now = self._clock.now()
        state = LoginState.open(sealed, oauth.state_key, now.timestamp()) if sealed else None
        sent = request.query.get("state", "")
        if state is None or not sent or not hmac.compare_digest(sent, state.state):
            return _page(
                400,
                "This login link is not valid",
                "It was not started from this browser, or it is older than 10 minutes.",
                retry=True,
            )
        code = request.query.get("code", "")
        if not code:
            return _page(400, "This login link is not valid", "Discord sent no code.", retry=True)
        try:
            identity = await oauth.identify(self._session_http(), code, state.verifier)
        except LoginFailed as exc:
            return _page(400, "Login failed", str(exc), retry=True)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("Discord could not be reached during a login: %s", exc)
            return _page(502, "Discord did not answer", "Try logging in again.", retry=True)
        user = identity.user
        session_id = await self._auth.sessions.open(
            int(user["id"]), str(user.get("username", "")), user.get("avatar"), identity.guilds
        )
        response = _redirect(state.next_path)
        set_session_cookie(response, session_id, secure=self._config.secure)
        response.del_cookie(LOGIN_COOKIE, path="/auth")
        return response

    def _session_http(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        return self._http

    # -- JSON for the pages ---------------------------------------------------------------------

    async def session(self, request: web.Request) -> web.Response:
        """GET /auth/session: who is logged in, and the CSRF token for changes."""
        session_id, session = await self._auth.session(request)
        return web.json_response(
            {
                "user": {
                    "id": str(session.user_id),
                    "username": session.username,
                    "avatar": session.avatar,
                },
                "csrf_token": csrf_token(session_id),
                "expires_at": session.expires_at.isoformat().replace("+00:00", "Z"),
            }
        )

    async def logout(self, request: web.Request) -> web.Response:
        """POST /auth/logout (CSRF-checked): the session row and the cookie go."""
        session_id, session = await self._auth.session(request)
        check_csrf(request, session_id, self._auth.public_origin)
        await self._auth.sessions.close(session_id)
        self._picker.pop(session.user_id, None)
        response = web.Response(status=204)
        clear_session_cookie(response, secure=self._config.secure)
        return response

    async def guilds(self, request: web.Request) -> web.Response:
        """GET /auth/guilds: the server picker (cached 60 s per user)."""
        _, session = await self._auth.session(request)
        now = self._clock.now()
        cached = self._picker.get(session.user_id)
        if cached is not None and cached[0] > now:
            return web.json_response(cached[1])
        body = await self._picker_body(session.user_id, session.guilds)
        self._picker[session.user_id] = (now + PICKER_CACHE, body)
        return web.json_response(body)

    async def _picker_body(
        self, user_id: int, listed: tuple[dict[str, Any], ...]
    ) -> dict[str, Any]:
        oauth = self._oauth()
        shared: list[dict[str, Any]] = []
        others: list[dict[str, Any]] = []
        for entry in listed:
            try:
                guild_id = int(entry["id"])
            except (KeyError, TypeError, ValueError):
                continue
            shown = {"id": str(guild_id), "name": entry.get("name"), "icon": entry.get("icon")}
            if self._client.get_guild(guild_id) is not None:
                try:
                    access = await self._auth.access(guild_id, user_id)
                except discord.HTTPException:
                    continue
                if access.can_read:
                    shared.append({**shown, "access": "write" if access.can_write else "read"})
            elif _may_add_bot(entry) and oauth is not None:
                others.append({**shown, "add_bot_url": oauth.add_bot_url(guild_id)})
        return {"guilds": shared, "others": others}


def _redirect(location: str) -> web.Response:
    return web.Response(status=302, headers={"Location": location})


def _may_add_bot(entry: dict[str, Any]) -> bool:
    """Only someone with Manage Server can add a bot, so only they are offered the link."""
    try:
        permissions = int(entry.get("permissions") or 0)
    except (TypeError, ValueError):
        permissions = 0
    return bool(entry.get("owner")) or bool(permissions & (_MANAGE_GUILD | _ADMINISTRATOR))


def _page(status: int, title: str, text: str, *, retry: bool = False) -> web.Response:
    """A small HTML page for the browser's side of the login."""
    again = '<p><a href="/login">Log in with Discord</a></p>' if retry else ""
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} · Cadence</title></head><body>"
        f"<main><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{again}</main>"
        "</body></html>"
    )
    return web.Response(status=status, text=body, content_type="text/html")
