//! Plans compared on history (`plan compare`): what another plan would have paid at each of
//! a project's past revenues, against the values as they stood then.
//!
//! One pipelined replay of the log ([`Book::replay_watched`]) stops before each revenue of
//! the project and splits its amount by each plan on the state of that moment, with the same
//! code as a real revenue; nothing is recorded. Against "the plan used", the second column is
//! what the revenue actually paid (its recorded lines).

use std::collections::{BTreeMap, VecDeque};

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
    /// Every account paid by either plan, in byte order: (plan A, plan B or what was paid).
    pub accounts: BTreeMap<String, (i128, i128)>,
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
        let b = match plans.b {
            Some(plan) => split(plan, "plan_b")?,
            None => lines.clone(),
        };
        let mut accounts: BTreeMap<String, (i128, i128)> = BTreeMap::new();
        for line in &a {
            accounts.entry(line.to.to_string()).or_default().0 += line.amount;
        }
        for line in &b {
            accounts.entry(line.to.to_string()).or_default().1 += line.amount;
        }
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
