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

/// What `GET /api/v1/export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ExportFormatBody {
    /// The event log, one JSON event per line (`application/x-ndjson`), re-importable.
    #[default]
    Jsonl,
    /// A Beancount file with balance assertions (`text/plain`).
    Beancount,
    /// An hledger journal (`text/plain`).
    Hledger,
    /// A Ledger journal (`text/plain`).
    Ledger,
    /// ValueFlows as JSON-LD (`application/ld+json`).
    Valueflows,
    /// One row per contribution (`text/csv`).
    CsvContributions,
    /// One row per payout of a distribution (`text/csv`).
    CsvDistributions,
    /// One row per account and asset (`text/csv`).
    CsvBalances,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The format (default `jsonl`).
    pub format: Option<ExportFormatBody>,
}

// ---------------------------------------------------------------------------------------------
// Campaigns

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignCreate {
    /// The campaign's id, also the name of its account.
    pub id: String,
    /// The amount to raise.
    pub target: String,
    #[serde(default)]
    pub purpose: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PledgeRow {
    pub agent: String,
    pub amount: String,
}

/// A campaign (`campaign show --json`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CampaignOut {
    pub campaign: String,
    pub project: String,
    pub purpose: Option<String>,
    /// open, funded, cancelled or purchased.
    pub status: String,
    pub currency: String,
    pub target: String,
    pub raised: String,
    pub missing: String,
    /// Every pledge, in the order they came.
    pub pledges: Vec<PledgeRow>,
    /// Pledged per agent, in byte order of handle.
    pub pledged: BTreeMap<String, String>,
    pub resource: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CampaignRow {
    pub campaign: String,
    pub project: String,
    pub status: String,
    pub currency: String,
    pub target: String,
    pub raised: String,
    /// Number of pledges.
    pub pledges: usize,
    pub resource: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ByProjectQuery {
    /// Only this project's.
    pub project: Option<String>,
    /// Rows in the page (default 100, at most 1000).
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CampaignsOut {
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub next_offset: Option<usize>,
    pub campaigns: Vec<CampaignRow>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PledgeCreate {
    /// Who pledges (default: the caller). Affiliates pledge only for themselves.
    #[serde(default)]
    pub agent: Option<String>,
    pub amount: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Pledged {
    pub campaign: String,
    pub agent: String,
    /// The amount asked for.
    pub requested: String,
    /// The amount pledged: the request, or what was still missing when that was less.
    pub amount: String,
    pub cut: bool,
    pub funded: bool,
    pub raised: String,
    pub target: String,
    pub currency: String,
    pub replayed: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Cancelled {
    pub campaign: String,
    pub status: String,
    /// Everything refunded.
    pub total: String,
    pub currency: String,
    /// What each pledger got back, in byte order of handle.
    pub refunds: BTreeMap<String, String>,
    pub replayed: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseCreate {
    /// Name of the resource bought.
    pub resource: String,
    /// Risk premium of the co-owners' payback, in percent, e.g. `"20"`.
    pub premium_percent: String,
}

/// A co-owner as purchased: their pledge (their share) and payback cap.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OwnerCap {
    pub agent: String,
    pub pledge: String,
    /// What they are paid back at most: pledge x (1 + premium).
    pub cap: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Purchased {
    pub campaign: String,
    pub resource: String,
    pub amount: String,
    pub premium_percent: String,
    pub currency: String,
    /// Co-owners in byte order of handle.
    pub owners: Vec<OwnerCap>,
    pub replayed: bool,
}

// ---------------------------------------------------------------------------------------------
// Resources

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceCreate {
    pub name: String,
    /// An agent who contributes the resource, paid back its `value` (default: none, a
    /// commons held by the network).
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitShareBody {
    /// An account, or `payback` for the co-owners.
    pub to: String,
    pub percent: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeesSet {
    /// Use fee per hour.
    pub per_hour: String,
    #[serde(default)]
    pub material_per_unit: Option<String>,
    #[serde(default)]
    pub technician_per_hour: Option<String>,
    /// Use fee per hour for community use (default: free).
    #[serde(default)]
    pub community_per_hour: Option<String>,
    /// How the use fee splits, in order; percentages add up to 100.
    pub split: Vec<SplitShareBody>,
    /// Account of material sold at cost (default `materials`).
    #[serde(default)]
    pub material_to: Option<String>,
    /// Where the payback share goes once every co-owner is paid back (default `commons`).
    #[serde(default)]
    pub after_payback: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FeesOut {
    pub per_hour: String,
    pub material_per_unit: String,
    pub technician_per_hour: String,
    pub community_per_hour: Option<String>,
    pub split: Vec<SplitShareBody>,
    pub material_to: String,
    pub after_payback: String,
}

/// The answer to `PUT .../fees`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FeesSetOut {
    pub resource: String,
    pub currency: String,
    pub fees: FeesOut,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OwnerOut {
    pub agent: String,
    pub pledge: String,
    pub cap: String,
    pub received: String,
    pub outstanding: String,
}

/// One charged use in a resource's history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UseRow {
    #[serde(rename = "use")]
    pub use_id: u64,
    /// The event that recorded it.
    pub event: u64,
    pub agent: String,
    pub hours: String,
    pub community: bool,
    pub fee: String,
    /// What each account received, in byte order of the name.
    pub payouts: BTreeMap<String, String>,
}

/// A resource (`resource show --json`), with a page of its use history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResourceShow {
    pub resource: String,
    pub project: String,
    /// co-owned or commons.
    pub status: String,
    pub currency: String,
    pub value: Option<String>,
    pub campaign: Option<String>,
    pub owners: Vec<OwnerOut>,
    pub fees: Option<FeesOut>,
    /// Uses charged so far.
    pub uses: usize,
    /// Every fee charged, in total.
    pub fees_charged: String,
    pub offset: usize,
    pub limit: usize,
    pub next_offset: Option<usize>,
    pub history: Vec<UseRow>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResourceRow {
    pub resource: String,
    pub project: String,
    pub status: String,
    pub currency: String,
    /// Number of co-owners.
    pub owners: usize,
    /// Payback still owed to the co-owners.
    pub outstanding: String,
    pub uses: usize,
    pub fees_set: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResourcesOut {
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub next_offset: Option<usize>,
    pub resources: Vec<ResourceRow>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UseCreate {
    /// Who used it (default: the caller). Affiliates log only their own use.
    #[serde(default)]
    pub agent: Option<String>,
    pub hours: String,
    #[serde(default)]
    pub material_units: Option<String>,
    #[serde(default)]
    pub technician: Option<String>,
    #[serde(default)]
    pub technician_hours: Option<String>,
    /// Community (non-commercial) use, at the community rate.
    #[serde(default)]
    pub community: bool,
    /// Pay from the user's balance instead of from outside.
    #[serde(default)]
    pub from_balance: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChargeLine {
    pub label: String,
    pub to: String,
    pub amount: String,
}

/// The result of `POST .../uses` (`resource use --json`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Charged {
    pub resource: String,
    #[serde(rename = "use")]
    pub use_id: u64,
    pub agent: String,
    pub hours: String,
    pub community: bool,
    pub fee: String,
    pub currency: String,
    /// What each account received, in byte order of the name.
    pub payouts: BTreeMap<String, String>,
    /// Every line of the charge, labelled by the fee schedule.
    pub lines: Vec<ChargeLine>,
    /// This use paid the last co-owner back: the resource became a commons.
    pub became_commons: bool,
    /// The resource's status now.
    pub status: String,
    pub replayed: bool,
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
