-- Credentials, version 1 (a track of its own: `credentials_version` in the meta table).
-- API keys by the SHA-256 of the key, with a public id (the hash's first 16 hex digits), an
-- optional expiry and a revocation time; password hashes with the time they were set. Times are
-- fixed-width RFC 3339 UTC text (`2026-11-21T10:20:49Z`), compared with SQLite's default BINARY
-- collation, i.e. byte by byte, which orders such strings as the instants they name.
--
-- Books written before this migration may hold the first layout of both tables, which the
-- server created without a version: fs_api_keys (key_hash, agent, created_at) and
-- fs_credentials as below. The IF NOT EXISTS statements make the old layout exist either way;
-- fs_api_keys is then rebuilt with the new columns (SQLite cannot add a NOT NULL UNIQUE column
-- in place), every old key keeping its hash, agent and creation time and getting its id.
CREATE TABLE IF NOT EXISTS fs_api_keys (
    key_hash   TEXT PRIMARY KEY,
    agent      TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE fs_api_keys_v1 (
    key_hash   TEXT PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    agent      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);

INSERT INTO fs_api_keys_v1 (key_hash, id, agent, created_at)
    SELECT key_hash, substr(key_hash, 1, 16), agent, created_at FROM fs_api_keys;

-- Also drops the old layout's index on agent.
DROP TABLE fs_api_keys;

ALTER TABLE fs_api_keys_v1 RENAME TO fs_api_keys;

-- An agent's keys, oldest first (listing, and counting its live keys).
CREATE INDEX fs_api_keys_agent ON fs_api_keys (agent, created_at);

CREATE TABLE IF NOT EXISTS fs_credentials (
    agent        TEXT PRIMARY KEY,
    password_phc TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
