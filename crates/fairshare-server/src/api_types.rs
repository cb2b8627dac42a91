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

// ---------------------------------------------------------------------------------------------
// Peer valuation

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoundCreate {
    /// Points each giver may give (default 100).
    #[serde(default)]
    pub budget: Option<u64>,
    /// Who may give and receive (default: every custodian and affiliate with a counted
    /// contribution who has not left).
    #[serde(default)]
    pub eligible: Option<Vec<String>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RoundOpened {
    pub round: u64,
    pub project: String,
    pub budget: u64,
    pub eligible: Vec<String>,
    pub replayed: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GiftCreate {
    /// The giver (default: the caller; only custodians name another).
    #[serde(default)]
    pub from: Option<String>,
    pub to: String,
    /// Points given; 0 takes a gift back.
    pub points: u64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Given {
    pub round: u64,
    pub from: String,
    pub to: String,
    pub points: u64,
    pub spent: u64,
    pub left: u64,
    pub replayed: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PeerShareRow {
    pub agent: String,
    pub received: u64,
    pub share: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RoundClosed {
    pub round: u64,
    pub project: String,
    pub total: u64,
    pub shares: Vec<PeerShareRow>,
    pub replayed: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GiverRow {
    pub agent: String,
    pub spent: u64,
    pub left: u64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RoundShow {
    pub round: u64,
    pub project: String,
    pub status: String,
    pub budget: u64,
    pub opened_on: String,
    pub closed_on: Option<String>,
    pub eligible: Vec<String>,
    pub opted_out: Vec<String>,
    /// giver -> recipient -> points
    pub gifts: BTreeMap<String, BTreeMap<String, u64>>,
    pub givers: Vec<GiverRow>,
    pub total: u64,
    /// The shares of an open round, as they would be if it closed now.
    pub provisional: bool,
    pub shares: Vec<PeerShareRow>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StewardCreate {
    pub agent: String,
    pub points: u64,
    pub reason: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StewardGiven {
    pub project: String,
    pub agent: String,
    pub points: u64,
    pub reason: String,
    pub by: String,
    pub agent_points: u64,
    pub total_points: u64,
    pub replayed: bool,
}

/// The blend of formula, peer and steward shares: decimals adding up to exactly 1.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlendBody {
    pub formula: String,
    pub peer: String,
    pub steward: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BlendSet {
    pub project: String,
    pub formula: String,
    pub peer: String,
    pub steward: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BountyCreate {
    pub task: String,
    /// In the project's currency.
    pub reward: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BountyAdded {
    pub project: String,
    pub currency: String,
    pub task: String,
    pub reward: String,
    pub description: Option<String>,
    pub status: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BountyComplete {
    /// The agent who did the task.
    pub agent: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BountyCompleted {
    pub project: String,
    pub task: String,
    pub agent: String,
    pub reward: String,
    pub currency: String,
    pub contribution: u64,
    pub value: String,
    pub approved_by: String,
    pub replayed: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolCreate {
    /// Units of the project's currency to allocate.
    pub size: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PoolLineOut {
    pub agent: String,
    pub share: String,
    pub bounty: String,
    pub by_share: String,
    pub units: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PoolOut {
    pub pool: u64,
    pub project: String,
    pub date: String,
    pub key: Option<String>,
    pub size: String,
    pub currency: String,
    pub bounties: Vec<String>,
    pub units: BTreeMap<String, String>,
    pub lines: Vec<PoolLineOut>,
    pub replayed: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaveCreate {
    pub agent: String,
    /// A good leaver keeps their value; a bad one forfeits by the project's policy.
    pub good: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ValueChangeOut {
    pub contribution: u64,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LeftOut {
    pub project: String,
    pub agent: String,
    pub good: bool,
    pub forfeited: String,
    pub currency: String,
    pub changes: Vec<ValueChangeOut>,
    pub forfeited_bounties: Vec<String>,
    pub replayed: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaptableQuery {
    /// Values decayed to this day, `YYYY-MM-DD` (default: today).
    pub as_of: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CapRowOut {
    pub handle: String,
    pub value: String,
    pub share: String,
    pub units: String,
    pub units_share: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CaptableOut {
    pub project: String,
    pub as_of: String,
    pub currency: String,
    pub recorded: Option<u64>,
    pub rows: Vec<CapRowOut>,
}
