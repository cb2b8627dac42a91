//! Limits a request may not pass, checked when a command is decided so that applying a decided
//! outcome never overflows: the most hours in one contribution, the largest value of one
//! contribution, the most a project may count, and how far ahead of the book's clock a
//! contribution may be dated. (The largest amount of an asset is `money::AMOUNT_MINOR_MAX`.)

use rust_decimal::Decimal;

use crate::date::Date;
use crate::error::{DomainError, DomainResult};
use crate::model::{Contribution, Kind};
use crate::state::{Ctx, Project, State};
use crate::value::Value;

/// The most hours one work or use contribution may count.
pub const HOURS_MAX: u32 = 10_000;
/// The largest value of one contribution: 10^15 units of its project's currency.
pub const CONTRIBUTION_VALUE_MAX: Value = Value(1_000_000_000_000_000 * ONE);
/// The most value a project may count, all agents together: 10^18 units of its currency
/// (every total of it, per agent or per category, stays far inside the exact arithmetic).
pub const PROJECT_VALUE_MAX: Value = Value(1_000_000_000_000_000_000 * ONE);
/// How many days after the book's clock a contribution may be dated.
pub const FUTURE_DAYS_MAX: i32 = 1;

const ONE: i128 = 1_000_000_000_000_000_000;

/// The request field that carries a contribution's size, by kind.
pub(crate) fn size_field(kind: Kind) -> &'static str {
    match kind {
        Kind::Work | Kind::Use => "hours",
        Kind::Cash | Kind::Material => "amount",
        Kind::Cite => "value",
        Kind::Bounty => "task",
    }
}

/// Refuses a contribution dated more than [`FUTURE_DAYS_MAX`] after `today`, more hours than
/// [`HOURS_MAX`], or a value above [`CONTRIBUTION_VALUE_MAX`]. Events decided by the rules
/// before these limits (`Ctx::hardened`) pass as they were decided.
pub(crate) fn check_contribution(
    ctx: &Ctx,
    contribution: &Contribution,
    value: Value,
) -> DomainResult<()> {
    if !ctx.hardened() {
        return Ok(());
    }
    let today = ctx.date;
    let latest = Date(today.0 + FUTURE_DAYS_MAX);
    if contribution.date > latest {
        return Err(DomainError::invalid(format!(
            "a contribution dated {} is in the future: the book's date is {today}, and a \
             contribution may be dated at most one day later",
            contribution.date
        ))
        .field("date")
        .value(contribution.date.to_string())
        .limit(latest.to_string()));
    }
    if matches!(contribution.kind, Kind::Work | Kind::Use)
        && contribution.quantity > Decimal::from(HOURS_MAX)
    {
        return Err(DomainError::invalid(format!(
            "{} hours in one contribution: at most {HOURS_MAX}",
            contribution.quantity
        ))
        .field("hours")
        .value(contribution.quantity.to_string())
        .limit(format!("{HOURS_MAX} hours")));
    }
    if value > CONTRIBUTION_VALUE_MAX {
        return Err(DomainError::invalid(format!(
            "a contribution valued {value} is too large: one contribution is valued at most {}",
            CONTRIBUTION_VALUE_MAX
        ))
        .field(size_field(contribution.kind))
        .value(value.to_string())
        .limit(CONTRIBUTION_VALUE_MAX.to_string()));
    }
    Ok(())
}

/// Every value `project` counts, summed afresh: what the running sum must equal.
fn summed(project: &Project) -> i128 {
    project
        .counted
        .values()
        .flat_map(|per_agent| per_agent.values())
        .fold(0i128, |total, value| total.saturating_add(value.0))
}

impl State {
    /// Everything `project` counts, all agents and categories together: the running sum the
    /// counting keeps (summing every agent per event made an import quadratic).
    pub(crate) fn counted_total(&self, project: &Project) -> i128 {
        debug_assert!(
            project.contributions > 4096 || project.counted_sum == summed(project),
            "the running sum of {} drifted from its values",
            project.slug
        );
        project.counted_sum
    }

    /// Refuses to count `added` more in `project` (a difference: negative when values fall)
    /// when its total would pass [`PROJECT_VALUE_MAX`]; `field` is the request's field at fault.
    pub(crate) fn check_counts(
        &self,
        ctx: &Ctx,
        project: &Project,
        added: i128,
        field: &'static str,
    ) -> DomainResult<()> {
        if !ctx.hardened() {
            return Ok(());
        }
        let total = self.counted_total(project).saturating_add(added);
        if added > 0 && total > PROJECT_VALUE_MAX.0 {
            return Err(DomainError::invalid(format!(
                "project {} would count {} in all: a project counts at most {}",
                project.slug,
                Value(total),
                PROJECT_VALUE_MAX
            ))
            .field(field)
            .limit(PROJECT_VALUE_MAX.to_string()));
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    pub(crate) use super::*;
    pub(crate) use crate::command::Command;
    pub(crate) use crate::model::{Filter, Role};
    pub(crate) use crate::state::Ctx;

    pub(crate) const TODAY: &str = "2026-11-21";

    pub(crate) fn ctx_on(state: &State, actor: &str, date: &str) -> Ctx {
        Ctx::new(state.head() + 1, actor, Date::parse(date).expect("date"))
    }

    pub(crate) fn run(state: &mut State, actor: &str, command: Command) -> crate::DomainResult<()> {
        let ctx = ctx_on(state, actor, TODAY);
        state.execute(&ctx, &command).map(|_| ())
    }

    pub(crate) fn ok(state: &mut State, command: Command) {
        run(state, crate::model::OPERATOR, command).expect("accepted");
    }

    /// A refusal's (kind, message, field, limit), checking that it changed nothing.
    pub(crate) fn refused(
        state: &mut State,
        actor: &str,
        command: Command,
    ) -> (String, String, String) {
        let before = state.clone();
        let error = run(state, actor, command).expect_err("refused");
        assert_eq!(state.head(), before.head());
        let details = error.details().cloned().unwrap_or_default();
        (
            format!("{}: {error}", error.kind().as_str()),
            details.field.unwrap_or_default().to_string(),
            details.limit.unwrap_or_default(),
        )
    }

    pub(crate) fn book(approvals: u32) -> State {
        let mut state = State::new();
        for (handle, role) in [("ana", Role::Affiliate), ("cus", Role::Custodian)] {
            ok(&mut state, Command::add_agent(handle, role));
        }
        ok(
            &mut state,
            Command::add_project_approving("p", "CAD", 2, approvals),
        );
        ok(&mut state, Command::set_rate("p", "dev", "50"));
        state
    }

    pub(crate) fn log(kind: crate::model::Kind, size: &str, date: Option<&str>) -> Command {
        let work = matches!(kind, crate::model::Kind::Work);
        Command::Log {
            project: "p".into(),
            agent: "ana".into(),
            kind,
            category: work.then(|| "dev".into()),
            hours: work.then(|| size.into()),
            amount: (!work).then(|| size.into()),
            rate: None,
            value: None,
            date: date.map(|d| Date::parse(d).expect("date")),
            note: None,
            gift: false,
            reimbursable: false,
        }
    }

    pub(crate) fn cash(amount: &str) -> Command {
        log(crate::model::Kind::Cash, amount, None)
    }

    pub(crate) fn values(state: &State, as_of: &str) -> Vec<(String, String)> {
        let project = state.project("p").expect("project");
        state
            .values_by_agent(
                project,
                &Filter::default(),
                Date::parse(as_of).expect("date"),
            )
            .expect("values")
            .into_iter()
            .map(|(agent, value)| (agent.to_string(), value.display(2)))
            .collect()
    }

    pub(crate) fn work(agent: &str, hours: &str) -> Command {
        let mut command = log(crate::model::Kind::Work, hours, None);
        if let Command::Log { agent: a, .. } = &mut command {
            *a = agent.into();
        }
        command
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::*;

    #[test]
    fn a_contribution_too_large_to_count_is_refused_when_decided() {
        let mut state = book(0);
        // The attack as found: two of these overflowed the project's total when applied.
        let (error, field, limit) = refused(&mut state, "ana", cash("100000000000000000000.00"));
        assert_eq!(
            error,
            "invalid: a contribution valued 100000000000000000000 is too large: one contribution \
             is valued at most 1000000000000000"
        );
        assert_eq!(
            (field.as_str(), limit.as_str()),
            ("amount", "1000000000000000")
        );
        ok(&mut state, cash("1000000000000000.00"));
        assert_eq!(
            values(&state, TODAY),
            [("ana".into(), "1000000000000000.00".into())]
        );
    }

    #[test]
    fn a_project_counts_at_most_its_limit_and_refuses_the_write_past_it() {
        let mut state = book(0);
        for _ in 0..1000 {
            ok(&mut state, cash("1000000000000000.00"));
        }
        let project = state.project("p").expect("project");
        assert_eq!(state.counted_total(project), PROJECT_VALUE_MAX.0);
        let (error, field, limit) = refused(&mut state, "ana", cash("0.01"));
        assert_eq!(
            error,
            "invalid: project p would count 1000000000000000000.01 in all: a project counts at \
             most 1000000000000000000"
        );
        assert_eq!(
            (field.as_str(), limit.as_str()),
            ("amount", "1000000000000000000")
        );
        // A gift counts nothing, so it still fits; shares still answer.
        let mut gift = cash("5.00");
        if let Command::Log { gift, .. } = &mut gift {
            *gift = true;
        }
        ok(&mut state, gift);
        assert_eq!(
            values(&state, TODAY),
            [("ana".into(), "1000000000000000000.00".into())]
        );
    }

    #[test]
    fn approving_past_the_project_limit_is_refused() {
        let mut state = book(1);
        for _ in 0..1001 {
            ok(&mut state, cash("1000000000000000.00"));
        }
        for id in 1..=1000 {
            run(&mut state, "cus", Command::Approve { id }).expect("approved");
        }
        let (error, field, _) = refused(&mut state, "cus", Command::Approve { id: 1001 });
        assert!(
            error.starts_with("invalid: project p would count 1001000000000000000 in all"),
            "{error}"
        );
        assert_eq!(field, "id");
    }

    #[test]
    fn hours_past_the_limit_are_refused() {
        let mut state = book(0);
        let work = |hours: &str| log(crate::model::Kind::Work, hours, None);
        let (error, field, limit) = refused(&mut state, "ana", work("10000.5"));
        assert_eq!(
            error,
            "invalid: 10000.5 hours in one contribution: at most 10000"
        );
        assert_eq!((field.as_str(), limit.as_str()), ("hours", "10000 hours"));
        ok(&mut state, work("10000"));
        assert_eq!(values(&state, TODAY), [("ana".into(), "500000.00".into())]);
    }

    #[test]
    fn a_contribution_dated_more_than_a_day_ahead_is_refused() {
        let mut state = book(0);
        let dated = |date: &str| log(crate::model::Kind::Cash, "10.00", Some(date));
        let (error, field, limit) = refused(&mut state, "ana", dated("9999-12-31"));
        assert_eq!(
            error,
            "invalid: a contribution dated 9999-12-31 is in the future: the book's date is \
             2026-11-21, and a contribution may be dated at most one day later"
        );
        assert_eq!((field.as_str(), limit.as_str()), ("date", "2026-11-22"));
        refused(&mut state, "ana", dated("2026-11-23"));
        ok(&mut state, dated("2026-11-22"));
        ok(&mut state, dated("2020-01-01"));
        assert_eq!(values(&state, TODAY), [("ana".into(), "20.00".into())]);
    }

    #[test]
    fn shares_as_of_before_the_project_existed_show_nothing() {
        let mut state = book(0);
        ok(
            &mut state,
            log(crate::model::Kind::Cash, "10.00", Some("2020-01-01")),
        );
        assert_eq!(values(&state, "2026-11-20"), []);
        assert_eq!(values(&state, TODAY), [("ana".into(), "10.00".into())]);
    }

    #[test]
    fn decay_applies_only_to_contributions_logged_after_it_was_set() {
        let mut state = book(0);
        ok(
            &mut state,
            log(crate::model::Kind::Cash, "100.00", Some("2026-10-22")),
        );
        let half_life = |days: Option<&str>| Command::SetHalfLife {
            project: "p".into(),
            days: days.map(str::to_string),
        };
        ok(&mut state, half_life(Some("30")));
        let mut luc = log(crate::model::Kind::Cash, "100.00", Some("2026-10-22"));
        if let Command::Log { agent, .. } = &mut luc {
            *agent = "cus".into();
        }
        ok(&mut state, luc);
        // ana's was logged before the half-life: it keeps its 100; cus's, 30 days old, halves.
        assert_eq!(
            values(&state, TODAY),
            [
                ("ana".into(), "100.00".into()),
                ("cus".into(), "50.00".into())
            ]
        );
        // Removing the half-life later does not undo it for contributions logged under it.
        ok(&mut state, half_life(None));
        assert_eq!(
            values(&state, TODAY),
            [
                ("ana".into(), "100.00".into()),
                ("cus".into(), "50.00".into())
            ]
        );
    }

    #[test]
    fn steward_points_are_never_given_to_oneself() {
        let mut state = book(0);
        let give = |agent: &str| Command::StewardGive {
            project: "p".into(),
            agent: agent.into(),
            points: 10,
            reason: "kept the books".into(),
        };
        let (error, field, _) = refused(&mut state, "cus", give("cus"));
        assert_eq!(
            error,
            "forbidden: cus may not give steward points to themself: stewardship is recognised \
             by others"
        );
        assert_eq!(field, "agent");
        run(&mut state, "cus", give("ana")).expect("given");
    }
}

#[cfg(test)]
mod cite_tests {
    use super::tests_support::*;
    use crate::command::Command;

    fn cite(of: u64, percent: &str) -> Command {
        Command::Cite {
            project: "p".into(),
            agent: "cus".into(),
            of,
            percent: percent.into(),
            date: None,
            note: None,
        }
    }

    #[test]
    fn a_citation_is_a_percentage_of_the_cited_value_and_names_its_author() {
        let mut state = book(0);
        ok(&mut state, work("ana", "7")); // 350.00
        run(&mut state, "cus", cite(1, "12.5")).expect("cited");
        let cited = state.contribution(2).expect("contribution");
        assert_eq!(cited.value.display(2), "43.75");
        assert_eq!(cited.cites(), Some((1, "ana")));
        assert_eq!(&*cited.agent, "cus");
        let (error, field, limit) = refused(&mut state, "cus", cite(1, "100.01"));
        assert_eq!(
            error,
            "invalid: a citation is worth at most 100% of the cited contribution, not 100.01%"
        );
        assert_eq!((field.as_str(), limit.as_str()), ("percent", "100"));
        let (error, field, _) = refused(&mut state, "cus", cite(9, "10"));
        assert!(error.starts_with("not-found: "), "{error}");
        assert_eq!(field, "of");
    }

    #[test]
    fn only_a_custodian_logs_a_fixed_citation_value() {
        let mut state = book(0);
        let fixed = |agent: &str| Command::Log {
            project: "p".into(),
            agent: agent.into(),
            kind: crate::model::Kind::Cite,
            category: None,
            hours: None,
            amount: None,
            rate: None,
            value: Some("250".into()),
            date: None,
            note: None,
            gift: false,
            reimbursable: false,
        };
        let (error, field, _) = refused(&mut state, "ana", fixed("ana"));
        assert_eq!(
            error,
            "forbidden: ana may not name the value of a citation: cite a contribution (`of`) with a percentage of its value (`percent`); only custodians log a fixed value"
        );
        assert_eq!(field, "value");
        run(&mut state, "cus", fixed("ana")).expect("a custodian's fixed value");
        assert_eq!(state.contribution(1).expect("c").value.display(2), "250.00");
    }
}

#[cfg(test)]
mod use_tests {
    use super::tests_support::*;
    use crate::command::Command;

    fn use_log(rate: Option<&str>) -> Command {
        let mut command = log(crate::model::Kind::Work, "3", None);
        if let Command::Log {
            kind,
            category,
            rate: r,
            ..
        } = &mut command
        {
            *kind = crate::model::Kind::Use;
            *category = None;
            *r = rate.map(str::to_string);
        }
        command
    }

    #[test]
    fn a_use_takes_the_projects_rate_and_only_a_custodian_names_another() {
        let mut state = book(0);
        let (error, field, _) = refused(&mut state, "ana", use_log(None));
        assert_eq!(
            error,
            "invalid: project p has no use rate: set it with `rate set p use PER_HOUR`"
        );
        assert_eq!(field, "rate");
        ok(
            &mut state,
            Command::SetRate {
                project: "p".into(),
                category: "use".into(),
                per_hour: "20".into(),
            },
        );
        let (error, field, _) = refused(&mut state, "ana", use_log(Some("900")));
        assert_eq!(
            error,
            "forbidden: ana may not name the rate of a use: it comes from the project's schedule \
             (the rate of its category `use`); only custodians name another rate"
        );
        assert_eq!(field, "rate");
        run(&mut state, "ana", use_log(None)).expect("at the project's rate");
        assert_eq!(state.contribution(1).expect("c").value.display(2), "60.00");
        run(&mut state, "cus", use_log(Some("25"))).expect("a custodian's rate");
        assert_eq!(state.contribution(2).expect("c").value.display(2), "75.00");
    }
}

#[cfg(test)]
pub(crate) mod technician_tests {
    use super::tests_support::*;
    use crate::command::{Command, Outcome, TechnicianWork};
    use crate::resources::SplitShare;

    /// A book with a drill whose schedule charges 30.00 per technician hour, and a use of it
    /// by ana with cus as technician for 1.5 hours.
    pub(crate) fn drill() -> (State, Command) {
        let mut state = book(0);
        ok(
            &mut state,
            Command::AddResource {
                name: "drill".into(),
                project: "p".into(),
                owner: None,
                value: None,
            },
        );
        ok(
            &mut state,
            Command::SetFees {
                resource: "drill".into(),
                per_hour: "10.00".into(),
                material_per_unit: None,
                technician_per_hour: Some("30.00".into()),
                community_per_hour: None,
                split: vec![SplitShare {
                    to: "maintenance".into(),
                    percent: rust_decimal::Decimal::ONE_HUNDRED,
                }],
                material_to: None,
                after_payback: None,
                community_roles: Vec::new(),
            },
        );
        let used = Command::UseResource {
            resource: "drill".into(),
            agent: "ana".into(),
            hours: "2".into(),
            material_units: None,
            technician: Some("cus".into()),
            technician_hours: Some("1.5".into()),
            community: false,
            from_balance: false,
        };
        (state, used)
    }

    #[test]
    fn a_technicians_hours_count_as_their_work() {
        let (mut state, used) = drill();
        let ctx = ctx_on(&state, "ana", TODAY);
        let outcome = state.execute(&ctx, &used).expect("used");
        let Outcome::Charged {
            fee,
            technician_work,
            ..
        } = outcome
        else {
            panic!("not a charge: {outcome:?}");
        };
        assert_eq!(fee, 6500);
        assert_eq!(
            technician_work,
            Some(TechnicianWork {
                contribution: 1,
                value: crate::value::Value::parse("45").expect("value"),
            })
        );
        let work = state.contribution(1).expect("contribution");
        assert_eq!(
            (
                &*work.agent,
                work.category.as_deref(),
                work.quantity.to_string()
            ),
            ("cus", Some("technician"), "1.5".to_string())
        );
        assert_eq!(values(&state, TODAY), [("cus".into(), "45.00".into())]);
        // Re-valuing keeps the schedule's rate.
        ok(
            &mut state,
            Command::Revalue {
                project: "p".into(),
            },
        );
        assert_eq!(values(&state, TODAY), [("cus".into(), "45.00".into())]);
    }
}

#[cfg(test)]
mod technician_replay_tests {
    use super::technician_tests::drill;
    use super::tests_support::*;
    use crate::command::{Outcome, TechnicianWork};
    use crate::error::ErrorKind;

    #[test]
    fn an_old_charge_replays_without_technician_work_and_a_forged_one_is_corrupt() {
        let (state, used) = drill();
        let ctx = ctx_on(&state, "ana", TODAY);
        let decided = state.decide(&ctx, &used).expect("decided");
        let with = |work: Option<TechnicianWork>| match decided.clone() {
            Outcome::Charged {
                use_id,
                fee,
                lines,
                commons,
                ..
            } => Outcome::Charged {
                use_id,
                fee,
                lines,
                commons,
                technician_work: work,
            },
            other => panic!("not a charge: {other:?}"),
        };
        // A book from before technician hours counted: the use replays, no contribution.
        let mut old = state.clone();
        old.apply(&ctx, &used, &with(None)).expect("old outcome");
        assert!(old.contribution(1).is_err());
        // A forged value is refused as corrupt.
        let forged = with(Some(TechnicianWork {
            contribution: 1,
            value: crate::value::Value::parse("4500").expect("value"),
        }));
        let mut forged_state = state.clone();
        let error = forged_state
            .apply(&ctx, &used, &forged)
            .expect_err("forged");
        assert_eq!(error.kind(), ErrorKind::Corrupt);
    }
}
