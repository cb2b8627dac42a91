//! The server's webhooks in the book's PostgreSQL schema, beside the credentials and through
//! their connection (tables of the credentials' migration 2).

use fairshare_store::credentials::{CredentialResult, check_time};
use fairshare_store::sql_int;
use fairshare_store::webhooks::{
    Attempt, DELIVERIES_KEPT, Delivery, NewWebhook, WEBHOOKS_MAX, Webhook, WebhookStore,
    check_attempt, check_reason, join_kinds, split_kinds, too_many_webhooks, unknown_webhook,
};
use postgres::types::ToSql;
use postgres::{GenericClient, Row};

use crate::credentials::{PostgresCredentials, backend};

const HOOK_COLUMNS: &str = "id, url, events, secret, created_by, created_at, cursor, failures, \
                            failing_since, paused_at, pause_reason";

/// The webhook `id` through any client (a transaction too), or NotFound.
fn find_hook(
    client: &mut impl GenericClient,
    id: u64,
    location: &str,
) -> CredentialResult<Webhook> {
    client
        .query_opt(
            &format!("SELECT {HOOK_COLUMNS} FROM fs_webhooks WHERE id = $1"),
            &[&sql_int(id)],
        )
        .and_then(|row| row.as_ref().map(webhook).transpose())
        .map_err(|e| backend("read a webhook from", location, &e))?
        .ok_or_else(|| unknown_webhook(id))
}

impl PostgresCredentials {
    /// Runs one UPDATE of webhook `id` and answers the webhook after it.
    fn update_hook(
        &mut self,
        id: u64,
        sql: &str,
        args: &[&(dyn ToSql + Sync)],
        what: &str,
    ) -> CredentialResult<Webhook> {
        let changed = self
            .client
            .execute(sql, args)
            .map_err(|e| backend(what, &self.location, &e))?;
        if changed == 0 {
            return Err(unknown_webhook(id));
        }
        find_hook(&mut self.client, id, &self.location)
    }

    /// Records an attempt in one transaction; `Ok(None)`: no such webhook.
    fn try_record(&mut self, attempt: &Attempt<'_>) -> Result<Option<()>, postgres::Error> {
        let id = sql_int(attempt.webhook);
        let mut tx = self.client.transaction()?;
        // The row lock orders concurrent recorders of one webhook (their `n` below).
        let moved = if attempt.delivered {
            tx.execute(
                "UPDATE fs_webhooks SET cursor = greatest(cursor, $2), failures = 0, \
                 failing_since = NULL WHERE id = $1",
                &[&id, &sql_int(attempt.seq)],
            )?
        } else {
            tx.execute(
                "UPDATE fs_webhooks SET failures = failures + 1, \
                 failing_since = coalesce(failing_since, $2) WHERE id = $1",
                &[&id, &attempt.at],
            )?
        };
        if moved == 0 {
            return Ok(None);
        }
        let n: i64 = tx
            .query_one(
                "SELECT coalesce(max(n), 0) + 1 FROM fs_webhook_deliveries WHERE webhook = $1",
                &[&id],
            )?
            .try_get(0)?;
        let status = attempt.status.map(i32::from);
        let number = i32::try_from(attempt.attempt).unwrap_or(i32::MAX);
        tx.execute(
            "INSERT INTO fs_webhook_deliveries \
             (webhook, n, seq, attempt, at, status, error, delivered) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &id,
                &n,
                &sql_int(attempt.seq),
                &number,
                &attempt.at,
                &status,
                &attempt.error,
                &attempt.delivered,
            ],
        )?;
        tx.execute(
            "DELETE FROM fs_webhook_deliveries WHERE webhook = $1 AND n <= $2",
            &[&id, &(n - sql_int(DELIVERIES_KEPT as u64))],
        )?;
        tx.commit()?;
        Ok(Some(()))
    }
}

impl WebhookStore for PostgresCredentials {
    fn add_webhook(&mut self, hook: &NewWebhook<'_>) -> CredentialResult<Webhook> {
        hook.check()?;
        let location = self.location.clone();
        let fail = |e: postgres::Error| backend("add a webhook to", &location, &e);
        let mut tx = self.client.transaction().map_err(fail)?;
        // Concurrent adds wait here, so the count still holds at the insert.
        tx.batch_execute("LOCK TABLE fs_webhooks IN SHARE ROW EXCLUSIVE MODE")
            .map_err(fail)?;
        let count: i64 = tx
            .query_one("SELECT count(*) FROM fs_webhooks", &[])
            .and_then(|row| row.try_get(0))
            .map_err(fail)?;
        if usize::try_from(count).unwrap_or(usize::MAX) >= WEBHOOKS_MAX {
            return Err(too_many_webhooks());
        }
        let id: i64 = tx
            .query_one(
                "INSERT INTO fs_webhooks (url, events, secret, created_by, created_at, cursor) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    &hook.url,
                    &join_kinds(hook.events),
                    &hook.secret,
                    &hook.created_by,
                    &hook.created_at,
                    &sql_int(hook.cursor),
                ],
            )
            .and_then(|row| row.try_get(0))
            .map_err(fail)?;
        let stored = find_hook(&mut tx, u64::try_from(id).unwrap_or(0), &location)?;
        tx.commit().map_err(fail)?;
        Ok(stored)
    }

    fn webhooks(&mut self) -> CredentialResult<Vec<Webhook>> {
        self.client
            .query(
                &format!("SELECT {HOOK_COLUMNS} FROM fs_webhooks ORDER BY id"),
                &[],
            )
            .and_then(|rows| rows.iter().map(webhook).collect())
            .map_err(|e| backend("list the webhooks in", &self.location, &e))
    }

    fn webhook(&mut self, id: u64) -> CredentialResult<Webhook> {
        find_hook(&mut self.client, id, &self.location)
    }

    fn remove_webhook(&mut self, id: u64) -> CredentialResult<Webhook> {
        let location = self.location.clone();
        let fail = |e: postgres::Error| backend("remove a webhook from", &location, &e);
        let mut tx = self.client.transaction().map_err(fail)?;
        let hook = find_hook(&mut tx, id, &location)?;
        tx.execute(
            "DELETE FROM fs_webhook_deliveries WHERE webhook = $1",
            &[&sql_int(id)],
        )
        .map_err(fail)?;
        tx.execute("DELETE FROM fs_webhooks WHERE id = $1", &[&sql_int(id)])
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
        Ok(hook)
    }

    fn record_attempt(&mut self, attempt: &Attempt<'_>) -> CredentialResult<Webhook> {
        check_attempt(attempt)?;
        match self.try_record(attempt) {
            Ok(Some(())) => find_hook(&mut self.client, attempt.webhook, &self.location),
            Ok(None) => Err(unknown_webhook(attempt.webhook)),
            Err(e) => Err(backend("record a delivery in", &self.location, &e)),
        }
    }

    fn skip_to(&mut self, id: u64, seq: u64) -> CredentialResult<Webhook> {
        self.update_hook(
            id,
            "UPDATE fs_webhooks SET cursor = greatest(cursor, $2) WHERE id = $1",
            &[&sql_int(id), &sql_int(seq)],
            "move a webhook's cursor in",
        )
    }

    fn pause_webhook(&mut self, id: u64, at: &str, reason: &str) -> CredentialResult<Webhook> {
        check_time("paused_at", at)?;
        check_reason(reason)?;
        self.update_hook(
            id,
            "UPDATE fs_webhooks SET pause_reason = CASE WHEN paused_at IS NULL THEN $3 \
             ELSE pause_reason END, paused_at = coalesce(paused_at, $2) WHERE id = $1",
            &[&sql_int(id), &at, &reason],
            "pause a webhook in",
        )
    }

    fn resume_webhook(&mut self, id: u64) -> CredentialResult<Webhook> {
        self.update_hook(
            id,
            "UPDATE fs_webhooks SET paused_at = NULL, pause_reason = NULL, failures = 0, \
             failing_since = NULL WHERE id = $1",
            &[&sql_int(id)],
            "resume a webhook in",
        )
    }

    fn deliveries(&mut self, id: u64, limit: usize) -> CredentialResult<Vec<Delivery>> {
        find_hook(&mut self.client, id, &self.location)?;
        let limit = sql_int(limit.min(DELIVERIES_KEPT) as u64);
        self.client
            .query(
                "SELECT seq, attempt, at, status, error, delivered FROM fs_webhook_deliveries \
                 WHERE webhook = $1 ORDER BY n DESC LIMIT $2",
                &[&sql_int(id), &limit],
            )
            .and_then(|rows| rows.iter().map(delivery).collect())
            .map_err(|e| backend("read the deliveries in", &self.location, &e))
    }
}

fn unsigned(row: &Row, i: usize) -> Result<u64, postgres::Error> {
    row.try_get::<_, i64>(i)
        .map(|n| u64::try_from(n).unwrap_or(0))
}

/// A row of [`HOOK_COLUMNS`].
fn webhook(row: &Row) -> Result<Webhook, postgres::Error> {
    Ok(Webhook {
        id: unsigned(row, 0)?,
        url: row.try_get(1)?,
        events: split_kinds(row.try_get(2)?),
        secret: row.try_get(3)?,
        created_by: row.try_get(4)?,
        created_at: row.try_get(5)?,
        cursor: unsigned(row, 6)?,
        failures: u32::try_from(row.try_get::<_, i32>(7)?).unwrap_or(0),
        failing_since: row.try_get(8)?,
        paused_at: row.try_get(9)?,
        pause_reason: row.try_get(10)?,
    })
}

fn delivery(row: &Row) -> Result<Delivery, postgres::Error> {
    Ok(Delivery {
        seq: unsigned(row, 0)?,
        attempt: u32::try_from(row.try_get::<_, i32>(1)?).unwrap_or(0),
        at: row.try_get(2)?,
        status: row
            .try_get::<_, Option<i32>>(3)?
            .and_then(|s| u16::try_from(s).ok()),
        error: row.try_get(4)?,
        delivered: row.try_get(5)?,
    })
}
