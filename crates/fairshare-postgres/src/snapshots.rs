//! Reading a snapshot as a stream: a `bytea` comes whole in one row, so a book that opens from
//! a 115 MB snapshot would hold those bytes beside the state it decodes. Stored uncompressed
//! (`STORAGE EXTERNAL`), a `bytea` reads a slice at a time with `substring`, each slice
//! fetching only its own TOAST chunks; compressed (rows written before), a slice would
//! decompress everything before it, so such a row is read whole, as before.

use std::io::Read;

use fairshare_store::{ReadSnapshot, StoreError, StoreResult};
use postgres::{Client, IsolationLevel, Transaction};

/// Bytes of a snapshot fetched per round trip.
const SLICE_BYTES: i64 = 1 << 20;

/// Makes the snapshots table keep its bytes uncompressed, out of line, for rows written from
/// now on (a metadata change, done once: a table created before has compressed rows).
pub(crate) fn store_uncompressed(tx: &mut Transaction<'_>) -> Result<(), postgres::Error> {
    let storage: i8 = tx
        .query_one(
            "SELECT attstorage FROM pg_attribute \
             WHERE attrelid = 'snapshots'::regclass AND attname = 'bytes'",
            &[],
        )?
        .get(0);
    if storage != b'e' as i8 {
        tx.batch_execute("ALTER TABLE snapshots ALTER COLUMN bytes SET STORAGE EXTERNAL")?;
    }
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
    let row = tx
        .query_opt(
            "SELECT seq, length(bytes)::BIGINT, pg_column_size(bytes) < length(bytes) \
             FROM snapshots WHERE seq <= $1 ORDER BY seq DESC LIMIT 1",
            &[&at_most],
        )
        .map_err(fail)?;
    let Some(row) = row else {
        return Ok(false);
    };
    let (seq, length, compressed): (i64, i64, bool) = (row.get(0), row.get(1), row.get(2));
    let mut slices = Slices {
        tx: &mut tx,
        seq,
        length,
        next: 0,
        slice: Vec::new(),
        taken: 0,
        whole: compressed,
    };
    read(seq as u64, length as u64, &mut slices)?;
    tx.commit().map_err(fail)?;
    Ok(true)
}

/// A snapshot's bytes, fetched a slice at a time (or whole, for a compressed row).
struct Slices<'a, 'b> {
    tx: &'a mut Transaction<'b>,
    seq: i64,
    length: i64,
    /// Where the next slice starts (from 0).
    next: i64,
    slice: Vec<u8>,
    /// How much of `slice` was read.
    taken: usize,
    whole: bool,
}

impl Slices<'_, '_> {
    fn fetch(&mut self) -> Result<(), postgres::Error> {
        let want = if self.whole { self.length } else { SLICE_BYTES };
        let want = want.min(self.length - self.next);
        // substring counts from 1.
        let row = self.tx.query_one(
            "SELECT substring(bytes FROM ($2::BIGINT + 1)::INT FOR ($3::BIGINT)::INT) \
             FROM snapshots WHERE seq = $1",
            &[&self.seq, &self.next, &want],
        )?;
        self.slice = row.get(0);
        self.taken = 0;
        self.next += self.slice.len() as i64;
        Ok(())
    }
}

impl Read for Slices<'_, '_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.taken == self.slice.len() {
            if self.next >= self.length {
                return Ok(0);
            }
            self.fetch().map_err(std::io::Error::other)?;
            if self.slice.is_empty() {
                return Ok(0);
            }
        }
        let piece = out.len().min(self.slice.len() - self.taken);
        out[..piece].copy_from_slice(&self.slice[self.taken..self.taken + piece]);
        self.taken += piece;
        Ok(piece)
    }
}
