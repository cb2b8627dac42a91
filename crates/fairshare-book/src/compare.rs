//! Plans compared on history (`plan compare`): what another plan would have paid at each of
//! a project's past revenues, against the values as they stood then.
//!
//! One pipelined replay of the log ([`Book::replay_watched`]) stops before each revenue of
//! the project and splits its amount by each plan on the state of that moment, with the same
//! code as a real revenue; nothing is recorded. Against "the plan used", the second column is
//! what the revenue actually paid (its recorded lines).

use std::collections::VecDeque;

use compact_str::CompactString;

use fairshare_core::{Command, DomainError, Line, Outcome, Plan, State, plan_distribution_by};
use fairshare_store::Store;

use crate::{Book, BookResult};

/// One past revenue under two plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComparedRevenue {
    pub id: u64,
    pub seq: u64,
    pub date: fairshare_core::Date,
    pub amount: i128,
    /// The version of the project's plan the revenue was paid by.
    pub plan_version: u32,
    /// Every account paid by either plan, once, in byte order of its name.
    pub accounts: Vec<ComparedAmounts>,
}

/// What one account is paid by plan A and by plan B (or was paid), in minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComparedAmounts {
    /// Held inline, as a payout line holds it: a revenue compares one account per agent.
    pub account: CompactString,
    pub plan_a: i128,
    pub plan_b: i128,
}

impl ComparedAmounts {
    /// Every account of lines `a` and `b`, once, in byte order of its name, with the sum of
    /// its lines in each.
    pub fn of_lines(a: Vec<Line>, b: &[Line]) -> Vec<ComparedAmounts> {
        let mut rows = Vec::with_capacity(a.len() + b.len());
        rows.extend(a.into_iter().map(|line| ComparedAmounts {
            account: line.to,
            plan_a: line.amount,
            plan_b: 0,
        }));
        rows.extend(b.iter().map(|line| ComparedAmounts {
            account: line.to.clone(),
            plan_a: 0,
            plan_b: line.amount,
        }));
        // Lines come sorted bucket by bucket: a stable sort merges those few runs.
        rows.sort_by(|x, y| x.account.cmp(&y.account));
        rows.dedup_by(|later, kept| {
            let same = later.account == kept.account;
            if same {
                kept.plan_a += later.plan_a;
                kept.plan_b += later.plan_b;
            }
            same
        });
        rows
    }

    /// `totals` with `more` added account by account; both in byte order of the name.
    pub fn add(totals: Vec<ComparedAmounts>, more: &[ComparedAmounts]) -> Vec<ComparedAmounts> {
        let mut sum = Vec::with_capacity(totals.len().max(more.len()));
        let mut more = more.iter().peekable();
        for total in totals {
            while let Some(before) = more.next_if(|row| row.account < total.account) {
                sum.push(before.clone());
            }
            match more.next_if(|row| row.account == total.account) {
                Some(row) => sum.push(ComparedAmounts {
                    plan_a: total.plan_a + row.plan_a,
                    plan_b: total.plan_b + row.plan_b,
                    ..total
                }),
                None => sum.push(total),
            }
        }
        sum.extend(more.cloned());
        sum
    }
}

/// The plans to compare: A, and B or (absent) the plan each revenue was actually paid by.
#[derive(Debug, Clone, Copy)]
pub struct Plans<'a> {
    pub a: &'a Plan,
    pub b: Option<&'a Plan>,
}

/// The book's state now and the project's past revenues (the last `last` of them, or all)
/// under both plans, oldest first. Each plan is checked as `plan set` would check it now.
pub fn compare_plans(
    store: &mut dyn Store,
    project: &str,
    plans: Plans,
    last: Option<usize>,
) -> BookResult<(State, Vec<ComparedRevenue>)> {
    let keep = last.unwrap_or(usize::MAX);
    let mut compared: VecDeque<ComparedRevenue> = VecDeque::new();
    let now = Book::replay_watched(store, &mut |past, ctx, body| {
        let Command::Revenue {
            project: paid_to, ..
        } = &body.command
        else {
            return Ok(());
        };
        let Outcome::Distributed {
            id,
            amount,
            plan_version,
            lines,
            ..
        } = &body.outcome
        else {
            return Ok(());
        };
        if paid_to != project || keep == 0 {
            return Ok(());
        }
        let state = past.project(project)?;
        let split = |plan: &Plan, field: &'static str| -> BookResult<Vec<Line>> {
            plan_distribution_by(past, state, plan, *amount, ctx.date)
                .map(|planned| planned.lines)
                .map_err(|e| {
                    DomainError::invalid(format!(
                        "{field} cannot split revenue {id} as the book stood then: {e}"
                    ))
                    .field(field)
                    .into()
                })
        };
        let a = split(plans.a, "plan_a")?;
        let planned_b;
        let b = match plans.b {
            Some(plan) => {
                planned_b = split(plan, "plan_b")?;
                &planned_b
            }
            None => lines,
        };
        let accounts = ComparedAmounts::of_lines(a, b);
        if compared.len() == keep {
            compared.pop_front();
        }
        compared.push_back(ComparedRevenue {
            id: *id,
            seq: ctx.seq,
            date: ctx.date,
            amount: *amount,
            plan_version: *plan_version,
            accounts,
        });
        Ok(())
    })?;
    now.project(project)?;
    now.check_proposed_plan(project, plans.a)
        .map_err(|e| e.field("plan_a"))?;
    if let Some(plan) = plans.b {
        now.check_proposed_plan(project, plan)
            .map_err(|e| e.field("plan_b"))?;
    }
    Ok((now, compared.into()))
}
