"""Raw HTTP checks: content type, auth, unknown routes, gateway info, command validation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from fakediscord import FakeDiscord

from .harness import Scene


@pytest.fixture
async def http(fd: FakeDiscord) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bot {fd.token}"}
    async with aiohttp.ClientSession(base_url=fd.url, headers=headers) as session:
        yield session


async def test_json_answers_have_exact_content_type(http: aiohttp.ClientSession) -> None:
    async with http.get("/api/v10/users/@me") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        assert (await response.json())["bot"] is True


async def test_wrong_token_is_401_and_unknown_route_404(fd: FakeDiscord) -> None:
    async with aiohttp.ClientSession(base_url=fd.url) as session:
        bad = {"Authorization": "Bot nope"}
        async with session.get("/api/v10/users/@me", headers=bad) as response:
            assert response.status == 401
            assert response.headers["Content-Type"] == "application/json"
        async with session.get("/api/v10/no/such/route", headers=bad) as response:
            assert response.status == 404
            assert await response.json() == {"message": "404: Not Found", "code": 0}


async def test_gateway_bot_info(http: aiohttp.ClientSession, fd: FakeDiscord) -> None:
    async with http.get("/api/v10/gateway/bot") as response:
        data = await response.json()
    assert data["url"] == fd.ws_url.rstrip("/")
    assert data["session_start_limit"]["max_concurrency"] == 1


async def test_requests_are_logged(
    http: aiohttp.ClientSession, fd: FakeDiscord, scene: Scene
) -> None:
    async with http.post(f"/api/v10/channels/{scene.general.id}/messages", json={"content": "x"}):
        pass
    [record] = fd.requests_to("POST", "/messages")
    assert record.json == {"content": "x"}
    assert record.status == 200
    assert record.time > 0


def _command(**extra: Any) -> dict[str, Any]:
    return {"name": "schedule", "description": "Schedule things", "type": 1, **extra}


@pytest.mark.parametrize(
    ("commands", "path"),
    [
        pytest.param([_command(name="Bad Name")], ["0", "name"], id="name-regex"),
        pytest.param([_command(description="x" * 101)], ["0", "description"], id="description"),
        pytest.param(
            [
                _command(
                    options=[{"name": f"o{i}", "description": "d", "type": 3} for i in range(26)]
                )
            ],
            ["0", "options"],
            id="too-many-options",
        ),
        pytest.param(
            [
                _command(
                    options=[
                        {
                            "name": f"opt{i}",
                            "description": "d" * 100,
                            "type": 3,
                            "choices": [{"name": "n" * 100, "value": "v" * 100} for _ in range(25)],
                        }
                        for i in range(2)
                    ]
                )
            ],
            ["0"],
            id="combined-8000",
        ),
        pytest.param([_command(), _command()], ["1", "name"], id="duplicate"),
        pytest.param(
            [
                _command(
                    options=[
                        {"name": "a", "description": "d", "type": 3},
                        {"name": "b", "description": "d", "type": 3, "required": True},
                    ]
                )
            ],
            ["0", "options", "1"],
            id="required-after-optional",
        ),
    ],
)
async def test_command_validation(
    http: aiohttp.ClientSession, fd: FakeDiscord, commands: list[Any], path: list[str]
) -> None:
    url = f"/api/v10/applications/{fd.world.application.id}/commands"
    async with http.put(url, json=commands) as response:
        assert response.status == 400
        data = await response.json()
    assert data["code"] == 50035
    node = data["errors"]
    for key in path:
        node = node[key]
    assert node["_errors"]
    assert fd.commands.commands(None) == []


async def test_attachment_is_served(http: aiohttp.ClientSession, scene: Scene) -> None:
    form = aiohttp.FormData(quote_fields=False)
    form.add_field(
        "payload_json", '{"content": "file", "attachments": [{"id": 0, "filename": "a.txt"}]}'
    )
    form.add_field("files[0]", b"hello bytes", filename="a.txt", content_type="text/plain")
    async with http.post(f"/api/v10/channels/{scene.general.id}/messages", data=form) as response:
        message = await response.json()
    url = message["attachments"][0]["url"]
    async with aiohttp.ClientSession() as plain, plain.get(url) as served:
        assert await served.read() == b"hello bytes"
