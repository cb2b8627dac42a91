//! Joining the network, roles, and projects proposed by members (docs/MEMBERSHIP.md).
//!
//! A stranger asks to join without a key ([`RequestJoin`] is the one write a front end may
//! run for nobody: [`Write::stranger`] names the actor it is recorded under, the handle asked
//! for); a custodian lists the pending requests and admits or declines them; a custodian sets
//! roles; a member proposes a project, which a custodian admits or declines.

use fairshare_book::Executed;
use fairshare_core::{
    Admission, Asked, Command, DomainError, JoinRequest, ProjectProposal, Role, State,
};
use serde::{Deserialize, Serialize};

use crate::agents::{AgentRow, RoleName};
use crate::error::OpResult;
use crate::op::{Read, Reading, Write};
use crate::page::Page;

/// The default decimals of a proposed project's currency.
fn two() -> u32 {
    2
}

/// The status a list shows: `pending` unless another (or `all`) is asked for.
fn status_filter(status: Option<&str>) -> OpResult<Option<Admission>> {
    match status.unwrap_or("pending") {
        "all" => Ok(None),
        other => Ok(Some(other.parse::<Admission>().map_err(|e| {
            e.with_message(format!(
                "unknown status {other:?}: use pending, admitted, declined or all"
            ))
        })?)),
    }
}

/// A list of join requests or project proposals: the request (`status`, pending by
/// default, and a page), its view (`$rows`: the page's rows), and its route.
macro_rules! listing {
    ($(#[$doc:meta])* $op:ident => $view:ident { $rows:ident: $row:ident },
        $path:literal, $summary:literal) => {
        paged_list! {
            $(#[$doc])*
            $op {
                /// pending (the default), admitted, declined or all.
                #[serde(default, skip_serializing_if = "Option::is_none")]
                #[cfg_attr(feature = "clap", arg(long, value_name = "STATUS"))]
                status: Option<String>
            } => $view { $rows: $row }, $path, "membership", $summary
        }

        impl $op {
            /// The page of `items` whose status is asked for, as rows.
            fn list<'a, T: 'a>(
                &self,
                items: &'a [T],
                asked: impl Fn(&T) -> &Asked,
                row: impl FnMut(&'a T) -> $row,
            ) -> OpResult<$view> {
                let page = Page::new(self.limit, self.offset)?;
                let status = status_filter(self.status.as_deref())?;
                let shown = items
                    .iter()
                    .filter(|item| status.is_none_or(|s| asked(item).status == s));
                let (page, $rows) = page.list(shown, row);
                Ok($view { page, $rows })
            }
        }
    };
}

/// Who asked, when, and what a custodian decided.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AskedOut {
    /// The actor of the request (a stranger is recorded under the handle they asked for).
    pub requested_by: String,
    /// The event that asked.
    pub seq: u64,
    /// The day it was asked.
    pub date: String,
    /// pending, admitted or declined.
    pub status: String,
    /// The custodian who admitted or declined it.
    pub reviewed_by: Option<String>,
    /// Why it was declined.
    pub reason: Option<String>,
}

impl AskedOut {
    fn of(asked: &Asked) -> AskedOut {
        AskedOut {
            requested_by: asked.by.clone(),
            seq: asked.seq,
            date: asked.date.to_string(),
            status: asked.status.as_str().to_string(),
            reviewed_by: asked.reviewed_by.clone(),
            reason: asked.reason.clone(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Joining

/// A request to join the network and what became of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JoinRequestOut {
    pub handle: String,
    pub name: Option<String>,
    /// Who they are and why they join, in their words.
    pub about: Option<String>,
    /// The role given on admission.
    pub role: Option<String>,
    #[serde(flatten)]
    pub asked: AskedOut,
}

impl JoinRequestOut {
    pub fn of(request: &JoinRequest) -> JoinRequestOut {
        JoinRequestOut {
            handle: request.handle.clone(),
            name: request.name.clone(),
            about: request.about.clone(),
            role: request.role.map(|r| r.as_str().to_string()),
            asked: AskedOut::of(&request.asked),
        }
    }
}

/// Asks to join the network as `handle`. Anyone may ask, without a key: the request is
/// recorded with the handle as its actor (a member who asks for someone else is recorded as
/// themself).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct RequestJoin {
    /// The handle asked for: lower-case letters, digits, `-` and `_`.
    pub handle: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "TEXT"))]
    pub name: Option<String>,
    /// Who they are and why they join.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "TEXT"))]
    pub about: Option<String>,
}

operation!(RequestJoin => JoinRequestOut, Post "/api/v1/join", "membership",
    "Asks to join the network (anyone, without a key: rate-limited per client address)");

impl Write for RequestJoin {
    const NAMES_EXISTING: bool = false;
    const REFUSES_ROLES: bool = false;

    const CREATES: bool = true;

    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::RequestJoin {
            handle: self.handle.clone(),
            name: self.name.clone(),
            about: self.about.clone(),
        })
    }

    fn stranger(&self) -> Option<&str> {
        Some(&self.handle)
    }

    fn view(&self, state: &State, _: &Executed) -> OpResult<JoinRequestOut> {
        Ok(JoinRequestOut::of(state.join_request(&self.handle)?))
    }
}

listing! {
    /// Join requests, oldest first: the pending ones unless `status` says otherwise
    /// (custodians only: they hold what strangers wrote about themselves).
    ListJoinRequests => JoinRequestsOut { requests: JoinRequestOut }, "/api/v1/join",
        "Join requests, oldest first; pending unless status says otherwise (custodians only)"
}

impl Read for ListJoinRequests {
    const NAMES_EXISTING: bool = false;
    const REFUSES_ROLES: bool = true;

    fn view(&self, state: &State, reader: &Reading) -> OpResult<JoinRequestsOut> {
        if reader.role != Some(Role::Custodian) {
            return Err(DomainError::forbidden(
                "only custodians may list join requests: they hold what strangers wrote \
                 about themselves",
            )
            .into());
        }
        self.list(state.join_requests(), |r| &r.asked, JoinRequestOut::of)
    }
}

/// Admits a pending join request: the agent is added with `role` (affiliate by default).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct AdmitAgent {
    pub handle: String,
    /// custodian, affiliate (the default) or observer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_enum))]
    pub role: Option<RoleName>,
}

operation!(AdmitAgent => JoinRequestOut, Post "/api/v1/join/{handle}/admit", "membership",
    "Admits a pending join request: the agent is added, an affiliate unless role says otherwise");

impl Write for AdmitAgent {
    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::AdmitAgent {
            handle: self.handle.clone(),
            role: self.role.map(Role::from),
        })
    }

    fn view(&self, state: &State, _: &Executed) -> OpResult<JoinRequestOut> {
        Ok(JoinRequestOut::of(state.join_request(&self.handle)?))
    }
}

review! {
    /// Declines a pending join request, with a reason.
    DeclineJoin { handle: String, reason } => JoinRequestOut,
        "/api/v1/join/{handle}/decline", "membership",
        "Declines a pending join request, with a reason",
    |state, decline, _| Ok(JoinRequestOut::of(state.join_request(&decline.handle)?))
}

// ---------------------------------------------------------------------------------------------
// Roles

/// Gives an agent another role (custodians only; the last custodian is never demoted).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct SetRole {
    pub handle: String,
    #[cfg_attr(feature = "clap", arg(value_enum))]
    pub role: RoleName,
}

operation!(SetRole => AgentRow, Post "/api/v1/agents/{handle}/role", "membership",
    "Gives an agent another role (custodians only; never demotes the last custodian)");

impl Write for SetRole {
    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::SetRole {
            handle: self.handle.clone(),
            role: self.role.into(),
        })
    }

    fn view(&self, state: &State, _: &Executed) -> OpResult<AgentRow> {
        Ok(AgentRow::of(state.agent(&self.handle)?))
    }
}

// ---------------------------------------------------------------------------------------------
// Proposed projects

/// A proposed project and what became of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectProposalOut {
    pub slug: String,
    pub name: Option<String>,
    pub currency: String,
    pub exponent: u32,
    pub approvals: u32,
    pub about: Option<String>,
    #[serde(flatten)]
    pub asked: AskedOut,
}

impl ProjectProposalOut {
    pub fn of(p: &ProjectProposal) -> ProjectProposalOut {
        ProjectProposalOut {
            slug: p.slug.clone(),
            name: p.name.clone(),
            currency: p.currency.clone(),
            exponent: p.exponent,
            approvals: p.approvals,
            about: p.about.clone(),
            asked: AskedOut::of(&p.asked),
        }
    }
}

/// Proposes a project (an affiliate or a custodian), checked as `project add` checks one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ProposeProject {
    pub slug: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "TEXT"))]
    pub name: Option<String>,
    /// Asset code of the project's currency, e.g. `CAD`.
    #[cfg_attr(feature = "clap", arg(long, value_name = "CODE"))]
    pub currency: String,
    /// Decimals of the currency (default 2).
    #[serde(default = "two")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "N", default_value_t = 2))]
    pub exponent: u32,
    /// Approvals a contribution needs before it counts (default 0).
    #[serde(default)]
    #[cfg_attr(feature = "clap", arg(long, value_name = "N", default_value_t = 0))]
    pub approvals: u32,
    /// What the project is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "TEXT"))]
    pub about: Option<String>,
}

operation!(ProposeProject => ProjectProposalOut, Post "/api/v1/project-proposals", "membership",
    "Proposes a project (an affiliate or a custodian); a custodian admits or declines it");

impl Write for ProposeProject {
    const NAMES_EXISTING: bool = false;
    const CREATES: bool = true;

    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::ProposeProject {
            slug: self.slug.clone(),
            name: self.name.clone(),
            currency: self.currency.clone(),
            exponent: self.exponent,
            approvals: self.approvals,
            about: self.about.clone(),
        })
    }

    fn view(&self, state: &State, _: &Executed) -> OpResult<ProjectProposalOut> {
        Ok(ProjectProposalOut::of(state.project_proposal(&self.slug)?))
    }
}

listing! {
    /// Project proposals, oldest first: the pending ones unless `status` says otherwise.
    ListProjectProposals => ProjectProposalsOut { proposals: ProjectProposalOut },
        "/api/v1/project-proposals",
        "Project proposals, oldest first; pending unless status says otherwise"
}

impl Read for ListProjectProposals {
    const NAMES_EXISTING: bool = false;
    fn view(&self, state: &State, _: &Reading) -> OpResult<ProjectProposalsOut> {
        self.list(
            state.project_proposals(),
            |p| &p.asked,
            ProjectProposalOut::of,
        )
    }
}

review! {
    /// Admits a pending project proposal: the project is added as `project add` adds one.
    AdmitProject { slug: String } => ProjectProposalOut,
        "/api/v1/project-proposals/{slug}/admit", "membership",
        "Admits a pending project proposal: the project is added",
    |state, admit, _| Ok(ProjectProposalOut::of(state.project_proposal(&admit.slug)?))
}

review! {
    /// Declines a pending project proposal, with a reason.
    DeclineProject { slug: String, reason } => ProjectProposalOut,
        "/api/v1/project-proposals/{slug}/decline", "membership",
        "Declines a pending project proposal, with a reason",
    |state, decline, _| Ok(ProjectProposalOut::of(state.project_proposal(&decline.slug)?))
}

// ---------------------------------------------------------------------------------------------
// Members a project lists

// Changes of a project's member list: each answers the list now.

project_change! {
    /// Lists an agent as a member of a project: an eligible voter of its proposals even
    /// without a counted contribution (custodians, or by proposal; never an observer).
    AddMember { agent: String } => MembersOut, Post "/api/v1/projects/{project}/members",
    "membership",
    "Lists an agent as a member of a project, an eligible voter of its proposals (custodians or by proposal; never an observer)"
}

project_change! {
    /// Takes an agent off a project's member list (custodians, or by proposal).
    RemoveMember { agent: String } => MembersOut,
    Delete "/api/v1/projects/{project}/members/{agent}", "membership",
    "Takes an agent off a project's member list (custodians or by proposal)"
}

/// The members a project lists, in byte order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MembersOut {
    pub project: String,
    pub members: Vec<String>,
}

impl MembersOut {
    fn of(state: &State, project: &str) -> OpResult<MembersOut> {
        let project = state.project(project)?;
        Ok(MembersOut {
            project: project.slug.to_string(),
            members: listed_members(project),
        })
    }
}

/// The members a project lists, in byte order.
pub fn listed_members(project: &fairshare_core::Project) -> Vec<String> {
    project.members.iter().map(|m| m.to_string()).collect()
}

#[cfg(test)]
mod tests;
