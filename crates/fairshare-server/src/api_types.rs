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
// Tokens

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RedemptionBody {
    /// At net asset value: a share of the reserve proportional to the tokens burned.
    Nav,
    /// On a bonding curve of exponent 2, with entry and exit tributes.
    Curve,
}

/// The initial raise of a curve token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HatchBody {
    pub raised: String,
    pub price: String,
    #[serde(default)]
    pub tribute_percent: Option<String>,
    #[serde(default)]
    pub holder: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenCreate {
    /// Upper-case letters or digits, such as `BIKE`.
    pub symbol: String,
    pub exponent: u32,
    /// Tokens minted per unit of counted contribution value (default `"1"`).
    #[serde(default)]
    pub mint_per_value: Option<String>,
    pub redemption: RedemptionBody,
    #[serde(default)]
    pub exit_fee_percent: Option<String>,
    #[serde(default)]
    pub entry_tribute_percent: Option<String>,
    #[serde(default)]
    pub exit_tribute_percent: Option<String>,
    #[serde(default)]
    pub funding_to: Option<String>,
    #[serde(default)]
    pub curve_exponent: Option<u32>,
    #[serde(default)]
    pub hatch: Option<HatchBody>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HolderRow {
    pub holder: String,
    pub balance: String,
    /// balance / supply
    pub share: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IssuanceRow {
    /// Sequence number of the event.
    pub event: u64,
    pub date: String,
    /// hatch, pre-sale, contribution N, buy or redemption
    pub cause: String,
    pub holder: String,
    /// Positive for a mint, negative for a burn.
    pub tokens: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentRow {
    pub event: u64,
    pub from: String,
    pub project: String,
    pub tokens: String,
    pub value: String,
}

/// A token: terms, supply, reserve, prices, holders, and a page of its issuance and payments.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenShow {
    pub token: String,
    pub project: String,
    pub exponent: u32,
    pub currency: String,
    pub redemption: String,
    pub mint_per_value: String,
    pub exit_fee_percent: String,
    pub entry_tribute_percent: String,
    pub exit_tribute_percent: String,
    pub reserve_account: String,
    pub funding_account: String,
    pub supply: String,
    pub minted: String,
    pub burned: String,
    pub reserve: String,
    pub funding: String,
    /// Reserve / supply per whole token, rounded down; null without supply.
    pub redemption_price: Option<String>,
    /// Curve only: 2 x reserve / supply, rounded down.
    pub spot_price: Option<String>,
    pub accepted_by: BTreeMap<String, String>,
    pub holders: Vec<HolderRow>,
    pub offset: usize,
    pub limit: usize,
    pub issuance_total: usize,
    pub next_offset: Option<usize>,
    pub issuance: Vec<IssuanceRow>,
    pub payments_total: usize,
    pub payments: Vec<PaymentRow>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HatchOut {
    pub holder: String,
    pub raised: String,
    pub tribute: String,
    pub into_reserve: String,
    pub tokens: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenCreated {
    #[serde(flatten)]
    pub token: TokenShow,
    pub hatch: Option<HatchOut>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenRow {
    pub token: String,
    pub project: String,
    pub redemption: String,
    pub currency: String,
    pub supply: String,
    pub reserve: String,
    pub redemption_price: Option<String>,
    pub holders: usize,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokensOut {
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub next_offset: Option<usize>,
    pub tokens: Vec<TokenRow>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresaleCreate {
    /// The buyer (default: the caller).
    #[serde(default)]
    pub agent: Option<String>,
    pub amount: String,
    /// Price per whole token in the project's currency.
    pub price: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuyCreate {
    /// The buyer (default: the caller).
    #[serde(default)]
    pub agent: Option<String>,
    pub amount: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemCreate {
    /// The holder (default: the caller); an agent or a project.
    #[serde(default)]
    pub agent: Option<String>,
    pub tokens: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DonateCreate {
    /// The donor (default: the caller).
    #[serde(default)]
    pub agent: Option<String>,
    pub amount: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferCreate {
    /// The holder sending (default: the caller).
    #[serde(default)]
    pub from: Option<String>,
    pub to: String,
    pub tokens: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayCreate {
    /// The payer (default: the caller).
    #[serde(default)]
    pub from: Option<String>,
    /// The accepting project.
    pub project: String,
    pub tokens: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptCreate {
    pub token: String,
    /// Units of the project's currency per token.
    pub rate: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Presold {
    pub token: String,
    pub agent: String,
    pub amount: String,
    pub price: String,
    pub tokens: String,
    pub supply: String,
    pub reserve: String,
    pub currency: String,
    pub replayed: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Bought {
    pub token: String,
    pub agent: String,
    pub amount: String,
    pub tribute: String,
    pub into_reserve: String,
    pub tokens: String,
    pub supply: String,
    pub reserve: String,
    pub spot_price: Option<String>,
    pub currency: String,
    pub replayed: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Redeemed {
    pub token: String,
    pub agent: String,
    pub tokens: String,
    pub gross: String,
    /// The exit fee (NAV, kept in the reserve) or exit tribute (curve, to funding).
    pub fee: String,
    pub fee_to: String,
    pub payout: String,
    pub supply: String,
    pub reserve: String,
    pub currency: String,
    pub replayed: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Donated {
    pub token: String,
    pub agent: String,
    pub amount: String,
    pub reserve: String,
    pub supply: String,
    pub redemption_price: Option<String>,
    pub currency: String,
    pub replayed: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Transferred {
    pub token: String,
    pub from: String,
    pub to: String,
    pub tokens: String,
    pub from_balance: String,
    pub to_balance: String,
    pub replayed: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Accepted {
    pub project: String,
    pub token: String,
    pub rate: String,
    pub currency: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Paid {
    pub token: String,
    pub from: String,
    pub project: String,
    pub tokens: String,
    pub rate: String,
    /// What the payment is worth to the accepting project, in its currency (rounded down).
    pub value: String,
    pub currency: String,
    pub replayed: bool,
}
