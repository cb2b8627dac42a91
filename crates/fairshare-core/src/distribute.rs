//! The value equation: how one incoming amount is split by a project's plan.

use std::collections::BTreeMap;
use std::sync::Arc;

use ethnum::I256;
use rust_decimal::Decimal;

use crate::command::{ClaimPayment, Line};
use crate::date::Date;
use crate::error::DomainResult;
use crate::model::{Bucket, PercentOf};
use crate::money::parse_amount;
use crate::split::{CappedShare, split_capped, split_largest_remainder};
use crate::state::{Claim, Project, State};

/// The lines and claim settlements of distributing `amount` (minor units) by the project's
/// current plan on `date`. Parts always add up to `amount`: what no bucket places goes to the
/// project's unallocated account.
pub fn plan_distribution(
    state: &State,
    project: &Project,
    amount: i128,
    date: Date,
) -> DomainResult<(Vec<Line>, Vec<ClaimPayment>)> {
    let mut left = amount;
    let mut lines = Vec::new();
    let mut claims = Vec::new();
    let plan = project.plan();
    for (index, bucket) in plan.buckets.iter().enumerate() {
        if left == 0 {
            break;
        }
        let bucket_index = index as u32;
        let mut push = |to: &str, part: i128| {
            if part > 0 {
                lines.push(Line {
                    bucket: bucket_index,
                    to: to.into(),
                    amount: part,
                });
            }
        };
        match bucket {
            Bucket::Fixed { amount: fixed, to } => {
                let take = parse_amount(fixed, project.exponent)?.min(left);
                push(to, take);
                left -= take;
            }
            Bucket::Percent { percent, of, to } => {
                let base = match of {
                    PercentOf::Gross => amount,
                    PercentOf::Remaining => left,
                };
                let take = percent_floor(base, *percent).min(left);
                push(to, take);
                left -= take;
            }
            Bucket::Reimburse { kinds } => {
                // Open claims grouped per agent in one pass (byte order of handle, oldest
                // claim first), so a distribution stays linear in the number of claims.
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
                let (parts, _) = split_capped(left as u128, &shares);
                for ((agent, (_, open)), part) in owed.iter().zip(parts) {
                    let part = part as i128;
                    push(agent, part);
                    left -= part;
                    let mut to_settle = part;
                    for claim in open {
                        if to_settle == 0 {
                            break;
                        }
                        let paid = to_settle.min(claim.outstanding());
                        claims.push(ClaimPayment {
                            contribution: claim.contribution,
                            amount: paid,
                        });
                        to_settle -= paid;
                    }
                }
            }
            Bucket::Payback { resource, percent } => {
                let pot = match percent {
                    Some(p) => percent_floor(left, *p).min(left),
                    None => left,
                };
                let resource = state.resource(resource)?;
                let (parts, _) = resource.payback_split(pot);
                for (owner, part) in resource.owners.iter().zip(parts) {
                    push(&owner.agent, part);
                    left -= part;
                }
            }
            Bucket::Contributors { percent, .. } => {
                let pot = match percent {
                    Some(p) => percent_floor(left, *p).min(left),
                    None => left,
                };
                let filter = bucket.filter().unwrap_or_default();
                let values = state.values_by_agent(project, &filter, date)?;
                let weights: Vec<u128> = values.iter().map(|(_, v)| v.0 as u128).collect();
                let parts = split_largest_remainder(pot as u128, &weights);
                for ((agent, _), part) in values.iter().zip(parts) {
                    push(agent, part as i128);
                    left -= part as i128;
                }
            }
            // --- tokens ---
            Bucket::TokenHolders { token } => {
                // In byte order of the account name, so ties go to the smaller name.
                let holders = state.token_holder_balances(token)?;
                let weights: Vec<u128> = holders.iter().map(|(_, b)| *b as u128).collect();
                let parts = split_largest_remainder(left as u128, &weights);
                for ((holder, _), part) in holders.iter().zip(parts) {
                    push(holder, part as i128);
                    left -= part as i128;
                }
            }
        }
    }
    if left > 0 {
        lines.push(Line {
            bucket: plan.buckets.len() as u32,
            to: project.unallocated_account().into(),
            amount: left,
        });
    }
    debug_assert_eq!(lines.iter().map(|l| l.amount).sum::<i128>(), amount);
    Ok((lines, claims))
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
}
