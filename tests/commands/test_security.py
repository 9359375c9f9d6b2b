"""Security (issue 8, item 9), against the real bot and fakediscord.

- No command, button, select or form works for a member without Manage Server or the manager
  role, even sent past Discord's gate (`bypass_permissions=True`): every `/schedule`
  subcommand (the list is checked against the synced command tree), both `/scheduler`
  subcommands, and every panel another member opened.
- No guild reaches another's tasks: not by name or number, not through autocomplete, not by
  importing into another guild's channels or mentioning its roles.
- The token is in no log line (DEBUG, a whole session), no database row, no export, no post.
- SQL-looking names and messages are stored and shown as typed, and change nothing else.
- Crafted values outside what Discord's client allows get a clear error, never an internal one.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from config import describe_settings, load_settings
from fakediscord.interactions import Interaction
from tests.commands.fuzzing import Probe, channel_named, fuzz_scene, role_named
from tests.commands.harness import (
    App,
    Scene,
    assert_refused,
    embed_of,
    final_answer,
    text_of,
)
from tests.stored import destinations_json, payload_json

NEEDS_PERMISSION = "You need the Manage Server permission"
NOT_HERE = "No task named"


@pytest.fixture
def scene() -> Scene:
    return fuzz_scene()


def export_file() -> tuple[str, bytes]:
    document = {
        "format": "cadence-tasks",
        "version": 1,
        "tasks": [
            {
                "name": "imported",
                "kind": "cron",
                "spec": "0 9 * * *",
                "payload": {"variants": [{"content": "from a file"}]},
                "destinations": [{"type": "channel", "channel_id": "0"}],
            }
        ],
    }
    return "tasks.json", json.dumps(document).encode()


def channel(name: str) -> Any:
    """An option value naming one of the scene's channels (resolved per test)."""
    return ("channel", name)


def resolve(app: App, options: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in options.items():
        if isinstance(value, tuple) and value[0] == "channel":
            value = getattr(app.scene, value[1])
        out[key] = value
    return out


# What each /schedule subcommand would do for an admin: create, post, change or reveal.
SCHEDULE: list[Any] = [
    ("cron", {"name": "x", "cron": "0 9 * * *", "channel": channel("general"), "message": "hi"}),
    ("cron", {"name": "x", "cron": "0 9 * * *", "channel": channel("general")}),  # the form
    ("once", {"name": "x", "when": "in 1 day", "channel": channel("general"), "message": "hi"}),
    ("every", {"name": "x", "interval": "2h", "channel": channel("general"), "message": "hi"}),
    ("list", {}),
    ("list", {"channel": channel("general"), "status": "active"}),
    ("show", {"task": "standup"}),
    ("edit", {"task": "standup", "cron": "0 10 * * *"}),
    ("edit", {"task": "standup", "edit_message": True}),
    ("pause", {"task": "standup"}),
    ("resume", {"task": "paused one"}),
    ("delete", {"task": "standup"}),
    ("skip", {"task": "standup", "count": 3}),
    ("run", {"task": "standup"}),
    ("run", {"task": "standup", "dry_run": True}),
    ("history", {"task": "standup"}),
    ("summary", {}),
    ("summary", {"channel": channel("general")}),
    ("destinations", {"task": "standup"}),
    ("add-variant", {"task": "standup", "message": "another"}),
    ("add-variant", {"task": "standup"}),  # the form
    ("rotation", {"task": "standup", "mode": "random"}),
    ("export", {}),
    ("import", {"file": export_file(), "replace": True}),
]


async def world_state(app: App) -> tuple[Any, ...]:
    """Everything a refused interaction must leave as it was."""
    s = app.scene
    settings = [await app.bot.engine.guilds.get(g.id) for g in (s.guild, s.other)]
    posts = [(m.id, m.content, m.edits) for m in app.fd.all_posts()]
    return (await app.storage(), settings, posts)


def bot_writes(app: App, since: int) -> list[str]:
    """The bot's requests that would change a channel (posts, webhooks, edits) since `since`."""
    return [
        f"{r.method} {r.route}"
        for r in app.fd.requests[since:]
        if r.route.startswith("/channels/") and r.method != "GET"
    ]


async def set_up_tasks(app: App) -> None:
    await app.create("standup")
    await app.create("paused one")
    await app.answer(app.scene.admin, "pause", task="paused one")


async def assert_refused_quietly(app: App, handle: Interaction, before: Any, since: int) -> None:
    answer = await final_answer(handle)
    assert handle.modal is None, "a form opened for a member who may not use Cadence"
    text = assert_refused(answer, NEEDS_PERMISSION)
    assert "standup" not in text and "paused one" not in text  # nothing of the guild leaks
    assert not (answer.data or {}).get("attachments")
    assert await world_state(app) == before
    assert bot_writes(app, since) == []


async def test_the_table_covers_every_schedule_subcommand(app: App) -> None:
    command = app.fd.commands.find(app.scene.guild.id, "schedule")
    assert command is not None
    synced = {option["name"] for option in command["options"] if int(option["type"]) == 1}
    assert synced == {name for name, _ in SCHEDULE}


@pytest.mark.parametrize("who", ["member", "manager"])
@pytest.mark.parametrize(
    ("command", "options"),
    [pytest.param(c, o, id=f"{c}-{i}") for i, (c, o) in enumerate(SCHEDULE)],
)
async def test_no_schedule_subcommand_works_for_a_member_without_the_right(
    app: App, who: str, command: str, options: dict[str, Any]
) -> None:
    """`manager` has the role, allowed on the command in Discord, but not named by the guild."""
    s = app.scene
    await set_up_tasks(app)
    app.fd.set_command_permissions(s.guild, "schedule", {s.managers: True})
    outsider = getattr(s, who)
    before, since = await world_state(app), len(app.fd.requests)
    handle = await app.slash(outsider, command, bypass_permissions=True, **resolve(app, options))
    await assert_refused_quietly(app, handle, before, since)


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("status", {}),
        ("config", {}),
        ("config", {"timezone": "Europe/Berlin", "mention_policy": "none"}),
        ("config", {"manager_role": "managers"}),
        ("config", {"clear": "manager_role"}),
        ("api-token create", {"name": "sneaky", "scope": "write"}),
        ("api-token list", {}),
        ("api-token revoke", {"name": "sneaky"}),
    ],
)
async def test_no_scheduler_subcommand_works_for_a_member_without_the_right(
    app: App, command: str, options: dict[str, Any]
) -> None:
    s = app.scene
    await set_up_tasks(app)
    options = {k: (s.managers if v == "managers" else v) for k, v in options.items()}
    before, since = await world_state(app), len(app.fd.requests)
    handle = await app.fd.slash(
        s.guild, s.member, f"scheduler {command}", bypass_permissions=True, **options
    )
    await assert_refused_quietly(app, handle, before, since)
    assert await app.bot.services.api_tokens.list_for_guild(s.guild.id) == []


async def test_the_scheduler_table_covers_every_subcommand(app: App) -> None:
    command = app.fd.commands.find(app.scene.guild.id, "scheduler")
    assert command is not None
    options = {o["name"]: o for o in command["options"]}
    assert set(options) == {"status", "config", "api-token"}
    assert {o["name"] for o in options["api-token"]["options"]} == {"create", "list", "revoke"}


# --------------------------------------------------------------------------- panels


async def open_panel(app: App, panel: str) -> Interaction:
    """An admin opens one of Cadence's interactive answers."""
    s = app.scene
    if panel == "list":
        await app.seed([f"task {n:02}" for n in range(12)])
        handle = await app.slash(s.admin, "list")
    elif panel == "summary":
        await app.seed([f"summary task {n:02} {'x' * 80}" for n in range(60)])
        handle = await app.slash(s.admin, "summary")
    elif panel == "delete":
        handle = await app.slash(s.admin, "delete", task="standup")
    else:
        handle = await app.slash(s.admin, "destinations", task="standup")
    await handle.response()
    assert handle.original is not None and handle.original.components
    return handle


PANEL_CONTROLS = [
    ("list", "next"),
    ("list", "prev"),
    ("summary", "sum_next"),
    ("summary", "sum_prev"),
    ("delete", "confirm"),
    ("delete", "cancel"),
    ("destinations", "dest_channels"),
    ("destinations", "dest_publish"),
    ("destinations", "dest_identity"),
    ("destinations", "dest_clear_identity"),
    ("destinations", "dest_save"),
]


@pytest.mark.parametrize(("panel", "control"), PANEL_CONTROLS)
async def test_no_button_or_select_works_for_a_member_without_the_right(
    app: App, panel: str, control: str
) -> None:
    s = app.scene
    await set_up_tasks(app)
    handle = await open_panel(app, panel)
    message = handle.original
    assert message is not None
    shown = (list(message.embeds), message.edits)
    before, since = await world_state(app), len(app.fd.requests)
    if control == "dest_channels":
        clicked = await app.fd.select(
            s.member, message, control, [s.general, s.news], bypass_permissions=True
        )
    else:
        clicked = await app.fd.click(s.member, message, control, bypass_permissions=True)
    await assert_refused_quietly(app, clicked, before, since)
    assert (list(message.embeds), message.edits) == shown  # the panel did not move


async def test_the_identity_form_cannot_be_submitted_by_a_member_without_the_right(
    app: App,
) -> None:
    s = app.scene
    await set_up_tasks(app)
    handle = await open_panel(app, "destinations")
    message = handle.original
    assert message is not None
    await (await app.fd.select(s.admin, message, "dest_channels", [s.general])).response()
    opened = await app.fd.click(s.admin, message, "dest_identity")
    assert (await opened.response()).type == 9
    shown = list(message.embeds)
    before, since = await world_state(app), len(app.fd.requests)
    submitted = await app.fd.submit_modal(opened, s.member, {"name": "Sneaky", "avatar": ""})
    await assert_refused_quietly(app, submitted, before, since)
    assert list(message.embeds) == shown
    # The admin's panel still posts as the bot: nothing of the member's form was kept.
    saved = await app.fd.click(s.admin, message, "dest_save")
    await saved.wait_done()
    assert destinations_json(await app.task("standup")) == [
        {"type": "channel", "channel_id": s.general.id}
    ]


@pytest.mark.parametrize("panel", ["delete", "destinations"])
async def test_a_panel_answers_only_the_member_who_opened_it(app: App, panel: str) -> None:
    """Another member who may use Cadence still cannot drive someone else's panel."""
    s = app.scene
    await set_up_tasks(app)
    await app.allow_managers()
    handle = await open_panel(app, panel)
    message = handle.original
    assert message is not None
    before = await world_state(app)
    control = "confirm" if panel == "delete" else "dest_publish"
    clicked = await app.fd.click(s.manager, message, control, bypass_permissions=True)
    answer = await clicked.response()
    assert answer.ephemeral and "Only the member who" in ((answer.data or {}).get("content") or "")
    assert await world_state(app) == before


# --------------------------------------------------------------------------- guild isolation

OTHER_GUILD_BY_TASK: list[Any] = [
    ("history", {}),
    ("destinations", {}),
    ("add-variant", {"message": "theirs now"}),
    ("add-variant", {}),
    ("rotation", {"mode": "random"}),
]


@pytest.mark.parametrize("by", ["name", "number"])
@pytest.mark.parametrize(("command", "options"), OTHER_GUILD_BY_TASK)
async def test_another_guild_cannot_reach_a_task_by_name_or_number(
    app: App, by: str, command: str, options: dict[str, Any]
) -> None:
    """(show, edit, pause, resume, delete, skip and run: tests/commands/test_isolation.py.)"""
    s = app.scene
    task = await app.create("standup")
    reference = task.name if by == "name" else str(task.id)
    before, since = await world_state(app), len(app.fd.requests)
    handle = await app.slash(s.other_admin, command, guild=s.other, task=reference, **options)
    answer = await final_answer(handle)
    assert handle.modal is None
    assert_refused(answer, f"{NOT_HERE} “{reference}” in this server")
    assert await world_state(app) == before
    assert bot_writes(app, since) == []


async def test_autocomplete_offers_nothing_of_another_guild(app: App) -> None:
    s = app.scene
    task = await app.create("standup")
    for typed in ("", "s", "standup", str(task.id), "%", "_"):
        choices = await app.fd.autocomplete(
            s.other, s.other_admin, "schedule show", focused="task", value=typed
        )
        assert choices == [], typed


async def test_another_guilds_overviews_show_none_of_our_tasks(app: App) -> None:
    s = app.scene
    await app.create("standup")
    await app.create("their own", guild=s.other)
    summary = await final_answer(await app.slash(s.other_admin, "summary", guild=s.other))
    assert "their own" in text_of(summary) and "standup" not in text_of(summary)
    status = await final_answer(await app.fd.slash(s.other, s.other_admin, "scheduler status"))
    assert "active **1**" in text_of(status)
    handle = await app.slash(s.other_admin, "export", guild=s.other)
    await final_answer(handle)
    document = await download(handle)
    assert [t["name"] for t in document["tasks"]] == ["their own"]


def import_entry(**destination: Any) -> dict[str, Any]:
    return {
        "name": "moved",
        "kind": "cron",
        "spec": "0 9 * * *",
        "payload": {"variants": [{"content": "hello"}]},
        "destinations": [destination],
    }


async def test_import_cannot_post_into_another_guild(app: App) -> None:
    """Every way a file can name a channel: only this server's channels pass."""
    s = app.scene
    theirs, ours, thread = s.other_general.id, s.general.id, s.thread.id
    attempts = [
        {"type": "channel", "channel_id": str(theirs)},
        {"type": "thread", "channel_id": str(ours), "thread_id": str(theirs)},
        {"type": "channel", "channel_id": str(ours), "thread_id": str(theirs)},
        {"type": "webhook", "channel_id": str(theirs), "name": "News"},
        {"type": "webhook", "channel_id": str(ours), "thread_id": str(theirs), "name": "News"},
    ]
    for number, destination in enumerate(attempts):
        before, since = await world_state(app), len(app.fd.requests)
        document = {"format": "cadence-tasks", "version": 1, "tasks": [import_entry(**destination)]}
        answer = await import_as(app, s.admin, document)
        assert_refused(answer, "Nothing was imported", "is not in this server")
        assert await world_state(app) == before, number
        assert bot_writes(app, since) == [], number
    # A thread of ours under another guild's channel id: the thread is what counts, and the
    # stored destination names its real parent.
    document = {
        "format": "cadence-tasks",
        "version": 1,
        "tasks": [import_entry(type="thread", channel_id=str(theirs), thread_id=str(thread))],
    }
    answer = await import_as(app, s.admin, document)
    assert embed_of(answer)["title"] == "Imported 1 task(s)", text_of(answer)
    moved = await app.task("moved")
    assert destinations_json(moved) == [{"type": "thread", "channel_id": ours, "thread_id": thread}]
    # The same through a webhook (this was an internal error: the webhook was looked for in
    # the other guild's channel): the webhook is made in our channel, the thread kept.
    hooked = import_entry(type="webhook", channel_id=str(theirs), thread_id=thread, name="Hi")
    document = {"format": "cadence-tasks", "version": 1, "tasks": [{**hooked, "name": "hooked"}]}
    answer = await import_as(app, s.admin, document)
    assert embed_of(answer)["title"] == "Imported 1 task(s)", text_of(answer)
    [hook] = destinations_json(await app.task("hooked"))
    assert (hook["type"], hook["channel_id"], hook["thread_id"]) == ("webhook", ours, thread)
    run = await app.bot.control.run_now(await app.task("hooked"), actor_id=None)
    assert run.status == "ok", run.error
    assert app.fd.messages(s.thread)[-1].webhook_username == "Hi"


async def test_a_role_of_another_guild_cannot_be_mentioned(app: App) -> None:
    s = app.scene
    their_role = s.other.add_role("Their role", 0, mentionable=True)
    message = f"hello <@&{their_role.id}>"
    before = await world_state(app)
    answer = await app.answer(
        s.admin, "cron", name="x", cron="0 9 * * *", channel=s.general, message=message
    )
    assert_refused(answer, "mentions a role that does not exist")
    document = {
        "format": "cadence-tasks",
        "version": 1,
        "tasks": [
            {
                **import_entry(type="channel", channel_id=str(s.general.id)),
                "payload": {
                    "variants": [{"content": message}],
                    "mentions": {"everyone": False, "roles": [their_role.id], "users": True},
                },
            }
        ],
    }
    assert_refused(await import_as(app, s.admin, document), "role that does not exist")
    assert await world_state(app) == before


# --------------------------------------------------------------------------- the token


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record at DEBUG, from before the bot logs in (list it before `app`)."""
    caplog.set_level(logging.DEBUG)
    return caplog


async def download(handle: Interaction) -> Any:
    message = handle.original
    assert message is not None and message.attachments
    async with aiohttp.ClientSession() as http, http.get(message.attachments[0]["url"]) as got:
        return json.loads(await got.read())


async def import_as(app: App, member: Any, document: Any, **options: Any) -> Any:
    payload = json.dumps(document).encode()
    handle = await app.fd.slash(
        app.scene.guild, member, "schedule import", file=("tasks.json", payload), **options
    )
    return await final_answer(handle)


async def full_session(app: App) -> Any:
    """Commands, a form, posts to a channel and through a webhook, an export and an import,
    an internal error, status: the bot logs and stores what it would in a day's work."""
    s = app.scene
    await app.create("standup", message="@everyone stand-up")
    await app.create("water", "every", interval="2h", title="Health", color="teal")
    opened = await app.slash(s.admin, "once", name="party", when="in 3 days", channel=s.news)
    assert (await opened.response()).type == 9
    filled = await app.fd.submit_modal(opened, s.admin, {"content": "Party!", "footer": "snacks"})
    assert embed_of(await final_answer(filled))["title"] == "Scheduled: party"
    panel = await app.slash(s.admin, "destinations", task="water")
    await panel.response()
    assert panel.original is not None
    await (await app.fd.select(s.admin, panel.original, "dest_channels", [s.general])).response()
    identity = await app.fd.click(s.admin, panel.original, "dest_identity")
    await identity.response()
    await (await app.fd.submit_modal(identity, s.admin, {"name": "Herald"})).response()
    await (await app.fd.click(s.admin, panel.original, "dest_save")).wait_done()
    for name in ("standup", "water", "party"):
        ran = await app.answer(s.admin, "run", task=name)
        assert embed_of(ran)["title"] == f"Ran {name}", text_of(ran)
    await app.answer(s.admin, "list")
    await app.answer(s.admin, "show", task="water")
    await app.answer(s.admin, "history", task="standup")
    await final_answer(await app.fd.slash(s.guild, s.admin, "scheduler status"))
    exported = await app.slash(s.admin, "export")
    await final_answer(exported)
    document = await download(exported)
    for entry in document["tasks"]:
        entry["name"] += " copy"
    imported = await import_as(app, s.admin, document)
    assert embed_of(imported)["title"] == "Imported 3 task(s)", text_of(imported)
    await app.bot.engine.alerts.flush()
    return document


def secrets_of(app: App) -> list[str]:
    token = app.fd.token
    return [token, token.split(".")[-1]] if "." in token else [token]


async def test_the_token_is_in_no_log_no_database_no_export_and_no_post(
    debug_logs: pytest.LogCaptureFixture,
    app: App,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    s = app.scene
    document = await full_session(app)

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"boom with {app.bot.settings!r}")

    monkeypatch.setattr(app.bot.control, "pause", broken)
    assert "Error id" in text_of(await app.answer(s.admin, "pause", task="standup"))
    await app.bot.engine.alerts.flush()

    logged = debug_logs.text + "\n".join(
        f"{r.getMessage()} {r.exc_text or ''}" for r in debug_logs.records
    )
    assert len(debug_logs.records) > 100  # DEBUG really was on, for discord.py too
    assert any(r.name.startswith("discord.http") for r in debug_logs.records)
    exported = json.dumps(document, ensure_ascii=False)
    hooks = [d for t in await app.tasks() for d in destinations_json(t) if d["type"] == "webhook"]
    assert hooks, "the session should have made a webhook destination"
    posts = "\n".join(
        json.dumps(m.payload(), ensure_ascii=False)
        for m in app.fd.all_posts(include_ephemeral=True)
    )
    answers = "\n".join(json.dumps(c.data or {}, ensure_ascii=False) for c in app.fd.callbacks)
    dump = await database_dump(app)
    for secret in secrets_of(app):
        assert secret not in logged
        assert secret not in exported
        assert secret not in posts and secret not in answers
        assert secret not in dump
    for hook in hooks:  # webhook credentials are stored (to post), never exported
        assert str(hook["webhook_token"]) not in exported
        assert str(hook["webhook_id"]) not in exported
    assert '"webhook_id": "' in posts  # the webhook post is among those checked


async def database_dump(app: App) -> str:
    """Every row of the database as SQL text, and the raw bytes of its files."""
    path = Path(app.bot.database.path)
    with sqlite3.connect(path) as connection:
        text = "\n".join(connection.iterdump())
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file()).decode(
        "latin-1"
    )
    assert "CREATE TABLE" in text and "standup" in text
    return text + raw


def test_settings_never_show_the_token() -> None:
    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GxYzAb.abcdefghijklmnopqrstuvwxyz0123456789AB"
    settings = load_settings({"DISCORD_TOKEN": token}, env_file=None)
    for shown in (repr(settings), str(settings), f"{settings}", str(describe_settings(settings))):
        assert token not in shown and "abcdefghijklmnop" not in shown
    assert settings.discord_token.reveal() == token


# --------------------------------------------------------------------------- SQL-looking text

SQLISH = ["'; DROP TABLE tasks; --", "Robert'); --", "100%", "a_b", "%", "_", '"quoted"', "\\"]


def unescaped(text: str) -> str:
    """What a reader sees: Discord markdown escapes removed."""
    return re.sub(r"\\([\\*_~`|>\[\]<])", r"\1", text)


async def test_sql_looking_names_and_messages_are_kept_and_shown_as_typed(app: App) -> None:
    s = app.scene
    bystander = await app.create("bystander", message="untouched")
    theirs = await app.create("their task", guild=s.other)
    for text in SQLISH:
        answer = await app.answer(
            s.admin, "cron", name=text, cron="0 9 * * *", channel=s.general, message=text
        )
        assert embed_of(answer)["title"] == f"Scheduled: {text}", text_of(answer)
    stored = {t.name: t for t in await app.tasks()}
    assert set(stored) == {*SQLISH, "bystander"}
    for text in SQLISH:
        assert payload_json(stored[text])["variants"] == [{"content": text}]

    listing = ""
    handle = await app.slash(s.admin, "list")
    listing += text_of(await final_answer(handle))
    if handle.original is not None and handle.original.components:
        clicked = await app.fd.click(s.admin, handle.original, "next")
        listing += text_of(await clicked.response())
    summary = unescaped(text_of(await final_answer(await app.slash(s.admin, "summary"))))
    for text in SQLISH:
        assert f"**{text}**" in unescaped(listing), text
        assert text in summary, text
        show = await app.answer(s.admin, "show", task=text)
        assert embed_of(show)["title"] == f"Task: {text}"
        assert text in unescaped(text_of(show))
        choices = await app.fd.autocomplete(
            s.guild, s.admin, "schedule show", focused="task", value=text
        )
        assert [c["value"] for c in choices][:1] == [text], (text, choices)
    # LIKE wildcards match themselves only.
    for wildcard in ("%", "_"):
        choices = await app.fd.autocomplete(
            s.guild, s.admin, "schedule show", focused="task", value=wildcard
        )
        assert {c["value"] for c in choices} == {n for n in stored if wildcard in n}, wildcard

    exported = await app.slash(s.admin, "export")
    await final_answer(exported)
    document = await download(exported)
    assert sorted(t["name"] for t in document["tasks"]) == sorted(stored)
    for entry in document["tasks"]:
        assert entry["payload"]["variants"] == [{"content": entry["name"]}] or (
            entry["name"] == "bystander"
        )

    await app.answer(s.admin, "run", task="'; DROP TABLE tasks; --")
    assert app.fd.messages(s.general)[-1].content == "'; DROP TABLE tasks; --"
    # Nothing else changed: the other tasks, the other guild, the tables.
    assert await app.task("bystander") == bystander
    assert await app.tasks(s.other) == [theirs]
    assert len(await app.tasks()) == len(SQLISH) + 1


# --------------------------------------------------------------------------- crafted values

CRAFTED: list[Any] = [
    ("cron", {"name": "a", "cron": "0 9 * * *", "message": "hi", "max_runs": 0}, "max_runs"),
    ("cron", {"name": "a", "cron": "0 9 * * *", "message": "hi", "max_runs": 10**12}, "max_runs"),
    ("every", {"name": "a", "interval": "4h", "message": "hi", "max_runs": -3}, "max_runs"),
    ("edit", {"task": "standup", "max_runs": 0}, "max_runs"),
    ("skip", {"task": "standup", "count": 0}, "count"),
    ("skip", {"task": "standup", "count": 10**9}, "count"),
    ("history", {"task": "standup", "limit": 0}, "limit"),
    ("history", {"task": "standup", "limit": 10**6}, "limit"),
    ("cron", {"name": "a", "cron": "0 9 * * *", "message": "hi", "catch_up": "never"}, "catch_up"),
    ("list", {"status": "deleted"}, "status"),
    ("rotation", {"task": "standup", "mode": "backwards"}, "mode"),
    ("show", {"task": "²"}, NOT_HERE),
    ("show", {"task": "9" * 30}, NOT_HERE),
    ("show", {"task": "9" * 5000}, NOT_HERE),
]


@pytest.mark.parametrize(
    ("command", "options", "fragment"),
    [pytest.param(c, o, f, id=f"{c}-{i}") for i, (c, o, f) in enumerate(CRAFTED)],
)
async def test_crafted_values_outside_the_options_get_a_clear_error(
    app: App,
    caplog: pytest.LogCaptureFixture,
    command: str,
    options: dict[str, Any],
    fragment: str,
) -> None:
    s = app.scene
    await app.create("standup")
    probe = Probe(app, caplog)
    if command in ("cron", "every"):
        options = {**options, "channel": s.general}
    before = await probe.snapshot()
    handle = await app.slash(s.admin, command, strict=False, **options)
    assert await probe.answer(handle, before) is None
    assert fragment in text_of(await final_answer(handle))


@pytest.mark.parametrize("where", ["cron", "list", "summary", "config"])
async def test_a_crafted_channel_of_the_wrong_kind_gets_a_clear_error(
    app: App, caplog: pytest.LogCaptureFixture, where: str
) -> None:
    """Discord offers text channels and threads only; a category sent anyway is refused."""
    s = app.scene
    category = channel_named(app, "Archive")
    probe = Probe(app, caplog)
    before = await probe.snapshot()
    if where == "config":
        handle = await app.fd.slash(
            s.guild, s.admin, "scheduler config", strict=False, dev_channel=category
        )
    elif where == "cron":
        handle = await app.slash(
            s.admin, "cron", strict=False, name="a", cron="@daily", channel=category, message="x"
        )
    else:
        handle = await app.slash(s.admin, where, strict=False, channel=category)
    assert await probe.answer(handle, before) is None
    assert "can't be used for this option" in text_of(await final_answer(handle))


async def test_a_mentionable_role_pings_only_as_approved(app: App) -> None:
    """Sanity check for the mention tests: a role that may be pinged is pinged."""
    s = app.scene
    pingable = role_named(app, "Pingable")
    await app.allow_managers()
    task = await app.create("ping", member=s.manager, message=f"<@&{pingable.id}> hi")
    assert payload_json(task)["mentions"]["roles"] == [pingable.id]
    await app.answer(s.admin, "run", task="ping")
    assert app.fd.messages(s.general)[-1].mention_roles == [str(pingable.id)]
