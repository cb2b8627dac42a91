//! Filling an empty book in one transaction (an import) goes through a rollback journal, so
//! each page is written once instead of to the -wal file and again at the checkpoint. The book
//! stays in WAL mode for everything else, and a process killed part-way leaves it empty.

use std::path::{Path, PathBuf};
use std::process::Command;

use fairshare_sqlite::SqliteStore;
use fairshare_store::conformance::sample_rows;
use fairshare_store::{EventRow, Store};
use rusqlite::Connection;

/// Rows per batch the fills below hand over.
const BATCH_ROWS: u64 = 1_000;

/// Bytes of body per row in the killed fill: [`KILLED_BATCHES`] of them (96 MB) are more than
/// the 16 MiB page cache of an import into an empty book holds, so SQLite writes pages into
/// the book before the kill,
/// which the journal must then take back.
const FAT_BODY_BYTES: usize = 1_500;

/// Batches the killed fill writes before it aborts.
const KILLED_BATCHES: u64 = 64;

/// Set in the child process of the kill test: the book it fills, then aborts.
const CHILD_BOOK: &str = "FAIRSHARE_TEST_EMPTY_FILL_BOOK";

fn journal_mode(path: &Path) -> String {
    let conn = Connection::open(path).expect("raw connection");
    conn.query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .expect("journal mode")
}

fn side_file(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Rows `first..first + BATCH_ROWS` with bodies padded to about `body_bytes`.
fn batch(first: u64, body_bytes: usize) -> Vec<EventRow> {
    let mut rows = sample_rows(first, BATCH_ROWS);
    for row in &mut rows {
        let pad = body_bytes.saturating_sub(row.body.len());
        row.body.push_str(&" ".repeat(pad));
    }
    rows
}

#[test]
fn an_empty_book_is_filled_through_a_rollback_journal_and_left_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coop.db");
    let mut store = SqliteStore::open(&path).expect("open the book");
    assert_eq!(journal_mode(&path), "wal");
    let mut journal_seen = Vec::new();
    store
        .append_all(&mut |sink| {
            for first in [1, 1 + BATCH_ROWS] {
                sink(&batch(first, 0))?;
                journal_seen.push(side_file(&path, "-journal").exists());
            }
            Ok(())
        })
        .expect("fill the empty book");
    assert_eq!(journal_seen, [true, true]);
    assert!(!side_file(&path, "-journal").exists());
    assert_eq!(journal_mode(&path), "wal");
    assert_eq!(store.head().unwrap(), 2 * BATCH_ROWS);

    // A book that has events already is appended to in WAL mode, as every other write is.
    let mut journal_seen = Vec::new();
    store
        .append_all(&mut |sink| {
            sink(&batch(1 + 2 * BATCH_ROWS, 0))?;
            journal_seen.push(side_file(&path, "-journal").exists());
            Ok(())
        })
        .expect("append to the book");
    assert_eq!(journal_seen, [false]);
    assert_eq!(journal_mode(&path), "wal");
    assert_eq!(store.head().unwrap(), 3 * BATCH_ROWS);
    drop(store);
    let mut reopened = SqliteStore::open(&path).expect("open again");
    let mut seqs = Vec::new();
    reopened
        .scan(0, &mut |row| {
            seqs.push(row.seq);
            Ok(())
        })
        .unwrap();
    assert_eq!(seqs, (1..=3 * BATCH_ROWS).collect::<Vec<_>>());
}

#[test]
fn a_process_killed_while_filling_an_empty_book_leaves_it_empty() {
    if let Some(book) = std::env::var_os(CHILD_BOOK) {
        fill_then_abort(Path::new(&book));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coop.db");
    drop(SqliteStore::open(&path).expect("create the book"));
    let created_bytes = std::fs::metadata(&path).unwrap().len();

    // This test again, in a process of its own that fills the book and aborts part-way (as
    // SIGKILL would: no destructor, no rollback runs).
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "a_process_killed_while_filling_an_empty_book_leaves_it_empty",
            "--exact",
            "--nocapture",
        ])
        .env(CHILD_BOOK, &path)
        .output()
        .expect("run the child");
    assert!(!child.status.success(), "the child aborts: {child:?}");
    let stderr = String::from_utf8_lossy(&child.stderr);
    assert!(stderr.contains("filled, aborting"), "{stderr}");

    // Pages were written into the book before the abort, and the journal to undo them is left.
    let spilled_bytes = std::fs::metadata(&path).unwrap().len();
    assert!(
        spilled_bytes > created_bytes + 8 * 1024 * 1024,
        "{created_bytes} → {spilled_bytes}"
    );
    assert!(side_file(&path, "-journal").exists());

    let mut store = SqliteStore::open(&path).expect("open after the kill");
    assert_eq!(store.head().unwrap(), 0);
    assert!(!side_file(&path, "-journal").exists());
    assert_eq!(journal_mode(&path), "wal");
    assert!(std::fs::metadata(&path).unwrap().len() <= created_bytes);
    store.append(&batch(1, 0)).expect("append after the kill");
    assert_eq!(store.head().unwrap(), BATCH_ROWS);
}

/// The child's side: fills the empty book at `path` with fat rows inside one transaction,
/// then aborts before it can commit.
fn fill_then_abort(path: &Path) -> ! {
    let mut store = SqliteStore::open(path).expect("open the book");
    let _ = store.append_all(&mut |sink| {
        for n in 0..KILLED_BATCHES {
            sink(&batch(1 + n * BATCH_ROWS, FAT_BODY_BYTES))?;
        }
        eprintln!("filled, aborting");
        std::process::abort();
    });
    unreachable!("the fill aborts");
}

/// A handle opened while an import fills the book through the rollback journal waits for the
/// import's commit: its switch to WAL is refused at once (SQLite sees a deadlock, and calls no
/// busy handler), so the open tries it again for as long as a busy handler would wait.
#[test]
fn opening_the_book_while_it_is_filled_through_the_rollback_journal_waits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("book.db");
    drop(SqliteStore::open(&path).expect("a new book"));
    let filler = Connection::open(&path).expect("raw connection");
    let mode: String = filler
        .query_row("PRAGMA journal_mode=DELETE", [], |r| r.get(0))
        .expect("a rollback journal");
    assert_eq!(mode, "delete");
    filler
        .execute_batch("BEGIN IMMEDIATE; DELETE FROM events")
        .expect("take the write lock");
    let book = path.clone();
    let second = std::thread::spawn(move || SqliteStore::open(&book).map(|mut store| store.head()));
    std::thread::sleep(std::time::Duration::from_millis(200));
    filler.execute_batch("COMMIT").expect("commit");
    let head = second
        .join()
        .expect("the second handle")
        .expect("open after the commit");
    assert_eq!(head.expect("head"), 0, "an empty book");
}
