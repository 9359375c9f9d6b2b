"""Discord's interaction rules checked with raw HTTP against a dispatched interaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from fakediscord import FakeDiscord, Interaction

from .bot_under_test import Recorder, build_bot
from .harness import Scene, StartBot


@pytest.fixture
async def pending(start_bot: StartBot, fd: FakeDiscord, scene: Scene) -> AsyncIterator[Interaction]:
    """An interaction the bot received but does not answer (its handler waits)."""
    recorder = Recorder()
    client, tree = build_bot(recorder)
    await start_bot(client, tree, scene.guild)
    handle = await fd.slash(scene.guild, scene.alice, "schedule slow")
    await asyncio.wait_for(recorder.started.wait(), 5)
    yield handle
    fd.clock.advance(10)  # let the bot's late answer fail quietly
    recorder.release.set()
    await asyncio.wait_for(recorder.done.wait(), 5)


async def _post(fd: FakeDiscord, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session, session.post(fd.api_url + path, json=body) as r:
        return r.status, (await r.json() if r.status != 204 else None)


async def test_followup_before_ack_then_double_ack(pending: Interaction, fd: FakeDiscord) -> None:
    app_id = fd.world.application.id
    status, body = await _post(fd, f"/webhooks/{app_id}/{pending.token}?wait=1", {"content": "x"})
    assert (status, body["code"]) == (404, 10015)
    callback = f"/interactions/{pending.id}/{pending.token}/callback?with_response=1"
    status, body = await _post(fd, callback, {"type": 4, "data": {"content": "first"}})
    assert status == 200
    assert body["resource"]["message"]["content"] == "first"
    assert body["interaction"]["response_message_id"] == body["resource"]["message"]["id"]
    status, body = await _post(fd, callback, {"type": 4, "data": {"content": "second"}})
    assert (status, body["code"]) == (400, 40060)
    status, body = await _post(fd, f"/webhooks/{app_id}/{pending.token}?wait=1", {"content": "f"})
    assert status == 200 and pending.followups[0].content == "f"
    fd.clock.advance(fd.settings.interaction_token_lifetime + 1)
    status, body = await _post(fd, f"/webhooks/{app_id}/{pending.token}", {"content": "late"})
    assert (status, body["code"]) == (401, 50027)


@pytest.mark.parametrize(
    ("response", "code"),
    [
        pytest.param({"type": 8, "data": {"choices": []}}, 50035, id="autocomplete-to-command"),
        pytest.param({"type": 7, "data": {"content": "x"}}, 50035, id="update-without-message"),
        pytest.param(
            {"type": 9, "data": {"custom_id": "m", "title": "t" * 46, "components": [{"type": 1}]}},
            50035,
            id="modal-title",
        ),
        pytest.param({"type": 4, "data": {"content": "x" * 2001}}, 50035, id="content-too-long"),
    ],
)
async def test_invalid_initial_answers(
    pending: Interaction, fd: FakeDiscord, response: dict[str, Any], code: int
) -> None:
    callback = f"/interactions/{pending.id}/{pending.token}/callback"
    status, body = await _post(fd, callback, response)
    assert (status, body["code"]) == (400, code)
    assert not pending.acknowledged


async def test_deferred_then_edit_original(pending: Interaction, fd: FakeDiscord) -> None:
    callback = f"/interactions/{pending.id}/{pending.token}/callback?with_response=1"
    status, body = await _post(fd, callback, {"type": 5, "data": {"flags": 64}})
    assert status == 200 and body["interaction"]["response_message_loading"] is True
    assert pending.original is not None and pending.original.ephemeral and not pending.done
    url = f"{fd.api_url}/webhooks/{fd.world.application.id}/{pending.token}/messages/@original"
    async with aiohttp.ClientSession() as session, session.patch(url, json={"content": "ok"}) as r:
        assert r.status == 200
    assert pending.done and pending.original.content == "ok"


async def _send_raw(fd: FakeDiscord, channel_id: int, body: dict[str, Any]) -> tuple[int, Any]:
    headers = {"Authorization": f"Bot {fd.token}"}
    url = f"{fd.api_url}/channels/{channel_id}/messages"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=body, headers=headers) as r,
    ):
        return r.status, await r.json()


@pytest.mark.parametrize(
    ("embeds", "path"),
    [
        pytest.param([{"title": "t"}] * 11, ["embeds"], id="11-embeds"),
        pytest.param(
            [{"fields": [{"name": "n", "value": "v"}] * 26}],
            ["embeds", "0", "fields"],
            id="26-fields",
        ),
        pytest.param(
            [{"fields": [{"name": "n", "value": "v" * 1025}]}],
            ["embeds", "0", "fields", "0", "value"],
            id="field-value",
        ),
        pytest.param(
            [{"fields": [{"name": "n" * 257, "value": "v"}]}],
            ["embeds", "0", "fields", "0", "name"],
            id="field-name",
        ),
        pytest.param(
            [{"footer": {"text": "f" * 2049}}], ["embeds", "0", "footer", "text"], id="footer"
        ),
        pytest.param(
            [{"author": {"name": "a" * 257}}], ["embeds", "0", "author", "name"], id="author"
        ),
    ],
)
async def test_embed_limits(
    fd: FakeDiscord, scene: Scene, embeds: list[Any], path: list[str]
) -> None:
    status, body = await _send_raw(fd, scene.general.id, {"embeds": embeds})
    assert (status, body["code"]) == (400, 50035)
    node = body["errors"]
    for key in path:
        node = node[key]
    assert node["_errors"]


@pytest.mark.parametrize(
    ("allowed", "users", "roles", "everyone"),
    [
        pytest.param(None, True, True, True, id="default-parses-all"),
        pytest.param({"parse": []}, False, False, False, id="none"),
        pytest.param({"parse": ["users"]}, True, False, False, id="users-only"),
        pytest.param({"parse": [], "roles": ["ROLE"]}, False, True, False, id="listed-role"),
    ],
)
async def test_allowed_mentions_shape_what_is_recorded(
    fd: FakeDiscord, scene: Scene, allowed: Any, users: bool, roles: bool, everyone: bool
) -> None:
    if allowed and allowed.get("roles"):
        allowed["roles"] = [str(scene.managers.id)]
    content = f"<@{scene.bob.id}> <@&{scene.managers.id}> @everyone"
    body: dict[str, Any] = {"content": content}
    if allowed is not None:
        body["allowed_mentions"] = allowed
    status, message = await _send_raw(fd, scene.general.id, body)
    assert status == 200
    assert bool(message["mentions"]) is users
    assert bool(message["mention_roles"]) is roles
    assert message["mention_everyone"] is everyone
    [stored] = fd.messages(scene.general)
    assert stored.allowed_mentions == allowed


async def test_non_mentionable_role_needs_mention_everyone(fd: FakeDiscord, scene: Scene) -> None:
    bot_role = next(r for r in scene.guild.roles.values() if r.managed)
    bot_role.permissions &= ~(1 << 17)  # no MENTION_EVERYONE
    status, message = await _send_raw(
        fd, scene.general.id, {"content": f"<@&{scene.managers.id}> @everyone"}
    )
    assert status == 200
    assert message["mention_roles"] == [] and message["mention_everyone"] is False
    scene.managers.mentionable = True
    status, message = await _send_raw(fd, scene.general.id, {"content": f"<@&{scene.managers.id}>"})
    assert message["mention_roles"] == [str(scene.managers.id)]
