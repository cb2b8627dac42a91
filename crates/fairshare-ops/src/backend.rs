//! Where a book lives, chosen once from its URL: a `postgres://` (or `postgresql://`) URL is a
//! PostgreSQL schema, anything else a SQLite file. Every front end opens its stores here.
//! Blocking I/O: async callers run these on a blocking thread.

use std::path::{Path, PathBuf};

use fairshare_core::DomainError;
use fairshare_sqlite::SqliteStore;
use fairshare_store::Store;

use crate::error::OpResult;

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
    Postgres(String),
}

impl Backend {
    /// `postgres://` and `postgresql://` URLs are PostgreSQL; anything else is a SQLite path.
    pub fn parse(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres(url.to_string())
        } else {
            Backend::Sqlite(PathBuf::from(url))
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
            Backend::Postgres(url) => open_postgres(url),
        }
    }
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

#[cfg(feature = "postgres")]
fn open_postgres(url: &str) -> OpResult<Box<dyn Store>> {
    Ok(Box::new(fairshare_postgres::PostgresStore::open(url)?))
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(_url: &str) -> OpResult<Box<dyn Store>> {
    // The URL may hold a password: it is not echoed.
    Err(crate::OpError::Store(fairshare_store::StoreError::Backend(
        "this build has no PostgreSQL store: use a SQLite file for the book, or build with the \
         `postgres` feature"
            .to_string(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_chooses_the_backend_and_a_missing_file_is_refused() {
        assert_eq!(
            Backend::parse("postgresql://u@h/db?schema=coop"),
            Backend::Postgres("postgresql://u@h/db?schema=coop".into())
        );
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("book.db");
        let backend = Backend::parse(&path.to_string_lossy());
        let missing = backend.open_store(Access::Existing).err().expect("missing");
        assert!(missing.to_string().starts_with("no book at "), "{missing}");
        assert!(!path.exists(), "a typo must not create a book");
        backend.open_store(Access::Create).expect("create");
        backend.open_store(Access::ReadOnly).expect("read");
    }
}
