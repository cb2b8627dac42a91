//! The treasury: payouts, expenses, transfers between virtual accounts and currency exchanges
//! (docs/TREASURY.md).

use std::collections::BTreeMap;

use fairshare_book::Executed;
use fairshare_core::{Command, Expense, Outcome, Payout, State, TreasuryStatus, format_amount};
use serde::{Deserialize, Serialize};

use crate::distributions::balances;
use crate::error::OpResult;
use crate::op::{Read, Reading, Write};
use crate::page::Page;

/// The status a list is narrowed to, if any.
fn status_filter(status: Option<&String>) -> OpResult<Option<TreasuryStatus>> {
    Ok(status.map(|s| s.parse::<TreasuryStatus>()).transpose()?)
}

/// The balances of the accounts a movement touched, after it.
fn balances_of(state: &State, accounts: &[&str]) -> BTreeMap<String, BTreeMap<String, String>> {
    balances(state, accounts.iter().copied())
}

// ---------------------------------------------------------------------------------------------
// Payouts

/// A payout request and what became of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutOut {
    pub id: String,
    pub agent: String,
    pub asset: String,
    pub amount: String,
    /// The bank transfer's reference.
    pub reference: String,
    pub requested_by: String,
    /// The day it was requested.
    pub date: String,
    /// pending, paid or rejected.
    pub status: String,
    /// The custodian who approved or rejected it.
    pub reviewed_by: Option<String>,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// The payee's balance in the asset now.
    pub balance: String,
}

impl PayoutOut {
    pub fn of(state: &State, p: &Payout) -> PayoutOut {
        PayoutOut {
            id: p.id.clone(),
            agent: p.agent.clone(),
            asset: p.asset.clone(),
            amount: format_amount(p.amount, p.exponent),
            reference: p.reference.clone(),
            requested_by: p.requested_by.clone(),
            date: p.date.to_string(),
            status: p.status.as_str().to_string(),
            reviewed_by: p.reviewed_by.clone(),
            reason: p.reason.clone(),
            balance: format_amount(state.ledger().balance(&p.agent, &p.asset), p.exponent),
        }
    }
}

/// Asks to pay an agent's balance out (by the agent, or a custodian for them); paid once a
/// custodian other than the payee and the requester approves it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct RequestPayout {
    /// The client's id for the payout; `payout-N` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "ID"))]
    pub id: Option<String>,
    pub agent: String,
    #[cfg_attr(feature = "clap", arg(allow_negative_numbers = true))]
    pub amount: String,
    /// The asset (default: the one the agent holds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "CODE"))]
    pub asset: Option<String>,
    /// The bank transfer's reference.
    #[cfg_attr(
        feature = "clap",
        arg(
            long,
            value_name = "TEXT",
            default_value = "",
            hide_default_value = true
        )
    )]
    pub reference: String,
}

operation!(RequestPayout => PayoutOut, Post "/api/v1/payouts", "treasury",
    "Asks to pay an agent's balance out (by the agent, or a custodian for them)");

impl Write for RequestPayout {
    const CREATES: bool = true;

    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::RequestPayout {
            id: self.id.clone(),
            agent: self.agent.clone(),
            amount: self.amount.clone(),
            asset: self.asset.clone(),
            reference: self.reference.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<PayoutOut> {
        let_outcome!(executed, Outcome::PayoutRequested { id, .. });
        Ok(PayoutOut::of(state, state.payout(id)?))
    }
}

review! {
    /// Approves a pending payout: the amount moves from the agent's balance to `outside`
    /// (a custodian other than the payee and the requester).
    ApprovePayout { id: String } => PayoutOut, "/api/v1/payouts/{id}/approve", "treasury",
        "Approves a pending payout: the amount moves from the agent's balance to outside",
    |state, approve, _| Ok(PayoutOut::of(state, state.payout(&approve.id)?))
}

review! {
    /// Rejects a pending payout, with a reason.
    RejectPayout { id: String, reason } => PayoutOut, "/api/v1/payouts/{id}/reject", "treasury",
        "Rejects a pending payout, with a reason",
    |state, reject, _| Ok(PayoutOut::of(state, state.payout(&reject.id)?))
}

paged_list! {
    /// Payouts, in the order they were requested; every agent's or one's, of any status or one.
    ListPayouts {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "clap", arg(long, value_name = "HANDLE"))]
        agent: Option<String>,
        /// pending, paid or rejected.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "clap", arg(long, value_name = "STATUS"))]
        status: Option<String>
    } => PayoutsOut { payouts: PayoutOut },
    "/api/v1/payouts", "treasury",
    "Payouts in the order they were requested; every agent's or one's, any status or one"
}

impl Read for ListPayouts {
    fn view(&self, state: &State, _: &Reading) -> OpResult<PayoutsOut> {
        let page = Page::new(self.limit, self.offset)?;
        let status = status_filter(self.status.as_ref())?;
        if let Some(agent) = &self.agent {
            state.agent(agent)?;
        }
        let payouts = state.payouts().iter().filter(|p| {
            self.agent.as_ref().is_none_or(|a| p.agent == *a)
                && status.is_none_or(|s| p.status == s)
        });
        let (page, payouts) = page.list(payouts, |p| PayoutOut::of(state, p));
        Ok(PayoutsOut { page, payouts })
    }
}

// ---------------------------------------------------------------------------------------------
// Expenses

/// An expense and its approvals.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExpenseOut {
    pub id: String,
    /// The virtual account it is paid from.
    pub account: String,
    pub asset: String,
    pub amount: String,
    /// What it pays for.
    #[serde(rename = "for")]
    pub purpose: String,
    /// The agent reimbursed; none when the money leaves the network.
    pub payee: Option<String>,
    pub receipt: Option<String>,
    pub submitted_by: String,
    /// The day it was submitted.
    pub date: String,
    /// Approvals needed before it is paid.
    pub required: u32,
    pub approvals: Vec<String>,
    /// pending, paid or rejected.
    pub status: String,
    pub rejected_by: Option<String>,
    pub reason: Option<String>,
    /// The account's balance in the asset now.
    pub balance: String,
}

impl ExpenseOut {
    pub fn of(state: &State, e: &Expense) -> ExpenseOut {
        ExpenseOut {
            id: e.id.clone(),
            account: e.account.clone(),
            asset: e.asset.clone(),
            amount: format_amount(e.amount, e.exponent),
            purpose: e.purpose.clone(),
            payee: e.payee.clone(),
            receipt: e.receipt.clone(),
            submitted_by: e.submitted_by.clone(),
            date: e.date.to_string(),
            required: e.required,
            approvals: e.approvals.clone(),
            status: e.status.as_str().to_string(),
            rejected_by: e.rejected_by.clone(),
            reason: e.reason.clone(),
            balance: format_amount(state.ledger().balance(&e.account, &e.asset), e.exponent),
        }
    }
}

/// Submits an expense from a virtual account, paid to `outside` or to an agent once approved
/// by as many custodians as the account's project requires (at least one), never by the
/// submitter.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct SubmitExpense {
    /// The client's id for the expense; `expense-N` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "ID"))]
    pub id: Option<String>,
    /// The virtual account it is paid from (`infra`, `maintenance`, `PROJECT-unallocated`).
    pub account: String,
    #[cfg_attr(feature = "clap", arg(allow_negative_numbers = true))]
    pub amount: String,
    /// The asset (default: the one the account holds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "CODE"))]
    pub asset: Option<String>,
    /// What it pays for.
    #[serde(rename = "for")]
    #[cfg_attr(
        feature = "clap",
        arg(
            long = "for",
            value_name = "TEXT",
            default_value = "",
            hide_default_value = true
        )
    )]
    pub purpose: String,
    /// An agent who paid from their own pocket (default: the money leaves the network).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "AGENT"))]
    pub payee: Option<String>,
    /// An http(s) address or a SHA-256 of the receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "URL_OR_SHA256"))]
    pub receipt: Option<String>,
}

operation!(SubmitExpense => ExpenseOut, Post "/api/v1/expenses", "treasury",
    "Submits an expense from a virtual account, paid once approved by other custodians");

impl Write for SubmitExpense {
    const CREATES: bool = true;

    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::SubmitExpense {
            id: self.id.clone(),
            account: self.account.clone(),
            amount: self.amount.clone(),
            asset: self.asset.clone(),
            purpose: self.purpose.clone(),
            payee: self.payee.clone(),
            receipt: self.receipt.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<ExpenseOut> {
        let_outcome!(executed, Outcome::ExpenseSubmitted { id, .. });
        Ok(ExpenseOut::of(state, state.expense(id)?))
    }
}

review! {
    /// Approves a pending expense (a custodian other than its submitter and its payee); the last
    /// approval it needs pays it.
    ApproveExpense { id: String } => ExpenseOut, "/api/v1/expenses/{id}/approve", "treasury",
        "Approves a pending expense; the last approval it needs pays it",
    |state, approve, _| Ok(ExpenseOut::of(state, state.expense(&approve.id)?))
}

review! {
    /// Rejects a pending expense, with a reason.
    RejectExpense { id: String, reason } => ExpenseOut, "/api/v1/expenses/{id}/reject", "treasury",
        "Rejects a pending expense, with a reason",
    |state, reject, _| Ok(ExpenseOut::of(state, state.expense(&reject.id)?))
}

paged_list! {
    /// Expenses, in the order they were submitted; every account's or one's, any status or one.
    ListExpenses {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "clap", arg(long, value_name = "NAME"))]
        account: Option<String>,
        /// pending, paid or rejected.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "clap", arg(long, value_name = "STATUS"))]
        status: Option<String>
    } => ExpensesOut { expenses: ExpenseOut },
    "/api/v1/expenses", "treasury",
    "Expenses in the order they were submitted; every account's or one's, any status or one"
}

impl Read for ListExpenses {
    const NAMES_EXISTING: bool = false;
    fn view(&self, state: &State, _: &Reading) -> OpResult<ExpensesOut> {
        let page = Page::new(self.limit, self.offset)?;
        let status = status_filter(self.status.as_ref())?;
        let expenses = state.expenses().iter().filter(|e| {
            self.account.as_ref().is_none_or(|a| e.account == *a)
                && status.is_none_or(|s| e.status == s)
        });
        let (page, expenses) = page.list(expenses, |e| ExpenseOut::of(state, e));
        Ok(ExpensesOut { page, expenses })
    }
}

// ---------------------------------------------------------------------------------------------
// Transfers and exchanges

/// A transfer between two virtual accounts, and their balances after it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransferOut {
    pub from: String,
    pub to: String,
    pub asset: String,
    pub amount: String,
    pub reason: String,
    pub balances: BTreeMap<String, BTreeMap<String, String>>,
}

/// Moves money between two virtual accounts (custodians only; never an agent's balance, a
/// campaign, a reserve or a liquidity account).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct TransferMoney {
    pub from: String,
    pub to: String,
    #[cfg_attr(feature = "clap", arg(allow_negative_numbers = true))]
    pub amount: String,
    /// The asset (default: the one `from` holds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "CODE"))]
    pub asset: Option<String>,
    #[cfg_attr(
        feature = "clap",
        arg(
            long,
            value_name = "TEXT",
            default_value = "",
            hide_default_value = true
        )
    )]
    pub reason: String,
}

operation!(TransferMoney => TransferOut, Post "/api/v1/transfers", "treasury",
    "Moves money between two virtual accounts (custodians only)");

impl Write for TransferMoney {
    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::TransferMoney {
            from: self.from.clone(),
            to: self.to.clone(),
            amount: self.amount.clone(),
            asset: self.asset.clone(),
            reason: self.reason.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<TransferOut> {
        let_outcome!(executed, Outcome::MoneyTransferred { asset, amount });
        Ok(TransferOut {
            from: self.from.clone(),
            to: self.to.clone(),
            asset: asset.clone(),
            amount: format_amount(*amount, state.asset_exponent(asset).unwrap_or(0)),
            reason: self.reason.clone(),
            balances: balances_of(state, &[&self.from, &self.to]),
        })
    }
}

/// An exchange: what the account gave and received, and its balances after it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExchangeOut {
    pub account: String,
    pub from_asset: String,
    pub amount: String,
    pub to_asset: String,
    /// What the account received, rounded down to the target's decimals.
    pub converted: String,
    pub rate: String,
    pub reference: Option<String>,
    pub balances: BTreeMap<String, BTreeMap<String, String>>,
}

/// Converts an account's money from one asset to another at a stated rate, through the
/// `exchange` account (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct Exchange {
    pub account: String,
    /// The amount given, in `from_asset`.
    #[cfg_attr(feature = "clap", arg(allow_negative_numbers = true))]
    pub amount: String,
    pub from_asset: String,
    pub to_asset: String,
    /// Units of `to_asset` per unit of `from_asset`.
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "RATE", allow_negative_numbers = true)
    )]
    pub rate: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "TEXT"))]
    pub reference: Option<String>,
}

operation!(Exchange => ExchangeOut, Post "/api/v1/exchanges", "treasury",
    "Converts an account's money to another asset at a stated rate (custodians only)");

impl Write for Exchange {
    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::Exchange {
            account: self.account.clone(),
            amount: self.amount.clone(),
            from_asset: self.from_asset.clone(),
            to_asset: self.to_asset.clone(),
            rate: self.rate.clone(),
            reference: self.reference.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<ExchangeOut> {
        let exponent = |asset: &str| state.asset_exponent(asset).unwrap_or(0);
        let_outcome!(executed, &Outcome::Exchanged { amount, converted });
        Ok(ExchangeOut {
            account: self.account.clone(),
            from_asset: self.from_asset.clone(),
            amount: format_amount(amount, exponent(&self.from_asset)),
            to_asset: self.to_asset.clone(),
            converted: format_amount(converted, exponent(&self.to_asset)),
            rate: self.rate.clone(),
            reference: self.reference.clone(),
            balances: balances_of(state, &[&self.account]),
        })
    }
}

#[cfg(test)]
mod tests;
