"""The member whose rights decide a check, as Discord has them now: one lookup for every door.

With ``MEMBER_CACHE=needed`` (the default) discord.py keeps no members but the bot's own
(no chunking at start-up, ``MemberCacheFlags.none()``): a full shard of 2,500 guilds x 200
members would otherwise hold half a million `discord.Member` objects that Cadence never
reads. The few members a check needs (a task's creator at post time, a token's creator, a
dashboard user) are fetched over REST (`GET /guilds/{g}/members/{u}`) and kept here for a
short while, so that a burst of posts or API calls by one person costs one request.

What keeps the checks right: the members intent stays on, so Discord still sends
GUILD_MEMBER_UPDATE and GUILD_MEMBER_REMOVE for every member; `CadenceBot` forwards them to
`forget`, which drops the kept copy at once (a demoted manager's next request is judged on
a fresh fetch). The time to live (``MEMBER_CACHE_SECONDS``) only bounds how long a copy can
be wrong when such an event is lost (a gateway outage longer than a RESUME can replay).
Roles are not kept here: `Member.guild_permissions` and `permissions_for` are computed from
the guild's cached roles and overwrites, which the gateway keeps current in both modes.

With ``MEMBER_CACHE=full`` discord.py's cache is complete and event-driven; the lookup reads
it first and fetches only what it lacks (a guild still loading, a member just joined).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Literal

import discord

__all__ = [
    "MEMBER_CACHE_MODES",
    "MemberCacheMode",
    "MemberLookup",
    "gateway_member_options",
    "lookup_for",
]

log = logging.getLogger(__name__)

MemberCacheMode = Literal["full", "needed"]
MEMBER_CACHE_MODES: tuple[MemberCacheMode, ...] = ("full", "needed")

_Key = tuple[int, int]  # (guild id, user id)


def gateway_member_options(mode: MemberCacheMode) -> dict[str, Any]:
    """The `discord.Client` options for ``mode``: ``full`` is discord.py's default (every
    member cached, chunked at start-up); ``needed`` caches only the bot's own member. The
    members intent is on in both: its events keep the checks right (see the module)."""
    intents = discord.Intents.default()
    intents.members = True
    if mode == "full":
        return {"intents": intents}
    return {
        "intents": intents,
        "member_cache_flags": discord.MemberCacheFlags.none(),
        "chunk_guilds_at_startup": False,
    }


class MemberLookup:
    """Members as Discord has them now: discord.py's cache, else a short-lived copy fetched
    over REST (a small LRU with a time to live; absent members are kept too, as None).

    Parameters
    ----------
    ttl:
        Seconds a fetched copy is trusted when no member event dropped it earlier.
    size:
        Most copies kept; the least recently used go first.
    clock:
        Monotonic seconds (tests pass their own to expire copies without sleeping).
    """

    def __init__(
        self,
        ttl: float = 60.0,
        *,
        size: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self._kept: OrderedDict[_Key, tuple[float, discord.Member | None]] = OrderedDict()
        self._forgotten = 0  # bumped by every forget: a fetch under way is then not kept
        #: REST fetches made (for tests and the bench: what the small cache costs Discord)
        self.fetches = 0

    def __len__(self) -> int:
        return len(self._kept)

    async def member(self, guild: discord.Guild, user_id: int) -> discord.Member | None:
        """The member, or None when they are not in the guild. Discord errors other than
        404 are raised (the caller answers with a temporary error or retries)."""
        cached = guild.get_member(user_id)
        if cached is not None:
            return cached
        key = (guild.id, user_id)
        now = self.clock()
        kept = self._kept.get(key)
        if kept is not None and kept[0] > now:
            self._kept.move_to_end(key)
            return _rebound(kept[1], guild)
        generation = self._forgotten
        try:
            self.fetches += 1
            found: discord.Member | None = await guild.fetch_member(user_id)
        except discord.NotFound:
            found = None
        if generation == self._forgotten:  # no member event arrived while fetching
            self._keep(key, found, now)
        return found

    def holds(self, guild_id: int, user_id: int) -> bool:
        """True while a fetched copy of that member is kept (expired or not)."""
        return (guild_id, user_id) in self._kept

    def forget(self, guild_id: int, user_id: int) -> None:
        """Drop the copy of one member (a GUILD_MEMBER_UPDATE or _REMOVE arrived)."""
        self._forgotten += 1
        self._kept.pop((guild_id, user_id), None)

    def forget_guild(self, guild_id: int) -> None:
        """Drop every copy of one guild's members (the bot left it, or it was reloaded)."""
        self._forgotten += 1
        for key in [key for key in self._kept if key[0] == guild_id]:
            del self._kept[key]

    def _keep(self, key: _Key, member: discord.Member | None, now: float) -> None:
        self._kept[key] = (now + self.ttl, member)
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)


def lookup_for(client: discord.Client) -> MemberLookup:
    """The client's lookup (`CadenceBot.member_lookup`); a fresh one, keeping nothing between
    calls, for a client without one (a bare `discord.Client` in a tool or test)."""
    found = getattr(client, "member_lookup", None)
    return found if isinstance(found, MemberLookup) else MemberLookup(ttl=0.0)


def _rebound(member: discord.Member | None, guild: discord.Guild) -> discord.Member | None:
    """A kept member seen through the guild object the caller holds now (the gateway may have
    replaced the guild since, e.g. after a GUILD_CREATE on reconnect): roles resolve there."""
    if member is None or member.guild is guild:
        return member
    member.guild = guild
    return member
