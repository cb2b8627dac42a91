//! The snapshots of a SQLite book live in a file of their own beside it: writing one never
//! waits for the book's write lock nor makes an append wait, a reader never creates the file,
//! and a damaged one is an error of the snapshots alone.

use fairshare_sqlite::{SqliteStore, snapshots_path};
use fairshare_store::conformance::sample_rows;
use fairshare_store::{Store, StoreError};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Far below the 5 s a statement waits for a lock: an operation this quick did not wait.
const QUICK: Duration = Duration::from_secs(1);

/// A new book in `dir` with 10 events.
fn book(dir: &TempDir) -> (PathBuf, SqliteStore) {
    let path = dir.path().join("coop.db");
    let mut store = SqliteStore::open(&path).expect("open the book");
    store.append(&sample_rows(1, 10)).expect("append 1..=10");
    (path, store)
}

/// A raw connection holding the write lock of the SQLite file `path` until it is dropped.
fn write_locked(path: &Path) -> Connection {
    let conn = Connection::open(path).expect("raw connection");
    conn.execute_batch("BEGIN IMMEDIATE")
        .expect("take the write lock");
    conn
}

#[test]
fn the_sidecar_is_the_book_path_with_snapshots_appended() {
    assert_eq!(
        snapshots_path(Path::new("/srv/coop.db")),
        Path::new("/srv/coop.db.snapshots")
    );
    assert_eq!(
        snapshots_path(Path::new("book")),
        Path::new("book.snapshots")
    );
}

#[test]
fn an_append_does_not_wait_while_a_snapshot_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store) = book(&dir);
    store
        .put_snapshot(10, b"first")
        .expect("create the sidecar");
    let lock = write_locked(&snapshots_path(&dir.path().join("coop.db")));
    let started = Instant::now();
    store
        .append(&sample_rows(11, 5))
        .expect("append while the sidecar is locked");
    assert!(started.elapsed() < QUICK, "waited {:?}", started.elapsed());
    drop(lock);
    assert_eq!(store.head().unwrap(), 15);
}

/// Another handle appending (inside the book's gate, waiting for its lock) holds up no snapshot.
#[test]
fn a_snapshot_takes_neither_the_book_lock_nor_its_gate() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut writer) = book(&dir);
    let mut snapshotter = SqliteStore::open(&path).unwrap();
    let lock = write_locked(&path);
    std::thread::scope(|scope| {
        let append = scope.spawn(|| writer.append(&sample_rows(11, 1)));
        // Let the append enter the gate and wait for the lock.
        std::thread::sleep(Duration::from_millis(100));
        let started = Instant::now();
        snapshotter
            .put_snapshot(10, b"state at 10")
            .expect("a snapshot while the book is locked");
        assert!(started.elapsed() < QUICK, "waited {:?}", started.elapsed());
        assert!(!append.is_finished(), "the append waits for the raw lock");
        drop(lock);
        let appended = append.join().expect("the append thread");
        appended.expect("the append goes through once the lock is released");
    });
    assert_eq!(writer.head().unwrap(), 11);
    let latest = snapshotter.latest_snapshot(11).unwrap();
    assert_eq!(latest, Some((10, b"state at 10".to_vec())));
}

#[test]
fn a_book_that_never_snapshots_has_no_sidecar() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut store) = book(&dir);
    let sidecar = snapshots_path(&path);
    assert_eq!(store.latest_snapshot(10).unwrap(), None);
    let mut reader = SqliteStore::open_read_only(&path).unwrap();
    assert_eq!(reader.latest_snapshot(10).unwrap(), None);
    match reader.put_snapshot(10, b"state") {
        Err(StoreError::Backend(m)) => assert!(m.contains("read-only"), "{m}"),
        other => panic!("a snapshot on a read-only handle must fail, got {other:?}"),
    }
    assert!(
        !sidecar.exists(),
        "neither reads nor a refused write create it"
    );

    store.put_snapshot(10, b"state").unwrap();
    assert!(sidecar.exists());
    // The reader opened before the sidecar existed finds it now.
    assert_eq!(
        reader.latest_snapshot(10).unwrap(),
        Some((10, b"state".to_vec()))
    );
    drop((store, reader));
    // Also once every connection closed (its WAL checkpointed away).
    let mut reader = SqliteStore::open_read_only(&path).unwrap();
    assert_eq!(
        reader.latest_snapshot(10).unwrap(),
        Some((10, b"state".to_vec()))
    );
}

/// A book from an older build keeps its snapshots in a table of its own file: ignored.
#[test]
fn the_old_snapshots_table_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut store) = book(&dir);
    Connection::open(&path)
        .and_then(|c| {
            c.execute_batch(
                "CREATE TABLE snapshots (seq INTEGER PRIMARY KEY, bytes BLOB NOT NULL); \
                 INSERT INTO snapshots VALUES (5, x'00');",
            )
        })
        .expect("an old build's snapshot");
    assert_eq!(store.latest_snapshot(10).unwrap(), None);
    store.put_snapshot(10, b"new").unwrap();
    assert_eq!(store.latest_snapshot(9).unwrap(), None);
}

#[test]
fn a_damaged_sidecar_fails_the_snapshots_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut store) = book(&dir);
    let sidecar = snapshots_path(&path);
    std::fs::write(&sidecar, vec![0x5a; 8192]).unwrap();
    for mut handle in [store_of(&path, false), store_of(&path, true)] {
        let error = handle
            .latest_snapshot(10)
            .expect_err("garbage is no database");
        assert!(
            error.to_string().contains(&sidecar.display().to_string()),
            "{error}"
        );
    }
    let error = store
        .put_snapshot(10, b"state")
        .expect_err("no snapshot into garbage");
    assert!(error.to_string().contains("coop.db.snapshots"), "{error}");
    store
        .append(&sample_rows(11, 1))
        .expect("the log is untouched");
    assert_eq!(store.head().unwrap(), 11);
}

/// The handle `reopener` gives reads a part of a snapshot while another handle holds the
/// book's write lock and writes the next snapshot: both files are in WAL mode, it never waits.
#[test]
fn a_reopened_handle_reads_while_another_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut store) = book(&dir);
    store.put_snapshot(10, b"state at 10").unwrap();
    let reopen = store.reopener().expect("a SQLite book opens again");
    let lock = write_locked(&path);
    let mut reader = reopen().expect("open again while the book is locked");
    store
        .write_snapshot(11, 11, &mut |out| {
            out.write_all(b"state at 11")
                .map_err(|e| StoreError::Backend(e.to_string()))?;
            let started = Instant::now();
            let part = reader.read_snapshot_range(range(10, 6, 2))?;
            assert!(started.elapsed() < QUICK, "waited {:?}", started.elapsed());
            assert_eq!(part.as_deref(), Some(&b"at"[..]));
            assert_eq!(reader.head()?, 10);
            Ok(())
        })
        .expect("write the next snapshot");
    drop(lock);
    assert_eq!(
        reader
            .read_snapshot_range(range(11, 9, 2))
            .unwrap()
            .as_deref(),
        Some(&b"11"[..])
    );
    match reader.put_snapshot(12, b"state") {
        Err(StoreError::Backend(m)) => assert!(m.contains("read-only"), "{m}"),
        other => panic!("the reopened handle only reads, got {other:?}"),
    }
}

fn store_of(path: &Path, read_only: bool) -> SqliteStore {
    let opened = if read_only {
        SqliteStore::open_read_only(path)
    } else {
        SqliteStore::open(path)
    };
    opened.expect("open the book")
}

fn range(seq: u64, offset: u64, length: u64) -> fairshare_store::SnapshotRange {
    fairshare_store::SnapshotRange {
        seq,
        offset,
        length,
    }
}

/// `path` with `suffix` appended (`-journal`, `-wal`).
fn side_file(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Writes `bytes` as the snapshot at `seq`, noting whether the sidecar had a rollback journal
/// while it was written.
fn snapshot_seeing_journal(store: &mut SqliteStore, seq: u64, bytes: &[u8]) -> bool {
    let journal = side_file(&snapshots_path(Path::new(&store.location())), "-journal");
    let mut journaled = false;
    store
        .write_snapshot(seq, bytes.len() as u64, &mut |out| {
            journaled = journal.exists();
            out.write_all(bytes)
                .map_err(|e| StoreError::Backend(e.to_string()))
        })
        .expect("write the snapshot");
    journaled
}

fn journal_mode(path: &Path) -> String {
    Connection::open(path)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap()
}

/// A snapshot is mostly new pages: with no one else reading the sidecar it is written once,
/// through a rollback journal, instead of to the -wal file and again at the checkpoint. With a
/// reader, it goes through WAL as before, without waiting. Either way the sidecar stays in WAL
/// mode.
#[test]
fn a_snapshot_goes_through_a_rollback_journal_only_while_no_one_reads_the_sidecar() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut store) = book(&dir);
    let sidecar = snapshots_path(&path);
    assert!(snapshot_seeing_journal(&mut store, 5, b"state at 5"));
    assert_eq!(journal_mode(&sidecar), "wal");

    let reader = Connection::open(&sidecar).unwrap();
    let pieces: i64 = reader
        .query_row("SELECT count(*) FROM snapshot_pieces", [], |row| row.get(0))
        .unwrap();
    assert_eq!(pieces, 1);
    let started = Instant::now();
    assert!(!snapshot_seeing_journal(&mut store, 10, b"state at 10"));
    assert!(started.elapsed() < QUICK, "waited {:?}", started.elapsed());
    assert_eq!(journal_mode(&sidecar), "wal");
    drop(reader);

    assert!(snapshot_seeing_journal(&mut store, 11, b"state at 11"));
    assert_eq!(
        store.latest_snapshot(11).unwrap(),
        Some((11, b"state at 11".to_vec()))
    );
    assert_eq!(
        store.latest_snapshot(10).unwrap(),
        Some((10, b"state at 10".to_vec()))
    );
}

/// A handle that opens the snapshots while another writes one through the rollback journal (a
/// handle alone writes so) waits for that commit: switching its connection to WAL is refused
/// at once, not through the busy handler, because SQLite sees a deadlock. Found once in CI by
/// the conformance test `two_handles_write_one_snapshot`.
#[test]
fn opening_the_snapshots_while_another_handle_writes_them_waits() {
    let dir = TempDir::new().expect("temp dir");
    let (path, mut store) = book(&dir);
    store.put_snapshot(5, b"five").expect("the first snapshot");
    drop(store);
    let sidecar = snapshots_path(&path);
    let writer = Connection::open(&sidecar).expect("raw connection");
    let mode: String = writer
        .query_row("PRAGMA journal_mode=DELETE", [], |r| r.get(0))
        .expect("a rollback journal");
    assert_eq!(mode, "delete");
    writer
        .execute_batch("BEGIN IMMEDIATE; DELETE FROM snapshot_pieces WHERE seq = 0")
        .expect("take the write lock");
    let book_path = path.clone();
    let second = std::thread::spawn(move || {
        let mut store = SqliteStore::open(&book_path).expect("open the book");
        store.put_snapshot(10, b"ten")
    });
    std::thread::sleep(Duration::from_millis(200));
    writer.execute_batch("COMMIT").expect("commit");
    second
        .join()
        .expect("the second handle")
        .expect("put after the commit");
    let mut store = SqliteStore::open(&path).expect("open again");
    let newest = store.latest_snapshot(u64::MAX).expect("read");
    assert_eq!(newest, Some((10, b"ten".to_vec())));
}
