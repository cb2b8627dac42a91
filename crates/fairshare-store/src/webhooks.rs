//! The webhook storage boundary: where a server sends the events of its book, how far each
//! webhook got, and a short log of its delivery attempts.
//!
//! Webhooks are server-side configuration, not accounting: like the credentials, they never
//! enter the public event log and live in tables of their own beside it (same SQLite file,
//! same PostgreSQL schema, on the credentials' migration track). A webhook's **secret** signs
//! its deliveries, so it is stored as given; callers must never show it (show
//! [`secret_fingerprint`] instead).
//!
//! Each webhook keeps a **cursor**: the sequence number of the last event it is done with
//! (delivered, or not of a kind it asked for). Deliveries go in log order, one at a time, so
//! the cursor is all a restarted server needs to resume. It never moves backwards. A failed
//! attempt counts a **consecutive failure**; a success clears them. A webhook that failed for
//! too long is **paused** by its deliverer (the policy is the caller's) until resumed.
//!
//! Times are the credentials' fixed-width UTC text ([`check_time`]). Like the other stores the
//! trait is synchronous and checks its input before writing; nothing is cached.

use crate::credentials::{CredentialError, CredentialResult, check_agent, check_time};
use sha2::{Digest, Sha256};

/// Most webhooks one book holds.
pub const WEBHOOKS_MAX: usize = 32;
/// Longest URL, in bytes.
pub const URL_LEN_MAX: usize = 2_048;
/// Most event kinds one webhook asks for.
pub const EVENT_KINDS_MAX: usize = 64;
/// Longest event kind, in bytes.
pub const EVENT_KIND_LEN_MAX: usize = 64;
/// Shortest and longest secret, in bytes: a short secret is guessable from signatures.
pub const SECRET_LEN_MIN: usize = 16;
pub const SECRET_LEN_MAX: usize = 512;
/// Delivery attempts kept per webhook; older ones are pruned as new ones are recorded.
pub const DELIVERIES_KEPT: usize = 1_000;
/// Longest error text of an attempt, in bytes (longer ones are cut by [`cut_error`]).
pub const ERROR_LEN_MAX: usize = 512;
/// Longest pause reason, in bytes.
pub const REASON_LEN_MAX: usize = 512;
/// The kind that asks for every event.
pub const ALL_KINDS: &str = "*";

/// A webhook to store (see [`WebhookStore::add_webhook`]).
#[derive(Debug, Clone, Copy)]
pub struct NewWebhook<'a> {
    /// `http://` or `https://`.
    pub url: &'a str,
    /// Event kinds (operation names such as `log`), or [`ALL_KINDS`]; 1 to
    /// [`EVENT_KINDS_MAX`], no duplicates.
    pub events: &'a [String],
    pub secret: &'a str,
    /// Who added it: deliveries show what this agent may read.
    pub created_by: &'a str,
    pub created_at: &'a str,
    /// Deliveries start after this event (usually the head when the webhook is added).
    pub cursor: u64,
}

impl NewWebhook<'_> {
    /// Checks every field; messages never repeat the secret.
    pub fn check(&self) -> CredentialResult<()> {
        check_url(self.url)?;
        check_event_kinds(self.events)?;
        check_secret(self.secret)?;
        check_agent(self.created_by)?;
        check_time("created_at", self.created_at)
    }
}

/// A stored webhook, secret included: callers show [`secret_fingerprint`], never the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: u64,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
    pub created_by: String,
    pub created_at: String,
    /// The last event this webhook is done with.
    pub cursor: u64,
    /// Failed attempts since the last success.
    pub failures: u32,
    /// When the first of those failed.
    pub failing_since: Option<String>,
    pub paused_at: Option<String>,
    pub pause_reason: Option<String>,
}

impl std::fmt::Debug for Webhook {
    /// Shows the secret's fingerprint only: a secret in a log lets anyone forge deliveries.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("secret", &secret_fingerprint(&self.secret))
            .field("created_by", &self.created_by)
            .field("cursor", &self.cursor)
            .field("failures", &self.failures)
            .field("paused_at", &self.paused_at)
            .finish_non_exhaustive()
    }
}

impl Webhook {
    /// Whether an event of this kind (operation name) is delivered.
    pub fn wants(&self, kind: &str) -> bool {
        self.events.iter().any(|k| k == ALL_KINDS || k == kind)
    }
}

/// One attempt to deliver one event (see [`WebhookStore::record_attempt`]).
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub webhook: u64,
    /// The event's sequence number.
    pub seq: u64,
    /// 1 for the first attempt at this event, then 2, 3…
    pub attempt: u32,
    pub at: &'a str,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    /// What went wrong (at most [`ERROR_LEN_MAX`] bytes; see [`cut_error`]).
    pub error: Option<&'a str>,
    /// The receiver took it (a 2xx answer): the cursor moves to `seq`.
    pub delivered: bool,
}

/// A recorded attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub seq: u64,
    pub attempt: u32,
    pub at: String,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub delivered: bool,
}

/// Where webhooks are kept. Every method checks its input first (nothing is written on a
/// refusal); an unknown id is [`CredentialError::NotFound`].
pub trait WebhookStore: Send {
    /// Stores a webhook and returns it with its new id (ids are never reused). Refuses bad
    /// input and a book that already holds [`WEBHOOKS_MAX`] webhooks.
    fn add_webhook(&mut self, hook: &NewWebhook<'_>) -> CredentialResult<Webhook>;

    /// Every webhook, by id.
    fn webhooks(&mut self) -> CredentialResult<Vec<Webhook>>;

    /// One webhook.
    fn webhook(&mut self, id: u64) -> CredentialResult<Webhook>;

    /// Removes a webhook and its delivery log; returns what it was.
    fn remove_webhook(&mut self, id: u64) -> CredentialResult<Webhook>;

    /// Records an attempt, prunes the log to the newest [`DELIVERIES_KEPT`] attempts and,
    /// in the same transaction, moves the cursor to `seq` and clears the failures (delivered)
    /// or counts one more failure (not delivered). Returns the webhook after it.
    fn record_attempt(&mut self, attempt: &Attempt<'_>) -> CredentialResult<Webhook>;

    /// Moves the cursor to `seq` without an attempt (events of kinds the webhook did not ask
    /// for). Never moves it backwards.
    fn skip_to(&mut self, id: u64, seq: u64) -> CredentialResult<Webhook>;

    /// Pauses a webhook at `at` (deliveries stop until it is resumed). A paused webhook keeps
    /// its first pause.
    fn pause_webhook(&mut self, id: u64, at: &str, reason: &str) -> CredentialResult<Webhook>;

    /// Resumes a webhook: no pause, no failures; deliveries resume from its cursor.
    fn resume_webhook(&mut self, id: u64) -> CredentialResult<Webhook>;

    /// The latest `limit` attempts (at most [`DELIVERIES_KEPT`]), newest first.
    fn deliveries(&mut self, id: u64, limit: usize) -> CredentialResult<Vec<Delivery>>;
}

/// What callers show instead of a secret: `sha256:` and the first 12 hex digits of its
/// SHA-256, enough to tell two secrets apart, useless to sign with.
pub fn secret_fingerprint(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// A URL to deliver to: `http://` or `https://` and a host, at most [`URL_LEN_MAX`] bytes, no
/// whitespace or control characters.
pub fn check_url(url: &str) -> CredentialResult<()> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let Some(rest) = rest else {
        return Err(CredentialError::Invalid(format!(
            "a webhook URL must start with http:// or https://, got {:?}",
            shorten(url)
        )));
    };
    if url.len() > URL_LEN_MAX {
        return Err(CredentialError::Invalid(format!(
            "a webhook URL has at most {URL_LEN_MAX} bytes, got {}",
            url.len()
        )));
    }
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(CredentialError::Invalid(
            "a webhook URL cannot contain spaces or control characters".into(),
        ));
    }
    if rest.is_empty() || rest.starts_with(['/', '?', '#']) {
        return Err(CredentialError::Invalid(format!(
            "a webhook URL needs a host, got {:?}",
            shorten(url)
        )));
    }
    Ok(())
}

/// Event kinds: 1 to [`EVENT_KINDS_MAX`], each [`ALL_KINDS`] or lowercase letters and `_` (at
/// most [`EVENT_KIND_LEN_MAX`] bytes), no duplicates. Which names exist is the caller's check.
pub fn check_event_kinds(kinds: &[String]) -> CredentialResult<()> {
    if kinds.is_empty() || kinds.len() > EVENT_KINDS_MAX {
        return Err(CredentialError::Invalid(format!(
            "a webhook asks for 1 to {EVENT_KINDS_MAX} event kinds, got {}",
            kinds.len()
        )));
    }
    for (i, kind) in kinds.iter().enumerate() {
        let shaped = kind == ALL_KINDS
            || (!kind.is_empty()
                && kind.len() <= EVENT_KIND_LEN_MAX
                && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
        if !shaped {
            return Err(CredentialError::Invalid(format!(
                "an event kind is an operation name such as `log` or `approve`, or `*` for \
                 every event, got {:?}",
                shorten(kind)
            )));
        }
        if kinds[..i].contains(kind) {
            return Err(CredentialError::Invalid(format!(
                "event kind {kind:?} is named twice"
            )));
        }
    }
    Ok(())
}

/// A secret: [`SECRET_LEN_MIN`] to [`SECRET_LEN_MAX`] bytes, no control characters. The
/// message never repeats it.
pub fn check_secret(secret: &str) -> CredentialResult<()> {
    if secret.len() < SECRET_LEN_MIN || secret.len() > SECRET_LEN_MAX {
        return Err(CredentialError::Invalid(format!(
            "a webhook secret needs {SECRET_LEN_MIN} to {SECRET_LEN_MAX} bytes, got {}",
            secret.len()
        )));
    }
    if secret.chars().any(char::is_control) {
        return Err(CredentialError::Invalid(
            "a webhook secret cannot contain control characters".into(),
        ));
    }
    Ok(())
}

/// An attempt: a real time, an attempt number from 1, an error of at most [`ERROR_LEN_MAX`]
/// bytes.
pub fn check_attempt(attempt: &Attempt<'_>) -> CredentialResult<()> {
    check_time("at", attempt.at)?;
    if attempt.attempt == 0 {
        return Err(CredentialError::Invalid(
            "attempts are numbered from 1".into(),
        ));
    }
    if attempt.error.is_some_and(|e| e.len() > ERROR_LEN_MAX) {
        return Err(CredentialError::Invalid(format!(
            "an attempt's error has at most {ERROR_LEN_MAX} bytes: cut it with cut_error"
        )));
    }
    Ok(())
}

/// A pause reason: at most [`REASON_LEN_MAX`] bytes.
pub fn check_reason(reason: &str) -> CredentialResult<()> {
    if reason.len() > REASON_LEN_MAX {
        return Err(CredentialError::Invalid(format!(
            "a pause reason has at most {REASON_LEN_MAX} bytes, got {}",
            reason.len()
        )));
    }
    Ok(())
}

/// At most `max` bytes of `text`, cut at a character boundary.
pub fn cut_error(text: &str) -> &str {
    let mut end = text.len().min(ERROR_LEN_MAX);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The refusal for an id no webhook has.
pub fn unknown_webhook(id: u64) -> CredentialError {
    CredentialError::NotFound(format!("no webhook with id {id}"))
}

/// The refusal for a book that holds [`WEBHOOKS_MAX`] webhooks.
pub fn too_many_webhooks() -> CredentialError {
    CredentialError::Invalid(format!(
        "this book already has {WEBHOOKS_MAX} webhooks, the most allowed: remove one first"
    ))
}

/// Stored form of the event kinds: joined by commas (a kind has none).
pub fn join_kinds(kinds: &[String]) -> String {
    kinds.join(",")
}

/// The kinds of [`join_kinds`].
pub fn split_kinds(joined: &str) -> Vec<String> {
    joined.split(',').map(str::to_owned).collect()
}

fn shorten(value: &str) -> String {
    const MAX: usize = 60;
    match value.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &value[..i]),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_http_or_https_with_a_host() {
        check_url("http://127.0.0.1:9000/hook").expect("http");
        check_url("https://example.org").expect("https");
        for bad in [
            "",
            "ftp://example.org",
            "file:///etc/passwd",
            "http://",
            "https:///path",
            "http://exa mple.org",
            "http://example.org/\n",
            "javascript:alert(1)",
        ] {
            assert!(check_url(bad).is_err(), "{bad:?} must be refused");
        }
        let long = format!("https://example.org/{}", "a".repeat(URL_LEN_MAX));
        assert!(check_url(&long).is_err());
    }

    #[test]
    fn kinds_and_secrets_are_checked() {
        let kinds = |list: &[&str]| list.iter().map(|k| k.to_string()).collect::<Vec<_>>();
        check_event_kinds(&kinds(&["log", "approve"])).expect("two kinds");
        check_event_kinds(&kinds(&["*"])).expect("every kind");
        assert!(check_event_kinds(&[]).is_err());
        assert!(check_event_kinds(&kinds(&["log", "log"])).is_err());
        assert!(check_event_kinds(&kinds(&["Log"])).is_err());
        assert!(check_event_kinds(&kinds(&["log,approve"])).is_err());
        let many: Vec<String> = (0..=EVENT_KINDS_MAX).map(|i| "a".repeat(i + 1)).collect();
        assert!(check_event_kinds(&many).is_err());
        check_secret("0123456789abcdef").expect("16 bytes");
        let e = check_secret("short-secret").expect_err("too short");
        assert!(!e.to_string().contains("short-secret"), "{e}");
        assert!(check_secret(&"s".repeat(SECRET_LEN_MAX + 1)).is_err());
        assert_eq!(
            split_kinds(&join_kinds(&kinds(&["log", "*"]))),
            kinds(&["log", "*"])
        );
    }

    #[test]
    fn fingerprints_and_debug_hide_the_secret() {
        let fingerprint = secret_fingerprint("whsec_0123456789abcdef");
        assert_eq!(fingerprint.len(), "sha256:".len() + 12);
        assert_ne!(fingerprint, secret_fingerprint("whsec_0123456789abcdeg"));
        let hook = Webhook {
            id: 1,
            url: "https://example.org".into(),
            events: vec!["*".into()],
            secret: "whsec_0123456789abcdef".into(),
            created_by: "ana".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            cursor: 0,
            failures: 0,
            failing_since: None,
            paused_at: None,
            pause_reason: None,
        };
        let shown = format!("{hook:?}");
        assert!(
            shown.contains(&fingerprint) && !shown.contains("whsec_"),
            "{shown}"
        );
        assert!(hook.wants("log"));
    }

    #[test]
    fn errors_are_cut_at_a_character() {
        let long = "é".repeat(ERROR_LEN_MAX);
        let cut = cut_error(&long);
        assert!(cut.len() <= ERROR_LEN_MAX && cut.len() >= ERROR_LEN_MAX - 1);
        assert_eq!(cut_error("short"), "short");
    }
}
