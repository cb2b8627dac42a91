//! Snapshots of a book's state: written every [`SNAPSHOT_EVERY_EVENTS`] events, after a long
//! import and on demand, loaded on open so that only the events after them are replayed.
//!
//! A snapshot is a cache, never the truth. One is used only when its header and checksum are
//! sound, it was written by this format and build, and the log's hash at its event is the one
//! it records (so it belongs to this book and this history); anything else is ignored with one
//! line on stderr, and the book opens from an older snapshot or by replaying the whole log.
//! `verify` replays from the first event regardless and compares every snapshot it finds.

use std::io::Read;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use fairshare_core::{
    PartSource, SNAPSHOT_HEADER_BYTES, SnapshotChecksum, SnapshotHeader, State, snapshot_header_of,
};
use fairshare_store::{Reopen, SnapshotRange, Store};

use crate::{BookError, BookResult, apply_parsed, parse_row, scan_lent_rows};

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
    let source = store.reopener().map(|reopen| {
        let location = store.location();
        Arc::new(StoredParts { reopen, location }) as Arc<dyn PartSource>
    });
    while at_most > 0 {
        let mut found = None;
        let read = store.read_snapshot(at_most, &mut |seq, length, bytes| {
            found = Some((seq, read_kept(bytes, length, source.clone())));
            Ok(())
        });
        if let Err(error) = read {
            ignored.push(cannot_read(at_most, error));
            return Ok(None);
        }
        let Some((seq, read)) = found else {
            return Ok(None);
        };
        match usable(store, seq, read)? {
            Ok(loaded) => return Ok(Some(loaded)),
            Err(reason) => ignored.push(IgnoredSnapshot { seq, reason }),
        }
        at_most = seq - 1;
    }
    Ok(None)
}

pub(crate) fn cannot_read(at_most: u64, error: impl std::fmt::Display) -> IgnoredSnapshot {
    IgnoredSnapshot {
        seq: at_most,
        reason: format!("the store cannot read its snapshots: {error}"),
    }
}

/// A snapshot as it was read: its header and the state it decodes to (or why not), or why it
/// is no snapshot of this build (its header) or a damaged one (its checksum).
type ReadKept = Result<(SnapshotHeader, Result<State, String>), String>;

/// Reads a kept snapshot of `length` bytes, once: its header, checked, then its checked state,
/// hashed as this thread reads it a MiB at a time while another decodes the chunks as they
/// come. So nothing holds the whole snapshot, only the state it builds. With a `source`, the
/// deferred parts are left in the store, to be read from it when first used; without, they
/// are read now.
fn read_kept(bytes: &mut dyn Read, length: u64, source: Option<Arc<dyn PartSource>>) -> ReadKept {
    let mut first = Vec::with_capacity(SNAPSHOT_HEADER_BYTES);
    bytes
        .take(SNAPSHOT_HEADER_BYTES as u64)
        .read_to_end(&mut first)
        .map_err(|e| format!("the store cannot read it: {e}"))?;
    let length = usize::try_from(length).unwrap_or(usize::MAX);
    let header = snapshot_header_of(&first, length).map_err(|e| e.to_string())?;
    let decoded = match source {
        Some(_) => stream(&mut bytes.take(header.state_bytes), &first, &header, source)?,
        None => stream(bytes, &first, &header, None)?,
    };
    Ok((header, decoded))
}

/// The state a snapshot read at `seq` holds, or why it cannot be used. What is wrong is said in
/// this order: its header, damage (the checksum), where it stands (and the log's hash there),
/// and last its decoding.
fn usable(store: &mut dyn Store, seq: u64, read: ReadKept) -> BookResult<Result<Loaded, String>> {
    let (header, decoded) = match read {
        Ok(read) => read,
        Err(reason) => return Ok(Err(reason)),
    };
    if let Err(reason) = placed_as_kept(store, seq, &header)? {
        return Ok(Err(reason));
    }
    Ok(decoded.map(|state| Loaded {
        state,
        head_hash: header.head_hash,
    }))
}

/// Reads the rest of a snapshot whose header is `first` (which says `header`) from `bytes`,
/// hashing every byte, and decodes it on another thread as it goes. Damage comes back as the
/// error; otherwise the decoded state, or why it does not decode.
fn stream(
    bytes: &mut dyn Read,
    first: &[u8],
    header: &SnapshotHeader,
    source: Option<Arc<dyn PartSource>>,
) -> Result<Result<State, String>, String> {
    let mut checksum = SnapshotChecksum::new(first).map_err(|e| e.to_string())?;
    std::thread::scope(|scope| {
        let (sender, receiver) = sync_channel::<Vec<u8>>(STREAM_CHUNKS_IN_FLIGHT);
        let decoding = scope.spawn(move || {
            let chunks = Chunks {
                receiver,
                chunk: Vec::new(),
                at: 0,
            };
            State::decode_snapshot_streamed(chunks, header, source)
        });
        let mut sender = Some(sender);
        let read = read_hashing(bytes, header.state_bytes, &mut checksum, &mut sender);
        drop(sender);
        // A panic while decoding (a bug: damaged bytes are errors) is the snapshot's failure,
        // not the open's.
        let decoded = match decoding.join() {
            Ok(decoded) => decoded.map_err(|error| error.to_string()),
            Err(_panicked) => Err("the state does not decode: its decoder panicked".to_string()),
        };
        read?;
        checksum.check().map_err(|damaged| damaged.to_string())?;
        Ok(decoded)
    })
}

/// How many chunks of a snapshot may wait between the reading and the decoding threads.
const STREAM_CHUNKS_IN_FLIGHT: usize = 4;

/// How much of a snapshot is read at a time.
const STREAM_CHUNK_BYTES: usize = 1 << 20;

/// Reads the rest of a snapshot, hashing its first `hashed_bytes` (the checked state: each
/// deferred part has a checksum of its own, which the decoder checks), and hands each chunk
/// to the decoder if any (one that stopped, on an error, is not fed any more).
fn read_hashing(
    bytes: &mut dyn Read,
    hashed_bytes: u64,
    checksum: &mut SnapshotChecksum,
    decoder: &mut Option<SyncSender<Vec<u8>>>,
) -> Result<(), String> {
    let mut unhashed_bytes = hashed_bytes;
    loop {
        let mut chunk = Vec::with_capacity(STREAM_CHUNK_BYTES);
        let read = bytes
            .take(STREAM_CHUNK_BYTES as u64)
            .read_to_end(&mut chunk)
            .map_err(|e| format!("the store cannot read it: {e}"))?;
        if read == 0 {
            return Ok(());
        }
        let hashed = chunk
            .len()
            .min(usize::try_from(unhashed_bytes).unwrap_or(usize::MAX));
        checksum.update(&chunk[..hashed]);
        unhashed_bytes -= hashed as u64;
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

/// The deferred parts of a snapshot an open left in the store: read through a handle of their
/// own when first used, or rebuilt from the log when the snapshot has gone since.
struct StoredParts {
    reopen: Reopen,
    location: String,
}

impl PartSource for StoredParts {
    fn read(&self, seq: u64, offset: u64, length: u64) -> Result<Vec<u8>, String> {
        on_own_thread(|| {
            let mut store = (self.reopen)().map_err(|error| error.to_string())?;
            let range = store.read_snapshot_range(SnapshotRange {
                seq,
                offset,
                length,
            });
            range
                .map_err(|error| error.to_string())?
                .ok_or_else(|| format!("the store keeps no snapshot at event {seq} any more"))
        })
    }

    fn rebuild(&self, seq: u64, part: &'static str, why: &str) -> Result<Vec<u8>, String> {
        eprintln!(
            "fairshare: book {}: the {part} of the snapshot at event {seq} cannot be read \
             ({why}): replaying the log up to it",
            self.location
        );
        on_own_thread(|| {
            let mut store = (self.reopen)().map_err(|error| error.to_string())?;
            let state = replay_until(store.as_mut(), seq).map_err(|error| error.to_string())?;
            state
                .deferred_part_bytes(part)
                .ok_or_else(|| format!("no part is named {part}"))
        })
    }
}

/// Runs `work` on a thread of its own, and waits for it. A part is read when a command first
/// uses it, which may be on a thread that drives async tasks (a server's read): PostgreSQL's
/// driver blocks on a runtime of its own, which such a thread must not start.
fn on_own_thread<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        let worker = scope.spawn(work);
        worker
            .join()
            .unwrap_or_else(|panicked| std::panic::resume_unwind(panicked))
    })
}

/// The state after event `seq`, replayed from the log's first event.
fn replay_until(store: &mut dyn Store, seq: u64) -> BookResult<State> {
    let mut state = State::new();
    let replayed = scan_lent_rows(store, 0, &mut |row| {
        if row.seq > seq {
            return Err(BookError::Input(REPLAYED.into()));
        }
        apply_parsed(&mut state, parse_row(row)?)
    });
    match replayed {
        Err(BookError::Input(message)) if message == REPLAYED => {}
        other => other?,
    }
    if state.head() != seq {
        return Err(BookError::Input(format!(
            "the log ends at event {}, before event {seq}",
            state.head()
        )));
    }
    Ok(state)
}

const REPLAYED: &str = "replayed up to the event";
