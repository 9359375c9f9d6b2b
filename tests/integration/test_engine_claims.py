"""Two engines on one real PostgreSQL (issue 18): each run started and posted once, a dead
engine's runs taken over with the same nonce, a frozen one fenced, wake-ups across them.

Each engine has its own pool, process id and recording deliverer; both read one fake clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest

from scheduler.claims import POLL_SECONDS
from scheduler.clock import FakeClock
from scheduler.engine import EngineConfig
from scheduler.payload import make_nonce
from scheduler.protocols import Delivery, TransientDeliveryError
from storage import RunStatus, Task, TaskStatus
from storage.timeconv import to_ms
from tests.fakes import RecordingDeliverer
from tests.integration.engine_harness import START, Harness
from tests.postgres_server import fresh_database

DUE = START.replace(hour=9, minute=0, second=0)  # 30 s after START
LEASE = 30


@dataclass
class GatedDeliverer(RecordingDeliverer):
    """Records like its parent; while `gate` is set, the next call parks until it opens
    (a process frozen mid-post), then raises `then` or posts."""

    gate: asyncio.Event | None = None
    then: Exception | None = None

    async def deliver(self, delivery: Delivery) -> int:
        gate, self.gate = self.gate, None
        if gate is None:
            return await super().deliver(delivery)
        self.calls.append(delivery)
        await gate.wait()
        if self.then is not None:
            raise self.then
        self.calls.pop()  # recorded again by the parent
        return await super().deliver(delivery)


class Engines:
    """Engines A and B over one database, sharing a clock."""

    def __init__(self, url: str) -> None:
        self.clock = FakeClock(START)
        self.gated = GatedDeliverer()
        self.a = Harness(target=url, clock=self.clock, config=_config("A"), deliverer=self.gated)
        self.b = Harness(target=url, clock=self.clock, config=_config("B"))

    async def open(self) -> Engines:
        await self.a.open()
        await self.b.open()
        return self

    async def close(self) -> None:
        await self.a.close()
        await self.b.close()


def _config(process_id: str) -> EngineConfig:
    return EngineConfig(alert_window_seconds=0, process_id=process_id, lease_seconds=LEASE)


@pytest.fixture
async def engines() -> AsyncIterator[Engines]:
    async with fresh_database() as url:
        pair = await Engines(url).open()
        try:
            yield pair
        finally:
            await pair.close()


async def _until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait (real time: a notification crosses a socket) until `condition()` holds."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def _posted_once(pair: Engines, tasks: list[Task]) -> None:
    posts = pair.a.deliverer.posts + pair.b.deliverer.posts
    counts = {task.id: 0 for task in tasks}
    for delivery in posts:
        counts[delivery.task_id] += 1
    assert set(counts.values()) == {1}


async def test_two_engines_start_and_post_each_due_run_exactly_once(engines: Engines) -> None:
    a, b = engines.a, engines.b
    tasks = [await a.add(f"t{i}", "cron", "0 9 * * *") for i in range(1_200)]
    await a.start()
    await b.start()
    engines.clock.set(DUE)
    assert a.engine is not None and b.engine is not None
    # Both wake at once, and B's polling fallback races them too.
    await asyncio.gather(a.engine.tick(), b.engine.tick(), b.engine.poll_due())
    await asyncio.gather(a.engine.drain(), b.engine.drain())
    await _posted_once(engines, tasks)
    assert a.deliverer.posts and b.deliverer.posts  # the work was shared, not duplicated
    for task in tasks[:50]:
        [run] = await a.engine.runs.list_for_task(task.id)
        assert run.status == RunStatus.OK and run.claimed_by in {"A", "B"}
    stored = await a.engine.tasks.get_many(t.id for t in tasks)
    assert {t.run_count for t in stored} == {1}


async def _stuck_on_a(engines: Engines, gate: asyncio.Event, then: Exception | None = None) -> Task:
    """A task whose due run A has started and is posting, stuck until `gate` opens."""
    a, b = engines.a, engines.b
    task = await a.add("stuck", "cron", "0 9 * * *")
    await a.start()
    await b.start()
    engines.gated.gate, engines.gated.then = gate, then
    engines.clock.set(DUE)
    assert a.engine is not None
    await a.engine.tick()
    await _until(lambda: len(a.deliverer.calls) == 1)
    return task


async def test_a_dead_engines_run_is_resent_by_the_other_with_the_same_nonce(
    engines: Engines,
) -> None:
    a, b = engines.a, engines.b
    task = await _stuck_on_a(engines, asyncio.Event())
    assert b.engine is not None
    assert await b.engine.reap() == 0  # A's lease holds: not B's to take
    await a.die()  # A dies mid-post: nothing finished, its lease no longer extended
    engines.clock.advance(seconds=LEASE - 1)
    assert await b.engine.reap() == 0  # the lease has not lapsed yet
    engines.clock.advance(seconds=2)
    assert await b.engine.reap() == 1
    await b.engine.drain()
    nonce = make_nonce(task.id, DUE, 0)
    assert [c.nonce for c in a.deliverer.calls] == [nonce]
    assert [c.nonce for c in b.deliverer.calls] == [nonce]  # Discord dedups on it
    [run] = await b.engine.runs.list_for_task(task.id)
    assert (run.status, run.claimed_by, run.fence) == (RunStatus.OK, "B", 2)
    stored = await b.engine.tasks.get(task.id)
    assert stored is not None and stored.run_count == 1
    assert "runs_interrupted" in b.alerter.kinds()


async def test_a_stopped_engines_unfinished_run_is_taken_over_at_once(engines: Engines) -> None:
    """A clean stop (SIGTERM) with a post still in flight after the grace: A lets the lease
    lapse as it stops, so B takes the run over at its next reap, not a lease later, and
    re-sends it with the same nonce."""
    a, b = engines.a, engines.b
    task = await _stuck_on_a(engines, asyncio.Event())
    assert b.engine is not None
    assert await b.engine.reap() == 0
    await a.close()  # grace 0: the stuck post is cancelled, its run left `running`
    assert await b.engine.reap() == 1  # no time has passed
    await b.engine.drain()
    nonce = make_nonce(task.id, DUE, 0)
    assert [c.nonce for c in b.deliverer.calls] == [nonce]
    [run] = await b.engine.runs.list_for_task(task.id)
    assert (run.status, run.claimed_by, run.fence) == (RunStatus.OK, "B", 2)


async def test_a_dead_engines_run_past_the_resume_window_is_unknown_and_reported(
    engines: Engines,
) -> None:
    a, b = engines.a, engines.b
    task = await _stuck_on_a(engines, asyncio.Event())
    await a.die()
    engines.clock.advance(seconds=b.config.resume_window_seconds + 1)
    assert b.engine is not None
    assert await b.engine.reap() == 1
    await b.engine.drain()
    assert b.deliverer.calls == []  # not re-sent: it may or may not have been posted
    [run] = await b.engine.runs.list_for_task(task.id)
    assert run.status == RunStatus.UNKNOWN
    notices = [n for n in b.alerter.sent if n.kind == "runs_interrupted"]
    assert len(notices) == 1 and "stuck" in notices[0].body


async def test_a_frozen_engine_that_posted_is_fenced_when_it_wakes(engines: Engines) -> None:
    """A sent, then froze before recording it; B took over and re-sent with the same nonce.
    A's late finish must change nothing: B's outcome stands and the task counts one run."""
    a, b = engines.a, engines.b
    gate = asyncio.Event()
    task = await _stuck_on_a(engines, gate)
    engines.clock.advance(seconds=LEASE + 1)  # A froze (SIGSTOP) past its lease
    assert b.engine is not None and a.engine is not None
    assert await b.engine.reap() == 1
    await b.engine.drain()
    gate.set()  # SIGCONT: A's post returns and A records it
    await a.engine.drain()
    [run] = await b.engine.runs.list_for_task(task.id)
    assert (run.status, run.claimed_by, run.fence) == (RunStatus.OK, "B", 2)
    assert len(a.deliverer.posts) == len(b.deliverer.posts) == 1  # one to Discord: one nonce
    stored = await b.engine.tasks.get(task.id)
    assert stored is not None and stored.run_count == 1
    assert a.engine.leases.held == {}


async def test_a_frozen_engine_does_not_send_again_when_it_wakes(engines: Engines) -> None:
    """A's first attempt met a transient error and A froze before its retry; B took over.
    On waking, A checks its lease before the retry, finds it lost and sends nothing."""
    a, b = engines.a, engines.b
    gate = asyncio.Event()
    task = await _stuck_on_a(engines, gate, TransientDeliveryError("503"))
    engines.clock.advance(seconds=LEASE + 1)
    assert b.engine is not None and a.engine is not None
    assert await b.engine.reap() == 1
    await b.engine.drain()
    gate.set()
    await a.engine.drain()
    assert len(a.deliverer.calls) == 1  # no retry after the lease was lost
    assert len(b.deliverer.posts) == 1
    [run] = await a.engine.runs.list_for_task(task.id)
    assert (run.status, run.claimed_by, run.attempts) == (RunStatus.OK, "B", 1)


async def test_a_live_engines_long_post_keeps_its_lease(engines: Engines) -> None:
    """A post waiting on rate limits is not taken over: its lease is extended."""
    a, b = engines.a, engines.b
    gate = asyncio.Event()
    task = await _stuck_on_a(engines, gate)
    assert a.engine is not None and b.engine is not None
    for _ in range(4):  # 4 × 10 s: past the first lease, each third of it extended
        engines.clock.advance(seconds=LEASE / 3)
        assert await a.engine.leases.extend() == 1
        assert await b.engine.reap() == 0
    gate.set()
    await a.engine.drain()
    [run] = await a.engine.runs.list_for_task(task.id)
    assert (run.status, run.claimed_by, run.fence) == (RunStatus.OK, "A", 1)
    assert b.deliverer.calls == []


async def test_a_task_created_through_one_engine_fires_on_the_other(engines: Engines) -> None:
    a, b = engines.a, engines.b
    await a.start()
    await b.start()
    assert b.engine is not None
    due = START + timedelta(seconds=90)
    task = await a.add("hello", "date", due.isoformat())
    due_ms = to_ms(due)
    # NOTIFY cadence_tasks reaches B's index (its window was loaded before the task existed).
    await _until(lambda: b.engine is not None and b.engine.index.peek() == due_ms)
    await a.close()  # only B is left to fire it
    engines.clock.set(due)
    assert await b.tick() == 1
    assert [d.task_id for d in b.deliverer.posts] == [task.id]
    stored = await b.engine.tasks.get(task.id)
    assert stored is not None and stored.status == TaskStatus.COMPLETED


async def test_with_notifications_lost_polling_fires_the_task_within_a_second(
    engines: Engines,
) -> None:
    a, b = engines.a, engines.b
    await a.start()
    await b.start()
    assert b.engine is not None and b.engine._listening is not None
    await b.engine._listening.close()  # every notification from now on is lost
    due = START + timedelta(seconds=90)
    task = await a.add("hello", "date", due.isoformat())
    await a.close()
    engines.clock.set(due)
    assert await b.tick() == 0  # B's index never heard of it
    assert await b.engine.poll_due() == 1
    await b.engine.drain()
    assert [d.task_id for d in b.deliverer.posts] == [task.id]
    assert POLL_SECONDS <= 1.0  # what the running engine polls at


async def test_the_listener_comes_back_after_its_connection_is_killed(engines: Engines) -> None:
    a, b = engines.a, engines.b
    await a.start()
    await b.start()
    assert a.db is not None and b.engine is not None
    listening = b.engine._listening
    assert listening is not None
    pid = listening.connection.get_server_pid()  # type: ignore[attr-defined]
    await a.db.fetch_all("SELECT pg_terminate_backend(?)", (pid,))
    await _until(lambda: listening.connections == 2, seconds=15)  # type: ignore[attr-defined]
    due = START + timedelta(seconds=90)
    await a.add("after", "date", due.isoformat())
    await _until(lambda: b.engine is not None and b.engine.index.peek() == to_ms(due))
