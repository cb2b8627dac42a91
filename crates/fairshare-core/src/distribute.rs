//! The value equation: how one incoming amount is split by a project's plan, and the `Revenue`
//! command that records it.

use std::collections::BTreeMap;
use std::sync::Arc;

use ethnum::I256;
use rust_decimal::Decimal;

use crate::command::{ClaimPayment, Line, Outcome};
use crate::date::Date;
use crate::engine::unfit;
use crate::error::{About, DomainResult, Field};
use crate::forecast::Hypothesis;
use crate::ledger::Posting;
use crate::model::{Bucket, Kind, OUTSIDE, PercentOf, Plan, Role, check_text};
use crate::money::{parse_amount, positive_amount};
use crate::roles::require_custodian;
use crate::split::{CappedShare, split_capped, split_largest_remainder};
use crate::state::{Claim, Ctx, Distribution, Project, State};

/// The outcome of a `Revenue` command, its payout lines moved out of it.
pub(crate) struct RevenueOutcome<'a> {
    pub id: u64,
    pub amount: i128,
    pub plan_version: u32,
    pub lines: Vec<Line>,
    pub claims: &'a [ClaimPayment],
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
        if let Some(from) = from {
            check_text(Field::new("from", "source"), from)?;
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

    pub(crate) fn apply_revenue(
        &mut self,
        ctx: &Ctx,
        project: &str,
        from: Option<&str>,
        revenue: RevenueOutcome,
    ) -> DomainResult<()> {
        let RevenueOutcome {
            id,
            amount,
            plan_version,
            mut lines,
            claims,
        } = revenue;
        // Parsed lines come with the spare capacity of a growing Vec: kept for good, they
        // should not hold it.
        lines.shrink_to_fit();
        if id != self.distributions.len() as u64 + 1
            || lines.iter().map(|l| l.amount).sum::<i128>() != amount
        {
            return Err(unfit(ctx, "revenue"));
        }
        let (asset, exponent) = {
            let project = self.project(project)?;
            (project.currency.clone(), project.exponent)
        };
        let postings = revenue_postings(&asset, amount, &lines);
        let memo = format!("revenue {project} distribution {id}");
        let transaction = self.ledger.post(ctx.seq, memo, postings)?;
        self.settle_paybacks(ctx, project, plan_version, &lines)?;
        self.settle_claims(ctx, project, claims)?;
        self.distributions.push(Distribution {
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
            .get(plan_version as usize - 1)
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

/// A revenue's transaction: `amount` from `outside`, then one credit per account in byte order
/// of its name (an account paid by several buckets gets one posting).
fn revenue_postings(asset: &str, amount: i128, lines: &[Line]) -> Vec<Posting> {
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

/// A distribution being built: its lines and claim settlements so far, and what is left.
struct Payout {
    amount: i128,
    left: i128,
    lines: Vec<Line>,
    claims: Vec<ClaimPayment>,
}

impl Payout {
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

    /// What a bucket with an optional percentage of what is left may place.
    fn pot(&self, percent: Option<Decimal>) -> i128 {
        match percent {
            Some(p) => percent_floor(self.left, p).min(self.left),
            None => self.left,
        }
    }
}

/// The lines and claim settlements of distributing `amount` (minor units) by the project's
/// current plan on `date`. Parts always add up to `amount`: what no bucket places goes to the
/// project's unallocated account.
pub fn plan_distribution(
    state: &State,
    project: &Project,
    amount: i128,
    date: Date,
) -> DomainResult<(Vec<Line>, Vec<ClaimPayment>)> {
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
) -> DomainResult<(Vec<Line>, Vec<ClaimPayment>)> {
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
) -> DomainResult<(Vec<Line>, Vec<ClaimPayment>)> {
    let mut payout = Payout {
        amount,
        left: amount,
        lines: Vec::new(),
        claims: Vec::new(),
    };
    for (index, bucket) in plan.buckets.iter().enumerate() {
        if payout.left == 0 {
            break;
        }
        let at = At {
            state,
            project,
            date,
            hypothesis,
        };
        pay_bucket(&at, &mut payout, index as u32, bucket)?;
    }
    if payout.left > 0 {
        payout.lines.push(Line {
            bucket: plan.buckets.len() as u32,
            to: project.unallocated_account().into(),
            amount: payout.left,
        });
    }
    debug_assert_eq!(
        payout.lines.iter().map(|l| l.amount).sum::<i128>(),
        payout.amount
    );
    debug_assert!(payout.lines.iter().all(|l| l.amount > 0));
    Ok((payout.lines, payout.claims))
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
                PercentOf::Gross => payout.amount,
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
            for ((agent, _), part) in values.iter().zip(parts) {
                payout.pay(index, agent, part as i128);
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
    // Open claims grouped per agent in one pass (byte order of handle, oldest claim first),
    // so a distribution stays linear in the number of claims.
    let mut owed: BTreeMap<Arc<str>, (i128, Vec<&Claim>)> = BTreeMap::new();
    for claim in project
        .claims
        .iter()
        .filter(|c| kinds.contains(&c.kind) && c.outstanding() > 0)
    {
        let entry = owed.entry(claim.agent.clone()).or_default();
        entry.0 += claim.outstanding();
        entry.1.push(claim);
    }
    let shares: Vec<CappedShare> = owed
        .values()
        .map(|(o, _)| CappedShare {
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
