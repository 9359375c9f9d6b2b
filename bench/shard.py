"""A full shard in one process: the bot's RSS and time to ready with each member cache.

    .venv/bin/python -m bench.shard [--quick] [--guilds N] [--members N] [--tasks N]
                                    [--modes full,needed] [--json PATH]

fakediscord (in this process) holds ``--guilds`` guilds of ``--members`` members each (one
shard's maximum by default: 2,500 x 200) and SQLite holds ``--tasks`` cron tasks spread over
them (none due for hours). For each ``MEMBER_CACHE`` mode the real bot (`cogs.bot`, the
settings `bot.py` uses, discord.py's default ``guild_ready_timeout`` of 2 s) starts in a
child process, so that its RSS is its own, read from /proc/self/status:

- ``full``: discord.py's defaults, members intent, every member cached, chunking at start-up;
- ``needed``: the members intent, but only the bot's own member cached and no chunking; the
  checks fetch the member they judge and keep it briefly (`discordside/members.py`);
- ``no-intent`` (only with ``--modes``): ``needed`` without the members intent, which
  Cadence does not offer (no member events would arrive), to show what the intent costs.

**Ready** is the later of discord.py's ready (every GUILD_CREATE handled: ``on_ready``) and
Cadence's start-up being over (``bot.started``: engine recovered, missed runs caught up,
waking, "Cadence started" sent), timed from the bot's construction (imports excluded). After
ready the child also times a member check (`MemberLookup.member`) for 200 members: cold (the
first look) and warm (the same members again). Figures: docs/BENCHMARKS.md ("Member cache").
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import cron_tasks, table
from bench.machine import machine

FULL = {"guilds": 2500, "members": 200, "tasks": 50_000}
QUICK = {"guilds": 100, "members": 50, "tasks": 2_000}
MODES = ("full", "needed")
#: Not a setting: ``needed`` without the members intent, measured to show what keeping the
#: intent costs (Discord then sends no member events; see docs/SCALING.md "Member cache").
WHAT_IF = "no-intent"
RESULT_PREFIX = "RESULT "
PROBES = 200


@dataclass(frozen=True)
class Shard:
    """What the parent built: the emulator's address, the database, where notices go, and a
    sample of (guild id, member id) pairs for the member check."""

    api_base: str
    token: str
    db: str
    dev_channel: int
    probes: list[tuple[int, int]]


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.shard",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="100 guilds x 50 members, 2,000 tasks")
    parser.add_argument("--guilds", type=int)
    parser.add_argument("--members", type=int, help="members per guild (owner and bot included)")
    parser.add_argument("--tasks", type=int)
    parser.add_argument(
        "--modes",
        default=",".join(MODES),
        help=f"MEMBER_CACHE modes to run, and {WHAT_IF} (needed without the members intent)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _sizes(args: argparse.Namespace) -> dict[str, int]:
    sizes = dict(QUICK if args.quick else FULL)
    for key in sizes:
        if getattr(args, key) is not None:
            sizes[key] = getattr(args, key)
    return sizes


# ----------------------------------------------------------------------------- the child


def _status_mb() -> dict[str, float]:
    """VmRSS and VmHWM (peak RSS) of this process, in MB."""
    found: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return found


async def _child(mode: str, shard: Shard) -> dict[str, Any]:
    """Start the bot in ``mode``, wait until ready, take the figures, stop it."""
    import discord

    from bench.common import quiet_logging
    from cogs.bot import build_bot
    from cogs.running import running
    from config import load_settings
    from storage import Database

    quiet_logging()
    if mode == WHAT_IF:
        import cogs.bot

        cogs.bot.gateway_member_options = _without_members_intent
    environ = {
        "DISCORD_TOKEN": shard.token,
        "DEV_CHANNEL_ID": str(shard.dev_channel),
        "MEMBER_CACHE": "needed" if mode == WHAT_IF else mode,
        "MAX_TASKS_PER_GUILD": "1000",
    }
    gc.collect()
    before = _status_mb()
    started = time.perf_counter()
    database = await Database.open(shard.db)
    bot = build_bot(load_settings(environ, env_file=None), database, ready_timeout=3600)
    gateway_ready = asyncio.get_running_loop().create_future()

    async def on_ready() -> None:
        if not gateway_ready.done():
            gateway_ready.set_result(time.perf_counter() - started)

    bot.add_listener(on_ready)
    try:
        async with running(bot, shard.token, api_base=shard.api_base, reconnect=False):
            await bot.started.wait()
            cadence_ready = time.perf_counter() - started
            discord_ready = await gateway_ready
            after = _status_mb()
            cached = sum(len(guild.members) for guild in bot.guilds)
            cold, warm = await _member_checks(bot, shard.probes, discord)
    finally:
        await database.close()
    return {
        "mode": mode,
        "guilds": len(bot.guilds),
        "cached_members": cached,
        "discord_ready_s": discord_ready,
        "ready_s": max(discord_ready, cadence_ready),
        "rss_mb": after["VmRSS"],
        "hwm_mb": after["VmHWM"],
        "rss_before_mb": before["VmRSS"],
        "check_cold_ms": cold,
        "check_warm_ms": warm,
        "fetches": bot.member_lookup.fetches,
    }


def _without_members_intent(mode: str) -> dict[str, Any]:
    import discord

    return {
        "intents": discord.Intents.default(),
        "member_cache_flags": discord.MemberCacheFlags.none(),
        "chunk_guilds_at_startup": False,
    }


async def _member_checks(
    bot: Any, probes: list[tuple[int, int]], discord: Any
) -> tuple[float, float]:
    """Mean ms of a member check, first look then again (what a post's mention check or an
    API request pays); every probe must find its member."""
    timings: list[float] = []
    for _ in range(2):
        begun = time.perf_counter()
        for guild_id, user_id in probes:
            guild = bot.get_guild(guild_id)
            member = await bot.member_lookup.member(guild, user_id)
            if not isinstance(member, discord.Member):
                raise RuntimeError(f"member {user_id} of guild {guild_id} not found")
        timings.append((time.perf_counter() - begun) * 1000 / max(1, len(probes)))
    return timings[0], timings[1]


def _child_main(args: argparse.Namespace) -> None:
    shard = Shard(**json.loads(sys.stdin.read()))
    result = asyncio.run(_child(args.child, shard))
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")


# ----------------------------------------------------------------------------- the parent


def build_world(guilds: int, members: int) -> tuple[Any, list[tuple[Any, Any]]]:
    """A world of ``guilds`` guilds (owner, bot and ``members - 2`` more, a #general each)
    and the (guild, #general) pairs."""
    from fakediscord import World

    world = World()
    places = []
    for number in range(guilds):
        guild = world.add_guild(f"guild-{number}")
        places.append((guild, guild.add_channel("general")))
        for member in range(max(0, members - 2)):
            guild.add_member(f"m{number}-{member}")
    return world, places


async def seed(db_path: Path, tasks: int, places: list[tuple[Any, Any]]) -> None:
    """``tasks`` cron tasks dealt over the guilds, none due for hours."""
    from storage import Database, TaskRepository

    per_guild, extra = divmod(tasks, len(places))
    async with Database.open(db_path) as db:
        repository = TaskRepository(db)
        batch = []
        for index, (guild, channel) in enumerate(places):
            count = per_guild + (1 if index < extra else 0)
            batch += cron_tasks(count, guild.id, channel.id, prefix=f"g{index}")
            if len(batch) >= 10_000:
                await repository.create_many(batch)
                batch = []
        if batch:
            await repository.create_many(batch)


async def run_child(mode: str, shard: Shard) -> dict[str, Any]:
    """One bot in a fresh interpreter while this process serves fakediscord."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.shard",
        "--child",
        mode,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate(json.dumps(shard.__dict__).encode())
    if process.returncode != 0:
        raise RuntimeError(f"{mode} child failed ({process.returncode}):\n{err.decode()}")
    for line in reversed(out.decode().splitlines()):
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            return result
    raise RuntimeError(f"{mode} child printed no result:\n{out.decode()}\n{err.decode()}")


async def run(args: argparse.Namespace, folder: Path) -> list[dict[str, Any]]:
    from fakediscord import FakeDiscord
    from fakediscord.settings import EmulatorSettings

    sizes = _sizes(args)
    begun = time.perf_counter()
    world, places = build_world(sizes["guilds"], sizes["members"])
    built = time.perf_counter() - begun
    db_path = folder / "shard.sqlite3"
    begun = time.perf_counter()
    await seed(db_path, sizes["tasks"], places)
    print(
        f"world: {sizes['guilds']:,} guilds x {sizes['members']} members built in {built:.1f} s; "
        f"{sizes['tasks']:,} tasks seeded in {time.perf_counter() - begun:.1f} s",
        flush=True,
    )
    step = max(1, len(places) // PROBES)
    probes = [(guild.id, list(guild.members)[-1]) for guild, _ in places[::step]][:PROBES]
    # The replay buffer only serves RESUMEs (none here); a short one spares this process
    # from keeping every GUILD_CREATE.
    emulator = EmulatorSettings(resume_buffer=100)
    results = []
    async with FakeDiscord(world, settings=emulator) as fd:
        shard = Shard(fd.url, fd.token, str(db_path), places[0][1].id, probes)
        for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
            result = await run_child(mode, shard)
            result.update(sizes)
            results.append(result)
            print(_line(result), flush=True)
    return results


def _line(result: dict[str, Any]) -> str:
    return (
        f"  {result['mode']}: ready in {result['ready_s']:.1f} s (discord.py "
        f"{result['discord_ready_s']:.1f} s), RSS {result['rss_mb']:.0f} MB, peak "
        f"{result['hwm_mb']:.0f} MB, {result['cached_members']:,} members cached, member check "
        f"{result['check_cold_ms']:.2f} ms cold / {result['check_warm_ms']:.3f} ms warm "
        f"({result['fetches']} fetches)"
    )


def _label(mode: str) -> str:
    if mode == WHAT_IF:
        return "needed without the members intent (not offered)"
    return f"MEMBER_CACHE={mode}"


def summary(results: list[dict[str, Any]]) -> str:
    """The Markdown table for docs/BENCHMARKS.md."""
    head = (
        "config", "guilds", "members", "tasks", "RSS MB", "VmHWM MB", "ready s",
        "discord.py ready s", "members cached", "check cold ms", "check warm ms",
    )  # fmt: skip
    rows = [
        (
            _label(r["mode"]),
            f"{r['guilds']:,}",
            f"{r['guilds'] * r['members']:,}",
            f"{r['tasks']:,}",
            f"{r['rss_mb']:.0f}",
            f"{r['hwm_mb']:.0f}",
            f"{r['ready_s']:.1f}",
            f"{r['discord_ready_s']:.1f}",
            f"{r['cached_members']:,}",
            f"{r['check_cold_ms']:.2f}",
            f"{r['check_warm_ms']:.3f}",
        )
        for r in results
    ]
    text = table(head, rows)
    by_mode = {r["mode"]: r for r in results}
    if {"full", "needed"} <= set(by_mode):
        full, needed = by_mode["full"], by_mode["needed"]
        text += (
            f"\nfull/needed: RSS {full['rss_mb'] / needed['rss_mb']:.2f}x, peak "
            f"{full['hwm_mb'] / needed['hwm_mb']:.2f}x, ready "
            f"{full['ready_s'] / needed['ready_s']:.2f}x"
        )
    return text


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.child:
        _child_main(args)
        return 0
    print("command: " + shlex.join([".venv/bin/python", "-m", "bench.shard", *sys.argv[1:]]))
    for key, value in machine().items():
        print(f"{key}: {value}")
    with tempfile.TemporaryDirectory(prefix="cadence-shard-") as scratch:
        results = asyncio.run(run(args, Path(scratch)))
    print("\n" + summary(results))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "results": results}, indent=1))
    wanted = _sizes(args)["guilds"]
    short = [r["mode"] for r in results if r["guilds"] != wanted]
    if short:
        print(f"not every guild was ready in: {', '.join(short)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
