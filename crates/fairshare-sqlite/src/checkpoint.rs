//! Background WAL checkpoints for a SQLite book.
//!
//! In WAL mode SQLite copies the log back into the database ("checkpoints") from the
//! connection whose commit crosses `wal_autocheckpoint` pages: the writer, which then holds
//! every request of its next batch for as long as it takes to write back and fsync tens of
//! megabytes (a p99 of 40-80 ms under sustained load). A PASSIVE checkpoint from a connection
//! of our own, every [`CHECKPOINT_INTERVAL`], does that work beside the writer (it takes no
//! write lock): the log restarts from its beginning before it reaches the writer's threshold.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use fairshare_store::{StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags};

/// How often the checkpointer runs.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(250);
/// How long a checkpoint waits for a lock before giving up until the next round.
const BUSY_TIMEOUT: Duration = Duration::from_millis(100);

/// A thread checkpointing one book's WAL every [`CHECKPOINT_INTERVAL`]; stops (and is joined)
/// when dropped. Run one per book, in the process that writes the most (the server).
#[derive(Debug)]
pub struct Checkpointer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens a connection of its own to the book at `path` (which must exist) and starts the
    /// thread. Blocking I/O: the open.
    pub fn start(path: &Path) -> StoreResult<Checkpointer> {
        let fail = |e: rusqlite::Error| {
            StoreError::Backend(format!(
                "open {} for background checkpoints: {e}",
                path.display()
            ))
        };
        // No SQLITE_OPEN_CREATE: checkpoints are for an existing book.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(fail)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(fail)?;
        // The checkpoint must be as durable as the commits it copies.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(fail)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("fairshare-checkpoint".into())
            .spawn(move || run(&conn, &stopped))
            .map_err(|e| StoreError::Backend(format!("start the checkpoint thread: {e}")))?;
        Ok(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(conn: &Connection, stopped: &mpsc::Receiver<()>) {
    loop {
        match stopped.recv_timeout(CHECKPOINT_INTERVAL) {
            Err(RecvTimeoutError::Timeout) => {}
            // The owner stops (the sender is dropped).
            _ => return,
        }
        let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, i64>(2)?,
            ))
        });
        match done {
            Ok((_busy, _log_frames, _checkpointed)) => {}
            Err(error) => tracing::debug!(%error, "checkpoint skipped"),
        }
    }
}
