"""/scheduler api-token create | list | revoke, driven as members would against fakediscord,
and the creator rights check the web API makes at each use (discordside.access)."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from discordside.access import CreatorRefusal, creator_refusal
from fakediscord import Permission
from fakediscord.interactions import Callback
from scheduler.api_tokens import hash_token
from storage import ApiToken
from tests.commands.harness import App, assert_refused, embed_of, final_answer, text_of

TOKEN = re.compile(r"cadence_[A-Za-z0-9_-]{43}")


async def tokens_command(
    app: App, member: Any, sub: str, *, guild: Any = None, **options: Any
) -> Callback:
    """Run `/scheduler api-token <sub>` and return its visible answer."""
    path = f"scheduler api-token {sub}"
    handle = await app.fd.slash(guild or app.scene.guild, member, path, **options)
    return await final_answer(handle)


async def create(app: App, name: str, scope: str = "write", **kw: Any) -> str:
    """Make a token through the command; return the token shown."""
    answer = await tokens_command(
        app, kw.pop("member", app.scene.admin), "create", name=name, scope=scope, **kw
    )
    assert answer.ephemeral
    found = TOKEN.findall(text_of(answer))
    assert len(found) == 1, text_of(answer)
    return found[0]


def stored_rows(db_path: Path) -> list[tuple[Any, ...]]:
    """Every api_tokens and audit row, read from the database file itself."""
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT * FROM api_tokens ORDER BY id").fetchall()
        return rows + conn.execute("SELECT * FROM audit ORDER BY id").fetchall()


async def live(app: App, guild: Any = None) -> list[ApiToken]:
    return await app.bot.services.api_tokens.list_for_guild((guild or app.scene.guild).id)


async def eventually(probe: Callable[[], Awaitable[Any]], want: Any, timeout: float = 5) -> Any:  # noqa: ASYNC109
    """Poll `probe` until it returns something equal to `want` (gateway events are async)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        got = await probe()
        if got == want or loop.time() > deadline:
            return got
        await asyncio.sleep(0.02)


@pytest.fixture
def bot_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record of every logger at DEBUG (Cadence, discord.py's HTTP and gateway logs,
    fakediscord), from before the bot logs in (list it before `app`)."""
    caplog.set_level(logging.DEBUG)
    return caplog


# --------------------------------------------------------------------------- create


async def test_create_shows_the_token_once_and_stores_only_its_hash(
    bot_logs: pytest.LogCaptureFixture, app: App, tmp_path: Path
) -> None:
    s = app.scene
    answer = await tokens_command(app, s.admin, "create", name="ci-deploy", scope="write")
    assert answer.ephemeral
    content = (answer.data or {}).get("content") or ""
    token = TOKEN.findall(content)[0]
    assert f"```\n{token}\n```" in content  # alone in its code block
    assert "will not be shown again" in content and "Authorization: Bearer" in content

    [record] = await live(app)
    assert (record.name, record.scope, record.created_by) == ("ci-deploy", "write", s.admin.id)
    assert record.token_hash == hash_token(token)
    rows = repr(stored_rows(tmp_path / "cadence.db"))
    assert hash_token(token) in rows
    assert token not in rows and token.removeprefix("cadence_") not in rows
    audit = [e for e in await app.audit() if e.action.startswith("api_token")]
    assert [(e.action, e.actor_id, e.detail) for e in audit] == [
        ("api_token_created", s.admin.id, {"name": "ci-deploy", "scope": "write"})
    ]
    authenticated = await app.bot.services.api_tokens.authenticate(token)
    assert authenticated is not None and authenticated.id == record.id

    listed = await tokens_command(app, s.admin, "list")
    revoked = await tokens_command(app, s.admin, "revoke", name="ci-deploy")
    for shown in (listed, revoked):
        assert token not in text_of(shown) and hash_token(token) not in text_of(shown)
    logged = "\n".join(record.getMessage() for record in bot_logs.records)
    assert "ci-deploy" in logged  # the log does see token events...
    assert token not in logged and token.removeprefix("cadence_") not in logged  # ...not tokens
    # aiosqlite at DEBUG logs query parameters, so the hash (not a secret: it does not work as
    # a token) shows there; the bot caps aiosqlite at INFO. Cadence's own lines never have it.
    ours = [r.getMessage() for r in bot_logs.records if not r.name.startswith("aiosqlite")]
    assert not [line for line in ours if hash_token(token) in line]


async def test_a_duplicate_name_and_a_bad_name_are_refused(app: App, tmp_path: Path) -> None:
    s = app.scene
    await create(app, "ci")
    before = stored_rows(tmp_path / "cadence.db")
    assert_refused(
        await tokens_command(app, s.admin, "create", name="ci", scope="read"),
        "An API token named 'ci' already exists in this server",
        "revoke that token first",
    )
    assert_refused(
        await tokens_command(app, s.admin, "create", name="has space", scope="read"),
        "1 to 32 letters, digits, - or _",
        example="ci-deploy",
    )
    assert stored_rows(tmp_path / "cadence.db") == before


async def test_scope_is_read_or_write(app: App) -> None:
    command = app.fd.commands.find(app.scene.guild.id, "scheduler")
    assert command is not None
    [group] = [o for o in command["options"] if o["name"] == "api-token"]
    assert {o["name"] for o in group["options"]} == {"create", "list", "revoke"}
    [create_options] = [o["options"] for o in group["options"] if o["name"] == "create"]
    [scope] = [o for o in create_options if o["name"] == "scope"]
    assert [c["value"] for c in scope["choices"]] == ["read", "write"]


# --------------------------------------------------------------------------- list


async def test_list_shows_names_scopes_creators_and_times_never_tokens(app: App) -> None:
    s = app.scene
    empty = await tokens_command(app, s.admin, "list")
    assert empty.ephemeral and "No API tokens yet" in text_of(empty)
    first = await create(app, "reader", "read")
    second = await create(app, "writer", "write")
    await app.bot.services.api_tokens.authenticate(second)
    reader, writer = await live(app)
    answer = await tokens_command(app, s.admin, "list")
    assert answer.ephemeral
    lines = embed_of(answer)["description"].splitlines()
    assert lines == [
        f"**reader** · read · by <@{s.admin.id}> · created "
        f"<t:{int(reader.created_at.timestamp())}:R> · last used never",
        f"**writer** · write · by <@{s.admin.id}> · created "
        f"<t:{int(writer.created_at.timestamp())}:R> · last used "
        f"<t:{int(writer.last_used_at.timestamp())}:R>",  # type: ignore[union-attr]
    ]
    text = text_of(answer)
    for token in (first, second):
        assert token not in text and hash_token(token) not in text


# --------------------------------------------------------------------------- revoke


async def test_revoke_stops_the_token_and_autocompletes_live_names(app: App) -> None:
    s = app.scene
    token = await create(app, "ci-deploy")
    await create(app, "backup")
    choices = await app.fd.autocomplete(
        s.guild, s.admin, "scheduler api-token revoke", focused="name", value="CI"
    )
    assert [c["value"] for c in choices] == ["ci-deploy"]
    everything = await app.fd.autocomplete(
        s.guild, s.admin, "scheduler api-token revoke", focused="name"
    )
    assert [c["value"] for c in everything] == ["backup", "ci-deploy"]

    answer = await tokens_command(app, s.admin, "revoke", name="ci-deploy")
    assert answer.ephemeral and "no longer works" in text_of(answer)
    assert await app.bot.services.api_tokens.authenticate(token) is None
    assert [t.name for t in await live(app)] == ["backup"]
    audit = [e for e in await app.audit() if e.action == "api_token_revoked"]
    assert [(e.actor_id, e.detail) for e in audit] == [
        (s.admin.id, {"name": "ci-deploy", "scope": "write"})
    ]
    assert_refused(
        await tokens_command(app, s.admin, "revoke", name="ci-deploy"),
        "no API token named 'ci-deploy'",
    )
    assert_refused(
        await tokens_command(app, s.admin, "revoke", name="never-made"),
        "no API token named 'never-made'",
    )


# --------------------------------------------------------------------------- who may


async def test_the_manager_role_without_manage_server_is_refused(app: App, tmp_path: Path) -> None:
    s = app.scene
    await create(app, "ci")
    await tokens_command(app, s.admin, "list")
    configured = await app.fd.slash(s.guild, s.admin, "scheduler config", manager_role=s.managers)
    await final_answer(configured)
    app.fd.set_command_permissions(s.guild, "scheduler", {s.managers: True})
    before = stored_rows(tmp_path / "cadence.db")
    for sub, options in (
        ("create", {"name": "mine", "scope": "write"}),
        ("list", {}),
        ("revoke", {"name": "ci"}),
    ):
        assert_refused(await tokens_command(app, s.manager, sub, **options), "Manage Server")
    choices = await app.fd.autocomplete(
        s.guild, s.manager, "scheduler api-token revoke", focused="name"
    )
    assert choices == []
    for sub, options in (("create", {"name": "mine", "scope": "read"}), ("list", {})):
        handle = await app.fd.slash(
            s.guild,
            s.member,
            f"scheduler api-token {sub}",
            bypass_permissions=True,
            options=options,
        )
        assert_refused(await final_answer(handle), "Manage Server")
    assert stored_rows(tmp_path / "cadence.db")[: len(before)] == before
    assert [t.name for t in await live(app)] == ["ci"]


async def test_another_guilds_tokens_are_neither_listed_nor_revocable(app: App) -> None:
    s = app.scene
    theirs = await create(app, "theirs", member=s.other_admin, guild=s.other)
    await create(app, "ours")
    listed = await tokens_command(app, s.admin, "list")
    assert "ours" in text_of(listed) and "theirs" not in text_of(listed)
    choices = await app.fd.autocomplete(
        s.guild, s.admin, "scheduler api-token revoke", focused="name"
    )
    assert [c["value"] for c in choices] == ["ours"]
    assert_refused(
        await tokens_command(app, s.admin, "revoke", name="theirs"), "no API token named"
    )
    assert [t.name for t in await live(app, s.other)] == ["theirs"]
    assert await app.bot.services.api_tokens.authenticate(theirs) is not None
    # The same name may live in both servers.
    await create(app, "theirs")
    assert [t.name for t in await live(app)] == ["ours", "theirs"]


# --------------------------------------------------------------------------- rights check


async def test_the_creator_rights_check_follows_the_member(app: App) -> None:
    s = app.scene
    guild_id = s.guild.id

    async def check(member: Any) -> CreatorRefusal | None:
        return await creator_refusal(app.bot, guild_id, member.id)

    owner = s.guild.member_named("owner")
    assert await check(owner) is None  # the owner, without any role
    assert await check(s.admin) is None  # Administrator
    assert (await check(s.manager)).reason == "no_permission"  # type: ignore[union-attr]

    s.managers.permissions = Permission.MANAGE_GUILD  # Manage Server through a role
    await app.fd.role_updated(s.managers)
    assert await eventually(lambda: check(s.manager), None) is None

    s.admin.roles.clear()  # demoted
    await app.fd.member_updated(s.admin)
    demoted = await eventually(lambda: check(s.admin), "not yet")
    assert demoted == CreatorRefusal(
        "no_permission",
        "The token's creator no longer has the Manage Server permission in this server; "
        "create a new token.",
    )

    await app.fd.remove_member(s.guild, s.manager)  # left
    left = await eventually(lambda: check(s.manager), "not yet")
    assert left == CreatorRefusal(
        "left", "The token's creator left the server; create a new token."
    )
    assert app.fd.requests_to("GET", f"/guilds/{guild_id}/members/{s.manager.id}")

    assert (await creator_refusal(app.bot, 1234, s.admin.id)).reason == "no_guild"  # type: ignore[union-attr]


async def test_the_rights_check_asks_discord_for_a_member_not_cached(app: App) -> None:
    s = app.scene
    guild = app.bot.get_guild(s.guild.id)
    assert guild is not None
    cached = guild.get_member(s.admin.id)  # None already with MEMBER_CACHE=needed
    if cached is not None:
        guild._remove_member(cached)
    assert guild.get_member(s.admin.id) is None
    assert await creator_refusal(app.bot, s.guild.id, s.admin.id) is None
    assert app.fd.requests_to("GET", f"/guilds/{s.guild.id}/members/{s.admin.id}")
