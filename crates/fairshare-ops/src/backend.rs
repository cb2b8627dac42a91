//! Where a book lives, chosen once from its URL: a `postgres://` (or `postgresql://`) URL is a
//! PostgreSQL schema, anything else a SQLite file. Every front end opens its stores here: the
//! event log and the credential tables beside it. Blocking I/O: async callers run these on a
//! blocking thread.

use std::path::{Path, PathBuf};

use fairshare_book::Book;
use fairshare_core::DomainError;
use fairshare_sqlite::{SqliteCredentials, SqliteStore};
use fairshare_store::Store;
use fairshare_store::credentials::CredentialStore;
use fairshare_store::webhooks::WebhookStore;

use crate::error::{OpError, OpResult};

/// The book used when no URL names one.
pub const BOOK_DEFAULT: &str = "./fairshare.db";

/// How a caller needs its book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Create the book if it does not exist (`init`, `import`, `demo`).
    Create,
    /// The book must exist: a typo in a URL must not silently start a new book.
    Existing,
    /// Must exist, and is never written through this handle (`verify`, `export`, log pages,
    /// a server's readers).
    ReadOnly,
}

/// A book's backend.
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
    /// A build without the `postgres` feature refuses such a URL rather than take it for a
    /// file name (and never echoes it: it may hold a password).
    pub fn parse(url: &str) -> OpResult<Backend> {
        if is_postgres_url(url) {
            #[cfg(feature = "postgres")]
            return Ok(Backend::Postgres(url.to_string()));
            #[cfg(not(feature = "postgres"))]
            return Err(OpError::Store(fairshare_store::StoreError::Backend(
                "this build of fairshare has no PostgreSQL support: use a SQLite file for the \
                 book, or build with the `postgres` feature"
                    .to_string(),
            )));
        }
        Ok(Backend::Sqlite(PathBuf::from(url)))
    }

    /// The SQLite file, for what only a file has (WAL checkpoints, removing a failed import).
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Backend::Sqlite(path) => Some(path),
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => None,
        }
    }

    /// Opens the book's event store.
    pub fn open_store(&self, access: Access) -> OpResult<Box<dyn Store>> {
        match self {
            Backend::Sqlite(path) => {
                if access != Access::Create {
                    must_exist(path)?;
                }
                Ok(match access {
                    Access::ReadOnly => Box::new(SqliteStore::open_read_only(path)?),
                    Access::Create | Access::Existing => Box::new(SqliteStore::open(path)?),
                })
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(url) => Ok(Box::new(fairshare_postgres::PostgresStore::open(url)?)),
        }
    }

    /// Opens (creating or migrating if needed) the tables beside an existing book: the
    /// credentials and the webhooks, through one connection.
    fn open_tables(&self) -> OpResult<Box<dyn BesideTheBook>> {
        Ok(match self {
            Backend::Sqlite(path) => {
                must_exist(path)?;
                Box::new(SqliteCredentials::open(path).map_err(credential_error)?)
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(url) => {
                // Creates the book's schema if this is a new book, so both live side by side.
                drop(fairshare_postgres::PostgresStore::open(url)?);
                Box::new(
                    fairshare_postgres::PostgresCredentials::open(url).map_err(credential_error)?,
                )
            }
        })
    }

    /// Opens (creating or migrating if needed) the credential tables beside an existing book.
    pub fn open_credentials(&self) -> OpResult<Box<dyn CredentialStore>> {
        Ok(self.open_tables()?)
    }

    /// Opens (creating or migrating if needed) the webhook tables beside an existing book, on
    /// a connection of their own.
    pub fn open_webhooks(&self) -> OpResult<Box<dyn WebhookStore>> {
        Ok(self.open_tables()?)
    }

    /// Opens and replays the existing book.
    pub fn open_book(&self) -> OpResult<Book> {
        Ok(Book::open(self.open_store(Access::Existing)?)?)
    }
}

/// What each backend keeps beside its book: credentials and webhooks.
trait BesideTheBook: CredentialStore + WebhookStore {}

impl<T: CredentialStore + WebhookStore> BesideTheBook for T {}

/// Whether a book URL names a PostgreSQL schema.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

fn must_exist(path: &Path) -> OpResult<()> {
    if path.exists() {
        return Ok(());
    }
    let shown = path.display();
    Err(DomainError::not_found(format!(
        "no book at {shown}: create it with `fairshare init --book {shown}` or name another book"
    ))
    .field("book")
    .into())
}

/// A credential store's failure: a refusal of input stays one, a backend failure is storage.
pub fn credential_error(error: fairshare_store::credentials::CredentialError) -> OpError {
    use fairshare_store::credentials::CredentialError;
    match error {
        CredentialError::Invalid(message) => OpError::Domain(DomainError::invalid(message)),
        CredentialError::NotFound(message) => OpError::Domain(DomainError::not_found(message)),
        CredentialError::Backend(message) => {
            OpError::Store(fairshare_store::StoreError::Backend(message))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_chooses_the_backend_and_a_missing_file_is_refused() {
        let parsed = Backend::parse("postgresql://u@h/db?schema=coop");
        #[cfg(feature = "postgres")]
        assert_eq!(
            parsed.expect("a URL"),
            Backend::Postgres("postgresql://u@h/db?schema=coop".into())
        );
        #[cfg(not(feature = "postgres"))]
        assert!(
            parsed
                .expect_err("no PostgreSQL")
                .to_string()
                .contains("no PostgreSQL support")
        );
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("book.db");
        let backend = Backend::parse(&path.to_string_lossy()).expect("a path");
        let missing = backend.open_store(Access::Existing).err().expect("missing");
        assert!(missing.to_string().starts_with("no book at "), "{missing}");
        assert!(backend.open_credentials().is_err());
        assert!(!path.exists(), "a typo must not create a book");
        backend.open_store(Access::Create).expect("create");
        backend.open_store(Access::ReadOnly).expect("read");
        backend
            .open_credentials()
            .expect("credentials beside the book");
    }
}
