-- Cadence schema 4: the dashboard's login sessions, and the guilds' optional viewer role.
-- A session is named by a 256-bit random id held only in the browser's cookie; the table keeps
-- its SHA-256 (a fast hash is enough for a long random secret). No OAuth token is kept: the
-- user's guild list is read once at login and kept here for the server picker.

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,                   -- hex SHA-256 of the cookie's session id
    user_id    INTEGER NOT NULL,
    username   TEXT NOT NULL,
    avatar     TEXT,
    guilds     TEXT NOT NULL DEFAULT '[]',         -- the OAuth guild list at login (JSON)
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
);

CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_user_id ON sessions (user_id);

-- Members with this role may read the guild's tasks on the dashboard and API (not change them).
ALTER TABLE guild_settings ADD COLUMN viewer_role_id INTEGER;
