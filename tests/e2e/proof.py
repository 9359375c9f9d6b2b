"""Helpers for the delivery proofs (gateway faults, permanent faults, downtime, fairness):
seed many tasks straight into SQLite, read back what "Discord" received, count lateness and
duplicates, read the bot's run rows, and run slash commands against the bot process."""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fakediscord import FakeDiscord
from fakediscord.messages import StoredMessage
from scheduler.clock import FakeClock
from scheduler.engine import Engine
from scheduler.payload import make_nonce
from scheduler.triggers.date import date_spec
from storage import (
    CatchUp,
    ChannelDestination,
    Database,
    NewTask,
    Payload,
    Task,
    TaskKind,
    TaskRepository,
    Variant,
)
from tests.commands.harness import final_answer, text_of
from tests.e2e.harness import BotProcess
from tests.fakes import RecordingAlerter, RecordingDeliverer
from tests.integration.engine_harness import task_control
from tests.postgres_server import query_rows

__all__ = [
    "Due",
    "Tally",
    "bot_connected",
    "channel_notices",
    "date_task",
    "expected_posts",
    "final_answer",
    "in_whole_seconds",
    "notice_text",
    "percentile",
    "run_rows",
    "seed_many",
    "seed_new",
    "sleep_until",
    "start_connected",
    "stored_tasks",
    "tally",
    "task_row",
    "text_of",
    "wait_for",
]


@dataclass(frozen=True)
class Due:
    """One post we expect: which task, for which instant, and its deterministic nonce."""

    task_id: int
    instant: datetime
    nonce: str


def in_whole_seconds(seconds: float) -> datetime:
    """A whole UTC second at least `seconds` from now."""
    return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=math.ceil(seconds) + 1)


def date_task(
    name: str,
    *,
    guild_id: int,
    channel_id: int,
    at: datetime,
    content: str | None = None,
    catch_up: CatchUp = CatchUp.ONCE,
    created_at: datetime | None = None,
) -> NewTask:
    """A one-time task posting `content` (default: its name) in a channel at `at`."""
    return NewTask(
        name=name,
        kind=TaskKind.DATE,
        spec=date_spec(at),
        created_at=created_at or datetime.now(UTC),
        guild_id=guild_id,
        catch_up=catch_up,
        timezone="UTC",
        payload=Payload(variants=(Variant(content=content if content is not None else name),)),
        destinations=(ChannelDestination(channel_id=channel_id),),
        next_run_at=at,
    )


async def seed_many(db_path: str | Path, news: Sequence[NewTask]) -> list[Task]:
    """Insert the tasks in one transaction (fast set-up) and return them as stored."""
    async with Database.open(db_path) as db:
        repository = TaskRepository(db)
        await repository.create_many(news)
        return await stored_tasks(repository, news)


async def seed_new(db_path: str | Path, new: NewTask) -> Task:
    """Store one task the way /schedule would (its first instant computed from `created_at`)."""
    async with Database.open(db_path) as db:
        engine = Engine(
            db,
            deliverer=RecordingDeliverer(),
            alerter=RecordingAlerter(),
            clock=FakeClock(new.created_at),
            use_apscheduler=False,
        )
        return await task_control(engine, db).create(new)


async def stored_tasks(repository: TaskRepository, news: Iterable[NewTask]) -> list[Task]:
    found = []
    for new in news:
        assert new.guild_id is not None
        task = await repository.get_by_name(new.guild_id, new.name)
        assert task is not None, new.name
        found.append(task)
    return found


def expected_posts(tasks: Iterable[Task]) -> list[Due]:
    """The single post each one-time task owes, keyed by its nonce (first destination)."""
    due = []
    for task in tasks:
        assert task.next_run_at is not None
        due.append(Due(task.id, task.next_run_at, make_nonce(task.id, task.next_run_at, 0)))
    return due


@dataclass(frozen=True)
class Tally:
    """What was due against what "Discord" received."""

    due: int
    delivered: int
    duplicated: int
    missing: list[Due]
    lateness: list[float]  # seconds, emulator timestamp minus the instant, one per delivered

    @property
    def p50(self) -> float:
        return percentile(self.lateness, 50)

    @property
    def p99(self) -> float:
        return percentile(self.lateness, 99)

    @property
    def worst(self) -> float:
        return max(self.lateness, default=math.nan)

    @property
    def earliest(self) -> float:
        return min(self.lateness, default=math.nan)

    def summary(self) -> str:
        return (
            f"due {self.due}, delivered {self.delivered}, duplicated {self.duplicated}, "
            f"lateness p50 {self.p50:.3f} s, p99 {self.p99:.3f} s, max {self.worst:.3f} s"
        )


def tally(fd: FakeDiscord, due: Sequence[Due]) -> Tally:
    """Match every stored post to the run it belongs to by nonce."""
    wanted = {d.nonce: d for d in due}
    posts = [m for m in fd.all_posts() if m.nonce in wanted]
    counts = Counter(m.nonce for m in posts)
    first: dict[str, StoredMessage] = {}
    for message in posts:
        assert message.nonce is not None
        first.setdefault(message.nonce, message)
    lateness = [m.timestamp - wanted[n].instant.timestamp() for n, m in first.items()]
    return Tally(
        due=len(due),
        delivered=len(first),
        duplicated=sum(c - 1 for c in counts.values()),
        missing=[d for d in due if d.nonce not in first],
        lateness=lateness,
    )


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile (NaN for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


async def sleep_until(instant: datetime) -> None:
    await asyncio.sleep(max(0.0, instant.timestamp() - time.time()))


async def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:  # noqa: ASYNC109
    """Poll `condition` every 50 ms until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


def bot_connected(fd: FakeDiscord) -> bool:
    """True while a bot has a live, connected gateway session."""
    return any(session.connected for session in fd.gateway.live_sessions())


async def start_connected(bot: BotProcess, **extra: str) -> None:
    """Start the process and wait until it is on the gateway (slash commands reach it)."""
    await bot.start(**extra)
    await wait_for(lambda: bot_connected(bot.fd), 10, "the bot's gateway session")


def run_rows(db_path: str | Path, task_id: int) -> list[dict[str, Any]]:
    """A task's run rows as the bot stored them, oldest instant first."""
    query = "SELECT * FROM runs WHERE task_id = ? ORDER BY scheduled_for, id"
    return query_rows(db_path, query, (task_id,))


def task_row(db_path: str | Path, task_id: int) -> dict[str, Any]:
    rows = query_rows(db_path, "SELECT * FROM tasks WHERE id = ?", (task_id,))
    assert rows, task_id
    return rows[0]


def notice_text(message: StoredMessage) -> str:
    """Everything a person reads in a notice embed, as one string."""
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [embed.get("title", ""), embed.get("description", "")]
        for item in embed.get("fields", []):
            parts += [item.get("name", ""), item.get("value", "")]
        parts.append((embed.get("footer") or {}).get("text", ""))
    return "\n".join(p for p in parts if p)


def channel_notices(
    fd: FakeDiscord, channel: Any, title: Callable[[str], bool] | None = None
) -> list[StoredMessage]:
    """The embeds the bot posted in `channel`, optionally only those whose title matches."""
    found = []
    for message in fd.messages(channel):
        if not message.embeds:
            continue
        if title is None or title(message.embeds[0].get("title", "")):
            found.append(message)
    return found
