//! Online copies of a book file with SQLite's backup API: the event log and the credential
//! tables beside it, page by page, as one consistent snapshot, while other connections (a
//! server) keep writing.
//!
//! The copy is made in ONE backup step under one read transaction: in WAL mode a reader never
//! blocks writers, and a one-step copy cannot be restarted by their commits (a copy in many
//! small steps starts over whenever another connection writes, and may never finish under a
//! busy server). The snapshot is the book as of some commit: every event before it, none after.
//!
//! The state snapshots, a cache in a file of their own beside the book (`sidecar.rs`), are not
//! copied: a restored book opens by replaying its log until its next snapshot is written.

use std::path::Path;
use std::time::Duration;

use fairshare_store::{StoreError, StoreResult};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

/// How long a copy waits for a lock (the writer's checkpoint) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Copies the SQLite book at `from` into a new file `to` (which must not exist). On failure
/// the partial file is removed.
pub fn backup_file(from: &Path, to: &Path) -> StoreResult<()> {
    if to.exists() {
        return Err(StoreError::Backend(format!(
            "{} exists already: a backup is written to a new file",
            to.display()
        )));
    }
    let copied = copy(from, to);
    if copied.is_err() {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", to.display()));
        }
    }
    copied
}

fn copy(from: &Path, to: &Path) -> StoreResult<()> {
    let fail = |what: &str, e: rusqlite::Error| StoreError::Backend(format!("backup {what}: {e}"));
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let source = Connection::open_with_flags(from, flags).map_err(|e| fail("open source", e))?;
    source
        .busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| fail("configure source", e))?;
    let mut target = Connection::open(to).map_err(|e| fail("create target", e))?;
    target
        .busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| fail("configure target", e))?;
    {
        let backup = Backup::new(&source, &mut target).map_err(|e| fail("start", e))?;
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        loop {
            match backup.step(-1).map_err(|e| fail("copy", e))? {
                StepResult::Done => break,
                // Locked by a checkpoint or a writer of the target: wait and try again.
                StepResult::Busy | StepResult::Locked if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                StepResult::More | StepResult::Busy | StepResult::Locked => {
                    return Err(StoreError::Backend(
                        "backup copy: the source stayed locked".to_string(),
                    ));
                }
                _ => {
                    return Err(StoreError::Backend(
                        "backup copy: unexpected step result".to_string(),
                    ));
                }
            }
        }
    }
    // One file, no WAL beside it: the backup is self-contained.
    target
        .pragma_update(None, "journal_mode", "DELETE")
        .map_err(|e| fail("finish", e))?;
    Ok(())
}
