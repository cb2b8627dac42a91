//! Import of a JSON-lines export: all or nothing (a refusal after rows were appended inside the
//! transaction leaves none), byte-identical re-export, and the first bad line in file order is
//! the one reported, whichever check (stateless or stateful) finds it.

mod common;

use std::io::Cursor;
use std::sync::OnceLock;

use common::{request, rows_of, setup, work};
use fairshare_book::{Book, MemoryStore, export_jsonl, import_jsonl, seal_row};
use fairshare_core::{EventBody, Outcome};
use fairshare_sqlite::SqliteStore;
use fairshare_store::{AppendAll, EventRow, RowsStore, Store, StoreError, StoreResult};

/// Events in the fixture: enough for several reader batches and two write batches.
const EVENTS: u64 = 12_000;
/// Every this many work logs carries an idempotency key.
const KEY_EVERY: usize = 1_000;

/// The rows of a book: an agent, a project, a rate, then work logs.
fn fixture() -> &'static [EventRow] {
    static ROWS: OnceLock<Vec<EventRow>> = OnceLock::new();
    ROWS.get_or_init(|| {
        let mut requests = setup();
        for i in 0..EVENTS as usize - requests.len() {
            let key = (i % KEY_EVERY == 0).then(|| format!("w{i}"));
            requests.push(request(
                "ana",
                work(&format!("{}", 1 + i % 7)),
                key.as_deref(),
            ));
        }
        let mut book = Book::open(Box::new(MemoryStore::new())).unwrap();
        for result in book.execute_batch(&requests) {
            result.unwrap();
        }
        rows_of(&mut book).rows().to_vec()
    })
}

/// Recomputes every chain hash, so that an edited row still chains.
fn reseal(rows: &mut [EventRow]) {
    let mut prev_hash = fairshare_core::GENESIS_HASH.to_string();
    for row in rows.iter_mut() {
        *row = seal_row(
            row.seq,
            &row.recorded_at,
            &row.actor,
            row.idempotency_key.as_deref(),
            &row.payload_hash,
            std::mem::take(&mut row.body),
            &prev_hash,
        );
        prev_hash = row.hash.clone();
    }
}

fn to_jsonl(rows: &[EventRow]) -> String {
    let mut out = Vec::new();
    export_jsonl(&mut RowsStore(rows), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// The fixture as JSON lines once `edit`ed; `reseal_after` chains the edited rows again, so
/// that only the edit itself is wrong.
fn edited(edit: impl FnOnce(&mut [EventRow]), reseal_after: bool) -> String {
    let mut rows = fixture().to_vec();
    edit(&mut rows);
    if reseal_after {
        reseal(&mut rows);
    }
    to_jsonl(&rows)
}

/// Gives the work log at `seq` an outcome the core does not decide, still chained.
fn with_wrong_outcome(rows: &mut [EventRow], seq: u64) {
    let row = &mut rows[seq as usize - 1];
    let mut body = EventBody::from_json(&row.body).unwrap();
    let Outcome::Logged { id, .. } = &mut body.outcome else {
        panic!("event {seq} is not a log");
    };
    *id += 1;
    row.body = body.to_json();
}

/// Replaces line `number` (1-based) of `text`.
fn replace_line(text: &str, number: usize, line: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    lines[number - 1] = line;
    lines.join("\n") + "\n"
}

struct Imported {
    result: Result<u64, String>,
    store: MemoryStore,
    progress: Vec<(&'static str, u64)>,
}

fn import(text: &str) -> Imported {
    let mut store = MemoryStore::new();
    let mut progress = Vec::new();
    let result = import_jsonl(
        &mut Cursor::new(text.as_bytes()),
        &mut store,
        &mut |phase, events| progress.push((phase, events)),
    )
    .map_err(|e| e.to_string());
    Imported {
        result,
        store,
        progress,
    }
}

/// Imports a file that must be refused: returns the error, having checked that the store has
/// no rows (whatever the import appended inside its transaction was rolled back).
fn refused(text: &str) -> String {
    let imported = import(text);
    assert!(
        imported.store.rows().is_empty(),
        "a refused import left rows"
    );
    imported.result.expect_err("the import should be refused")
}

#[test]
fn import_reexports_byte_identical_with_progress() {
    let text = to_jsonl(fixture());
    let mut imported = import(&text);
    assert_eq!(imported.result, Ok(EVENTS));
    let mut out = Vec::new();
    export_jsonl(&mut imported.store, &mut out).unwrap();
    assert!(out == text.as_bytes(), "re-export differs");
    assert_eq!(
        imported.progress,
        vec![
            ("checking", 10_000),
            ("writing", 10_000),
            ("checking", EVENTS),
            ("writing", EVENTS),
        ]
    );
    // A second import into a book with events is refused.
    let mut input = Cursor::new(text.as_bytes());
    let error = import_jsonl(&mut input, &mut imported.store, &mut |_, _| {}).unwrap_err();
    assert_eq!(
        error.to_string(),
        "import needs an empty book: this one already has events"
    );
}

/// The fixture with a wrong outcome at `seq`, still chained.
fn wrong_outcome_at(seq: u64) -> String {
    edited(|rows| with_wrong_outcome(rows, seq), true)
}

fn outcome_differs(seq: u64) -> String {
    format!("line {seq}: event {seq}: recorded outcome differs from its recomputation")
}

/// A wrong outcome (found by the thread that decides again) and a malformed line (found by
/// the reader, which runs ahead): whichever comes first in the file is the error reported.
#[test]
fn the_first_bad_line_in_file_order_is_reported() {
    let malformed_first = "line 1500: key must be a string".to_string();
    let cases = [
        // (wrong outcome at, malformed line at, its text, the error)
        (1_500, 2_400, "{not json", outcome_differs(1_500)),
        // Line 2100 is still in the reader's unsent batch when it fails at line 2400.
        (2_100, 2_400, "{not json", outcome_differs(2_100)),
        (3_000, 3_001, "[]", outcome_differs(3_000)),
        (2_400, 1_500, "{not json", malformed_first),
    ];
    for (outcome_at, malformed_at, malformed, expected) in cases {
        let text = replace_line(&wrong_outcome_at(outcome_at), malformed_at, malformed);
        assert_refused_with(&text, &expected);
    }
}

/// One pass: the first 10,000 rows are appended inside the transaction before event 11,000
/// is refused, and the rollback leaves the store empty.
#[test]
fn a_refusal_after_a_written_batch_leaves_the_book_empty() {
    let imported = import(&wrong_outcome_at(11_000));
    assert_eq!(imported.result, Err(outcome_differs(11_000)));
    assert_eq!(
        imported.progress,
        vec![("checking", 10_000), ("writing", 10_000)],
        "the refusal should come after a full batch was appended"
    );
    assert!(
        imported.store.rows().is_empty(),
        "the batch was not rolled back"
    );
}

/// The same on SQLite: the refused import's transaction is rolled back, and a reader of the
/// file finds no rows.
#[test]
fn a_refusal_after_a_written_batch_leaves_a_sqlite_book_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.db");
    let mut store = SqliteStore::open(&path).unwrap();
    let mut written = 0;
    let error = import_jsonl(
        &mut Cursor::new(wrong_outcome_at(11_000).into_bytes()),
        &mut store,
        &mut |phase, events| {
            if phase == "writing" {
                written = events;
            }
        },
    )
    .unwrap_err();
    assert_eq!(error.to_string(), outcome_differs(11_000));
    assert_eq!(
        written, 10_000,
        "a full batch should have been appended first"
    );
    assert_eq!(SqliteStore::open(&path).unwrap().head().unwrap(), 0);
}

#[test]
fn an_early_failure_stops_a_reader_far_ahead() {
    assert_eq!(refused(&wrong_outcome_at(10)), outcome_differs(10));
}

#[test]
fn a_reused_key_is_reported_before_a_later_broken_chain() {
    let mut rows = fixture().to_vec();
    let key = rows[3].idempotency_key.clone().expect("event 4 has a key");
    rows[2_999].idempotency_key = Some(key.clone());
    reseal(&mut rows);
    rows[4_999].prev_hash = "0".repeat(64);
    assert_eq!(
        refused(&to_jsonl(&rows)),
        format!("line 3000: event 3000: idempotency key {key:?} is used twice")
    );
}

/// Asserts that importing `text` is refused with a message that starts with `prefix` (the
/// rest comes from serde or the core).
fn assert_refused_with(text: &str, prefix: &str) {
    let error = refused(text);
    assert!(error.starts_with(prefix), "{error}");
}

/// The error importing the fixture once `edit`ed (see [`edited`]).
fn refused_edited(edit: impl FnOnce(&mut [EventRow]), reseal_after: bool) -> String {
    refused(&edited(edit, reseal_after))
}

#[test]
fn each_check_names_its_line() {
    let text = to_jsonl(fixture());
    let lines: Vec<&str> = text.lines().collect();

    // Blank lines count in line numbers.
    let bad_hash = edited(|rows| rows[4].hash = "0".repeat(64), false);
    let blank_first = format!("\n   \n{bad_hash}");
    assert_eq!(
        refused(&blank_first),
        "line 7: event 5 hash does not match its contents"
    );

    let missing_second = format!("{}\n{}\n", lines[0], lines[2..].join("\n"));
    assert_eq!(
        refused(&missing_second),
        "line 2: expected event 2, found 3"
    );

    let unchained = refused_edited(|rows| rows[6].prev_hash = rows[5].prev_hash.clone(), false);
    assert_eq!(
        unchained,
        "line 7: event 7 does not chain to the event before it"
    );

    let wrong_payload = refused_edited(
        |rows| rows[7].payload_hash = rows[8].payload_hash.clone(),
        true,
    );
    assert_eq!(
        wrong_payload,
        "line 8: event 8: payload hash does not match"
    );

    let bad_body = edited(
        |rows| rows[8].body = r#"{"command":{"op":"nothing"}}"#.into(),
        true,
    );
    assert_refused_with(&bad_body, "line 9: event 9: ");

    let bad_time = edited(|rows| rows[9].recorded_at = "yesterday".into(), true);
    assert_refused_with(&bad_time, "event 10: bad time \"yesterday\"");

    let unknown_field = replace_line(&text, 11, &lines[10].replacen('{', "{\"extra\":1,", 1));
    assert_refused_with(&unknown_field, "line 11: unknown field `extra`");
}

#[test]
fn an_overlong_line_is_refused_with_its_number() {
    let text = to_jsonl(&fixture()[..3]);
    let long = format!("{text}{}\n", " ".repeat(64 << 20));
    assert_eq!(refused(&long), "line 4: longer than 67108864 bytes");
}

/// A store whose transaction fails at its second batch, as a full disk or a lost connection
/// would, and which shows what a reader would have seen meanwhile.
struct FailingStore {
    inner: MemoryStore,
    /// The inner store's head as another reader would see it after each batch.
    seen: Vec<u64>,
}

impl Store for FailingStore {
    common::reads_from_inner!();
    fn append(&mut self, rows: &[EventRow]) -> StoreResult<()> {
        self.inner.append(rows)
    }
    fn append_all(&mut self, fill: &mut AppendAll<'_>) -> StoreResult<()> {
        let mut batches = 0;
        let mut staged: Vec<EventRow> = Vec::new();
        fill(&mut |rows| {
            batches += 1;
            if batches == 2 {
                return Err(StoreError::Backend("disk full".into()));
            }
            staged.extend_from_slice(rows);
            self.seen.push(self.inner.rows().len() as u64);
            Ok(())
        })?;
        self.inner.append(&staged)
    }
    fn location(&self) -> String {
        "failing".into()
    }
}

#[test]
fn an_import_that_fails_while_writing_leaves_the_book_empty() {
    let text = to_jsonl(fixture());
    let mut store = FailingStore {
        inner: MemoryStore::new(),
        seen: Vec::new(),
    };
    let error = import_jsonl(
        &mut Cursor::new(text.as_bytes()),
        &mut store,
        &mut |_, _| {},
    )
    .unwrap_err();
    assert_eq!(error.to_string(), "storage: disk full");
    assert_eq!(store.seen, [0]);
    assert_eq!(store.inner.head().unwrap(), 0);
    // Run again on a store that works, it imports everything.
    let mut again = store.inner;
    let count = import_jsonl(
        &mut Cursor::new(text.as_bytes()),
        &mut again,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(count, EVENTS);
    assert_eq!(again.rows(), fixture());
}
