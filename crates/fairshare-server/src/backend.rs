//! Where the book lives: chosen once, from the URL's scheme. Every function here does blocking
//! I/O (the `postgres` crate must not run on a runtime thread): call it from `spawn_blocking`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use fairshare_book::Book;
#[cfg(feature = "postgres")]
use fairshare_postgres::{PostgresCredentials, PostgresStore};
use fairshare_sqlite::{Checkpointer, SqliteCredentials, SqliteStore};
use fairshare_store::credentials::CredentialStore;
use fairshare_store::{Store, StoreError, StoreResult};

use crate::fresh::ReadModel;

/// The book's backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// One SQLite file.
    Sqlite(PathBuf),
    /// A schema of a PostgreSQL database (the URL may name it with `?schema=NAME`).
    #[cfg(feature = "postgres")]
    Postgres(String),
}

impl Backend {
    /// `postgres://` and `postgresql://` URLs are PostgreSQL; anything else is a SQLite path.
    /// A PostgreSQL URL is refused by a build without the `postgres` feature (rather than taken
    /// for a file name).
    pub fn parse(url: &str) -> StoreResult<Backend> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            #[cfg(feature = "postgres")]
            return Ok(Backend::Postgres(url.to_string()));
            #[cfg(not(feature = "postgres"))]
            return Err(StoreError::Backend(
                "this build of fairshare-server has no PostgreSQL support: use a SQLite book, \
                 or build with the `postgres` feature"
                    .to_string(),
            ));
        }
        Ok(Backend::Sqlite(PathBuf::from(url)))
    }

    /// Opens the book's event store for reading and appending. A SQLite book must exist: a
    /// typo must not silently start a new book.
    pub fn open_store(&self) -> StoreResult<Box<dyn Store>> {
        Ok(match self {
            Backend::Sqlite(path) => {
                must_exist(path)?;
                Box::new(SqliteStore::open(path)?)
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(url) => Box::new(PostgresStore::open(url)?),
        })
    }

    /// Opens a second handle for readers (log pages, verify, export), never used to write.
    pub fn open_reader(&self) -> StoreResult<Box<dyn Store>> {
        Ok(match self {
            Backend::Sqlite(path) => {
                must_exist(path)?;
                Box::new(SqliteStore::open_read_only(path)?)
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(url) => Box::new(PostgresStore::open(url)?),
        })
    }
}

fn must_exist(path: &Path) -> StoreResult<()> {
    if !path.exists() {
        return Err(StoreError::Backend(format!(
            "no book at {}: create it with `fairshare init --book {}`",
            path.display(),
            path.display()
        )));
    }
    Ok(())
}

/// What a server opens at start.
pub(crate) struct Opened {
    pub book: Book,
    pub model: ReadModel,
    pub credentials: Box<dyn CredentialStore>,
    /// Background WAL checkpoints of a SQLite book, for as long as the server runs.
    pub checkpointer: Option<Checkpointer>,
}

/// Opens the writer's book and the read model (two replays of the log, run side by side) and
/// the credential tables, and starts the checkpoints of a SQLite book.
pub(crate) fn open_all(backend: &Backend, catch_up_reads: bool) -> anyhow::Result<Opened> {
    let book_store = backend.open_store()?;
    let reader_store = backend.open_reader()?;
    let credentials = open_credentials(backend)?;
    let (book, model) = std::thread::scope(|scope| {
        let model = scope.spawn(move || ReadModel::open(reader_store, catch_up_reads));
        let book = Book::open(book_store).context("cannot open the book");
        let model = match model.join() {
            Ok(model) => model.map_err(|e| anyhow::anyhow!("cannot replay the book: {e}")),
            Err(_) => Err(anyhow::anyhow!("replaying the book panicked")),
        };
        (book, model)
    });
    let checkpointer = match backend {
        // Without it the server still works: the writer checkpoints, at a cost in latency.
        Backend::Sqlite(path) => Checkpointer::start(path)
            .map_err(|error| tracing::warn!(%error, "no background checkpoints"))
            .ok(),
        #[cfg(feature = "postgres")]
        Backend::Postgres(_) => None,
    };
    Ok(Opened {
        book: book?,
        model: model?,
        credentials,
        checkpointer,
    })
}

/// Opens (creating or migrating if needed) the credential tables next to the book.
pub(crate) fn open_credentials(backend: &Backend) -> anyhow::Result<Box<dyn CredentialStore>> {
    Ok(match backend {
        Backend::Sqlite(path) => {
            must_exist(path)?;
            Box::new(SqliteCredentials::open(path)?)
        }
        #[cfg(feature = "postgres")]
        Backend::Postgres(url) => {
            // Creates the book's schema if this is a new book, so both live side by side.
            drop(PostgresStore::open(url)?);
            Box::new(PostgresCredentials::open(url)?)
        }
    })
}

/// Fails unless `agent` is an agent of the book (replays it).
pub(crate) fn check_agent(backend: &Backend, agent: &str) -> anyhow::Result<()> {
    let book = Book::open(backend.open_store()?).context("cannot open the book")?;
    book.state().agent(agent)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_the_backend() {
        assert_eq!(
            Backend::parse("books/a.db").expect("a path"),
            Backend::Sqlite(PathBuf::from("books/a.db"))
        );
        for url in ["postgres://u@h/db", "postgresql://u@h/db?schema=b"] {
            let parsed = Backend::parse(url);
            #[cfg(feature = "postgres")]
            assert_eq!(parsed.expect("a URL"), Backend::Postgres(url.to_string()));
            #[cfg(not(feature = "postgres"))]
            assert!(
                parsed
                    .expect_err("no PostgreSQL in this build")
                    .to_string()
                    .contains("no PostgreSQL support"),
                "{url}"
            );
        }
    }
}
