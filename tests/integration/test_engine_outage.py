"""Regression tests for what the end-to-end outage proofs (tests/e2e/test_outage.py) found:
a 10-second Discord outage lost posts (4 attempts over about 7 s), and the runs that went out
late said nothing to the operator, while those that gave up sent a notice each."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from scheduler.clock import FakeClock
from scheduler.incidents import DeliveryIncidents
from scheduler.protocols import Delivery, Notice, TransientDeliveryError
from scheduler.runner import RetryPolicy, Runner
from storage import (
    CatchUp,
    ChannelDestination,
    Payload,
    RunStatus,
    Task,
    TaskKind,
    TaskSource,
    TaskStatus,
    Variant,
)
from tests.fakes import RecordingDeliverer
from tests.integration.engine_harness import GUILD, Harness

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def channel_task(task_id: int = 1, guild_id: int = GUILD) -> Task:
    return Task(
        id=task_id, guild_id=guild_id, source=TaskSource.ADMIN, job_id=None, name=f"t{task_id}",
        kind=TaskKind.DATE, spec="2026-11-02T09:00:00Z", timezone="UTC", start_at=None,
        end_at=None, max_runs=None, payload=Payload(variants=(Variant(content="hi"),)),
        destinations=(ChannelDestination(channel_id=5),), rotation_index=0,
        status=TaskStatus.ACTIVE, paused_reason=None, catch_up=CatchUp.ONCE, skip_next=0,
        next_run_at=T0, last_run_at=None, run_count=0, failure_count=0,
        consecutive_failures=0, created_by=None, created_at=T0, updated_by=None, updated_at=T0,
    )  # fmt: skip


def down_until(clock: FakeClock, until: datetime, status: int = 503):  # type: ignore[no-untyped-def]
    def fault(delivery: Delivery) -> Exception | None:
        if clock.now() < until:
            return TransientDeliveryError(f"Discord answered {status}", status=status)
        return None

    return fault


async def test_the_default_retries_ride_out_a_ten_second_outage() -> None:
    clock = FakeClock(T0)
    deliverer = RecordingDeliverer()
    deliverer.faults.append(down_until(clock, T0 + timedelta(seconds=10)))
    retried: list[int | None] = []
    runner = Runner(
        deliverer=deliverer,
        clock=clock,
        code_jobs={},
        rng=random.Random(7),
        on_retry=retried.append,
    )
    outcome = await runner.execute(channel_task(), T0)
    assert outcome.ok, outcome.errors
    assert len(deliverer.posts) == 1
    assert outcome.attempts == len(outcome.retried) + 1 >= 4
    assert retried == [GUILD]  # told once per run, not once per attempt


async def test_retries_stop_within_the_budget_when_each_attempt_is_slow() -> None:
    """discord.py spends about 25 s retrying a 502 inside one attempt; Cadence must not start
    attempts for minutes, past Discord's nonce window."""
    clock = FakeClock(T0)
    deliverer = RecordingDeliverer()

    def slow_502(delivery: Delivery) -> Exception:
        clock.advance(25)
        return TransientDeliveryError("Discord answered 502", status=502)

    deliverer.faults.append(slow_502)
    policy = RetryPolicy()
    runner = Runner(deliverer=deliverer, clock=clock, code_jobs={}, rng=random.Random(1))
    outcome = await runner.execute(channel_task(), T0)
    assert not outcome.ok and "gave up" in (outcome.error or "")
    starts = [c.attempt for c in deliverer.calls]
    assert starts == list(range(1, len(starts) + 1)) and len(starts) < policy.attempts
    # Every attempt started within the budget of the first one.
    assert (clock.now() - T0).total_seconds() - 25 <= policy.budget


async def test_an_outage_is_one_notice_for_the_guild_not_one_per_task(harness: Harness) -> None:
    assert harness.engine is not None
    names = [f"t{i}" for i in range(6)]
    for name in names:
        await harness.add(name, "date", "2026-11-02T09:00:00Z")
    hopeless = await harness.add("hopeless", "date", "2026-11-02T09:00:00Z", channel_id=999)
    calls: dict[int, int] = {}

    def flaky(delivery: Delivery) -> Exception | None:
        calls[delivery.task_id] = calls.get(delivery.task_id, 0) + 1
        if delivery.task_id == hopeless.id or calls[delivery.task_id] == 1:
            return TransientDeliveryError("Discord answered 503", status=503)
        return None

    harness.deliverer.faults.append(flaky)
    harness.deliverer.delay = 0.05  # real time per attempt: the runs meet the outage together
    await harness.start()
    await harness.tick(seconds=30)
    assert sorted(d.task_id for d in harness.deliverer.posts) == sorted(
        t.id for t in await harness.engine.tasks.list_for_guild(GUILD) if t.name in names
    )
    delayed = [n for n in harness.alerter.sent if n.kind == "delivery_delayed"]
    assert len(delayed) == 1
    [notice] = delayed
    assert notice.guild_id == GUILD and notice.title.startswith("Discord errors delayed 6 post(s)")
    assert all(f"**{name}**" in notice.body for name in names)
    assert "hopeless" not in notice.body
    assert "Discord answered 503" in dict(notice.fields)["Errors"]
    # The run that gave up still has its own failure notice.
    [failed] = [n for n in harness.alerter.sent if n.kind == "task_failed"]
    assert "hopeless" in failed.title
    runs = await harness.engine.runs.list_for_task(hopeless.id)
    assert [r.status for r in runs] == [RunStatus.FAILED]
    assert harness.engine.incidents.open_incidents() == {}


def test_incidents_are_per_guild_and_close_with_their_last_retrying_run() -> None:
    sent: list[Notice] = []
    incidents = DeliveryIncidents(sent.append)
    incidents.retrying(1)
    incidents.retrying(1)
    incidents.retrying(2)
    incidents.finished(1, "waited", retried=[], posted=True, late_ms=5000, attempts=1)
    incidents.finished(1, "on time", retried=[], posted=True, late_ms=100, attempts=1)
    incidents.finished(1, "a", retried=["503"], posted=True, late_ms=9000, attempts=3)
    assert sent == []  # guild 1 still has a run retrying
    incidents.finished(2, "gave up", retried=["503"] * 8, posted=False, late_ms=90_000, attempts=8)
    assert sent == []  # nothing went out late in guild 2: its failure notice says it all
    incidents.finished(1, "b", retried=["502", "503"], posted=True, late_ms=12_000, attempts=3)
    [notice] = sent
    assert notice.guild_id == 1 and notice.kind == "delivery_delayed"
    assert notice.title.startswith("Discord errors delayed 3 post(s)")
    assert notice.body.splitlines()[0].startswith("• **b**: 12.0 s late")
    assert "on time" not in notice.body
    assert dict(notice.fields)["Errors"] == "503 ×2, 502 ×1"
    assert incidents.open_incidents() == {}
    incidents.finished(1, "after", retried=[], posted=True, late_ms=9000, attempts=1)
    assert len(sent) == 1
