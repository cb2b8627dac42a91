//! Group commit: a batch gives the same results as one request at a time, refuses requests
//! alone, and recovers when another writer appended first.

mod common;

use common::{AT, request, setup, work};
use fairshare_book::{Book, MemoryStore, verify};
use fairshare_core::{Command, OPERATOR, Outcome};
use fairshare_sqlite::SqliteStore;
use fairshare_store::{EventRow, Store, StoreResult};

#[test]
fn a_batch_equals_one_at_a_time() {
    let mut requests = setup();
    requests.push(request("ana", work("2"), Some("w1")));
    requests.push(request("ana", work("-1"), None));
    requests.push(request("ana", work("2"), Some("w1")));
    requests.push(request("ana", work("3"), Some("w1")));
    requests.push(request(OPERATOR, Command::revenue("p", "10.00"), None));

    let mut batched = Book::open(Box::new(MemoryStore::new())).unwrap();
    let results = batched.execute_batch(&requests);
    let mut single = Book::open(Box::new(MemoryStore::new())).unwrap();
    for (request, batched_result) in requests.iter().zip(&results) {
        let one = single.execute(
            &request.actor,
            &request.command,
            request.key.as_deref(),
            &request.recorded_at,
        );
        assert_eq!(
            one.map_err(|e| e.to_string()),
            batched_result.as_ref().map_err(|e| e.to_string()).cloned()
        );
    }
    assert_eq!(batched.state(), single.state());
    assert_eq!(batched.last_hash(), single.last_hash());
    assert_eq!(
        results[4].as_ref().unwrap_err().to_string(),
        "hours must be greater than zero, got -1"
    );
    assert!(results[5].as_ref().unwrap().replayed);
    assert!(
        results[6]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("already used for a different request")
    );
    assert!(matches!(
        results[7].as_ref().unwrap().outcome,
        Outcome::Distributed { .. }
    ));
    assert!(verify(batched.store_mut()).unwrap().ok());
}

#[test]
fn a_batch_catches_up_with_events_it_has_not_seen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.db");
    let mut first = Book::open(Box::new(SqliteStore::open(&path).unwrap())).unwrap();
    let mut second = Book::open(Box::new(SqliteStore::open(&path).unwrap())).unwrap();
    for result in first.execute_batch(&setup()) {
        result.unwrap();
    }
    // `second` has not seen those events; its batch must catch up, not fork the log.
    let results = second.execute_batch(&[
        request("ana", work("1"), None),
        request("ana", work("4"), None),
    ]);
    assert_eq!(
        results
            .iter()
            .map(|r| r.as_ref().unwrap().seq)
            .collect::<Vec<_>>(),
        vec![4, 5]
    );
    first.catch_up().unwrap();
    assert_eq!(first.state(), second.state());
    let mut store = SqliteStore::open(&path).unwrap();
    let report = verify(&mut store).unwrap();
    assert!(report.ok(), "{:?}", report.problem);
    assert_eq!(report.events, 5);
}

/// A store that lets another writer append just before its first append, as a second process
/// would between this book's decision and its write.
struct Racing {
    inner: SqliteStore,
    before_first_append: Option<Box<dyn FnOnce() + Send>>,
}

impl Store for Racing {
    common::reads_from_inner!();
    fn append(&mut self, rows: &[EventRow]) -> StoreResult<()> {
        if let Some(race) = self.before_first_append.take() {
            race();
        }
        self.inner.append(rows)
    }
    fn location(&self) -> String {
        self.inner.location()
    }
}

#[test]
fn a_batch_recovers_when_another_writer_appended_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.db");
    let mut setup_book = Book::open(Box::new(SqliteStore::open(&path).unwrap())).unwrap();
    for result in setup_book.execute_batch(&setup()) {
        result.unwrap();
    }
    let other = path.clone();
    let racing = Racing {
        inner: SqliteStore::open(&path).unwrap(),
        before_first_append: Some(Box::new(move || {
            let mut book = Book::open(Box::new(SqliteStore::open(&other).unwrap())).unwrap();
            book.execute(OPERATOR, &work("7"), Some("the other writer"), AT)
                .unwrap();
        })),
    };
    let mut book = Book::open(Box::new(racing)).unwrap();
    // The batch is decided on events 1..=3, its append of 4 and 5 is refused (the other writer
    // took 4), the book rebuilds its state from the store and decides the batch again.
    let results = book.execute_batch(&[
        request("ana", work("1"), None),
        request("ana", work("4"), None),
    ]);
    assert_eq!(
        results
            .iter()
            .map(|r| r.as_ref().map(|e| e.seq).map_err(|e| e.to_string()))
            .collect::<Vec<_>>(),
        vec![Ok(5), Ok(6)]
    );
    assert_eq!(book.state().head(), 6);
    assert!(book.state().key_record("the other writer").is_some());
    let mut store = SqliteStore::open(&path).unwrap();
    let report = verify(&mut store).unwrap();
    assert!(report.ok(), "{:?}", report.problem);
    assert_eq!(report.events, 6);
    let reopened = Book::open(Box::new(SqliteStore::open(&path).unwrap())).unwrap();
    assert_eq!(reopened.state(), book.state());
}
