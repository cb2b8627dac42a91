//! Why the core refuses something. Every message names the problem and, where it helps, what
//! to do instead; the edges map the kind to an exit status or an HTTP status.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    /// Malformed or out-of-range input: a bad amount, negative hours, a plan over 100%.
    #[error("{0}")]
    Invalid(String),
    /// Something named does not exist: an unknown agent, project, contribution.
    #[error("{0}")]
    NotFound(String),
    /// The request clashes with the book: a duplicate handle, a reused idempotency key.
    #[error("{0}")]
    Conflict(String),
    /// The actor's role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// A stored event does not replay: the log was damaged or forged.
    #[error("{0}")]
    Corrupt(String),
}

impl DomainError {
    pub fn invalid(message: impl Into<String>) -> Self {
        DomainError::Invalid(message.into())
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        DomainError::NotFound(message.into())
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        DomainError::Conflict(message.into())
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        DomainError::Forbidden(message.into())
    }
    /// A short machine-readable name of the kind, for JSON errors.
    pub fn kind(&self) -> &'static str {
        match self {
            DomainError::Invalid(_) => "invalid",
            DomainError::NotFound(_) => "not-found",
            DomainError::Conflict(_) => "conflict",
            DomainError::Forbidden(_) => "forbidden",
            DomainError::Corrupt(_) => "corrupt",
        }
    }
}

pub type DomainResult<T> = Result<T, DomainError>;
