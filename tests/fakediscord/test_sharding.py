"""The sharded gateway: /gateway/bot's figures, shard pairs, routing by
``(guild_id >> 22) % shard_count``, identify concurrency and the session start limit, and
several bot processes (several connections of one token) sharing one world."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest

from cogs.running import running
from fakediscord import FakeDiscord
from fakediscord.world import Guild

from .harness import Scene, StartBot, wait_until


async def _gateway_bot(fd: FakeDiscord) -> dict[str, Any]:
    headers = {"Authorization": f"Bot {fd.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fd.url}/api/v10/gateway/bot", headers=headers) as answer,
    ):
        assert answer.status == 200
        return dict(await answer.json())


class RawShard:
    """One gateway socket driven by hand, to see exactly what the gateway answers."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def identify(self, token: str, shard: Any) -> dict[str, Any] | None:
        """Send IDENTIFY; the first answer (None when the socket was closed instead)."""
        payload: dict[str, Any] = {"token": token, "intents": 1}
        if shard is not None:
            payload["shard"] = shard
        await self.ws.send_str(json.dumps({"op": 2, "d": payload}))
        message = await self.ws.receive(timeout=5)
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            return None
        return dict(json.loads(message.data))

    async def dispatches(self, count: int) -> list[dict[str, Any]]:
        return [json.loads((await self.ws.receive(timeout=5)).data) for _ in range(count)]


@pytest.fixture
async def raw_shard(fd: FakeDiscord) -> AsyncIterator[Any]:
    async with aiohttp.ClientSession() as session:

        async def connect() -> RawShard:
            ws = await session.ws_connect(fd.ws_url + "?v=10")
            hello = json.loads((await ws.receive()).data)
            assert hello["op"] == 10
            return RawShard(ws)

        yield connect


async def test_gateway_bot_reports_shards_and_the_live_session_start_limit(
    fd: FakeDiscord, raw_shard: Any
) -> None:
    fd.settings.recommended_shards = 4
    fd.settings.max_concurrency = 16
    fd.settings.session_start_total = 1000
    before = await _gateway_bot(fd)
    assert before["shards"] == 4
    assert before["url"].startswith("ws://127.0.0.1:")
    limit = before["session_start_limit"]
    assert (limit["total"], limit["remaining"], limit["max_concurrency"]) == (1000, 1000, 16)
    assert 0 < limit["reset_after"] <= 86_400_000
    ready = await (await raw_shard()).identify(fd.token, [0, 4])
    assert ready is not None and ready["t"] == "READY" and ready["d"]["shard"] == [0, 4]
    after = await _gateway_bot(fd)
    assert after["session_start_limit"]["remaining"] == 999


@pytest.mark.parametrize(
    "shard",
    [[2, 2], [-1, 2], [0, 0], [1], ["a", 2], "0,2"],
    ids=["id-equals-count", "negative", "zero-count", "one-number", "not-a-number", "string"],
)
async def test_an_invalid_shard_pair_closes_with_4010(
    fd: FakeDiscord, raw_shard: Any, shard: Any
) -> None:
    socket = await raw_shard()
    assert await socket.identify(fd.token, shard) is None
    assert socket.ws.close_code == 4010
    assert fd.gateway.sessions == {}


async def test_guilds_go_only_to_their_shard(fd: FakeDiscord, raw_shard: Any) -> None:
    guilds = [fd.world.add_guild(f"g{n}", shard=(n % 3, 3)) for n in range(6)]
    assert [(g.id >> 22) % 3 for g in guilds] == [0, 1, 2, 0, 1, 2]
    for shard_id in range(3):
        socket = await raw_shard()
        ready = await socket.identify(fd.token, [shard_id, 3])
        assert ready is not None
        mine = {g.id for g in fd.world.visible_guilds() if (g.id >> 22) % 3 == shard_id}
        assert {int(g["id"]) for g in ready["d"]["guilds"]} == mine
        creates = await socket.dispatches(len(mine))
        assert {(c["t"], int(c["d"]["id"])) for c in creates} == {("GUILD_CREATE", i) for i in mine}


async def test_identify_concurrency_is_one_per_rate_limit_key_per_five_seconds(
    fd: FakeDiscord, raw_shard: Any
) -> None:
    fd.settings.identify_limits = True
    fd.settings.max_concurrency = 2
    assert (await (await raw_shard()).identify(fd.token, [0, 4]))["t"] == "READY"  # type: ignore[index]
    assert (await (await raw_shard()).identify(fd.token, [1, 4]))["t"] == "READY"  # type: ignore[index]
    # Shard 2 has shard 0's key (2 % 2): refused with op 9 d:false, no session started.
    refused = await (await raw_shard()).identify(fd.token, [2, 4])
    assert refused == {"op": 9, "d": False, "s": None, "t": None}
    assert fd.identify_limiter.refused == 1 and len(fd.gateway.sessions) == 2
    fd.clock.advance(5.0)
    assert (await (await raw_shard()).identify(fd.token, [2, 4]))["t"] == "READY"  # type: ignore[index]


async def test_the_session_start_limit_spent_closes_with_4004(
    fd: FakeDiscord, raw_shard: Any
) -> None:
    fd.settings.identify_limits = True
    fd.settings.session_start_total = 2
    for shard_id in range(2):
        assert await (await raw_shard()).identify(fd.token, [shard_id, 2]) is not None
        fd.clock.advance(5.0)
    assert (await _gateway_bot(fd))["session_start_limit"]["remaining"] == 0
    socket = await raw_shard()
    assert await socket.identify(fd.token, [0, 2]) is None
    assert socket.ws.close_code == 4004


def _sharded_client(shard_ids: list[int], count: int) -> discord.AutoShardedClient:
    intents = discord.Intents.default()
    intents.members = True
    return discord.AutoShardedClient(
        intents=intents, shard_ids=shard_ids, shard_count=count, guild_ready_timeout=0.05
    )


async def test_two_processes_of_one_bot_share_the_world_by_shard(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    """Two clients of one token, shards [0] and [1] of 2: each caches only its shard's guilds
    and hears only their events and interactions."""
    extra: list[Guild] = [fd.world.add_guild(f"s{n}", shard=(n % 2, 2)) for n in range(4)]
    first = await start_bot(_sharded_client([0], 2))
    second = await start_bot(_sharded_client([1], 2))
    guilds = [scene.guild, *extra]
    for client, shard_id in ((first, 0), (second, 1)):
        expected = {g.id for g in guilds if (g.id >> 22) % 2 == shard_id}
        assert {g.id for g in client.guilds} == expected
    target = extra[1]  # shard 1
    channel = target.add_channel("late")
    await fd.channel_created(channel)
    await wait_until(lambda: second.get_channel(channel.id) is not None)
    await asyncio.sleep(0.05)
    assert first.get_channel(channel.id) is None
    assert [s.shard for s in fd.gateway.live_sessions()] == [(0, 2), (1, 2)]
    assert fd.gateway.identifies == 2


async def test_discord_py_spaces_its_own_shards_identifies(discord_at: FakeDiscord) -> None:
    """With identify limits on and max_concurrency 1, one AutoShardedClient of 2 shards waits
    5 s before its second IDENTIFY and is never refused."""
    fd = discord_at
    fd.settings.identify_limits = True
    fd.settings.max_concurrency = 1
    other = fd.world.add_guild("other shard", shard=(1, 2))
    client = _sharded_client([0, 1], 2)
    async with running(client, fd.token, api_base=fd.url, ready_timeout=15):
        assert client.get_guild(other.id) is not None
        assert sorted(client.shards) == [0, 1]
    (first, _), (second, _) = fd.identify_limiter.admitted
    assert second - first >= 5.0
    assert fd.identify_limiter.refused == 0
