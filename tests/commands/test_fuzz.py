"""Bad input, fuzzed (issue 8, item 8): every text option of `/schedule cron`, `once`, `every`,
`edit` and `add-variant`, the message form, `/scheduler config` and `/schedule import` files,
filled by hypothesis with odd Unicode (direction marks, combining marks, emoji, NUL and control
characters, non-characters), strings of tens of thousands of characters and mention tricks,
sent as crafted payloads (`strict=False`: Discord's client limits do not apply).

For every example the answer is a clear ephemeral error and storage is unchanged, or the task
is stored as asked and posts; never an internal error, an ERROR log line, or a request Discord
refuses (see `tests/commands/fuzzing.py`). A saved task is run at once, and its post may ping
only what its creator may ping.

One `app` (the real bot against fakediscord) serves all the examples of a test, so each
property runs a moderate number of examples; they are real interactions over real sockets.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.messages import parse_colour
from scheduler.timezones import load_zone
from storage import MentionPolicy, Task
from tests.commands.fuzzing import (
    Probe,
    assert_mentions_allowed,
    channel_named,
    fuzz_scene,
    mentions_for,
    role_named,
    run_and_check_mentions,
)
from tests.commands.harness import App, Scene, embed_of, final_answer, text_of
from tests.fuzz_strategies import fuzzed, huge_text, import_documents
from tests.stored import destinations_json, payload_json

# More for a long hunt: CADENCE_FUZZ_EXAMPLES=1000 pytest tests/commands/test_fuzz.py
EXAMPLES = int(os.environ.get("CADENCE_FUZZ_EXAMPLES", "60"))


def fuzz_settings(examples: int = EXAMPLES) -> Any:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


@pytest.fixture
def scene() -> Scene:
    return fuzz_scene()


@pytest.fixture
def probe(
    app: App, caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest
) -> Iterator[Probe]:
    caplog.set_level(logging.WARNING)
    # Rate limits off, on purpose: fuzzing proves input handling, and every example's post
    # goes to the same few channels, so Discord's 5 posts per 5 s per channel would make each
    # property wait out about a minute (15 examples: 7.4 s on, 3.0 s off). The limits are
    # proved in tests/fakediscord/test_faults_limits.py and the rate-limited e2e proofs.
    app.fd.settings.rate_limits = False
    probe = Probe(app, caplog)
    yield probe
    print(
        f"\n{request.node.name}: {probe.summary()}",
        sorted(probe.reasons.items(), key=lambda kv: -kv[1])[:12],
    )


async def once(app: App, setup: Callable[[], Awaitable[Any]]) -> None:
    """Run `setup` before the first example only (the app lives for the whole test)."""
    if not getattr(app, "fuzz_ready", False):
        await setup()
        app.fuzz_ready = True  # type: ignore[attr-defined]


_serial = itertools.count(1)

# Values to start from; `fuzzed` also decorates them and mixes in odd and huge text. For
# `task` they are references that look like a name or a number but may not be.
VALID: dict[str, list[str]] = {
    "task": ["standup", "1", "99999999999999999999999", "²", "٣", "0" * 5000],
    "name": ["standup", "morning news", "x"],
    "cron": ["0 9 * * 1-5", "*/15 * * * *", "@daily", "30 2 * * 0", "0 9 13 * 5"],
    "when": ["in 2 days", "tomorrow 9am", "2030-01-01 09:00", "next friday 18:00"],
    "interval": ["4h", "90m", "1d", "2w", "1d12h", "every 2 hours"],
    "start": ["tomorrow 9am", "in 3 hours", "2030-01-01 09:00"],
    "end": ["2031-06-30 18:00", "in 30 days"],
    "message": ["Stand-up time!", "Line one\\nLine two", "hello"],
    "timezone": ["Europe/Berlin", "UTC", "america/new_york", "Asia/Kolkata"],
    "title": ["News", "Weekly report"],
    "color": ["#ff8800", "orange", "0x00ff00", "BLUE"],
    "catch_up": ["skip", "once", "all"],
}
CREATE_OPTIONS = {
    "cron": ["name", "cron", "message", "timezone", "title", "color", "catch_up", "end"],
    "once": ["name", "when", "message", "timezone", "title", "color"],
    "every": [
        "name",
        "interval",
        "message",
        "start",
        "end",
        "timezone",
        "title",
        "color",
        "catch_up",
    ],
}
REQUIRED = {
    "cron": {"cron": "0 9 * * 1-5"},
    "once": {"when": "in 2 days"},
    "every": {"interval": "4h"},
}


def option_values(app: App, names: list[str]) -> Any:
    """A strategy for {option: value}: one to three of `names` fuzzed."""
    extra = mentions_for(app)
    return st.sets(st.sampled_from(names), min_size=1, max_size=3).flatmap(
        lambda chosen: st.fixed_dictionaries(
            {
                name: fuzzed(VALID[name], extra if name in ("message", "title") else ())
                for name in chosen
            }
        )
    )


def expected_variant(message: str, title: str | None, color: str | None) -> dict[str, Any]:
    """What `/schedule cron … message: title: color:` stores, worked out independently."""
    text = message.replace("\\n", "\n")
    if title or color:
        embed: dict[str, Any] = {}
        if title:
            embed["title"] = title
        if text:
            embed["description"] = text
        if color:
            embed["color"] = parse_colour(color)
        return {"embed": embed}
    return {"content": text}


async def only_standup(app: App) -> None:
    """Delete every task but `standup` (with one message), and make sure it exists: run at
    the start of each example, so one that failed (and its replays) leave nothing behind."""
    for task in await app.tasks():
        if task.name != "standup" or len(payload_json(task)["variants"]) > 1:
            await app.bot.control.delete(task, actor_id=None)
    if await app.bot.engine.tasks.get_by_name(app.scene.guild.id, "standup") is None:
        await app.seed(["standup"])


# --------------------------------------------------------------------------- create


@pytest.mark.parametrize("command", ["cron", "once", "every"])
@fuzz_settings()
@given(data=st.data())
async def test_create_commands_with_fuzzed_options(
    app: App, probe: Probe, command: str, data: st.DataObject
) -> None:
    s = app.scene
    await once(app, app.allow_managers)
    await only_standup(app)
    fuzzed_options = data.draw(option_values(app, CREATE_OPTIONS[command]), label="options")
    member = data.draw(st.sampled_from([s.admin, s.manager]), label="member")
    options = {
        "name": f"task {next(_serial)}",
        **REQUIRED[command],
        "message": "hello",
        **fuzzed_options,
    }
    before = await probe.snapshot()
    handle = await app.slash(member, command, channel=s.general, strict=False, **options)
    answer = await probe.answer(handle, before)
    if answer is None:
        return
    assert embed_of(answer)["title"].startswith("Scheduled: "), embed_of(answer)
    task = await app.task(" ".join(options["name"].split()))
    assert str(task.kind) == {"cron": "cron", "once": "date", "every": "interval"}[command]
    assert task.created_by == member.id and task.status == "active"
    assert destinations_json(task) == [{"type": "channel", "channel_id": s.general.id}]
    expected = expected_variant(options["message"], options.get("title"), options.get("color"))
    assert payload_json(task)["variants"] == [expected]
    zone = options.get("timezone")
    assert task.timezone == (load_zone(zone).key if zone else None)  # "" is left out
    await run_and_check_mentions(app, probe, task)
    await app.bot.control.delete(task, actor_id=None)


# --------------------------------------------------------------------------- the message form

FORM_INPUTS = ["content", "title", "description", "footer", "image_url"]


def form_values(app: App) -> Any:
    extra = mentions_for(app)
    urls = ["https://example.com/a.png", "http://x.y/z?q=1", "ftp://nope", "https://a b"]
    value = {
        "content": fuzzed(VALID["message"], extra),
        "title": fuzzed(VALID["title"], extra),
        "description": fuzzed(VALID["message"], extra),
        "footer": fuzzed(["page 1", "by the team"], extra),
        "image_url": fuzzed(urls),
    }
    return st.sets(st.sampled_from(FORM_INPUTS), min_size=1, max_size=5).flatmap(
        lambda chosen: st.fixed_dictionaries({name: value[name] for name in chosen})
    )


def assert_form_saved(variant: dict[str, Any], values: dict[str, str]) -> None:
    """The form's inputs, stripped, are stored as given."""
    stripped = {key: value.strip() for key, value in values.items() if value.strip()}
    assert variant.get("content", "") == stripped.get("content", "")
    embed = variant.get("embed", {})
    for key in ("title", "description", "footer", "image_url"):
        assert embed.get(key, "") == stripped.get(key, ""), key


@fuzz_settings()
@given(data=st.data())
async def test_message_form_with_fuzzed_inputs(app: App, probe: Probe, data: st.DataObject) -> None:
    s = app.scene
    await once(app, app.allow_managers)
    await only_standup(app)
    values = data.draw(form_values(app), label="form")
    member = data.draw(st.sampled_from([s.admin, s.manager]), label="member")
    name = f"form {next(_serial)}"
    opened = await app.slash(member, "cron", name=name, cron="0 9 * * *", channel=s.general)
    assert (await opened.response()).type == 9
    before = await probe.snapshot()
    submitted = await app.fd.submit_modal(opened, member, values, strict=False)
    answer = await probe.answer(submitted, before)
    if answer is None:
        return
    task = await app.task(name)
    [variant] = payload_json(task)["variants"]
    assert_form_saved(variant, values)
    await run_and_check_mentions(app, probe, task)
    await app.bot.control.delete(task, actor_id=None)


# --------------------------------------------------------------------------- edit

EDIT_OPTIONS = [
    "task",
    "name",
    "cron",
    "when",
    "interval",
    "message",
    "timezone",
    "title",
    "color",
    "catch_up",
    "end",
]


async def fresh_tasks(app: App, name: str) -> Task:
    """Only `standup` and a new task called `name` are left; returns the new one."""
    await only_standup(app)
    [task] = await app.seed([name])
    return task


async def task_meant(app: App, reference: str) -> Task | None:
    """The task a `task:` option names (its name, else its number), worked out here."""
    reference = reference.strip()
    found = await app.bot.engine.tasks.get_by_name(app.scene.guild.id, reference)
    if found is None and re.fullmatch("[0-9]{1,18}", reference):
        found = await app.bot.engine.tasks.get_for_guild(app.scene.guild.id, int(reference))
    return found


@fuzz_settings()
@given(data=st.data())
async def test_edit_with_fuzzed_options(app: App, probe: Probe, data: st.DataObject) -> None:
    s = app.scene
    await once(app, app.allow_managers)
    task = await fresh_tasks(app, f"edit {next(_serial)}")
    fuzzed_options = data.draw(option_values(app, EDIT_OPTIONS), label="options")
    member = data.draw(st.sampled_from([s.admin, s.manager]), label="member")
    options = {"task": task.name, **fuzzed_options}
    target = await task_meant(app, options["task"])  # `task` itself may have been fuzzed
    before = await probe.snapshot()
    handle = await app.slash(member, "edit", strict=False, **options)
    answer = await probe.answer(handle, before)
    if answer is None:
        return
    assert embed_of(answer)["title"].startswith("Updated: "), embed_of(answer)
    assert target is not None, "an edit succeeded on a task that does not exist"
    edited = await app.bot.engine.tasks.get(target.id)
    assert edited is not None
    if "name" in options:
        assert edited.name == " ".join(options["name"].split())
    if "message" in options and not ({"title", "color"} & options.keys()):
        text = options["message"].replace("\\n", "\n")
        assert payload_json(edited)["variants"][0] == {"content": text}
    await run_and_check_mentions(app, probe, edited)


# --------------------------------------------------------------------------- add-variant


@fuzz_settings()
@given(data=st.data())
async def test_add_variant_with_fuzzed_message(app: App, probe: Probe, data: st.DataObject) -> None:
    s = app.scene
    await once(app, app.allow_managers)
    task = await fresh_tasks(app, f"variant {next(_serial)}")
    member = data.draw(st.sampled_from([s.admin, s.manager]), label="member")
    form = data.draw(st.booleans(), label="use the form")
    reference = data.draw(
        st.one_of(st.just(task.name), st.just(str(task.id)), fuzzed(VALID["task"]), huge_text()),
        label="task",
    )
    target = await task_meant(app, reference)
    values: dict[str, str] = {}
    message = ""
    before = await probe.snapshot()
    if form:
        values = data.draw(form_values(app), label="form")
        opened = await app.slash(member, "add-variant", task=reference, strict=False)
        if (await final_answer(opened)).type != 9:  # refused before the form opened
            assert await probe.answer(opened, before) is None
            return
        before = await probe.snapshot()
        handle = await app.fd.submit_modal(opened, member, values, strict=False)
    else:
        message = data.draw(fuzzed(VALID["message"], mentions_for(app)), label="message")
        handle = await app.slash(
            member, "add-variant", task=reference, message=message, strict=False
        )
    answer = await probe.answer(handle, before)
    if answer is None:
        return
    assert target is not None, "a variant was added to a task that does not exist"
    updated = await app.bot.engine.tasks.get(target.id)
    assert updated is not None
    assert payload_json(updated)["variants"][:-1] == payload_json(target)["variants"]
    added = payload_json(updated)["variants"][-1]
    if form:
        assert_form_saved(added, values)
    else:
        assert added == {"content": message.replace("\\n", "\n")}
    # The next run posts the variant just added.
    last = len(payload_json(updated)["variants"]) - 1
    now = app.bot.engine.clock.now()
    updated = await app.bot.engine.tasks.update(updated.id, at=now, rotation_index=last)
    posted = await run_and_check_mentions(app, probe, updated)
    assert posted.content == added.get("content", "")


# --------------------------------------------------------------------------- /scheduler config

CONFIG_VALID = {
    "timezone": ["Europe/Berlin", "UTC", "asia/tokyo"],
    "summary_cron": ["0 9 * * 1-5", "@daily", "30 8 * * *"],
    "mention_policy": ["creator", "none"],
    "clear": ["timezone", "summary_cron", "mention_policy", "dev_channel", "manager_role"],
}


@fuzz_settings()
@given(data=st.data())
async def test_scheduler_config_with_fuzzed_options(
    app: App, probe: Probe, data: st.DataObject
) -> None:
    s = app.scene
    await once(app, lambda: app.seed(["follows the guild"]))
    chosen = data.draw(st.sets(st.sampled_from(sorted(CONFIG_VALID)), min_size=1, max_size=3))
    options = {name: data.draw(fuzzed(CONFIG_VALID[name]), label=name) for name in chosen}
    before = await probe.snapshot()
    handle = await app.fd.slash(s.guild, s.admin, "scheduler config", strict=False, **options)
    answer = await probe.answer(handle, before)
    if answer is None:
        return
    after = await app.bot.engine.guilds.get(s.guild.id)
    if "timezone" in options and options.get("clear") != "timezone":
        assert after.timezone == load_zone(options["timezone"]).key
    if "mention_policy" in options and options.get("clear") != "mention_policy":
        assert after.mention_policy == MentionPolicy(options["mention_policy"])


# --------------------------------------------------------------------------- import files


def import_file(app: App) -> Any:
    """JSON documents (export-shaped, broken, or anything), and bytes that are not JSON."""
    s = app.scene
    bad = [s.readonly.id, s.other_general.id, channel_named(app, "Archive").id]
    documents = import_documents(
        channel_ids=[s.general.id, s.news.id],
        bad_channel_ids=bad,
        thread_ids=[s.thread.id],
        names=["standup", "STANDUP", "Äpfel", "news", "'; DROP TABLE tasks; --"],
        extra=mentions_for(app),
    )
    encoded = documents.map(lambda d: json.dumps(d, ensure_ascii=False).encode())
    odd_bytes = st.one_of(
        st.binary(max_size=64),
        st.just(b"\xef\xbb\xbf{}"),  # a byte order mark
        st.just(b"\xff\xfe\x00"),
        st.just(b"[" * 100_000),  # deeply nested
        st.just(b" " * 1_000_001),  # over the size limit
    )
    return st.one_of(*[encoded] * 7, odd_bytes)


async def import_baseline(app: App) -> None:
    for task in await app.tasks():
        await app.bot.control.delete(task, actor_id=None)
    await app.seed(["standup", "Äpfel", "äpfel"])


@fuzz_settings()
@given(data=st.data())
async def test_import_with_fuzzed_files(app: App, probe: Probe, data: st.DataObject) -> None:
    s = app.scene

    async def setup() -> None:
        await app.allow_managers()
        await import_baseline(app)

    await once(app, setup)
    payload = data.draw(import_file(app), label="file")
    member = data.draw(st.sampled_from([s.admin, s.manager]), label="member")
    replace = data.draw(st.booleans(), label="replace")
    before = await probe.snapshot()
    handle = await app.fd.slash(
        s.guild, member, "schedule import", file=("tasks.json", payload), replace=replace
    )
    answer = await probe.answer(handle, before)
    if answer is None:
        if replace:  # replace:true takes over existing names, whatever their case
            assert "already exists" not in text_of(await final_answer(handle))
        return
    document = json.loads(payload)
    names = {" ".join(entry["name"].split()) for entry in document["tasks"]}
    stored = {task.name: task for task in await app.tasks()}
    assert names <= set(stored), (names, set(stored))
    guild = app.bot.get_guild(s.guild.id)
    assert guild is not None
    for name in names:
        task = stored[name]
        assert task.created_by == member.id
        for destination in task.destinations:
            target = destination.target_id
            assert guild.get_channel_or_thread(target) is not None
        run = await app.bot.control.run_now(task, actor_id=member.id)
        assert run.status == "ok", run.error
        assert len(run.message_ids) == len(task.destinations)
        for message_id in run.message_ids:
            assert_mentions_allowed(app, task, app.fd.message(message_id))
    await import_baseline(app)


# ------------------------------------------------------------------ mention tricks, one by one

PLACES = ["content", "title", "description", "footer"]


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize(
    "trick",
    [
        "@everyone",
        "@here",
        "@everyone_",
        "@\u200beveryone",
        "real role",
        "pingable role",
        "fake role",
    ],
)
async def test_a_mention_the_creator_may_not_make_is_refused_or_muted(
    app: App, probe: Probe, trick: str, place: str
) -> None:
    """carol (manager role, no Mention @everyone) writes each trick in each part of the form."""
    s = app.scene
    await app.allow_managers()
    text = {
        "real role": f"<@&{s.managers.id}>",
        "pingable role": f"<@&{role_named(app, 'Pingable').id}>",
        "fake role": "<@&999999999999999999>",
    }.get(trick, trick)
    opened = await app.slash(s.manager, "cron", name="t", cron="0 9 * * *", channel=s.general)
    assert (await opened.response()).type == 9
    values = {"content": "hi", place: f"team {text} meeting"}
    before = await probe.snapshot()
    answer = await probe.answer(await app.fd.submit_modal(opened, s.manager, values), before)
    if trick in ("@everyone", "@here", "real role", "fake role"):
        assert answer is None, "saved a mention its creator may not make"
        return
    assert answer is not None  # look-alikes and a mentionable role are fine to save
    posted = await run_and_check_mentions(app, probe, await app.task("t"))
    assert posted.mention_everyone is False
    expected = [str(role_named(app, "Pingable").id)] if place == "content" else []
    assert posted.mention_roles == (expected if trick == "pingable role" else [])


@pytest.mark.parametrize("trick", ["@everyone", "@here", "@everyone_", "pingable role"])
async def test_mention_policy_none_stops_even_an_admin(app: App, probe: Probe, trick: str) -> None:
    s = app.scene
    await app.bot.engine.guilds.update(
        s.guild.id, app.bot.engine.clock.now(), mention_policy=MentionPolicy.NONE
    )
    text = f"<@&{role_named(app, 'Pingable').id}>" if trick == "pingable role" else trick
    before = await probe.snapshot()
    handle = await app.slash(
        s.admin, "cron", name="t", cron="0 9 * * *", channel=s.general, message=f"{text} hi"
    )
    answer = await probe.answer(handle, before)
    if answer is not None:
        posted = await run_and_check_mentions(app, probe, await app.task("t"))
        assert posted.mention_everyone is False and posted.mention_roles == []
    else:
        assert trick != "@everyone_"  # a look-alike is saved, and posts muted


async def test_an_import_file_cannot_approve_its_own_mentions(app: App, probe: Probe) -> None:
    """Regression: the file's `mentions` were stored as they came, so a look-alike the save-time
    check does not see (`@everyone_`) pinged everyone despite the `none` policy."""
    s = app.scene
    await app.bot.engine.guilds.update(
        s.guild.id, app.bot.engine.clock.now(), mention_policy=MentionPolicy.NONE
    )
    document = {
        "format": "cadence-tasks",
        "version": 1,
        "tasks": [
            {
                "name": "smuggled",
                "kind": "cron",
                "spec": "0 9 * * *",
                "payload": {
                    "variants": [{"content": "@everyone_ look"}],
                    "mentions": {"everyone": True, "roles": [s.managers.id], "users": True},
                },
                "destinations": [{"type": "channel", "channel_id": str(s.general.id)}],
            }
        ],
    }
    before = await probe.snapshot()
    handle = await app.fd.slash(
        s.guild, s.admin, "schedule import", file=("t.json", json.dumps(document).encode())
    )
    assert await probe.answer(handle, before) is not None
    task = await app.task("smuggled")
    assert payload_json(task)["mentions"] == {"everyone": False, "roles": [], "users": True}
    posted = await run_and_check_mentions(app, probe, task)
    assert posted.mention_everyone is False


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        (b"[" * 100_000, "nested too deeply"),
        (b'{"format": "cadence-tasks", "version": ' + b"9" * 5000 + b"}", "not valid JSON"),
        (b"\xff\xfe\x00", "not valid JSON"),
    ],
    ids=["deep", "long-number", "not-utf8"],
)
async def test_import_files_that_break_the_json_reader(
    app: App, probe: Probe, payload: bytes, fragment: str
) -> None:
    """Regression: these raised out of json.loads into an internal error."""
    s = app.scene
    before = await probe.snapshot()
    handle = await app.fd.slash(s.guild, s.admin, "schedule import", file=("t.json", payload))
    assert await probe.answer(handle, before) is None
    assert fragment in text_of(await final_answer(handle))


async def test_config_clear_with_a_crafted_value(app: App, probe: Probe) -> None:
    """Regression: a `clear` that is not one of the choices was an internal error (KeyError)."""
    s = app.scene
    before = await probe.snapshot()
    handle = await app.fd.slash(
        s.guild, s.admin, "scheduler config", strict=False, clear="tasks; DROP"
    )
    assert await probe.answer(handle, before) is None
    assert "clear must be one of" in text_of(await final_answer(handle))


async def test_import_replace_covers_names_equal_in_any_case(app: App, probe: Probe) -> None:
    """Regression: with "Äpfel" and "äpfel" both stored (SQLite folds ASCII case only), importing
    "ÄPFEL" with replace:true deleted one of them and then clashed with the other."""
    s = app.scene
    await app.seed(["Äpfel", "äpfel", "other"])
    entry = {
        "name": "ÄPFEL",
        "kind": "cron",
        "spec": "0 9 * * *",
        "payload": {"variants": [{"content": "new"}]},
        "destinations": [{"type": "channel", "channel_id": str(s.general.id)}],
    }
    document = {"format": "cadence-tasks", "version": 1, "tasks": [entry]}
    before = await probe.snapshot()
    handle = await app.fd.slash(
        s.guild,
        s.admin,
        "schedule import",
        file=("t.json", json.dumps(document).encode()),
        replace=True,
    )
    answer = await probe.answer(handle, before)
    assert answer is not None, text_of(await final_answer(handle))
    assert sorted(t.name for t in await app.tasks()) == ["other", "ÄPFEL"]
