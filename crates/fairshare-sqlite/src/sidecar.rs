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
use rusqlite::{Connection, MAIN_DB, OpenFlags, OptionalExtension, TransactionBehavior, params};

use crate::{busy_wait, fail, limit_wal_size, to_seq, use_wal};

/// Created by the first snapshot; the sidecar holds nothing else, so it needs no schema version.
const CREATE_SNAPSHOTS: &str =
    "CREATE TABLE IF NOT EXISTS snapshots (seq INTEGER PRIMARY KEY, bytes BLOB NOT NULL)";

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
}

impl Sidecar {
    /// The sidecar of the book at `book` (nothing is opened yet).
    pub(crate) fn beside(book: &Path, read_only: bool) -> Sidecar {
        Sidecar {
            path: snapshots_path(book),
            read_only,
            conn: None,
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
        let path = self.path.clone();
        let err = |e| fail("write a snapshot to", &path, e);
        let conn = match self.conn.take() {
            Some(conn) => conn,
            None => self.open(true)?,
        };
        let tx = self
            .conn
            .insert(conn)
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        tx.execute_batch(CREATE_SNAPSHOTS).map_err(err)?;
        // A blob bound as a parameter is copied by SQLite first (another 127 MB at the peak of
        // an import); a zeroblob filled in place is written page by page.
        let row = sql_int(seq);
        let length = i64::try_from(length).unwrap_or(i64::MAX);
        tx.execute(
            "INSERT INTO snapshots (seq, bytes) VALUES (?1, zeroblob(?2)) \
             ON CONFLICT (seq) DO UPDATE SET bytes = excluded.bytes",
            params![row, length],
        )
        .map_err(err)?;
        let mut blob = tx
            .blob_open(MAIN_DB, c"snapshots", c"bytes", row, false)
            .map_err(err)?;
        write(&mut blob)?;
        drop(blob);
        tx.execute(
            "DELETE FROM snapshots WHERE seq NOT IN \
             (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?1)",
            [SNAPSHOTS_KEPT as i64],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
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
        let Some(conn) = self.existing()? else {
            return Ok(false);
        };
        let table: Option<i64> = conn
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'snapshots'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        if table.is_none() {
            return Ok(false);
        }
        let tx = conn.unchecked_transaction().map_err(err)?;
        let found: Option<(i64, i64)> = tx
            .query_row(
                "SELECT seq, length(bytes) FROM snapshots WHERE seq <= ?1 \
                 ORDER BY seq DESC LIMIT 1",
                [sql_int(at_most)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(err)?;
        let Some((row, length)) = found else {
            return Ok(false);
        };
        let mut blob = tx
            .blob_open(MAIN_DB, c"snapshots", c"bytes", row, true)
            .map_err(err)?;
        read(
            to_seq(row, &path)?,
            u64::try_from(length).unwrap_or(0),
            &mut blob,
        )?;
        drop(blob);
        tx.commit().map_err(err)?;
        Ok(true)
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
        configure(&conn, self.read_only).map_err(|e| fail("configure", &self.path, e))?;
        Ok(conn)
    }
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
