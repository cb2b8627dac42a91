//! Credentials: API keys and passwords of agents.
//!
//! They are not accounting data and never enter the public event log: they live in their own
//! tables (`fs_api_keys`, `fs_credentials`) in the same database as the book, created by this
//! crate: in the SQLite file through its own connection, or in the book's PostgreSQL schema.
//!
//! - An API key is 32 random bytes shown once as `fsk_<base64url>`; only its SHA-256 is stored
//!   (a fast hash is enough for a 256-bit random secret: there is nothing to brute-force).
//! - A password is stored as an argon2id PHC string (slow on purpose: people pick weak ones).

use std::path::Path;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use thiserror::Error;

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
/// How long a SQLite statement waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Error)]
pub enum CredentialError {
    /// A refused input (a too short password).
    #[error("{0}")]
    Invalid(String),
    /// The database failed.
    #[error("credential storage: {0}")]
    Backend(String),
}

pub type CredentialResult<T> = Result<T, CredentialError>;

/// Where credentials are kept. Synchronous, like the event stores: call it from a blocking
/// thread.
pub trait CredentialStore: Send {
    /// Records a key by its hash (see [`hash_api_key`]).
    fn add_api_key(
        &mut self,
        agent: &str,
        key_hash: &str,
        created_at: &str,
    ) -> CredentialResult<()>;
    /// The agent a key hash belongs to.
    fn agent_for_key(&mut self, key_hash: &str) -> CredentialResult<Option<String>>;
    /// Sets or replaces an agent's password (an argon2id PHC string).
    fn set_password(&mut self, agent: &str, phc: &str, updated_at: &str) -> CredentialResult<()>;
    /// An agent's password hash, if it has one.
    fn password_hash(&mut self, agent: &str) -> CredentialResult<Option<String>>;
}

/// A new random API key: `fsk_` and 32 random bytes in base64url (43 characters).
pub fn generate_api_key() -> CredentialResult<String> {
    let mut bytes = [0u8; API_KEY_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|e| CredentialError::Backend(format!("no randomness from the system: {e}")))?;
    Ok(format!("{API_KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// Hex SHA-256 of a key: what is stored and looked up.
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

const SQLITE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS fs_api_keys (
    key_hash   TEXT PRIMARY KEY,
    agent      TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fs_api_keys_agent ON fs_api_keys (agent);
CREATE TABLE IF NOT EXISTS fs_credentials (
    agent        TEXT PRIMARY KEY,
    password_phc TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
";

/// Credentials in the book's SQLite file, through a connection of their own.
pub struct SqliteCredentials {
    conn: rusqlite::Connection,
}

fn sqlite_error(error: rusqlite::Error) -> CredentialError {
    CredentialError::Backend(error.to_string())
}

impl SqliteCredentials {
    /// Opens the file (which must be a book already) and creates the tables if absent.
    pub fn open(path: &Path) -> CredentialResult<SqliteCredentials> {
        let conn = rusqlite::Connection::open(path).map_err(sqlite_error)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sqlite_error)?;
        // The book set WAL mode (persistent); FULL makes a new key durable when created.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sqlite_error)?;
        conn.execute_batch(SQLITE_SCHEMA).map_err(sqlite_error)?;
        Ok(SqliteCredentials { conn })
    }
}

impl CredentialStore for SqliteCredentials {
    fn add_api_key(
        &mut self,
        agent: &str,
        key_hash: &str,
        created_at: &str,
    ) -> CredentialResult<()> {
        self.conn
            .execute(
                "INSERT INTO fs_api_keys (key_hash, agent, created_at) VALUES (?1, ?2, ?3)",
                rusqlite::params![key_hash, agent, created_at],
            )
            .map_err(sqlite_error)?;
        Ok(())
    }

    fn agent_for_key(&mut self, key_hash: &str) -> CredentialResult<Option<String>> {
        use rusqlite::OptionalExtension as _;
        self.conn
            .prepare_cached("SELECT agent FROM fs_api_keys WHERE key_hash = ?1")
            .and_then(|mut stmt| stmt.query_row([key_hash], |row| row.get(0)).optional())
            .map_err(sqlite_error)
    }

    fn set_password(&mut self, agent: &str, phc: &str, updated_at: &str) -> CredentialResult<()> {
        self.conn
            .execute(
                "INSERT INTO fs_credentials (agent, password_phc, updated_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (agent) DO UPDATE SET password_phc = excluded.password_phc, \
                 updated_at = excluded.updated_at",
                rusqlite::params![agent, phc, updated_at],
            )
            .map_err(sqlite_error)?;
        Ok(())
    }

    fn password_hash(&mut self, agent: &str) -> CredentialResult<Option<String>> {
        use rusqlite::OptionalExtension as _;
        self.conn
            .query_row(
                "SELECT password_phc FROM fs_credentials WHERE agent = ?1",
                [agent],
                |row| row.get(0),
            )
            .optional()
            .map_err(sqlite_error)
    }
}

/// Credentials in the book's PostgreSQL schema.
pub struct PostgresCredentials {
    client: postgres::Client,
}

fn pg_error(error: postgres::Error) -> CredentialError {
    let message = match error.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => error.to_string(),
    };
    CredentialError::Backend(message)
}

impl PostgresCredentials {
    /// Connects to the book's database and schema (`?schema=NAME`, default `public`) and
    /// creates the tables if absent.
    pub fn open(url: &str) -> CredentialResult<PostgresCredentials> {
        let (conn_str, schema) = split_schema(url)?;
        let mut client = postgres::Client::connect(&conn_str, postgres::NoTls).map_err(pg_error)?;
        // The schema name was checked to be a plain identifier: quoting is enough.
        client
            .batch_execute(&format!("SET search_path TO \"{schema}\""))
            .map_err(pg_error)?;
        let create = "
            CREATE TABLE IF NOT EXISTS fs_api_keys (
                key_hash   TEXT PRIMARY KEY,
                agent      TEXT NOT NULL,
                            created_at TEXT NOT NULL
            );
            CREATE INDEX IF NOT EXISTS fs_api_keys_agent ON fs_api_keys (agent);
            CREATE TABLE IF NOT EXISTS fs_credentials (
                agent        TEXT PRIMARY KEY,
                password_phc TEXT NOT NULL,
                updated_at   TEXT NOT NULL
            );";
        // Two processes creating the tables at once may collide on the catalog; the loser
        // finds them made on its second try.
        if let Err(first) = client.batch_execute(create) {
            client.batch_execute(create).map_err(|_| pg_error(first))?;
        }
        Ok(PostgresCredentials { client })
    }
}

impl CredentialStore for PostgresCredentials {
    fn add_api_key(
        &mut self,
        agent: &str,
        key_hash: &str,
        created_at: &str,
    ) -> CredentialResult<()> {
        self.client
            .execute(
                "INSERT INTO fs_api_keys (key_hash, agent, created_at) VALUES ($1, $2, $3)",
                &[&key_hash, &agent, &created_at],
            )
            .map_err(pg_error)?;
        Ok(())
    }

    fn agent_for_key(&mut self, key_hash: &str) -> CredentialResult<Option<String>> {
        let row = self
            .client
            .query_opt(
                "SELECT agent FROM fs_api_keys WHERE key_hash = $1",
                &[&key_hash],
            )
            .map_err(pg_error)?;
        row.map(|row| row.try_get(0)).transpose().map_err(pg_error)
    }

    fn set_password(&mut self, agent: &str, phc: &str, updated_at: &str) -> CredentialResult<()> {
        self.client
            .execute(
                "INSERT INTO fs_credentials (agent, password_phc, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (agent) DO UPDATE SET password_phc = excluded.password_phc, \
                 updated_at = excluded.updated_at",
                &[&agent, &phc, &updated_at],
            )
            .map_err(pg_error)?;
        Ok(())
    }

    fn password_hash(&mut self, agent: &str) -> CredentialResult<Option<String>> {
        let row = self
            .client
            .query_opt(
                "SELECT password_phc FROM fs_credentials WHERE agent = $1",
                &[&agent],
            )
            .map_err(pg_error)?;
        row.map(|row| row.try_get(0)).transpose().map_err(pg_error)
    }
}

/// Splits `?schema=NAME` off a PostgreSQL URL, as the event store does: the driver gets the
/// rest, the schema defaults to `public` and must be a plain identifier.
fn split_schema(url: &str) -> CredentialResult<(String, String)> {
    let bad = |why: &str| CredentialError::Invalid(format!("bad PostgreSQL URL: {why}"));
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut schema = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("schema", value)) => {
                schema = Some(percent_decode(value).ok_or_else(|| bad("bad %-escape in schema"))?)
            }
            _ => kept.push(pair),
        }
    }
    let schema = schema.unwrap_or_else(|| "public".to_string());
    let mut chars = schema.chars();
    let plain = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && schema.len() <= 63;
    if !plain {
        return Err(bad("the schema must be letters, digits and _"));
    }
    let mut conn_str = base.to_string();
    if !kept.is_empty() {
        conn_str.push('?');
        conn_str.push_str(&kept.join("&"));
    }
    Ok((conn_str, schema))
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                out.push(u8::from_str_radix(text.get(i + 1..i + 3)?, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
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
    }

    #[test]
    fn passwords_use_argon2id() {
        let phc = hash_password("correct horse").expect("hash");
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(check_password("correct horse", &phc));
        assert!(!check_password("wrong horse", &phc));
        assert!(!check_password("correct horse", "not a phc string"));
        assert!(matches!(
            hash_password("short"),
            Err(CredentialError::Invalid(_))
        ));
    }

    #[test]
    fn schema_is_split_off() {
        let (conn, schema) =
            split_schema("postgres://u@h:5432/db?schema=fs_1&sslmode=disable").expect("url");
        assert_eq!(conn, "postgres://u@h:5432/db?sslmode=disable");
        assert_eq!(schema, "fs_1");
        assert_eq!(split_schema("postgres://u@h/db").expect("url").1, "public");
        assert!(split_schema("postgres://u@h/db?schema=a;drop").is_err());
    }

    #[test]
    fn sqlite_credentials_round_trip() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("book.db");
        let mut store = SqliteCredentials::open(&path).expect("open");
        store
            .add_api_key("ana", "h1", "2026-01-01T00:00:00Z")
            .expect("add");
        assert_eq!(
            store.agent_for_key("h1").expect("get").as_deref(),
            Some("ana")
        );
        assert_eq!(store.agent_for_key("h2").expect("get"), None);
        store.set_password("ana", "p1", "t").expect("set");
        store.set_password("ana", "p2", "t").expect("set");
        assert_eq!(
            store.password_hash("ana").expect("get").as_deref(),
            Some("p2")
        );
    }
}
