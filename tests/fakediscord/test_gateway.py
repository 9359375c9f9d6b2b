"""Gateway behaviour: RESUME with replay, RECONNECT, INVALID_SESSION, guild and channel events."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import discord
import pytest

from fakediscord import FakeDiscord, Permission

from .bot_under_test import Recorder, build_bot
from .harness import Scene, StartBot, make_client, wait_until


async def test_resume_replays_what_was_missed(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    recorder = Recorder()
    client, tree = build_bot(recorder)
    await start_bot(client, tree, scene.guild)
    resumed = asyncio.Event()

    @client.event
    async def on_resumed() -> None:
        resumed.set()

    fd.gateway.hold()
    await fd.gateway.reconnect()
    channel = scene.guild.add_channel("created-in-gap")
    await fd.channel_created(channel)
    handle = await fd.slash(
        scene.guild, scene.alice, "schedule cron", name="gap", cron="* * * * *", channel=channel
    )
    await asyncio.sleep(0.05)
    assert client.get_channel(channel.id) is None  # the bot is disconnected
    fd.gateway.release()
    await asyncio.wait_for(resumed.wait(), 5)
    await handle.response()
    assert client.get_channel(channel.id) is not None
    assert recorder.calls[0][1]["name"] == "gap"
    assert (fd.gateway.identifies, fd.gateway.resumes) == (1, 1)


async def test_dropped_socket_resumes(start_bot: StartBot, fd: FakeDiscord, scene: Scene) -> None:
    client = await start_bot(make_client()[0])
    await fd.gateway.drop()
    await fd.remove_bot(scene.guild)
    await wait_until(lambda: client.get_guild(scene.guild.id) is None)
    assert fd.gateway.resumes == 1


class QuickClient(discord.Client):
    """discord.py sleeps 5 s before every non-initial IDENTIFY; tests need not wait."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


async def test_invalid_session_means_new_identify(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    client = await start_bot(
        QuickClient(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    )
    await fd.gateway.invalidate_session(resumable=False)
    await wait_until(
        lambda: fd.gateway.identifies == 2 and client.get_guild(scene.guild.id) is not None
    )
    assert len(fd.gateway.live_sessions()) == 1


async def test_guild_removed_and_added_again(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    client = await start_bot(make_client()[0])
    joined: list[int] = []
    removed: list[int] = []

    @client.event
    async def on_guild_remove(guild: discord.Guild) -> None:
        removed.append(guild.id)

    @client.event
    async def on_guild_join(guild: discord.Guild) -> None:
        joined.append(guild.id)

    await fd.remove_bot(scene.guild)
    await wait_until(lambda: removed == [scene.guild.id])
    channel = discord.PartialMessageable(state=client._connection, id=scene.general.id)
    with pytest.raises(discord.Forbidden) as caught:
        await channel.send("x")
    assert caught.value.code == 50001
    await fd.add_bot(scene.guild)
    await wait_until(lambda: joined == [scene.guild.id])
    assert client.get_guild(scene.guild.id) is not None


async def test_channel_delete_reaches_the_cache(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    client = await start_bot(make_client()[0])
    assert client.get_channel(scene.noembed.id) is not None
    await fd.delete_channel(scene.noembed)
    await wait_until(lambda: client.get_channel(scene.noembed.id) is None)


async def test_sharded_client_gets_its_shard(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    intents = discord.Intents.default()
    client = discord.AutoShardedClient(intents=intents, guild_ready_timeout=0.05)
    await start_bot(client)
    assert client.shard_count == 1
    assert client.get_guild(scene.guild.id) is not None
    assert any(r.route == "/gateway/bot" for r in fd.requests)


async def test_bad_token_closes_with_4004(fd: FakeDiscord) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(fd.ws_url + "?v=10") as ws:
        hello = json.loads((await ws.receive()).data)
        assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
        await ws.send_str(json.dumps({"op": 1, "d": None}))
        assert json.loads((await ws.receive()).data)["op"] == 11
        await ws.send_str(json.dumps({"op": 2, "d": {"token": "wrong", "intents": 1}}))
        closing = await ws.receive()
        assert closing.type == aiohttp.WSMsgType.CLOSE
        assert ws.close_code == 4004


async def test_bad_token_login_fails(discord_at: FakeDiscord) -> None:
    client = discord.Client(intents=discord.Intents.none())
    with pytest.raises(discord.LoginFailure):
        await client.login("not-the-token")
    await client.close()


async def test_member_role_and_channel_updates_reach_the_cache(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    client = await start_bot(make_client()[0])
    guild = client.get_guild(scene.guild.id)
    assert guild is not None
    scene.bob.roles.append(scene.managers.id)
    await fd.member_updated(scene.bob)
    await wait_until(lambda: guild.get_member(scene.bob.id).guild_permissions.manage_guild)  # type: ignore[union-attr]
    scene.managers.permissions |= Permission.MANAGE_WEBHOOKS
    await fd.role_updated(scene.managers)
    await wait_until(lambda: guild.get_role(scene.managers.id).permissions.manage_webhooks)  # type: ignore[union-attr]
    scene.general.set_overwrite(scene.guild.bot_member, deny=Permission.SEND_MESSAGES)
    await fd.channel_updated(scene.general)
    channel = guild.get_channel(scene.general.id)
    assert channel is not None
    await wait_until(lambda: not channel.permissions_for(guild.me).send_messages)
    await fd.remove_member(scene.guild, scene.bob)
    await wait_until(lambda: guild.get_member(scene.bob.id) is None)
    thread = scene.guild.add_thread(scene.general, "new-thread")
    await fd.channel_created(thread)
    await wait_until(lambda: guild.get_thread(thread.id) is not None)
    await fd.delete_channel(thread)
    await wait_until(lambda: guild.get_thread(thread.id) is None)


async def test_a_large_guild_comes_without_members_and_is_chunked(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    """Over IDENTIFY's large_threshold (discord.py: 250) GUILD_CREATE lists only the bot, as
    Discord leaves offline members out; discord.py then asks with REQUEST_GUILD_MEMBERS and
    the answer comes in chunks of at most 1,000 members."""
    for number in range(1200):
        scene.guild.add_member(f"crowd-{number}")
    total = len(scene.guild.members)
    client = await start_bot(make_client()[0])
    guild = client.get_guild(scene.guild.id)
    assert guild is not None
    await wait_until(lambda: guild.chunked)
    assert guild.large and guild.member_count == total == len(guild.members)
    asked = [p for p in fd.gateway.received if p.get("op") == 8]
    assert [int(p["d"]["guild_id"]) for p in asked] == [scene.guild.id]


async def test_member_chunks_by_id_say_who_was_not_found(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    client = await start_bot(make_client()[0])
    guild = client.get_guild(scene.guild.id)
    assert guild is not None
    found = await guild.query_members(user_ids=[scene.alice.id, 4242])
    assert [m.id for m in found] == [scene.alice.id]
