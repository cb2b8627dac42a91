//! A project's valuation policy and value equation: rates, skill factors, multipliers, decay,
//! distribution plans, and the explicit re-valuation of past contributions.
//!
//! Commands: `SetRate`, `SetSkill`, `SetMultiplier`, `SetHalfLife`, `SetPlan`, `Revalue`.

use std::sync::Arc;

use rust_decimal::Decimal;

use crate::command::Outcome;
use crate::engine::unfit;
use crate::error::{About, DomainError, DomainResult, Field};
use crate::limits::CONTRIBUTION_VALUE_MAX;
use crate::model::{
    Bucket, Contribution, EXCHANGE, Kind, OUTSIDE, PLAN_BUCKETS_MAX, PercentOf, Plan, Role,
    check_name,
};
use crate::money::{parse_amount, positive_amount};
use crate::roles::require_custodian;
use crate::state::{Ctx, Project, State};
use crate::tokens::TOKEN_RESERVE;
use crate::value::{Value, parse_decimal, positive_decimal, rate};

impl State {
    // --- SetRate ---

    pub(crate) fn decide_set_rate(
        &self,
        role: Role,
        project: &str,
        category: &str,
        per_hour: &str,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "set rates")?;
        self.project(project).about_value("project", project)?;
        check_name(Field::named("category"), category)?;
        rate(Field::new("per_hour", "rate"), per_hour)?;
        Ok(Outcome::Done)
    }

    pub(crate) fn apply_set_rate(
        &mut self,
        project: &str,
        category: &str,
        per_hour: &str,
    ) -> DomainResult<()> {
        let rate = parse_decimal(per_hour, "rate")?;
        self.project_mut(project)?
            .policy
            .rates
            .insert(Arc::from(category), rate);
        Ok(())
    }

    // --- SetSkill ---

    pub(crate) fn decide_set_skill(
        &self,
        role: Role,
        project: &str,
        agent: &str,
        factor: &str,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "set skill factors")?;
        self.project(project).about_value("project", project)?;
        self.agent(agent).about_value("agent", agent)?;
        positive_decimal(Field::new("factor", "skill factor"), factor)?;
        Ok(Outcome::Done)
    }

    pub(crate) fn apply_set_skill(
        &mut self,
        project: &str,
        agent: &str,
        factor: &str,
    ) -> DomainResult<()> {
        let factor = parse_decimal(factor, "skill factor")?;
        self.project_mut(project)?
            .policy
            .skills
            .insert(agent.to_string(), factor);
        Ok(())
    }

    // --- SetMultiplier ---

    pub(crate) fn decide_set_multiplier(
        &self,
        role: Role,
        project: &str,
        factor: &str,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "set multipliers")?;
        self.project(project).about_value("project", project)?;
        positive_decimal(Field::new("factor", "multiplier"), factor)?;
        Ok(Outcome::Done)
    }

    pub(crate) fn apply_set_multiplier(
        &mut self,
        project: &str,
        kind: Kind,
        factor: &str,
    ) -> DomainResult<()> {
        let factor = parse_decimal(factor, "multiplier")?;
        self.project_mut(project)?
            .policy
            .multipliers
            .insert(kind, factor);
        Ok(())
    }

    // --- SetHalfLife ---

    pub(crate) fn decide_set_half_life(
        &self,
        role: Role,
        project: &str,
        days: Option<&str>,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "set the decay half-life")?;
        self.project(project).about_value("project", project)?;
        if let Some(days) = days {
            positive_decimal(Field::new("days", "half-life in days"), days)?;
        }
        Ok(Outcome::Done)
    }

    pub(crate) fn apply_set_half_life(
        &mut self,
        ctx: &Ctx,
        project: &str,
        days: Option<&str>,
    ) -> DomainResult<()> {
        let days = days.map(|d| parse_decimal(d, "half-life")).transpose()?;
        let policy = &mut self.project_mut(project)?.policy;
        policy.half_life_days = days;
        if ctx.hardened() {
            policy.half_lives.push((ctx.seq, days));
        } else {
            // Before rules 2 a half-life applied to every contribution, earlier ones included.
            policy.half_lives = vec![(0, days)];
        }
        Ok(())
    }

    // --- SetPlan ---

    pub(crate) fn decide_set_plan(
        &self,
        role: Role,
        project: &str,
        plan: &Plan,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "set plans")?;
        self.check_proposed_plan(project, plan)?;
        let project = self.project(project)?;
        Ok(Outcome::PlanSet {
            version: project.plan_version() + 1,
        })
    }

    /// Checks a plan as `set_plan` would for `project`, recording nothing: a plan to compare
    /// with the one in use (`plan compare`).
    pub fn check_proposed_plan(&self, project: &str, plan: &Plan) -> DomainResult<()> {
        let project = self.project(project).about_value("project", project)?;
        check_plan(self, project, plan)?;
        self.check_plan_tokens(plan)
    }

    pub(crate) fn apply_set_plan(
        &mut self,
        ctx: &Ctx,
        project: &str,
        plan: &Plan,
        version: u32,
    ) -> DomainResult<()> {
        let project = self.project_mut(project)?;
        if version != project.plan_version() + 1 {
            return Err(unfit(ctx, "set_plan"));
        }
        project.plans.push(plan.clone());
        Ok(())
    }

    // --- Revalue ---

    pub(crate) fn decide_revalue(
        &self,
        ctx: &Ctx,
        role: Role,
        project: &str,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "re-value contributions")?;
        let project = self.project(project).about_value("project", project)?;
        let mut changes = Vec::new();
        let mut added = 0i128;
        for contribution in self.project_contributions(project) {
            // A bad leave fixed this value for good (peer.rs).
            if self.value_fixed_by_leave(contribution) {
                continue;
            }
            let value = self.valuate(project, contribution)?;
            if value != contribution.value {
                if ctx.hardened() && value > CONTRIBUTION_VALUE_MAX {
                    return Err(DomainError::invalid(format!(
                        "contribution {} would be valued {value}: one contribution is valued at most {}",
                        contribution.id, CONTRIBUTION_VALUE_MAX
                    ))
                    .field("project")
                    .limit(CONTRIBUTION_VALUE_MAX.to_string()));
                }
                if contribution.counts() {
                    added += value.0 - contribution.value.0;
                }
                changes.push((contribution.id, value));
            }
        }
        self.check_counts(ctx, project, added, "project")?;
        Ok(Outcome::Revalued { changes })
    }

    pub(crate) fn apply_revalue(
        &mut self,
        ctx: &Ctx,
        changes: &[(u64, Value)],
    ) -> DomainResult<()> {
        for (id, value) in changes {
            let index = (*id as usize)
                .checked_sub(1)
                .ok_or_else(|| unfit(ctx, "revalue"))?;
            let old = self
                .contributions
                .get(index)
                .ok_or_else(|| unfit(ctx, "revalue"))?
                .clone();
            if old.counts() {
                self.uncount_value(&old)?;
            }
            self.contributions[index].value = *value;
            if old.counts() {
                let updated = self.contributions[index].clone();
                self.add_value(&updated)?;
            }
        }
        Ok(())
    }

    // --- valuation ---

    /// `quantity * unit value * kind multiplier * skill factor`, by the project's current policy.
    pub(crate) fn valuate(
        &self,
        project: &Project,
        contribution: &Contribution,
    ) -> DomainResult<Value> {
        let base = match contribution.kind {
            Kind::Work => {
                let category = contribution.category.as_deref().unwrap_or_default();
                // A technician's hours keep the rate of the schedule they were charged at,
                // unless the project sets one for the category.
                let rate = project
                    .policy
                    .rates
                    .get(category)
                    .copied()
                    .or_else(|| contribution.unit_rate())
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
}

/// Checks a plan against the project it is for: amounts in the project's currency, percentages
/// within 0..100 and those of the gross adding up to at most 100, valid destinations. Every
/// refusal is about the request's `plan`.
pub(crate) fn check_plan(state: &State, project: &Project, plan: &Plan) -> DomainResult<()> {
    if plan.buckets.is_empty() {
        return Err(DomainError::invalid("a plan needs at least one bucket").field(PLAN));
    }
    if plan.buckets.len() > PLAN_BUCKETS_MAX {
        return Err(
            DomainError::invalid(format!("a plan has at most {PLAN_BUCKETS_MAX} buckets"))
                .field(PLAN)
                .limit(format!("{PLAN_BUCKETS_MAX} buckets")),
        );
    }
    check_bank(plan)?;
    let mut gross_total = Decimal::ZERO;
    for bucket in &plan.buckets {
        check_bucket(state, project, bucket)?;
        if let Bucket::Percent {
            percent,
            of: PercentOf::Gross,
            ..
        } = bucket
        {
            gross_total += *percent;
        }
    }
    if gross_total > Decimal::ONE_HUNDRED {
        return Err(DomainError::invalid(format!(
            "the plan's percentages of the gross add up to {gross_total}%, more than 100%"
        ))
        .field(PLAN)
        .limit("100%"));
    }
    Ok(())
}

/// The request field every refusal of a plan is about.
const PLAN: &str = "plan";

/// A plan holds at most one `bank` bucket, and some bucket after it to release into.
fn check_bank(plan: &Plan) -> DomainResult<()> {
    let Some(index) = plan.bank_bucket() else {
        return Ok(());
    };
    if plan.buckets[index + 1..]
        .iter()
        .any(|b| matches!(b, Bucket::Bank { .. }))
    {
        return Err(DomainError::invalid("a plan has at most one bank bucket").field(PLAN));
    }
    if index + 1 == plan.buckets.len() {
        return Err(DomainError::invalid(format!(
            "bucket {}: a bank bucket must be followed by the buckets it releases into",
            index + 1
        ))
        .field(PLAN));
    }
    Ok(())
}

/// Checks one bucket of a plan on its own.
fn check_bucket(state: &State, project: &Project, bucket: &Bucket) -> DomainResult<()> {
    match bucket {
        Bucket::Fixed { amount, to } => {
            check_destination(state, to)?;
            positive_amount(PLAN, amount, project.exponent)?;
        }
        Bucket::Percent { percent, to, .. } => {
            check_destination(state, to)?;
            check_percent(percent)?;
        }
        Bucket::Reimburse { kinds } => {
            if kinds.is_empty() || kinds.iter().any(|k| !k.reimbursable()) {
                return Err(DomainError::invalid(
                    "a reimburse bucket takes the kinds cash and/or material",
                )
                .field(PLAN));
            }
        }
        Bucket::Payback { resource, percent } => {
            let found = state.resource(resource).about_value(PLAN, resource)?;
            if *found.project != *project.slug {
                return Err(DomainError::invalid(format!(
                    "resource {resource} belongs to project {}, not {}",
                    found.project, project.slug
                ))
                .field(PLAN)
                .value(resource));
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
                check_name(Field::new(PLAN, "category"), category)?;
            }
            if let Some(percent) = percent {
                check_percent(percent)?;
            }
            if let (Some(from), Some(to)) = (from, to)
                && from > to
            {
                return Err(
                    DomainError::invalid(format!("date range {from} to {to} is empty")).field(PLAN),
                );
            }
        }
        // --- tokens --- (that the token exists is checked by `check_plan_tokens`)
        Bucket::TokenHolders { token } => crate::tokens::check_symbol(token).about(PLAN)?,
        Bucket::Blended { percent } => {
            if let Some(percent) = percent {
                check_percent(percent)?;
            }
        }
        Bucket::Units {
            project: points,
            percent,
        } => {
            state.project(points).about_value(PLAN, points)?;
            if let Some(percent) = percent {
                check_percent(percent)?;
            }
        }
        Bucket::Bank { until } => {
            if !parse_amount(until, project.exponent).is_ok_and(|a| a > 0) {
                return Err(DomainError::invalid(format!(
                    "a bank bucket's `until` must be a positive amount of {} with at most {} decimals, not {until:?}",
                    project.currency, project.exponent
                ))
                .field(PLAN)
                .value(until));
            }
        }
    }
    Ok(())
}

/// A plan's destination account: a well-formed name, never `outside`, `exchange`, nor a
/// campaign or liquidity account (money paid there would be stuck or would change what
/// pledgers and holders are owed).
fn check_destination(state: &State, to: &str) -> DomainResult<()> {
    check_name(Field::new(PLAN, "destination account"), to)?;
    if to == OUTSIDE || to == EXCHANGE {
        return Err(DomainError::invalid(format!("a plan cannot pay to `{to}`"))
            .field(PLAN)
            .value(to));
    }
    // A token's reserve may take a share of revenue: it backs the token, and money paid there
    // raises every token's redemption value like a donation (docs/TOKENS.md).
    if let Some(what) = state
        .locked_account(to)
        .filter(|what| *what != TOKEN_RESERVE)
    {
        return Err(
            DomainError::invalid(format!("a plan cannot pay to {to}: it is {what}"))
                .field(PLAN)
                .value(to),
        );
    }
    Ok(())
}

/// A plan's percentage: above 0 and at most 100.
fn check_percent(percent: &Decimal) -> DomainResult<()> {
    if *percent <= Decimal::ZERO || *percent > Decimal::ONE_HUNDRED {
        let error = DomainError::invalid(format!(
            "percentage {percent} must be above 0 and at most 100"
        ))
        .field(PLAN)
        .value(percent.to_string());
        return Err(if *percent > Decimal::ONE_HUNDRED {
            error.limit("100")
        } else {
            error
        });
    }
    Ok(())
}
