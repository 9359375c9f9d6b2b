"""Three Cadence bots of one token (three "processes" in one test process, each with its own
database pool) on one PostgreSQL and one fakediscord with Discord's limits on:

* they identify their shards (0, 1, 2 of 3) one per 5 s across processes, never refused;
* each caches only its shard's guilds, and all three show in the process table;
* bursting together they share Discord's 50 requests/s: never more than 50 accepted in any
  second and no storm of global 429s, where the same burst with each process on a full 50
  draws one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from itertools import pairwise

import discord

from cogs.bot import CadenceBot, ShardedCadenceBot, build_bot
from cogs.running import running
from config import load_settings
from fakediscord import FakeDiscord
from fakediscord.world import Channel, Guild, World
from scheduler.process_group import share_of
from storage import Database
from tests.commands.harness import final_answer, text_of
from tests.postgres_server import fresh_database

PROCESSES = 3
CHANNELS_PER_GUILD = 20
PER_CHANNEL = 5  # Discord's 5 message creates per channel per 5 s: no channel-scoped 429s


@dataclass
class Fleet:
    fd: FakeDiscord
    guilds: list[Guild]
    bots: list[CadenceBot]


@contextlib.asynccontextmanager
async def fleet() -> AsyncIterator[Fleet]:
    """Three bots, started together, on shards 0, 1 and 2 of 3; stopped in reverse order."""
    world = World()
    guilds = [world.add_guild(f"shard-{n}", shard=(n, PROCESSES)) for n in range(PROCESSES)]
    for guild in guilds:
        for index in range(2 * CHANNELS_PER_GUILD):
            guild.add_channel(f"c{index}")
    async with fresh_database() as url, FakeDiscord(world) as fd:
        fd.settings.rate_limits = True
        fd.settings.identify_limits = True
        fd.settings.max_concurrency = 1
        databases = [await Database.open(url, pool_size=3) for _ in range(PROCESSES)]
        bots = [
            build_bot(
                load_settings(
                    {
                        "DISCORD_TOKEN": fd.token,
                        "DATABASE_URL": url,
                        "SHARD_COUNT": str(PROCESSES),
                        "SHARD_IDS": str(n),
                    },
                    env_file=None,
                ),
                databases[n],
                extensions=["cogs.scheduler_admin"],
                guild_ready_timeout=0.05,
            )
            for n in range(PROCESSES)
        ]
        ready = [asyncio.Event() for _ in bots]
        stop = [asyncio.Event() for _ in bots]

        async def live(n: int) -> None:
            async with running(bots[n], fd.token, api_base=fd.url, ready_timeout=40):
                ready[n].set()
                await stop[n].wait()

        tasks = [asyncio.create_task(live(n)) for n in range(PROCESSES)]
        try:
            waiting = [asyncio.create_task(event.wait()) for event in ready]
            await asyncio.wait([*waiting, *tasks], timeout=45, return_when=asyncio.FIRST_EXCEPTION)
            for task in tasks:
                if task.done():
                    task.result()
            assert all(event.is_set() for event in ready), "the bots did not all become ready"
            yield Fleet(fd, guilds, bots)
        finally:
            for n in reversed(range(PROCESSES)):
                stop[n].set()
                await asyncio.gather(tasks[n], return_exceptions=True)
            for database in databases:
                await database.close()


async def _shares_settled(bots: list[CadenceBot], within: float = 15) -> None:
    """Until every bot sees all three and holds its share: 50 // 3, one more for the first
    50 % 3 by process id (17, 17, 16), the whole 50 together."""

    def shares() -> list[int] | None:
        held = []
        for bot in sorted(bots, key=lambda b: b.process_group.process_id):  # type: ignore[union-attr]
            membership = bot.process_group and bot.process_group.membership
            if not membership or len(membership.live) != PROCESSES:
                return None
            held.append(membership.share)
        return held

    async def settled() -> None:
        while shares() != [share_of(PROCESSES, rank=r) for r in range(PROCESSES)]:  # noqa: ASYNC110 (the groups' state changes at their own heartbeats)
            await asyncio.sleep(0.1)

    await asyncio.wait_for(settled(), within)


async def _burst(bots: list[CadenceBot], guilds: list[Guild], channels: slice) -> int:
    """Each bot posts PER_CHANNEL messages to each of its guild's channels, all at once;
    returns how many posts failed (discord.py gives up after five 429s in a row)."""

    async def post(bot: CadenceBot, channel: Channel, n: int) -> None:
        route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel.id)
        await bot.http.request(route, json={"content": f"{channel.name} #{n}"})

    results = await asyncio.gather(
        *(
            post(bot, channel, n)
            for bot, guild in zip(bots, guilds, strict=True)
            for channel in list(guild.channels.values())[channels]
            for n in range(PER_CHANNEL)
        ),
        return_exceptions=True,
    )
    return sum(isinstance(result, discord.HTTPException) for result in results)


async def test_three_processes_share_one_gateway_and_one_rate_budget() -> None:
    async with fleet() as group:
        fd, bots, guilds = group.fd, group.bots, group.guilds
        assert all(isinstance(bot, ShardedCadenceBot) for bot in bots)
        # Identify: one per 5 s for the whole token (max_concurrency 1), none refused.
        times = [at for at, _ in fd.identify_limiter.admitted]
        assert len(times) == PROCESSES and fd.identify_limiter.refused == 0
        assert all(later - earlier >= 5.0 for earlier, later in pairwise(sorted(times)))
        # Each process hears its own shard's guild only.
        for bot, guild in zip(bots, guilds, strict=True):
            assert [g.id for g in bot.guilds] == [guild.id]
        await _shares_settled(bots)
        rows = bots[0].process_group.membership.live  # type: ignore[union-attr]
        assert sorted(row.shard_ids for row in rows) == [(0,), (1,), (2,)]
        # /scheduler status in shard 1's guild: answered by process 1, listing all three.
        handle = await fd.slash(guilds[1], guilds[1].owner_id, "scheduler status")
        text = text_of(await final_answer(handle))
        assert "Processes (3 live)" in text
        lines = [line for line in text.splitlines() if "shards" in line or "shard " in line]
        answered = [line for line in lines if "answered this" in line]
        assert len(answered) == 1 and "shards 1 of 3" in answered[0], text

        fd.rate_limiter.reset()
        first_half = slice(0, CHANNELS_PER_GUILD)
        assert await asyncio.wait_for(_burst(bots, guilds, first_half), 60) == 0
        posted = PROCESSES * CHANNELS_PER_GUILD * PER_CHANNEL
        burst_channels = [c for g in guilds for c in list(g.channels.values())[first_half]]
        assert sum(len(fd.store.in_channel(c.id)) for c in burst_channels) == posted
        shared_peak, shared_global = fd.rate_limiter.peak(1.0), fd.rate_limiter.limited_global
        assert shared_peak <= 50
        # Each place is held until a window after the answer, so even a busy event loop (the
        # emulator and all three bots share one here) cannot overfill a second: 0 in our runs;
        # 2 are tolerated for clock granularity, where the unshared control draws hundreds.
        assert shared_global <= 2, f"{shared_global} global 429s with the budget shared"

        # The control: each process on the whole 50 again draws a storm of global 429s.
        for bot in bots:
            bot.pacer.set_limit(50)
        fd.rate_limiter.reset()
        second_half = slice(CHANNELS_PER_GUILD, 2 * CHANNELS_PER_GUILD)
        failed = await asyncio.wait_for(_burst(bots, guilds, second_half), 120)
        assert fd.rate_limiter.peak(1.0) <= 50  # Discord refuses the excess...
        assert fd.rate_limiter.limited_global >= 100  # ...with a storm of global 429s
        print(
            f"shared: peak {shared_peak}/s, {shared_global} global 429s; unshared: peak "
            f"{fd.rate_limiter.peak(1.0)}/s, {fd.rate_limiter.limited_global} global 429s, "
            f"{failed} posts given up"
        )

        # A clean stop removes the process's row; the others see two live processes.
        assert bots[2].process_group is not None
        await bots[2].process_group.stop()
        await bots[0].process_group.beat()  # type: ignore[union-attr]
        live = bots[0].process_group.membership.live  # type: ignore[union-attr]
        assert len(live) == PROCESSES - 1
