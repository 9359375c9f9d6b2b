"""Per-guild API tokens: their format, their hash, and the rules for making, listing,
revoking and checking them. Discord-free; the doors check who may call these.

A token is ``cadence_`` followed by 43 url-safe characters: 32 bytes (256 bits) from
`secrets`. Only its SHA-256 is stored. A fast hash is right here, unlike for passwords: the
secret is random and long, so there is nothing to guess and nothing for a slow hash to slow
down; the prefix lets secret scanners and people recognise a leaked token.

The token itself is returned once, by `ApiTokens.create`, and never logged or audited.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from scheduler.clock import Clock
from scheduler.errors import ScheduleError
from storage import TOUCH_EVERY, ApiToken, ApiTokenRepository, ApiTokenScope, AuditRepository

__all__ = [
    "MAX_LIVE_TOKENS",
    "TOKEN_PATTERN",
    "TOKEN_PREFIX",
    "ApiTokens",
    "NewApiToken",
    "check_token_name",
    "hash_token",
    "new_token",
]

log = logging.getLogger(__name__)

TOKEN_PREFIX = "cadence_"
_SECRET_BYTES = 32
MAX_LIVE_TOKENS = 25
"""Live tokens a guild may hold at once."""
_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")
TOKEN_PATTERN = re.compile(rf"{TOKEN_PREFIX}[A-Za-z0-9_-]{{43}}")
"""What a token looks like (the log formatters scrub anything like it)."""
NAME_EXAMPLE = "ci-deploy"


def new_token() -> str:
    """A fresh token: the prefix and 256 random bits, url-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256, as 64 hex digits."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_token_name(name: str) -> str:
    """The name, stripped, when it is 1-32 letters, digits, ``-`` or ``_``."""
    name = name.strip()
    if not _NAME.fullmatch(name):
        raise ScheduleError(
            "A token name is 1 to 32 letters, digits, - or _ (no spaces).",
            example=NAME_EXAMPLE,
        )
    return name


@dataclass(frozen=True, slots=True)
class NewApiToken:
    """A token just made: the stored record, and the token itself (show it once, keep it
    nowhere). ``repr`` leaves the token out."""

    record: ApiToken
    token: str

    def __repr__(self) -> str:
        return f"NewApiToken(record={self.record!r}, token='{TOKEN_PREFIX}…')"


class ApiTokens:
    """Make, list, revoke and check a guild's API tokens; every change is audited."""

    def __init__(self, tokens: ApiTokenRepository, audit: AuditRepository, clock: Clock) -> None:
        self._tokens = tokens
        self._audit = audit
        self._clock = clock

    async def create(
        self, guild_id: int, name: str, scope: ApiTokenScope | str, actor_id: int
    ) -> NewApiToken:
        """Make a token for the guild, acting with ``actor_id``'s rights.

        Raises
        ------
        ScheduleError
            A bad name or scope, a live token of that name, or too many live tokens.
        """
        name = check_token_name(name)
        try:
            scope = ApiTokenScope(scope)
        except ValueError:
            raise ScheduleError("The scope is read or write.", example="read") from None
        live = await self._tokens.list_for_guild(guild_id)
        if any(token.name == name for token in live):
            raise ScheduleError(
                f"An API token named {name!r} already exists in this server. Pick another "
                "name, or revoke that token first with /scheduler api-token revoke."
            )
        if len(live) >= MAX_LIVE_TOKENS:
            raise ScheduleError(
                f"This server already has {MAX_LIVE_TOKENS} API tokens, the most it may "
                "hold. Revoke one you no longer use with /scheduler api-token revoke."
            )
        token = new_token()
        now = self._clock.now()
        record = await self._tokens.create(guild_id, name, scope, hash_token(token), actor_id, now)
        detail = {"name": name, "scope": str(scope)}
        await self._audit.add(guild_id, None, actor_id, "api_token_created", detail, now)
        log.info("Guild %s: API token %r (%s) created by %s", guild_id, name, scope, actor_id)
        return NewApiToken(record, token)

    async def list_for_guild(self, guild_id: int) -> list[ApiToken]:
        """The guild's live tokens, by name."""
        return await self._tokens.list_for_guild(guild_id)

    async def revoke(self, guild_id: int, name: str, actor_id: int) -> ApiToken:
        """Revoke the guild's live token called ``name``; at once, it no longer works.

        Raises
        ------
        ScheduleError
            The guild has no live token of that name.
        """
        now = self._clock.now()
        revoked = await self._tokens.revoke(guild_id, name.strip(), now)
        if revoked is None:
            raise ScheduleError(
                f"This server has no API token named {name.strip()!r}. "
                "See them with /scheduler api-token list."
            )
        detail = {"name": revoked.name, "scope": str(revoked.scope)}
        await self._audit.add(guild_id, None, actor_id, "api_token_revoked", detail, now)
        log.info("Guild %s: API token %r revoked by %s", guild_id, revoked.name, actor_id)
        return revoked

    async def authenticate(self, raw: str) -> ApiToken | None:
        """The live token ``raw`` is, or None (malformed, unknown or revoked). Records the use
        (at most once a minute). Whether its creator still has the right is the door's check
        (`discordside.access`)."""
        raw = raw.strip()
        if not TOKEN_PATTERN.fullmatch(raw):
            return None
        token = await self._tokens.get_by_hash(hash_token(raw))
        if token is None or not token.live:
            return None
        await self.touch(token, self._clock.now())
        return token

    async def touch(self, token: ApiToken, now: datetime) -> None:
        """Record a use, skipping the write when one was recorded within the minute."""
        last = token.last_used_at
        if last is None or now - last >= TOUCH_EVERY:
            await self._tokens.touch(token.id, now)
