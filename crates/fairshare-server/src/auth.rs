//! Who is calling: `Authorization: Bearer fsk_...` resolved to an agent.
//!
//! Keys are looked up by their SHA-256 in the credential store, on a blocking thread, which
//! refuses expired and revoked keys, on whichever of [`CREDENTIAL_CONNECTIONS`] is free. Every
//! request asks the store (one indexed lookup), so a key created by another process (the CLI)
//! is found at its first use and a key revoked by any process on the book is refused by every
//! server at its next request: no window of trust.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use fairshare_ops::Reading;

use crate::AppState;
use crate::error::ApiError;
use crate::malformed::ProblemListener;
use crate::offload::DropOffRuntime;
use fairshare_ops::credentials::{check_password, hash_api_key, hash_password, looks_like_api_key};
use fairshare_store::credentials::CredentialStore;

/// Most password checks waiting for a hasher; past them a login is answered 503 with
/// `Retry-After` instead of queueing (each argon2id check holds 19 MiB while it runs).
pub const LOGIN_QUEUE_MAX: usize = 64;

/// Password checks that run at once: one per core (at most 4), never fewer than 1. Argon2id is
/// memory-hard on purpose; running more at once than there are cores only adds memory.
pub fn hashers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// Connections to the credential store. Every keyed request and every dashboard page asks the
/// store (no window of trust), so lookups of concurrent requests run side by side on these
/// rather than queue behind one connection.
pub const CREDENTIAL_CONNECTIONS: usize = 4;

/// The credential connections; a lookup takes whichever is free.
struct Connections {
    connections: Vec<Mutex<DropOffRuntime<Box<dyn CredentialStore>>>>,
    /// Where the next lookup starts looking for a free connection.
    next: AtomicUsize,
}

type Connection<'a> = MutexGuard<'a, DropOffRuntime<Box<dyn CredentialStore>>>;

impl Connections {
    /// A free connection, or (all busy) the next one in turn once it is free. Blocks: call it
    /// on a blocking thread.
    fn lock(&self) -> Result<Connection<'_>, ApiError> {
        assert!(!self.connections.is_empty());
        let count = self.connections.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % count;
        for offset in 0..count {
            match self.connections[(start + offset) % count].try_lock() {
                Ok(connection) => return Ok(connection),
                Err(TryLockError::WouldBlock) => continue,
                Err(TryLockError::Poisoned(_)) => return Err(poisoned()),
            }
        }
        self.connections[start].lock().map_err(|_| poisoned())
    }
}

fn poisoned() -> ApiError {
    ApiError::Internal("credential store lock poisoned".into())
}

pub(crate) struct Authenticator {
    store: Arc<Connections>,
    /// Failed logins and bad keys, per account and address.
    pub throttle: crate::throttle::Throttle,
    /// The permits of the password hashers ([`hashers`]).
    hashers: Arc<tokio::sync::Semaphore>,
    /// Password checks waiting for a permit.
    waiting: AtomicUsize,
}

impl Authenticator {
    pub fn new(stores: Vec<Box<dyn CredentialStore>>) -> Authenticator {
        assert!(!stores.is_empty(), "at least one credential connection");
        Authenticator {
            store: Arc::new(Connections {
                connections: stores
                    .into_iter()
                    .map(|store| Mutex::new(DropOffRuntime::new(store)))
                    .collect(),
                next: AtomicUsize::new(0),
            }),
            throttle: crate::throttle::Throttle::default(),
            hashers: Arc::new(tokio::sync::Semaphore::new(hashers())),
            waiting: AtomicUsize::new(0),
        }
    }

    /// 429 when the account or the address failed too often lately.
    pub fn check_throttle(
        &self,
        account: Option<&str>,
        address: Option<IpAddr>,
    ) -> Result<(), ApiError> {
        match self.throttle.locked(account, address) {
            None => Ok(()),
            Some(wait) => {
                let seconds = crate::throttle::retry_after(wait);
                Err(ApiError::TooManyRequests(
                    format!(
                        "too many failed attempts from this account or address: try again in \
                         {seconds} s"
                    ),
                    seconds,
                ))
            }
        }
    }

    /// The agent of a presented key, or 401 (429 while the address is locked out after bad
    /// keys).
    async fn agent_for(&self, key: &str, address: Option<IpAddr>) -> Result<String, ApiError> {
        self.check_throttle(None, address)?;
        let found = self.find_key(key).await;
        if let Err(ApiError::Unauthenticated(_)) = &found {
            self.throttle.fail(None, address);
        }
        found
    }

    async fn find_key(&self, key: &str) -> Result<String, ApiError> {
        let unknown = || ApiError::Unauthenticated("unknown API key".to_string());
        if !looks_like_api_key(key) {
            return Err(unknown());
        }
        let hash = hash_api_key(key);
        // Expiry is a matter of real time, whatever clock the server records events at.
        let now = fairshare_ops::Clock::System.now_text();
        let store = self.store.clone();
        let looked_up = hash;
        let found = tokio::task::spawn_blocking(move || {
            let mut store = store.lock()?;
            store
                .find_active_api_key(&looked_up, &now)
                .map_err(ApiError::from)
        })
        .await??;
        // Unknown, expired and revoked keys get the same answer.
        let found = found.ok_or_else(unknown)?;
        Ok(found.agent)
    }

    /// When `password` is `agent`'s argon2id password, the fingerprint of its stored hash
    /// (see [`Authenticator::password_fingerprint`]); `None` when it is not or the agent has
    /// none. The slow hash runs on a blocking thread, at most [`hashers`] at once; past
    /// [`LOGIN_QUEUE_MAX`] waiting, 503 with `Retry-After`.
    pub async fn check_password(
        &self,
        agent: &str,
        password: &str,
    ) -> Result<Option<String>, ApiError> {
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let waiting = Waiting(&self.waiting);
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= LOGIN_QUEUE_MAX {
            return Err(ApiError::Busy(
                "too many logins at once: try again in a second".to_string(),
                1,
            ));
        }
        let permit = self
            .hashers
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ApiError::Internal("the password hashers are closed".into()))?;
        drop(waiting);
        let store = self.store.clone();
        let (agent, password) = (agent.to_string(), password.to_string());
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let stored = {
                let mut store = store.lock()?;
                store.password(&agent)?
            };
            Ok(match stored {
                Some(stored) => {
                    check_password(&password, &stored.phc).then(|| fingerprint(&stored.phc))
                }
                None => {
                    // As slow as a real check, so that timing does not tell which handles
                    // have a password.
                    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
                    let dummy = DUMMY.get_or_init(|| {
                        hash_password("not anybody's password").unwrap_or_default()
                    });
                    let _ = check_password(&password, dummy);
                    None
                }
            })
        })
        .await?
    }

    /// The fingerprint of `agent`'s stored password hash (empty when it has none): it changes
    /// whenever the password is set again, by any process (a new salt each time), so a session
    /// opened with another one is over.
    pub async fn password_fingerprint(&self, agent: &str) -> Result<String, ApiError> {
        let store = self.store.clone();
        let agent = agent.to_string();
        tokio::task::spawn_blocking(move || {
            let mut store = store.lock()?;
            Ok(store
                .password(&agent)?
                .map(|stored| fingerprint(&stored.phc))
                .unwrap_or_default())
        })
        .await?
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

/// SHA-256 of a stored password hash.
fn fingerprint(phc: &str) -> String {
    hash_api_key(phc)
}

/// The address a connection comes from (the proxy's, behind a proxy).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddr(pub SocketAddr);

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, ProblemListener>>
    for ClientAddr
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, ProblemListener>) -> ClientAddr {
        ClientAddr(*stream.remote_addr())
    }
}

/// The client's address, when the server was started with connection info.
pub(crate) fn client_address(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<ClientAddr>>()
        .map(|info| info.0.0.ip())
}

/// The client's address as an extractor (`None` without connection info).
pub(crate) struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_address(parts)))
    }
}

/// The authenticated agent of a write: every command acts as this agent.
pub(crate) struct Caller(pub String);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        match bearer(parts)? {
            Some(key) => Ok(Caller(
                app.auth.agent_for(key, client_address(parts)).await?,
            )),
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
            Some(key) => Ok(Reader(Some(
                app.auth.agent_for(key, client_address(parts)).await?,
            ))),
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
            Some(key) => Some(app.auth.agent_for(key, client_address(parts)).await?),
            None => None,
        };
        Ok(Sender {
            agent,
            address: crate::limiter::client_address(parts),
        })
    }
}
