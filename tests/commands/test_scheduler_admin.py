"""/scheduler status and /scheduler config, driven as members would, and where a guild's
notices go (its own dev channel, or `/scheduler status` when it has none)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fakediscord import InteractionRefused
from fakediscord.interactions import Callback
from storage import (
    ChannelDestination,
    GuildSettings,
    MentionPolicy,
    NewTask,
    NoticeLevel,
    Payload,
    RunStatus,
    RunTrigger,
    Task,
    TaskKind,
    Variant,
)
from tests.commands.harness import App, embed_of, final_answer, text_of

BERLIN = "Europe/Berlin"


async def scheduler(
    app: App, member: Any, sub: str, *, guild: Any = None, **options: Any
) -> Callback:
    """Run `/scheduler <sub>` and return its visible answer."""
    handle = await app.fd.slash(guild or app.scene.guild, member, f"scheduler {sub}", **options)
    return await final_answer(handle)


def refused(callback: Callback, *fragments: str, example: str | None = None) -> str:
    """An ephemeral error embed containing every fragment; returns its text."""
    assert callback.ephemeral
    assert embed_of(callback)["title"] == "That didn't work", callback.data
    text = text_of(callback)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text!r}"
    if example is not None:
        fields = {f["name"]: f["value"] for f in embed_of(callback).get("fields", [])}
        assert fields.get("Example") == f"`{example}`"
    return text


def fields(callback: Callback, index: int = 0) -> dict[str, str]:
    embed = (callback.data or {})["embeds"][index]
    return {f["name"]: f["value"] for f in embed.get("fields", [])}


async def settings(app: App, guild: Any = None) -> GuildSettings:
    return await app.bot.engine.guilds.get((guild or app.scene.guild).id)


async def config_audit(app: App, guild: Any = None) -> list[dict[str, Any]]:
    entries = await app.bot.engine.audit.for_guild((guild or app.scene.guild).id, 1000)
    return [entry.detail for entry in entries if entry.action == "config"]


async def seed(
    app: App, name: str, spec: str = "0 9 * * *", *, guild: Any = None, timezone: str | None = None
) -> Task:
    """A cron task stored directly (fast set-up)."""
    guild = guild or app.scene.guild
    channel = app.scene.general if guild is app.scene.guild else app.scene.other_general
    new = NewTask(
        name=name,
        kind=TaskKind.CRON,
        spec=spec,
        created_at=app.bot.engine.clock.now(),
        guild_id=guild.id,
        timezone=timezone,
        payload=Payload(variants=(Variant(content=f"{name} says hello"),)),
        destinations=(ChannelDestination(channel_id=channel.id),),
    )
    return await app.bot.control.create(new, actor_id=None)


async def announce(app: App, channel: Any) -> None:
    """Tell the bot about a channel added after start, and wait until it knows it."""
    await app.fd.channel_created(channel)
    for _ in range(200):
        if app.bot.get_channel(channel.id) is not None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the bot never saw channel {channel.name}")


def next_local(zone: str, hour: int, after: datetime) -> datetime:
    """The next hour:00 in `zone` after `after`, worked out independently with zoneinfo."""
    tz = ZoneInfo(zone)
    day = after.astimezone(tz).date()
    while True:
        local = datetime(day.year, day.month, day.day, hour, tzinfo=tz).astimezone(UTC)
        if local > after:
            return local
        day += timedelta(days=1)


# --------------------------------------------------------------------------- registration


async def test_the_group_is_guild_only_and_for_administrators(app: App) -> None:
    command = app.fd.commands.find(app.scene.guild.id, "scheduler")
    assert command is not None
    assert command["default_member_permissions"] == "8"  # Administrator
    assert command.get("contexts") in ([0], None)
    assert not command.get("dm_permission", False)
    names = {option["name"] for option in command["options"]}
    assert names == {"status", "config", "api-token"}


# --------------------------------------------------------------------------- status


async def test_status_shows_this_server_at_a_glance(app: App) -> None:
    s = app.scene
    standup = await seed(app, "standup", "0 9 * * *")
    await seed(app, "later", "0 18 * * *")
    paused = await seed(app, "resting")
    await app.bot.control.pause(paused, actor_id=None)
    await seed(app, "not-ours", "* * * * *", guild=s.other)
    ran = await final_answer(await app.slash(s.admin, "run", task="standup"))
    assert "Ran standup" in text_of(ran)

    answer = await scheduler(app, s.admin, "status")

    assert answer.ephemeral
    embed = embed_of(answer)
    assert embed["title"] == "Cadence status"
    assert app.bot.version in embed["description"]
    shown = fields(answer)
    assert "since <t:" in shown["Uptime"]
    assert shown["Tasks in this server"] == (
        "▶ active **2** · ⏸ paused **1** · ✓ completed **0** · ✖ failed **0**"
    )
    first = min(
        (t for t in await app.tasks() if t.status == "active"),
        key=lambda t: t.next_run_at or datetime.max.replace(tzinfo=UTC),
    )
    assert first.next_run_at is not None
    assert f"<t:{int(first.next_run_at.timestamp())}:F>" in shown["Next run"]
    assert f"**{first.name}**" in shown["Next run"]
    assert standup.id in {t.id for t in await app.tasks()}
    assert shown["Last 24 hours"] == "**1** run(s), **0** failed (ok 1)"
    assert shown["Gateway latency"].endswith(" ms") or shown["Gateway latency"] == (
        "not measured yet"
    )
    assert shown["Database"].endswith("KB") or shown["Database"].endswith("MB")


async def test_status_counts_failures_of_the_last_day(app: App) -> None:
    s = app.scene
    task = await seed(app, "broken")
    engine = app.bot.engine
    now = engine.clock.now()
    for minutes, status in ((5, RunStatus.FAILED), (10, RunStatus.OK), (60 * 25, RunStatus.FAILED)):
        instant = now - timedelta(minutes=minutes)
        run = await engine.runs.start(task.id, instant, RunTrigger.SCHEDULE, now)
        await engine.runs.finish(run.id, status, finished_at=now, late_by_ms=0, attempts=1)

    shown = fields(await scheduler(app, s.admin, "status"))

    assert shown["Last 24 hours"] == "**2** run(s), **1** failed (ok 1, failed 1)"


async def test_status_shows_unread_notices_once_then_marks_them_read(app: App) -> None:
    s = app.scene
    notices = app.bot.engine.notices
    now = app.bot.engine.clock.now()
    await notices.add(
        s.guild.id, NoticeLevel.WARNING, "missed_runs", "Missed runs", "3 missed", now
    )
    await notices.add(
        s.guild.id, NoticeLevel.ERROR, "task_failed", "Task 'news' failed", "403 Missing", now
    )
    await notices.add(s.other.id, NoticeLevel.ERROR, "task_failed", "Elsewhere broke", "x", now)

    answer = await scheduler(app, s.admin, "status")

    notes = answer.data["embeds"][1]  # type: ignore[index]
    assert notes["title"] == "Unread notices (2)"
    text = notes["description"]
    assert "🔴 error" in text and "🟠 warning" in text
    assert f"<t:{int(now.timestamp())}:f>" in text
    assert text.index("Task 'news' failed") < text.index("Missed runs")  # newest first
    assert "Elsewhere broke" not in text_of(answer)
    assert await notices.count_unread(s.guild.id) == 0
    assert await notices.count_unread(s.other.id) == 1

    again = await scheduler(app, s.admin, "status")
    assert "No unread notices" in text_of(again)


async def test_status_pages_through_many_notices(app: App) -> None:
    s = app.scene
    notices = app.bot.engine.notices
    start = app.bot.engine.clock.now()
    for index in range(12):
        at = start + timedelta(seconds=index)
        await notices.add(s.guild.id, NoticeLevel.INFO, "k", f"notice {index:02}", "", at)

    first = text_of(await scheduler(app, s.admin, "status"))
    assert "Unread notices (12)" in first and "… and 2 more" in first
    assert "notice 11" in first and "notice 02" in first and "notice 01" not in first
    second = text_of(await scheduler(app, s.admin, "status"))
    assert "Unread notices (2)" in second and "notice 01" in second and "notice 00" in second
    assert await notices.count_unread(s.guild.id) == 0


# --------------------------------------------------------------------------- permissions


async def test_a_plain_member_cannot_see_or_use_the_commands(app: App) -> None:
    s = app.scene
    with pytest.raises(InteractionRefused):
        await app.fd.slash(s.guild, s.member, "scheduler status")
    before = await settings(app)
    for sub, options in (("status", {}), ("config", {}), ("config", {"timezone": BERLIN})):
        handle = await app.fd.slash(
            s.guild, s.member, f"scheduler {sub}", bypass_permissions=True, **options
        )
        refused(await final_answer(handle), "You need the Manage Server permission")
    assert await settings(app) == before
    assert await config_audit(app) == []


async def test_the_manager_role_may_read_status_but_not_change_settings(app: App) -> None:
    s = app.scene
    await scheduler(app, s.admin, "config", manager_role=s.managers)
    app.fd.set_command_permissions(s.guild, "scheduler", {s.managers: True})

    status = await scheduler(app, s.manager, "status")
    assert embed_of(status)["title"] == "Cadence status"

    before = await settings(app)
    for options in ({}, {"manager_role": s.managers}, {"clear": "manager_role"}):
        refused(await scheduler(app, s.manager, "config", **options), "Manage Server")
    assert await settings(app) == before


# --------------------------------------------------------------------------- config: show


async def test_config_without_options_shows_the_defaults(app: App) -> None:
    answer = await scheduler(app, app.scene.admin, "config")
    assert answer.ephemeral
    assert embed_of(answer)["title"] == "Settings"
    assert fields(answer) == {
        "Timezone": "UTC (bot default)",
        "Dev channel": "not set: notices wait in /scheduler status",
        "Alert channel": "not set (the dev channel is used)",
        "Manager role": "not set (Manage Server only)",
        "Viewer role": "not set (no read-only access)",
        "Overview schedule": "off",
        "Overview channel": "not set (the dev channel is used)",
        "Mention policy": "creator (default): what the task's creator may ping",
    }
    assert await config_audit(app) == []


# --------------------------------------------------------------------------- config: set


async def test_config_sets_every_setting_shows_them_and_audits(app: App) -> None:
    s = app.scene
    answer = await scheduler(
        app,
        s.admin,
        "config",
        timezone="europe/berlin",
        dev_channel=s.dev,
        alert_channel=s.news,
        manager_role=s.managers,
        summary_cron="0 9 * * 1-5",
        summary_channel=s.general,
        mention_policy="none",
    )

    assert answer.ephemeral
    assert embed_of(answer)["title"] == "Settings updated"
    stored = await settings(app)
    assert (stored.timezone, stored.dev_channel_id, stored.alert_channel_id) == (
        BERLIN,
        s.dev.id,
        s.news.id,
    )
    assert (stored.manager_role_id, stored.summary_cron, stored.summary_channel_id) == (
        s.managers.id,
        "0 9 * * 1-5",
        s.general.id,
    )
    assert stored.mention_policy == MentionPolicy.NONE
    summary = "`0 9 * * 1-5`: At 09:00, Monday through Friday (Europe/Berlin)"
    text = text_of(answer)
    assert "**Timezone**: UTC (bot default) → Europe/Berlin" in text
    assert f"**Dev channel**: not set: notices wait in /scheduler status → <#{s.dev.id}>" in text
    assert summary in text
    [detail] = await config_audit(app)
    assert detail["timezone"] == {"from": None, "to": BERLIN}
    assert detail["manager_role_id"] == {"from": None, "to": s.managers.id}
    assert detail["mention_policy"] == {"from": "creator", "to": "none"}
    assert detail["moved_tasks"] == 0
    entries = await app.bot.engine.audit.for_guild(s.guild.id, 10)
    assert entries[0].actor_id == s.admin.id

    shown = fields(await scheduler(app, s.admin, "config"))
    assert shown["Timezone"] == BERLIN
    assert shown["Dev channel"] == f"<#{s.dev.id}>"
    assert shown["Alert channel"] == f"<#{s.news.id}>"
    assert shown["Manager role"] == f"<@&{s.managers.id}>"
    assert shown["Overview schedule"].startswith(summary)
    assert shown["Overview channel"] == f"<#{s.general.id}>"
    assert shown["Mention policy"].startswith("none")


async def test_clear_resets_one_setting_to_its_default(app: App) -> None:
    s = app.scene
    await scheduler(app, s.admin, "config", dev_channel=s.dev, timezone=BERLIN)

    answer = await scheduler(app, s.admin, "config", clear="dev_channel")

    assert f"**Dev channel**: <#{s.dev.id}> → not set" in text_of(answer)
    stored = await settings(app)
    assert stored.dev_channel_id is None and stored.timezone == BERLIN
    assert (await config_audit(app))[0] == {"dev_channel_id": {"from": s.dev.id, "to": None}}

    answer = await scheduler(app, s.admin, "config", clear="timezone")
    assert fields(answer, 1)["Timezone"] == "UTC (bot default)"
    assert (await settings(app)).timezone is None


async def test_setting_a_value_it_already_has_changes_nothing(app: App) -> None:
    s = app.scene
    await scheduler(app, s.admin, "config", mention_policy="none")
    answer = await scheduler(app, s.admin, "config", mention_policy="none")
    assert embed_of(answer)["title"] == "Nothing changed"
    assert len(await config_audit(app)) == 1


async def test_timezone_change_moves_tasks_that_follow_the_server_zone(app: App) -> None:
    s = app.scene
    follows = await seed(app, "follows", "0 9 * * *")
    own = await seed(app, "own-zone", "0 9 * * *", timezone="UTC")

    answer = await scheduler(app, s.admin, "config", timezone=BERLIN)

    assert "Moved 1 task(s) that follow the server's zone to Europe/Berlin" in text_of(answer)
    now = app.bot.engine.clock.now()
    moved = await app.bot.engine.tasks.get(follows.id)
    assert moved is not None and moved.next_run_at == next_local(BERLIN, 9, now)
    kept = await app.bot.engine.tasks.get(own.id)
    assert kept is not None and kept.next_run_at == own.next_run_at
    assert (await config_audit(app))[0]["moved_tasks"] == 1
    shown = await final_answer(await app.slash(s.admin, "show", task="follows"))
    assert "Europe/Berlin" in text_of(shown)


async def test_timezone_autocompletes(app: App) -> None:
    s = app.scene
    choices = await app.fd.autocomplete(
        s.guild, s.admin, "scheduler config", focused="timezone", value="berl"
    )
    assert [c["value"] for c in choices] == [BERLIN]
    many = await app.fd.autocomplete(s.guild, s.admin, "scheduler config", focused="timezone")
    assert 0 < len(many) <= 25


# --------------------------------------------------------------------------- config: refused


@pytest.mark.parametrize(
    ("options", "fragments", "example"),
    [
        pytest.param(
            {"timezone": "Mars/Base"}, ['Unknown timezone "Mars/Base"'], BERLIN, id="zone"
        ),
        pytest.param(
            {"timezone": "Europe/Berln"}, ["Did you mean Europe/Berlin?"], BERLIN, id="typo"
        ),
        pytest.param(
            {"timezone": BERLIN, "summary_cron": "every morning"},
            ["summary_cron:"],
            "0 9 * * 1-5",
            id="bad-cron-beside-a-good-zone",
        ),
        pytest.param(
            {"summary_cron": "0 25 * * *"}, ["summary_cron:"], "0 9 * * 1-5", id="cron-hour"
        ),
        pytest.param(
            {"timezone": BERLIN, "clear": "timezone"},
            ["both set and cleared"],
            None,
            id="set-and-clear",
        ),
    ],
)
async def test_bad_values_are_refused_and_nothing_is_written(
    app: App, options: dict[str, Any], fragments: list[str], example: str | None
) -> None:
    before = await settings(app)
    follows = await seed(app, "follows")

    refused(await scheduler(app, app.scene.admin, "config", **options), *fragments, example=example)

    assert await settings(app) == before
    assert await config_audit(app) == []
    assert await app.bot.engine.tasks.get(follows.id) == follows


@pytest.mark.parametrize("option", ["dev_channel", "alert_channel", "summary_channel"])
@pytest.mark.parametrize(
    ("channel", "missing"), [("readonly", "Send Messages"), ("noembed", "Embed Links")]
)
async def test_a_channel_the_bot_cannot_post_embeds_in_is_refused(
    app: App, option: str, channel: str, missing: str
) -> None:
    s = app.scene
    target = getattr(s, channel)
    answer = await scheduler(app, s.admin, "config", timezone=BERLIN, **{option: target})
    refused(
        answer, f"{option}: I can't post embeds in <#{target.id}>", missing, "Nothing was changed"
    )
    assert (await settings(app)).updated_at is None
    assert await config_audit(app) == []


async def test_everyone_or_a_bot_role_cannot_be_the_manager_role(app: App) -> None:
    s = app.scene
    refused(
        await scheduler(app, s.admin, "config", manager_role=s.guild.everyone),
        "@everyone can't be the manager role",
        example="manager_role: @Schedulers",
    )
    bot_role = next(r for r in s.guild.roles.values() if r.managed)
    refused(await scheduler(app, s.admin, "config", manager_role=bot_role), "managed")
    assert (await settings(app)).manager_role_id is None


async def test_the_overview_without_a_channel_is_flagged(app: App) -> None:
    answer = await scheduler(app, app.scene.admin, "config", summary_cron="@daily")
    assert "The overview has nowhere to go" in text_of(answer)
    assert (await settings(app)).summary_cron == "0 0 * * *"


# --------------------------------------------------------------------------- notice routing


async def break_a_task(app: App, *, guild: Any, admin: Any, name: str) -> Task:
    """A task posting to a channel that is then deleted; `/schedule run` makes it fail."""
    doomed = guild.add_channel(f"{name}-channel")
    await announce(app, doomed)
    task = await final_answer(
        await app.slash(
            admin, "cron", guild=guild, name=name, cron="0 9 * * *", channel=doomed, message="hi"
        )
    )
    assert "Scheduled" in embed_of(task)["title"], text_of(task)
    await app.fd.delete_channel(doomed)
    ran = await final_answer(await app.slash(admin, "run", guild=guild, task=name))
    assert "failed" in text_of(ran)
    await app.bot.engine.alerts.flush()
    stored = await app.bot.engine.tasks.get_by_name(guild.id, name)
    assert stored is not None and stored.status == "failed"
    return stored


async def test_a_guilds_failure_goes_to_its_own_dev_channel_only(app: App) -> None:
    s = app.scene
    ops = s.guild.add_channel("ops")
    await announce(app, ops)
    other_dev = s.other.add_channel("their-dev")
    await announce(app, other_dev)
    await scheduler(app, s.admin, "config", dev_channel=ops)
    await scheduler(app, s.other_admin, "config", guild=s.other, dev_channel=other_dev)
    cursor = app.fd.cursor()

    await break_a_task(app, guild=s.guild, admin=s.admin, name="doomed")

    message = await app.fd.wait_for_message(ops, after=cursor)
    [embed] = message.embeds
    assert "doomed" in embed["title"] and "paused" in embed["title"]
    assert embed["footer"]["text"] == "Cadence · task failed"
    newer = [m for m in app.fd.all_posts() if m.id > cursor]
    assert [m.channel_id for m in newer] == [ops.id]  # not B's channels, not the operator's
    assert not [m for m in app.fd.all_posts() if m.guild_id == s.other.id]
    assert await app.bot.engine.notices.count_unread(s.guild.id) == 0


async def test_a_guild_without_dev_channel_finds_its_notice_in_status(app: App) -> None:
    s = app.scene
    cursor = app.fd.cursor()

    await break_a_task(app, guild=s.other, admin=s.other_admin, name="lost")

    # The operator's DEV_CHANNEL_ID is in the other guild, so nothing is posted anywhere.
    assert [m for m in app.fd.all_posts() if m.id > cursor] == []
    assert await app.bot.engine.notices.count_unread(s.other.id) == 1
    mine = text_of(await scheduler(app, s.admin, "status"))
    assert "lost" not in mine

    answer = await scheduler(app, s.other_admin, "status", guild=s.other)

    text = text_of(answer)
    assert "Unread notices (1)" in text and "🔴 error" in text
    assert "Task 'lost' paused: its destination is gone" in text
    assert await app.bot.engine.notices.count_unread(s.other.id) == 0
    again = text_of(await scheduler(app, s.other_admin, "status", guild=s.other))
    assert "No unread notices" in again and "lost" not in again
