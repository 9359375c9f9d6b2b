"""Log in with Discord over real HTTP, against the in-process bot and fakediscord's OAuth2:
the whole flow, its cookies, forged state, reused and expired codes, a wrong PKCE verifier or
redirect_uri, open redirects in `next`, logging out, and a login that is not set up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from fakediscord.oauth2 import CODE_LIFETIME
from tests.commands.dashboard_harness import Dashboard, serving_dashboard
from tests.commands.harness import App
from web.problems import PROBLEM_JSON
from web.sessions import hash_session_id


@pytest.fixture
async def dash(app: App) -> AsyncIterator[Dashboard]:
    async with serving_dashboard(app) as served:
        yield served


async def test_the_whole_login_flow(dash: Dashboard) -> None:
    s = dash.app.scene
    authorize, login_cookie = await dash.start("/tasks?status=paused")
    sent = urlsplit(authorize)
    assert f"{sent.scheme}://{sent.netloc}{sent.path}" == f"{dash.app.fd.url}/oauth2/authorize"
    query = parse_qs(sent.query)
    assert query["scope"] == ["identify guilds"] and query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"] and len(query["state"][0]) >= 32
    assert query["redirect_uri"] == ["http://cadence.test/auth/callback"]
    assert query["client_id"] == [str(dash.app.bot.application_id)]
    resp = await dash.callback(await dash.consent(authorize, s.admin), login_cookie)
    assert resp.status == 302 and resp.headers["Location"] == "/tasks?status=paused"
    session = resp.cookies["cadence_session"]
    assert session["httponly"] and session["samesite"] == "Lax" and session["path"] == "/"
    assert session["max-age"] == str(7 * 24 * 3600) and not session["secure"]
    assert resp.cookies["cadence_login"]["max-age"] == "0"  # the login's cookie is spent
    cookies = {"cadence_session": session.value}
    status, body, _ = await dash.send("GET", "/auth/session", cookies=cookies)
    assert status == 200
    assert body["user"] == {"id": str(s.admin.id), "username": "alice", "avatar": None}
    assert len(body["csrf_token"]) >= 32
    # Only the hash of the id is stored, and no Discord token is kept: it was revoked.
    repository = dash.app.bot.services.repositories.sessions
    stored = await repository.live(hash_session_id(session.value), dash.app.bot.engine.clock.now())
    assert stored is not None and stored.user_id == s.admin.id
    assert session.value not in repr(stored)
    assert all(token.revoked for token in dash.app.fd.oauth2.tokens.values())
    [exchange] = _exchanges(dash)
    assert exchange.json is None and exchange.status == 200  # a form body, not JSON


async def test_the_server_picker(dash: Dashboard) -> None:
    s = dash.app.scene
    lonely = s.world.add_guild("No bot here", owner=s.admin.user, bot_present=False)
    s.world.add_guild("Not mine", owner="someone", bot_present=False).add_member(s.admin.user)
    login = await dash.login(s.admin)
    status, body, _ = await dash.as_user(login, "GET", "/auth/guilds")
    assert status == 200
    assert body["guilds"] == [
        {"id": str(s.guild.id), "name": "Commands", "icon": None, "access": "write"}
    ]
    [other] = body["others"]
    assert other["id"] == str(lonely.id) and f"guild_id={lonely.id}" in other["add_bot_url"]
    plain = await dash.login(s.member)
    status, body, _ = await dash.as_user(plain, "GET", "/auth/guilds")
    assert body == {"guilds": [], "others": []}


async def test_cookies_are_secure_on_an_https_site(app: App) -> None:
    async with serving_dashboard(app, "https://cadence.example.org") as dash:
        authorize, login_cookie = await dash.start()
        _, _, resp = await dash.send("GET", "/login")
        assert resp.cookies["cadence_login"]["secure"]
        resp = await dash.callback(await dash.consent(authorize, app.scene.admin), login_cookie)
        session = resp.cookies["cadence_session"]
        assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def _exchanges(dash: Dashboard) -> list:
    return [r for r in dash.app.fd.requests if r.route == "/oauth2/token"]


async def _login_page(dash: Dashboard, url: str, cookie: str | None) -> tuple[int, str]:
    resp = await dash.callback(url, cookie)
    assert "cadence_session" not in resp.cookies
    return resp.status, resp.headers.get("Content-Type", "")


async def test_forged_or_missing_state_is_refused(dash: Dashboard) -> None:
    s = dash.app.scene
    authorize, cookie = await dash.start()
    back = await dash.consent(authorize, s.admin)
    parts = urlsplit(back)
    code = parse_qs(parts.query)["code"][0]
    forged = f"{dash.base}/auth/callback?{urlencode({'code': code, 'state': 'attacker'})}"
    assert (await _login_page(dash, forged, cookie))[0] == 400
    no_state = f"{dash.base}/auth/callback?{urlencode({'code': code})}"
    assert (await _login_page(dash, no_state, cookie))[0] == 400
    assert (await _login_page(dash, back, None))[0] == 400  # not started in this browser
    tampered = cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")
    status, content_type = await _login_page(dash, back, tampered)
    assert status == 400 and content_type.startswith("text/html")
    # None of that spent the code: the real browser still logs in.
    assert (await dash.callback(back, cookie)).status == 302


async def test_reused_and_expired_codes_are_refused(dash: Dashboard) -> None:
    s = dash.app.scene
    authorize, cookie = await dash.start()
    back = await dash.consent(authorize, s.admin)
    assert (await dash.callback(back, cookie)).status == 302
    assert (await _login_page(dash, back, cookie))[0] == 400
    authorize, cookie = await dash.start()
    back = await dash.consent(authorize, s.admin)
    dash.app.fd.clock.advance(CODE_LIFETIME + 1)
    assert (await _login_page(dash, back, cookie))[0] == 400


async def test_a_wrong_pkce_verifier_is_refused(dash: Dashboard) -> None:
    s = dash.app.scene
    first, _ = await dash.start()
    second, second_cookie = await dash.start()
    # The code of the first login, presented with the second login's state and verifier.
    code = parse_qs(urlsplit(await dash.consent(first, s.admin)).query)["code"][0]
    state = parse_qs(urlsplit(second).query)["state"][0]
    mixed = f"{dash.base}/auth/callback?{urlencode({'code': code, 'state': state})}"
    assert (await _login_page(dash, mixed, second_cookie))[0] == 400
    [exchange] = _exchanges(dash)
    assert exchange.status == 400  # Discord refused the verifier


async def test_a_code_for_another_redirect_uri_is_refused(dash: Dashboard) -> None:
    s = dash.app.scene
    authorize, cookie = await dash.start()
    query = parse_qs(urlsplit(authorize).query)
    query["redirect_uri"] = ["http://cadence.test/elsewhere"]
    elsewhere = f"{dash.app.fd.url}/oauth2/authorize?{urlencode(query, doseq=True)}"
    back = urlsplit(await dash.consent(elsewhere, s.admin))
    url = f"{dash.base}/auth/callback?{back.query}"
    assert (await _login_page(dash, url, cookie))[0] == 400
    # Discord itself refuses redirect URIs the application did not register.
    dash.app.fd.oauth2.redirect_uris.append("http://cadence.test/auth/callback")
    status, _, _ = await dash.send("GET", elsewhere)
    assert status == 400


@pytest.mark.parametrize(
    ("raw_next", "lands"),
    [
        ("%2F%2Fevil.test", "/"),
        ("//evil.test", "/"),
        ("https://evil.test/x", "/"),
        ("/%5Cevil.test", "/"),
        ("%2F%5Cevil.test", "/"),
        ("javascript:alert(1)", "/"),
        ("/%09/evil.test", "/"),
        ("evil.test", "/"),
        ("/settings%3Ftab%3D2", "/settings?tab=2"),
    ],
    ids=[
        "encoded-slashes",
        "slashes",
        "scheme",
        "backslash",
        "encoded-backslash",
        "js",
        "tab",
        "relative",
        "local",
    ],
)
async def test_next_goes_to_local_paths_only(dash: Dashboard, raw_next: str, lands: str) -> None:
    status, _, resp = await dash.send("GET", f"/login?next={raw_next}")
    assert status == 302
    authorize, cookie = resp.headers["Location"], resp.cookies["cadence_login"].value
    back = await dash.callback(await dash.consent(authorize, dash.app.scene.admin), cookie)
    assert back.status == 302 and back.headers["Location"] == lands


async def test_logging_out_ends_the_session(dash: Dashboard) -> None:
    s = dash.app.scene
    login = await dash.login(s.admin)
    read = f"/api/v1/guilds/{s.guild.id}/tasks"
    assert (await dash.as_user(login, "GET", read))[0] == 200
    status, body, _ = await dash.as_user(login, "POST", "/auth/logout", csrf=False)
    assert status == 403 and body["type"].endswith("/csrf")
    status, _, resp = await dash.as_user(login, "POST", "/auth/logout")
    assert status == 204
    assert resp.cookies["cadence_session"].value == ""
    assert resp.cookies["cadence_session"]["max-age"] == "0"
    status, body, resp = await dash.as_user(login, "GET", "/auth/session")
    assert status == 401 and resp.content_type == PROBLEM_JSON
    assert (await dash.as_user(login, "GET", read))[0] == 401
    assert (await dash.as_user(login, "GET", "/auth/guilds"))[0] == 401
    status, _, _ = await dash.send("GET", "/auth/session")
    assert status == 401


async def test_a_login_without_a_client_secret_says_how_to_set_it(app: App) -> None:
    async with serving_dashboard(app, client_secret="") as dash:
        status, body, resp = await dash.send("GET", "/login")
    assert status == 503 and resp.content_type == "text/html"
    assert "DISCORD_CLIENT_SECRET" in body and "http://cadence.test/auth/callback" in body
