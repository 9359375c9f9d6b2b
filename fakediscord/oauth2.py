"""Discord's OAuth2 for a web login: the authorization code grant with PKCE, as Discord runs it.

``GET /oauth2/authorize`` stands for the consent page: it approves at once as the user a test
chose with :meth:`OAuth2.approve_as` (the sandbox picks its admin) and redirects to the
``redirect_uri`` with ``code`` and ``state``. ``POST /api/v10/oauth2/token`` takes form bodies
only (a JSON body is refused as Discord refuses it), authenticates the client (body fields or
HTTP Basic), and checks the code: single use, 10 minutes (the emulator's clock, which tests
advance), the exact ``redirect_uri``, the PKCE ``code_verifier``. ``/users/@me`` and
``/users/@me/guilds`` answer an OAuth bearer token; the guild list carries each guild's
permissions as a string, computed from roles alone (channel overwrites excluded).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import web

from fakediscord import errors
from fakediscord.permissions import base_permissions
from fakediscord.routing import fd_of, json_response
from fakediscord.world import id_of

if TYPE_CHECKING:
    from fakediscord.clock import EmulatorClock
    from fakediscord.models import User
    from fakediscord.world import World

log = logging.getLogger(__name__)

CODE_LIFETIME = 600.0
"""Seconds an authorization code stays good (Discord: about 10 minutes)."""
TOKEN_LIFETIME = 604_800
"""Seconds an access token lives (Discord: 7 days)."""
KNOWN_SCOPES = frozenset({"identify", "guilds", "email", "guilds.members.read"})
FORM = "application/x-www-form-urlencoded"


class OAuthError(Exception):
    """A token endpoint error, answered as ``{"error", "error_description"}``."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status

    def response(self) -> web.Response:
        body = {"error": self.error, "error_description": self.description}
        return json_response(body, self.status)


@dataclass
class Grant:
    """An authorization code waiting to be exchanged."""

    code: str
    user_id: int
    redirect_uri: str
    scopes: tuple[str, ...]
    challenge: str | None
    expires_at: float
    used: bool = False
    issued: str | None = None
    """The access token the code gave, ended if the code is replayed."""


@dataclass
class AccessToken:
    """An access token and its refresh token."""

    access_token: str
    refresh_token: str
    user_id: int
    scopes: tuple[str, ...]
    expires_at: float
    revoked: bool = False


@dataclass
class OAuth2:
    """The application's OAuth2 state; tests reach it as ``fd.oauth2``."""

    world: World
    clock: EmulatorClock
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    redirect_uris: list[str] = field(default_factory=list)
    """Registered redirect URIs (the Developer Portal's list); empty accepts any."""
    approver_id: int | None = None
    grants: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, AccessToken] = field(default_factory=dict)

    @property
    def client_id(self) -> str:
        """The application's id, as OAuth2 clients send it."""
        return str(self.world.application.id)

    def approve_as(self, user: Any) -> None:
        """Who clicks "Authorize" on the next consent pages (a world user, member or id)."""
        self.approver_id = id_of(user)

    def issue(self, user_id: int, scopes: tuple[str, ...]) -> AccessToken:
        """A fresh access token (as a grant would give) for tests that skip the login."""
        token = AccessToken(
            access_token=secrets.token_urlsafe(24),
            refresh_token=secrets.token_urlsafe(24),
            user_id=user_id,
            scopes=scopes,
            expires_at=self.clock.now() + TOKEN_LIFETIME,
        )
        self.tokens[token.access_token] = token
        return token

    def bearer(self, request: web.Request) -> AccessToken | None:
        """The live OAuth token of an ``Authorization: Bearer`` header, or None."""
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer":
            return None
        token = self.tokens.get(raw.strip())
        if token is None or token.revoked or token.expires_at <= self.clock.now():
            raise errors.unauthorized()
        return token

    def refresh_of(self, refresh_token: str) -> AccessToken | None:
        for token in self.tokens.values():
            if token.refresh_token == refresh_token and not token.revoked:
                return token
        return None


def pkce_challenge(verifier: str) -> str:
    """The S256 challenge of a verifier: base64url(SHA-256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


# -- the consent page ------------------------------------------------------------------------


async def authorize(request: web.Request) -> web.Response:
    """GET /oauth2/authorize: approve as the chosen user, redirect with code and state."""
    oauth = fd_of(request).oauth2
    query = request.query
    problem = _authorize_problem(oauth, query)
    if problem is not None:
        return web.Response(status=400, text=problem)
    assert oauth.approver_id is not None
    redirect_uri = query["redirect_uri"]
    grant = Grant(
        code=secrets.token_urlsafe(24),
        user_id=oauth.approver_id,
        redirect_uri=redirect_uri,
        scopes=tuple(query.get("scope", "").split()),
        challenge=query.get("code_challenge"),
        expires_at=oauth.clock.now() + CODE_LIFETIME,
    )
    oauth.grants[grant.code] = grant
    answer = {"code": grant.code}
    if "state" in query:
        answer["state"] = query["state"]
    separator = "&" if "?" in redirect_uri else "?"
    raise web.HTTPFound(f"{redirect_uri}{separator}{urlencode(answer)}")


def _authorize_problem(oauth: OAuth2, query: Any) -> str | None:
    if query.get("client_id") != oauth.client_id:
        return "Unknown Application (client_id)"
    if query.get("response_type") != "code":
        return "Invalid response_type: only code is supported"
    redirect_uri = query.get("redirect_uri", "")
    if not redirect_uri or (oauth.redirect_uris and redirect_uri not in oauth.redirect_uris):
        return "Invalid OAuth2 redirect_uri"
    scopes = query.get("scope", "").split()
    if not scopes or any(scope not in KNOWN_SCOPES for scope in scopes):
        return "Invalid scope"
    if "code_challenge" in query and query.get("code_challenge_method") != "S256":
        return "Invalid code_challenge_method: use S256"
    if oauth.approver_id is None or oauth.world.user(oauth.approver_id) is None:
        return "fakediscord: nobody approves; call fd.oauth2.approve_as(member) first"
    return None


# -- the token endpoint ------------------------------------------------------------------------


async def token(request: web.Request) -> web.Response:
    """POST /api/v10/oauth2/token: authorization_code or refresh_token grants."""
    oauth = fd_of(request).oauth2
    try:
        form = await _client_form(request, oauth)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            issued = _exchange_code(oauth, form)
        elif grant_type == "refresh_token":
            issued = _refresh(oauth, form)
        else:
            raise OAuthError("unsupported_grant_type", 'Invalid "grant_type" in request.')
    except OAuthError as exc:
        return exc.response()
    return json_response(
        {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "refresh_token": issued.refresh_token,
            "scope": " ".join(issued.scopes),
        }
    )


async def revoke(request: web.Request) -> web.Response:
    """POST /api/v10/oauth2/token/revoke: the access token and its refresh token end."""
    oauth = fd_of(request).oauth2
    try:
        form = await _client_form(request, oauth)
    except OAuthError as exc:
        return exc.response()
    value = form.get("token", "")
    found = oauth.tokens.get(value) or oauth.refresh_of(value)
    if found is not None:
        found.revoked = True
    return json_response({})


async def _client_form(request: web.Request, oauth: OAuth2) -> dict[str, str]:
    """The form body, once the client proved who it is; JSON bodies are refused."""
    if request.content_type != FORM:
        # Discord reads only form bodies: a JSON body has no grant_type it can see.
        raise OAuthError("unsupported_grant_type", 'Invalid "grant_type" in request.')
    form = {key: str(value) for key, value in (await request.post()).items()}
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    basic = _basic_credentials(request)
    if basic is not None:
        client_id, client_secret = basic
    if client_id != oauth.client_id or not secrets.compare_digest(
        (client_secret or "").encode(), oauth.client_secret.encode()
    ):
        raise OAuthError("invalid_client", "Invalid client credentials.", status=401)
    return form


def _basic_credentials(request: web.Request) -> tuple[str, str] | None:
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(raw.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


def _exchange_code(oauth: OAuth2, form: dict[str, str]) -> AccessToken:
    grant = oauth.grants.get(form.get("code", ""))
    if grant is None or grant.used or grant.expires_at <= oauth.clock.now():
        if grant is not None and grant.used and grant.issued in oauth.tokens:
            # A replayed code also ends what it gave (RFC 6749 section 4.1.2).
            oauth.tokens[grant.issued].revoked = True
        raise OAuthError("invalid_grant", 'Invalid "code" in request.')
    grant.used = True
    if form.get("redirect_uri") != grant.redirect_uri:
        raise OAuthError("invalid_grant", 'Invalid "redirect_uri" in request.')
    if grant.challenge is not None:
        verifier = form.get("code_verifier", "")
        if not verifier or not secrets.compare_digest(pkce_challenge(verifier), grant.challenge):
            raise OAuthError("invalid_grant", 'Invalid "code_verifier" in request.')
    issued = oauth.issue(grant.user_id, grant.scopes)
    grant.issued = issued.access_token
    return issued


def _refresh(oauth: OAuth2, form: dict[str, str]) -> AccessToken:
    old = oauth.refresh_of(form.get("refresh_token", ""))
    if old is None:
        raise OAuthError("invalid_grant", 'Invalid "refresh_token" in request.')
    old.revoked = True
    return oauth.issue(old.user_id, old.scopes)


# -- what the token reads ------------------------------------------------------------------------


def oauth_user(request: web.Request) -> User | None:
    """The user of the request's OAuth bearer token (None: a bot token; 401: a bad one)."""
    fd = fd_of(request)
    token = fd.oauth2.bearer(request)
    if token is None:
        return None
    user = fd.world.user(token.user_id)
    if user is None or "identify" not in token.scopes:
        raise errors.unauthorized()
    return user


async def my_guilds(request: web.Request) -> web.Response:
    """GET /users/@me/guilds: the guilds of the token's user (or the bot's, with a bot token)."""
    fd = fd_of(request)
    token = fd.oauth2.bearer(request)
    if token is not None and "guilds" not in token.scopes:
        raise errors.missing_access()
    user_id = token.user_id if token is not None else fd.world.bot_user.id
    found: list[dict[str, Any]] = []
    for guild in sorted(fd.world.guilds.values(), key=lambda g: g.id):
        member = guild.get_member(user_id)
        if member is None or (token is None and not guild.bot_present):
            continue
        found.append(
            {
                "id": str(guild.id),
                "name": guild.name,
                "icon": None,
                "banner": None,
                "owner": guild.owner_id == user_id,
                "permissions": str(base_permissions(guild, member)),
                "features": list(guild.features),
            }
        )
    return json_response(found)


def register(app: web.Application, api: str) -> None:
    """Add the OAuth2 routes (``/users/@me`` itself stays in rest.py, which asks us)."""
    app.router.add_get("/oauth2/authorize", authorize)
    app.router.add_post(f"{api}/oauth2/token", token)
    app.router.add_post(f"{api}/oauth2/token/revoke", revoke)
    app.router.add_get(f"{api}/users/@me/guilds", my_guilds)
