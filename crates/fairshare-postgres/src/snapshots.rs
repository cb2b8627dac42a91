//! A book's snapshots on PostgreSQL, in pieces: a `bytea` holds at most 1 GB, and a
//! 10M-contribution book's snapshot is larger. Each piece is stored uncompressed, out of line
//! (`STORAGE EXTERNAL`), so that reading a slice of it with `substring` fetches only that
//! slice's TOAST chunks (a compressed value would be decompressed from its start for every
//! slice): an open reads a snapshot a slice at a time and never holds it whole.
//!
//! The table of whole snapshots that earlier builds wrote (`snapshots`) holds only formats no
//! build reads any more: dropped when this build writes its first snapshot.

use std::io::Read;

use fairshare_store::{ReadSnapshot, SNAPSHOTS_KEPT, StoreError, StoreResult};
use postgres::{Client, GenericClient, IsolationLevel, Transaction};

/// The most bytes one piece holds: well under a `bytea`'s 1 GB.
pub(crate) const PIECE_BYTES: usize = 256 << 20;

/// Bytes of a snapshot fetched per round trip.
const SLICE_BYTES: i64 = 1 << 20;

const CREATE_PIECES: &str = "DROP TABLE IF EXISTS snapshots; \
     CREATE TABLE IF NOT EXISTS snapshot_pieces (seq BIGINT NOT NULL, piece INTEGER NOT NULL, \
     bytes BYTEA NOT NULL, PRIMARY KEY (seq, piece)); \
     ALTER TABLE snapshot_pieces ALTER COLUMN bytes SET STORAGE EXTERNAL";

/// Whether the first snapshot created the table yet (asked outside a transaction or in one).
pub(crate) fn exists(client: &mut impl GenericClient) -> Result<bool, postgres::Error> {
    let table = client.query_one("SELECT to_regclass('snapshot_pieces') IS NOT NULL", &[])?;
    Ok(table.get(0))
}

/// Keeps `bytes` as the snapshot at `seq` (replacing one there), in pieces of `piece_bytes`,
/// and drops all but the newest [`SNAPSHOTS_KEPT`].
pub(crate) fn put(
    tx: &mut Transaction<'_>,
    seq: i64,
    bytes: &[u8],
    piece_bytes: usize,
) -> Result<(), postgres::Error> {
    if !exists(tx)? {
        tx.batch_execute(CREATE_PIECES)?;
    }
    tx.execute("DELETE FROM snapshot_pieces WHERE seq = $1", &[&seq])?;
    let mut pieces: Vec<&[u8]> = bytes.chunks(piece_bytes).collect();
    if pieces.is_empty() {
        pieces.push(&[]); // an empty snapshot is still found
    }
    for (piece, bytes) in pieces.into_iter().enumerate() {
        tx.execute(
            "INSERT INTO snapshot_pieces (seq, piece, bytes) VALUES ($1, $2, $3)",
            &[&seq, &(piece as i32), &bytes],
        )?;
    }
    tx.execute(
        "DELETE FROM snapshot_pieces WHERE seq NOT IN \
         (SELECT DISTINCT seq FROM snapshot_pieces ORDER BY seq DESC LIMIT $1)",
        &[&(SNAPSHOTS_KEPT as i64)],
    )?;
    Ok(())
}

/// Hands the newest snapshot at or below `at_most` to `read` as a stream, in one read-only
/// transaction that sees one version of the table. Returns whether there was one (none before
/// the first snapshot created the table).
pub(crate) fn read_streamed(
    client: &mut Client,
    at_most: i64,
    read: &mut ReadSnapshot<'_>,
    fail: &dyn Fn(postgres::Error) -> StoreError,
) -> StoreResult<bool> {
    let mut tx = begin_reading(client).map_err(fail)?;
    if !exists(&mut tx).map_err(fail)? {
        return Ok(false);
    }
    let seq: Option<i64> = tx
        .query_one(
            "SELECT max(seq) FROM snapshot_pieces WHERE seq <= $1",
            &[&at_most],
        )
        .map_err(fail)?
        .get(0);
    let Some(seq) = seq else {
        return Ok(false);
    };
    let pieces = piece_lengths(&mut tx, seq).map_err(fail)?;
    let length: i64 = pieces.iter().map(|(_, length)| length).sum();
    let mut slices = Slices::new(&mut tx, seq, pieces, 0);
    read(seq as u64, length as u64, &mut slices)?;
    tx.commit().map_err(fail)?;
    Ok(true)
}

/// `length` bytes of the snapshot kept at exactly `seq`, from byte `offset` of it, in one
/// read-only transaction: only the slices of the pieces the range overlaps are fetched, so a
/// range late in a 1 GB snapshot costs only itself. None when the table does not exist yet,
/// no snapshot is kept at `seq`, or it ends before the range does.
pub(crate) fn read_range(
    client: &mut Client,
    seq: i64,
    offset: u64,
    length: u64,
    fail: &dyn Fn(postgres::Error) -> StoreError,
) -> StoreResult<Option<Vec<u8>>> {
    let mut tx = begin_reading(client).map_err(fail)?;
    if !exists(&mut tx).map_err(fail)? {
        return Ok(None);
    }
    let pieces = piece_lengths(&mut tx, seq).map_err(fail)?;
    let Some((parts, start)) = overlapping(&pieces, offset, length) else {
        return Ok(None);
    };
    let range = Slices::new(&mut tx, seq, parts, start)
        .read_all(length)
        .map_err(fail)?;
    tx.commit().map_err(fail)?;
    Ok(Some(range))
}

/// A read-only transaction that sees one version of the table from its first query to its
/// last, whatever a writer replaces or drops meanwhile.
fn begin_reading(client: &mut Client) -> Result<Transaction<'_>, postgres::Error> {
    client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
}

/// Each piece of the snapshot kept at `seq`, in order: its number and its length in bytes (as
/// stored: the piece size a writer used does not matter). None at all: no snapshot there.
fn piece_lengths(tx: &mut Transaction<'_>, seq: i64) -> Result<Vec<(i32, i64)>, postgres::Error> {
    let rows = tx.query(
        "SELECT piece, length(bytes)::BIGINT FROM snapshot_pieces WHERE seq = $1 ORDER BY piece",
        &[&seq],
    )?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
}

/// The pieces (number, length in bytes) that hold `length` bytes from byte `offset` of their
/// snapshot, each cut to end where the range ends, and where the range starts in the first:
/// what [`Slices`] reads to fetch the range alone. None when there are no pieces or the range
/// passes their end.
fn overlapping(pieces: &[(i32, i64)], offset: u64, length: u64) -> Option<(Vec<(i32, i64)>, i64)> {
    let total: i64 = pieces.iter().map(|(_, piece_bytes)| piece_bytes).sum();
    let offset = i64::try_from(offset).ok()?;
    let end = offset.checked_add(i64::try_from(length).ok()?)?;
    if pieces.is_empty() || end > total {
        return None;
    }
    let mut parts = Vec::new();
    let mut start = 0;
    let mut piece_start = 0;
    for &(piece, piece_bytes) in pieces {
        let piece_end = piece_start + piece_bytes;
        if offset.max(piece_start) < end.min(piece_end) {
            if parts.is_empty() {
                start = offset - piece_start;
            }
            parts.push((piece, end.min(piece_end) - piece_start));
        }
        piece_start = piece_end;
    }
    Some((parts, start))
}

/// A snapshot's bytes, fetched a slice at a time, piece after piece.
struct Slices<'a, 'b> {
    tx: &'a mut Transaction<'b>,
    seq: i64,
    /// Each piece's number and length, in order.
    pieces: Vec<(i32, i64)>,
    /// The piece being read, and where its next slice starts (from 0).
    piece: usize,
    next: i64,
    slice: Vec<u8>,
    /// How much of `slice` was read.
    taken: usize,
}

impl<'a, 'b> Slices<'a, 'b> {
    /// The bytes of `pieces` (number, length in bytes) of the snapshot at `seq`, from byte
    /// `start` of the first.
    fn new(tx: &'a mut Transaction<'b>, seq: i64, pieces: Vec<(i32, i64)>, start: i64) -> Self {
        Slices {
            tx,
            seq,
            pieces,
            piece: 0,
            next: start,
            slice: Vec::new(),
            taken: 0,
        }
    }

    /// Every byte left, fetched slice after slice into one buffer of `length` bytes.
    fn read_all(mut self, length: u64) -> Result<Vec<u8>, postgres::Error> {
        let mut bytes = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
        while self.fetch()? {
            bytes.extend_from_slice(&self.slice);
        }
        Ok(bytes)
    }

    /// Fetches the next slice; false at the end of the last piece.
    fn fetch(&mut self) -> Result<bool, postgres::Error> {
        while let Some(&(piece, length)) = self.pieces.get(self.piece) {
            if self.next < length {
                let want = SLICE_BYTES.min(length - self.next);
                // substring counts from 1.
                let row = self.tx.query_one(
                    "SELECT substring(bytes FROM ($3::BIGINT + 1)::INT FOR ($4::BIGINT)::INT) \
                     FROM snapshot_pieces WHERE seq = $1 AND piece = $2",
                    &[&self.seq, &piece, &self.next, &want],
                )?;
                self.slice = row.get(0);
                self.taken = 0;
                self.next += want;
                return Ok(!self.slice.is_empty());
            }
            self.piece += 1;
            self.next = 0;
        }
        Ok(false)
    }
}

impl Read for Slices<'_, '_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.taken == self.slice.len() && !self.fetch().map_err(std::io::Error::other)? {
            return Ok(0);
        }
        let piece = out.len().min(self.slice.len() - self.taken);
        out[..piece].copy_from_slice(&self.slice[self.taken..self.taken + piece]);
        self.taken += piece;
        Ok(piece)
    }
}
