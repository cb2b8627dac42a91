//! Credentials: the secrets of API keys and passwords, which never reach storage.
//!
//! Storing them is [`fairshare_store::credentials::CredentialStore`]'s business (tables beside
//! the book, never the public event log; implemented by `fairshare-sqlite` and
//! `fairshare-postgres`). This module makes what is stored:
//!
//! - An API key is 32 random bytes shown once as `fsk_<base64url>`; only its SHA-256 is stored
//!   (a fast hash is enough for a 256-bit random secret: there is nothing to brute-force).
//! - A password is stored as an argon2id PHC string (slow on purpose: people pick weak ones).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
pub use fairshare_store::credentials::{CredentialError, CredentialResult, CredentialStore};
use sha2::{Digest, Sha256};

/// Every API key starts with this, so a leaked key is recognisable (e.g. by secret scanners).
pub const API_KEY_PREFIX: &str = "fsk_";
/// Random bytes in a key.
pub const API_KEY_BYTES: usize = 32;
/// Longest `Authorization` credential even looked up.
pub const API_KEY_LEN_MAX: usize = 128;
/// Shortest and longest password accepted.
pub const PASSWORD_LEN_MIN: usize = 8;
pub const PASSWORD_LEN_MAX: usize = 1_024;
/// Random bytes of an argon2 salt.
const SALT_BYTES: usize = 16;

/// A new random API key: `fsk_` and 32 random bytes in base64url (43 characters).
pub fn generate_api_key() -> CredentialResult<String> {
    let mut bytes = [0u8; API_KEY_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|e| CredentialError::Backend(format!("no randomness from the system: {e}")))?;
    Ok(format!("{API_KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// Hex SHA-256 of a key: what is stored and looked up (64 lowercase hex digits, as
/// [`fairshare_store::credentials::check_key_hash`] wants).
pub fn hash_api_key(key: &str) -> String {
    hex_lower(&Sha256::digest(key.as_bytes()))
}

fn hex_lower(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// The argon2id PHC string of a password, with a random salt.
pub fn hash_password(password: &str) -> CredentialResult<String> {
    let length = password.chars().count();
    if !(PASSWORD_LEN_MIN..=PASSWORD_LEN_MAX).contains(&length) {
        return Err(CredentialError::Invalid(format!(
            "a password needs {PASSWORD_LEN_MIN} to {PASSWORD_LEN_MAX} characters"
        )));
    }
    let mut salt = [0u8; SALT_BYTES];
    getrandom::fill(&mut salt)
        .map_err(|e| CredentialError::Backend(format!("no randomness from the system: {e}")))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| CredentialError::Backend(format!("salt: {e}")))?;
    // Argon2::default() is argon2id with the recommended parameters.
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| CredentialError::Backend(format!("argon2: {e}")))
}

/// Whether `password` matches a stored PHC string (false for a malformed one).
pub fn check_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
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
        assert_eq!(hash_api_key(&a).len(), 64);
        assert_eq!(hash_api_key(&a), hash_api_key(&a));
        fairshare_store::credentials::check_key_hash(&hash_api_key(&a)).expect("storable");
    }

    #[test]
    fn passwords_use_argon2id() {
        let phc = hash_password("correct horse").expect("hash");
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(check_password("correct horse", &phc));
        assert!(!check_password("wrong horse", &phc));
        assert!(!check_password("correct horse", "not a phc string"));
        fairshare_store::credentials::check_password_hash(&phc).expect("storable");
        assert!(matches!(
            hash_password("short"),
            Err(CredentialError::Invalid(_))
        ));
    }
}
