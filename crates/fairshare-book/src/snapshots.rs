//! Snapshots of a book's state: written every [`SNAPSHOT_EVERY_EVENTS`] events, after a long
//! import and on demand, loaded on open so that only the events after them are replayed.
//!
//! A snapshot is a cache, never the truth. One is used only when its header and checksum are
//! sound, it was written by this format and build, and the log's hash at its event is the one
//! it records (so it belongs to this book and this history); anything else is ignored with one
//! line on stderr, and the book opens from an older snapshot or by replaying the whole log.
//! `verify` replays from the first event regardless and compares every snapshot it finds.

use std::io::Read;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use fairshare_core::{
    SNAPSHOT_HEADER_BYTES, SnapshotChecksum, SnapshotHeader, State, snapshot_header_of,
};
use fairshare_store::{Store, StoreError};

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
        let Some(kept) = kept_header(store, at_most, ignored) else {
            return Ok(None);
        };
        let seq = kept.seq;
        match usable(store, kept)? {
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
        ignored.push(cannot_read(at_most, error));
        None
    })
}

fn cannot_read(at_most: u64, error: impl std::fmt::Display) -> IgnoredSnapshot {
    IgnoredSnapshot {
        seq: at_most,
        reason: format!("the store cannot read its snapshots: {error}"),
    }
}

/// A kept snapshot's first bytes: where it is kept, its length, and its header's bytes (fewer
/// when it is shorter).
struct Kept {
    seq: u64,
    length: u64,
    header: Vec<u8>,
}

/// The header of the newest snapshot kept at or below `at_most`, read alone.
fn kept_header(
    store: &mut dyn Store,
    at_most: u64,
    ignored: &mut Vec<IgnoredSnapshot>,
) -> Option<Kept> {
    let mut kept = None;
    let read = store.read_snapshot(at_most, &mut |seq, length, bytes| {
        let mut header = Vec::with_capacity(SNAPSHOT_HEADER_BYTES);
        bytes
            .take(SNAPSHOT_HEADER_BYTES as u64)
            .read_to_end(&mut header)
            .map_err(|error| StoreError::Backend(error.to_string()))?;
        kept = Some(Kept {
            seq,
            length,
            header,
        });
        Ok(())
    });
    if let Err(error) = read {
        ignored.push(cannot_read(at_most, error));
        return None;
    }
    kept
}

/// The state a stored snapshot holds, or why it cannot be used: checks its header, that it
/// stands where the store says and that the log's hash there is its own, then reads it once
/// more, decoding it on another thread as this one reads it and hashes its checksum. So
/// nothing holds the whole snapshot, only the state it builds. What is wrong is said in this
/// order: damage (the checksum), placement, decoding.
fn usable(store: &mut dyn Store, kept: Kept) -> BookResult<Result<Loaded, String>> {
    let length = usize::try_from(kept.length).unwrap_or(usize::MAX);
    let header = match snapshot_header_of(&kept.header, length) {
        Ok(header) => header,
        Err(error) => return Ok(Err(error.to_string())),
    };
    let placed = placed_as_kept(store, kept.seq, &header)?;
    let mut streamed = None;
    let read = store.read_snapshot(kept.seq, &mut |seq, length, bytes| {
        streamed = Some(if (seq, length) == (kept.seq, kept.length) {
            stream(bytes, &kept.header, &header, placed.is_ok())
        } else {
            Err("it was replaced while it was read".to_string())
        });
        Ok(())
    });
    let streamed = match (read, streamed) {
        (Ok(_), Some(streamed)) => streamed,
        (Ok(_), None) => Err("it was removed while it was read".to_string()),
        (Err(error), _) => Err(format!("the store cannot read it: {error}")),
    };
    Ok(match (streamed, placed) {
        (Err(reason), _) | (Ok(_), Err(reason)) => Err(reason),
        (Ok(None), Ok(())) => unreachable!("a snapshot placed as kept is decoded"),
        (Ok(Some(Err(reason))), Ok(())) => Err(reason),
        (Ok(Some(Ok(state))), Ok(())) => Ok(Loaded {
            state,
            head_hash: header.head_hash,
        }),
    })
}

/// Reads a snapshot whose first bytes are `first` (its header, which says `header`) from
/// `bytes`, hashing every byte, and decodes it on another thread as it goes when `decode`.
/// Damage comes back as the error; otherwise the decoded state, or why it does not decode.
fn stream(
    bytes: &mut dyn Read,
    first: &[u8],
    header: &SnapshotHeader,
    decode: bool,
) -> Result<Option<Result<State, String>>, String> {
    let mut checksum = SnapshotChecksum::new(first).map_err(|e| e.to_string())?;
    // The header again: it was read alone, and must be the same.
    let mut again = vec![0u8; first.len()];
    bytes
        .read_exact(&mut again)
        .map_err(|e| format!("the store cannot read it: {e}"))?;
    if again != first {
        return Err("it was replaced while it was read".to_string());
    }
    std::thread::scope(|scope| {
        let (sender, receiver) = sync_channel::<Vec<u8>>(STREAM_CHUNKS_IN_FLIGHT);
        let decoding = decode.then(|| {
            scope.spawn(move || {
                let chunks = Chunks {
                    receiver,
                    chunk: Vec::new(),
                    at: 0,
                };
                State::decode_snapshot_streamed(chunks, header)
            })
        });
        let mut sender = decode.then_some(sender);
        let read = read_hashing(bytes, &mut checksum, &mut sender);
        drop(sender);
        // A panic while decoding (a bug: damaged bytes are errors) is the snapshot's failure,
        // not the open's.
        let decoded = decoding.map(|thread| match thread.join() {
            Ok(decoded) => decoded.map_err(|error| error.to_string()),
            Err(_panicked) => Err("the state does not decode: its decoder panicked".to_string()),
        });
        read?;
        checksum.check().map_err(|damaged| damaged.to_string())?;
        Ok(decoded)
    })
}

/// How many chunks of a snapshot may wait between the reading and the decoding threads.
const STREAM_CHUNKS_IN_FLIGHT: usize = 4;

/// How much of a snapshot is read at a time.
const STREAM_CHUNK_BYTES: usize = 1 << 20;

/// Reads the rest of a snapshot, hashing it, and hands each chunk to the decoder if any (one
/// that stopped, on an error, is not fed any more).
fn read_hashing(
    bytes: &mut dyn Read,
    checksum: &mut SnapshotChecksum,
    decoder: &mut Option<SyncSender<Vec<u8>>>,
) -> Result<(), String> {
    loop {
        let mut chunk = Vec::with_capacity(STREAM_CHUNK_BYTES);
        let read = bytes
            .take(STREAM_CHUNK_BYTES as u64)
            .read_to_end(&mut chunk)
            .map_err(|e| format!("the store cannot read it: {e}"))?;
        if read == 0 {
            return Ok(());
        }
        checksum.update(&chunk);
        if let Some(sender) = decoder
            && sender.send(chunk).is_err()
        {
            *decoder = None;
        }
    }
}

/// The chunks of a snapshot as the decoding thread reads them.
struct Chunks {
    receiver: Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    at: usize,
}

impl Read for Chunks {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.chunk.len() {
            match self.receiver.recv() {
                Ok(chunk) => (self.chunk, self.at) = (chunk, 0),
                Err(_) => return Ok(0),
            }
        }
        let read = buffer.len().min(self.chunk.len() - self.at);
        buffer[..read].copy_from_slice(&self.chunk[self.at..self.at + read]);
        self.at += read;
        Ok(read)
    }
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
