//! The state's records as API responses. Amounts are printed with their asset's exponent,
//! values and shares as exact decimals, in the command line's `--json` shapes.

use std::collections::BTreeMap;
use std::sync::Arc;

use fairshare_core::{
    Agent, BlendReport, Campaign, CapRow, Contribution, Date, Distribution, FeeSchedule, Kind,
    Line, PeerShare, Plan, Policy, PoolLine, Price, Project, Resource, Round, Share, State, Token,
    UseRecord, Value, format_amount,
};

use crate::api_types::{
    AgentRow, BucketOut, CampaignOut, CampaignRow, ContributionRow, DistributionRow, FeesOut,
    LineOut, Logged, OwnerOut, PlanOut, PledgeRow, PolicyOut, ProjectRow, ProjectShow, ResourceRow,
    ResourceShow, RevenueOut, Reviewed, ShareRow, SplitShareBody, StatementOut, UseRow,
};
use crate::api_types::{
    BlendedOut, BlendedRow, CapRowOut, CaptableOut, GiverRow, HolderRow, IssuanceRow, PaymentRow,
    PeerShareRow, PoolLineOut, RoundShow, TokenRow, TokenShow, Weights,
};
use crate::convert::bucket_body;
use crate::error::ApiError;
use crate::{PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX};

/// One page of a list.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub offset: usize,
    pub limit: usize,
}

impl Page {
    /// `?limit=&offset=`: the limit defaults to [`PAGE_LIMIT_DEFAULT`] and may not pass
    /// [`PAGE_LIMIT_MAX`].
    pub fn new(limit: Option<usize>, offset: Option<usize>) -> Result<Page, ApiError> {
        let limit = limit.unwrap_or(PAGE_LIMIT_DEFAULT);
        if limit == 0 || limit > PAGE_LIMIT_MAX {
            return Err(ApiError::invalid(format!(
                "limit {limit} is out of range: use 1 to {PAGE_LIMIT_MAX} and page with offset"
            )));
        }
        Ok(Page {
            offset: offset.unwrap_or(0),
            limit,
        })
    }

    /// This page of `items`, each rendered by `render`, and how many items there are in all.
    /// Only the page's items are rendered: counting the rest is cheap.
    pub fn take<T, R>(
        &self,
        items: impl Iterator<Item = T>,
        mut render: impl FnMut(T) -> R,
    ) -> (Vec<R>, usize) {
        let mut total = 0;
        let mut rows = Vec::new();
        for item in items {
            if total >= self.offset && rows.len() < self.limit {
                rows.push(render(item));
            }
            total += 1;
        }
        (rows, total)
    }

    /// The offset of the next page, if there is one.
    pub fn next_offset(&self, shown: usize, total: usize) -> Option<usize> {
        let next = self.offset.saturating_add(shown);
        (shown > 0 && next < total).then_some(next)
    }
}

pub fn agent_row(agent: &Agent) -> AgentRow {
    AgentRow {
        handle: agent.handle.clone(),
        name: agent.name.clone(),
        role: agent.role.as_str().to_string(),
    }
}

pub fn project_row(project: &Project) -> ProjectRow {
    ProjectRow {
        project: project.slug.to_string(),
        name: project.name.clone(),
        currency: project.currency.clone(),
        exponent: project.exponent,
        approvals: project.approvals_required,
        plan_version: project.plan_version(),
        contributions: project.contributions.len(),
    }
}

pub fn policy_out(policy: &Policy) -> PolicyOut {
    PolicyOut {
        rates: policy
            .rates
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        multipliers: policy
            .multipliers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_string()))
            .collect(),
        skills: policy
            .skills
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect(),
        half_life_days: policy.half_life_days.map(|d| d.to_string()),
    }
}

pub fn plan_out(project: &Project, version: u32, plan: &Plan) -> PlanOut {
    PlanOut {
        project: project.slug.to_string(),
        version,
        current_version: project.plan_version(),
        buckets: plan
            .buckets
            .iter()
            .enumerate()
            .map(|(i, bucket)| BucketOut {
                bucket: i + 1,
                words: bucket.label(),
                spec: bucket_body(bucket),
            })
            .collect(),
        rest_to: project.unallocated_account(),
    }
}

/// A version of a project's plan (the current one by default).
pub fn plan_version(project: &Project, version: Option<u32>) -> Result<PlanOut, ApiError> {
    let current = project.plan_version();
    let version = version.unwrap_or(current);
    let plan = version
        .checked_sub(1)
        .and_then(|index| project.plans.get(index as usize))
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "project {} has no plan version {version}: its versions are 1 to {current}",
                project.slug
            ))
        })?;
    Ok(plan_out(project, version, plan))
}

pub fn project_show(state: &State, project: &Project) -> ProjectShow {
    ProjectShow {
        project: project.slug.to_string(),
        name: project.name.clone(),
        currency: project.currency.clone(),
        exponent: project.exponent,
        approvals: project.approvals_required,
        plan_version: project.plan_version(),
        contributions: project.contributions.len(),
        distributions: state
            .distributions()
            .iter()
            .filter(|d| *d.project == *project.slug)
            .count(),
        policy: policy_out(&project.policy),
        plan: plan_out(project, project.plan_version(), project.plan()),
    }
}

pub fn logged(project: &Project, contribution: &Contribution, replayed: bool) -> Logged {
    Logged {
        contribution: contribution.id,
        project: project.slug.to_string(),
        agent: contribution.agent.to_string(),
        kind: contribution.kind.as_str().to_string(),
        value: contribution.value.display(project.exponent),
        currency: project.currency.clone(),
        status: contribution.status.as_str().to_string(),
        gift: contribution.gift,
        replayed,
    }
}

pub fn reviewed(project: &Project, contribution: &Contribution, replayed: bool) -> Reviewed {
    Reviewed {
        contribution: contribution.id,
        status: contribution.status.as_str().to_string(),
        approvals: contribution.approvals().to_vec(),
        approvals_required: project.approvals_required,
        reason: contribution.reason().map(str::to_string),
        replayed,
    }
}

pub fn contribution_row(project: &Project, c: &Contribution) -> ContributionRow {
    let hours = matches!(c.kind, Kind::Work | Kind::Use).then(|| c.quantity.to_string());
    ContributionRow {
        id: c.id,
        project: project.slug.to_string(),
        date: c.date.to_string(),
        agent: c.agent.to_string(),
        kind: c.kind.as_str().to_string(),
        category: c.category.as_deref().map(str::to_string),
        hours,
        rate: c.unit_rate().map(|r| r.to_string()),
        amount: c.amount_minor.map(|a| format_amount(a, project.exponent)),
        value: c.value.display(project.exponent),
        status: c.status.as_str().to_string(),
        gift: c.gift,
        reimbursable: c.reimbursable,
        approvals: c.approvals().to_vec(),
        reason: c.reason().map(str::to_string),
        note: c.note().map(str::to_string),
    }
}

pub use fairshare_core::share_decimal;

/// The total of the agents' values.
pub fn total_value(values: &[(Arc<str>, Value)]) -> Value {
    values
        .iter()
        .fold(Value::ZERO, |sum, (_, v)| Value(sum.0.saturating_add(v.0)))
}

pub fn share_row(project: &Project, agent: &str, value: Value, total: Value) -> ShareRow {
    ShareRow {
        agent: agent.to_string(),
        value: value.display(project.exponent),
        share: share_decimal(value, total),
    }
}

/// The payout lines and per-account totals of a distribution.
fn lines_and_payouts(
    state: &State,
    distribution: &Distribution,
) -> (Vec<LineOut>, BTreeMap<String, String>) {
    let plan = state.project(&distribution.project).ok().and_then(|p| {
        (distribution.plan_version as usize)
            .checked_sub(1)
            .and_then(|i| p.plans.get(i))
    });
    let lines = distribution
        .lines
        .iter()
        .map(|line| LineOut {
            bucket: line.bucket + 1,
            bucket_label: plan
                .and_then(|p| p.buckets.get(line.bucket as usize))
                .map(|b| b.label())
                .unwrap_or_else(|| "unallocated".to_string()),
            to: line.to.to_string(),
            amount: format_amount(line.amount, distribution.exponent),
        })
        .collect();
    let payouts = distribution
        .payouts()
        .into_iter()
        .map(|(name, amount)| {
            (
                name.to_string(),
                format_amount(amount, distribution.exponent),
            )
        })
        .collect();
    (lines, payouts)
}

pub fn revenue_out(state: &State, distribution: &Distribution, replayed: bool) -> RevenueOut {
    let (lines, payouts) = lines_and_payouts(state, distribution);
    RevenueOut {
        distribution: distribution.id,
        project: distribution.project.clone(),
        amount: format_amount(distribution.amount, distribution.exponent),
        currency: distribution.asset.clone(),
        plan_version: distribution.plan_version,
        replayed,
        payouts,
        lines,
    }
}

pub fn statement_out(state: &State, distribution: &Distribution) -> StatementOut {
    let (lines, payouts) = lines_and_payouts(state, distribution);
    StatementOut {
        distribution: distribution.id,
        project: distribution.project.clone(),
        date: distribution.date.to_string(),
        key: distribution.key.clone(),
        from: distribution.from.clone(),
        amount: format_amount(distribution.amount, distribution.exponent),
        currency: distribution.asset.clone(),
        plan_version: distribution.plan_version,
        payouts,
        lines,
    }
}

pub fn distribution_row(d: &Distribution) -> DistributionRow {
    DistributionRow {
        distribution: d.id,
        date: d.date.to_string(),
        amount: format_amount(d.amount, d.exponent),
        currency: d.asset.clone(),
        plan_version: d.plan_version,
        key: d.key.clone(),
        from: d.from.clone(),
    }
}

/// Balances of the named accounts. An asset no project uses as its currency is printed in
/// minor units.
pub fn balances<'a>(
    state: &State,
    names: impl Iterator<Item = &'a str>,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let ledger = state.ledger();
    names
        .map(|name| {
            let assets = ledger
                .account(name)
                .map(|assets| {
                    assets
                        .iter()
                        .map(|(asset, minor)| {
                            let exponent = state.asset_exponent(asset).unwrap_or(0);
                            (asset.clone(), format_amount(*minor, exponent))
                        })
                        .collect()
                })
                .unwrap_or_default();
            (name.to_string(), assets)
        })
        .collect()
}

/// A project's currency and exponent (an unknown project, which a valid log never names,
/// reads as a nameless asset with no decimals).
pub fn currency_of(state: &State, project: &str) -> (String, u32) {
    state
        .project(project)
        .map(|p| (p.currency.clone(), p.exponent))
        .unwrap_or((String::new(), 0))
}

/// What each account received from `lines`, in byte order of the name.
pub fn payouts(lines: &[Line], exponent: u32) -> BTreeMap<String, String> {
    let mut totals: BTreeMap<&str, i128> = BTreeMap::new();
    for line in lines {
        *totals.entry(line.to.as_str()).or_default() += line.amount;
    }
    totals
        .into_iter()
        .map(|(to, amount)| (to.to_string(), format_amount(amount, exponent)))
        .collect()
}

pub fn campaign_out(state: &State, c: &Campaign) -> CampaignOut {
    let (currency, exponent) = currency_of(state, &c.project);
    let fmt = |minor| format_amount(minor, exponent);
    CampaignOut {
        campaign: c.id.clone(),
        project: c.project.clone(),
        purpose: c.purpose.clone(),
        status: c.status.as_str().to_string(),
        currency,
        target: fmt(c.target),
        raised: fmt(c.raised),
        missing: fmt(c.target - c.raised),
        pledges: c
            .pledges
            .iter()
            .map(|p| PledgeRow {
                agent: p.agent.to_string(),
                amount: fmt(p.amount),
            })
            .collect(),
        pledged: c
            .pledged_by_agent()
            .into_iter()
            .map(|(agent, amount)| (agent.to_string(), fmt(amount)))
            .collect(),
        resource: c.resource.clone(),
    }
}

pub fn campaign_row(state: &State, c: &Campaign) -> CampaignRow {
    let (currency, exponent) = currency_of(state, &c.project);
    CampaignRow {
        campaign: c.id.clone(),
        project: c.project.clone(),
        status: c.status.as_str().to_string(),
        currency,
        target: format_amount(c.target, exponent),
        raised: format_amount(c.raised, exponent),
        pledges: c.pledges.len(),
        resource: c.resource.clone(),
    }
}

pub fn fees_out(fees: &FeeSchedule) -> FeesOut {
    FeesOut {
        per_hour: fees.per_hour.to_string(),
        material_per_unit: fees.material_per_unit.to_string(),
        technician_per_hour: fees.technician_per_hour.to_string(),
        community_per_hour: fees.community_per_hour.map(|d| d.to_string()),
        split: fees
            .split
            .iter()
            .map(|s| SplitShareBody {
                to: s.to.clone(),
                percent: s.percent.to_string(),
            })
            .collect(),
        material_to: fees.material_to.clone(),
        after_payback: fees.after_payback.clone(),
    }
}

pub fn use_row(record: &UseRecord, exponent: u32) -> UseRow {
    UseRow {
        use_id: record.id,
        event: record.seq,
        agent: record.agent.clone(),
        hours: record.hours.to_string(),
        community: record.community,
        fee: format_amount(record.fee, exponent),
        payouts: payouts(&record.lines, exponent),
    }
}

/// A resource with a page of its use history.
pub fn resource_show(state: &State, r: &Resource, page: Page) -> ResourceShow {
    let (currency, exponent) = currency_of(state, &r.project);
    let fmt = |minor| format_amount(minor, exponent);
    let (history, total) = page.take(r.uses.iter(), |u| use_row(u, exponent));
    ResourceShow {
        resource: r.name.clone(),
        project: r.project.clone(),
        status: r.status.as_str().to_string(),
        currency,
        value: r.value.map(fmt),
        campaign: r.campaign.clone(),
        owners: r
            .owners
            .iter()
            .map(|o| OwnerOut {
                agent: o.agent.clone(),
                pledge: fmt(o.pledge),
                cap: fmt(o.cap),
                received: fmt(o.received),
                outstanding: fmt(o.outstanding().max(0)),
            })
            .collect(),
        fees: r.fees.as_ref().map(fees_out),
        uses: r.uses.len(),
        fees_charged: fmt(r.uses.iter().map(|u| u.fee).sum()),
        offset: page.offset,
        limit: page.limit,
        next_offset: page.next_offset(history.len(), total),
        history,
    }
}

pub fn resource_row(state: &State, r: &Resource) -> ResourceRow {
    let (currency, exponent) = currency_of(state, &r.project);
    ResourceRow {
        resource: r.name.clone(),
        project: r.project.clone(),
        status: r.status.as_str().to_string(),
        currency,
        owners: r.owners.len(),
        outstanding: format_amount(
            r.owners.iter().map(|o| o.outstanding().max(0)).sum(),
            exponent,
        ),
        uses: r.uses.len(),
        fees_set: r.fees.is_some(),
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens

/// Decimals past the currency's of a price per token (as the command line prints them).
const PRICE_EXTRA_DECIMALS: u32 = 4;

/// A token amount, with the token's decimals.
pub fn token_units(token: &Token, minor: i128) -> String {
    fairshare_core::format_amount(minor, token.exponent)
}

/// An amount of the token's currency.
pub fn token_money(token: &Token, minor: i128) -> String {
    fairshare_core::format_amount(minor, token.currency_exponent)
}

/// A price per whole token, rounded down to the currency's decimals plus four.
pub fn price_text(price: &Price, token: &Token) -> String {
    price.per_token(token.currency_exponent + PRICE_EXTRA_DECIMALS)
}

pub fn redemption_price(state: &State, token: &Token) -> Result<Option<String>, ApiError> {
    Ok(state
        .token_redemption_price(&token.symbol)?
        .map(|p| price_text(&p, token)))
}

pub fn spot_price(state: &State, token: &Token) -> Result<Option<String>, ApiError> {
    Ok(state
        .token_spot_price(&token.symbol)?
        .map(|p| price_text(&p, token)))
}

/// What `token show --json` prints, with a page of the issuance and payments.
pub fn token_show(state: &State, token: &Token, page: Page) -> Result<TokenShow, ApiError> {
    let symbol = token.symbol.as_str();
    let holders = state.token_holders(symbol)?;
    let issuance = state.token_issuance(symbol)?;
    let (issuance_rows, issuance_total) = page.take(issuance.iter(), |i| IssuanceRow {
        event: i.seq,
        date: i.date.to_string(),
        cause: i.kind.describe(),
        holder: i.holder.clone(),
        tokens: token_units(token, i.tokens),
    });
    let (payments, payments_total) = page.take(token.payments.iter(), |p| PaymentRow {
        event: p.seq,
        from: p.from.clone(),
        project: p.project.clone(),
        tokens: token_units(token, p.tokens),
        value: state
            .project(&p.project)
            .map(|a| fairshare_core::format_amount(p.value, a.exponent))
            .unwrap_or_else(|_| p.value.to_string()),
    });
    Ok(TokenShow {
        token: token.symbol.clone(),
        project: token.project.clone(),
        exponent: token.exponent,
        currency: token.currency.clone(),
        redemption: token.redemption.as_str().to_string(),
        mint_per_value: token.mint_per_value.to_string(),
        exit_fee_percent: token.exit_fee_percent.to_string(),
        entry_tribute_percent: token.entry_tribute_percent.to_string(),
        exit_tribute_percent: token.exit_tribute_percent.to_string(),
        reserve_account: token.reserve_account.clone(),
        funding_account: token.funding_account.clone(),
        supply: token_units(token, token.supply()),
        minted: token_units(token, token.minted),
        burned: token_units(token, token.burned),
        reserve: token_money(token, state.token_reserve(symbol)?),
        funding: token_money(
            token,
            state
                .ledger()
                .balance(&token.funding_account, &token.currency),
        ),
        redemption_price: redemption_price(state, token)?,
        spot_price: spot_price(state, token)?,
        accepted_by: token
            .accepted_by
            .iter()
            .map(|(project, rate)| (project.clone(), rate.to_string()))
            .collect(),
        holders: holders
            .iter()
            .map(|h| HolderRow {
                holder: h.holder.clone(),
                balance: token_units(token, h.balance),
                share: share_decimal(Value(h.balance), Value(h.supply)),
            })
            .collect(),
        offset: page.offset,
        limit: page.limit,
        next_offset: page.next_offset(
            issuance_rows.len().max(payments.len()),
            issuance_total.max(payments_total),
        ),
        issuance_total,
        issuance: issuance_rows,
        payments_total,
        payments,
    })
}

pub fn token_row(state: &State, token: &Token) -> Result<TokenRow, ApiError> {
    let symbol = token.symbol.as_str();
    Ok(TokenRow {
        token: token.symbol.clone(),
        project: token.project.clone(),
        redemption: token.redemption.as_str().to_string(),
        currency: token.currency.clone(),
        supply: token_units(token, token.supply()),
        reserve: token_money(token, state.token_reserve(symbol)?),
        redemption_price: redemption_price(state, token)?,
        holders: state.token_holders(symbol)?.len(),
    })
}

// ---------------------------------------------------------------------------------------------
// Peer valuation

/// An exact ratio (a peer share) as every report prints shares.
pub fn share_text(share: &Share) -> String {
    fairshare_core::ratio_decimal(share.0.numer(), share.0.denom())
}

pub fn peer_share_row(share: &PeerShare) -> PeerShareRow {
    PeerShareRow {
        agent: share.agent.clone(),
        received: share.received,
        share: share_text(&share.share),
    }
}

pub fn round_show(round: &Round) -> RoundShow {
    let (total, shares) = match &round.closed {
        Some(closed) => (closed.total, closed.shares.clone()),
        None => round.provisional_shares(),
    };
    RoundShow {
        round: round.id,
        project: round.project.clone(),
        status: if round.is_open() { "open" } else { "closed" }.to_string(),
        budget: round.budget,
        opened_on: round.opened_on.to_string(),
        closed_on: round.closed.as_ref().map(|c| c.date.to_string()),
        eligible: round.eligible.clone(),
        opted_out: round.opted_out.iter().cloned().collect(),
        gifts: round.gifts.clone(),
        givers: round
            .eligible
            .iter()
            .map(|a| GiverRow {
                agent: a.clone(),
                spent: round.spent(a),
                left: round.budget.saturating_sub(round.spent(a)),
            })
            .collect(),
        total,
        provisional: round.is_open(),
        shares: shares.iter().map(peer_share_row).collect(),
    }
}

pub fn pool_line(line: &PoolLine, exponent: u32) -> PoolLineOut {
    PoolLineOut {
        agent: line.agent.clone(),
        share: share_text(&line.share),
        bounty: format_amount(line.bounty, exponent),
        by_share: format_amount(line.by_share, exponent),
        units: format_amount(line.units, exponent),
    }
}

pub fn units_map(lines: &[PoolLine], exponent: u32) -> BTreeMap<String, String> {
    lines
        .iter()
        .map(|l| (l.agent.clone(), format_amount(l.units, exponent)))
        .collect()
}

pub fn captable_out(
    project: &Project,
    rows: &[CapRow],
    as_of: Date,
    recorded: Option<u64>,
) -> CaptableOut {
    CaptableOut {
        project: project.slug.to_string(),
        as_of: as_of.to_string(),
        currency: project.currency.clone(),
        recorded,
        rows: rows
            .iter()
            .map(|r| CapRowOut {
                handle: r.agent.clone(),
                value: r.value.display(project.exponent),
                share: share_text(&r.share),
                units: format_amount(r.units, project.exponent),
                units_share: share_text(&r.units_share),
            })
            .collect(),
    }
}

pub fn blended_out(project: &Project, as_of: Date, report: &BlendReport) -> BlendedOut {
    BlendedOut {
        project: project.slug.to_string(),
        as_of: as_of.to_string(),
        weights: Weights {
            formula: report.formula.to_string(),
            peer: report.peer.to_string(),
            steward: report.steward.to_string(),
        },
        blend_set: report.blend_set,
        round: report.round,
        shares: report
            .rows
            .iter()
            .map(|r| BlendedRow {
                agent: r.agent.clone(),
                formula: share_text(&r.formula),
                peer: share_text(&r.peer),
                steward: share_text(&r.steward),
                blended: share_text(&r.blended),
                value: r.value.display(project.exponent),
                received: r.received,
                steward_points: r.steward_points,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_exact_or_rounded_at_18_decimals() {
        let v = Value;
        assert_eq!(share_decimal(v(1), v(4)), "0.25");
        assert_eq!(share_decimal(v(4), v(4)), "1");
        assert_eq!(share_decimal(v(1), v(3)), "0.333333333333333333");
        assert_eq!(share_decimal(v(2), v(3)), "0.666666666666666667");
        let total = 2 * 10i128.pow(18);
        assert_eq!(share_decimal(v(1), v(total)), "0");
        assert_eq!(share_decimal(v(3), v(total)), "0.000000000000000002");
        assert_eq!(
            share_decimal(v(i128::MAX / 3), v(i128::MAX)),
            "0.333333333333333333"
        );
    }

    #[test]
    fn pages_say_where_the_next_one_starts() {
        let page = Page::new(Some(2), Some(0)).expect("page");
        let (rows, total) = page.take(0..5, |i| i);
        assert_eq!((rows, total), (vec![0, 1], 5));
        assert_eq!(page.next_offset(2, 5), Some(2));
        assert_eq!(page.next_offset(0, 0), None);
        assert!(Page::new(Some(PAGE_LIMIT_MAX + 1), None).is_err());
        assert!(Page::new(Some(0), None).is_err());
    }
}
