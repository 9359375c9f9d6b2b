-- Cadence schema 7: the group of Cadence processes that share the database (docs/SCALING.md).
-- SQLite serves one process (a partial SHARD_IDS is refused with it), so here the tables only
-- keep the schema the same on both backends; PostgreSQL is where several processes meet.
-- Each live process keeps one row, rewritten at every heartbeat and deleted on a clean stop.

CREATE TABLE cadence_processes (
    process_id   TEXT PRIMARY KEY,                 -- random UUID drawn at start-up
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    shard_ids    TEXT NOT NULL,                    -- JSON list of ints
    shard_count  INTEGER NOT NULL CHECK (shard_count >= 1),
    started_at   INTEGER NOT NULL,                 -- Unix ms
    heartbeat_at INTEGER NOT NULL                  -- Unix ms
);

CREATE INDEX cadence_processes_heartbeat_at ON cadence_processes (heartbeat_at);

-- One IDENTIFY per rate-limit key (shard_id % max_concurrency) per 5 s for the bot token.
CREATE TABLE cadence_identify_slots (
    rate_key INTEGER PRIMARY KEY,
    slot_at  INTEGER NOT NULL                      -- Unix ms of the latest reserved IDENTIFY
);
