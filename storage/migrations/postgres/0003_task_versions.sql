-- Cadence schema 3 on PostgreSQL, as SQLite's 0003_task_versions.sql: a version per task
-- (ETag / If-Match of the web API) and the answers kept for Idempotency-Key retries.

-- Bumped by every change to a task's definition or status, never by run bookkeeping.
ALTER TABLE tasks ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

CREATE TABLE idempotency_keys (
    guild_id     BIGINT NOT NULL,
    caller       TEXT NOT NULL COLLATE "C",        -- 'token:<id>' or 'member:<id>'
    key          TEXT NOT NULL COLLATE "C",
    request_hash TEXT NOT NULL,                    -- hex SHA-256 of method, path and body
    status       INTEGER,                          -- NULL while the first request runs
    body         TEXT,                             -- the answer's body
    headers      TEXT,                             -- JSON: the answer's Location / ETag
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (guild_id, caller, key)
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
