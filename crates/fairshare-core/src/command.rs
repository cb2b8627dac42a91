//! Commands (what someone asks for) and outcomes (what the core decided).
//!
//! The log stores both: the command as it was asked, and the outcome the core computed for
//! it (ids, values, every payout line). Replaying applies outcomes; `verify` decides every
//! command again and checks that it gets the same outcome.

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::model::{Kind, Plan, Role};
use crate::resources::{Owner, SplitShare};
use crate::value::Value;

fn is_false(flag: &bool) -> bool {
    !*flag
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Every change to a book. Amounts and decimals are kept as the strings the user wrote; the
/// core parses them with the project's exponent when it decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    AddAgent {
        handle: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        role: Role,
    },
    AddProject {
        slug: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        currency: String,
        exponent: u32,
        #[serde(default, skip_serializing_if = "is_zero")]
        approvals: u32,
    },
    SetRate {
        project: String,
        category: String,
        per_hour: String,
    },
    SetSkill {
        project: String,
        agent: String,
        factor: String,
    },
    SetMultiplier {
        project: String,
        kind: Kind,
        factor: String,
    },
    /// Sets (or with `None` removes) the half-life of contribution values, in days.
    SetHalfLife {
        project: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        days: Option<String>,
    },
    /// Logs a contribution. Which fields apply depends on the kind: work takes `hours` and
    /// `category`; cash and material take `amount`; use takes `hours` and `rate`; cite takes
    /// `value`.
    Log {
        project: String,
        agent: String,
        kind: Kind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        category: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hours: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        amount: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rate: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        date: Option<Date>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        #[serde(default, skip_serializing_if = "is_false")]
        gift: bool,
        #[serde(default, skip_serializing_if = "is_false")]
        reimbursable: bool,
    },
    Approve {
        id: u64,
    },
    Reject {
        id: u64,
        reason: String,
    },
    SetPlan {
        project: String,
        plan: Plan,
    },
    /// Records income from outside the network and distributes it by the project's plan.
    Revenue {
        project: String,
        amount: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
    },
    /// Re-values every contribution of a project by its current policy: an explicit, logged
    /// event, never a side effect of changing the policy.
    Revalue {
        project: String,
    },
    // --- shared resources ---
    /// Opens an internal crowdfunding campaign; its account is named by `id`.
    OpenCampaign {
        id: String,
        project: String,
        target: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        purpose: Option<String>,
    },
    /// Money from outside into the campaign; cut to what is still missing.
    Pledge {
        campaign: String,
        agent: String,
        amount: String,
    },
    /// Cancels an unfunded campaign, refunding every pledge to its pledger's account.
    CancelCampaign {
        campaign: String,
    },
    /// Spends a funded campaign on a resource co-owned by the pledgers.
    Purchase {
        campaign: String,
        resource: String,
        premium_percent: String,
    },
    /// Adds a resource held by the network (a commons), or contributed by `owner` for `value`.
    AddResource {
        name: String,
        project: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
    },
    SetFees {
        resource: String,
        per_hour: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        material_per_unit: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        technician_per_hour: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        community_per_hour: Option<String>,
        split: Vec<SplitShare>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        material_to: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after_payback: Option<String>,
    },
    /// Logs a use of a resource and charges its fee (from outside, or from the user's balance).
    UseResource {
        resource: String,
        agent: String,
        hours: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        material_units: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        technician: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        technician_hours: Option<String>,
        #[serde(default, skip_serializing_if = "is_false")]
        community: bool,
        #[serde(default, skip_serializing_if = "is_false")]
        from_balance: bool,
    },
}

impl Command {
    /// A short verb for logs and listings.
    pub fn op(&self) -> &'static str {
        match self {
            Command::AddAgent { .. } => "add_agent",
            Command::AddProject { .. } => "add_project",
            Command::SetRate { .. } => "set_rate",
            Command::SetSkill { .. } => "set_skill",
            Command::SetMultiplier { .. } => "set_multiplier",
            Command::SetHalfLife { .. } => "set_half_life",
            Command::Log { .. } => "log",
            Command::Approve { .. } => "approve",
            Command::Reject { .. } => "reject",
            Command::SetPlan { .. } => "set_plan",
            Command::Revenue { .. } => "revenue",
            Command::Revalue { .. } => "revalue",
            Command::OpenCampaign { .. } => "open_campaign",
            Command::Pledge { .. } => "pledge",
            Command::CancelCampaign { .. } => "cancel_campaign",
            Command::Purchase { .. } => "purchase",
            Command::AddResource { .. } => "add_resource",
            Command::SetFees { .. } => "set_fees",
            Command::UseResource { .. } => "use_resource",
        }
    }
}

/// One payout of a distribution: `amount` minor units to account `to`, from bucket `bucket`
/// (its index in the plan; the index past the last bucket is the unallocated remainder).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub bucket: u32,
    pub to: String,
    #[serde(with = "crate::serde_text")]
    pub amount: i128,
}

/// Part of a payment that settles one reimbursable claim (a contribution).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimPayment {
    pub contribution: u64,
    #[serde(with = "crate::serde_text")]
    pub amount: i128,
}

/// What the core decided for a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    Done,
    Logged {
        id: u64,
        value: Value,
        counted: bool,
    },
    Approved {
        id: u64,
        counted: bool,
    },
    PlanSet {
        version: u32,
    },
    Distributed {
        id: u64,
        #[serde(with = "crate::serde_text")]
        amount: i128,
        plan_version: u32,
        lines: Vec<Line>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        claims: Vec<ClaimPayment>,
    },
    Revalued {
        changes: Vec<(u64, Value)>,
    },
    // --- shared resources ---
    Pledged {
        #[serde(with = "crate::serde_text")]
        amount: i128,
        cut: bool,
        funded: bool,
    },
    Refunded {
        lines: Vec<Line>,
    },
    Purchased {
        #[serde(with = "crate::serde_text")]
        amount: i128,
        owners: Vec<Owner>,
    },
    /// A charged use: `lines` are indexed 0 material, 1 technician, 2.. the split entries,
    /// and past them the payback excess sent to `after_payback`.
    Charged {
        use_id: u64,
        #[serde(with = "crate::serde_text")]
        fee: i128,
        lines: Vec<Line>,
        /// This use paid the last co-owner back: the resource is now a commons.
        commons: bool,
    },
}

/// The canonical JSON of a command, as stored and hashed.
pub fn command_json(command: &Command) -> String {
    serde_json::to_string(command).expect("commands always serialise")
}
