//! Snapshots (issue 17): opening a book from any snapshot and replaying the tail gives the
//! state a full replay gives, on memory, SQLite and PostgreSQL; a damaged, truncated, foreign,
//! old-format or misplaced snapshot is passed over and the book still opens right; `verify`
//! names a snapshot that disagrees with the replay.
//!
//! The books are the worked examples (`tests/scenarios`), which between them hold every kind of
//! record the state keeps: contributions, corrections, plans, distributions, resources, tokens,
//! peer rounds, treasury, members and proposals.

mod common;
mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use fairshare_book::{Book, MemoryStore, verify};
use fairshare_core::{Command, DEFERRED_PARTS, OPERATOR, RULES, Role, SNAPSHOT_FORMAT, State};
use fairshare_postgres::PostgresStore;
use fairshare_sqlite::{SqliteStore, snapshots_path};
use fairshare_store::{
    EventRow, ReadSnapshot, Reopen, SnapshotRange, Store, StoreResult, WriteSnapshot,
};
use proptest::prelude::*;
use support::{Runner, load};

const SCENARIOS: [&str; 12] = [
    "blend_notice",
    "corrections",
    "forecast",
    "forillon",
    "governance",
    "membership",
    "phantom",
    "printer",
    "retro",
    "startup",
    "tokens",
    "treasury",
];

/// The log of each scenario's book, built once.
fn scenario_rows(index: usize) -> &'static [EventRow] {
    static ROWS: OnceLock<Vec<Vec<EventRow>>> = OnceLock::new();
    &ROWS.get_or_init(|| {
        SCENARIOS
            .iter()
            .map(|name| {
                let mut runner = Runner::new(Box::new(MemoryStore::new()));
                runner.run(&load(name));
                rows(runner.book.store_mut())
            })
            .collect()
    })[index]
}

fn rows(store: &mut dyn Store) -> Vec<EventRow> {
    let mut rows = Vec::new();
    store
        .scan(0, &mut |row| {
            rows.push(row);
            Ok(())
        })
        .unwrap();
    rows
}

fn memory_with(rows: &[EventRow]) -> MemoryStore {
    let mut store = MemoryStore::new();
    store.append(rows).unwrap();
    store
}

/// The snapshot a book of `rows` writes after its event `seq`.
fn snapshot_at(rows: &[EventRow], seq: u64) -> Vec<u8> {
    let mut book = Book::open(Box::new(memory_with(&rows[..seq as usize]))).unwrap();
    book.snapshot().unwrap();
    book.store_mut().latest_snapshot(seq).unwrap().unwrap().1
}

/// One more event decided on both books: a revenue (the next report of a distribution) or,
/// in a book without a project, a new agent. Its outcome (or refusal) and the head after it
/// must be the same.
fn next_event(book: &mut Book) -> (Result<fairshare_core::Outcome, String>, String) {
    let command = match book.state().projects().next() {
        Some(project) => Command::revenue(&project.slug, "100"),
        None => Command::add_agent("zed", Role::Affiliate),
    };
    let executed = book
        .execute(OPERATOR, &command, None, "2026-12-31T12:00:00Z")
        .map(|executed| executed.outcome)
        .map_err(|error| error.to_string());
    (executed, book.last_hash().to_string())
}

/// Opens `store`, which holds the log `rows` and a snapshot at `seq`, and checks it against
/// the full replay: same state, same head, then the same next decision; and `verify` checks
/// the snapshot and finds it sound.
fn assert_opens_from(mut store: Box<dyn Store>, rows: &[EventRow], seq: u64) {
    let mut full = Book::open_without_snapshots(Box::new(memory_with(rows))).unwrap();
    let report = verify(store.as_mut()).unwrap();
    assert!(report.ok(), "verify: {:?}", report.problem);
    assert_eq!(report.snapshots_checked, [seq]);
    let mut book = Book::open(store).unwrap();
    assert_eq!(book.ignored_snapshots(), []);
    assert_eq!(book.snapshot_seq(), seq, "opened from the snapshot");
    // Compared on a copy, so that the book decides its next event with the parts it deferred
    // still undecoded (a copy of a deferred part stays deferred).
    let opened = book.state().clone();
    assert!(opened == *full.state(), "state after snapshot {seq}");
    assert_eq!(book.last_hash(), full.last_hash());
    assert_eq!(next_event(&mut book), next_event(&mut full));
    assert!(book.state() == full.state(), "state after the next event");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any scenario, any event: open from the snapshot there + tail == full replay.
    #[test]
    fn open_from_any_snapshot_equals_full_replay(
        scenario in 0..SCENARIOS.len(),
        at in any::<prop::sample::Index>(),
    ) {
        let rows = scenario_rows(scenario);
        let seq = at.index(rows.len()) as u64 + 1;
        let mut store = memory_with(rows);
        store.put_snapshot(seq, &snapshot_at(rows, seq)).unwrap();
        assert_opens_from(Box::new(store), rows, seq);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// One state, one encoding: the snapshot of a full replay, of a book opened from an
    /// earlier snapshot (its maps filled in another order) and of the decoded snapshot itself
    /// are the same bytes, so `verify` compares a snapshot with the replay by its bytes.
    #[test]
    fn a_state_encodes_to_the_same_bytes_however_it_was_built(
        scenario in 0..SCENARIOS.len(),
        at in any::<prop::sample::Index>(),
        earlier in any::<prop::sample::Index>(),
    ) {
        let rows = scenario_rows(scenario);
        let seq = at.index(rows.len()) as u64 + 1;
        let from = earlier.index(seq as usize) as u64 + 1;
        let replayed = snapshot_at(rows, seq);
        let mut store = memory_with(&rows[..seq as usize]);
        store.put_snapshot(from, &snapshot_at(rows, from)).unwrap();
        let mut book = Book::open(Box::new(store)).unwrap();
        prop_assert_eq!(book.snapshot_seq(), from);
        let state = book.state().clone();
        prop_assert!(state.encode_snapshot(book.last_hash()) == replayed);
        prop_assert!(state.snapshot_payload_equals(&replayed));
        let (_, decoded) = State::decode_snapshot(&replayed).unwrap();
        prop_assert!(decoded.encode_snapshot(book.last_hash()) == replayed);
        book.snapshot().unwrap();
        let written = book.store_mut().latest_snapshot(seq).unwrap().unwrap();
        prop_assert!(written == (seq, replayed));
    }
}

/// An open from a snapshot decodes no contribution's record, idempotency record, ledger
/// transaction or distribution until a command uses them; reading a balance uses none.
#[test]
fn an_open_defers_contributions_keys_and_the_journal_until_used() {
    let rows = scenario_rows(SCENARIOS.iter().position(|s| *s == "treasury").unwrap());
    let seq = rows.len() as u64;
    let mut store = memory_with(rows);
    store.put_snapshot(seq, &snapshot_at(rows, seq)).unwrap();
    let mut book = Book::open(Box::new(store)).unwrap();
    assert_eq!(book.snapshot_seq(), seq);
    assert!(book.state().decoded_parts().is_empty());
    let full = Book::open_without_snapshots(Box::new(memory_with(rows))).unwrap();
    let accounts = book.state().ledger().accounts();
    assert_eq!(accounts, full.state().ledger().accounts());
    assert_eq!(accounts["maintenance"]["CAD"], 11050);
    assert!(book.state().decoded_parts().is_empty());
    // A revenue is split by the aggregates, without a contribution's record; its payouts
    // go into the ledger's journal.
    let revenue = Command::revenue("lab", "100.00");
    book.execute(OPERATOR, &revenue, None, "2026-12-31T12:00:00Z")
        .unwrap();
    assert_eq!(
        book.state().decoded_parts(),
        ["ledger journal", "distributions"]
    );
    // A keyed event reads the idempotency records; a contribution then adds to the table.
    let hours = Command::log_work("lab", "cleo", "assembly", "2");
    book.execute(OPERATOR, &hours, Some("key-1"), "2026-12-31T12:00:00Z")
        .unwrap();
    assert_eq!(
        book.state().decoded_parts(),
        [
            "contributions",
            "idempotency keys",
            "ledger journal",
            "distributions"
        ]
    );
}

/// On a store that can read a snapshot's parts later (SQLite), an open reads only the checked
/// state and leaves the deferred parts in the store; a part is read when a command first uses
/// it. A part whose snapshot is damaged or gone by then is rebuilt from the log, the same.
#[test]
fn an_open_leaves_the_deferred_parts_in_the_store_until_used() {
    let rows = scenario_rows(SCENARIOS.iter().position(|s| *s == "treasury").unwrap());
    let seq = rows.len() as u64;
    let dir = tempfile::tempdir().unwrap();
    let (path, mut store) = sqlite_book(&dir, rows);
    let snapshot = snapshot_at(rows, seq);
    store.put_snapshot(seq, &snapshot).unwrap();
    let mut full = Book::open_without_snapshots(Box::new(memory_with(rows))).unwrap();
    let mut book = Book::open(Box::new(store)).unwrap();
    assert_eq!(book.snapshot_seq(), seq);
    assert_eq!(book.state().parts_in_store(), DEFERRED_PARTS);
    assert_eq!(
        book.state().ledger().accounts()["maintenance"]["CAD"],
        11050
    );
    // The snapshot replaced at its event by one whose distributions are damaged: a revenue
    // reads the journal as it was, and rebuilds the distributions from the log.
    let mut damaged = snapshot.clone();
    *damaged.last_mut().unwrap() ^= 0x40;
    SqliteStore::open(&path)
        .unwrap()
        .put_snapshot(seq, &damaged)
        .unwrap();
    assert_eq!(next_event(&mut book), next_event(&mut full));
    assert_eq!(
        book.state().parts_in_store(),
        ["contributions", "idempotency keys"]
    );
    // A copy reads its parts from the store; the book's stay there. (The distributions are
    // shared between copies.)
    assert!(book.state().clone() == *full.state());
    assert_eq!(
        book.state().parts_in_store(),
        ["contributions", "idempotency keys"]
    );
    // The snapshots gone: a keyed contribution rebuilds the contributions and the keys.
    std::fs::remove_file(snapshots_path(&path)).unwrap();
    let hours = Command::log_work("lab", "cleo", "assembly", "2");
    for book in [&mut book, &mut full] {
        book.execute(OPERATOR, &hours, Some("key-1"), "2026-12-31T12:00:00Z")
            .unwrap();
    }
    assert!(book.state().parts_in_store().is_empty());
    assert_eq!(book.state().decoded_parts(), DEFERRED_PARTS);
    assert!(book.state() == full.state());
    assert_eq!(book.last_hash(), full.last_hash());
}

/// A SQLite store whose handles count the snapshot reads made while one of them writes a
/// snapshot: SQLite refuses those once the write spills through its rollback journal.
struct WatchedWrites {
    inner: Box<dyn Store>,
    writing: Arc<AtomicBool>,
    reads_while_writing: Arc<AtomicUsize>,
}

impl Store for WatchedWrites {
    common::reads_from_inner!();
    fn append(&mut self, rows: &[EventRow]) -> StoreResult<()> {
        self.inner.append(rows)
    }
    fn latest_snapshot(&mut self, at_most: u64) -> StoreResult<Option<(u64, Vec<u8>)>> {
        self.inner.latest_snapshot(at_most)
    }
    fn write_snapshot(
        &mut self,
        seq: u64,
        length: u64,
        write: &mut WriteSnapshot<'_>,
    ) -> StoreResult<()> {
        self.writing.store(true, Ordering::SeqCst);
        let written = self.inner.write_snapshot(seq, length, write);
        self.writing.store(false, Ordering::SeqCst);
        written
    }
    fn read_snapshot(&mut self, at_most: u64, read: &mut ReadSnapshot<'_>) -> StoreResult<bool> {
        self.inner.read_snapshot(at_most, read)
    }
    fn read_snapshot_range(&mut self, range: SnapshotRange) -> StoreResult<Option<Vec<u8>>> {
        if self.writing.load(Ordering::SeqCst) {
            self.reads_while_writing.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.read_snapshot_range(range)
    }
    fn reopener(&self) -> Option<Reopen> {
        let reopen = self.inner.reopener()?;
        let (writing, reads) = (self.writing.clone(), self.reads_while_writing.clone());
        Some(Arc::new(move || {
            Ok(Box::new(WatchedWrites {
                inner: reopen()?,
                writing: writing.clone(),
                reads_while_writing: reads.clone(),
            }) as Box<dyn Store>)
        }))
    }
    fn location(&self) -> String {
        self.inner.location()
    }
}

/// `fairshare snapshot` on a book opened from a snapshot: the parts the open left in the
/// store are read before the new snapshot is written, never while it is (they would be
/// refused, and each rebuilt by replaying the whole log).
#[test]
fn a_snapshot_reads_the_parts_left_in_the_store_before_it_writes() {
    let rows = scenario_rows(SCENARIOS.iter().position(|s| *s == "treasury").unwrap());
    let seq = rows.len() as u64;
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store) = sqlite_book(&dir, rows);
    let snapshot = snapshot_at(rows, seq);
    store.put_snapshot(seq, &snapshot).unwrap();
    let watched = WatchedWrites {
        inner: Box::new(store),
        writing: Arc::new(AtomicBool::new(false)),
        reads_while_writing: Arc::new(AtomicUsize::new(0)),
    };
    let reads_while_writing = watched.reads_while_writing.clone();
    let mut book = Book::open(Box::new(watched)).unwrap();
    assert_eq!(book.state().parts_in_store(), DEFERRED_PARTS);
    let written = book.snapshot().unwrap();
    assert_eq!(reads_while_writing.load(Ordering::SeqCst), 0);
    assert_eq!((written.seq, written.bytes), (seq, snapshot.len() as u64));
    assert!(book.state().parts_in_store().is_empty());
    assert!(book.state().decoded_parts().is_empty(), "read, not decoded");
    let full = Book::open_without_snapshots(Box::new(memory_with(rows))).unwrap();
    assert!(book.state() == full.state());
}

/// A SQLite book of `rows` in `dir`: its path, and the store open on it.
fn sqlite_book(dir: &tempfile::TempDir, rows: &[EventRow]) -> (std::path::PathBuf, SqliteStore) {
    let path = dir.path().join("book.db");
    let mut store = SqliteStore::open(&path).unwrap();
    store.append(rows).unwrap();
    (path, store)
}

/// Every scenario at its first, middle and last event, on a real SQLite file.
#[test]
fn open_from_snapshots_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    for (scenario, name) in SCENARIOS.iter().enumerate() {
        let rows = scenario_rows(scenario);
        let n = rows.len() as u64;
        for seq in [1, n / 2, n] {
            let path = dir.path().join(format!("{name}-{seq}.db"));
            let mut store = SqliteStore::open(&path).unwrap();
            store.append(rows).unwrap();
            store.put_snapshot(seq, &snapshot_at(rows, seq)).unwrap();
            drop(store);
            assert_opens_from(Box::new(SqliteStore::open(&path).unwrap()), rows, seq);
        }
    }
}

/// The same on PostgreSQL, in a schema per book (when `FAIRSHARE_TEST_POSTGRES` is set).
#[test]
fn open_from_snapshots_on_postgres() {
    let Ok(url) = std::env::var("FAIRSHARE_TEST_POSTGRES") else {
        eprintln!("skip: FAIRSHARE_TEST_POSTGRES is not set");
        return;
    };
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let separator = if url.contains('?') { '&' } else { '?' };
    for (scenario, name) in SCENARIOS.iter().enumerate() {
        let rows = scenario_rows(scenario);
        let n = rows.len() as u64;
        let schema = format!("snapshots_{name}_{}", std::process::id());
        let book_url = format!("{url}{separator}schema={schema}");
        let mut store = PostgresStore::open(&book_url).unwrap();
        store.append(rows).unwrap();
        for seq in [1, n / 2] {
            store.put_snapshot(seq, &snapshot_at(rows, seq)).unwrap();
        }
        drop(store);
        // A book opens from the newest (n / 2); verify checks both.
        let mut store = PostgresStore::open(&book_url).unwrap();
        let report = verify(&mut store).unwrap();
        let mut checked = vec![1, n / 2];
        checked.dedup();
        assert_eq!(report.snapshots_checked, checked, "{name}");
        let mut full = Book::open_without_snapshots(Box::new(memory_with(rows))).unwrap();
        let mut book = Book::open(Box::new(store)).unwrap();
        assert_eq!(book.snapshot_seq(), n / 2, "{name}");
        assert!(book.state() == full.state(), "{name}");
        assert_eq!(next_event(&mut book), next_event(&mut full), "{name}");
        drop(book);
        admin
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .unwrap();
    }
}

/// The scenario the damage tests use, and the event of their snapshot.
fn printer() -> (&'static [EventRow], u64) {
    let rows = scenario_rows(SCENARIOS.iter().position(|n| *n == "printer").unwrap());
    (rows, rows.len() as u64 / 2)
}

/// A book whose only snapshot (at `seq`) is `bytes` opens by full replay, equal to it, and
/// says why it passed the snapshot over.
fn assert_passed_over(bytes: Vec<u8>, seq: u64, reason: &str) {
    let (rows, _) = printer();
    let mut store = memory_with(rows);
    store.snapshots_mut().insert(seq, bytes);
    let book = Book::open(Box::new(store)).unwrap();
    let full = Book::open_without_snapshots(Box::new(memory_with(rows))).unwrap();
    assert_eq!(book.snapshot_seq(), 0, "no snapshot used");
    assert!(book.state() == full.state());
    assert_eq!(book.last_hash(), full.last_hash());
    let ignored = book.ignored_snapshots();
    assert_eq!(ignored.len(), 1, "{ignored:?}");
    assert_eq!(ignored[0].seq, seq);
    assert!(
        ignored[0].reason.contains(reason),
        "{:?} does not say {reason:?}",
        ignored[0].reason
    );
}

#[test]
fn a_corrupted_snapshot_is_passed_over() {
    let (rows, seq) = printer();
    let mut bytes = snapshot_at(rows, seq);
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    assert_passed_over(bytes, seq, "checksum mismatch");
}

/// Damage that also moves the snapshot's event is still said as damage: the checksum is
/// judged before where the snapshot stands, though the two are checked at once.
#[test]
fn damage_to_the_header_is_said_as_damage() {
    let (rows, seq) = printer();
    let mut bytes = snapshot_at(rows, seq);
    // The event the header says it stands at: bytes 32..40 (magic, format, rules, source).
    bytes[32] ^= 0x01;
    assert_passed_over(bytes, seq, "checksum mismatch");
}

#[test]
fn a_truncated_snapshot_is_passed_over() {
    let (rows, seq) = printer();
    let mut bytes = snapshot_at(rows, seq);
    bytes.truncate(bytes.len() / 2);
    assert_passed_over(bytes.clone(), seq, "truncated");
    bytes.truncate(20);
    assert_passed_over(bytes, seq, "truncated");
}

#[test]
fn a_foreign_snapshot_is_passed_over() {
    let (_, seq) = printer();
    assert_passed_over(
        b"PK\x03\x04 not a snapshot".to_vec(),
        seq,
        "not a fairshare",
    );
    // Another book's snapshot at the same event: its hash is not this log's.
    let other = scenario_rows(SCENARIOS.iter().position(|n| *n == "tokens").unwrap());
    assert_passed_over(snapshot_at(other, 3), 3, "another book or another history");
}

#[test]
fn an_old_format_snapshot_is_passed_over() {
    let (rows, seq) = printer();
    let mut bytes = snapshot_at(rows, seq);
    bytes[8..12].copy_from_slice(&(SNAPSHOT_FORMAT - 1).to_le_bytes());
    assert_passed_over(
        bytes,
        seq,
        &format!(
            "format {}, this build reads format {SNAPSHOT_FORMAT}",
            SNAPSHOT_FORMAT - 1
        ),
    );
}

#[test]
fn another_builds_snapshot_is_passed_over() {
    let (rows, seq) = printer();
    let mut bytes = snapshot_at(rows, seq);
    bytes[16..32].copy_from_slice(b"0123456789abcdef");
    assert_passed_over(
        bytes,
        seq,
        &format!("written by another build (rules {RULES}, core source 0123456789abcdef)"),
    );
}

#[test]
fn a_snapshot_kept_at_another_event_is_passed_over() {
    let (rows, seq) = printer();
    assert_passed_over(snapshot_at(rows, seq), seq + 1, "not where it is kept");
}

/// A damaged newest snapshot: the book opens from the older one below it.
#[test]
fn a_damaged_newest_snapshot_falls_back_to_an_older_one() {
    let (rows, seq) = printer();
    let mut store = memory_with(rows);
    store
        .put_snapshot(seq - 3, &snapshot_at(rows, seq - 3))
        .unwrap();
    let mut newest = snapshot_at(rows, seq);
    newest[200] ^= 1;
    store.put_snapshot(seq, &newest).unwrap();
    let book = Book::open(Box::new(store)).unwrap();
    assert_eq!(book.snapshot_seq(), seq - 3);
    assert_eq!(book.ignored_snapshots().len(), 1);
    let full = Book::open_without_snapshots(Box::new(memory_with(rows))).unwrap();
    assert!(book.state() == full.state());
}

/// The same damage on a SQLite file: passed over, the book opens by full replay.
#[test]
fn a_damaged_snapshot_on_sqlite_is_passed_over() {
    let (rows, seq) = printer();
    let dir = tempfile::tempdir().unwrap();
    let (path, mut store) = sqlite_book(&dir, rows);
    let mut bytes = snapshot_at(rows, seq);
    bytes.truncate(bytes.len() - 1);
    store.put_snapshot(seq, &bytes).unwrap();
    drop(store);
    let book = Book::open(Box::new(SqliteStore::open(&path).unwrap())).unwrap();
    assert_eq!(book.snapshot_seq(), 0);
    assert_eq!(book.ignored_snapshots().len(), 1);
    let full = Book::open_without_snapshots(Box::new(memory_with(rows))).unwrap();
    assert!(book.state() == full.state());
    // verify says so, and finds the book sound: a snapshot opening passes over harms nothing.
    let report = verify(&mut SqliteStore::open_read_only(&path).unwrap()).unwrap();
    assert!(report.ok(), "{:?}", report.problem);
    assert_eq!(report.snapshots_ignored.len(), 1);
    assert!(report.snapshots_checked.is_empty());
}

/// A snapshot whose checked state is sound but whose last deferred part has a damaged byte:
/// an open uses it (and rebuilds that part from the log when it is read); `verify` reads the
/// parts only as it compares them with the replay, finds the part against its checksum, and
/// passes the snapshot over as damaged. An intact copy is checked.
#[test]
fn verify_checks_the_deferred_parts_as_it_compares_them() {
    let (rows, seq) = printer();
    let dir = tempfile::tempdir().unwrap();
    let (path, mut store) = sqlite_book(&dir, rows);
    let sound = snapshot_at(rows, seq);
    let mut damaged = sound.clone();
    *damaged.last_mut().unwrap() ^= 0x40;
    store.put_snapshot(seq, &damaged).unwrap();
    drop(store);
    let book = Book::open(Box::new(SqliteStore::open(&path).unwrap())).unwrap();
    assert_eq!(book.snapshot_seq(), seq, "its checked state is sound");
    let report = verify(&mut SqliteStore::open_read_only(&path).unwrap()).unwrap();
    assert!(report.ok(), "{:?}", report.problem);
    assert!(report.snapshots_checked.is_empty());
    assert_eq!(report.snapshots_ignored.len(), 1);
    assert_eq!(report.snapshots_ignored[0].seq, seq);
    assert_eq!(
        report.snapshots_ignored[0].reason,
        "checksum mismatch: damaged"
    );
    SqliteStore::open(&path)
        .unwrap()
        .put_snapshot(seq, &sound)
        .unwrap();
    let report = verify(&mut SqliteStore::open_read_only(&path).unwrap()).unwrap();
    assert_eq!(report.snapshots_checked, [seq]);
    assert!(report.snapshots_ignored.is_empty());
}

/// A SQLite book whose snapshot file beside it is garbage still opens (by full replay) and
/// verifies: the unreadable snapshots are passed over, said once, as a cache should be.
#[test]
fn a_damaged_snapshot_file_on_sqlite_is_passed_over() {
    let (rows, seq) = printer();
    let dir = tempfile::tempdir().unwrap();
    let (path, mut store) = sqlite_book(&dir, rows);
    store.put_snapshot(seq, &snapshot_at(rows, seq)).unwrap();
    drop(store);
    std::fs::write(snapshots_path(&path), vec![0x5a; 8192]).unwrap();
    let book = Book::open(Box::new(SqliteStore::open(&path).unwrap())).unwrap();
    assert_eq!(book.snapshot_seq(), 0);
    let ignored = book.ignored_snapshots();
    assert_eq!(ignored.len(), 1, "{ignored:?}");
    assert!(
        ignored[0].reason.contains("cannot read its snapshots")
            && ignored[0].reason.contains("book.db.snapshots"),
        "{}",
        ignored[0]
    );
    let full = Book::open_without_snapshots(Box::new(memory_with(rows))).unwrap();
    assert!(book.state() == full.state());
    let report = verify(&mut SqliteStore::open_read_only(&path).unwrap()).unwrap();
    assert!(report.ok(), "{:?}", report.problem);
    assert_eq!(report.snapshots_ignored.len(), 1);
}

/// A snapshot at event `seq` of the book `rows` that records the log's hash there but holds
/// another state: event `seq` decided as a new agent instead.
fn forged_snapshot(rows: &[EventRow], seq: u64) -> Vec<u8> {
    let mut forged = Book::open(Box::new(memory_with(&rows[..seq as usize - 1]))).unwrap();
    forged
        .execute(
            OPERATOR,
            &Command::add_agent("mallory", Role::Affiliate),
            None,
            "2026-11-21T12:00:00Z",
        )
        .unwrap();
    forged.state().encode_snapshot(&rows[seq as usize - 1].hash)
}

/// A snapshot sound on its face (its header, checksum and head hash match the log) whose state
/// is another: opening trusts it, `verify` names it.
#[test]
fn verify_names_a_snapshot_that_disagrees() {
    let (rows, seq) = printer();
    let mut store = memory_with(rows);
    store
        .put_snapshot(seq, &forged_snapshot(rows, seq))
        .unwrap();
    let report = verify(&mut store).unwrap();
    let (at, message) = report.problem.clone().expect("a problem");
    assert_eq!(at, seq);
    assert_eq!(
        message,
        format!(
            "the snapshot at event {seq} disagrees with the replay: its agents differ, and \
             opening the book would load it (`fairshare snapshot` writes a sound one, which \
             opening prefers)"
        )
    );
    assert_eq!(report.events, rows.len() as u64, "every event is sound");
}

/// A forged snapshot at the last event, where an import and `fairshare snapshot` leave one:
/// `verify` compares it after the replay, beside the final audit, and names it all the same;
/// a sound one there is checked.
#[test]
fn verify_names_a_snapshot_at_the_last_event_that_disagrees() {
    let (rows, _) = printer();
    let last = rows.len() as u64;
    let mut store = memory_with(rows);
    store
        .put_snapshot(last, &forged_snapshot(rows, last))
        .unwrap();
    let report = verify(&mut store).unwrap();
    let (at, message) = report.problem.clone().expect("a problem");
    assert_eq!(at, last);
    assert!(message.contains("its agents differ"), "{message}");
    assert!(report.snapshots_checked.is_empty());

    let mut store = memory_with(rows);
    store.put_snapshot(last, &snapshot_at(rows, last)).unwrap();
    let report = verify(&mut store).unwrap();
    assert_eq!(report.problem, None);
    assert_eq!(report.snapshots_checked, [last]);
    assert_eq!(report.events, last);
}

/// A store whose head, asked once before the scan, is one event short of what the scan
/// reads: an event appended while `verify` ran.
struct GrewDuringVerify {
    inner: MemoryStore,
}

impl Store for GrewDuringVerify {
    fn head(&mut self) -> StoreResult<u64> {
        Ok(self.inner.head()? - 1)
    }
    fn scan(
        &mut self,
        after: u64,
        visit: &mut dyn FnMut(EventRow) -> StoreResult<()>,
    ) -> StoreResult<()> {
        self.inner.scan(after, visit)
    }
    fn append(&mut self, rows: &[EventRow]) -> StoreResult<()> {
        self.inner.append(rows)
    }
    fn latest_snapshot(&mut self, at_most: u64) -> StoreResult<Option<(u64, Vec<u8>)>> {
        self.inner.latest_snapshot(at_most)
    }
    fn read_snapshot(&mut self, at_most: u64, read: &mut ReadSnapshot<'_>) -> StoreResult<bool> {
        self.inner.read_snapshot(at_most, read)
    }
    fn location(&self) -> String {
        self.inner.location()
    }
}

/// The snapshot at the head `verify` saw first is still compared when the book grew during
/// the replay (it is compared after the replay only when the replay ends there).
#[test]
fn verify_compares_the_last_snapshot_of_a_book_that_grew_meanwhile() {
    let (rows, _) = printer();
    let seen = rows.len() as u64 - 1;
    let mut forged = memory_with(rows);
    forged
        .put_snapshot(seen, &forged_snapshot(rows, seen))
        .unwrap();
    let report = verify(&mut GrewDuringVerify { inner: forged }).unwrap();
    let (at, message) = report.problem.clone().expect("a problem");
    assert_eq!(at, seen);
    assert!(message.contains("its agents differ"), "{message}");

    let mut sound = memory_with(rows);
    sound.put_snapshot(seen, &snapshot_at(rows, seen)).unwrap();
    let report = verify(&mut GrewDuringVerify { inner: sound }).unwrap();
    assert_eq!(report.problem, None);
    assert_eq!(report.snapshots_checked, [seen]);
    assert_eq!(report.events, seen + 1);
}

/// The same on SQLite, where `verify` checks each snapshot as a stream and reads it again
/// from the store (a handle of its own) when the replay reaches it, holding none whole.
#[test]
fn verify_names_a_snapshot_that_disagrees_on_sqlite() {
    let (rows, seq) = printer();
    let dir = tempfile::tempdir().unwrap();
    let (path, mut store) = sqlite_book(&dir, rows);
    store
        .put_snapshot(seq, &forged_snapshot(rows, seq))
        .unwrap();
    store
        .put_snapshot(seq + 1, &snapshot_at(rows, seq + 1))
        .unwrap();
    let report = verify(&mut SqliteStore::open_read_only(&path).unwrap()).unwrap();
    let (at, message) = report.problem.clone().expect("a problem");
    assert_eq!(at, seq);
    assert!(message.contains("its agents differ"), "{message}");
    assert_eq!(report.snapshots_checked, [seq + 1]);
    assert_eq!(report.events, rows.len() as u64, "every event is sound");
}

/// A book writes a snapshot every N events on its own, and the next open starts from it.
#[test]
fn snapshots_are_written_every_n_events() {
    let mut book = Book::open(Box::new(MemoryStore::new())).unwrap();
    book.set_snapshot_every(Some(5));
    for i in 0..12 {
        book.execute(
            OPERATOR,
            &Command::add_agent(&format!("agent{i:02}"), Role::Affiliate),
            None,
            "2026-11-21T12:00:00Z",
        )
        .unwrap();
    }
    let store = book.store_mut();
    assert_eq!(store.latest_snapshot(u64::MAX).unwrap().unwrap().0, 10);
    assert_eq!(store.latest_snapshot(9).unwrap().unwrap().0, 5);
    let rows = rows(store);
    let mut copy = memory_with(&rows);
    for seq in [5, 10] {
        let bytes = book.store_mut().latest_snapshot(seq).unwrap().unwrap().1;
        copy.put_snapshot(seq, &bytes).unwrap();
    }
    let reopened = Book::open(Box::new(copy)).unwrap();
    assert_eq!(reopened.snapshot_seq(), 10);
    assert!(reopened.state() == book.state());
}

/// The remedy `verify` names: `fairshare snapshot` (`Book::snapshot`) at the same event
/// replaces the bad snapshot, and the book verifies again.
#[test]
fn a_new_snapshot_replaces_one_that_disagrees() {
    let (rows, _) = printer();
    let seq = rows.len() as u64;
    let mut store = memory_with(rows);
    store
        .put_snapshot(seq, &forged_snapshot(rows, seq))
        .unwrap();
    assert_eq!(verify(&mut store).unwrap().problem.unwrap().0, seq);
    let mut book = Book::open_without_snapshots(Box::new(store)).unwrap();
    assert_eq!(book.snapshot().unwrap().seq, seq);
    let report = verify(book.store_mut()).unwrap();
    assert!(report.ok(), "{:?}", report.problem);
    assert_eq!(report.snapshots_checked, [seq]);
}
