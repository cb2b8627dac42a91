//! Contributions: logging them, reviewing them, and counting them in a project's aggregates.
//!
//! Commands: `Log`, `Approve`, `Reject`. A contribution counts once it has the approvals its
//! project requires (none by default); counting adds its value to the project's aggregates,
//! its claim (cash and material marked reimbursable) to the project's claims, and mints the
//! project's token when there is one.

use rust_decimal::Decimal;
use std::sync::Arc;

use crate::command::{Command, Outcome};
use crate::date::Date;
use crate::engine::unfit;
use crate::error::{About, DomainError, DomainResult, Field};
use crate::limits::{check_contribution, size_field};
use crate::model::{Contribution, Details, Kind, Role, Status, check_optional_text, check_text};
use crate::money::positive_amount;
use crate::roles::{affiliate_acts_for_self, forbid_observer, observers_only_read};
use crate::state::{Claim, Counted, Ctx, Project, State};
use crate::tokens::TokenMint;
use crate::value::{Value, decimal, positive_decimal, rate};

/// The fields of a `Log` command, lent by the dispatcher.
pub(crate) struct LogRequest<'a> {
    pub project: &'a str,
    pub agent: &'a str,
    pub kind: Kind,
    pub category: Option<&'a str>,
    pub hours: Option<&'a str>,
    pub amount: Option<&'a str>,
    pub rate: Option<&'a str>,
    /// The value of a citation.
    pub value: Option<&'a str>,
    pub date: Option<Date>,
    pub note: Option<&'a str>,
    pub gift: bool,
    pub reimbursable: bool,
}

impl<'a> LogRequest<'a> {
    /// The fields of `command`, if it is a `Log`.
    #[inline]
    pub(crate) fn of(command: &'a Command) -> Option<LogRequest<'a>> {
        let Command::Log {
            project,
            agent,
            kind,
            category,
            hours,
            amount,
            rate,
            value,
            date,
            note,
            gift,
            reimbursable,
        } = command
        else {
            return None;
        };
        Some(LogRequest {
            project,
            agent,
            kind: *kind,
            category: category.as_deref(),
            hours: hours.as_deref(),
            amount: amount.as_deref(),
            rate: rate.as_deref(),
            value: value.as_deref(),
            date: *date,
            note: note.as_deref(),
            gift: *gift,
            reimbursable: *reimbursable,
        })
    }
}

/// The fields of a `Cite` command, lent by the dispatcher.
pub(crate) struct CiteRequest<'a> {
    pub project: &'a str,
    pub agent: &'a str,
    pub of: u64,
    pub percent: &'a str,
    pub date: Option<Date>,
    pub note: Option<&'a str>,
}

impl<'a> CiteRequest<'a> {
    /// The fields of `command`, if it is a `Cite`.
    #[inline]
    pub(crate) fn of(command: &'a Command) -> Option<CiteRequest<'a>> {
        let Command::Cite {
            project,
            agent,
            of,
            percent,
            date,
            note,
        } = command
        else {
            return None;
        };
        Some(CiteRequest {
            project,
            agent,
            of: *of,
            percent,
            date: *date,
            note: note.as_deref(),
        })
    }
}

impl CiteRequest<'_> {
    /// The `Log` of a cite contribution worth `value`.
    fn log<'a>(&'a self, value: &'a str) -> LogRequest<'a> {
        LogRequest {
            project: self.project,
            agent: self.agent,
            kind: Kind::Cite,
            category: None,
            hours: None,
            amount: None,
            rate: None,
            value: Some(value),
            date: self.date,
            note: self.note,
            gift: false,
            reimbursable: false,
        }
    }
}

/// What a logged contribution measures, by kind: its quantity, and the category, amount or
/// rate that go with it.
struct Measure {
    quantity: Decimal,
    category: Option<Arc<str>>,
    amount_minor: Option<i128>,
    unit_rate: Option<Decimal>,
}

impl Measure {
    fn of(quantity: Decimal) -> Measure {
        Measure {
            quantity,
            category: None,
            amount_minor: None,
            unit_rate: None,
        }
    }
}

impl State {
    // --- Log ---

    pub(crate) fn decide_log(
        &self,
        ctx: &Ctx,
        role: Role,
        log: &LogRequest,
    ) -> DomainResult<Outcome> {
        if ctx.hardened() && log.kind == Kind::Use && log.rate.is_some() && role != Role::Custodian
        {
            return Err(DomainError::forbidden(format!(
                "{} may not name the rate of a use: it comes from the project's schedule \
                 (the rate of its category `use`); only custodians name another rate",
                ctx.actor
            ))
            .field("rate")
            .value(log.rate.unwrap_or_default()));
        }
        if ctx.hardened() && log.kind == Kind::Cite && role != Role::Custodian {
            return Err(DomainError::forbidden(format!(
                "{} may not name the value of a citation: cite a contribution (`of`) with a \
                 percentage of its value (`percent`); only custodians log a fixed value",
                ctx.actor
            ))
            .field("value")
            .value(log.value.unwrap_or_default()));
        }
        self.decide_logged(ctx, role, log)
    }

    /// Decides a `Log` (or a `Cite`, turned into one) once the kind's own rules are checked.
    fn decide_logged(&self, ctx: &Ctx, role: Role, log: &LogRequest) -> DomainResult<Outcome> {
        let agent = log.agent;
        observers_only_read(role, &ctx.actor, "log contributions")?;
        affiliate_acts_for_self(
            role,
            &ctx.actor,
            agent,
            format_args!("log only their own contributions, not {agent}'s"),
        )?;
        let project = self
            .project(log.project)
            .about_value("project", log.project)?;
        self.agent(agent).about_value("agent", agent)?;
        self.check_not_left(&project.slug, agent)
            .about_value("agent", agent)?;
        let contribution = self.new_contribution(ctx, project, log, Value::ZERO)?;
        let value = self.valuate(project, &contribution)?;
        check_contribution(ctx, &contribution, value)?;
        let counted = project.approvals_required == 0;
        if counted && !log.gift {
            self.check_counts(ctx, project, value.0, size_field(log.kind))?;
        }
        Ok(Outcome::Logged {
            id: self.contributions.len() as u64 + 1,
            value,
            counted,
            minted: if counted {
                self.token_mint_for(&contribution, value)?
            } else {
                None
            },
        })
    }

    pub(crate) fn apply_log(
        &mut self,
        ctx: &Ctx,
        log: &LogRequest,
        id: u64,
        value: Value,
        counted: bool,
        minted: Option<&TokenMint>,
    ) -> DomainResult<()> {
        if id != self.contributions.len() as u64 + 1 {
            return Err(unfit(ctx, "log"));
        }
        let mut contribution =
            self.new_contribution(ctx, self.project(log.project)?, log, value)?;
        debug_assert_eq!(contribution.id, id);
        if counted {
            contribution.status = Status::Approved;
            self.count(&contribution)?;
        }
        self.apply_token_mint(ctx, &contribution, counted, minted)?;
        let project = self.project_mut(log.project)?;
        project.contributions += 1;
        if !counted {
            project.pending.insert(id);
        }
        self.contributions.push_packing(contribution);
        Ok(())
    }

    // --- Cite ---

    pub(crate) fn decide_cite(
        &self,
        ctx: &Ctx,
        role: Role,
        cite: &CiteRequest,
    ) -> DomainResult<Outcome> {
        let (value, _) = self.cited_value(cite)?;
        self.decide_logged(ctx, role, &cite.log(&value))
    }

    pub(crate) fn apply_cite(
        &mut self,
        ctx: &Ctx,
        cite: &CiteRequest,
        id: u64,
        value: Value,
        counted: bool,
        minted: Option<&TokenMint>,
    ) -> DomainResult<()> {
        let (cited, author) = self.cited_value(cite).map_err(|_| unfit(ctx, "cite"))?;
        self.apply_log(ctx, &cite.log(&cited), id, value, counted, minted)?;
        let contribution = self
            .contributions
            .last_mut()
            .ok_or_else(|| unfit(ctx, "cite"))?;
        contribution.set_cites(cite.of, author);
        Ok(())
    }

    /// `percent` % of the cited contribution's value, as decimal text, and its author.
    fn cited_value(&self, cite: &CiteRequest) -> DomainResult<(String, Arc<str>)> {
        let project = self
            .project(cite.project)
            .about_value("project", cite.project)?;
        let cited = self.contribution(cite.of).about_value("of", cite.of)?;
        let cited_project = self.project(&cited.project)?;
        if cited_project.currency != project.currency {
            return Err(DomainError::invalid(format!(
                "contribution {} is valued in {}, project {} in {}: cite a contribution valued \
                 in the same currency",
                cite.of, cited_project.currency, project.slug, project.currency
            ))
            .field("of")
            .value(cite.of.to_string()));
        }
        let percent = positive_decimal(Field::new("percent", "percentage"), cite.percent)?;
        if percent > Decimal::ONE_HUNDRED {
            return Err(DomainError::invalid(format!(
                "a citation is worth at most 100% of the cited contribution, not {percent}%"
            ))
            .field("percent")
            .value(cite.percent)
            .limit("100"));
        }
        let value = cited
            .value
            .mul_decimal(percent / Decimal::ONE_HUNDRED)
            .map_err(|e| e.field("percent"))?;
        if value <= Value::ZERO {
            return Err(DomainError::invalid(format!(
                "{percent}% of contribution {} is worth nothing",
                cite.of
            ))
            .field("percent")
            .value(cite.percent));
        }
        Ok((value.to_string(), cited.agent.clone()))
    }

    // --- Approve ---

    pub(crate) fn decide_approve(&self, ctx: &Ctx, role: Role, id: u64) -> DomainResult<Outcome> {
        let contribution = self.check_review(ctx, role, id, "approve")?;
        if contribution.approvals().contains(&ctx.actor) {
            return Err(DomainError::conflict(format!(
                "{} has already approved contribution {id}",
                ctx.actor
            )));
        }
        let project = self.project(&contribution.project)?;
        let counted = contribution.approvals().len() as u32 + 1 >= project.approvals_required;
        if counted && !contribution.gift {
            self.check_counts(ctx, project, contribution.value.0, "id")?;
        }
        let minted = if counted {
            self.token_mint_for(contribution, contribution.value)?
        } else {
            None
        };
        Ok(Outcome::Approved {
            id,
            counted,
            minted,
        })
    }

    pub(crate) fn apply_approve(
        &mut self,
        ctx: &Ctx,
        id: u64,
        outcome_id: u64,
        counted: bool,
        minted: Option<&TokenMint>,
    ) -> DomainResult<()> {
        // A stored body may name any id: one that is no contribution is corrupt, not a panic.
        let index = match self.contribution_index(id) {
            Some(index) if id == outcome_id => index,
            _ => return Err(unfit(ctx, "approve")),
        };
        self.contributions[index].add_approval(ctx.actor.clone());
        if counted {
            self.contributions[index].status = Status::Approved;
            let contribution = self.contributions[index].clone();
            self.count(&contribution)?;
            self.settle_pending(&contribution.project, id);
        }
        let contribution = self.contributions[index].clone();
        self.apply_token_mint(ctx, &contribution, counted, minted)
    }

    // --- Reject ---

    pub(crate) fn decide_reject(
        &self,
        ctx: &Ctx,
        role: Role,
        id: u64,
        reason: &str,
    ) -> DomainResult<Outcome> {
        self.check_review(ctx, role, id, "reject")?;
        if reason.trim().is_empty() {
            return Err(DomainError::invalid("a rejection needs a reason").field("reason"));
        }
        check_text(Field::named("reason"), reason)?;
        Ok(Outcome::Done)
    }

    pub(crate) fn apply_reject(&mut self, ctx: &Ctx, id: u64, reason: &str) -> DomainResult<()> {
        let contribution = self
            .contributions
            .get_mut((id as usize).wrapping_sub(1))
            .ok_or_else(|| unfit(ctx, "reject"))?;
        contribution.status = Status::Rejected;
        contribution.set_reason(reason.to_string());
        let project = contribution.project.clone();
        self.settle_pending(&project, id);
        Ok(())
    }

    /// Each project's open items, monthly sums and distribution counters recounted from the
    /// contribution table and the distributions; the error names the first project whose
    /// kept ones differ. It reads the whole table: the simulator and the property tests call
    /// it, never a command.
    pub fn recount_project_aggregates(&self) -> Result<(), String> {
        for project in self.projects() {
            let mut pending = std::collections::BTreeSet::new();
            let mut months = std::collections::BTreeMap::<_, Counted>::new();
            for contribution in self.project_contributions(project) {
                if contribution.status == Status::Pending {
                    pending.insert(contribution.id);
                }
                if contribution.counts() {
                    let month = months.entry(Counted::key_of(contribution)).or_default();
                    month.contributions += 1;
                    month.value = Value(month.value.0 + contribution.value.0);
                }
            }
            if pending != project.pending {
                let kept = &project.pending;
                return Err(format!(
                    "project {}: pending {pending:?}, kept {kept:?}",
                    project.slug
                ));
            }
            let distributions = self.distributions().iter();
            let made = distributions.filter(|d| *d.project == *project.slug);
            let (count, sum) = made.fold((0, 0i128), |(n, sum), d| (n + 1, sum + d.amount));
            if (count, sum) != (project.distributions, project.distributed) {
                let kept = (project.distributions, project.distributed);
                return Err(format!(
                    "project {}: distributions {count} of {sum}, kept {kept:?}",
                    project.slug
                ));
            }
            if months != project.counted_by_month {
                let kept = &project.counted_by_month;
                return Err(format!(
                    "project {}: counted by month {months:?}, kept {kept:?}",
                    project.slug
                ));
            }
        }
        Ok(())
    }

    /// Takes contribution `id` of `project`, no longer pending, off the project's open items.
    /// Not asserted to be there: a forged stored approval of a counted contribution reaches
    /// here on replay, and `verify` is what names it.
    pub(crate) fn settle_pending(&mut self, project: &str, id: u64) {
        if let Some(project) = self.projects.get_mut(project) {
            project.pending.remove(&id);
        }
    }

    // --- review ---

    /// Who may review contribution `id`: not an observer, not its contributor, and only while
    /// it is pending.
    fn check_review(
        &self,
        ctx: &Ctx,
        role: Role,
        id: u64,
        verb: &str,
    ) -> DomainResult<&Contribution> {
        forbid_observer(role, &ctx.actor, format_args!("{verb} contributions"))?;
        let contribution = self.contribution(id).about_value("id", id)?;
        if *contribution.agent == *ctx.actor {
            return Err(DomainError::forbidden(format!(
                "{} may not {verb} their own contribution {id}: nobody reviews their own work",
                ctx.actor
            )));
        }
        if contribution.status != Status::Pending {
            return Err(DomainError::conflict(format!(
                "contribution {id} is already {}",
                contribution.status.as_str()
            ))
            .field("id")
            .value(id.to_string()));
        }
        Ok(contribution)
    }

    // --- building and counting ---

    /// Builds the contribution a `Log` command describes, checking its fields for its kind.
    pub(crate) fn new_contribution(
        &self,
        ctx: &Ctx,
        project: &Project,
        log: &LogRequest,
        value: Value,
    ) -> DomainResult<Contribution> {
        let measure = measure(project, log)?;
        if log.reimbursable && !log.kind.reimbursable() {
            return Err(DomainError::invalid(format!(
                "a {} contribution cannot be reimbursable: only cash and material",
                log.kind
            ))
            .field("reimbursable"));
        }
        if log.reimbursable && log.gift {
            return Err(DomainError::invalid(
                "a gift carries no claim: it cannot also be reimbursable",
            )
            .field("reimbursable"));
        }
        check_optional_text(Field::named("note"), log.note)?;
        Ok(Contribution {
            id: self.contributions.len() as u64 + 1,
            project: project.slug.clone(),
            agent: self.handle(log.agent)?,
            kind: log.kind,
            category: measure.category,
            quantity: measure.quantity,
            amount_minor: measure.amount_minor,
            date: log.date.unwrap_or(ctx.date),
            gift: log.gift,
            reimbursable: log.reimbursable,
            value,
            status: Status::Pending,
            seq: ctx.seq,
            details: Details::boxed(measure.unit_rate, log.note.map(str::to_string), Vec::new()),
        })
    }

    /// Adds a newly counted contribution to the aggregates and, if reimbursable, to the claims.
    pub(crate) fn count(&mut self, contribution: &Contribution) -> DomainResult<()> {
        if contribution.gift {
            return Ok(());
        }
        self.add_value(contribution)?;
        if contribution.reimbursable {
            let project = self.project_mut(&contribution.project)?;
            project
                .claim_index
                .insert(contribution.id, project.claims.len());
            project.claims.push(Claim {
                contribution: contribution.id,
                agent: contribution.agent.clone(),
                kind: contribution.kind,
                owed: contribution.amount_minor.unwrap_or_default(),
                paid: 0,
            });
        }
        Ok(())
    }

    pub(crate) fn add_value(&mut self, contribution: &Contribution) -> DomainResult<()> {
        let project = self.project_mut(&contribution.project)?;
        let per_agent = project
            .counted
            .entry((contribution.kind, contribution.category.clone()))
            .or_default();
        let total = per_agent.entry(contribution.agent.clone()).or_default();
        *total = total.checked_add(contribution.value)?;
        project.counted_sum = project.counted_sum.saturating_add(contribution.value.0);
        let month = project
            .counted_by_month
            .entry(Counted::key_of(contribution))
            .or_default();
        month.contributions += 1;
        month.value = Value(month.value.0.saturating_add(contribution.value.0));
        Ok(())
    }

    pub(crate) fn uncount_value(&mut self, contribution: &Contribution) -> DomainResult<()> {
        let project = self.project_mut(&contribution.project)?;
        if let Some(per_agent) = project
            .counted
            .get_mut(&(contribution.kind, contribution.category.clone()))
            && let Some(total) = per_agent.get_mut(&contribution.agent)
        {
            total.0 -= contribution.value.0;
            project.counted_sum = project.counted_sum.saturating_sub(contribution.value.0);
            let key = Counted::key_of(contribution);
            if let Some(month) = project.counted_by_month.get_mut(&key) {
                debug_assert!(month.contributions > 0, "{key:?} counts no contribution");
                month.contributions -= 1;
                month.value = Value(month.value.0.saturating_sub(contribution.value.0));
                if month.contributions == 0 {
                    project.counted_by_month.remove(&key);
                }
            }
        }
        Ok(())
    }
}

/// Checks the fields a `Log` command gives for its kind and reads what they measure.
#[inline]
fn measure(project: &Project, log: &LogRequest) -> DomainResult<Measure> {
    match log.kind {
        Kind::Work => measure_work(project, log),
        Kind::Cash | Kind::Material => measure_money(project, log),
        Kind::Use => measure_use(project, log),
        Kind::Cite => measure_cite(log),
        Kind::Bounty => Err(DomainError::invalid(
            "bounty awards are not logged directly: they are made when a bounty is completed",
        )
        .field("kind")
        .value(Kind::Bounty.as_str())),
    }
}

const HOURS: Field = Field::named("hours");
const CATEGORY: Field = Field::named("category");
const AMOUNT: Field = Field::named("amount");
const RATE: Field = Field::named("rate");
const VALUE: Field = Field::named("value");

/// Work: hours in a category whose rate is set.
#[inline]
fn measure_work(project: &Project, log: &LogRequest) -> DomainResult<Measure> {
    let kind = log.kind;
    refuse_extra(kind, AMOUNT, log.amount.is_some())?;
    refuse_extra(
        kind,
        Field::new("rate", "rate (work is valued by its category's rate)"),
        log.rate.is_some(),
    )?;
    refuse_extra(kind, VALUE, log.value.is_some())?;
    let quantity = positive_decimal(HOURS, need(kind, log.hours, HOURS)?)?;
    let category = need(kind, log.category, Field::new("category", "a category"))?;
    let (name, _) = project.policy.rates.get_key_value(category).ok_or_else(|| {
        DomainError::invalid(format!(
            "unknown category {category:?} in project {}: set its rate first with `rate set {} {category} PER_HOUR`",
            project.slug, project.slug
        ))
        .field(CATEGORY.name)
        .value(category)
    })?;
    Ok(Measure {
        category: Some(name.clone()),
        ..Measure::of(quantity)
    })
}

/// Cash and material: an amount in the project's currency.
#[inline]
fn measure_money(project: &Project, log: &LogRequest) -> DomainResult<Measure> {
    let kind = log.kind;
    refuse_extra(kind, HOURS, log.hours.is_some())?;
    refuse_extra(kind, RATE, log.rate.is_some())?;
    refuse_extra(kind, VALUE, log.value.is_some())?;
    refuse_extra(kind, CATEGORY, log.category.is_some())?;
    let text = need(kind, log.amount, Field::new("amount", "an amount"))?;
    let minor = positive_amount(AMOUNT.name, text, project.exponent)?;
    Ok(Measure {
        amount_minor: Some(minor),
        ..Measure::of(decimal(AMOUNT, text)?)
    })
}

/// The category whose rate is the project's rate per hour of one's own equipment.
pub(crate) const USE_RATE: &str = "use";

/// Use of one's own equipment: hours at the project's use rate, or at a rate a custodian names.
#[inline]
fn measure_use(project: &Project, log: &LogRequest) -> DomainResult<Measure> {
    let kind = log.kind;
    refuse_extra(kind, AMOUNT, log.amount.is_some())?;
    refuse_extra(kind, VALUE, log.value.is_some())?;
    refuse_extra(kind, CATEGORY, log.category.is_some())?;
    let quantity = positive_decimal(HOURS, need(kind, log.hours, HOURS)?)?;
    let unit_rate = match log.rate {
        Some(text) => rate(RATE, text)?,
        None => project.policy.rates.get(USE_RATE).copied().ok_or_else(|| {
            DomainError::invalid(format!(
                "project {} has no use rate: set it with `rate set {} {USE_RATE} PER_HOUR`",
                project.slug, project.slug
            ))
            .field(RATE.name)
        })?,
    };
    Ok(Measure {
        unit_rate: Some(unit_rate),
        ..Measure::of(quantity)
    })
}

/// A citation of an existing design: a value.
#[inline]
fn measure_cite(log: &LogRequest) -> DomainResult<Measure> {
    let kind = log.kind;
    refuse_extra(kind, HOURS, log.hours.is_some())?;
    refuse_extra(kind, AMOUNT, log.amount.is_some())?;
    refuse_extra(kind, RATE, log.rate.is_some())?;
    refuse_extra(kind, CATEGORY, log.category.is_some())?;
    let value = need(kind, log.value, Field::new("value", "a value"))?;
    Ok(Measure::of(positive_decimal(VALUE, value)?))
}

/// Refuses a field the kind does not take.
#[inline]
fn refuse_extra(kind: Kind, field: Field, present: bool) -> DomainResult<()> {
    if present {
        Err(
            DomainError::invalid(format!("a {kind} contribution takes no {}", field.what))
                .field(field.name),
        )
    } else {
        Ok(())
    }
}

/// The field the kind needs (the message says `a {kind} contribution needs {what}`).
#[inline]
fn need(kind: Kind, value: Option<&str>, field: Field) -> DomainResult<&str> {
    value.ok_or_else(|| {
        DomainError::invalid(format!("a {kind} contribution needs {}", field.what))
            .field(field.name)
    })
}

#[cfg(test)]
mod tests {
    use crate::command::{Command, Outcome};
    use crate::error::ErrorKind;
    use crate::test_book::Book;

    /// Found by the `event_body` fuzz target: a stored approval of contribution 0 (or of one
    /// past the last) panicked on replay instead of being refused as corrupt.
    #[test]
    fn a_stored_approval_of_no_contribution_is_corrupt() {
        let mut book = Book::new();
        let ctx = book.ctx("operator");
        for id in [0, 1, u64::MAX] {
            let forged = Outcome::Approved {
                id,
                counted: true,
                minted: None,
            };
            let error = book
                .state
                .apply(&ctx, &Command::Approve { id }, &forged)
                .unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Corrupt, "{id}");
        }
        assert!(book.state.contributions().is_empty());
    }

    /// A project keeps its pending contributions and what it counts by month and kind as the
    /// events arrive: approving, rejecting and reversing take one off the pending ones, and
    /// a reversal of a counted one takes its value off its month.
    #[test]
    fn a_project_keeps_its_pending_contributions_and_monthly_sums() {
        use crate::model::Kind;
        use crate::state::Counted;
        use crate::value::Value;
        let mut book = Book::lab(1);
        let kept = |book: &Book| {
            let project = book.state.project("lab").unwrap();
            let pending: Vec<u64> = project.pending.iter().copied().collect();
            let months: Vec<_> = project.counted_by_month.clone().into_iter().collect();
            (pending, months)
        };
        let november = |contributions, value: &str| {
            let value = Value::parse(value).unwrap();
            vec![(
                (202611, Kind::Work),
                Counted {
                    contributions,
                    value,
                },
            )]
        };
        assert_eq!(kept(&book), (vec![], november(2, "900")));
        for hours in ["1", "2", "3"] {
            book.ok("cleo", Command::log_work("lab", "cleo", "assembly", hours));
        }
        assert_eq!(kept(&book), (vec![3, 4, 5], november(2, "900")));
        book.ok("ana", Command::Approve { id: 4 });
        assert_eq!(kept(&book), (vec![3, 5], november(3, "960")));
        let reason = "not done".to_string();
        book.ok(
            "ana",
            Command::Reject {
                id: 3,
                reason: reason.clone(),
            },
        );
        assert_eq!(kept(&book), (vec![5], november(3, "960")));
        for id in [5, 4] {
            let reason = reason.clone();
            book.ok("cleo", Command::Reverse { id, reason });
            let correction = book.state.corrections.len() as u64;
            book.ok("ana", Command::ApproveCorrection { id: correction });
        }
        assert_eq!(kept(&book), (vec![], november(2, "900")));
    }

    /// A book's old contributions are held packed as it grows; an approval of one opens its
    /// chunk, and the list encodes as it would have open.
    #[test]
    fn old_contributions_are_held_packed_and_open_when_approved() {
        let mut book = Book::lab(1);
        let logged = 3 * 4096 + 5;
        for _ in 0..logged {
            let ctx = book.ctx("cleo");
            let command = Command::log_work("lab", "cleo", "assembly", "2");
            book.state.execute(&ctx, &command).unwrap();
            book.seq += 1;
        }
        let first = book.state.contributions().len() - logged + 1;
        let packed = book.state.contributions();
        assert_eq!(
            packed.packed_chunks(),
            1,
            "three full chunks, the two newest open"
        );
        let mut opened = packed.clone();
        opened.iter_mut().for_each(drop);
        assert_eq!(opened.packed_chunks(), 0);
        assert_eq!(
            postcard::to_allocvec(packed).unwrap(),
            postcard::to_allocvec(&opened).unwrap()
        );
        book.ok("ana", Command::Approve { id: first as u64 });
        let approved = book.state.contributions();
        assert_eq!(approved.packed_chunks(), 0);
        assert_eq!(approved[first - 1].status, crate::model::Status::Approved);
        assert_eq!(approved[first].status, crate::model::Status::Pending);
    }
}
