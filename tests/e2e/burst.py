"""Burst helpers for the delivery proofs: seed many one-time tasks straight into the bot's
SQLite file, then count what "Discord" received per (task, scheduled instant), read the run
rows, and check Discord's rate limits from the emulator's request log.

The API is shared by several proofs; keep it stable::

    channels = add_channels(scene.guild, 30)              # before the bot starts
    hooks = add_webhooks(fd, channels[:3])                # optional webhook destinations
    burst = await seed_burst(bot.db_path, scene.guild.id, channels,
                             count=300, first_at=in_whole_seconds(8), spread=3,
                             webhooks=hooks, webhook_every=10)
    ...                                                   # start, disturb, restart the bot
    count = await wait_delivered(fd, burst, timeout=30)   # or count_posts(fd, burst)
    assert count.duplicated == 0 and not count.missing
    rows = run_rows(bot.db_path)                          # {(task_id, scheduled_ms): [RunRow]}
    creates = accepted_creates(fd.requests)               # {channel_id: [accept times]}
    assert all(most_in_any_window(t, 5.0) <= 5 for t in creates.values())

Every post is identified by (task, instant): a channel post by its nonce
(`scheduler.payload.make_nonce` encodes both), a webhook post (no nonce) by its content, which
names the task and the instant.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.processes import wait_until
from fakediscord import FakeDiscord, Webhook
from fakediscord.messages import StoredMessage
from fakediscord.models import Channel
from fakediscord.rest import RecordedRequest
from fakediscord.world import Guild
from scheduler.payload import make_nonce
from scheduler.triggers.date import date_spec
from storage import CatchUp, Database, NewTask, Payload, TaskKind, TaskRepository, Variant
from storage.payloads import decode_destinations
from storage.timeconv import to_ms
from tests.postgres_server import query_rows

__all__ = [
    "Burst",
    "DuePost",
    "PostCount",
    "RunRow",
    "accepted_creates",
    "add_channels",
    "add_webhooks",
    "count_posts",
    "in_whole_seconds",
    "message_route",
    "most_in_any_window",
    "percentile",
    "rate_limited",
    "run_rows",
    "seed_burst",
    "wait_delivered",
    "wait_until",
]


_CREATE = re.compile(r"^/channels/(\d+)/messages$")


# -- the world ----------------------------------------------------------------------------


def add_channels(guild: Guild, count: int, prefix: str = "burst") -> list[Channel]:
    """`count` plain text channels (`burst-00`, ...) the bot may post in."""
    return [guild.add_channel(f"{prefix}-{i:02d}") for i in range(count)]


def add_webhooks(fd: FakeDiscord, channels: Iterable[Channel]) -> list[Webhook]:
    """One webhook in each channel, as `/schedule destinations` would have stored."""
    hooks = []
    for channel in channels:
        hook = Webhook(
            id=fd.world.snowflakes.next(),
            guild_id=channel.guild_id,
            channel_id=channel.id,
            name=f"hook-{channel.name}",
            creator_id=fd.world.bot_user.id,
        )
        fd.world.webhooks[hook.id] = hook
        hooks.append(hook)
    return hooks


def message_route(channels: Iterable[Channel], hooks: Iterable[Webhook] = ()) -> str:
    """A fault `path` matching message creates in these channels and executes of these hooks."""
    ids = "|".join(str(c.id) for c in channels)
    pattern = rf"^/channels/({ids})/messages$"
    hook_ids = "|".join(str(h.id) for h in hooks)
    if hook_ids:
        pattern += rf"|^/webhooks/({hook_ids})/[^/]+$"
    return pattern


# -- seeding ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DuePost:
    """One post a burst owes: task, instant and where; `nonce` is None for a webhook."""

    task_id: int
    name: str
    instant: datetime
    channel_id: int
    content: str
    nonce: str | None
    webhook_id: int | None = None

    @property
    def key(self) -> tuple[int, int]:
        """(task id, scheduled instant in ms), as in the `runs` table."""
        return (self.task_id, to_ms(self.instant))

    def matches(self, message: StoredMessage) -> bool:
        if self.nonce is not None:
            return message.nonce == self.nonce and message.webhook_id is None
        return message.webhook_id == self.webhook_id and message.content == self.content


@dataclass(frozen=True)
class Burst:
    """What `seed_burst` stored: one due post per one-time task."""

    posts: list[DuePost]
    channels: list[Channel]
    webhooks: list[Webhook] = field(default_factory=list)

    @property
    def first_at(self) -> datetime:
        return min(p.instant for p in self.posts)

    @property
    def last_at(self) -> datetime:
        return max(p.instant for p in self.posts)

    @property
    def channel_posts(self) -> list[DuePost]:
        return [p for p in self.posts if p.nonce is not None]

    @property
    def webhook_posts(self) -> list[DuePost]:
        return [p for p in self.posts if p.nonce is None]

    def fault_path(self) -> str:
        """A fault `path` for this burst's posts (not the dev channel's notices)."""
        return message_route(self.channels, self.webhooks)


def in_whole_seconds(seconds: float) -> datetime:
    """The first whole UTC second at least `seconds` from now."""
    now = datetime.now(UTC)
    return now.replace(microsecond=0) + timedelta(seconds=math.ceil(seconds) + 1)


async def seed_burst(
    db_path: str | Path,
    guild_id: int,
    channels: Sequence[Channel],
    *,
    count: int,
    first_at: datetime,
    spread: int = 1,
    webhooks: Sequence[Webhook] = (),
    webhook_every: int = 0,
    prefix: str = "burst",
    catch_up: CatchUp = CatchUp.ONCE,
) -> Burst:
    """Store `count` one-time tasks due over `spread` whole seconds from `first_at`.

    Task `i` is due at `first_at + i % spread` seconds and posts in `channels[i % len]`; when
    `webhook_every` is set, every that-many-th task posts through `webhooks` instead. Written
    with `TaskRepository.create_many` (one transaction) before the bot process starts.
    """
    assert first_at.microsecond == 0, "date tasks fire at whole seconds"
    news: list[NewTask] = []
    plans: list[tuple[str, datetime, Channel, Webhook | None, str]] = []
    for i in range(count):
        at = first_at + timedelta(seconds=i % spread)
        channel = channels[i % len(channels)]
        hook = None
        if webhook_every and webhooks and i % webhook_every == webhook_every - 1:
            hook = webhooks[(i // webhook_every) % len(webhooks)]
        name = f"{prefix}-{i:04d}"
        content = f"{name} for {date_spec(at)}"
        destination: dict[str, Any] = {"type": "channel", "channel_id": channel.id}
        if hook is not None:
            destination = {
                "type": "webhook",
                "channel_id": hook.channel_id,
                "webhook_id": hook.id,
                "webhook_token": hook.token,
            }
        news.append(
            NewTask(
                name=name,
                kind=TaskKind.DATE,
                spec=date_spec(at),
                created_at=datetime.now(UTC),
                guild_id=guild_id,
                timezone="UTC",
                catch_up=catch_up,
                payload=Payload(variants=(Variant(content=content),)),
                destinations=decode_destinations([destination]),
                next_run_at=at,
            )
        )
        plans.append((name, at, channel, hook, content))
    async with Database.open(db_path) as db:
        repository = TaskRepository(db)
        await repository.create_many(news)
        stored = {t.name: t for t in await repository.list_for_guild(guild_id, limit=None)}
    posts = []
    for name, at, channel, hook, content in plans:
        task_id = stored[name].id
        posts.append(
            DuePost(
                task_id=task_id,
                name=name,
                instant=at,
                channel_id=hook.channel_id if hook else channel.id,
                content=content,
                nonce=None if hook else make_nonce(task_id, at, 0),
                webhook_id=hook.id if hook else None,
            )
        )
    return Burst(posts, list(channels), list(webhooks))


# -- counting what Discord received -------------------------------------------------------


@dataclass(frozen=True)
class PostCount:
    """What was due against what "Discord" received, per (task, instant)."""

    due: int
    delivered: int
    duplicated: int
    missing: list[DuePost]
    copies: dict[tuple[int, int], int]
    arrived: dict[tuple[int, int], float]  # emulator timestamp of each key's first copy
    lateness: list[float]  # seconds, first copy's emulator timestamp minus the instant

    @property
    def p50(self) -> float:
        return percentile(self.lateness, 50)

    @property
    def p99(self) -> float:
        return percentile(self.lateness, 99)

    @property
    def worst(self) -> float:
        return max(self.lateness, default=math.nan)

    def summary(self) -> str:
        return (
            f"due {self.due}, delivered {self.delivered}, duplicated {self.duplicated}, "
            f"missing {len(self.missing)}, lateness p50 {self.p50:.3f} s, "
            f"p99 {self.p99:.3f} s, max {self.worst:.3f} s"
        )


def count_posts(fd: FakeDiscord, burst: Burst | Sequence[DuePost]) -> PostCount:
    """Match every stored post to the (task, instant) it belongs to."""
    due = burst.posts if isinstance(burst, Burst) else list(burst)
    by_nonce = {p.nonce: p for p in due if p.nonce is not None}
    by_content = {(p.webhook_id, p.content): p for p in due if p.nonce is None}
    copies: Counter[tuple[int, int]] = Counter()
    first: dict[tuple[int, int], StoredMessage] = {}
    for message in fd.all_posts():
        if message.webhook_id is None:
            found = by_nonce.get(message.nonce) if message.nonce else None
        else:
            found = by_content.get((message.webhook_id, message.content))
        if found is None:
            continue
        copies[found.key] += 1
        first.setdefault(found.key, message)
    instants = {p.key: p.instant for p in due}
    lateness = [m.timestamp - instants[k].timestamp() for k, m in first.items()]
    return PostCount(
        due=len(due),
        delivered=len(first),
        duplicated=sum(n - 1 for n in copies.values()),
        missing=[p for p in due if p.key not in first],
        copies=dict(copies),
        arrived={k: m.timestamp for k, m in first.items()},
        lateness=lateness,
    )


async def wait_delivered(
    fd: FakeDiscord,
    burst: Burst | Sequence[DuePost],
    timeout: float,  # noqa: ASYNC109
    *,
    expected: int | None = None,
) -> PostCount:
    """Wait until `expected` (default: all) of the due posts arrived; return the count."""
    due = burst.posts if isinstance(burst, Burst) else list(burst)
    wanted = len(due) if expected is None else expected
    await wait_until(lambda: count_posts(fd, due).delivered >= wanted, timeout, "the posts")
    return count_posts(fd, due)


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile (NaN for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


# -- the bot's run rows -------------------------------------------------------------------


@dataclass(frozen=True)
class RunRow:
    """A row of the `runs` table, as the bot stored it."""

    id: int
    task_id: int
    scheduled_for: int
    trigger: str
    status: str
    late_by_ms: int | None
    attempts: int
    error: str | None


def run_rows(db_path: str | Path) -> dict[tuple[int, int], list[RunRow]]:
    """Every run row, grouped by (task id, scheduled ms)."""
    query = """
        SELECT id, task_id, scheduled_for, trigger, status, late_by_ms, attempts, error
        FROM runs ORDER BY id
    """
    rows = [RunRow(**row) for row in query_rows(db_path, query)]
    grouped: dict[tuple[int, int], list[RunRow]] = defaultdict(list)
    for row in rows:
        grouped[(row.task_id, row.scheduled_for)].append(row)
    return dict(grouped)


# -- rate limits --------------------------------------------------------------------------


def accepted_creates(requests: Iterable[RecordedRequest]) -> dict[int, list[float]]:
    """When each message create was let through (answered 200), per channel id."""
    found: dict[int, list[float]] = defaultdict(list)
    for r in requests:
        create = _CREATE.match(r.route)
        if r.method == "POST" and create is not None and r.status == 200:
            found[int(create.group(1))].append(r.time)
    return dict(found)


def most_in_any_window(times: Sequence[float], per: float) -> int:
    """The most of `times` inside any half-open window [t, t + per)."""
    ordered = sorted(times)
    best = start = 0
    for end, instant in enumerate(ordered):
        while ordered[start] <= instant - per:
            start += 1
        best = max(best, end - start + 1)
    return best


def rate_limited(requests: Iterable[RecordedRequest]) -> int:
    """How many requests were answered 429."""
    return sum(1 for r in requests if r.status == 429)
