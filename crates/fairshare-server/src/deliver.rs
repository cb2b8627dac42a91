//! Webhook delivery, off the write path: a supervisor starts one worker per running webhook;
//! each worker reads the log after its cursor as the event stream does (woken by this
//! server's commits, polling for other writers) and POSTs the events it asked for, in order,
//! one at a time, each signed. A failed attempt is retried with exponential backoff; the
//! cursor (in the store) moves only once the receiver took the event, so a restart resumes
//! where delivery stopped: at least once, in order. A webhook that failed
//! [`WebhookConfig::pause_after_failures`] times in a row over at least
//! [`WebhookConfig::pause_after`] is paused until `webhook resume`. A webhook whose creator is
//! no longer a custodian is paused too: it sees only what its creator may manage.
//!
//! Writes never wait for any of this: the writer only bumps the head the workers watch.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fairshare_core::Timestamp;
use fairshare_ops::log::EventRowOut;
use fairshare_ops::webhooks::{
    EVENT_ID_HEADER, SIGNATURE_HEADER, WEBHOOK_ID_HEADER, may_manage, signature,
};
use fairshare_store::webhooks::{Attempt, Webhook, cut_error};
use tokio::task::{AbortHandle, JoinSet};

use crate::AppState;
use crate::error::ApiError;
use crate::events::{POLL_INTERVAL, read_after};
use crate::webhooks::with_hooks;

/// How often the supervisor looks for webhooks to start when nothing tells it.
const SUPERVISE_EVERY: Duration = Duration::from_secs(5);
/// How often a worker stores how far it skipped events it does not want. Skipping is a write
/// to the book's database (its file, on SQLite); a cursor that lags behind skipped events only
/// makes a restarted worker read and skip them again.
const SKIPS_STORED_EVERY: Duration = Duration::from_secs(5);

/// How webhooks are delivered.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// The wait after the first failure; it doubles after each further one.
    pub retry_first: Duration,
    /// The longest wait between two attempts.
    pub retry_max: Duration,
    /// Consecutive failures before a webhook may be paused…
    pub pause_after_failures: u32,
    /// …and for how long it must have been failing.
    pub pause_after: Duration,
    /// How long one request may take, connection included.
    pub timeout: Duration,
}

impl Default for WebhookConfig {
    fn default() -> WebhookConfig {
        WebhookConfig {
            retry_first: Duration::from_secs(1),
            retry_max: Duration::from_secs(10 * 60),
            pause_after_failures: 12,
            pause_after: Duration::from_secs(60 * 60),
            timeout: Duration::from_secs(10),
        }
    }
}

impl WebhookConfig {
    /// The wait after `failures` consecutive failures (from 1).
    fn backoff(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        self.retry_first
            .saturating_mul(1 << doublings)
            .min(self.retry_max)
    }

    /// Whether a webhook that failed like this is paused.
    fn gives_up(&self, hook: &Webhook, now_s: i64) -> bool {
        let failing_s = hook
            .failing_since
            .as_deref()
            .and_then(|since| Timestamp::parse(since).ok())
            .map_or(0, |since| now_s.saturating_sub(since.0));
        hook.failures >= self.pause_after_failures
            && u64::try_from(failing_s).unwrap_or(0) >= self.pause_after.as_secs()
    }
}

/// Runs for as long as the server: starts a worker for each running webhook that has none
/// (at start, when the API changes a webhook, and every [`SUPERVISE_EVERY`]).
pub(crate) async fn supervise(app: AppState, config: WebhookConfig) {
    let client = match client(&config) {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "no webhook deliveries: cannot build an HTTP client");
            return;
        }
    };
    // Dropping the set (the supervisor is aborted when the server stops) aborts every worker.
    let mut running = JoinSet::new();
    let mut workers: HashMap<u64, AbortHandle> = HashMap::new();
    loop {
        while running.try_join_next().is_some() {}
        workers.retain(|_, worker| !worker.is_finished());
        match with_hooks(&app.hooks, |store| Ok(store.webhooks()?)).await {
            Ok(hooks) => {
                for hook in hooks.into_iter().filter(|h| h.paused_at.is_none()) {
                    workers.entry(hook.id).or_insert_with(|| {
                        running.spawn(work(app.clone(), client.clone(), config.clone(), hook.id))
                    });
                }
            }
            Err(error) => tracing::warn!(%error, "cannot list the webhooks"),
        }
        let _ = tokio::time::timeout(SUPERVISE_EVERY, app.hooks_changed.notified()).await;
    }
}

fn client(config: &WebhookConfig) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(config.timeout)
        // A receiver answers itself: a redirect could send signed events anywhere.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("fairshare-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Why a worker stops.
enum Stop {
    /// Removed, paused, or its creator may no longer manage webhooks.
    Done,
}

/// One webhook's worker: delivers the log after its cursor until it is removed or paused.
async fn work(app: AppState, client: reqwest::Client, config: WebhookConfig, id: u64) {
    let mut head = app.model.watch_head();
    let mut skips = Skips::default();
    loop {
        let hook = match with_hooks(&app.hooks, move |store| Ok(store.webhook(id)?)).await {
            Ok(hook) => hook,
            Err(ApiError::NotFound(_)) => return,
            Err(error) => {
                tracing::warn!(%error, webhook = id, "cannot read a webhook; retrying");
                tokio::time::sleep(POLL_INTERVAL).await;
                continue;
            }
        };
        if hook.paused_at.is_some() {
            return;
        }
        let cursor = hook.cursor.max(skips.seq);
        let rows = match read_after(&app, cursor).await {
            Ok(rows) => rows,
            Err(error) => {
                tracing::warn!(%error, webhook = id, "cannot read the log; retrying");
                tokio::time::sleep(POLL_INTERVAL).await;
                continue;
            }
        };
        if rows.is_empty() {
            if skips.store(&app, id).await.is_err() {
                return;
            }
            // Read to the end: wait for a commit of this server, or poll for others.
            let _ = tokio::time::timeout(POLL_INTERVAL, head.changed()).await;
            continue;
        }
        if creator_left(&app, &hook).await.is_err() {
            return;
        }
        if deliver_batch(&app, &client, &config, &hook, rows, &mut skips)
            .await
            .is_err()
        {
            return;
        }
    }
}

/// Pauses a webhook whose creator may no longer manage webhooks (removed as custodian). Asked
/// after the rows to send were read, on a state at least as new as they are: no event after
/// the creator's demotion goes out.
async fn creator_left(app: &AppState, hook: &Webhook) -> Result<(), Stop> {
    if let Err(error) = app.model.ensure_fresh().await {
        // The supervisor starts the worker again within SUPERVISE_EVERY.
        tracing::warn!(%error, webhook = hook.id, "cannot catch up to check its creator");
        return Err(Stop::Done);
    }
    let allowed = {
        let state = app.model.state().read().await;
        may_manage(&state, &hook.created_by).is_ok()
    };
    if allowed {
        return Ok(());
    }
    let reason = format!(
        "created by {}, who is no longer a custodian: a webhook sees what its creator may",
        hook.created_by
    );
    pause(app, hook.id, reason).await;
    Err(Stop::Done)
}

/// How far a worker skipped events its webhook does not want, and when it last stored it.
#[derive(Default)]
struct Skips {
    seq: u64,
    stored: u64,
    stored_at: Option<std::time::Instant>,
}

impl Skips {
    /// Stores the skipped cursor if it moved and the last store is old enough.
    async fn store(&mut self, app: &AppState, id: u64) -> Result<(), Stop> {
        let due = self
            .stored_at
            .is_none_or(|at| at.elapsed() >= SKIPS_STORED_EVERY);
        if self.seq <= self.stored || !due {
            return Ok(());
        }
        let seq = self.seq;
        let skipped = with_hooks(&app.hooks, move |store| Ok(store.skip_to(id, seq)?)).await;
        if let Err(error) = skipped {
            if !matches!(error, ApiError::NotFound(_)) {
                tracing::warn!(%error, webhook = id, "cannot move a webhook's cursor");
            }
            return Err(Stop::Done);
        }
        self.stored = seq;
        self.stored_at = Some(std::time::Instant::now());
        Ok(())
    }
}

/// Delivers the rows the webhook wants, in order; notes a tail of rows it does not want as
/// skipped (stored now and then, see [`SKIPS_STORED_EVERY`]).
async fn deliver_batch(
    app: &AppState,
    client: &reqwest::Client,
    config: &WebhookConfig,
    hook: &Webhook,
    rows: Vec<EventRowOut>,
    skips: &mut Skips,
) -> Result<(), Stop> {
    for row in &rows {
        if hook.wants(&row.op) {
            // A delivery moves the stored cursor past every skip before it.
            deliver(app, client, config, hook, row).await?;
            skips.stored = skips.stored.max(row.seq);
        }
        skips.seq = row.seq;
    }
    skips.store(app, hook.id).await
}

/// What one POST came to.
struct Answered {
    status: Option<u16>,
    error: Option<String>,
}

impl Answered {
    fn delivered(&self) -> bool {
        self.error.is_none()
    }
}

/// Sends one event until the receiver takes it (or the webhook is paused or removed).
async fn deliver(
    app: &AppState,
    client: &reqwest::Client,
    config: &WebhookConfig,
    hook: &Webhook,
    row: &EventRowOut,
) -> Result<(), Stop> {
    let body = serde_json::to_vec(row).map_err(|_| Stop::Done)?;
    for attempt in 1u32.. {
        let answered = post(client, hook, row.seq, body.clone()).await;
        let after = record(app, hook.id, row.seq, attempt, &answered).await?;
        if answered.delivered() {
            return Ok(());
        }
        if config.gives_up(&after, unix_now()) {
            let reason = format!(
                "{} consecutive failures since {}; last: {}",
                after.failures,
                after.failing_since.as_deref().unwrap_or("?"),
                answered.error.as_deref().unwrap_or("?")
            );
            pause(app, hook.id, reason).await;
            return Err(Stop::Done);
        }
        tokio::time::sleep(config.backoff(after.failures)).await;
        // Removed or paused meanwhile (through the API): stop.
        let id = hook.id;
        match with_hooks(&app.hooks, move |store| Ok(store.webhook(id)?)).await {
            Ok(now) if now.paused_at.is_none() => {}
            _ => return Err(Stop::Done),
        }
    }
    Err(Stop::Done)
}

/// POSTs `body` to the webhook, signed now.
async fn post(client: &reqwest::Client, hook: &Webhook, seq: u64, body: Vec<u8>) -> Answered {
    let signed = signature(&hook.secret, u64::try_from(unix_now()).unwrap_or(0), &body);
    let sent = client
        .post(&hook.url)
        .header("content-type", "application/json")
        .header(SIGNATURE_HEADER, signed)
        .header(EVENT_ID_HEADER, seq.to_string())
        .header(WEBHOOK_ID_HEADER, hook.id.to_string())
        .body(body)
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => Answered {
            status: Some(response.status().as_u16()),
            error: None,
        },
        Ok(response) => Answered {
            status: Some(response.status().as_u16()),
            error: Some(format!("the receiver answered {}", response.status())),
        },
        Err(error) => Answered {
            status: None,
            error: Some(describe(&error)),
        },
    }
}

/// A transport error with its causes (reqwest's own message is only the outermost).
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Records an attempt; a removed webhook stops its worker.
async fn record(
    app: &AppState,
    id: u64,
    seq: u64,
    attempt: u32,
    answered: &Answered,
) -> Result<Webhook, Stop> {
    let error = answered.error.as_deref().map(|e| cut_error(e).to_owned());
    let status = answered.status;
    let delivered = answered.delivered();
    let recorded = with_hooks(&app.hooks, move |store| {
        let at = fairshare_ops::Clock::System.now_text();
        Ok(store.record_attempt(&Attempt {
            webhook: id,
            seq,
            attempt,
            at: &at,
            status,
            error: error.as_deref(),
            delivered,
        })?)
    })
    .await;
    recorded.map_err(|error| {
        if !matches!(error, ApiError::NotFound(_)) {
            tracing::warn!(%error, webhook = id, "cannot record a delivery");
        }
        Stop::Done
    })
}

async fn pause(app: &AppState, id: u64, reason: String) {
    tracing::warn!(webhook = id, %reason, "webhook paused");
    let paused = with_hooks(&app.hooks, move |store| {
        let at = fairshare_ops::Clock::System.now_text();
        let reason = cut_error(&reason);
        Ok(store.pause_webhook(id, &at, reason)?)
    })
    .await;
    if let Err(error) = paused {
        tracing::warn!(%error, webhook = id, "cannot pause a webhook");
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let config = WebhookConfig::default();
        let waits: Vec<u64> = [1, 2, 3, 4, 10, 11, 40]
            .iter()
            .map(|&n| config.backoff(n).as_secs())
            .collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 512, 600, 600]);
    }
}
