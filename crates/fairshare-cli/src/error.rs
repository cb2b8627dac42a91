//! How a failure is reported: its kind (for `--json` and scripts) and the exit status.

use std::fmt;

use fairshare_book::BookError;
use fairshare_core::DomainError;
use fairshare_ops::{Failure, OpError};
use fairshare_store::StoreError;

use crate::remote::RemoteError;

/// Exit status of a storage, I/O or other unexpected failure.
pub const EXIT_FAILURE: u8 = 1;
/// Exit status of refused input: invalid, not found, conflicting or forbidden.
pub const EXIT_REFUSED: u8 = 2;
/// Exit status of a corrupt book or a failed `verify`.
pub const EXIT_CORRUPT: u8 = 3;
/// Exit status of a command that works only on a local book, run against a server.
pub const EXIT_LOCAL_ONLY: u8 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Invalid,
    NotFound,
    Conflict,
    Forbidden,
    Corrupt,
    Storage,
    Input,
    /// A command that needs the book itself (import, serve, backup…) in client mode.
    LocalOnly,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Invalid => "invalid",
            ErrorKind::NotFound => "not-found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::Corrupt => "corrupt",
            ErrorKind::Storage => "storage",
            ErrorKind::Input => "input",
            ErrorKind::LocalOnly => "local-only",
        }
    }

    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Invalid
            | ErrorKind::NotFound
            | ErrorKind::Conflict
            | ErrorKind::Forbidden => EXIT_REFUSED,
            ErrorKind::Corrupt => EXIT_CORRUPT,
            ErrorKind::Storage | ErrorKind::Input => EXIT_FAILURE,
            ErrorKind::LocalOnly => EXIT_LOCAL_ONLY,
        }
    }

    fn of_domain(error: &DomainError) -> ErrorKind {
        Failure::from(error.kind()).into()
    }
}

impl From<Failure> for ErrorKind {
    fn from(failure: Failure) -> ErrorKind {
        match failure {
            Failure::Invalid => ErrorKind::Invalid,
            Failure::NotFound => ErrorKind::NotFound,
            Failure::Conflict => ErrorKind::Conflict,
            Failure::Forbidden => ErrorKind::Forbidden,
            Failure::Corrupt => ErrorKind::Corrupt,
            Failure::Input => ErrorKind::Input,
            Failure::Storage | Failure::Internal => ErrorKind::Storage,
        }
    }
}

/// A failure the CLI itself detects (a missing book, a bad file, a bad option value).
#[derive(Debug)]
pub struct CliError {
    pub kind: ErrorKind,
    pub message: String,
}

impl CliError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> CliError {
        CliError {
            kind,
            message: message.into(),
        }
    }
    pub fn invalid(message: impl Into<String>) -> CliError {
        CliError::new(ErrorKind::Invalid, message)
    }
    pub fn input(message: impl Into<String>) -> CliError {
        CliError::new(ErrorKind::Input, message)
    }
    pub fn conflict(message: impl Into<String>) -> CliError {
        CliError::new(ErrorKind::Conflict, message)
    }
    pub fn storage(message: impl Into<String>) -> CliError {
        CliError::new(ErrorKind::Storage, message)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// The kind of the first error in the chain that has one; anything unrecognised is a storage
/// (I/O) failure, since every refusal of input is typed where it is detected.
pub fn classify(error: &anyhow::Error) -> ErrorKind {
    for cause in error.chain() {
        if let Some(e) = cause.downcast_ref::<CliError>() {
            return e.kind;
        }
        if let Some(e) = cause.downcast_ref::<RemoteError>() {
            return e.kind;
        }
        if let Some(e) = cause.downcast_ref::<OpError>() {
            return e.failure().into();
        }
        if let Some(e) = cause.downcast_ref::<BookError>() {
            return match e {
                BookError::Domain(domain) => ErrorKind::of_domain(domain),
                BookError::Store(_) => ErrorKind::Storage,
                BookError::Corrupt { .. } => ErrorKind::Corrupt,
                BookError::Input(_) => ErrorKind::Input,
                #[allow(unreachable_patterns)]
                _ => ErrorKind::Storage,
            };
        }
        if let Some(e) = cause.downcast_ref::<DomainError>() {
            return ErrorKind::of_domain(e);
        }
        if cause.downcast_ref::<StoreError>().is_some() {
            return ErrorKind::Storage;
        }
    }
    ErrorKind::Storage
}

/// The core's refusal a cause carries, if it is one.
fn domain_of<'a>(cause: &'a (dyn std::error::Error + 'static)) -> Option<&'a DomainError> {
    match (
        cause.downcast_ref::<OpError>(),
        cause.downcast_ref::<BookError>(),
    ) {
        (Some(OpError::Domain(domain)), _) | (_, Some(BookError::Domain(domain))) => Some(domain),
        _ => cause.downcast_ref::<DomainError>(),
    }
}

/// Where a refused change may be proposed instead, from a local refusal or a server's.
fn propose_in(error: &anyhow::Error) -> Option<String> {
    error.chain().find_map(|cause| {
        let domain = domain_of(cause);
        let local = domain
            .and_then(DomainError::details)
            .and_then(|details| details.propose_in.as_ref())
            .map(|scope| scope.as_str().to_string());
        let remote = cause
            .downcast_ref::<RemoteError>()
            .and_then(|remote| remote.propose_in.clone());
        local.or(remote)
    })
}

/// The flag a request field is spelled with on this command line, where it is a flag.
fn flag_of(field: &str) -> Option<&'static str> {
    Some(match field {
        "reason" => "--reason TEXT",
        "about" => "--about TEXT",
        "category" => "--category",
        "rate" => "--rate",
        "value" => "--value AMOUNT",
        "of" => "--of CONTRIBUTION",
        "percent" => "--percent P",
        "key" => "--key KEY",
        "limit" => "--limit N",
        "date" => "--date YYYY-MM-DD",
        "as_of" => "--as-of YYYY-MM-DD",
        "eligible" => "--eligible A,B,...",
        "technician" => "--technician AGENT",
        "technician_hours" => "--technician-hours H",
        "reference" => "--reference TEXT",
        "for" => "--for TEXT",
        "asset" => "--asset CODE",
        "status" => "--status pending|paid|rejected",
        "columns" => "--columns SPEC",
        "map" => "--map SPEC",
        "map_lines" => "--map-file FILE",
        _ => return None,
    })
}

/// The message of a failure in this command line's words: a refusal that names a request
/// field without quoting its value (a field missing, or one the command does not take) gets
/// the flag that sets it; one that quotes what was typed points at it already. A change that
/// must be proposed instead gets the `propose` command that would carry it.
pub fn phrase(error: &anyhow::Error) -> String {
    let message = format!("{error:#}");
    if let Some(scope) = propose_in(error) {
        let whose = match scope.as_str() {
            "network" => "--network".to_string(),
            project => project.to_string(),
        };
        return format!("{message} (`propose {whose} --title TEXT -- COMMAND`)");
    }
    let field = error.chain().find_map(|cause| {
        let domain = domain_of(cause);
        let remote = cause
            .downcast_ref::<RemoteError>()
            .filter(|remote| !remote.quotes_value)
            .and_then(|remote| remote.field.as_deref());
        domain
            .and_then(DomainError::details)
            .filter(|details| details.value.is_none())
            .and_then(|details| details.field)
            .or(remote)
    });
    match field.and_then(flag_of) {
        Some(flag) => format!("{message} ({flag})"),
        None => message,
    }
}
