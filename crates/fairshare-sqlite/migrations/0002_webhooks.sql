-- Credentials, version 2: the server's webhooks beside the credentials (server-side
-- configuration, never in the public event log). A webhook keeps its secret (it signs every
-- delivery), its cursor (the last event it is done with), its consecutive failures and its
-- pause. Ids are never reused (AUTOINCREMENT), so a removed webhook's id names nothing again.
CREATE TABLE fs_webhooks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    url           TEXT NOT NULL,
    events        TEXT NOT NULL,
    secret        TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    cursor        INTEGER NOT NULL,
    failures      INTEGER NOT NULL DEFAULT 0,
    failing_since TEXT,
    paused_at     TEXT,
    pause_reason  TEXT
);

-- The delivery log of each webhook: attempt `n` of the webhook's log (growing), pruned to the
-- newest attempts as new ones are recorded; removed with its webhook.
CREATE TABLE fs_webhook_deliveries (
    webhook   INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    attempt   INTEGER NOT NULL,
    at        TEXT NOT NULL,
    status    INTEGER,
    error     TEXT,
    delivered INTEGER NOT NULL,
    PRIMARY KEY (webhook, n)
);
