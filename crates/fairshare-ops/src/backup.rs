//! `backup` and `restore`: a book copied whole while it is in use, and put back into a new
//! book, both verified (hash chain, every outcome decided again, ledger) before they answer.
//!
//! - A **SQLite** book is copied with SQLite's online backup API (`fairshare_sqlite::backup_file`):
//!   one consistent snapshot of the event log and the credential tables (API keys, passwords),
//!   taken while a server keeps writing. Not its snapshots (a cache, in a file of their own).
//! - A **PostgreSQL** book is copied through the store into a new SQLite file: every event up
//!   to the head when the copy starts (an append-only log's prefix is a consistent book). Its
//!   credentials are not copied (only their hashes exist, and they stay in PostgreSQL).
//! - `restore` verifies the backup, then copies it into a book that must be new: a SQLite file
//!   through the backup API again (credentials included), or an empty PostgreSQL schema
//!   through the store (events only: create keys and passwords again there).

use std::path::{Path, PathBuf};

use fairshare_core::DomainError;
use fairshare_sqlite::SqliteStore;
use fairshare_store::{EventRow, Store};
use serde::{Deserialize, Serialize};

use crate::backend::{Access, Backend};
use crate::error::{OpError, OpResult};

/// Events per batch when copying through the store.
const COPY_BATCH: usize = 10_000;

/// A finished copy, verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Copied {
    /// Where the events came from.
    pub from: String,
    /// The new copy.
    pub to: String,
    /// Events in the copy (all verified).
    pub events: u64,
    /// Hash of its last event.
    pub head: String,
    /// Whether API keys and passwords were copied too.
    pub credentials: bool,
}

/// Copies the book of `backend` into the new SQLite file `dest`, then verifies the copy (a
/// copy that fails to verify is removed).
pub fn backup(backend: &Backend, dest: &Path) -> OpResult<Copied> {
    refuse_existing("dest", dest)?;
    let from = backend.open_store(Access::ReadOnly)?;
    let location = from.location();
    let credentials = match backend.sqlite_path() {
        Some(path) => {
            drop(from);
            fairshare_sqlite::backup_file(path, dest)?;
            true
        }
        None => {
            copy_rows(from, Box::new(SqliteStore::open(dest)?)).inspect_err(|_| remove(dest))?;
            false
        }
    };
    let (events, head) = verified(dest).inspect_err(|_| remove(dest))?;
    Ok(Copied {
        from: location,
        to: dest.display().to_string(),
        events,
        head,
        credentials,
    })
}

/// Verifies the backup `src`, copies it into the new book `target` and verifies that.
pub fn restore(src: &Path, target: &Backend) -> OpResult<Copied> {
    if !src.exists() {
        return Err(
            DomainError::not_found(format!("no backup at {}", src.display()))
                .field("src")
                .value(src.display().to_string())
                .into(),
        );
    }
    verified(src)?;
    let credentials = match target.sqlite_path() {
        Some(path) => {
            refuse_existing("book", path)?;
            fairshare_sqlite::backup_file(src, path)?;
            true
        }
        None => {
            let mut store = target.open_store(Access::Create)?;
            if store.head()? != 0 {
                return Err(DomainError::conflict(format!(
                    "{} already holds events: restore into a new book",
                    store.location()
                ))
                .field("book")
                .into());
            }
            copy_rows(Box::new(SqliteStore::open_read_only(src)?), store)?;
            false
        }
    };
    let mut store = target.open_store(Access::ReadOnly)?;
    let (events, head) = verify_store(store.as_mut())?;
    Ok(Copied {
        from: src.display().to_string(),
        to: store.location(),
        events,
        head,
        credentials,
    })
}

fn refuse_existing(field: &'static str, path: &Path) -> OpResult<()> {
    if path.exists() {
        return Err(DomainError::conflict(format!(
            "{} exists already: name a new file",
            path.display()
        ))
        .field(field)
        .value(path.display().to_string())
        .into());
    }
    Ok(())
}

/// Removes a SQLite file and its companions (a copy that failed).
fn remove(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}

/// Every event of `from` appended to the empty `to` in one transaction, in batches.
fn copy_rows(mut from: Box<dyn Store>, mut to: Box<dyn Store>) -> OpResult<()> {
    let head = from.head()?;
    to.append_all(&mut |sink| {
        let mut batch: Vec<EventRow> = Vec::with_capacity(COPY_BATCH);
        from.scan(0, &mut |row| {
            if row.seq > head {
                return Ok(());
            }
            batch.push(row);
            if batch.len() == COPY_BATCH {
                sink(&batch)?;
                batch.clear();
            }
            Ok(())
        })?;
        if batch.is_empty() {
            Ok(())
        } else {
            sink(&batch)
        }
    })?;
    Ok(())
}

/// Verifies the SQLite book at `path`: its event count and head hash.
fn verified(path: &Path) -> OpResult<(u64, String)> {
    verify_store(&mut SqliteStore::open_read_only(path)?)
}

fn verify_store(store: &mut dyn Store) -> OpResult<(u64, String)> {
    let report = fairshare_book::verify(store)?;
    match report.problem {
        None => Ok((report.events, report.head_hash)),
        Some((seq, message)) => Err(OpError::Corrupt { seq, message }),
    }
}
