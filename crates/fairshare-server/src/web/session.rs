//! Dashboard sessions, CSRF tokens and the login form's token.
//!
//! A session is a random 256-bit id in an `HttpOnly; SameSite=Strict; Path=/` cookie (and
//! `Secure` when the server is reached over HTTPS); the server keeps only its SHA-256, with the
//! agent, a per-session CSRF token, when it was opened and last used, the agent's role and a
//! fingerprint of the password it was opened with. Sessions live in memory: they end when the
//! server restarts (people log in again); they end after [`SessionConfig::idle`] without a
//! request and [`SessionConfig::absolute`] after logging in, whichever comes first; and the
//! dashboard ends one whose agent's role or password changed since (see `Viewer`), which every
//! server on the book sees, since roles are in the book and passwords in its credential store.
//!
//! Every form carries the CSRF token in a hidden field and every POST checks it (403 when
//! missing or wrong). The login form, before any session, carries a token the server issued
//! and signed (HMAC-SHA256 with a key drawn when the server starts, and an expiry), also set
//! in a short-lived cookie: a script cannot invent one (`-b fs_login=abc -d csrf=abc` is
//! refused) and another site cannot read one.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use fairshare_core::Role;
use fairshare_ops::credentials::hash_api_key;

/// The session cookie.
pub const SESSION_COOKIE: &str = "fs_session";
/// The login form's cookie.
pub const LOGIN_COOKIE: &str = "fs_login";
/// How long a login form's token is accepted.
pub const LOGIN_TOKEN_TTL: Duration = Duration::from_secs(60 * 60);
/// The public join form's cookie (a token this server signed, as the login form's).
pub const JOIN_COOKIE: &str = "fs_join";
/// Most live sessions kept; the expired ones are dropped first, then the oldest.
pub const SESSIONS_MAX: usize = 10_000;

/// How long sessions last, and whether their cookies are `Secure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// A session ends after this long without a request.
    pub idle: Duration,
    /// A session ends this long after logging in, however busy.
    pub absolute: Duration,
    /// Cookies get `Secure` (the server is reached over HTTPS).
    pub secure: bool,
}

impl Default for SessionConfig {
    /// 30 minutes idle, 12 hours in all, cookies without `Secure`.
    fn default() -> SessionConfig {
        SessionConfig {
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(12 * 60 * 60),
            secure: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub agent: String,
    pub csrf: String,
    /// The agent's role when the session was opened.
    pub role: Option<Role>,
    /// SHA-256 of the password hash it was opened with.
    pub password: String,
    opened: Instant,
    last_seen: Instant,
}

pub struct Sessions {
    /// SHA-256 (hex) of the session id -> session.
    by_hash: Mutex<HashMap<String, Session>>,
    pub config: SessionConfig,
    /// Signs login tokens; drawn when the server starts.
    key: [u8; 32],
}

/// 32 random bytes in base64url.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes())
}

fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    // The system's randomness is always there on the platforms we serve from; without it no
    // session can be safe, so fail loudly.
    getrandom::fill(&mut bytes).expect("no randomness from the system");
    bytes
}

/// HMAC-SHA256 (RFC 2104) of `message` under a 32-byte key.
fn hmac(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    let pad = |byte: u8| {
        let mut block = [byte; 64];
        block.iter_mut().zip(key).for_each(|(b, k)| *b ^= k);
        block
    };
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Sessions {
    pub fn new(config: SessionConfig) -> Sessions {
        Sessions {
            by_hash: Mutex::new(HashMap::new()),
            config,
            key: random_bytes(),
        }
    }

    /// A login form token: `EXPIRY.NONCE.MAC`, valid for [`LOGIN_TOKEN_TTL`].
    pub fn login_token(&self) -> String {
        let payload = format!(
            "{}.{}",
            unix_now() + LOGIN_TOKEN_TTL.as_secs(),
            random_token()
        );
        let mac = URL_SAFE_NO_PAD.encode(hmac(&self.key, payload.as_bytes()));
        format!("{payload}.{mac}")
    }

    /// Whether `token` is a login token this server issued that has not expired.
    pub fn valid_login_token(&self, token: &str) -> bool {
        let Some((payload, mac)) = token.rsplit_once('.') else {
            return false;
        };
        let expected = URL_SAFE_NO_PAD.encode(hmac(&self.key, payload.as_bytes()));
        let fresh = payload
            .split_once('.')
            .and_then(|(expiry, _)| expiry.parse::<u64>().ok())
            .is_some_and(|expiry| unix_now() < expiry);
        same_token(&expected, mac) && fresh
    }

    /// Opens a session for `agent`, with the role and password fingerprint it logs in with:
    /// returns the id for the cookie (never stored) and the session.
    pub fn create(&self, agent: &str, role: Option<Role>, password: String) -> (String, Session) {
        let id = random_token();
        let now = Instant::now();
        let session = Session {
            agent: agent.to_string(),
            csrf: random_token(),
            role,
            password,
            opened: now,
            last_seen: now,
        };
        if let Ok(mut map) = self.by_hash.lock() {
            if map.len() >= SESSIONS_MAX {
                map.retain(|_, s| self.live(s, now));
                if map.len() >= SESSIONS_MAX {
                    map.clear();
                }
            }
            map.insert(hash_api_key(&id), session.clone());
        }
        (id, session)
    }

    fn live(&self, session: &Session, now: Instant) -> bool {
        now.duration_since(session.last_seen) < self.config.idle
            && now.duration_since(session.opened) < self.config.absolute
    }

    /// The live session of a cookie value; using it keeps it from going idle.
    pub fn get(&self, id: &str) -> Option<Session> {
        let hash = hash_api_key(id);
        let mut map = self.by_hash.lock().ok()?;
        let now = Instant::now();
        match map.get_mut(&hash) {
            Some(s) if self.live(s, now) => {
                s.last_seen = now;
                Some(s.clone())
            }
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

    /// A `Set-Cookie` value: `HttpOnly; SameSite=Strict; Path=/`, and `Secure` over HTTPS.
    pub fn set_cookie(&self, name: &str, value: &str, max_age: Option<Duration>) -> String {
        let age = match max_age {
            Some(age) => format!("; Max-Age={}", age.as_secs()),
            None => String::new(),
        };
        format!("{name}={value}{}{age}", self.attributes())
    }

    /// A `Set-Cookie` value that removes the cookie.
    pub fn clear_cookie(&self, name: &str) -> String {
        format!("{name}={}; Max-Age=0", self.attributes())
    }

    fn attributes(&self) -> &'static str {
        if self.config.secure {
            "; HttpOnly; SameSite=Strict; Path=/; Secure"
        } else {
            "; HttpOnly; SameSite=Strict; Path=/"
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
        let sessions = Sessions::new(SessionConfig::default());
        let (id, session) = sessions.create("ana", Some(Role::Affiliate), "p".into());
        assert_eq!(sessions.get(&id).expect("live").agent, "ana");
        assert_eq!(sessions.get(&id).expect("live").csrf, session.csrf);
        assert!(sessions.get("other").is_none());
        // Only the hash is kept.
        assert!(!sessions.by_hash.lock().expect("lock").contains_key(&id));
        sessions.remove(&id);
        assert!(sessions.get(&id).is_none());
    }

    #[test]
    fn sessions_end_when_idle_and_when_old() {
        let idle = Sessions::new(SessionConfig {
            idle: Duration::from_millis(300),
            absolute: Duration::from_secs(60),
            secure: false,
        });
        let (id, _) = idle.create("ana", None, String::new());
        for _ in 0..4 {
            std::thread::sleep(Duration::from_millis(100));
            assert!(idle.get(&id).is_some(), "used, so not idle");
        }
        std::thread::sleep(Duration::from_millis(400));
        assert!(idle.get(&id).is_none(), "idle");
        let old = Sessions::new(SessionConfig {
            idle: Duration::from_secs(60),
            absolute: Duration::from_millis(300),
            secure: false,
        });
        let (id, _) = old.create("ana", None, String::new());
        std::thread::sleep(Duration::from_millis(150));
        assert!(old.get(&id).is_some());
        std::thread::sleep(Duration::from_millis(200));
        assert!(old.get(&id).is_none(), "past its absolute life");
    }

    #[test]
    fn login_tokens_are_signed_by_this_server() {
        let sessions = Sessions::new(SessionConfig::default());
        let token = sessions.login_token();
        assert!(sessions.valid_login_token(&token));
        assert!(!sessions.valid_login_token("abc"));
        assert!(!sessions.valid_login_token(&token.replace('.', "x")));
        let (payload, mac) = token.rsplit_once('.').expect("mac");
        let (expiry, nonce) = payload.split_once('.').expect("expiry");
        let later = format!("{}.{nonce}.{mac}", expiry.parse::<u64>().expect("n") + 1);
        assert!(!sessions.valid_login_token(&later), "a changed expiry");
        let expired = format!("1.{nonce}");
        let signed = URL_SAFE_NO_PAD.encode(hmac(&sessions.key, expired.as_bytes()));
        assert!(!sessions.valid_login_token(&format!("{expired}.{signed}")));
        let other = Sessions::new(SessionConfig::default());
        assert!(!other.valid_login_token(&token), "another server's key");
        // RFC 4231 test case 2 has a short key; check the construction on a 32-byte one
        // against its definition instead.
        let key = [7u8; 32];
        let mut ipad = [0x36u8; 64];
        let mut opad = [0x5cu8; 64];
        for i in 0..32 {
            ipad[i] ^= 7;
            opad[i] ^= 7;
        }
        let inner = Sha256::digest([&ipad[..], b"m"].concat());
        let outer: [u8; 32] = Sha256::digest([&opad[..], &inner[..]].concat()).into();
        assert_eq!(hmac(&key, b"m"), outer);
    }

    #[test]
    fn cookies_are_parsed_and_tokens_compared() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, "a=1; fs_session=xyz; b=2".parse().expect("header"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&headers, "c"), None);
        assert!(same_token("abc", "abc") && !same_token("abc", "abd") && !same_token("a", "ab"));
        let plain = Sessions::new(SessionConfig::default());
        assert_eq!(
            plain.set_cookie("x", "y", None),
            "x=y; HttpOnly; SameSite=Strict; Path=/"
        );
        let secure = Sessions::new(SessionConfig {
            secure: true,
            ..SessionConfig::default()
        });
        assert_eq!(
            secure.set_cookie("x", "y", Some(Duration::from_secs(5))),
            "x=y; HttpOnly; SameSite=Strict; Path=/; Secure; Max-Age=5"
        );
        assert_eq!(
            secure.clear_cookie("x"),
            "x=; HttpOnly; SameSite=Strict; Path=/; Secure; Max-Age=0"
        );
    }
}
