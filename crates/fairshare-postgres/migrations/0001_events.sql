-- Version 1: the meta table (schema_version lives here) and the event log.
-- Unqualified names: the connection's search_path points at the book's schema.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE events (
    seq             BIGINT PRIMARY KEY,
    recorded_at     TEXT NOT NULL,
    actor           TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    payload_hash    TEXT NOT NULL,
    body            TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL
);
