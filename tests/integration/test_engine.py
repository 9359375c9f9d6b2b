"""The engine with a fake clock, real SQLite, real APScheduler objects and recording fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.payload import make_nonce
from scheduler.protocols import PermanentDeliveryError, TransientDeliveryError
from storage import (
    ChannelDestination,
    NewTask,
    Payload,
    RunStatus,
    RunTrigger,
    TaskKind,
    TaskStatus,
    TaskUpdate,
    Variant,
)
from tests.integration.engine_harness import (
    CHANNEL,
    GUILD,
    OTHER_GUILD,
    Harness,
    guild_lifecycle,
)


async def runs_by_status(h: Harness, task_id: int) -> dict[str, int]:
    assert h.engine is not None
    out: dict[str, int] = {}
    for run in await h.engine.runs.list_for_task(task_id, limit=1000):
        out[str(run.status)] = out.get(str(run.status), 0) + 1
    return out


async def test_cron_task_fires_at_its_second_and_advances(harness: Harness) -> None:
    task = await harness.add("morning", "cron", "0 9 * * *")
    assert task.next_run_at == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    await harness.start()
    assert await harness.tick(seconds=29) == 0  # 08:59:59
    assert harness.deliverer.posts == []
    assert await harness.tick(seconds=1) == 1  # 09:00:00
    [post] = harness.deliverer.posts
    assert post.task_id == task.id
    assert post.destination == ChannelDestination(channel_id=CHANNEL)
    assert post.message.content == "post from morning"
    assert post.nonce == make_nonce(task.id, datetime(2026, 11, 2, 9, 0, tzinfo=UTC), 0)
    assert len(post.nonce) <= 25
    assert harness.engine is not None
    stored = await harness.engine.tasks.get(task.id)
    assert stored is not None
    assert stored.next_run_at == datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    assert stored.run_count == 1 and stored.last_run_at == post.scheduled_for
    [run] = await harness.engine.runs.list_for_task(task.id)
    assert (run.status, run.trigger, run.late_by_ms) == (RunStatus.OK, RunTrigger.SCHEDULE, 0)


@pytest.mark.parametrize(
    ("policy", "catch_up_max", "posted_hours", "missed"),
    [
        ("skip", 10, [], 5),
        ("once", 10, [14], 4),
        ("all", 10, [10, 11, 12, 13, 14], 0),
        ("all", 3, [12, 13, 14], 2),
    ],
    ids=["skip", "once", "all", "all-capped"],
)
async def test_restart_over_missed_runs_follows_the_catch_up_policy(
    harness: Harness, policy: str, catch_up_max: int, posted_hours: list[int], missed: int
) -> None:
    harness.config = harness.config.__class__(alert_window_seconds=0, catch_up_max=catch_up_max)
    await harness.restart()
    task = await harness.add("hourly", "cron", "0 * * * *", catch_up=policy)
    await harness.start()
    await harness.tick(seconds=30)  # 09:00 runs normally
    assert len(harness.deliverer.posts) == 1
    await harness.close()
    harness.clock.set(datetime(2026, 11, 2, 14, 20, tzinfo=UTC))  # down 09:00:30 - 14:20
    await harness.open()
    await harness.start()
    later = [p.scheduled_for.hour for p in harness.deliverer.posts[1:]]
    assert later == posted_hours
    counts = await runs_by_status(harness, task.id)
    assert counts.get("missed", 0) == missed
    assert counts["ok"] == 1 + len(posted_hours)
    assert harness.engine is not None
    stored = await harness.engine.tasks.get(task.id)
    assert stored is not None and stored.next_run_at == datetime(2026, 11, 2, 15, tzinfo=UTC)
    reports = [n for n in harness.alerter.sent if n.kind == "catch_up_report"]
    assert len(reports) == 1 and reports[0].guild_id == GUILD
    assert "hourly" in reports[0].body
    late = [r for r in await harness.engine.runs.list_for_task(task.id) if r.trigger == "catch_up"]
    assert len(late) == len(posted_hours)
    assert all((r.late_by_ms or 0) > 0 for r in late)


async def test_one_report_per_guild_after_downtime(harness: Harness) -> None:
    await harness.add("a1", "cron", "0 * * * *")
    await harness.add("a2", "cron", "30 * * * *")
    await harness.add("b1", "cron", "0 * * * *", guild_id=OTHER_GUILD)
    await harness.close()
    harness.clock.set(datetime(2026, 11, 2, 12, 45, tzinfo=UTC))
    await harness.open()
    await harness.start()
    reports = [n for n in harness.alerter.sent if n.kind == "catch_up_report"]
    assert sorted(n.guild_id for n in reports) == sorted([GUILD, OTHER_GUILD])
    ours = next(n for n in reports if n.guild_id == GUILD)
    assert "a1" in ours.body and "a2" in ours.body and "b1" not in ours.body


async def test_crash_inside_resume_window_resends_with_the_same_nonce(harness: Harness) -> None:
    task = await harness.add("resend", "cron", "0 9 * * *")
    assert harness.engine is not None
    due = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    # The previous process wrote the run row, advanced the task and had posted when it died.
    harness.clock.set(due)
    run = await harness.engine.runs.start(task.id, due, RunTrigger.SCHEDULE, due)
    await harness.engine.tasks.advance(task.id, next_run_at=due + timedelta(days=1))
    first_nonce = make_nonce(task.id, due, 0)
    from scheduler.protocols import Delivery

    await harness.deliverer.deliver(
        Delivery(
            task.id,
            GUILD,
            "resend",
            due,
            {"type": "channel", "channel_id": CHANNEL},
            {"content": "post from resend"},
            first_nonce,
        )
    )
    await harness.close()
    harness.clock.set(due + timedelta(seconds=60))
    await harness.open()
    report = await harness.start()
    assert report["recovered"] == 1
    assert [c.nonce for c in harness.deliverer.calls] == [first_nonce, first_nonce]
    assert len(harness.deliverer.posts) == 1  # Discord returned the first message
    stored_run = await harness.engine.runs.get(run.id) if harness.engine else None
    assert stored_run is not None and stored_run.status == RunStatus.OK
    assert any(n.kind == "runs_interrupted" for n in harness.alerter.sent)


async def test_crash_outside_resume_window_becomes_unknown_and_is_reported(
    harness: Harness,
) -> None:
    task = await harness.add("stale", "cron", "0 9 * * *")
    assert harness.engine is not None
    due = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    run = await harness.engine.runs.start(task.id, due, RunTrigger.SCHEDULE, due)
    await harness.engine.tasks.advance(task.id, next_run_at=due + timedelta(days=1))
    await harness.close()
    harness.clock.set(due + timedelta(seconds=121))
    await harness.open()
    await harness.start()
    assert harness.deliverer.calls == []
    stored = await harness.engine.runs.get(run.id)
    assert stored is not None and stored.status == RunStatus.UNKNOWN
    [notice] = [n for n in harness.alerter.sent if n.kind == "runs_interrupted"]
    assert "stale" in notice.body and notice.guild_id == GUILD
    # Nothing doubled afterwards: the next run is tomorrow's.
    await harness.tick(days=1)
    assert [p.scheduled_for for p in harness.deliverer.posts] == [due + timedelta(days=1)]


async def test_transient_error_is_retried_with_backoff_then_succeeds(harness: Harness) -> None:
    failures = iter([TransientDeliveryError("502 Bad Gateway", status=502)])
    harness.deliverer.faults.append(lambda d: next(failures, None))
    task = await harness.add("flaky", "cron", "0 9 * * *")
    await harness.start()
    await harness.tick(seconds=30)
    assert len(harness.deliverer.calls) == 2
    assert harness.deliverer.calls[0].nonce == harness.deliverer.calls[1].nonce
    assert harness.clock.slept == [1.0]
    assert harness.engine is not None
    [run] = await harness.engine.runs.list_for_task(task.id)
    assert run.status == RunStatus.OK and run.attempts == 2


async def test_permanent_error_is_not_retried(harness: Harness) -> None:
    harness.deliverer.faults.append(
        lambda d: PermanentDeliveryError("Missing Permissions", code=50013, status=403)
    )
    task = await harness.add("forbidden", "cron", "0 9 * * *")
    await harness.start()
    await harness.tick(seconds=30)
    assert len(harness.deliverer.calls) == 1
    assert harness.engine is not None
    [run] = await harness.engine.runs.list_for_task(task.id)
    assert run.status == RunStatus.FAILED and run.attempts == 1
    assert "Missing Permissions" in (run.error or "")
    stored = await harness.engine.tasks.get(task.id)
    assert stored is not None and stored.status == TaskStatus.ACTIVE
    assert stored.consecutive_failures == 1


async def test_unknown_channel_pauses_the_task_at_once(harness: Harness) -> None:
    harness.deliverer.faults.append(
        lambda d: PermanentDeliveryError(
            "Unknown Channel",
            code=10003,
            status=404,
            pause_now=True,
            fix="Pick a channel that exists with /schedule edit.",
        )
    )
    task = await harness.add("gone", "cron", "0 9 * * *")
    await harness.start()
    await harness.tick(seconds=30)
    assert harness.engine is not None
    stored = await harness.engine.tasks.get(task.id)
    assert stored is not None and stored.status == TaskStatus.FAILED
    assert stored.next_run_at is None
    [notice] = harness.alerter.sent
    assert notice.guild_id == GUILD and "gone" in notice.title and "paused" in notice.title
    assert "/schedule edit" in notice.body
    await harness.tick(days=1)
    assert len(harness.deliverer.calls) == 1


async def test_pause_after_consecutive_failures_with_one_notice(harness: Harness) -> None:
    harness.deliverer.faults.append(
        lambda d: PermanentDeliveryError("Missing Access", code=50001, status=403)
    )
    task = await harness.add("noaccess", "cron", "0 * * * *")
    await harness.start()
    for _ in range(5):
        await harness.tick(hours=1)
    assert harness.engine is not None
    stored = await harness.engine.tasks.get(task.id)
    assert stored is not None and stored.status == TaskStatus.PAUSED
    assert len(harness.deliverer.calls) == 3
    paused = [n for n in harness.alerter.sent if "paused" in n.title]
    assert len(paused) == 1 and "3 failures" in paused[0].title


async def test_a_failing_task_does_not_stop_or_delay_others(harness: Harness) -> None:
    def boom(delivery):  # type: ignore[no-untyped-def]
        return RuntimeError("bug in a deliverer") if delivery.task_name == "bad" else None

    harness.deliverer.faults.append(boom)
    bad = await harness.add("bad", "cron", "0 9 * * *")
    good = await harness.add("good", "cron", "0 9 * * *")
    await harness.start()
    await harness.tick(seconds=30)
    assert [p.task_id for p in harness.deliverer.posts] == [good.id]
    assert harness.engine is not None
    [bad_run] = await harness.engine.runs.list_for_task(bad.id)
    assert bad_run.status == RunStatus.FAILED
    await harness.tick(days=1)
    assert [p.task_id for p in harness.deliverer.posts] == [good.id, good.id]


async def test_other_guilds_run_is_dispatched_among_the_first_few(harness: Harness) -> None:
    harness.config = harness.config.__class__(alert_window_seconds=0, concurrency=4)
    await harness.restart()
    for n in range(500):
        await harness.add(f"burst-{n:03}", "cron", "0 9 * * *")
    lone = await harness.add("lone", "cron", "0 9 * * *", guild_id=OTHER_GUILD)
    await harness.start()
    await harness.tick(seconds=30)
    order = [c.task_id for c in harness.deliverer.calls]
    assert len(order) == 501
    assert order.index(lone.id) < 5


@pytest.mark.sqlite_only  # counts statements through SQLite's trace hook
async def test_a_burst_is_written_before_its_first_post_and_finished_in_a_few_writes(
    harness: Harness,
) -> None:
    """300 due at once: every run row and advance in one transaction before anything is
    sent (not a few statements per run while the others wait), and the outcomes recorded in
    a handful of transactions (not two per run)."""
    assert harness.engine is not None and harness.db is not None
    tasks = [await harness.add(f"burst-{n:03}", "cron", "0 9 * * *") for n in range(300)]
    await harness.start()
    events: list[str] = []

    def first_post(delivery):  # type: ignore[no-untyped-def]
        if not any(e == "post" for e in events):
            events.append("post")

    harness.deliverer.faults.append(first_post)
    await harness.db.set_trace(events.append)
    await harness.tick(seconds=30)
    await harness.db.set_trace(None)
    assert len(harness.deliverer.posts) == 300
    before_post = events[: events.index("post")]
    assert sum(e.startswith("BEGIN") for e in before_post) == 1
    assert sum("INSERT INTO runs" in e for e in before_post) == 1  # all 300 rows at once
    assert sum(e.startswith("BEGIN") for e in events) <= 10
    for task in tasks:
        [run] = await harness.engine.runs.list_for_task(task.id)
        assert run.status == RunStatus.OK
        stored = await harness.engine.tasks.get(task.id)
        assert stored is not None and stored.run_count == 1
        assert stored.next_run_at == datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


async def test_skip_next_records_skipped_runs(harness: Harness) -> None:
    task = await harness.add("skippy", "cron", "0 9 * * *")
    assert harness.control is not None
    await harness.control.skip(task, 2, actor_id=1)
    await harness.start()
    await harness.tick(seconds=30)  # 2 Nov 09:00, skipped
    await harness.tick(days=1)  # 3 Nov, skipped
    await harness.tick(days=1)  # 4 Nov, runs
    assert [p.scheduled_for.day for p in harness.deliverer.posts] == [4]
    assert (await runs_by_status(harness, task.id)) == {"skipped": 2, "ok": 1}


async def test_max_runs_completes_the_task(harness: Harness) -> None:
    task = await harness.add("twice", "cron", "0 9 * * *", max_runs=2)
    await harness.start()
    await harness.tick(seconds=30)
    await harness.tick(days=1)
    await harness.tick(days=1)
    assert len(harness.deliverer.posts) == 2
    assert harness.engine is not None
    stored = await harness.engine.tasks.get(task.id)
    assert stored is not None and stored.status == TaskStatus.COMPLETED
    assert stored.next_run_at is None


async def test_date_task_runs_once_and_completes(harness: Harness) -> None:
    task = await harness.add("once", "date", "2026-11-02T10:00:00Z")
    await harness.start()
    await harness.tick(minutes=61)
    await harness.tick(days=3)
    assert len(harness.deliverer.posts) == 1
    assert harness.engine is not None
    stored = await harness.engine.tasks.get(task.id)
    assert stored is not None and stored.status == TaskStatus.COMPLETED


async def test_paused_task_does_not_fire_and_resume_continues_from_now(harness: Harness) -> None:
    task = await harness.add("pausable", "cron", "0 9 * * *")
    assert harness.control is not None
    await harness.start()
    await harness.control.pause(task, actor_id=1)
    await harness.tick(seconds=30)
    assert harness.deliverer.posts == []
    paused = await harness.control.get(GUILD, task.id)
    resumed = await harness.control.resume(paused, actor_id=1)
    assert resumed.next_run_at == datetime(2026, 11, 3, 9, tzinfo=UTC)
    await harness.tick(days=1)
    assert len(harness.deliverer.posts) == 1


async def test_edit_moves_the_next_run(harness: Harness) -> None:
    task = await harness.add("editable", "cron", "0 9 * * *")
    assert harness.control is not None
    await harness.start()
    edited = await harness.control.edit(task, TaskUpdate(spec="5 9 * * *"), actor_id=1)
    assert edited.next_run_at == datetime(2026, 11, 2, 9, 5, tzinfo=UTC)
    await harness.tick(seconds=30)
    assert harness.deliverer.posts == []
    await harness.tick(minutes=5)
    assert len(harness.deliverer.posts) == 1
    assert harness.engine is not None
    actions = [a.action for a in await harness.engine.audit.for_task(task.id)]
    assert sorted(actions) == ["create", "edit"]


async def test_interval_first_run_is_one_period_after_creation(harness: Harness) -> None:
    task = await harness.add("every", "interval", "90m")
    assert task.next_run_at == harness.clock.now() + timedelta(minutes=90)
    await harness.start()
    await harness.tick(minutes=90)
    await harness.tick(minutes=90)
    assert [p.scheduled_for for p in harness.deliverer.posts] == [
        task.next_run_at,
        task.next_run_at + timedelta(minutes=90),
    ]


async def test_deleted_task_never_fires(harness: Harness) -> None:
    task = await harness.add("doomed", "cron", "0 9 * * *")
    assert harness.control is not None
    await harness.start()
    await harness.control.delete(task, actor_id=1)
    await harness.tick(seconds=30)
    assert harness.deliverer.calls == []


async def test_run_now_is_recorded_as_manual_and_leaves_the_schedule(harness: Harness) -> None:
    task = await harness.add("manual", "cron", "0 9 * * *")
    assert harness.control is not None and harness.engine is not None
    await harness.start()
    run = await harness.control.run_now(task, actor_id=1)
    assert run.status == RunStatus.OK and run.trigger == RunTrigger.MANUAL
    stored = await harness.engine.tasks.get(task.id)
    assert stored is not None and stored.next_run_at == task.next_run_at
    assert stored.run_count == 0


async def test_guild_without_dev_channel_keeps_notices_unread(harness: Harness) -> None:
    harness.alerter.without_channel.add(GUILD)
    harness.deliverer.faults.append(
        lambda d: PermanentDeliveryError("Unknown Channel", code=10003, pause_now=True)
    )
    await harness.add("lost", "cron", "0 9 * * *")
    await harness.start()
    await harness.tick(seconds=30)
    assert harness.engine is not None
    unread = await harness.engine.notices.unread(GUILD)
    assert len(unread) == 1 and "lost" in unread[0].title
    assert await harness.engine.notices.unread(OTHER_GUILD) == []


async def test_interval_phase_survives_an_edit_and_a_restart(harness: Harness) -> None:
    task = await harness.add("phase", "interval", "90m")  # created 08:59:30
    assert task.start_at == datetime(2026, 11, 2, 10, 29, 30, tzinfo=UTC)
    harness.clock.advance(minutes=10)  # 09:09:30
    assert harness.control is not None
    edited = await harness.control.edit(task, TaskUpdate(spec="1h"), actor_id=1)
    assert edited.next_run_at == edited.start_at == datetime(2026, 11, 2, 10, 9, 30, tzinfo=UTC)
    await harness.restart()
    await harness.start()
    await harness.tick(hours=1)
    await harness.tick(hours=1)
    assert [p.scheduled_for.strftime("%H:%M:%S") for p in harness.deliverer.posts] == [
        "10:09:30",
        "11:09:30",
    ]


@pytest.mark.slow
async def test_twenty_thousand_runs_due_at_once_are_all_run(harness: Harness) -> None:
    assert harness.engine is not None
    due = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    news = [
        NewTask(
            name=f"burst-{n}",
            kind=TaskKind.CRON,
            spec="0 9 * * *",
            created_at=harness.clock.now(),
            guild_id=GUILD + n % 40,
            timezone="UTC",
            payload=Payload(variants=(Variant(content=f"post {n}"),)),
            destinations=(ChannelDestination(channel_id=CHANNEL),),
            next_run_at=due,
        )
        for n in range(20_000)
    ]
    assert await harness.engine.tasks.create_many(news) == 20_000
    await harness.start()
    harness.clock.advance(seconds=45)  # the loop was blocked past the instant: still run
    assert await harness.engine.tick() == 20_000
    await harness.engine.drain()
    posted = {(p.task_id, p.scheduled_for) for p in harness.deliverer.posts}
    assert len(harness.deliverer.posts) == len(posted) == 20_000
    counts = await harness.engine.runs.recent_counts(due - timedelta(minutes=1))
    assert counts["ok"] == 20_000 and sum(counts.values()) == 20_000
    assert await harness.engine.tasks.due_before(harness.clock.now(), limit=10) == []


async def test_guild_leave_pauses_and_return_resumes_with_catch_up(harness: Harness) -> None:
    assert harness.engine is not None
    lifecycle = guild_lifecycle(harness.engine, retention_days=30)
    task = await harness.add("hourly", "cron", "0 * * * *", catch_up="once")
    other = await harness.add("theirs", "cron", "0 * * * *", guild_id=OTHER_GUILD)
    await harness.start()
    assert await lifecycle.left(GUILD) == 1
    await harness.tick(hours=3)
    assert [p.task_id for p in harness.deliverer.posts] == [other.id]
    assert await lifecycle.returned(GUILD) == 1
    assert await lifecycle.returned(GUILD) == 0  # only once
    await harness.tick()
    mine = [p for p in harness.deliverer.posts if p.task_id == task.id]
    assert len(mine) == 1  # catch-up "once": the latest missed hour
    stored = await harness.engine.tasks.get(task.id)
    assert stored is not None and stored.status == TaskStatus.ACTIVE


async def test_guild_data_is_deleted_after_the_retention_period(harness: Harness) -> None:
    assert harness.engine is not None
    lifecycle = guild_lifecycle(harness.engine, retention_days=30)
    task = await harness.add("kept-a-while", "cron", "0 9 * * *")
    await lifecycle.left(GUILD)
    harness.clock.advance(days=29)
    assert await lifecycle.purge_expired() == []
    assert await harness.engine.tasks.get(task.id) is not None
    harness.clock.advance(days=2)
    assert await lifecycle.purge_expired() == [GUILD]
    assert await harness.engine.tasks.get(task.id) is None


async def test_editing_an_intervals_end_or_zone_keeps_its_phase(harness: Harness) -> None:
    task = await harness.add("daily", "interval", "1d")  # created 08:59:30: daily at 08:59:30
    harness.clock.advance(hours=3)
    assert harness.control is not None
    first = task.next_run_at
    assert first is not None
    ended = await harness.control.edit(
        task, TaskUpdate(end_at=first + timedelta(days=30)), actor_id=1
    )
    assert (ended.start_at, ended.next_run_at) == (task.start_at, first)
    moved = await harness.control.edit(ended, TaskUpdate(timezone="Europe/Berlin"), actor_id=1)
    # A calendar interval keeps its wall-clock time: 08:59:30 now means 08:59:30 in Berlin.
    assert moved.start_at == task.start_at - timedelta(hours=1)
    assert moved.next_run_at == first - timedelta(hours=1)


async def test_unread_notices_keep_their_fields(harness: Harness) -> None:
    from scheduler.protocols import Notice
    from storage import NoticeLevel

    assert harness.engine is not None
    harness.alerter.without_channel.add(GUILD)
    harness.engine.notify(
        Notice(
            GUILD,
            NoticeLevel.ERROR,
            "task_failed",
            "Digest",
            "3 tasks failed",
            fields=(("What to do", "Give the bot Send Messages in #news"),),
        )
    )
    await harness.engine.drain()
    [kept] = await harness.engine.notices.unread(GUILD)
    assert kept.body == "3 tasks failed\nWhat to do: Give the bot Send Messages in #news"
