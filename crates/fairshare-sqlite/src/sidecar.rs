//! The snapshots of a book, in a SQLite file of their own beside it ([`snapshots_path`]).
//!
//! A snapshot is a cache, never the truth: it needs no transaction with the log. SQLite has one
//! write lock per file, so writing a snapshot's bytes (~127 MB on a 1M-event book) into the
//! book's file held up the log writer's next append for as long; in a file of their own they
//! only wait for each other. Each store handle opens the sidecar on first use, so a book that
//! never snapshots never has one, and a reader never creates it.
//!
//! Books written by older builds kept their snapshots in a `snapshots` table of the book's own
//! file. That table is ignored, never read nor dropped: dropping it would walk every page of
//! its blobs under the book's write lock (a long stall of a live writer, the very thing this
//! file avoids), and a cache lost costs one slower open until the next snapshot.

use std::path::{Path, PathBuf};

use fairshare_store::{
    ReadSnapshot, SNAPSHOTS_KEPT, StoreError, StoreResult, WriteSnapshot, sql_int,
};
use rusqlite::blob::Blob;
use rusqlite::{Connection, MAIN_DB, OpenFlags, OptionalExtension, TransactionBehavior, params};
use std::io::{Read, Seek, SeekFrom, Write};

use crate::{
    back_to_wal, busy_wait, fail, limit_wal_size, rollback_journal_if_alone, to_seq, use_wal,
};

/// Created by the first snapshot; the sidecar holds nothing else, so it needs no schema version.
/// A snapshot is kept in pieces: SQLite refuses a blob of more than a billion bytes, and a
/// 10M-contribution book's snapshot is larger. The table of whole snapshots that earlier
/// builds wrote (`snapshots`) holds only formats no build reads any more: dropped.
const CREATE_PIECES: &str = "DROP TABLE IF EXISTS snapshots; \
     CREATE TABLE IF NOT EXISTS snapshot_pieces (seq INTEGER NOT NULL, piece INTEGER NOT NULL, \
     bytes BLOB NOT NULL, PRIMARY KEY (seq, piece))";

/// The most bytes one piece holds: well under SQLite's limit on a blob (1,000,000,000).
pub(crate) const PIECE_BYTES: u64 = 256 << 20;

/// The file that keeps the snapshots of the SQLite book at `book`: its path with `.snapshots`
/// appended (`coop.db` → `coop.db.snapshots`). Deleting it is harmless: the book then opens by
/// replaying its log until the next snapshot is written.
pub fn snapshots_path(book: &Path) -> PathBuf {
    let mut name = book.as_os_str().to_owned();
    name.push(".snapshots");
    PathBuf::from(name)
}

/// One store handle's connection to the sidecar of its book, opened on first use.
pub(crate) struct Sidecar {
    path: PathBuf,
    read_only: bool,
    conn: Option<Connection>,
    /// [`PIECE_BYTES`], smaller in tests.
    pub(crate) piece_bytes: u64,
}

impl Sidecar {
    /// The sidecar of the book at `book` (nothing is opened yet).
    pub(crate) fn beside(book: &Path, read_only: bool) -> Sidecar {
        Sidecar {
            path: snapshots_path(book),
            read_only,
            conn: None,
            piece_bytes: PIECE_BYTES,
        }
    }

    /// Keeps the snapshot of `length` bytes that `write` writes into its blob in place, at
    /// `seq`, and drops all but the newest [`SNAPSHOTS_KEPT`]. Creates the file if absent.
    /// Serialised on the sidecar's own write lock only, never on the book's.
    pub(crate) fn write(
        &mut self,
        seq: u64,
        length: u64,
        write: &mut WriteSnapshot<'_>,
    ) -> StoreResult<()> {
        let conn = match self.conn.take() {
            Some(conn) => conn,
            None => self.open(true)?,
        };
        // A snapshot is mostly new pages: written once through a rollback journal when no
        // server reads the sidecar (a CLI `snapshot`, the end of an import).
        let journaled = rollback_journal_if_alone(&conn);
        let conn = self.conn.insert(conn);
        let written = write_pieces(conn, &self.path, self.piece_bytes, seq, length, write);
        if journaled {
            back_to_wal(conn, &self.path);
        }
        written
    }

    /// The newest snapshot at or below `at_most`; none when there is no sidecar (not created).
    pub(crate) fn latest(&mut self, at_most: u64) -> StoreResult<Option<(u64, Vec<u8>)>> {
        let mut found = None;
        self.read(at_most, &mut |seq, length, blob| {
            // Read in place into a buffer of the right size: a blob read as a column value is
            // copied once more, with its 127 MB of page faults, on every open.
            let mut bytes = vec![0u8; usize::try_from(length).unwrap_or(0)];
            blob.read_exact(&mut bytes)
                .map_err(|e| StoreError::Backend(format!("read a snapshot: {e}")))?;
            found = Some((seq, bytes));
            Ok(())
        })?;
        Ok(found)
    }

    /// Streams the newest snapshot at or below `at_most` to `read`, from its blob in place, in
    /// one read transaction (the row found is the row read, whatever a writer does meanwhile).
    /// False when there is none, or no sidecar (not created).
    pub(crate) fn read(&mut self, at_most: u64, read: &mut ReadSnapshot<'_>) -> StoreResult<bool> {
        let path = self.path.clone();
        let err = |e| fail("read a snapshot of", &path, e);
        let Some(conn) = self.with_pieces()? else {
            return Ok(false);
        };
        let tx = conn.unchecked_transaction().map_err(err)?;
        let found: Option<i64> = tx
            .query_row(
                "SELECT max(seq) FROM snapshot_pieces WHERE seq <= ?1",
                [sql_int(at_most)],
                |r| r.get(0),
            )
            .map_err(err)?;
        let Some(row) = found else {
            return Ok(false);
        };
        let pieces = piece_rows(&tx, row).map_err(err)?;
        let length = pieces.iter().map(|&(_, piece_bytes)| piece_bytes).sum();
        let rowids = pieces.into_iter().map(|(rowid, _)| rowid).collect();
        let mut input = PiecesIn::open(&tx, rowids).map_err(err)?;
        read(to_seq(row, &path)?, length, &mut input)?;
        drop(input);
        tx.commit().map_err(err)?;
        Ok(true)
    }

    /// `length` bytes of the snapshot kept at exactly `seq`, from byte `offset` of it, in one
    /// read transaction: only the pieces the range overlaps are opened, each read in place from
    /// where the range starts in it, so a range late in a 1 GB snapshot costs only itself.
    /// None when there is no sidecar, no snapshot at `seq`, or it ends before the range does.
    pub(crate) fn read_range(
        &mut self,
        seq: u64,
        offset: u64,
        length: u64,
    ) -> StoreResult<Option<Vec<u8>>> {
        let path = self.path.clone();
        let err = |e| fail("read a snapshot of", &path, e);
        let Ok(row) = i64::try_from(seq) else {
            return Ok(None); // SQLite keeps no snapshot that far
        };
        let Some(conn) = self.with_pieces()? else {
            return Ok(None);
        };
        let tx = conn.unchecked_transaction().map_err(err)?;
        let pieces = piece_rows(&tx, row).map_err(err)?;
        let Some(parts) = overlapping(&pieces, offset, length) else {
            return Ok(None);
        };
        let mut range = vec![0u8; parts.iter().map(|part| part.bytes).sum()];
        read_parts(&tx, &parts, &mut range).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(Some(range))
    }

    /// The open connection once the first snapshot created the pieces table; none before, or
    /// without a sidecar (a read never creates either).
    fn with_pieces(&mut self) -> StoreResult<Option<&mut Connection>> {
        let path = self.path.clone();
        let Some(conn) = self.existing()? else {
            return Ok(None);
        };
        let table: Option<i64> = conn
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'snapshot_pieces'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| fail("read a snapshot of", &path, e))?;
        Ok(table.map(|_| conn))
    }

    /// The open connection, opening the file now if it exists (never creating it); none
    /// without a file. A failed open is not kept: the next call tries again.
    fn existing(&mut self) -> StoreResult<Option<&mut Connection>> {
        if self.conn.is_none() && self.path.exists() {
            self.conn = Some(self.open(false)?);
        }
        Ok(self.conn.as_mut())
    }

    fn open(&self, create: bool) -> StoreResult<Connection> {
        let mut flags = OpenFlags::SQLITE_OPEN_NO_MUTEX;
        flags |= match (self.read_only, create) {
            (true, _) => OpenFlags::SQLITE_OPEN_READ_ONLY,
            (false, false) => OpenFlags::SQLITE_OPEN_READ_WRITE,
            (false, true) => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        };
        let conn = Connection::open_with_flags(&self.path, flags)
            .map_err(|e| fail("open", &self.path, e))?;
        crate::waiting_out_deadlocks(|| configure(&conn, self.read_only))
            .map_err(|e| fail("configure", &self.path, e))?;
        Ok(conn)
    }
}

/// Writes the snapshot at `seq` into zeroblobs filled in place (a blob bound as a parameter
/// is copied by SQLite first: another 127 MB at the peak of an import), and drops all but the
/// newest [`SNAPSHOTS_KEPT`], in one transaction.
fn write_pieces(
    conn: &mut Connection,
    path: &Path,
    piece_bytes: u64,
    seq: u64,
    length: u64,
    write: &mut WriteSnapshot<'_>,
) -> StoreResult<()> {
    let err = |e| fail("write a snapshot to", path, e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err)?;
    tx.execute_batch(CREATE_PIECES).map_err(err)?;
    let row = sql_int(seq);
    tx.execute("DELETE FROM snapshot_pieces WHERE seq = ?1", [row])
        .map_err(err)?;
    let mut rowids = Vec::new();
    for (piece, bytes) in pieces(length, piece_bytes).enumerate() {
        tx.execute(
            "INSERT INTO snapshot_pieces (seq, piece, bytes) VALUES (?1, ?2, zeroblob(?3))",
            params![row, piece as i64, bytes as i64],
        )
        .map_err(err)?;
        rowids.push(tx.last_insert_rowid());
    }
    let mut out = PiecesOut::open(&tx, rowids, piece_bytes).map_err(err)?;
    write(&mut out)?;
    drop(out);
    tx.execute(
        "DELETE FROM snapshot_pieces WHERE seq NOT IN \
         (SELECT DISTINCT seq FROM snapshot_pieces ORDER BY seq DESC LIMIT ?1)",
        [SNAPSHOTS_KEPT as i64],
    )
    .map_err(err)?;
    tx.commit().map_err(err)
}

fn configure(conn: &Connection, read_only: bool) -> rusqlite::Result<()> {
    conn.busy_handler(Some(busy_wait))?;
    if read_only {
        return Ok(());
    }
    // WAL: a server opening from the newest snapshot reads while another writes the next one.
    use_wal(conn)?;
    // A cache may lose its last commit on power loss (NORMAL fsyncs at checkpoints only), never
    // its consistency: the book then opens from an older snapshot or replays. FULL would fsync
    // ~127 MB at each snapshot for nothing the log does not already keep.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Each snapshot passes through the -wal file; do not keep one that large afterwards.
    limit_wal_size(conn)
}

/// The sizes of the pieces of a snapshot of `length` bytes: full ones, then the rest (one
/// empty piece for an empty snapshot, so that it is still found).
fn pieces(length: u64, piece_bytes: u64) -> impl Iterator<Item = u64> {
    let count = length.div_ceil(piece_bytes).max(1);
    (0..count).map(move |piece| (length - piece * piece_bytes).min(piece_bytes))
}

/// Each piece of the snapshot kept at `row`, in order: its rowid and its length in bytes
/// (as stored: the piece size a writer used does not matter). None at all: no snapshot there.
fn piece_rows(conn: &Connection, row: i64) -> rusqlite::Result<Vec<(i64, u64)>> {
    let mut pieces = conn.prepare_cached(
        "SELECT rowid, length(bytes) FROM snapshot_pieces WHERE seq = ?1 ORDER BY piece",
    )?;
    let rows = pieces.query_map([row], |piece| {
        let piece_bytes: i64 = piece.get(1)?;
        Ok((piece.get(0)?, u64::try_from(piece_bytes).unwrap_or(0)))
    })?;
    rows.collect()
}

/// What a range reads of one piece: its rowid, where in it the range starts, how many bytes.
#[derive(Debug, Clone, Copy)]
struct Part {
    rowid: i64,
    start: usize,
    bytes: usize,
}

/// The parts of `pieces` (rowid, length in bytes) that hold `length` bytes from byte `offset`
/// of their snapshot, in order; none when there are no pieces or the range passes their end.
fn overlapping(pieces: &[(i64, u64)], offset: u64, length: u64) -> Option<Vec<Part>> {
    let total: u64 = pieces.iter().map(|&(_, piece_bytes)| piece_bytes).sum();
    let end = offset.checked_add(length)?;
    if pieces.is_empty() || end > total {
        return None;
    }
    let mut parts = Vec::new();
    let mut piece_start = 0u64;
    for &(rowid, piece_bytes) in pieces {
        let piece_end = piece_start + piece_bytes;
        let from = offset.max(piece_start);
        let to = end.min(piece_end);
        if from < to {
            parts.push(Part {
                rowid,
                start: usize::try_from(from - piece_start).ok()?,
                bytes: usize::try_from(to - from).ok()?,
            });
        }
        piece_start = piece_end;
    }
    Some(parts)
}

/// Reads `parts` in place into `out` (as long as they are together), one after the other,
/// with one read-only blob handle moved from piece to piece (a reopen costs less than an open).
fn read_parts(conn: &Connection, parts: &[Part], out: &mut [u8]) -> rusqlite::Result<()> {
    let mut blob: Option<Blob<'_>> = None;
    let mut filled = 0;
    for part in parts {
        let open = match blob.take() {
            Some(mut open) => {
                open.reopen(part.rowid)?;
                open
            }
            None => conn.blob_open(MAIN_DB, c"snapshot_pieces", c"bytes", part.rowid, true)?,
        };
        open.read_at_exact(&mut out[filled..filled + part.bytes], part.start)?;
        filled += part.bytes;
        blob = Some(open);
    }
    Ok(())
}

/// A snapshot's pieces, written in place as one stream that may seek back (the checksum is
/// written last, into the header).
struct PiecesOut<'conn> {
    blob: Blob<'conn>,
    rowids: Vec<i64>,
    piece_bytes: u64,
    /// The piece `blob` is open on.
    open: usize,
    position: u64,
}

impl<'conn> PiecesOut<'conn> {
    fn open(conn: &'conn Connection, rowids: Vec<i64>, piece_bytes: u64) -> rusqlite::Result<Self> {
        let blob = conn.blob_open(MAIN_DB, c"snapshot_pieces", c"bytes", rowids[0], false)?;
        Ok(PiecesOut {
            blob,
            rowids,
            piece_bytes,
            open: 0,
            position: 0,
        })
    }
}

impl Write for PiecesOut<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let piece = usize::try_from(self.position / self.piece_bytes).unwrap_or(usize::MAX);
        let Some(&rowid) = self.rowids.get(piece) else {
            return Ok(0); // past the end: `write_all` says so
        };
        if piece != self.open {
            self.blob.reopen(rowid).map_err(std::io::Error::other)?;
            self.open = piece;
        }
        self.blob
            .seek(SeekFrom::Start(self.position % self.piece_bytes))?;
        let written = self.blob.write(bytes)?;
        self.position += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.blob.flush()
    }
}

impl Seek for PiecesOut<'_> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let position = match to {
            SeekFrom::Start(position) => Some(position),
            SeekFrom::Current(delta) => self.position.checked_add_signed(delta),
            SeekFrom::End(_) => None,
        };
        let Some(position) = position else {
            return Err(std::io::Error::other(
                "a snapshot seeks from its start or where it is",
            ));
        };
        self.position = position;
        Ok(position)
    }
}

/// A snapshot's pieces, read in order as one stream.
struct PiecesIn<'conn> {
    blob: Blob<'conn>,
    rowids: Vec<i64>,
    /// The piece `blob` is open on.
    open: usize,
}

impl<'conn> PiecesIn<'conn> {
    fn open(conn: &'conn Connection, rowids: Vec<i64>) -> rusqlite::Result<Self> {
        let first = rowids.first().copied().unwrap_or_default();
        let blob = conn.blob_open(MAIN_DB, c"snapshot_pieces", c"bytes", first, true)?;
        Ok(PiecesIn {
            blob,
            rowids,
            open: 0,
        })
    }
}

impl Read for PiecesIn<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let read = self.blob.read(out)?;
            if read > 0 || out.is_empty() {
                return Ok(read);
            }
            let Some(&next) = self.rowids.get(self.open + 1) else {
                return Ok(0);
            };
            self.blob.reopen(next).map_err(std::io::Error::other)?;
            self.open += 1;
        }
    }
}
