//! Request bodies to core commands, by hand: the API's JSON is a contract of its own and must
//! not change when a core type gains a field. Amounts stay the strings the client wrote (the
//! core parses them with the project's exponent and refuses over-precise ones); the few
//! values the core takes typed (dates, decimals in plans) are parsed here, and
//! a bad one is refused as invalid (422) with the core's message.

use fairshare_core::{Command, Date};

use crate::api_types::{
    BlendBody, BountyCreate, GiftCreate, LeaveCreate, PoolCreate, RoundCreate, StewardCreate,
};
use crate::error::ApiError;

/// `YYYY-MM-DD`, refused as invalid with the core's message.
pub fn date(text: &str) -> Result<Date, ApiError> {
    Ok(Date::parse(text)?)
}

fn or_caller(agent: Option<String>, caller: &str) -> String {
    agent.unwrap_or_else(|| caller.to_string())
}

pub fn open_round(project: String, body: RoundCreate) -> Command {
    Command::OpenRound {
        project,
        budget: body.budget,
        eligible: body.eligible,
    }
}

/// A gift from `from` (the caller unless the body names another).
pub fn give(round: u64, caller: &str, body: GiftCreate) -> Command {
    Command::Give {
        round,
        from: or_caller(body.from, caller),
        to: body.to,
        points: body.points,
    }
}

pub fn steward_give(project: String, body: StewardCreate) -> Command {
    Command::StewardGive {
        project,
        agent: body.agent,
        points: body.points,
        reason: body.reason,
    }
}

pub fn set_blend(project: String, body: BlendBody) -> Command {
    Command::SetBlend {
        project,
        formula: body.formula,
        peer: body.peer,
        steward: body.steward,
    }
}

pub fn add_bounty(project: String, body: BountyCreate) -> Command {
    Command::AddBounty {
        project,
        task: body.task,
        reward: body.reward,
        description: body.description,
    }
}

pub fn allocate_pool(project: String, body: PoolCreate) -> Command {
    Command::AllocatePool {
        project,
        pool: body.size,
    }
}

pub fn leave(project: String, body: LeaveCreate) -> Command {
    Command::Leave {
        project,
        agent: body.agent,
        good: body.good,
    }
}
