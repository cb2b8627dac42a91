//! Shared resources: internal crowdfunding campaigns, co-owned resources, fee schedules and
//! charged use (docs/RESOURCES.md).

use std::collections::BTreeMap;

use fairshare_book::Executed;
use fairshare_core::parse_decimal;
use fairshare_core::{Campaign, FeeSchedule, Resource, SplitShare, UseRecord};
use fairshare_core::{Command, Line, Outcome, State, format_amount, parse_amount};
use serde::{Deserialize, Serialize};

use crate::agents::RoleName;
use crate::error::{OpResult, unexpected};
use crate::op::{Read, Reading, Write, or_actor};
use crate::page::Page;

/// A project's currency and its decimals (a project a valid log never names reads as a
/// nameless asset without decimals).
fn currency_of(state: &State, project: &str) -> (String, u32) {
    state
        .project(project)
        .map(|p| (p.currency.clone(), p.exponent))
        .unwrap_or((String::new(), 0))
}

/// What each account received from `lines`, in byte order of the name.
fn payouts(lines: &[Line], exponent: u32) -> BTreeMap<String, String> {
    let mut totals: BTreeMap<&str, i128> = BTreeMap::new();
    for line in lines {
        *totals.entry(line.to.as_str()).or_default() += line.amount;
    }
    totals
        .into_iter()
        .map(|(to, amount)| (to.to_string(), format_amount(amount, exponent)))
        .collect()
}

/// Whether a list narrowed to project `only` (none: every project) shows an item of a project;
/// the project it is narrowed to must exist.
fn of_project<'a>(state: &State, only: Option<&'a str>) -> OpResult<impl Fn(&str) -> bool + 'a> {
    if let Some(project) = only {
        state.project(project)?;
    }
    Ok(move |project: &str| only.is_none_or(|only| only == project))
}

// ---------------------------------------------------------------------------------------------
// Campaigns

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PledgeRow {
    pub agent: String,
    pub amount: String,
}

/// A campaign: target, raised, missing, every pledge.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignOut {
    pub campaign: String,
    pub project: String,
    pub purpose: Option<String>,
    /// open, funded, cancelled or purchased.
    pub status: String,
    pub currency: String,
    pub target: String,
    pub raised: String,
    pub missing: String,
    /// Every pledge, in the order they came.
    pub pledges: Vec<PledgeRow>,
    /// Pledged per agent, in byte order of handle.
    pub pledged: BTreeMap<String, String>,
    /// The resource bought, once purchased.
    pub resource: Option<String>,
}

impl CampaignOut {
    pub fn of(state: &State, c: &Campaign) -> CampaignOut {
        let (currency, exponent) = currency_of(state, &c.project);
        let fmt = |minor| format_amount(minor, exponent);
        CampaignOut {
            campaign: c.id.clone(),
            project: c.project.clone(),
            purpose: c.purpose.clone(),
            status: c.status.as_str().to_string(),
            currency,
            target: fmt(c.target),
            raised: fmt(c.raised),
            missing: fmt(c.target - c.raised),
            pledges: c
                .pledges
                .iter()
                .map(|p| PledgeRow {
                    agent: p.agent.to_string(),
                    amount: fmt(p.amount),
                })
                .collect(),
            pledged: c
                .pledged_by_agent()
                .into_iter()
                .map(|(agent, amount)| (agent.to_string(), fmt(amount)))
                .collect(),
            resource: c.resource.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignRow {
    pub campaign: String,
    pub project: String,
    pub status: String,
    pub currency: String,
    pub target: String,
    pub raised: String,
    /// Number of pledges.
    pub pledges: usize,
    pub resource: Option<String>,
}

impl CampaignRow {
    pub fn of(state: &State, c: &Campaign) -> CampaignRow {
        let (currency, exponent) = currency_of(state, &c.project);
        CampaignRow {
            campaign: c.id.clone(),
            project: c.project.clone(),
            status: c.status.as_str().to_string(),
            currency,
            target: format_amount(c.target, exponent),
            raised: format_amount(c.raised, exponent),
            pledges: c.pledges.len(),
            resource: c.resource.clone(),
        }
    }
}

paged_list! {
    /// Campaigns, in byte order of id; every project's, or one's.
    ListCampaigns {
        /// Only this project's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "clap", arg(long, value_name = "SLUG"))]
        project: Option<String>
    } => CampaignsOut { campaigns: CampaignRow },
    "/api/v1/campaigns", "campaigns",
    "Campaigns, in byte order of id; every project's, or one's"
}

impl Read for ListCampaigns {
    fn view(&self, state: &State, _: &Reading) -> OpResult<CampaignsOut> {
        let page = Page::new(self.limit, self.offset)?;
        let listed = of_project(state, self.project.as_deref())?;
        let campaigns = state.campaigns().filter(|c| listed(&c.project));
        let (page, campaigns) = page.list(campaigns, |c| CampaignRow::of(state, c));
        Ok(CampaignsOut { page, campaigns })
    }
}

/// Opens an internal crowdfunding campaign in a project (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct OpenCampaign {
    #[cfg_attr(feature = "clap", arg(long, value_name = "SLUG"))]
    pub project: String,
    /// The campaign's id, also the name of its account.
    pub id: String,
    /// The amount to raise, in the project's currency.
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "AMOUNT", allow_negative_numbers = true)
    )]
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "TEXT"))]
    pub purpose: Option<String>,
}

operation!(OpenCampaign => CampaignOut, Post "/api/v1/projects/{project}/campaigns", "campaigns",
    "Opens an internal crowdfunding campaign in a project (custodians only)");

impl Write for OpenCampaign {
    const CREATES: bool = true;

    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::OpenCampaign {
            id: self.id.clone(),
            project: self.project.clone(),
            target: self.target.clone(),
            purpose: self.purpose.clone(),
        })
    }

    fn view(&self, state: &State, _: &Executed) -> OpResult<CampaignOut> {
        Ok(CampaignOut::of(state, state.campaign(&self.id)?))
    }
}

/// One campaign: target, raised, missing, every pledge.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ShowCampaign {
    /// The campaign's id.
    pub campaign: String,
}

operation!(ShowCampaign => CampaignOut, Get "/api/v1/campaigns/{campaign}", "campaigns",
    "One campaign: target, raised, missing, every pledge");

impl Read for ShowCampaign {
    fn view(&self, state: &State, _: &Reading) -> OpResult<CampaignOut> {
        Ok(CampaignOut::of(state, state.campaign(&self.campaign)?))
    }
}

/// Pledges money from outside into a campaign; a pledge past the target is cut to what is
/// missing. Affiliates pledge only for themselves.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct Pledge {
    /// The campaign's id.
    pub campaign: String,
    /// Who pledges (default: the caller). Affiliates pledge only for themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(required = true, help = "Who pledges"))]
    pub agent: Option<String>,
    #[cfg_attr(feature = "clap", arg(allow_negative_numbers = true))]
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pledged {
    pub campaign: String,
    pub agent: String,
    /// The amount asked for.
    pub requested: String,
    /// The amount pledged: the request, or what was still missing when that was less.
    pub amount: String,
    pub cut: bool,
    pub funded: bool,
    pub raised: String,
    pub target: String,
    pub currency: String,
    /// True when this answers a retry (same idempotency key): nothing new was recorded.
    pub replayed: bool,
}

operation!(Pledge => Pledged, Post "/api/v1/campaigns/{campaign}/pledges", "campaigns",
    "Pledges money from outside into a campaign; a pledge past the target is cut to what is missing. Affiliates pledge only for themselves");

impl Write for Pledge {
    const CREATES: bool = true;

    fn command(&self, actor: &str) -> OpResult<Command> {
        Ok(Command::Pledge {
            campaign: self.campaign.clone(),
            agent: or_actor(&self.agent, actor),
            amount: self.amount.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<Pledged> {
        let_outcome!(
            executed,
            &Outcome::Pledged {
                amount,
                cut,
                funded
            }
        );
        let campaign = state.campaign(&self.campaign)?;
        // The pledge this event recorded names its agent (the caller, when the request did
        // not).
        let agent = campaign
            .pledges
            .iter()
            .find(|p| p.seq == executed.seq)
            .map(|p| p.agent.to_string())
            .ok_or_else(|| unexpected(executed))?;
        let (currency, exponent) = currency_of(state, &campaign.project);
        let fmt = |minor| format_amount(minor, exponent);
        Ok(Pledged {
            campaign: campaign.id.clone(),
            agent,
            requested: parse_amount(&self.amount, exponent)
                .map(fmt)
                .unwrap_or_else(|_| self.amount.clone()),
            amount: fmt(amount),
            cut,
            funded,
            raised: fmt(campaign.raised),
            target: fmt(campaign.target),
            currency,
            replayed: executed.replayed,
        })
    }
}

/// Cancels an unfunded campaign, refunding every pledge exactly (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct CancelCampaign {
    /// The campaign's id.
    pub campaign: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cancelled {
    pub campaign: String,
    pub status: String,
    /// Everything refunded.
    pub total: String,
    pub currency: String,
    /// What each pledger got back, in byte order of handle.
    pub refunds: BTreeMap<String, String>,
    pub replayed: bool,
}

operation!(CancelCampaign => Cancelled, Post "/api/v1/campaigns/{campaign}/cancel", "campaigns",
    "Cancels an unfunded campaign, refunding every pledge exactly (custodians only)");

impl Write for CancelCampaign {
    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::CancelCampaign {
            campaign: self.campaign.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<Cancelled> {
        let_outcome!(executed, Outcome::Refunded { lines });
        let campaign = state.campaign(&self.campaign)?;
        let (currency, exponent) = currency_of(state, &campaign.project);
        Ok(Cancelled {
            campaign: campaign.id.clone(),
            status: campaign.status.as_str().to_string(),
            total: format_amount(lines.iter().map(|l| l.amount).sum(), exponent),
            currency,
            refunds: payouts(lines, exponent),
            replayed: executed.replayed,
        })
    }
}

/// Spends a funded campaign on a resource co-owned by its pledgers, each paid back up to
/// pledge x (1 + premium) (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct Purchase {
    /// The campaign's id.
    pub campaign: String,
    /// Name of the resource bought.
    #[cfg_attr(feature = "clap", arg(long, value_name = "NAME"))]
    pub resource: String,
    /// Risk premium of the co-owners' payback, in percent, e.g. `"20"`.
    #[cfg_attr(
        feature = "clap",
        arg(
            long = "premium",
            value_name = "PERCENT",
            allow_negative_numbers = true
        )
    )]
    pub premium_percent: String,
}

/// A co-owner as purchased: their pledge (their share) and payback cap.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnerCap {
    pub agent: String,
    pub pledge: String,
    /// What they are paid back at most: pledge x (1 + premium).
    pub cap: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Purchased {
    pub campaign: String,
    pub resource: String,
    pub amount: String,
    pub premium_percent: String,
    pub currency: String,
    /// Co-owners in byte order of handle.
    pub owners: Vec<OwnerCap>,
    pub replayed: bool,
}

operation!(Purchase => Purchased, Post "/api/v1/campaigns/{campaign}/purchase", "campaigns",
    "Spends a funded campaign on a resource co-owned by its pledgers, each paid back up to pledge x (1 + premium) (custodians only)");

impl Write for Purchase {
    const CREATES: bool = true;

    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::Purchase {
            campaign: self.campaign.clone(),
            resource: self.resource.clone(),
            premium_percent: self.premium_percent.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<Purchased> {
        let_outcome!(executed, Outcome::Purchased { amount, owners });
        let campaign = state.campaign(&self.campaign)?;
        let (currency, exponent) = currency_of(state, &campaign.project);
        Ok(Purchased {
            campaign: campaign.id.clone(),
            resource: self.resource.clone(),
            amount: format_amount(*amount, exponent),
            premium_percent: self.premium_percent.clone(),
            currency,
            owners: owners
                .iter()
                .map(|o| OwnerCap {
                    agent: o.agent.clone(),
                    pledge: format_amount(o.pledge, exponent),
                    cap: format_amount(o.cap, exponent),
                })
                .collect(),
            replayed: executed.replayed,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Resources

/// One entry of a fee split: a percentage of the use fee to an account, or to `payback`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SplitSpec {
    /// An account, or `payback` for the co-owners.
    pub to: String,
    /// A decimal, e.g. `"12.5"`.
    pub percent: String,
}

impl SplitSpec {
    /// Parses `maintenance=20,infra=10,payback=70`, keeping the order as written; a malformed
    /// entry is answered with the entry and why, for each edge to phrase. The core checks
    /// names, duplicates and that the percentages add up to 100.
    pub fn parse_list(text: &str) -> Result<Vec<SplitSpec>, (String, &'static str)> {
        text.split(',')
            .map(|entry| {
                let bad = |why| (entry.to_string(), why);
                let (to, percent) = entry
                    .split_once('=')
                    .ok_or_else(|| bad("expected NAME=PERCENT"))?;
                let percent = percent.trim();
                let shape = !percent.is_empty()
                    && percent
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
                let percent = if shape {
                    parse_decimal(percent, "percent").ok()
                } else {
                    None
                }
                .ok_or_else(|| bad("the percentage is not a decimal number"))?;
                Ok(SplitSpec {
                    to: to.trim().to_string(),
                    percent: percent.to_string(),
                })
            })
            .collect()
    }

    /// The core's split entry (the percentage parsed; a bad one is refused as invalid).
    pub fn to_share(&self) -> OpResult<SplitShare> {
        Ok(SplitShare {
            percent: parse_decimal(&self.percent, "percent").map_err(|e| e.field("split"))?,
            to: self.to.clone(),
        })
    }
}

/// A fee schedule: decimals as strings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeesOut {
    pub per_hour: String,
    pub material_per_unit: String,
    pub technician_per_hour: String,
    /// Use fee per hour of community use; null: community use is free.
    pub community_per_hour: Option<String>,
    /// The use fee's split, in the order it was written.
    pub split: Vec<SplitSpec>,
    pub material_to: String,
    pub after_payback: String,
    /// The roles whose uses pay the community rate (besides the resource's community list).
    pub community_roles: Vec<String>,
}

impl FeesOut {
    pub fn of(fees: &FeeSchedule) -> FeesOut {
        FeesOut {
            per_hour: fees.per_hour.to_string(),
            material_per_unit: fees.material_per_unit.to_string(),
            technician_per_hour: fees.technician_per_hour.to_string(),
            community_per_hour: fees.community_per_hour.map(|d| d.to_string()),
            split: fees
                .split
                .iter()
                .map(|s| SplitSpec {
                    to: s.to.clone(),
                    percent: s.percent.to_string(),
                })
                .collect(),
            material_to: fees.material_to.clone(),
            after_payback: fees.after_payback.clone(),
            community_roles: fees
                .community_roles
                .iter()
                .map(|r| r.as_str().to_string())
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnerOut {
    pub agent: String,
    pub pledge: String,
    pub cap: String,
    pub received: String,
    pub outstanding: String,
}

/// One charged use in a resource's history.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UseRow {
    #[serde(rename = "use")]
    pub use_id: u64,
    /// The event that recorded it.
    pub event: u64,
    pub agent: String,
    pub hours: String,
    pub community: bool,
    pub fee: String,
    /// What each account received, in byte order of the name.
    pub payouts: BTreeMap<String, String>,
}

impl UseRow {
    pub fn of(record: &UseRecord, exponent: u32) -> UseRow {
        UseRow {
            use_id: record.id,
            event: record.seq,
            agent: record.agent.clone(),
            hours: record.hours.to_string(),
            community: record.community,
            fee: format_amount(record.fee, exponent),
            payouts: payouts(&record.lines, exponent),
        }
    }
}

/// A resource, with a page of its use history (oldest first).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourceShow {
    pub resource: String,
    pub project: String,
    /// co-owned or commons.
    pub status: String,
    pub currency: String,
    pub value: Option<String>,
    pub campaign: Option<String>,
    pub owners: Vec<OwnerOut>,
    pub fees: Option<FeesOut>,
    /// The agents a custodian listed as paying the community rate, in byte order.
    pub community: Vec<String>,
    /// Uses charged so far.
    pub uses: usize,
    /// Every fee charged, in total.
    pub fees_charged: String,
    pub offset: usize,
    pub limit: usize,
    pub next_offset: Option<usize>,
    pub history: Vec<UseRow>,
}

impl ResourceShow {
    pub fn of(state: &State, r: &Resource, page: Page) -> ResourceShow {
        let (currency, exponent) = currency_of(state, &r.project);
        let fmt = |minor| format_amount(minor, exponent);
        let (history, total) = page.take(r.uses.iter(), |u| UseRow::of(u, exponent));
        ResourceShow {
            resource: r.name.clone(),
            project: r.project.clone(),
            status: r.status.as_str().to_string(),
            currency,
            value: r.value.map(fmt),
            campaign: r.campaign.clone(),
            owners: r
                .owners
                .iter()
                .map(|o| OwnerOut {
                    agent: o.agent.clone(),
                    pledge: fmt(o.pledge),
                    cap: fmt(o.cap),
                    received: fmt(o.received),
                    outstanding: fmt(o.outstanding().max(0)),
                })
                .collect(),
            fees: r.fees.as_ref().map(FeesOut::of),
            community: r.community.iter().cloned().collect(),
            uses: r.uses.len(),
            fees_charged: fmt(r.uses.iter().map(|u| u.fee).sum()),
            offset: page.offset,
            limit: page.limit,
            next_offset: page.next_offset(history.len(), total),
            history,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourceRow {
    pub resource: String,
    pub project: String,
    pub status: String,
    pub currency: String,
    /// Number of co-owners.
    pub owners: usize,
    /// Payback still owed to the co-owners.
    pub outstanding: String,
    pub uses: usize,
    pub fees_set: bool,
}

impl ResourceRow {
    pub fn of(state: &State, r: &Resource) -> ResourceRow {
        let (currency, exponent) = currency_of(state, &r.project);
        ResourceRow {
            resource: r.name.clone(),
            project: r.project.clone(),
            status: r.status.as_str().to_string(),
            currency,
            owners: r.owners.len(),
            outstanding: format_amount(
                r.owners.iter().map(|o| o.outstanding().max(0)).sum(),
                exponent,
            ),
            uses: r.uses.len(),
            fees_set: r.fees.is_some(),
        }
    }
}

paged_list! {
    /// Resources, in byte order of name; every project's, or one's.
    ListResources {
        /// Only this project's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "clap", arg(long, value_name = "SLUG"))]
        project: Option<String>
    } => ResourcesOut { resources: ResourceRow },
    "/api/v1/resources", "resources",
    "Resources, in byte order of name; every project's, or one's"
}

impl Read for ListResources {
    fn view(&self, state: &State, _: &Reading) -> OpResult<ResourcesOut> {
        let page = Page::new(self.limit, self.offset)?;
        let listed = of_project(state, self.project.as_deref())?;
        let resources = state.resources().filter(|r| listed(&r.project));
        let (page, resources) = page.list(resources, |r| ResourceRow::of(state, r));
        Ok(ResourcesOut { page, resources })
    }
}

/// Adds a resource to a project: a commons held by the network, or one contributed by an
/// owner who is paid back its value (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct AddResource {
    #[cfg_attr(feature = "clap", arg(long, value_name = "SLUG"))]
    pub project: String,
    pub name: String,
    /// An agent who contributes the resource, paid back its `value` (default: none, a
    /// commons held by the network).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "AGENT"))]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "AMOUNT", allow_negative_numbers = true)
    )]
    pub value: Option<String>,
}

operation!(AddResource => ResourceShow, Post "/api/v1/projects/{project}/resources", "resources",
    "Adds a resource to a project: a commons held by the network, or one contributed by an owner who is paid back its value (custodians only)");

impl Write for AddResource {
    const CREATES: bool = true;

    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::AddResource {
            name: self.name.clone(),
            project: self.project.clone(),
            owner: self.owner.clone(),
            value: self.value.clone(),
        })
    }

    fn view(&self, state: &State, _: &Executed) -> OpResult<ResourceShow> {
        Ok(ResourceShow::of(
            state,
            state.resource(&self.name)?,
            Page::new(None, None)?,
        ))
    }
}

/// One resource: status, co-owners and their payback, fee schedule, and a page of its use
/// history.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ShowResource {
    /// The resource's name.
    pub resource: String,
    /// Uses in the page of history (default 100, at most 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "N"))]
    pub limit: Option<usize>,
    /// Uses to skip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "N"))]
    pub offset: Option<usize>,
}

operation!(ShowResource => ResourceShow, Get "/api/v1/resources/{resource}", "resources",
    "One resource: status, co-owners and their payback, fee schedule, and a page of its use history");

impl Read for ShowResource {
    fn view(&self, state: &State, _: &Reading) -> OpResult<ResourceShow> {
        let page = Page::new(self.limit, self.offset)?;
        Ok(ResourceShow::of(
            state,
            state.resource(&self.resource)?,
            page,
        ))
    }
}

/// Sets a resource's fee schedule (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetFees {
    /// The resource's name.
    pub resource: String,
    /// Use fee per hour.
    pub per_hour: String,
    /// Material sold at cost, per unit (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub material_per_unit: Option<String>,
    /// Technician's time per hour, paid to the technician (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technician_per_hour: Option<String>,
    /// Use fee per hour for community use (default: free).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community_per_hour: Option<String>,
    /// How the use fee splits, in order; percentages add up to 100.
    pub split: Vec<SplitSpec>,
    /// Account of material sold at cost (default `materials`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub material_to: Option<String>,
    /// Where the payback share goes once every co-owner is paid back (default `commons`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_payback: Option<String>,
    /// The roles whose uses pay the community rate (default: none; only the resource's
    /// community list and a custodian's `community` do).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub community_roles: Vec<RoleName>,
}

/// The fee schedule now in force.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeesSet {
    pub resource: String,
    pub currency: String,
    pub fees: FeesOut,
}

operation!(SetFees => FeesSet, Put "/api/v1/resources/{resource}/fees", "resources",
    "Sets a resource's fee schedule (custodians only)");

impl Write for SetFees {
    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::SetFees {
            resource: self.resource.clone(),
            per_hour: self.per_hour.clone(),
            material_per_unit: self.material_per_unit.clone(),
            technician_per_hour: self.technician_per_hour.clone(),
            community_per_hour: self.community_per_hour.clone(),
            split: self
                .split
                .iter()
                .map(SplitSpec::to_share)
                .collect::<OpResult<_>>()?,
            material_to: self.material_to.clone(),
            after_payback: self.after_payback.clone(),
            community_roles: self.community_roles.iter().map(|&r| r.into()).collect(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<FeesSet> {
        let resource = state.resource(&self.resource)?;
        let fees = resource.fees.as_ref().ok_or_else(|| unexpected(executed))?;
        Ok(FeesSet {
            resource: resource.name.clone(),
            currency: currency_of(state, &resource.project).0,
            fees: FeesOut::of(fees),
        })
    }
}

/// Logs a use of a resource and charges its fee, split by the resource's schedule.
/// Affiliates log only their own use.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct UseResource {
    /// The resource's name.
    pub resource: String,
    /// Who used it (default: the caller). Affiliates log only their own use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(required = true, help = "Who uses it"))]
    pub agent: Option<String>,
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "H", allow_negative_numbers = true)
    )]
    pub hours: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "N", allow_negative_numbers = true)
    )]
    pub material_units: Option<String>,
    /// The technician paid for their time (with `technician_hours`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "AGENT", requires = "technician_hours")
    )]
    pub technician: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "clap",
        arg(
            long,
            value_name = "H",
            allow_negative_numbers = true,
            requires = "technician"
        )
    )]
    pub technician_hours: Option<String>,
    /// A custodian's decision to charge the community rate. Without it the rate follows who
    /// the user is (their role, or the resource's community list); anyone else passing it
    /// is refused unless they pay the community rate anyway.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "clap", arg(long))]
    pub community: bool,
    /// Pay from the user's balance instead of from outside.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "clap", arg(long))]
    pub from_balance: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChargeLine {
    /// The rule of the fee schedule that made this line.
    pub label: String,
    pub to: String,
    pub amount: String,
}

/// A charged use.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Charged {
    pub resource: String,
    #[serde(rename = "use")]
    pub use_id: u64,
    pub agent: String,
    pub hours: String,
    /// Charged at the community rate.
    pub community: bool,
    pub fee: String,
    pub currency: String,
    /// What each account received, in byte order of the name.
    pub payouts: BTreeMap<String, String>,
    /// Every line of the charge, labelled by the fee schedule.
    pub lines: Vec<ChargeLine>,
    /// This use paid the last co-owner back: the resource became a commons.
    pub became_commons: bool,
    /// The resource's status now.
    pub status: String,
    pub replayed: bool,
}

operation!(UseResource => Charged, Post "/api/v1/resources/{resource}/uses", "resources",
    "Logs a use of a resource and charges its fee, split by the resource's schedule. Affiliates log only their own use");

impl Write for UseResource {
    const CREATES: bool = true;

    fn command(&self, actor: &str) -> OpResult<Command> {
        Ok(Command::UseResource {
            resource: self.resource.clone(),
            agent: or_actor(&self.agent, actor),
            hours: self.hours.clone(),
            material_units: self.material_units.clone(),
            technician: self.technician.clone(),
            technician_hours: self.technician_hours.clone(),
            community: self.community,
            from_balance: self.from_balance,
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<Charged> {
        let_outcome!(
            executed,
            Outcome::Charged {
                use_id,
                fee,
                lines,
                commons,
                ..
            }
        );
        let resource = state.resource(&self.resource)?;
        // The use this event recorded names its agent and the schedule that charged it.
        let record = resource
            .uses
            .iter()
            .find(|u| u.id == *use_id)
            .ok_or_else(|| unexpected(executed))?;
        let schedule = resource.schedule_of(record);
        let (currency, exponent) = currency_of(state, &resource.project);
        Ok(Charged {
            resource: resource.name.clone(),
            use_id: *use_id,
            agent: record.agent.clone(),
            hours: self.hours.clone(),
            community: record.community,
            fee: format_amount(*fee, exponent),
            currency,
            payouts: payouts(lines, exponent),
            lines: lines
                .iter()
                .map(|line| ChargeLine {
                    label: schedule
                        .map(|s| s.line_label(line.bucket))
                        .unwrap_or_else(|| format!("line {}", line.bucket)),
                    to: line.to.to_string(),
                    amount: format_amount(line.amount, exponent),
                })
                .collect(),
            became_commons: *commons,
            status: resource.status.as_str().to_string(),
            replayed: executed.replayed,
        })
    }
}

/// Puts an agent on a resource's community list: their uses pay the community rate
/// (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct CommunityAdd {
    /// The resource's name.
    pub resource: String,
    pub agent: String,
}

/// Takes an agent off a resource's community list (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct CommunityRemove {
    /// The resource's name.
    pub resource: String,
    pub agent: String,
}

/// A resource's community list.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommunityList {
    pub resource: String,
    /// The agents listed, in byte order.
    pub community: Vec<String>,
}

impl CommunityList {
    fn of(state: &State, resource: &str) -> OpResult<CommunityList> {
        let resource = state.resource(resource)?;
        Ok(CommunityList {
            resource: resource.name.clone(),
            community: resource.community.iter().cloned().collect(),
        })
    }
}

operation!(CommunityAdd => CommunityList, Put "/api/v1/resources/{resource}/community/{agent}", "resources",
    "Puts an agent on a resource's community list: their uses pay the community rate (custodians only)");

impl Write for CommunityAdd {
    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::CommunityAdd {
            resource: self.resource.clone(),
            agent: self.agent.clone(),
        })
    }

    fn view(&self, state: &State, _: &Executed) -> OpResult<CommunityList> {
        CommunityList::of(state, &self.resource)
    }
}

operation!(CommunityRemove => CommunityList, Delete "/api/v1/resources/{resource}/community/{agent}", "resources",
    "Takes an agent off a resource's community list (custodians only)");

impl Write for CommunityRemove {
    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::CommunityRemove {
            resource: self.resource.clone(),
            agent: self.agent.clone(),
        })
    }

    fn view(&self, state: &State, _: &Executed) -> OpResult<CommunityList> {
        CommunityList::of(state, &self.resource)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::{AddAgent, RoleName};
    use crate::projects::AddProject;
    use crate::{Clock, Local};

    fn book() -> (tempfile::TempDir, Local) {
        let dir = tempfile::tempdir().expect("dir");
        let store =
            fairshare_sqlite::SqliteStore::open(&dir.path().join("book.db")).expect("store");
        let clock = Clock::new(Some("2026-11-21T10:00:00Z")).expect("clock");
        let mut book = Local::open(Box::new(store), clock).expect("book");
        for (handle, role) in [("ana", RoleName::Affiliate), ("bo", RoleName::Affiliate)] {
            book.write(
                "operator",
                None,
                &AddAgent {
                    handle: handle.into(),
                    name: None,
                    role,
                },
            )
            .expect("agent");
        }
        book.write(
            "operator",
            None,
            &AddProject {
                slug: "lab".into(),
                name: None,
                currency: "CAD".into(),
                exponent: 2,
                approvals: 0,
            },
        )
        .expect("project");
        (dir, book)
    }

    #[test]
    fn a_campaign_buys_a_resource_that_use_pays_back() {
        let (_dir, mut book) = book();
        let opened = book
            .write(
                "operator",
                None,
                &OpenCampaign {
                    project: "lab".into(),
                    id: "fund".into(),
                    target: "100".into(),
                    purpose: None,
                },
            )
            .expect("open");
        assert_eq!(
            (opened.target.as_str(), opened.missing.as_str()),
            ("100.00", "100.00")
        );
        // The pledger defaults to the caller; a retry with the key answers the same.
        let pledge = Pledge {
            campaign: "fund".into(),
            agent: None,
            amount: "60".into(),
        };
        let first = book.write("ana", Some("k1"), &pledge).expect("pledge");
        let again = book.write("ana", Some("k1"), &pledge).expect("retry");
        assert_eq!(
            (first.agent.as_str(), first.requested.as_str()),
            ("ana", "60.00")
        );
        assert!(!first.replayed && again.replayed && again.agent == "ana");
        let cut = book
            .write(
                "operator",
                None,
                &Pledge {
                    campaign: "fund".into(),
                    agent: Some("bo".into()),
                    amount: "50".into(),
                },
            )
            .expect("pledge");
        assert!(cut.cut && cut.funded);
        assert_eq!(
            (cut.amount.as_str(), cut.requested.as_str()),
            ("40.00", "50.00")
        );
        let bought = book
            .write(
                "operator",
                None,
                &Purchase {
                    campaign: "fund".into(),
                    resource: "drill".into(),
                    premium_percent: "10".into(),
                },
            )
            .expect("purchase");
        assert_eq!(bought.owners[0].cap, "66.00");
        let refused = book
            .write(
                "operator",
                None,
                &SetFees {
                    resource: "drill".into(),
                    per_hour: "10".into(),
                    material_per_unit: None,
                    technician_per_hour: None,
                    community_per_hour: None,
                    split: vec![SplitSpec {
                        to: "payback".into(),
                        percent: "ten".into(),
                    }],
                    material_to: None,
                    after_payback: None,
                    community_roles: Vec::new(),
                },
            )
            .expect_err("a bad percentage");
        assert_eq!(refused.field(), Some("split"));
        let fees = book
            .write(
                "operator",
                None,
                &SetFees {
                    resource: "drill".into(),
                    per_hour: "10".into(),
                    material_per_unit: None,
                    technician_per_hour: None,
                    community_per_hour: None,
                    split: vec![
                        SplitSpec {
                            to: "payback".into(),
                            percent: "80".into(),
                        },
                        SplitSpec {
                            to: "maintenance".into(),
                            percent: "20".into(),
                        },
                    ],
                    material_to: None,
                    after_payback: None,
                    community_roles: Vec::new(),
                },
            )
            .expect("fees");
        assert_eq!(fees.fees.split[1].to, "maintenance");
        let charged = book
            .write(
                "bo",
                None,
                &UseResource {
                    resource: "drill".into(),
                    agent: None,
                    hours: "2".into(),
                    material_units: None,
                    technician: None,
                    technician_hours: None,
                    community: false,
                    from_balance: false,
                },
            )
            .expect("use");
        assert_eq!((charged.use_id, charged.agent.as_str()), (1, "bo"));
        assert_eq!(charged.fee, "20.00");
        assert_eq!(charged.lines[0].label, "80% payback");
        let shown = book
            .read(
                None,
                &ShowResource {
                    resource: "drill".into(),
                    limit: None,
                    offset: None,
                },
            )
            .expect("show");
        assert_eq!((shown.uses, shown.history.len()), (1, 1));
        assert_eq!(shown.owners[0].received, "9.60");
        let list = book
            .read(
                None,
                &ListCampaigns {
                    project: Some("lab".into()),
                    ..ListCampaigns::default()
                },
            )
            .expect("list");
        assert_eq!(
            (list.page.total, list.campaigns[0].status.as_str()),
            (1, "purchased")
        );
        let unknown = book
            .read(
                None,
                &ListResources {
                    project: Some("nowhere".into()),
                    ..ListResources::default()
                },
            )
            .expect_err("no such project");
        assert_eq!(unknown.failure(), crate::Failure::NotFound);
    }

    #[test]
    fn requests_read_the_api_json() {
        let fees: SetFees = serde_json::from_str(
            r#"{"resource": "printer", "per_hour": "25.00",
                "split": [{"to": "maintenance", "percent": "30"}, {"to": "payback", "percent": "70"}]}"#,
        )
        .expect("fees");
        assert_eq!(fees.split.len(), 2);
        let used: UseResource =
            serde_json::from_str(r#"{"resource": "printer", "hours": "1", "community": true}"#)
                .expect("use");
        assert!(used.community && !used.from_balance);
        assert!(
            serde_json::from_str::<Pledge>(r#"{"campaign": "f", "amount": "1", "amout": "2"}"#)
                .is_err()
        );
    }

    #[test]
    fn the_community_rate_follows_the_list_and_the_roles() {
        let (_dir, mut book) = book();
        let added: AddResource =
            serde_json::from_str(r#"{"project": "lab", "name": "saw"}"#).expect("json");
        book.write("operator", None, &added).expect("resource");
        let fees = |roles: &str| -> SetFees {
            serde_json::from_str(&format!(
                r#"{{"resource": "saw", "per_hour": "10.00", "community_per_hour": "2.00",
                    "split": [{{"to": "maintenance", "percent": "100"}}]{roles}}}"#
            ))
            .expect("json")
        };
        book.write("operator", None, &fees("")).expect("fees");
        let use_saw: UseResource =
            serde_json::from_str(r#"{"resource": "saw", "hours": "1"}"#).expect("json");
        let charged = book.write("ana", None, &use_saw).expect("use");
        assert_eq!((charged.fee.as_str(), charged.community), ("10.00", false));
        let listed = book
            .write(
                "operator",
                None,
                &CommunityAdd {
                    resource: "saw".into(),
                    agent: "ana".into(),
                },
            )
            .expect("add");
        assert_eq!(listed.community, ["ana"]);
        let charged = book.write("ana", None, &use_saw).expect("use");
        assert_eq!((charged.fee.as_str(), charged.community), ("2.00", true));
        let charged = book.write("bo", None, &use_saw).expect("use");
        assert_eq!((charged.fee.as_str(), charged.community), ("10.00", false));
        let removed = book
            .write(
                "operator",
                None,
                &CommunityRemove {
                    resource: "saw".into(),
                    agent: "ana".into(),
                },
            )
            .expect("remove");
        assert!(removed.community.is_empty());
        let set = book
            .write(
                "operator",
                None,
                &fees(r#", "community_roles": ["affiliate"]"#),
            )
            .expect("fees");
        assert_eq!(set.fees.community_roles, ["affiliate"]);
        let charged = book.write("bo", None, &use_saw).expect("use");
        assert_eq!((charged.fee.as_str(), charged.community), ("2.00", true));
        let shown = book
            .read(
                None,
                &ShowResource {
                    resource: "saw".into(),
                    limit: None,
                    offset: None,
                },
            )
            .expect("show");
        assert_eq!(
            (shown.fees_charged.as_str(), shown.community.len()),
            ("24.00", 0)
        );
    }
}
