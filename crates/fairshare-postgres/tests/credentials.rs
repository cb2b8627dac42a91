//! The credential conformance suite on PostgreSQL (one fresh schema per book), plus what only a
//! database shows: books whose credential tables an older server created, several processes
//! migrating at once, and URL and book checks.
//!
//! Runs only when `FAIRSHARE_TEST_POSTGRES` holds a URL (see `tests/conformance.rs`).

use fairshare_postgres::{PostgresCredentials, PostgresStore};
use fairshare_store::conformance;
use fairshare_store::credentials::{
    ApiKey, CredentialError, CredentialStore, NewApiKey, StoredPassword,
};

mod common;

use common::{Schemas, database};

/// The credential tables as servers before versioned credentials created them in a book's
/// schema (without a version), copied from that server's source.
const OLD_LAYOUT: &str = "
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
const OLD_HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const OLD_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$b2xkc2FsdA$b2xkaGFzaG9sZGhhc2hvbGRoYXNo";
const NOW: &str = "2026-11-21T12:00:00Z";

fn open(url: &str) -> PostgresCredentials {
    PostgresCredentials::open(url).unwrap_or_else(|e| panic!("open credentials {url}: {e}"))
}

/// A new book (event tables only) in a fresh schema; returns its URL.
fn new_book(schemas: &mut Schemas) -> String {
    let url = schemas.fresh();
    drop(PostgresStore::open(&url).unwrap_or_else(|e| panic!("create {url}: {e}")));
    url
}

/// A key hash whose id (its first 16 digits) is `n`'s own.
fn hash_of(n: u64) -> String {
    format!("{n:016x}{:048x}", 0)
}

fn schema_of(url: &str) -> String {
    url.rsplit('=').next().unwrap_or_default().to_owned()
}

/// A book with the old credential tables, one key of `ana` and her password.
fn old_book(db: &str, schemas: &mut Schemas) -> String {
    let url = new_book(schemas);
    let mut c = postgres::Client::connect(db, postgres::NoTls).expect("connect");
    c.batch_execute(&format!("SET search_path TO {}", schema_of(&url)))
        .expect("search path");
    c.batch_execute(OLD_LAYOUT).expect("old layout");
    c.execute(
        "INSERT INTO fs_api_keys (key_hash, agent, created_at) VALUES ($1, 'ana', $2)",
        &[&OLD_HASH, &"2025-06-01T08:00:00Z"],
    )
    .expect("old key");
    c.execute(
        "INSERT INTO fs_credentials (agent, password_phc, updated_at) VALUES ('ana', $1, $2)",
        &[&OLD_PHC, &"2025-06-02T09:00:00Z"],
    )
    .expect("old password");
    url
}

fn meta(db: &str, url: &str, key: &str) -> Option<String> {
    let mut c = postgres::Client::connect(db, postgres::NoTls).expect("connect");
    c.query_opt(
        &format!("SELECT value FROM {}.meta WHERE key = $1", schema_of(url)),
        &[&key],
    )
    .expect("read meta")
    .map(|row| row.get(0))
}

#[test]
fn conformance_suite() {
    let Some(db) = database("credentials conformance_suite") else {
        return;
    };
    let mut schemas = Schemas::new(&db);
    conformance::run_credentials(&mut |handles| {
        let url = new_book(&mut schemas);
        (0..handles)
            .map(|_| Box::new(open(&url)) as Box<dyn CredentialStore>)
            .collect()
    });
}

#[test]
fn keys_of_an_older_server_still_authenticate() {
    let Some(db) = database("keys_of_an_older_server_still_authenticate") else {
        return;
    };
    let mut schemas = Schemas::new(&db);
    let url = old_book(&db, &mut schemas);
    let old_key = ApiKey {
        id: OLD_HASH[..16].to_owned(),
        agent: "ana".into(),
        created_at: "2025-06-01T08:00:00Z".into(),
        expires_at: None,
        revoked_at: None,
    };
    {
        let mut s = open(&url);
        assert_eq!(s.schema(), schema_of(&url));
        assert_eq!(
            s.find_active_api_key(OLD_HASH, NOW).expect("find"),
            Some(old_key.clone()),
            "a key stored before the migration is found, with an id from its hash"
        );
        assert_eq!(s.list_api_keys("ana").expect("list"), vec![old_key.clone()]);
        assert_eq!(
            s.password("ana").expect("password"),
            Some(StoredPassword {
                phc: OLD_PHC.into(),
                updated_at: "2025-06-02T09:00:00Z".into()
            })
        );
        let hash = "a".repeat(64);
        s.add_api_key(&NewApiKey {
            agent: "ana",
            key_hash: &hash,
            created_at: NOW,
            expires_at: Some("2026-12-21T12:00:00Z"),
        })
        .expect("add a key after the migration");
        s.revoke_api_key(&old_key.id, NOW)
            .expect("revoke the old key");
        assert_eq!(s.find_active_api_key(OLD_HASH, NOW).expect("find"), None);
    }
    assert_eq!(meta(&db, &url, "credentials_version").as_deref(), Some("1"));
    assert_eq!(meta(&db, &url, "schema_version").as_deref(), Some("1"));
    let mut s = open(&url);
    assert_eq!(s.list_api_keys("ana").expect("list").len(), 2);
}

#[test]
fn older_books_migrate_once_when_opened_at_once() {
    let Some(db) = database("older_books_migrate_once_when_opened_at_once") else {
        return;
    };
    let mut schemas = Schemas::new(&db);
    for url in [old_book(&db, &mut schemas), new_book(&mut schemas)] {
        let opened: Vec<PostgresCredentials> = std::thread::scope(|scope| {
            let joins: Vec<_> = (0..6)
                .map(|_| scope.spawn(|| PostgresCredentials::open(&url)))
                .collect();
            joins
                .into_iter()
                .map(|j| match j.join() {
                    Ok(Ok(store)) => store,
                    Ok(Err(e)) => panic!("concurrent open: {e}"),
                    Err(_) => panic!("open thread panicked"),
                })
                .collect()
        });
        let counts: Vec<usize> = opened
            .into_iter()
            .map(|mut s| s.list_api_keys("ana").expect("list").len())
            .collect();
        assert!(counts.windows(2).all(|w| w[0] == w[1]), "{counts:?}");
    }
}

#[test]
fn concurrent_adds_respect_the_limit() {
    let Some(db) = database("concurrent_adds_respect_the_limit") else {
        return;
    };
    let mut schemas = Schemas::new(&db);
    let url = new_book(&mut schemas);
    let max = fairshare_store::credentials::API_KEYS_PER_AGENT_MAX;
    let mut s = open(&url);
    for n in 0..max - 2 {
        let hash = hash_of(n as u64);
        s.add_api_key(&NewApiKey {
            agent: "ana",
            key_hash: &hash,
            created_at: NOW,
            expires_at: None,
        })
        .expect("add");
    }
    // Six processes race for the last two places: connected first, then released at once.
    let racers: Vec<PostgresCredentials> = (0..6).map(|_| open(&url)).collect();
    let start = std::sync::Barrier::new(racers.len());
    let added = std::thread::scope(|scope| {
        let joins: Vec<_> = racers
            .into_iter()
            .enumerate()
            .map(|(t, mut racer)| {
                let start = &start;
                scope.spawn(move || {
                    let hash = hash_of(1_000 + t as u64);
                    start.wait();
                    racer.add_api_key(&NewApiKey {
                        agent: "ana",
                        key_hash: &hash,
                        created_at: NOW,
                        expires_at: None,
                    })
                })
            })
            .collect();
        joins
            .into_iter()
            .filter_map(|j| match j.join().expect("add thread") {
                Ok(key) => Some(key),
                Err(CredentialError::Invalid(m)) => {
                    assert!(m.contains("most allowed"), "{m}");
                    None
                }
                Err(e) => panic!("a racing add failed otherwise: {e}"),
            })
            .count()
    });
    assert_eq!(added, 2, "exactly the free places are taken");
    assert_eq!(s.list_api_keys("ana").expect("list").len(), max);
}

#[test]
fn open_refuses_bad_urls_and_what_is_not_a_book() {
    // Needs no server.
    let e = PostgresCredentials::open("postgres://alice:s3cret@127.0.0.1:1/db?schema=no-dashes")
        .expect_err("a bad schema name");
    assert!(
        matches!(&e, CredentialError::Invalid(m) if m.contains("invalid schema name") && !m.contains("s3cret")),
        "{e}"
    );
    let e = PostgresCredentials::open("postgres://nobody:secret@127.0.0.1:1/db?connect_timeout=2")
        .expect_err("a closed port");
    assert!(
        matches!(&e, CredentialError::Backend(m) if m.contains("connect to postgres://nobody@127.0.0.1:1/db") && !m.contains("secret")),
        "{e}"
    );

    let Some(db) = database("open_refuses_bad_urls_and_what_is_not_a_book (database part)") else {
        return;
    };
    let mut schemas = Schemas::new(&db);
    let empty = schemas.fresh();
    let e = PostgresCredentials::open(&empty).expect_err("a schema without a book");
    assert!(e.to_string().contains("not a fairshare book"), "{e}");

    let url = new_book(&mut schemas);
    drop(open(&url));
    let mut c = postgres::Client::connect(&db, postgres::NoTls).expect("connect");
    c.batch_execute(&format!(
        "UPDATE {}.meta SET value = '99' WHERE key = 'credentials_version'",
        schema_of(&url)
    ))
    .expect("bump the credentials version");
    let e = PostgresCredentials::open(&url).expect_err("newer credentials");
    assert!(e.to_string().contains("newer than this build"), "{e}");
}
