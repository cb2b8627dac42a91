//! Agents: people and organisations, with their roles.

use fairshare_book::Executed;
use fairshare_core::{Agent, Command, Role, State};
use serde::{Deserialize, Serialize};

use crate::error::OpResult;
use crate::op::{Read, Reading, Write};
use crate::page::Page;

/// A role, as requests and views spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum RoleName {
    Custodian,
    Affiliate,
    Observer,
}

impl From<Role> for RoleName {
    fn from(role: Role) -> RoleName {
        match role {
            Role::Custodian => RoleName::Custodian,
            Role::Affiliate => RoleName::Affiliate,
            Role::Observer => RoleName::Observer,
        }
    }
}

impl From<RoleName> for Role {
    fn from(role: RoleName) -> Role {
        match role {
            RoleName::Custodian => Role::Custodian,
            RoleName::Affiliate => Role::Affiliate,
            RoleName::Observer => Role::Observer,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentRow {
    pub handle: String,
    pub name: Option<String>,
    pub role: String,
}

impl AgentRow {
    pub fn of(agent: &Agent) -> AgentRow {
        AgentRow {
            handle: agent.handle.clone(),
            name: agent.name.clone(),
            role: agent.role.as_str().to_string(),
        }
    }
}

/// Adds an agent (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct AddAgent {
    /// Lower-case letters, digits, `-` and `_`.
    pub handle: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "TEXT"))]
    pub name: Option<String>,
    #[cfg_attr(feature = "clap", arg(long, value_enum, default_value = "affiliate"))]
    pub role: RoleName,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentAdded {
    pub agent: AgentRow,
}

operation!(AddAgent => AgentAdded, Post "/api/v1/agents", "agents",
    "Adds an agent (custodians only)");

impl Write for AddAgent {
    const NAMES_EXISTING: bool = false;
    const CREATES: bool = true;

    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::AddAgent {
            handle: self.handle.clone(),
            name: self.name.clone(),
            role: self.role.into(),
        })
    }

    fn view(&self, state: &State, _: &Executed) -> OpResult<AgentAdded> {
        Ok(AgentAdded {
            agent: AgentRow::of(state.agent(&self.handle)?),
        })
    }
}

paged_list! {
    /// Agents, in byte order of handle.
    ListAgents => AgentsOut { agents: AgentRow },
    "/api/v1/agents", "agents", "Agents, in byte order of handle"
}

impl Read for ListAgents {
    const NAMES_EXISTING: bool = false;
    fn view(&self, state: &State, _: &Reading) -> OpResult<AgentsOut> {
        let page = Page::new(self.limit, self.offset)?;
        let (agents, total) = page.take(state.agents().into_iter(), AgentRow::of);
        Ok(AgentsOut {
            page: page.info(agents.len(), total),
            agents,
        })
    }
}

/// One agent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShowAgent {
    pub handle: String,
}

operation!(ShowAgent => AgentRow, Get "/api/v1/agents/{handle}", "agents", "One agent");

impl Read for ShowAgent {
    fn view(&self, state: &State, _: &Reading) -> OpResult<AgentRow> {
        Ok(AgentRow::of(state.agent(&self.handle)?))
    }
}
