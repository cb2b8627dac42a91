//! Joining, roles and proposed projects (issue 14): the clap types, the request each command
//! makes (`fairshare_ops::membership`), and the text of each view. See docs/MEMBERSHIP.md.

use std::fmt::Write as _;

use anyhow::Result;
use clap::Subcommand;
use fairshare_ops::agents::AgentRow;
use fairshare_ops::membership::{
    AddMember, AdmitAgent, AdmitProject, AskedOut, DeclineJoin, DeclineProject, JoinRequestOut,
    JoinRequestsOut, ListJoinRequests, ListProjectProposals, MembersOut, ProjectProposalOut,
    ProjectProposalsOut, ProposeProject, RemoveMember, RequestJoin, SetRole,
};

use crate::commands::out;
use crate::invocation::Invocation;
use crate::render::{Output, Table, Text, or_dash, page_table};

// ---------------------------------------------------------------------------------------------
// Arguments

#[derive(Debug, Subcommand)]
pub enum JoinCmd {
    /// Ask to join the network as HANDLE (anyone; `--as HANDLE` asks as the stranger themself)
    Request(RequestJoin),
    /// Admit a pending join request: the agent is added (custodians)
    Admit(AdmitAgent),
    /// Decline a pending join request, with a reason (custodians)
    Decline(DeclineJoin),
    /// List join requests, oldest first (custodians)
    List(ListJoinRequests),
}

#[derive(Debug, Subcommand)]
pub enum RoleCmd {
    /// Give an agent another role (custodians; never the last custodian's)
    Set(SetRole),
}

/// `project member add|remove PROJECT AGENT`.
#[derive(Debug, Subcommand)]
pub enum MemberCmd {
    /// List an agent as a member of a project, an eligible voter of its proposals
    /// (custodians, or by proposal; never an observer)
    Add(AddMember),
    /// Take an agent off a project's member list (custodians, or by proposal)
    Remove(RemoveMember),
}

/// `project propose`, `project admit`, `project decline`, `project proposals`.
#[derive(Debug, Subcommand)]
pub enum ProposalCmd {
    /// Propose a project (affiliates and custodians); a custodian admits or declines it
    Propose(ProposeProject),
    /// Admit a pending project proposal: the project is added (custodians)
    Admit(AdmitProject),
    /// Decline a pending project proposal, with a reason (custodians)
    Decline(DeclineProject),
    /// List project proposals, oldest first
    Proposals(ListProjectProposals),
}

// ---------------------------------------------------------------------------------------------
// Run

pub fn join(s: &Invocation, command: JoinCmd) -> Result<Box<dyn Output>> {
    match command {
        JoinCmd::Request(request) => out(s.write(&request)?),
        JoinCmd::Admit(request) => out(s.write(&request)?),
        JoinCmd::Decline(request) => out(s.write(&request)?),
        JoinCmd::List(request) => out(s.read(&request)?),
    }
}

pub fn role(s: &Invocation, command: RoleCmd) -> Result<Box<dyn Output>> {
    let RoleCmd::Set(request) = command;
    out(s.write(&request)?)
}

pub fn member(s: &Invocation, command: MemberCmd) -> Result<Box<dyn Output>> {
    match command {
        MemberCmd::Add(request) => out(s.write(&request)?),
        MemberCmd::Remove(request) => out(s.write(&request)?),
    }
}

pub fn proposal(s: &Invocation, command: ProposalCmd) -> Result<Box<dyn Output>> {
    match command {
        ProposalCmd::Propose(request) => out(s.write(&request)?),
        ProposalCmd::Admit(request) => out(s.write(&request)?),
        ProposalCmd::Decline(request) => out(s.write(&request)?),
        ProposalCmd::Proposals(request) => out(s.read(&request)?),
    }
}

// ---------------------------------------------------------------------------------------------
// Text

/// `  asked by X on DAY (event N)`, then who admitted or declined it and why.
fn asked_lines(asked: &AskedOut) -> String {
    let mut out = format!(
        "  asked by {} on {} (event {})\n",
        asked.requested_by, asked.date, asked.seq
    );
    if let Some(by) = &asked.reviewed_by {
        let _ = writeln!(out, "  {} by {by}", asked.status);
    }
    if let Some(reason) = &asked.reason {
        let _ = writeln!(out, "  reason: {reason}");
    }
    out
}

impl Text for JoinRequestOut {
    fn to_text(&self) -> String {
        let mut out = format!("join request of {}: {}", self.handle, self.asked.status);
        if let Some(role) = &self.role {
            let _ = write!(out, " as {role}");
        }
        out.push('\n');
        if let Some(name) = &self.name {
            let _ = writeln!(out, "  name: {name}");
        }
        if let Some(about) = &self.about {
            let _ = writeln!(out, "  about: {about}");
        }
        out + &asked_lines(&self.asked)
    }
}

impl Text for JoinRequestsOut {
    fn to_text(&self) -> String {
        let table = Table::new(&["handle", "date", "status", "name", "about"]);
        let rows = self.requests.iter().map(|r| {
            vec![
                r.handle.clone(),
                r.asked.date.clone(),
                r.asked.status.clone(),
                or_dash(r.name.as_deref()),
                or_dash(r.about.as_deref()),
            ]
        });
        page_table("no join requests", table, &self.page, rows)
    }
}

impl Text for MembersOut {
    fn to_text(&self) -> String {
        match self.members.is_empty() {
            true => format!("{} lists no members\n", self.project),
            false => format!("{} lists: {}\n", self.project, self.members.join(", ")),
        }
    }
}

impl Text for AgentRow {
    fn to_text(&self) -> String {
        format!("{} is now {}\n", self.handle, self.role)
    }
}

impl Text for ProjectProposalOut {
    fn to_text(&self) -> String {
        let mut out = format!(
            "project proposal {} ({}, {} decimals, approvals {}): {}\n",
            self.slug, self.currency, self.exponent, self.approvals, self.asked.status
        );
        if let Some(name) = &self.name {
            let _ = writeln!(out, "  name: {name}");
        }
        if let Some(about) = &self.about {
            let _ = writeln!(out, "  about: {about}");
        }
        out + &asked_lines(&self.asked)
    }
}

impl Text for ProjectProposalsOut {
    fn to_text(&self) -> String {
        let table = Table::new(&["slug", "currency", "date", "by", "status", "about"]);
        let rows = self.proposals.iter().map(|p| {
            vec![
                p.slug.clone(),
                p.currency.clone(),
                p.asked.date.clone(),
                p.asked.requested_by.clone(),
                p.asked.status.clone(),
                or_dash(p.about.as_deref()),
            ]
        });
        page_table("no project proposals", table, &self.page, rows)
    }
}
