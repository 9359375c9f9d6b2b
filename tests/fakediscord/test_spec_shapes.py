"""The emulator's answers, for the routes discord.py and Cadence call, have Discord's shape.

Each answer is checked against our JSON Schema of that object (tests/fakediscord/
discord_shapes.py: required fields and types, read from Discord's OpenAPI description). The
count "N of M answers fully valid" in docs/FAKEDISCORD.md is what this test prints.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import jsonschema_rs
import pytest

from fakediscord import FakeDiscord, Interaction
from fakediscord.payloads import guild_create_payload
from fakediscord.ratelimit import RateLimiter

from . import discord_shapes as shapes
from .bot_under_test import Recorder, build_bot
from .harness import Scene, StartBot


@dataclass
class Answer:
    """One answer of the emulator and the schema it must fit."""

    label: str
    payload: Any
    schema: shapes.Schema

    def problems(self) -> list[str]:
        """What does not fit (empty when the answer is fully valid)."""
        validator = jsonschema_rs.Draft202012Validator(self.schema)
        return [
            f"{list(e.instance_path)}: {e.message}" for e in validator.iter_errors(self.payload)
        ]


@dataclass
class Caller:
    """A bare HTTP client: the answers as they are, before discord.py reads them."""

    fd: FakeDiscord
    session: aiohttp.ClientSession
    answers: list[Answer]

    async def call(
        self,
        method: str,
        route: str,
        schema: shapes.Schema,
        *,
        json: Any = None,
        label: str | None = None,
        bot: bool = True,
    ) -> Any:
        headers = {"Authorization": f"Bot {self.fd.token}"} if bot else {}
        url = self.fd.api_url + route
        async with self.session.request(method, url, json=json, headers=headers) as response:
            assert response.status in (200, 201), (method, route, await response.text())
            payload = await response.json()
        named = label or f"{method} {RateLimiter.template(route.split('?')[0])}"
        self.answers.append(Answer(named, payload, schema))
        return payload


@pytest.fixture
async def slow_bot(start_bot: StartBot, fd: FakeDiscord, scene: Scene) -> AsyncIterator[Recorder]:
    """The bot under test, connected; its `/schedule slow` handler waits, so that the test
    answers those interactions itself."""
    recorder = Recorder()
    client, tree = build_bot(recorder)
    await start_bot(client, tree, scene.guild)
    yield recorder
    fd.clock.advance(10)  # the bot's late answers fail quietly
    recorder.release.set()


async def _interaction(fd: FakeDiscord, scene: Scene) -> Interaction:
    return await fd.slash(scene.guild, scene.alice, "schedule slow")


async def collect_answers(fd: FakeDiscord, scene: Scene) -> list[Answer]:
    """Ask the emulator what discord.py and Cadence ask, and keep every answer."""
    answers: list[Answer] = []
    async with aiohttp.ClientSession() as session:
        api = Caller(fd, session, answers)
        await _login_and_commands(fd, scene, api)
        await _guild_reads(scene, api)
        await _messages_and_webhooks(scene, api)
        await _interaction_answers(fd, scene, api)
    guild = fd.world.guilds[scene.guild.id]
    for members in (True, False):
        label = f"GUILD_CREATE ({'with' if members else 'without'} the members intent)"
        payload = guild_create_payload(guild, with_members=members)
        answers.append(Answer(label, payload, shapes.GUILD_CREATE))
    return answers


async def _login_and_commands(fd: FakeDiscord, scene: Scene, api: Caller) -> None:
    app = fd.world.application.id
    guild = scene.guild.id
    await api.call("GET", "/users/@me", shapes.USER)
    await api.call("GET", "/applications/@me", shapes.APPLICATION)
    await api.call("GET", "/oauth2/applications/@me", shapes.APPLICATION)
    await api.call("GET", "/gateway/bot", shapes.GATEWAY_BOT)
    # As discord.py 2.7 sends a tree: contexts and integration_types null unless set.
    command = {
        "name": "ping",
        "description": "Answers pong",
        "type": 1,
        "options": [{"type": 3, "name": "text", "description": "What to say", "required": False}],
        "nsfw": False,
        "dm_permission": True,
        "default_member_permissions": None,
        "contexts": None,
        "integration_types": None,
    }
    commands = shapes.array(shapes.COMMAND)
    await api.call("PUT", f"/applications/{app}/commands", commands, json=[command])
    await api.call("GET", f"/applications/{app}/commands", commands)
    guild_routes = f"/applications/{app}/guilds/{guild}/commands"
    admin_only = {**command, "name": "admin", "default_member_permissions": "8"}
    await api.call("POST", guild_routes, shapes.COMMAND, json=admin_only)
    await api.call("GET", guild_routes, commands)


async def _guild_reads(scene: Scene, api: Caller) -> None:
    guild = scene.guild.id
    await api.call("GET", f"/guilds/{guild}", shapes.GUILD)
    await api.call("GET", f"/guilds/{guild}?with_counts=true", shapes.GUILD)
    await api.call("GET", f"/guilds/{guild}/channels", shapes.array(shapes.CHANNEL))
    await api.call("GET", f"/guilds/{guild}/members/{scene.alice.id}", shapes.MEMBER)
    await api.call("GET", f"/guilds/{guild}/roles", shapes.array(shapes.ROLE))
    await api.call("GET", f"/channels/{scene.general.id}", shapes.CHANNEL)
    await api.call("GET", f"/channels/{scene.thread.id}", shapes.THREAD)


async def _messages_and_webhooks(scene: Scene, api: Caller) -> None:
    channel = f"/channels/{scene.general.id}"
    row = {
        "type": 1,
        "components": [
            {"type": 2, "style": 1, "label": "Pause", "custom_id": "pause"},
            {"type": 2, "style": 5, "label": "Docs", "url": "https://example.org/"},
        ],
    }
    body = {"content": f"hello <@{scene.bob.id}>", "components": [row], "nonce": "t1"}
    sent = await api.call("POST", f"{channel}/messages", shapes.MESSAGE, json=body)
    message = f"{channel}/messages/{sent['id']}"
    await api.call("PATCH", message, shapes.MESSAGE, json={"content": "edited"})
    await api.call("GET", message, shapes.MESSAGE)
    await api.call("GET", f"{channel}/messages?limit=5", shapes.array(shapes.MESSAGE))
    news = await api.call(
        "POST", f"/channels/{scene.news.id}/messages", shapes.MESSAGE, json={"content": "news"}
    )
    await api.call(
        "POST", f"/channels/{scene.news.id}/messages/{news['id']}/crosspost", shapes.MESSAGE
    )
    hook = await api.call("POST", f"{channel}/webhooks", shapes.WEBHOOK, json={"name": "Cadence"})
    await api.call("GET", f"{channel}/webhooks", shapes.array(shapes.WEBHOOK))
    execute = f"/webhooks/{hook['id']}/{hook['token']}"
    await api.call("GET", execute, shapes.WEBHOOK, bot=False)
    posted = await api.call(
        "POST", f"{execute}?wait=true", shapes.MESSAGE, json={"content": "via hook"}, bot=False
    )
    await api.call("GET", f"{execute}/messages/{posted['id']}", shapes.MESSAGE, bot=False)


async def _interaction_answers(fd: FakeDiscord, scene: Scene, api: Caller) -> None:
    app = fd.world.application.id
    deferred = await _interaction(fd, scene)
    callback = f"/interactions/{deferred.id}/{deferred.token}/callback?with_response=true"
    await api.call(
        "POST", callback, shapes.CALLBACK_RESPONSE, json={"type": 5}, bot=False, label="defer"
    )
    original = f"/webhooks/{app}/{deferred.token}/messages/@original"
    await api.call("GET", original, shapes.MESSAGE, bot=False, label="GET @original (deferred)")
    await api.call("PATCH", original, shapes.MESSAGE, json={"content": "done"}, bot=False)
    await api.call(
        "POST",
        f"/webhooks/{app}/{deferred.token}?wait=true",
        shapes.MESSAGE,
        json={"content": "more", "components": [{"type": 1, "components": [_button("next")]}]},
        bot=False,
        label="followup",
    )
    answered = await _interaction(fd, scene)
    callback = f"/interactions/{answered.id}/{answered.token}/callback?with_response=true"
    data = {"content": "hi", "components": [{"type": 1, "components": [_button("again")]}]}
    await api.call(
        "POST",
        callback,
        shapes.CALLBACK_RESPONSE,
        json={"type": 4, "data": data},
        bot=False,
        label="answer (type 4)",
    )


def _button(custom_id: str) -> dict[str, Any]:
    return {"type": 2, "style": 2, "label": custom_id, "custom_id": custom_id}


def summary(answers: list[Answer]) -> tuple[int, int, list[str]]:
    """(fully valid, all, what was wrong with the others)."""
    wrong = [f"{a.label}: {p}" for a in answers for p in a.problems()]
    valid = sum(1 for a in answers if not a.problems())
    return valid, len(answers), wrong


async def test_every_answer_has_discords_shape(
    slow_bot: Recorder, fd: FakeDiscord, scene: Scene
) -> None:
    answers = await collect_answers(fd, scene)
    valid, total, wrong = summary(answers)
    print(f"\nfakediscord answers fully valid: {valid} of {total}")
    assert total >= 30
    assert wrong == []


def test_the_schemas_can_fail() -> None:
    """A guard on the guard: a missing required field, a snowflake sent as a number and a
    component without its id are each caught."""
    user = {
        "id": "1",
        "username": "cadence",
        "avatar": None,
        "discriminator": "0",
        "public_flags": 0,
        "flags": 0,
        "global_name": None,
        "primary_guild": None,
    }
    message = {
        "id": "2",
        "type": 0,
        "channel_id": "3",
        "content": "hi",
        "author": user,
        "timestamp": "2026-12-04T00:00:00+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "components": [{"type": 1, "id": 1, "components": [{"type": 2, "id": 2, "style": 1}]}],
        "pinned": False,
        "flags": 0,
    }
    assert Answer("good", message, shapes.MESSAGE).problems() == []
    no_flags = {**message, "author": {k: v for k, v in user.items() if k != "public_flags"}}
    assert Answer("author", no_flags, shapes.MESSAGE).problems()
    assert Answer("numeric", {**message, "id": 2}, shapes.MESSAGE).problems()
    row = {"type": 1, "id": 1, "components": [{"type": 2, "style": 1}]}
    assert Answer("no id", {**message, "components": [row]}, shapes.MESSAGE).problems()
