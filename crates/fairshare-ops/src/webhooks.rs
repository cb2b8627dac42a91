//! Webhooks: where a server POSTs each new event of its book, for custodians to manage from
//! the CLI or the API alike. Configuration and cursors live in the [`WebhookStore`] beside the
//! credentials (server-side configuration, never book events); the server delivers them.
//!
//! Every delivery is signed as Stripe signs its webhooks: the header
//! `X-Fairshare-Signature: t=UNIX,v1=HEX`, where HEX is the lowercase hex HMAC-SHA256, keyed
//! with the webhook's secret, of `UNIX` (the sending time in seconds), a `.` and the raw body.
//! [`verify_signature`] is the receiver's check. A secret is stored as given (it signs) and
//! never shown again: views carry its [`secret_fingerprint`].

use fairshare_core::{Command, DomainError, Role, State};
use fairshare_store::webhooks::{
    ALL_KINDS, DELIVERIES_KEPT, Delivery, NewWebhook, Webhook, WebhookStore, check_event_kinds,
    check_secret, check_url, secret_fingerprint,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::backend::credential_error;
use crate::error::{OpError, OpResult};

/// The signature header of a delivery.
pub const SIGNATURE_HEADER: &str = "X-Fairshare-Signature";
/// The header naming the delivered event: its sequence number, as the event stream's `id`.
pub const EVENT_ID_HEADER: &str = "X-Fairshare-Event-Id";
/// The header naming the webhook that sends.
pub const WEBHOOK_ID_HEADER: &str = "X-Fairshare-Webhook";
/// Attempts listed when no limit is asked.
pub const DELIVERIES_DEFAULT: usize = 50;

/// A webhook to add: `events` are operation names (`log`, `approve`…, see
/// `fairshare_core::Command::OPS`) or `*` for every event.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct AddWebhook {
    /// `http://` or `https://` URL that receives a POST per event.
    pub url: String,
    /// Event kinds to deliver (operation names), or `["*"]` for every event.
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "KINDS", value_delimiter = ',', required = true)
    )]
    pub events: Vec<String>,
    /// Signs every delivery (16 to 512 bytes); never shown again.
    #[cfg_attr(feature = "clap", arg(long, value_name = "SECRET"))]
    pub secret: String,
}

/// A webhook as shown: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookOut {
    pub id: u64,
    pub url: String,
    pub events: Vec<String>,
    /// `sha256:` and 12 hex digits of the secret's SHA-256: tells secrets apart, cannot sign.
    pub secret_fingerprint: String,
    pub created_by: String,
    pub created_at: String,
    /// The last event delivered (or skipped: not of a kind asked for).
    pub cursor: u64,
    /// Failed attempts since the last success.
    pub failures: u32,
    pub failing_since: Option<String>,
    /// Set while deliveries are paused (after failing too long): `webhook resume ID`.
    pub paused_at: Option<String>,
    pub pause_reason: Option<String>,
}

impl WebhookOut {
    pub fn of(hook: Webhook) -> WebhookOut {
        WebhookOut {
            secret_fingerprint: secret_fingerprint(&hook.secret),
            id: hook.id,
            url: hook.url,
            events: hook.events,
            created_by: hook.created_by,
            created_at: hook.created_at,
            cursor: hook.cursor,
            failures: hook.failures,
            failing_since: hook.failing_since,
            paused_at: hook.paused_at,
            pause_reason: hook.pause_reason,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhooksOut {
    pub webhooks: Vec<WebhookOut>,
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryOut {
    /// The event's sequence number.
    pub seq: u64,
    /// 1 for the first try of this event.
    pub attempt: u32,
    pub at: String,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    pub error: Option<String>,
    /// The receiver took it (2xx).
    pub delivered: bool,
}

impl DeliveryOut {
    fn of(delivery: Delivery) -> DeliveryOut {
        DeliveryOut {
            seq: delivery.seq,
            attempt: delivery.attempt,
            at: delivery.at,
            status: delivery.status,
            error: delivery.error,
            delivered: delivery.delivered,
        }
    }
}

/// A webhook's latest attempts, newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveriesOut {
    pub webhook: u64,
    pub deliveries: Vec<DeliveryOut>,
}

/// Proof that an agent may manage webhooks: every operation below takes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Custodian(String);

impl Custodian {
    pub fn handle(&self) -> &str {
        &self.0
    }
}

/// Only custodians manage webhooks: a webhook sees every event its creator can read, and
/// sends it out of the network.
pub fn may_manage(state: &State, actor: &str) -> OpResult<Custodian> {
    match state.role_of(actor)? {
        Role::Custodian => Ok(Custodian(actor.to_owned())),
        _ => Err(DomainError::forbidden(format!(
            "{actor} may not manage webhooks: only custodians may"
        ))
        .into()),
    }
}

/// Checks a webhook's fields, naming the one at fault, before anything is stored.
fn check(request: &AddWebhook) -> OpResult<()> {
    let field = |field: &'static str, error| match credential_error(error) {
        OpError::Domain(e) => OpError::Domain(e.field(field)),
        other => other,
    };
    check_url(&request.url).map_err(|e| field("url", e))?;
    check_event_kinds(&request.events).map_err(|e| field("events", e))?;
    if let Some(unknown) = request
        .events
        .iter()
        .find(|kind| *kind != ALL_KINDS && !Command::OPS.contains(&kind.as_str()))
    {
        return Err(DomainError::invalid(format!(
            "no event is of kind {unknown:?}: a kind is an operation name (log, approve, \
             revenue, … as `fairshare log` shows them) or * for every event"
        ))
        .field("events")
        .value(unknown.clone())
        .into());
    }
    check_secret(&request.secret).map_err(|e| field("secret", e))
}

/// Adds a webhook of `actor` (a custodian), delivering the events after `head` (the book's
/// head now: a new webhook gets what happens from now on).
pub fn add(
    store: &mut dyn WebhookStore,
    custodian: &Custodian,
    request: &AddWebhook,
    now: &str,
    head: u64,
) -> OpResult<WebhookOut> {
    check(request)?;
    let hook = store
        .add_webhook(&NewWebhook {
            url: &request.url,
            events: &request.events,
            secret: &request.secret,
            created_by: custodian.handle(),
            created_at: now,
            cursor: head,
        })
        .map_err(credential_error)?;
    Ok(WebhookOut::of(hook))
}

/// Every webhook, by id.
pub fn list(store: &mut dyn WebhookStore, _: &Custodian) -> OpResult<WebhooksOut> {
    let hooks = store.webhooks().map_err(credential_error)?;
    Ok(WebhooksOut {
        webhooks: hooks.into_iter().map(WebhookOut::of).collect(),
    })
}

/// Removes a webhook and its delivery log; answers what it was.
pub fn remove(store: &mut dyn WebhookStore, _: &Custodian, id: u64) -> OpResult<WebhookOut> {
    Ok(WebhookOut::of(
        store.remove_webhook(id).map_err(credential_error)?,
    ))
}

/// Resumes a paused webhook from its cursor (a running one is left as it is).
pub fn resume(store: &mut dyn WebhookStore, _: &Custodian, id: u64) -> OpResult<WebhookOut> {
    Ok(WebhookOut::of(
        store.resume_webhook(id).map_err(credential_error)?,
    ))
}

/// A webhook's latest `limit` attempts (default [`DELIVERIES_DEFAULT`], at most
/// `DELIVERIES_KEPT`), newest first.
pub fn deliveries(
    store: &mut dyn WebhookStore,
    _: &Custodian,
    id: u64,
    limit: Option<usize>,
) -> OpResult<DeliveriesOut> {
    let limit = limit.unwrap_or(DELIVERIES_DEFAULT);
    if limit == 0 || limit > DELIVERIES_KEPT {
        return Err(DomainError::invalid(format!(
            "limit must be 1 to {DELIVERIES_KEPT} (the attempts kept per webhook)"
        ))
        .field("limit")
        .value(limit.to_string())
        .limit(DELIVERIES_KEPT.to_string())
        .into());
    }
    let listed = store.deliveries(id, limit).map_err(credential_error)?;
    Ok(DeliveriesOut {
        webhook: id,
        deliveries: listed.into_iter().map(DeliveryOut::of).collect(),
    })
}

/// HMAC-SHA256 (RFC 2104) of the concatenated `parts`, keyed with `key`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    const BLOCK_BYTES: usize = 64;
    let mut block = [0u8; BLOCK_BYTES];
    if key.len() > BLOCK_BYTES {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    for part in parts {
        inner.update(part);
    }
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `X-Fairshare-Signature` of `body` sent at `unix` seconds: `t=UNIX,v1=HEX`.
pub fn signature(secret: &str, unix: u64, body: &[u8]) -> String {
    let t = unix.to_string();
    let mac = hmac_sha256(secret.as_bytes(), &[t.as_bytes(), b".", body]);
    format!("t={t},v1={}", hex(&mac))
}

/// The receiver's check: `header` signs `body` with `secret` (some `v1` matches, compared in
/// constant time) and was made within `tolerance_s` seconds of `now_unix` (a replayed old
/// delivery is refused).
pub fn verify_signature(
    secret: &str,
    header: &str,
    body: &[u8],
    now_unix: u64,
    tolerance_s: u64,
) -> bool {
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<u64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    if t.abs_diff(now_unix) > tolerance_s {
        return false;
    }
    let expected = hex(&hmac_sha256(
        secret.as_bytes(),
        &[t.to_string().as_bytes(), b".", body],
    ));
    signatures.iter().any(|given| {
        given.len() == expected.len()
            && given
                .bytes()
                .zip(expected.bytes())
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test cases 2 and 6 (a key longer than a block).
        assert_eq!(
            hex(&hmac_sha256(
                b"Jefe",
                &[b"what do ya want ", b"for nothing?"]
            )),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                &[b"Test Using Larger Than Block-Size Key - Hash Key First"]
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn signatures_verify_and_refuse_tampering() {
        let secret = "whsec_0123456789abcdef";
        let body = br#"{"seq":3,"op":"log"}"#;
        let header = signature(secret, 1_764_842_400, body);
        // As Python's hmac computes it (docs/API.md's snippet).
        assert_eq!(
            header,
            "t=1764842400,v1=a8e07ef5f5d67fb5bb624b184dee26552fb83cfd0f389b3505caa892f7c54378"
        );
        assert!(verify_signature(secret, &header, body, 1_764_842_400, 300));
        assert!(verify_signature(secret, &header, body, 1_764_842_700, 300));
        assert!(
            !verify_signature(secret, &header, body, 1_764_842_701, 300),
            "too old"
        );
        assert!(!verify_signature(
            "whsec_another_secret!",
            &header,
            body,
            1_764_842_400,
            300
        ));
        assert!(!verify_signature(
            secret,
            &header,
            br#"{"seq":4,"op":"log"}"#,
            1_764_842_400,
            300
        ));
        let shifted = header.replace("t=1764842400", "t=1764842401");
        assert!(!verify_signature(
            secret,
            &shifted,
            body,
            1_764_842_400,
            300
        ));
        assert!(!verify_signature(secret, "v1=00", body, 1_764_842_400, 300));
    }
}
