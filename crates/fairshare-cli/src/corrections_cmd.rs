//! Corrections (issue 13): `adjust`, `reverse`, `correction approve|reject` and the
//! `corrections` report. The clap types, the request each command makes
//! (`fairshare_ops::corrections`), and the text of each view. See docs/TREASURY.md.

use std::fmt::Write as _;

use anyhow::Result;
use clap::Subcommand;
use fairshare_ops::corrections::{
    ApproveCorrection, CorrectionOut, CorrectionsOut, RejectCorrection,
};

use crate::commands::out;
use crate::invocation::Invocation;
use crate::render::{Output, Table, Text};

// ---------------------------------------------------------------------------------------------
// Arguments

#[derive(Debug, Subcommand)]
pub enum CorrectionCmd {
    /// Approve a pending correction (never the one who asked for it, nor the contributor)
    Approve(ApproveCorrection),
    /// Reject a pending correction, with a reason
    Reject(RejectCorrection),
}

// ---------------------------------------------------------------------------------------------
// Commands

pub fn correction(s: &Invocation, command: CorrectionCmd) -> Result<Box<dyn Output>> {
    match command {
        CorrectionCmd::Approve(request) => out(s.write(&request)?),
        CorrectionCmd::Reject(request) => out(s.write(&request)?),
    }
}

// ---------------------------------------------------------------------------------------------
// Text

/// `hours 9`, `amount 150.00`, `value 20` or `reverse`.
fn change(c: &CorrectionOut) -> String {
    match (&c.hours, &c.amount, &c.value) {
        (Some(hours), _, _) => format!("hours {hours}"),
        (_, Some(amount), _) => format!("amount {amount}"),
        (_, _, Some(value)) => format!("value {value}"),
        _ => "reverse".to_string(),
    }
}

impl Text for CorrectionOut {
    fn to_text(&self) -> String {
        let mut out = format!(
            "correction {} of contribution {} ({}): {}",
            self.correction,
            self.contribution,
            change(self),
            self.status
        );
        match self.status.as_str() {
            "pending" => {
                let _ = write!(
                    out,
                    " ({} of {} approvals)",
                    self.approvals.len(),
                    self.approvals_required
                );
            }
            "approved" => {
                let _ = write!(
                    out,
                    ", value {} -> {}",
                    self.value_before.as_deref().unwrap_or("-"),
                    self.value_after.as_deref().unwrap_or("-")
                );
            }
            _ => {
                if let Some(reason) = &self.rejection {
                    let _ = write!(out, ": {reason}");
                }
            }
        }
        out.push('\n');
        out
    }
}

impl Text for CorrectionsOut {
    fn to_text(&self) -> String {
        let mut out = format!("corrections of {} ({})\n", self.project, self.currency);
        let mut table = Table::new(&[
            "id",
            "contribution",
            "change",
            "by",
            "status",
            "before",
            "after",
            "reason",
        ])
        .right(&[0, 1, 5, 6]);
        for c in &self.corrections {
            table.row(vec![
                c.correction.to_string(),
                c.contribution.to_string(),
                change(c),
                c.by.clone(),
                c.status.clone(),
                c.value_before.clone().unwrap_or_else(|| "-".into()),
                c.value_after.clone().unwrap_or_else(|| "-".into()),
                c.reason.clone(),
            ]);
        }
        out.push_str(&table.render("  "));
        if self.distributions.is_empty() {
            out.push_str("no distribution was made before a correction counted\n");
        }
        for d in &self.distributions {
            let _ = writeln!(
                out,
                "distribution {} of {} {} on {}:",
                d.distribution, d.amount, d.asset, d.date
            );
            let mut table =
                Table::new(&["account", "received", "corrected", "difference"]).right(&[1, 2, 3]);
            for line in &d.lines {
                table.row(vec![
                    line.account.clone(),
                    line.received.clone(),
                    line.corrected.clone(),
                    line.difference.clone(),
                ]);
            }
            out.push_str(&table.render("  "));
        }
        out
    }
}
