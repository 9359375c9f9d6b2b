-- Cadence schema 7 on PostgreSQL: the group of Cadence processes that share this database
-- (docs/SCALING.md). Each live process keeps one row, rewritten at every heartbeat and deleted
-- on a clean stop; a row whose heartbeat is older than three intervals is a dead process.
-- The other processes read the table to share Discord's per-token limits between them.

CREATE TABLE cadence_processes (
    process_id   TEXT PRIMARY KEY,                 -- random UUID drawn at start-up
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    shard_ids    TEXT NOT NULL CHECK (shard_ids::json IS NOT NULL),  -- JSON list of ints
    shard_count  INTEGER NOT NULL CHECK (shard_count >= 1),
    started_at   BIGINT NOT NULL,                  -- Unix ms
    heartbeat_at BIGINT NOT NULL                   -- Unix ms
);

CREATE INDEX cadence_processes_heartbeat_at ON cadence_processes (heartbeat_at);

-- Discord admits one IDENTIFY per rate-limit key (shard_id % max_concurrency) per 5 s for the
-- whole bot token: each key's next free instant, reserved by one atomic upsert per IDENTIFY.
CREATE TABLE cadence_identify_slots (
    rate_key INTEGER PRIMARY KEY,
    slot_at  BIGINT NOT NULL                       -- Unix ms of the latest reserved IDENTIFY
);
