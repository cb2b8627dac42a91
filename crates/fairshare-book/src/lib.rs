//! A fairshare book: the core's [`State`] kept in step with an append-only [`Store`].
//!
//! Opening a book replays its log. [`Book::execute`] catches up with events other processes
//! wrote, honours idempotency keys, lets the core decide, chains the event's hash to the last
//! one, appends it (retrying when another writer got there first) and only then applies it, so
//! a refused or failed command changes nothing and an acknowledged one is durable.

mod memory;
mod transfer;
mod verify;

use fairshare_core::{
    Command, Ctx, Date, DomainError, EventBody, GENESIS_HASH, Outcome, State, chain_hash,
    payload_hash,
};
use fairshare_store::{EventRow, Store, StoreError};
use thiserror::Error;

pub use memory::MemoryStore;
pub use transfer::{IMPORT_BATCH_ROWS, ImportProgress, export_csv, export_jsonl, import_jsonl};
pub use verify::{VerifyReport, verify};

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
    pub outcome: Outcome,
    /// True when the idempotency key had been used with the same payload: nothing new was
    /// recorded and this is the first result again.
    pub replayed: bool,
}

pub struct Book {
    store: Box<dyn Store>,
    state: State,
    last_hash: String,
}

impl Book {
    /// Opens a book and replays its log into memory.
    pub fn open(store: Box<dyn Store>) -> BookResult<Book> {
        let mut book = Book {
            store,
            state: State::new(),
            last_hash: GENESIS_HASH.to_string(),
        };
        book.catch_up()?;
        Ok(book)
    }

    pub fn state(&self) -> &State {
        &self.state
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
        let mut failure: Option<BookError> = None;
        self.store
            .scan(state.head(), &mut |row| {
                if let Err(error) = apply_row(state, &row) {
                    failure = Some(error);
                    return Err(StoreError::Backend("stopped at a corrupt event".into()));
                }
                *last_hash = row.hash;
                Ok(())
            })
            .map_err(|error| match failure.take() {
                Some(corrupt) => corrupt,
                None => BookError::Store(error),
            })?;
        Ok(())
    }

    /// Runs a command for `actor` at `recorded_at` (RFC 3339, from the caller's clock).
    pub fn execute(
        &mut self,
        actor: &str,
        command: &Command,
        key: Option<&str>,
        recorded_at: &str,
    ) -> BookResult<Executed> {
        let date = Date::parse(recorded_at)?;
        let payload = payload_hash(actor, command);
        if let Some(key) = key {
            check_key(key)?;
        }
        for _ in 0..APPEND_RETRIES_MAX {
            self.catch_up()?;
            if let Some(key) = key
                && let Some(record) = self.state.key_record(key)
            {
                if record.payload_hash == payload {
                    return Ok(Executed {
                        seq: record.seq,
                        outcome: record.outcome.clone(),
                        replayed: true,
                    });
                }
                return Err(DomainError::conflict(format!(
                    "idempotency key {key:?} was already used for a different request (event {}); use a new key",
                    record.seq
                ))
                .into());
            }
            let ctx = Ctx {
                seq: self.state.head() + 1,
                actor: actor.to_string(),
                date,
                key: key.map(str::to_string),
                payload_hash: payload.clone(),
            };
            let outcome = self.state.decide(&ctx, command)?;
            let body = EventBody {
                command: command.clone(),
                outcome,
            }
            .to_json();
            let row = seal_row(
                ctx.seq,
                recorded_at,
                actor,
                key,
                &payload,
                body,
                &self.last_hash,
            );
            match self.store.append(std::slice::from_ref(&row)) {
                Ok(()) => {}
                // Another writer appended first: catch up and decide again on the new state.
                Err(StoreError::Conflict(_)) | Err(StoreError::Gap { .. }) => continue,
                Err(error) => return Err(error.into()),
            }
            let body = EventBody::from_json(&row.body).map_err(|e| BookError::Corrupt {
                seq: row.seq,
                message: e,
            })?;
            self.state.apply(&ctx, &body.command, &body.outcome)?;
            self.last_hash = row.hash;
            return Ok(Executed {
                seq: ctx.seq,
                outcome: body.outcome,
                replayed: false,
            });
        }
        Err(StoreError::Conflict(format!(
            "gave up after {APPEND_RETRIES_MAX} attempts: other writers kept appending first"
        ))
        .into())
    }
}

/// Longest idempotency key.
pub const KEY_LEN_MAX: usize = 200;

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

/// The context a stored row was decided in.
pub fn row_ctx(row: &EventRow) -> BookResult<Ctx> {
    let date = Date::parse(&row.recorded_at).map_err(|e| BookError::Corrupt {
        seq: row.seq,
        message: format!("bad time {:?}: {e}", row.recorded_at),
    })?;
    Ok(Ctx {
        seq: row.seq,
        actor: row.actor.clone(),
        date,
        key: row.idempotency_key.clone(),
        payload_hash: row.payload_hash.clone(),
    })
}

/// Applies a stored row's recorded outcome (replay trusts the log; `verify` does not).
fn apply_row(state: &mut State, row: &EventRow) -> BookResult<()> {
    let body = EventBody::from_json(&row.body).map_err(|e| BookError::Corrupt {
        seq: row.seq,
        message: e,
    })?;
    let ctx = row_ctx(row)?;
    state
        .apply(&ctx, &body.command, &body.outcome)
        .map_err(|e| BookError::Corrupt {
            seq: row.seq,
            message: e.to_string(),
        })
}
