"""fakediscord's OAuth2 over raw HTTP: the consent redirect, the token endpoint's rules (form
bodies only, client credentials, single-use expiring codes, exact redirect_uri, PKCE),
refresh, revoke, and what a bearer token reads (`/users/@me`, `/users/@me/guilds`)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import pytest

from fakediscord import FakeDiscord, Permission
from fakediscord.oauth2 import CODE_LIFETIME, pkce_challenge

from .harness import Scene

REDIRECT = "http://cadence.test/auth/callback"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _code(http: aiohttp.ClientSession, fd: FakeDiscord, verifier: str, **extra: str) -> str:
    query = {
        "client_id": fd.oauth2.client_id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "identify guilds",
        "state": "s-123",
        "code_challenge": pkce_challenge(verifier),
        "code_challenge_method": "S256",
        **extra,
    }
    async with http.get(
        f"{fd.url}/oauth2/authorize?{urlencode(query)}", allow_redirects=False
    ) as response:
        assert response.status == 302, await response.text()
        location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    answer = parse_qs(location.query)
    assert answer["state"] == ["s-123"]
    return answer["code"][0]


async def _approved(http: aiohttp.ClientSession, fd: FakeDiscord, member: Any) -> tuple[str, str]:
    """A code approved by `member`, and the PKCE verifier it needs."""
    fd.oauth2.approve_as(member)
    verifier = secrets.token_urlsafe(48)
    return await _code(http, fd, verifier), verifier


async def _token(
    http: aiohttp.ClientSession, fd: FakeDiscord, form: dict[str, str], **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    body = {"client_id": fd.oauth2.client_id, "client_secret": fd.oauth2.client_secret, **form}
    async with http.post(f"{fd.api_url}/oauth2/token", data=body, **kwargs) as response:
        return response.status, await response.json()


def _exchange(code: str, verifier: str, **extra: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        **extra,
    }


async def test_a_login_gives_a_token_that_reads_the_user_and_their_guilds(
    fd: FakeDiscord, scene: Scene, http: aiohttp.ClientSession
) -> None:
    code, verifier = await _approved(http, fd, scene.carol)
    status, body = await _token(http, fd, _exchange(code, verifier))
    assert status == 200, body
    assert body["token_type"] == "Bearer" and body["scope"] == "identify guilds"
    assert body["expires_in"] > 0 and body["refresh_token"]
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    async with http.get(f"{fd.api_url}/users/@me", headers=bearer) as response:
        me = await response.json()
    assert me["id"] == str(scene.carol.id) and me["username"] == "carol" and "bot" not in me
    async with http.get(f"{fd.api_url}/users/@me/guilds", headers=bearer) as response:
        [guild] = await response.json()
    assert guild["id"] == str(scene.guild.id) and guild["owner"] is False
    assert isinstance(guild["permissions"], str)
    assert int(guild["permissions"]) & Permission.MANAGE_GUILD
    # Overwrites are channel-level: a deny on a channel does not change the guild's number.
    scene.general.set_overwrite(scene.carol, deny=Permission.MANAGE_GUILD)
    async with http.get(f"{fd.api_url}/users/@me/guilds", headers=bearer) as response:
        assert (await response.json())[0]["permissions"] == guild["permissions"]


async def test_the_owner_flag_and_every_bit_for_the_owner(
    fd: FakeDiscord, scene: Scene, http: aiohttp.ClientSession
) -> None:
    owner = fd.oauth2.issue(scene.guild.owner_id, ("identify", "guilds"))
    headers = {"Authorization": f"Bearer {owner.access_token}"}
    async with http.get(f"{fd.api_url}/users/@me/guilds", headers=headers) as response:
        [guild] = await response.json()
    assert guild["owner"] is True and int(guild["permissions"]) & Permission.ADMINISTRATOR


async def test_codes_are_single_use_and_expire(
    fd: FakeDiscord, scene: Scene, http: aiohttp.ClientSession
) -> None:
    code, verifier = await _approved(http, fd, scene.bob)
    status, first = await _token(http, fd, _exchange(code, verifier))
    assert status == 200
    status, again = await _token(http, fd, _exchange(code, verifier))
    assert status == 400 and again["error"] == "invalid_grant"
    # The replay also ended the token the code gave.
    headers = {"Authorization": f"Bearer {first['access_token']}"}
    async with http.get(f"{fd.api_url}/users/@me", headers=headers) as response:
        assert response.status == 401
    late = await _code(http, fd, verifier)
    fd.clock.advance(CODE_LIFETIME + 1)
    status, body = await _token(http, fd, _exchange(late, verifier))
    assert status == 400 and body["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"code_verifier": "not-the-verifier-" + "x" * 30}, '"code_verifier"'),
        ({"code_verifier": ""}, '"code_verifier"'),
        ({"redirect_uri": REDIRECT + "/"}, '"redirect_uri"'),
        ({"redirect_uri": "http://evil.test/auth/callback"}, '"redirect_uri"'),
        ({"code": "made-up"}, '"code"'),
    ],
    ids=["wrong-verifier", "no-verifier", "redirect-slash", "redirect-other", "unknown-code"],
)
async def test_bad_exchanges_are_invalid_grant(
    fd: FakeDiscord,
    scene: Scene,
    http: aiohttp.ClientSession,
    change: dict[str, str],
    error: str,
) -> None:
    code, verifier = await _approved(http, fd, scene.bob)
    status, body = await _token(http, fd, {**_exchange(code, verifier), **change})
    assert status == 400 and body["error"] == "invalid_grant"
    assert error in body["error_description"]


async def test_json_bodies_and_bad_clients_are_refused(
    fd: FakeDiscord, scene: Scene, http: aiohttp.ClientSession
) -> None:
    code, verifier = await _approved(http, fd, scene.bob)
    body = {
        "client_id": fd.oauth2.client_id,
        "client_secret": fd.oauth2.client_secret,
        **_exchange(code, verifier),
    }
    async with http.post(f"{fd.api_url}/oauth2/token", json=body) as response:
        assert response.status == 400
        assert (await response.json())["error"] == "unsupported_grant_type"
    status, answer = await _token(http, fd, {**_exchange(code, verifier), "client_secret": "no"})
    assert status == 401 and answer["error"] == "invalid_client"
    # HTTP Basic works as well as body fields; the code was not spent by the refusals.
    basic = base64.b64encode(f"{fd.oauth2.client_id}:{fd.oauth2.client_secret}".encode())
    async with http.post(
        f"{fd.api_url}/oauth2/token",
        data=_exchange(code, verifier),
        headers={"Authorization": f"Basic {basic.decode()}"},
    ) as response:
        assert response.status == 200, await response.text()


async def test_refresh_and_revoke(
    fd: FakeDiscord, scene: Scene, http: aiohttp.ClientSession
) -> None:
    first = fd.oauth2.issue(scene.alice.id, ("identify",))
    status, fresh = await _token(
        http, fd, {"grant_type": "refresh_token", "refresh_token": first.refresh_token}
    )
    assert status == 200 and fresh["access_token"] != first.access_token
    status, again = await _token(
        http, fd, {"grant_type": "refresh_token", "refresh_token": first.refresh_token}
    )
    assert status == 400 and again["error"] == "invalid_grant"
    headers = {"Authorization": f"Bearer {fresh['access_token']}"}
    async with http.get(f"{fd.api_url}/users/@me", headers=headers) as response:
        assert response.status == 200
    # Without the guilds scope the guild list is closed.
    async with http.get(f"{fd.api_url}/users/@me/guilds", headers=headers) as response:
        assert response.status == 403
    form = {
        "token": fresh["access_token"],
        "client_id": fd.oauth2.client_id,
        "client_secret": fd.oauth2.client_secret,
    }
    async with http.post(f"{fd.api_url}/oauth2/token/revoke", data=form) as response:
        assert response.status == 200
    async with http.get(f"{fd.api_url}/users/@me", headers=headers) as response:
        assert response.status == 401


async def test_the_consent_page_checks_its_parameters(
    fd: FakeDiscord, scene: Scene, http: aiohttp.ClientSession
) -> None:
    base = {
        "client_id": fd.oauth2.client_id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "identify guilds",
    }
    # Nobody chosen to approve yet.
    async with http.get(f"{fd.url}/oauth2/authorize?{urlencode(base)}") as response:
        assert response.status == 400 and "approve_as" in await response.text()
    fd.oauth2.approve_as(scene.bob)
    fd.oauth2.redirect_uris.append(REDIRECT)
    for change in (
        {"client_id": "1"},
        {"redirect_uri": "http://evil.test/cb"},
        {"code_challenge": "x", "code_challenge_method": "plain"},
    ):
        url = f"{fd.url}/oauth2/authorize?{urlencode({**base, **change})}"
        async with http.get(url, allow_redirects=False) as response:
            assert response.status == 400, change


async def test_the_bot_token_still_reads_the_bot(
    fd: FakeDiscord, http: aiohttp.ClientSession
) -> None:
    headers = {"Authorization": f"Bot {fd.token}"}
    async with http.get(f"{fd.api_url}/users/@me", headers=headers) as response:
        assert (await response.json())["bot"] is True
    async with http.get(
        f"{fd.api_url}/users/@me", headers={"Authorization": "Bearer made-up"}
    ) as response:
        assert response.status == 401
