"""Gateway faults added for issue 8: a zombied (silent) connection, and a dropped socket whose
session ended with it (4009, session timed out). Each driven against the real discord.py."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands

from fakediscord import FakeDiscord

from .harness import Scene, StartBot, wait_until


class QuickClient(discord.Client):
    """No 5-second sleep before a second IDENTIFY (discord.py's before_identify_hook)."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


async def test_a_stalled_connection_is_detected_by_the_client_and_resumed(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    fd.settings.heartbeat_interval_ms = 200
    client = await start_bot(
        discord.Client(
            intents=discord.Intents.default(), guild_ready_timeout=0.05, heartbeat_timeout=1.0
        )
    )
    resumed = asyncio.Event()

    @client.event
    async def on_resumed() -> None:
        resumed.set()

    fd.gateway.stall()
    channel = scene.guild.add_channel("made-while-silent")
    await fd.channel_created(channel)
    await asyncio.sleep(0.5)
    assert client.get_channel(channel.id) is None  # nothing reaches the client
    assert not resumed.is_set()  # and it has not noticed yet

    await asyncio.wait_for(resumed.wait(), 5)  # no ACK for a second: it closes and resumes

    assert client.get_channel(channel.id) is not None  # replayed on RESUME
    assert (fd.gateway.identifies, fd.gateway.resumes) == (1, 1)
    await wait_until(lambda: any(s.connected for s in fd.gateway.live_sessions()))


async def test_a_slash_command_sent_into_the_silence_is_answered_after_the_resume(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    fd.settings.heartbeat_interval_ms = 200
    client = discord.Client(
        intents=discord.Intents.default(), guild_ready_timeout=0.05, heartbeat_timeout=0.6
    )
    tree = app_commands.CommandTree(client)

    @tree.command(name="ping", description="Answers pong")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    await start_bot(client, tree, scene.guild)
    fd.gateway.stall()
    handle = await fd.slash(scene.guild, scene.alice, "ping")

    callback = await handle.response(timeout=5)  # within the 3-second deadline

    assert callback.type == 4 and callback.data is not None
    assert callback.data["content"] == "pong"
    assert fd.gateway.resumes == 1


async def test_a_dropped_session_cannot_resume_and_the_client_identifies_again(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    client = await start_bot(
        QuickClient(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    )
    first = fd.gateway.live_sessions()[0].id

    await fd.gateway.drop(code=4009, resumable=False)
    await wait_until(
        lambda: fd.gateway.identifies == 2 and client.get_guild(scene.guild.id) is not None
    )

    assert fd.gateway.resumes == 0  # its RESUME was answered with INVALID_SESSION
    assert [s.id for s in fd.gateway.live_sessions()] != [first]
    assert any(p.get("op") == 6 for p in fd.gateway.received)  # it did try to resume
    assert len(fd.gateway.live_sessions()) == 1


async def test_a_plain_drop_still_resumes_the_same_session(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    await start_bot(QuickClient(intents=discord.Intents.default(), guild_ready_timeout=0.05))
    [session] = fd.gateway.live_sessions()
    await fd.gateway.drop(code=4000)
    await wait_until(lambda: fd.gateway.resumes == 1 and session.connected)
    assert fd.gateway.identifies == 1
