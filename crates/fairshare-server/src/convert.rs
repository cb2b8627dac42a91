//! Request bodies to core commands, by hand: the API's JSON is a contract of its own and must
//! not change when a core type gains a field. Amounts stay the strings the client wrote (the
//! core parses them with the project's exponent and refuses over-precise ones); the few
//! values the core takes typed (dates, decimals in plans and fee splits) are parsed here, and
//! a bad one is refused as invalid (422) with the core's message.

use fairshare_core::resources::SplitShare;
use fairshare_core::value::parse_decimal;
use fairshare_core::{Command, Date};

use crate::api_types::{
    BlendBody, BountyCreate, GiftCreate, LeaveCreate, PoolCreate, RoundCreate, StewardCreate,
};
use crate::api_types::{
    CampaignCreate, FeesSet, PledgeCreate, PurchaseCreate, ResourceCreate, SplitShareBody,
    UseCreate,
};
use crate::error::ApiError;

/// `YYYY-MM-DD`, refused as invalid with the core's message.
pub fn date(text: &str) -> Result<Date, ApiError> {
    Ok(Date::parse(text)?)
}

pub fn open_campaign(project: String, body: CampaignCreate) -> Command {
    Command::OpenCampaign {
        id: body.id,
        project,
        target: body.target,
        purpose: body.purpose,
    }
}

pub fn pledge(campaign: String, caller: &str, body: PledgeCreate) -> Command {
    Command::Pledge {
        campaign,
        agent: body.agent.unwrap_or_else(|| caller.to_string()),
        amount: body.amount,
    }
}

pub fn purchase(campaign: String, body: PurchaseCreate) -> Command {
    Command::Purchase {
        campaign,
        resource: body.resource,
        premium_percent: body.premium_percent,
    }
}

pub fn add_resource(project: String, body: ResourceCreate) -> Command {
    Command::AddResource {
        name: body.name,
        project,
        owner: body.owner,
        value: body.value,
    }
}

fn split_share(body: SplitShareBody) -> Result<SplitShare, ApiError> {
    Ok(SplitShare {
        percent: parse_decimal(&body.percent, "percent")?,
        to: body.to,
    })
}

pub fn set_fees(resource: String, body: FeesSet) -> Result<Command, ApiError> {
    Ok(Command::SetFees {
        resource,
        per_hour: body.per_hour,
        material_per_unit: body.material_per_unit,
        technician_per_hour: body.technician_per_hour,
        community_per_hour: body.community_per_hour,
        split: body
            .split
            .into_iter()
            .map(split_share)
            .collect::<Result<_, _>>()?,
        material_to: body.material_to,
        after_payback: body.after_payback,
    })
}

pub fn use_resource(resource: String, caller: &str, body: UseCreate) -> Command {
    Command::UseResource {
        resource,
        agent: body.agent.unwrap_or_else(|| caller.to_string()),
        hours: body.hours,
        material_units: body.material_units,
        technician: body.technician,
        technician_hours: body.technician_hours,
        community: body.community,
        from_balance: body.from_balance,
    }
}

/// The agent a body names, or the caller.
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
