"""MEMBER_CACHE: with ``needed`` (the default) the gateway keeps no member but the bot's, and
every check that needs a member (mentions at post time, a token's creator, a dashboard user)
fetches them over REST and keeps the copy briefly (discordside/members.py). These prove the
checks stay right for members who are not in discord.py's cache: a member event drops the
copy at once, and a change whose event was lost is seen once the copy expires."""

from __future__ import annotations

import asyncio

import pytest

from tests.commands.api_harness import Api
from tests.commands.harness import App, embed_of


class Ticks:
    """A monotonic clock the test moves (the lookup's copies expire on it)."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks(app: App) -> Ticks:
    clock = Ticks()
    app.bot.member_lookup.clock = clock
    return clock


async def everyone_task(app: App) -> None:
    s = app.scene
    answer = await app.answer(
        s.admin,
        "cron",
        name="ping-all",
        cron="0 9 * * *",
        channel=s.general,
        message="@everyone hi",
    )
    assert "Scheduled" in embed_of(answer)["title"]


async def post_pings_everyone(app: App) -> bool:
    """Run the one task now; True when its post pinged @everyone."""
    [task] = await app.tasks()
    await app.bot.control.run_now(task, actor_id=None)
    return bool(app.fd.messages(app.scene.general)[-1].mention_everyone)


def member_fetches(app: App) -> int:
    s = app.scene
    return len(app.fd.requests_to("GET", f"/guilds/{s.guild.id}/members/{s.admin.id}"))


async def test_the_gateway_keeps_only_the_bots_member(app: App) -> None:
    guild = app.bot.get_guild(app.scene.guild.id)
    assert guild is not None and app.bot.user is not None
    assert [m.id for m in guild.members] == [app.bot.user.id]
    assert guild.member_count == len(app.scene.guild.members) > 1
    assert not app.fd.gateway.received or all(p.get("op") != 8 for p in app.fd.gateway.received)


async def test_a_mention_check_fetches_the_creator_once_for_a_burst(app: App, ticks: Ticks) -> None:
    await everyone_task(app)
    assert app.bot.get_guild(app.scene.guild.id).get_member(app.scene.admin.id) is None  # type: ignore[union-attr]
    assert await post_pings_everyone(app)
    assert await post_pings_everyone(app)
    assert member_fetches(app) == 1  # the second post used the kept copy


async def test_a_role_change_whose_event_was_lost_is_seen_once_the_copy_expires(
    app: App, ticks: Ticks
) -> None:
    s = app.scene
    await everyone_task(app)
    assert await post_pings_everyone(app)
    s.admin.roles.clear()  # demoted, and no GUILD_MEMBER_UPDATE reaches the bot
    ticks.now += app.bot.member_lookup.ttl - 1
    assert await post_pings_everyone(app)  # still the kept copy
    ticks.now += 2
    assert not await post_pings_everyone(app)
    assert member_fetches(app) == 2


async def test_a_member_update_drops_the_kept_copy_at_once(app: App, ticks: Ticks) -> None:
    s = app.scene
    await everyone_task(app)
    assert await post_pings_everyone(app)
    lookup = app.bot.member_lookup
    assert lookup.holds(s.guild.id, s.admin.id)
    s.admin.roles.clear()
    await app.fd.member_updated(s.admin)
    for _ in range(100):
        if not lookup.holds(s.guild.id, s.admin.id):
            break
        await asyncio.sleep(0.02)
    assert not lookup.holds(s.guild.id, s.admin.id)
    assert not await post_pings_everyone(app)  # no time passed: the event did it


async def test_a_token_creator_who_is_not_cached_is_judged_as_discord_has_them(
    api: Api, ticks: Ticks
) -> None:
    app = api.app
    s = app.scene
    path = f"/api/v1/guilds/{s.guild.id}/tasks"
    token = await api.token("admins")
    assert (await api.get(path, token))[0] == 200
    assert (await api.get(path, token))[0] == 200
    assert member_fetches(app) == 1
    s.admin.roles.clear()  # the event is lost
    ticks.now += app.bot.member_lookup.ttl + 1
    status, body, _ = await api.get(path, token)
    assert status == 403 and "no longer has the Manage Server permission" in body["detail"]


async def test_a_member_who_left_is_refused_at_once(api: Api, ticks: Ticks) -> None:
    app = api.app
    s = app.scene
    path = f"/api/v1/guilds/{s.guild.id}/tasks"
    token = await api.token("admins")
    assert (await api.get(path, token))[0] == 200
    await app.fd.remove_member(s.guild, s.admin)  # GUILD_MEMBER_REMOVE drops the copy
    for _ in range(100):
        status, body, _ = await api.get(path, token)
        if status != 200:
            break
        await asyncio.sleep(0.02)
    assert status == 403 and "left the server" in body["detail"]


@pytest.mark.parametrize("app_settings", [{"MEMBER_CACHE": "full"}], ids=["full"])
async def test_the_full_cache_holds_every_member_and_checks_need_no_fetch(app: App) -> None:
    s = app.scene
    guild = app.bot.get_guild(s.guild.id)
    assert guild is not None and guild.chunked
    assert len(guild.members) == len(s.guild.members)
    await everyone_task(app)
    assert await post_pings_everyone(app)
    assert member_fetches(app) == 0
