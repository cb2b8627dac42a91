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
/// transaction that sees one version of the table. Returns whether there was one.
pub(crate) fn read_streamed(
    client: &mut Client,
    at_most: i64,
    read: &mut ReadSnapshot<'_>,
    fail: &dyn Fn(postgres::Error) -> StoreError,
) -> StoreResult<bool> {
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(fail)?;
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
    let pieces: Vec<(i32, i64)> = tx
        .query(
            "SELECT piece, length(bytes)::BIGINT FROM snapshot_pieces WHERE seq = $1 \
             ORDER BY piece",
            &[&seq],
        )
        .map_err(fail)?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let length: i64 = pieces.iter().map(|(_, length)| length).sum();
    let mut slices = Slices {
        tx: &mut tx,
        seq,
        pieces,
        piece: 0,
        next: 0,
        slice: Vec::new(),
        taken: 0,
    };
    read(seq as u64, length as u64, &mut slices)?;
    tx.commit().map_err(fail)?;
    Ok(true)
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

impl Slices<'_, '_> {
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
