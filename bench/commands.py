"""Slash-command latency with many tasks stored, the real bot end to end.

    .venv/bin/python -m bench.commands [--quick] [--tasks N] [--repeat 50]

N tasks stored (100k; ``--quick`` 10k): 200 cron tasks in the commanding guild, the rest
(the restore bench's mix, about 1,000 guilds) elsewhere, none due while measuring. The real
CadenceBot runs in this process against fakediscord. An admin runs ``/schedule cron`` (each
creating a new task) and then ``/schedule list``, ``--repeat`` times each, one at a time,
after three unmeasured warm-up runs of each. Latency = when the emulator received the
interaction's first callback (``Callback.at``) − when it dispatched the interaction
(``Interaction.created_at``), both on the emulator's clock: the gateway hop, the bot's work
and the callback's HTTP request.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.botside import commanding_bot
from bench.common import (
    EXIT_LOST,
    database_target,
    header,
    lateness_ms,
    quiet_background,
    quiet_logging,
    table,
)
from fakediscord.interactions import Interaction

MODULE = "bench.commands"
FULL_TASKS, QUICK_TASKS = 100_000, 10_000
IN_GUILD = 200
WARM_UP = 3


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"python -m {MODULE}",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="10k tasks stored")
    parser.add_argument("--tasks", type=int, help="tasks stored in all")
    parser.add_argument("--repeat", type=int, default=50, help="measured runs per command")
    parser.add_argument(
        "--postgres", metavar="URL", help="store the tasks in a scratch PostgreSQL database"
    )
    return parser.parse_args(argv)


async def _timed(
    send: Callable[[int], Awaitable[Interaction]], count: int, start: int
) -> tuple[list[float], int]:
    """Latencies in seconds of ``count`` runs, one at a time; and how many were refused."""
    latencies, refused = [], 0
    for number in range(start, start + count):
        handle = await send(number)
        callback = await handle.response(timeout=10)
        latencies.append(callback.at - handle.created_at)
        await handle.wait_done(timeout=10)
        embeds = (callback.data or {}).get("embeds") or [{}]
        refused += embeds[0].get("title") == "That didn't work"
    return latencies, refused


async def measure(size: int, repeat: int, path: str) -> dict[str, Any]:
    seeded = await quiet_background(path, max(0, size - IN_GUILD))
    room = repeat + WARM_UP + 10
    async with commanding_bot(path, "Commands", IN_GUILD, room=room) as (fd, bot, scene):
        guild, admin, general = scene.guild, scene.admin, scene.general
        stored = sum((await bot.engine.tasks.counts_by_status()).values())

        def cron(number: int) -> Awaitable[Interaction]:
            options: dict[str, Any] = {"cron": "0 9 * * 1-5", "channel": general, "message": "Hi"}
            return fd.slash(guild, admin, "schedule cron", name=f"bench-{number:03d}", **options)

        def listing(number: int) -> Awaitable[Interaction]:
            return fd.slash(guild, admin, "schedule list")

        results: dict[str, Any] = {"stored": stored, "seeded_s": seeded.seconds}
        for name, send in (("/schedule cron", cron), ("/schedule list", listing)):
            await _timed(send, WARM_UP, 0)
            latencies, refused = await _timed(send, repeat, WARM_UP)
            results[name] = {"latency": latencies, "refused": refused}
        results["in_guild"] = await bot.engine.tasks.count_for_guild(guild.id)
    return results


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    size = args.tasks if args.tasks is not None else QUICK_TASKS if args.quick else FULL_TASKS
    header(MODULE, f"slash-command latency with {size:,} tasks stored ({IN_GUILD} in the guild)")
    quiet_logging()
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="cadence-commands-") as scratch,
        database_target(Path(scratch), "commands.sqlite3", args.postgres) as target,
    ):
        result = asyncio.run(measure(size, args.repeat, target))
    rows = []
    refused = 0
    for name in ("/schedule cron", "/schedule list"):
        late = lateness_ms(result[name]["latency"])
        refused += result[name]["refused"]
        rows.append([name, len(result[name]["latency"]), result[name]["refused"],
                     f"{late['p50']:.1f}", f"{late['p99']:.1f}", f"{late['max']:.1f}"])  # fmt: skip
    print(
        f"\n{result['stored']:,} tasks stored (seeded in {result['seeded_s']:.1f} s); the "
        f"commanding guild ended with {result['in_guild']} tasks"
    )
    print(table(["command", "runs", "refused", "p50 ms", "p99 ms", "max ms"], rows))
    print("latency = first callback received − interaction dispatched (emulator's clock)")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return EXIT_LOST if refused else 0


if __name__ == "__main__":
    sys.exit(main())
