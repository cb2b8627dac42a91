//! SQLite backend of a fairshare book: the whole append-only event log lives in one file.
//!
//! [`SqliteStore`] implements [`fairshare_store::Store`] on a single SQLite database (bundled
//! SQLite through `rusqlite`). The file and its schema are created on first open and migrated
//! forward by the versioned SQL in `migrations/` (the version is kept in the `meta` table).
//! The database runs in WAL mode with `synchronous=FULL`, so an acknowledged append survives a
//! crash or power loss, and waits up to 5 s for a lock held elsewhere, so several processes
//! (or threads, each with its own handle) can share one book: appends serialise on SQLite's
//! write lock (queued first come, first served among the handles of one process) and check the
//! head inside their transaction. Readers that must never write (e.g. `verify`) use
//! [`SqliteStore::open_read_only`].
//!
//! Beside the log, in the same file: [`SqliteCredentials`] keeps the agents' API key and
//! password hashes (tables of their own, with their own migrations), and a [`Checkpointer`]
//! copies the WAL back into the database off the writer's path. The state snapshots live in a
//! file of their own beside the book ([`snapshots_path`], `sidecar.rs`), so writing one never
//! holds up an append.

mod backup;
mod checkpoint;
mod credentials;
mod sidecar;
mod webhooks;

pub use backup::backup_file;
pub use checkpoint::{CHECKPOINT_INTERVAL, Checkpointer};
pub use credentials::SqliteCredentials;
pub use sidecar::snapshots_path;

use fairshare_store::{
    AppendAll, EventRow, LentRow, ReadSnapshot, Reopen, SnapshotRange, Store, StoreError,
    StoreResult, WriteSnapshot, check_append, sql_int,
};
use rusqlite::{
    Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior, params,
    types::ValueRef,
};
use sidecar::Sidecar;
use std::cell::Cell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError, Weak};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// Versioned schema migrations, applied in order; the last version is the current schema.
const MIGRATIONS: &[(u32, &str)] = &[(1, include_str!("../migrations/0001_events.sql"))];

/// How long a statement waits for another connection's lock before failing with "database is
/// locked". An append holds the write lock for one batch only, but SQLite's locks are not
/// fair: under heavy contention a writer can lose many rounds in a row (see [`busy_wait`]).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Page cache per connection, in KiB (negative in the pragma): 8 MiB. Replays scan the log
/// once, in order, and gain nothing from a larger cache; it would only add to their memory.
const CACHE_SIZE_KIB: i64 = -8_192;
/// Page cache while appending a bulk batch (an import): 64 MiB keeps the idempotency-key
/// index's pages in memory across a batch, about 1.5x faster with random keys.
const BULK_CACHE_SIZE_KIB: i64 = -65_536;
/// Page cache while filling an empty book through a rollback journal (an import into a new
/// book): 16 MiB. The pages it spills are written into the book once, not into the -wal file
/// and again at the checkpoint, so a larger cache only adds memory: the 1M-contribution
/// import and the peers workload's, whose every event is keyed, are as fast with it as with
/// 64 MiB, and 48 MB smaller (docs/BENCHMARKS.md, "Payout lines and claims held packed").
const FILL_CACHE_SIZE_KIB: i64 = -16_384;
/// A batch at least this long is a bulk append (an import's batches are 10,000 rows).
const BULK_APPEND_ROWS: usize = 1_000;
/// Checkpoint when the WAL reaches this many pages (~40 MiB at 4 KiB pages; default 1,000).
const WAL_AUTOCHECKPOINT_PAGES: i64 = 10_000;
/// Bytes of -wal file kept after a checkpoint.
const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

const SELECT_HEAD: &str = "SELECT max(seq) FROM events";
const SELECT_AFTER: &str = "SELECT seq, recorded_at, actor, idempotency_key, payload_hash, \
     body, prev_hash, hash FROM events WHERE seq > ?1 ORDER BY seq";
const INSERT: &str = "INSERT INTO events (seq, recorded_at, actor, idempotency_key, \
     payload_hash, body, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

/// A fairshare book in one SQLite file.
///
/// Each handle owns one connection. Several handles, in one process or many, may share a file:
/// appends are serialised by SQLite and every `append` re-checks the head under the write lock.
/// A handle is `Send` but not `Sync`: give each thread its own.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    read_only: bool,
    gate: Arc<WriteGate>,
    /// The page cache set for bulk appends, if one came (KiB, negative as in the pragma).
    bulk_cache_kib: Option<i64>,
    /// The snapshots, in their own file beside the book (opened on first use).
    snapshots: Sidecar,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .field("read_only", &self.read_only)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the book at `path` for reading and appending, creating the file and its schema if
    /// absent and migrating an older schema forward.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        let conn = Connection::open(path).map_err(|e| fail("open", path, e))?;
        let mut store = SqliteStore {
            conn,
            path: path.to_path_buf(),
            read_only: false,
            gate: WriteGate::for_path(path),
            bulk_cache_kib: None,
            snapshots: Sidecar::beside(path, false),
        };
        waiting_out_deadlocks(|| store.configure()).map_err(|e| fail("configure", path, e))?;
        store.migrate()?;
        Ok(store)
    }

    /// Keeps snapshots in pieces of `bytes` (256 MiB otherwise): tests use small ones to write
    /// and read snapshots that span several.
    #[doc(hidden)]
    pub fn set_snapshot_piece_bytes(&mut self, bytes: u64) {
        assert!(bytes > 0, "a piece holds at least a byte");
        self.snapshots.piece_bytes = bytes;
    }

    /// Opens an existing book without ever writing to it (for `verify`-style readers).
    /// Fails if the file is absent, is not a fairshare book, or has another schema version.
    /// `append` on such a handle fails with [`StoreError::Backend`].
    pub fn open_read_only(path: &Path) -> StoreResult<SqliteStore> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| fail("open", path, e))?;
        conn.busy_handler(Some(busy_wait))
            .map_err(|e| fail("configure", path, e))?;
        let store = SqliteStore {
            conn,
            path: path.to_path_buf(),
            read_only: true,
            gate: Arc::default(),
            bulk_cache_kib: None,
            snapshots: Sidecar::beside(path, true),
        };
        let version = read_version(&store.conn, path)?;
        let latest = latest_version();
        if version == 0 {
            return Err(StoreError::Backend(format!(
                "open {}: not a fairshare book (no schema version)",
                path.display()
            )));
        }
        if version != latest {
            return Err(StoreError::Backend(format!(
                "open {}: book schema version {version}, this build reads version {latest} \
                 (open it read-write once with a matching build to migrate)",
                path.display()
            )));
        }
        Ok(store)
    }

    /// The file this book lives in, as given to `open`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn configure(&self) -> rusqlite::Result<()> {
        // Set first, so the pragmas and migrations below wait for other processes' locks.
        self.conn.busy_handler(Some(busy_wait))?;
        // WAL lets readers (scan, verify) run while a writer appends, and makes each commit a
        // sequential append to the -wal file.
        use_wal(&self.conn)?;
        // In WAL mode, synchronous=NORMAL only fsyncs at checkpoints: a committed append could
        // vanish on power loss. FULL fsyncs the WAL at every commit, so an append that returned
        // Ok is on disk, as the Store contract requires. Per connection, not persistent.
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        // A batch with random idempotency keys dirties pages all over the unique index. A page
        // cache that holds the index of a few million events (allocated only as used) and
        // fewer, larger checkpoints make such appends about 1.5x faster.
        self.conn
            .pragma_update(None, "cache_size", CACHE_SIZE_KIB)?;
        self.conn
            .pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)?;
        // Truncate a -wal file that a huge batch grew, once it has been checkpointed.
        limit_wal_size(&self.conn)
    }

    /// Brings the schema to the latest version. Runs under the write lock and re-reads the
    /// version there, so processes opening a new book at once migrate it exactly once.
    fn migrate(&mut self) -> StoreResult<()> {
        let latest = latest_version();
        let current = read_version(&self.conn, &self.path)?;
        if current > latest {
            return Err(newer_schema(&self.path, current, latest));
        }
        if current == latest {
            return Ok(());
        }
        let err = |e| fail("migrate", &self.path, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        // Read inside the transaction: another process may have migrated meanwhile.
        let current = read_version(&tx, &self.path)?;
        if current > latest {
            return Err(newer_schema(&self.path, current, latest));
        }
        for &(version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            tx.execute_batch(sql).map_err(|e| {
                StoreError::Backend(format!(
                    "migrate {} to schema version {version}: {e}",
                    self.path.display()
                ))
            })?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?1) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [version.to_string()],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)
    }
}

impl SqliteStore {
    /// Puts an empty book in rollback-journal mode for the one transaction that fills it, if
    /// no other connection has it open ([`rollback_journal_if_alone`]); says whether it did.
    /// An empty book has few pages to journal, so the rest is written once. A crash still
    /// leaves the book empty: the next open finds the hot journal, truncates the book back, and
    /// switches it to WAL again (`configure`).
    fn journal_for_empty_book(&mut self) -> bool {
        !self.read_only
            && matches!(read_head(&self.conn), Ok(0))
            && rollback_journal_if_alone(&self.conn)
    }

    /// Runs `fill` in one write transaction, appending each batch it gives after the head;
    /// commits only if every append and `fill` itself succeed. `bulk_cache_kib` sets the page
    /// cache for a bulk append.
    fn in_write(
        &mut self,
        bulk_cache_kib: Option<i64>,
        fill: &mut AppendAll<'_>,
    ) -> StoreResult<()> {
        if self.read_only {
            return Err(StoreError::Backend(format!(
                "append to {}: the book is open read-only",
                self.path.display()
            )));
        }
        // An import appends batch after batch: once a bulk batch comes, keep the large cache
        // for the rest of the process (shrinking it between batches would drop the index pages
        // the next batch needs). A process that only replays never grows it.
        if let Some(cache_kib) = bulk_cache_kib
            && self.bulk_cache_kib != Some(cache_kib)
        {
            self.conn
                .pragma_update(None, "cache_size", cache_kib)
                .map_err(|e| fail("append to", &self.path, e))?;
            self.bulk_cache_kib = Some(cache_kib);
        }
        let path = &self.path;
        let err = |e| fail("append to", path, e);
        // Held until the transaction ends (declared before `tx`, so dropped after it).
        let _turn = self.gate.enter();
        // IMMEDIATE takes the write lock now (waiting up to the busy timeout), so the head read
        // below cannot go stale before the insert; a deferred transaction could fail to upgrade
        // its read snapshot with SQLITE_BUSY_SNAPSHOT instead of waiting.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let mut head = to_seq(read_head(&tx).map_err(err)?, path)?;
        fill(&mut |rows| {
            check_append(head, rows)?;
            insert_rows(&tx, path, rows)?;
            head += rows.len() as u64;
            Ok(())
        })?;
        // Dropping `tx` on any error above rolls every batch back.
        tx.commit().map_err(err)
    }
}

/// Inserts `rows` in the open transaction `tx`.
fn insert_rows(tx: &rusqlite::Transaction<'_>, path: &Path, rows: &[EventRow]) -> StoreResult<()> {
    let mut stmt = tx
        .prepare_cached(INSERT)
        .map_err(|e| fail("append to", path, e))?;
    for row in rows {
        let seq = i64::try_from(row.seq).map_err(|_| {
            StoreError::Backend(format!(
                "append to {}: sequence {} does not fit SQLite's INTEGER",
                path.display(),
                row.seq
            ))
        })?;
        stmt.execute(params![
            seq,
            row.recorded_at,
            row.actor,
            row.idempotency_key,
            row.payload_hash,
            row.body,
            row.prev_hash,
            row.hash,
        ])
        .map_err(|e| insert_error(path, row, e))?;
    }
    Ok(())
}

impl Store for SqliteStore {
    fn head(&mut self) -> StoreResult<u64> {
        let head = read_head(&self.conn).map_err(|e| fail("read head of", &self.path, e))?;
        to_seq(head, &self.path)
    }

    fn scan(
        &mut self,
        after: u64,
        visit: &mut dyn FnMut(EventRow) -> StoreResult<()>,
    ) -> StoreResult<()> {
        self.scan_lent(after, &mut |row| visit(row.to_row()))
    }

    fn scan_lent(
        &mut self,
        after: u64,
        visit: &mut dyn FnMut(LentRow<'_>) -> StoreResult<()>,
    ) -> StoreResult<()> {
        let err = |e| fail("scan", &self.path, e);
        // Past i64::MAX there is nothing to visit; clamping keeps the query valid.
        let after = sql_int(after);
        let mut stmt = self.conn.prepare_cached(SELECT_AFTER).map_err(err)?;
        // One statement = one read snapshot; rows are decoded one at a time (streaming), each
        // lent straight from SQLite's buffers.
        let mut rows = stmt.query([after]).map_err(err)?;
        while let Some(r) = rows.next().map_err(err)? {
            let text = |column: usize| -> StoreResult<&str> {
                r.get_ref(column)
                    .and_then(|value| value.as_str().map_err(Into::into))
                    .map_err(err)
            };
            let key = match r.get_ref(3).map_err(err)? {
                ValueRef::Null => None,
                value => Some(value.as_str().map_err(|e| err(e.into()))?),
            };
            let seq: i64 = r.get(0).map_err(err)?;
            visit(LentRow {
                seq: to_seq(seq, &self.path)?,
                recorded_at: text(1)?,
                actor: text(2)?,
                idempotency_key: key,
                payload_hash: text(4)?,
                body: text(5)?,
                prev_hash: text(6)?,
                hash: text(7)?,
            })?;
        }
        Ok(())
    }

    fn append(&mut self, rows: &[EventRow]) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let bulk = rows.len() >= BULK_APPEND_ROWS;
        self.in_write(bulk.then_some(BULK_CACHE_SIZE_KIB), &mut |sink| sink(rows))
    }

    /// One IMMEDIATE transaction over every batch: a killed import leaves uncommitted WAL
    /// frames that the next open ignores, or, into an empty book, a rollback journal that the
    /// next open plays back (see [`SqliteStore::journal_for_empty_book`]).
    fn append_all(&mut self, fill: &mut AppendAll<'_>) -> StoreResult<()> {
        let journaled = self.journal_for_empty_book();
        let cache_kib = if journaled {
            FILL_CACHE_SIZE_KIB
        } else {
            BULK_CACHE_SIZE_KIB
        };
        let appended = self.in_write(Some(cache_kib), fill);
        if journaled {
            back_to_wal(&self.conn, &self.path);
        }
        appended
    }

    /// Into the sidecar file, under its own write lock: never the book's (nor its gate), so an
    /// append does not wait for a snapshot's bytes.
    fn put_snapshot(&mut self, seq: u64, bytes: &[u8]) -> StoreResult<()> {
        let written = |e: std::io::Error| StoreError::Backend(format!("write a snapshot: {e}"));
        self.write_snapshot(seq, bytes.len() as u64, &mut |blob| {
            blob.write_all(bytes).map_err(written)
        })
    }

    /// From the sidecar file; none without one (a read never creates it). A `snapshots` table
    /// in the book's own file (older builds) is not read: see `sidecar.rs`.
    fn latest_snapshot(&mut self, at_most: u64) -> StoreResult<Option<(u64, Vec<u8>)>> {
        self.snapshots.latest(at_most)
    }

    /// As `put_snapshot`, the blob written in place as the caller encodes.
    fn write_snapshot(
        &mut self,
        seq: u64,
        length: u64,
        write: &mut WriteSnapshot<'_>,
    ) -> StoreResult<()> {
        if self.read_only {
            return Err(StoreError::Backend(format!(
                "write a snapshot to {}: the book is open read-only",
                self.path.display()
            )));
        }
        self.snapshots.write(seq, length, write)
    }

    fn read_snapshot(&mut self, at_most: u64, read: &mut ReadSnapshot<'_>) -> StoreResult<bool> {
        self.snapshots.read(at_most, read)
    }

    /// Only the pieces of the sidecar that the range overlaps, each read in place.
    fn read_snapshot_range(&mut self, range: SnapshotRange) -> StoreResult<Option<Vec<u8>>> {
        self.snapshots
            .read_range(range.seq, range.offset, range.length)
    }

    /// A read-only handle on the same file: it reads beside this one's writes (both the book
    /// and its sidecar are in WAL mode) and can never write what this one would not.
    fn reopener(&self) -> Option<Reopen> {
        let path = self.path.clone();
        Some(Arc::new(move || {
            let store = SqliteStore::open_read_only(&path)?;
            Ok(Box::new(store) as Box<dyn Store>)
        }))
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }
}

thread_local! {
    /// When the current statement first found the database locked (see [`busy_wait`]).
    static BUSY_SINCE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// SQLite's busy handler: called with `count` = 0, 1, 2, … while a statement finds the
/// database locked by another connection; returning `false` gives up with SQLITE_BUSY
/// ("database is locked").
///
/// Like SQLite's `busy_timeout`, but backing off only to 10 ms (not 100 ms) sleeps: a writer
/// that appends again right after committing wins nearly every round against long sleepers,
/// which can starve them past the timeout. The handler runs on the thread executing the
/// statement, so a thread-local clock measures the real time waited.
/// Runs `step` again while SQLite refuses it as busy without calling the busy handler, for as
/// long as the handler would wait. It does so where waiting could deadlock: a connection
/// switching to WAL while another handle writes through the rollback journal (an import
/// filling an empty book, a snapshot written alone) is refused at once. Found in CI by the
/// conformance test `two_handles_write_one_snapshot`.
fn waiting_out_deadlocks(mut step: impl FnMut() -> rusqlite::Result<()>) -> rusqlite::Result<()> {
    let started = Instant::now();
    loop {
        match step() {
            Err(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            done => return done,
        }
    }
}

fn busy_wait(count: i32) -> bool {
    const DELAYS_MS: [u64; 5] = [1, 2, 5, 10, 10];
    let now = Instant::now();
    let since = BUSY_SINCE.with(|s| {
        let since = match s.get() {
            Some(t) if count > 0 => t,
            _ => now,
        };
        s.set(Some(since));
        since
    });
    if now.duration_since(since) >= BUSY_TIMEOUT {
        return false;
    }
    let i = usize::try_from(count).unwrap_or(0).min(DELAYS_MS.len() - 1);
    std::thread::sleep(Duration::from_millis(DELAYS_MS[i]));
    true
}

/// Queues the appends of all handles of this process on one file, first come first served.
///
/// SQLite's write lock has no queue: waiters poll, and a thread that appends in a loop can
/// take the lock again before a polling waiter notices it was free. Within one process a FIFO
/// gate makes appends fair and wakes the next writer the moment the previous one commits;
/// SQLite's lock (and [`busy_wait`]) still arbitrates between processes.
#[derive(Default)]
struct WriteGate {
    tickets: Mutex<Tickets>,
}

#[derive(Default)]
struct Tickets {
    /// The ticket the next arrival draws.
    next: u64,
    /// The ticket allowed to append now.
    serving: u64,
    /// Parked waiters by ticket: only the next one is woken (no thundering herd).
    parked: HashMap<u64, Thread>,
}

struct GateGuard<'a>(&'a WriteGate);

impl WriteGate {
    /// The gate shared by every handle of this process on `path`.
    fn for_path(path: &Path) -> Arc<WriteGate> {
        static GATES: LazyLock<Mutex<HashMap<PathBuf, Weak<WriteGate>>>> =
            LazyLock::new(Mutex::default);
        // The same file under another name (relative path, symlink) must share the gate.
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let mut gates = GATES.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(gate) = gates.get(&key).and_then(Weak::upgrade) {
            return gate;
        }
        gates.retain(|_, g| g.strong_count() > 0);
        let gate = Arc::new(WriteGate::default());
        gates.insert(key, Arc::downgrade(&gate));
        gate
    }

    fn enter(&self) -> GateGuard<'_> {
        let mine = {
            let mut t = self.lock();
            let mine = t.next;
            t.next += 1;
            mine
        };
        loop {
            {
                let mut t = self.lock();
                if t.serving == mine {
                    t.parked.remove(&mine);
                    return GateGuard(self);
                }
                t.parked.insert(mine, std::thread::current());
            }
            // An unpark that came before this park makes it return at once: no lost wake-up.
            std::thread::park();
        }
    }

    fn lock(&self) -> MutexGuard<'_, Tickets> {
        // The counters stay consistent even if a holder panicked, so poisoning is harmless.
        self.tickets.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for GateGuard<'_> {
    fn drop(&mut self) {
        let mut t = self.0.lock();
        t.serving += 1;
        if let Some(next) = t.parked.get(&t.serving) {
            next.unpark();
        }
    }
}

/// Puts `conn`'s database in WAL mode. The mode is persistent; only switch once, since
/// switching needs an exclusive lock.
fn use_wal(conn: &Connection) -> rusqlite::Result<()> {
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
    if mode.eq_ignore_ascii_case("wal") {
        return Ok(());
    }
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some(format!("cannot switch to WAL journal mode (still {mode})")),
        ));
    }
    Ok(())
}

/// Switches `conn`'s database from WAL to a rollback journal, for one large transaction that
/// writes mostly new pages (filling an empty book, writing a snapshot): WAL writes each page
/// twice, to the -wal file and at the checkpoint; a rollback journal keeps only the pages that
/// existed before, so new ones are written once. Says whether it switched: leaving WAL needs
/// the only connection, so with another one open it does not, without waiting. The caller
/// switches back with [`use_wal`] after the transaction; if the process dies first, the next
/// open plays the journal back and switches to WAL itself.
fn rollback_journal_if_alone(conn: &Connection) -> bool {
    if conn.busy_handler(None).is_err() {
        return false;
    }
    let mode = conn.query_row("PRAGMA journal_mode=DELETE", [], |row| {
        row.get::<_, String>(0)
    });
    let waits_again = conn.busy_handler(Some(busy_wait)).is_ok();
    debug_assert!(waits_again, "a busy handler is always accepted");
    waits_again && matches!(mode, Ok(mode) if mode.eq_ignore_ascii_case("delete"))
}

/// Switches `conn`'s database back to WAL after [`rollback_journal_if_alone`]. A failure is
/// only said: the transaction before it stands, and the next open switches the file itself.
fn back_to_wal(conn: &Connection, path: &Path) {
    if let Err(error) = use_wal(conn) {
        tracing::warn!(path = %path.display(), %error, "could not switch back to WAL");
    }
}

/// Truncates `conn`'s -wal file to [`WAL_SIZE_LIMIT`] once checkpointed (per connection).
fn limit_wal_size(conn: &Connection) -> rusqlite::Result<()> {
    let _limit: i64 = conn.query_row(
        &format!("PRAGMA journal_size_limit={WAL_SIZE_LIMIT}"),
        [],
        |r| r.get(0),
    )?;
    Ok(())
}

fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |&(v, _)| v)
}

/// Reads `schema_version` from the meta table; 0 when there is no meta table yet.
fn read_version(conn: &Connection, path: &Path) -> StoreResult<u32> {
    read_meta_version(conn, "schema_version", path)
}

/// Reads the version kept under `key` in the meta table (the event log's `schema_version`, the
/// credentials' `credentials_version`); 0 when there is no meta table or no such key yet.
fn read_meta_version(conn: &Connection, key: &str, path: &Path) -> StoreResult<u32> {
    let err = |e| fail(&format!("read {key} of"), path, e);
    let has_meta: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta')",
            [],
            |r| r.get(0),
        )
        .map_err(err)?;
    if !has_meta {
        return Ok(0);
    }
    let value: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
        .map_err(err)?;
    match value {
        None => Ok(0),
        Some(v) => v.parse().map_err(|_| {
            StoreError::Backend(format!(
                "open {}: invalid {key} {v:?} in the meta table",
                path.display()
            ))
        }),
    }
}

fn read_head(conn: &Connection) -> rusqlite::Result<i64> {
    let head: Option<i64> = conn
        .prepare_cached(SELECT_HEAD)?
        .query_row([], |r| r.get(0))?;
    Ok(head.unwrap_or(0))
}

fn to_seq(v: i64, path: &Path) -> StoreResult<u64> {
    u64::try_from(v).map_err(|_| {
        StoreError::Backend(format!(
            "read {}: negative sequence number {v} in the events table",
            path.display()
        ))
    })
}

fn newer_schema(path: &Path, found: u32, latest: u32) -> StoreError {
    StoreError::Backend(format!(
        "open {}: book schema version {found} is newer than this build supports ({latest})",
        path.display()
    ))
}

/// "`what` `path`: `sqlite message`", e.g. "open /path/x.db: unable to open database file".
fn fail(what: &str, path: &Path, e: rusqlite::Error) -> StoreError {
    StoreError::Backend(format!("{what} {}: {e}", path.display()))
}

/// A unique violation means another writer (or an earlier row) took the sequence number or
/// the idempotency key: that is a `Conflict`, the rest are backend failures.
fn insert_error(path: &Path, row: &EventRow, e: rusqlite::Error) -> StoreError {
    let unique = matches!(
        &e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == ErrorCode::ConstraintViolation
                && (f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
    );
    if !unique {
        return fail("append to", path, e);
    }
    let msg = e.to_string();
    if msg.contains("idempotency_key") {
        StoreError::Conflict(format!(
            "idempotency key {} of sequence {} is already used ({msg})",
            show_key(row.idempotency_key.as_deref()),
            row.seq
        ))
    } else {
        StoreError::Conflict(format!("sequence {} is already taken ({msg})", row.seq))
    }
}

fn show_key(key: Option<&str>) -> String {
    const MAX: usize = 80;
    match key {
        None => "(none)".to_owned(),
        Some(k) => match k.char_indices().nth(MAX) {
            Some((i, _)) => format!("{:?}…", &k[..i]),
            None => format!("{k:?}"),
        },
    }
}
