-- Credentials, version 1 (a track of its own: `credentials_version` in the meta table).
-- Unqualified names: the connection's search_path points at the book's schema.
-- API keys by the SHA-256 of the key, with a public id (the hash's first 16 hex digits), an
-- optional expiry and a revocation time; password hashes with the time they were set. Times are
-- fixed-width RFC 3339 UTC text (`2026-11-21T10:20:49Z`), compared under COLLATE "C" (byte
-- order) by the queries.
--
-- Books written before this migration may hold the first layout of both tables, which the
-- server created without a version: fs_api_keys (key_hash, agent, created_at) and
-- fs_credentials as below. The IF NOT EXISTS statements make the old layout exist either way;
-- fs_api_keys then gains the new columns in place, every old key getting its id.
CREATE TABLE IF NOT EXISTS fs_api_keys (
    key_hash   TEXT PRIMARY KEY,
    agent      TEXT NOT NULL,
    created_at TEXT NOT NULL
);

ALTER TABLE fs_api_keys
    ADD COLUMN id TEXT,
    ADD COLUMN expires_at TEXT,
    ADD COLUMN revoked_at TEXT;

UPDATE fs_api_keys SET id = substr(key_hash, 1, 16);

ALTER TABLE fs_api_keys ALTER COLUMN id SET NOT NULL;

ALTER TABLE fs_api_keys ADD CONSTRAINT fs_api_keys_id_key UNIQUE (id);

-- An agent's keys, oldest first (listing, and counting its live keys); replaces the old
-- layout's index on agent alone.
DROP INDEX IF EXISTS fs_api_keys_agent;
CREATE INDEX fs_api_keys_agent ON fs_api_keys (agent, created_at);

CREATE TABLE IF NOT EXISTS fs_credentials (
    agent        TEXT PRIMARY KEY,
    password_phc TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
