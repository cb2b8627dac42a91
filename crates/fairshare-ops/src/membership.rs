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
use crate::page::{Page, PageInfo};

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
pub struct RequestJoin {
    /// The handle asked for: lower-case letters, digits, `-` and `_`.
    pub handle: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Who they are and why they join.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
}

operation!(RequestJoin => JoinRequestOut, Post "/api/v1/join", "membership",
    "Asks to join the network (anyone, without a key: rate-limited per client address)");

impl Write for RequestJoin {
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

/// Join requests, oldest first: the pending ones unless `status` says otherwise (custodians
/// only: they hold what strangers wrote about themselves).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ListJoinRequests {
    /// pending (the default), admitted, declined or all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Rows in the page (default 100, at most 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// Rows to skip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JoinRequestsOut {
    #[serde(flatten)]
    pub page: PageInfo,
    pub requests: Vec<JoinRequestOut>,
}

operation!(ListJoinRequests => JoinRequestsOut, Get "/api/v1/join", "membership",
    "Join requests, oldest first; pending unless status says otherwise (custodians only)");

impl Read for ListJoinRequests {
    fn view(&self, state: &State, reader: &Reading) -> OpResult<JoinRequestsOut> {
        if reader.role != Some(Role::Custodian) {
            return Err(DomainError::forbidden(
                "only custodians may list join requests: they hold what strangers wrote \
                 about themselves",
            )
            .into());
        }
        let page = Page::new(self.limit, self.offset)?;
        let status = status_filter(self.status.as_deref())?;
        let requests = state
            .join_requests()
            .iter()
            .filter(|r| status.is_none_or(|s| r.asked.status == s));
        let (page, requests) = page.list(requests, JoinRequestOut::of);
        Ok(JoinRequestsOut { page, requests })
    }
}

/// Admits a pending join request: the agent is added with `role` (affiliate by default).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdmitAgent {
    pub handle: String,
    /// custodian, affiliate (the default) or observer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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

/// Declines a pending join request, with a reason.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeclineJoin {
    pub handle: String,
    pub reason: String,
}

operation!(DeclineJoin => JoinRequestOut, Post "/api/v1/join/{handle}/decline", "membership",
    "Declines a pending join request, with a reason");

impl Write for DeclineJoin {
    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::DeclineJoin {
            handle: self.handle.clone(),
            reason: self.reason.clone(),
        })
    }

    fn view(&self, state: &State, _: &Executed) -> OpResult<JoinRequestOut> {
        Ok(JoinRequestOut::of(state.join_request(&self.handle)?))
    }
}

// ---------------------------------------------------------------------------------------------
// Roles

/// Gives an agent another role (custodians only; the last custodian is never demoted).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetRole {
    pub handle: String,
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
pub struct ProposeProject {
    pub slug: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Asset code of the project's currency, e.g. `CAD`.
    pub currency: String,
    /// Decimals of the currency (default 2).
    #[serde(default = "two")]
    pub exponent: u32,
    /// Approvals a contribution needs before it counts (default 0).
    #[serde(default)]
    pub approvals: u32,
    /// What the project is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
}

operation!(ProposeProject => ProjectProposalOut, Post "/api/v1/project-proposals", "membership",
    "Proposes a project (an affiliate or a custodian); a custodian admits or declines it");

impl Write for ProposeProject {
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

/// Project proposals, oldest first: the pending ones unless `status` says otherwise.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ListProjectProposals {
    /// pending (the default), admitted, declined or all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectProposalsOut {
    #[serde(flatten)]
    pub page: PageInfo,
    pub proposals: Vec<ProjectProposalOut>,
}

operation!(ListProjectProposals => ProjectProposalsOut, Get "/api/v1/project-proposals",
    "membership", "Project proposals, oldest first; pending unless status says otherwise");

impl Read for ListProjectProposals {
    fn view(&self, state: &State, _: &Reading) -> OpResult<ProjectProposalsOut> {
        let page = Page::new(self.limit, self.offset)?;
        let status = status_filter(self.status.as_deref())?;
        let proposals = state
            .project_proposals()
            .iter()
            .filter(|p| status.is_none_or(|s| p.asked.status == s));
        let (page, proposals) = page.list(proposals, ProjectProposalOut::of);
        Ok(ProjectProposalsOut { page, proposals })
    }
}

/// Admits a pending project proposal: the project is added as `project add` adds one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdmitProject {
    pub slug: String,
}

operation!(AdmitProject => ProjectProposalOut, Post "/api/v1/project-proposals/{slug}/admit",
    "membership", "Admits a pending project proposal: the project is added");

impl Write for AdmitProject {
    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::AdmitProject {
            slug: self.slug.clone(),
        })
    }

    fn view(&self, state: &State, _: &Executed) -> OpResult<ProjectProposalOut> {
        Ok(ProjectProposalOut::of(state.project_proposal(&self.slug)?))
    }
}

/// Declines a pending project proposal, with a reason.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeclineProject {
    pub slug: String,
    pub reason: String,
}

operation!(DeclineProject => ProjectProposalOut, Post "/api/v1/project-proposals/{slug}/decline",
    "membership", "Declines a pending project proposal, with a reason");

impl Write for DeclineProject {
    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::DeclineProject {
            slug: self.slug.clone(),
            reason: self.reason.clone(),
        })
    }

    fn view(&self, state: &State, _: &Executed) -> OpResult<ProjectProposalOut> {
        Ok(ProjectProposalOut::of(state.project_proposal(&self.slug)?))
    }
}

#[cfg(test)]
mod tests;
