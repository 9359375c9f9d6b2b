"""The one-time rewrite of stored crontabs whose days cronie's star rule changed, run by the
real engine's start over a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scheduler.cron_rewrite import DONE_KEY, old_rule_spec
from scheduler.schedules import parse_cron
from storage import (
    ChannelDestination,
    NewTask,
    Payload,
    StateRepository,
    Task,
    TaskKind,
    TaskSource,
    TaskStatus,
    Variant,
)
from tests.integration.engine_harness import CHANNEL, GUILD, OTHER_GUILD, START, Harness

# START is Monday 2026-11-02 08:59:30 UTC.
REWRITES = [
    # (name, guild, stored spec, rewritten spec, next run under the old reading)
    ("odd days or mondays", GUILD, "0 9 */2 * 1", "0 9 1-31/2 * 1", "2026-11-02T09:00"),
    ("firsts or every other day", GUILD, "30 8 1 * */2", "30 8 1 * 0-6/2", "2026-11-03T08:30"),
    ("paused one", GUILD, "0 10 */2,4 * 5", "0 10 1-31/2,4 * 5", "2026-11-03T10:00"),
    ("tens or weekends", OTHER_GUILD, "0 12 */10 * 0,6", "0 12 1-31/10 * 0,6", "2026-11-07T12:00"),
    ("report", None, "0 6 */1 * 1", "0 6 1-31/1 * 1", "2026-11-03T06:00"),
]  # fmt: skip
UNCHANGED = [
    ("mondays", "0 9 * * 1"),  # a plain "*": the same under both rules
    ("odd days", "0 9 */2 * *"),
    ("13th or fridays", "0 9 13 * 5"),  # neither field starts with "*"
    ("both stepped", "0 9 1-31/2 * 1"),
]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def seed(h: Harness, name: str, guild: int | None, spec: str, next_run: datetime) -> Task:
    """Insert a task as an older Cadence stored it: spec and next run as they were."""
    assert h.engine is not None
    code = guild is None
    return await h.engine.tasks.create(
        NewTask(
            name=name,
            kind=TaskKind.CRON,
            spec=spec,
            created_at=START,
            guild_id=guild,
            source=TaskSource.CODE if code else TaskSource.ADMIN,
            job_id=name if code else None,
            timezone="UTC",
            payload=Payload() if code else Payload(variants=(Variant(content=name),)),
            destinations=() if code else (ChannelDestination(CHANNEL),),
            status=TaskStatus.PAUSED if name == "paused one" else TaskStatus.ACTIVE,
            next_run_at=next_run,
        )
    )


async def test_rewrite_keeps_old_days_audits_and_tells_each_guild_once(harness: Harness) -> None:
    harness.alerter.without_channel.add(OTHER_GUILD)  # kept as an unread notice instead
    rewritten = {
        name: await seed(harness, name, guild, old, at(next_run))
        for name, guild, old, _, next_run in REWRITES
    }
    unchanged = {
        name: await seed(harness, name, GUILD, spec, parse_cron(spec, "UTC").next_after(START))
        for name, spec in UNCHANGED
    }
    # The old reading and the new one disagree on these tasks' next runs.
    for name, _, old, _, next_run in REWRITES:
        assert parse_cron(old, "UTC").next_after(START) != at(next_run), name

    await harness.start()
    engine = harness.engine
    assert engine is not None

    for name, _, old, new, next_run in REWRITES:
        task = await engine.tasks.get(rewritten[name].id)
        assert task is not None
        assert task.spec == new
        assert parse_cron(new, "UTC").next_after(START) == at(next_run)  # same days as before
        if name != "report":  # the unregistered code job is paused at start, as always
            assert task.next_run_at == at(next_run)
        entries = [e for e in await engine.audit.for_task(task.id) if e.action == "cron_rewrite"]
        assert [(e.actor_id, e.detail["old_spec"], e.detail["new_spec"]) for e in entries] == [
            (None, old, new)
        ]
    for name, spec in UNCHANGED:
        task = await engine.tasks.get(unchanged[name].id)
        assert task is not None and task.spec == spec
        assert [e for e in await engine.audit.for_task(task.id) if e.action == "cron_rewrite"] == []

    mine = [n for n in harness.alerter.for_guild(GUILD) if n.kind == "cron_rewritten"]
    assert len(mine) == 1
    assert mine[0].title == "3 cron schedules rewritten, same days"
    for name in ("odd days or mondays", "firsts or every other day", "paused one"):
        assert f"**{name}**" in mine[0].body
    assert "`0 9 */2 * 1` → `0 9 1-31/2 * 1`" in mine[0].body
    assert f"<t:{int(at('2026-11-02T09:00').timestamp())}:f>" in mine[0].body
    operator = [n for n in harness.alerter.for_guild(None) if n.kind == "cron_rewritten"]
    assert len(operator) == 1 and "**report**" in operator[0].body
    unread = await engine.notices.unread(OTHER_GUILD)
    assert [n.kind for n in unread] == ["cron_rewritten"]
    assert "`0 12 */10 * 0,6` → `0 12 1-31/10 * 0,6`" in unread[0].body

    # The old behaviour is what runs: Monday the 2nd is even, yet the task fires at 09:00.
    await harness.tick(seconds=30)
    fired = sorted(c.task_name for c in harness.deliverer.calls)
    assert fired == ["both stepped", "mondays", "odd days or mondays"]


async def test_rewrite_runs_once(harness: Harness) -> None:
    await seed(harness, "odd days or mondays", GUILD, "0 9 */2 * 1", at("2026-11-02T09:00"))
    await harness.start()
    assert harness.db is not None
    assert await StateRepository(harness.db).get(DONE_KEY) is not None

    engine = await harness.restart()
    # Created after the fix, with the new meaning (odd Mondays): must stay as written.
    fresh = await harness.add("odd mondays", "cron", "0 9 */2 * 1")
    assert fresh.next_run_at == at("2026-11-09T09:00")
    harness.alerter.sent.clear()
    await harness.start()
    task = await engine.tasks.get(fresh.id)
    assert task is not None and task.spec == "0 9 */2 * 1"
    assert task.next_run_at == at("2026-11-09T09:00")
    assert [e for e in await engine.audit.for_task(fresh.id) if e.action == "cron_rewrite"] == []
    assert "cron_rewritten" not in harness.alerter.kinds()


async def test_an_empty_database_sets_the_flag_and_says_nothing(harness: Harness) -> None:
    await harness.start()
    assert harness.db is not None
    assert await StateRepository(harness.db).get(DONE_KEY) == START.isoformat()
    assert "cron_rewritten" not in harness.alerter.kinds()


@pytest.mark.parametrize(
    ("spec", "kept"),
    [
        ("0 9 */2 * 1", "0 9 1-31/2 * 1"),
        ("0 9 1 * */2", "0 9 1 * 0-6/2"),
        ("0 9 */3 * */2", "0 9 1-31/3 * 0-6/2"),
        ("0 9 *,15 * 5", "0 9 1-31,15 * 5"),
        ("0 9 */1 * 1-5", "0 9 1-31/1 * 1-5"),
        ("0 9 1-7 * */7", "0 9 1-7 * 0-6/7"),
        ("0 9 * * */2", None),  # a plain "*" on one side: the same under both rules
        ("0 9 */2 * *", None),
        ("0 9 13 * 5", None),
        ("*/5 * 1 * 1", None),  # stars in minute or hour do not matter
        ("0 9 */1 * */1", None),  # every day under both rules
        ("0 9 1-31 * */2", "0 9 1-31 * 0-6/2"),  # was every day (OR); AND would be 0,2,4,6
        ("not a crontab", None),
    ],
)
def test_old_rule_spec(spec: str, kept: str | None) -> None:
    assert old_rule_spec(spec) == kept


async def test_cron_specs_containing_finds_only_cron_specs_with_a_fragment(
    harness: Harness,
) -> None:
    first = await harness.add("stepped", "cron", "0 9 1 * */2")
    await harness.add("plain", "cron", "0 9 * * 1")
    listed = await harness.add("listed", "cron", "0 9 *,15 * 5")
    await harness.add("interval", "interval", "90m")
    assert harness.engine is not None
    found = await harness.engine.tasks.cron_specs_containing("*/", "*,")
    assert found == [(first.id, "0 9 1 * */2"), (listed.id, "0 9 *,15 * 5")]
    assert await harness.engine.tasks.cron_specs_containing("%") == []  # no LIKE wildcards
    assert await harness.engine.tasks.cron_specs_containing() == []
