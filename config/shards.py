"""`SHARD_COUNT` and `SHARD_IDS`: which of the bot's gateway shards this process connects.

Discord routes a guild's events to shard `(guild_id >> 22) % SHARD_COUNT`. One process may
connect all shards (the default) or some of them, other processes running the rest; every
process must then share one PostgreSQL database (docs/SCALING.md). SQLite is one process's
database, so a partial `SHARD_IDS` with SQLite is refused here, at start-up, rather than
letting two processes each believe they own every task.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

__all__ = ["MAX_SHARDS", "ShardPlan", "ShardSettingError", "format_ids", "read_shard_plan"]

MAX_SHARDS = 65_536
"""A bound far above any real bot (2,500 guilds a shard), so typos like `SHARD_COUNT=1e9`
are caught."""


@dataclass(frozen=True, slots=True)
class ShardPlan:
    """This process's shards: `shard_ids` of `shard_count`, ascending, no duplicates."""

    shard_count: int = 1
    shard_ids: tuple[int, ...] = (0,)

    @property
    def covers_all(self) -> bool:
        """True when this process connects every shard (it alone hears every guild)."""
        return len(self.shard_ids) == self.shard_count

    @property
    def sharded(self) -> bool:
        """True when discord.py must be told about shards (more than one, or not all)."""
        return self.shard_count > 1

    def shard_of(self, guild_id: int) -> int:
        """The shard Discord sends `guild_id`'s events to."""
        return (guild_id >> 22) % self.shard_count

    def describe(self) -> str:
        """E.g. ``shards 0-3 of 8`` or ``shards 0,2 of 4`` (for logs and status)."""
        noun = "shards" if len(self.shard_ids) > 1 else "shard"
        return f"{noun} {format_ids(self.shard_ids)} of {self.shard_count}"


def format_ids(ids: tuple[int, ...]) -> str:
    """Shard ids as ranges: (0, 1, 2, 5) -> ``0-2,5``."""
    parts: list[str] = []
    start = previous = None
    for value in (*ids, None):
        if value is not None and previous is not None and value == previous + 1:
            previous = value
            continue
        if start is not None:
            parts.append(str(start) if start == previous else f"{start}-{previous}")
        start = previous = value
    return ",".join(parts)


class ShardSettingError(ValueError):
    """A bad `SHARD_COUNT`/`SHARD_IDS` (config.settings turns it into a SettingsError)."""

    def __init__(self, variable: str, expected: str) -> None:
        super().__init__(f"{variable}: {expected}")
        self.variable = variable
        self.expected = expected


def read_shard_plan(count_raw: str | None, ids_raw: str | None, backend: str) -> ShardPlan:
    """The plan from the raw variables (None: unset); `backend` is ``sqlite`` or ``postgres``.

    Raises `ShardSettingError` for a bad count, bad ids, or a partial `SHARD_IDS` on SQLite.
    """
    count = 1
    if count_raw is not None:
        if not count_raw.isdigit() or not 1 <= int(count_raw) <= MAX_SHARDS:
            raise ShardSettingError(
                "SHARD_COUNT", f"expects a whole number from 1 to {MAX_SHARDS}, got {count_raw!r}"
            )
        count = int(count_raw)
    if ids_raw is None:
        return ShardPlan(count, tuple(range(count)))
    ids = parse_shard_ids(ids_raw, count)
    if isinstance(ids, str):
        raise ShardSettingError("SHARD_IDS", ids)
    plan = ShardPlan(count, ids)
    if not plan.covers_all and backend == "sqlite":
        raise ShardSettingError(
            "SHARD_IDS",
            f"names {plan.describe()}, so other processes must run the rest, and several "
            "processes need one shared PostgreSQL database (DATABASE_URL=postgresql://…); "
            "SQLite serves one process: leave SHARD_IDS unset to connect every shard here",
        )
    return plan


def parse_shard_ids(raw: str, shard_count: int) -> tuple[int, ...] | str:
    """`0-3`, `0,2`, `0-1,4` -> sorted ids; on a bad value, the one-line reason (a str)."""
    ids: list[int] = []
    for part in raw.split(","):
        part = part.strip()
        low, dash, high = part.partition("-")
        if not low.strip().isdigit() or (dash and not high.strip().isdigit()):
            return f"expects shard ids such as 0-3 or 0,2, got {raw!r}"
        first, last = int(low), int(high) if dash else int(low)
        if last < first:
            return f"has the empty range {part!r} (write the lower id first, e.g. 0-3)"
        ids.extend(range(first, last + 1))
    outside = [i for i in ids if i >= shard_count]
    if outside:
        return (
            f"names shard {outside[0]}, but SHARD_COUNT is {shard_count} "
            f"(ids go from 0 to {shard_count - 1})"
        )
    repeated = sorted(i for i, seen in Counter(ids).items() if seen > 1)
    if repeated:
        return f"names shard {repeated[0]} twice, in {raw!r}"
    return tuple(sorted(ids))
