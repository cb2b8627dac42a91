//! The writer: the only task that changes the book.
//!
//! Handlers send a request and a renderer through a bounded queue and wait for the answer.
//! The writer takes everything queued (up to [`WRITE_BATCH_MAX`]) and runs one
//! `Book::execute_batch` on a blocking thread: one durable append for the whole batch (group
//! commit), so the cost of an fsync is shared by every request waiting for it. Answers are sent
//! only after `execute_batch` returned (an acknowledged write is on disk), rendered from the
//! writer's own book; the read model follows beside the next batch.

use std::sync::Arc;

use fairshare_book::{Book, Executed, Request};
use fairshare_core::State;
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::error::ApiError;
use crate::fresh::{ReadModel, SnapshotWriter};
use crate::offload::DropOffRuntime;
use crate::{WRITE_BATCH_MAX, WRITE_QUEUE_MAX};
use fairshare_ops::backend::{Access, Backend};

/// Renders the JSON answer of a successful write from the book's state after its batch.
pub(crate) type Render = Box<dyn FnOnce(&State, &Executed) -> Result<Vec<u8>, ApiError> + Send>;

/// A committed write's answer.
pub(crate) struct Written {
    pub body: Vec<u8>,
    /// The idempotency key had been used for this very request: nothing new was recorded.
    pub replayed: bool,
}

struct WriteJob {
    request: Request,
    render: Render,
    reply: oneshot::Sender<Result<Written, ApiError>>,
}

#[derive(Clone)]
pub(crate) struct WriterHandle {
    queue: mpsc::Sender<WriteJob>,
}

impl WriterHandle {
    /// Queues a request and waits until its batch is committed (or refused).
    pub async fn submit(&self, request: Request, render: Render) -> Result<Written, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(WriteJob {
                request,
                render,
                reply,
            })
            .await
            .map_err(|_| ApiError::Unavailable("the writer has stopped".to_string()))?;
        answer.await.map_err(|_| {
            ApiError::Internal("the writer failed before answering this request".to_string())
        })?
    }
}

/// Starts the writer, which owns `book` from now on, and the follower that brings the read
/// model up to each committed batch. Both stop once every [`WriterHandle`] is dropped and the
/// queue is empty.
pub(crate) fn spawn(
    mut book: Book,
    model: Arc<ReadModel>,
    backend: Backend,
    snapshots: SnapshotWriter,
) -> (WriterHandle, JoinHandle<()>) {
    // The follower writes the snapshots, from the read model's state (`fresh.rs`).
    book.set_snapshot_every(None);
    let (queue, jobs) = mpsc::channel(WRITE_QUEUE_MAX);
    let task = tokio::spawn(run(
        DropOffRuntime::new(book),
        model,
        backend,
        snapshots,
        jobs,
    ));
    (WriterHandle { queue }, task)
}

async fn run(
    book: DropOffRuntime<Book>,
    model: Arc<ReadModel>,
    backend: Backend,
    snapshots: SnapshotWriter,
    mut queue: mpsc::Receiver<WriteJob>,
) {
    // The follower applies committed events to the read model beside the next batch, so the
    // read model's work (and the pauses of its growing collections) never delays a write.
    let committed = Arc::new(Notify::new());
    let follower = tokio::spawn(follow(model.clone(), committed.clone(), snapshots));
    let mut book = Some(book);
    let mut jobs = Vec::with_capacity(WRITE_BATCH_MAX);
    while queue.recv_many(&mut jobs, WRITE_BATCH_MAX).await > 0 {
        let batch = std::mem::replace(&mut jobs, Vec::with_capacity(WRITE_BATCH_MAX));
        let owned = match book.take() {
            Some(owned) => owned,
            None => match reopen(&backend).await {
                Some(reopened) => reopened,
                None => {
                    refuse(batch, "the book cannot be opened");
                    continue;
                }
            },
        };
        let shared = model.clone();
        match tokio::task::spawn_blocking(move || commit(owned, &shared, batch)).await {
            Ok(back) => book = Some(back),
            // The batch's callers get a 500 (their reply senders were dropped). The book went
            // with the panicking thread and may have held staged events that never reached
            // the store: the next batch reopens it from the log.
            Err(error) => {
                tracing::error!(%error, "a write batch panicked; the book will be reopened")
            }
        }
        committed.notify_one();
    }
    follower.abort();
    tracing::debug!("writer stopped: the queue is closed and empty");
}

/// Brings the read model up to the log after each batch (several batches at once when it
/// falls behind: a notification left while it works wakes it once), then writes a snapshot
/// from it when one is due.
async fn follow(model: Arc<ReadModel>, committed: Arc<Notify>, snapshots: SnapshotWriter) {
    let snapshots = Arc::new(std::sync::Mutex::new(snapshots));
    loop {
        committed.notified().await;
        let shared = model.clone();
        let writer = snapshots.clone();
        let followed = tokio::task::spawn_blocking(move || {
            shared.sync()?;
            if let Ok(mut writer) = writer.lock() {
                writer.write_if_due(&shared);
            }
            Ok::<(), ApiError>(())
        });
        match followed.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, "the read model cannot follow the log"),
            Err(error) => tracing::error!(%error, "following the log panicked"),
        }
    }
}

/// Runs one group commit and answers every request from the book's state right after it,
/// which holds exactly the committed events (`execute_batch` rebuilds it from the store when
/// an append fails). Then publishes the committed head for readers.
fn commit(
    mut book: DropOffRuntime<Book>,
    model: &ReadModel,
    batch: Vec<WriteJob>,
) -> DropOffRuntime<Book> {
    let mut requests = Vec::with_capacity(batch.len());
    let mut waiting = Vec::with_capacity(batch.len());
    for job in batch {
        requests.push(job.request);
        waiting.push((job.render, job.reply));
    }
    let results = book.execute_batch(&requests);
    // Before any answer: a reader who got one waits until the read model holds its event.
    model.committed(book.state().head());
    for ((render, reply), result) in waiting.into_iter().zip(results) {
        let answer = result.map_err(ApiError::from).and_then(|executed| {
            render(book.state(), &executed).map(|body| Written {
                body,
                replayed: executed.replayed,
            })
        });
        // The caller may have gone (a closed connection): its write stands all the same, and a
        // retry with its idempotency key gets this result.
        let _ = reply.send(answer);
    }
    book
}

fn refuse(batch: Vec<WriteJob>, why: &str) {
    for job in batch {
        let _ = job.reply.send(Err(ApiError::Unavailable(why.to_string())));
    }
}

async fn reopen(backend: &Backend) -> Option<DropOffRuntime<Book>> {
    let backend = backend.clone();
    let reopened = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut book = Book::open(backend.open_store(Access::Existing)?)?;
        book.set_snapshot_every(None);
        Ok(DropOffRuntime::new(book))
    })
    .await;
    match reopened {
        Ok(Ok(book)) => Some(book),
        Ok(Err(error)) => {
            tracing::error!(error = format!("{error:#}"), "cannot reopen the book");
            None
        }
        Err(error) => {
            tracing::error!(%error, "reopening the book panicked");
            None
        }
    }
}
