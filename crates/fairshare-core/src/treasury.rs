//! The treasury: money that leaves the network or moves inside it by a deliberate act.
//!
//! - A **payout** moves an agent's balance to `outside` (a bank transfer): requested by the
//!   agent or a custodian for them, paid once a custodian other than the payee and the
//!   requester approves it.
//! - An **expense** spends a virtual account (`infra`, `maintenance`, `PROJECT-unallocated`)
//!   to `outside` or to an agent who paid from their own pocket, once approved by as many
//!   custodians as the account's project requires (at least one), never by the submitter.
//! - A **transfer** moves money between virtual accounts: a custodian's act.
//! - An **exchange** converts an account's money from one asset to another through the
//!   `exchange` account at a stated rate, rounded down to the target's exponent.
//!
//! Nothing overdraws: a request counts the other open requests on the same account and asset,
//! and an approval checks the balance again. Campaign, reserve and liquidity accounts hold
//! money that belongs to pledgers and token holders: nothing here pays into or out of them.

use rust_decimal::Decimal;

use crate::command::{Command, Outcome};
use crate::date::Date;
use crate::engine::unfit;
use crate::error::{About, DomainError, DomainResult, Field};
use crate::ledger::{Posting, transfer};
use crate::model::{EXCHANGE, OUTSIDE, Role, check_name, check_text, parse_status};
use crate::money::{format_amount, positive_amount, pow10};
use crate::roles::{custodian_or_self, observers_only_read, require_custodian};
use crate::state::{Ctx, State};
use crate::value::decimal;

/// Where a payout or an expense stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum TreasuryStatus {
    /// Waiting for approval.
    Pending,
    /// Approved and paid: the ledger moved the money.
    Paid,
    Rejected,
}

impl TreasuryStatus {
    pub const ALL: [TreasuryStatus; 3] = [
        TreasuryStatus::Pending,
        TreasuryStatus::Paid,
        TreasuryStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TreasuryStatus::Pending => "pending",
            TreasuryStatus::Paid => "paid",
            TreasuryStatus::Rejected => "rejected",
        }
    }
}

impl std::str::FromStr for TreasuryStatus {
    type Err = DomainError;
    fn from_str(text: &str) -> DomainResult<TreasuryStatus> {
        parse_status(&TreasuryStatus::ALL, TreasuryStatus::as_str, text)
    }
}

/// A payout request and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Payout {
    pub id: String,
    pub agent: String,
    pub asset: String,
    pub exponent: u32,
    pub amount: i128,
    pub reference: String,
    pub requested_by: String,
    pub seq: u64,
    pub date: Date,
    pub status: TreasuryStatus,
    /// The custodian who approved or rejected it.
    pub reviewed_by: Option<String>,
    pub reason: Option<String>,
}

/// An expense and its approvals.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Expense {
    pub id: String,
    pub account: String,
    pub asset: String,
    pub exponent: u32,
    pub amount: i128,
    pub purpose: String,
    /// The agent reimbursed, or none when the money leaves the network.
    pub payee: Option<String>,
    pub receipt: Option<String>,
    pub submitted_by: String,
    pub seq: u64,
    pub date: Date,
    /// Approvals needed before it is paid (at least one).
    pub required: u32,
    pub approvals: Vec<String>,
    pub status: TreasuryStatus,
    pub rejected_by: Option<String>,
    pub reason: Option<String>,
}

/// Payouts and expenses, in the order they were asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Treasury {
    pub(crate) payouts: Vec<Payout>,
    pub(crate) expenses: Vec<Expense>,
}

/// A payout or an expense, as its review sees it: a custodian other than its parties approves
/// or rejects it while it is pending.
pub(crate) trait Reviewed {
    /// What it is called in messages and permissions: `payout` or `expense`.
    const KIND: &'static str;
    /// Its parties, who may not review it, in words.
    const PARTIES: &'static str;
    fn id(&self) -> &str;
    fn status(&self) -> TreasuryStatus;
    /// Whether `actor` is one of its parties.
    fn involves(&self, actor: &str) -> bool;
    /// Records its rejection by `actor` for `reason`.
    fn reject(&mut self, actor: &str, reason: &str);
}

impl Reviewed for Payout {
    const KIND: &'static str = "payout";
    const PARTIES: &'static str = "the payee and the requester";
    fn id(&self) -> &str {
        &self.id
    }
    fn status(&self) -> TreasuryStatus {
        self.status
    }
    fn involves(&self, actor: &str) -> bool {
        self.agent == actor || self.requested_by == actor
    }
    fn reject(&mut self, actor: &str, reason: &str) {
        self.status = TreasuryStatus::Rejected;
        self.reviewed_by = Some(actor.to_string());
        self.reason = Some(reason.to_string());
    }
}

impl Reviewed for Expense {
    const KIND: &'static str = "expense";
    const PARTIES: &'static str = "the submitter and the payee";
    fn id(&self) -> &str {
        &self.id
    }
    fn status(&self) -> TreasuryStatus {
        self.status
    }
    fn involves(&self, actor: &str) -> bool {
        self.submitted_by == actor || self.payee.as_deref() == Some(actor)
    }
    fn reject(&mut self, actor: &str, reason: &str) {
        self.status = TreasuryStatus::Rejected;
        self.rejected_by = Some(actor.to_string());
        self.reason = Some(reason.to_string());
    }
}

/// Who may `verb` the item `id` (`item`, found or not): a custodian other than its parties,
/// while it is pending.
fn check_review<'a, T: Reviewed>(
    ctx: &Ctx,
    role: Role,
    id: &str,
    verb: &str,
    item: DomainResult<&'a T>,
) -> DomainResult<&'a T> {
    require_custodian(role, &format!("{verb} {}s", T::KIND))?;
    let item = item.about_value("id", id)?;
    if item.involves(&ctx.actor) {
        return Err(DomainError::forbidden(format!(
            "{} may not {verb} {} {id}: it must be reviewed by a custodian other than {}",
            ctx.actor,
            T::KIND,
            T::PARTIES
        )));
    }
    if item.status() != TreasuryStatus::Pending {
        return Err(DomainError::conflict(format!(
            "{} {id} is {} already",
            T::KIND,
            item.status().as_str()
        ))
        .field("id")
        .value(id));
    }
    Ok(item)
}

/// A rejection of the item `id`: by a reviewer, with a reason.
fn decide_rejection<T: Reviewed>(
    ctx: &Ctx,
    role: Role,
    id: &str,
    reason: &str,
    item: DomainResult<&T>,
) -> DomainResult<Outcome> {
    check_review(ctx, role, id, "reject", item)?;
    required_text("reason", reason, "a rejection needs a reason")?;
    Ok(Outcome::Done)
}

/// Where the pending item `id` stands in `items`: one that is not there was never decided,
/// so the log was forged.
fn pending_index<T: Reviewed>(ctx: &Ctx, items: &[T], id: &str, op: &str) -> DomainResult<usize> {
    items
        .iter()
        .position(|i| i.id() == id && i.status() == TreasuryStatus::Pending)
        .ok_or_else(|| unfit(ctx, op))
}

fn apply_rejection<T: Reviewed>(
    ctx: &Ctx,
    items: &mut [T],
    id: &str,
    reason: &str,
    op: &str,
) -> DomainResult<()> {
    let index = pending_index(ctx, items, id, op)?;
    items[index].reject(&ctx.actor, reason);
    Ok(())
}

/// The borrowed fields of an expense submission.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExpenseRequest<'a> {
    pub id: Option<&'a str>,
    pub account: &'a str,
    pub amount: &'a str,
    pub asset: Option<&'a str>,
    pub purpose: &'a str,
    pub payee: Option<&'a str>,
    pub receipt: Option<&'a str>,
}

impl<'a> ExpenseRequest<'a> {
    pub(crate) fn of(command: &'a Command) -> Option<ExpenseRequest<'a>> {
        match command {
            Command::SubmitExpense {
                id,
                account,
                amount,
                asset,
                purpose,
                payee,
                receipt,
            } => Some(ExpenseRequest {
                id: id.as_deref(),
                account,
                amount,
                asset: asset.as_deref(),
                purpose,
                payee: payee.as_deref(),
                receipt: receipt.as_deref(),
            }),
            _ => None,
        }
    }
}

/// The borrowed fields of an exchange.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExchangeRequest<'a> {
    pub account: &'a str,
    pub amount: &'a str,
    pub from_asset: &'a str,
    pub to_asset: &'a str,
    pub rate: &'a str,
}

impl<'a> ExchangeRequest<'a> {
    pub(crate) fn of(command: &'a Command) -> Option<ExchangeRequest<'a>> {
        match command {
            Command::Exchange {
                account,
                amount,
                from_asset,
                to_asset,
                rate,
                ..
            } => Some(ExchangeRequest {
                account,
                amount,
                from_asset,
                to_asset,
                rate,
            }),
            _ => None,
        }
    }
}

/// Converts `amount` minor units at `from_exponent` by `rate` into minor units at
/// `to_exponent`, rounded down; `None` when it overflows.
pub fn convert_floor(
    amount: i128,
    from_exponent: u32,
    to_exponent: u32,
    rate: Decimal,
) -> Option<i128> {
    let mantissa = rate.mantissa();
    let numerator = amount
        .checked_mul(mantissa)?
        .checked_mul(pow10(to_exponent))?;
    let denominator = pow10(rate.scale()).checked_mul(pow10(from_exponent))?;
    Some(numerator.div_euclid(denominator))
}

/// A receipt: an `http(s)://` address or a SHA-256 in hex.
fn check_receipt(receipt: &str) -> DomainResult<()> {
    check_text(Field::named("receipt"), receipt)?;
    let url = (receipt.starts_with("https://") || receipt.starts_with("http://"))
        && receipt.len() > 8
        && !receipt.chars().any(char::is_whitespace);
    let sha = receipt.len() == 64 && receipt.bytes().all(|b| b.is_ascii_hexdigit());
    if url || sha {
        return Ok(());
    }
    Err(DomainError::invalid(format!(
        "receipt {receipt:?} is neither an http(s) address nor a SHA-256 (64 hex digits)"
    ))
    .field("receipt")
    .value(receipt))
}

/// Non-empty free text of at most the text limit; `missing` says why it may not be empty.
fn required_text(field: &'static str, text: &str, missing: &str) -> DomainResult<()> {
    if text.trim().is_empty() {
        return Err(DomainError::invalid(missing).field(field));
    }
    check_text(Field::named(field), text)
}

impl State {
    /// Decides a treasury command.
    pub(crate) fn decide_treasury(
        &self,
        ctx: &Ctx,
        role: Role,
        command: &Command,
    ) -> DomainResult<Outcome> {
        match command {
            Command::RequestPayout {
                id,
                agent,
                amount,
                asset,
                reference,
            } => self.decide_request_payout(
                ctx,
                role,
                id.as_deref(),
                agent,
                amount,
                asset.as_deref(),
                reference,
            ),
            Command::ApprovePayout { id } => self.decide_approve_payout(ctx, role, id),
            Command::RejectPayout { id, reason } => {
                decide_rejection(ctx, role, id, reason, self.payout(id))
            }
            Command::SubmitExpense { .. } => match ExpenseRequest::of(command) {
                Some(request) => self.decide_submit_expense(ctx, role, &request),
                None => Err(DomainError::corrupt("not an expense command")),
            },
            Command::ApproveExpense { id } => self.decide_approve_expense(ctx, role, id),
            Command::RejectExpense { id, reason } => {
                decide_rejection(ctx, role, id, reason, self.expense(id))
            }
            Command::TransferMoney {
                from,
                to,
                amount,
                asset,
                reason,
            } => self.decide_transfer_money(role, from, to, amount, asset.as_deref(), reason),
            Command::Exchange { .. } => match ExchangeRequest::of(command) {
                Some(request) => self.decide_exchange(role, &request),
                None => Err(DomainError::corrupt("not an exchange command")),
            },
            _ => Err(DomainError::corrupt(format!(
                "{} is not a treasury command",
                command.op()
            ))),
        }
    }

    /// Applies the outcome of a treasury command.
    pub(crate) fn apply_treasury(
        &mut self,
        ctx: &Ctx,
        command: &Command,
        outcome: &Outcome,
    ) -> DomainResult<()> {
        match (command, outcome) {
            (
                Command::RequestPayout {
                    id: command_id,
                    agent,
                    asset: command_asset,
                    reference,
                    ..
                },
                Outcome::PayoutRequested { id, asset, amount },
            ) => self.apply_request_payout(
                ctx,
                command_id.as_deref(),
                agent,
                command_asset.as_deref(),
                reference,
                id,
                asset,
                *amount,
            ),
            (Command::ApprovePayout { id }, Outcome::Done) => self.apply_approve_payout(ctx, id),
            (Command::RejectPayout { id, reason }, Outcome::Done) => {
                apply_rejection(ctx, &mut self.treasury.payouts, id, reason, "reject_payout")
            }
            (
                Command::SubmitExpense { .. },
                Outcome::ExpenseSubmitted {
                    id,
                    asset,
                    amount,
                    required,
                },
            ) => match ExpenseRequest::of(command) {
                Some(request) => {
                    self.apply_submit_expense(ctx, &request, id, asset, *amount, *required)
                }
                None => Err(unfit(ctx, command.op())),
            },
            (Command::ApproveExpense { id }, Outcome::ExpenseApproved { paid }) => {
                self.apply_approve_expense(ctx, id, *paid)
            }
            (Command::RejectExpense { id, reason }, Outcome::Done) => apply_rejection(
                ctx,
                &mut self.treasury.expenses,
                id,
                reason,
                "reject_expense",
            ),
            (
                Command::TransferMoney {
                    from,
                    to,
                    asset: command_asset,
                    reason,
                    ..
                },
                Outcome::MoneyTransferred { asset, amount },
            ) => self.apply_transfer_money(
                ctx,
                from,
                to,
                command_asset.as_deref(),
                reason,
                asset,
                *amount,
            ),
            (Command::Exchange { reference, .. }, Outcome::Exchanged { amount, converted }) => {
                match ExchangeRequest::of(command) {
                    Some(request) => self.apply_exchange(
                        ctx,
                        &request,
                        reference.as_deref(),
                        *amount,
                        *converted,
                    ),
                    None => Err(unfit(ctx, command.op())),
                }
            }
            _ => Err(unfit(ctx, command.op())),
        }
    }

    // --- queries ---

    pub fn payouts(&self) -> &[Payout] {
        &self.treasury.payouts
    }

    pub fn payout(&self, id: &str) -> DomainResult<&Payout> {
        self.treasury
            .payouts
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| DomainError::not_found(format!("unknown payout {id:?}")))
    }

    pub fn expenses(&self) -> &[Expense] {
        &self.treasury.expenses
    }

    pub fn expense(&self, id: &str) -> DomainResult<&Expense> {
        self.treasury
            .expenses
            .iter()
            .find(|e| e.id == id)
            .ok_or_else(|| DomainError::not_found(format!("unknown expense {id:?}")))
    }

    /// Why money may not be paid into or out of `account` by a plan, a transfer or an
    /// expense: it is a campaign's, a token's reserve or a liquidity account.
    pub(crate) fn locked_account(&self, account: &str) -> Option<&'static str> {
        if self.campaigns.contains_key(account) {
            Some("a campaign's account")
        } else {
            self.tokens.locked_account(account)
        }
    }

    /// Approvals an expense from `account` needs: the most any project the account belongs
    /// to requires (its unallocated account, a plan bucket's or a resource fee's destination,
    /// a campaign), and at least one.
    pub fn expense_approvals(&self, account: &str) -> u32 {
        let mut required = 1;
        for project in self.projects.values() {
            let owns = project.unallocated_account() == account
                || project.plans.iter().any(|plan| {
                    plan.buckets
                        .iter()
                        .any(|b| b.destination() == Some(account))
                });
            if owns {
                required = required.max(project.approvals_required);
            }
        }
        for resource in self.resources.values() {
            let owns = resource.fee_history.iter().any(|fees| {
                fees.material_to == account
                    || fees.after_payback == account
                    || fees.split.iter().any(|s| s.to == account)
            });
            if owns && let Ok(project) = self.project(&resource.project) {
                required = required.max(project.approvals_required);
            }
        }
        required
    }

    // --- shared checks ---

    /// A virtual account: a well-formed name that is not an agent's balance, `outside`,
    /// `exchange`, nor a campaign, reserve or liquidity account.
    fn check_virtual(&self, field: &'static str, account: &str) -> DomainResult<()> {
        check_name(Field::new(field, "account"), account)?;
        let refuse = |why: String| Err(DomainError::invalid(why).field(field).value(account));
        if self.agents.contains_key(account) {
            return refuse(format!(
                "{account} is an agent's balance: agents are paid out by `payout`, not from a virtual account"
            ));
        }
        if account == OUTSIDE || account == EXCHANGE {
            return refuse(format!("{account} is not a virtual account"));
        }
        if let Some(what) = self.locked_account(account) {
            return refuse(format!(
                "{account} is {what}: its money belongs to its pledgers or holders"
            ));
        }
        Ok(())
    }

    /// The decimals of a currency some project uses. Tokens are not money the treasury moves:
    /// they leave only by redemption, so their supply stays what holders hold.
    fn currency_exponent(&self, asset: &str) -> Option<u32> {
        self.projects
            .values()
            .find(|p| p.currency == asset)
            .map(|p| p.exponent)
    }

    /// The currency of a request (`field`): the one named or, when none is, the one currency
    /// `account` holds.
    fn request_asset(
        &self,
        field: &'static str,
        account: &str,
        asset: Option<&str>,
    ) -> DomainResult<(String, u32)> {
        if let Some(asset) = asset {
            let exponent = self.currency_exponent(asset).ok_or_else(|| {
                DomainError::not_found(format!(
                    "unknown currency {asset:?}: no project keeps its books in it"
                ))
                .field(field)
                .value(asset)
            })?;
            return Ok((asset.to_string(), exponent));
        }
        let held: Vec<(&String, u32)> = self
            .ledger
            .account(account)
            .map(|assets| {
                assets
                    .iter()
                    .filter(|(_, b)| **b != 0)
                    .filter_map(|(a, _)| self.currency_exponent(a).map(|e| (a, e)))
                    .collect()
            })
            .unwrap_or_default();
        match held.as_slice() {
            [(only, exponent)] => Ok(((*only).clone(), *exponent)),
            [] => Err(DomainError::invalid(format!("{account} holds no money")).field("amount")),
            many => Err(DomainError::invalid(format!(
                "{account} holds {}: name the asset",
                many.iter()
                    .map(|(a, _)| a.as_str())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ))
            .field(field)),
        }
    }

    /// Refuses `amount` when `account` holds less than it plus `committed` (open requests).
    fn check_funds(
        &self,
        account: &str,
        asset: &str,
        exponent: u32,
        amount: i128,
        committed: i128,
    ) -> DomainResult<()> {
        let balance = self.ledger.balance(account, asset);
        if amount + committed <= balance {
            return Ok(());
        }
        let fmt = |n: i128| format_amount(n, exponent);
        let open = if committed > 0 {
            format!(" of which {} {asset} is already requested", fmt(committed))
        } else {
            String::new()
        };
        Err(DomainError::invalid(format!(
            "{account} holds {} {asset}{open}: {} {asset} would overdraw it",
            fmt(balance),
            fmt(amount)
        ))
        .field("amount")
        .value(fmt(amount))
        .limit(fmt((balance - committed).max(0))))
    }

    /// A client id (a name, not taken) or the next free `{prefix}-N`.
    fn treasury_id(
        &self,
        id: Option<&str>,
        prefix: &str,
        count: usize,
        taken: impl Fn(&str) -> bool,
    ) -> DomainResult<String> {
        if let Some(id) = id {
            check_name(Field::named("id"), id)?;
            if taken(id) {
                return Err(
                    DomainError::conflict(format!("{prefix} {id} exists already"))
                        .field("id")
                        .value(id),
                );
            }
            return Ok(id.to_string());
        }
        let mut n = count + 1;
        loop {
            let candidate = format!("{prefix}-{n}");
            if !taken(&candidate) {
                return Ok(candidate);
            }
            n += 1;
        }
    }

    // --- payouts ---

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn decide_request_payout(
        &self,
        ctx: &Ctx,
        role: Role,
        id: Option<&str>,
        agent: &str,
        amount: &str,
        asset: Option<&str>,
        reference: &str,
    ) -> DomainResult<Outcome> {
        observers_only_read(role, &ctx.actor, "request payouts")?;
        custodian_or_self(
            role,
            &ctx.actor,
            agent,
            format_args!("request payouts only for themselves, not for {agent}"),
        )?;
        self.agent(agent).about_value("agent", agent)?;
        required_text("reference", reference, "a payout needs a reference")?;
        let (asset, exponent) = self.request_asset("asset", agent, asset)?;
        let amount = positive_amount("amount", amount, exponent)?;
        let committed: i128 = self
            .treasury
            .payouts
            .iter()
            .filter(|p| p.status == TreasuryStatus::Pending && p.agent == agent && p.asset == asset)
            .map(|p| p.amount)
            .sum();
        self.check_funds(agent, &asset, exponent, amount, committed)?;
        let payouts = &self.treasury.payouts;
        let id = self.treasury_id(id, "payout", payouts.len(), |c| {
            payouts.iter().any(|p| p.id == c)
        })?;
        Ok(Outcome::PayoutRequested { id, asset, amount })
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn apply_request_payout(
        &mut self,
        ctx: &Ctx,
        command_id: Option<&str>,
        agent: &str,
        command_asset: Option<&str>,
        reference: &str,
        id: &str,
        asset: &str,
        amount: i128,
    ) -> DomainResult<()> {
        let exponent = self.currency_exponent(asset);
        let fits = amount > 0
            && command_id.is_none_or(|c| c == id)
            && command_asset.is_none_or(|a| a == asset)
            && exponent.is_some()
            && self.agents.contains_key(agent)
            && self.payout(id).is_err();
        if !fits {
            return Err(unfit(ctx, "request_payout"));
        }
        self.treasury.payouts.push(Payout {
            id: id.to_string(),
            agent: agent.to_string(),
            asset: asset.to_string(),
            exponent: exponent.unwrap_or(0),
            amount,
            reference: reference.to_string(),
            requested_by: ctx.actor.clone(),
            seq: ctx.seq,
            date: ctx.date,
            status: TreasuryStatus::Pending,
            reviewed_by: None,
            reason: None,
        });
        Ok(())
    }

    pub(crate) fn decide_approve_payout(
        &self,
        ctx: &Ctx,
        role: Role,
        id: &str,
    ) -> DomainResult<Outcome> {
        let payout = check_review(ctx, role, id, "approve", self.payout(id))?;
        self.check_funds(
            &payout.agent,
            &payout.asset,
            payout.exponent,
            payout.amount,
            0,
        )?;
        Ok(Outcome::Done)
    }

    pub(crate) fn apply_approve_payout(&mut self, ctx: &Ctx, id: &str) -> DomainResult<()> {
        let index = pending_index(ctx, &self.treasury.payouts, id, "approve_payout")?;
        let payout = &self.treasury.payouts[index];
        let postings = transfer(&payout.agent, OUTSIDE, &payout.asset, payout.amount);
        let memo = format!("payout {id} to {}: {}", payout.agent, payout.reference);
        self.post(ctx, "approve_payout", memo, postings.to_vec())?;
        let payout = &mut self.treasury.payouts[index];
        payout.status = TreasuryStatus::Paid;
        payout.reviewed_by = Some(ctx.actor.clone());
        Ok(())
    }

    /// Posts a decided movement: one the ledger refuses (it would overdraw) cannot have been
    /// decided, so the log was forged.
    fn post(
        &mut self,
        ctx: &Ctx,
        op: &str,
        memo: String,
        postings: Vec<Posting>,
    ) -> DomainResult<()> {
        self.ledger
            .post(ctx.seq, memo, postings)
            .map(|_| ())
            .map_err(|_| unfit(ctx, op))
    }

    // --- expenses ---

    pub(crate) fn decide_submit_expense(
        &self,
        ctx: &Ctx,
        role: Role,
        request: &ExpenseRequest,
    ) -> DomainResult<Outcome> {
        observers_only_read(role, &ctx.actor, "submit expenses")?;
        self.check_virtual("account", request.account)?;
        required_text(
            "for",
            request.purpose,
            "an expense needs to say what it is for",
        )?;
        if let Some(payee) = request.payee {
            self.agent(payee).about_value("payee", payee)?;
        }
        if let Some(receipt) = request.receipt {
            check_receipt(receipt)?;
        }
        let (asset, exponent) = self.request_asset("asset", request.account, request.asset)?;
        let amount = positive_amount("amount", request.amount, exponent)?;
        let committed = self.expenses_committed(request.account, &asset);
        self.check_funds(request.account, &asset, exponent, amount, committed)?;
        let expenses = &self.treasury.expenses;
        let id = self.treasury_id(request.id, "expense", expenses.len(), |c| {
            expenses.iter().any(|e| e.id == c)
        })?;
        Ok(Outcome::ExpenseSubmitted {
            id,
            asset,
            amount,
            required: self.expense_approvals(request.account),
        })
    }

    pub(crate) fn apply_submit_expense(
        &mut self,
        ctx: &Ctx,
        request: &ExpenseRequest,
        id: &str,
        asset: &str,
        amount: i128,
        required: u32,
    ) -> DomainResult<()> {
        let exponent = self.currency_exponent(asset);
        let fits = amount > 0
            && required >= 1
            && request.id.is_none_or(|c| c == id)
            && request.asset.is_none_or(|a| a == asset)
            && exponent.is_some()
            && self.expense(id).is_err();
        if !fits {
            return Err(unfit(ctx, "submit_expense"));
        }
        self.treasury.expenses.push(Expense {
            id: id.to_string(),
            account: request.account.to_string(),
            asset: asset.to_string(),
            exponent: exponent.unwrap_or(0),
            amount,
            purpose: request.purpose.to_string(),
            payee: request.payee.map(str::to_string),
            receipt: request.receipt.map(str::to_string),
            submitted_by: ctx.actor.clone(),
            seq: ctx.seq,
            date: ctx.date,
            required,
            approvals: Vec::new(),
            status: TreasuryStatus::Pending,
            rejected_by: None,
            reason: None,
        });
        Ok(())
    }

    pub(crate) fn decide_approve_expense(
        &self,
        ctx: &Ctx,
        role: Role,
        id: &str,
    ) -> DomainResult<Outcome> {
        let expense = check_review(ctx, role, id, "approve", self.expense(id))?;
        if expense.approvals.contains(&ctx.actor) {
            return Err(DomainError::conflict(format!(
                "{} has already approved expense {id}",
                ctx.actor
            )));
        }
        let paid = expense.approvals.len() as u32 + 1 >= expense.required;
        if paid {
            self.check_funds(
                &expense.account,
                &expense.asset,
                expense.exponent,
                expense.amount,
                0,
            )?;
        }
        Ok(Outcome::ExpenseApproved { paid })
    }

    pub(crate) fn apply_approve_expense(
        &mut self,
        ctx: &Ctx,
        id: &str,
        paid: bool,
    ) -> DomainResult<()> {
        let index = pending_index(ctx, &self.treasury.expenses, id, "approve_expense")?;
        let expense = &self.treasury.expenses[index];
        if paid != (expense.approvals.len() as u32 + 1 >= expense.required) {
            return Err(unfit(ctx, "approve_expense"));
        }
        if paid {
            let to = expense.payee.as_deref().unwrap_or(OUTSIDE);
            let postings = transfer(&expense.account, to, &expense.asset, expense.amount);
            let memo = format!("expense {id} from {}: {}", expense.account, expense.purpose);
            self.post(ctx, "approve_expense", memo, postings.to_vec())?;
        }
        let expense = &mut self.treasury.expenses[index];
        expense.approvals.push(ctx.actor.clone());
        if paid {
            expense.status = TreasuryStatus::Paid;
        }
        Ok(())
    }

    // --- transfers ---

    pub(crate) fn decide_transfer_money(
        &self,
        role: Role,
        from: &str,
        to: &str,
        amount: &str,
        asset: Option<&str>,
        reason: &str,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "transfer money between accounts")?;
        self.check_virtual("from", from)?;
        self.check_virtual("to", to)?;
        if from == to {
            return Err(DomainError::invalid(format!(
                "a transfer needs two different accounts, not {from} twice"
            ))
            .field("to")
            .value(to));
        }
        required_text("reason", reason, "a transfer needs a reason")?;
        let (asset, exponent) = self.request_asset("asset", from, asset)?;
        let amount = positive_amount("amount", amount, exponent)?;
        self.check_funds(
            from,
            &asset,
            exponent,
            amount,
            self.expenses_committed(from, &asset),
        )?;
        Ok(Outcome::MoneyTransferred { asset, amount })
    }

    /// What the pending expenses of `account` in `asset` will take.
    fn expenses_committed(&self, account: &str, asset: &str) -> i128 {
        self.treasury
            .expenses
            .iter()
            .filter(|e| {
                e.status == TreasuryStatus::Pending && e.account == account && e.asset == asset
            })
            .map(|e| e.amount)
            .sum()
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn apply_transfer_money(
        &mut self,
        ctx: &Ctx,
        from: &str,
        to: &str,
        command_asset: Option<&str>,
        reason: &str,
        asset: &str,
        amount: i128,
    ) -> DomainResult<()> {
        if amount <= 0 || command_asset.is_some_and(|a| a != asset) || from == to {
            return Err(unfit(ctx, "transfer_money"));
        }
        let postings = transfer(from, to, asset, amount);
        let memo = format!("transfer from {from} to {to}: {reason}");
        self.post(ctx, "transfer_money", memo, postings.to_vec())
    }

    // --- exchange ---

    pub(crate) fn decide_exchange(
        &self,
        role: Role,
        request: &ExchangeRequest,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "exchange currencies")?;
        let account = request.account;
        check_name(Field::new("account", "account"), account)?;
        if account == OUTSIDE || account == EXCHANGE {
            return Err(
                DomainError::invalid(format!("{account} cannot exchange with itself"))
                    .field("account")
                    .value(account),
            );
        }
        if let Some(what) = self.locked_account(account) {
            return Err(DomainError::invalid(format!(
                "{account} is {what}: its money belongs to its pledgers or holders"
            ))
            .field("account")
            .value(account));
        }
        let exponent_of = |field, asset| self.request_asset(field, account, Some(asset));
        let (_, from_exponent) = exponent_of("from_asset", request.from_asset)?;
        let (_, to_exponent) = exponent_of("to_asset", request.to_asset)?;
        if request.from_asset == request.to_asset {
            return Err(DomainError::invalid(format!(
                "an exchange needs two different assets, not {} twice",
                request.to_asset
            ))
            .field("to_asset")
            .value(request.to_asset));
        }
        let rate = decimal(Field::named("rate"), request.rate)?;
        if rate <= Decimal::ZERO {
            return Err(
                DomainError::invalid(format!("rate {rate} must be greater than zero"))
                    .field("rate")
                    .value(request.rate),
            );
        }
        let amount = positive_amount("amount", request.amount, from_exponent)?;
        let committed = self.expenses_committed(account, request.from_asset);
        self.check_funds(
            account,
            request.from_asset,
            from_exponent,
            amount,
            committed,
        )?;
        let converted = convert_floor(amount, from_exponent, to_exponent, rate)
            .filter(|c| *c <= crate::money::AMOUNT_MINOR_MAX)
            .ok_or_else(|| {
                DomainError::invalid("the converted amount is too large")
                    .field("rate")
                    .value(request.rate)
            })?;
        if converted <= 0 {
            return Err(DomainError::invalid(format!(
                "{} {} at rate {rate} is less than the smallest unit of {}",
                request.amount, request.from_asset, request.to_asset
            ))
            .field("amount")
            .value(request.amount));
        }
        Ok(Outcome::Exchanged { amount, converted })
    }

    pub(crate) fn apply_exchange(
        &mut self,
        ctx: &Ctx,
        request: &ExchangeRequest,
        reference: Option<&str>,
        amount: i128,
        converted: i128,
    ) -> DomainResult<()> {
        // The conversion is cheap to check again: a forged rate or rounding is refused.
        let expected = match (
            self.currency_exponent(request.from_asset),
            self.currency_exponent(request.to_asset),
            request.rate.parse::<Decimal>(),
        ) {
            (Some(from), Some(to), Ok(rate)) => convert_floor(amount, from, to, rate),
            _ => None,
        };
        if amount <= 0 || expected != Some(converted) || request.from_asset == request.to_asset {
            return Err(unfit(ctx, "exchange"));
        }
        let mut postings = transfer(request.account, EXCHANGE, request.from_asset, amount).to_vec();
        postings.extend(transfer(
            EXCHANGE,
            request.account,
            request.to_asset,
            converted,
        ));
        let memo = format!(
            "exchange of {} {} to {} at {}{}",
            request.amount,
            request.from_asset,
            request.to_asset,
            request.rate,
            reference.map(|r| format!(": {r}")).unwrap_or_default()
        );
        self.post(ctx, "exchange", memo, postings)
    }
}

#[cfg(test)]
mod tests;
