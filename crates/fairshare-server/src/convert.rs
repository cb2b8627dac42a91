//! Request bodies to core commands, by hand: the API's JSON is a contract of its own and must
//! not change when a core type gains a field. Amounts stay the strings the client wrote (the
//! core parses them with the project's exponent and refuses over-precise ones); the few
//! values the core takes typed (dates, decimals in plans and fee splits) are parsed here, and
//! a bad one is refused as invalid (422) with the core's message.

use fairshare_core::{
    Bucket, Command, Date, Kind, PercentOf, Plan, Role, SplitShare, parse_decimal,
};

use crate::api_types::{
    AcceptCreate, BuyCreate, DonateCreate, PayCreate, PresaleCreate, RedeemCreate, RedemptionBody,
    TokenCreate, TransferCreate,
};
use crate::api_types::{
    AgentCreate, BucketBody, CampaignCreate, ContributionCreate, FeesSet, KindBody, PercentOfBody,
    PlanBody, PledgeCreate, ProjectCreate, PurchaseCreate, RejectBody, ResourceCreate,
    RevenueCreate, RoleBody, SplitShareBody, StatusBody, UseCreate,
};
use crate::api_types::{
    BlendBody, BountyCreate, GiftCreate, LeaveCreate, PoolCreate, RoundCreate, StewardCreate,
};
use crate::error::ApiError;

pub fn role(role: RoleBody) -> Role {
    match role {
        RoleBody::Custodian => Role::Custodian,
        RoleBody::Affiliate => Role::Affiliate,
        RoleBody::Observer => Role::Observer,
    }
}

pub fn kind(kind: KindBody) -> Kind {
    match kind {
        KindBody::Work => Kind::Work,
        KindBody::Cash => Kind::Cash,
        KindBody::Material => Kind::Material,
        KindBody::Use => Kind::Use,
        KindBody::Cite => Kind::Cite,
        KindBody::Bounty => Kind::Bounty,
    }
}

pub fn kind_body(kind: Kind) -> KindBody {
    match kind {
        Kind::Work => KindBody::Work,
        Kind::Cash => KindBody::Cash,
        Kind::Material => KindBody::Material,
        Kind::Use => KindBody::Use,
        Kind::Cite => KindBody::Cite,
        Kind::Bounty => KindBody::Bounty,
    }
}

pub fn status(status: StatusBody) -> fairshare_core::Status {
    match status {
        StatusBody::Pending => fairshare_core::Status::Pending,
        StatusBody::Approved => fairshare_core::Status::Approved,
        StatusBody::Rejected => fairshare_core::Status::Rejected,
    }
}

/// `YYYY-MM-DD`, refused as invalid with the core's message.
pub fn date(text: &str) -> Result<Date, ApiError> {
    Ok(Date::parse(text)?)
}

pub fn add_agent(body: AgentCreate) -> Command {
    Command::AddAgent {
        handle: body.handle,
        name: body.name,
        role: role(body.role),
    }
}

pub fn add_project(body: ProjectCreate) -> Command {
    Command::AddProject {
        slug: body.slug,
        name: body.name,
        currency: body.currency,
        exponent: body.exponent,
        approvals: body.approvals,
    }
}

/// A contribution of `agent` (the caller unless the body names another).
pub fn log(project: String, caller: &str, body: ContributionCreate) -> Result<Command, ApiError> {
    Ok(Command::Log {
        project,
        agent: body.agent.unwrap_or_else(|| caller.to_string()),
        kind: kind(body.kind),
        category: body.category,
        hours: body.hours,
        amount: body.amount,
        rate: body.rate,
        value: body.value,
        date: body.date.as_deref().map(date).transpose()?,
        note: body.note,
        gift: body.gift,
        reimbursable: body.reimbursable,
    })
}

pub fn reject(id: u64, body: RejectBody) -> Command {
    Command::Reject {
        id,
        reason: body.reason,
    }
}

pub fn revenue(project: String, body: RevenueCreate) -> Command {
    Command::Revenue {
        project,
        amount: body.amount,
        from: body.from,
    }
}

pub fn plan(body: PlanBody) -> Result<Plan, ApiError> {
    let buckets = body
        .bucket
        .into_iter()
        .map(bucket)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Plan { buckets })
}

fn percent_of(of: PercentOfBody) -> PercentOf {
    match of {
        PercentOfBody::Gross => PercentOf::Gross,
        PercentOfBody::Remaining => PercentOf::Remaining,
    }
}

fn bucket(body: BucketBody) -> Result<Bucket, ApiError> {
    let percent = |text: &str| parse_decimal(text, "percent").map_err(ApiError::from);
    Ok(match body {
        BucketBody::Fixed { amount, to } => Bucket::Fixed { amount, to },
        BucketBody::Percent { percent: p, of, to } => Bucket::Percent {
            percent: percent(&p)?,
            of: percent_of(of.unwrap_or(PercentOfBody::Gross)),
            to,
        },
        BucketBody::Reimburse { kinds } => Bucket::Reimburse {
            kinds: match kinds {
                Some(kinds) => kinds.into_iter().map(kind).collect(),
                None => vec![Kind::Cash, Kind::Material],
            },
        },
        BucketBody::Contributors {
            kinds,
            categories,
            from,
            to,
            percent: p,
        } => Bucket::Contributors {
            kinds: kinds.into_iter().map(kind).collect(),
            categories,
            from: from.as_deref().map(date).transpose()?,
            to: to.as_deref().map(date).transpose()?,
            percent: p.as_deref().map(percent).transpose()?,
        },
        BucketBody::Payback {
            resource,
            percent: p,
        } => Bucket::Payback {
            resource,
            percent: p.as_deref().map(percent).transpose()?,
        },
        BucketBody::TokenHolders { token } => Bucket::TokenHolders { token },
    })
}

/// A core bucket in the API's shape (what `GET .../plan` shows and `PUT .../plan` takes).
pub fn bucket_body(bucket: &Bucket) -> BucketBody {
    match bucket {
        Bucket::Fixed { amount, to } => BucketBody::Fixed {
            amount: amount.clone(),
            to: to.clone(),
        },
        Bucket::Percent { percent, of, to } => BucketBody::Percent {
            percent: percent.to_string(),
            of: Some(match of {
                PercentOf::Gross => PercentOfBody::Gross,
                PercentOf::Remaining => PercentOfBody::Remaining,
            }),
            to: to.clone(),
        },
        Bucket::Reimburse { kinds } => BucketBody::Reimburse {
            kinds: Some(kinds.iter().copied().map(kind_body).collect()),
        },
        Bucket::Contributors {
            kinds,
            categories,
            from,
            to,
            percent,
        } => BucketBody::Contributors {
            kinds: kinds.iter().copied().map(kind_body).collect(),
            categories: categories.clone(),
            from: from.map(|d| d.to_string()),
            to: to.map(|d| d.to_string()),
            percent: percent.map(|p| p.to_string()),
        },
        Bucket::Payback { resource, percent } => BucketBody::Payback {
            resource: resource.clone(),
            percent: percent.map(|p| p.to_string()),
        },
        Bucket::TokenHolders { token } => BucketBody::TokenHolders {
            token: token.clone(),
        },
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_round_trip_through_the_api_shape() {
        let json = r#"{"bucket": [
            {"type": "reimburse", "kinds": ["material"]},
            {"type": "percent", "percent": "10", "of": "gross", "to": "infra"},
            {"type": "contributors", "kinds": ["work"]},
            {"type": "fixed", "amount": "5.00", "to": "x"},
            {"type": "payback", "resource": "printer", "percent": "70"},
            {"type": "token_holders", "token": "fst"}
        ]}"#;
        let body: PlanBody = serde_json::from_str(json).expect("parses");
        let plan = plan(body).expect("converts");
        // The API shape serialises exactly as the core's plan does.
        let api: Vec<BucketBody> = plan.buckets.iter().map(bucket_body).collect();
        assert_eq!(
            serde_json::to_value(&api).expect("json"),
            serde_json::to_value(&plan.buckets).expect("json")
        );
        let bad: PlanBody =
            serde_json::from_str(r#"{"bucket": [{"type": "percent", "percent": "x", "to": "a"}]}"#)
                .expect("parses");
        assert!(matches!(super::plan(bad), Err(ApiError::Invalid(_))));
    }
}
