//! The treasury (issue 13): payouts, expenses, transfers between virtual accounts and
//! currency exchanges. The clap types, the request each command makes
//! (`fairshare_ops::treasury`), and the text of each view. See docs/TREASURY.md.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;
use clap::{Args, Subcommand};
use fairshare_ops::treasury::{
    ApproveExpense, ApprovePayout, Exchange, ExchangeOut, ExpenseOut, ExpensesOut, ListExpenses,
    ListPayouts, PayoutOut, PayoutsOut, RejectExpense, RejectPayout, RequestPayout, SubmitExpense,
    TransferMoney, TransferOut,
};

use crate::args::Page;
use crate::commands::out;
use crate::invocation::Invocation;
use crate::render::{Output, Table, Text, or_dash, page_table};

// ---------------------------------------------------------------------------------------------
// Arguments

#[derive(Debug, Subcommand)]
pub enum PayoutCmd {
    /// Ask to pay AMOUNT of AGENT's balance out (the agent, or a custodian for them)
    Request {
        agent: String,
        #[arg(allow_negative_numbers = true)]
        amount: String,
        /// The currency [default: the one the agent holds]
        #[arg(long, value_name = "CODE")]
        asset: Option<String>,
        /// The bank transfer's reference
        #[arg(long, value_name = "TEXT")]
        reference: Option<String>,
        /// The payout's id [default: payout-N]
        #[arg(long, value_name = "ID")]
        id: Option<String>,
    },
    /// Approve a pending payout: the amount leaves the agent's balance (a custodian other
    /// than the payee and the requester)
    Approve { id: String },
    /// Reject a pending payout, with a reason
    Reject {
        id: String,
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExpenseCmd {
    /// Submit an expense from a virtual account, paid to outside or to --payee once approved
    Submit {
        account: String,
        #[arg(allow_negative_numbers = true)]
        amount: String,
        /// The currency [default: the one the account holds]
        #[arg(long, value_name = "CODE")]
        asset: Option<String>,
        /// What it pays for
        #[arg(long = "for", value_name = "TEXT")]
        purpose: Option<String>,
        /// An agent who paid from their own pocket [default: the money leaves the network]
        #[arg(long, value_name = "AGENT")]
        payee: Option<String>,
        /// An http(s) address or the SHA-256 of the receipt
        #[arg(long, value_name = "URL_OR_SHA256")]
        receipt: Option<String>,
        /// The expense's id [default: expense-N]
        #[arg(long, value_name = "ID")]
        id: Option<String>,
    },
    /// Approve a pending expense (a custodian other than its submitter and payee); the last
    /// approval it needs pays it
    Approve { id: String },
    /// Reject a pending expense, with a reason
    Reject {
        id: String,
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct ListPayoutsArgs {
    #[arg(long, value_name = "HANDLE")]
    agent: Option<String>,
    /// pending, paid or rejected
    #[arg(long)]
    status: Option<String>,
    #[command(flatten)]
    page: Page,
}

#[derive(Debug, Args)]
pub struct ListExpensesArgs {
    #[arg(long, value_name = "NAME")]
    account: Option<String>,
    /// pending, paid or rejected
    #[arg(long)]
    status: Option<String>,
    #[command(flatten)]
    page: Page,
}

#[derive(Debug, Args)]
pub struct TransferArgs {
    from: String,
    to: String,
    #[arg(allow_negative_numbers = true)]
    amount: String,
    /// The currency [default: the one FROM holds]
    #[arg(long, value_name = "CODE")]
    asset: Option<String>,
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExchangeArgs {
    account: String,
    /// The amount given, in FROM_ASSET
    #[arg(allow_negative_numbers = true)]
    amount: String,
    from_asset: String,
    to_asset: String,
    /// Units of TO_ASSET per unit of FROM_ASSET
    #[arg(long, value_name = "RATE", allow_negative_numbers = true)]
    rate: String,
    #[arg(long, value_name = "TEXT")]
    reference: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Run

pub fn payout(s: &Invocation, command: PayoutCmd) -> Result<Box<dyn Output>> {
    match command {
        PayoutCmd::Request {
            agent,
            amount,
            asset,
            reference,
            id,
        } => out(s.write(&RequestPayout {
            id,
            agent,
            amount,
            asset,
            reference: reference.unwrap_or_default(),
        })?),
        PayoutCmd::Approve { id } => out(s.write(&ApprovePayout { id })?),
        PayoutCmd::Reject { id, reason } => out(s.write(&RejectPayout {
            id,
            reason: reason.unwrap_or_default(),
        })?),
    }
}

pub fn payouts(s: &Invocation, args: ListPayoutsArgs) -> Result<Box<dyn Output>> {
    out(s.read(&ListPayouts {
        agent: args.agent,
        status: args.status,
        limit: Some(args.page.limit),
        offset: Some(args.page.offset),
    })?)
}

pub fn expense(s: &Invocation, command: ExpenseCmd) -> Result<Box<dyn Output>> {
    match command {
        ExpenseCmd::Submit {
            account,
            amount,
            asset,
            purpose,
            payee,
            receipt,
            id,
        } => out(s.write(&SubmitExpense {
            id,
            account,
            amount,
            asset,
            purpose: purpose.unwrap_or_default(),
            payee,
            receipt,
        })?),
        ExpenseCmd::Approve { id } => out(s.write(&ApproveExpense { id })?),
        ExpenseCmd::Reject { id, reason } => out(s.write(&RejectExpense {
            id,
            reason: reason.unwrap_or_default(),
        })?),
    }
}

pub fn expenses(s: &Invocation, args: ListExpensesArgs) -> Result<Box<dyn Output>> {
    out(s.read(&ListExpenses {
        account: args.account,
        status: args.status,
        limit: Some(args.page.limit),
        offset: Some(args.page.offset),
    })?)
}

pub fn transfer(s: &Invocation, args: TransferArgs) -> Result<Box<dyn Output>> {
    out(s.write(&TransferMoney {
        from: args.from,
        to: args.to,
        amount: args.amount,
        asset: args.asset,
        reason: args.reason.unwrap_or_default(),
    })?)
}

pub fn exchange(s: &Invocation, args: ExchangeArgs) -> Result<Box<dyn Output>> {
    out(s.write(&Exchange {
        account: args.account,
        amount: args.amount,
        from_asset: args.from_asset,
        to_asset: args.to_asset,
        rate: args.rate,
        reference: args.reference,
    })?)
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
