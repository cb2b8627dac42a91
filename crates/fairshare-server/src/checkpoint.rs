//! Background WAL checkpoints for a SQLite book.
//!
//! In WAL mode SQLite copies the log back into the database ("checkpoints") from the
//! connection whose commit crosses `wal_autocheckpoint` pages: the writer, which then holds
//! every request of its next batch for as long as it takes to write back and fsync tens of
//! megabytes (a p99 of 40-80 ms under sustained load). A PASSIVE checkpoint from a connection
//! of our own, every [`CHECKPOINT_INTERVAL`], does that work beside the writer (it takes no
//! write lock): the log restarts from its beginning before it reaches the writer's threshold.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the checkpointer runs.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(250);
/// How long a checkpoint waits for a lock before giving up until the next round.
const BUSY_TIMEOUT: Duration = Duration::from_millis(100);

/// Stops the checkpointer when dropped.
pub(crate) struct Checkpointer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    pub fn start(path: &Path) -> Checkpointer {
        let (stop, stopped) = mpsc::channel::<()>();
        let path = path.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("fairshare-checkpoint".into())
            .spawn(move || run(&path, &stopped))
            .map_err(|error| tracing::warn!(%error, "no background checkpoints"))
            .ok();
        Checkpointer {
            stop: Some(stop),
            thread,
        }
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

fn run(path: &PathBuf, stopped: &mpsc::Receiver<()>) {
    let conn = match rusqlite::Connection::open(path) {
        Ok(conn) => conn,
        Err(error) => {
            tracing::warn!(%error, "no background checkpoints");
            return;
        }
    };
    if let Err(error) = conn.busy_timeout(BUSY_TIMEOUT) {
        tracing::warn!(%error, "no background checkpoints");
        return;
    }
    // The checkpoint must be as durable as the commits it copies.
    let _ = conn.pragma_update(None, "synchronous", "FULL");
    loop {
        match stopped.recv_timeout(CHECKPOINT_INTERVAL) {
            Err(RecvTimeoutError::Timeout) => {}
            // The server stops (the sender is dropped).
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
