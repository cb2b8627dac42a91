//! The credential storage boundary: API keys and passwords of agents.
//!
//! Credentials are not accounting data and never enter the public event log: each backend keeps
//! them in tables of their own beside the log (same SQLite file, same PostgreSQL schema). The
//! store keeps what the server hands it and checks its shape; generating keys, hashing them and
//! hashing passwords (argon2id) is the caller's business.
//!
//! - An **API key** is stored by the hex SHA-256 of the key, never the key. Its public id
//!   ([`api_key_id`]) is the first [`API_KEY_ID_LEN`] hex digits of that hash: stable, derived
//!   the same way by every backend (and by the migration of keys stored before ids existed),
//!   and recomputable by whoever holds the key. Knowing it does not help to forge a key (it is
//!   part of a hash of 256 random bits). A key may expire (`expires_at`) and may be revoked
//!   (`revoked_at`); a revocation is final.
//! - A **password** is stored as a PHC string (`$argon2id$...`) with the time it was set, so
//!   that sessions opened before a change can be told apart from later ones.
//!
//! **Times** are RFC 3339 UTC with whole seconds in exactly one shape,
//! `YYYY-MM-DDTHH:MM:SSZ` (e.g. `2026-11-21T10:20:49Z`), refused otherwise. Stores compare them
//! as text: strings of one fixed width whose digits sit at the same positions order
//! lexicographically exactly as the instants they name. That is why no other shape (an offset,
//! fractions of a second) is accepted.
//!
//! Implementations must not cache: several processes share one book, and a key revoked by one
//! must be refused by the next lookup of any other. Like [`crate::Store`], the trait is
//! synchronous (call it from a blocking thread); every method checks its input with the
//! functions of this module before touching the database, so bad input writes nothing.

use std::fmt;

use thiserror::Error;

/// Hex digits of a key hash: a SHA-256 in lowercase hex.
pub const KEY_HASH_LEN: usize = 64;
/// Hex digits of an API key's public id (a prefix of its hash: 64 bits).
pub const API_KEY_ID_LEN: usize = 16;
/// Most live keys (neither revoked nor expired) one agent may hold.
pub const API_KEYS_PER_AGENT_MAX: usize = 100;
/// Longest agent handle stored, in bytes (the core allows far shorter handles; this bounds
/// what reaches the database whatever calls it).
pub const AGENT_LEN_MAX: usize = 256;
/// Longest password hash (PHC string) stored, in bytes. An argon2id PHC string is under 128.
pub const PASSWORD_HASH_LEN_MAX: usize = 512;
/// Length of a time: `YYYY-MM-DDTHH:MM:SSZ`.
pub const TIME_LEN: usize = 20;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum CredentialError {
    /// Refused input: a malformed hash, id, agent or time, a duplicate key, too many keys.
    /// Nothing was written.
    #[error("{0}")]
    Invalid(String),
    /// A well-formed id that names no stored key.
    #[error("{0}")]
    NotFound(String),
    /// The database failed.
    #[error("credential storage: {0}")]
    Backend(String),
}

pub type CredentialResult<T> = Result<T, CredentialError>;

/// The refusals every backend words alike.
impl CredentialError {
    /// `agent` already holds `live` (at least [`API_KEYS_PER_AGENT_MAX`]) live keys.
    pub fn too_many_keys(agent: &str, live: u64) -> CredentialError {
        CredentialError::Invalid(format!(
            "agent {agent:?} already holds {live} live API keys, the most allowed is \
             {API_KEYS_PER_AGENT_MAX}: revoke one first"
        ))
    }

    /// A key with this hash (and so this id) is stored already.
    pub fn key_already_stored(id: &str) -> CredentialError {
        CredentialError::Invalid(format!(
            "API key {id} is already stored: a key is stored once, for one agent"
        ))
    }

    /// No stored key has this id.
    pub fn unknown_key(id: &str) -> CredentialError {
        CredentialError::NotFound(format!("no API key with id {id}"))
    }
}

/// A key to store (see [`CredentialStore::add_api_key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewApiKey<'a> {
    pub agent: &'a str,
    /// Hex SHA-256 of the key ([`KEY_HASH_LEN`] lowercase hex digits), never the key.
    pub key_hash: &'a str,
    pub created_at: &'a str,
    /// From this second on the key is refused; after `created_at` when given.
    pub expires_at: Option<&'a str>,
}

impl NewApiKey<'_> {
    /// Checks every field (see the module's rules).
    pub fn check(&self) -> CredentialResult<()> {
        check_agent(self.agent)?;
        check_key_hash(self.key_hash)?;
        check_time("created_at", self.created_at)?;
        if let Some(expires_at) = self.expires_at {
            check_time("expires_at", expires_at)?;
            if expires_at <= self.created_at {
                return Err(CredentialError::Invalid(format!(
                    "an API key must expire after it is created: expires_at {expires_at} is \
                     not after created_at {}",
                    self.created_at
                )));
            }
        }
        Ok(())
    }

    /// The public id the key will have.
    pub fn id(&self) -> String {
        api_key_id(self.key_hash)
    }

    /// The key as a store answers it once added: its id, not revoked.
    pub fn stored(&self) -> ApiKey {
        ApiKey {
            id: self.id(),
            agent: self.agent.to_owned(),
            created_at: self.created_at.to_owned(),
            expires_at: self.expires_at.map(str::to_owned),
            revoked_at: None,
        }
    }
}

/// A stored API key, without its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// The public id: [`api_key_id`] of the hash.
    pub id: String,
    pub agent: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    /// When it was first revoked; a revoked key is refused whatever the time.
    pub revoked_at: Option<String>,
}

impl ApiKey {
    /// Whether the key is accepted at `now`: not revoked and not expired (a key expires AT
    /// `expires_at`). The rule every store's lookup applies.
    pub fn is_active(&self, now: &str) -> bool {
        self.revoked_at.is_none() && self.expires_at.as_deref().is_none_or(|at| now < at)
    }
}

/// A stored password hash.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredPassword {
    /// The PHC string, e.g. `$argon2id$v=19$m=19456,t=2,p=1$...`.
    pub phc: String,
    /// When it was last set.
    pub updated_at: String,
}

impl fmt::Debug for StoredPassword {
    /// Shows the algorithm only: a password hash in a log invites offline guessing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let algorithm = self.phc.split('$').nth(1).unwrap_or("?");
        f.debug_struct("StoredPassword")
            .field("phc", &format_args!("${algorithm}$…"))
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// Where credentials are kept. Every method checks its input first (nothing is written on a
/// refusal) and reads the database on every call (no caching: other processes write too).
pub trait CredentialStore: Send {
    /// Stores a key and returns its record. [`CredentialError::Invalid`] for a malformed field,
    /// a hash already stored, or an agent that already holds [`API_KEYS_PER_AGENT_MAX`] keys
    /// live at `created_at`.
    fn add_api_key(&mut self, key: &NewApiKey<'_>) -> CredentialResult<ApiKey>;

    /// The key with this hash if it is active at `now` (see [`ApiKey::is_active`]).
    fn find_active_api_key(
        &mut self,
        key_hash: &str,
        now: &str,
    ) -> CredentialResult<Option<ApiKey>>;

    /// Every key of `agent`, revoked and expired ones included: oldest first (by
    /// `created_at`, then by id).
    fn list_api_keys(&mut self, agent: &str) -> CredentialResult<Vec<ApiKey>>;

    /// Revokes a key at `at` and returns its record. Idempotent: a key already revoked keeps
    /// its first `revoked_at`. [`CredentialError::NotFound`] for an unknown id.
    fn revoke_api_key(&mut self, id: &str, at: &str) -> CredentialResult<ApiKey>;

    /// Sets or replaces `agent`'s password hash.
    fn set_password(&mut self, agent: &str, phc: &str, updated_at: &str) -> CredentialResult<()>;

    /// `agent`'s password hash, if it has one.
    fn password(&mut self, agent: &str) -> CredentialResult<Option<StoredPassword>>;
}

/// The public id of the key whose hash is `key_hash`: its first [`API_KEY_ID_LEN`] hex digits.
/// Check the hash first ([`check_key_hash`]); a shorter string gives a shorter id.
pub fn api_key_id(key_hash: &str) -> String {
    key_hash.chars().take(API_KEY_ID_LEN).collect()
}

/// An agent handle: 1 to [`AGENT_LEN_MAX`] bytes, no control characters (PostgreSQL cannot
/// store NUL; both backends refuse the same input).
pub fn check_agent(agent: &str) -> CredentialResult<()> {
    if agent.is_empty() || agent.len() > AGENT_LEN_MAX {
        return Err(CredentialError::Invalid(format!(
            "an agent handle needs 1 to {AGENT_LEN_MAX} bytes, got {}",
            agent.len()
        )));
    }
    if agent.chars().any(char::is_control) {
        return Err(CredentialError::Invalid(
            "an agent handle cannot contain control characters".into(),
        ));
    }
    Ok(())
}

/// A key hash: exactly [`KEY_HASH_LEN`] lowercase hex digits. The message never repeats the
/// value: a caller that passed the key itself by mistake must not see it logged.
pub fn check_key_hash(key_hash: &str) -> CredentialResult<()> {
    if !is_lower_hex(key_hash, KEY_HASH_LEN) {
        return Err(CredentialError::Invalid(format!(
            "an API key hash must be the SHA-256 of the key in {KEY_HASH_LEN} lowercase hex \
             digits (got {} characters{}); the key itself is never stored",
            key_hash.chars().count(),
            if key_hash.len() == KEY_HASH_LEN {
                ", not all of them lowercase hex"
            } else {
                ""
            }
        )));
    }
    Ok(())
}

/// An API key id: exactly [`API_KEY_ID_LEN`] lowercase hex digits.
pub fn check_key_id(id: &str) -> CredentialResult<()> {
    if !is_lower_hex(id, API_KEY_ID_LEN) {
        return Err(CredentialError::Invalid(format!(
            "an API key id is {API_KEY_ID_LEN} lowercase hex digits, got {:?}",
            shorten(id)
        )));
    }
    Ok(())
}

/// A password hash: a PHC string (`$algorithm$...`) of at most [`PASSWORD_HASH_LEN_MAX`]
/// bytes. Refuses what is plainly not a hash (a password passed by mistake, mostly) without
/// repeating it.
pub fn check_password_hash(phc: &str) -> CredentialResult<()> {
    let algorithm = phc
        .strip_prefix('$')
        .and_then(|rest| rest.split_once('$'))
        .map(|(algorithm, _)| algorithm);
    let plausible = algorithm.is_some_and(|a| {
        !a.is_empty()
            && a.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    });
    if !plausible || phc.len() > PASSWORD_HASH_LEN_MAX || phc.chars().any(char::is_control) {
        return Err(CredentialError::Invalid(format!(
            "a password hash must be a PHC string such as `$argon2id$v=19$...` of at most \
             {PASSWORD_HASH_LEN_MAX} bytes (got {} bytes); the password itself is never stored",
            phc.len()
        )));
    }
    Ok(())
}

/// A time in the one shape stores compare as text: `YYYY-MM-DDTHH:MM:SSZ`, UTC, with a real
/// month, day (up to 31), hour, minute and second. `field` names it in the message.
pub fn check_time(field: &str, value: &str) -> CredentialResult<()> {
    let bad = || {
        CredentialError::Invalid(format!(
            "{field} must be a UTC time such as 2026-11-21T10:20:49Z (whole seconds, `Z`), \
             got {:?}",
            shorten(value)
        ))
    };
    let bytes = value.as_bytes();
    if bytes.len() != TIME_LEN {
        return Err(bad());
    }
    for (i, &byte) in bytes.iter().enumerate() {
        let expected = match i {
            4 | 7 => b'-',
            10 => b'T',
            13 | 16 => b':',
            19 => b'Z',
            _ => {
                if !byte.is_ascii_digit() {
                    return Err(bad());
                }
                continue;
            }
        };
        if byte != expected {
            return Err(bad());
        }
    }
    let number = |from: usize, to: usize| -> u32 {
        bytes[from..to]
            .iter()
            .fold(0, |n, &digit| n * 10 + u32::from(digit - b'0'))
    };
    let in_range = (1..=12).contains(&number(5, 7))
        && (1..=31).contains(&number(8, 10))
        && number(11, 13) < 24
        && number(14, 16) < 60
        && number(17, 19) < 60;
    if !in_range {
        return Err(bad());
    }
    Ok(())
}

fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// At most 40 characters of a refused value, for messages.
fn shorten(value: &str) -> String {
    const MAX: usize = 40;
    match value.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &value[..i]),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn times_have_one_shape() {
        check_time("t", "2026-11-21T10:20:49Z").expect("a good time");
        check_time("t", "0000-01-01T00:00:00Z").expect("year zero still compares");
        for bad in [
            "",
            "2026-11-21",
            "2026-11-21T10:20:49",
            "2026-11-21T10:20:49.5Z",
            "2026-11-21T10:20:49+00:00",
            "2026-11-21 10:20:49Z",
            "2026-13-21T10:20:49Z",
            "2026-00-21T10:20:49Z",
            "2026-11-32T10:20:49Z",
            "2026-11-21T24:00:00Z",
            "2026-11-21T10:60:00Z",
            "2026-11-21T10:20:60Z",
            "2026-11-21t10:20:49z",
            "２０２６-11-21T10:20:49Z",
        ] {
            let e = check_time("expires_at", bad).expect_err(bad);
            assert!(e.to_string().starts_with("expires_at must be"), "{e}");
        }
    }

    #[test]
    fn fixed_width_times_compare_as_instants() {
        let ordered = [
            "1999-12-31T23:59:59Z",
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:01Z",
            "2026-01-01T00:01:00Z",
            "2026-01-01T01:00:00Z",
            "2026-01-02T00:00:00Z",
            "2026-02-01T00:00:00Z",
            "2026-10-01T00:00:00Z",
            "2027-01-01T00:00:00Z",
        ];
        for pair in ordered.windows(2) {
            assert!(pair[0] < pair[1], "{} < {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn new_keys_are_checked() {
        let key = NewApiKey {
            agent: "ana",
            key_hash: HASH,
            created_at: "2026-11-21T10:20:49Z",
            expires_at: Some("2026-11-22T10:20:49Z"),
        };
        key.check().expect("a good key");
        assert_eq!(key.id(), "0123456789abcdef");
        let same_second = NewApiKey {
            expires_at: Some(key.created_at),
            ..key
        };
        assert!(same_second.check().is_err());
        let secret = "fsk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        let e = NewApiKey {
            key_hash: secret,
            ..key
        }
        .check()
        .expect_err("a key is not a hash");
        assert!(!e.to_string().contains("fsk_"), "{e}");
        assert!(check_key_hash(&HASH.to_uppercase()).is_err());
        assert!(check_agent("").is_err());
        assert!(check_agent("a\0b").is_err());
        assert!(check_agent(&"a".repeat(AGENT_LEN_MAX + 1)).is_err());
        check_agent(&"é".repeat(AGENT_LEN_MAX / 2)).expect("multi-byte handle at the limit");
    }

    #[test]
    fn ids_and_password_hashes_are_checked() {
        check_key_id("0123456789abcdef").expect("id");
        assert!(check_key_id("0123456789ABCDEF").is_err());
        assert!(check_key_id("0123").is_err());
        check_password_hash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA").expect("phc");
        for bad in ["", "hunter22", "$$", "$Argon2$x", "$argon2id"] {
            assert!(check_password_hash(bad).is_err(), "{bad:?} must be refused");
        }
        let e = check_password_hash("hunter22").expect_err("a password");
        assert!(!e.to_string().contains("hunter22"), "{e}");
        assert!(check_password_hash(&format!("$x${}", "a".repeat(PASSWORD_HASH_LEN_MAX))).is_err());
    }

    #[test]
    fn activity_follows_expiry_and_revocation() {
        let mut key = ApiKey {
            id: "0123456789abcdef".into(),
            agent: "ana".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            expires_at: Some("2026-02-01T00:00:00Z".into()),
            revoked_at: None,
        };
        assert!(key.is_active("2026-01-31T23:59:59Z"));
        assert!(!key.is_active("2026-02-01T00:00:00Z"));
        key.expires_at = None;
        assert!(key.is_active("9999-12-31T23:59:59Z"));
        key.revoked_at = Some("2030-01-01T00:00:00Z".into());
        assert!(
            !key.is_active("2026-01-01T00:00:00Z"),
            "revocation is final"
        );
    }

    #[test]
    fn password_debug_hides_the_hash() {
        let stored = StoredPassword {
            phc: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
        };
        let shown = format!("{stored:?}");
        assert!(
            shown.contains("argon2id") && !shown.contains("aGFzaA"),
            "{shown}"
        );
    }
}
