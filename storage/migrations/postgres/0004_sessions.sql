-- Cadence schema 4 on PostgreSQL: the dashboard's login sessions and the guilds' optional
-- viewer role, as SQLite's 0004_sessions.sql. Only the SHA-256 of a session id is stored, and
-- no OAuth token: the user's guild list is read once at login and kept for the server picker.

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,                   -- hex SHA-256 of the cookie's session id
    user_id    BIGINT NOT NULL,
    username   TEXT NOT NULL,
    avatar     TEXT,
    guilds     TEXT NOT NULL DEFAULT '[]' CHECK (guilds::json IS NOT NULL),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL
);

CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_user_id ON sessions (user_id);

-- Members with this role may read the guild's tasks on the dashboard and API (not change them).
ALTER TABLE guild_settings ADD COLUMN viewer_role_id BIGINT;
