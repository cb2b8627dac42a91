//! The read model: the state every read is answered from, replayed from the durable log.
//!
//! Why a second state beside the writer's `Book`: a `Book` holds its store as a
//! `Box<dyn Store>`, which is `Send` but not `Sync`, so a `Book` cannot be shared between
//! threads behind a read-write lock, and cloning its state after each batch would cost
//! O(book) per group commit. So the writer owns the `Book` alone (and renders write answers
//! from it), and readers share this state, which follows the store: a follower task applies
//! each committed batch beside the next one, and before a read the state catches up with
//! whatever this server acknowledged or other processes appended. Built only from committed
//! rows, it never shows a staged, not yet durable event; readers never wait for an fsync, and
//! writers never wait for the readers' copy. The price is a second copy of the state in memory.
//!
//! Freshness: a read sees every write acknowledged before it, by any process sharing the book
//! (a second server on the same PostgreSQL schema, the CLI on the same SQLite file). Before a
//! read the server asks the store for its head (a one-row `max(seq)` query) and scans only if
//! another process appended. Concurrent readers share one check: a reader waits for a check
//! that *started after it arrived* (one that started earlier may have missed a write
//! acknowledged just before the reader came), and a check covers every reader that arrived
//! before it started: under load, one query per round of readers, not one per request.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use fairshare_book::{decided_by, row_ctx};
use fairshare_core::{EventBody, State};
use fairshare_store::{EventRow, Store, StoreError};
use tokio::sync::RwLock;

use crate::error::ApiError;
use crate::offload::DropOffRuntime;

pub(crate) struct ReadModel {
    state: RwLock<State>,
    /// A connection of its own (never the writer's): head probes, catch-up scans, log pages.
    store: Mutex<DropOffRuntime<Box<dyn Store>>>,
    catch_up_reads: bool,
    /// The head of the log as this server's writer last committed it.
    committed: AtomicU64,
    /// The head of `state`, readable without its lock.
    applied: AtomicU64,
    /// Readers that asked so far (each gets a ticket).
    arrivals: AtomicU64,
    /// Held while a check runs; the last ticket the last finished check covers.
    covered: tokio::sync::Mutex<u64>,
    /// The committed head, for live event streams to wait on.
    head: tokio::sync::watch::Sender<u64>,
    /// The hash of the event at `state`'s head (empty until an event is applied), written
    /// under `state`'s write lock: a snapshot names the event it stands at.
    head_hash: Mutex<String>,
    /// The event of the snapshot the state was loaded from (0: none).
    loaded_snapshot: u64,
}

impl ReadModel {
    /// Replays the log from `store` (blocking), from its newest usable snapshot if any (the
    /// writer's book says on stderr which ones it passed over).
    pub fn open(mut store: Box<dyn Store>, catch_up_reads: bool) -> Result<ReadModel, ApiError> {
        let (snapshot, _said_by_the_writer) =
            fairshare_book::newest_snapshot_state(store.as_mut())?;
        let loaded_snapshot = snapshot.as_ref().map_or(0, State::head);
        let model = ReadModel {
            state: RwLock::new(snapshot.unwrap_or_default()),
            store: Mutex::new(DropOffRuntime::new(store)),
            catch_up_reads,
            committed: AtomicU64::new(0),
            applied: AtomicU64::new(0),
            arrivals: AtomicU64::new(0),
            covered: tokio::sync::Mutex::new(0),
            head: tokio::sync::watch::Sender::new(0),
            head_hash: Mutex::new(String::new()),
            loaded_snapshot,
        };
        model.sync()?;
        Ok(model)
    }

    pub fn state(&self) -> &RwLock<State> {
        &self.state
    }

    /// The writer committed the log up to `head` (called before it answers).
    pub fn committed(&self, head: u64) {
        self.committed.fetch_max(head, Ordering::SeqCst);
        self.head.send_if_modified(|known| {
            let newer = head > *known;
            *known = (*known).max(head);
            newer
        });
    }

    /// Wakes when this server's writer commits past what it has seen.
    pub fn watch_head(&self) -> tokio::sync::watch::Receiver<u64> {
        self.head.subscribe()
    }

    /// Runs `f` on the reader connection (blocking).
    pub fn with_store<T>(
        &self,
        f: impl FnOnce(&mut dyn Store) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut store = self
            .store
            .lock()
            .map_err(|_| ApiError::Internal("reader store lock poisoned".into()))?;
        f(store.as_mut())
    }

    /// Applies every event the store has beyond the state's head (blocking: call it from a
    /// blocking thread).
    pub fn sync(&self) -> Result<(), ApiError> {
        self.with_store(|store| {
            let stored = store.head()?;
            if stored <= self.state.blocking_read().head() {
                return Ok(());
            }
            let mut state = self.state.blocking_write();
            let mut head_hash = self.head_hash.lock().map_err(|_| poisoned())?;
            if let Err(error) = apply_after(&mut state, &mut head_hash, store) {
                // A row that does not apply may have left the state half-changed: start over,
                // so that at worst reads fail, never show a wrong state.
                tracing::error!(%error, "the read model failed to apply the log; replaying it");
                *state = State::new();
                head_hash.clear();
                self.applied.store(0, Ordering::SeqCst);
                apply_after(&mut state, &mut head_hash, store)?;
            }
            self.applied.store(state.head(), Ordering::SeqCst);
            Ok(())
        })
    }

    /// Returns once the state holds every event appended before this call (see the module
    /// comment), sharing the check with concurrent readers.
    pub async fn ensure_fresh(self: &std::sync::Arc<Self>) -> Result<(), ApiError> {
        if !self.catch_up_reads
            && self.applied.load(Ordering::SeqCst) >= self.committed.load(Ordering::SeqCst)
        {
            // Only this server writes: the read model already holds every write it answered.
            return Ok(());
        }
        let ticket = self.arrivals.fetch_add(1, Ordering::SeqCst) + 1;
        let mut covered = self.covered.lock().await;
        if *covered >= ticket {
            // A check that started after we arrived has finished meanwhile.
            return Ok(());
        }
        // Everyone who arrived until now is covered by the check that starts now.
        let upto = self.arrivals.load(Ordering::SeqCst);
        let model = self.clone();
        tokio::task::spawn_blocking(move || model.sync()).await??;
        *covered = upto;
        Ok(())
    }
}

fn poisoned() -> ApiError {
    ApiError::Internal("the read model's head hash lock is poisoned".into())
}

/// The server's automatic snapshots (issue 17), written from the read model's state by its
/// follower, beside the writer: the writer's book writes none, so that encoding a large state
/// never holds up a write (nor, on SQLite, writing its bytes: they go to a file of their own,
/// `fairshare_sqlite::snapshots_path`). Readers that must catch up wait for the encoding (it holds the
/// state's read lock); readers of a state already fresh do not.
pub(crate) struct SnapshotWriter {
    /// A connection of its own that may write (the read model's is read-only).
    store: DropOffRuntime<Box<dyn Store>>,
    /// Events between snapshots (`ServerConfig::snapshot_every`; none: never).
    every: Option<u64>,
    /// The event of the newest snapshot loaded or written.
    last: u64,
}

impl SnapshotWriter {
    pub fn new(store: Box<dyn Store>, model: &ReadModel, every: Option<u64>) -> SnapshotWriter {
        SnapshotWriter {
            store: DropOffRuntime::new(store),
            every: every.filter(|events| *events > 0),
            last: model.loaded_snapshot,
        }
    }

    /// Writes a snapshot of `model`'s state when enough events have passed since the last
    /// one (blocking). A snapshot is a cache: a failure is logged and changes nothing else.
    pub fn write_if_due(&mut self, model: &ReadModel) {
        let Some(every) = self.every else {
            return;
        };
        if model
            .applied
            .load(Ordering::SeqCst)
            .saturating_sub(self.last)
            < every
        {
            return;
        }
        let encoded = {
            let state = model.state.blocking_read();
            let head_hash = model.head_hash.lock().map(|hash| hash.clone());
            match head_hash {
                Ok(hash) if !hash.is_empty() => Some((state.head(), state.encode_snapshot(&hash))),
                _ => None,
            }
        };
        let Some((seq, bytes)) = encoded else {
            return;
        };
        match self.store.put_snapshot(seq, &bytes) {
            Ok(()) => tracing::info!(seq, bytes = bytes.len(), "snapshot written"),
            Err(error) => tracing::warn!(%error, seq, "no snapshot written"),
        }
        // Not again at every batch after a failure: after another interval.
        self.last = seq;
    }
}

/// Applies the rows after the state's head, trusting their recorded outcomes (as a replay
/// does; `verify` is the distrustful path); `head_hash` follows the last one applied.
fn apply_after(
    state: &mut State,
    head_hash: &mut String,
    store: &mut dyn Store,
) -> Result<(), ApiError> {
    let mut failure = None;
    let scanned = store.scan(state.head(), &mut |row| {
        apply_row(state, &row)
            .map(|()| {
                head_hash.clear();
                head_hash.push_str(&row.hash);
            })
            .map_err(|error| {
                failure = Some(error);
                StoreError::Backend("stopped at an event that does not apply".into())
            })
    });
    match failure {
        Some(error) => Err(error),
        None => scanned.map_err(ApiError::from),
    }
}

fn apply_row(state: &mut State, row: &EventRow) -> Result<(), ApiError> {
    let corrupt = |message: String| ApiError::Internal(format!("event {}: {message}", row.seq));
    let body = EventBody::from_json(&row.body).map_err(corrupt)?;
    let ctx = decided_by(row_ctx(row)?, &body);
    state
        .apply_owned(&ctx, &body.command, body.outcome)
        .map_err(|e| corrupt(e.to_string()))
}
