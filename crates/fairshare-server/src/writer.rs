//! The writer: the only task that changes the book.
//!
//! Handlers send a request and a renderer through a bounded queue and wait for the answer.
//! The writer takes everything queued (up to [`WRITE_BATCH_MAX`]) and runs one
//! `Book::execute_batch` on a blocking thread: one durable append for the whole batch (group
//! commit), so the cost of an fsync is shared by every request waiting for it. Answers are sent
//! only after `execute_batch` returned (an acknowledged write is on disk), rendered from the
//! writer's own book; the read model follows beside the next batch.

use std::sync::Arc;

use fairshare_book::{Book, BookResult, Executed, Request};
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

/// The results of requests sent together (a timesheet's rows), with the book's state after
/// them, or why none ran.
type Batch<'a> = Result<(&'a State, &'a [Request], Vec<BookResult<Executed>>), ApiError>;

/// Answers the caller of requests sent together.
type AnswerAll = Box<dyn FnOnce(Batch<'_>) + Send>;

/// One caller's requests and how to answer them.
enum Answer {
    One(Render, oneshot::Sender<Result<Written, ApiError>>),
    All(AnswerAll),
}

struct WriteJob {
    /// One request, or every request of an `Answer::All`, committed in one group commit.
    requests: Vec<Request>,
    answer: Answer,
}

#[derive(Clone)]
pub(crate) struct WriterHandle {
    queue: mpsc::Sender<WriteJob>,
}

impl WriterHandle {
    /// Queues a request and waits until its batch is committed (or refused).
    pub async fn submit(&self, request: Request, render: Render) -> Result<Written, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.send(vec![request], Answer::One(render, reply)).await?;
        answered(answer.await)
    }

    /// Queues requests that commit together, in one group commit, waits for them all and
    /// answers what `render` makes of their results and the state right after them.
    pub async fn submit_all<T: Send + 'static>(
        &self,
        requests: Vec<Request>,
        render: impl FnOnce(&State, &[Request], Vec<BookResult<Executed>>) -> Result<T, ApiError>
        + Send
        + 'static,
    ) -> Result<T, ApiError> {
        let (reply, answer) = oneshot::channel();
        let all: AnswerAll = Box::new(move |batch: Batch<'_>| {
            let rendered =
                batch.and_then(|(state, requests, results)| render(state, requests, results));
            let _ = reply.send(rendered);
        });
        self.send(requests, Answer::All(all)).await?;
        answered(answer.await)
    }

    async fn send(&self, requests: Vec<Request>, answer: Answer) -> Result<(), ApiError> {
        self.queue
            .send(WriteJob { requests, answer })
            .await
            .map_err(|_| ApiError::Unavailable("the writer has stopped".to_string()))
    }
}

fn answered<T>(
    answer: Result<Result<T, ApiError>, oneshot::error::RecvError>,
) -> Result<T, ApiError> {
    answer.map_err(|_| {
        ApiError::Internal("the writer failed before answering this request".to_string())
    })?
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
        waiting.push((job.requests.len(), job.answer));
        requests.extend(job.requests);
    }
    let mut results = book.execute_batch(&requests).into_iter();
    debug_assert_eq!(results.len(), requests.len(), "one result a request");
    // Before any answer: a reader who got one waits until the read model holds its event.
    model.committed(book.state().head());
    let mut from = 0;
    for (count, answer) in waiting {
        let theirs = &requests[from..from + count];
        let mine: Vec<_> = results.by_ref().take(count).collect();
        from += count;
        // The caller may have gone (a closed connection): its write stands all the same, and a
        // retry with its idempotency key gets this result.
        match answer {
            Answer::One(render, reply) => {
                let _ = reply.send(answer_one(book.state(), render, mine));
            }
            Answer::All(answer) => answer(Ok((book.state(), theirs, mine))),
        }
    }
    book
}

fn answer_one(
    state: &State,
    render: Render,
    mut results: Vec<BookResult<Executed>>,
) -> Result<Written, ApiError> {
    let result = results
        .pop()
        .ok_or_else(|| ApiError::Internal("a write without its result".to_string()))?;
    let executed = result.map_err(ApiError::from)?;
    render(state, &executed).map(|body| Written {
        body,
        replayed: executed.replayed,
    })
}

fn refuse(batch: Vec<WriteJob>, why: &str) {
    let refusal = || ApiError::Unavailable(why.to_string());
    for job in batch {
        match job.answer {
            Answer::One(_, reply) => drop(reply.send(Err(refusal()))),
            Answer::All(answer) => answer(Err(refusal())),
        }
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
