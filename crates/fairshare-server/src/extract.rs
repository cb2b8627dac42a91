//! Extractors whose refusals are problem documents: a body, path or query that does not parse
//! is a 400 with serde's message (which names the field), an oversized body a 413.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The header that makes a write idempotent.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The header set on the answer to a retried write.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// Query parameters.
pub(crate) struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))
    }
}

/// The `Idempotency-Key` header, passed to the book as the event's key.
pub(crate) struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        match parts.headers.get(IDEMPOTENCY_KEY) {
            None => Ok(IdempotencyKey(None)),
            Some(value) => value
                .to_str()
                .map(|key| IdempotencyKey(Some(key.to_string())))
                .map_err(|_| {
                    ApiError::BadRequest(
                        "the Idempotency-Key header must be printable ASCII".to_string(),
                    )
                }),
        }
    }
}
