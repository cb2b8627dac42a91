//! Forecasts (issue 15): `estimate`, `plan compare`, `report` and `statement --year`. The clap
//! types, the request each command makes (`fairshare_ops::forecasts`), and the text of each
//! view. See docs/FORECASTS.md.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use clap::Args;
use fairshare_ops::forecasts::{ComparePlans, ComparedAccount, EstimateOut, PlanComparison};
use fairshare_ops::governance::ShowProposal;
use fairshare_ops::plans::BucketSpec;
use fairshare_ops::reports::{AgentStatementOut, PayoutRow, ProjectReportOut};

use crate::commands::out;
use crate::invocation::Invocation;
use crate::plan_file;
use crate::render::{Output, Table, Text};
use crate::text::statement_text;

// ---------------------------------------------------------------------------------------------
// Arguments

/// `plan compare PROJECT FILE_A [FILE_B] [--revenues all|LAST_N]`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    pub project: String,
    /// Plan A's file (TOML, or .json), as `plan set` reads it
    #[arg(required_unless_present = "proposal")]
    pub file_a: Option<String>,
    /// Plan B's file [default: the plan each revenue was paid by]
    pub file_b: Option<String>,
    /// Plan A is the plan this proposal would set (against the plans each revenue was paid by)
    #[arg(long, value_name = "ID", conflicts_with_all = ["file_a", "file_b"])]
    pub proposal: Option<String>,
    /// Which past revenues: all, or how many of the last ones
    #[arg(long, value_name = "all|LAST_N", default_value = "all")]
    pub revenues: String,
    /// Also list each revenue's accounts, not only the totals per account
    #[arg(long)]
    pub per_revenue: bool,
}

// ---------------------------------------------------------------------------------------------
// Commands

pub fn compare(s: &Invocation, args: CompareArgs) -> Result<Box<dyn Output>> {
    let plan_b = match &args.file_b {
        Some(file) => Some(plan_file::load_plan(Path::new(file))?),
        None => None,
    };
    let plan_a = match (&args.proposal, &args.file_a) {
        (Some(id), _) => proposed_plan(s, id)?,
        (None, Some(file)) => plan_file::load_plan(Path::new(file))?,
        (None, None) => unreachable!("clap requires FILE_A without --proposal"),
    };
    out(s.scan(&ComparePlans {
        project: args.project,
        plan_a,
        plan_b,
        revenues: Some(args.revenues),
        per_revenue: args.per_revenue,
    })?)
}

/// The plan a proposal would set (its first plan change).
fn proposed_plan(s: &Invocation, id: &str) -> Result<Vec<BucketSpec>> {
    let proposal = s.read(&ShowProposal {
        proposal: id.to_string(),
    })?;
    proposal
        .changes
        .into_iter()
        .find_map(|change| change.plan)
        .ok_or_else(|| {
            crate::error::CliError::invalid(format!(
                "proposal {id} changes no plan: compare plan files instead"
            ))
            .into()
        })
}

/// `statement ID`'s distribution number (without `--year`, the argument is one).
pub fn distribution_number(id: &str) -> Result<u64> {
    id.parse().map_err(|_| {
        crate::error::CliError::invalid(format!(
            "statement {id:?}: a distribution's number, or an agent's handle with --year YYYY"
        ))
        .into()
    })
}

// ---------------------------------------------------------------------------------------------
// Text

/// Compared accounts as a table.
fn compared_table(rows: &[ComparedAccount], b: &str) -> String {
    let mut table = Table::new(&["account", "", "plan A", b, "difference"]).right(&[2, 3, 4]);
    for row in rows {
        table.row(vec![
            row.account.clone(),
            if row.agent { "agent" } else { "account" }.to_string(),
            row.plan_a.clone(),
            row.plan_b.clone(),
            row.difference.clone(),
        ]);
    }
    table.render("  ")
}

impl Text for PlanComparison {
    fn to_text(&self) -> String {
        let b = if self.against == "plan_b" {
            "plan B"
        } else {
            "plan used"
        };
        let mut out = format!(
            "plan compare: nothing was recorded; {} revenue(s) of {} totalling {} {}, plan A against {b}\n",
            self.revenues.len(),
            self.project,
            self.amount,
            self.currency
        );
        for revenue in &self.revenues {
            let _ = writeln!(
                out,
                "distribution {} on {}: {} {} (paid by plan version {})",
                revenue.distribution,
                revenue.date,
                revenue.amount,
                self.currency,
                revenue.plan_version
            );
            if let Some(accounts) = &revenue.accounts {
                out.push_str(&compared_table(accounts, b));
            }
        }
        out.push_str("totals:\n");
        out.push_str(&compared_table(&self.totals, b));
        out
    }
}

impl Text for EstimateOut {
    fn to_text(&self) -> String {
        let mut out = format!(
            "estimate: nothing was recorded; what {} would receive from {} {} into {} (plan version {})\n",
            self.agent, self.revenue, self.currency, self.project, self.plan_version
        );
        let _ = writeln!(out, "  now:        {} {}", self.now, self.currency);
        if let (Some(hours), Some(category), Some(with), Some(difference), Some(value)) = (
            &self.hours,
            &self.category,
            &self.with_hours,
            &self.difference,
            &self.hours_value,
        ) {
            let _ = writeln!(
                out,
                "  with {hours} h of {category} (value {value}): {with} {} (difference {difference})",
                self.currency
            );
        }
        out = statement_text(format!("{out}statement now:\n"), &self.lines, &self.payouts);
        if let (Some(lines), Some(payouts)) = (&self.lines_with_hours, &self.payouts_with_hours) {
            out = statement_text(format!("{out}statement with the hours:\n"), lines, payouts);
        }
        out
    }
}

impl Text for ProjectReportOut {
    fn to_text(&self) -> String {
        let period = match (&self.from, &self.to) {
            (None, None) => "since the start".to_string(),
            (from, to) => format!(
                "from {} to {}",
                from.as_deref().unwrap_or("the start"),
                to.as_deref().unwrap_or("today")
            ),
        };
        let mut out = format!("report of {} ({}), {period}\n", self.project, self.currency);
        out.push_str("value logged, by kind and category:\n");
        let mut table = Table::new(&["kind", "category", "contributions", "counted", "pending"])
            .right(&[2, 3, 4]);
        for row in &self.value {
            table.row(vec![
                row.kind.clone(),
                row.category.clone().unwrap_or_default(),
                row.contributions.to_string(),
                row.counted.clone(),
                row.pending.clone(),
            ]);
        }
        out.push_str(&table.render("  "));
        let _ = writeln!(out, "counted value: {}", self.counted);
        let _ = writeln!(
            out,
            "distributions ({} {} in all):",
            self.distributed, self.currency
        );
        let mut table = Table::new(&["#", "date", "amount", "from"]).right(&[0, 2]);
        for d in &self.distributions {
            table.row(vec![
                d.distribution.to_string(),
                d.date.clone(),
                d.amount.clone(),
                d.from.clone().unwrap_or_default(),
            ]);
        }
        out.push_str(&table.render("  "));
        out.push_str("payouts:\n");
        out.push_str(&payouts_table(&self.payouts));
        out.push_str("top contributors:\n");
        let mut table = Table::new(&["agent", "value", "share"]).right(&[1, 2]);
        for c in &self.top_contributors {
            table.row(vec![c.agent.clone(), c.value.clone(), c.share.clone()]);
        }
        out.push_str(&table.render("  "));
        let _ = writeln!(out, "pending approval: {}", self.pending.len());
        let mut table = Table::new(&["#", "date", "agent", "kind", "value"]).right(&[0, 4]);
        for c in &self.pending {
            table.row(vec![
                c.id.to_string(),
                c.date.clone(),
                c.agent.clone(),
                c.kind.clone(),
                c.value.clone(),
            ]);
        }
        out.push_str(&table.render("  "));
        out
    }
}

fn payouts_table(payouts: &[PayoutRow]) -> String {
    let mut table = Table::new(&["id", "agent", "date", "amount", "status"]).right(&[3]);
    for p in payouts {
        table.row(vec![
            p.id.clone(),
            p.agent.clone(),
            p.date.clone(),
            p.amount.clone(),
            p.status.clone(),
        ]);
    }
    table.render("  ")
}

impl Text for AgentStatementOut {
    fn to_text(&self) -> String {
        let mut out = format!("statement of {} for {}\n", self.agent, self.year);
        out.push_str("earned from distributions:\n");
        let mut table = Table::new(&["#", "project", "date", "amount", "asset"]).right(&[0, 3]);
        for e in &self.earned {
            table.row(vec![
                e.distribution.to_string(),
                e.project.clone(),
                e.date.clone(),
                e.amount.clone(),
                e.asset.clone(),
            ]);
        }
        out.push_str(&table.render("  "));
        out.push_str("payouts:\n");
        out.push_str(&payouts_table(&self.payouts));
        out.push_str("totals:\n");
        let mut table = Table::new(&["asset", "earned", "paid out"]).right(&[1, 2]);
        for (asset, totals) in &self.totals {
            table.row(vec![
                asset.clone(),
                totals.earned.clone(),
                totals.paid_out.clone(),
            ]);
        }
        out.push_str(&table.render("  "));
        out
    }
}
