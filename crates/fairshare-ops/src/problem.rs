//! The problem document (RFC 9457) of every error the API answers: written by the server,
//! read by the remote CLI, one type for both.

use serde::{Deserialize, Serialize};

/// An error, as `application/problem+json` (RFC 9457).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// `urn:fairshare:problem:KIND`: bad-request, unauthenticated, forbidden, not-found,
    /// conflict, payload-too-large, invalid, unavailable, internal.
    #[serde(rename = "type")]
    pub r#type: String,
    pub title: String,
    pub status: u16,
    /// What is wrong, in words (the core's message for a refusal).
    pub detail: String,
    /// The request field at fault, by its JSON name (absent when the problem is not one
    /// field's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The value refused, as the request wrote it, when the refusal quotes it (a client that
    /// names the field in its own words then knows the user already sees what was wrong).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// A change refused because it changes a rule of a project or of the network governed by
    /// proposals: the project's slug, or `network`. It may be proposed instead, as a change
    /// of `POST /api/v1/proposals` with this `project`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propose_in: Option<String>,
}
