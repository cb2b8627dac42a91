//! The state's records as API responses. Amounts are printed with their asset's exponent,
//! values and shares as exact decimals, in the command line's `--json` shapes.

use std::collections::BTreeMap;
use std::sync::Arc;

use fairshare_core::peer::{PoolLine, Round, Share};
use fairshare_core::{CapRow, Date, PeerShare};
use fairshare_core::{Distribution, Project, State, Value, format_amount};

use crate::api_types::{CapRowOut, CaptableOut, GiverRow, PeerShareRow, PoolLineOut, RoundShow};
use crate::api_types::{LineOut, StatementOut};

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

// ---------------------------------------------------------------------------------------------
// Tokens

// ---------------------------------------------------------------------------------------------
// Peer valuation

/// An exact ratio (a peer share) as every report prints shares.
pub fn share_text(share: &Share) -> String {
    fairshare_core::value::ratio_decimal(share.0.numer(), share.0.denom())
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
