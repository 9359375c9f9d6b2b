"""ApiTokens, the Discord-free service: name rules, duplicates, the limit, revoke, and
authenticate, over a real SQLite file. The token is returned once and stored nowhere."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from scheduler.api_tokens import (
    MAX_LIVE_TOKENS,
    TOKEN_PREFIX,
    ApiTokens,
    hash_token,
    new_token,
)
from scheduler.clock import FakeClock
from scheduler.errors import ScheduleError
from storage import ApiTokenScope, Database, Repositories

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GUILD, OTHER = 1001, 2002
ALICE = 42


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def stores(sqlite_db: Database) -> Repositories:
    return Repositories.over(sqlite_db)


@pytest.fixture
def service(stores: Repositories, clock: FakeClock) -> ApiTokens:
    return ApiTokens(stores.api_tokens, stores.audit, clock)


async def dump(db: Database) -> str:
    """Every value of every api_tokens and audit row, as text."""
    rows = await db.fetch_all("SELECT * FROM api_tokens")
    rows += await db.fetch_all("SELECT * FROM audit")
    return repr([tuple(row) for row in rows])


def test_tokens_are_prefixed_random_and_hashed() -> None:
    made = {new_token() for _ in range(100)}
    assert len(made) == 100
    for token in made:
        assert re.fullmatch(r"cadence_[A-Za-z0-9_-]{43}", token)
    token = next(iter(made))
    assert re.fullmatch(r"[0-9a-f]{64}", hash_token(token))
    assert hash_token(token) == hash_token(token) != hash_token(token + "x")


async def test_create_returns_the_token_once_and_stores_its_hash_only(
    service: ApiTokens, sqlite_db: Database, stores: Repositories
) -> None:
    made = await service.create(GUILD, "ci-deploy", "write", ALICE)
    assert made.token.startswith(TOKEN_PREFIX)
    assert made.token not in repr(made)
    record = made.record
    assert (record.guild_id, record.name, record.scope) == (GUILD, "ci-deploy", "write")
    assert (record.created_by, record.created_at) == (ALICE, T0)
    assert record.token_hash == hash_token(made.token)
    everything = await dump(sqlite_db)
    assert made.token not in everything
    assert made.token[len(TOKEN_PREFIX) :] not in everything
    [entry] = await stores.audit.for_guild(GUILD)
    assert (entry.action, entry.actor_id, entry.task_id) == ("api_token_created", ALICE, None)
    assert entry.detail == {"name": "ci-deploy", "scope": "write"}


@pytest.mark.parametrize(
    "name", ["", " ", "has space", "x" * 33, "ünï", "semi;colon", "dot.name", "a/b"]
)
async def test_bad_names_are_refused(service: ApiTokens, stores: Repositories, name: str) -> None:
    with pytest.raises(ScheduleError, match="1 to 32 letters, digits, - or _") as caught:
        await service.create(GUILD, name, "read", ALICE)
    assert caught.value.example == "ci-deploy"
    assert await stores.api_tokens.list_for_guild(GUILD, include_revoked=True) == []


@pytest.mark.parametrize("name", ["a", "x" * 32, "CI_bot-2"])
async def test_good_names_are_kept(service: ApiTokens, name: str) -> None:
    assert (await service.create(GUILD, f" {name} ", "read", ALICE)).record.name == name


async def test_a_bad_scope_is_refused(service: ApiTokens) -> None:
    with pytest.raises(ScheduleError, match="read or write"):
        await service.create(GUILD, "x", "admin", ALICE)


async def test_a_duplicate_live_name_is_refused_but_another_guild_may_use_it(
    service: ApiTokens,
) -> None:
    await service.create(GUILD, "ci", "read", ALICE)
    with pytest.raises(ScheduleError, match=r"named 'ci' already exists.*revoke that token"):
        await service.create(GUILD, "ci", "write", ALICE)
    await service.create(OTHER, "ci", "read", ALICE)
    await service.revoke(GUILD, "ci", ALICE)
    await service.create(GUILD, "ci", "write", ALICE)


async def test_at_most_25_live_tokens(service: ApiTokens) -> None:
    for n in range(MAX_LIVE_TOKENS):
        await service.create(GUILD, f"t{n}", "read", ALICE)
    with pytest.raises(ScheduleError, match="already has 25 API tokens"):
        await service.create(GUILD, "one-more", "read", ALICE)
    await service.create(OTHER, "elsewhere", "read", ALICE)
    await service.revoke(GUILD, "t0", ALICE)
    await service.create(GUILD, "one-more", "read", ALICE)


async def test_revoke_audits_and_an_unknown_name_is_a_clear_error(
    service: ApiTokens, stores: Repositories, clock: FakeClock
) -> None:
    made = await service.create(GUILD, "ci", "write", ALICE)
    await service.create(OTHER, "theirs", "write", ALICE)
    clock.advance(seconds=30)
    revoked = await service.revoke(GUILD, "ci", ALICE + 1)
    assert revoked.revoked_at == T0 + timedelta(seconds=30)
    assert await service.list_for_guild(GUILD) == []
    entries = await stores.audit.for_guild(GUILD)
    assert [(e.action, e.actor_id, e.detail) for e in entries] == [
        ("api_token_revoked", ALICE + 1, {"name": "ci", "scope": "write"}),
        ("api_token_created", ALICE, {"name": "ci", "scope": "write"}),
    ]
    for name in ("ci", "nope", "theirs"):  # revoked, unknown, another guild's
        with pytest.raises(ScheduleError, match=f"no API token named '{name}'"):
            await service.revoke(GUILD, name, ALICE)
    assert await service.authenticate(made.token) is None
    assert [t.name for t in await service.list_for_guild(OTHER)] == ["theirs"]


async def test_authenticate(service: ApiTokens, stores: Repositories, clock: FakeClock) -> None:
    made = await service.create(GUILD, "ci", "read", ALICE)
    found = await service.authenticate(made.token)
    assert found is not None and found.id == made.record.id
    assert found.scope == ApiTokenScope.READ
    for raw in ("", "cadence_", made.token + "x", made.token[:-1], new_token(), "Bearer x"):
        assert await service.authenticate(raw) is None


async def test_authenticate_records_the_last_use_once_a_minute(
    service: ApiTokens, stores: Repositories, clock: FakeClock
) -> None:
    made = await service.create(GUILD, "ci", "read", ALICE)

    async def last_used() -> datetime | None:
        stored = await stores.api_tokens.get_by_hash(made.record.token_hash)
        assert stored is not None
        return stored.last_used_at

    assert await last_used() is None
    await service.authenticate(made.token)
    assert await last_used() == T0
    clock.advance(seconds=59)
    await service.authenticate(made.token)
    assert await last_used() == T0
    clock.advance(seconds=1)
    await service.authenticate(made.token)
    assert await last_used() == T0 + timedelta(seconds=60)
