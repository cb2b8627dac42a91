//! Governance (issue 14): a project's (or the network's) governance, proposals, votes,
//! closing, withdrawing and enacting, and the provenance of every rule in force.
//!
//! A proposal's changes are written as the requests of the routes that would make them
//! directly: `{"op": "set_rate", "request": {"project": "shop", "category": "wood",
//! "per_hour": "25.00"}}` ([`ProposedChange`]), so each change is built by the very
//! `Write::command` of its route.

use fairshare_book::Executed;
use fairshare_core::{
    Ballot, Command, GovernanceMode, GovernanceSettings, Outcome, Proposal, ProposalStatus,
    RuleChange, State, Tally, Value, Weighting,
};
use serde::{Deserialize, Serialize};

use crate::error::{OpError, OpResult};
use crate::op::{Read, Reading, Write};
use crate::page::{Page, PageInfo};
use crate::plans::BucketSpec;

/// How a project changes its rules, as requests and views spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum ModeName {
    /// Custodians change rules at once (the default).
    Direct,
    /// Every rule change goes through a proposal.
    Proposals,
}

/// How votes are weighed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum WeightName {
    /// One vote per eligible member.
    Equal,
    /// Each voter's counted value in the project at the opening.
    Value,
}

/// A vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum VoteName {
    Yes,
    No,
    Abstain,
}

impl From<ModeName> for GovernanceMode {
    fn from(mode: ModeName) -> GovernanceMode {
        match mode {
            ModeName::Direct => GovernanceMode::Direct,
            ModeName::Proposals => GovernanceMode::Proposals,
        }
    }
}

impl From<WeightName> for Weighting {
    fn from(weight: WeightName) -> Weighting {
        match weight {
            WeightName::Equal => Weighting::Equal,
            WeightName::Value => Weighting::Value,
        }
    }
}

impl From<VoteName> for Ballot {
    fn from(vote: VoteName) -> Ballot {
        match vote {
            VoteName::Yes => Ballot::Yes,
            VoteName::No => Ballot::No,
            VoteName::Abstain => Ballot::Abstain,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Governance settings

/// The event (and the proposal) that set a rule in force.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SinceOut {
    /// The rule: `plan`, `rate wood`, `skill ana`, `multiplier work`, `half-life`, `blend`,
    /// `approvals`, `fees lathe`, `token`, `leaver policy`, `governance`, `members`.
    pub rule: String,
    /// The event that set it.
    pub seq: u64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The proposal it was enacted by, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal: Option<String>,
}

impl SinceOut {
    pub fn of(change: &RuleChange) -> SinceOut {
        SinceOut {
            rule: change.rule.clone(),
            seq: change.seq,
            at: change.at.to_string(),
            proposal: change.proposal.clone(),
        }
    }

    /// "since event 12 (2026-03-17T09:00:00Z), by proposal p2".
    pub fn words(&self) -> String {
        match &self.proposal {
            Some(proposal) => format!(
                "since event {} ({}), by proposal {proposal}",
                self.seq, self.at
            ),
            None => format!("since event {} ({})", self.seq, self.at),
        }
    }
}

/// The rules in force of a project (or the network), each with the change that set it.
pub fn rules_since(state: &State, project: Option<&str>) -> Vec<SinceOut> {
    state
        .rules_in_force(project)
        .into_iter()
        .map(SinceOut::of)
        .collect()
}

/// A project's (or the network's) governance.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GovernanceOut {
    /// Absent: the network's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    pub mode: ModeName,
    /// Percent of the eligible weight that must vote (yes, no or abstain).
    pub quorum: String,
    /// Percent of yes among yes + no.
    pub threshold: String,
    pub notice_days: u32,
    pub voting_days: u32,
    pub weight: WeightName,
    /// The event that set it (absent: never set, the default `direct`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<SinceOut>,
}

impl GovernanceOut {
    pub fn of(state: &State, project: Option<&str>) -> OpResult<GovernanceOut> {
        if let Some(project) = project {
            state.project(project)?;
        }
        let settings: &GovernanceSettings = state.governance_of(project);
        Ok(GovernanceOut {
            project: project.map(str::to_string),
            mode: match settings.mode {
                GovernanceMode::Direct => ModeName::Direct,
                GovernanceMode::Proposals => ModeName::Proposals,
            },
            quorum: settings.quorum.to_string(),
            threshold: settings.threshold.to_string(),
            notice_days: settings.notice_days,
            voting_days: settings.voting_days,
            weight: weight_name(settings.weight),
            since: rules_since(state, project)
                .into_iter()
                .find(|since| since.rule == "governance"),
        })
    }
}

fn weight_name(weight: Weighting) -> WeightName {
    match weight {
        Weighting::Equal => WeightName::Equal,
        Weighting::Value => WeightName::Value,
    }
}

/// Sets how a project changes its rules (custodians, or a proposal once the project is
/// governed by proposals). A field left out takes its default: quorum 50, threshold 66.67,
/// notice 3 days, voting 7 days, weight equal.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetGovernance {
    pub project: String,
    #[serde(flatten)]
    pub settings: GovernanceFields,
}

/// Sets how the network admits agents and adds projects (custodians, or a proposal once the
/// network is governed by proposals). Defaults as for a project.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetNetworkGovernance {
    #[serde(flatten)]
    pub settings: GovernanceFields,
}

/// The settings of a `SetGovernance` request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct GovernanceFields {
    #[cfg_attr(feature = "clap", arg(long, value_enum))]
    pub mode: ModeName,
    /// A percentage, e.g. `"60"` (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "PERCENT"))]
    pub quorum: Option<String>,
    /// A percentage, e.g. `"66.67"` (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "PERCENT"))]
    pub threshold: Option<String>,
    /// Days between a proposal passing and taking effect (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long = "notice", value_name = "DAYS"))]
    pub notice_days: Option<u32>,
    /// Days a proposal is open for votes (default 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long = "voting", value_name = "DAYS"))]
    pub voting_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_enum))]
    pub weight: Option<WeightName>,
}

impl GovernanceFields {
    fn command(&self, project: Option<&str>) -> Command {
        Command::SetGovernance {
            project: project.map(str::to_string),
            mode: self.mode.into(),
            quorum: self.quorum.clone(),
            threshold: self.threshold.clone(),
            notice_days: self.notice_days,
            voting_days: self.voting_days,
            weight: self.weight.map(Into::into),
        }
    }
}

operation!(SetGovernance => GovernanceOut, Post "/api/v1/projects/{project}/governance", "governance",
    "Sets how a project changes its rules: direct, or by proposals with quorum, threshold, periods and weights");

impl Write for SetGovernance {
    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(self.settings.command(Some(&self.project)))
    }

    fn view(&self, state: &State, _: &Executed) -> OpResult<GovernanceOut> {
        GovernanceOut::of(state, Some(&self.project))
    }
}

operation!(SetNetworkGovernance => GovernanceOut, Post "/api/v1/governance", "governance",
    "Sets how the network admits agents and adds projects: direct, or by proposals");

impl Write for SetNetworkGovernance {
    const NAMES_EXISTING: bool = false;
    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(self.settings.command(None))
    }

    fn view(&self, state: &State, _: &Executed) -> OpResult<GovernanceOut> {
        GovernanceOut::of(state, None)
    }
}

/// A project's governance and since when.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShowGovernance {
    pub project: String,
}

operation!(ShowGovernance => GovernanceOut, Get "/api/v1/projects/{project}/governance", "governance",
    "A project's governance and since when");

impl Read for ShowGovernance {
    fn view(&self, state: &State, _: &Reading) -> OpResult<GovernanceOut> {
        GovernanceOut::of(state, Some(&self.project))
    }
}

/// The network's governance and since when.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShowNetworkGovernance {}

operation!(ShowNetworkGovernance => GovernanceOut, Get "/api/v1/governance", "governance",
    "The network's governance and since when");

impl Read for ShowNetworkGovernance {
    const NAMES_EXISTING: bool = false;
    fn view(&self, state: &State, _: &Reading) -> OpResult<GovernanceOut> {
        GovernanceOut::of(state, None)
    }
}

// ---------------------------------------------------------------------------------------------
// Proposals

/// What is done with each proposable request type: [`ProposedChange::each`].
pub trait EachChange {
    fn visit<O: Write>(&mut self);
}

/// Declares [`ProposedChange`] and its dispatch from one list: a proposable route is one line.
macro_rules! proposed_changes {
    ($($variant:ident($request:ty),)+) => {
        /// One change of a proposal: the request of the route that would make it directly.
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(tag = "op", content = "request", rename_all = "snake_case")]
        pub enum ProposedChange {
            $($variant($request),)+
        }

        impl ProposedChange {
            /// The core command the change's route would run for `actor`.
            pub fn command(&self, actor: &str) -> OpResult<Command> {
                match self {
                    $(ProposedChange::$variant(r) => r.command(actor),)+
                }
            }

            /// Hands every proposable request type to `visitor`, in the order declared here
            /// (the dashboard builds a proposal form from each request's schema).
            pub fn each(visitor: &mut impl EachChange) {
                $(visitor.visit::<$request>();)+
            }

            /// The change a request makes as a proposal's, if its route is proposable (a
            /// remote CLI sends a proposal's changes as requests, found by their route).
            pub fn of<O: crate::op::Operation>(op: &O) -> OpResult<Option<ProposedChange>> {
                let as_change = |error: serde_json::Error| {
                    OpError::Internal(format!("a request as a proposed change: {error}"))
                };
                $(if O::ROUTE == <$request as crate::op::Operation>::ROUTE {
                    let request = serde_json::to_value(op).map_err(as_change)?;
                    let request = serde_json::from_value(request).map_err(as_change)?;
                    return Ok(Some(ProposedChange::$variant(request)));
                })+
                Ok(None)
            }
        }
    };
}

proposed_changes! {
    SetRate(crate::projects::SetRate),
    SetApprovals(crate::projects::SetApprovals),
    SetSkill(crate::projects::SetSkill),
    SetMultiplier(crate::projects::SetMultiplier),
    SetDecay(crate::projects::SetDecay),
    RemoveDecay(crate::projects::RemoveDecay),
    SetPlan(crate::plans::SetPlan),
    SetBlend(crate::peer::SetBlend),
    SetLeaverPolicy(crate::peer::SetLeaverPolicy),
    SetFees(crate::resources::SetFees),
    CreateToken(crate::tokens::CreateToken),
    ReleaseBank(crate::distributions::ReleaseBank),
    SetGovernance(SetGovernance),
    SetNetworkGovernance(SetNetworkGovernance),
    AddAgent(crate::agents::AddAgent),
    AddProject(crate::projects::AddProject),
    AdmitAgent(crate::membership::AdmitAgent),
    SetRole(crate::membership::SetRole),
    AdmitProject(crate::membership::AdmitProject),
    AddMember(crate::membership::AddMember),
    RemoveMember(crate::membership::RemoveMember),
}

/// Proposes rule changes of a project (or, without `project`, of the network), checked at
/// once as if applied now. Custodians and affiliates propose; the voters and their weights
/// are fixed at the opening.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Propose {
    /// The proposal's id (default `proposal-N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Absent: a proposal of the network (admissions, new projects, its governance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    pub title: String,
    /// The changes, in order, each as the request of its route.
    pub changes: Vec<ProposedChange>,
}

operation!(Propose => ProposalOut, Post "/api/v1/proposals", "governance",
    "Proposes rule changes, each written as its route's request; refused if any change would be refused now");

impl Propose {
    /// The core command, from changes already built (the CLI builds them from its own words).
    pub fn command_with(&self, changes: Vec<Command>) -> Command {
        Command::Propose {
            id: self.id.clone(),
            project: self.project.clone(),
            title: self.title.clone(),
            changes,
        }
    }
}

impl Write for Propose {
    const CREATES: bool = true;

    fn command(&self, actor: &str) -> OpResult<Command> {
        let changes = self
            .changes
            .iter()
            .map(|change| change.command(actor))
            .collect::<OpResult<Vec<_>>>()?;
        Ok(self.command_with(changes))
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<ProposalOut> {
        let_outcome!(executed, Outcome::Proposed { id, .. });
        ProposalOut::of(state, state.proposal(id)?)
    }
}

/// The actor's vote on an open proposal: eligible voters only, until the voting ends; a later
/// vote replaces an earlier one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct Vote {
    pub proposal: String,
    #[cfg_attr(feature = "clap", arg(value_enum))]
    pub vote: VoteName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "TEXT"))]
    pub reason: Option<String>,
}

operation!(Vote => ProposalOut, Post "/api/v1/proposals/{proposal}/votes", "governance",
    "Votes yes, no or abstain on an open proposal (eligible voters; changeable until it closes)");

impl Write for Vote {
    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::Vote {
            proposal: self.proposal.clone(),
            vote: self.vote.into(),
            reason: self.reason.clone(),
        })
    }

    fn view(&self, state: &State, _: &Executed) -> OpResult<ProposalOut> {
        ProposalOut::of(state, state.proposal(&self.proposal)?)
    }
}

/// Declares a proposal's request by its id alone (close, withdraw, enact).
macro_rules! proposal_write {
    ($op:ident, $variant:ident, $path:literal, $summary:literal, $doc:literal, $refuses_roles:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(deny_unknown_fields)]
        #[cfg_attr(feature = "clap", derive(clap::Args))]
        pub struct $op {
            pub proposal: String,
        }

        operation!($op => ProposalOut, Post $path, "governance", $summary);

        impl Write for $op {
            const REFUSES_ROLES: bool = $refuses_roles;

            fn command(&self, _actor: &str) -> OpResult<Command> {
                Ok(Command::$variant {
                    proposal: self.proposal.clone(),
                })
            }

            fn view(&self, state: &State, _: &Executed) -> OpResult<ProposalOut> {
                ProposalOut::of(state, state.proposal(&self.proposal)?)
            }
        }
    };
}

proposal_write!(
    CloseProposal,
    CloseProposal,
    "/api/v1/proposals/{proposal}/close",
    "Closes a proposal after its voting period and records its exact tally (anyone)",
    "Closes a proposal once its voting period is over: passed when the quorum and the threshold are met.",
    false
);
proposal_write!(
    WithdrawProposal,
    WithdrawProposal,
    "/api/v1/proposals/{proposal}/withdraw",
    "Withdraws an open proposal (its author only)",
    "Withdraws an open proposal (its author only).",
    true
);
proposal_write!(
    EnactProposal,
    EnactProposal,
    "/api/v1/proposals/{proposal}/enact",
    "Enacts a passed proposal whose notice has ended (any write does it too): its changes, or why they failed",
    "Enacts a passed proposal whose notice has ended: its changes are decided again and applied, or it fails with the reason. Every write enacts due proposals first, so this is rarely needed.",
    false
);

paged_list! {
    /// Proposals, in the order they were opened: of a project, the network's (`project=network`),
    /// or all, by status.
    ListProposals {
        /// A project's slug, or `network` for the network's proposals.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "clap", arg(value_name = "PROJECT"))]
        project: Option<String>,
        /// open, withdrawn, rejected, passed, enacted or failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "clap", arg(long, value_name = "STATUS"))]
        status: Option<String>
    } => ProposalsOut, "/api/v1/proposals", "governance",
    "Proposals in the order they were opened, by project (or network) and status"
}

/// Every proposal status, as views spell them.
pub const STATUSES: [&str; 6] = [
    "open",
    "withdrawn",
    "rejected",
    "passed",
    "enacted",
    "failed",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProposalsOut {
    #[serde(flatten)]
    pub page: PageInfo,
    pub proposals: Vec<ProposalOut>,
}

impl Read for ListProposals {
    fn view(&self, state: &State, _: &Reading) -> OpResult<ProposalsOut> {
        if let Some(status) = self
            .status
            .as_ref()
            .filter(|status| !STATUSES.contains(&status.as_str()))
        {
            return Err(OpError::Domain(
                fairshare_core::DomainError::invalid(format!(
                    "unknown status {status:?}: expected one of {}",
                    STATUSES.join(", ")
                ))
                .field("status")
                .value(status.clone()),
            ));
        }
        if let Some(project) = self.project.as_deref().filter(|p| *p != "network") {
            state.project(project)?;
        }
        let page = Page::new(self.limit, self.offset)?;
        let wanted = state.proposals().iter().filter(|p| {
            let project_ok = match self.project.as_deref() {
                None => true,
                Some("network") => p.project.is_none(),
                Some(slug) => p.project.as_deref() == Some(slug),
            };
            project_ok
                && self
                    .status
                    .as_deref()
                    .is_none_or(|s| s == p.status.as_str())
        });
        let mut failed = None;
        let (page, proposals) = page.list(wanted, |p| {
            ProposalOut::of(state, p).unwrap_or_else(|e| {
                failed = Some(e);
                ProposalOut::empty()
            })
        });
        match failed {
            Some(error) => Err(error),
            None => Ok(ProposalsOut { page, proposals }),
        }
    }
}

/// A proposal: its changes in plain words, voters and votes, tally, deadline, notice.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ShowProposal {
    pub proposal: String,
}

operation!(ShowProposal => ProposalOut, Get "/api/v1/proposals/{proposal}", "governance",
    "A proposal: its changes in plain words, who voted what and why, the tally, deadline and notice");

impl Read for ShowProposal {
    fn view(&self, state: &State, _: &Reading) -> OpResult<ProposalOut> {
        ProposalOut::of(state, state.proposal(&self.proposal)?)
    }
}

/// A change of a proposal.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeOut {
    /// The core command's name (`set_rate`, `set_plan`, ...).
    pub op: String,
    /// The change in plain words.
    pub words: String,
    /// A plan change's buckets, as `plan set` takes them: what `plan compare --proposal`
    /// compares with the plans past revenues were paid by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Vec<crate::plans::BucketSpec>>,
}

/// An eligible voter, their weight and their vote (if any).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoterOut {
    pub agent: String,
    /// Exact; in the project's currency when votes are weighed by value, else 1.
    pub weight: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vote: Option<VoteName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the vote counted was cast.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voted_at: Option<String>,
}

/// The weight that voted each way (so far, or as closed), exact.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TallyOut {
    pub yes: String,
    pub no: String,
    pub abstain: String,
    pub eligible: String,
    pub quorum_met: bool,
    pub threshold_met: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProposalOut {
    pub id: String,
    /// Absent: a proposal of the network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    pub title: String,
    pub author: String,
    /// open, withdrawn, rejected, passed (waiting for its notice), enacted or failed.
    pub status: String,
    pub changes: Vec<ChangeOut>,
    pub opened: String,
    /// The end of the voting period.
    pub deadline: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<String>,
    /// When a passed proposal takes effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_ends: Option<String>,
    pub quorum: String,
    pub threshold: String,
    pub weight: WeightName,
    pub voters: Vec<VoterOut>,
    pub tally: TallyOut,
    /// The event that enacted it (or recorded its failure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enacted_seq: Option<u64>,
    /// Why a passed proposal could not take effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

impl ProposalOut {
    pub fn of(state: &State, proposal: &Proposal) -> OpResult<ProposalOut> {
        let decimals = proposal_decimals(state, proposal);
        let weight = |value: Value| value.display(decimals);
        let tally: Tally = match &proposal.tally {
            Some(tally) => tally.clone(),
            None => proposal.tally()?,
        };
        let settings = &proposal.settings;
        Ok(ProposalOut {
            id: proposal.id.clone(),
            project: proposal.project.clone(),
            title: proposal.title.clone(),
            author: proposal.author.clone(),
            status: proposal.status.as_str().to_string(),
            changes: proposal
                .changes
                .iter()
                .map(|change| ChangeOut {
                    op: change.op().to_string(),
                    words: describe(state, change),
                    plan: match change {
                        Command::SetPlan { plan, .. } => {
                            Some(plan.buckets.iter().map(BucketSpec::of).collect())
                        }
                        _ => None,
                    },
                })
                .collect(),
            opened: proposal.opened.to_string(),
            deadline: proposal.deadline.to_string(),
            closed: proposal.closed.map(|t| t.to_string()),
            notice_ends: proposal.notice_ends.map(|t| t.to_string()),
            quorum: settings.quorum.to_string(),
            threshold: settings.threshold.to_string(),
            weight: weight_name(settings.weight),
            voters: proposal
                .voters
                .iter()
                .map(|voter| {
                    let vote = proposal.votes.get(&voter.agent);
                    VoterOut {
                        agent: voter.agent.clone(),
                        weight: weight(voter.weight),
                        vote: vote.map(|v| vote_name(v.ballot)),
                        reason: vote.and_then(|v| v.reason.clone()),
                        voted_at: vote.map(|v| v.at.to_string()),
                    }
                })
                .collect(),
            tally: TallyOut {
                yes: weight(tally.yes),
                no: weight(tally.no),
                abstain: weight(tally.abstain),
                eligible: weight(tally.eligible),
                quorum_met: tally.quorum_met(settings.quorum)?,
                threshold_met: tally.threshold_met(settings.threshold)?,
            },
            enacted_seq: proposal.enacted_seq,
            failure: proposal.failure.clone(),
        })
    }

    /// A placeholder for a row that failed to render (its error is returned instead).
    fn empty() -> ProposalOut {
        ProposalOut {
            id: String::new(),
            project: None,
            title: String::new(),
            author: String::new(),
            status: ProposalStatus::Open.as_str().to_string(),
            changes: Vec::new(),
            opened: String::new(),
            deadline: String::new(),
            closed: None,
            notice_ends: None,
            quorum: String::new(),
            threshold: String::new(),
            weight: WeightName::Equal,
            voters: Vec::new(),
            tally: TallyOut {
                yes: String::new(),
                no: String::new(),
                abstain: String::new(),
                eligible: String::new(),
                quorum_met: false,
                threshold_met: false,
            },
            enacted_seq: None,
            failure: None,
        }
    }
}

/// Decimals weights are shown with: the project's currency's when weighed by value.
fn proposal_decimals(state: &State, proposal: &Proposal) -> u32 {
    match (proposal.settings.weight, &proposal.project) {
        (Weighting::Value, Some(slug)) => state.project(slug).map_or(0, |p| p.exponent),
        _ => 0,
    }
}

fn vote_name(ballot: Ballot) -> VoteName {
    match ballot {
        Ballot::Yes => VoteName::Yes,
        Ballot::No => VoteName::No,
        Ballot::Abstain => VoteName::Abstain,
    }
}

/// A rule change in plain words ("the rate of wood in shop: 25.00 per hour").
pub fn describe(state: &State, command: &Command) -> String {
    match command {
        Command::SetRate {
            project,
            category,
            per_hour,
        } => format!("the rate of {category} in {project}: {per_hour} per hour"),
        Command::SetApprovals { project, approvals } => {
            format!("the approvals a contribution in {project} needs: {approvals}")
        }
        Command::SetSkill {
            project,
            agent,
            factor,
        } => format!("the skill factor of {agent} in {project}: {factor}"),
        Command::SetMultiplier {
            project,
            kind,
            factor,
        } => format!("the multiplier of {kind} contributions in {project}: {factor}"),
        Command::SetHalfLife { project, days } => match days {
            Some(days) => format!("the half-life of values in {project}: {days} days"),
            None => format!("no decay of values in {project}"),
        },
        Command::SetPlan { project, plan } => match state.project(project) {
            Ok(found) => {
                let buckets: Vec<String> = plan
                    .buckets
                    .iter()
                    .map(|bucket| crate::plans::bucket_words(bucket, found))
                    .collect();
                format!(
                    "the plan of {project}: {}; the rest to {}",
                    buckets.join("; "),
                    found.unallocated_account()
                )
            }
            Err(_) => format!("a plan of {} buckets for {project}", plan.buckets.len()),
        },
        Command::SetBlend {
            project,
            formula,
            peer,
            steward,
        } => format!("the blend of {project}: formula {formula}, peer {peer}, steward {steward}"),
        Command::SetLeaverPolicy { project, enabled } => format!(
            "leavers in {project}: {}",
            if *enabled { "enabled" } else { "disabled" }
        ),
        Command::CreateToken {
            project, symbol, ..
        } => format!("a token {symbol} for {project}"),
        Command::SetFees {
            resource, per_hour, ..
        } => format!("the fees of {resource}: {per_hour} per hour"),
        Command::SetGovernance {
            project,
            mode,
            quorum,
            threshold,
            notice_days,
            voting_days,
            weight,
        } => {
            let whose = project
                .as_deref()
                .map_or("the network".to_string(), |p| format!("project {p}"));
            match mode {
                GovernanceMode::Direct => format!("the governance of {whose}: direct"),
                GovernanceMode::Proposals => format!(
                    "the governance of {whose}: by proposals, quorum {}%, threshold {}%, {} days of voting, {} days of notice, {} weights",
                    quorum.as_deref().unwrap_or(fairshare_core::QUORUM_DEFAULT),
                    threshold
                        .as_deref()
                        .unwrap_or(fairshare_core::THRESHOLD_DEFAULT),
                    voting_days.unwrap_or(fairshare_core::VOTING_DAYS_DEFAULT),
                    notice_days.unwrap_or(fairshare_core::NOTICE_DAYS_DEFAULT),
                    weight.unwrap_or_default().as_str(),
                ),
            }
        }
        Command::AddAgent { handle, role, .. } => format!("admit {handle} as {role}"),
        Command::AddProject { slug, currency, .. } => {
            format!("add the project {slug} in {currency}")
        }
        Command::AdmitAgent { handle, role } => format!(
            "admit {handle}'s request to join, as {}",
            role.unwrap_or(fairshare_core::Role::Affiliate)
        ),
        Command::SetRole { handle, role } => format!("make {handle} {role}"),
        Command::AdmitProject { slug } => format!("admit the proposed project {slug}"),
        Command::ReleaseBank { project } => {
            format!("release what the bank of {project} holds, before its threshold")
        }
        Command::AddMember { project, agent } => {
            format!("list {agent} as a member of {project}")
        }
        Command::RemoveMember { project, agent } => {
            format!("take {agent} off the members {project} lists")
        }
        other => other.op().replace('_', " "),
    }
}

// ---------------------------------------------------------------------------------------------
// Rule provenance

/// Every rule change of a project (or, with `network`, of the network), in log order, with
/// the event and the proposal that made it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct PolicyHistory {
    /// A project's slug, or `network`.
    pub project: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyHistoryOut {
    pub project: String,
    pub changes: Vec<SinceOut>,
}

operation!(PolicyHistory => PolicyHistoryOut, Get "/api/v1/projects/{project}/policy/history", "governance",
    "Every rule change of a project in log order, with its event and proposal");

impl Read for PolicyHistory {
    fn view(&self, state: &State, _: &Reading) -> OpResult<PolicyHistoryOut> {
        let project = match self.project.as_str() {
            "network" => None,
            slug => Some(state.project(slug)?.slug.clone()),
        };
        Ok(PolicyHistoryOut {
            project: self.project.clone(),
            changes: state
                .rule_history()
                .iter()
                .filter(|change| change.project == project)
                .map(SinceOut::of)
                .collect(),
        })
    }
}

/// Every version of a project's plan with the event (and proposal) that set it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanHistory {
    pub project: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanVersionOut {
    /// Absent for a version set before provenance was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<SinceOut>,
    pub plan: crate::plans::PlanOut,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanHistoryOut {
    pub project: String,
    pub versions: Vec<PlanVersionOut>,
}

operation!(PlanHistory => PlanHistoryOut, Get "/api/v1/projects/{project}/plan/history", "plans",
    "Every version of a project's plan, with the event and proposal that set it");

impl Read for PlanHistory {
    fn view(&self, state: &State, _: &Reading) -> OpResult<PlanHistoryOut> {
        let project = state.project(&self.project)?;
        // The project's addition set version 1; each plan change the next.
        let mut since = state
            .rule_history()
            .iter()
            .filter(|c| c.rule == "plan" && c.project.as_deref() == Some(&*project.slug));
        let versions = project
            .plans
            .iter()
            .enumerate()
            .map(|(index, plan)| PlanVersionOut {
                since: since.next().map(SinceOut::of),
                plan: crate::plans::PlanOut::of(project, index as u32 + 1, plan),
            })
            .collect();
        Ok(PlanHistoryOut {
            project: self.project.clone(),
            versions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A remote CLI sends a proposal's changes as requests: a proposable route's request is
    /// found by its route, and a request of another route is none.
    #[test]
    fn a_request_is_a_proposed_change_by_its_route() {
        let rate = crate::projects::SetRate {
            project: "shop".to_string(),
            category: "wood".to_string(),
            per_hour: "25.00".to_string(),
        };
        let change = ProposedChange::of(&rate).unwrap().unwrap();
        assert_eq!(
            serde_json::to_value(&change).unwrap(),
            serde_json::json!({"op": "set_rate",
                "request": {"project": "shop", "category": "wood", "per_hour": "25.00"}})
        );
        let approve = crate::contributions::Approve { id: 3 };
        assert!(ProposedChange::of(&approve).unwrap().is_none());
    }
}
