"""/schedule cron, once and every: what Discord receives, what is stored, and what is refused
(with storage left exactly as it was)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from storage import CatchUp, MentionPolicy, TaskKind, TaskStatus
from tests.commands.harness import (
    App,
    assert_refused,
    discord_time,
    embed_of,
    field_of,
    text_of,
    weekday_mornings,
)
from tests.stored import destinations_json, payload_json

BERLIN = ZoneInfo("Europe/Berlin")


def run_lines(answer: Any) -> list[str]:
    embed = embed_of(answer)
    field = next(f for f in embed["fields"] if f["name"] in ("Next run", "Next runs"))
    return str(field["value"]).splitlines()


# ---------------------------------------------------------------------- happy paths


async def test_cron_answers_with_readable_schedule_and_stores_task(app: App) -> None:
    s = app.scene
    before = datetime.now(UTC)
    answer = await app.answer(
        s.admin,
        "cron",
        name="standup",
        cron="0 9 * * 1-5",
        channel=s.general,
        message="Stand-up time!",
        timezone="Europe/Berlin",
    )

    assert answer.type == 4 and answer.ephemeral
    embed = embed_of(answer)
    assert embed["title"] == "Scheduled: standup"
    assert embed["description"] == "At 09:00, Monday through Friday"
    expected = weekday_mornings("Europe/Berlin", before, 3)
    lines = run_lines(answer)
    assert [line.split(" ")[0] for line in lines] == [discord_time(at) for at in expected]
    assert field_of(answer, "Timezone") == "Europe/Berlin"
    assert field_of(answer, "Posts to") == f"<#{s.general.id}>"
    assert field_of(answer, "Status") == "▶ active"

    task = await app.task("standup")
    assert (task.kind, task.spec, task.timezone) == (TaskKind.CRON, "0 9 * * 1-5", "Europe/Berlin")
    assert task.status == TaskStatus.ACTIVE
    assert task.next_run_at == expected[0]
    assert destinations_json(task) == [{"type": "channel", "channel_id": s.general.id}]
    assert payload_json(task)["variants"] == [{"content": "Stand-up time!"}]
    assert task.created_by == s.admin.id
    assert task.catch_up == CatchUp.ONCE
    [entry] = await app.audit()
    assert (entry.action, entry.actor_id, entry.task_id) == ("create", s.admin.id, task.id)
    assert entry.detail["spec"] == "0 9 * * 1-5"


async def test_cron_options_end_max_runs_catch_up_title_colour(app: App) -> None:
    s = app.scene
    answer = await app.answer(
        s.admin,
        "cron",
        name="Weekly digest",
        cron="@weekly",
        channel=s.news,
        message="Line one\\nLine two",
        title="Digest",
        color="orange",
        catch_up="all",
        end="2031-06-30 18:00",
        max_runs=5,
    )
    assert answer.ephemeral
    assert embed_of(answer)["title"] == "Scheduled: Weekly digest"
    options = field_of(answer, "Options")
    assert "at most 5 runs" in options and "catch-up: all" in options
    end = datetime(2031, 6, 30, 18, 0, tzinfo=UTC)
    assert f"ends {discord_time(end)}" in options
    task = await app.task("weekly digest")
    assert task.end_at == end and task.max_runs == 5 and task.catch_up == CatchUp.ALL
    assert payload_json(task)["variants"] == [
        {"embed": {"title": "Digest", "description": "Line one\nLine two", "color": 0xE67E22}}
    ]


async def test_once_answers_with_the_instant_in_its_zone(app: App) -> None:
    s = app.scene
    answer = await app.answer(
        s.admin,
        "once",
        name="launch",
        when="2031-01-02 03:04",
        channel=s.thread,
        message="We are live",
        timezone="America/New_York",
    )
    expected = datetime(2031, 1, 2, 3, 4, tzinfo=ZoneInfo("America/New_York"))
    assert answer.ephemeral
    embed = embed_of(answer)
    assert embed["title"] == "Scheduled: launch"
    assert "Once at 2031-01-02 03:04" in embed["description"]
    assert run_lines(answer) == [f"{discord_time(expected)} (<t:{int(expected.timestamp())}:R>)"]
    assert field_of(answer, "Timezone") == "America/New_York"
    assert field_of(answer, "Posts to") == f"<#{s.thread.id}>"

    task = await app.task("launch")
    assert (task.kind, task.timezone) == (TaskKind.DATE, "America/New_York")
    assert task.next_run_at == expected
    assert destinations_json(task) == [
        {"type": "thread", "channel_id": s.general.id, "thread_id": s.thread.id}
    ]
    [entry] = await app.audit()
    assert (entry.action, entry.actor_id) == ("create", s.admin.id)


async def test_every_without_start_runs_one_interval_after_creation(app: App) -> None:
    s = app.scene
    before = app.bot.engine.clock.now()
    answer = await app.answer(
        s.admin, "every", name="pulse", interval="4h", channel=s.general, message="tick"
    )
    after = app.bot.engine.clock.now()
    assert answer.ephemeral
    assert embed_of(answer)["description"] == "Every 4 hours"
    assert field_of(answer, "Timezone") == "UTC (server zone)"
    task = await app.task("pulse")
    assert task.kind == TaskKind.INTERVAL and task.timezone is None
    assert task.next_run_at is not None
    assert before + timedelta(hours=4) - timedelta(seconds=1) <= task.next_run_at
    assert task.next_run_at <= after + timedelta(hours=4)
    first = task.next_run_at
    expected = [first + timedelta(hours=4 * n) for n in range(3)]
    assert [line.split(" ")[0] for line in run_lines(answer)] == [
        discord_time(at) for at in expected
    ]
    [entry] = await app.audit()
    assert (entry.action, entry.actor_id, entry.task_id) == ("create", s.admin.id, task.id)


async def test_every_day_with_start_keeps_local_time_in_the_guild_zone(app: App) -> None:
    s = app.scene
    await app.bot.engine.guilds.update(
        s.guild.id, app.bot.engine.clock.now(), timezone="Europe/Berlin"
    )
    now = datetime.now(BERLIN)
    start_day = (now + timedelta(days=2)).date()
    start_text = f"{start_day.isoformat()} 07:30"
    answer = await app.answer(
        s.admin,
        "every",
        name="morning",
        interval="1d",
        start=start_text,
        end="2031-01-01 00:00",
        max_runs=3,
        channel=s.general,
        message="Good morning",
    )
    assert embed_of(answer)["description"] == "Every day at 07:30"
    assert field_of(answer, "Timezone") == "Europe/Berlin (server zone)"
    first = datetime.combine(start_day, datetime.min.time().replace(hour=7, minute=30), BERLIN)
    lines = run_lines(answer)
    assert lines[0].split(" ")[0] == discord_time(first)
    task = await app.task("morning")
    assert task.timezone is None  # follows the guild's zone
    assert task.next_run_at == first.astimezone(UTC)
    assert task.max_runs == 3


# ---------------------------------------------------------------------- refusals

BAD_INPUTS = [
    pytest.param(
        "cron",
        {"cron": "0 9 * *"},
        ["Cron needs 5 fields", '"0 9 * *"'],
        "0 9 * * 1-5",
        id="bad-cron",
    ),
    pytest.param(
        "cron",
        {"cron": "61 * * * *"},
        ['Bad minute field "61"', "0-59"],
        "0 9 * * 1-5",
        id="cron-out-of-range",
    ),
    pytest.param(
        "cron",
        {"cron": "0 9 31 2 *"},
        ["never fires"],
        "0 9 28 2 *",
        id="cron-never-fires",
    ),
    pytest.param(
        "cron",
        {"timezone": "Mars/Olympus"},
        ['Unknown timezone "Mars/Olympus"', "IANA"],
        None,
        id="unknown-zone",
    ),
    pytest.param(
        "cron",
        {"timezone": "Europe/Berln"},
        ["Unknown timezone", "Did you mean Europe/Berlin?"],
        None,
        id="misspelt-zone",
    ),
    pytest.param(
        "cron",
        {"end": "2001-01-01 00:00"},
        ["end: That time is in the past", "2001-01-01 00:00"],
        None,
        id="cron-end-in-past",
    ),
    pytest.param(
        "once",
        {"when": "2001-01-01 10:00"},
        ["That time is in the past: 2001-01-01 10:00 (UTC)"],
        None,
        id="past-date",
    ),
    pytest.param(
        "once",
        {"when": "whenever you like"},
        ['Could not read "whenever you like"'],
        "2026-12-24 18:00, tomorrow 9am or in 2h30m",
        id="unreadable-date",
    ),
    pytest.param(
        "every",
        {"interval": "30s"},
        ["at least 60 seconds", '"30s"'],
        "90m",
        id="interval-under-minimum",
    ),
    pytest.param(
        "every",
        {"interval": "59s"},
        ["at least 60 seconds"],
        "90m",
        id="interval-just-under-minimum",
    ),
    pytest.param(
        "every",
        {"start": "in 3 days", "end": "in 2 days"},
        ["end must come after start"],
        "start: tomorrow 9am  end: 2027-06-30 18:00",
        id="end-before-start",
    ),
    pytest.param(
        "cron",
        {"message": "x" * 2001},
        ["The message has 2001 characters; Discord allows 2000"],
        None,
        id="message-over-2000",
    ),
    pytest.param(
        "cron",
        {"message": "x" * 4097, "title": "Long"},
        ["The embed description has 4097 characters; Discord allows 4096"],
        None,
        id="embed-description-over-4096",
    ),
    pytest.param(
        "cron",
        {"color": "blurple-ish"},
        ['"blurple-ish" is not a colour'],
        "color: #ff8800",
        id="not-a-colour",
    ),
    pytest.param(
        "every",
        {"color": "#12345"},
        ['"#12345" is not a colour'],
        "color: #ff8800",
        id="short-hex-colour",
    ),
    pytest.param(
        "cron",
        {"channel": "readonly"},
        ["I can't post in", "missing Send Messages"],
        None,
        id="channel-cannot-post",
    ),
    pytest.param(
        "once",
        {"channel": "noembed", "title": "Headline"},
        ["I can't post in", "missing Embed Links"],
        None,
        id="channel-cannot-embed-title",
    ),
    pytest.param(
        "every",
        {"channel": "noembed", "color": "#ff8800"},
        ["missing Embed Links"],
        None,
        id="channel-cannot-embed-colour",
    ),
    pytest.param(
        "cron",
        {"name": "   "},
        ["The task needs a name."],
        "name: morning-news",
        id="blank-name",
    ),
]


@pytest.mark.parametrize(("command", "options", "fragments", "example"), BAD_INPUTS)
async def test_bad_input_is_refused_and_nothing_is_written(
    app: App, command: str, options: dict[str, Any], fragments: list[str], example: str | None
) -> None:
    s = app.scene
    await app.create("existing")
    before = await app.storage()
    base: dict[str, Any] = {
        "cron": {"cron": "0 9 * * *"},
        "once": {"when": "in 2 days"},
        "every": {"interval": "2h"},
    }[command]
    merged = {"name": "new-task", "channel": s.general, "message": "hello", **base, **options}
    if isinstance(merged["channel"], str):
        merged["channel"] = getattr(s, merged["channel"])

    answer = await app.answer(s.admin, command, **merged)

    assert_refused(answer, *fragments, example=example)
    assert await app.storage() == before
    assert app.fd.messages(s.general) == []


@pytest.mark.parametrize(
    "taken", ["Stand-up", "STAND-UP", "stand-up"], ids=["same", "upper", "lower"]
)
async def test_duplicate_name_is_refused_case_insensitively(app: App, taken: str) -> None:
    await app.create("Stand-up")
    before = await app.storage()
    answer = await app.answer(
        app.scene.admin,
        "once",
        name=taken,
        when="in 1 day",
        channel=app.scene.general,
        message="again",
    )
    assert_refused(answer, "already has a task named “Stand-up”", "/schedule edit")
    assert await app.storage() == before


@pytest.mark.parametrize("app_settings", [{"MAX_TASKS_PER_GUILD": "2"}], ids=["limit-2"])
async def test_more_than_max_tasks_per_guild_is_refused(app: App) -> None:
    s = app.scene
    await app.create("one")
    await app.create("two", "every")
    before = await app.storage()
    for command, extra in (("cron", {"cron": "0 9 * * *"}), ("once", {"when": "in 1 day"})):
        answer = await app.answer(
            s.admin, command, name="three", channel=s.general, message="no room", **extra
        )
        assert_refused(answer, "has 2 tasks, the most allowed (2)", "/schedule delete")
    # Without a message the limit is checked before the modal would open.
    handle = await app.slash(s.admin, "every", name="three", interval="1h", channel=s.general)
    assert (await handle.response()).type == 4 and handle.modal is None
    assert await app.storage() == before
    # The limit is per guild: another guild still has room.
    await app.create("one", guild=s.other)


# ---------------------------------------------------------------------- mentions


async def test_admin_may_schedule_everyone_mention_and_it_is_approved(app: App) -> None:
    await app.create("ping", message="@everyone wake up")
    task = await app.task("ping")
    assert payload_json(task)["mentions"]["everyone"] is True


async def test_manager_without_mention_everyone_cannot_schedule_everyone(app: App) -> None:
    s = app.scene
    await app.allow_managers()
    before = await app.storage()
    for text, what in (("@everyone stand-up!", "@everyone"), ("hey @here", "@here")):
        answer = await app.answer(
            s.manager, "cron", name="ping", cron="0 9 * * *", channel=s.general, message=text
        )
        assert_refused(answer, f"You may not mention {what}", "Remove the mention")
    # A role that is not mentionable needs Mention Everyone too.
    answer = await app.answer(
        s.manager,
        "cron",
        name="ping",
        cron="0 9 * * *",
        channel=s.general,
        message=f"<@&{s.managers.id}> meeting",
    )
    assert_refused(answer, f"You may not mention <@&{s.managers.id}>")
    assert await app.storage() == before


async def test_mention_policy_none_refuses_role_mentions_even_for_admins(app: App) -> None:
    s = app.scene
    await app.bot.engine.guilds.update(
        s.guild.id, app.bot.engine.clock.now(), mention_policy=MentionPolicy.NONE
    )
    before = await app.storage()
    for message in (f"<@&{s.managers.id}> meeting", "@everyone meeting"):
        answer = await app.answer(
            s.admin, "once", name="ping", when="in 1 hour", channel=s.general, message=message
        )
        assert_refused(answer, "mention policy is `none`", "/scheduler config mention_policy")
    assert await app.storage() == before
    # Plain text is still fine.
    await app.create("plain", "once", message="meeting at 10")


async def test_answer_text_is_all_a_member_needs(app: App) -> None:
    """The answer is self-contained: name, readable schedule, zone and the next run."""
    answer = await app.answer(
        app.scene.admin,
        "cron",
        name="nightly",
        cron="@daily",
        channel=app.scene.general,
        message="Good night",
        timezone="Australia/Adelaide",
    )
    text = text_of(answer)
    for fragment in ("Scheduled: nightly", "At 00:00", "Australia/Adelaide", "<t:"):
        assert fragment in text
