//! Commands in, outcomes out: `decide` validates a command against the state and computes its
//! outcome without changing anything; `apply` records an outcome. A refused command leaves the
//! state untouched because nothing is applied until `decide` has succeeded.

use std::sync::Arc;

use rust_decimal::Decimal;

use crate::command::{Command, Outcome};
use crate::distribute::plan_distribution;
use crate::error::{DomainError, DomainResult};
use crate::ledger::Posting;
use crate::model::{
    Agent, Bucket, Contribution, Kind, OPERATOR, OUTSIDE, PLAN_BUCKETS_MAX, PercentOf, Plan,
    Policy, Role, Status, check_name, check_text,
};
use crate::money::{EXPONENT_MAX, parse_positive_amount};
use crate::roles::{
    affiliate_acts_for_self, forbid_observer, observers_only_read, require_custodian,
};
use crate::state::{Claim, Ctx, Distribution, KeyRecord, Project, State};
use crate::value::{Value, parse_decimal, parse_positive_decimal};

/// Names nobody may take: they mean something already.
const RESERVED_NAMES: [&str; 3] = [OUTSIDE, OPERATOR, "unallocated"];
/// Most approvals a project may require.
const APPROVALS_MAX: u32 = 100;

impl State {
    /// Validates `command` for `ctx.actor` and computes its outcome. Never changes the state.
    pub fn decide(&self, ctx: &Ctx, command: &Command) -> DomainResult<Outcome> {
        let role = self.role_of(&ctx.actor)?;
        match command {
            Command::AddAgent {
                handle,
                name,
                role: _,
            } => {
                require_custodian(role, "add agents")?;
                self.check_new_name(handle, "handle")?;
                if let Some(name) = name {
                    check_text(name, "name")?;
                }
                Ok(Outcome::Done)
            }
            Command::AddProject {
                slug,
                name,
                currency,
                exponent,
                approvals,
            } => {
                require_custodian(role, "add projects")?;
                self.check_new_name(slug, "project slug")?;
                if let Some(name) = name {
                    check_text(name, "name")?;
                }
                check_asset_code(currency)?;
                self.check_currency_not_token(currency)?;
                if *exponent > EXPONENT_MAX {
                    return Err(DomainError::invalid(format!(
                        "exponent {exponent} is too large: at most {EXPONENT_MAX}"
                    )));
                }
                if let Some(known) = self.asset_exponent(currency)
                    && known != *exponent
                {
                    return Err(DomainError::conflict(format!(
                        "currency {currency} already has exponent {known} in this book, not {exponent}"
                    )));
                }
                if *approvals > APPROVALS_MAX {
                    return Err(DomainError::invalid(format!(
                        "at most {APPROVALS_MAX} approvals may be required"
                    )));
                }
                Ok(Outcome::Done)
            }
            Command::SetRate {
                project,
                category,
                per_hour,
            } => {
                require_custodian(role, "set rates")?;
                self.project(project)?;
                check_name(category, "category")?;
                non_negative(parse_decimal(per_hour, "rate")?, "rate")?;
                Ok(Outcome::Done)
            }
            Command::SetSkill {
                project,
                agent,
                factor,
            } => {
                require_custodian(role, "set skill factors")?;
                self.project(project)?;
                self.agent(agent)?;
                parse_positive_decimal(factor, "skill factor")?;
                Ok(Outcome::Done)
            }
            Command::SetMultiplier {
                project,
                kind: _,
                factor,
            } => {
                require_custodian(role, "set multipliers")?;
                self.project(project)?;
                parse_positive_decimal(factor, "multiplier")?;
                Ok(Outcome::Done)
            }
            Command::SetHalfLife { project, days } => {
                require_custodian(role, "set the decay half-life")?;
                self.project(project)?;
                if let Some(days) = days {
                    parse_positive_decimal(days, "half-life in days")?;
                }
                Ok(Outcome::Done)
            }
            Command::Log { project, agent, .. } => {
                observers_only_read(role, &ctx.actor, "log contributions")?;
                affiliate_acts_for_self(
                    role,
                    &ctx.actor,
                    agent,
                    format_args!("log only their own contributions, not {agent}'s"),
                )?;
                let project = self.project(project)?;
                self.agent(agent)?;
                self.check_not_left(&project.slug, agent)?;
                let contribution = self.new_contribution(ctx, project, command, Value::ZERO)?;
                let value = self.valuate(project, &contribution)?;
                let counted = project.approvals_required == 0;
                Ok(Outcome::Logged {
                    id: self.contributions.len() as u64 + 1,
                    value,
                    counted,
                    minted: if counted {
                        self.token_mint_for(&contribution, value)?
                    } else {
                        None
                    },
                })
            }
            Command::Approve { id } => {
                let contribution = self.check_review(ctx, role, *id, "approve")?;
                if contribution.approvals().contains(&ctx.actor) {
                    return Err(DomainError::conflict(format!(
                        "{} has already approved contribution {id}",
                        ctx.actor
                    )));
                }
                let project = self.project(&contribution.project)?;
                let counted =
                    contribution.approvals().len() as u32 + 1 >= project.approvals_required;
                let minted = if counted {
                    self.token_mint_for(contribution, contribution.value)?
                } else {
                    None
                };
                Ok(Outcome::Approved {
                    id: *id,
                    counted,
                    minted,
                })
            }
            Command::Reject { id, reason } => {
                self.check_review(ctx, role, *id, "reject")?;
                if reason.trim().is_empty() {
                    return Err(DomainError::invalid("a rejection needs a reason").field("reason"));
                }
                check_text(reason, "reason")?;
                Ok(Outcome::Done)
            }
            Command::SetPlan { project, plan } => {
                require_custodian(role, "set plans")?;
                let project = self.project(project)?;
                check_plan(self, project, plan)?;
                self.check_plan_tokens(plan)?;
                Ok(Outcome::PlanSet {
                    version: project.plan_version() + 1,
                })
            }
            Command::Revenue {
                project,
                amount,
                from,
            } => {
                require_custodian(role, "record revenue")?;
                let project = self.project(project)?;
                let amount = parse_positive_amount(amount, project.exponent)?;
                if let Some(from) = from {
                    check_text(from, "source")?;
                }
                let (lines, claims) = plan_distribution(self, project, amount, ctx.date)?;
                Ok(Outcome::Distributed {
                    id: self.distributions.len() as u64 + 1,
                    amount,
                    plan_version: project.plan_version(),
                    lines,
                    claims,
                })
            }
            Command::Revalue { project } => {
                require_custodian(role, "re-value contributions")?;
                let project = self.project(project)?;
                let mut changes = Vec::new();
                for contribution in self.project_contributions(project) {
                    // A bad leave fixed this value for good (peer.rs).
                    if self.value_fixed_by_leave(contribution) {
                        continue;
                    }
                    let value = self.valuate(project, contribution)?;
                    if value != contribution.value {
                        changes.push((contribution.id, value));
                    }
                }
                Ok(Outcome::Revalued { changes })
            }
            Command::OpenCampaign { .. }
            | Command::Pledge { .. }
            | Command::CancelCampaign { .. }
            | Command::Purchase { .. }
            | Command::AddResource { .. }
            | Command::SetFees { .. }
            | Command::UseResource { .. } => self.decide_resources(ctx, role, command),
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
            | Command::Captable { .. } => self.decide_peer(ctx, role, command),
            // --- tokens ---
            Command::CreateToken { .. }
            | Command::Presale { .. }
            | Command::Buy { .. }
            | Command::Redeem { .. }
            | Command::Donate { .. }
            | Command::Transfer { .. }
            | Command::AcceptToken { .. }
            | Command::PayWithToken { .. } => self.decide_token(ctx, role, command),
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
        mut outcome: Outcome,
    ) -> DomainResult<()> {
        let payout_lines = match &mut outcome {
            Outcome::Distributed { lines, .. } => std::mem::take(lines),
            _ => Vec::new(),
        };
        let outcome = &outcome;
        if ctx.seq != self.head + 1 {
            return Err(DomainError::corrupt(format!(
                "event {} follows event {}: the log has a gap",
                ctx.seq, self.head
            )));
        }
        let mismatch = || {
            DomainError::corrupt(format!(
                "event {}: outcome does not fit a {} command",
                ctx.seq,
                command.op()
            ))
        };
        match (command, outcome) {
            (Command::AddAgent { handle, name, role }, Outcome::Done) => {
                let agent = Agent {
                    handle: handle.clone(),
                    name: name.clone(),
                    role: *role,
                };
                self.agents.insert(Arc::from(handle.as_str()), agent);
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
                let project = Project {
                    slug: Arc::from(slug.as_str()),
                    name: name.clone(),
                    currency: currency.clone(),
                    exponent: *exponent,
                    approvals_required: *approvals,
                    policy: Policy::default(),
                    plans: vec![Plan::default_plan()],
                    contributions: Vec::new(),
                    counted: Default::default(),
                    claims: Vec::new(),
                    claim_index: Default::default(),
                };
                self.projects.insert(slug.clone(), project);
            }
            (
                Command::SetRate {
                    project,
                    category,
                    per_hour,
                },
                Outcome::Done,
            ) => {
                let rate = parse_decimal(per_hour, "rate")?;
                self.project_mut(project)?
                    .policy
                    .rates
                    .insert(Arc::from(category.as_str()), rate);
            }
            (
                Command::SetSkill {
                    project,
                    agent,
                    factor,
                },
                Outcome::Done,
            ) => {
                let factor = parse_decimal(factor, "skill factor")?;
                self.project_mut(project)?
                    .policy
                    .skills
                    .insert(agent.clone(), factor);
            }
            (
                Command::SetMultiplier {
                    project,
                    kind,
                    factor,
                },
                Outcome::Done,
            ) => {
                let factor = parse_decimal(factor, "multiplier")?;
                self.project_mut(project)?
                    .policy
                    .multipliers
                    .insert(*kind, factor);
            }
            (Command::SetHalfLife { project, days }, Outcome::Done) => {
                let days = days
                    .as_deref()
                    .map(|d| parse_decimal(d, "half-life"))
                    .transpose()?;
                self.project_mut(project)?.policy.half_life_days = days;
            }
            (
                Command::Log { project, .. },
                Outcome::Logged {
                    id,
                    value,
                    counted,
                    minted,
                },
            ) => {
                if *id != self.contributions.len() as u64 + 1 {
                    return Err(mismatch());
                }
                let mut contribution =
                    self.new_contribution(ctx, self.project(project)?, command, *value)?;
                if *counted {
                    contribution.status = Status::Approved;
                    self.count(&contribution)?;
                }
                self.apply_token_mint(ctx, &contribution, *counted, minted.as_ref())?;
                self.project_mut(project)?.contributions.push(*id);
                self.contributions.push(contribution);
            }
            (
                Command::Approve { id },
                Outcome::Approved {
                    id: outcome_id,
                    counted,
                    minted,
                },
            ) => {
                if id != outcome_id {
                    return Err(mismatch());
                }
                let index = *id as usize - 1;
                self.contributions[index].add_approval(ctx.actor.clone());
                if *counted {
                    self.contributions[index].status = Status::Approved;
                    let contribution = self.contributions[index].clone();
                    self.count(&contribution)?;
                }
                let contribution = self.contributions[index].clone();
                self.apply_token_mint(ctx, &contribution, *counted, minted.as_ref())?;
            }
            (Command::Reject { id, reason }, Outcome::Done) => {
                let contribution = self
                    .contributions
                    .get_mut((*id as usize).wrapping_sub(1))
                    .ok_or_else(mismatch)?;
                contribution.status = Status::Rejected;
                contribution.set_reason(reason.clone());
            }
            (Command::SetPlan { project, plan }, Outcome::PlanSet { version }) => {
                let project = self.project_mut(project)?;
                if *version != project.plan_version() + 1 {
                    return Err(mismatch());
                }
                project.plans.push(plan.clone());
            }
            (
                Command::Revenue { project, from, .. },
                Outcome::Distributed {
                    id,
                    amount,
                    plan_version,
                    lines: _,
                    claims,
                },
            ) => {
                let mut lines = payout_lines;
                // Parsed lines come with the spare capacity of a growing Vec: kept for good,
                // they should not hold it.
                lines.shrink_to_fit();
                if *id != self.distributions.len() as u64 + 1
                    || lines.iter().map(|l| l.amount).sum::<i128>() != *amount
                {
                    return Err(mismatch());
                }
                let (asset, exponent) = {
                    let project = self.project(project)?;
                    (project.currency.clone(), project.exponent)
                };
                let postings = revenue_postings(&asset, *amount, &lines);
                let memo = format!("revenue {project} distribution {id}");
                let transaction = self.ledger.post(ctx.seq, memo, postings)?;
                // Payback lines settle co-owners' caps (and may turn the resource into a commons).
                let plan = self
                    .project(project)?
                    .plans
                    .get(*plan_version as usize - 1)
                    .cloned()
                    .ok_or_else(mismatch)?;
                for (index, bucket) in plan.buckets.iter().enumerate() {
                    if let Bucket::Payback { resource, .. } = bucket {
                        let payments: Vec<(&str, i128)> = lines
                            .iter()
                            .filter(|l| l.bucket as usize == index)
                            .map(|l| (l.to.as_str(), l.amount))
                            .collect();
                        self.apply_payback(resource, &payments)?;
                    }
                }
                let project_state = self.project_mut(project)?;
                for payment in claims {
                    let at = *project_state
                        .claim_index
                        .get(&payment.contribution)
                        .ok_or_else(mismatch)?;
                    project_state.claims[at].paid += payment.amount;
                }
                self.distributions.push(Distribution {
                    id: *id,
                    project: project.clone(),
                    seq: ctx.seq,
                    date: ctx.date,
                    amount: *amount,
                    asset,
                    exponent,
                    plan_version: *plan_version,
                    key: ctx.key.clone(),
                    from: from.clone(),
                    lines,
                    transaction,
                });
            }
            (Command::Revalue { .. }, Outcome::Revalued { changes }) => {
                for (id, value) in changes {
                    let index = (*id as usize).checked_sub(1).ok_or_else(mismatch)?;
                    let old = self.contributions.get(index).ok_or_else(mismatch)?.clone();
                    if old.counts() {
                        self.uncount_value(&old)?;
                    }
                    self.contributions[index].value = *value;
                    if old.counts() {
                        let updated = self.contributions[index].clone();
                        self.add_value(&updated)?;
                    }
                }
            }
            (
                Command::OpenCampaign { .. }
                | Command::Pledge { .. }
                | Command::CancelCampaign { .. }
                | Command::Purchase { .. }
                | Command::AddResource { .. }
                | Command::SetFees { .. }
                | Command::UseResource { .. },
                _,
            ) => self.apply_resources(ctx, command, outcome)?,
            // --- peer valuation ---
            (
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
                | Command::Captable { .. },
                _,
            ) => self.apply_peer(ctx, command, outcome)?,
            // --- tokens ---
            (
                Command::CreateToken { .. }
                | Command::Presale { .. }
                | Command::Buy { .. }
                | Command::Redeem { .. }
                | Command::Donate { .. }
                | Command::Transfer { .. }
                | Command::AcceptToken { .. }
                | Command::PayWithToken { .. },
                _,
            ) => self.apply_token(ctx, command, outcome)?,
            _ => return Err(mismatch()),
        }
        if let Some(key) = &ctx.key {
            self.keys.insert(
                key.clone(),
                KeyRecord {
                    payload_hash: ctx.payload_hash.clone(),
                    seq: ctx.seq,
                    outcome: KeyRecord::compact(outcome),
                },
            );
        }
        self.head = ctx.seq;
        Ok(())
    }

    /// Decides and applies in one step.
    pub fn execute(&mut self, ctx: &Ctx, command: &Command) -> DomainResult<Outcome> {
        let outcome = self.decide(ctx, command)?;
        self.apply(ctx, command, &outcome)?;
        Ok(outcome)
    }
}

/// A revenue's transaction: `amount` from `outside`, then one credit per account in byte order
/// of its name (an account paid by several buckets gets one posting).
fn revenue_postings(asset: &str, amount: i128, lines: &[crate::Line]) -> Vec<Posting> {
    let mut credits: Vec<(&str, i128)> = lines.iter().map(|l| (l.to.as_str(), l.amount)).collect();
    // Lines come sorted bucket by bucket, so this sort mostly merges a few sorted runs.
    credits.sort_by(|a, b| a.0.cmp(b.0));
    let mut postings = Vec::with_capacity(credits.len() + 1);
    postings.push(Posting {
        account: OUTSIDE.into(),
        asset: asset.into(),
        amount: -amount,
    });
    for (account, amount) in credits {
        // postings[0] is the debit from outside: never merge a credit into it.
        let credited = postings.len() > 1;
        match postings.last_mut() {
            Some(last) if credited && last.account == account => last.amount += amount,
            _ => postings.push(Posting {
                account: account.into(),
                asset: asset.into(),
                amount,
            }),
        }
    }
    postings
}

impl State {
    fn check_new_name(&self, name: &str, what: &str) -> DomainResult<()> {
        check_name(name, what)?;
        if RESERVED_NAMES.contains(&name) || name.ends_with("-unallocated") {
            return Err(DomainError::invalid(format!("{what} {name:?} is reserved")));
        }
        if let Some(holder) = self.name_taken(name) {
            return Err(DomainError::conflict(format!(
                "{what} {name:?} is already taken by {holder}"
            )));
        }
        Ok(())
    }

    fn check_review(
        &self,
        ctx: &Ctx,
        role: Role,
        id: u64,
        verb: &str,
    ) -> DomainResult<&Contribution> {
        forbid_observer(role, &ctx.actor, format_args!("{verb} contributions"))?;
        let contribution = self.contribution(id)?;
        if *contribution.agent == *ctx.actor {
            return Err(DomainError::forbidden(format!(
                "{} may not {verb} their own contribution {id}: nobody reviews their own work",
                ctx.actor
            )));
        }
        if contribution.status != Status::Pending {
            return Err(DomainError::conflict(format!(
                "contribution {id} is already {}",
                contribution.status.as_str()
            )));
        }
        Ok(contribution)
    }

    /// Builds the contribution a `Log` command describes, checking its fields for its kind.
    fn new_contribution(
        &self,
        ctx: &Ctx,
        project: &Project,
        command: &Command,
        value: Value,
    ) -> DomainResult<Contribution> {
        let Command::Log {
            agent,
            kind,
            category,
            hours,
            amount,
            rate,
            value: cited,
            date,
            note,
            gift,
            reimbursable,
            ..
        } = command
        else {
            return Err(DomainError::corrupt("not a log command"));
        };
        let refuse_extra = |field: &str, present: bool| {
            if present {
                Err(DomainError::invalid(format!(
                    "a {kind} contribution takes no {field}"
                )))
            } else {
                Ok(())
            }
        };
        fn need<'a>(
            kind: Kind,
            field: &'a Option<String>,
            name: &'static str,
            what: &str,
        ) -> DomainResult<&'a str> {
            field.as_deref().ok_or_else(|| {
                DomainError::invalid(format!("a {kind} contribution needs {what}")).field(name)
            })
        }
        let mut interned_category = None;
        let mut amount_minor = None;
        let mut unit_rate = None;
        let quantity: Decimal;
        match kind {
            Kind::Work => {
                refuse_extra("amount", amount.is_some())?;
                refuse_extra(
                    "rate (work is valued by its category's rate)",
                    rate.is_some(),
                )?;
                refuse_extra("value", cited.is_some())?;
                quantity = parse_positive_decimal(need(*kind, hours, "hours", "hours")?, "hours")?;
                let category = need(*kind, category, "category", "a category")?;
                let (name, _) = project.policy.rates.get_key_value(category).ok_or_else(|| {
                    DomainError::invalid(format!(
                        "unknown category {category:?} in project {}: set its rate first with `rate set {} {category} PER_HOUR`",
                        project.slug, project.slug
                    ))
                })?;
                interned_category = Some(name.clone());
            }
            Kind::Cash | Kind::Material => {
                refuse_extra("hours", hours.is_some())?;
                refuse_extra("rate", rate.is_some())?;
                refuse_extra("value", cited.is_some())?;
                refuse_extra("category", category.is_some())?;
                let text = need(*kind, amount, "amount", "an amount")?;
                let minor = parse_positive_amount(text, project.exponent)?;
                amount_minor = Some(minor);
                quantity = parse_decimal(text, "amount")?;
            }
            Kind::Use => {
                refuse_extra("amount", amount.is_some())?;
                refuse_extra("value", cited.is_some())?;
                refuse_extra("category", category.is_some())?;
                quantity = parse_positive_decimal(need(*kind, hours, "hours", "hours")?, "hours")?;
                unit_rate = Some(non_negative(
                    parse_decimal(need(*kind, rate, "rate", "a rate per hour")?, "rate")?,
                    "rate",
                )?);
            }
            Kind::Cite => {
                refuse_extra("hours", hours.is_some())?;
                refuse_extra("amount", amount.is_some())?;
                refuse_extra("rate", rate.is_some())?;
                refuse_extra("category", category.is_some())?;
                quantity =
                    parse_positive_decimal(need(*kind, cited, "value", "a value")?, "value")?;
            }
            Kind::Bounty => {
                return Err(DomainError::invalid(
                    "bounty awards are not logged directly: they are made when a bounty is completed",
                ));
            }
        }
        if *reimbursable && !kind.reimbursable() {
            return Err(DomainError::invalid(format!(
                "a {kind} contribution cannot be reimbursable: only cash and material"
            )));
        }
        if *reimbursable && *gift {
            return Err(DomainError::invalid(
                "a gift carries no claim: it cannot also be reimbursable",
            ));
        }
        if let Some(note) = note {
            check_text(note, "note")?;
        }
        Ok(Contribution {
            id: self.contributions.len() as u64 + 1,
            project: project.slug.clone(),
            agent: self.handle(agent)?,
            kind: *kind,
            category: interned_category,
            quantity,
            amount_minor,
            date: date.unwrap_or(ctx.date),
            gift: *gift,
            reimbursable: *reimbursable,
            value,
            status: Status::Pending,
            seq: ctx.seq,
            details: crate::model::Details::boxed(unit_rate, note.clone(), Vec::new()),
        })
    }

    /// `quantity * unit value * kind multiplier * skill factor`, by the project's current policy.
    pub(crate) fn valuate(
        &self,
        project: &Project,
        contribution: &Contribution,
    ) -> DomainResult<Value> {
        let base = match contribution.kind {
            Kind::Work => {
                let category = contribution.category.as_deref().unwrap_or_default();
                let rate = project
                    .policy
                    .rates
                    .get(category)
                    .copied()
                    .unwrap_or_default();
                Value::from_decimal(rate)?.mul_decimal(contribution.quantity)?
            }
            Kind::Cash | Kind::Material => Value::from_minor(
                contribution.amount_minor.unwrap_or_default(),
                project.exponent,
            )?,
            // The rate of one's own equipment is stated with the contribution.
            Kind::Use => Value::from_decimal(contribution.unit_rate().unwrap_or_default())?
                .mul_decimal(contribution.quantity)?,
            Kind::Cite | Kind::Bounty => Value::from_decimal(contribution.quantity)?,
        };
        base.mul_decimal(project.policy.multiplier(contribution.kind))?
            .mul_decimal(project.policy.skill(&contribution.agent))
    }

    /// Adds a newly counted contribution to the aggregates and, if reimbursable, to the claims.
    pub(crate) fn count(&mut self, contribution: &Contribution) -> DomainResult<()> {
        if contribution.gift {
            return Ok(());
        }
        self.add_value(contribution)?;
        if contribution.reimbursable {
            let project = self.project_mut(&contribution.project)?;
            project
                .claim_index
                .insert(contribution.id, project.claims.len());
            project.claims.push(Claim {
                contribution: contribution.id,
                agent: contribution.agent.clone(),
                kind: contribution.kind,
                owed: contribution.amount_minor.unwrap_or_default(),
                paid: 0,
            });
        }
        Ok(())
    }

    pub(crate) fn add_value(&mut self, contribution: &Contribution) -> DomainResult<()> {
        let project = self.project_mut(&contribution.project)?;
        let per_agent = project
            .counted
            .entry((contribution.kind, contribution.category.clone()))
            .or_default();
        let total = per_agent.entry(contribution.agent.clone()).or_default();
        *total = total.checked_add(contribution.value)?;
        Ok(())
    }

    pub(crate) fn uncount_value(&mut self, contribution: &Contribution) -> DomainResult<()> {
        let project = self.project_mut(&contribution.project)?;
        if let Some(per_agent) = project
            .counted
            .get_mut(&(contribution.kind, contribution.category.clone()))
            && let Some(total) = per_agent.get_mut(&contribution.agent)
        {
            total.0 -= contribution.value.0;
        }
        Ok(())
    }
}

fn non_negative(decimal: Decimal, what: &str) -> DomainResult<Decimal> {
    if decimal < Decimal::ZERO {
        return Err(DomainError::invalid(format!(
            "{what} must not be negative, got {decimal}"
        )));
    }
    Ok(decimal)
}

fn check_asset_code(code: &str) -> DomainResult<()> {
    let ok = !code.is_empty()
        && code.len() <= 12
        && code.as_bytes()[0].is_ascii_uppercase()
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(format!(
            "invalid currency code {code:?}: use 1 to 12 upper-case letters or digits, such as CAD"
        )))
    }
}

/// Checks a plan against the project it is for: amounts in the project's currency, percentages
/// within 0..100 and those of the gross adding up to at most 100, valid destinations.
pub fn check_plan(state: &State, project: &Project, plan: &Plan) -> DomainResult<()> {
    if plan.buckets.is_empty() {
        return Err(DomainError::invalid("a plan needs at least one bucket"));
    }
    if plan.buckets.len() > PLAN_BUCKETS_MAX {
        return Err(DomainError::invalid(format!(
            "a plan has at most {PLAN_BUCKETS_MAX} buckets"
        )));
    }
    let check_to = |to: &str| -> DomainResult<()> {
        check_name(to, "destination account")?;
        if to == OUTSIDE {
            return Err(DomainError::invalid("a plan cannot pay to `outside`"));
        }
        Ok(())
    };
    let check_percent = |percent: &Decimal| -> DomainResult<()> {
        if *percent <= Decimal::ZERO || *percent > Decimal::ONE_HUNDRED {
            return Err(DomainError::invalid(format!(
                "percentage {percent} must be above 0 and at most 100"
            )));
        }
        Ok(())
    };
    let mut gross_total = Decimal::ZERO;
    for bucket in &plan.buckets {
        match bucket {
            Bucket::Fixed { amount, to } => {
                check_to(to)?;
                parse_positive_amount(amount, project.exponent)?;
            }
            Bucket::Percent { percent, of, to } => {
                check_to(to)?;
                check_percent(percent)?;
                if *of == PercentOf::Gross {
                    gross_total += *percent;
                }
            }
            Bucket::Reimburse { kinds } => {
                if kinds.is_empty() || kinds.iter().any(|k| !k.reimbursable()) {
                    return Err(DomainError::invalid(
                        "a reimburse bucket takes the kinds cash and/or material",
                    ));
                }
            }
            Bucket::Payback { resource, percent } => {
                let found = state.resource(resource)?;
                if *found.project != *project.slug {
                    return Err(DomainError::invalid(format!(
                        "resource {resource} belongs to project {}, not {}",
                        found.project, project.slug
                    )));
                }
                if let Some(percent) = percent {
                    check_percent(percent)?;
                }
            }
            Bucket::Contributors {
                categories,
                from,
                to,
                percent,
                ..
            } => {
                for category in categories {
                    check_name(category, "category")?;
                }
                if let Some(percent) = percent {
                    check_percent(percent)?;
                }
                if let (Some(from), Some(to)) = (from, to)
                    && from > to
                {
                    return Err(DomainError::invalid(format!(
                        "date range {from} to {to} is empty"
                    )));
                }
            }
            // --- tokens --- (that the token exists is checked by `check_plan_tokens`)
            Bucket::TokenHolders { token } => crate::tokens::check_symbol(token)?,
        }
    }
    if gross_total > Decimal::ONE_HUNDRED {
        return Err(DomainError::invalid(format!(
            "the plan's percentages of the gross add up to {gross_total}%, more than 100%"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Line;

    #[test]
    fn revenue_postings_merge_an_account_paid_by_several_buckets_in_name_order() {
        let line = |bucket: u32, to: &str, amount: i128| Line {
            bucket,
            to: to.into(),
            amount,
        };
        let lines = [
            line(0, "infra", 500),
            line(1, "bea", 3000),
            line(1, "carl", 2000),
            line(2, "abran", 1500),
            line(2, "bea", 3000),
        ];
        let postings = revenue_postings("CAD", 10_000, &lines);
        let legs: Vec<(&str, i128)> = postings
            .iter()
            .map(|p| (p.account.as_str(), p.amount))
            .collect();
        assert_eq!(
            legs,
            [
                (OUTSIDE, -10_000),
                ("abran", 1500),
                ("bea", 6000),
                ("carl", 2000),
                ("infra", 500)
            ]
        );
        assert!(postings.iter().all(|p| p.asset == "CAD"));
    }
}
