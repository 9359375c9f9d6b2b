"""The real wake path: APScheduler's AsyncIOScheduler wakes the engine on the real clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from scheduler.clock import SystemClock
from scheduler.engine import Engine, EngineConfig
from storage import ChannelDestination, Database, NewTask, Payload, TaskKind, Variant
from tests.fakes import RecordingAlerter, RecordingDeliverer
from tests.integration.engine_harness import CHANNEL, GUILD, task_control


class StampingDeliverer(RecordingDeliverer):
    """Also notes when each delivery arrived on the real clock."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: list[datetime] = []

    async def deliver(self, delivery):  # type: ignore[no-untyped-def]
        self.arrived.append(datetime.now(UTC))
        return await super().deliver(delivery)


async def test_apscheduler_wakes_the_engine_at_the_instant(database_target: str) -> None:
    deliverer = StampingDeliverer()
    async with Database.open(database_target) as db:
        engine = Engine(
            db,
            deliverer=deliverer,
            alerter=RecordingAlerter(),
            config=EngineConfig(alert_window_seconds=0),
            clock=SystemClock(),
        )
        control = task_control(engine, db)
        now = datetime.now(UTC).replace(microsecond=0)
        due = now + timedelta(seconds=2)
        await engine.start()
        task = await control.create(
            NewTask(
                name="soon",
                kind=TaskKind.DATE,
                spec=due.strftime("%Y-%m-%dT%H:%M:%SZ"),
                created_at=now,
                guild_id=GUILD,
                timezone="UTC",
                payload=Payload(variants=(Variant(content="now!"),)),
                destinations=(ChannelDestination(channel_id=CHANNEL),),
            )
        )
        assert task.next_run_at == due
        for _ in range(50):
            if deliverer.posts:
                break
            await asyncio.sleep(0.1)
        await engine.drain()
        await engine.stop()
    [post] = deliverer.posts
    assert post.scheduled_for == due
    assert deliverer.arrived[0] >= due  # never early


async def test_an_instant_due_while_a_big_tick_runs_is_not_lost(database_target: str) -> None:
    """3,000 due at T and one at T + 20 ms: the second wake falls due while the first is
    still working. Handing APScheduler a past time then would make it drop its one-shot wake
    job (max_instances=1) and the last task would never run."""
    from storage import CatchUp

    deliverer = StampingDeliverer()
    async with Database.open(database_target) as db:
        engine = Engine(
            db,
            deliverer=deliverer,
            alerter=RecordingAlerter(),
            config=EngineConfig(alert_window_seconds=0),
            clock=SystemClock(),
        )
        now = datetime.now(UTC)
        due = now.replace(microsecond=0) + timedelta(seconds=2)

        def new(name: str, at: datetime) -> NewTask:
            return NewTask(
                name=name,
                kind=TaskKind.DATE,
                spec=at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                created_at=now,
                guild_id=GUILD,
                timezone="UTC",
                catch_up=CatchUp.ONCE,
                payload=Payload(variants=(Variant(content=name),)),
                destinations=(ChannelDestination(channel_id=CHANNEL),),
                next_run_at=at,
            )

        burst = [new(f"burst-{n}", due) for n in range(3000)]
        await engine.tasks.create_many([*burst, new("straggler", due + timedelta(milliseconds=20))])
        await engine.start()
        for _ in range(300):
            if len(deliverer.posts) == 3001:
                break
            await asyncio.sleep(0.1)
        await engine.drain()
        await engine.stop()
    names = {p.task_name for p in deliverer.posts}
    assert len(deliverer.posts) == 3001
    assert "straggler" in names
