"""ApiTokenRepository contract, on each backend: hashes only, live names unique per guild,
revoked rows kept, last use written at most once a minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import (
    ApiToken,
    ApiTokenRepository,
    ApiTokenScope,
    ConstraintError,
    Database,
    DuplicateApiTokenError,
    GuildSettingsRepository,
    latest_version,
    migrate,
)

T0 = datetime(2026, 3, 1, 12, 0, 0, 123_000, tzinfo=UTC)
GUILD = 987_654_321_098_765_432
OTHER = 111
ALICE = 987_654_321_098_765_000


def digest(n: int) -> str:
    return f"{n:064x}"


@pytest.fixture
def tokens(db: Database) -> ApiTokenRepository:
    return ApiTokenRepository(db)


async def test_create_round_trips(tokens: ApiTokenRepository) -> None:
    made = await tokens.create(GUILD, "ci-bot", ApiTokenScope.WRITE, digest(1), ALICE, T0)
    assert made == ApiToken(
        id=made.id,
        guild_id=GUILD,
        name="ci-bot",
        scope=ApiTokenScope.WRITE,
        token_hash=digest(1),
        created_by=ALICE,
        created_at=T0,
        last_used_at=None,
        revoked_at=None,
    )
    assert made.live
    assert await tokens.get_by_hash(digest(1)) == made
    assert await tokens.get_by_hash(digest(2)) is None


async def test_a_live_name_is_unique_per_guild_only(tokens: ApiTokenRepository) -> None:
    await tokens.create(GUILD, "ci", ApiTokenScope.READ, digest(1), ALICE, T0)
    with pytest.raises(DuplicateApiTokenError, match="'ci' already exists in this server"):
        await tokens.create(GUILD, "ci", ApiTokenScope.WRITE, digest(2), ALICE, T0)
    await tokens.create(OTHER, "ci", ApiTokenScope.READ, digest(3), ALICE, T0)
    assert [t.token_hash for t in await tokens.list_for_guild(GUILD)] == [digest(1)]


async def test_a_revoked_name_may_be_used_again(tokens: ApiTokenRepository) -> None:
    first = await tokens.create(GUILD, "ci", ApiTokenScope.READ, digest(1), ALICE, T0)
    revoked = await tokens.revoke(GUILD, "ci", T0 + timedelta(seconds=5))
    assert revoked is not None and revoked.id == first.id
    assert revoked.revoked_at == T0 + timedelta(seconds=5) and not revoked.live
    again = await tokens.create(GUILD, "ci", ApiTokenScope.WRITE, digest(2), ALICE, T0)
    assert [t.id for t in await tokens.list_for_guild(GUILD)] == [again.id]
    everything = await tokens.list_for_guild(GUILD, include_revoked=True)
    assert sorted(t.id for t in everything) == sorted([first.id, again.id])
    assert (await tokens.get_by_hash(digest(1))) == revoked  # kept, and known as revoked


async def test_the_hash_is_unique_everywhere(tokens: ApiTokenRepository) -> None:
    await tokens.create(GUILD, "a", ApiTokenScope.READ, digest(1), ALICE, T0)
    with pytest.raises(ConstraintError):
        await tokens.create(OTHER, "b", ApiTokenScope.READ, digest(1), ALICE, T0)


async def test_revoke_only_touches_that_guilds_live_token(tokens: ApiTokenRepository) -> None:
    await tokens.create(GUILD, "ci", ApiTokenScope.READ, digest(1), ALICE, T0)
    await tokens.create(OTHER, "ci", ApiTokenScope.READ, digest(2), ALICE, T0)
    assert await tokens.revoke(GUILD, "nope", T0) is None
    assert await tokens.revoke(GUILD, "ci", T0) is not None
    assert await tokens.revoke(GUILD, "ci", T0) is None  # already revoked
    assert [t.name for t in await tokens.list_for_guild(OTHER)] == ["ci"]
    assert await tokens.count_live(GUILD) == 0
    assert await tokens.count_live(OTHER) == 1


async def test_list_is_by_name(tokens: ApiTokenRepository) -> None:
    for n, name in enumerate(["zeta", "Alpha", "beta"]):
        await tokens.create(GUILD, name, ApiTokenScope.READ, digest(n), ALICE, T0)
    assert [t.name for t in await tokens.list_for_guild(GUILD)] == ["Alpha", "beta", "zeta"]


async def test_touch_writes_at_most_once_a_minute(tokens: ApiTokenRepository) -> None:
    made = await tokens.create(GUILD, "ci", ApiTokenScope.READ, digest(1), ALICE, T0)
    assert await tokens.touch(made.id, T0)
    assert not await tokens.touch(made.id, T0 + timedelta(seconds=59))
    assert (await tokens.get_by_hash(digest(1))).last_used_at == T0  # type: ignore[union-attr]
    assert await tokens.touch(made.id, T0 + timedelta(seconds=60))
    last = (await tokens.get_by_hash(digest(1))).last_used_at  # type: ignore[union-attr]
    assert last == T0 + timedelta(seconds=60)


async def test_a_bad_scope_is_refused(tokens: ApiTokenRepository) -> None:
    with pytest.raises(ValueError, match="admin"):
        await tokens.create(GUILD, "x", "admin", digest(1), ALICE, T0)  # type: ignore[arg-type]


async def test_a_schema_1_database_is_upgraded_with_its_data(
    database_target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = "postgres" if database_target.startswith("postgresql") else "sqlite"
    first = migrate.load_migrations(backend)[:1]
    monkeypatch.setattr(migrate, "load_migrations", lambda backend="sqlite": first)
    async with Database.open(database_target) as old:
        assert old.schema_version == 1
        await GuildSettingsRepository(old).update(GUILD, T0, timezone="Europe/Berlin")
    monkeypatch.undo()
    async with Database.open(database_target) as db:
        assert db.schema_version == latest_version() >= 2
        assert (await GuildSettingsRepository(db).get(GUILD)).timezone == "Europe/Berlin"
        made = await ApiTokenRepository(db).create(
            GUILD, "ci", ApiTokenScope.READ, digest(1), ALICE, T0
        )
        assert await ApiTokenRepository(db).list_for_guild(GUILD) == [made]


@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("SELECT * FROM api_tokens WHERE token_hash = ?", "(token_hash=?)"),
        (
            "SELECT * FROM api_tokens WHERE guild_id = ? AND revoked_at IS NULL ORDER BY name, id",
            "api_tokens_guild_name (guild_id=?)",
        ),
    ],
    ids=["by-hash", "live-for-guild"],
)
async def test_lookups_use_an_index(sqlite_db: Database, query: str, index: str) -> None:
    plan = await sqlite_db.fetch_all(f"EXPLAIN QUERY PLAN {query}", (1,))
    text = " ".join(str(row[-1]) for row in plan)
    assert "SEARCH api_tokens USING INDEX" in text and index in text, text
