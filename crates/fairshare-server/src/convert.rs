//! Request bodies to core commands, by hand: the API's JSON is a contract of its own and must
//! not change when a core type gains a field. Amounts stay the strings the client wrote (the
//! core parses them with the project's exponent and refuses over-precise ones); the few
//! values the core takes typed (dates, decimals in plans and fee splits) are parsed here, and
//! a bad one is refused as invalid (422) with the core's message.

use fairshare_core::Command;
use fairshare_core::resources::SplitShare;
use fairshare_core::value::parse_decimal;

use crate::api_types::{
    AcceptCreate, BuyCreate, DonateCreate, PayCreate, PresaleCreate, RedeemCreate, RedemptionBody,
    TokenCreate, TransferCreate,
};
use crate::api_types::{
    CampaignCreate, FeesSet, PledgeCreate, PurchaseCreate, ResourceCreate, SplitShareBody,
    UseCreate,
};
use crate::error::ApiError;

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

pub fn create_token(project: String, body: TokenCreate) -> Command {
    Command::CreateToken {
        project,
        symbol: body.symbol,
        exponent: body.exponent,
        mint_per_value: body.mint_per_value,
        redemption: match body.redemption {
            RedemptionBody::Nav => fairshare_core::Redemption::Nav,
            RedemptionBody::Curve => fairshare_core::Redemption::Curve,
        },
        exit_fee_percent: body.exit_fee_percent,
        entry_tribute_percent: body.entry_tribute_percent,
        exit_tribute_percent: body.exit_tribute_percent,
        funding_to: body.funding_to,
        curve_exponent: body.curve_exponent,
        hatch: body.hatch.map(|h| fairshare_core::HatchSpec {
            raised: h.raised,
            price: h.price,
            tribute_percent: h.tribute_percent,
            holder: h.holder,
        }),
    }
}

fn or_caller(agent: Option<String>, caller: &str) -> String {
    agent.unwrap_or_else(|| caller.to_string())
}

pub fn presale(token: String, caller: &str, body: PresaleCreate) -> Command {
    Command::Presale {
        token,
        agent: or_caller(body.agent, caller),
        amount: body.amount,
        price: body.price,
    }
}

pub fn buy(token: String, caller: &str, body: BuyCreate) -> Command {
    Command::Buy {
        token,
        agent: or_caller(body.agent, caller),
        amount: body.amount,
    }
}

pub fn redeem(token: String, caller: &str, body: RedeemCreate) -> Command {
    Command::Redeem {
        token,
        agent: or_caller(body.agent, caller),
        tokens: body.tokens,
    }
}

pub fn donate(token: String, caller: &str, body: DonateCreate) -> Command {
    Command::Donate {
        token,
        agent: or_caller(body.agent, caller),
        amount: body.amount,
    }
}

pub fn transfer(token: String, caller: &str, body: TransferCreate) -> Command {
    Command::Transfer {
        token,
        from: or_caller(body.from, caller),
        to: body.to,
        tokens: body.tokens,
    }
}

pub fn pay_with_token(token: String, caller: &str, body: PayCreate) -> Command {
    Command::PayWithToken {
        token,
        from: or_caller(body.from, caller),
        project: body.project,
        tokens: body.tokens,
    }
}

pub fn accept_token(project: String, body: AcceptCreate) -> Command {
    Command::AcceptToken {
        project,
        token: body.token,
        rate: body.rate,
    }
}
