//! Forecasts (issue 15): `estimate`, `plan compare`, `report` and `statement --year`. The clap
//! types, the request each command makes (`fairshare_ops::forecasts`), and the text of each
//! view. See docs/FORECASTS.md.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use clap::Args;
use fairshare_ops::forecasts::{
    ComparePlans, ComparedAccount, EstimateOut, EstimateRevenue, PlanComparison,
};

use crate::commands::out;
use crate::invocation::Invocation;
use crate::plan_file;
use crate::render::{Output, Table, Text};
use crate::text::statement_text;

// ---------------------------------------------------------------------------------------------
// Arguments

/// `estimate PROJECT [--agent A] --revenue AMOUNT [--hours H --category C]`.
#[derive(Debug, Args)]
pub struct EstimateArgs {
    pub project: String,
    /// The agent [default: the one running the command, `--as`]
    #[arg(long, value_name = "HANDLE")]
    pub agent: Option<String>,
    /// The revenue to estimate
    #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
    pub revenue: String,
    /// More hours of work to suppose (counted as if approved)
    #[arg(
        long,
        value_name = "H",
        requires = "category",
        allow_negative_numbers = true
    )]
    pub hours: Option<String>,
    /// The category of those hours
    #[arg(long, value_name = "CATEGORY", requires = "hours")]
    pub category: Option<String>,
}

/// `plan compare PROJECT FILE_A [FILE_B] [--revenues all|LAST_N]`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    pub project: String,
    /// Plan A's file (TOML, or .json), as `plan set` reads it
    pub file_a: String,
    /// Plan B's file [default: the plan each revenue was paid by]
    pub file_b: Option<String>,
    /// Which past revenues: all, or how many of the last ones
    #[arg(long, value_name = "all|LAST_N", default_value = "all")]
    pub revenues: String,
}

// ---------------------------------------------------------------------------------------------
// Commands

pub fn estimate(s: &Invocation, args: EstimateArgs) -> Result<Box<dyn Output>> {
    out(s.read(&EstimateRevenue {
        project: args.project,
        agent: args.agent,
        revenue: args.revenue,
        hours: args.hours,
        category: args.category,
    })?)
}

pub fn compare(s: &Invocation, args: CompareArgs) -> Result<Box<dyn Output>> {
    let plan_b = match &args.file_b {
        Some(file) => Some(plan_file::load_plan(Path::new(file))?),
        None => None,
    };
    out(s.scan(&ComparePlans {
        project: args.project,
        plan_a: plan_file::load_plan(Path::new(&args.file_a))?,
        plan_b,
        revenues: Some(args.revenues),
    })?)
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
            out.push_str(&compared_table(&revenue.accounts, b));
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
