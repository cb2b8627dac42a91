//! Every failure of a request, mapped to its HTTP status in ONE place, and rendered as
//! `application/problem+json` (RFC 9457): `type`, `title`, `status`, `detail`.
//!
//! Refusals carry the core's message, which names the problem. Storage and internal failures
//! are logged in full and answered with a generic detail: a database error may name hosts,
//! schemas or file paths that are none of the client's business.

use axum::http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use fairshare_book::BookError;
use fairshare_core::{DomainError, ErrorKind};
use fairshare_store::StoreError;
use thiserror::Error;

use crate::api_types::Problem;
use fairshare_store::credentials::CredentialError;

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, Error)]
pub enum ApiError {
    /// Malformed request: JSON that does not parse, unknown fields, wrong types, a bad header.
    #[error("{0}")]
    BadRequest(String),
    /// No credentials, or bad ones, where they are needed.
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// Clashes with the book: a taken name, a reused idempotency key, a closed campaign.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Well-formed but refused input: a bad amount, negative hours, an over-precise amount.
    #[error("{0}")]
    Invalid(String),
    /// A refusal of the core or of an operation: its kind gives the status, and it may name
    /// the request field at fault.
    #[error("{0}")]
    Refused(DomainError),
    /// Too many failed logins or bad keys from this account or address, or keyless requests
    /// from one address: try again after the given seconds (`Retry-After`).
    #[error("{0}")]
    TooManyRequests(String, u64),
    /// Too many logins waiting for the password hasher: try again after the given seconds.
    #[error("{0}")]
    Busy(String, u64),
    /// The book's storage failed (logged, not shown).
    #[error("storage: {0}")]
    Unavailable(String),
    /// A bug or a damaged book (logged, not shown).
    #[error("internal: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Refused(error) => match error.kind() {
                ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
                ErrorKind::NotFound => StatusCode::NOT_FOUND,
                ErrorKind::Conflict => StatusCode::CONFLICT,
                ErrorKind::Forbidden => StatusCode::FORBIDDEN,
                ErrorKind::Corrupt => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::TooManyRequests(..) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) | ApiError::Busy(..) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A keyless request refused by the rate limit: `what` was asked too often from one
    /// address, and may be asked again after `wait`.
    pub fn too_many(what: &str, wait: std::time::Duration) -> ApiError {
        let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let retry_after = retry_after.max(1);
        ApiError::TooManyRequests(
            format!("too many {what} from this address: try again in {retry_after} s"),
            retry_after,
        )
    }

    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::Invalid(message.into())
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::NotFound(message.into())
    }

    /// The request field a refusal names (its JSON name), if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ApiError::Refused(error) => error.field_name(),
            _ => None,
        }
    }

    /// The value a refusal quotes, as the request wrote it, if any.
    pub fn value(&self) -> Option<&str> {
        match self {
            ApiError::Refused(error) => error.details().and_then(|d| d.value.as_deref()),
            _ => None,
        }
    }

    /// Where the refused change may be proposed instead, as requests spell it.
    pub fn propose_in(&self) -> Option<&str> {
        match self {
            ApiError::Refused(error) => error
                .details()
                .and_then(|d| d.propose_in.as_ref())
                .map(fairshare_core::ProposeIn::as_str),
            _ => None,
        }
    }

    /// What the client is told.
    pub(crate) fn detail(&self) -> String {
        match self {
            ApiError::Unavailable(_) => {
                "the book's storage is unavailable; try again later".to_string()
            }
            ApiError::Internal(_) => {
                "the server failed to handle this request; the operator can see why in its log"
                    .to_string()
            }
            other => other.to_string(),
        }
    }
}

/// The problem document of a refusal that names the request field at fault.
pub fn problem_at(status: StatusCode, detail: String, field: Option<&str>) -> Problem {
    let kind = match status {
        StatusCode::BAD_REQUEST => "bad-request",
        StatusCode::UNAUTHORIZED => "unauthenticated",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not-found",
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "payload-too-large",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        StatusCode::TOO_MANY_REQUESTS => "too-many-requests",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        _ if status.is_server_error() => "internal",
        _ => "error",
    };
    Problem {
        r#type: format!("urn:fairshare:problem:{kind}"),
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        detail,
        field: field.map(str::to_string),
        value: None,
        propose_in: None,
    }
}

pub fn problem_response(status: StatusCode, detail: String) -> Response {
    problem_response_at(status, detail, None)
}

fn problem_response_at(status: StatusCode, detail: String, error: Option<&ApiError>) -> Response {
    let problem = Problem {
        value: error.and_then(ApiError::value).map(str::to_string),
        propose_in: error.and_then(ApiError::propose_in).map(str::to_string),
        ..problem_at(status, detail, error.and_then(ApiError::field))
    };
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            ApiError::Unavailable(message) => tracing::error!(%message, "storage failure"),
            ApiError::Internal(message) => tracing::error!(%message, "internal failure"),
            _ => {}
        }
        let mut response = problem_response_at(status, self.detail(), Some(&self));
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let ApiError::TooManyRequests(_, seconds) | ApiError::Busy(_, seconds) = &self {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(*seconds));
        }
        response
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> ApiError {
        match error.kind() {
            ErrorKind::Corrupt => ApiError::Internal(format!("corrupt book: {error}")),
            _ => ApiError::Refused(error),
        }
    }
}

impl From<fairshare_ops::OpError> for ApiError {
    fn from(error: fairshare_ops::OpError) -> ApiError {
        use fairshare_ops::{Failure, OpError};
        let message = error.to_string();
        match error {
            OpError::Domain(domain) => domain.into(),
            _ => match error.failure() {
                Failure::Storage | Failure::Input => ApiError::Unavailable(message),
                _ => ApiError::Internal(message),
            },
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        ApiError::Unavailable(error.to_string())
    }
}

impl From<BookError> for ApiError {
    fn from(error: BookError) -> ApiError {
        match error {
            BookError::Domain(domain) => domain.into(),
            BookError::Store(store) => store.into(),
            BookError::Corrupt { seq, message } => {
                ApiError::Internal(format!("corrupt book at event {seq}: {message}"))
            }
            // `execute_batch` reports a failed catch-up (a storage failure) as `Input`.
            BookError::Input(message) => ApiError::Unavailable(message),
            #[allow(unreachable_patterns)]
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<CredentialError> for ApiError {
    fn from(error: CredentialError) -> ApiError {
        match error {
            CredentialError::Invalid(m) => ApiError::Invalid(m),
            CredentialError::NotFound(m) => ApiError::NotFound(m),
            CredentialError::Backend(m) => ApiError::Unavailable(m),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(error: tokio::task::JoinError) -> ApiError {
        ApiError::Internal(format!("a blocking task failed: {error}"))
    }
}

/// Turns every error response the handlers did not write themselves (an unknown route, a
/// wrong method, tower-http's 413, axum's own rejections) into a problem document too.
pub async fn problem_for_plain_errors(response: Response) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    // The dashboard's pages answer errors in HTML, for people.
    let is_html = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem || is_html {
        return response;
    }
    let detail = match status {
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "the request body is larger than the limit of {} bytes",
            crate::BODY_LIMIT_BYTES
        ),
        StatusCode::NOT_FOUND => "no such route: see /api/openapi.json".to_string(),
        StatusCode::METHOD_NOT_ALLOWED => {
            "this route does not take that method: see /api/openapi.json".to_string()
        }
        other => other
            .canonical_reason()
            .unwrap_or("the request failed")
            .to_string(),
    };
    let mut fixed = problem_response(status, detail);
    // Keep headers such as `Allow` on a 405.
    for (name, value) in response.headers() {
        if name != CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            fixed.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fixed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_and_detail(error: ApiError) -> (u16, String) {
        let status = error.status().as_u16();
        (status, error.detail())
    }

    #[test]
    fn each_kind_has_its_status() {
        let cases = [
            (DomainError::invalid("bad amount"), 422),
            (DomainError::not_found("unknown agent"), 404),
            (DomainError::conflict("taken"), 409),
            (DomainError::forbidden("observers read"), 403),
        ];
        for (domain, status) in cases {
            let message = domain.to_string();
            assert_eq!(status_and_detail(domain.into()), (status, message));
        }
        let corrupt = ApiError::from(DomainError::corrupt("event 3"));
        assert_eq!(corrupt.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn storage_failures_are_not_shown() {
        let store = StoreError::Backend("open postgres://alice@db.internal/books: refused".into());
        let (status, detail) = status_and_detail(BookError::Store(store).into());
        assert_eq!(status, 503);
        assert!(
            !detail.contains("alice") && !detail.contains("db.internal"),
            "{detail}"
        );
        let (status, detail) =
            status_and_detail(BookError::Input("catch-up: disk I/O".into()).into());
        assert_eq!(status, 503);
        assert!(!detail.contains("disk"), "{detail}");
    }

    #[test]
    fn problems_name_their_kind() {
        let problem = problem_at(StatusCode::UNPROCESSABLE_ENTITY, "x".into(), Some("amount"));
        assert_eq!(problem.field.as_deref(), Some("amount"));
        assert_eq!(problem.r#type, "urn:fairshare:problem:invalid");
        assert_eq!(problem.title, "Unprocessable Entity");
        assert_eq!(problem.status, 422);
    }
}
