"""Who is calling the API, and may they do this here? Answered once per request.

A request names its guild in the path. The caller is a per-guild API token
(`Authorization: Bearer cadence_…`, made with `/scheduler api-token create`): it acts for its
own guild only and with the rights of the member who made it, checked again at every use as
the bot sees that member now (`discordside.access`). Answers, in this order:

- 401: no token, or one that is unknown or revoked;
- 404: the token belongs to another guild (the same answer as a guild that does not exist,
  so nothing about other guilds leaks);
- 429: the token went over `API_RATE_PER_SECOND` (bursts of 20), with `Retry-After`;
- 403: a `read` token on a route that changes something, or a creator who lost the right or
  left (the detail says which).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import discord
from aiohttp import web

from discordside.access import creator_refusal
from scheduler.api_tokens import ApiTokens
from storage import ApiToken, ApiTokenScope
from web.limits import RateLimiter
from web.problems import Problem

__all__ = ["ApiAuth", "Caller"]

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


class ApiAuth:
    """Authenticates and authorizes API requests for one guild at a time."""

    def __init__(
        self, tokens: ApiTokens, limiter: RateLimiter, rights: RightsCheck | None = None
    ) -> None:
        self._tokens = tokens
        self._limiter = limiter
        self._rights = rights

    @classmethod
    def for_bot(cls, tokens: ApiTokens, limiter: RateLimiter, client: discord.Client) -> ApiAuth:
        async def rights(guild_id: int, member_id: int) -> str | None:
            refusal = await creator_refusal(client, guild_id, member_id)
            return None if refusal is None else refusal.detail

        return cls(tokens, limiter, rights)

    async def authorize(self, request: web.Request, guild_id: int, *, write: bool) -> Caller:
        token = await self._authenticate(request)
        if token.guild_id != guild_id:
            raise not_found_guild()
        wait = self._limiter.acquire(f"token:{token.id}")
        if wait > 0:
            raise Problem(
                429,
                f"This token made more than {self._limiter.rate:g} requests a second "
                f"(bursts of {self._limiter.burst}); wait and try again.",
                kind="rate-limited",
                headers={"Retry-After": RateLimiter.retry_after_header(wait)},
            )
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
                raise Problem(
                    503,
                    "Discord did not answer while checking this token's rights; try again.",
                    kind="discord-unavailable",
                    headers={"Retry-After": "5"},
                ) from None
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
