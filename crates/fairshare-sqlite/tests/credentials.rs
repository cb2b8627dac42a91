//! The credential conformance suite on SQLite files, plus what only a file can show: books
//! whose credential tables an older server created, opening what is not a book, and several
//! processes migrating at once. Also the background checkpointer.

use fairshare_sqlite::{CHECKPOINT_INTERVAL, Checkpointer, SqliteCredentials, SqliteStore};
use fairshare_store::Store;
use fairshare_store::conformance::credentials::{
    self, OLD_HASH, OLD_KEY_CREATED_AT, OLD_LAYOUT, OLD_PASSWORD_UPDATED_AT, OLD_PHC,
};
use fairshare_store::conformance::{self, sample_rows};
use fairshare_store::credentials::CredentialStore;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tempfile::TempDir;

fn tempdir() -> TempDir {
    tempfile::tempdir().expect("create a temp dir")
}

/// A new, empty book (event tables only) at `path`.
fn new_book(path: &Path) {
    drop(SqliteStore::open(path).unwrap_or_else(|e| panic!("create {}: {e}", path.display())));
}

fn open(path: &Path) -> SqliteCredentials {
    SqliteCredentials::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()))
}

/// A book with the old credential tables, one key of `ana` and her password.
fn old_book(dir: &Path) -> PathBuf {
    let path = dir.join("old.db");
    new_book(&path);
    let conn = rusqlite::Connection::open(&path).expect("raw connection");
    conn.execute_batch(OLD_LAYOUT).expect("old layout");
    conn.execute(
        "INSERT INTO fs_api_keys (key_hash, agent, created_at) VALUES (?1, 'ana', ?2)",
        [OLD_HASH, OLD_KEY_CREATED_AT],
    )
    .expect("old key");
    conn.execute(
        "INSERT INTO fs_credentials (agent, password_phc, updated_at) VALUES ('ana', ?1, ?2)",
        [OLD_PHC, OLD_PASSWORD_UPDATED_AT],
    )
    .expect("old password");
    path
}

fn meta(path: &Path, key: &str) -> Option<String> {
    let conn = rusqlite::Connection::open(path).expect("raw connection");
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .ok()
}

#[test]
fn conformance_suite() {
    let dir = tempdir();
    let mut n = 0;
    conformance::run_credentials(&mut |handles| {
        n += 1;
        let path = dir.path().join(format!("book-{n}.db"));
        new_book(&path);
        (0..handles)
            .map(|_| Box::new(open(&path)) as Box<dyn CredentialStore>)
            .collect()
    });
}

#[test]
fn keys_of_an_older_server_still_authenticate() {
    let dir = tempdir();
    let path = old_book(dir.path());
    credentials::old_credentials_survive_migration(&mut open(&path));
    assert_eq!(meta(&path, "credentials_version").as_deref(), Some("2"));
    assert_eq!(
        meta(&path, "schema_version").as_deref(),
        Some("1"),
        "the event log's schema is untouched"
    );
    // Reopening does not migrate again; the event log is still a readable book.
    let mut s = open(&path);
    assert_eq!(s.list_api_keys("ana").expect("list").len(), 2);
    let mut reader = SqliteStore::open_read_only(&path).expect("read-only open");
    assert_eq!(reader.head().expect("head"), 0);
}

#[test]
fn older_books_migrate_once_when_opened_at_once() {
    let dir = tempdir();
    let path = old_book(dir.path());
    // The event log is in use meanwhile.
    let mut events = SqliteStore::open(&path).expect("open events");
    events.append(&sample_rows(1, 3)).expect("append");
    let opened = conformance::open_at_once(6, || SqliteCredentials::open(&path));
    for mut s in opened {
        assert_eq!(s.list_api_keys("ana").expect("list").len(), 1);
    }
    events.append(&sample_rows(4, 1)).expect("append after");
    assert_eq!(events.head().expect("head"), 4);
}

#[test]
fn new_books_get_the_tables_too() {
    let dir = tempdir();
    let path = dir.path().join("book.db");
    new_book(&path);
    let mut s = open(&path);
    assert!(s.list_api_keys("ana").expect("list").is_empty());
    assert_eq!(s.path(), path.as_path());
    assert_eq!(meta(&path, "credentials_version").as_deref(), Some("2"));
}

#[test]
fn open_refuses_what_is_not_a_book() {
    let dir = tempdir();
    let missing = dir.path().join("missing.db");
    let e = SqliteCredentials::open(&missing).expect_err("a missing file");
    assert!(e.to_string().contains("missing.db"), "{e}");
    assert!(
        !missing.exists(),
        "opening credentials must not create a file"
    );

    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .and_then(|c| c.execute_batch("CREATE TABLE t (x INTEGER)"))
        .expect("make a foreign database");
    let e = SqliteCredentials::open(&other).expect_err("a foreign database");
    assert!(e.to_string().contains("not a fairshare book"), "{e}");

    let newer = dir.path().join("newer.db");
    new_book(&newer);
    drop(open(&newer));
    rusqlite::Connection::open(&newer)
        .and_then(|c| {
            c.execute(
                "UPDATE meta SET value = '99' WHERE key = 'credentials_version'",
                [],
            )
        })
        .expect("bump the credentials version");
    let e = SqliteCredentials::open(&newer).expect_err("newer credentials");
    assert!(e.to_string().contains("newer than this build"), "{e}");
}

/// Size of the database file proper (not its -wal).
fn main_file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

#[test]
fn checkpointer_copies_the_wal_back_and_stops_when_dropped() {
    let dir = tempdir();
    let path = dir.path().join("book.db");
    let mut store = SqliteStore::open(&path).expect("open");
    // ~2 MB of events: far below the writer's own checkpoint threshold (~40 MB), so without
    // the checkpointer they stay in the -wal file while connections are open.
    let mut rows = sample_rows(1, 200);
    for row in &mut rows {
        row.body = format!(r#"{{"blob":"{}"}}"#, "x".repeat(10_000));
    }
    store.append(&rows).expect("append");
    let before = main_file_len(&path);
    assert!(before < 1_000_000, "no checkpoint yet: {before} bytes");

    let checkpointer = Checkpointer::start(&path).expect("start");
    let deadline = Instant::now() + Duration::from_secs(10);
    while main_file_len(&path) < 2_000_000 {
        assert!(
            Instant::now() < deadline,
            "the checkpointer did not copy the WAL back within 10 s ({} bytes)",
            main_file_len(&path)
        );
        std::thread::sleep(CHECKPOINT_INTERVAL / 5);
    }
    let t = Instant::now();
    drop(checkpointer);
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "dropping the checkpointer stops its thread at once"
    );
    assert_eq!(store.head().expect("head"), 200);
}

#[test]
fn checkpointer_needs_an_existing_book() {
    let dir = tempdir();
    let missing = dir.path().join("missing.db");
    let e = Checkpointer::start(&missing).expect_err("a missing book");
    assert!(e.to_string().contains("missing.db"), "{e}");
    assert!(!missing.exists());
}
