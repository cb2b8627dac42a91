//! Snapshots of a book's state: written every [`SNAPSHOT_EVERY_EVENTS`] events, after a long
//! import and on demand, loaded on open so that only the events after them are replayed.
//!
//! A snapshot is a cache, never the truth. One is used only when its header and checksum are
//! sound, it was written by this format and build, and the log's hash at its event is the one
//! it records (so it belongs to this book and this history); anything else is ignored with one
//! line on stderr, and the book opens from an older snapshot or by replaying the whole log.
//! `verify` replays from the first event regardless and compares every snapshot it finds.

use fairshare_core::{SnapshotHeader, State, check_snapshot_checksum, snapshot_header_unsummed};
use fairshare_store::Store;

use crate::{BookError, BookResult, scan_lent_rows};

/// How many events a book writes between automatic snapshots (and how long an import must be
/// to end with one), unless `FAIRSHARE_SNAPSHOT_EVERY` says otherwise (0: never).
pub const SNAPSHOT_EVERY_EVENTS: u64 = 100_000;

/// The automatic snapshot interval: `FAIRSHARE_SNAPSHOT_EVERY` when set to a number (0 turns
/// automatic snapshots off), else [`SNAPSHOT_EVERY_EVENTS`].
pub fn snapshot_every_default() -> Option<u64> {
    let every = std::env::var("FAIRSHARE_SNAPSHOT_EVERY")
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok())
        .unwrap_or(SNAPSHOT_EVERY_EVENTS);
    (every > 0).then_some(every)
}

/// A snapshot found usable: the state it holds and the hash of its last event.
pub(crate) struct Loaded {
    pub state: State,
    pub head_hash: String,
}

/// Why a stored snapshot was passed over, as one line says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredSnapshot {
    /// The sequence number the store keeps it under.
    pub seq: u64,
    pub reason: String,
}

impl std::fmt::Display for IgnoredSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "snapshot at event {} ignored: {}", self.seq, self.reason)
    }
}

/// The hash of event `seq` as the log holds it (none when there is no such event).
pub(crate) fn row_hash(store: &mut dyn Store, seq: u64) -> BookResult<Option<String>> {
    let Some(before) = seq.checked_sub(1) else {
        return Ok(None);
    };
    let mut found = None;
    let scanned = scan_lent_rows(store, before, &mut |row| {
        if row.seq == seq {
            found = Some(row.hash.to_string());
        }
        Err(BookError::Input(FOUND.into()))
    });
    match scanned {
        Err(BookError::Input(message)) if message == FOUND => Ok(found),
        other => other.map(|()| found),
    }
}

const FOUND: &str = "the row was found";

/// The state of the newest usable snapshot of `store`, if any, for a reader that keeps a state
/// of its own and replays the events after it (the server's read model), with the snapshots
/// passed over on the way.
pub fn newest_snapshot_state(
    store: &mut dyn Store,
) -> BookResult<(Option<State>, Vec<IgnoredSnapshot>)> {
    let head = store.head()?;
    let mut ignored = Vec::new();
    let loaded = newest_usable(store, head, &mut ignored)?;
    Ok((loaded.map(|loaded| loaded.state), ignored))
}

/// The newest usable snapshot at or below `at_most`, passing over (and reporting to `ignored`)
/// every unusable one on the way. A store that cannot read its snapshots has none.
pub(crate) fn newest_usable(
    store: &mut dyn Store,
    at_most: u64,
    ignored: &mut Vec<IgnoredSnapshot>,
) -> BookResult<Option<Loaded>> {
    let mut at_most = at_most;
    while at_most > 0 {
        let Some((seq, bytes)) = latest_readable(store, at_most, ignored) else {
            return Ok(None);
        };
        match usable(store, seq, &bytes)? {
            Ok(loaded) => return Ok(Some(loaded)),
            Err(reason) => ignored.push(IgnoredSnapshot { seq, reason }),
        }
        at_most = seq - 1;
    }
    Ok(None)
}

/// The newest snapshot `store` keeps at or below `at_most`. A store that cannot read its
/// snapshots (e.g. a damaged SQLite sidecar file) has none, and says why in `ignored`: they are
/// a cache, and the log is still there.
pub(crate) fn latest_readable(
    store: &mut dyn Store,
    at_most: u64,
    ignored: &mut Vec<IgnoredSnapshot>,
) -> Option<(u64, Vec<u8>)> {
    store.latest_snapshot(at_most).unwrap_or_else(|error| {
        ignored.push(IgnoredSnapshot {
            seq: at_most,
            reason: format!("the store cannot read its snapshots: {error}"),
        });
        None
    })
}

/// The state a stored snapshot holds, or why it cannot be used: checks its header and
/// checksum, that it stands where the store says, and that the log's hash there is its own,
/// and decodes it. The checksum is hashed on this thread while another decodes (a sixth of an
/// open of the 1M book each); what is wrong is said in that order all the same.
pub(crate) fn usable(
    store: &mut dyn Store,
    seq: u64,
    bytes: &[u8],
) -> BookResult<Result<Loaded, String>> {
    let header = match snapshot_header_unsummed(bytes) {
        Ok(header) => header,
        Err(error) => return Ok(Err(error.to_string())),
    };
    let placed = placed_as_kept(store, seq, &header)?;
    let (summed, decoded) = std::thread::scope(|scope| {
        let decoding = placed
            .is_ok()
            .then(|| scope.spawn(|| State::decode_snapshot_payload(bytes, &header)));
        let summed = check_snapshot_checksum(bytes);
        // A panic while decoding (a bug: damaged bytes are errors) is the snapshot's failure,
        // not the open's.
        (summed, decoding.map(|thread| thread.join()))
    });
    if let Err(damaged) = summed {
        return Ok(Err(damaged.to_string()));
    }
    Ok(match (placed, decoded) {
        (Err(reason), _) => Err(reason),
        (Ok(()), Some(Ok(Ok(state)))) => Ok(Loaded {
            state,
            head_hash: header.head_hash,
        }),
        (Ok(()), Some(Ok(Err(error)))) => Err(error.to_string()),
        (Ok(()), Some(Err(_panicked))) => {
            Err("the state does not decode: its decoder panicked".to_string())
        }
        (Ok(()), None) => unreachable!("a snapshot placed as kept is decoded"),
    })
}

/// Whether a snapshot stands where the store keeps it and the log's hash there is its own.
fn placed_as_kept(
    store: &mut dyn Store,
    seq: u64,
    header: &SnapshotHeader,
) -> BookResult<Result<(), String>> {
    if header.seq != seq {
        return Ok(Err(format!(
            "it stands at event {}, not where it is kept",
            header.seq
        )));
    }
    Ok(match row_hash(store, seq)? {
        Some(hash) if hash == header.head_hash => Ok(()),
        Some(hash) => Err(format!(
            "it records hash {} for event {seq}, the log has {hash}: another book or another \
             history",
            header.head_hash
        )),
        None => Err(format!("the log has no event {seq}")),
    })
}
