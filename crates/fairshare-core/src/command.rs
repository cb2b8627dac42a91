//! Commands (what someone asks for) and outcomes (what the core decided).
//!
//! The log stores both: the command as it was asked, and the outcome the core computed for
//! it (ids, values, every payout line). Replaying applies outcomes; `verify` decides every
//! command again and checks that it gets the same outcome.

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::governance::{Ballot, GovernanceMode, Tally, Voter, Weighting};
use crate::model::{Kind, Plan, Role};
use crate::peer::{CapRow, PeerShare, PoolLine, ValueChange};
use crate::resources::{Owner, SplitShare};
use crate::time::Timestamp;
use crate::tokens::{HatchResult, HatchSpec, Redemption, RetroMint, TokenMint};
use crate::value::Value;

fn is_false(flag: &bool) -> bool {
    !*flag
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn is_nothing(n: &i128) -> bool {
    *n == 0
}

/// Every change to a book. Amounts and decimals are kept as the strings the user wrote; the
/// core parses them with the project's exponent when it decides.
///
/// Serialised externally tagged (`{"log": {...}}`): serde then parses it in one pass, where an
/// internally tagged enum is buffered first — a third slower, and replay parses every event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
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
    /// Sets how many approvals a contribution (or correction) of the project needs, from its
    /// next review on: what was counted stays counted.
    SetApprovals {
        project: String,
        approvals: u32,
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
    /// Releases everything the project's bank account holds through the buckets after the
    /// plan's `bank` bucket (the whole plan when it has none), before it reaches its threshold.
    ReleaseBank {
        project: String,
    },
    /// Re-values every contribution of a project by its current policy: an explicit, logged
    /// event, never a side effect of changing the policy.
    Revalue {
        project: String,
    },
    /// Logs the reuse of a contribution (a design) by `agent`: valued at `percent` % of the
    /// cited contribution's value, its author named in the record.
    Cite {
        project: String,
        agent: String,
        of: u64,
        percent: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        date: Option<Date>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    // --- corrections ---
    /// Corrects a pending or approved contribution's measure: `hours` (work, use), `amount`
    /// (cash, material) or `value` (cite). A new event, never an edit of the logged one.
    Adjust {
        id: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hours: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        amount: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
        reason: String,
    },
    /// Withdraws a pending or approved contribution: once it counts, it counts no more.
    Reverse {
        id: u64,
        reason: String,
    },
    /// Approves correction `id` (an adjust or a reverse).
    ApproveCorrection {
        id: u64,
    },
    RejectCorrection {
        id: u64,
        reason: String,
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
        /// The roles whose uses pay the community rate (absent in books from before: none,
        /// only the resource's community list and a custodian's `community` do).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        community_roles: Vec<Role>,
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
    /// Puts an agent on a resource's community list: their uses pay the community rate.
    CommunityAdd {
        resource: String,
        agent: String,
    },
    /// Takes an agent off a resource's community list.
    CommunityRemove {
        resource: String,
        agent: String,
    },
    // --- peer valuation --- (issue 8; decided and applied in `peer.rs`)
    /// Opens a peer round of a project; by default every custodian and affiliate with a
    /// counted contribution (who has not left) is eligible, with a budget of 100 points.
    OpenRound {
        project: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        budget: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        eligible: Option<Vec<String>>,
    },
    /// Sets the points `from` gives `to` in an open round (0 takes a gift back).
    Give {
        round: u64,
        from: String,
        to: String,
        points: u64,
    },
    /// An eligible agent declines to receive points in a round.
    OptOut {
        round: u64,
        agent: String,
    },
    /// Closes a round: peer share = points received / points given.
    CloseRound {
        round: u64,
    },
    /// Steward recognition: points a custodian gives an agent, with a public reason.
    StewardGive {
        project: String,
        agent: String,
        points: u64,
        reason: String,
    },
    /// The blend of formula, peer and steward shares (decimals adding up to exactly 1).
    SetBlend {
        project: String,
        formula: String,
        peer: String,
        steward: String,
    },
    /// A task with a fixed reward in the project's currency (its point asset).
    AddBounty {
        project: String,
        task: String,
        reward: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
    /// Awards a bounty to the agent who did the task; the actor (a custodian) approves it.
    CompleteBounty {
        project: String,
        task: String,
        agent: String,
    },
    /// Allocates `pool` units of the project's currency: waiting bounty rewards first, the
    /// rest by blended share, largest remainder.
    AllocatePool {
        project: String,
        pool: String,
    },
    /// Enables (or disables) leavers for a project.
    SetLeaverPolicy {
        project: String,
        enabled: bool,
    },
    /// Records that an agent left a project, as a good or a bad leaver.
    Leave {
        project: String,
        agent: String,
        good: bool,
    },
    /// Records a snapshot of the project's cap table.
    Captable {
        project: String,
    },
    // --- tokens ---
    /// Creates a project's token (one per project). See docs/TOKENS.md.
    CreateToken {
        project: String,
        symbol: String,
        exponent: u32,
        /// Tokens minted per unit of counted contribution value; "1" when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mint_per_value: Option<String>,
        redemption: Redemption,
        /// NAV only: percentage of a redemption kept in the reserve.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_fee_percent: Option<String>,
        /// Curve only: percentages of a buy and of a sell paid to the funding account.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        entry_tribute_percent: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_tribute_percent: Option<String>,
        /// The account that receives tributes; `{project}-funding` when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        funding_to: Option<String>,
        /// Curve only: must be 2 (the only exponent supported) when given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        curve_exponent: Option<u32>,
        /// The initial raise; required for a curve.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hatch: Option<HatchSpec>,
        /// Mint, in this event, what every contribution counted before the token would have
        /// minted (issue 15).
        #[serde(default, skip_serializing_if = "is_false")]
        retro: bool,
    },
    /// Sells tokens of a NAV token to `agent` at `price`: `amount` comes from outside into the
    /// reserve and `floor(amount / price)` tokens are minted.
    Presale {
        token: String,
        agent: String,
        amount: String,
        price: String,
    },
    /// Buys a curve token for `agent` with `amount` from outside.
    Buy {
        token: String,
        agent: String,
        amount: String,
    },
    /// Burns `tokens` held by `agent` (an agent or a project) against the reserve.
    Redeem {
        token: String,
        agent: String,
        tokens: String,
    },
    /// Money from outside into a token's reserve, from donor `agent`.
    Donate {
        token: String,
        agent: String,
        amount: String,
    },
    /// Moves tokens between holders.
    Transfer {
        token: String,
        from: String,
        to: String,
        tokens: String,
    },
    /// `project` accepts `token` in payment at `rate` units of its currency per token.
    AcceptToken {
        project: String,
        token: String,
        rate: String,
    },
    /// `from` pays `project` with tokens it accepts.
    PayWithToken {
        token: String,
        from: String,
        project: String,
        tokens: String,
    },
    // --- treasury --- (issue 13; decided and applied in `treasury.rs`)
    /// Asks to pay `amount` of `agent`'s balance out to the world (`reference`: a bank
    /// transfer id). `id` is the client's; the core names it `payout-N` when absent.
    RequestPayout {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        agent: String,
        amount: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        asset: Option<String>,
        reference: String,
    },
    ApprovePayout {
        id: String,
    },
    RejectPayout {
        id: String,
        reason: String,
    },
    /// Asks to spend `amount` of a virtual account for `for`, paid to `payee` (an agent who
    /// paid from their pocket) or to `outside`.
    SubmitExpense {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        account: String,
        amount: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        asset: Option<String>,
        #[serde(rename = "for")]
        purpose: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        payee: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        receipt: Option<String>,
    },
    ApproveExpense {
        id: String,
    },
    RejectExpense {
        id: String,
        reason: String,
    },
    /// Moves money between two virtual accounts (never an agent's balance).
    TransferMoney {
        from: String,
        to: String,
        amount: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        asset: Option<String>,
        reason: String,
    },
    /// Converts `amount` of `account`'s `from_asset` into `to_asset` at `rate` (units of the
    /// target per unit of the source) through the `exchange` account.
    Exchange {
        account: String,
        amount: String,
        from_asset: String,
        to_asset: String,
        rate: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    // --- membership --- (issue 14; decided and applied in `membership.rs`)
    /// Asks to join the network as `handle`. Anyone may ask: an agent for someone else, and
    /// someone who is no agent yet for themself (the event's actor is then the handle asked
    /// for).
    RequestJoin {
        handle: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Who they are and why they join, in their words.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        about: Option<String>,
    },
    /// Admits a pending join request: the agent is added as `AddAgent` adds one, with `role`
    /// (an affiliate when absent).
    AdmitAgent {
        handle: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<Role>,
    },
    DeclineJoin {
        handle: String,
        reason: String,
    },
    /// Gives an agent another role (never demoting the last custodian).
    SetRole {
        handle: String,
        role: Role,
    },
    /// Proposes a project; admitted, it is added as `AddProject` adds one.
    ProposeProject {
        slug: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        currency: String,
        exponent: u32,
        #[serde(default, skip_serializing_if = "is_zero")]
        approvals: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        about: Option<String>,
    },
    AdmitProject {
        slug: String,
    },
    DeclineProject {
        slug: String,
        reason: String,
    },
    /// Lists an agent (never an observer) as a member of a project: an eligible voter of its
    /// proposals even without a counted contribution.
    AddMember {
        project: String,
        agent: String,
    },
    /// Takes an agent off a project's member list.
    RemoveMember {
        project: String,
        agent: String,
    },
    // --- governance --- (issue 14; decided and applied in `governance.rs`)
    /// Sets how a project (`None`: the network) changes its rules. A field left out takes its
    /// default (quorum 50, threshold 66.67, notice 3 days, voting 7 days, equal weights).
    SetGovernance {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        project: Option<String>,
        mode: GovernanceMode,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        quorum: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        threshold: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notice_days: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        voting_days: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weight: Option<Weighting>,
    },
    /// Proposes rule changes of a project (`None`: of the network), each a command as it
    /// would be issued directly. `id` is the client's; `proposal-N` when absent.
    Propose {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        project: Option<String>,
        title: String,
        changes: Vec<Command>,
    },
    /// The actor's vote on an open proposal (a later vote replaces an earlier one).
    Vote {
        proposal: String,
        vote: Ballot,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Closes a proposal after its voting period and records its tally.
    CloseProposal {
        proposal: String,
    },
    /// Its author withdraws an open proposal.
    WithdrawProposal {
        proposal: String,
    },
    /// A passed proposal takes effect at the end of its notice: its changes are decided
    /// again and applied, or it fails with the reason.
    EnactProposal {
        proposal: String,
    },
}

/// The work contribution a technician's hours make: its id and value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TechnicianWork {
    pub contribution: u64,
    pub value: Value,
}

impl Command {
    /// Every [`Command::op`] name, in the order of its match (what a webhook may ask for).
    /// Keep in step with `op`: the test `every_op_is_listed` checks the commands it can build.
    pub const OPS: &'static [&'static str] = &[
        "add_agent",
        "add_project",
        "set_rate",
        "set_approvals",
        "set_skill",
        "set_multiplier",
        "set_half_life",
        "log",
        "approve",
        "reject",
        "set_plan",
        "revenue",
        "release_bank",
        "revalue",
        "adjust",
        "reverse",
        "approve_correction",
        "reject_correction",
        "cite",
        "open_campaign",
        "pledge",
        "cancel_campaign",
        "purchase",
        "add_resource",
        "set_fees",
        "use_resource",
        "community_add",
        "community_remove",
        "open_round",
        "give",
        "opt_out",
        "close_round",
        "steward_give",
        "set_blend",
        "add_bounty",
        "complete_bounty",
        "allocate_pool",
        "set_leaver_policy",
        "leave",
        "captable",
        "create_token",
        "presale",
        "buy",
        "redeem",
        "donate",
        "transfer",
        "accept_token",
        "pay_with_token",
        "request_payout",
        "approve_payout",
        "reject_payout",
        "submit_expense",
        "approve_expense",
        "reject_expense",
        "transfer_money",
        "exchange",
        "request_join",
        "admit_agent",
        "decline_join",
        "set_role",
        "propose_project",
        "admit_project",
        "decline_project",
        "add_member",
        "remove_member",
        "set_governance",
        "propose",
        "vote",
        "close_proposal",
        "withdraw_proposal",
        "enact_proposal",
    ];

    /// A short verb for logs and listings.
    pub fn op(&self) -> &'static str {
        match self {
            Command::AddAgent { .. } => "add_agent",
            Command::AddProject { .. } => "add_project",
            Command::SetRate { .. } => "set_rate",
            Command::SetApprovals { .. } => "set_approvals",
            Command::SetSkill { .. } => "set_skill",
            Command::SetMultiplier { .. } => "set_multiplier",
            Command::SetHalfLife { .. } => "set_half_life",
            Command::Log { .. } => "log",
            Command::Approve { .. } => "approve",
            Command::Reject { .. } => "reject",
            Command::SetPlan { .. } => "set_plan",
            Command::Revenue { .. } => "revenue",
            Command::ReleaseBank { .. } => "release_bank",
            Command::Revalue { .. } => "revalue",
            Command::Adjust { .. } => "adjust",
            Command::Reverse { .. } => "reverse",
            Command::ApproveCorrection { .. } => "approve_correction",
            Command::RejectCorrection { .. } => "reject_correction",
            Command::Cite { .. } => "cite",
            Command::OpenCampaign { .. } => "open_campaign",
            Command::Pledge { .. } => "pledge",
            Command::CancelCampaign { .. } => "cancel_campaign",
            Command::Purchase { .. } => "purchase",
            Command::AddResource { .. } => "add_resource",
            Command::SetFees { .. } => "set_fees",
            Command::UseResource { .. } => "use_resource",
            Command::CommunityAdd { .. } => "community_add",
            Command::CommunityRemove { .. } => "community_remove",
            // --- peer valuation ---
            Command::OpenRound { .. } => "open_round",
            Command::Give { .. } => "give",
            Command::OptOut { .. } => "opt_out",
            Command::CloseRound { .. } => "close_round",
            Command::StewardGive { .. } => "steward_give",
            Command::SetBlend { .. } => "set_blend",
            Command::AddBounty { .. } => "add_bounty",
            Command::CompleteBounty { .. } => "complete_bounty",
            Command::AllocatePool { .. } => "allocate_pool",
            Command::SetLeaverPolicy { .. } => "set_leaver_policy",
            Command::Leave { .. } => "leave",
            Command::Captable { .. } => "captable",
            // --- tokens ---
            Command::CreateToken { .. } => "create_token",
            Command::Presale { .. } => "presale",
            Command::Buy { .. } => "buy",
            Command::Redeem { .. } => "redeem",
            Command::Donate { .. } => "donate",
            Command::Transfer { .. } => "transfer",
            Command::AcceptToken { .. } => "accept_token",
            Command::PayWithToken { .. } => "pay_with_token",
            // --- treasury ---
            Command::RequestPayout { .. } => "request_payout",
            Command::ApprovePayout { .. } => "approve_payout",
            Command::RejectPayout { .. } => "reject_payout",
            Command::SubmitExpense { .. } => "submit_expense",
            Command::ApproveExpense { .. } => "approve_expense",
            Command::RejectExpense { .. } => "reject_expense",
            Command::TransferMoney { .. } => "transfer_money",
            Command::Exchange { .. } => "exchange",
            // --- membership ---
            Command::RequestJoin { .. } => "request_join",
            Command::AdmitAgent { .. } => "admit_agent",
            Command::DeclineJoin { .. } => "decline_join",
            Command::SetRole { .. } => "set_role",
            Command::ProposeProject { .. } => "propose_project",
            Command::AdmitProject { .. } => "admit_project",
            Command::DeclineProject { .. } => "decline_project",
            Command::AddMember { .. } => "add_member",
            Command::RemoveMember { .. } => "remove_member",
            // --- governance ---
            Command::SetGovernance { .. } => "set_governance",
            Command::Propose { .. } => "propose",
            Command::Vote { .. } => "vote",
            Command::CloseProposal { .. } => "close_proposal",
            Command::WithdrawProposal { .. } => "withdraw_proposal",
            Command::EnactProposal { .. } => "enact_proposal",
        }
    }
}

/// One payout of a distribution: `amount` minor units to account `to`, from bucket `bucket`
/// (its index in the plan; the index past the last bucket is the unallocated remainder).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub bucket: u32,
    /// Held inline (names are short): a revenue split over many agents parses and keeps one
    /// line per agent without a heap allocation each.
    #[serde(deserialize_with = "crate::snapshot::compact")]
    pub to: compact_str::CompactString,
    #[serde(with = "crate::serde_text")]
    pub amount: i128,
}

impl Line {
    /// What each account receives in total from `lines`, in byte order of its name.
    pub fn payouts(lines: &[Line]) -> std::collections::BTreeMap<&str, i128> {
        // Sorted first, then built in one pass: a map built from sorted pairs is linear, where
        // inserting a statement's 10,000 names one by one compares each name 14 times.
        let mut pairs: Vec<(&str, i128)> =
            lines.iter().map(|l| (l.to.as_str(), l.amount)).collect();
        // Lines come sorted bucket by bucket: a stable sort merges those few runs.
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        pairs.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 += later.1;
            }
            same
        });
        pairs.into_iter().collect()
    }
}

/// Part of a payment that settles one reimbursable claim (a contribution).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimPayment {
    pub contribution: u64,
    #[serde(with = "crate::serde_text")]
    pub amount: i128,
}

/// What the core decided for a command (externally tagged, like [`Command`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    Done,
    Logged {
        id: u64,
        value: Value,
        counted: bool,
        /// Tokens of the project's token minted to the contributor (when it counts).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        minted: Option<TokenMint>,
    },
    Approved {
        id: u64,
        counted: bool,
        /// Tokens of the project's token minted to the contributor (when it now counts).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        minted: Option<TokenMint>,
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
        /// What the project's bank released into this distribution (its lines add up to
        /// `amount + released`); absent when nothing was released.
        #[serde(
            default,
            skip_serializing_if = "is_nothing",
            with = "crate::serde_text"
        )]
        released: i128,
    },
    Revalued {
        changes: Vec<(u64, Value)>,
    },
    /// A correction requested (`adjust`, `reverse`) or approved: `value` is the contribution's
    /// value once corrected, present when the correction counts with this event.
    Corrected {
        id: u64,
        counted: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<Value>,
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
        /// The technician's hours, counted as their work contribution (category
        /// `technician`, valued at the schedule's technician rate). Absent in books from
        /// before technician hours counted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        technician_work: Option<TechnicianWork>,
    },
    // --- peer valuation ---
    RoundOpened {
        round: u64,
        budget: u64,
        eligible: Vec<String>,
    },
    /// The giver's points spent in the round after this gift, and what is left of the budget.
    Given {
        round: u64,
        spent: u64,
        left: u64,
    },
    RoundClosed {
        round: u64,
        total: u64,
        shares: Vec<PeerShare>,
    },
    BountyAwarded {
        contribution: u64,
        value: Value,
    },
    PoolAllocated {
        id: u64,
        #[serde(with = "crate::serde_text")]
        pool: i128,
        /// Tasks whose rewards this allocation paid.
        bounties: Vec<String>,
        lines: Vec<PoolLine>,
    },
    Left {
        agent: String,
        good: bool,
        forfeited: Value,
        changes: Vec<ValueChange>,
        forfeited_bounties: Vec<String>,
    },
    CapTable {
        rows: Vec<CapRow>,
    },
    // --- tokens ---
    TokenCreated {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hatch: Option<HatchResult>,
        /// With `retro`: the tokens minted to each contributor for the contributions counted
        /// before the token, in byte order of handle.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        retro: Vec<RetroMint>,
    },
    /// `amount` (currency minor units) into the reserve, `tokens` minted.
    TokenPresold {
        #[serde(with = "crate::serde_text")]
        amount: i128,
        #[serde(with = "crate::serde_text")]
        tokens: i128,
    },
    /// `amount` paid from outside: `tribute` to funding, the rest into the reserve; `tokens`
    /// minted.
    TokenBought {
        #[serde(with = "crate::serde_text")]
        amount: i128,
        #[serde(with = "crate::serde_text")]
        tribute: i128,
        #[serde(with = "crate::serde_text")]
        tokens: i128,
    },
    /// `tokens` burned for `gross` out of the reserve's value: `fee` stays in the reserve
    /// (NAV), `tribute` goes to funding (curve), `payout` to the holder.
    TokenRedeemed {
        #[serde(with = "crate::serde_text")]
        tokens: i128,
        #[serde(with = "crate::serde_text")]
        gross: i128,
        #[serde(with = "crate::serde_text")]
        fee: i128,
        #[serde(with = "crate::serde_text")]
        tribute: i128,
        #[serde(with = "crate::serde_text")]
        payout: i128,
    },
    TokenDonated {
        #[serde(with = "crate::serde_text")]
        amount: i128,
    },
    TokenTransferred {
        #[serde(with = "crate::serde_text")]
        tokens: i128,
    },
    /// `tokens` paid; `value` is what they are worth to the accepting project, in its
    /// currency's minor units.
    TokenPaid {
        #[serde(with = "crate::serde_text")]
        tokens: i128,
        #[serde(with = "crate::serde_text")]
        value: i128,
    },
    // --- treasury ---
    /// The payout's id (the client's or `payout-N`) and the asset it is paid in.
    PayoutRequested {
        id: String,
        asset: String,
        #[serde(with = "crate::serde_text")]
        amount: i128,
    },
    ExpenseSubmitted {
        id: String,
        asset: String,
        #[serde(with = "crate::serde_text")]
        amount: i128,
        /// Approvals it needs before it is paid.
        required: u32,
    },
    /// One approval more; `paid` when it was the last one needed.
    ExpenseApproved {
        paid: bool,
    },
    MoneyTransferred {
        asset: String,
        #[serde(with = "crate::serde_text")]
        amount: i128,
    },
    /// `amount` of the source asset given, `converted` of the target received.
    Exchanged {
        #[serde(with = "crate::serde_text")]
        amount: i128,
        #[serde(with = "crate::serde_text")]
        converted: i128,
    },
    // --- governance ---
    /// A proposal opened: its id, the end of its voting, its voters and their weights.
    Proposed {
        id: String,
        deadline: Timestamp,
        voters: Vec<Voter>,
    },
    /// A proposal closed with its tally; `notice_ends` when it passed.
    ProposalClosed {
        passed: bool,
        tally: Tally,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notice_ends: Option<Timestamp>,
    },
    /// A proposal took effect: the outcome of each of its changes, in order.
    Enacted {
        outcomes: Vec<Outcome>,
    },
    /// A passed proposal could not take effect: change `change` (from 1) was refused.
    EnactmentFailed {
        change: u32,
        reason: String,
    },
}

/// The canonical JSON of a command, as stored and hashed.
pub fn command_json(command: &Command) -> String {
    serde_json::to_string(command).expect("commands always serialise")
}

#[cfg(test)]
mod tests {
    use super::Command;

    /// serde names every variant when it refuses an unknown one; a command's tag is its op
    /// name, so the list is `Command::OPS`.
    #[test]
    fn every_op_is_listed() {
        let refused = serde_json::from_str::<Command>(r#"{"no_such_command": {}}"#)
            .expect_err("an unknown variant");
        let message = refused.to_string();
        let (_, expected) = message.split_once("expected one of ").expect(&message);
        let mut tags: Vec<&str> = expected
            .split(", ")
            .map(|tag| tag.trim_matches(|c: char| c == '`' || !c.is_ascii_graphic()))
            .map(|tag| tag.split('`').next().unwrap_or(tag))
            .collect();
        let mut ops = Command::OPS.to_vec();
        tags.sort_unstable();
        ops.sort_unstable();
        assert_eq!(tags, ops, "{message}");
    }
}
