"""Where the emulator is as strict as Discord by default: rate limits and their headers, a
deferred answer that has no message yet, synced commands with Discord's defaults, components
numbered with their ids. Each test here failed on the kinder emulator of before."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest

from fakediscord import FakeDiscord, Interaction
from fakediscord.settings import EmulatorSettings

from .bot_under_test import Recorder, build_bot
from .harness import Scene, StartBot, make_client


@pytest.fixture
async def http(fd: FakeDiscord) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bot {fd.token}"}
    async with aiohttp.ClientSession(base_url=fd.url, headers=headers) as session:
        yield session


async def _send(http: aiohttp.ClientSession, channel_id: int, body: dict[str, Any]) -> Any:
    async with http.post(f"/api/v10/channels/{channel_id}/messages", json=body) as response:
        return response.status, dict(response.headers), await response.json()


# -- rate limits ---------------------------------------------------------------------------


async def test_rate_limits_and_their_headers_are_on_by_default(
    fd: FakeDiscord, scene: Scene, http: aiohttp.ClientSession
) -> None:
    assert EmulatorSettings().rate_limits is True and fd.settings.rate_limits is True
    answers = [await _send(http, scene.general.id, {"content": f"m{i}"}) for i in range(6)]
    assert [status for status, _, _ in answers] == [200] * 5 + [429]
    _, headers, _ = answers[0]
    assert headers["X-RateLimit-Limit"] == "5" and headers["X-RateLimit-Remaining"] == "4"
    assert float(headers["X-RateLimit-Reset-After"]) > 0 and float(headers["X-RateLimit-Reset"])
    assert headers["X-RateLimit-Bucket"]
    _, refused, body = answers[-1]
    assert refused["X-RateLimit-Scope"] == "user" and "X-RateLimit-Global" not in refused
    assert int(refused["Retry-After"]) >= 1 and refused["Via"]
    assert body["global"] is False and 0 < body["retry_after"] <= 5.0
    assert len(fd.messages(scene.general)) == 5


async def test_a_global_429_says_so_in_its_headers(
    fd: FakeDiscord, scene: Scene, http: aiohttp.ClientSession
) -> None:
    fd.settings.global_rate_limit = 2  # Discord's 50/s, made small to reach it in a test
    channels = (scene.general, scene.news, scene.noembed)
    statuses = []
    for channel in channels:
        status, headers, body = await _send(http, channel.id, {"content": "g"})
        statuses.append(status)
    assert statuses == [200, 200, 429]
    assert headers["X-RateLimit-Global"] == "true" and headers["X-RateLimit-Scope"] == "global"
    assert body["global"] is True and headers["Retry-After"] == "1"


# -- a deferred answer ---------------------------------------------------------------------


@pytest.fixture
async def pending(start_bot: StartBot, fd: FakeDiscord, scene: Scene) -> AsyncIterator[Interaction]:
    """An interaction the bot received but does not answer (its handler waits)."""
    recorder = Recorder()
    client, tree = build_bot(recorder)
    await start_bot(client, tree, scene.guild)
    yield await fd.slash(scene.guild, scene.alice, "schedule slow")
    fd.clock.advance(10)  # let the bot's late answer fail quietly
    recorder.release.set()


async def test_a_deferred_answer_returns_no_message(pending: Interaction, fd: FakeDiscord) -> None:
    """Discord's callback answer for type 5 names the "thinking" message but has no
    ``resource``: there is no message to read until the edit or the first followup."""
    url = f"{fd.api_url}/interactions/{pending.id}/{pending.token}/callback?with_response=true"
    original = f"{fd.api_url}/webhooks/{fd.world.application.id}/{pending.token}/messages/@original"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"type": 5}) as response:
            assert response.status == 200
            body = await response.json()
        assert "resource" not in body
        assert body["interaction"]["response_message_loading"] is True
        assert body["interaction"]["id"] == str(pending.id)
        async with session.get(original) as response:
            thinking = await response.json()
        assert thinking["flags"] & 128 and thinking["content"] == ""
        assert thinking["id"] == body["interaction"]["response_message_id"]
        async with session.patch(original, json={"content": "done"}) as response:
            edited = await response.json()
    assert edited["content"] == "done" and not edited["flags"] & 128


# -- synced commands -----------------------------------------------------------------------


async def test_synced_commands_come_back_with_discords_defaults(
    start_bot: StartBot, fd: FakeDiscord, scene: Scene
) -> None:
    client, tree = build_bot(Recorder())
    await start_bot(client, tree, scene.guild)
    synced = await tree.fetch_commands(guild=scene.guild)  # discord.py reads them back
    assert [c.name for c in synced] == ["schedule"]
    stored = fd.commands.commands(scene.guild.id)
    for command in stored:
        # discord.py sent null for both; Discord answers a list and keeps contexts null.
        assert command["integration_types"] == [0]
        assert command["contexts"] is None
        assert command["nsfw"] is False and isinstance(command["dm_permission"], bool)
        assert command["application_id"] == str(fd.world.application.id)
        assert command["version"].isdigit() and command["guild_id"] == str(scene.guild.id)
        permissions = command["default_member_permissions"]
        assert permissions is None or permissions.isdigit()  # a string, as Discord sends


# -- component ids -------------------------------------------------------------------------


def _row(*buttons: dict[str, Any], id: int | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"type": 1, "components": list(buttons)}
    if id is not None:
        row["id"] = id
    return row


def _button(custom_id: str, id: int | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": 2, "style": 1, "label": custom_id, "custom_id": custom_id}
    if id is not None:
        button["id"] = id
    return button


async def test_components_get_their_ids(
    fd: FakeDiscord, scene: Scene, http: aiohttp.ClientSession
) -> None:
    """Discord numbers components 1, 2, 3... depth first, skipping the ids a request gave."""
    body = {"components": [_row(_button("a"), _button("b", id=2)), _row(_button("c"))]}
    status, _, sent = await _send(http, scene.general.id, body)
    assert status == 200
    rows = sent["components"]
    assert [rows[0]["id"], *(b["id"] for b in rows[0]["components"])] == [1, 3, 2]
    assert [rows[1]["id"], rows[1]["components"][0]["id"]] == [4, 5]
    stored = fd.messages(scene.general)[-1]
    assert stored.components == rows
    assert body["components"][0].get("id") is None  # the request itself is not changed


async def test_duplicate_component_ids_are_refused(
    fd: FakeDiscord, scene: Scene, http: aiohttp.ClientSession
) -> None:
    body = {"components": [_row(_button("a", id=7), id=7)]}
    status, _, error = await _send(http, scene.general.id, body)
    assert status == 400 and error["code"] == 50035
    assert error["errors"]["components"]["0"]["components"]["0"]["id"]["_errors"]
    assert fd.messages(scene.general) == []


async def test_discord_py_reads_the_ids(start_bot: StartBot, fd: FakeDiscord, scene: Scene) -> None:
    client = await start_bot(make_client()[0])
    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="go", custom_id="go"))
    channel = client.get_partial_messageable(scene.general.id)
    message = await channel.send("pick", view=view)
    row = message.components[0]
    assert isinstance(row, discord.ActionRow) and row.id == 1 and row.children[0].id == 2
