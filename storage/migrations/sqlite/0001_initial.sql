-- Cadence schema 1. Every instant is INTEGER Unix milliseconds UTC; zones are IANA names;
-- JSON columns hold compact UTF-8 JSON. Snowflakes fit SQLite's signed 64-bit INTEGER.

CREATE TABLE guild_settings (
    guild_id           INTEGER PRIMARY KEY,
    timezone           TEXT,                       -- NULL: the bot's DEFAULT_TIMEZONE
    dev_channel_id     INTEGER,
    alert_channel_id   INTEGER,
    manager_role_id    INTEGER,
    summary_cron       TEXT,
    summary_channel_id INTEGER,
    mention_policy     TEXT NOT NULL DEFAULT 'creator'
                       CHECK (mention_policy IN ('creator', 'none')),
    left_at            INTEGER,                    -- set while the bot is out of the guild
    updated_at         INTEGER NOT NULL
);

CREATE INDEX guild_settings_left_at ON guild_settings (left_at) WHERE left_at IS NOT NULL;

CREATE TABLE tasks (
    id                   INTEGER PRIMARY KEY,
    guild_id             INTEGER,                  -- NULL for code tasks
    source               TEXT NOT NULL CHECK (source IN ('admin', 'code')),
    job_id               TEXT,                     -- code tasks only
    name                 TEXT NOT NULL COLLATE NOCASE,
    kind                 TEXT NOT NULL CHECK (kind IN ('cron', 'date', 'interval')),
    spec                 TEXT NOT NULL,
    timezone             TEXT,                     -- NULL: follow the guild's zone
    start_at             INTEGER,                  -- an interval's origin
    end_at               INTEGER,
    max_runs             INTEGER CHECK (max_runs IS NULL OR max_runs > 0),
    payload              TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
    destinations         TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(destinations)),
    rotation_index       INTEGER NOT NULL DEFAULT 0,
    status               TEXT NOT NULL DEFAULT 'active'
                         CHECK (status IN ('active', 'paused', 'completed', 'failed')),
    paused_reason        TEXT,
    catch_up             TEXT NOT NULL DEFAULT 'once' CHECK (catch_up IN ('skip', 'once', 'all')),
    skip_next            INTEGER NOT NULL DEFAULT 0 CHECK (skip_next >= 0),
    next_run_at          INTEGER,
    last_run_at          INTEGER,
    run_count            INTEGER NOT NULL DEFAULT 0,
    failure_count        INTEGER NOT NULL DEFAULT 0,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    created_by           INTEGER,
    created_at           INTEGER NOT NULL,
    updated_by           INTEGER,
    updated_at           INTEGER NOT NULL,
    CHECK ((source = 'code') = (job_id IS NOT NULL)),
    CHECK (source = 'code' OR guild_id IS NOT NULL)
);

-- UNIQUE(guild_id, name), case-insensitive; also serves list-by-name and autocomplete.
CREATE UNIQUE INDEX tasks_guild_name ON tasks (guild_id, name);
CREATE UNIQUE INDEX tasks_job_id ON tasks (job_id);
-- "next due tasks" and the engine's start-up index (covering: rowid = id).
CREATE INDEX tasks_status_next_run ON tasks (status, next_run_at);

CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    task_id       INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    scheduled_for INTEGER NOT NULL,
    trigger       TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual', 'catch_up')),
    status        TEXT NOT NULL
                  CHECK (status IN ('running', 'ok', 'failed', 'skipped', 'missed', 'unknown')),
    started_at    INTEGER,
    finished_at   INTEGER,
    late_by_ms    INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0,
    error         TEXT,
    message_ids   TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(message_ids))
);

-- UNIQUE(task_id, scheduled_for, trigger): never two runs of one instant; also the
-- (task_id, scheduled_for) index for history, stats, pruning and the cascade.
CREATE UNIQUE INDEX runs_task_scheduled ON runs (task_id, scheduled_for, trigger);
-- runs and failures in the last 24 h, bot-wide.
CREATE INDEX runs_scheduled_status ON runs (scheduled_for, status);
-- rows left 'running' by a crash, found at start-up without a scan.
CREATE INDEX runs_running ON runs (id) WHERE status = 'running';

CREATE TABLE audit (
    id       INTEGER PRIMARY KEY,
    guild_id INTEGER,
    task_id  INTEGER,                              -- no FK: the trail outlives the task
    actor_id INTEGER,
    action   TEXT NOT NULL,
    detail   TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail)),
    at       INTEGER NOT NULL
);

CREATE INDEX audit_guild_at ON audit (guild_id, at);
CREATE INDEX audit_task_at ON audit (task_id, at);

CREATE TABLE notices (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER,                            -- NULL: the operator
    level      TEXT NOT NULL CHECK (level IN ('info', 'ok', 'warning', 'error')),
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at    INTEGER
);

CREATE INDEX notices_unread ON notices (guild_id, created_at) WHERE read_at IS NULL;

CREATE TABLE bot_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
