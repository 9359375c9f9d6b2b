"""Who is calling the API, and may they do this here? Answered once per request.

A request names its guild in the path. The caller is either a per-guild API token
(`Authorization: Bearer cadence_…`, made with `/scheduler api-token create`), or, without an
`Authorization` header, the dashboard's session cookie (`SessionAuth`, below).

A token acts for its own guild only and with the rights of the member who made it, checked
again at every use as the bot sees that member now (`discordside.access`). Answers, in this
order:

- 401: no token, or one that is unknown or revoked;
- 404: the token belongs to another guild (the same answer as a guild that does not exist,
  so nothing about other guilds leaks);
- 429: the token went over `API_RATE_PER_SECOND` (bursts of 20), with `Retry-After`;
- 403: a `read` token on a route that changes something, or a creator who lost the right or
  left (the detail says which).

A session acts as the logged-in person, decided by the bot at every request
(`discordside.access.dashboard_access`): 401 without a live session; 403 for a
state-changing request without the CSRF token and our own origin (`web.sessions.check_csrf`);
429 over the rate; 404 when the bot is not in that guild or they are not a member (as for a
guild that does not exist); 403 for a member without the rights the route needs (the detail
names the role or permission).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import discord
from aiohttp import web

from discordside.access import (
    CreatorRefusal,
    DashboardAccess,
    acting_member,
    creator_refusal,
    dashboard_access,
)
from scheduler.api_tokens import ApiTokens
from storage import ApiToken, ApiTokenScope, GuildSettingsRepository, WebSession
from web.limits import RateLimiter
from web.problems import Problem
from web.sessions import WebSessions, check_csrf, session_id_of

__all__ = ["AccessCheck", "ApiAuth", "Caller", "SessionAuth", "caller_member"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a request acts as, once authorized for one guild."""

    guild_id: int
    member_id: int
    """The member whose rights the request carries (for a token: the member who made it)."""
    can_write: bool
    label: str
    """How audit entries name the door, e.g. `api token “deploys”`."""
    token: ApiToken | None = None
    """The API token that authenticated the request, if one did."""


RightsCheck = Callable[[int, int], Awaitable[str | None]]
"""(guild id, member id) -> why that member may not act, or None."""
AccessCheck = Callable[[int, int], Awaitable[DashboardAccess]]
"""(guild id, user id) -> what that person may do there, as the bot sees them now."""


class ApiAuth:
    """Authenticates and authorizes API requests for one guild at a time."""

    def __init__(
        self,
        tokens: ApiTokens,
        limiter: RateLimiter,
        rights: RightsCheck | None = None,
        sessions: SessionAuth | None = None,
    ) -> None:
        self._tokens = tokens
        self._limiter = limiter
        self._rights = rights
        self.sessions = sessions
        """The dashboard's session callers (None: bearer tokens only)."""

    @classmethod
    def for_bot(
        cls,
        tokens: ApiTokens,
        limiter: RateLimiter,
        client: discord.Client,
        sessions: SessionAuth | None = None,
    ) -> ApiAuth:
        async def rights(guild_id: int, member_id: int) -> str | None:
            refusal = await creator_refusal(client, guild_id, member_id)
            return None if refusal is None else refusal.detail

        return cls(tokens, limiter, rights, sessions)

    async def authorize(self, request: web.Request, guild_id: int, *, write: bool) -> Caller:
        if (
            self.sessions is not None
            and "Authorization" not in request.headers
            and session_id_of(request) is not None
        ):
            return await self.sessions.authorize(request, guild_id, write=write)
        token = await self._authenticate(request)
        if token.guild_id != guild_id:
            raise not_found_guild()
        check_rate(self._limiter, f"token:{token.id}", "This token")
        if write and token.scope != ApiTokenScope.WRITE:
            raise Problem(
                403,
                f"The token “{token.name}” is read-only. Create a write token with "
                "/scheduler api-token create scope:write to change tasks.",
                kind="read-only-token",
            )
        if self._rights is not None:
            try:
                refused = await self._rights(guild_id, token.created_by)
            except discord.HTTPException as exc:
                log.warning("Could not check the rights of a token's creator: %s", exc)
                raise discord_unavailable("this token's rights") from None
            if refused is not None:
                raise Problem(403, refused, kind="creator-lost-rights")
        return Caller(
            guild_id=guild_id,
            member_id=token.created_by,
            can_write=token.scope == ApiTokenScope.WRITE,
            label=f"api token “{token.name}”",
            token=token,
        )

    async def _authenticate(self, request: web.Request) -> ApiToken:
        header = request.headers.get("Authorization", "")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise Problem(
                401,
                "This API needs a token: send Authorization: Bearer <token>, with a token made "
                "by /scheduler api-token create in your server.",
                kind="unauthenticated",
                headers={"WWW-Authenticate": 'Bearer realm="cadence"'},
            )
        token = await self._tokens.authenticate(raw)
        if token is None:
            raise Problem(
                401,
                "This token is unknown or was revoked. Make a new one with "
                "/scheduler api-token create.",
                kind="unauthenticated",
                headers={"WWW-Authenticate": 'Bearer realm="cadence", error="invalid_token"'},
            )
        return token


def not_found_guild() -> Problem:
    return Problem(
        404,
        "No such server for this token. A token works only in the server it was made in.",
        kind="not-found",
    )


def check_rate(limiter: RateLimiter, key: str, who: str) -> None:
    """429 with Retry-After when `key` went over the limiter's rate."""
    wait = limiter.acquire(key)
    if wait > 0:
        raise Problem(
            429,
            f"{who} made more than {limiter.rate:g} requests a second "
            f"(bursts of {limiter.burst}); wait and try again.",
            kind="rate-limited",
            headers={"Retry-After": RateLimiter.retry_after_header(wait)},
        )


def discord_unavailable(checking: str) -> Problem:
    return Problem(
        503,
        f"Discord did not answer while checking {checking}; try again.",
        kind="discord-unavailable",
        headers={"Retry-After": "5"},
    )


class SessionAuth:
    """Authorizes requests carried by the dashboard's session cookie."""

    def __init__(
        self,
        sessions: WebSessions,
        access: AccessCheck,
        limiter: RateLimiter,
        public_origin: str,
    ) -> None:
        self.sessions = sessions
        self.access = access
        self._limiter = limiter
        self.public_origin = public_origin
        """``scheme://host[:port]`` of PUBLIC_URL: the one `Origin` changes may come from."""

    @classmethod
    def for_bot(
        cls,
        sessions: WebSessions,
        guilds: GuildSettingsRepository,
        client: discord.Client,
        limiter: RateLimiter,
        public_origin: str,
    ) -> SessionAuth:
        async def access(guild_id: int, user_id: int) -> DashboardAccess:
            settings = await guilds.get(guild_id)
            return await dashboard_access(
                client, guild_id, user_id, settings.manager_role_id, settings.viewer_role_id
            )

        return cls(sessions, access, limiter, public_origin)

    async def session(self, request: web.Request) -> tuple[str, WebSession]:
        """The request's session id and live session; 401 without one."""
        session_id = session_id_of(request)
        session = None if session_id is None else await self.sessions.find(session_id)
        if session_id is None or session is None:
            raise Problem(
                401,
                "You are not logged in (or your session ended): log in again at /login.",
                kind="unauthenticated",
                # RFC 9110: every 401 names a scheme that would work; a token would here.
                headers={"WWW-Authenticate": 'Bearer realm="cadence"'},
            )
        return session_id, session

    async def authorize(self, request: web.Request, guild_id: int, *, write: bool) -> Caller:
        session_id, session = await self.session(request)
        check_csrf(request, session_id, self.public_origin)
        check_rate(self._limiter, f"session:{session.user_id}", "Your dashboard session")
        try:
            access = await self.access(guild_id, session.user_id)
        except discord.HTTPException as exc:
            log.warning("Could not check a dashboard user's rights: %s", exc)
            raise discord_unavailable("your rights in this server") from None
        if not access.member:
            raise Problem(
                404,
                "No such server among those you share with Cadence.",
                kind="not-found",
            )
        if not access.can_read or (write and not access.can_write):
            raise Problem(403, access.refusal or "You may not do this here.", kind="forbidden")
        return Caller(
            guild_id=guild_id,
            member_id=session.user_id,
            can_write=access.can_write,
            label=f"dashboard ({session.username})",
        )


async def caller_member(client: discord.Client, caller: Caller) -> discord.Member:
    """The member a request acts as, as the bot sees them now (`member.guild` is the guild):
    whose rights approve channels and mentions. One who left since `authorize` is a 403."""
    try:
        member = await acting_member(client, caller.guild_id, caller.member_id)
    except discord.HTTPException:
        raise discord_unavailable("the rights of the member this request acts for") from None
    if not isinstance(member, CreatorRefusal):
        return member
    if member.reason == "no_guild":
        raise not_found_guild()
    if caller.token is None:  # a dashboard session: the person themself left
        raise Problem(403, "You are no longer a member of this server.", kind="forbidden")
    raise Problem(403, member.detail, kind="creator-lost-rights")
