//! The state's records as API responses. Amounts are printed with their asset's exponent,
//! values and shares as exact decimals, in the command line's `--json` shapes.

use std::collections::BTreeMap;
use std::sync::Arc;

use fairshare_core::{Distribution, State, Value, format_amount};

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
