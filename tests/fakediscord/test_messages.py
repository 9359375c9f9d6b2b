"""The real discord.py client against the emulator: login, cache, sends, errors, webhooks."""

from __future__ import annotations

import io

import discord
import pytest

from fakediscord import FakeDiscord, Permission

from .harness import Scene, StartBot, make_client


async def test_login_ready_and_guild_cache(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    client, _ = make_client()
    await start_bot(client)
    assert client.user is not None and client.user.id == fd.world.bot_user.id
    assert client.application_id == fd.world.application.id
    guild = client.get_guild(scene.guild.id)
    assert guild is not None
    assert guild.name == "Cadence Test"
    assert guild.owner_id == scene.guild.owner_id
    assert guild.member_count == len(scene.guild.members) == len(guild.members)
    assert guild.chunked
    assert {c.name for c in guild.text_channels} == {
        "general",
        "news",
        "secret",
        "readonly",
        "noembed",
    }
    assert guild.get_channel(scene.news.id).is_news()  # type: ignore[union-attr]
    assert guild.get_thread(scene.thread.id) is not None
    assert guild.default_role.id == guild.id
    alice = guild.get_member(scene.alice.id)
    assert alice is not None and alice.guild_permissions.administrator
    me = guild.me
    assert me.guild_permissions.send_messages and not me.guild_permissions.administrator
    assert not guild.get_channel(scene.secret.id).permissions_for(me).view_channel  # type: ignore[union-attr]


async def test_send_is_recorded_with_mentions_and_nonce(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    client = await start_bot(make_client()[0])
    channel = client.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    embed = discord.Embed(title="Daily", description="Standup", colour=0x2ECC71)
    sent = await channel.send(
        f"hi <@{scene.bob.id}> @everyone",
        embed=embed,
        allowed_mentions=discord.AllowedMentions(everyone=False, users=True),
    )
    [stored] = fd.messages(scene.general)
    assert stored.id == sent.id
    assert stored.content.startswith("hi")
    assert stored.embed is not None and stored.embed["title"] == "Daily"
    assert stored.author_id == fd.world.bot_user.id
    assert [m["id"] for m in stored.mentions] == [str(scene.bob.id)]
    assert stored.mention_everyone is False
    assert stored.nonce is not None  # discord.py always sends one, with enforce_nonce
    assert fd.requests_to("POST", "/messages")[0].json["enforce_nonce"] is True
    assert sent.mentions[0].id == scene.bob.id


async def test_thread_send(start_bot: StartBot, fd: FakeDiscord, scene: Scene) -> None:
    client = await start_bot(make_client()[0])
    thread = client.get_channel(scene.thread.id)
    assert isinstance(thread, discord.Thread)
    await thread.send("in thread")
    assert [m.content for m in fd.messages(scene.thread)] == ["in thread"]


@pytest.mark.parametrize(
    ("channel_name", "kwargs", "code"),
    [
        pytest.param("readonly", {"content": "x"}, 50013, id="no-send"),
        pytest.param("secret", {"content": "x"}, 50001, id="no-view"),
        pytest.param("noembed", {"embed": discord.Embed(title="t")}, 50013, id="no-embed-links"),
    ],
)
async def test_forbidden(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene, channel_name: str, kwargs: dict, code: int
) -> None:
    client = await start_bot(make_client()[0])
    channel = discord.PartialMessageable(
        state=client._connection, id=scene.guild.channel_named(channel_name).id
    )
    with pytest.raises(discord.Forbidden) as caught:
        await channel.send(**kwargs)
    assert caught.value.code == code
    assert fd.all_posts() == []


async def test_deleted_channel_is_not_found(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    client = await start_bot(make_client()[0])
    await fd.delete_channel(scene.readonly)
    gone = discord.PartialMessageable(state=client._connection, id=scene.readonly.id)
    with pytest.raises(discord.NotFound) as caught:
        await gone.send("x")
    assert caught.value.code == 10003


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        pytest.param({"content": "x" * 2001}, 50035, id="content-2001"),
        pytest.param({"embed": discord.Embed(title="t" * 257)}, 50035, id="embed-title"),
        pytest.param({"embed": discord.Embed(description="d" * 4097)}, 50035, id="embed-desc"),
        pytest.param(
            {"embeds": [discord.Embed(description="d" * 4000) for _ in range(2)]},
            50035,
            id="embeds-total-6000",
        ),
        pytest.param({}, 50006, id="empty"),
        pytest.param({"content": "x", "nonce": "n" * 26}, 50035, id="nonce-26"),
    ],
)
async def test_invalid_bodies(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene, kwargs: dict, code: int
) -> None:
    client = await start_bot(make_client()[0])
    channel = client.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send(**kwargs)
    assert caught.value.status == 400
    assert caught.value.code == code
    assert fd.all_posts() == []


async def test_enforce_nonce_returns_the_first_message(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    client = await start_bot(make_client()[0])
    channel = client.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    first = await channel.send("run 1", nonce="t42-20260101T0900-c1")
    again = await channel.send("run 1 (retry)", nonce="t42-20260101T0900-c1")
    assert again.id == first.id and again.content == "run 1"
    assert len(fd.messages(scene.general)) == 1
    fd.clock.advance(fd.settings.nonce_window + 1)
    later = await channel.send("run 1 (much later)", nonce="t42-20260101T0900-c1")
    assert later.id != first.id
    assert len(fd.messages(scene.general)) == 2


async def test_attachments_round_trip(start_bot: StartBot, fd: FakeDiscord, scene: Scene) -> None:
    client = await start_bot(make_client()[0])
    channel = client.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send(
        "export", file=discord.File(io.BytesIO(b'{"tasks": []}'), "tasks.json")
    )
    [attachment] = sent.attachments
    assert attachment.filename == "tasks.json"
    assert await attachment.read() == b'{"tasks": []}'
    [stored] = fd.messages(scene.general)
    assert fd.store.attachments[int(stored.attachments[0]["id"])].data == b'{"tasks": []}'


async def test_webhook_execute_with_custom_identity(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    client = await start_bot(make_client()[0])
    channel = client.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    webhook = await channel.create_webhook(name="Cadence posts")
    sent = await webhook.send(
        "from a hook", username="Reminder Bot", avatar_url="https://example.com/a.png", wait=True
    )
    assert sent.author.name == "Reminder Bot"
    await webhook.send("in the thread", thread=discord.Object(scene.thread.id), wait=True)
    [stored] = fd.messages(scene.general)
    assert stored.webhook_username == "Reminder Bot"
    assert stored.avatar_url == "https://example.com/a.png"
    assert stored.webhook_id == webhook.id
    assert [m.content for m in fd.messages(scene.thread)] == ["in the thread"]
    await webhook.delete()
    with pytest.raises(discord.NotFound) as caught:
        await webhook.send("gone")
    assert caught.value.code == 10015


async def test_crosspost_rules(start_bot: StartBot, fd: FakeDiscord, scene: Scene) -> None:
    client = await start_bot(make_client()[0])
    news = client.get_channel(scene.news.id)
    general = client.get_channel(scene.general.id)
    assert isinstance(news, discord.TextChannel) and isinstance(general, discord.TextChannel)
    message = await news.send("announcement")
    await message.publish()
    assert fd.messages(scene.news)[0].crossposted
    plain = await general.send("not news")
    with pytest.raises(discord.HTTPException) as caught:
        await plain.publish()
    assert caught.value.code == 50024


async def test_injected_429_is_retried_and_403_raised(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    client = await start_bot(make_client()[0])
    channel = client.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    fd.faults.add(r"/channels/\d+/messages$", method="POST", status=429, retry_after=0.05)
    await channel.send("after a rate limit")
    assert [r.status for r in fd.requests_to("POST", "/messages")] == [429, 200]
    fd.faults.add(r"/messages$", method="POST", status=403, code=50013)
    with pytest.raises(discord.Forbidden):
        await channel.send("denied")
    assert len(fd.messages(scene.general)) == 1


async def test_member_and_guild_lookups(start_bot: StartBot, scene: Scene) -> None:
    client = await start_bot(make_client()[0])
    guild = await client.fetch_guild(scene.guild.id)
    member = await guild.fetch_member(scene.bob.id)
    assert member.name == "bob"
    roles = await guild.fetch_roles()
    assert any(r.permissions.value & Permission.ADMINISTRATOR for r in roles)
    with pytest.raises(discord.NotFound) as caught:
        await guild.fetch_member(1)
    assert caught.value.code == 10007


async def test_emulated_rate_limits_are_honoured(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    fd.settings.rate_limits = True
    fd.settings.message_rate_limit = (2, 0.2)
    fd.rate_limiter.reset()
    client = await start_bot(make_client()[0])
    channel = client.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    for index in range(5):
        await channel.send(f"burst {index}")
    assert [m.content for m in fd.messages(scene.general)] == [f"burst {i}" for i in range(5)]
    posts = fd.requests_to("POST", "/messages")
    assert posts[-1].time - posts[0].time >= 0.35  # two windows of 0.2 s were waited out


async def test_slow_response_fault(start_bot: StartBot, fd: FakeDiscord, scene: Scene) -> None:
    client = await start_bot(make_client()[0])
    channel = client.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    fd.faults.add(r"/messages$", method="POST", status=None, delay=0.1)
    await channel.send("eventually")
    assert len(fd.messages(scene.general)) == 1
