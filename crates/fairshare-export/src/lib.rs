//! Exports of a fairshare book to other tools, and timesheet imports into it.
//!
//! Exports read a [`State`](fairshare_core::State) and an [`EventIndex`] (the sequence number,
//! time, idempotency key and hash of every event, read once from the store):
//!
//! - [`write_beancount`], [`write_hledger`], [`write_ledger`]: plain-text journals, one
//!   transaction per ledger transaction, whose balances equal fairshare's exactly;
//! - [`write_contributions_csv`], [`write_distributions_csv`], [`write_balances_csv`]: RFC 4180
//!   tables;
//! - [`write_valueflows`]: JSON-LD in the ValueFlows vocabulary.
//!
//! ```
//! use fairshare_book::{Book, MemoryStore};
//! use fairshare_export::{EventIndex, write_beancount};
//!
//! let mut book = Book::open(Box::new(MemoryStore::new())).unwrap();
//! let index = EventIndex::from_store(book.store_mut()).unwrap();
//! let mut out = Vec::new();
//! write_beancount(book.state(), &index, &mut out).unwrap();
//! ```
//!
//! Timesheet imports ([`plan_import`]) turn a Toggl, Clockify or generic CSV into work logs,
//! each with an idempotency key derived from the row, so a re-import records nothing twice.
//! See `docs/EXPORTS.md` for the mappings.

mod csv;
mod format;
mod index;
mod journal;
mod names;
mod timesheet;
mod valueflows;

pub use csv::{
    csv_field, write_balances_csv, write_contributions_csv, write_distributions_csv, write_record,
};
pub use format::{Format, Source, Written, write_book, write_log};
pub use index::{EventIndex, EventMeta, RowsStore};
pub use journal::{JournalSummary, write_beancount, write_hledger, write_ledger};
pub use names::{AccountClass, account_class, beancount_commodity, journal_account};
pub use timesheet::{
    ColumnMap, DateOrder, HOURS_DECIMALS, ImportCheck, ImportError, ImportOptions, KEY_PREFIX,
    Layout, TIMESHEET_BYTES_MAX, TIMESHEET_ROWS_MAX, plan_import, to_requests,
};
pub use valueflows::{ValueFlowsOptions, write_valueflows};

use thiserror::Error;

/// Why an export failed. Nothing here is a user error: a book that replays always exports,
/// so these mean a damaged store, a state out of step with its store, or an I/O failure.
#[derive(Debug, Error)]
pub enum ExportError {
    #[error("write: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] fairshare_store::StoreError),
    /// Reading the log for a log format failed.
    #[error(transparent)]
    Book(#[from] fairshare_book::BookError),
    /// A ledger transaction refers to an event the index does not hold.
    #[error("event {0} is not in the store: the state and the store are out of step")]
    MissingEvent(u64),
    /// A stored row is not what the exporter expects (hash, order).
    #[error("event {seq}: {message}")]
    BadEvent { seq: u64, message: String },
    /// A name that cannot be mapped to an account of the target format.
    #[error("cannot export account {name:?}: {message}")]
    Name { name: String, message: String },
    /// An asset that no project or token of the book defines.
    #[error("asset {0:?} has no known exponent (no project currency or token defines it)")]
    UnknownAsset(String),
    #[error("{0}")]
    Domain(#[from] fairshare_core::DomainError),
}

pub type ExportResult<T> = Result<T, ExportError>;

/// The plan a distribution followed: its project's plan of the distribution's version (none
/// for version 0, before the project had a plan).
pub(crate) fn plan_of<'a>(
    state: &'a fairshare_core::State,
    distribution: &fairshare_core::Distribution,
) -> ExportResult<Option<&'a fairshare_core::Plan>> {
    let project = state.project(&distribution.project)?;
    Ok(distribution
        .plan_version
        .checked_sub(1)
        .and_then(|i| project.plans.get(i as usize)))
}
