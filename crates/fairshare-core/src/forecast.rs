//! Forecasts that record nothing: what an agent would receive from a revenue now, and with
//! more hours of work. A hypothetical contribution is decided exactly as a `Log` (same rates,
//! skill factors, multipliers, limits) and counted as if approved, but only in the
//! distribution this module plans: the state is never changed.

use crate::command::{Command, Line, Outcome};
use crate::contributions::LogRequest;
use crate::distribute::plan_distribution_with;
use crate::error::{About, DomainError, DomainResult};
use crate::model::{Contribution, OPERATOR, Role, Status};
use crate::money::positive_amount;
use crate::state::{Ctx, State};
use crate::tokens::TokenMint;
use crate::value::Value;

/// A contribution that has not happened, counted as if approved: what an estimate adds to
/// the project's values (and, if the project mints a token for value, to its holders).
#[derive(Debug, Clone)]
pub(crate) struct Hypothesis {
    pub contribution: Contribution,
    pub minted: Option<TokenMint>,
}

/// More work an estimate supposes: `hours` of work in `category` (request field names).
#[derive(Debug, Clone, Copy)]
pub struct MoreWork<'a> {
    pub category: &'a str,
    pub hours: &'a str,
}

/// One planned distribution of an estimate: its lines and what the agent receives from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub lines: Vec<Line>,
    /// The agent's total over every bucket, in minor units.
    pub received: i128,
}

/// What an estimate found (amounts in minor units of the project's currency).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estimate {
    pub amount: i128,
    pub plan_version: u32,
    /// The revenue split by the plan as the project stands.
    pub now: Planned,
    /// The value the more work would be given, and the revenue split with it counted.
    pub with_work: Option<(Value, Planned)>,
}

impl State {
    /// What `agent` would receive if `amount` (request field `revenue`) were recorded as
    /// revenue of `project` on `ctx.date`, and, with `work`, if that work were logged and
    /// approved first. Decided as `ctx.actor` would log it for the agent, except that the
    /// work counts as approved; records nothing.
    pub fn estimate(
        &self,
        ctx: &Ctx,
        project: &str,
        agent: &str,
        amount: &str,
        work: Option<MoreWork>,
    ) -> DomainResult<Estimate> {
        let slug = project;
        let project = self.project(slug).about_value("project", slug)?;
        self.agent(agent).about_value("agent", agent)?;
        let amount = positive_amount("revenue", amount, project.exponent)?;
        let plan = |hypothesis: Option<&Hypothesis>| -> DomainResult<Planned> {
            let lines = plan_distribution_with(
                self,
                project,
                project.plan(),
                amount,
                ctx.date,
                hypothesis,
            )?
            .lines;
            let received = lines
                .iter()
                .filter(|l| l.to == agent)
                .map(|l| l.amount)
                .sum();
            Ok(Planned { lines, received })
        };
        let now = plan(None)?;
        let with_work = match work {
            None => None,
            Some(work) => {
                let hypothesis = self.hypothesis(ctx, slug, agent, work)?;
                let value = hypothesis.contribution.value;
                Some((value, plan(Some(&hypothesis))?))
            }
        };
        Ok(Estimate {
            amount,
            plan_version: project.plan_version(),
            now,
            with_work,
        })
    }

    /// The contribution `work` would be if `agent` logged it now and it were approved.
    fn hypothesis(
        &self,
        ctx: &Ctx,
        project: &str,
        agent: &str,
        work: MoreWork,
    ) -> DomainResult<Hypothesis> {
        let command = Command::log_work(project, agent, work.category, work.hours);
        let log = LogRequest::of(&command)
            .ok_or_else(|| DomainError::corrupt("log_work built no log command"))?;
        // Decided as a custodian would log it for the agent: the estimate is a question about
        // the rules, which anyone who reads the project may ask.
        let ctx = Ctx::new(ctx.seq, OPERATOR, ctx.date);
        let Outcome::Logged { value, .. } = self.decide_log(&ctx, Role::Custodian, &log)? else {
            return Err(DomainError::corrupt("a log decided no contribution"));
        };
        let project = self.project(project)?;
        if project.approvals_required > 0 {
            // Counted as if approved: the limits a counted contribution keeps apply.
            self.check_counts(&ctx, project, value.0, "hours")?;
        }
        let mut contribution = self.new_contribution(&ctx, project, &log, value)?;
        contribution.status = Status::Approved;
        let minted = self.token_mint_for(&contribution, contribution.value)?;
        Ok(Hypothesis {
            contribution,
            minted,
        })
    }
}
