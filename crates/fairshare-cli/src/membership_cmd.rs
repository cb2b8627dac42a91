//! Joining, roles and proposed projects (issue 14): the clap types, the request each command
//! makes (`fairshare_ops::membership`), and the text of each view. See docs/MEMBERSHIP.md.

use std::fmt::Write as _;

use anyhow::Result;
use clap::{Args, Subcommand};
use fairshare_core::Role;
use fairshare_ops::agents::{AgentRow, RoleName};
use fairshare_ops::membership::{
    AddMember, AdmitAgent, AdmitProject, AskedOut, DeclineJoin, DeclineProject, JoinRequestOut,
    JoinRequestsOut, ListJoinRequests, ListProjectProposals, MembersOut, ProjectProposalOut,
    ProjectProposalsOut, ProposeProject, RemoveMember, RequestJoin, SetRole,
};

use crate::args::Page;
use crate::commands::out;
use crate::invocation::Invocation;
use crate::render::{Output, Table, Text, or_dash, page_table};

// ---------------------------------------------------------------------------------------------
// Arguments

#[derive(Debug, Subcommand)]
pub enum JoinCmd {
    /// Ask to join the network as HANDLE (anyone; `--as HANDLE` asks as the stranger themself)
    Request {
        handle: String,
        #[arg(long, value_name = "TEXT")]
        name: Option<String>,
        /// Who they are and why they join
        #[arg(long, value_name = "TEXT")]
        about: Option<String>,
    },
    /// Admit a pending join request: the agent is added (custodians)
    Admit {
        handle: String,
        /// custodian, affiliate or observer [default: affiliate]
        #[arg(long)]
        role: Option<String>,
    },
    /// Decline a pending join request, with a reason (custodians)
    Decline {
        handle: String,
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// List join requests, oldest first (custodians)
    List(StatusArgs),
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// pending, admitted, declined or all [default: pending]
    #[arg(long)]
    status: Option<String>,
    #[command(flatten)]
    page: Page,
}

#[derive(Debug, Subcommand)]
pub enum RoleCmd {
    /// Give an agent another role (custodians; never the last custodian's)
    Set {
        handle: String,
        /// custodian, affiliate or observer
        role: String,
    },
}

/// `project member add|remove PROJECT AGENT`.
#[derive(Debug, Subcommand)]
pub enum MemberCmd {
    /// List an agent as a member of a project, an eligible voter of its proposals
    /// (custodians, or by proposal; never an observer)
    Add { project: String, agent: String },
    /// Take an agent off a project's member list (custodians, or by proposal)
    Remove { project: String, agent: String },
}

/// `project propose`, `project admit`, `project decline`, `project proposals`.
#[derive(Debug, Subcommand)]
pub enum ProposalCmd {
    /// Propose a project (affiliates and custodians); a custodian admits or declines it
    Propose {
        slug: String,
        #[arg(long, value_name = "CODE")]
        currency: String,
        /// Decimals of the currency
        #[arg(long, value_name = "N", default_value_t = 2)]
        exponent: u32,
        #[arg(long, value_name = "TEXT")]
        name: Option<String>,
        /// Approvals a contribution needs before it counts
        #[arg(long, value_name = "N", default_value_t = 0)]
        approvals: u32,
        /// What the project is for
        #[arg(long, value_name = "TEXT")]
        about: Option<String>,
    },
    /// Admit a pending project proposal: the project is added (custodians)
    Admit { slug: String },
    /// Decline a pending project proposal, with a reason (custodians)
    Decline {
        slug: String,
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// List project proposals, oldest first
    Proposals(StatusArgs),
}

// ---------------------------------------------------------------------------------------------
// Run

fn role_name(text: &str) -> Result<RoleName> {
    Ok(RoleName::from(text.parse::<Role>()?))
}

pub fn join(s: &Invocation, command: JoinCmd) -> Result<Box<dyn Output>> {
    match command {
        JoinCmd::Request {
            handle,
            name,
            about,
        } => out(s.write(&RequestJoin {
            handle,
            name,
            about,
        })?),
        JoinCmd::Admit { handle, role } => out(s.write(&AdmitAgent {
            handle,
            role: role.as_deref().map(role_name).transpose()?,
        })?),
        JoinCmd::Decline { handle, reason } => out(s.write(&DeclineJoin {
            handle,
            reason: reason.unwrap_or_default(),
        })?),
        JoinCmd::List(args) => out(s.read(&ListJoinRequests {
            status: args.status,
            limit: Some(args.page.limit),
            offset: Some(args.page.offset),
        })?),
    }
}

pub fn role(s: &Invocation, command: RoleCmd) -> Result<Box<dyn Output>> {
    match command {
        RoleCmd::Set { handle, role } => out(s.write(&SetRole {
            handle,
            role: role_name(&role)?,
        })?),
    }
}

pub fn member(s: &Invocation, command: MemberCmd) -> Result<Box<dyn Output>> {
    match command {
        MemberCmd::Add { project, agent } => out(s.write(&AddMember { project, agent })?),
        MemberCmd::Remove { project, agent } => out(s.write(&RemoveMember { project, agent })?),
    }
}

pub fn proposal(s: &Invocation, command: ProposalCmd) -> Result<Box<dyn Output>> {
    match command {
        ProposalCmd::Propose {
            slug,
            currency,
            exponent,
            name,
            approvals,
            about,
        } => out(s.write(&ProposeProject {
            slug,
            name,
            currency,
            exponent,
            approvals,
            about,
        })?),
        ProposalCmd::Admit { slug } => out(s.write(&AdmitProject { slug })?),
        ProposalCmd::Decline { slug, reason } => out(s.write(&DeclineProject {
            slug,
            reason: reason.unwrap_or_default(),
        })?),
        ProposalCmd::Proposals(args) => out(s.read(&ListProjectProposals {
            status: args.status,
            limit: Some(args.page.limit),
            offset: Some(args.page.offset),
        })?),
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
