//! What a server opens at start, from the backend `fairshare_ops::backend` chose from the
//! book's URL. Blocking I/O (the `postgres` crate must not run on a runtime thread): call it
//! from `spawn_blocking`.

use anyhow::Context as _;
use fairshare_book::Book;
use fairshare_ops::backend::{Access, Backend};
use fairshare_sqlite::Checkpointer;
use fairshare_store::credentials::CredentialStore;
use fairshare_store::webhooks::WebhookStore;

use crate::fresh::ReadModel;

/// What a server opens at start.
pub(crate) struct Opened {
    pub book: Book,
    pub model: ReadModel,
    /// [`crate::auth::CREDENTIAL_CONNECTIONS`] connections to the credentials, so that key and
    /// session lookups of concurrent requests do not queue behind one another.
    pub credentials: Vec<Box<dyn CredentialStore>>,
    /// A connection that writes the automatic snapshots beside the writer (`fresh.rs`).
    pub snapshots: Box<dyn fairshare_store::Store>,
    /// The webhooks beside the credentials (a connection of their own).
    pub webhooks: Box<dyn WebhookStore>,
    /// Background WAL checkpoints of a SQLite book, for as long as the server runs.
    pub checkpointer: Option<Checkpointer>,
}

/// Opens the writer's book and the read model (two replays of the log, run side by side) and
/// the credential tables, and starts the checkpoints of a SQLite book.
pub(crate) fn open_all(backend: &Backend, catch_up_reads: bool) -> anyhow::Result<Opened> {
    let book_store = backend.open_store(Access::Existing)?;
    let reader_store = backend.open_store(Access::ReadOnly)?;
    let snapshots = backend.open_store(Access::Existing)?;
    let credentials = (0..crate::auth::CREDENTIAL_CONNECTIONS)
        .map(|_| backend.open_credentials())
        .collect::<Result<Vec<_>, _>>()?;
    let webhooks = backend.open_webhooks()?;
    let (book, model) = std::thread::scope(|scope| {
        let model = scope.spawn(move || ReadModel::open(reader_store, catch_up_reads));
        let book = Book::open(book_store).context("cannot open the book");
        let model = match model.join() {
            Ok(model) => model.map_err(|e| anyhow::anyhow!("cannot replay the book: {e}")),
            Err(_) => Err(anyhow::anyhow!("replaying the book panicked")),
        };
        (book, model)
    });
    // Without it the server still works: the writer checkpoints, at a cost in latency.
    let checkpointer = backend.sqlite_path().and_then(|path| {
        Checkpointer::start(path)
            .map_err(|error| tracing::warn!(%error, "no background checkpoints"))
            .ok()
    });
    Ok(Opened {
        book: book?,
        model: model?,
        snapshots,
        credentials,
        webhooks,
        checkpointer,
    })
}
