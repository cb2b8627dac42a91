//! What must hold after every step, read from the book and the disk alone.

use std::collections::BTreeMap;

use fairshare_book::{Book, MemoryStore, verify};
use fairshare_core::State;

/// Money is conserved per asset, no account but `outside` is negative, and every token's
/// supply is what its holders hold (invariants 1-3 of DOMAIN.md and the token invariant).
pub fn money(state: &State) -> Result<(), String> {
    let ledger = state.ledger();
    ledger
        .audit()
        .map_err(|error| format!("ledger audit: {error}"))?;
    let mut held: BTreeMap<&str, i128> = BTreeMap::new();
    for (account, assets) in ledger.accounts() {
        for (asset, balance) in assets {
            if account != "outside" {
                *held.entry(asset.as_str()).or_default() += balance;
            }
        }
    }
    for (asset, total) in &held {
        let entered = -ledger.balance("outside", asset);
        if *total != entered {
            return Err(format!(
                "{asset}: the network holds {total} but {entered} came in"
            ));
        }
    }
    for token in state.tokens() {
        let holders = held.get(token.symbol.as_str()).copied().unwrap_or(0);
        if token.supply() != holders {
            return Err(format!(
                "token {}: supply {} but holders hold {holders}",
                token.symbol,
                token.supply()
            ));
        }
    }
    Ok(())
}

/// Each project's pending contributions, monthly sums and distribution counters, kept as events
/// arrive, are what its contribution table and the distributions say.
pub fn aggregates(state: &State) -> Result<(), String> {
    state.recount_project_aggregates()
}

/// The book's memory is the disk: same head, same last hash.
pub fn in_step(book: &Book, disk: &MemoryStore) -> Result<(), String> {
    let rows = disk.rows();
    let (head, hash) = rows
        .last()
        .map_or((0, fairshare_core::GENESIS_HASH), |row| {
            (row.seq, row.hash.as_str())
        });
    if book.state().head() != head || book.last_hash() != hash {
        return Err(format!(
            "the book stands at event {} ({}) but the disk at {head} ({hash})",
            book.state().head(),
            book.last_hash()
        ));
    }
    Ok(())
}

/// Replaying the disk gives the live state, and `verify` accepts it.
pub fn replay(book: &Book, disk: MemoryStore) -> Result<(), String> {
    let mut copy = disk.clone();
    let report = verify(&mut copy).map_err(|error| format!("verify: {error}"))?;
    if !report.ok() {
        return Err(format!("verify: {:?}", report.problem));
    }
    // From the first event: snapshots are checked by verify above and used by every restart.
    let replayed =
        Book::open_without_snapshots(Box::new(disk)).map_err(|error| format!("replay: {error}"))?;
    if replayed.state() != book.state() {
        return Err("replaying the disk does not give the live state".into());
    }
    Ok(())
}
