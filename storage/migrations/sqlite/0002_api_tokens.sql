-- Cadence schema 2: per-guild API tokens. Only the SHA-256 of a token is stored (the tokens
-- are 256-bit random secrets, so a fast hash is enough: there is nothing to guess).

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    token_hash   TEXT NOT NULL UNIQUE,             -- hex SHA-256 of the token
    created_by   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER                           -- set once revoked; the row is kept
);

-- UNIQUE(guild_id, name) among live tokens; a revoked token's name may be used again.
CREATE UNIQUE INDEX api_tokens_guild_name ON api_tokens (guild_id, name) WHERE revoked_at IS NULL;
