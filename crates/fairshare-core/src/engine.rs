//! The state machine: `decide` validates a command against the state and computes its outcome
//! without changing anything; `apply` records an outcome. A refused command leaves the state
//! untouched because nothing is applied until `decide` has succeeded.
//!
//! Both only dispatch. Every command has one `decide_x` (checks and computation, `&self`) and
//! one `apply_x` (effects, `&mut self`), side by side in the module of its capability:
//! agents and projects in `directory.rs`; rates, factors, plans and re-valuation in
//! `policy.rs`; contributions and their review in `contributions.rs`; revenue in
//! `distribute.rs`; shared resources in `resources.rs`; peer valuation in `peer.rs`; tokens in
//! `tokens.rs`; corrections in `corrections.rs`; payouts, expenses, transfers and exchanges in
//! `treasury.rs`; joining, roles and proposed projects in `membership.rs`. `Area::of` names
//! the capability of each command (exhaustive, so a new command must be placed); the
//! dispatchers destructure a command (and its outcome) and call them.

use crate::command::{Command, Line, Outcome};
use crate::contributions::{CiteRequest, LogRequest};
use crate::distribute::RevenueOutcome;
use crate::error::{DomainError, DomainResult};
use crate::model::Role;
use crate::state::{Ctx, KeyRecord, State};

/// The refusal of an outcome that does not fit its command (`op`): the log was damaged or
/// forged.
pub(crate) fn unfit(ctx: &Ctx, op: &str) -> DomainError {
    DomainError::corrupt(format!(
        "event {}: outcome does not fit a {op} command",
        ctx.seq
    ))
}

/// The capability a command belongs to: the module that decides and applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    /// Agents, projects, policy, contributions, revenue.
    Core,
    /// Adjustments and reversals of contributions and their review.
    Corrections,
    Resources,
    Peer,
    Tokens,
    Treasury,
    /// Joining, roles and proposed projects: the one area an actor who is no agent may
    /// reach (to ask to join).
    Membership,
    /// Governance settings and proposals.
    Governance,
}

impl Area {
    fn of(command: &Command) -> Area {
        match command {
            Command::AddAgent { .. }
            | Command::AddProject { .. }
            | Command::SetRate { .. }
            | Command::SetApprovals { .. }
            | Command::SetSkill { .. }
            | Command::SetMultiplier { .. }
            | Command::SetHalfLife { .. }
            | Command::Log { .. }
            | Command::Approve { .. }
            | Command::Reject { .. }
            | Command::SetPlan { .. }
            | Command::Revenue { .. }
            | Command::ReleaseBank { .. }
            | Command::Revalue { .. }
            | Command::Cite { .. } => Area::Core,
            // --- corrections ---
            Command::Adjust { .. }
            | Command::Reverse { .. }
            | Command::ApproveCorrection { .. }
            | Command::RejectCorrection { .. } => Area::Corrections,
            // --- shared resources ---
            Command::OpenCampaign { .. }
            | Command::Pledge { .. }
            | Command::CancelCampaign { .. }
            | Command::Purchase { .. }
            | Command::AddResource { .. }
            | Command::SetFees { .. }
            | Command::UseResource { .. }
            | Command::CommunityAdd { .. }
            | Command::CommunityRemove { .. } => Area::Resources,
            // --- peer valuation ---
            Command::OpenRound { .. }
            | Command::Give { .. }
            | Command::OptOut { .. }
            | Command::CloseRound { .. }
            | Command::StewardGive { .. }
            | Command::SetBlend { .. }
            | Command::AddBounty { .. }
            | Command::CompleteBounty { .. }
            | Command::AllocatePool { .. }
            | Command::SetLeaverPolicy { .. }
            | Command::Leave { .. }
            | Command::Captable { .. } => Area::Peer,
            // --- tokens ---
            Command::CreateToken { .. }
            | Command::Presale { .. }
            | Command::Buy { .. }
            | Command::Redeem { .. }
            | Command::Donate { .. }
            | Command::Transfer { .. }
            | Command::AcceptToken { .. }
            | Command::PayWithToken { .. } => Area::Tokens,
            // --- treasury ---
            Command::RequestPayout { .. }
            | Command::ApprovePayout { .. }
            | Command::RejectPayout { .. }
            | Command::SubmitExpense { .. }
            | Command::ApproveExpense { .. }
            | Command::RejectExpense { .. }
            | Command::TransferMoney { .. }
            | Command::Exchange { .. } => Area::Treasury,
            // --- membership ---
            Command::RequestJoin { .. }
            | Command::AdmitAgent { .. }
            | Command::DeclineJoin { .. }
            | Command::SetRole { .. }
            | Command::ProposeProject { .. }
            | Command::AdmitProject { .. }
            | Command::DeclineProject { .. }
            | Command::AddMember { .. }
            | Command::RemoveMember { .. } => Area::Membership,
            // --- governance ---
            Command::SetGovernance { .. }
            | Command::Propose { .. }
            | Command::Vote { .. }
            | Command::CloseProposal { .. }
            | Command::WithdrawProposal { .. }
            | Command::EnactProposal { .. } => Area::Governance,
        }
    }
}

impl State {
    /// Validates `command` for `ctx.actor` and computes its outcome. Never changes the state.
    pub fn decide(&self, ctx: &Ctx, command: &Command) -> DomainResult<Outcome> {
        let role = match self.role_of(&ctx.actor) {
            Ok(role) => role,
            // A stranger asks to join as themself: the one command of an actor who is no
            // agent yet (membership.rs decides what they may ask).
            Err(_) if matches!(command, Command::RequestJoin { .. }) => {
                return self.decide_stranger(ctx, command);
            }
            Err(unknown) => return Err(unknown),
        };
        // A rule change of a project governed by proposals is refused here, issued directly;
        // a proposal's changes are decided by `decide_as` (governance.rs).
        self.check_direct(command)?;
        self.decide_as(ctx, role, command)
    }

    /// Decides `command` for an actor of `role`, by the capability it belongs to.
    pub(crate) fn decide_as(
        &self,
        ctx: &Ctx,
        role: Role,
        command: &Command,
    ) -> DomainResult<Outcome> {
        // Rules 3: a number with spaces or past its precision is refused, for a proposal's
        // changes too.
        if ctx.strict() {
            crate::strict::check_numbers(command)?;
        }
        match Area::of(command) {
            Area::Core => self.decide_core(ctx, role, command),
            Area::Corrections => self.decide_correction(ctx, role, command),
            Area::Resources => self.decide_resources(ctx, role, command),
            Area::Peer => self.decide_peer(ctx, role, command),
            Area::Tokens => self.decide_token(ctx, role, command),
            Area::Treasury => self.decide_treasury(ctx, role, command),
            Area::Governance => self.decide_governance(ctx, role, command),
            Area::Membership => self.decide_membership(ctx, role, command),
        }
    }

    /// Decides the core commands: agents, projects, policy, contributions, revenue.
    fn decide_core(&self, ctx: &Ctx, role: Role, command: &Command) -> DomainResult<Outcome> {
        match command {
            Command::AddAgent { handle, name, .. } => {
                self.decide_add_agent(ctx, role, handle, name.as_deref())
            }
            Command::AddProject {
                slug,
                name,
                currency,
                exponent,
                approvals,
            } => self.decide_add_project(
                role,
                slug,
                name.as_deref(),
                currency,
                *exponent,
                *approvals,
            ),
            Command::SetRate {
                project,
                category,
                per_hour,
            } => self.decide_set_rate(role, project, category, per_hour),
            Command::SetApprovals { project, approvals } => {
                self.decide_set_approvals(role, project, *approvals)
            }
            Command::SetSkill {
                project,
                agent,
                factor,
            } => self.decide_set_skill(role, project, agent, factor),
            Command::SetMultiplier {
                project, factor, ..
            } => self.decide_set_multiplier(role, project, factor),
            Command::SetHalfLife { project, days } => {
                self.decide_set_half_life(role, project, days.as_deref())
            }
            Command::Log { .. } => match LogRequest::of(command) {
                Some(log) => self.decide_log(ctx, role, &log),
                None => Err(DomainError::corrupt("not a log command")),
            },
            Command::Cite { .. } => match CiteRequest::of(command) {
                Some(cite) => self.decide_cite(ctx, role, &cite),
                None => Err(DomainError::corrupt("not a cite command")),
            },
            Command::Approve { id } => self.decide_approve(ctx, role, *id),
            Command::Reject { id, reason } => self.decide_reject(ctx, role, *id, reason),
            Command::SetPlan { project, plan } => self.decide_set_plan(role, project, plan),
            Command::Revenue {
                project,
                amount,
                from,
            } => self.decide_revenue(ctx, role, project, amount, from.as_deref()),
            Command::ReleaseBank { project } => self.decide_release_bank(ctx, role, project),
            Command::Revalue { project } => self.decide_revalue(ctx, role, project),
            _ => Err(DomainError::corrupt(format!(
                "{} is not a core command",
                command.op()
            ))),
        }
    }

    /// Records a decided outcome. On replay the outcome comes from the log; an outcome that
    /// does not fit its command means the log was damaged, and is reported as `Corrupt`.
    pub fn apply(&mut self, ctx: &Ctx, command: &Command, outcome: &Outcome) -> DomainResult<()> {
        self.apply_owned(ctx, command, outcome.clone())
    }

    /// [`State::apply`] for a caller that no longer needs the outcome (replay, import): a
    /// distribution keeps its payout lines without copying them.
    pub fn apply_owned(
        &mut self,
        ctx: &Ctx,
        command: &Command,
        outcome: Outcome,
    ) -> DomainResult<()> {
        if ctx.seq != self.head + 1 {
            return Err(DomainError::corrupt(format!(
                "event {} follows event {}: the log has a gap",
                ctx.seq, self.head
            )));
        }
        let keyed =
            (ctx.key.as_ref()).map(|_| KeyRecord::new(ctx.payload_hash.clone(), ctx.seq, &outcome));
        self.apply_area(ctx, command, outcome)?;
        self.note_rule(ctx, command, None);
        if let Some(record) = keyed {
            self.record_key(ctx, record);
        }
        self.head = ctx.seq;
        Ok(())
    }

    /// Applies an outcome by the capability its command belongs to (also each change of an
    /// enacted proposal).
    pub(crate) fn apply_area(
        &mut self,
        ctx: &Ctx,
        command: &Command,
        mut outcome: Outcome,
    ) -> DomainResult<()> {
        let payout_lines = match &mut outcome {
            Outcome::Distributed { lines, .. } => std::mem::take(lines),
            _ => Vec::new(),
        };
        let outcome = &outcome;
        match Area::of(command) {
            Area::Core => self.apply_core(ctx, command, outcome, payout_lines)?,
            Area::Corrections => self.apply_correction(ctx, command, outcome)?,
            Area::Resources => self.apply_resources(ctx, command, outcome)?,
            Area::Peer => self.apply_peer(ctx, command, outcome)?,
            Area::Tokens => self.apply_token(ctx, command, outcome)?,
            Area::Treasury => self.apply_treasury(ctx, command, outcome)?,
            Area::Membership => self.apply_membership(ctx, command, outcome)?,
            Area::Governance => self.apply_governance(ctx, command, outcome)?,
        }
        Ok(())
    }

    /// Applies the outcome of a core command (a revenue's payout lines come apart, moved).
    fn apply_core(
        &mut self,
        ctx: &Ctx,
        command: &Command,
        outcome: &Outcome,
        payout_lines: Vec<Line>,
    ) -> DomainResult<()> {
        match (command, outcome) {
            (Command::AddAgent { handle, name, role }, Outcome::Done) => {
                self.apply_add_agent(handle, name.as_deref(), *role)
            }
            (
                Command::AddProject {
                    slug,
                    name,
                    currency,
                    exponent,
                    approvals,
                },
                Outcome::Done,
            ) => {
                self.apply_add_project(ctx, slug, name.as_deref(), currency, *exponent, *approvals)
            }
            (
                Command::SetRate {
                    project,
                    category,
                    per_hour,
                },
                Outcome::Done,
            ) => self.apply_set_rate(project, category, per_hour),
            (Command::SetApprovals { project, approvals }, Outcome::Done) => {
                self.apply_set_approvals(project, *approvals)
            }
            (
                Command::SetSkill {
                    project,
                    agent,
                    factor,
                },
                Outcome::Done,
            ) => self.apply_set_skill(project, agent, factor),
            (
                Command::SetMultiplier {
                    project,
                    kind,
                    factor,
                },
                Outcome::Done,
            ) => self.apply_set_multiplier(project, *kind, factor),
            (Command::SetHalfLife { project, days }, Outcome::Done) => {
                self.apply_set_half_life(ctx, project, days.as_deref())
            }
            (
                Command::Log { .. },
                Outcome::Logged {
                    id,
                    value,
                    counted,
                    minted,
                },
            ) => match LogRequest::of(command) {
                Some(log) => self.apply_log(ctx, &log, *id, *value, *counted, minted.as_ref()),
                None => Err(unfit(ctx, command.op())),
            },
            (
                Command::Cite { .. },
                Outcome::Logged {
                    id,
                    value,
                    counted,
                    minted,
                },
            ) => match CiteRequest::of(command) {
                Some(cite) => self.apply_cite(ctx, &cite, *id, *value, *counted, minted.as_ref()),
                None => Err(unfit(ctx, command.op())),
            },
            (
                Command::Approve { id },
                Outcome::Approved {
                    id: outcome_id,
                    counted,
                    minted,
                },
            ) => self.apply_approve(ctx, *id, *outcome_id, *counted, minted.as_ref()),
            (Command::Reject { id, reason }, Outcome::Done) => self.apply_reject(ctx, *id, reason),
            (Command::SetPlan { project, plan }, Outcome::PlanSet { version }) => {
                self.apply_set_plan(ctx, project, plan, *version)
            }
            (Command::Revenue { project, from, .. }, Outcome::Distributed { .. }) => {
                let revenue = RevenueOutcome::of(outcome, payout_lines);
                self.apply_revenue(ctx, project, from.as_deref(), revenue)
            }
            (Command::ReleaseBank { project }, Outcome::Distributed { .. }) => {
                let release = RevenueOutcome::of(outcome, payout_lines);
                self.apply_release_bank(ctx, project, release)
            }
            (Command::Revalue { .. }, Outcome::Revalued { changes }) => {
                self.apply_revalue(ctx, changes)
            }
            _ => Err(unfit(ctx, command.op())),
        }
    }

    /// Remembers what an idempotency key was first used for.
    fn record_key(&mut self, ctx: &Ctx, record: KeyRecord) {
        if let Some(key) = &ctx.key {
            self.keys.insert(key.clone(), record);
        }
    }

    /// Decides and applies in one step.
    pub fn execute(&mut self, ctx: &Ctx, command: &Command) -> DomainResult<Outcome> {
        let outcome = self.decide(ctx, command)?;
        self.apply(ctx, command, &outcome)?;
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::tests_support::{TODAY, ctx_on, ok};
    use crate::model::{Bucket, Kind, OPERATOR, Plan};

    fn ctx(state: &State) -> Ctx {
        ctx_on(state, OPERATOR, TODAY)
    }

    /// (message, field, value, limit) of a refusal.
    fn refusal(
        state: &State,
        command: Command,
    ) -> (String, Option<&'static str>, Option<String>, Option<String>) {
        let error = state.decide(&ctx(state), &command).expect_err("refused");
        let details = error.details().cloned().unwrap_or_default();
        (
            error.to_string(),
            details.field,
            details.value,
            details.limit,
        )
    }

    fn log(kind: Kind) -> Command {
        Command::log("p", "ana", kind, None, None, None)
    }

    #[test]
    fn refusals_name_their_field_value_and_limit() {
        let mut state = State::new();
        ok(
            &mut state,
            Command::add_agent("ana", crate::model::Role::Affiliate),
        );
        let project = |slug: &str, exponent: u32, approvals: u32| {
            Command::add_project_approving(slug, "CAD", exponent, approvals)
        };
        ok(&mut state, project("p", 2, 0));
        let s = |text: &str| Some(text.to_string());

        let (message, field, value, limit) = refusal(&state, project("q", 19, 0));
        assert_eq!(message, "exponent 19 is too large: at most 18");
        assert_eq!((field, value, limit), (Some("exponent"), s("19"), s("18")));
        let (message, field, value, limit) = refusal(&state, project("q", 2, 101));
        assert_eq!(message, "at most 100 approvals may be required");
        assert_eq!(
            (field, value, limit),
            (Some("approvals"), None, s("100 approvals"))
        );

        let long = "a".repeat(65);
        let (message, field, value, limit) = refusal(
            &state,
            Command::AddAgent {
                handle: long.clone(),
                name: None,
                role: crate::model::Role::Affiliate,
            },
        );
        assert!(message.starts_with("invalid handle"), "{message}");
        assert_eq!(
            (field, value, limit),
            (Some("handle"), Some(long), s("64 bytes"))
        );

        let (message, field, value, _) = refusal(
            &state,
            Command::SetRate {
                project: "p".into(),
                category: "design".into(),
                per_hour: "4e5".into(),
            },
        );
        assert_eq!(
            message,
            "malformed rate \"4e5\": expected a decimal number such as 45.00"
        );
        assert_eq!((field, value), (Some("per_hour"), s("4e5")));

        let (message, field, value, _) = refusal(
            &state,
            Command::SetSkill {
                project: "p".into(),
                agent: "zed".into(),
                factor: "2".into(),
            },
        );
        assert!(message.starts_with("unknown agent \"zed\""), "{message}");
        assert_eq!((field, value), (Some("agent"), s("zed")));

        let mut cash = log(Kind::Cash);
        if let Command::Log { hours, .. } = &mut cash {
            *hours = Some("2".into());
        }
        let (message, field, value, _) = refusal(&state, cash);
        assert_eq!(message, "a cash contribution takes no hours");
        assert_eq!((field, value), (Some("hours"), None));

        let revenue = |amount: &str| Command::revenue("p", amount);
        let (message, field, value, limit) = refusal(&state, revenue("1.005"));
        assert_eq!(
            message,
            "amount \"1.005\" has 3 decimals but the asset has 2"
        );
        assert_eq!(
            (field, value, limit),
            (Some("amount"), s("1.005"), s("2 decimals"))
        );
        let huge = "1".repeat(31);
        let (message, field, _, limit) = refusal(&state, revenue(&huge));
        assert_eq!(message, format!("malformed amount {huge:?}: too large"));
        assert_eq!(field, Some("amount"));
        assert_eq!(limit, s("10000000000000000000000000000.00"));

        let (message, field, _, limit) = refusal(
            &state,
            Command::Reject {
                id: 1,
                reason: "x".into(),
            },
        );
        assert_eq!(message, "unknown contribution 1");
        assert_eq!((field, limit), (Some("id"), None));

        let plan = Plan {
            buckets: vec![Bucket::all_contributors(); 65],
        };
        let (message, field, _, limit) = refusal(
            &state,
            Command::SetPlan {
                project: "p".into(),
                plan,
            },
        );
        assert_eq!(message, "a plan has at most 64 buckets");
        assert_eq!((field, limit), (Some("plan"), s("64 buckets")));
    }

    #[test]
    fn a_technician_and_their_hours_come_together() {
        let (state, used) = crate::limits::technician_tests::drill();
        let use_with = |technician: Option<&str>, hours: Option<&str>| {
            let mut command = used.clone();
            if let Command::UseResource {
                technician: t,
                technician_hours: h,
                ..
            } = &mut command
            {
                *t = technician.map(Into::into);
                *h = hours.map(Into::into);
            }
            command
        };
        let (message, field, _, _) = refusal(&state, use_with(Some("ana"), None));
        assert_eq!(message, "a technician needs technician hours");
        assert_eq!(field, Some("technician_hours"));
        let (message, field, _, _) = refusal(&state, use_with(None, Some("1")));
        assert_eq!(message, "technician hours need a technician");
        assert_eq!(field, Some("technician"));
    }
}
