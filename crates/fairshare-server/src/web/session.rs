//! Dashboard sessions and CSRF tokens.
//!
//! A session is a random 256-bit id in an `HttpOnly; SameSite=Strict; Path=/` cookie; the
//! server keeps only its SHA-256, with the agent, a per-session CSRF token and an expiry.
//! Sessions live in memory: they end when the server restarts (people log in again), and
//! they expire after [`SESSION_TTL`]. Every form carries the CSRF token in a hidden field and
//! every POST checks it (403 when missing or wrong). The login form, before any session, uses
//! a double-submit token: a random value in a short-lived cookie and in the form.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use fairshare_ops::credentials::hash_api_key;

/// The session cookie.
pub const SESSION_COOKIE: &str = "fs_session";
/// The login form's double-submit cookie.
pub const LOGIN_COOKIE: &str = "fs_login";
/// The public join form's double-submit cookie.
pub const JOIN_COOKIE: &str = "fs_join";
/// How long a session lasts after logging in.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);
/// Most live sessions kept; the expired ones are dropped first, then the oldest.
pub const SESSIONS_MAX: usize = 10_000;

#[derive(Debug, Clone)]
pub struct Session {
    pub agent: String,
    pub csrf: String,
    expires: Instant,
}

#[derive(Default)]
pub struct Sessions {
    /// SHA-256 (hex) of the session id -> session.
    by_hash: Mutex<HashMap<String, Session>>,
}

/// 32 random bytes in base64url.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // The system's randomness is always there on the platforms we serve from; without it no
    // session can be safe, so fail loudly.
    getrandom::fill(&mut bytes).expect("no randomness from the system");
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Sessions {
    /// Opens a session for `agent`: returns the id for the cookie (never stored) and the
    /// session.
    pub fn create(&self, agent: &str) -> (String, Session) {
        let id = random_token();
        let session = Session {
            agent: agent.to_string(),
            csrf: random_token(),
            expires: Instant::now() + SESSION_TTL,
        };
        if let Ok(mut map) = self.by_hash.lock() {
            if map.len() >= SESSIONS_MAX {
                let now = Instant::now();
                map.retain(|_, s| s.expires > now);
                if map.len() >= SESSIONS_MAX {
                    map.clear();
                }
            }
            map.insert(hash_api_key(&id), session.clone());
        }
        (id, session)
    }

    /// The live session of a cookie value.
    pub fn get(&self, id: &str) -> Option<Session> {
        let hash = hash_api_key(id);
        let mut map = self.by_hash.lock().ok()?;
        match map.get(&hash) {
            Some(s) if s.expires > Instant::now() => Some(s.clone()),
            Some(_) => {
                map.remove(&hash);
                None
            }
            None => None,
        }
    }

    pub fn remove(&self, id: &str) {
        if let Ok(mut map) = self.by_hash.lock() {
            map.remove(&hash_api_key(id));
        }
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: `HttpOnly; SameSite=Strict; Path=/`.
pub fn set_cookie(name: &str, value: &str, max_age: Option<Duration>) -> String {
    let age = match max_age {
        Some(age) => format!("; Max-Age={}", age.as_secs()),
        None => String::new(),
    };
    format!("{name}={value}; HttpOnly; SameSite=Strict; Path=/{age}")
}

/// A `Set-Cookie` value that removes the cookie.
pub fn clear_cookie(name: &str) -> String {
    format!("{name}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

/// Constant-time comparison of two tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_found_by_id_and_removed() {
        let sessions = Sessions::default();
        let (id, session) = sessions.create("ana");
        assert_eq!(sessions.get(&id).expect("live").agent, "ana");
        assert_eq!(sessions.get(&id).expect("live").csrf, session.csrf);
        assert!(sessions.get("other").is_none());
        // Only the hash is kept.
        assert!(!sessions.by_hash.lock().expect("lock").contains_key(&id));
        sessions.remove(&id);
        assert!(sessions.get(&id).is_none());
    }

    #[test]
    fn cookies_are_parsed_and_tokens_compared() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, "a=1; fs_session=xyz; b=2".parse().expect("header"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&headers, "c"), None);
        assert!(same_token("abc", "abc") && !same_token("abc", "abd") && !same_token("a", "ab"));
        assert!(set_cookie("x", "y", None).contains("HttpOnly; SameSite=Strict; Path=/"));
    }
}
