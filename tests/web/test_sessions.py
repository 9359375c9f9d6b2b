"""The dashboard's session parts without the bot: where `next` may lead, the CSRF token, the
signed login cookie, origins, and sessions that end (real SQLite, a fake clock)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler.clock import FakeClock
from storage import Database, SessionRepository
from web.discord_oauth import LoginState, pkce_pair
from web.sessions import SESSION_LIFETIME, WebSessions, csrf_token, local_path, origin_of

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("wanted", "kept"),
    [
        ("/", "/"),
        ("/tasks", "/tasks"),
        ("/guilds/1/tasks?status=paused#top", "/guilds/1/tasks?status=paused#top"),
        (None, "/"),
        ("", "/"),
        ("//evil.test", "/"),
        ("///evil.test", "/"),
        ("/\\evil.test", "/"),
        ("\\\\evil.test", "/"),
        ("https://evil.test", "/"),
        ("javascript:alert(1)", "/"),
        ("tasks", "/"),
        ("/\tevil", "/"),
        ("/ evil", "/"),
        ("/%2F%2Fevil.test", "/%2F%2Fevil.test"),  # a path on this site, never a host
    ],
)
def test_next_is_a_local_path_or_home(wanted: str | None, kept: str) -> None:
    assert local_path(wanted) == kept


def test_the_csrf_token_is_derived_from_the_session_id() -> None:
    assert csrf_token("a" * 43) == csrf_token("a" * 43)
    assert csrf_token("a" * 43) != csrf_token("b" * 43)
    assert "a" * 10 not in csrf_token("a" * 43) and len(csrf_token("a" * 43)) == 43


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Cadence.Example.org", "https://cadence.example.org"),
        ("https://cadence.example.org:443", "https://cadence.example.org"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://[::1]:80", "http://[::1]"),
    ],
)
def test_origins_are_compared_as_browsers_send_them(url: str, origin: str) -> None:
    assert origin_of(url) == origin


def test_the_login_cookie_is_signed_and_expires() -> None:
    verifier, challenge = pkce_pair()
    assert len(verifier) >= 43 and "=" not in challenge
    state = LoginState("s" * 32, verifier, "/tasks", expires=1000.0)
    sealed = state.seal(b"key")
    assert LoginState.open(sealed, b"key", now=999.0) == state
    assert LoginState.open(sealed, b"key", now=1000.0) is None  # too old
    assert LoginState.open(sealed, b"other key", now=0.0) is None
    data, _, mac = sealed.partition(".")
    forged = LoginState("s" * 32, verifier, "//evil", 1000.0).seal(b"guess").partition(".")[0]
    assert LoginState.open(f"{forged}.{mac}", b"key", now=0.0) is None
    assert LoginState.open(data, b"key", now=0.0) is None
    assert LoginState.open("", b"key", now=0.0) is None


async def test_a_session_lives_seven_days_and_ends_at_logout(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    async with Database.open(tmp_path / "cadence.db") as db:
        sessions = WebSessions(SessionRepository(db), clock)
        first = await sessions.open(1, "carol", None, [])
        second = await sessions.open(2, "dave", "abc", [{"id": "7"}])
        assert first != second and len(first) >= 43
        found = await sessions.find(first)
        assert found is not None and found.user_id == 1
        assert found.expires_at == T0 + SESSION_LIFETIME
        clock.advance(SESSION_LIFETIME.total_seconds() - 1)
        assert await sessions.find(first) is not None
        assert await sessions.close(second)
        assert await sessions.find(second) is None
        clock.advance(1)
        assert await sessions.find(first) is None
        # The next login sweeps rows past their end.
        await sessions.open(3, "erin", None, [])
        assert await SessionRepository(db).delete_expired(clock.now()) == 0
