//! Replay of long bodies: a revenue split over hundreds of agents is parsed by the applying
//! thread rather than the reader; it must replay to the same state, and a damaged one must be
//! named.

mod common;

use common::{request, rows_of, setup, work_by};
use fairshare_book::{Book, BookError, MemoryStore};
use fairshare_core::{Command, OPERATOR, Role};
use fairshare_store::{EventRow, Store};

const AGENTS: usize = 600;

/// A book whose last event is a revenue paying `AGENTS` contributors: its body is well over
/// the 16 KiB past which replay defers parsing.
fn book_with_a_long_revenue() -> Book {
    let mut book = Book::open(Box::new(MemoryStore::new())).unwrap();
    let mut requests = setup();
    for i in 0..AGENTS {
        let handle = format!("agent{i:04}");
        requests.push(request(
            OPERATOR,
            Command::AddAgent {
                handle: handle.clone(),
                name: None,
                role: Role::Affiliate,
            },
            None,
        ));
        requests.push(request(
            OPERATOR,
            work_by(&handle, &format!("{}", i % 7 + 1)),
            None,
        ));
    }
    requests.push(request(
        OPERATOR,
        Command::revenue("p", "12345.67"),
        Some("sale-1"),
    ));
    for result in book.execute_batch(&requests) {
        result.unwrap();
    }
    book
}

#[test]
fn a_long_revenue_replays_to_the_same_state() {
    let mut book = book_with_a_long_revenue();
    let store = rows_of(&mut book);
    let last_body_bytes = store.rows().last().unwrap().body.len();
    assert!(
        last_body_bytes > 16 << 10,
        "body of {last_body_bytes} bytes"
    );
    let replayed = Book::open(Box::new(store)).unwrap();
    assert_eq!(replayed.state(), book.state());
    assert_eq!(replayed.last_hash(), book.last_hash());
    let distribution = replayed.state().distribution(1).unwrap();
    assert_eq!(
        distribution.lines.iter().map(|l| l.amount).sum::<i128>(),
        1_234_567
    );
}

#[test]
fn a_damaged_long_body_is_named() {
    let mut book = book_with_a_long_revenue();
    let store = rows_of(&mut book);
    let mut rows: Vec<EventRow> = store.rows().to_vec();
    let last = rows.last_mut().unwrap();
    let seq = last.seq;
    // Still long, no longer JSON.
    last.body.truncate(last.body.len() - 3);
    let mut damaged = MemoryStore::new();
    damaged.append(&rows).unwrap();
    match Book::open(Box::new(damaged)) {
        Err(BookError::Corrupt { seq: at, .. }) => assert_eq!(at, seq),
        Err(other) => panic!("expected a corrupt event {seq}, got {other}"),
        Ok(_) => panic!("a truncated body replayed"),
    }
}
