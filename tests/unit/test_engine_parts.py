"""The engine's small parts on their own: due index, fair dispatcher, alert folding, nonces,
retry policy and the catch-up planner."""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from scheduler.alerts import AlertFolder
from scheduler.dispatch import FairDispatcher
from scheduler.index import DueIndex
from scheduler.payload import make_nonce, pick_variant
from scheduler.planning import plan, schedule_for_task
from scheduler.protocols import Notice
from scheduler.runner import RetryPolicy
from storage import CatchUp, NoticeLevel, Payload, Task, TaskKind, TaskSource, TaskStatus
from storage.payloads import Mentions, decode_payload

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- due index


def test_due_index_pops_due_entries_in_order_and_dedups() -> None:
    index = DueIndex()
    index.extend([(30, 3), (10, 1), (20, 2), (10, 1)], horizon_ms=100)
    assert index.peek() == 10
    assert index.pop_due(20) == [(10, 1), (20, 2)]
    assert index.pop_due(25) == []
    assert len(index) == 1


def test_due_index_ignores_entries_beyond_its_horizon() -> None:
    index = DueIndex()
    index.extend([], horizon_ms=100)
    assert index.push(150, 9) is False
    assert index.push(50, 1) is True
    assert index.push(60, 2) is False  # not the earliest
    assert index.pop_due(1000) == [(50, 1), (60, 2)]


# --------------------------------------------------------------------------- dispatcher


async def test_dispatcher_serves_guilds_round_robin() -> None:
    order: list[str] = []

    async def handle(item: str) -> None:
        order.append(item)

    dispatcher: FairDispatcher[str] = FairDispatcher(handle, concurrency=1)
    for n in range(50):
        dispatcher.submit("big", f"big-{n}")
    dispatcher.submit("small", "small-0")
    dispatcher.submit("other", "other-0")
    dispatcher.start()
    await dispatcher.join()
    await dispatcher.stop()
    assert len(order) == 52
    assert order.index("small-0") <= 2 and order.index("other-0") <= 2


async def test_dispatcher_survives_a_raising_handler_and_bounds_concurrency() -> None:
    running = 0
    peak = 0
    done: list[int] = []

    async def handle(item: int) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001)
        running -= 1
        if item % 7 == 0:
            raise RuntimeError("boom")
        done.append(item)

    dispatcher: FairDispatcher[int] = FairDispatcher(handle, concurrency=3)
    dispatcher.start()
    for n in range(40):
        dispatcher.submit(n % 4, n)
    await dispatcher.join()
    await dispatcher.stop()
    assert sorted(done) == [n for n in range(40) if n % 7]
    assert peak == 3


async def test_dispatcher_stops_even_when_a_cancelled_handler_raises_on_its_way_out() -> None:
    # A run cancelled at shutdown whose clean-up fails (a ROLLBACK refused) raises an ordinary
    # exception instead of CancelledError; the worker must still stop rather than carry on.
    started = asyncio.Event()

    async def handle(item: int) -> None:
        started.set()
        try:
            await asyncio.sleep(10)
        finally:
            raise RuntimeError("clean-up failed")

    dispatcher: FairDispatcher[int] = FairDispatcher(handle, concurrency=1)
    dispatcher.start()
    dispatcher.submit("g", 1)
    dispatcher.submit("g", 2)
    await started.wait()
    await asyncio.wait_for(dispatcher.stop(), 5)
    assert dispatcher.pending == 1  # the queued item was never started


async def test_dispatcher_stop_lets_running_items_finish_within_the_grace() -> None:
    finished: list[int] = []
    release = asyncio.Event()

    async def handle(item: int) -> None:
        await release.wait()
        finished.append(item)

    dispatcher: FairDispatcher[int] = FairDispatcher(handle, concurrency=2)
    dispatcher.start()
    for n in range(5):
        dispatcher.submit("g", n)
    await asyncio.sleep(0.01)
    stopping = asyncio.create_task(dispatcher.stop(grace=5))
    await asyncio.sleep(0.01)
    release.set()
    await asyncio.wait_for(stopping, 5)
    assert finished == [0, 1]  # the two running finished; nothing new started
    assert dispatcher.pending == 3


async def test_dispatcher_stop_cancels_what_outlives_the_grace() -> None:
    cancelled: list[int] = []

    async def handle(item: int) -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(item)
            raise

    dispatcher: FairDispatcher[int] = FairDispatcher(handle, concurrency=1)
    dispatcher.start()
    dispatcher.submit("g", 7)
    await asyncio.sleep(0.01)
    await asyncio.wait_for(dispatcher.stop(grace=0.05), 5)
    assert cancelled == [7]


# --------------------------------------------------------------------------- alert folding


def notice(guild: int | None, kind: str, n: int) -> Notice:
    return Notice(guild, NoticeLevel.ERROR, kind, f"Task t{n} failed", f"reason {n}\nmore")


async def test_alerts_up_to_the_threshold_go_out_one_by_one() -> None:
    sent: list[Notice] = []

    async def sink(item: Notice) -> None:
        sent.append(item)

    folder = AlertFolder(sink, window=0, fold_after=3)
    for n in range(3):
        folder.add(notice(1, "task_failed", n))
    await folder.flush()
    assert [s.title for s in sent] == ["Task t0 failed", "Task t1 failed", "Task t2 failed"]


async def test_an_alert_storm_is_folded_per_guild_and_kind() -> None:
    sent: list[Notice] = []

    async def sink(item: Notice) -> None:
        sent.append(item)

    folder = AlertFolder(sink, window=0, fold_after=3)
    for n in range(40):
        folder.add(notice(1, "task_failed", n))
    folder.add(notice(2, "task_failed", 99))
    await folder.flush()
    assert len(sent) == 2
    digest = next(s for s in sent if s.guild_id == 1)
    assert digest.title == "40 notices: task failed"
    assert "t0" in digest.body and "… and 25 more" in digest.body
    assert "more\n" not in digest.body  # first line of each body only
    assert next(s for s in sent if s.guild_id == 2).title == "Task t99 failed"


async def test_alerts_flush_by_themselves_after_the_window() -> None:
    sent: list[Notice] = []

    async def sink(item: Notice) -> None:
        sent.append(item)

    folder = AlertFolder(sink, window=0.01)
    folder.add(notice(None, "x", 1))
    await asyncio.sleep(0.05)
    assert len(sent) == 1
    await folder.close()


# --------------------------------------------------------------------------- nonces, variants


@pytest.mark.parametrize(
    ("task_id", "instant", "index"),
    [
        (1, T0, 0),
        (2**31, T0, 3),
        (9_223_372_036_854_775_807, datetime(9999, 12, 31, tzinfo=UTC), 99),
    ],
    ids=["small", "large-id", "extreme"],
)
def test_nonces_are_deterministic_and_short(task_id: int, instant: datetime, index: int) -> None:
    nonce = make_nonce(task_id, instant, index)
    assert nonce == make_nonce(task_id, instant, index)
    assert 0 < len(nonce) <= 25
    assert nonce != make_nonce(task_id, instant + timedelta(seconds=1), index)
    assert nonce != make_nonce(task_id, instant, index + 1)


def test_random_rotation_is_stable_for_one_instant() -> None:
    payload = decode_payload(
        {"variants": [{"content": str(n)} for n in range(5)], "rotation": "random"}
    )
    picks = {pick_variant(payload, 0, 7, T0)[0] for _ in range(20)}
    assert len(picks) == 1
    spread = {pick_variant(payload, 0, 7, T0 + timedelta(hours=h))[0] for h in range(50)}
    assert len(spread) > 1


def test_sequential_rotation_follows_the_index() -> None:
    payload = decode_payload(
        {"variants": [{"content": "a"}, {"content": "b"}], "rotation": "sequential"}
    )
    picked = [pick_variant(payload, i, 1, T0)[1] for i in range(4)]
    assert [v.content if v else None for v in picked] == list("abab")


def test_allowed_mentions_default_to_nothing() -> None:
    assert decode_payload({}).approved == Mentions(everyone=False, roles=(), users=False)
    approved = decode_payload({"mentions": {"everyone": True, "roles": ["5"]}}).approved
    assert approved == Mentions(everyone=True, roles=(5,), users=False)


def test_retry_delays_grow_exponentially_with_bounded_jitter() -> None:
    policy = RetryPolicy(attempts=6, base=1.0, cap=8.0, jitter=0.25)
    rng = random.Random(1)
    delays = [policy.delay(n, rng) for n in range(1, 6)]
    for n, delay in enumerate(delays, start=1):
        raw = min(8.0, 2 ** (n - 1))
        assert raw * 0.75 <= delay <= raw * 1.25


# --------------------------------------------------------------------------- planner


def make_task(**changes: object) -> Task:
    base = Task(
        id=1, guild_id=1, source=TaskSource.ADMIN, job_id=None, name="t", kind=TaskKind.CRON,
        spec="0 * * * *", timezone="UTC", start_at=None, end_at=None, max_runs=None,
        payload=Payload(), destinations=(), rotation_index=0, status=TaskStatus.ACTIVE,
        paused_reason=None, catch_up=CatchUp.ONCE, skip_next=0, next_run_at=T0,
        last_run_at=None, run_count=0, failure_count=0, consecutive_failures=0,
        created_by=None, created_at=T0 - timedelta(days=1), updated_by=None,
        updated_at=T0 - timedelta(days=1),
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def hours(*values: int) -> list[datetime]:
    return [T0 + timedelta(hours=h) for h in values]


PLANS = [
    # (changes, now offset h, startup, catch_up_max, run, missed, skipped, next)
    ({}, 0, False, 10, [0], [], [], 1),
    ({}, 0.5, False, 10, [0], [], [], 1),
    ({}, 0, True, 10, [0], [], [], 1),
    ({}, 0.5, True, 10, [0], [], [], 1),
    ({"catch_up": CatchUp.SKIP}, 0.5, True, 10, [], [0], [], 1),
    ({}, 3.5, False, 10, [3], [0, 1, 2], [], 4),
    ({"catch_up": CatchUp.ALL}, 3.5, True, 10, [0, 1, 2, 3], [], [], 4),
    ({"catch_up": CatchUp.ALL}, 3.5, True, 2, [2, 3], [0, 1], [], 4),
    ({"catch_up": CatchUp.ALL}, 3.5, True, 0, [], [0, 1, 2, 3], [], 4),
    ({"skip_next": 1}, 0, False, 10, [], [], [0], 1),
    ({"max_runs": 3, "run_count": 2}, 0, False, 10, [0], [], [], None),
    ({"catch_up": CatchUp.ALL, "max_runs": 2}, 3.5, True, 10, [2, 3], [0, 1], [], None),
]


@pytest.mark.parametrize(
    ("changes", "offset", "startup", "cap", "run", "missed", "skipped", "following"),
    PLANS,
    ids=[
        "on-time", "late-in-operation", "startup-on-time", "startup-once-late",
        "startup-skip", "frozen-process-once", "startup-all", "startup-all-capped",
        "startup-all-cap-zero", "skip-next", "max-runs-last", "all-with-max-runs",
    ],
)  # fmt: skip
def test_planner(
    changes: dict[str, object],
    offset: float,
    startup: bool,
    cap: int,
    run: list[int],
    missed: list[int],
    skipped: list[int],
    following: int | None,
) -> None:
    task = make_task(**changes)
    now = T0 + timedelta(hours=offset)
    result = plan(task, schedule_for_task(task, "UTC"), now, startup=startup, catch_up_max=cap)
    assert result.run == hours(*run)
    assert result.missed == hours(*missed)
    assert result.skipped == hours(*skipped)
    assert result.next_run_at == (None if following is None else T0 + timedelta(hours=following))


def test_planner_counts_beyond_the_enumeration_cap() -> None:
    task = make_task(spec="* * * * *", catch_up=CatchUp.SKIP)
    now = T0 + timedelta(days=3)
    result = plan(task, schedule_for_task(task, "UTC"), now, startup=True, catch_up_max=10)
    assert len(result.missed) == 1000
    assert result.total_missed == 1001
    assert result.next_run_at == now + timedelta(minutes=1)
