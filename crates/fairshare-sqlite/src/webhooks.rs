//! The server's webhooks in the book's SQLite file, beside the credentials and through their
//! connection (tables of the credentials' migration 2).

use fairshare_store::credentials::{CredentialResult, check_time};
use fairshare_store::sql_int;
use fairshare_store::webhooks::{
    Attempt, DELIVERIES_KEPT, Delivery, NewWebhook, WEBHOOKS_MAX, Webhook, WebhookStore,
    check_attempt, check_reason, join_kinds, split_kinds, too_many_webhooks, unknown_webhook,
};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use crate::credentials::{SqliteCredentials, backend};

const HOOK_COLUMNS: &str = "id, url, events, secret, created_by, created_at, cursor, failures, \
                            failing_since, paused_at, pause_reason";

impl SqliteCredentials {
    fn hook_fail<'a>(
        &'a self,
        what: &'a str,
    ) -> impl Fn(rusqlite::Error) -> fairshare_store::credentials::CredentialError + 'a {
        move |e| backend(what, &self.path, e)
    }

    /// The webhook `id`, or NotFound.
    fn find_hook(&self, id: u64) -> CredentialResult<Webhook> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {HOOK_COLUMNS} FROM fs_webhooks WHERE id = ?1"
            ))
            .and_then(|mut stmt| stmt.query_row([sql_int(id)], webhook).optional())
            .map_err(self.hook_fail("read a webhook from"))?
            .ok_or_else(|| unknown_webhook(id))
    }

    /// Runs one UPDATE of webhook `id` and answers the webhook after it.
    fn update_hook(
        &mut self,
        id: u64,
        sql: &str,
        args: &[&dyn rusqlite::ToSql],
        what: &str,
    ) -> CredentialResult<Webhook> {
        let changed = self
            .conn
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.execute(args))
            .map_err(self.hook_fail(what))?;
        if changed == 0 {
            return Err(unknown_webhook(id));
        }
        self.find_hook(id)
    }
}

impl SqliteCredentials {
    /// Runs `f` with `synchronous=NORMAL`: its commit is not flushed at once but with the next
    /// durable commit or checkpoint. For what a crash may lose harmlessly — an attempt or a
    /// cursor move is made again (at least once) — and that must not cost the book's writer a
    /// flush of the shared file per delivery.
    fn lightly<T>(
        &mut self,
        f: impl FnOnce(&mut SqliteCredentials) -> CredentialResult<T>,
    ) -> CredentialResult<T> {
        let set = |hooks: &SqliteCredentials, level: &str| {
            hooks
                .conn
                .pragma_update(None, "synchronous", level)
                .map_err(hooks.hook_fail("configure"))
        };
        set(self, "NORMAL")?;
        let result = f(self);
        set(self, "FULL")?;
        result
    }

    /// Records an attempt (see [`WebhookStore::record_attempt`]), checked.
    fn record(&mut self, attempt: &Attempt<'_>) -> CredentialResult<Webhook> {
        let id = sql_int(attempt.webhook);
        let path = &self.path;
        let fail = |e| backend("record a delivery in", path, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let moved = if attempt.delivered {
            tx.execute(
                "UPDATE fs_webhooks SET cursor = max(cursor, ?2), failures = 0, \
                 failing_since = NULL WHERE id = ?1",
                params![id, sql_int(attempt.seq)],
            )
        } else {
            tx.execute(
                "UPDATE fs_webhooks SET failures = failures + 1, \
                 failing_since = coalesce(failing_since, ?2) WHERE id = ?1",
                params![id, attempt.at],
            )
        }
        .map_err(fail)?;
        if moved == 0 {
            return Err(unknown_webhook(attempt.webhook));
        }
        let n: i64 = tx
            .query_row(
                "SELECT coalesce(max(n), 0) + 1 FROM fs_webhook_deliveries WHERE webhook = ?1",
                [id],
                |r| r.get(0),
            )
            .map_err(fail)?;
        tx.execute(
            "INSERT INTO fs_webhook_deliveries \
             (webhook, n, seq, attempt, at, status, error, delivered) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                id,
                n,
                sql_int(attempt.seq),
                attempt.attempt,
                attempt.at,
                attempt.status,
                attempt.error,
                attempt.delivered
            ],
        )
        .map_err(fail)?;
        tx.execute(
            "DELETE FROM fs_webhook_deliveries WHERE webhook = ?1 AND n <= ?2",
            params![id, n - sql_int(DELIVERIES_KEPT as u64)],
        )
        .map_err(fail)?;
        tx.commit().map_err(fail)?;
        self.find_hook(attempt.webhook)
    }
}

impl WebhookStore for SqliteCredentials {
    fn add_webhook(&mut self, hook: &NewWebhook<'_>) -> CredentialResult<Webhook> {
        hook.check()?;
        let path = &self.path;
        let fail = |e| backend("add a webhook to", path, e);
        // IMMEDIATE: the count below must still hold when the row is inserted.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let count: i64 = tx
            .query_row("SELECT count(*) FROM fs_webhooks", [], |r| r.get(0))
            .map_err(fail)?;
        if usize::try_from(count).unwrap_or(usize::MAX) >= WEBHOOKS_MAX {
            return Err(too_many_webhooks());
        }
        tx.execute(
            "INSERT INTO fs_webhooks (url, events, secret, created_by, created_at, cursor) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                hook.url,
                join_kinds(hook.events),
                hook.secret,
                hook.created_by,
                hook.created_at,
                sql_int(hook.cursor)
            ],
        )
        .map_err(fail)?;
        let id = u64::try_from(tx.last_insert_rowid()).unwrap_or(0);
        tx.commit().map_err(fail)?;
        self.find_hook(id)
    }

    fn webhooks(&mut self) -> CredentialResult<Vec<Webhook>> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {HOOK_COLUMNS} FROM fs_webhooks ORDER BY id"
            ))
            .and_then(|mut stmt| {
                stmt.query_map([], webhook)?
                    .collect::<rusqlite::Result<Vec<Webhook>>>()
            })
            .map_err(self.hook_fail("list the webhooks in"))
    }

    fn webhook(&mut self, id: u64) -> CredentialResult<Webhook> {
        self.find_hook(id)
    }

    fn remove_webhook(&mut self, id: u64) -> CredentialResult<Webhook> {
        let hook = self.find_hook(id)?;
        let path = &self.path;
        let fail = |e| backend("remove a webhook from", path, e);
        let tx = self.conn.transaction().map_err(fail)?;
        tx.execute(
            "DELETE FROM fs_webhook_deliveries WHERE webhook = ?1",
            [sql_int(id)],
        )
        .map_err(fail)?;
        if tx
            .execute("DELETE FROM fs_webhooks WHERE id = ?1", [sql_int(id)])
            .map_err(fail)?
            == 0
        {
            return Err(unknown_webhook(id));
        }
        tx.commit().map_err(fail)?;
        Ok(hook)
    }

    fn record_attempt(&mut self, attempt: &Attempt<'_>) -> CredentialResult<Webhook> {
        check_attempt(attempt)?;
        self.lightly(|hooks| hooks.record(attempt))
    }

    fn skip_to(&mut self, id: u64, seq: u64) -> CredentialResult<Webhook> {
        self.lightly(|hooks| {
            hooks.update_hook(
                id,
                "UPDATE fs_webhooks SET cursor = max(cursor, ?2) WHERE id = ?1",
                &[&sql_int(id), &sql_int(seq)],
                "move a webhook's cursor in",
            )
        })
    }

    fn pause_webhook(&mut self, id: u64, at: &str, reason: &str) -> CredentialResult<Webhook> {
        check_time("paused_at", at)?;
        check_reason(reason)?;
        self.update_hook(
            id,
            "UPDATE fs_webhooks SET pause_reason = CASE WHEN paused_at IS NULL THEN ?3 \
             ELSE pause_reason END, paused_at = coalesce(paused_at, ?2) WHERE id = ?1",
            &[&sql_int(id), &at, &reason],
            "pause a webhook in",
        )
    }

    fn resume_webhook(&mut self, id: u64) -> CredentialResult<Webhook> {
        self.update_hook(
            id,
            "UPDATE fs_webhooks SET paused_at = NULL, pause_reason = NULL, failures = 0, \
             failing_since = NULL WHERE id = ?1",
            &[&sql_int(id)],
            "resume a webhook in",
        )
    }

    fn deliveries(&mut self, id: u64, limit: usize) -> CredentialResult<Vec<Delivery>> {
        self.find_hook(id)?;
        let limit = sql_int(limit.min(DELIVERIES_KEPT) as u64);
        self.conn
            .prepare_cached(
                "SELECT seq, attempt, at, status, error, delivered FROM fs_webhook_deliveries \
                 WHERE webhook = ?1 ORDER BY n DESC LIMIT ?2",
            )
            .and_then(|mut stmt| {
                stmt.query_map(params![sql_int(id), limit], |r| {
                    Ok(Delivery {
                        seq: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                        attempt: r.get(1)?,
                        at: r.get(2)?,
                        status: r.get(3)?,
                        error: r.get(4)?,
                        delivered: r.get(5)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<Delivery>>>()
            })
            .map_err(self.hook_fail("read the deliveries in"))
    }
}

/// A row of [`HOOK_COLUMNS`].
fn webhook(row: &rusqlite::Row<'_>) -> rusqlite::Result<Webhook> {
    let unsigned = |i: usize| row.get::<_, i64>(i).map(|n| u64::try_from(n).unwrap_or(0));
    Ok(Webhook {
        id: unsigned(0)?,
        url: row.get(1)?,
        events: split_kinds(&row.get::<_, String>(2)?),
        secret: row.get(3)?,
        created_by: row.get(4)?,
        created_at: row.get(5)?,
        cursor: unsigned(6)?,
        failures: row.get(7)?,
        failing_since: row.get(8)?,
        paused_at: row.get(9)?,
        pause_reason: row.get(10)?,
    })
}
