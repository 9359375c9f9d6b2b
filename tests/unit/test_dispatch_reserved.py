"""FairDispatcher's workers reserved for keys with nothing running (a regression test: one
guild's posts waiting out a rate limit held every worker, and another guild's post waited for
one to come free; tests/e2e/test_fairness.py shows it through the real process)."""

from __future__ import annotations

import asyncio

from scheduler.dispatch import FairDispatcher


class Blocking:
    """A handler whose items of `stuck` keys wait until released; records what started."""

    def __init__(self, stuck: set[str]) -> None:
        self.stuck = stuck
        self.started: list[str] = []
        self.release = asyncio.Event()
        self.running = 0
        self.peak = 0

    async def __call__(self, item: str) -> None:
        self.started.append(item)
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            if item.split("-")[0] in self.stuck:
                await self.release.wait()
        finally:
            self.running -= 1


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_key_with_nothing_running_starts_while_another_key_holds_every_worker() -> None:
    handler = Blocking(stuck={"busy"})
    dispatcher: FairDispatcher[str] = FairDispatcher(handler, concurrency=3, reserved_for_idle=2)
    dispatcher.start()
    for n in range(10):
        dispatcher.submit("busy", f"busy-{n}")
    await settle()
    assert handler.started == ["busy-0", "busy-1", "busy-2"]  # the shared pool is full

    dispatcher.submit("lone", "lone-0")
    await settle()

    assert "lone-0" in handler.started  # it did not wait for a busy item to finish
    assert handler.running == 3  # and the busy key did not get the reserved worker
    handler.release.set()
    await dispatcher.join()
    await dispatcher.stop()
    assert len(handler.started) == 11


async def test_without_reserved_workers_the_pool_is_a_hard_bound() -> None:
    handler = Blocking(stuck={"busy"})
    dispatcher: FairDispatcher[str] = FairDispatcher(handler, concurrency=3)
    dispatcher.start()
    for n in range(10):
        dispatcher.submit("busy", f"busy-{n}")
    await settle()
    dispatcher.submit("lone", "lone-0")
    await settle()
    assert "lone-0" not in handler.started
    handler.release.set()
    await dispatcher.join()
    await dispatcher.stop()
    # Only once a worker came free, and then in turn: the busy key had the first turn.
    assert handler.started.index("lone-0") == 4


async def test_reserved_workers_take_one_item_per_idle_key_and_no_more() -> None:
    handler = Blocking(stuck={"busy", "slow", "other", "more"})
    dispatcher: FairDispatcher[str] = FairDispatcher(handler, concurrency=3, reserved_for_idle=2)
    dispatcher.start()
    for n in range(5):
        dispatcher.submit("busy", f"busy-{n}")
    await settle()
    dispatcher.submit("slow", "slow-0")
    dispatcher.submit("slow", "slow-1")
    await settle()
    assert handler.started[-1] == "slow-0"
    assert "slow-1" not in handler.started  # "slow" has one running: no second reserved worker
    dispatcher.submit("other", "other-0")
    dispatcher.submit("more", "more-0")
    await settle()
    assert "other-0" in handler.started  # the last reserved worker
    assert "more-0" not in handler.started  # every worker is taken now
    assert handler.peak == 5

    handler.release.set()
    await dispatcher.join()
    await dispatcher.stop()
    assert sorted(handler.started) == sorted(
        [*(f"busy-{n}" for n in range(5)), "slow-0", "slow-1", "other-0", "more-0"]
    )
    assert handler.peak == 5  # never more than concurrency + reserved_for_idle


async def test_a_raising_item_frees_its_reserved_worker() -> None:
    started: list[str] = []
    gate = asyncio.Event()

    async def handle(item: str) -> None:
        started.append(item)
        if item.startswith("busy"):
            await gate.wait()
        elif item == "lone-0":
            raise RuntimeError("boom")

    dispatcher: FairDispatcher[str] = FairDispatcher(handle, concurrency=1, reserved_for_idle=1)
    dispatcher.start()
    dispatcher.submit("busy", "busy-0")
    dispatcher.submit("busy", "busy-1")
    await settle()
    dispatcher.submit("lone", "lone-0")
    dispatcher.submit("lone", "lone-1")
    await settle()
    assert started == ["busy-0", "lone-0", "lone-1"]
    gate.set()
    await dispatcher.join()
    await dispatcher.stop()
    assert started[-1] == "busy-1"
