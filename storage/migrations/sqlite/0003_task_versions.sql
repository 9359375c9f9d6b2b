-- Cadence schema 3: a version per task, so the web API can refuse a change made against a
-- definition that has changed since it was read (ETag / If-Match), and the answers the API
-- keeps for Idempotency-Key retries.

-- Bumped by every change to a task's definition or status, never by run bookkeeping
-- (next_run_at, last_run_at, run_count, failure_count). A write that names the version it
-- read (WHERE id = ? AND version = ?) changes nothing when another write came first.
ALTER TABLE tasks ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- One row per (guild, caller, key): the first request's fingerprint, and its answer once
-- there is one (status NULL: still being answered). Rows older than 24 hours are pruned.
CREATE TABLE idempotency_keys (
    guild_id     INTEGER NOT NULL,
    caller       TEXT NOT NULL,                    -- 'token:<id>' or 'member:<id>'
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,                    -- hex SHA-256 of method, path and body
    status       INTEGER,                          -- NULL while the first request runs
    body         TEXT,                             -- the answer's body
    headers      TEXT,                             -- JSON: the answer's Location / ETag
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (guild_id, caller, key)
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
