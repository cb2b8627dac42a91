//! Projects and their valuation policies: rates, skill factors, multipliers, decay, revalue.

use std::collections::BTreeMap;

use fairshare_book::Executed;
use fairshare_core::{Command, Outcome, Policy, Project, State};
use serde::{Deserialize, Serialize};

use crate::contributions::KindName;
use crate::error::OpResult;
use crate::op::{Read, Reading, Write};
use crate::page::Page;
use crate::plans::PlanOut;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectRow {
    pub project: String,
    pub name: Option<String>,
    pub currency: String,
    pub exponent: u32,
    pub approvals: u32,
    pub plan_version: u32,
    pub contributions: usize,
}

impl ProjectRow {
    pub fn of(project: &Project) -> ProjectRow {
        ProjectRow {
            project: project.slug.to_string(),
            name: project.name.clone(),
            currency: project.currency.clone(),
            exponent: project.exponent,
            approvals: project.approvals_required,
            plan_version: project.plan_version(),
            contributions: project.contributions as usize,
        }
    }
}

/// Adds a project with its currency (custodians only). Its plan is `contributors(all)`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct AddProject {
    pub slug: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "TEXT"))]
    pub name: Option<String>,
    /// Asset code of the project's currency, e.g. `CAD`.
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "CODE", default_value = "CAD")
    )]
    pub currency: String,
    /// Decimals of the currency (2 for CAD).
    #[cfg_attr(feature = "clap", arg(long, value_name = "N", default_value_t = 2))]
    pub exponent: u32,
    /// Approvals a contribution needs before it counts (default 0).
    #[serde(default)]
    #[cfg_attr(feature = "clap", arg(long, value_name = "N", default_value_t = 0))]
    pub approvals: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectAdded {
    pub project: ProjectRow,
}

operation!(AddProject => ProjectAdded, Post "/api/v1/projects", "projects",
    "Adds a project with its currency (custodians only); its plan is contributors(all)");

impl Write for AddProject {
    const NAMES_EXISTING: bool = false;
    const CREATES: bool = true;

    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::AddProject {
            slug: self.slug.clone(),
            name: self.name.clone(),
            currency: self.currency.clone(),
            exponent: self.exponent,
            approvals: self.approvals,
        })
    }

    fn view(&self, state: &State, _: &Executed) -> OpResult<ProjectAdded> {
        Ok(ProjectAdded {
            project: ProjectRow::of(state.project(&self.slug)?),
        })
    }
}

/// A project's approvals, after a change.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalsSet {
    pub project: String,
    pub approvals: u32,
}

impl ApprovalsSet {
    fn of(state: &State, project: &str) -> OpResult<ApprovalsSet> {
        let project = state.project(project)?;
        Ok(ApprovalsSet {
            project: project.slug.to_string(),
            approvals: project.approvals_required,
        })
    }
}

project_change! {
    /// Sets how many approvals a contribution or correction needs before it counts, from its
    /// next review on (custodians only). What was counted stays counted; a pending one needs
    /// the new number at its next approval.
    SetApprovals {
        /// Approvals needed, 0 (counted at once) to 100.
        approvals: u32,
    } => ApprovalsSet, Put "/api/v1/projects/{project}/approvals", "projects",
    "Sets how many approvals a contribution needs before it counts, from its next review on (custodians only)"
}

paged_list! {
    /// Projects, in byte order of slug.
    ListProjects => ProjectsOut { projects: ProjectRow },
    "/api/v1/projects", "projects", "Projects, in byte order of slug"
}

impl Read for ListProjects {
    const NAMES_EXISTING: bool = false;
    fn view(&self, state: &State, _: &Reading) -> OpResult<ProjectsOut> {
        let page = Page::new(self.limit, self.offset)?;
        let (page, projects) = page.list(state.projects(), ProjectRow::of);
        Ok(ProjectsOut { page, projects })
    }
}

/// A valuation policy: decimals as strings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyOut {
    /// Rate per hour of each work category.
    pub rates: BTreeMap<String, String>,
    /// Multiplier per contribution kind (absent: 1).
    pub multipliers: BTreeMap<String, String>,
    /// Skill factor per agent (absent: 1).
    pub skills: BTreeMap<String, String>,
    pub half_life_days: Option<String>,
}

impl PolicyOut {
    pub fn of(policy: &Policy) -> PolicyOut {
        PolicyOut {
            rates: policy
                .rates
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            multipliers: policy
                .multipliers
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), v.to_string()))
                .collect(),
            skills: policy
                .skills
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect(),
            half_life_days: policy.half_life_days.map(|d| d.to_string()),
        }
    }
}

/// A project: currency, approvals, valuation policy and the plan in force.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ShowProject {
    #[cfg_attr(feature = "clap", arg(value_name = "SLUG"))]
    pub project: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectShow {
    pub project: String,
    pub name: Option<String>,
    pub currency: String,
    pub exponent: u32,
    pub approvals: u32,
    pub plan_version: u32,
    pub contributions: usize,
    pub distributions: usize,
    pub policy: PolicyOut,
    /// The plan in force.
    pub plan: PlanOut,
    /// Each rule in force (plan, rates, skills, multipliers, half-life, approvals, blend, fees, token,
    /// leaver policy, governance) and the event (and proposal) that set it.
    #[serde(default)]
    pub since: Vec<crate::governance::SinceOut>,
    /// The members the project lists (eligible voters of its proposals), in byte order.
    #[serde(default)]
    pub members: Vec<String>,
}

operation!(ShowProject => ProjectShow, Get "/api/v1/projects/{project}", "projects",
    "A project: currency, approvals, valuation policy and the plan in force");

impl Read for ShowProject {
    fn view(&self, state: &State, _: &Reading) -> OpResult<ProjectShow> {
        let project = state.project(&self.project)?;
        Ok(ProjectShow {
            project: project.slug.to_string(),
            name: project.name.clone(),
            currency: project.currency.clone(),
            exponent: project.exponent,
            approvals: project.approvals_required,
            plan_version: project.plan_version(),
            contributions: project.contributions as usize,
            distributions: state
                .distributions()
                .iter()
                .filter(|d| *d.project == *project.slug)
                .count(),
            policy: PolicyOut::of(&project.policy),
            plan: PlanOut::of(project, project.plan_version(), project.plan()),
            since: crate::governance::rules_since(state, Some(&project.slug)),
            members: crate::membership::listed_members(project),
        })
    }
}

/// The policy now in force, after a change.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicySet {
    pub project: String,
    pub currency: String,
    pub policy: PolicyOut,
}

impl PolicySet {
    fn of(state: &State, project: &str) -> OpResult<PolicySet> {
        let project = state.project(project)?;
        Ok(PolicySet {
            policy: PolicyOut::of(&project.policy),
            currency: project.currency.clone(),
            project: project.slug.to_string(),
        })
    }
}

// Changes of a project's valuation policy (custodians only): each answers the policy then in
// force.

project_change! {
    /// Sets the rate per hour of a work category (custodians only; applies to later
    /// contributions).
    SetRate {
        category: String,
        /// Rate per hour, e.g. `"45.00"`.
        #[cfg_attr(feature = "clap", arg(allow_negative_numbers = true))]
        per_hour: String,
    } => PolicySet, Put "/api/v1/projects/{project}/rates/{category}", "policy",
    "Sets the rate per hour of a work category (custodians only; applies to later contributions)"
}

project_change! {
    /// Sets an agent's skill factor in a project (custodians only).
    SetSkill {
        agent: String,
        /// A positive decimal, e.g. `"1.5"`.
        #[cfg_attr(feature = "clap", arg(allow_negative_numbers = true))]
        factor: String,
    } => PolicySet, Put "/api/v1/projects/{project}/skills/{agent}", "policy",
    "Sets an agent's skill factor in a project (custodians only)"
}

project_change! {
    /// Sets the multiplier of a contribution kind in a project (custodians only).
    SetMultiplier {
        kind: KindName,
        /// A positive decimal, e.g. `"2"`.
        #[cfg_attr(feature = "clap", arg(allow_negative_numbers = true))]
        factor: String,
    } => PolicySet, Put "/api/v1/projects/{project}/multipliers/{kind}", "policy",
    "Sets the multiplier of a contribution kind in a project (custodians only)"
}

project_change! {
    /// Makes contribution values halve every `half_life_days` days (custodians only).
    SetDecay {
        /// Contribution values halve every this many days.
        #[cfg_attr(feature = "clap", arg(long = "half-life", value_name = "DAYS", allow_negative_numbers = true))]
        half_life_days: String,
    } => PolicySet, Put "/api/v1/projects/{project}/decay", "policy",
    "Makes contribution values halve every half_life_days days (custodians only)",
    set => Command::SetHalfLife {
        project: set.project.clone(),
        days: Some(set.half_life_days.clone()),
    }
}

project_change! {
    /// Removes time decay (custodians only).
    RemoveDecay {} => PolicySet, Delete "/api/v1/projects/{project}/decay", "policy",
    "Removes time decay (custodians only)",
    remove => Command::SetHalfLife {
        project: remove.project.clone(),
        days: None,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValueChange {
    pub contribution: u64,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revalued {
    pub project: String,
    pub changed: Vec<ValueChange>,
}

/// Re-values every contribution of a project by its current policy: an explicit, logged
/// event (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct Revalue {
    pub project: String,
}

operation!(Revalue => Revalued, Post "/api/v1/projects/{project}/revalue", "policy",
    "Re-values every contribution of a project by its current policy: an explicit, logged event (custodians only)");

impl Write for Revalue {
    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::Revalue {
            project: self.project.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<Revalued> {
        let_outcome!(executed, Outcome::Revalued { changes });
        let exponent = state.project(&self.project)?.exponent;
        Ok(Revalued {
            project: self.project.clone(),
            changed: changes
                .iter()
                .map(|(id, value)| ValueChange {
                    contribution: *id,
                    value: value.display(exponent),
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Clock, Local, agents};

    /// ana (custodian) sets shop's approvals from 2 to 1; bob (affiliate) and 101 are refused,
    /// the number unchanged.
    #[test]
    fn set_approvals_answers_the_number_in_force() {
        let dir = tempfile::tempdir().expect("dir");
        let store =
            fairshare_sqlite::SqliteStore::open(&dir.path().join("book.db")).expect("store");
        let clock = Clock::new(Some("2026-11-21T10:00:00Z")).expect("clock");
        let mut book = Local::open(Box::new(store), clock).expect("book");
        for (handle, role) in [("ana", "custodian"), ("bob", "affiliate")] {
            let agent = serde_json::json!({"handle": handle, "role": role});
            let agent: agents::AddAgent = serde_json::from_value(agent).expect("agent");
            book.write("operator", None, &agent).expect("added");
        }
        let shop = AddProject {
            slug: "shop".into(),
            name: None,
            currency: "CAD".into(),
            exponent: 2,
            approvals: 2,
        };
        book.write("ana", None, &shop).expect("project");
        let set = |approvals| SetApprovals {
            project: "shop".into(),
            approvals,
        };
        let view = book.write("ana", None, &set(1)).expect("set");
        assert_eq!((view.project.as_str(), view.approvals), ("shop", 1));
        let refused = book.write("bob", None, &set(3)).unwrap_err();
        assert!(refused.to_string().contains("custodian"), "{refused}");
        let over = book.write("ana", None, &set(101)).unwrap_err();
        assert_eq!(over.to_string(), "at most 100 approvals may be required");
        let show = ShowProject {
            project: "shop".into(),
        };
        let shown = book.read(Some("ana"), &show).expect("show");
        assert_eq!(shown.approvals, 1);
        let since: Vec<&str> = shown.since.iter().map(|s| s.rule.as_str()).collect();
        assert!(since.contains(&"approvals"), "{since:?}");
    }
}
