//! Corrections: a contribution logged wrong is adjusted or reversed by a new event, never
//! edited.
//!
//! Commands: `Adjust`, `Reverse`, `ApproveCorrection`, `RejectCorrection`. A correction is
//! asked for by the contributor or a custodian, on a pending or approved contribution, and
//! needs the approvals a contribution of its project needs (never from the one who asked,
//! nor from the contributor). Once it counts, the contribution carries the corrected measure
//! and value (or is `reversed`), and the project's aggregates and claims move by exactly the
//! difference. Past distributions stay as they were: [`State::correct_past`] lets a reader
//! re-run one with the corrections that came after it (the corrections report).

use num_bigint::BigInt;
use rust_decimal::Decimal;
use std::sync::Arc;

use crate::command::{Command, Outcome};
use crate::date::Date;
use crate::engine::unfit;
use crate::error::{About, DomainError, DomainResult, Field};
use crate::model::{Contribution, Kind, Role, Status, check_text};
use crate::money::positive_amount;
use crate::roles::{affiliate_acts_for_self, forbid_observer, observers_only_read};
use crate::state::{Ctx, State};
use crate::value::{Value, decimal, positive_decimal};

/// What a correction changes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Change {
    /// A new measure: hours (work, use), the amount as written and in minor units (cash,
    /// material), or the value (cite).
    Adjust {
        #[serde(with = "crate::snapshot::decimal")]
        quantity: Decimal,
        amount_minor: Option<i128>,
    },
    /// The contribution counts no more.
    Reverse,
}

/// A requested correction of a contribution.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Correction {
    pub id: u64,
    pub contribution: u64,
    pub project: Arc<str>,
    /// Who asked for it.
    pub by: String,
    pub change: Change,
    pub reason: String,
    /// `pending`, `approved` (it counts) or `rejected`.
    pub status: Status,
    pub approvals: Vec<String>,
    /// Sequence number and day of the request.
    pub seq: u64,
    pub date: Date,
    /// Sequence number of the event from which it counts.
    pub counted_seq: Option<u64>,
    /// The contribution's value just before and just after it counted.
    pub value_before: Option<Value>,
    pub value_after: Option<Value>,
    /// Why it was rejected.
    pub rejection: Option<String>,
}

impl Correction {
    pub fn is_reverse(&self) -> bool {
        self.change == Change::Reverse
    }

    /// `adjust` or `reverse`.
    pub fn verb(&self) -> &'static str {
        if self.is_reverse() {
            "reverse"
        } else {
            "adjust"
        }
    }
}

const ID: &str = "id";
const HOURS: Field = Field::named("hours");
const AMOUNT: Field = Field::named("amount");
const VALUE: Field = Field::named("value");

impl State {
    /// Dispatches a correction command to its `decide_x`.
    pub(crate) fn decide_correction(
        &self,
        ctx: &Ctx,
        role: Role,
        command: &Command,
    ) -> DomainResult<Outcome> {
        match command {
            Command::Adjust {
                id,
                hours,
                amount,
                value,
                reason,
            } => {
                let contribution = self.check_request(ctx, role, *id, reason)?;
                let change = self.measure_change(
                    contribution,
                    hours.as_deref(),
                    amount.as_deref(),
                    value.as_deref(),
                )?;
                self.decide_request(contribution, &change)
            }
            Command::Reverse { id, reason } => {
                let contribution = self.check_request(ctx, role, *id, reason)?;
                self.decide_request(contribution, &Change::Reverse)
            }
            Command::ApproveCorrection { id } => self.decide_approve_correction(ctx, role, *id),
            Command::RejectCorrection { id, reason } => {
                self.check_correction_review(ctx, role, *id, "reject")?;
                check_reason(reason, "a rejection needs a reason")?;
                Ok(Outcome::Done)
            }
            _ => Err(DomainError::corrupt(format!(
                "{} is not a correction command",
                command.op()
            ))),
        }
    }

    /// Dispatches a correction command and its outcome to its `apply_x`.
    pub(crate) fn apply_correction(
        &mut self,
        ctx: &Ctx,
        command: &Command,
        outcome: &Outcome,
    ) -> DomainResult<()> {
        match (command, outcome) {
            (
                Command::Adjust {
                    id,
                    hours,
                    amount,
                    value,
                    reason,
                },
                Outcome::Corrected {
                    id: correction,
                    counted,
                    value: after,
                },
            ) => {
                let contribution = self.contribution(*id).map_err(|_| unfit(ctx, "adjust"))?;
                let change = self
                    .measure_change(
                        contribution,
                        hours.as_deref(),
                        amount.as_deref(),
                        value.as_deref(),
                    )
                    .map_err(|_| unfit(ctx, "adjust"))?;
                self.apply_request(ctx, *id, change, reason, *correction, *counted, *after)
            }
            (
                Command::Reverse { id, reason },
                Outcome::Corrected {
                    id: correction,
                    counted,
                    value: after,
                },
            ) => self.apply_request(
                ctx,
                *id,
                Change::Reverse,
                reason,
                *correction,
                *counted,
                *after,
            ),
            (
                Command::ApproveCorrection { id },
                Outcome::Corrected {
                    id: outcome_id,
                    counted,
                    value,
                },
            ) if id == outcome_id => self.apply_approve_correction(ctx, *id, *counted, *value),
            (Command::RejectCorrection { id, reason }, Outcome::Done) => {
                let correction = self
                    .corrections
                    .get_mut((*id as usize).wrapping_sub(1))
                    .filter(|c| c.status == Status::Pending)
                    .ok_or_else(|| unfit(ctx, "reject_correction"))?;
                correction.status = Status::Rejected;
                correction.rejection = Some(reason.clone());
                Ok(())
            }
            _ => Err(unfit(ctx, command.op())),
        }
    }

    // --- Adjust, Reverse ---

    /// Who may ask for a correction of contribution `id` and when: the contributor or a
    /// custodian, with a reason, on a pending or approved contribution that has no other
    /// correction waiting.
    fn check_request(
        &self,
        ctx: &Ctx,
        role: Role,
        id: u64,
        reason: &str,
    ) -> DomainResult<&Contribution> {
        observers_only_read(role, &ctx.actor, "correct contributions")?;
        let contribution = self.contribution(id).about_value(ID, id)?;
        affiliate_acts_for_self(
            role,
            &ctx.actor,
            &contribution.agent,
            format_args!(
                "correct only their own contributions, not {}'s",
                contribution.agent
            ),
        )?;
        self.check_correctable(contribution)?;
        if let Some(waiting) = self
            .corrections
            .iter()
            .rev()
            .find(|c| c.contribution == id && c.status == Status::Pending)
        {
            return Err(DomainError::conflict(format!(
                "contribution {id} already has correction {} waiting for approval: approve or reject it first",
                waiting.id
            ))
            .field(ID)
            .value(id.to_string()));
        }
        check_reason(reason, "a correction needs a reason")?;
        Ok(contribution)
    }

    /// A contribution can be corrected while it is pending or approved, unless it is a
    /// bounty award (corrected through its bounty), a leaver's, or counted in a project whose
    /// contributions mint a token (a correction cannot take tokens back).
    fn check_correctable(&self, contribution: &Contribution) -> DomainResult<()> {
        let id = contribution.id;
        let refuse = |message: String| {
            Err(DomainError::conflict(message)
                .field(ID)
                .value(id.to_string()))
        };
        if !matches!(contribution.status, Status::Pending | Status::Approved) {
            return refuse(format!(
                "contribution {id} is {}: only pending or approved contributions can be corrected",
                contribution.status.as_str()
            ));
        }
        if contribution.kind == Kind::Bounty {
            return refuse(format!(
                "contribution {id} is a bounty award: it is not corrected by adjust or reverse"
            ));
        }
        // A leave fixed what the leaver's contributions count for.
        if self
            .check_not_left(&contribution.project, &contribution.agent)
            .is_err()
        {
            return refuse(format!(
                "contribution {id} is {}'s, who left project {}: the leave fixed what it counts for",
                contribution.agent, contribution.project
            ));
        }
        if contribution.status == Status::Approved
            && !contribution.gift
            && let Some(token) = self.tokens.of_project(&contribution.project)
        {
            return refuse(format!(
                "contribution {id} counts in project {}, whose contributions mint {}: a correction cannot change tokens",
                contribution.project, token.symbol
            ));
        }
        Ok(())
    }

    /// Reads the new measure of an adjust: the field the contribution's kind is measured by,
    /// and only that one.
    fn measure_change(
        &self,
        contribution: &Contribution,
        hours: Option<&str>,
        amount: Option<&str>,
        value: Option<&str>,
    ) -> DomainResult<Change> {
        let kind = contribution.kind;
        let (field, text, others) = match kind {
            Kind::Work | Kind::Use => (HOURS, hours, [(AMOUNT, amount), (VALUE, value)]),
            Kind::Cash | Kind::Material => (AMOUNT, amount, [(HOURS, hours), (VALUE, value)]),
            Kind::Cite | Kind::Bounty => (VALUE, value, [(HOURS, hours), (AMOUNT, amount)]),
        };
        if let Some((other, _)) = others.iter().find(|(_, text)| text.is_some()) {
            return Err(DomainError::invalid(format!(
                "a {kind} contribution is adjusted by its {}, not its {}",
                field.name, other.name
            ))
            .field(other.name));
        }
        let text = text.ok_or_else(|| {
            DomainError::invalid(format!(
                "an adjust of a {kind} contribution needs the new {}",
                field.name
            ))
            .field(field.name)
        })?;
        match kind {
            Kind::Cash | Kind::Material => {
                let exponent = self.project(&contribution.project)?.exponent;
                Ok(Change::Adjust {
                    amount_minor: Some(positive_amount(AMOUNT.name, text, exponent)?),
                    quantity: decimal(AMOUNT, text)?,
                })
            }
            _ => Ok(Change::Adjust {
                quantity: positive_decimal(field, text)?,
                amount_minor: None,
            }),
        }
    }

    fn decide_request(
        &self,
        contribution: &Contribution,
        change: &Change,
    ) -> DomainResult<Outcome> {
        let project = self.project(&contribution.project)?;
        let counted = project.approvals_required == 0;
        Ok(Outcome::Corrected {
            id: self.corrections.len() as u64 + 1,
            counted,
            value: if counted {
                Some(self.corrected_value(contribution, change)?)
            } else {
                None
            },
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn apply_request(
        &mut self,
        ctx: &Ctx,
        contribution: u64,
        change: Change,
        reason: &str,
        id: u64,
        counted: bool,
        value: Option<Value>,
    ) -> DomainResult<()> {
        if id != self.corrections.len() as u64 + 1 || counted != value.is_some() {
            return Err(unfit(ctx, "correction"));
        }
        let project = self
            .contribution(contribution)
            .map_err(|_| unfit(ctx, "correction"))?
            .project
            .clone();
        self.corrections.push(Correction {
            id,
            contribution,
            project,
            by: ctx.actor.clone(),
            change,
            reason: reason.to_string(),
            status: Status::Pending,
            approvals: Vec::new(),
            seq: ctx.seq,
            date: ctx.date,
            counted_seq: None,
            value_before: None,
            value_after: None,
            rejection: None,
        });
        match value {
            Some(value) => self.count_correction(ctx, id, value),
            None => Ok(()),
        }
    }

    // --- ApproveCorrection ---

    fn decide_approve_correction(&self, ctx: &Ctx, role: Role, id: u64) -> DomainResult<Outcome> {
        let correction = self.check_correction_review(ctx, role, id, "approve")?;
        if correction.approvals.contains(&ctx.actor) {
            return Err(DomainError::conflict(format!(
                "{} has already approved correction {id}",
                ctx.actor
            ))
            .field(ID)
            .value(id.to_string()));
        }
        let contribution = self.contribution(correction.contribution)?;
        let project = self.project(&contribution.project)?;
        let counted = correction.approvals.len() as u32 + 1 >= project.approvals_required;
        let value = if counted {
            self.check_correctable(contribution)?;
            Some(self.corrected_value(contribution, &correction.change)?)
        } else {
            None
        };
        Ok(Outcome::Corrected { id, counted, value })
    }

    fn apply_approve_correction(
        &mut self,
        ctx: &Ctx,
        id: u64,
        counted: bool,
        value: Option<Value>,
    ) -> DomainResult<()> {
        if counted != value.is_some() {
            return Err(unfit(ctx, "approve_correction"));
        }
        let correction = self
            .corrections
            .get_mut((id as usize).wrapping_sub(1))
            .filter(|c| c.status == Status::Pending)
            .ok_or_else(|| unfit(ctx, "approve_correction"))?;
        correction.approvals.push(ctx.actor.clone());
        match value {
            Some(value) => self.count_correction(ctx, id, value),
            None => Ok(()),
        }
    }

    /// Who may review correction `id`: not an observer, not the one who asked for it, not
    /// the contributor, and only while it is pending.
    fn check_correction_review(
        &self,
        ctx: &Ctx,
        role: Role,
        id: u64,
        verb: &str,
    ) -> DomainResult<&Correction> {
        forbid_observer(role, &ctx.actor, format_args!("{verb} corrections"))?;
        let correction = self.correction(id).about_value(ID, id)?;
        let contribution = self.contribution(correction.contribution)?;
        if correction.by == ctx.actor || *contribution.agent == *ctx.actor {
            return Err(DomainError::forbidden(format!(
                "{} may not {verb} correction {id} of their own {}: nobody reviews their own correction",
                ctx.actor,
                if correction.by == ctx.actor {
                    "request"
                } else {
                    "contribution"
                }
            )));
        }
        if correction.status != Status::Pending {
            return Err(DomainError::conflict(format!(
                "correction {id} is already {}",
                correction.status.as_str()
            ))
            .field(ID)
            .value(id.to_string()));
        }
        Ok(correction)
    }

    // --- valuing and counting ---

    /// The contribution's value once `change` counts: zero for a reverse; for an adjust, its
    /// value scaled by new quantity / old quantity (every valuation is linear in its quantity,
    /// so the policy it was valued by is kept), rounded down to 10^-18. Refuses a correction
    /// that would leave its claim paid past what it owes.
    fn corrected_value(&self, contribution: &Contribution, change: &Change) -> DomainResult<Value> {
        let owed = match change {
            Change::Reverse => 0,
            Change::Adjust { amount_minor, .. } => amount_minor.unwrap_or_default(),
        };
        if contribution.counts() && contribution.reimbursable {
            let project = self.project(&contribution.project)?;
            let paid = project
                .claim_index
                .get(&contribution.id)
                .map_or(0, |&index| project.claims[index].paid);
            if owed < paid {
                let field = if *change == Change::Reverse {
                    ID
                } else {
                    AMOUNT.name
                };
                return Err(DomainError::conflict(format!(
                    "contribution {} has already been reimbursed {}: its claim cannot owe less",
                    contribution.id,
                    crate::money::format_amount(paid, project.exponent)
                ))
                .field(field));
            }
        }
        match change {
            Change::Reverse => Ok(Value::ZERO),
            Change::Adjust { quantity, .. } => {
                rescale(contribution.value, contribution.quantity, *quantity)
            }
        }
    }

    /// Makes correction `id` count: the contribution takes its measure and value (or is
    /// reversed), and the aggregates and the claim move by the difference.
    fn count_correction(&mut self, ctx: &Ctx, id: u64, value: Value) -> DomainResult<()> {
        let index = id as usize - 1;
        let change = self.corrections[index].change.clone();
        let contribution = self.corrections[index].contribution;
        let before = self.correct_contribution(contribution, &change, value)?;
        let correction = &mut self.corrections[index];
        correction.status = Status::Approved;
        correction.counted_seq = Some(ctx.seq);
        correction.value_before = Some(before);
        correction.value_after = Some(value);
        Ok(())
    }

    /// Gives contribution `id` the measure and value of `change`, moving the aggregates and
    /// its claim by the difference. Returns the value it had.
    fn correct_contribution(
        &mut self,
        id: u64,
        change: &Change,
        value: Value,
    ) -> DomainResult<Value> {
        let index = (id as usize)
            .checked_sub(1)
            .filter(|&i| i < self.contributions.len())
            .ok_or_else(|| DomainError::corrupt(format!("unknown contribution {id}")))?;
        let old = self.contributions[index].clone();
        if old.counts() {
            self.uncount_value(&old)?;
        }
        let contribution = &mut self.contributions[index];
        match change {
            // A reversed contribution keeps the value it was logged with, for the record; it
            // counts for nothing.
            Change::Reverse => contribution.status = Status::Reversed,
            Change::Adjust {
                quantity,
                amount_minor,
            } => {
                contribution.quantity = *quantity;
                contribution.amount_minor = *amount_minor;
                contribution.value = value;
            }
        }
        let new = contribution.clone();
        if new.counts() {
            self.add_value(&new)?;
        }
        if old.status == Status::Pending && new.status != Status::Pending {
            self.settle_pending(&new.project, id);
        }
        if old.counts() && old.reimbursable {
            let owed = if new.counts() {
                new.amount_minor.unwrap_or_default()
            } else {
                0
            };
            let project = self.project_mut(&old.project)?;
            if let Some(&claim) = project.claim_index.get(&id) {
                let claim = &mut project.claims[claim];
                // A reader's past state may have paid more than the correction owes.
                claim.owed = owed.max(claim.paid);
            }
        }
        Ok(old.value)
    }

    /// For the corrections report: gives this state (the book as it stood just before a past
    /// event `seq`) the corrections of `now` that counted after it, on the contributions of
    /// `project` that counted then. Returns how many it applied.
    pub fn correct_past(&mut self, now: &State, project: &str, seq: u64) -> DomainResult<usize> {
        let mut applied = 0;
        for correction in &now.corrections {
            if &*correction.project != project
                || correction.counted_seq.is_none_or(|counted| counted <= seq)
            {
                continue;
            }
            let Ok(contribution) = self.contribution(correction.contribution) else {
                continue;
            };
            if !contribution.counts() {
                continue;
            }
            let value = correction.value_after.unwrap_or_default();
            self.correct_contribution(correction.contribution, &correction.change, value)?;
            applied += 1;
        }
        Ok(applied)
    }

    pub fn correction(&self, id: u64) -> DomainResult<&Correction> {
        id.checked_sub(1)
            .and_then(|index| self.corrections.get(index as usize))
            .ok_or_else(|| DomainError::not_found(format!("unknown correction {id}")))
    }

    /// Every correction, in request order.
    pub fn corrections(&self) -> &[Correction] {
        &self.corrections
    }
}

/// A reason must be given (`missing` says so) and fit [`check_text`].
pub(crate) fn check_reason(reason: &str, missing: &str) -> DomainResult<()> {
    if reason.trim().is_empty() {
        return Err(DomainError::invalid(missing).field("reason"));
    }
    check_text(Field::named("reason"), reason)
}

/// `value * new / old`, rounded down to 10^-18.
fn rescale(value: Value, old: Decimal, new: Decimal) -> DomainResult<Value> {
    let numerator =
        BigInt::from(value.0) * BigInt::from(new.mantissa()) * BigInt::from(10).pow(old.scale());
    let denominator = BigInt::from(old.mantissa()) * BigInt::from(10).pow(new.scale());
    if denominator.sign() != num_bigint::Sign::Plus {
        return Err(DomainError::corrupt("a contribution without a quantity"));
    }
    // Values and quantities are positive: truncation is rounding down.
    i128::try_from(numerator / denominator)
        .map(Value)
        .map_err(|_| DomainError::invalid("the corrected value is too large").field("value"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Bucket, OPERATOR, Plan};

    use crate::test_book::Book;

    /// A refusal's message and field.
    fn refusal(book: &mut Book, actor: &str, command: Command) -> (String, Option<&'static str>) {
        let error = book.refused(actor, command);
        (error.to_string(), error.field_name())
    }

    fn value(book: &Book, id: u64) -> String {
        book.state.contribution(id).unwrap().value.display(2)
    }

    fn work(agent: &str, category: &str, hours: &str) -> Command {
        Command::log_work("lab", agent, category, hours)
    }

    fn adjust(id: u64, hours: &str) -> Command {
        Command::Adjust {
            id,
            hours: Some(hours.into()),
            amount: None,
            value: None,
            reason: "the timesheet had 9 h, not 6".into(),
        }
    }

    fn reverse(id: u64) -> Command {
        Command::Reverse {
            id,
            reason: "logged twice".into(),
        }
    }

    fn revenue(amount: &str) -> Command {
        Command::revenue("lab", amount)
    }

    #[test]
    fn an_adjust_counts_at_once_without_approvals_and_later_splits_use_it() {
        let mut book = Book::lab(0);
        book.op(revenue("2500.00"));
        assert_eq!(
            (
                book.minor_units("cleo", "CAD"),
                book.minor_units("dev", "CAD")
            ),
            (153_333, 76_667)
        );
        let outcome = book.ok("dev", adjust(2, "9"));
        assert_eq!(
            outcome,
            Outcome::Corrected {
                id: 1,
                counted: true,
                value: Some(Value::parse("450").unwrap()),
            }
        );
        assert_eq!(value(&book, 2), "450.00");
        let contribution = book.state.contribution(2).unwrap();
        assert_eq!(contribution.quantity, Decimal::from(9));
        assert_eq!(contribution.status, Status::Approved);
        let correction = book.state.correction(1).unwrap();
        assert_eq!(correction.value_before, Some(Value::parse("300").unwrap()));
        assert_eq!(correction.counted_seq, Some(book.state.head()));
        // The past distribution stays; the next one splits 644.00 by 600:450.
        assert_eq!(book.state.distribution(1).unwrap().payouts()["dev"], 76_667);
        book.op(revenue("700.00"));
        assert_eq!(
            book.state.distribution(2).unwrap().payouts()["cleo"],
            36_800
        );
        assert_eq!(book.state.distribution(2).unwrap().payouts()["dev"], 27_600);
        assert_eq!(
            (
                book.minor_units("cleo", "CAD"),
                book.minor_units("dev", "CAD")
            ),
            (190_133, 104_267)
        );
    }

    #[test]
    fn a_past_state_re_runs_its_distribution_with_the_later_corrections() {
        let mut book = Book::lab(0);
        let before_d1 = book.state.clone();
        book.op(revenue("2500.00"));
        let d1 = book.state.distribution(1).unwrap().clone();
        book.ok("dev", adjust(2, "9"));
        let mut past = before_d1.clone();
        assert_eq!(past.correct_past(&book.state, "lab", d1.seq).unwrap(), 1);
        let ctx = Ctx::new(d1.seq, OPERATOR, d1.date);
        let Outcome::Distributed { lines, .. } = past.decide(&ctx, &revenue("2500.00")).unwrap()
        else {
            panic!("not a distribution");
        };
        let amounts: Vec<(&str, i128)> = lines.iter().map(|l| (l.to.as_str(), l.amount)).collect();
        assert_eq!(
            amounts,
            [("maintenance", 20_000), ("cleo", 131_429), ("dev", 98_571)]
        );
        // A correction that counted before the distribution is already in it.
        let mut after = book.state.clone();
        assert_eq!(
            after
                .correct_past(&book.state, "lab", book.state.head())
                .unwrap(),
            0
        );
    }

    #[test]
    fn with_approvals_a_correction_waits_for_someone_other_than_who_asked() {
        let mut book = Book::lab(1);
        assert_eq!(
            book.ok("dev", adjust(2, "9")),
            Outcome::Corrected {
                id: 1,
                counted: false,
                value: None,
            }
        );
        assert_eq!(value(&book, 2), "300.00");
        let (message, _) = refusal(&mut book, "dev", Command::ApproveCorrection { id: 1 });
        assert!(
            message.contains("nobody reviews their own correction"),
            "{message}"
        );
        let (message, _) = refusal(&mut book, "olga", Command::ApproveCorrection { id: 1 });
        assert!(message.contains("observer"), "{message}");
        let (message, field) = refusal(&mut book, "ana", adjust(2, "10"));
        assert_eq!(field, Some("id"));
        assert!(
            message.contains("already has correction 1 waiting"),
            "{message}"
        );
        assert_eq!(
            book.ok("cleo", Command::ApproveCorrection { id: 1 }),
            Outcome::Corrected {
                id: 1,
                counted: true,
                value: Some(Value::parse("450").unwrap()),
            }
        );
        assert_eq!(value(&book, 2), "450.00");
        let (message, field) = refusal(&mut book, "ana", Command::ApproveCorrection { id: 1 });
        assert_eq!(
            (message.as_str(), field),
            ("correction 1 is already approved", Some("id"))
        );
        // A custodian's request on another's contribution: the contributor may not approve.
        book.ok("ana", adjust(1, "10"));
        let (message, _) = refusal(&mut book, "cleo", Command::ApproveCorrection { id: 2 });
        assert!(message.contains("their own contribution"), "{message}");
        book.ok(
            "ben",
            Command::RejectCorrection {
                id: 2,
                reason: "20 h is right".into(),
            },
        );
        assert_eq!(book.state.correction(2).unwrap().status, Status::Rejected);
        assert_eq!(value(&book, 1), "600.00");
    }

    #[test]
    fn a_reverse_counts_no_more_and_cannot_be_repeated() {
        let mut book = Book::lab(0);
        book.ok("ana", reverse(2));
        assert_eq!(book.state.contribution(2).unwrap().status, Status::Reversed);
        let (message, field) = refusal(&mut book, "ana", reverse(2));
        assert_eq!(field, Some("id"));
        assert_eq!(
            message,
            "contribution 2 is reversed: only pending or approved contributions can be corrected"
        );
        book.op(revenue("100.00"));
        assert_eq!(book.minor_units("cleo", "CAD"), 9_200);
        assert_eq!(book.minor_units("dev", "CAD"), 0);
    }

    #[test]
    fn refusals_name_the_field_and_change_nothing() {
        let mut book = Book::lab(1);
        book.op(work("dev", "design", "3"));
        book.ok(
            "ana",
            Command::Reject {
                id: 3,
                reason: "duplicate".into(),
            },
        );
        let (message, field) = refusal(&mut book, "ana", adjust(3, "2"));
        assert_eq!(field, Some("id"));
        assert!(
            message.starts_with("contribution 3 is rejected"),
            "{message}"
        );
        let (message, _) = refusal(&mut book, "cleo", adjust(2, "2"));
        assert!(
            message.contains("correct only their own contributions, not dev's"),
            "{message}"
        );
        let (_, field) = refusal(&mut book, "olga", reverse(2));
        assert_eq!(field, None);
        let (_, field) = refusal(&mut book, "dev", adjust(9, "2"));
        assert_eq!(field, Some("id"));
        let (message, field) = refusal(
            &mut book,
            "dev",
            Command::Adjust {
                id: 2,
                hours: None,
                amount: Some("10.00".into()),
                value: None,
                reason: "r".into(),
            },
        );
        assert_eq!(field, Some("amount"));
        assert_eq!(
            message,
            "a work contribution is adjusted by its hours, not its amount"
        );
        let (_, field) = refusal(&mut book, "dev", adjust(2, "-1"));
        assert_eq!(field, Some("hours"));
        let (message, field) = refusal(
            &mut book,
            "dev",
            Command::Reverse {
                id: 2,
                reason: " ".into(),
            },
        );
        assert_eq!(
            (message.as_str(), field),
            ("a correction needs a reason", Some("reason"))
        );
    }

    #[test]
    fn a_claim_is_corrected_but_never_below_what_was_paid() {
        let mut book = Book::lab(0);
        book.op(Command::SetPlan {
            project: "lab".into(),
            plan: Plan {
                buckets: vec![Bucket::Reimburse {
                    kinds: vec![Kind::Cash, Kind::Material],
                }],
            },
        });
        book.op(Command::Log {
            project: "lab".into(),
            agent: "cleo".into(),
            kind: Kind::Material,
            category: None,
            hours: None,
            amount: Some("300.00".into()),
            rate: None,
            value: None,
            date: None,
            note: None,
            gift: false,
            reimbursable: true,
        });
        book.op(revenue("100.00"));
        let cash = |amount: &str| Command::Adjust {
            id: 3,
            hours: None,
            amount: Some(amount.into()),
            value: None,
            reason: "the receipt".into(),
        };
        let (message, field) = refusal(&mut book, "cleo", cash("99.99"));
        assert_eq!(field, Some("amount"));
        assert!(
            message.contains("already been reimbursed 100.00"),
            "{message}"
        );
        let (_, field) = refusal(&mut book, "cleo", reverse(3));
        assert_eq!(field, Some("id"));
        book.ok("cleo", cash("150.00"));
        assert_eq!(value(&book, 3), "150.00");
        book.op(revenue("80.00"));
        // 50.00 still owed, the rest unallocated.
        assert_eq!(book.minor_units("cleo", "CAD"), 15_000);
        assert_eq!(book.minor_units("lab-unallocated", "CAD"), 3_000);
    }

    #[test]
    fn a_leaver_token_minting_or_bounty_contribution_is_not_corrected() {
        let mut book = Book::lab(0);
        book.op(Command::SetLeaverPolicy {
            project: "lab".into(),
            enabled: true,
        });
        book.op(Command::Leave {
            project: "lab".into(),
            agent: "dev".into(),
            good: false,
        });
        let (message, field) = refusal(&mut book, "ana", adjust(2, "9"));
        assert_eq!(field, Some("id"));
        assert_eq!(
            message,
            "contribution 2 is dev's, who left project lab: the leave fixed what it counts for"
        );
        book.op(Command::create_token(
            "lab",
            "LAB",
            2,
            crate::tokens::Redemption::Nav,
        ));
        let (message, _) = refusal(&mut book, "ana", reverse(1));
        assert_eq!(
            message,
            "contribution 1 counts in project lab, whose contributions mint LAB: a correction cannot change tokens"
        );
    }

    #[test]
    fn a_forged_outcome_is_corrupt() {
        let mut book = Book::lab(0);
        let ctx = book.ctx("dev");
        for forged in [
            Outcome::Corrected {
                id: 2,
                counted: true,
                value: Some(Value::parse("450").unwrap()),
            },
            Outcome::Corrected {
                id: 1,
                counted: true,
                value: None,
            },
            Outcome::Done,
        ] {
            let error = book
                .state
                .apply(&ctx, &adjust(2, "9"), &forged)
                .unwrap_err();
            assert_eq!(error.kind(), crate::error::ErrorKind::Corrupt, "{forged:?}");
        }
    }
}
