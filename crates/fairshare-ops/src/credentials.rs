//! Credentials: API keys and dashboard passwords, kept in the credential store beside the book
//! (never in the public event log). This module makes what is stored and runs the operations
//! on it, for the CLI and the server alike:
//!
//! - An API key is 32 random bytes shown once as `fsk_<base64url>`; only its SHA-256 is stored
//!   (a fast hash is enough for a 256-bit random secret: there is nothing to brute-force).
//! - A password is stored as an argon2id PHC string (slow on purpose: people pick weak ones).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fairshare_core::DomainError;
use fairshare_store::credentials::{ApiKey, NewApiKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::backend::{Backend, credential_error};
use crate::clock::Clock;
use crate::error::{OpError, OpResult};

/// Every API key starts with this, so a leaked key is recognisable (e.g. by secret scanners).
pub const API_KEY_PREFIX: &str = "fsk_";
/// Random bytes in a key.
pub const API_KEY_BYTES: usize = 32;
/// Longest `Authorization` credential even looked up.
pub const API_KEY_LEN_MAX: usize = 128;
/// Shortest and longest password accepted, for the CLI, the API and the docs alike.
pub const PASSWORD_LEN_MIN: usize = 10;
pub const PASSWORD_LEN_MAX: usize = 1_024;
/// Longest life of a key, in days.
pub const KEY_DAYS_MAX: u32 = 3_650;
/// Random bytes of an argon2 salt.
const SALT_BYTES: usize = 16;

fn randomness(bytes: &mut [u8]) -> OpResult<()> {
    getrandom::fill(bytes).map_err(|e| OpError::Internal(format!("no randomness: {e}")))
}

/// A new random API key: `fsk_` and 32 random bytes in base64url (43 characters).
pub fn generate_api_key() -> OpResult<String> {
    let mut bytes = [0u8; API_KEY_BYTES];
    randomness(&mut bytes)?;
    Ok(format!("{API_KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// Hex SHA-256 of a key: what is stored and looked up.
pub fn hash_api_key(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Whether a presented credential can be a key at all (cheap, before any lookup).
pub fn looks_like_api_key(key: &str) -> bool {
    key.starts_with(API_KEY_PREFIX) && key.len() <= API_KEY_LEN_MAX
}

/// The argon2id PHC string of a password, with a random salt.
pub fn hash_password(password: &str) -> OpResult<String> {
    let length = password.chars().count();
    if length < PASSWORD_LEN_MIN {
        return Err(DomainError::invalid(format!(
            "a password needs at least {PASSWORD_LEN_MIN} characters"
        ))
        .field("password")
        .limit(PASSWORD_LEN_MIN.to_string())
        .into());
    }
    if length > PASSWORD_LEN_MAX {
        return Err(DomainError::invalid(format!(
            "a password has at most {PASSWORD_LEN_MAX} characters"
        ))
        .field("password")
        .limit(PASSWORD_LEN_MAX.to_string())
        .into());
    }
    let mut salt = [0u8; SALT_BYTES];
    randomness(&mut salt)?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|e| OpError::Internal(format!("salt: {e}")))?;
    // Argon2::default() is argon2id with the recommended parameters.
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| OpError::Internal(format!("argon2: {e}")))
}

/// Whether `password` matches a stored PHC string (false for a malformed one).
pub fn check_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// Fails unless `agent` is an agent of the book.
fn check_agent(backend: &Backend, agent: &str) -> OpResult<()> {
    backend.open_book()?.state().agent(agent)?;
    Ok(())
}

/// A key as listed: never its secret, never its hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyRow {
    /// The key's public id (what `key revoke` takes).
    pub id: String,
    pub agent: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    /// Neither revoked nor expired now.
    pub active: bool,
}

impl KeyRow {
    pub fn of(key: ApiKey, now: &str) -> KeyRow {
        KeyRow {
            active: key.is_active(now),
            id: key.id,
            agent: key.agent,
            created_at: key.created_at,
            expires_at: key.expires_at,
            revoked_at: key.revoked_at,
        }
    }
}

/// A key just created: its secret, shown this once.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyCreated {
    pub agent: String,
    /// The key itself: send it as `Authorization: Bearer KEY`. It cannot be shown again.
    pub key: String,
    pub id: String,
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeysOut {
    pub agent: String,
    pub keys: Vec<KeyRow>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordSet {
    pub agent: String,
    pub password_set: bool,
}

/// Creates an API key for `agent` (who must exist in the book), valid for `days` days or
/// until revoked. Only its SHA-256 hash is stored.
pub fn create_api_key(
    backend: &Backend,
    clock: &Clock,
    agent: &str,
    days: Option<u32>,
) -> OpResult<KeyCreated> {
    if let Some(days) = days
        && !(1..=KEY_DAYS_MAX).contains(&days)
    {
        return Err(DomainError::invalid(format!(
            "a key lives 1 to {KEY_DAYS_MAX} days, not {days}"
        ))
        .field("expires")
        .into());
    }
    check_agent(backend, agent)?;
    let mut store = backend.open_credentials()?;
    let key = generate_api_key()?;
    let now = clock.now();
    let expires_at = days.map(|days| now.plus_days(days).to_string());
    let stored = store
        .add_api_key(&NewApiKey {
            agent,
            key_hash: &hash_api_key(&key),
            created_at: &now.to_string(),
            expires_at: expires_at.as_deref(),
        })
        .map_err(credential_error)?;
    Ok(KeyCreated {
        agent: agent.to_string(),
        key,
        id: stored.id,
        expires_at,
    })
}

/// An agent's keys, oldest first.
pub fn list_api_keys(backend: &Backend, clock: &Clock, agent: &str) -> OpResult<KeysOut> {
    check_agent(backend, agent)?;
    let mut store = backend.open_credentials()?;
    let now = clock.now_text();
    let keys = store.list_api_keys(agent).map_err(credential_error)?;
    Ok(KeysOut {
        agent: agent.to_string(),
        keys: keys.into_iter().map(|k| KeyRow::of(k, &now)).collect(),
    })
}

/// Revokes a key by id: every server sharing the book refuses it from its next lookup.
pub fn revoke_api_key(backend: &Backend, clock: &Clock, id: &str) -> OpResult<KeyRow> {
    let mut store = backend.open_credentials()?;
    let now = clock.now_text();
    let key = store.revoke_api_key(id, &now).map_err(credential_error)?;
    Ok(KeyRow::of(key, &now))
}

/// Sets (or replaces) `agent`'s password, stored as an argon2id PHC string.
pub fn set_password(
    backend: &Backend,
    clock: &Clock,
    agent: &str,
    password: &str,
) -> OpResult<PasswordSet> {
    check_agent(backend, agent)?;
    let phc = hash_password(password)?;
    let mut store = backend.open_credentials()?;
    store
        .set_password(agent, &phc, &clock.now_text())
        .map_err(credential_error)?;
    Ok(PasswordSet {
        agent: agent.to_string(),
        password_set: true,
    })
}

/// Whether `password` is `agent`'s password (false when the agent has none).
pub fn verify_password(backend: &Backend, agent: &str, password: &str) -> OpResult<bool> {
    let mut store = backend.open_credentials()?;
    Ok(match store.password(agent).map_err(credential_error)? {
        Some(stored) => check_password(password, &stored.phc),
        None => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_hashed() {
        let a = generate_api_key().expect("key");
        let b = generate_api_key().expect("key");
        assert_ne!(a, b);
        assert!(a.starts_with(API_KEY_PREFIX) && a.len() == API_KEY_PREFIX.len() + 43);
        assert!(looks_like_api_key(&a) && !looks_like_api_key("Bearer x"));
        assert_eq!(hash_api_key(&a).len(), 64);
        assert_eq!(hash_api_key(&a), hash_api_key(&a));
        fairshare_store::credentials::check_key_hash(&hash_api_key(&a)).expect("storable");
    }

    #[test]
    fn passwords_use_argon2id_and_one_minimum_length() {
        let phc = hash_password("correct horse").expect("hash");
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(check_password("correct horse", &phc));
        assert!(!check_password("wrong horse", &phc));
        assert!(!check_password("correct horse", "not a phc string"));
        fairshare_store::credentials::check_password_hash(&phc).expect("storable");
        let short = hash_password("123456789").expect_err("nine characters");
        assert_eq!(short.field(), Some("password"));
        hash_password("1234567890").expect("ten characters");
    }

    #[test]
    fn keys_are_created_listed_and_revoked_beside_the_book() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("book.db");
        let backend = Backend::parse(&path.to_string_lossy()).expect("backend");
        let clock = Clock::new(Some("2026-11-21T10:00:00Z")).expect("clock");
        let mut local = crate::Local::open(
            backend
                .open_store(crate::backend::Access::Create)
                .expect("store"),
            clock,
        )
        .expect("book");
        let ana = crate::agents::AddAgent {
            handle: "ana".into(),
            name: None,
            role: crate::agents::RoleName::Affiliate,
        };
        local.write("operator", None, &ana).expect("agent");
        let unknown = create_api_key(&backend, &clock, "bob", None).expect_err("unknown");
        assert!(unknown.to_string().contains("bob"));
        let created = create_api_key(&backend, &clock, "ana", Some(30)).expect("key");
        assert_eq!(created.expires_at.as_deref(), Some("2026-12-21T10:00:00Z"));
        assert!(create_api_key(&backend, &clock, "ana", Some(0)).is_err());
        let listed = list_api_keys(&backend, &clock, "ana").expect("list");
        assert_eq!(listed.keys.len(), 1);
        assert_eq!(listed.keys[0].id, created.id);
        assert!(listed.keys[0].active);
        let revoked = revoke_api_key(&backend, &clock, &created.id).expect("revoke");
        assert!(!revoked.active);
        assert_eq!(revoked.revoked_at.as_deref(), Some("2026-11-21T10:00:00Z"));
        assert!(revoke_api_key(&backend, &clock, "0000000000000000").is_err());
        set_password(&backend, &clock, "ana", "correct horse battery").expect("set");
        assert!(verify_password(&backend, "ana", "correct horse battery").expect("check"));
        assert!(!verify_password(&backend, "ana", "wrong").expect("check"));
        assert!(!verify_password(&backend, "bob", "anything").expect("check"));
    }
}
