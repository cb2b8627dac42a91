//! A fairshare book: the core's [`State`] kept in step with an append-only [`Store`].
//!
//! Opening a book replays its log. [`Book::execute_batch`] (and [`Book::execute`], a batch of
//! one) catches up with events other processes wrote, honours idempotency keys, lets the core
//! decide each request against the state the earlier ones left, chains each event's hash to
//! the last one and appends the batch in one store transaction. Outcomes are applied in memory
//! as they are decided; if the append fails the state is rebuilt from the store (and the batch
//! decided again when another writer got there first). So a refused command changes nothing,
//! and nothing is acknowledged before it is durable.

mod compare;
mod corrections;
mod memory;
mod pipeline;
mod snapshots;
mod transfer;
mod verify;

use fairshare_core::{
    Command, Ctx, DomainError, EventBody, GENESIS_HASH, OPERATOR, Outcome, State, Timestamp,
    chain_hash, payload_hash,
};
use fairshare_store::{EventRow, LentRow, Store, StoreError};
use thiserror::Error;

pub use compare::{ComparedAmounts, ComparedRevenue, Plans, compare_plans};
pub use corrections::{CorrectedDistribution, corrections_report};
pub use memory::MemoryStore;
use pipeline::{Batches, pipelined};
pub use snapshots::{
    IgnoredSnapshot, SNAPSHOT_EVERY_EVENTS, newest_snapshot_state, snapshot_every_default,
};
pub use transfer::{
    IMPORT_BATCH_ROWS, ImportProgress, csv_field, export_csv, export_jsonl, import_jsonl,
};
pub use verify::{PublishedHead, VerifyReport, check_published, verify};

/// How many times an append is retried after another writer took the next sequence number.
const APPEND_RETRIES_MAX: usize = 64;

#[derive(Debug, Error)]
pub enum BookError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored log does not replay: a damaged or forged event.
    #[error("event {seq}: {message}")]
    Corrupt { seq: u64, message: String },
    #[error("{0}")]
    Input(String),
}

pub type BookResult<T> = Result<T, BookError>;

/// What `execute` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executed {
    pub seq: u64,
    /// Who acted. A retry with the same idempotency key acts as the same agent (the key's
    /// payload covers the actor), so this is also the first request's actor.
    pub actor: String,
    pub outcome: Outcome,
    /// True when the idempotency key had been used with the same payload: nothing new was
    /// recorded and this is the first result again.
    pub replayed: bool,
}

pub struct Book {
    store: Box<dyn Store>,
    state: State,
    last_hash: String,
    /// Events between automatic snapshots (none: never).
    snapshot_every: Option<u64>,
    /// The event of the newest snapshot this book loaded or wrote (0: none).
    snapshot_seq: u64,
    /// The snapshots passed over since the book was opened, and why.
    ignored_snapshots: Vec<IgnoredSnapshot>,
    /// Whether dropping the book frees its state ([`Book::exit_without_freeing`]).
    free_state_on_drop: bool,
}

impl Drop for Book {
    fn drop(&mut self) {
        if !self.free_state_on_drop {
            std::mem::forget(std::mem::replace(&mut self.state, State::new()));
        }
    }
}

/// What [`Book::snapshot`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshotted {
    /// The event the snapshot stands at.
    pub seq: u64,
    pub bytes: u64,
}

impl Book {
    /// Opens a book: loads its newest usable snapshot, if any (see `snapshots.rs`), and
    /// replays the events after it into memory.
    pub fn open(store: Box<dyn Store>) -> BookResult<Book> {
        let mut book = Book::empty(store);
        book.load_snapshot()?;
        book.replay()?;
        Ok(book)
    }

    /// Opens a book by replaying its whole log, as if it had no snapshot.
    pub fn open_without_snapshots(store: Box<dyn Store>) -> BookResult<Book> {
        let mut book = Book::empty(store);
        book.replay()?;
        Ok(book)
    }

    /// The book before anything is read.
    fn empty(store: Box<dyn Store>) -> Book {
        Book {
            store,
            state: State::new(),
            last_hash: GENESIS_HASH.to_string(),
            snapshot_every: snapshot_every_default(),
            snapshot_seq: 0,
            ignored_snapshots: Vec::new(),
            free_state_on_drop: true,
        }
    }

    /// Says that the process ends once this book is dropped: its state is then left to the
    /// operating system, which takes it back at once, rather than freed an allocation at a
    /// time (a fifth of the time a one-shot command spends on a 100,000-agent book). The
    /// store is still closed as usual.
    pub fn exit_without_freeing(&mut self) {
        self.free_state_on_drop = false;
    }

    /// Starts from the newest usable snapshot at or below the log's head; each one passed
    /// over is said on stderr, once.
    fn load_snapshot(&mut self) -> BookResult<()> {
        let head = self.store.head()?;
        let mut ignored = Vec::new();
        let loaded = snapshots::newest_usable(self.store.as_mut(), head, &mut ignored)?;
        for passed in ignored {
            if !self.ignored_snapshots.contains(&passed) {
                eprintln!("fairshare: book {}: {passed}", self.store.location());
                self.ignored_snapshots.push(passed);
            }
        }
        if let Some(loaded) = loaded {
            self.snapshot_seq = loaded.state.head();
            self.state = loaded.state;
            self.last_hash = loaded.head_hash;
        }
        Ok(())
    }

    /// Sets how many events pass between automatic snapshots (none: never).
    pub fn set_snapshot_every(&mut self, events: Option<u64>) {
        self.snapshot_every = events.filter(|every| *every > 0);
    }

    /// The snapshots passed over since the book was opened, and why.
    pub fn ignored_snapshots(&self) -> &[IgnoredSnapshot] {
        &self.ignored_snapshots
    }

    /// The event of the snapshot the book started from, or last wrote (0: none).
    pub fn snapshot_seq(&self) -> u64 {
        self.snapshot_seq
    }

    /// Writes a snapshot of the state as it stands now (after catching up with other
    /// writers) into the store.
    pub fn snapshot(&mut self) -> BookResult<Snapshotted> {
        self.catch_up()?;
        let seq = self.state.head();
        let length = write_snapshot(self.store.as_mut(), &self.state, &self.last_hash)?;
        self.snapshot_seq = seq;
        Ok(Snapshotted { seq, bytes: length })
    }

    /// Writes a snapshot when enough events have passed since the last one. A snapshot is a
    /// cache: failing to write one is said on stderr and changes nothing else.
    fn snapshot_if_due(&mut self) {
        let Some(every) = self.snapshot_every else {
            return;
        };
        if self.state.head().saturating_sub(self.snapshot_seq) < every {
            return;
        }
        if let Err(error) = self.snapshot() {
            eprintln!(
                "fairshare: book {}: no snapshot written at event {}: {error}",
                self.store.location(),
                self.state.head()
            );
            // Not again at every write: after another interval.
            self.snapshot_seq = self.state.head();
        }
    }

    /// Replays the whole log into a new state, pipelined as [`Book::open`] does, calling
    /// `before` with the state before each event: the past as it stood at any event, read
    /// in one pass (`plan compare`). Records nothing.
    pub fn replay_watched(store: &mut dyn Store, before: &mut Watcher) -> BookResult<State> {
        let mut state = State::new();
        state.reserve(usize::try_from(store.head()?).unwrap_or(0));
        let state_slot = &mut state;
        pipelined(
            REPLAY_BATCHES,
            |feed| scan_lent_rows(store, 0, &mut |row| feed.push(parse_row(row)?)),
            |batch| {
                for parsed in batch.drain(..) {
                    apply_parsed_watched(state_slot, parsed, before)?;
                }
                Ok(())
            },
        )?;
        Ok(state)
    }

    /// The initial replay, pipelined: one thread reads and parses rows while this one applies
    /// them, so a long log opens in about the time of the slower half. (Later catch-ups are
    /// short and stay on one thread.)
    fn replay(&mut self) -> BookResult<()> {
        let after = self.state.head();
        let pending = self.store.head()?.saturating_sub(after);
        self.state.reserve(usize::try_from(pending).unwrap_or(0));
        let store = &mut self.store;
        let state = &mut self.state;
        // The hash of the last row read: when the replay succeeds, every row read was applied.
        let mut read_hash = String::new();
        let read_hash_slot = &mut read_hash;
        pipelined(
            REPLAY_BATCHES,
            |feed| {
                // Lent rows: each body is parsed straight from the store's buffer.
                scan_lent_rows(store.as_mut(), after, &mut |row| {
                    read_hash_slot.clear();
                    read_hash_slot.push_str(row.hash);
                    feed.push(parse_row(row)?)
                })
            },
            |batch| {
                for parsed in batch.drain(..) {
                    apply_parsed(state, parsed)?;
                }
                Ok(())
            },
        )?;
        if !read_hash.is_empty() {
            self.last_hash = read_hash;
        }
        Ok(())
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// The state, the book given up (an export that needs no more writes keeps only this).
    pub fn into_state(mut self) -> State {
        std::mem::replace(&mut self.state, State::new())
    }

    pub fn store_mut(&mut self) -> &mut dyn Store {
        self.store.as_mut()
    }

    pub fn location(&self) -> String {
        self.store.location()
    }

    /// Hash of the last event (the genesis hash for an empty book).
    pub fn last_hash(&self) -> &str {
        &self.last_hash
    }

    /// Applies events other writers appended since we last looked.
    pub fn catch_up(&mut self) -> BookResult<()> {
        let state = &mut self.state;
        let last_hash = &mut self.last_hash;
        scan_lent_rows(self.store.as_mut(), state.head(), &mut |row| {
            apply_parsed(state, parse_row(row)?)?;
            last_hash.clear();
            last_hash.push_str(row.hash);
            Ok(())
        })
    }

    /// Runs a command for `actor` at `recorded_at` (RFC 3339, from the caller's clock): a
    /// batch of one (see [`Book::execute_batch`]).
    pub fn execute(
        &mut self,
        actor: &str,
        command: &Command,
        key: Option<&str>,
        recorded_at: &str,
    ) -> BookResult<Executed> {
        let request = Request {
            actor: actor.to_string(),
            command: command.clone(),
            key: key.map(str::to_string),
            recorded_at: recorded_at.to_string(),
        };
        self.execute_batch(std::slice::from_ref(&request))
            .pop()
            .expect("a batch answers every request")
    }

    /// Group commit: decides the requests in order, each seeing the effects of those before
    /// it, and appends all their events in ONE store transaction (one fsync for the batch).
    /// Results come back in request order; a refused request is refused alone. Nothing is
    /// acknowledged before the append is durable. If the append fails, the in-memory state is
    /// rebuilt from the store (it had run ahead of it) and the batch is decided again when
    /// another writer got there first, or fails as a whole on a storage error.
    pub fn execute_batch(&mut self, requests: &[Request]) -> Vec<BookResult<Executed>> {
        for _ in 0..APPEND_RETRIES_MAX {
            if let Err(error) = self.catch_up() {
                return fail_all(requests, || BookError::Input(error.to_string()));
            }
            let mut results = Vec::with_capacity(requests.len());
            let mut rows = Vec::new();
            let mut broken = None;
            for request in requests {
                if let Err(error) = self.stage_due(request, &mut rows) {
                    broken = Some(error);
                    break;
                }
                match self.stage(request) {
                    Ok((executed, row)) => {
                        rows.extend(row);
                        results.push(Ok(executed));
                    }
                    Err(Staged::Refused(error)) => results.push(Err(error)),
                    Err(Staged::Broken(error)) => {
                        broken = Some(error);
                        break;
                    }
                }
            }
            let outcome = match broken {
                Some(error) => Err(error),
                None if rows.is_empty() => return results,
                None => self.store.append(&rows).map_err(BookError::from),
            };
            match outcome {
                Ok(()) => {
                    self.snapshot_if_due();
                    return results;
                }
                Err(BookError::Store(StoreError::Conflict(_) | StoreError::Gap { .. })) => {
                    if let Err(error) = self.reload() {
                        return fail_all(requests, || BookError::Input(error.to_string()));
                    }
                }
                Err(error) => {
                    let message = match self.reload() {
                        Ok(()) => error.to_string(),
                        Err(reload) => format!("{error}; reload: {reload}"),
                    };
                    return fail_all(requests, || {
                        BookError::Store(StoreError::Backend(message.clone()))
                    });
                }
            }
        }
        fail_all(requests, || {
            StoreError::Conflict(format!(
                "gave up after {APPEND_RETRIES_MAX} attempts: other writers kept appending first"
            ))
            .into()
        })
    }

    /// Decides one request of a batch and applies it to the in-memory state ahead of the
    /// append. Returns the row to append (none for an idempotent replay).
    fn stage(&mut self, request: &Request) -> Result<(Executed, Option<EventRow>), Staged> {
        let refused = |error: BookError| Staged::Refused(error);
        let recorded = Ctx::recorded(self.state.head() + 1, &request.actor, &request.recorded_at)
            .map_err(|e| refused(e.into()))?;
        let payload = payload_hash(&request.actor, &request.command);
        if let Some(key) = &request.key {
            check_key(key).map_err(refused)?;
            if let Some(record) = self.state.key_record(key) {
                if record.payload_hash == payload {
                    let executed = Executed {
                        seq: record.seq,
                        actor: request.actor.clone(),
                        outcome: self.state.key_outcome(record),
                        replayed: true,
                    };
                    return Ok((executed, None));
                }
                return Err(refused(
                    DomainError::conflict(format!(
                        "idempotency key {key:?} was already used for a different request (event {}); use a new key",
                        record.seq
                    ))
                    .into(),
                ));
            }
        }
        let ctx = Ctx {
            key: request.key.clone(),
            payload_hash: payload.clone(),
            ..recorded
        };
        let outcome = self
            .state
            .decide(&ctx, &request.command)
            .map_err(|e| refused(e.into()))?;
        let body = EventBody {
            command: request.command.clone(),
            outcome: outcome.clone(),
            rules: ctx.rules,
        }
        .to_json();
        let row = seal_row(
            ctx.seq,
            &request.recorded_at,
            &request.actor,
            request.key.as_deref(),
            &payload,
            body,
            &self.last_hash,
        );
        // A decided outcome always applies; if it did not, the state may be half-changed.
        self.state
            .apply(&ctx, &request.command, &outcome)
            .map_err(|e| Staged::Broken(e.into()))?;
        self.last_hash = row.hash.clone();
        Ok((
            Executed {
                seq: ctx.seq,
                actor: ctx.actor,
                outcome,
                replayed: false,
            },
            Some(row),
        ))
    }

    /// Stages an `EnactProposal` (by the operator, at `recorded_at`) for every passed proposal
    /// whose notice has ended by then, so that no write is decided against rules that should
    /// already have changed. A proposal whose changes no longer apply is recorded as failed,
    /// so each is staged once.
    /// A request that enacts a due proposal itself does so (and answers for it).
    fn stage_due(&mut self, before: &Request, rows: &mut Vec<EventRow>) -> BookResult<()> {
        let recorded_at = before.recorded_at.as_str();
        let Ok(at) = Timestamp::parse(recorded_at) else {
            return Ok(()); // the request itself is refused for its time
        };
        for proposal in self.state.due_proposals(at) {
            if matches!(&before.command, Command::EnactProposal { proposal: own } if *own == proposal)
            {
                continue;
            }
            let request = Request {
                actor: OPERATOR.to_string(),
                command: Command::EnactProposal { proposal },
                key: None,
                recorded_at: recorded_at.to_string(),
            };
            match self.stage(&request) {
                Ok((_, row)) => rows.extend(row),
                Err(Staged::Refused(_)) => {}
                Err(Staged::Broken(error)) => return Err(error),
            }
        }
        Ok(())
    }

    /// Rebuilds the in-memory state from the store (from its newest usable snapshot).
    fn reload(&mut self) -> BookResult<()> {
        self.state = State::new();
        self.last_hash = GENESIS_HASH.to_string();
        self.load_snapshot()?;
        self.catch_up()
    }
}

/// One request of a batch (see [`Book::execute_batch`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub actor: String,
    pub command: Command,
    pub key: Option<String>,
    /// RFC 3339 time from the caller's clock.
    pub recorded_at: String,
}

enum Staged {
    /// The request is refused; nothing changed.
    Refused(BookError),
    /// Applying a decided outcome failed: the in-memory state must be rebuilt.
    Broken(BookError),
}

/// Longest idempotency key.
pub const KEY_LEN_MAX: usize = 200;

/// The same failure for every request of a batch that could not be written.
fn fail_all(requests: &[Request], error: impl Fn() -> BookError) -> Vec<BookResult<Executed>> {
    requests.iter().map(|_| Err(error())).collect()
}

fn check_key(key: &str) -> BookResult<()> {
    if key.is_empty() || key.len() > KEY_LEN_MAX || key.chars().any(char::is_control) {
        return Err(DomainError::invalid(format!(
            "invalid idempotency key {key:?}: use 1 to {KEY_LEN_MAX} printable characters"
        ))
        .into());
    }
    Ok(())
}

/// Builds a row with its chain hash.
pub fn seal_row(
    seq: u64,
    recorded_at: &str,
    actor: &str,
    key: Option<&str>,
    payload_hash: &str,
    body: String,
    prev_hash: &str,
) -> EventRow {
    let hash = chain_hash(seq, recorded_at, actor, key, payload_hash, &body, prev_hash);
    EventRow {
        seq,
        recorded_at: recorded_at.to_string(),
        actor: actor.to_string(),
        idempotency_key: key.map(str::to_string),
        payload_hash: payload_hash.to_string(),
        body,
        prev_hash: prev_hash.to_string(),
        hash,
    }
}

/// The context a stored row was decided in, without its rules (they are in its body: see
/// [`decided_by`]).
pub fn row_ctx(row: &EventRow) -> BookResult<Ctx> {
    lent_ctx(row.lend())
}

fn lent_ctx(row: LentRow<'_>) -> BookResult<Ctx> {
    logged_ctx(
        row.seq,
        row.recorded_at,
        row.actor,
        row.idempotency_key,
        row.payload_hash,
    )
}

/// A logged event's context with the rules its body records.
pub fn decided_by(ctx: Ctx, body: &EventBody) -> Ctx {
    Ctx {
        rules: body.rules,
        ..ctx
    }
}

/// The context an event was decided in, from its logged fields.
fn logged_ctx(
    seq: u64,
    recorded_at: &str,
    actor: &str,
    key: Option<&str>,
    payload_hash: &str,
) -> BookResult<Ctx> {
    let ctx = Ctx::recorded(seq, actor, recorded_at).map_err(|e| BookError::Corrupt {
        seq,
        message: format!("bad time {recorded_at:?}: {e}"),
    })?;
    Ok(Ctx {
        key: key.map(str::to_string),
        payload_hash: payload_hash.to_string(),
        // Until its body is read: then `EventBody::rules` (see `decided_by`).
        rules: fairshare_core::RULES_UNMARKED,
        ..ctx
    })
}

/// Visits the rows after `after`, lent ([`Store::scan_lent`]), stopping at the first error
/// `visit` returns, which is the one reported (a store error otherwise).
fn scan_lent_rows(
    store: &mut dyn Store,
    after: u64,
    visit: &mut dyn FnMut(LentRow<'_>) -> BookResult<()>,
) -> BookResult<()> {
    let mut failure = None;
    store
        .scan_lent(after, &mut |row| {
            visit(row).map_err(|error| {
                failure = Some(error);
                StoreError::Backend("stopped".into())
            })
        })
        .map_err(|error| failure.take().unwrap_or(BookError::Store(error)))
}

/// Rows handed from the replay reader to the applier: 1,024 per batch, eight batches ahead at
/// most (bounds the replay's extra memory).
const REPLAY_BATCHES: Batches = Batches {
    rows: 1_024,
    in_flight: 8,
};

/// A stored row, ready to apply.
struct ParsedRow {
    ctx: Ctx,
    body: RowBody,
}

/// A row's body: parsed by the reader, or, when long, left for the applying thread to parse.
// Nearly every row is `Parsed`: boxing it would cost an allocation per event.
#[allow(clippy::large_enum_variant)]
enum RowBody {
    Parsed(EventBody),
    Deferred(String),
}

/// Bodies longer than this (a revenue split over thousands of agents) are parsed by the
/// applying thread, which otherwise waits on the reader: it balances the replay's two threads
/// at the cost of one copy of a few long bodies.
const DEFERRED_BODY_BYTES_MIN: usize = 16 << 10;

fn parse_body(seq: u64, text: &str) -> BookResult<EventBody> {
    EventBody::from_json(text).map_err(|message| BookError::Corrupt { seq, message })
}

fn parse_row(row: LentRow<'_>) -> BookResult<ParsedRow> {
    let body = if row.body.len() >= DEFERRED_BODY_BYTES_MIN {
        RowBody::Deferred(row.body.to_string())
    } else {
        RowBody::Parsed(parse_body(row.seq, row.body)?)
    };
    // Only an idempotency key's record keeps the payload hash: spare a copy per other event.
    let payload_hash = row.idempotency_key.map_or("", |_| row.payload_hash);
    let ctx = logged_ctx(
        row.seq,
        row.recorded_at,
        row.actor,
        row.idempotency_key,
        payload_hash,
    )?;
    Ok(ParsedRow { ctx, body })
}

/// Applies a stored row's recorded outcome (replay trusts the log; `verify` does not).
fn apply_parsed(state: &mut State, parsed: ParsedRow) -> BookResult<()> {
    apply_parsed_watched(state, parsed, &mut |_, _, _| Ok(()))
}

/// What a watched replay calls before each event: the state before it, its context and body.
pub type Watcher<'a> = dyn FnMut(&State, &Ctx, &EventBody) -> BookResult<()> + 'a;

/// [`apply_parsed`], calling `before` with the state before the event first.
fn apply_parsed_watched(
    state: &mut State,
    parsed: ParsedRow,
    before: &mut Watcher,
) -> BookResult<()> {
    let seq = parsed.ctx.seq;
    let body = match parsed.body {
        RowBody::Parsed(body) => body,
        RowBody::Deferred(text) => parse_body(seq, &text)?,
    };
    let ctx = decided_by(parsed.ctx, &body);
    before(state, &ctx, &body)?;
    state
        .apply_owned(&ctx, &body.command, body.outcome)
        .map_err(|error| BookError::Corrupt {
            seq,
            message: error.to_string(),
        })
}

/// Writes the snapshot of `state` (whose last event has `hash`) into `store`, encoded as the
/// store takes it in: no copy of the whole snapshot is held. Returns its length in bytes.
///
/// The parts an open left in the store are read first, not while the store writes: a SQLite
/// sidecar written through a rollback journal locks its readers out once its pages spill.
pub(crate) fn write_snapshot(store: &mut dyn Store, state: &State, hash: &str) -> BookResult<u64> {
    state.fetch_parts_in_store();
    let length = state.snapshot_len();
    store.write_snapshot(state.head(), length, &mut |out| {
        state
            .write_snapshot(hash, length, out)
            .map_err(|error| StoreError::Backend(format!("write a snapshot: {error}")))
    })?;
    Ok(length)
}
