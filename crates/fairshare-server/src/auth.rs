//! Who is calling: `Authorization: Bearer fsk_...` resolved to an agent.
//!
//! Keys are looked up by their SHA-256 in the credential store, on a blocking thread, which
//! refuses expired and revoked keys. Found keys are cached for [`KEY_CACHE_TTL`] (never past
//! their expiry) so the hot path under load does no I/O; a key created by another process (the
//! CLI) is found at its first use because misses are never cached, and a key revoked by another
//! process is refused here within [`KEY_CACHE_TTL`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use fairshare_ops::Reading;

use crate::AppState;
use crate::error::ApiError;
use crate::offload::DropOffRuntime;
use fairshare_ops::credentials::{check_password, hash_api_key, hash_password, looks_like_api_key};
use fairshare_store::credentials::CredentialStore;

/// How long a key found in the store is trusted without asking it again: the longest a
/// revocation made elsewhere takes to reach this server.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(1);
/// Most keys cached; the cache is emptied when full (keys are few, this is a safety bound).
pub const KEY_CACHE_MAX: usize = 10_000;

struct Cached {
    agent: String,
    /// When it was looked up.
    at: Instant,
    expires_at: Option<String>,
}

pub(crate) struct Authenticator {
    store: Arc<Mutex<DropOffRuntime<Box<dyn CredentialStore>>>>,
    /// Key hash -> the key as found.
    cache: Mutex<HashMap<String, Cached>>,
}

impl Authenticator {
    pub fn new(store: Box<dyn CredentialStore>) -> Authenticator {
        Authenticator {
            store: Arc::new(Mutex::new(DropOffRuntime::new(store))),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The agent of a presented key, or 401.
    async fn agent_for(&self, key: &str) -> Result<String, ApiError> {
        let unknown = || ApiError::Unauthenticated("unknown API key".to_string());
        if !looks_like_api_key(key) {
            return Err(unknown());
        }
        let hash = hash_api_key(key);
        // Expiry is a matter of real time, whatever clock the server records events at.
        let now = fairshare_ops::Clock::System.now_text();
        if let Some(agent) = self.cached(&hash, &now) {
            return Ok(agent);
        }
        let store = self.store.clone();
        let looked_up = hash.clone();
        let found = tokio::task::spawn_blocking(move || {
            let mut store = store
                .lock()
                .map_err(|_| ApiError::Internal("credential store lock poisoned".into()))?;
            store
                .find_active_api_key(&looked_up, &now)
                .map_err(ApiError::from)
        })
        .await??;
        // Unknown, expired and revoked keys get the same answer.
        let found = found.ok_or_else(unknown)?;
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= KEY_CACHE_MAX {
                cache.clear();
            }
            cache.insert(
                hash,
                Cached {
                    agent: found.agent.clone(),
                    at: Instant::now(),
                    expires_at: found.expires_at,
                },
            );
        }
        Ok(found.agent)
    }

    /// Whether `password` is `agent`'s argon2id password (false when it has none). The slow
    /// hash runs on a blocking thread.
    pub async fn check_password(&self, agent: &str, password: &str) -> Result<bool, ApiError> {
        let store = self.store.clone();
        let (agent, password) = (agent.to_string(), password.to_string());
        tokio::task::spawn_blocking(move || {
            let stored = {
                let mut store = store
                    .lock()
                    .map_err(|_| ApiError::Internal("credential store lock poisoned".into()))?;
                store.password(&agent)?
            };
            Ok(match stored {
                Some(stored) => check_password(&password, &stored.phc),
                None => {
                    // As slow as a real check, so that timing does not tell which handles
                    // have a password.
                    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
                    let dummy = DUMMY.get_or_init(|| {
                        hash_password("not anybody's password").unwrap_or_default()
                    });
                    let _ = check_password(&password, dummy);
                    false
                }
            })
        })
        .await?
    }

    /// The agent of a key found less than [`KEY_CACHE_TTL`] ago and not expired at `now`.
    fn cached(&self, hash: &str, now: &str) -> Option<String> {
        let cache = self.cache.lock().ok()?;
        let found = cache.get(hash)?;
        let fresh = found.at.elapsed() < KEY_CACHE_TTL
            && found.expires_at.as_deref().is_none_or(|at| now < at);
        fresh.then(|| found.agent.clone())
    }
}

/// The bearer credential of a request, if it has an `Authorization` header.
fn bearer(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let Some(value) = parts.headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::Unauthenticated(
            "malformed Authorization header: expected `Bearer fsk_...`".to_string(),
        )
    };
    let text = value.to_str().map_err(|_| bad())?;
    let (scheme, key) = text.split_once(' ').ok_or_else(bad)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(bad());
    }
    Ok(Some(key.trim()))
}

/// The authenticated agent of a write: every command acts as this agent.
pub(crate) struct Caller(pub String);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        match bearer(parts)? {
            Some(key) => Ok(Caller(app.auth.agent_for(key).await?)),
            None => Err(ApiError::Unauthenticated(
                "this request needs an API key: send `Authorization: Bearer fsk_...`".to_string(),
            )),
        }
    }
}

/// A reader: anyone on a public network, a member (a valid key) on a private one. A key that
/// is presented must be valid either way; it says who reads.
pub(crate) struct Reader(pub Option<String>);

impl Reader {
    /// Who reads and when, for a view.
    pub fn reading(&self, state: &fairshare_core::State, today: fairshare_core::Date) -> Reading {
        Reading {
            role: self.0.as_deref().and_then(|a| state.role_of(a).ok()),
            actor: self.0.clone(),
            today,
        }
    }
}

impl FromRequestParts<AppState> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        match bearer(parts)? {
            Some(key) => Ok(Reader(Some(app.auth.agent_for(key).await?))),
            None if app.public => Ok(Reader(None)),
            None => Err(ApiError::Unauthenticated(
                "this network is private: reading needs a member's API key \
                 (`Authorization: Bearer fsk_...`)"
                    .to_string(),
            )),
        }
    }
}

/// Who sends a write that a stranger may also send (asking to join): the key's agent, or
/// nobody, from the client's address (which the rate limit of keyless requests counts by).
pub(crate) struct Sender {
    pub agent: Option<String>,
    pub address: std::net::IpAddr,
}

impl FromRequestParts<AppState> for Sender {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let agent = match bearer(parts)? {
            Some(key) => Some(app.auth.agent_for(key).await?),
            None => None,
        };
        Ok(Sender {
            agent,
            address: crate::limiter::client_address(parts),
        })
    }
}
