//! The treasury (issue 13): payouts, expenses, transfers between virtual accounts and
//! currency exchanges. The clap types, the request each command makes
//! (`fairshare_ops::treasury`), and the text of each view. See docs/TREASURY.md.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;
use clap::Subcommand;
use fairshare_ops::treasury::{
    ApproveExpense, ApprovePayout, ExchangeOut, ExpenseOut, ExpensesOut, PayoutOut, PayoutsOut,
    RejectExpense, RejectPayout, RequestPayout, SubmitExpense, TransferOut,
};

use crate::commands::out;
use crate::invocation::Invocation;
use crate::render::{Output, Table, Text, or_dash, page_table};

// ---------------------------------------------------------------------------------------------
// Arguments

#[derive(Debug, Subcommand)]
pub enum PayoutCmd {
    /// Ask to pay AMOUNT of AGENT's balance out (the agent, or a custodian for them)
    Request(RequestPayout),
    /// Approve a pending payout: the amount leaves the agent's balance (a custodian other
    /// than the payee and the requester)
    Approve(ApprovePayout),
    /// Reject a pending payout, with a reason
    Reject(RejectPayout),
}

#[derive(Debug, Subcommand)]
pub enum ExpenseCmd {
    /// Submit an expense from a virtual account, paid to outside or to --payee once approved
    Submit(SubmitExpense),
    /// Approve a pending expense (a custodian other than its submitter and payee); the last
    /// approval it needs pays it
    Approve(ApproveExpense),
    /// Reject a pending expense, with a reason
    Reject(RejectExpense),
}

// ---------------------------------------------------------------------------------------------
// Run

pub fn payout(s: &Invocation, command: PayoutCmd) -> Result<Box<dyn Output>> {
    match command {
        PayoutCmd::Request(request) => out(s.write(&request)?),
        PayoutCmd::Approve(request) => out(s.write(&request)?),
        PayoutCmd::Reject(request) => out(s.write(&request)?),
    }
}

pub fn expense(s: &Invocation, command: ExpenseCmd) -> Result<Box<dyn Output>> {
    match command {
        ExpenseCmd::Submit(request) => out(s.write(&request)?),
        ExpenseCmd::Approve(request) => out(s.write(&request)?),
        ExpenseCmd::Reject(request) => out(s.write(&request)?),
    }
}

// ---------------------------------------------------------------------------------------------
// Text

/// `  NAME: AMOUNT ASSET, ...` for each account.
fn balance_lines(balances: &BTreeMap<String, BTreeMap<String, String>>) -> String {
    let mut out = String::new();
    for (account, assets) in balances {
        let held: Vec<String> = assets.iter().map(|(a, n)| format!("{n} {a}")).collect();
        let _ = writeln!(out, "  {account}: {}", held.join(", "));
    }
    out
}

impl Text for PayoutOut {
    fn to_text(&self) -> String {
        let mut out = format!(
            "payout {} of {} {} to {} ({}): {}\n",
            self.id, self.amount, self.asset, self.agent, self.reference, self.status
        );
        let _ = writeln!(out, "  requested by {} on {}", self.requested_by, self.date);
        if let Some(by) = &self.reviewed_by {
            let _ = writeln!(out, "  {} by {by}", self.status);
        }
        if let Some(reason) = &self.reason {
            let _ = writeln!(out, "  reason: {reason}");
        }
        let _ = writeln!(
            out,
            "  balance of {}: {} {}",
            self.agent, self.balance, self.asset
        );
        out
    }
}

impl Text for PayoutsOut {
    fn to_text(&self) -> String {
        let table = Table::new(&[
            "id",
            "date",
            "agent",
            "amount",
            "asset",
            "status",
            "reference",
            "reviewed by",
        ])
        .right(&[3]);
        let rows = self.payouts.iter().map(|p| {
            vec![
                p.id.clone(),
                p.date.clone(),
                p.agent.clone(),
                p.amount.clone(),
                p.asset.clone(),
                p.status.clone(),
                p.reference.clone(),
                or_dash(p.reviewed_by.as_deref()),
            ]
        });
        page_table("no payouts", table, &self.page, rows)
    }
}

impl Text for ExpenseOut {
    fn to_text(&self) -> String {
        let to = self.payee.as_deref().unwrap_or("outside");
        let mut out = format!(
            "expense {} of {} {} from {} to {to} for {}: {} ({} of {} approvals)\n",
            self.id,
            self.amount,
            self.asset,
            self.account,
            self.purpose,
            self.status,
            self.approvals.len(),
            self.required
        );
        let _ = writeln!(out, "  submitted by {} on {}", self.submitted_by, self.date);
        if !self.approvals.is_empty() {
            let _ = writeln!(out, "  approved by {}", self.approvals.join(", "));
        }
        if let Some(receipt) = &self.receipt {
            let _ = writeln!(out, "  receipt: {receipt}");
        }
        if let (Some(by), Some(reason)) = (&self.rejected_by, &self.reason) {
            let _ = writeln!(out, "  rejected by {by}: {reason}");
        }
        let _ = writeln!(
            out,
            "  balance of {}: {} {}",
            self.account, self.balance, self.asset
        );
        out
    }
}

impl Text for ExpensesOut {
    fn to_text(&self) -> String {
        let table = Table::new(&[
            "id",
            "date",
            "account",
            "amount",
            "asset",
            "to",
            "status",
            "approvals",
            "for",
        ])
        .right(&[3]);
        let rows = self.expenses.iter().map(|e| {
            vec![
                e.id.clone(),
                e.date.clone(),
                e.account.clone(),
                e.amount.clone(),
                e.asset.clone(),
                e.payee.clone().unwrap_or_else(|| "outside".into()),
                e.status.clone(),
                format!("{}/{}", e.approvals.len(), e.required),
                e.purpose.clone(),
            ]
        });
        page_table("no expenses", table, &self.page, rows)
    }
}

impl Text for TransferOut {
    fn to_text(&self) -> String {
        let mut out = format!(
            "transferred {} {} from {} to {}: {}\n",
            self.amount, self.asset, self.from, self.to, self.reason
        );
        out.push_str(&balance_lines(&self.balances));
        out
    }
}

impl Text for ExchangeOut {
    fn to_text(&self) -> String {
        let mut out = format!(
            "exchanged {} {} of {} for {} {} at {}{}\n",
            self.amount,
            self.from_asset,
            self.account,
            self.converted,
            self.to_asset,
            self.rate,
            self.reference
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        );
        out.push_str(&balance_lines(&self.balances));
        out
    }
}
