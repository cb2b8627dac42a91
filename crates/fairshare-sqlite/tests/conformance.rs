//! The store conformance suite on SQLite files, plus what only a file can show: reopening,
//! read-only handles, several handles on one file, and a crash in the middle of a transaction.

use fairshare_sqlite::SqliteStore;
use fairshare_store::conformance::{self, sample_row, sample_rows, tricky_rows};
use fairshare_store::{EventRow, Store, StoreError};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use tempfile::TempDir;

/// Set (to a book path) only in the child process of the crash test.
const CRASH_ENV: &str = "FAIRSHARE_SQLITE_CRASH_CHILD";
const CRASH_MARKER: &str = "crash-child: transaction open, aborting";

fn tempdir() -> TempDir {
    tempfile::tempdir().expect("create a temp dir")
}

fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()))
}

/// A factory of fresh books: a new file in `dir` on each call.
fn books(dir: &Path) -> impl FnMut() -> Box<dyn Store> + '_ {
    let mut n = 0;
    move || {
        n += 1;
        Box::new(open(&dir.join(format!("book-{n}.db"))))
    }
}

/// A factory of `k` handles (each its own connection) on a fresh file in `dir`.
fn shared_books(dir: &Path) -> impl FnMut(usize) -> Vec<Box<dyn Store>> + '_ {
    let mut n = 0;
    move |k| {
        n += 1;
        let path = dir.join(format!("shared-{n}.db"));
        (0..k)
            .map(|_| Box::new(open(&path)) as Box<dyn Store>)
            .collect()
    }
}

#[test]
fn conformance_suite() {
    let dir = tempdir();
    conformance::run_all(&mut books(dir.path()));
}

/// The same suite with every snapshot in pieces of 7 bytes, so that each of its snapshots
/// spans pieces, and its reads and writes (a seek back included) cross their edges.
#[test]
fn conformance_suite_with_snapshots_in_small_pieces() {
    let dir = tempdir();
    let mut n = 0;
    conformance::run_all(&mut || {
        n += 1;
        let mut store = open(&dir.path().join(format!("pieces-{n}.db")));
        store.set_snapshot_piece_bytes(7);
        Box::new(store)
    });
}

#[test]
fn two_handles_on_one_file() {
    let dir = tempdir();
    conformance::two_handles(&mut shared_books(dir.path()));
}

#[test]
fn two_handles_write_one_snapshot() {
    let dir = tempdir();
    conformance::snapshots_shared(&mut shared_books(dir.path()));
}

#[test]
fn append_all_is_invisible_to_another_handle() {
    let dir = tempdir();
    conformance::append_all_is_invisible_until_done(&mut shared_books(dir.path()));
}

#[test]
fn concurrent_writers_on_one_file() {
    let dir = tempdir();
    let handles = shared_books(dir.path())(8);
    conformance::concurrent_appends(handles, 200);
}

#[test]
fn reopen_keeps_everything() {
    let dir = tempdir();
    let path = dir.path().join("book.db");
    let mut rows = sample_rows(1, 100);
    rows.extend(tricky_rows(101));
    {
        let mut s = open(&path);
        s.append(&rows[..100]).expect("append 1..=100");
        s.append(&rows[100..]).expect("append tricky rows");
    }
    let mut s = open(&path);
    assert_eq!(s.head().expect("head"), rows.len() as u64);
    assert_eq!(conformance::collect(&mut s, 0), rows);
    assert_eq!(s.path(), path.as_path());
    assert_eq!(s.location(), path.display().to_string());
    let next = sample_row(rows.len() as u64 + 1, None);
    s.append(std::slice::from_ref(&next))
        .expect("append after reopen");
}

#[test]
fn read_only_handle_reads_and_never_writes() {
    let dir = tempdir();
    let path = dir.path().join("book.db");
    let missing = SqliteStore::open_read_only(&path).expect_err("read-only open of a missing file");
    assert!(
        missing.to_string().contains("book.db"),
        "error names the file: {missing}"
    );
    assert!(!path.exists(), "a read-only open must not create the file");

    let mut w = open(&path);
    w.append(&sample_rows(1, 10)).expect("append");
    let mut r = SqliteStore::open_read_only(&path).expect("open read-only");
    assert_eq!(r.head().expect("head"), 10);
    w.append(&sample_rows(11, 5)).expect("append more");
    assert_eq!(r.head().expect("reader catches up"), 15);
    assert_eq!(conformance::collect(&mut r, 0).len(), 15);
    match r.append(&sample_rows(16, 1)) {
        Err(StoreError::Backend(m)) => assert!(m.contains("read-only"), "{m}"),
        other => panic!("append on a read-only handle must fail, got {other:?}"),
    }
    drop(w);
    // Also after the writer closed (WAL checkpointed away).
    let mut r2 = SqliteStore::open_read_only(&path).expect("open read-only after close");
    assert_eq!(r2.head().expect("head"), 15);
}

#[test]
fn open_errors_say_what_failed() {
    let dir = tempdir();
    let bad = dir.path().join("no-such-dir").join("x.db");
    let e = SqliteStore::open(&bad).expect_err("open in a missing directory");
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("open {}", bad.display())) && msg.contains("unable to open"),
        "unexpected message: {msg}"
    );

    // An SQLite file that is not a book.
    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .and_then(|c| c.execute_batch("CREATE TABLE t (x INTEGER)"))
        .expect("make a foreign database");
    let e = SqliteStore::open_read_only(&other).expect_err("read-only open of a foreign file");
    assert!(e.to_string().contains("not a fairshare book"), "{e}");

    // A book from a newer build.
    let newer = dir.path().join("newer.db");
    drop(open(&newer));
    rusqlite::Connection::open(&newer)
        .and_then(|c| {
            c.execute(
                "UPDATE meta SET value = '99' WHERE key = 'schema_version'",
                [],
            )
        })
        .expect("bump the schema version");
    let e = SqliteStore::open(&newer).expect_err("open a newer book");
    assert!(e.to_string().contains("newer than this build"), "{e}");
    let e = SqliteStore::open_read_only(&newer).expect_err("read-only open of a newer book");
    assert!(e.to_string().contains("schema version 99"), "{e}");
}

#[test]
fn conflict_messages_name_the_culprit() {
    let dir = tempdir();
    let (key, _) =
        conformance::conflict_messages_name_the_culprit(&mut open(&dir.path().join("book.db")));
    assert!(key.contains("\"pay-42\""), "the key is quoted: {key}");
}

/// Runs only in the child of `crash_mid_transaction_loses_only_uncommitted_rows`: commits 5
/// rows, then opens a transaction, inserts more rows than the page cache holds (so
/// uncommitted pages spill into the WAL file) and aborts without committing.
#[test]
fn crash_child() {
    let Some(path) = std::env::var_os(CRASH_ENV) else {
        return;
    };
    let path = PathBuf::from(path);
    let mut s = open(&path);
    s.append(&sample_rows(1, 5)).expect("committed append");
    let mut conn = rusqlite::Connection::open(&path).expect("raw connection");
    conn.pragma_update(None, "cache_size", 10)
        .expect("small cache");
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .expect("begin");
    for row in sample_rows(6, 2_000) {
        tx.execute(
            "INSERT INTO events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            rusqlite::params![
                row.seq as i64,
                row.recorded_at,
                row.actor,
                row.idempotency_key,
                row.payload_hash,
                row.body.repeat(20),
                row.prev_hash,
                row.hash
            ],
        )
        .expect("uncommitted insert");
    }
    println!("{CRASH_MARKER}");
    std::process::abort();
}

#[test]
fn crash_mid_transaction_loses_only_uncommitted_rows() {
    if std::env::var_os(CRASH_ENV).is_some() {
        return;
    }
    let dir = tempdir();
    let path = dir.path().join("crash.db");
    let exe = std::env::current_exe().expect("test binary path");
    let out = Command::new(exe)
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CRASH_ENV, &path)
        // Any core dump lands in the temp dir and goes with it.
        .current_dir(dir.path())
        .output()
        .expect("run the crash child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success() && stdout.contains(CRASH_MARKER),
        "the child must reach its open transaction and abort; status {:?}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let wal = std::fs::metadata(dir.path().join("crash.db-wal")).map_or(0, |m| m.len());
    assert!(
        wal > 1_000_000,
        "uncommitted pages should have spilled into the WAL ({wal} bytes)"
    );

    let mut s = open(&path);
    assert_eq!(s.head().expect("head after crash"), 5);
    assert_eq!(conformance::collect(&mut s, 0), sample_rows(1, 5));
    s.append(&sample_rows(6, 3))
        .expect("append after crash recovery");
    drop(s);
    let mut s = open(&path);
    assert_eq!(conformance::collect(&mut s, 0), sample_rows(1, 8));
}

/// Throughput on 1,000,000 realistic rows (~240-byte bodies): append in batches of 10,000,
/// then full scans, once per idempotency-key pattern. Run in release mode:
/// `cargo test --release -p fairshare-sqlite --test conformance -- --ignored --nocapture`
#[test]
#[ignore = "benchmark: run in release mode"]
fn throughput_one_million_rows() {
    // Idempotency keys: "random" (the worst case for the unique index), "sequential" or
    // "none"; all three unless FAIRSHARE_BENCH_KEYS names one.
    let modes = match std::env::var("FAIRSHARE_BENCH_KEYS") {
        Ok(m) => vec![m],
        Err(_) => vec!["random".into(), "sequential".into(), "none".into()],
    };
    for keys in modes {
        println!("== idempotency keys: {keys}");
        bench(&keys);
    }
}

fn bench(keys: &str) {
    const N: u64 = 1_000_000;
    const BATCH: u64 = 10_000;
    let dir = tempdir();
    let path = dir.path().join("bench.db");
    let mut s = open(&path);
    let row = |seq: u64| {
        let key = match keys {
            "none" => None,
            "sequential" => Some(format!("req-{seq:016x}")),
            _ => Some(format!(
                "req-{:016x}",
                seq.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            )),
        };
        let mut r = sample_row(seq, key.as_deref());
        r.body = format!(
            r#"{{"type":"contribution","project":"fairshare","contributor":"agent-{}","amount":"{}.{:02}","unit":"hours","evidence":["https://example.org/commit/{:040x}"],"note":"benchmark row {seq} padded to a realistic size"}}"#,
            seq % 97,
            seq % 1000,
            seq % 100,
            seq
        );
        r
    };
    let mut make_time = 0.0;
    let mut append_time = 0.0;
    let mut body_bytes = 0u64;
    let mut first = 1;
    while first <= N {
        let t = Instant::now();
        let batch: Vec<EventRow> = (first..first + BATCH).map(row).collect();
        body_bytes += batch.iter().map(|r| r.body.len() as u64).sum::<u64>();
        make_time += t.elapsed().as_secs_f64();
        let t = Instant::now();
        s.append(&batch).expect("append batch");
        append_time += t.elapsed().as_secs_f64();
        first += BATCH;
    }
    let file = std::fs::metadata(&path).map_or(0, |m| m.len())
        + std::fs::metadata(dir.path().join("bench.db-wal")).map_or(0, |m| m.len());
    println!(
        "append: {N} rows in {append_time:.2} s = {:.0} rows/s (avg body {} B, file+wal {} MB; building rows took {make_time:.2} s)",
        N as f64 / append_time,
        body_bytes / N,
        file / 1_000_000
    );

    for label in ["scan (warm)", "scan (again)"] {
        let t = Instant::now();
        let mut count = 0u64;
        let mut bytes = 0usize;
        s.scan(0, &mut |r| {
            count += 1;
            bytes += r.body.len();
            Ok(())
        })
        .expect("scan");
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(count, N);
        println!(
            "{label}: {count} rows in {secs:.3} s = {:.0} rows/s ({} MB of bodies)",
            count as f64 / secs,
            bytes / 1_000_000
        );
    }
    drop(s);
    let t = Instant::now();
    let mut s = open(&path);
    let mut count = 0u64;
    s.scan(0, &mut |_| {
        count += 1;
        Ok(())
    })
    .expect("scan");
    println!(
        "reopen + scan: {count} rows in {:.3} s",
        t.elapsed().as_secs_f64()
    );
}
