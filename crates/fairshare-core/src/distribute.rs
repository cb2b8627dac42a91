//! The value equation: how one incoming amount is split by a project's plan, and the `Revenue`
//! command that records it.

use ethnum::I256;
use rust_decimal::Decimal;

use crate::FastMap;
use crate::command::{ClaimPayment, Line, Outcome};
use crate::date::Date;
use crate::engine::unfit;
use crate::error::{About, DomainError, DomainResult, Field};
use crate::forecast::Hypothesis;
use std::sync::Arc;

use crate::ledger::{Credits, Posting};
use crate::model::{Bucket, Kind, OUTSIDE, PercentOf, Plan, Role, check_optional_text};
use crate::money::{parse_amount, positive_amount};
use crate::payout_lines::PayoutLines;
use crate::roles::require_custodian;
use crate::split::{
    CappedShare, split_capped, split_largest_remainder, split_largest_remainder_big,
};
use crate::state::{Claim, Ctx, Distribution, Project, State};

/// The outcome of a `Revenue` (or `ReleaseBank`) command, its payout lines moved out of it.
pub(crate) struct RevenueOutcome<'a> {
    pub id: u64,
    pub amount: i128,
    pub plan_version: u32,
    pub lines: Vec<Line>,
    pub claims: &'a [ClaimPayment],
    /// What the project's bank released into the distribution.
    pub released: i128,
}

impl<'a> RevenueOutcome<'a> {
    /// The fields of a `Distributed` outcome, with its payout lines moved out of it
    /// (`lines`); any other outcome gives an empty one, which `apply` refuses as unfit.
    pub(crate) fn of(outcome: &'a Outcome, lines: Vec<Line>) -> RevenueOutcome<'a> {
        match outcome {
            Outcome::Distributed {
                id,
                amount,
                plan_version,
                claims,
                released,
                ..
            } => RevenueOutcome {
                id: *id,
                amount: *amount,
                plan_version: *plan_version,
                lines,
                claims,
                released: *released,
            },
            _ => RevenueOutcome {
                id: 0,
                amount: 0,
                plan_version: 0,
                lines,
                claims: &[],
                released: 0,
            },
        }
    }
}

/// What distributing an amount by a plan places: its lines (adding up to the amount plus
/// what the bank released), the claims they settle, and what the bank released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub lines: Vec<Line>,
    pub claims: Vec<ClaimPayment>,
    pub released: i128,
}

impl State {
    // --- Revenue ---

    pub(crate) fn decide_revenue(
        &self,
        ctx: &Ctx,
        role: Role,
        project: &str,
        amount: &str,
        from: Option<&str>,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "record revenue")?;
        let project = self.project(project).about_value("project", project)?;
        let amount = positive_amount("amount", amount, project.exponent)?;
        check_optional_text(Field::new("from", "source"), from)?;
        let planned = plan_distribution(self, project, amount, ctx.date)?;
        Ok(self.distributed(project, amount, planned))
    }

    /// The `Distributed` outcome of `planned`, numbered next.
    fn distributed(&self, project: &Project, amount: i128, planned: Planned) -> Outcome {
        Outcome::Distributed {
            id: self.distributions.len() as u64 + 1,
            amount,
            plan_version: project.plan_version(),
            lines: planned.lines,
            claims: planned.claims,
            released: planned.released,
        }
    }

    pub(crate) fn apply_revenue(
        &mut self,
        ctx: &Ctx,
        project: &str,
        from: Option<&str>,
        revenue: RevenueOutcome,
    ) -> DomainResult<()> {
        if revenue.amount <= 0 {
            return Err(unfit(ctx, "revenue"));
        }
        self.record_distribution(ctx, project, from, revenue, "revenue")
    }

    // --- ReleaseBank ---

    /// Releases what the project's bank holds through the plan after its bank bucket.
    pub(crate) fn decide_release_bank(
        &self,
        ctx: &Ctx,
        role: Role,
        project: &str,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "release a project's bank")?;
        let project = self.project(project).about_value("project", project)?;
        let account = project.bank_account();
        if self.ledger.balance(&account, &project.currency) <= 0 {
            return Err(DomainError::invalid(format!(
                "project {}'s bank ({account}) holds nothing to release",
                project.slug
            ))
            .field("project")
            .value(&*project.slug));
        }
        let planned = plan_bank_release(self, project, ctx.date)?;
        Ok(self.distributed(project, 0, planned))
    }

    pub(crate) fn apply_release_bank(
        &mut self,
        ctx: &Ctx,
        project: &str,
        release: RevenueOutcome,
    ) -> DomainResult<()> {
        if release.amount != 0 || release.released <= 0 {
            return Err(unfit(ctx, "release_bank"));
        }
        self.record_distribution(ctx, project, None, release, "bank release")
    }

    /// Records a decided distribution: its transaction (from outside and from the bank), the
    /// paybacks and claims it settles, and the distribution itself.
    fn record_distribution(
        &mut self,
        ctx: &Ctx,
        project: &str,
        from: Option<&str>,
        revenue: RevenueOutcome,
        what: &str,
    ) -> DomainResult<()> {
        let RevenueOutcome {
            id,
            amount,
            plan_version,
            lines,
            claims,
            released,
        } = revenue;
        let (asset, exponent, bank) = {
            let project = self.project(project)?;
            (
                project.currency.clone(),
                project.exponent,
                project.bank_account(),
            )
        };
        // A release takes everything the bank holds, never part of it.
        let bank_fits = released == 0 || released == self.ledger.balance(&bank, &asset);
        if id != self.distributions.len() as u64 + 1
            || released < 0
            || !bank_fits
            || lines.iter().map(|l| l.amount).sum::<i128>() != amount + released
        {
            return Err(unfit(ctx, what));
        }
        let debits = revenue_debits(&asset, (amount, released, &bank));
        let memo = format!("{what} {project} distribution {id}");
        let transaction =
            self.ledger
                .post_distribution(ctx.seq, memo, debits, (asset.as_str(), &lines))?;
        self.settle_paybacks(ctx, project, plan_version, &lines)?;
        self.settle_claims(ctx, project, claims)?;
        let counters = self.project_mut(project)?;
        counters.distributions += 1;
        counters.distributed = counters.distributed.saturating_add(amount);
        // Held once, packed, by the distribution and its transaction: nothing decides from
        // them again.
        let lines = PayoutLines::pack(&lines);
        self.ledger.credit_last(Credits {
            asset: asset.as_str().into(),
            lines: lines.clone(),
        });
        // Copied only if a journal not yet decoded still shares it: never, as posting the
        // transaction above decoded the journal.
        Arc::make_mut(&mut self.distributions).push(Distribution {
            id,
            project: project.to_string(),
            seq: ctx.seq,
            date: ctx.date,
            amount,
            asset,
            exponent,
            plan_version,
            key: ctx.key.clone(),
            from: from.map(str::to_string),
            lines,
            transaction,
            released,
        });
        Ok(())
    }

    /// Payback lines settle co-owners' caps (and may turn the resource into a commons).
    fn settle_paybacks(
        &mut self,
        ctx: &Ctx,
        project: &str,
        plan_version: u32,
        lines: &[Line],
    ) -> DomainResult<()> {
        let plan = self
            .project(project)?
            .plans
            // Version 0 is no plan (wraps to an index that is never there).
            .get((plan_version as usize).wrapping_sub(1))
            .cloned()
            .ok_or_else(|| unfit(ctx, "revenue"))?;
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
        Ok(())
    }

    /// Reimbursement lines settle the claims they name.
    fn settle_claims(
        &mut self,
        ctx: &Ctx,
        project: &str,
        claims: &[ClaimPayment],
    ) -> DomainResult<()> {
        let project_state = self.project_mut(project)?;
        for payment in claims {
            let at = *project_state
                .claim_index
                .get(&payment.contribution)
                .ok_or_else(|| unfit(ctx, "revenue"))?;
            project_state.claims[at].paid += payment.amount;
        }
        Ok(())
    }
}

/// A distribution's debits: `amount` from `outside` and `released` from the bank (`sources`
/// = (amount, released, bank account)). Its credits are its lines, one posting per account
/// (`Transaction::postings`).
fn revenue_debits(asset: &str, sources: (i128, i128, &str)) -> Vec<Posting> {
    let (amount, released, bank) = sources;
    let debits = [(OUTSIDE, amount), (bank, released)].into_iter();
    debits
        .filter(|(_, debit)| *debit > 0)
        .map(|(account, debit)| Posting {
            account: account.into(),
            asset: asset.into(),
            amount: -debit,
        })
        .collect()
}

/// A distribution being built: its lines and claim settlements so far, and what is left.
struct Payout {
    /// What the buckets' percentages of the gross are of: the amount, or, once the bank
    /// released, everything it released with what of the amount reached it.
    gross: i128,
    left: i128,
    released: i128,
    lines: Vec<Line>,
    claims: Vec<ClaimPayment>,
}

impl Payout {
    fn new(amount: i128) -> Payout {
        Payout {
            gross: amount,
            left: amount,
            released: 0,
            lines: Vec::new(),
            claims: Vec::new(),
        }
    }

    /// Pays `part` of what is left to `to` from bucket `bucket` (nothing is a no-op).
    fn pay(&mut self, bucket: u32, to: &str, part: i128) {
        debug_assert!(
            (0..=self.left).contains(&part),
            "bucket {bucket} pays {part} to {to} with {} left",
            self.left
        );
        if part > 0 {
            self.lines.push(Line {
                bucket,
                to: to.into(),
                amount: part,
            });
        }
        self.left -= part;
    }

    /// Everything the bank holds joins what is left, and the rest of the plan splits it all.
    fn release(&mut self, held: i128) {
        self.released += held;
        self.left += held;
        self.gross = self.left;
    }

    /// What a bucket with an optional percentage of what is left may place.
    fn pot(&self, percent: Option<Decimal>) -> i128 {
        match percent {
            Some(p) => percent_floor(self.left, p).min(self.left),
            None => self.left,
        }
    }

    /// The lines, what is left going to the project's unallocated account.
    fn finish(mut self, project: &Project, buckets: usize) -> Planned {
        if self.left > 0 {
            self.lines.push(Line {
                bucket: buckets as u32,
                to: project.unallocated_account().into(),
                amount: self.left,
            });
        }
        debug_assert!(self.lines.iter().all(|l| l.amount > 0));
        Planned {
            lines: self.lines,
            claims: self.claims,
            released: self.released,
        }
    }
}

/// The lines and claim settlements of distributing `amount` (minor units) by the project's
/// current plan on `date`. Parts always add up to `amount` plus what a `bank` bucket released:
/// what no bucket places goes to the project's unallocated account.
pub fn plan_distribution(
    state: &State,
    project: &Project,
    amount: i128,
    date: Date,
) -> DomainResult<Planned> {
    plan_distribution_with(state, project, project.plan(), amount, date, None)
}

/// [`plan_distribution`] by another plan than the project's: what that plan would pay now
/// (or, on a past state, would have paid then). Check the plan first
/// ([`State::check_proposed_plan`]).
pub fn plan_distribution_by(
    state: &State,
    project: &Project,
    plan: &Plan,
    amount: i128,
    date: Date,
) -> DomainResult<Planned> {
    plan_distribution_with(state, project, plan, amount, date, None)
}

/// [`plan_distribution`] as if `hypothesis` (a contribution not in the state, counted) had
/// been logged and approved first: what an estimate asks. Nothing is recorded.
pub(crate) fn plan_distribution_with(
    state: &State,
    project: &Project,
    plan: &Plan,
    amount: i128,
    date: Date,
    hypothesis: Option<&Hypothesis>,
) -> DomainResult<Planned> {
    let mut payout = Payout::new(amount);
    let at = At {
        state,
        project,
        date,
        hypothesis,
    };
    run_buckets(&at, plan, &mut payout, 0)?;
    let planned = payout.finish(project, plan.buckets.len());
    debug_assert_eq!(
        planned.lines.iter().map(|l| l.amount).sum::<i128>(),
        amount + planned.released
    );
    Ok(planned)
}

/// The lines of releasing everything the project's bank holds through the buckets after the
/// current plan's `bank` bucket (the whole plan when it has none).
pub fn plan_bank_release(state: &State, project: &Project, date: Date) -> DomainResult<Planned> {
    let held = state
        .ledger
        .balance(&project.bank_account(), &project.currency);
    let plan = project.plan();
    let start = plan.bank_bucket().map_or(0, |index| index + 1);
    let mut payout = Payout::new(0);
    payout.release(held);
    let at = At {
        state,
        project,
        date,
        hypothesis: None,
    };
    run_buckets(&at, plan, &mut payout, start)?;
    Ok(payout.finish(project, plan.buckets.len()))
}

/// Runs `plan`'s buckets from `start` on what is left.
fn run_buckets(at: &At, plan: &Plan, payout: &mut Payout, start: usize) -> DomainResult<()> {
    for (index, bucket) in plan.buckets.iter().enumerate().skip(start) {
        if payout.left == 0 {
            break;
        }
        pay_bucket(at, payout, index as u32, bucket)?;
    }
    Ok(())
}

/// What a bucket is paid from: the state, the project, the day, and any hypothetical
/// contribution an estimate adds.
struct At<'a> {
    state: &'a State,
    project: &'a Project,
    date: Date,
    hypothesis: Option<&'a Hypothesis>,
}

/// Places what one bucket takes of what is left.
fn pay_bucket(at: &At, payout: &mut Payout, index: u32, bucket: &Bucket) -> DomainResult<()> {
    let At {
        state,
        project,
        date,
        hypothesis,
    } = *at;
    match bucket {
        Bucket::Fixed { amount: fixed, to } => {
            let take = parse_amount(fixed, project.exponent)?.min(payout.left);
            payout.pay(index, to, take);
        }
        Bucket::Percent { percent, of, to } => {
            let base = match of {
                PercentOf::Gross => payout.gross,
                PercentOf::Remaining => payout.left,
            };
            let take = percent_floor(base, *percent).min(payout.left);
            payout.pay(index, to, take);
        }
        Bucket::Reimburse { kinds } => reimburse(project, kinds, payout, index),
        Bucket::Payback { resource, percent } => {
            let pot = payout.pot(*percent);
            let resource = state.resource(resource)?;
            let (parts, _) = resource.payback_split(pot);
            for (owner, part) in resource.owners.iter().zip(parts) {
                payout.pay(index, &owner.agent, part);
            }
        }
        Bucket::Contributors { percent, .. } => {
            let pot = payout.pot(*percent);
            let filter = bucket.filter().unwrap_or_default();
            let extra = hypothesis.map(|h| &h.contribution);
            let values = state.values_by_agent_with(project, &filter, date, extra)?;
            let weights: Vec<u128> = values.iter().map(|(_, v)| v.0 as u128).collect();
            let parts = split_largest_remainder(pot as u128, &weights);
            payout.lines.reserve(parts.len());
            for ((agent, _), part) in values.iter().zip(parts) {
                payout.pay(index, agent, part as i128);
            }
        }
        Bucket::Blended { percent } => {
            let pot = payout.pot(*percent);
            let (agents, weights) = state.blended_weights(project, date)?;
            let parts = split_largest_remainder_big(pot as u128, &weights);
            payout.lines.reserve(parts.len());
            for (agent, part) in agents.iter().zip(parts) {
                payout.pay(index, agent, part as i128);
            }
        }
        Bucket::Units {
            project: points,
            percent,
        } => {
            let pot = payout.pot(*percent);
            let holders = state.pool_units(points, date)?;
            let weights: Vec<u128> = holders.iter().map(|(_, u)| *u as u128).collect();
            let parts = split_largest_remainder(pot as u128, &weights);
            payout.lines.reserve(parts.len());
            for ((agent, _), part) in holders.iter().zip(parts) {
                payout.pay(index, agent, part as i128);
            }
        }
        Bucket::Bank { until } => {
            let until = parse_amount(until, project.exponent)?;
            let account = project.bank_account();
            let held = state.ledger.balance(&account, &project.currency);
            if held + payout.left < until {
                payout.pay(index, &account, payout.left);
            } else {
                payout.release(held);
            }
        }
        // --- tokens ---
        Bucket::TokenHolders { token } => {
            // In byte order of the account name, so ties go to the smaller name.
            let mut holders = state.token_holder_balances(token)?;
            if let Some(mint) = hypothesis.and_then(|h| h.minted.as_ref())
                && mint.token == *token
            {
                add_holding(&mut holders, &mint.to, mint.tokens);
            }
            let weights: Vec<u128> = holders.iter().map(|(_, b)| *b as u128).collect();
            let parts = split_largest_remainder(payout.left as u128, &weights);
            payout.lines.reserve(parts.len());
            for ((holder, _), part) in holders.iter().zip(parts) {
                payout.pay(index, holder, part as i128);
            }
        }
    }
    Ok(())
}

/// Adds `tokens` to `holder`'s balance in a list in byte order of the name.
fn add_holding(holders: &mut Vec<(String, i128)>, holder: &str, tokens: i128) {
    match holders.binary_search_by(|(name, _)| name.as_str().cmp(holder)) {
        Ok(at) => holders[at].1 += tokens,
        Err(at) => holders.insert(at, (holder.to_string(), tokens)),
    }
}

/// Outstanding reimbursable claims of `kinds`, capped pro-rata by what each agent is owed;
/// each agent's part settles their claims oldest first.
fn reimburse(project: &Project, kinds: &[Kind], payout: &mut Payout, index: u32) {
    // Open claims grouped per agent in one pass (oldest claim first), hashed by the borrowed
    // handle, then put in byte order of handle once: a distribution stays linear in the
    // number of claims and compares names only to sort the agents owed.
    let mut by_agent: FastMap<&str, (i128, Vec<&Claim>)> = FastMap::default();
    for claim in project
        .claims
        .iter()
        .filter(|c| kinds.contains(&c.kind) && c.outstanding() > 0)
    {
        let entry = by_agent.entry(&*claim.agent).or_default();
        entry.0 += claim.outstanding();
        entry.1.push(claim);
    }
    let mut owed: Vec<(&str, (i128, Vec<&Claim>))> = by_agent.into_iter().collect();
    owed.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let shares: Vec<CappedShare> = owed
        .iter()
        .map(|(_, (o, _))| CappedShare {
            weight: *o as u128,
            room: *o as u128,
        })
        .collect();
    let (parts, _) = split_capped(payout.left as u128, &shares);
    for ((agent, (due, open)), part) in owed.iter().zip(parts) {
        let part = part as i128;
        debug_assert!(part <= *due, "{agent} is paid {part} of {due} owed");
        payout.pay(index, agent, part);
        let mut to_settle = part;
        for claim in open {
            if to_settle == 0 {
                break;
            }
            let paid = to_settle.min(claim.outstanding());
            payout.claims.push(ClaimPayment {
                contribution: claim.contribution,
                amount: paid,
            });
            to_settle -= paid;
        }
        debug_assert_eq!(to_settle, 0, "{agent}'s part settles their claims exactly");
    }
}

/// `floor(base * percent / 100)`, exactly.
pub fn percent_floor(base: i128, percent: Decimal) -> i128 {
    let numerator = I256::from(base) * I256::from(percent.mantissa());
    let denominator = I256::from(100i128 * 10i128.pow(percent.scale()));
    let quotient = numerator / denominator;
    let floored = if numerator % denominator != 0 && numerator < 0 {
        quotient - 1
    } else {
        quotient
    };
    floored.as_i128()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_rounds_down() {
        assert_eq!(percent_floor(1_200_000, "10".parse().unwrap()), 120_000);
        assert_eq!(percent_floor(999, "10".parse().unwrap()), 99);
        assert_eq!(percent_floor(10_000, "12.5".parse().unwrap()), 1_250);
        assert_eq!(percent_floor(7, "33.333".parse().unwrap()), 2);
    }

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
        let mut postings = revenue_debits("CAD", (10_000, 0, "p-bank"));
        postings.extend(crate::ledger::credit_postings("CAD", &lines));
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
