//! The JSON of the few routes that are not operations of `fairshare-ops`: errors, health and
//! the export's query. Every operation's request and view lives in `fairshare-ops`.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An error, as `application/problem+json` (RFC 9457).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
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
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HealthOut {
    pub status: String,
    /// Events in the book as this server knows it.
    pub events: u64,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The format (default `jsonl`): jsonl, csv, beancount, hledger, ledger, valueflows,
    /// csv-contributions, csv-distributions or csv-balances.
    pub format: Option<String>,
}
