//! A two-thread pipeline: a reader thread produces items in batches while the calling thread
//! consumes them, so reading and parsing overlap the stateful or storage work. Used by the
//! initial replay, by an import and by `verify`.

use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};

use crate::{BookError, BookResult};

/// How a pipeline hands items over.
pub(crate) struct Batches {
    /// Items per batch: one channel message (amortises its synchronisation).
    pub rows: usize,
    /// Full batches the reader may run ahead of the consumer (bounds the extra memory).
    pub in_flight: usize,
}

/// The reader's end of a pipeline: collects items and sends each full batch.
pub(crate) struct Feed<T> {
    sender: SyncSender<BookResult<Vec<T>>>,
    /// Batches the consumer is done with. Reusing them frees their items on the thread that
    /// allocated them (cheaper than from the other one) and spares allocating a new buffer.
    spent: Receiver<Vec<T>>,
    batch: Vec<T>,
    rows: usize,
    /// The consumer has hung up (it failed), so nothing more will be read.
    closed: bool,
}

impl<T> Feed<T> {
    /// Adds an item. Fails once the consumer has stopped: the reader should then stop too.
    pub(crate) fn push(&mut self, item: T) -> BookResult<()> {
        self.batch.push(item);
        if self.batch.len() < self.rows {
            return Ok(());
        }
        let next = match self.spent.try_recv() {
            Ok(mut spent) => {
                spent.clear();
                spent
            }
            Err(_) => Vec::with_capacity(self.rows),
        };
        let full = std::mem::replace(&mut self.batch, next);
        if self.sender.send(Ok(full)).is_err() {
            self.closed = true;
            return Err(BookError::Input("the pipeline's consumer stopped".into()));
        }
        Ok(())
    }

    /// Sends what is left, then the reader's error if any: the consumer sees every item read
    /// before a failure first, so an earlier error of its own still wins.
    fn finish(self, read: BookResult<()>) {
        if self.closed {
            return;
        }
        if !self.batch.is_empty() && self.sender.send(Ok(self.batch)).is_err() {
            return;
        }
        if let Err(error) = read {
            let _ = self.sender.send(Err(error));
        }
    }
}

/// Runs `read` on a thread of its own and `consume`s the batches it pushes on this one, in
/// order (a consumer may take the items out of a batch, or leave them to be freed by the
/// reader). Returns the first error in item order: the reader's (after every item it pushed
/// before it was consumed) or the consumer's, which stops the reader.
pub(crate) fn pipelined<T: Send>(
    batches: Batches,
    read: impl FnOnce(&mut Feed<T>) -> BookResult<()> + Send,
    mut consume: impl FnMut(&mut Vec<T>) -> BookResult<()>,
) -> BookResult<()> {
    std::thread::scope(|scope| {
        let (sender, receiver) = sync_channel(batches.in_flight);
        let (give_back, spent) = channel();
        let reader = scope.spawn(move || {
            let mut feed = Feed {
                sender,
                spent,
                batch: Vec::with_capacity(batches.rows),
                rows: batches.rows,
                closed: false,
            };
            let read = read(&mut feed);
            feed.finish(read);
        });
        let mut outcome = Ok(());
        for message in receiver.iter() {
            outcome = message.and_then(|mut batch| {
                let consumed = consume(&mut batch);
                // Once the reader is done, the batch is freed here instead.
                let _ = give_back.send(batch);
                consumed
            });
            if outcome.is_err() {
                break;
            }
        }
        // Dropping the receiver unblocks a reader still sending after a failure.
        drop(receiver);
        if reader.join().is_err() && outcome.is_ok() {
            outcome = Err(BookError::Input(
                "a pipeline's reader thread panicked".into(),
            ));
        }
        outcome
    })
}
