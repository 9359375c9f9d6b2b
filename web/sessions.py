"""The dashboard's sessions: ids, cookies, CSRF tokens, and where a login may send you back.

A session id is 256 random bits held only in the `cadence_session` cookie (HttpOnly,
SameSite=Lax, Path=/, Secure when `PUBLIC_URL` is https, 7 days); the database keeps its
SHA-256. The CSRF token is derived from the id (HMAC-SHA256 keyed by the id itself): nothing
more to store, the same in every process and after a restart, and unguessable without the
cookie. A state-changing request carried by the cookie must send that token in
`X-CSRF-Token` and come from our own origin (`Origin`, or `Sec-Fetch-Site: same-origin` when a
browser sends no `Origin`): the cookie is an ambient credential, a bearer token is not.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from base64 import urlsafe_b64encode
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from scheduler.clock import Clock
from storage import SessionRepository, WebSession
from web.problems import Problem

__all__ = [
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "SESSION_LIFETIME",
    "WebSessions",
    "check_csrf",
    "csrf_token",
    "hash_session_id",
    "local_path",
    "origin_of",
]

log = logging.getLogger(__name__)

SESSION_COOKIE = "cadence_session"
SESSION_LIFETIME = timedelta(days=7)
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CSRF_CONTEXT = b"cadence csrf v1"


def hash_session_id(session_id: str) -> str:
    """The stored form of a session id: its SHA-256, as 64 hex digits."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def csrf_token(session_id: str) -> str:
    """The session's CSRF token: HMAC-SHA256 of a fixed label, keyed by the session id."""
    mac = hmac.new(session_id.encode("utf-8"), _CSRF_CONTEXT, hashlib.sha256).digest()
    return urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL as browsers send it in `Origin`: lower-case, without
    the scheme's default port."""
    parts = urlsplit(url)
    scheme, netloc = parts.scheme.lower(), parts.netloc.lower()
    default = {"http": ":80", "https": ":443"}.get(scheme)
    if default and netloc.endswith(default):
        netloc = netloc.removesuffix(default)
    return f"{scheme}://{netloc}"


def local_path(wanted: str | None) -> str:
    """`wanted` when it is a path on this site (``/tasks?x=1``), else ``/``.

    Refused: anything with a scheme or host (``https://evil``, ``//evil``), a backslash
    (browsers read ``/\\evil`` as ``//evil``), control characters or spaces.
    """
    if not wanted or not wanted.startswith("/") or wanted.startswith("//"):
        return "/"
    if "\\" in wanted or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in wanted):
        return "/"
    parts = urlsplit(wanted)
    if parts.scheme or parts.netloc:
        return "/"
    return wanted


def set_session_cookie(response: web.StreamResponse, session_id: str, *, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        secure=secure,
        httponly=True,
        samesite="Lax",
    )


def clear_session_cookie(response: web.StreamResponse, *, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE, "", max_age=0, path="/", secure=secure, httponly=True, samesite="Lax"
    )


def check_csrf(request: web.Request, session_id: str, public_origin: str) -> None:
    """403 unless a state-changing request proves it comes from our own pages."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(sent.encode(), csrf_token(session_id).encode()):
        raise Problem(
            403,
            f"This change needs the {CSRF_HEADER} header with your session's token (from "
            "GET /auth/session). Reload the page and try again.",
            kind="csrf",
        )
    origin = request.headers.get("Origin")
    if origin is not None:
        if origin.lower() != public_origin:
            raise Problem(
                403,
                f"Changes are accepted only from {public_origin}, not from {origin[:100]}.",
                kind="csrf",
            )
    elif request.headers.get("Sec-Fetch-Site") != "same-origin":
        raise Problem(
            403,
            f"Changes are accepted only from pages of {public_origin}; this request said "
            "neither Origin nor Sec-Fetch-Site: same-origin.",
            kind="csrf",
        )


def session_id_of(request: web.Request) -> str | None:
    """The session id the browser sent, if any."""
    value = request.cookies.get(SESSION_COOKIE, "").strip()
    return value or None


class WebSessions:
    """Opens, finds and ends login sessions."""

    def __init__(self, repository: SessionRepository, clock: Clock) -> None:
        self._repository = repository
        self._clock = clock

    async def open(
        self, user_id: int, username: str, avatar: str | None, guilds: list[dict[str, Any]]
    ) -> str:
        """A new session for this Discord user; returns its id (for the cookie only)."""
        now = self._clock.now()
        await self._repository.delete_expired(now)
        session_id = secrets.token_urlsafe(32)
        await self._repository.create(
            WebSession(
                id_hash=hash_session_id(session_id),
                user_id=user_id,
                username=username,
                avatar=avatar,
                guilds=tuple(guilds),
                created_at=now,
                expires_at=now + SESSION_LIFETIME,
                last_seen=now,
            )
        )
        log.info("Dashboard login: user %s", user_id)
        return session_id

    async def find(self, session_id: str) -> WebSession | None:
        """The live session with this id (and a note that it was used), or None."""
        now = self._clock.now()
        id_hash = hash_session_id(session_id)
        session = await self._repository.live(id_hash, now)
        if session is not None:
            await self._repository.seen(id_hash, now)
        return session

    async def close(self, session_id: str) -> bool:
        """End the session; True when there was one."""
        return await self._repository.delete(hash_session_id(session_id))
