//! `verify` names the first broken event, whichever of its threads finds it.

mod common;

use common::{request, rows_of, setup, work};
use fairshare_book::{Book, MemoryStore, verify};
use fairshare_core::{GENESIS_HASH, chain_hash};
use fairshare_store::{EventRow, Store};

/// A book of the common set-up and two contributions, as rows.
fn rows() -> Vec<EventRow> {
    let mut requests = setup();
    requests.push(request("ana", work("2"), Some("w1")));
    requests.push(request("ana", work("3"), None));
    let mut book = Book::open(Box::new(MemoryStore::new())).unwrap();
    for result in book.execute_batch(&requests) {
        result.unwrap();
    }
    rows_of(&mut book).rows().to_vec()
}

/// A store holding `rows` with every hash chained again, as a forger would.
fn rechained(mut rows: Vec<EventRow>) -> MemoryStore {
    let mut prev = GENESIS_HASH.to_string();
    for row in &mut rows {
        row.prev_hash = prev;
        row.hash = chain_hash(
            row.seq,
            &row.recorded_at,
            &row.actor,
            row.idempotency_key.as_deref(),
            &row.payload_hash,
            &row.body,
            &row.prev_hash,
        );
        prev = row.hash.clone();
    }
    let mut store = MemoryStore::new();
    store.append(&rows).unwrap();
    store
}

#[test]
fn a_payload_hash_that_is_not_its_commands_is_found_under_a_sound_chain() {
    let rows = rows();
    let events = rows.len() as u64;
    assert_eq!(verify(&mut rechained(rows.clone())).unwrap().events, events);
    let mut forged = rows;
    let at = forged.len() - 2;
    forged[at].payload_hash = "0".repeat(64);
    let report = verify(&mut rechained(forged)).unwrap();
    assert_eq!(
        report.problem,
        Some((
            events - 1,
            "payload hash does not match the actor and command".to_string()
        ))
    );
    assert_eq!(report.events, events - 2);
}
