"""The Discord side of the engine (cogs/delivery.py, cogs/alerting.py) over real HTTP to
fakediscord, with a real discord.py client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import discord
import pytest
import yarl
from discord.ext import commands

from cogs.alerting import DiscordAlerter
from cogs.delivery import DiscordDeliverer
from config import load_settings
from fakediscord import ChannelType, FakeDiscord, Permission, World
from scheduler.payload import make_nonce
from scheduler.protocols import (
    Delivery,
    Notice,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from storage import Database, GuildSettingsRepository, NoticeLevel
from storage.payloads import decode_destinations, decode_payload

DUE = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Scene:
    def __init__(self) -> None:
        self.world = World()
        self.guild = self.world.add_guild("Side", owner="owner")
        bot = self.guild.bot_member
        self.general = self.guild.add_channel("general")
        self.news = self.guild.add_channel("news", type=ChannelType.ANNOUNCEMENT)
        self.readonly = self.guild.add_channel(
            "readonly", overwrites={bot: (0, Permission.SEND_MESSAGES)}
        )
        self.secret = self.guild.add_channel(
            "secret", overwrites={bot: (0, Permission.VIEW_CHANNEL)}
        )
        self.dev = self.guild.add_channel("dev")
        self.thread = self.guild.add_thread(self.general, "standup")
        self.other = self.world.add_guild("Other", owner="owner2")
        self.other_dev = self.other.add_channel("other-dev")


@pytest.fixture
def scene() -> Scene:
    return Scene()


@pytest.fixture
async def fd(scene: Scene) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(scene.world) as emulator:
        yield emulator


@pytest.fixture
def pointed(fd: FakeDiscord) -> Iterator[FakeDiscord]:
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = f"{fd.url}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fd.ws_url)
    try:
        yield fd
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


@pytest.fixture
async def bot(pointed: FakeDiscord) -> AsyncIterator[commands.Bot]:
    client = commands.Bot(command_prefix="!", intents=discord.Intents.default())
    await client.login(pointed.token)
    try:
        yield client
    finally:
        await client.close()


def delivery(channel_id: int, **changes: object) -> Delivery:
    base: dict[str, object] = {
        "task_id": 7,
        "guild_id": 1,
        "task_name": "daily",
        "scheduled_for": DUE,
        "destination": {"type": "channel", "channel_id": channel_id},
        "message": {"content": "hello"},
        "nonce": make_nonce(7, DUE, 0),
    }
    base.update(changes)
    # Written here as the JSON a task stores; the engine hands the deliverer the typed records.
    [base["destination"]] = decode_destinations([base["destination"]])
    [base["message"]] = decode_payload({"variants": [base["message"]]}).variants
    return Delivery(**base)  # type: ignore[arg-type]


async def test_channel_post_carries_the_nonce_and_a_resend_is_not_doubled(
    bot: commands.Bot, fd: FakeDiscord, scene: Scene
) -> None:
    deliverer = DiscordDeliverer(bot)
    first = await deliverer.deliver(delivery(scene.general.id))
    again = await deliverer.deliver(delivery(scene.general.id, attempt=2))
    assert first == again
    [message] = fd.messages(scene.general)
    assert message.nonce == make_nonce(7, DUE, 0) and message.content == "hello"


async def test_embed_and_allowed_mentions_reach_discord(
    bot: commands.Bot, fd: FakeDiscord, scene: Scene
) -> None:
    message = {
        "content": "@everyone standup in 5",
        "embed": {"title": "Standup", "description": "Room 4", "color": 0x123456,
                  "footer": "weekly", "fields": [{"name": "Who", "value": "all"}]},
    }  # fmt: skip
    await DiscordDeliverer(bot).deliver(delivery(scene.general.id, message=message))
    [stored] = fd.messages(scene.general)
    assert stored.mention_everyone is False  # nothing approved, nothing pings
    embed = stored.embeds[0]
    assert (embed["title"], embed["color"], embed["footer"]["text"]) == (
        "Standup",
        0x123456,
        "weekly",
    )
    assert embed["fields"][0]["name"] == "Who"


async def test_thread_and_announcement_with_auto_publish(
    bot: commands.Bot, fd: FakeDiscord, scene: Scene
) -> None:
    deliverer = DiscordDeliverer(bot)
    thread_dest = {"type": "thread", "channel_id": scene.general.id, "thread_id": scene.thread.id}
    await deliverer.deliver(delivery(scene.general.id, destination=thread_dest))
    assert [m.content for m in fd.messages(scene.thread)] == ["hello"]
    news_dest = {"type": "channel", "channel_id": scene.news.id, "publish": True}
    await deliverer.deliver(delivery(scene.news.id, destination=news_dest, nonce="n2"))
    assert any(r.path.endswith("/crosspost") and r.status == 200 for r in fd.requests)


async def test_webhook_post_uses_the_custom_identity(
    bot: commands.Bot, fd: FakeDiscord, scene: Scene
) -> None:
    hook = await bot.http.create_webhook(scene.general.id, name="Cadence hook")
    destination = {
        "type": "webhook", "channel_id": scene.general.id, "webhook_id": int(hook["id"]),
        "webhook_token": hook["token"], "name": "Daily Bot", "avatar_url": "https://x.test/a.png",
    }  # fmt: skip
    message_id = await DiscordDeliverer(bot).deliver(
        delivery(scene.general.id, destination=destination, nonce=None)
    )
    stored = fd.message(message_id)
    assert stored is not None and stored.webhook_username == "Daily Bot"


@pytest.mark.parametrize(
    ("channel", "code", "pause_now"),
    [("readonly", 50013, False), ("secret", 50001, False)],
    ids=["missing-permissions", "missing-access"],
)
async def test_forbidden_is_permanent_with_a_fix(
    bot: commands.Bot, scene: Scene, channel: str, code: int, pause_now: bool
) -> None:
    target = getattr(scene, channel)
    with pytest.raises(PermanentDeliveryError) as info:
        await DiscordDeliverer(bot).deliver(delivery(target.id))
    assert info.value.code == code and info.value.pause_now is pause_now
    assert "Give the bot" in info.value.fix


async def test_deleted_channel_pauses_at_once(
    bot: commands.Bot, fd: FakeDiscord, scene: Scene
) -> None:
    await fd.delete_channel(scene.general)
    with pytest.raises(PermanentDeliveryError) as info:
        await DiscordDeliverer(bot).deliver(delivery(scene.general.id))
    assert info.value.code == 10003 and info.value.pause_now
    assert "/schedule edit" in info.value.fix


async def test_server_errors_are_transient(
    bot: commands.Bot, fd: FakeDiscord, scene: Scene
) -> None:
    fd.faults.add(r"/channels/\d+/messages$", method="POST", status=503, times=1)
    with pytest.raises(TransientDeliveryError):
        await DiscordDeliverer(bot).deliver(delivery(scene.general.id))
    assert await DiscordDeliverer(bot).deliver(delivery(scene.general.id)) > 0


async def test_an_invalid_body_is_permanent(bot: commands.Bot, scene: Scene) -> None:
    with pytest.raises(PermanentDeliveryError) as info:
        await DiscordDeliverer(bot).deliver(
            delivery(scene.general.id, message={"content": "x" * 2001})
        )
    assert info.value.status == 400 and not info.value.pause_now


# --------------------------------------------------------------------------- alerter


@pytest.fixture
async def guild_repo(tmp_path: Path) -> AsyncIterator[GuildSettingsRepository]:
    async with Database.open(tmp_path / "alerts.db") as db:
        yield GuildSettingsRepository(db)


def alerter_for(bot: commands.Bot, repo: GuildSettingsRepository, dev: int, alert: int | None):
    env = {"DISCORD_TOKEN": "x" * 30, "DEV_CHANNEL_ID": str(dev)}
    if alert:
        env["ALERT_CHANNEL_ID"] = str(alert)
    return DiscordAlerter(bot, load_settings(env, env_file=None), repo)


async def test_alerter_routes_by_design_section_2(
    bot: commands.Bot, fd: FakeDiscord, scene: Scene, guild_repo: GuildSettingsRepository
) -> None:
    alerter = alerter_for(bot, guild_repo, scene.dev.id, scene.general.id)
    guild_notice = Notice(scene.guild.id, NoticeLevel.ERROR, "task_failed", "Task x failed", "why")
    other_notice = Notice(scene.other.id, NoticeLevel.ERROR, "task_failed", "Task y failed", "why")
    # The operator's dev channel is in the same guild: used for that guild's notices only.
    assert await alerter.route(guild_notice) == scene.dev.id
    assert await alerter.route(other_notice) is None
    assert await alerter.send(other_notice) is False
    # Once the other guild sets its own dev channel, its notices go there.
    await guild_repo.update(scene.other.id, DUE, dev_channel_id=scene.other_dev.id)
    assert await alerter.send(other_notice) is True
    [stored] = fd.messages(scene.other_dev)
    assert stored.embeds[0]["title"] == "Task y failed" and stored.embeds[0]["color"] == 0xE74C3C
    operator = Notice(None, NoticeLevel.OK, "started", "Cadence started", "v1")
    assert await alerter.route(operator) == scene.dev.id
    alert = Notice(None, NoticeLevel.INFO, "developer_alert", "Hi", "x", alert_channel=True)
    assert await alerter.route(alert) == scene.general.id


async def test_operator_channel_in_another_guild_never_gets_a_guilds_notices(
    bot: commands.Bot, scene: Scene, guild_repo: GuildSettingsRepository
) -> None:
    alerter = alerter_for(bot, guild_repo, scene.other_dev.id, None)
    notice = Notice(scene.guild.id, NoticeLevel.WARNING, "missed_runs", "Missed", "x")
    assert await alerter.route(notice) is None
    assert await alerter.send(notice) is False
