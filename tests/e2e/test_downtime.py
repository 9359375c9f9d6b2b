"""Three days of downtime, through the real `python bot.py` process (issue 8, item 6).

Tasks are stored as /schedule would have stored them three days before the process starts;
the process then starts under libfaketime three days later, so every count is exact. Each
catch-up policy must do what ARCHITECTURE section 4 and docs/ENGINE.md say (`skip`: every missed
instant recorded as `missed`; `once`: the latest runs late, the rest `missed`; `all`: the
latest CATCH_UP_MAX run in order, the rest `missed`), and each guild's dev channel receives a
single report listing its tasks.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fakediscord import FakeDiscord, Permission
from scheduler.payload import make_nonce
from storage import (
    CatchUp,
    ChannelDestination,
    Database,
    GuildSettingsRepository,
    NewTask,
    Payload,
    Task,
    TaskKind,
    Variant,
)
from tests.e2e.harness import (
    BACKENDS,
    BotProcess,
    Scene,
    build_scene,
    faketime_missing_outside_ci,
)
from tests.e2e.proof import notice_text, run_rows, seed_new, task_row
from tests.postgres_server import query_rows

pytestmark = pytest.mark.slow
needs_faketime = pytest.mark.skipif(
    faketime_missing_outside_ci(),
    reason="needs libfaketime (Debian package faketime); .ci/run installs it and never skips",
)

RESTART = datetime(2027, 5, 10, 12, 0, 30, tzinfo=UTC)  # the process starts here (faked)
STOPPED = RESTART - timedelta(days=3)  # the tasks were stored, and the bot stopped, here
CATCH_UP_MAX = 5
HOURLY = [STOPPED.replace(minute=0, second=0) + timedelta(hours=h) for h in range(1, 73)]
DAILY = [datetime(2027, 5, d, 9, 0, tzinfo=UTC) for d in (8, 9, 10)]
DATE_ONCE = datetime(2027, 5, 8, 18, 0, tzinfo=UTC)
DATE_SKIP = datetime(2027, 5, 9, 6, 30, tzinfo=UTC)
REPORT = "Missed runs while the bot was offline"

# Every proof here runs on each storage backend.
pytestmark = pytest.mark.parametrize("bot", BACKENDS, indirect=True)


@pytest.fixture
def scene() -> Scene:
    """The e2e guild with its own dev channel, and a second guild with its own."""
    built = build_scene()
    built.guild.add_channel("ops")
    other = built.world.add_guild("Elsewhere", owner="owner2")
    other.add_role("Admins", Permission.ADMINISTRATOR)
    other.add_channel("their-general")
    other.add_channel("their-ops")
    return built


def other_guild(scene: Scene) -> Any:
    [guild] = [g for g in scene.world.guilds.values() if g.name == "Elsewhere"]
    return guild


def new_task(
    guild: Any,
    channel: Any,
    name: str,
    kind: TaskKind,
    spec: str,
    catch_up: CatchUp,
    created_at: datetime = STOPPED,
) -> NewTask:
    return NewTask(
        name=name,
        kind=kind,
        spec=spec,
        created_at=created_at,
        guild_id=guild.id,
        timezone="UTC",
        catch_up=catch_up,
        payload=Payload(variants=(Variant(content=f"{name} post"),)),
        destinations=(ChannelDestination(channel_id=channel.id),),
    )


async def seed_world(bot: BotProcess, scene: Scene) -> dict[str, Task]:
    general, other = scene.general, other_guild(scene)
    specs = [
        (scene.guild, general, "hourly-skip", TaskKind.CRON, "0 * * * *", CatchUp.SKIP),
        (scene.guild, general, "hourly-once", TaskKind.CRON, "0 * * * *", CatchUp.ONCE),
        (scene.guild, general, "hourly-all", TaskKind.CRON, "0 * * * *", CatchUp.ALL),
        (scene.guild, general, "daily-all", TaskKind.CRON, "0 9 * * *", CatchUp.ALL),
        (scene.guild, general, "date-once", TaskKind.DATE, "2027-05-08T18:00:00Z", CatchUp.ONCE),
        (scene.guild, general, "date-skip", TaskKind.DATE, "2027-05-09T06:30:00Z", CatchUp.SKIP),
        (
            other,
            other.channel_named("their-general"),
            "their-hourly",
            TaskKind.CRON,
            "0 * * * *",
            CatchUp.ONCE,
        ),
    ]
    tasks = {}
    for guild, channel, name, kind, spec, catch_up in specs:
        tasks[name] = await seed_new(
            bot.db_path, new_task(guild, channel, name, kind, spec, catch_up)
        )
    async with Database.open(bot.db_path) as db:
        guilds = GuildSettingsRepository(db)
        await guilds.update(
            scene.guild.id, STOPPED, dev_channel_id=scene.guild.channel_named("ops").id
        )
        await guilds.update(other.id, STOPPED, dev_channel_id=other.channel_named("their-ops").id)
    return tasks


def runs_by(bot: BotProcess, task: Task) -> Counter[tuple[str, str]]:
    """(status, trigger) → how many run rows."""
    return Counter((r["status"], r["trigger"]) for r in run_rows(bot.db_path, task.id))


def instants(bot: BotProcess, task: Task, status: str) -> list[datetime]:
    return [
        datetime.fromtimestamp(r["scheduled_for"] / 1000, UTC)
        for r in run_rows(bot.db_path, task.id)
        if r["status"] == status
    ]


def posts_of(fd: FakeDiscord, task: Task) -> list[str]:
    """The nonces of the task's posts, in the order "Discord" received them."""
    return [m.nonce or "" for m in fd.all_posts() if m.content == f"{task.name} post"]


def nonces(task: Task, at: list[datetime]) -> list[str]:
    return [make_nonce(task.id, instant, 0) for instant in at]


@needs_faketime
async def test_three_days_down_each_policy_catches_up_as_documented_with_one_report(
    bot: BotProcess, fd: FakeDiscord, scene: Scene
) -> None:
    tasks = await seed_world(bot, scene)
    assert tasks["hourly-skip"].next_run_at == HOURLY[0]
    assert tasks["daily-all"].next_run_at == DAILY[0]
    ops, their_ops = scene.guild.channel_named("ops"), other_guild(scene).channel_named("their-ops")

    started = await bot.start(
        faketime=f"@{RESTART:%Y-%m-%d %H:%M:%S}", CATCH_UP_MAX=str(CATCH_UP_MAX)
    )
    assert started is not None
    report = await fd.wait_for_message(ops, lambda m: REPORT in m.embeds[0]["title"], timeout=10)
    await fd.wait_for_message(their_ops, lambda m: REPORT in m.embeds[0]["title"], timeout=5)
    assert await bot.stop() == 0

    # skip: all 72 hourly instants recorded as missed, nothing posted, on to the next hour.
    skip = tasks["hourly-skip"]
    assert runs_by(bot, skip) == {("missed", "schedule"): 72}
    assert instants(bot, skip, "missed") == HOURLY
    assert posts_of(fd, skip) == []
    next_hour = int(RESTART.replace(minute=0, second=0).timestamp() * 1000) + 3_600_000
    assert task_row(bot.db_path, skip.id)["next_run_at"] == next_hour

    # once: the latest instant (12:00 today) runs now, late; the 71 before it are missed.
    once = tasks["hourly-once"]
    assert runs_by(bot, once) == {("missed", "schedule"): 71, ("ok", "catch_up"): 1}
    assert instants(bot, once, "ok") == HOURLY[-1:]
    assert posts_of(fd, once) == nonces(once, HOURLY[-1:])
    assert task_row(bot.db_path, once.id)["next_run_at"] == next_hour

    # all: the latest CATCH_UP_MAX instants run in order; the 67 older ones are missed.
    every = tasks["hourly-all"]
    assert runs_by(bot, every) == {("missed", "schedule"): 67, ("ok", "catch_up"): 5}
    assert instants(bot, every, "missed") == HOURLY[:-CATCH_UP_MAX]
    assert posts_of(fd, every) == nonces(every, HOURLY[-CATCH_UP_MAX:])  # oldest first

    # all, fewer missed than CATCH_UP_MAX: every one runs, none is missed.
    daily = tasks["daily-all"]
    assert runs_by(bot, daily) == {("ok", "catch_up"): 3}
    assert posts_of(fd, daily) == nonces(daily, DAILY)
    assert task_row(bot.db_path, daily.id)["next_run_at"] == int(
        datetime(2027, 5, 11, 9, 0, tzinfo=UTC).timestamp() * 1000
    )

    # one-time tasks: `once` posts late and completes; `skip` records the miss and completes.
    date_once, date_skip = tasks["date-once"], tasks["date-skip"]
    assert runs_by(bot, date_once) == {("ok", "catch_up"): 1}
    assert posts_of(fd, date_once) == nonces(date_once, [DATE_ONCE])
    assert runs_by(bot, date_skip) == {("missed", "schedule"): 1}
    assert instants(bot, date_skip, "missed") == [DATE_SKIP]
    assert posts_of(fd, date_skip) == []
    for task in (date_once, date_skip):
        assert task_row(bot.db_path, task.id)["status"] == "completed"

    # The other guild's task followed its own policy.
    theirs = tasks["their-hourly"]
    assert runs_by(bot, theirs) == {("missed", "schedule"): 71, ("ok", "catch_up"): 1}

    # One report per guild, in that guild's own dev channel, listing its tasks.
    reports = [m for m in fd.all_posts() if m.embeds and REPORT in m.embeds[0].get("title", "")]
    assert [m.channel_id for m in reports] == [ops.id, their_ops.id] or [
        m.channel_id for m in reports
    ] == [their_ops.id, ops.id]
    text = notice_text(report)
    assert report.embeds[0]["title"] == f"{REPORT}: 6 task(s)"
    for line in (
        "• **hourly-skip** (skip): 72 missed",
        "• **hourly-once** (once): 71 missed, 1 run late",
        "• **hourly-all** (all): 67 missed, 5 run late",
        "• **daily-all** (all): 3 run late",
        "• **date-once** (once): 1 run late",
        "• **date-skip** (skip): 1 missed",
    ):
        assert line in text, text
    assert "their-hourly" not in text
    [their_report] = [m for m in reports if m.channel_id == their_ops.id]
    assert "• **their-hourly** (once): 71 missed, 1 run late" in notice_text(their_report)
    assert not [m for m in fd.messages(scene.dev) if REPORT in notice_text(m)]
    fields = {f["name"]: f["value"] for f in started.embeds[0]["fields"]}
    assert fields["Missed runs handled"] == "7"
    assert "Traceback" not in bot.log()
    total_posts = sum(len(posts_of(fd, t)) for t in tasks.values())
    assert total_posts == 1 + 5 + 3 + 1 + 1  # and nothing else went out twice
    query = "SELECT count(*) AS running FROM runs WHERE status = 'running'"
    assert query_rows(bot.db_path, query) == [{"running": 0}]


async def test_tasks_stored_three_days_ago_catch_up_on_the_real_clock(
    bot: BotProcess, fd: FakeDiscord, scene: Scene
) -> None:
    """No libfaketime: the tasks' next_run_at lies three days in the past. Their minute is
    half an hour away from now, so exactly 72 hourly instants have passed at start-up."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    minute = (now.minute + 30) % 60
    stopped = now - timedelta(days=3)
    tasks = {
        policy: await seed_new(
            bot.db_path,
            new_task(
                scene.guild,
                scene.general,
                f"real-{policy}",
                TaskKind.CRON,
                f"{minute} * * * *",
                CatchUp(policy),
                created_at=stopped,
            ),
        )
        for policy in ("skip", "once", "all")
    }
    first = tasks["skip"].next_run_at
    assert first is not None and timedelta(0) < first - stopped < timedelta(hours=1)
    passed = [first + timedelta(hours=h) for h in range(72)]

    await bot.start(CATCH_UP_MAX=str(CATCH_UP_MAX))
    report = await fd.wait_for_message(
        scene.dev, lambda m: bool(m.embeds) and REPORT in m.embeds[0]["title"], timeout=10
    )
    assert await bot.stop() == 0

    assert runs_by(bot, tasks["skip"]) == {("missed", "schedule"): 72}
    assert runs_by(bot, tasks["once"]) == {("missed", "schedule"): 71, ("ok", "catch_up"): 1}
    assert runs_by(bot, tasks["all"]) == {("missed", "schedule"): 67, ("ok", "catch_up"): 5}
    assert posts_of(fd, tasks["skip"]) == []
    assert posts_of(fd, tasks["once"]) == nonces(tasks["once"], passed[-1:])
    assert posts_of(fd, tasks["all"]) == nonces(tasks["all"], passed[-CATCH_UP_MAX:])
    for task in tasks.values():
        assert task_row(bot.db_path, task.id)["next_run_at"] == int(
            (passed[-1] + timedelta(hours=1)).timestamp() * 1000
        )
    # The guild has no dev channel of its own: the operator's, in the same guild, gets it.
    reports = [m for m in fd.all_posts() if m.embeds and REPORT in m.embeds[0].get("title", "")]
    assert reports == [report]
    assert report.embeds[0]["title"] == f"{REPORT}: 3 task(s)"
    text = notice_text(report)
    assert "• **real-skip** (skip): 72 missed" in text
    assert "• **real-once** (once): 71 missed, 1 run late" in text
    assert "• **real-all** (all): 67 missed, 5 run late" in text
