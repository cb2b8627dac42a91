//! Shorthands for the commands that seeds, demos, benchmarks and tests build most: each fills
//! the optional fields with their defaults, so a caller names only what matters to it.

use crate::command::Command;
use crate::model::{Kind, Role};
use crate::tokens::Redemption;

impl Command {
    /// An agent with no display name.
    pub fn add_agent(handle: &str, role: Role) -> Command {
        Command::AddAgent {
            handle: handle.into(),
            name: None,
            role,
        }
    }

    /// A project with no display name and no approvals required.
    pub fn add_project(slug: &str, currency: &str, exponent: u32) -> Command {
        Command::add_project_approving(slug, currency, exponent, 0)
    }

    /// A project with no display name that requires `approvals` approvals.
    pub fn add_project_approving(
        slug: &str,
        currency: &str,
        exponent: u32,
        approvals: u32,
    ) -> Command {
        Command::AddProject {
            slug: slug.into(),
            name: None,
            currency: currency.into(),
            exponent,
            approvals,
        }
    }

    /// The hourly rate of a category of work in a project.
    pub fn set_rate(project: &str, category: &str, per_hour: &str) -> Command {
        Command::SetRate {
            project: project.into(),
            category: category.into(),
            per_hour: per_hour.into(),
        }
    }

    /// Revenue of `amount` to `project`, from outside.
    pub fn revenue(project: &str, amount: &str) -> Command {
        Command::Revenue {
            project: project.into(),
            amount: amount.into(),
            from: None,
        }
    }

    /// `hours` of `category` work by `agent` on `project`, at the category's rate, undated,
    /// without a note, neither a gift nor reimbursable.
    pub fn log_work(project: &str, agent: &str, category: &str, hours: &str) -> Command {
        Command::log(
            project,
            agent,
            Kind::Work,
            Some(category),
            Some(hours),
            None,
        )
    }

    /// A contribution of `kind` by `agent` on `project` with only its category, hours and
    /// amount given: no rate or cited value, undated, without a note, neither a gift nor
    /// reimbursable.
    pub fn log(
        project: &str,
        agent: &str,
        kind: Kind,
        category: Option<&str>,
        hours: Option<&str>,
        amount: Option<&str>,
    ) -> Command {
        Command::Log {
            project: project.into(),
            agent: agent.into(),
            kind,
            category: category.map(Into::into),
            hours: hours.map(Into::into),
            amount: amount.map(Into::into),
            rate: None,
            value: None,
            date: None,
            note: None,
            gift: false,
            reimbursable: false,
        }
    }

    /// A plain token of `project`: minted one per unit of value, no fees or tributes, no
    /// funding account, no curve exponent, no hatch.
    pub fn create_token(
        project: &str,
        symbol: &str,
        exponent: u32,
        redemption: Redemption,
    ) -> Command {
        Command::CreateToken {
            project: project.into(),
            symbol: symbol.into(),
            exponent,
            mint_per_value: None,
            redemption,
            exit_fee_percent: None,
            entry_tribute_percent: None,
            exit_tribute_percent: None,
            funding_to: None,
            curve_exponent: None,
            hatch: None,
            retro: false,
        }
    }
}
