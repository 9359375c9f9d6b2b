"""Fairness benchmark: one guild's burst against another guild's single task; and the
JobSummary of a guild with 500 tasks.

    .venv/bin/python -m bench.fairness [--quick] [--burst 500] [--burst-channels 5]

(1) Guild A has ``--burst`` one-time tasks (500) in ``--burst-channels`` channels (5), all due
at the same second; guild B has one task due at that second too, created last (the highest
task id, so the index hands it out after A's). The real CadenceBot runs in this process
against fakediscord, with Discord's rate limits on and then off. Printed: B's post's position
among the posts the emulator accepted, its lateness (emulator receive time − scheduled
second), and how many of A's posts had gone out by then. The run stops once B has posted.

(2) A JobSummary of a guild with 500 tasks (cron, interval and date over 40 zones), as the
overview and ``/scheduler`` build it: ``list_for_guild`` + ``summarize`` (each task described
in its zone) + ``pages()``; the median of 5 builds, the pages and their characters.
``--quick`` changes nothing here: the run stops as soon as B has posted.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.botside import accepted_creates, expected_nonces, running_bot, wait_for_nonces
from bench.common import QUIET_LEAD, date_tasks, header, quiet_logging, table
from bench.measure import NullAlerter, NullDeliverer
from bench.seed import INTERVALS, ZONES, cron_expressions
from fakediscord import World
from fakediscord.settings import EmulatorSettings
from scheduler.api import summarize
from scheduler.engine import Engine
from scheduler.triggers import date_spec, schedule_from_spec
from storage import (
    ChannelDestination,
    Database,
    NewTask,
    Payload,
    TaskKind,
    TaskRepository,
    Variant,
)

MODULE = "bench.fairness"
LEAD = 6.0
SUMMARY_GUILD = 10**16
SUMMARY_TASKS = 500
BUILDS = 5


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"python -m {MODULE}",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="the same (it stops early)")
    parser.add_argument("--burst", type=int, default=500, help="guild A's tasks due at once")
    parser.add_argument("--burst-channels", type=int, default=5, help="guild A's channels")
    return parser.parse_args(argv)


async def single_against_burst(
    burst: int, channels: int, rate_limits: bool, folder: Path
) -> dict[str, Any]:
    world = World()
    noisy = world.add_guild("Busy", owner="busy-owner")
    busy = [noisy.add_channel(f"busy-{n}").id for n in range(channels)]
    quiet = world.add_guild("Quiet", owner="quiet-owner")
    alone = quiet.add_channel("general").id
    dev = world.add_guild("Ops", owner="ops").add_channel("dev").id
    path = folder / f"fairness-{int(rate_limits)}.sqlite3"
    due = math.ceil(time.time() + LEAD)
    async with Database.open(path) as db:
        tasks = TaskRepository(db)
        await tasks.create_many(
            date_tasks([due] * burst, [noisy.id], lambda i: busy[i % channels], prefix="busy")
        )
        await tasks.create_many(date_tasks([due], [quiet.id], lambda i: alone, prefix="single"))
    instant = datetime.fromtimestamp(due, UTC)
    emulator = EmulatorSettings(rate_limits=rate_limits)
    async with running_bot(world, path, dev_channel_id=dev, emulator=emulator) as (fd, bot):
        spare = due - time.time()
        [single] = await bot.engine.tasks.list_for_guild(quiet.id)
        mine = expected_nonces([(single.id, instant)])
        burst_tasks = await bot.engine.tasks.list_for_guild(noisy.id)
        theirs = expected_nonces((t.id, instant) for t in burst_tasks)
        await wait_for_nonces(fd, mine, within=due - time.time() + 60)
        order = [
            r for r in accepted_creates(fd)
            if isinstance(r.json, dict) and r.json.get("nonce") in mine | theirs
        ]  # fmt: skip
        position = next(
            (n for n, r in enumerate(order, start=1) if r.json.get("nonce") in mine), None
        )
    if position is None:
        return {"posted": False, "spare_s": spare, "rate_limits": rate_limits}
    return {
        "posted": True,
        "rate_limits": rate_limits,
        "position": position,
        "late_s": order[position - 1].time - due,
        "burst_before": position - 1,
        "spare_s": spare,
    }


def summary_tasks(count: int, guild_id: int) -> list[NewTask]:
    """A guild's mix: 60% cron, 20% interval, 20% date, zones cycling over the seed's."""
    created = datetime.now(UTC)
    quiet = created + QUIET_LEAD
    crons = cron_expressions()
    tasks = []
    for n in range(count):
        zone = ZONES[n % len(ZONES)][0]
        kind, spec, start = TaskKind.CRON, crons[n % len(crons)], None
        if n % 5 == 3:
            kind, spec, start = TaskKind.INTERVAL, INTERVALS[n % len(INTERVALS)][0], quiet
        elif n % 5 == 4:
            kind, spec = TaskKind.DATE, date_spec(quiet + timedelta(hours=n))
        schedule = schedule_from_spec(str(kind), spec, zone, anchor=start or created, start=start)
        tasks.append(
            NewTask(
                name=f"summary task {n:03d}", kind=kind, spec=spec, created_at=created,
                guild_id=guild_id, created_by=1, timezone=zone, start_at=start,
                payload=Payload(variants=(Variant(content=f"task {n}"),)),
                destinations=(ChannelDestination(channel_id=guild_id + 1 + n % 7),),
                next_run_at=schedule.next_fire(None, quiet),
            )
        )  # fmt: skip
    return tasks


async def summary_figures(folder: Path) -> dict[str, Any]:
    path = folder / "summary.sqlite3"
    async with Database.open(path) as db:
        await TaskRepository(db).create_many(summary_tasks(SUMMARY_TASKS, SUMMARY_GUILD))
        engine = Engine(db, deliverer=NullDeliverer(), alerter=NullAlerter())
        listed, built, paged = [], [], []
        for _ in range(BUILDS):
            engine.zones.forget(SUMMARY_GUILD)
            t0 = time.perf_counter()
            tasks = await engine.tasks.list_for_guild(SUMMARY_GUILD)
            t1 = time.perf_counter()
            summary = await summarize(
                tasks, zones=engine.zones, now=engine.clock.now(), title="Scheduled tasks"
            )
            t2 = time.perf_counter()
            pages = summary.pages()
            t3 = time.perf_counter()
            listed.append(t1 - t0)
            built.append(t2 - t1)
            paged.append(t3 - t2)
    chars = [page.char_count() for page in pages]
    return {
        "tasks": summary.total,
        "list_ms": statistics.median(listed) * 1000,
        "build_ms": statistics.median(built) * 1000,
        "pages_ms": statistics.median(paged) * 1000,
        "pages": len(pages),
        "embeds_max": max(len(page.embeds) for page in pages),
        "chars_max": max(chars),
        "chars_total": sum(chars),
    }


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    header(MODULE, f"one guild's {args.burst} tasks due at once against another's single task")
    quiet_logging()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cadence-fairness-") as scratch:
        folder = Path(scratch)
        runs = [
            asyncio.run(single_against_burst(args.burst, args.burst_channels, limits, folder))
            for limits in (True, False)
        ]
        summary = asyncio.run(summary_figures(folder))
    rows = [
        [
            "on" if r["rate_limits"] else "off",
            f"{r['position']} of {args.burst + 1}" if r["posted"] else "not posted",
            f"{r['late_s'] * 1000:,.0f}" if r["posted"] else "—",
            r.get("burst_before", "—"),
            f"{r['spare_s']:.2f}",
        ]
        for r in runs
    ]
    print(
        f"\nGuild A: {args.burst} tasks in {args.burst_channels} channels; guild B: 1 task; "
        "all due the same second"
    )
    print(table(["rate limits", "B's position", "B late ms", "A's posts before B",
                 "spare before due s"], rows))  # fmt: skip
    s = summary
    print(f"\nJobSummary of a guild with {s['tasks']} tasks (median of {BUILDS} builds)")
    print(
        table(
            ["list_for_guild ms", "summarize ms", "pages() ms", "pages", "most embeds/page",
             "most chars/page", "chars in all"],
            [[f"{s['list_ms']:.1f}", f"{s['build_ms']:.1f}", f"{s['pages_ms']:.1f}", s["pages"],
              s["embeds_max"], f"{s['chars_max']:,}", f"{s['chars_total']:,}"]],
        )
    )  # fmt: skip
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0 if all(r["posted"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
