//! Governance (issue 14): who may change a project's rules (or the network's), and how.
//!
//! A project (or the network) is governed `direct`ly — its custodians change its rules at
//! once, the behaviour of every book before this module — or by `proposals`: then a rule
//! change issued directly is refused ([`State::check_direct`]) and goes through a proposal
//! instead: `Propose` (checked at once as if applied now), `Vote`, `CloseProposal` (after the
//! voting period: the exact tally), `WithdrawProposal`, and `EnactProposal` at the end of the
//! notice period, which decides every change again against the state then and records their
//! outcomes (or why they no longer apply). The core reads no clock: deadlines are measured
//! against the event's own instant, [`Ctx::at`].
//!
//! [`governed_scope`] is the one list of what each command is governed by. Every rule in
//! force also remembers the event (and the proposal) that set it: [`Governance::history`].
//!
//! Commands: `SetGovernance`, `Propose`, `Vote`, `CloseProposal`, `WithdrawProposal`,
//! `EnactProposal`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use num_bigint::BigInt;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::command::{Command, Outcome};
use crate::engine::unfit;
use crate::error::{About, DomainError, DomainResult, Field, ProposeIn};
use crate::model::{OPERATOR, Role, check_name, check_optional_text, check_text};
use crate::roles::{forbid_observer, require_custodian};
use crate::state::{Ctx, State};
use crate::time::Timestamp;
use crate::value::{Value, decimal};

/// How a project (or the network) changes its rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GovernanceMode {
    /// Custodians change rules at once (the default, and every book's behaviour before).
    #[default]
    Direct,
    /// Every rule change goes through a proposal.
    Proposals,
}

/// How votes are weighed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weighting {
    /// One vote per eligible member.
    #[default]
    Equal,
    /// Each voter's counted value in the project at the proposal's opening.
    Value,
}

/// A vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ballot {
    Yes,
    No,
    Abstain,
}

impl GovernanceMode {
    pub fn as_str(self) -> &'static str {
        match self {
            GovernanceMode::Direct => "direct",
            GovernanceMode::Proposals => "proposals",
        }
    }
}

impl Weighting {
    pub fn as_str(self) -> &'static str {
        match self {
            Weighting::Equal => "equal",
            Weighting::Value => "value",
        }
    }
}

impl Ballot {
    pub fn as_str(self) -> &'static str {
        match self {
            Ballot::Yes => "yes",
            Ballot::No => "no",
            Ballot::Abstain => "abstain",
        }
    }
}

/// Defaults of a `SetGovernance` field left out (documented in docs/GOVERNANCE.md).
pub const QUORUM_DEFAULT: &str = "50";
pub const THRESHOLD_DEFAULT: &str = "66.67";
pub const NOTICE_DAYS_DEFAULT: u32 = 3;
pub const VOTING_DAYS_DEFAULT: u32 = 7;
/// Longest voting or notice period, in days.
pub const PERIOD_DAYS_MAX: u32 = 366;
/// Most changes one proposal carries.
pub const CHANGES_MAX: usize = 64;

/// The governance of a project or of the network.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GovernanceSettings {
    pub mode: GovernanceMode,
    /// Percent of the eligible weight that must vote (yes, no or abstain).
    #[serde(with = "crate::snapshot::decimal")]
    pub quorum: Decimal,
    /// Percent of yes among yes + no.
    #[serde(with = "crate::snapshot::decimal")]
    pub threshold: Decimal,
    pub notice_days: u32,
    pub voting_days: u32,
    pub weight: Weighting,
}

impl Default for GovernanceSettings {
    fn default() -> Self {
        GovernanceSettings {
            mode: GovernanceMode::Direct,
            quorum: QUORUM_DEFAULT.parse().expect("decimal"),
            threshold: THRESHOLD_DEFAULT.parse().expect("decimal"),
            notice_days: NOTICE_DAYS_DEFAULT,
            voting_days: VOTING_DAYS_DEFAULT,
            weight: Weighting::Equal,
        }
    }
}

/// An eligible voter and the weight of their vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Voter {
    pub agent: String,
    pub weight: Value,
}

/// The weight that voted each way, and all the eligible weight.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub yes: Value,
    pub no: Value,
    pub abstain: Value,
    pub eligible: Value,
}

/// A vote cast: the latest of a voter's votes counts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CastVote {
    pub ballot: Ballot,
    pub reason: Option<String>,
    pub seq: u64,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ProposalStatus {
    Open,
    Withdrawn,
    Rejected,
    /// Passed, waiting for the end of its notice period.
    Passed,
    Enacted,
    /// Passed, but a change was no longer valid when its notice ended.
    Failed,
}

impl ProposalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalStatus::Open => "open",
            ProposalStatus::Withdrawn => "withdrawn",
            ProposalStatus::Rejected => "rejected",
            ProposalStatus::Passed => "passed",
            ProposalStatus::Enacted => "enacted",
            ProposalStatus::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Proposal {
    pub id: String,
    /// None: a proposal of the network.
    pub project: Option<String>,
    pub title: String,
    #[serde(with = "crate::snapshot::json")]
    pub changes: Vec<Command>,
    pub author: String,
    pub seq: u64,
    pub opened: Timestamp,
    pub deadline: Timestamp,
    /// The settings in force at the opening.
    pub settings: GovernanceSettings,
    /// Eligible voters at the opening, in byte order of handle.
    pub voters: Vec<Voter>,
    pub votes: BTreeMap<String, CastVote>,
    pub status: ProposalStatus,
    pub closed: Option<Timestamp>,
    pub tally: Option<Tally>,
    pub notice_ends: Option<Timestamp>,
    /// The seq of the event that enacted it (or recorded its failure).
    pub enacted_seq: Option<u64>,
    pub failure: Option<String>,
}

impl Proposal {
    /// The tally of the votes cast so far.
    pub fn tally(&self) -> DomainResult<Tally> {
        let mut tally = Tally::default();
        for voter in &self.voters {
            tally.eligible = tally.eligible.checked_add(voter.weight)?;
            let Some(vote) = self.votes.get(&voter.agent) else {
                continue;
            };
            let side = match vote.ballot {
                Ballot::Yes => &mut tally.yes,
                Ballot::No => &mut tally.no,
                Ballot::Abstain => &mut tally.abstain,
            };
            *side = side.checked_add(voter.weight)?;
        }
        Ok(tally)
    }
}

impl Tally {
    /// Whether the weight that voted is at least the quorum of the eligible weight.
    pub fn quorum_met(&self, quorum: Decimal) -> DomainResult<bool> {
        let voted = self.yes.checked_add(self.no)?.checked_add(self.abstain)?;
        Ok(at_least(voted, self.eligible, quorum))
    }

    /// Whether yes is at least the threshold of yes + no (never with no yes or no at all).
    pub fn threshold_met(&self, threshold: Decimal) -> DomainResult<bool> {
        let cast = self.yes.checked_add(self.no)?;
        Ok(cast > Value::ZERO && at_least(self.yes, cast, threshold))
    }
}

/// `part / whole >= percent / 100`, exactly: `part * 100 * 10^s >= m * whole` for the
/// percent `m / 10^s`.
fn at_least(part: Value, whole: Value, percent: Decimal) -> bool {
    let scale = BigInt::from(10u32).pow(percent.scale());
    BigInt::from(part.0) * 100 * scale >= BigInt::from(percent.mantissa()) * BigInt::from(whole.0)
}

/// One rule change, in log order: the event (and the proposal) that set `rule`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RuleChange {
    pub seq: u64,
    pub at: Timestamp,
    /// None: a rule of the network (its governance).
    pub project: Option<Arc<str>>,
    /// `plan`, `rate wood`, `skill ana`, `multiplier work`, `half-life`, `blend`,
    /// `fees lathe`, `token`, `leaver policy`, `governance`.
    pub rule: String,
    pub proposal: Option<String>,
}

/// The governance part of the state.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Governance {
    pub(crate) network: GovernanceSettings,
    pub(crate) projects: BTreeMap<String, GovernanceSettings>,
    /// In the order they were opened.
    pub(crate) proposals: Vec<Proposal>,
    pub(crate) by_id: BTreeMap<String, usize>,
    /// Passed proposals waiting for their notice to end: (notice end, id).
    pub(crate) due: BTreeSet<(Timestamp, String)>,
    /// Every rule change, in log order.
    pub(crate) history: Vec<RuleChange>,
    /// The rule change in force for each (project, rule): an index into `history`.
    pub(crate) in_force: BTreeMap<(Option<Arc<str>>, String), usize>,
}

/// What a command is governed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    Network,
    Project(&'a str),
    /// A resource's project (its fee schedule).
    Resource(&'a str),
}

/// The one list of what each command is governed by: `None` for a command that changes no
/// rule. A project's `proposals` mode refuses its commands issued directly.
pub fn governed_scope(command: &Command) -> Option<Scope<'_>> {
    match command {
        Command::AddAgent { .. }
        | Command::AddProject { .. }
        | Command::AdmitAgent { .. }
        | Command::SetRole { .. }
        | Command::AdmitProject { .. } => Some(Scope::Network),
        Command::SetGovernance { project: None, .. } => Some(Scope::Network),
        Command::SetGovernance {
            project: Some(project),
            ..
        }
        | Command::SetRate { project, .. }
        | Command::SetApprovals { project, .. }
        | Command::SetSkill { project, .. }
        | Command::SetMultiplier { project, .. }
        | Command::SetHalfLife { project, .. }
        | Command::SetPlan { project, .. }
        | Command::SetBlend { project, .. }
        | Command::SetLeaverPolicy { project, .. }
        | Command::CreateToken { project, .. }
        | Command::AddMember { project, .. }
        | Command::RemoveMember { project, .. }
        // Releasing the bank early pays out before the plan's threshold: the members decide.
        | Command::ReleaseBank { project } => Some(Scope::Project(project)),
        Command::SetFees { resource, .. } => Some(Scope::Resource(resource)),
        _ => None,
    }
}

/// The rule a command sets, as `policy history` names it (None: no rule).
fn rule_of(command: &Command) -> Option<String> {
    Some(match command {
        Command::SetRate { category, .. } => format!("rate {category}"),
        Command::SetSkill { agent, .. } => format!("skill {agent}"),
        Command::SetMultiplier { kind, .. } => format!("multiplier {kind}"),
        Command::SetHalfLife { .. } => "half-life".into(),
        Command::SetApprovals { .. } => "approvals".into(),
        Command::SetPlan { .. } | Command::AddProject { .. } => "plan".into(),
        Command::SetBlend { .. } => "blend".into(),
        Command::SetLeaverPolicy { .. } => "leaver policy".into(),
        Command::CreateToken { .. } => "token".into(),
        Command::SetFees { resource, .. } => format!("fees {resource}"),
        Command::SetGovernance { .. } => "governance".into(),
        Command::AddMember { .. } | Command::RemoveMember { .. } => "members".into(),
        _ => return None,
    })
}

/// A change of a proposal that could not be decided: its index and why.
pub(crate) struct ChangeRefused(usize, DomainError);

impl State {
    /// The governance of a project (the default, `direct`, until one is set).
    pub fn governance_of(&self, project: Option<&str>) -> &GovernanceSettings {
        static DIRECT: std::sync::OnceLock<GovernanceSettings> = std::sync::OnceLock::new();
        match project {
            None => &self.governance.network,
            Some(slug) => self
                .governance
                .projects
                .get(slug)
                .unwrap_or_else(|| DIRECT.get_or_init(GovernanceSettings::default)),
        }
    }

    pub fn proposal(&self, id: &str) -> DomainResult<&Proposal> {
        self.governance
            .by_id
            .get(id)
            .map(|&index| &self.governance.proposals[index])
            .ok_or_else(|| DomainError::not_found(format!("unknown proposal {id:?}")))
    }

    /// Every proposal, in the order they were opened.
    pub fn proposals(&self) -> &[Proposal] {
        &self.governance.proposals
    }

    /// Every rule change, in log order.
    pub fn rule_history(&self) -> &[RuleChange] {
        &self.governance.history
    }

    /// The rules in force of a project (None: the network's) and the change that set each.
    pub fn rules_in_force(&self, project: Option<&str>) -> Vec<&RuleChange> {
        self.governance
            .in_force
            .iter()
            .filter(|((p, _), _)| p.as_deref() == project)
            .map(|(_, &index)| &self.governance.history[index])
            .collect()
    }

    /// Passed proposals whose notice has ended by `at`, in the order they come due.
    pub fn due_proposals(&self, at: Timestamp) -> Vec<String> {
        self.governance
            .due
            .iter()
            .take_while(|(ends, _)| *ends <= at)
            .map(|(_, id)| id.clone())
            .collect()
    }

    /// The project whose governance decides a scope (None: the network's), or an error for an
    /// unknown resource (left to the command's own checks: `Ok(None)` is never returned then).
    fn scope_project<'a>(&'a self, scope: Scope<'a>) -> Option<Option<&'a str>> {
        match scope {
            Scope::Network => Some(None),
            Scope::Project(project) => Some(Some(project)),
            Scope::Resource(name) => self
                .resources
                .get(name)
                .map(|resource| Some(resource.project.as_str())),
        }
    }

    /// Refuses a rule change issued directly where its project (or the network) is governed
    /// by proposals. Cheap for every other command: one match.
    pub(crate) fn check_direct(&self, command: &Command) -> DomainResult<()> {
        let Some(scope) = governed_scope(command) else {
            return Ok(());
        };
        let Some(project) = self.scope_project(scope) else {
            return Ok(());
        };
        if self.governance_of(project).mode == GovernanceMode::Direct {
            return Ok(());
        }
        // The message names no front end's way of proposing: each adds its own from
        // `propose_in`.
        Err(match (scope, project) {
            (_, None) => DomainError::forbidden(format!(
                "the network is governed by proposals: {} must be proposed and voted on",
                command.op()
            ))
            .propose_in(ProposeIn::Network),
            (Scope::Resource(resource), Some(project)) => DomainError::forbidden(format!(
                "project {project} is governed by proposals: the fees of {resource} change only by a proposal"
            ))
            .field("resource")
            .value(resource)
            .propose_in(ProposeIn::Project(project.to_string())),
            (_, Some(project)) => DomainError::forbidden(format!(
                "project {project} is governed by proposals: {} must be proposed and voted on",
                command.op()
            ))
            .field("project")
            .value(project)
            .propose_in(ProposeIn::Project(project.to_string())),
        })
    }

    /// Remembers the event (and proposal) that set the rule a command sets, if it sets one.
    pub(crate) fn note_rule(&mut self, ctx: &Ctx, command: &Command, proposal: Option<&str>) {
        let Some(rule) = rule_of(command) else {
            return;
        };
        let project: Option<Arc<str>> = match (command, governed_scope(command)) {
            (Command::AddProject { slug, .. }, _) => {
                self.projects.get(slug).map(|p| p.slug.clone())
            }
            (_, Some(scope)) => match self.scope_project(scope) {
                Some(Some(slug)) => self.projects.get(slug).map(|p| p.slug.clone()),
                _ => None,
            },
            _ => None,
        };
        let governance = &mut self.governance;
        governance
            .in_force
            .insert((project.clone(), rule.clone()), governance.history.len());
        governance.history.push(RuleChange {
            seq: ctx.seq,
            at: ctx.at,
            project,
            rule,
            proposal: proposal.map(str::to_string),
        });
    }

    // --- SetGovernance ---

    pub(crate) fn decide_set_governance(
        &self,
        role: Role,
        project: Option<&str>,
        fields: &GovernanceFields,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "set governance")?;
        if let Some(project) = project {
            self.project(project).about_value("project", project)?;
        }
        fields.settings()?;
        Ok(Outcome::Done)
    }

    pub(crate) fn apply_set_governance(
        &mut self,
        project: Option<&str>,
        fields: &GovernanceFields,
    ) -> DomainResult<()> {
        let settings = fields.settings()?;
        match project {
            None => self.governance.network = settings,
            Some(slug) => {
                self.governance.projects.insert(slug.to_string(), settings);
            }
        }
        Ok(())
    }

    // --- Propose ---

    pub(crate) fn decide_propose(
        &self,
        ctx: &Ctx,
        role: Role,
        request: &ProposeRequest,
    ) -> DomainResult<Outcome> {
        forbid_observer(role, &ctx.actor, "propose rule changes")?;
        let id = self.proposal_id(request.id)?;
        check_text(Field::named("title"), request.title)?;
        if request.title.trim().is_empty() {
            return Err(DomainError::invalid("a proposal needs a title").field("title"));
        }
        if let Some(project) = request.project {
            self.project(project).about_value("project", project)?;
        }
        self.check_changes_in_scope(request.project, request.changes)?;
        self.decide_changes(ctx, request.changes)
            .map_err(|ChangeRefused(index, error)| refused_change(index, request.changes, error))?;
        let voters = self.eligible_voters(ctx, request.project)?;
        if voters.is_empty() {
            return Err(DomainError::invalid(format!(
                "nobody is eligible to vote on a proposal of {}: eligible are custodians and affiliates with a counted contribution, and the members the project lists",
                request.project.unwrap_or("the network")
            ))
            .field("project"));
        }
        let settings = self.governance_of(request.project);
        Ok(Outcome::Proposed {
            id,
            deadline: ctx.at.plus_days(settings.voting_days),
            voters,
        })
    }

    pub(crate) fn apply_propose(
        &mut self,
        ctx: &Ctx,
        request: &ProposeRequest,
        outcome: (&str, Timestamp, &[Voter]),
    ) -> DomainResult<()> {
        let (id, deadline, voters) = outcome;
        let settings = self.governance_of(request.project).clone();
        if self.governance.by_id.contains_key(id)
            || deadline != ctx.at.plus_days(settings.voting_days)
            || request.id.is_some_and(|wanted| wanted != id)
        {
            return Err(unfit(ctx, "propose"));
        }
        let governance = &mut self.governance;
        governance
            .by_id
            .insert(id.to_string(), governance.proposals.len());
        governance.proposals.push(Proposal {
            id: id.to_string(),
            project: request.project.map(str::to_string),
            title: request.title.to_string(),
            changes: request.changes.to_vec(),
            author: ctx.actor.clone(),
            seq: ctx.seq,
            opened: ctx.at,
            deadline,
            settings,
            voters: voters.to_vec(),
            votes: BTreeMap::new(),
            status: ProposalStatus::Open,
            closed: None,
            tally: None,
            notice_ends: None,
            enacted_seq: None,
            failure: None,
        });
        Ok(())
    }

    /// The id a new proposal takes: the client's (a name, unused) or `proposal-N`.
    fn proposal_id(&self, wanted: Option<&str>) -> DomainResult<String> {
        match wanted {
            Some(id) => {
                check_name(Field::new("id", "proposal id"), id)?;
                if self.governance.by_id.contains_key(id) {
                    return Err(DomainError::conflict(format!(
                        "proposal {id:?} exists already: choose another id"
                    ))
                    .field("id")
                    .value(id));
                }
                Ok(id.to_string())
            }
            None => Ok(format!("proposal-{}", self.governance.proposals.len() + 1)),
        }
    }

    /// Refuses an empty list, too many changes, and a change that is not a rule of the
    /// proposal's project (or of the network).
    fn check_changes_in_scope(
        &self,
        project: Option<&str>,
        changes: &[Command],
    ) -> DomainResult<()> {
        if changes.is_empty() {
            return Err(
                DomainError::invalid("a proposal needs at least one change").field("changes")
            );
        }
        if changes.len() > CHANGES_MAX {
            return Err(DomainError::invalid(format!(
                "a proposal carries at most {CHANGES_MAX} changes"
            ))
            .field("changes")
            .limit(format!("{CHANGES_MAX} changes")));
        }
        for (index, change) in changes.iter().enumerate() {
            let governed = governed_scope(change).and_then(|scope| self.scope_project(scope));
            // An unknown resource's fees: left to the change's own decision.
            let unknown_resource =
                matches!(governed_scope(change), Some(Scope::Resource(_))) && governed.is_none();
            if governed != Some(project) && !unknown_resource {
                return Err(DomainError::invalid(format!(
                    "change {} ({}) is not a rule of {}: a proposal changes the rules of one project, or the network's",
                    index + 1,
                    change.op(),
                    project.map_or("the network".to_string(), |p| format!("project {p}")),
                ))
                .field("changes")
                .value((index + 1).to_string()));
            }
        }
        Ok(())
    }

    /// Decides every change in order as the governance would (the custodian check is the
    /// proposal's; every other check applies), each against the state the ones before it
    /// leave: on a scratch copy of the state when there are several.
    pub(crate) fn decide_changes(
        &self,
        ctx: &Ctx,
        changes: &[Command],
    ) -> Result<Vec<Outcome>, ChangeRefused> {
        let ctx = governance_ctx(ctx);
        if let [change] = changes {
            return self
                .decide_as(&ctx, Role::Custodian, change)
                .map(|outcome| vec![outcome])
                .map_err(|error| ChangeRefused(0, error));
        }
        let mut scratch = self.clone();
        let mut outcomes = Vec::with_capacity(changes.len());
        for (index, change) in changes.iter().enumerate() {
            let refused = |error| ChangeRefused(index, error);
            let outcome = scratch
                .decide_as(&ctx, Role::Custodian, change)
                .map_err(refused)?;
            scratch
                .apply_area(&ctx, change, outcome.clone())
                .map_err(refused)?;
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    /// Who may vote on a proposal of `project` opened now, and with what weight.
    fn eligible_voters(&self, ctx: &Ctx, project: Option<&str>) -> DomainResult<Vec<Voter>> {
        let one = Value::from_minor(1, 0)?;
        let member = |handle: &str| {
            self.agents
                .get(handle)
                .is_some_and(|agent| agent.role != Role::Observer)
        };
        let Some(slug) = project else {
            let mut voters: Vec<Voter> = self
                .agents()
                .into_iter()
                .filter(|agent| agent.role != Role::Observer)
                .map(|agent| Voter {
                    agent: agent.handle.to_string(),
                    weight: one,
                })
                .collect();
            voters.sort_by(|a, b| a.agent.cmp(&b.agent));
            return Ok(voters);
        };
        let project = self.project(slug).about_value("project", slug)?;
        let weighting = self.governance_of(Some(slug)).weight;
        let mut values =
            self.values_by_agent(project, &crate::model::Filter::default(), ctx.date)?;
        // The members the project lists vote too, with their counted value (0 without any).
        let unvalued: Vec<_> = project
            .members
            .iter()
            .filter(|listed| !values.iter().any(|(handle, _)| handle == *listed))
            .map(|listed| (listed.clone(), Value::default()))
            .collect();
        if !unvalued.is_empty() {
            values.extend(unvalued);
            values.sort_by(|a, b| a.0.cmp(&b.0));
        }
        Ok(values
            .into_iter()
            .filter(|(handle, _)| member(handle))
            .map(|(handle, value)| Voter {
                agent: handle.to_string(),
                weight: match weighting {
                    Weighting::Value => value,
                    Weighting::Equal => one,
                },
            })
            .collect())
    }

    // --- Vote ---

    pub(crate) fn decide_vote(
        &self,
        ctx: &Ctx,
        role: Role,
        proposal: &str,
        reason: Option<&str>,
    ) -> DomainResult<Outcome> {
        forbid_observer(role, &ctx.actor, "vote")?;
        let found = self.open_proposal(proposal, "votes are no longer taken")?;
        if ctx.at >= found.deadline {
            return Err(DomainError::conflict(format!(
                "voting on {proposal} ended at {}: close it with `proposal close {proposal}`",
                found.deadline
            ))
            .field("proposal")
            .value(proposal));
        }
        if !found.voters.iter().any(|v| v.agent == ctx.actor) {
            return Err(DomainError::forbidden(format!(
                "{} is not eligible to vote on {proposal}: its voters were fixed when it opened (custodians and affiliates with a counted contribution, and the members the project lists)",
                ctx.actor
            ))
            .field("proposal")
            .value(proposal));
        }
        check_optional_text(Field::named("reason"), reason)?;
        Ok(Outcome::Done)
    }

    pub(crate) fn apply_vote(
        &mut self,
        ctx: &Ctx,
        proposal: &str,
        ballot: Ballot,
        reason: Option<&str>,
    ) -> DomainResult<()> {
        let found = self.proposal_mut(ctx, proposal, "vote")?;
        if found.status != ProposalStatus::Open {
            return Err(unfit(ctx, "vote"));
        }
        found.votes.insert(
            ctx.actor.clone(),
            CastVote {
                ballot,
                reason: reason.map(str::to_string),
                seq: ctx.seq,
                at: ctx.at,
            },
        );
        Ok(())
    }

    // --- CloseProposal ---

    pub(crate) fn decide_close_proposal(&self, ctx: &Ctx, proposal: &str) -> DomainResult<Outcome> {
        let found = self.open_proposal(proposal, "it cannot be closed again")?;
        if ctx.at < found.deadline {
            return Err(DomainError::conflict(format!(
                "voting on {proposal} runs until {}: it cannot be closed before",
                found.deadline
            ))
            .field("proposal")
            .value(proposal)
            .limit(found.deadline.to_string()));
        }
        let tally = found.tally()?;
        let passed = tally.quorum_met(found.settings.quorum)?
            && tally.threshold_met(found.settings.threshold)?;
        Ok(Outcome::ProposalClosed {
            passed,
            tally,
            notice_ends: passed.then(|| ctx.at.plus_days(found.settings.notice_days)),
        })
    }

    pub(crate) fn apply_close_proposal(
        &mut self,
        ctx: &Ctx,
        proposal: &str,
        outcome: (bool, &Tally, Option<Timestamp>),
    ) -> DomainResult<()> {
        let (passed, tally, notice_ends) = outcome;
        let found = self.proposal_mut(ctx, proposal, "close_proposal")?;
        let expected_end = passed.then(|| ctx.at.plus_days(found.settings.notice_days));
        if found.status != ProposalStatus::Open
            || found.tally()? != *tally
            || notice_ends != expected_end
        {
            return Err(unfit(ctx, "close_proposal"));
        }
        found.status = if passed {
            ProposalStatus::Passed
        } else {
            ProposalStatus::Rejected
        };
        found.closed = Some(ctx.at);
        found.tally = Some(tally.clone());
        found.notice_ends = notice_ends;
        if let Some(ends) = notice_ends {
            self.governance.due.insert((ends, proposal.to_string()));
        }
        Ok(())
    }

    // --- WithdrawProposal ---

    pub(crate) fn decide_withdraw_proposal(
        &self,
        ctx: &Ctx,
        proposal: &str,
    ) -> DomainResult<Outcome> {
        let found = self.open_proposal(proposal, "it can no longer be withdrawn")?;
        if found.author != ctx.actor {
            return Err(DomainError::forbidden(format!(
                "only {}, its author, may withdraw {proposal}",
                found.author
            ))
            .field("proposal")
            .value(proposal));
        }
        Ok(Outcome::Done)
    }

    pub(crate) fn apply_withdraw_proposal(
        &mut self,
        ctx: &Ctx,
        proposal: &str,
    ) -> DomainResult<()> {
        let found = self.proposal_mut(ctx, proposal, "withdraw_proposal")?;
        if found.status != ProposalStatus::Open || found.author != ctx.actor {
            return Err(unfit(ctx, "withdraw_proposal"));
        }
        found.status = ProposalStatus::Withdrawn;
        found.closed = Some(ctx.at);
        Ok(())
    }

    // --- EnactProposal ---

    pub(crate) fn decide_enact_proposal(&self, ctx: &Ctx, proposal: &str) -> DomainResult<Outcome> {
        let found = self.proposal(proposal).about_value("proposal", proposal)?;
        let Some(ends) = found
            .notice_ends
            .filter(|_| found.status == ProposalStatus::Passed)
        else {
            return Err(DomainError::conflict(format!(
                "{proposal} is {}: only a passed proposal waiting for its notice is enacted",
                found.status.as_str()
            ))
            .field("proposal")
            .value(proposal));
        };
        if ctx.at < ends {
            return Err(DomainError::conflict(format!(
                "the notice of {proposal} runs until {ends}: it takes effect then, not before"
            ))
            .field("proposal")
            .value(proposal)
            .limit(ends.to_string()));
        }
        Ok(match self.decide_changes(ctx, &found.changes) {
            Ok(outcomes) => Outcome::Enacted { outcomes },
            Err(ChangeRefused(index, error)) => Outcome::EnactmentFailed {
                change: index as u32 + 1,
                reason: error.to_string(),
            },
        })
    }

    pub(crate) fn apply_enact_proposal(
        &mut self,
        ctx: &Ctx,
        proposal: &str,
        outcome: &Outcome,
    ) -> DomainResult<()> {
        let found = self
            .proposal(proposal)
            .map_err(|_| unfit(ctx, "enact_proposal"))?;
        let ends = found
            .notice_ends
            .filter(|_| found.status == ProposalStatus::Passed);
        let changes = found.changes.clone();
        let Some(ends) = ends else {
            return Err(unfit(ctx, "enact_proposal"));
        };
        let (status, failure) = match outcome {
            Outcome::Enacted { outcomes } if outcomes.len() == changes.len() => {
                let change_ctx = governance_ctx(ctx);
                for (change, decided) in changes.iter().zip(outcomes) {
                    self.apply_area(&change_ctx, change, decided.clone())?;
                    self.note_rule(ctx, change, Some(proposal));
                }
                (ProposalStatus::Enacted, None)
            }
            Outcome::EnactmentFailed { change, reason }
                if (1..=changes.len()).contains(&(*change as usize)) =>
            {
                (
                    ProposalStatus::Failed,
                    Some(format!("change {change}: {reason}")),
                )
            }
            _ => return Err(unfit(ctx, "enact_proposal")),
        };
        self.governance.due.remove(&(ends, proposal.to_string()));
        let found = self.proposal_mut(ctx, proposal, "enact_proposal")?;
        found.status = status;
        found.failure = failure;
        found.enacted_seq = Some(ctx.seq);
        Ok(())
    }

    /// An open proposal; a closed one is refused with `closed_why`.
    fn open_proposal(&self, id: &str, closed_why: &str) -> DomainResult<&Proposal> {
        let found = self.proposal(id).about_value("proposal", id)?;
        if found.status != ProposalStatus::Open {
            return Err(DomainError::conflict(format!(
                "proposal {id} is {}: {closed_why}",
                found.status.as_str()
            ))
            .field("proposal")
            .value(id));
        }
        Ok(found)
    }

    fn proposal_mut(&mut self, ctx: &Ctx, id: &str, op: &str) -> DomainResult<&mut Proposal> {
        match self.governance.by_id.get(id) {
            Some(&index) => Ok(&mut self.governance.proposals[index]),
            None => Err(unfit(ctx, op)),
        }
    }
}

/// The context a proposal's change is decided and applied in: the governance acts (as the
/// operator does), at the event's instant, with no idempotency key of its own.
fn governance_ctx(ctx: &Ctx) -> Ctx {
    Ctx {
        actor: OPERATOR.to_string(),
        key: None,
        ..ctx.clone()
    }
}

/// A proposal's change refused: "change N (op): why", naming `changes` and the change's
/// number, and the field the change's own refusal names.
fn refused_change(index: usize, changes: &[Command], error: DomainError) -> DomainError {
    let op = changes.get(index).map_or("?", Command::op);
    let inner = error.field_name();
    let message = format!(
        "change {} ({op}) would be refused: {}",
        index + 1,
        error.message()
    );
    let refusal = DomainError::new(error.kind(), message)
        .field("changes")
        .value((index + 1).to_string());
    match inner {
        Some(field) => refusal.limit(format!("its field {field}")),
        None => refusal,
    }
}

/// The fields of `SetGovernance` after `project` and `mode`, as the command writes them.
pub(crate) struct GovernanceFields<'a> {
    pub mode: GovernanceMode,
    pub quorum: Option<&'a str>,
    pub threshold: Option<&'a str>,
    pub notice_days: Option<u32>,
    pub voting_days: Option<u32>,
    pub weight: Option<Weighting>,
}

impl GovernanceFields<'_> {
    /// The settings they give (defaults for what they leave out), checked.
    fn settings(&self) -> DomainResult<GovernanceSettings> {
        let defaults = GovernanceSettings::default();
        let percent = |field: Field, text: Option<&str>, default: Decimal, zero_ok: bool| {
            let Some(text) = text else {
                return Ok(default);
            };
            let value = decimal(field, text)?;
            let low_ok = if zero_ok {
                value >= Decimal::ZERO
            } else {
                value > Decimal::ZERO
            };
            if !low_ok || value > Decimal::ONE_HUNDRED {
                return Err(DomainError::invalid(format!(
                    "{} must be a percentage {} 0 and at most 100, got {text}",
                    field.what,
                    if zero_ok { "from" } else { "above" }
                ))
                .field(field.name)
                .value(text)
                .limit("100"));
            }
            Ok(value)
        };
        let days = |name: &'static str, days: Option<u32>, default: u32, min: u32| {
            let days = days.unwrap_or(default);
            if days < min || days > PERIOD_DAYS_MAX {
                return Err(DomainError::invalid(format!(
                    "{name} must be {min} to {PERIOD_DAYS_MAX} days, got {days}"
                ))
                .field(name)
                .value(days.to_string())
                .limit(format!("{PERIOD_DAYS_MAX} days")));
            }
            Ok(days)
        };
        Ok(GovernanceSettings {
            mode: self.mode,
            quorum: percent(Field::named("quorum"), self.quorum, defaults.quorum, true)?,
            threshold: percent(
                Field::named("threshold"),
                self.threshold,
                defaults.threshold,
                false,
            )?,
            notice_days: days("notice_days", self.notice_days, defaults.notice_days, 0)?,
            voting_days: days("voting_days", self.voting_days, defaults.voting_days, 1)?,
            weight: self.weight.unwrap_or(defaults.weight),
        })
    }
}

/// The fields of `Propose`, borrowed.
pub(crate) struct ProposeRequest<'a> {
    pub id: Option<&'a str>,
    pub project: Option<&'a str>,
    pub title: &'a str,
    pub changes: &'a [Command],
}

// --- the dispatchers ---

impl State {
    /// Decides the governance commands.
    pub(crate) fn decide_governance(
        &self,
        ctx: &Ctx,
        role: Role,
        command: &Command,
    ) -> DomainResult<Outcome> {
        match command {
            Command::SetGovernance { project, .. } => match GovernanceFields::of(command) {
                Some(fields) => self.decide_set_governance(role, project.as_deref(), &fields),
                None => Err(DomainError::corrupt("not a set_governance command")),
            },
            Command::Propose {
                id,
                project,
                title,
                changes,
            } => self.decide_propose(
                ctx,
                role,
                &ProposeRequest {
                    id: id.as_deref(),
                    project: project.as_deref(),
                    title,
                    changes,
                },
            ),
            Command::Vote {
                proposal, reason, ..
            } => self.decide_vote(ctx, role, proposal, reason.as_deref()),
            Command::CloseProposal { proposal } => self.decide_close_proposal(ctx, proposal),
            Command::WithdrawProposal { proposal } => self.decide_withdraw_proposal(ctx, proposal),
            Command::EnactProposal { proposal } => self.decide_enact_proposal(ctx, proposal),
            _ => Err(DomainError::corrupt(format!(
                "{} is not a governance command",
                command.op()
            ))),
        }
    }

    /// Applies the outcome of a governance command.
    pub(crate) fn apply_governance(
        &mut self,
        ctx: &Ctx,
        command: &Command,
        outcome: &Outcome,
    ) -> DomainResult<()> {
        match (command, outcome) {
            (Command::SetGovernance { project, .. }, Outcome::Done) => {
                match GovernanceFields::of(command) {
                    Some(fields) => self.apply_set_governance(project.as_deref(), &fields),
                    None => Err(unfit(ctx, command.op())),
                }
            }
            (
                Command::Propose {
                    id,
                    project,
                    title,
                    changes,
                },
                Outcome::Proposed {
                    id: opened,
                    deadline,
                    voters,
                },
            ) => self.apply_propose(
                ctx,
                &ProposeRequest {
                    id: id.as_deref(),
                    project: project.as_deref(),
                    title,
                    changes,
                },
                (opened, *deadline, voters),
            ),
            (
                Command::Vote {
                    proposal,
                    vote,
                    reason,
                },
                Outcome::Done,
            ) => self.apply_vote(ctx, proposal, *vote, reason.as_deref()),
            (
                Command::CloseProposal { proposal },
                Outcome::ProposalClosed {
                    passed,
                    tally,
                    notice_ends,
                },
            ) => self.apply_close_proposal(ctx, proposal, (*passed, tally, *notice_ends)),
            (Command::WithdrawProposal { proposal }, Outcome::Done) => {
                self.apply_withdraw_proposal(ctx, proposal)
            }
            (Command::EnactProposal { proposal }, _) => {
                self.apply_enact_proposal(ctx, proposal, outcome)
            }
            _ => Err(unfit(ctx, command.op())),
        }
    }
}

impl<'a> GovernanceFields<'a> {
    /// The fields of a `SetGovernance` command.
    fn of(command: &'a Command) -> Option<GovernanceFields<'a>> {
        match command {
            Command::SetGovernance {
                mode,
                quorum,
                threshold,
                notice_days,
                voting_days,
                weight,
                ..
            } => Some(GovernanceFields {
                mode: *mode,
                quorum: quorum.as_deref(),
                threshold: threshold.as_deref(),
                notice_days: *notice_days,
                voting_days: *voting_days,
                weight: *weight,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;

    fn ctx_at(state: &State, actor: &str, at: &str) -> Ctx {
        Ctx::recorded(state.head() + 1, actor, at).expect("time")
    }

    fn run(state: &mut State, actor: &str, at: &str, command: Command) -> Outcome {
        let ctx = ctx_at(state, actor, at);
        state.execute(&ctx, &command).expect("accepted")
    }

    /// ana (custodian) and bob (affiliate) with 2 h and 1 h of work in `p`, governed by
    /// proposals with value weights; proposal `x` (a rate of 9.00) open from T0.
    fn governed() -> State {
        let mut state = State::new();
        let t0 = "2026-03-01T09:00:00Z";
        for command in [
            Command::add_agent("ana", Role::Custodian),
            Command::add_agent("bob", Role::Affiliate),
            Command::add_agent("olga", Role::Observer),
            Command::add_project("p", "CAD", 2),
            Command::set_rate("p", "dev", "10.00"),
            Command::log_work("p", "ana", "dev", "2"),
            Command::log_work("p", "bob", "dev", "1"),
            Command::SetGovernance {
                project: Some("p".into()),
                mode: GovernanceMode::Proposals,
                quorum: Some("50".into()),
                threshold: Some("66.67".into()),
                notice_days: Some(2),
                voting_days: Some(3),
                weight: Some(Weighting::Value),
            },
        ] {
            run(&mut state, OPERATOR, t0, command);
        }
        run(
            &mut state,
            "bob",
            t0,
            Command::Propose {
                id: Some("x".into()),
                project: Some("p".into()),
                title: "nine".into(),
                changes: vec![Command::set_rate("p", "dev", "9.00")],
            },
        );
        state
    }

    fn close(proposal: &str) -> Command {
        Command::CloseProposal {
            proposal: proposal.into(),
        }
    }

    #[test]
    fn thresholds_are_exact_rationals() {
        let v = |n: i128| Value(n);
        let percent = |text: &str| text.parse::<Decimal>().unwrap();
        // 2/3 = 66.666…% is below 66.67% and above 66.66%.
        assert!(!at_least(v(2), v(3), percent("66.67")));
        assert!(at_least(v(2), v(3), percent("66.66")));
        assert!(at_least(v(6667), v(10_000), percent("66.67")));
        assert!(at_least(v(0), v(0), percent("0")));
        let tally = Tally {
            yes: v(1),
            no: v(0),
            abstain: v(0),
            eligible: v(10),
        };
        assert!(!tally.quorum_met(percent("10.01")).unwrap());
        assert!(tally.quorum_met(percent("10")).unwrap());
        assert!(
            Tally::default()
                .threshold_met(percent("0.01"))
                .is_ok_and(|met| !met)
        );
    }

    /// Only bob (10.00 of 30.00 eligible) votes: all yes, but a third of the weight is short of
    /// the 50% quorum, so x is rejected at its close, never enacted, and the rate stays.
    #[test]
    fn a_proposal_short_of_its_quorum_is_rejected() {
        let mut state = governed();
        let yes = Command::Vote {
            proposal: "x".into(),
            vote: Ballot::Yes,
            reason: None,
        };
        run(&mut state, "bob", "2026-03-02T09:00:00Z", yes);
        let closed = run(&mut state, "bob", "2026-03-04T09:00:00Z", close("x"));
        let tally = Tally {
            yes: Value::parse("10").unwrap(),
            no: Value::ZERO,
            abstain: Value::ZERO,
            eligible: Value::parse("30").unwrap(),
        };
        assert!(!tally.quorum_met(Decimal::from(50)).unwrap());
        assert!(tally.threshold_met("66.67".parse().unwrap()).unwrap());
        assert_eq!(
            closed,
            Outcome::ProposalClosed {
                passed: false,
                tally,
                notice_ends: None,
            }
        );
        assert_eq!(
            state.proposal("x").unwrap().status,
            ProposalStatus::Rejected
        );
        assert!(state.due_proposals(Timestamp(i64::MAX)).is_empty());
        let again = state.decide(&ctx_at(&state, "ana", "2026-03-05T09:00:00Z"), &close("x"));
        assert!(again.is_err(), "a closed proposal stays closed");
        assert_eq!(
            state.project("p").unwrap().policy.rates["dev"].to_string(),
            "10.00"
        );
    }

    #[test]
    fn a_proposal_passes_waits_and_takes_effect() {
        let mut state = governed();
        let x = state.proposal("x").unwrap();
        assert_eq!(x.deadline.to_string(), "2026-03-04T09:00:00Z");
        let weights: Vec<(String, String)> = x
            .voters
            .iter()
            .map(|v| (v.agent.clone(), v.weight.display(2)))
            .collect();
        assert_eq!(
            weights,
            [
                ("ana".into(), "20.00".into()),
                ("bob".into(), "10.00".into())
            ]
        );
        let yes = Command::Vote {
            proposal: "x".into(),
            vote: Ballot::Yes,
            reason: None,
        };
        run(&mut state, "ana", "2026-03-02T09:00:00Z", yes);
        let early = state.decide(&ctx_at(&state, "bob", "2026-03-04T08:59:59Z"), &close("x"));
        assert_eq!(
            early.unwrap_err().to_string(),
            "voting on x runs until 2026-03-04T09:00:00Z: it cannot be closed before"
        );
        let closed = run(&mut state, "olga", "2026-03-04T09:00:00Z", close("x"));
        assert_eq!(
            closed,
            Outcome::ProposalClosed {
                passed: true,
                tally: Tally {
                    yes: Value::parse("20").unwrap(),
                    no: Value::ZERO,
                    abstain: Value::ZERO,
                    eligible: Value::parse("30").unwrap(),
                },
                notice_ends: Some(Timestamp::parse("2026-03-06T09:00:00Z").unwrap()),
            }
        );
        let enact = Command::EnactProposal {
            proposal: "x".into(),
        };
        assert!(
            state
                .due_proposals(Timestamp::parse("2026-03-06T08:59:59Z").unwrap())
                .is_empty()
        );
        assert_eq!(
            state
                .decide(&ctx_at(&state, "bob", "2026-03-06T08:59:59Z"), &enact)
                .unwrap_err()
                .to_string(),
            "the notice of x runs until 2026-03-06T09:00:00Z: it takes effect then, not before"
        );
        assert_eq!(
            state.due_proposals(Timestamp::parse("2026-03-06T09:00:00Z").unwrap()),
            ["x"]
        );
        let enacted = run(&mut state, OPERATOR, "2026-03-06T09:00:00Z", enact);
        assert_eq!(
            enacted,
            Outcome::Enacted {
                outcomes: vec![Outcome::Done]
            }
        );
        let project = state.project("p").unwrap();
        assert_eq!(project.policy.rates["dev"].to_string(), "9.00");
        let rate = &state.rules_in_force(Some("p"))[2];
        assert_eq!(
            (rate.rule.as_str(), rate.proposal.as_deref()),
            ("rate dev", Some("x"))
        );
        assert!(state.due_proposals(Timestamp(i64::MAX)).is_empty());
    }

    /// Under proposals, a custodian's SetApprovals is refused directly (state unchanged);
    /// proposed, passed and enacted it sets the number, and `approvals` names proposal a.
    #[test]
    fn the_approvals_of_a_governed_project_change_by_proposal() {
        let mut state = governed();
        let set = Command::SetApprovals {
            project: "p".into(),
            approvals: 2,
        };
        let before = state.clone();
        let direct = state
            .execute(&ctx_at(&state, "ana", "2026-03-01T10:00:00Z"), &set)
            .unwrap_err();
        assert_eq!(direct.kind(), crate::error::ErrorKind::Forbidden);
        assert!(
            direct
                .to_string()
                .contains("set_approvals must be proposed"),
            "{direct}"
        );
        assert_eq!(state, before);
        let propose = Command::Propose {
            id: Some("a".into()),
            project: Some("p".into()),
            title: "two reviews".into(),
            changes: vec![set],
        };
        run(&mut state, "bob", "2026-03-01T10:00:00Z", propose);
        let yes = Command::Vote {
            proposal: "a".into(),
            vote: Ballot::Yes,
            reason: None,
        };
        run(&mut state, "ana", "2026-03-02T09:00:00Z", yes);
        run(&mut state, "bob", "2026-03-04T10:00:00Z", close("a"));
        let enact = Command::EnactProposal {
            proposal: "a".into(),
        };
        let enacted = run(&mut state, OPERATOR, "2026-03-06T10:00:00Z", enact);
        assert_eq!(
            enacted,
            Outcome::Enacted {
                outcomes: vec![Outcome::Done]
            }
        );
        assert_eq!(state.project("p").unwrap().approvals_required, 2);
        let rule = state
            .rules_in_force(Some("p"))
            .into_iter()
            .find(|change| change.rule == "approvals")
            .expect("approvals in force");
        assert_eq!(rule.proposal.as_deref(), Some("a"));
    }

    #[test]
    fn a_change_made_invalid_meanwhile_fails_with_its_reason() {
        let mut state = governed();
        // Two proposals create a token for p; both pass; the first enacted makes the second
        // invalid, which fails with the reason when its notice ends.
        for (id, at) in [
            ("t1", "2026-03-01T10:00:00Z"),
            ("t2", "2026-03-01T11:00:00Z"),
        ] {
            let token = Command::create_token(
                "p",
                id.to_uppercase().as_str(),
                2,
                crate::tokens::Redemption::Nav,
            );
            run(
                &mut state,
                "bob",
                at,
                Command::Propose {
                    id: Some(id.into()),
                    project: Some("p".into()),
                    title: "a token".into(),
                    changes: vec![token],
                },
            );
            let yes = Command::Vote {
                proposal: id.into(),
                vote: Ballot::Yes,
                reason: None,
            };
            run(&mut state, "ana", at, yes);
        }
        run(&mut state, OPERATOR, "2026-03-04T10:00:00Z", close("t1"));
        run(&mut state, OPERATOR, "2026-03-04T11:00:00Z", close("t2"));
        let enact = |id: &str| Command::EnactProposal {
            proposal: id.into(),
        };
        let first = run(&mut state, OPERATOR, "2026-03-06T10:00:00Z", enact("t1"));
        assert!(matches!(first, Outcome::Enacted { .. }), "{first:?}");
        let second = run(&mut state, OPERATOR, "2026-03-06T11:00:00Z", enact("t2"));
        let Outcome::EnactmentFailed { change: 1, reason } = second else {
            panic!("{second:?}");
        };
        assert_eq!(
            reason,
            "project p already issues T1: a project has one token"
        );
        let t2 = state.proposal("t2").unwrap();
        assert_eq!(t2.status, ProposalStatus::Failed);
        assert_eq!(
            t2.failure.as_deref(),
            Some(format!("change 1: {reason}").as_str())
        );
        // A forged enactment (outcomes that do not fit) is corrupt.
        let ctx = ctx_at(&state, OPERATOR, "2026-03-07T09:00:00Z");
        let forged = state
            .clone()
            .apply(&ctx, &enact("t2"), &Outcome::Enacted { outcomes: vec![] })
            .unwrap_err();
        assert!(forged.is(crate::error::ErrorKind::Corrupt), "{forged}");
    }

    #[test]
    fn forged_outcomes_are_corrupt_and_refusals_change_nothing() {
        let state = governed();
        let ctx = ctx_at(&state, "bob", "2026-03-04T09:00:00Z");
        let forged_tally = Outcome::ProposalClosed {
            passed: true,
            tally: Tally::default(),
            notice_ends: None,
        };
        let error = state
            .clone()
            .apply(&ctx, &close("x"), &forged_tally)
            .unwrap_err();
        assert!(error.is(crate::error::ErrorKind::Corrupt));
        let forged_deadline = Outcome::Proposed {
            id: "y".into(),
            deadline: Timestamp(0),
            voters: Vec::new(),
        };
        let propose = Command::Propose {
            id: None,
            project: Some("p".into()),
            title: "t".into(),
            changes: vec![Command::set_rate("p", "dev", "1.00")],
        };
        let error = state
            .clone()
            .apply(&ctx, &propose, &forged_deadline)
            .unwrap_err();
        assert!(error.is(crate::error::ErrorKind::Corrupt));
        // Refused: a direct rate, an observer's vote, a second id.
        let before = state.clone();
        let direct = state.decide(
            &ctx_at(&state, "ana", "2026-03-02T09:00:00Z"),
            &Command::set_rate("p", "dev", "1.00"),
        );
        let error = direct.unwrap_err();
        assert_eq!(error.field_name(), Some("project"));
        let vote = Command::Vote {
            proposal: "x".into(),
            vote: Ballot::No,
            reason: None,
        };
        assert!(
            state
                .decide(&ctx_at(&state, "olga", "2026-03-02T09:00:00Z"), &vote)
                .is_err()
        );
        let again = Command::Propose {
            id: Some("x".into()),
            project: Some("p".into()),
            title: "t".into(),
            changes: vec![Command::set_rate("p", "dev", "1.00")],
        };
        let error = state
            .decide(&ctx_at(&state, "bob", "2026-03-02T09:00:00Z"), &again)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "proposal \"x\" exists already: choose another id"
        );
        assert_eq!(state, before);
    }
}
