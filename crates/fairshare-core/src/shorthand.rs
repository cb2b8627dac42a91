//! Shorthands for the commands that seeds, demos, benchmarks and tests build most: each fills
//! the optional fields with their defaults, so a caller names only what matters to it.

use crate::command::Command;
use crate::model::Kind;

impl Command {
    /// A project with no display name and no approvals required.
    pub fn add_project(slug: &str, currency: &str, exponent: u32) -> Command {
        Command::AddProject {
            slug: slug.into(),
            name: None,
            currency: currency.into(),
            exponent,
            approvals: 0,
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

    /// `hours` of `category` work by `agent` on `project`, at the category's rate, undated,
    /// without a note, neither a gift nor reimbursable.
    pub fn log_work(project: &str, agent: &str, category: &str, hours: &str) -> Command {
        Command::Log {
            project: project.into(),
            agent: agent.into(),
            kind: Kind::Work,
            category: Some(category.into()),
            hours: Some(hours.into()),
            amount: None,
            rate: None,
            value: None,
            date: None,
            note: None,
            gift: false,
            reimbursable: false,
        }
    }
}
