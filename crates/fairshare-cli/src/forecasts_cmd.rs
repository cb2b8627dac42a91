//! Forecasts (issue 15): `estimate`, `plan compare`, `report` and `statement --year`. The clap
//! types, the request each command makes (`fairshare_ops::forecasts`), and the text of each
//! view. See docs/FORECASTS.md.

use std::fmt::Write as _;

use anyhow::Result;
use clap::Args;
use fairshare_ops::forecasts::{EstimateOut, EstimateRevenue};

use crate::commands::out;
use crate::invocation::Invocation;
use crate::render::{Output, Text};
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

// ---------------------------------------------------------------------------------------------
// Text

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
