//! The credential conformance suite on PostgreSQL (one fresh schema per book), plus what only a
//! database shows: books whose credential tables an older server created, several processes
//! migrating at once, and URL and book checks.
//!
//! Runs only when `FAIRSHARE_TEST_POSTGRES` holds a URL (see `tests/conformance.rs`).

use fairshare_postgres::{PostgresCredentials, PostgresStore};
use fairshare_store::conformance::{
    self,
    credentials::{
        self, OLD_HASH, OLD_KEY_CREATED_AT, OLD_LAYOUT, OLD_PASSWORD_UPDATED_AT, OLD_PHC,
    },
};
use fairshare_store::credentials::{CredentialError, CredentialStore};

mod common;

use common::{Schemas, database};

fn open(url: &str) -> PostgresCredentials {
    PostgresCredentials::open(url).unwrap_or_else(|e| panic!("open credentials {url}: {e}"))
}

/// A new book (event tables only) in a fresh schema; returns its URL.
fn new_book(schemas: &mut Schemas) -> String {
    let url = schemas.fresh();
    drop(PostgresStore::open(&url).unwrap_or_else(|e| panic!("create {url}: {e}")));
    url
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
        &[&OLD_HASH, &OLD_KEY_CREATED_AT],
    )
    .expect("old key");
    c.execute(
        "INSERT INTO fs_credentials (agent, password_phc, updated_at) VALUES ('ana', $1, $2)",
        &[&OLD_PHC, &OLD_PASSWORD_UPDATED_AT],
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
    {
        let mut s = open(&url);
        assert_eq!(s.schema(), schema_of(&url));
        credentials::old_credentials_survive_migration(&mut s);
    }
    assert_eq!(meta(&db, &url, "credentials_version").as_deref(), Some("2"));
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
        let opened = conformance::open_at_once(6, || PostgresCredentials::open(&url));
        let counts: Vec<usize> = opened
            .into_iter()
            .map(|mut s| s.list_api_keys("ana").expect("list").len())
            .collect();
        assert!(counts.windows(2).all(|w| w[0] == w[1]), "{counts:?}");
    }
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
