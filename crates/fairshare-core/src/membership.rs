//! Membership: joining the network, roles, and projects proposed by members (issue 14).
//!
//! - **Joining.** Anyone asks to join (`RequestJoin`): an agent may ask for someone else, and
//!   someone who is no agent yet asks for themself — the event's actor is then the handle they
//!   ask for (the core has no anonymous actor: the front end that lets a stranger in records
//!   them under the name they chose, and nothing else is allowed to an actor who is no agent).
//!   A custodian admits the request (`AdmitAgent`: the agent is added exactly as `AddAgent`
//!   adds one, an affiliate unless another role is given) or declines it with a reason.
//! - **Roles.** A custodian gives an agent another role (`SetRole`); the last custodian is
//!   never demoted, so the network always has someone who may admit and decide.
//! - **Projects.** An affiliate or a custodian proposes a project (`ProposeProject`, checked
//!   as `AddProject` checks one); a custodian admits it (added exactly as `AddProject` adds
//!   one) or declines it with a reason.
//!
//! At most [`PENDING_MAX`] join requests (and as many project proposals) wait at once, so
//! that strangers cannot grow the book without bound before a custodian looks.

use std::collections::BTreeMap;

use crate::command::{Command, Outcome};
use crate::corrections::check_reason;
use crate::date::Date;
use crate::engine::unfit;
use crate::error::{About, DomainError, DomainResult, Field};
use crate::model::{Role, check_optional_text, check_text, parse_status};
use crate::roles::{observers_only_read, require_custodian};
use crate::state::{Ctx, State};

/// Most join requests (and, separately, project proposals) waiting for a custodian at once.
pub const PENDING_MAX: usize = 1_000;

/// Where a join request or a project proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Admission {
    Pending,
    Admitted,
    Declined,
}

impl Admission {
    pub const ALL: [Admission; 3] = [Admission::Pending, Admission::Admitted, Admission::Declined];

    pub fn as_str(self) -> &'static str {
        match self {
            Admission::Pending => "pending",
            Admission::Admitted => "admitted",
            Admission::Declined => "declined",
        }
    }
}

impl std::str::FromStr for Admission {
    type Err = DomainError;
    fn from_str(text: &str) -> DomainResult<Admission> {
        parse_status(&Admission::ALL, Admission::as_str, text)
    }
}

/// Who asked, when, and what a custodian decided.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Asked {
    /// The actor of the request (for a stranger: the handle they asked for).
    pub by: String,
    pub seq: u64,
    pub date: Date,
    pub status: Admission,
    /// The custodian who admitted or declined it.
    pub reviewed_by: Option<String>,
    /// Why it was declined.
    pub reason: Option<String>,
}

impl Asked {
    fn new(ctx: &Ctx) -> Asked {
        Asked {
            by: ctx.actor.clone(),
            seq: ctx.seq,
            date: ctx.date,
            status: Admission::Pending,
            reviewed_by: None,
            reason: None,
        }
    }
}

/// A request to join the network.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JoinRequest {
    pub handle: String,
    pub name: Option<String>,
    pub about: Option<String>,
    /// The role given on admission.
    pub role: Option<Role>,
    pub asked: Asked,
}

/// A project proposed by a member.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProjectProposal {
    pub slug: String,
    pub name: Option<String>,
    pub currency: String,
    pub exponent: u32,
    pub approvals: u32,
    pub about: Option<String>,
    pub asked: Asked,
}

/// A join request or a project proposal, as its queue sees it.
pub(crate) trait Queued {
    /// `join request` or `project proposal`, for messages.
    const WHAT: &'static str;
    /// The request field that names it: `handle` or `slug`.
    const FIELD: &'static str;
    fn name(&self) -> &str;
    fn asked(&self) -> &Asked;
    fn asked_mut(&mut self) -> &mut Asked;
}

impl Queued for JoinRequest {
    const WHAT: &'static str = "join request";
    const FIELD: &'static str = "handle";
    fn name(&self) -> &str {
        &self.handle
    }
    fn asked(&self) -> &Asked {
        &self.asked
    }
    fn asked_mut(&mut self) -> &mut Asked {
        &mut self.asked
    }
}

impl Queued for ProjectProposal {
    const WHAT: &'static str = "project proposal";
    const FIELD: &'static str = "slug";
    fn name(&self) -> &str {
        &self.slug
    }
    fn asked(&self) -> &Asked {
        &self.asked
    }
    fn asked_mut(&mut self) -> &mut Asked {
        &mut self.asked
    }
}

/// Requests in the order they were made, the latest per name, and how many wait.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Queue<T> {
    items: Vec<T>,
    latest: BTreeMap<String, usize>,
    pending: usize,
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Queue {
            items: Vec::new(),
            latest: BTreeMap::new(),
            pending: 0,
        }
    }
}

impl<T: Queued> Queue<T> {
    pub fn all(&self) -> &[T] {
        &self.items
    }

    /// The latest request for `name`, whatever became of it.
    pub fn latest(&self, name: &str) -> Option<&T> {
        self.latest.get(name).map(|&i| &self.items[i])
    }

    /// The pending request for `name`.
    fn pending(&self, name: &str) -> Option<&T> {
        self.latest(name)
            .filter(|item| item.asked().status == Admission::Pending)
    }

    /// The pending request for `name`, or a refusal naming the field.
    fn require_pending(&self, name: &str) -> DomainResult<&T> {
        self.pending(name).ok_or_else(|| {
            DomainError::not_found(format!("no pending {} for {name:?}", T::WHAT))
                .field(T::FIELD)
                .value(name)
        })
    }

    /// Refuses a second pending request for `name`, and one past [`PENDING_MAX`].
    fn check_room(&self, name: &str) -> DomainResult<()> {
        if let Some(item) = self.pending(name) {
            return Err(DomainError::conflict(format!(
                "{name:?} has a pending {} already (event {}): a custodian admits or declines it",
                T::WHAT,
                item.asked().seq
            ))
            .field(T::FIELD)
            .value(name));
        }
        if self.pending >= PENDING_MAX {
            return Err(DomainError::conflict(format!(
                "{PENDING_MAX} {}s are waiting already: a custodian must admit or decline some first",
                T::WHAT
            ))
            .field(T::FIELD)
            .value(name)
            .limit(format!("{PENDING_MAX} pending")));
        }
        Ok(())
    }

    fn push(&mut self, item: T) {
        debug_assert_eq!(item.asked().status, Admission::Pending);
        self.latest
            .insert(item.name().to_string(), self.items.len());
        self.items.push(item);
        self.pending += 1;
    }

    /// Closes the pending request for `name`; `None` when there is none (a forged outcome).
    fn close(
        &mut self,
        name: &str,
        status: Admission,
        by: &str,
        reason: Option<&str>,
    ) -> Option<&mut T> {
        let index = *self.latest.get(name)?;
        let item = &mut self.items[index];
        let asked = item.asked_mut();
        if asked.status != Admission::Pending {
            return None;
        }
        asked.status = status;
        asked.reviewed_by = Some(by.to_string());
        asked.reason = reason.map(str::to_string);
        self.pending -= 1;
        Some(item)
    }
}

/// Join requests and project proposals.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Membership {
    pub(crate) joins: Queue<JoinRequest>,
    pub(crate) projects: Queue<ProjectProposal>,
}

/// A project proposal's fields, borrowed from its command.
pub(crate) struct ProposalRequest<'a> {
    pub slug: &'a str,
    pub name: Option<&'a str>,
    pub currency: &'a str,
    pub exponent: u32,
    pub approvals: u32,
    pub about: Option<&'a str>,
}

fn check_about(about: Option<&str>) -> DomainResult<()> {
    about.map_or(Ok(()), |about| check_text(Field::named("about"), about))
}

/// "a custodian", "an affiliate", "an observer".
fn with_article(role: Role) -> String {
    match role {
        Role::Affiliate | Role::Observer => format!("an {role}"),
        Role::Custodian => format!("a {role}"),
    }
}

impl State {
    /// A request to join by an actor who is no agent yet: the one command such an actor may
    /// make, for themself only.
    pub(crate) fn decide_stranger(&self, ctx: &Ctx, command: &Command) -> DomainResult<Outcome> {
        match command {
            Command::RequestJoin {
                handle,
                name,
                about,
            } => self.decide_request_join(ctx, handle, name.as_deref(), about.as_deref()),
            _ => Err(DomainError::corrupt(format!(
                "{} is not a request to join",
                command.op()
            ))),
        }
    }

    /// Decides a membership command for an agent of `role`.
    pub(crate) fn decide_membership(
        &self,
        ctx: &Ctx,
        role: Role,
        command: &Command,
    ) -> DomainResult<Outcome> {
        match command {
            Command::RequestJoin { .. } => self.decide_stranger(ctx, command),
            Command::AdmitAgent { handle, .. } => self.decide_admit_agent(ctx, role, handle),
            Command::DeclineJoin { handle, reason } => self.decide_decline(
                role,
                &self.membership.joins,
                handle,
                reason,
                "join requests",
            ),
            Command::SetRole { handle, role: new } => self.decide_set_role(role, handle, *new),
            Command::ProposeProject { .. } => match ProposalRequest::of(command) {
                Some(proposal) => self.decide_propose_project(ctx, role, &proposal),
                None => Err(unfit(ctx, command.op())),
            },
            Command::AdmitProject { slug } => self.decide_admit_project(role, slug),
            Command::DeclineProject { slug, reason } => self.decide_decline(
                role,
                &self.membership.projects,
                slug,
                reason,
                "project proposals",
            ),
            Command::AddMember { project, agent } => self.decide_member(role, project, agent, true),
            Command::RemoveMember { project, agent } => {
                self.decide_member(role, project, agent, false)
            }
            _ => Err(DomainError::corrupt(format!(
                "{} is not a membership command",
                command.op()
            ))),
        }
    }

    /// Records a decided membership command (every one's outcome is `Done`).
    pub(crate) fn apply_membership(
        &mut self,
        ctx: &Ctx,
        command: &Command,
        outcome: &Outcome,
    ) -> DomainResult<()> {
        if *outcome != Outcome::Done {
            return Err(unfit(ctx, command.op()));
        }
        match command {
            Command::RequestJoin {
                handle,
                name,
                about,
            } => {
                self.apply_request_join(ctx, handle, name.as_deref(), about.as_deref());
                Ok(())
            }
            Command::AdmitAgent { handle, role } => self.apply_admit_agent(ctx, handle, *role),
            Command::DeclineJoin { handle, reason } => {
                let joins = &mut self.membership.joins;
                let closed = joins.close(handle, Admission::Declined, &ctx.actor, Some(reason));
                closed.map(|_| ()).ok_or_else(|| unfit(ctx, command.op()))
            }
            Command::SetRole { handle, role } => self.apply_set_role(ctx, handle, *role),
            Command::ProposeProject { .. } => match ProposalRequest::of(command) {
                Some(proposal) => {
                    self.apply_propose_project(ctx, &proposal);
                    Ok(())
                }
                None => Err(unfit(ctx, command.op())),
            },
            Command::AdmitProject { slug } => self.apply_admit_project(ctx, slug),
            Command::DeclineProject { slug, reason } => {
                let projects = &mut self.membership.projects;
                let closed = projects.close(slug, Admission::Declined, &ctx.actor, Some(reason));
                closed.map(|_| ()).ok_or_else(|| unfit(ctx, command.op()))
            }
            Command::AddMember { project, agent } => self.apply_member(ctx, project, agent, true),
            Command::RemoveMember { project, agent } => {
                self.apply_member(ctx, project, agent, false)
            }
            _ => Err(unfit(ctx, command.op())),
        }
    }

    // --- RequestJoin ---

    fn decide_request_join(
        &self,
        ctx: &Ctx,
        handle: &str,
        name: Option<&str>,
        about: Option<&str>,
    ) -> DomainResult<Outcome> {
        if self.role_of(&ctx.actor).is_err() && ctx.actor != handle {
            return Err(DomainError::forbidden(format!(
                "unknown actor {:?}: someone who is no agent may only ask to join as themself, \
                 not as {handle:?}",
                ctx.actor
            ))
            .field("handle")
            .value(handle));
        }
        self.check_new_name(Field::named("handle"), handle)?;
        self.membership.joins.check_room(handle)?;
        check_optional_text(Field::named("name"), name)?;
        check_about(about)?;
        Ok(Outcome::Done)
    }

    fn apply_request_join(
        &mut self,
        ctx: &Ctx,
        handle: &str,
        name: Option<&str>,
        about: Option<&str>,
    ) {
        self.membership.joins.push(JoinRequest {
            handle: handle.to_string(),
            name: name.map(str::to_string),
            about: about.map(str::to_string),
            role: None,
            asked: Asked::new(ctx),
        });
    }

    // --- AdmitAgent ---

    fn decide_admit_agent(&self, ctx: &Ctx, role: Role, handle: &str) -> DomainResult<Outcome> {
        require_custodian(role, "admit agents")?;
        let request = self.membership.joins.require_pending(handle)?;
        // Exactly as `AddAgent`: the handle may have been taken (or one like it) since.
        self.decide_add_agent(ctx, role, handle, request.name.as_deref())
    }

    fn apply_admit_agent(
        &mut self,
        ctx: &Ctx,
        handle: &str,
        given: Option<Role>,
    ) -> DomainResult<()> {
        let role = given.unwrap_or(Role::Affiliate);
        let joins = &mut self.membership.joins;
        let Some(request) = joins.close(handle, Admission::Admitted, &ctx.actor, None) else {
            return Err(unfit(ctx, "admit_agent"));
        };
        request.role = Some(role);
        let name = request.name.clone();
        debug_assert!(self.name_taken(handle).is_none());
        self.apply_add_agent(handle, name.as_deref(), role)
    }

    // --- DeclineJoin, DeclineProject ---

    fn decide_decline<T: Queued>(
        &self,
        role: Role,
        queue: &Queue<T>,
        name: &str,
        reason: &str,
        what: &str,
    ) -> DomainResult<Outcome> {
        require_custodian(role, &format!("decline {what}"))?;
        queue.require_pending(name)?;
        check_reason(reason, "declining needs a reason")?;
        Ok(Outcome::Done)
    }

    // --- SetRole ---

    fn decide_set_role(&self, role: Role, handle: &str, new: Role) -> DomainResult<Outcome> {
        require_custodian(role, "set roles")?;
        let agent = self.agent(handle).about_value("handle", handle)?;
        if agent.role == new {
            return Err(DomainError::conflict(format!(
                "{handle} is {} already",
                with_article(new)
            ))
            .field("role")
            .value(new.as_str()));
        }
        if agent.role == Role::Custodian && self.custodians() == 1 {
            return Err(DomainError::conflict(format!(
                "the last custodian cannot be demoted: {handle} is the only custodian; \
                 make another agent a custodian first"
            ))
            .field("role")
            .value(new.as_str()));
        }
        Ok(Outcome::Done)
    }

    fn apply_set_role(&mut self, ctx: &Ctx, handle: &str, role: Role) -> DomainResult<()> {
        match self.agents.get_mut(handle) {
            Some(agent) => {
                agent.role = role;
                Ok(())
            }
            None => Err(unfit(ctx, "set_role")),
        }
    }

    /// How many agents are custodians.
    fn custodians(&self) -> usize {
        self.agents
            .values()
            .filter(|a| a.role == Role::Custodian)
            .count()
    }

    // --- ProposeProject ---

    fn decide_propose_project(
        &self,
        ctx: &Ctx,
        role: Role,
        p: &ProposalRequest,
    ) -> DomainResult<Outcome> {
        observers_only_read(role, &ctx.actor, "propose projects")?;
        self.check_new_project(p.slug, p.name, p.currency, p.exponent, p.approvals)?;
        self.membership.projects.check_room(p.slug)?;
        check_about(p.about)?;
        Ok(Outcome::Done)
    }

    fn apply_propose_project(&mut self, ctx: &Ctx, p: &ProposalRequest) {
        self.membership.projects.push(ProjectProposal {
            slug: p.slug.to_string(),
            name: p.name.map(str::to_string),
            currency: p.currency.to_string(),
            exponent: p.exponent,
            approvals: p.approvals,
            about: p.about.map(str::to_string),
            asked: Asked::new(ctx),
        });
    }

    // --- AdmitProject ---

    fn decide_admit_project(&self, role: Role, slug: &str) -> DomainResult<Outcome> {
        require_custodian(role, "admit projects")?;
        let p = self.membership.projects.require_pending(slug)?;
        // Exactly as `AddProject`: the slug or the currency's exponent may have been taken.
        let name = p.name.as_deref();
        self.decide_add_project(role, slug, name, &p.currency, p.exponent, p.approvals)
    }

    fn apply_admit_project(&mut self, ctx: &Ctx, slug: &str) -> DomainResult<()> {
        let projects = &mut self.membership.projects;
        let Some(p) = projects.close(slug, Admission::Admitted, &ctx.actor, None) else {
            return Err(unfit(ctx, "admit_project"));
        };
        let (name, currency) = (p.name.clone(), p.currency.clone());
        let (exponent, approvals) = (p.exponent, p.approvals);
        self.apply_add_project(ctx, slug, name.as_deref(), &currency, exponent, approvals)
    }

    // --- AddMember / RemoveMember ---

    /// Lists (`add`) or unlists an agent as a member of a project. An observer is never
    /// listed: listed members vote on the project's proposals, and observers do not.
    fn decide_member(
        &self,
        role: Role,
        project: &str,
        agent: &str,
        add: bool,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "list a project's members")?;
        let record = self.project(project).about_value("project", project)?;
        let listed = record.members.contains(agent);
        if !add {
            if !listed {
                return Err(DomainError::not_found(format!(
                    "{agent} is not a member {project} lists"
                ))
                .field("agent")
                .value(agent));
            }
            return Ok(Outcome::Done);
        }
        let found = self.agent(agent).about_value("agent", agent)?;
        if found.role == Role::Observer {
            return Err(DomainError::forbidden(format!(
                "{agent} is an observer: observers neither propose nor vote, so a project \
                 does not list them as members; give {agent} another role first"
            ))
            .field("agent")
            .value(agent));
        }
        if listed {
            return Err(DomainError::conflict(format!(
                "{agent} is already a member {project} lists"
            ))
            .field("agent")
            .value(agent));
        }
        Ok(Outcome::Done)
    }

    fn apply_member(
        &mut self,
        ctx: &Ctx,
        project: &str,
        agent: &str,
        add: bool,
    ) -> DomainResult<()> {
        let op = if add { "add_member" } else { "remove_member" };
        if add && !self.agents.contains_key(agent) {
            return Err(unfit(ctx, op));
        }
        let record = self
            .projects
            .get_mut(project)
            .ok_or_else(|| unfit(ctx, op))?;
        let changed = if add {
            record.members.insert(std::sync::Arc::from(agent))
        } else {
            record.members.remove(agent)
        };
        if !changed {
            return Err(unfit(ctx, op));
        }
        Ok(())
    }

    // --- queries ---

    /// Join requests, in the order they were made.
    pub fn join_requests(&self) -> &[JoinRequest] {
        self.membership.joins.all()
    }

    /// The latest join request for `handle`.
    pub fn join_request(&self, handle: &str) -> DomainResult<&JoinRequest> {
        self.membership.joins.latest(handle).ok_or_else(|| {
            DomainError::not_found(format!("no join request for {handle:?}"))
                .field("handle")
                .value(handle)
        })
    }

    /// Project proposals, in the order they were made.
    pub fn project_proposals(&self) -> &[ProjectProposal] {
        self.membership.projects.all()
    }

    /// The latest proposal of project `slug`.
    pub fn project_proposal(&self, slug: &str) -> DomainResult<&ProjectProposal> {
        self.membership.projects.latest(slug).ok_or_else(|| {
            DomainError::not_found(format!("no project proposal for {slug:?}"))
                .field("slug")
                .value(slug)
        })
    }
}

impl<'a> ProposalRequest<'a> {
    pub(crate) fn of(command: &'a Command) -> Option<ProposalRequest<'a>> {
        match command {
            Command::ProposeProject {
                slug,
                name,
                currency,
                exponent,
                approvals,
                about,
            } => Some(ProposalRequest {
                slug,
                name: name.as_deref(),
                currency,
                exponent: *exponent,
                approvals: *approvals,
                about: about.as_deref(),
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
