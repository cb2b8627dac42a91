//! The API's JSON: request bodies and queries (strict: unknown fields are refused) and
//! responses. Amounts, hours, rates, factors and percentages are decimal strings, parsed
//! exactly by the core with the project's exponent: `"12000.00"`, never `12000.0`.
//!
//! Response shapes follow the command line's `--json` output where it has one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

// ---------------------------------------------------------------------------------------------
// Shared

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusBody {
    Pending,
    Approved,
    Rejected,
}

/// `?limit=&offset=` of a list: at most [`crate::PAGE_LIMIT_MAX`] rows, 100 by default.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Rows in the page (default 100, at most 1000).
    pub limit: Option<usize>,
    /// Rows to skip.
    pub offset: Option<usize>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HealthOut {
    pub status: String,
    /// Events in the book as this server knows it.
    pub events: u64,
}

// ---------------------------------------------------------------------------------------------
// Agents

// ---------------------------------------------------------------------------------------------
// Projects and policies

// ---------------------------------------------------------------------------------------------
// Contributions

// ---------------------------------------------------------------------------------------------
// Shares

// ---------------------------------------------------------------------------------------------
// Plans

// ---------------------------------------------------------------------------------------------
// Revenue, distributions, statements, balances

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LineOut {
    /// Bucket number, from 1; one past the last is the unallocated rest.
    pub bucket: u32,
    pub bucket_label: String,
    pub to: String,
    pub amount: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatementOut {
    pub distribution: u64,
    pub project: String,
    pub date: String,
    pub key: Option<String>,
    pub from: Option<String>,
    pub amount: String,
    pub currency: String,
    pub plan_version: u32,
    pub payouts: BTreeMap<String, String>,
    pub lines: Vec<LineOut>,
}

// ---------------------------------------------------------------------------------------------
// The log

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The format (default `jsonl`): jsonl, csv, beancount, hledger, ledger, valueflows,
    /// csv-contributions, csv-distributions or csv-balances.
    pub format: Option<String>,
}
