"""Discord's OAuth2 as the dashboard's login uses it: the authorize URL (code grant, `state`,
PKCE S256, scopes `identify guilds`), the code exchange (a form body, as Discord requires),
the user and their guild list, and revoking the token once read (the dashboard keeps none).

The login's state travels in a short-lived cookie signed with a key derived from the client
secret (`LoginState`): every process sharing the secret can check it, and nothing is stored
before the person comes back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from config.settings import Secret

__all__ = [
    "LOGIN_COOKIE",
    "LOGIN_LIFETIME_SECONDS",
    "SCOPES",
    "DiscordIdentity",
    "DiscordOAuth",
    "LoginFailed",
    "LoginState",
    "pkce_pair",
]

log = logging.getLogger(__name__)

SCOPES = "identify guilds"
LOGIN_COOKIE = "cadence_login"
LOGIN_LIFETIME_SECONDS = 600
"""How long a started login may take (Discord's codes live about as long)."""
_TIMEOUT = aiohttp.ClientTimeout(total=15)


class LoginFailed(Exception):
    """The login cannot go on; the message is fit for the person logging in."""


def pkce_pair() -> tuple[str, str]:
    """A PKCE verifier (43+ url-safe characters) and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


@dataclass(frozen=True, slots=True)
class LoginState:
    """A login under way: the `state` sent to Discord, the PKCE verifier, where to go after."""

    state: str
    verifier: str
    next_path: str
    expires: float

    def seal(self, key: bytes) -> str:
        """The cookie value: the JSON, base64url, then its HMAC-SHA256 under `key`."""
        body = json.dumps(
            {"s": self.state, "v": self.verifier, "n": self.next_path, "e": self.expires},
            separators=(",", ":"),
        ).encode()
        data = base64.urlsafe_b64encode(body).decode().rstrip("=")
        return f"{data}.{_mac(key, data)}"

    @classmethod
    def open(cls, sealed: str, key: bytes, now: float) -> LoginState | None:
        """The state in a cookie value, or None when it was forged, damaged or is too old."""
        data, _, mac = sealed.partition(".")
        if not data or not hmac.compare_digest(mac.encode(), _mac(key, data).encode()):
            return None
        try:
            fields = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
            found = cls(str(fields["s"]), str(fields["v"]), str(fields["n"]), float(fields["e"]))
        except (ValueError, KeyError, TypeError):
            return None
        return found if found.expires > now else None


def _mac(key: bytes, data: str) -> str:
    digest = hmac.new(key, data.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True, slots=True)
class DiscordIdentity:
    """Who logged in, and the guilds Discord says they are in (for the server picker)."""

    user: dict[str, Any]
    guilds: list[dict[str, Any]]


class DiscordOAuth:
    """The application's side of Discord's OAuth2 (``api_base``: https://discord.com)."""

    def __init__(
        self, api_base: str, client_id: int, client_secret: Secret, redirect_uri: str
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self.redirect_uri = redirect_uri

    @property
    def state_key(self) -> bytes:
        """The key that signs login cookies, derived from the client secret."""
        return hmac.new(
            self._secret.reveal().encode(), b"cadence login state v1", hashlib.sha256
        ).digest()

    def start(self, next_path: str, now: float) -> tuple[str, LoginState]:
        """Where to send the browser, and the state to remember in its cookie (``now``: epoch
        seconds)."""
        verifier, challenge = pkce_pair()
        state = LoginState(
            secrets.token_urlsafe(24), verifier, next_path, now + LOGIN_LIFETIME_SECONDS
        )
        query = {
            "client_id": str(self.client_id),
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": SCOPES,
            "state": state.state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.api_base}/oauth2/authorize?{urlencode(query)}", state

    def add_bot_url(self, guild_id: int) -> str:
        """The "add the bot" link for one guild (the bot's own scopes)."""
        query = {
            "client_id": str(self.client_id),
            "scope": "bot applications.commands",
            "guild_id": str(guild_id),
            "disable_guild_select": "true",
        }
        return f"{self.api_base}/oauth2/authorize?{urlencode(query)}"

    async def identify(
        self, http: aiohttp.ClientSession, code: str, verifier: str
    ) -> DiscordIdentity:
        """Exchange the code, read the user and their guilds, then revoke the token."""
        token = await self._exchange(http, code, verifier)
        try:
            user = await self._get(http, "/users/@me", token)
            guilds = await self._get(http, "/users/@me/guilds", token)
        finally:
            await self._revoke(http, token)
        if not isinstance(user, dict) or "id" not in user or not isinstance(guilds, list):
            raise LoginFailed("Discord answered the login with something unexpected.")
        return DiscordIdentity(user, [g for g in guilds if isinstance(g, dict)])

    async def _exchange(self, http: aiohttp.ClientSession, code: str, verifier: str) -> str:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": verifier,
            "client_id": str(self.client_id),
            "client_secret": self._secret.reveal(),
        }
        async with http.post(
            f"{self.api_base}/api/v10/oauth2/token", data=form, timeout=_TIMEOUT
        ) as response:
            body = await _json(response)
        if response.status != 200 or not isinstance(body, dict) or "access_token" not in body:
            error = body.get("error") if isinstance(body, dict) else None
            log.warning("Discord refused a login code: %s %s", response.status, error)
            raise LoginFailed(
                "Discord did not accept this login (the link may have been used already or "
                "be too old)."
            )
        return str(body["access_token"])

    async def _get(self, http: aiohttp.ClientSession, path: str, token: str) -> Any:
        headers = {"Authorization": f"Bearer {token}"}
        async with http.get(
            f"{self.api_base}/api/v10{path}", headers=headers, timeout=_TIMEOUT
        ) as response:
            body = await _json(response)
        if response.status != 200:
            log.warning("Discord answered %s to %s during a login", response.status, path)
            raise LoginFailed("Discord did not tell us who you are; try logging in again.")
        return body

    async def _revoke(self, http: aiohttp.ClientSession, token: str) -> None:
        form = {
            "token": token,
            "token_type_hint": "access_token",
            "client_id": str(self.client_id),
            "client_secret": self._secret.reveal(),
        }
        try:
            async with http.post(
                f"{self.api_base}/api/v10/oauth2/token/revoke", data=form, timeout=_TIMEOUT
            ) as response:
                if response.status != 200:
                    log.info("Discord answered %s to a token revoke", response.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.info("Could not revoke a login token (it expires by itself): %s", exc)


async def _json(response: aiohttp.ClientResponse) -> Any:
    try:
        return await response.json(content_type=None)
    except ValueError:
        return None
