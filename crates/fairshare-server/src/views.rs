//! The state's records as API responses. Amounts are printed with their asset's exponent,
//! values and shares as exact decimals, in the command line's `--json` shapes.

use std::collections::BTreeMap;
use std::sync::Arc;

use fairshare_core::resources::{Campaign, FeeSchedule, Resource, UseRecord};
use fairshare_core::tokens::{Price, Token};
use fairshare_core::{Distribution, Line, State, Value, format_amount};

use crate::api_types::{
    CampaignOut, CampaignRow, FeesOut, LineOut, OwnerOut, PledgeRow, ResourceRow, ResourceShow,
    SplitShareBody, StatementOut, UseRow,
};
use crate::api_types::{HolderRow, IssuanceRow, PaymentRow, TokenRow, TokenShow};
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

pub use fairshare_core::value::share_decimal;

/// The total of the agents' values.
pub fn total_value(values: &[(Arc<str>, Value)]) -> Value {
    values
        .iter()
        .fold(Value::ZERO, |sum, (_, v)| Value(sum.0.saturating_add(v.0)))
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
