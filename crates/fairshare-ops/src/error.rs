//! Why an operation failed, in one type every front end maps: the CLI to an exit status and
//! its own words for a field (a flag), the API to an HTTP status and a problem document (a
//! JSON field), the dashboard to a message beside the form field.

use fairshare_book::BookError;
use fairshare_core::{DomainError, ErrorKind};
use fairshare_store::StoreError;
use thiserror::Error;

/// What kind of failure: refusals of input (the book is unchanged) and failures of the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Failure {
    /// Malformed or out-of-range input.
    Invalid,
    NotFound,
    /// Clashes with the book: a taken name, a reused idempotency key.
    Conflict,
    /// The actor's role does not allow this.
    Forbidden,
    /// The stored log does not replay (or `verify` found a broken event).
    Corrupt,
    /// The book's storage failed.
    Storage,
    /// An input file could not be read or parsed (an import), or a catch-up failed reading.
    Input,
    /// A bug: an outcome that does not fit its command.
    Internal,
}

impl Failure {
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::Invalid => "invalid",
            Failure::NotFound => "not-found",
            Failure::Conflict => "conflict",
            Failure::Forbidden => "forbidden",
            Failure::Corrupt => "corrupt",
            Failure::Storage => "storage",
            Failure::Input => "input",
            Failure::Internal => "internal",
        }
    }

    /// A refusal of the request: the caller can fix it, and nothing was written.
    pub fn is_refusal(self) -> bool {
        matches!(
            self,
            Failure::Invalid | Failure::NotFound | Failure::Conflict | Failure::Forbidden
        )
    }
}

/// The failure of a core refusal of this kind.
impl From<ErrorKind> for Failure {
    fn from(kind: ErrorKind) -> Failure {
        match kind {
            ErrorKind::Invalid => Failure::Invalid,
            ErrorKind::NotFound => Failure::NotFound,
            ErrorKind::Conflict => Failure::Conflict,
            ErrorKind::Forbidden => Failure::Forbidden,
            ErrorKind::Corrupt => Failure::Corrupt,
        }
    }
}

#[derive(Debug, Error)]
pub enum OpError {
    /// The core refused (kind, message and the field at fault).
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("event {seq}: {message}")]
    Corrupt { seq: u64, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Internal(String),
}

pub type OpResult<T> = Result<T, OpError>;

impl OpError {
    pub fn invalid(message: impl Into<String>) -> OpError {
        OpError::Domain(DomainError::invalid(message))
    }
    pub fn not_found(message: impl Into<String>) -> OpError {
        OpError::Domain(DomainError::not_found(message))
    }

    pub fn failure(&self) -> Failure {
        match self {
            OpError::Domain(error) => error.kind().into(),
            OpError::Corrupt { .. } => Failure::Corrupt,
            OpError::Store(_) => Failure::Storage,
            OpError::Input(_) => Failure::Input,
            OpError::Internal(_) => Failure::Internal,
        }
    }

    /// The request field at fault, by its JSON name, when the refusal names one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            OpError::Domain(error) => error.field_name(),
            _ => None,
        }
    }
}

impl From<BookError> for OpError {
    fn from(error: BookError) -> OpError {
        match error {
            BookError::Domain(domain) => OpError::Domain(domain),
            BookError::Store(store) => OpError::Store(store),
            BookError::Corrupt { seq, message } => OpError::Corrupt { seq, message },
            BookError::Input(message) => OpError::Input(message),
        }
    }
}

/// An outcome that does not fit the command that produced it: a bug, never a user's mistake.
pub(crate) fn unexpected(executed: &fairshare_book::Executed) -> OpError {
    OpError::Internal(format!(
        "event {}: unexpected outcome {:?}",
        executed.seq, executed.outcome
    ))
}
