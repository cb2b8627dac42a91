//! Why the core refuses something. Every refusal has a kind (which the edges map to an exit
//! status or an HTTP status), a message that names the problem in words a member of any front
//! end understands, and, where it helps, structured details: which request field, which value,
//! which limit. The core never names a front end's spelling (a CLI flag, a JSON pointer): each
//! front end phrases the field in its own words.

use std::fmt;

/// The kind of a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Malformed or out-of-range input: a bad amount, negative hours, a plan over 100%.
    Invalid,
    /// Something named does not exist: an unknown agent, project, contribution.
    NotFound,
    /// The request clashes with the book: a duplicate handle, a reused idempotency key.
    Conflict,
    /// The actor's role does not allow this.
    Forbidden,
    /// A stored event does not replay: the log was damaged or forged.
    Corrupt,
}

impl ErrorKind {
    /// A short machine-readable name, for JSON errors.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Invalid => "invalid",
            ErrorKind::NotFound => "not-found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::Corrupt => "corrupt",
        }
    }
}

/// A refusal of the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainError {
    kind: ErrorKind,
    message: String,
    /// Rare, so boxed: a `DomainResult` stays small on the hot paths.
    details: Option<Box<Details>>,
}

/// What a refusal is about, for front ends to phrase.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Details {
    /// The request field at fault, by its JSON name in the command (`reason`, `per_hour`); a
    /// field of a nested object is dotted (`hatch.price`).
    pub field: Option<&'static str>,
    /// The value refused, as the request wrote it.
    pub value: Option<String>,
    /// The limit the value passed (`2000 bytes`, `1000000000000.00`).
    pub limit: Option<String>,
    /// Where the refused change may be proposed instead: it changes a rule of a project (or
    /// of the network) governed by proposals. Each front end says how to propose it.
    pub propose_in: Option<ProposeIn>,
}

/// What a change governed by proposals is proposed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProposeIn {
    /// The network's rules: agents, roles, new projects, its governance.
    Network,
    /// A project's rules, by its slug.
    Project(String),
}

impl ProposeIn {
    /// As requests spell it: the project's slug, or `network`.
    pub fn as_str(&self) -> &str {
        match self {
            ProposeIn::Network => "network",
            ProposeIn::Project(slug) => slug,
        }
    }
}

impl DomainError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        DomainError {
            kind,
            message: message.into(),
            details: None,
        }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        DomainError::new(ErrorKind::Invalid, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        DomainError::new(ErrorKind::NotFound, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        DomainError::new(ErrorKind::Conflict, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        DomainError::new(ErrorKind::Forbidden, message)
    }
    pub fn corrupt(message: impl Into<String>) -> Self {
        DomainError::new(ErrorKind::Corrupt, message)
    }

    /// Names the request field at fault (its JSON name).
    pub fn field(mut self, field: &'static str) -> Self {
        self.details_mut().field = Some(field);
        self
    }
    /// Records the value refused.
    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.details_mut().value = Some(value.into());
        self
    }
    /// Records the limit the value passed.
    pub fn limit(mut self, limit: impl Into<String>) -> Self {
        self.details_mut().limit = Some(limit.into());
        self
    }
    /// Records where the refused change may be proposed instead.
    pub fn propose_in(mut self, scope: ProposeIn) -> Self {
        self.details_mut().propose_in = Some(scope);
        self
    }

    fn details_mut(&mut self) -> &mut Details {
        self.details.get_or_insert_with(Default::default)
    }

    /// Names the request field (and the value quoted), unless the refusal names a field
    /// already: the check nearest the field knows it best.
    pub(crate) fn or_field(mut self, field: &'static str, value: Option<String>) -> Self {
        if self.field_name().is_none() {
            let details = self.details_mut();
            details.field = Some(field);
            if value.is_some() && details.value.is_none() {
                details.value = value;
            }
        }
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    pub fn is(&self, kind: ErrorKind) -> bool {
        self.kind == kind
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    pub fn details(&self) -> Option<&Details> {
        self.details.as_deref()
    }
    /// The request field at fault, if the refusal names one.
    pub fn field_name(&self) -> Option<&'static str> {
        self.details.as_ref().and_then(|d| d.field)
    }
    /// The same refusal with another message (a caller adding context).
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DomainError {}

pub type DomainResult<T> = Result<T, DomainError>;

/// A request field as the core's refusals name it: its JSON name in the command (what front
/// ends get as [`Details::field`]) and the words a message uses for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field {
    pub name: &'static str,
    pub what: &'static str,
}

impl Field {
    pub(crate) const fn new(name: &'static str, what: &'static str) -> Field {
        Field { name, what }
    }

    /// A field whose messages call it by its JSON name (`hours`, `reason`).
    pub(crate) const fn named(name: &'static str) -> Field {
        Field { name, what: name }
    }
}

/// Names the request field of a refusal that comes from a lookup or a shared check (an
/// unknown agent named by `from`, an amount given as `target`), unless it names one already.
pub(crate) trait About: Sized {
    /// The refusal is about `field`.
    fn about(self, field: &'static str) -> Self;
    /// The refusal is about `field`, whose value its message quotes (made text only for a
    /// refusal).
    fn about_value(self, field: &'static str, value: impl fmt::Display) -> Self;
}

impl<T> About for DomainResult<T> {
    #[inline]
    fn about(self, field: &'static str) -> Self {
        self.map_err(|e| e.or_field(field, None))
    }

    #[inline]
    fn about_value(self, field: &'static str, value: impl fmt::Display) -> Self {
        self.map_err(|e| e.or_field(field, Some(value.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_kept_beside_the_message() {
        let error = DomainError::invalid("a rejection needs a reason")
            .field("reason")
            .value("")
            .limit("2000 bytes");
        assert_eq!(error.kind(), ErrorKind::Invalid);
        assert_eq!(error.to_string(), "a rejection needs a reason");
        assert_eq!(error.field_name(), Some("reason"));
        let details = error.details().expect("details");
        assert_eq!(details.value.as_deref(), Some(""));
        assert_eq!(details.limit.as_deref(), Some("2000 bytes"));
        assert_eq!(DomainError::not_found("x").details(), None);
    }

    #[test]
    fn a_field_named_near_the_check_is_kept() {
        let inner: DomainResult<()> = Err(DomainError::invalid("x").field("hatch.price"));
        let error = inner.about_value("hatch", "h").unwrap_err();
        assert_eq!(error.field_name(), Some("hatch.price"));
        assert_eq!(error.details().and_then(|d| d.value.as_deref()), None);
        let plain: DomainResult<()> = Err(DomainError::not_found("unknown agent \"zed\""));
        let error = plain.about_value("from", "zed").unwrap_err();
        assert_eq!(error.field_name(), Some("from"));
        assert_eq!(
            error.details().and_then(|d| d.value.as_deref()),
            Some("zed")
        );
        assert_eq!(error.message(), "unknown agent \"zed\"");
    }

    #[test]
    fn a_refusal_stays_small() {
        assert!(std::mem::size_of::<DomainError>() <= 40);
    }
}
