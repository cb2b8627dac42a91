//! The storage boundary of a fairshare book.
//!
//! A book is an append-only log of events. The store knows nothing of their meaning: it keeps
//! rows whose `body` is the event's canonical JSON, chained by `prev_hash` / `hash` (computed by
//! the core, checked by `verify`). Every backend (SQLite, PostgreSQL) implements [`Store`] and
//! passes the same conformance suite ([`conformance`]).
//!
//! Beside the log, each backend keeps the agents' credentials (API key hashes, password hashes)
//! behind [`credentials::CredentialStore`], with a conformance suite of its own
//! ([`conformance::run_credentials`]), and the server's webhooks behind
//! [`webhooks::WebhookStore`] ([`conformance::run_webhooks`]).

pub mod conformance;
pub mod credentials;
pub mod webhooks;

use std::io::Read;

use thiserror::Error;

/// One stored event, exactly as it is hashed and persisted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// 1-based, contiguous, unique: the log's order.
    pub seq: u64,
    /// When the event was recorded, RFC 3339 UTC, as given by the caller (the core reads no clock).
    pub recorded_at: String,
    /// Handle of the agent who acted, or `operator` for the local operator.
    pub actor: String,
    /// Optional idempotency key; unique across the book when present.
    pub idempotency_key: Option<String>,
    /// Hex SHA-256 of the request that produced the event (refuses a key reused with another payload).
    pub payload_hash: String,
    /// Canonical JSON of the event body.
    pub body: String,
    /// Hex SHA-256 hash of the previous event (64 zeros for the first).
    pub prev_hash: String,
    /// Hex SHA-256 over this row's other fields and `prev_hash`.
    pub hash: String,
}

impl EventRow {
    /// The row lent as a [`LentRow`].
    pub fn lend(&self) -> LentRow<'_> {
        LentRow {
            seq: self.seq,
            recorded_at: &self.recorded_at,
            actor: &self.actor,
            idempotency_key: self.idempotency_key.as_deref(),
            payload_hash: &self.payload_hash,
            body: &self.body,
            prev_hash: &self.prev_hash,
            hash: &self.hash,
        }
    }
}

/// A stored event lent by [`Store::scan_lent`]: the fields of an [`EventRow`], borrowed from
/// the backend's own buffers for the length of one visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LentRow<'a> {
    pub seq: u64,
    pub recorded_at: &'a str,
    pub actor: &'a str,
    pub idempotency_key: Option<&'a str>,
    pub payload_hash: &'a str,
    pub body: &'a str,
    pub prev_hash: &'a str,
    pub hash: &'a str,
}

impl LentRow<'_> {
    pub fn to_row(&self) -> EventRow {
        EventRow {
            seq: self.seq,
            recorded_at: self.recorded_at.to_string(),
            actor: self.actor.to_string(),
            idempotency_key: self.idempotency_key.map(str::to_string),
            payload_hash: self.payload_hash.to_string(),
            body: self.body.to_string(),
            prev_hash: self.prev_hash.to_string(),
            hash: self.hash.to_string(),
        }
    }
}

#[derive(Debug, Error)]
pub enum StoreError {
    /// Another writer appended first: a sequence number (or idempotency key) is already taken.
    /// Nothing was written; the caller catches up and retries.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The append did not start right after the current head.
    #[error("gap: expected sequence {expected}, got {got}")]
    Gap { expected: u64, got: u64 },
    #[error("storage: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Where [`Store::append_all`]'s producer sends each batch: appends it inside the one
/// transaction.
pub type AppendSink<'a> = dyn FnMut(&[EventRow]) -> StoreResult<()> + 'a;

/// The producer of [`Store::append_all`]: hands every batch to the sink, in order.
pub type AppendAll<'a> = dyn FnMut(&mut AppendSink<'_>) -> StoreResult<()> + 'a;

/// An append-only event log. Implementations must be safe for several processes sharing one
/// book: `append` is atomic (all rows or none) and fails with [`StoreError::Conflict`] when any
/// of its sequence numbers is already taken.
pub trait Store: Send {
    /// Sequence number of the last stored event (0 for an empty book).
    fn head(&mut self) -> StoreResult<u64>;

    /// Calls `visit` for every event with `seq > after`, in order. Streams: must not hold the
    /// whole log in memory (a book may have millions of events).
    fn scan(
        &mut self,
        after: u64,
        visit: &mut dyn FnMut(EventRow) -> StoreResult<()>,
    ) -> StoreResult<()>;

    /// [`Store::scan`] without copying: each row is lent for the visit only. A replay parses
    /// millions of bodies in place this way; a backend that cannot lend keeps this default.
    fn scan_lent(
        &mut self,
        after: u64,
        visit: &mut dyn FnMut(LentRow<'_>) -> StoreResult<()>,
    ) -> StoreResult<()> {
        self.scan(after, &mut |row| visit(row.lend()))
    }

    /// Appends rows atomically. `rows[0].seq` must equal `head() + 1` and the rows must be
    /// contiguous; otherwise `Gap` (or `Conflict` if another writer got there first).
    /// The rows are durable when this returns `Ok`.
    fn append(&mut self, rows: &[EventRow]) -> StoreResult<()>;

    /// Appends every batch that `fill` hands to its sink in ONE transaction (an import): each
    /// batch must continue the previous one as [`Store::append`] requires, and other readers
    /// see none of them until `fill` returns `Ok` and the transaction commits. If `fill` or an
    /// append fails, or the process dies first, nothing is visible: the book is as it was.
    /// Returns `fill`'s error unchanged.
    ///
    /// The default collects the batches and makes one [`Store::append`] of them: atomic, but it
    /// holds every row in memory. Backends stream the batches into their transaction instead.
    fn append_all(&mut self, fill: &mut AppendAll<'_>) -> StoreResult<()> {
        let mut all = Vec::new();
        fill(&mut |rows| {
            all.extend_from_slice(rows);
            Ok(())
        })?;
        self.append(&all)
    }

    /// Keeps `bytes` as the snapshot of the book's state after event `seq`, then drops all but
    /// the newest [`SNAPSHOTS_KEPT`]. A snapshot already kept at `seq` is replaced: both stand
    /// at the same event, and the new one may replace a damaged one. The bytes are opaque to the store (the book writes and checks
    /// them); they are a cache: losing them costs a longer open, never an event.
    ///
    /// The default keeps nothing: a store without snapshots always replays its whole log.
    fn put_snapshot(&mut self, seq: u64, bytes: &[u8]) -> StoreResult<()> {
        let _ = (seq, bytes);
        Ok(())
    }

    /// The newest snapshot kept at a sequence number of at most `at_most`, with that number.
    /// A reader that finds it unusable asks again below it.
    fn latest_snapshot(&mut self, at_most: u64) -> StoreResult<Option<(u64, Vec<u8>)>> {
        let _ = at_most;
        Ok(None)
    }

    /// Keeps a snapshot of `length` bytes, which `write` writes from the start, in order (it
    /// may go back to fill in what it wrote, a checksum), as [`Store::put_snapshot`] keeps
    /// bytes: a writer that encodes as it goes never holds the whole snapshot. A failure of
    /// `write` keeps nothing and comes back unchanged.
    ///
    /// The default writes into memory, then calls [`Store::put_snapshot`].
    fn write_snapshot(
        &mut self,
        seq: u64,
        length: u64,
        write: &mut WriteSnapshot<'_>,
    ) -> StoreResult<()> {
        let length = usize::try_from(length)
            .map_err(|_| StoreError::Backend(format!("a snapshot of {length} bytes")))?;
        let mut bytes = std::io::Cursor::new(vec![0u8; length]);
        write(&mut bytes)?;
        self.put_snapshot(seq, bytes.get_ref())
    }

    /// Reads the newest snapshot kept at a sequence number of at most `at_most` as a stream:
    /// `read` gets that number, the snapshot's length in bytes and a reader of them, so that a
    /// reader decoding as it goes never holds the whole snapshot. Returns whether there was
    /// one. A failure of `read` comes back unchanged.
    ///
    /// The default reads [`Store::latest_snapshot`]'s bytes.
    fn read_snapshot(&mut self, at_most: u64, read: &mut ReadSnapshot<'_>) -> StoreResult<bool> {
        let Some((seq, bytes)) = self.latest_snapshot(at_most)? else {
            return Ok(false);
        };
        read(seq, bytes.len() as u64, &mut bytes.as_slice())?;
        Ok(true)
    }

    /// `length` bytes of the snapshot kept at exactly `seq`, from byte `offset` of it: a part
    /// of a snapshot that an open left unread until it is used. `None` when no snapshot is
    /// kept at `seq` any more (a newer one replaced it) or it is shorter than the range.
    ///
    /// The default reads the snapshot as a stream up to the range: backends read only the
    /// range.
    fn read_snapshot_range(&mut self, range: SnapshotRange) -> StoreResult<Option<Vec<u8>>> {
        let SnapshotRange {
            seq,
            offset,
            length,
        } = range;
        let mut found = None;
        self.read_snapshot(seq, &mut |kept, total, bytes| {
            let end = offset.checked_add(length);
            if kept != seq || end.is_none_or(|end| end > total) {
                return Ok(());
            }
            let failed = |e: std::io::Error| StoreError::Backend(format!("read a snapshot: {e}"));
            std::io::copy(&mut bytes.take(offset), &mut std::io::sink()).map_err(failed)?;
            let mut range = vec![0u8; usize::try_from(length).unwrap_or(usize::MAX)];
            bytes.read_exact(&mut range).map_err(failed)?;
            found = Some(range);
            Ok(())
        })?;
        Ok(found)
    }

    /// How to open another handle on this book, for a reader that needs the store after the
    /// handle that opened the book has moved on: an open leaves parts of a snapshot in the
    /// store and reads them with it when first used. `None` (the default): the store cannot be
    /// opened twice, and an open reads every snapshot whole.
    fn reopener(&self) -> Option<Reopen> {
        None
    }

    /// Human-readable description of where the book lives (path or URL without password).
    fn location(&self) -> String;
}

/// Where [`Store::write_snapshot`] has a snapshot written: bytes in place, which the writer may
/// seek back over.
pub trait SnapshotOut: std::io::Write + std::io::Seek {}

impl<T: std::io::Write + std::io::Seek> SnapshotOut for T {}

/// What writes a snapshot into a [`SnapshotOut`] for [`Store::write_snapshot`].
pub type WriteSnapshot<'a> = dyn FnMut(&mut dyn SnapshotOut) -> StoreResult<()> + 'a;

/// What [`Store::read_snapshot`] gives a snapshot to: its sequence number, its length in bytes
/// and a reader of its bytes.
pub type ReadSnapshot<'a> = dyn FnMut(u64, u64, &mut dyn std::io::Read) -> StoreResult<()> + 'a;

/// Where a part of a snapshot lies ([`Store::read_snapshot_range`]): the event the snapshot
/// stands at, and `length` bytes from its byte `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotRange {
    pub seq: u64,
    pub offset: u64,
    pub length: u64,
}

/// Opens another handle on the same book ([`Store::reopener`]); it may only read.
pub type Reopen = std::sync::Arc<dyn Fn() -> StoreResult<Box<dyn Store>> + Send + Sync>;

/// How many snapshots a store keeps: the newest, and a few older ones to fall back on when the
/// newest is damaged.
pub const SNAPSHOTS_KEPT: usize = 3;

/// A slice of rows seen as a read-only store, for callers that hold rows rather than a store
/// (e.g. to export them). Its rows are not checked.
pub struct RowsStore<'a>(pub &'a [EventRow]);

impl Store for RowsStore<'_> {
    fn head(&mut self) -> StoreResult<u64> {
        Ok(self.0.last().map_or(0, |row| row.seq))
    }

    fn scan(
        &mut self,
        after: u64,
        visit: &mut dyn FnMut(EventRow) -> StoreResult<()>,
    ) -> StoreResult<()> {
        for row in self.0.iter().filter(|row| row.seq > after) {
            visit(row.clone())?;
        }
        Ok(())
    }

    fn append(&mut self, _rows: &[EventRow]) -> StoreResult<()> {
        Err(StoreError::Backend("a row view is read-only".into()))
    }

    fn location(&self) -> String {
        "rows".to_string()
    }
}

/// A sequence number, count or id as the signed 64-bit integer SQL stores hold: past
/// `i64::MAX` (which no book reaches) it saturates, so a query bound stays valid.
pub fn sql_int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Checks a batch against the current `head`, for backends to call inside their write
/// transaction: the rows must be contiguous and start at `head + 1`.
///
/// A first sequence number that is already taken (`1..=head`) means another writer got there
/// first, so it is a [`StoreError::Conflict`]; anything else out of place is a
/// [`StoreError::Gap`]. An empty batch is accepted (a no-op).
pub fn check_append(head: u64, rows: &[EventRow]) -> StoreResult<()> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    for pair in rows.windows(2) {
        let expected = pair[0].seq.saturating_add(1);
        if pair[1].seq != expected {
            return Err(StoreError::Gap {
                expected,
                got: pair[1].seq,
            });
        }
    }
    if first.seq >= 1 && first.seq <= head {
        return Err(StoreError::Conflict(format!(
            "sequence {} is already taken (head is {head})",
            first.seq
        )));
    }
    let expected = head.saturating_add(1);
    if first.seq != expected {
        return Err(StoreError::Gap {
            expected,
            got: first.seq,
        });
    }
    Ok(())
}
