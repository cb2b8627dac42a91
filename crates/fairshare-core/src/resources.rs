//! Shared resources: internal crowdfunding campaigns, co-ownership, charged use, payback of
//! the co-owners with a risk premium, and the move to a commons.
//!
//! Payback and reimbursement share one capped pro-rata mechanism ([`crate::split::split_capped`]):
//! nobody is ever paid past their cap, and the payment that crosses the caps sends exactly the
//! excess on to `after_payback`.

use std::collections::BTreeMap;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::command::{Command, Line, Outcome};
use crate::distribute::percent_floor;
use crate::error::{DomainError, DomainResult};
use crate::ledger::{Posting, transfer};
use crate::model::{OUTSIDE, Role, check_name, check_text};
use crate::money::parse_positive_amount;
use crate::roles::{affiliate_acts_for_self, forbid_observer, require_custodian};
use crate::split::{CappedShare, split_capped};
use crate::state::{Ctx, State};
use crate::value::{Value, parse_decimal};

/// Default account for material sold at cost.
pub const MATERIALS_ACCOUNT: &str = "materials";
/// Default destination of the payback share once every co-owner is paid back.
pub const COMMONS_ACCOUNT: &str = "commons";
/// The split entry that pays the co-owners back.
pub const PAYBACK: &str = "payback";
/// Most entries in a fee split.
pub const SPLIT_ENTRIES_MAX: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CampaignStatus {
    Open,
    Funded,
    Cancelled,
    Purchased,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Open => "open",
            CampaignStatus::Funded => "funded",
            CampaignStatus::Cancelled => "cancelled",
            CampaignStatus::Purchased => "purchased",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PledgeRecord {
    pub agent: Arc<str>,
    pub amount: i128,
    pub seq: u64,
}

/// An internal crowdfunding of a purchase. Its account is named by its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub id: String,
    pub project: String,
    pub target: i128,
    pub purpose: Option<String>,
    pub status: CampaignStatus,
    pub pledges: Vec<PledgeRecord>,
    pub raised: i128,
    /// The resource bought, once purchased.
    pub resource: Option<String>,
}

impl Campaign {
    /// Pledges summed per agent, in byte order of handle.
    pub fn pledged_by_agent(&self) -> BTreeMap<Arc<str>, i128> {
        let mut per_agent = BTreeMap::new();
        for pledge in &self.pledges {
            *per_agent.entry(pledge.agent.clone()).or_default() += pledge.amount;
        }
        per_agent
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceStatus {
    CoOwned,
    Commons,
}

impl ResourceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceStatus::CoOwned => "co-owned",
            ResourceStatus::Commons => "commons",
        }
    }
}

/// A co-owner: their share is their pledge; they are paid back up to `cap`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub agent: String,
    #[serde(with = "crate::serde_text")]
    pub pledge: i128,
    #[serde(with = "crate::serde_text")]
    pub cap: i128,
    #[serde(skip)]
    pub received: i128,
}

impl Owner {
    pub fn outstanding(&self) -> i128 {
        self.cap - self.received
    }
}

/// One entry of a fee split: a percentage of the use fee to an account, or to `payback`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitShare {
    pub to: String,
    pub percent: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeSchedule {
    pub per_hour: Decimal,
    pub material_per_unit: Decimal,
    pub technician_per_hour: Decimal,
    /// Use fee per hour for community (non-commercial) use; none means free.
    pub community_per_hour: Option<Decimal>,
    pub split: Vec<SplitShare>,
    pub material_to: String,
    pub after_payback: String,
}

impl FeeSchedule {
    pub fn payback_index(&self) -> Option<usize> {
        self.split.iter().position(|s| s.to == PAYBACK)
    }
    /// Names of the lines of a charge, by their `bucket` index.
    pub fn line_label(&self, bucket: u32) -> String {
        let bucket = bucket as usize;
        match bucket {
            0 => "material at cost".to_string(),
            1 => "technician".to_string(),
            b if b - 2 < self.split.len() => {
                format!("{}% {}", self.split[b - 2].percent, self.split[b - 2].to)
            }
            _ => format!("payback excess -> {}", self.after_payback),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseRecord {
    pub id: u64,
    /// The day of the use (the day it was recorded).
    pub date: crate::date::Date,
    /// Which fee schedule charged it: `Resource::fee_history[fee_version - 1]`.
    pub fee_version: usize,
    pub agent: String,
    pub hours: Decimal,
    pub community: bool,
    pub fee: i128,
    pub lines: Vec<Line>,
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub name: String,
    pub project: String,
    pub status: ResourceStatus,
    pub owners: Vec<Owner>,
    /// The fee schedule in force.
    pub fees: Option<FeeSchedule>,
    /// Every schedule ever set, oldest first, so past uses keep their labels.
    pub fee_history: Vec<FeeSchedule>,
    pub uses: Vec<UseRecord>,
    pub value: Option<i128>,
    pub campaign: Option<String>,
}

impl Resource {
    /// Capped pro-rata by pledge of `pot` among owners with room left; returns each owner's
    /// part (in owner order) and what no owner could take.
    pub fn payback_split(&self, pot: i128) -> (Vec<i128>, i128) {
        if self.status == ResourceStatus::Commons {
            return (vec![0; self.owners.len()], pot);
        }
        let shares: Vec<CappedShare> = self
            .owners
            .iter()
            .map(|o| CappedShare {
                weight: o.pledge.max(0) as u128,
                room: o.outstanding().max(0) as u128,
            })
            .collect();
        let (parts, unplaced) = split_capped(pot as u128, &shares);
        (
            parts.into_iter().map(|p| p as i128).collect(),
            unplaced as i128,
        )
    }

    /// The fee schedule that charged a past use.
    pub fn schedule_of(&self, record: &UseRecord) -> Option<&FeeSchedule> {
        record
            .fee_version
            .checked_sub(1)
            .and_then(|index| self.fee_history.get(index))
    }

    pub fn all_paid_back(&self) -> bool {
        self.owners.iter().all(|o| o.outstanding() <= 0)
    }
}

fn non_negative_decimal(text: &str, what: &str) -> DomainResult<Decimal> {
    let decimal = parse_decimal(text, what)?;
    if decimal < Decimal::ZERO {
        return Err(DomainError::invalid(format!(
            "{what} must not be negative, got {text}"
        )));
    }
    Ok(decimal)
}

/// `floor(quantity * unit_price)` in minor units of an asset with `exponent` decimals.
fn charge_floor(quantity: Decimal, unit_price: Decimal, exponent: u32) -> DomainResult<i128> {
    Ok(Value::from_decimal(unit_price)?
        .mul_decimal(quantity)?
        .floor_minor(exponent))
}

impl State {
    pub fn campaign(&self, id: &str) -> DomainResult<&Campaign> {
        self.campaigns.get(id).ok_or_else(|| {
            DomainError::not_found(format!(
                "unknown campaign {id:?}: open it first with `campaign open`"
            ))
        })
    }

    pub fn campaigns(&self) -> impl Iterator<Item = &Campaign> {
        self.campaigns.values()
    }

    pub fn resource(&self, name: &str) -> DomainResult<&Resource> {
        self.resources
            .get(name)
            .ok_or_else(|| DomainError::not_found(format!("unknown resource {name:?}")))
    }

    pub fn resources(&self) -> impl Iterator<Item = &Resource> {
        self.resources.values()
    }

    /// Decides the commands of shared resources.
    pub(crate) fn decide_resources(
        &self,
        ctx: &Ctx,
        role: Role,
        command: &Command,
    ) -> DomainResult<Outcome> {
        match command {
            Command::OpenCampaign {
                id,
                project,
                target,
                purpose,
            } => {
                require_custodian(role, "open campaigns")?;
                let project = self.project(project)?;
                check_name(id, "campaign id")?;
                if self.campaigns.contains_key(id) {
                    return Err(DomainError::conflict(format!(
                        "campaign {id:?} already exists"
                    )));
                }
                if let Some(holder) = self.name_taken(id) {
                    return Err(DomainError::conflict(format!(
                        "campaign id {id:?} is already taken by {holder}"
                    )));
                }
                parse_positive_amount(target, project.exponent)?;
                if let Some(purpose) = purpose {
                    check_text(purpose, "purpose")?;
                }
                Ok(Outcome::Done)
            }
            Command::Pledge {
                campaign,
                agent,
                amount,
            } => {
                forbid_observer(role, &ctx.actor, "pledge")?;
                affiliate_acts_for_self(
                    role,
                    &ctx.actor,
                    agent,
                    format_args!("pledge only for themself, not for {agent}"),
                )?;
                self.agent(agent)?;
                let campaign = self.campaign(campaign)?;
                let exponent = self.project(&campaign.project)?.exponent;
                let requested = parse_positive_amount(amount, exponent)?;
                if campaign.status != CampaignStatus::Open {
                    return Err(DomainError::conflict(format!(
                        "campaign {} is {}: it takes no more pledges",
                        campaign.id,
                        campaign.status.as_str()
                    )));
                }
                let missing = campaign.target - campaign.raised;
                let accepted = requested.min(missing);
                Ok(Outcome::Pledged {
                    amount: accepted,
                    cut: accepted < requested,
                    funded: campaign.raised + accepted == campaign.target,
                })
            }
            Command::CancelCampaign { campaign } => {
                require_custodian(role, "cancel campaigns")?;
                let campaign = self.campaign(campaign)?;
                if campaign.status != CampaignStatus::Open {
                    return Err(DomainError::conflict(format!(
                        "campaign {} is {}: only an unfunded campaign can be cancelled",
                        campaign.id,
                        campaign.status.as_str()
                    )));
                }
                let lines = campaign
                    .pledged_by_agent()
                    .into_iter()
                    .map(|(agent, amount)| Line {
                        bucket: 0,
                        to: agent.as_ref().into(),
                        amount,
                    })
                    .collect();
                Ok(Outcome::Refunded { lines })
            }
            Command::Purchase {
                campaign,
                resource,
                premium_percent,
            } => {
                require_custodian(role, "record purchases")?;
                let campaign = self.campaign(campaign)?;
                if campaign.status != CampaignStatus::Funded {
                    return Err(DomainError::conflict(format!(
                        "campaign {} is {} ({} of {} raised): only a funded campaign can purchase",
                        campaign.id,
                        campaign.status.as_str(),
                        crate::money::format_amount(
                            campaign.raised,
                            self.project(&campaign.project)?.exponent
                        ),
                        crate::money::format_amount(
                            campaign.target,
                            self.project(&campaign.project)?.exponent
                        ),
                    )));
                }
                self.check_new_resource(resource)?;
                let premium = non_negative_decimal(premium_percent, "premium percent")?;
                let owners = campaign
                    .pledged_by_agent()
                    .into_iter()
                    .map(|(agent, pledge)| Owner {
                        agent: agent.to_string(),
                        pledge,
                        cap: pledge + percent_floor(pledge, premium),
                        received: 0,
                    })
                    .collect();
                Ok(Outcome::Purchased {
                    amount: campaign.raised,
                    owners,
                })
            }
            Command::AddResource {
                name,
                project,
                owner,
                value,
            } => {
                require_custodian(role, "add resources")?;
                let project = self.project(project)?;
                self.check_new_resource(name)?;
                if let Some(owner) = owner {
                    self.agent(owner)?;
                    if value.is_none() {
                        return Err(DomainError::invalid(format!(
                            "a resource contributed by {owner} needs its value, which is what {owner} is paid back"
                        ))
                        .field("value"));
                    }
                }
                if let Some(value) = value {
                    parse_positive_amount(value, project.exponent)?;
                }
                Ok(Outcome::Done)
            }
            Command::SetFees {
                resource,
                per_hour,
                material_per_unit,
                technician_per_hour,
                community_per_hour,
                split,
                material_to,
                after_payback,
            } => {
                require_custodian(role, "set fee schedules")?;
                self.resource(resource)?;
                self.fee_schedule(
                    per_hour,
                    material_per_unit,
                    technician_per_hour,
                    community_per_hour,
                    split,
                    material_to,
                    after_payback,
                )?;
                Ok(Outcome::Done)
            }
            Command::UseResource {
                resource,
                agent,
                hours,
                material_units,
                technician,
                technician_hours,
                community,
                from_balance,
            } => {
                forbid_observer(role, &ctx.actor, "log resource use")?;
                affiliate_acts_for_self(
                    role,
                    &ctx.actor,
                    agent,
                    format_args!("log only their own use, not {agent}'s"),
                )?;
                self.agent(agent)?;
                let resource = self.resource(resource)?;
                let fees = resource.fees.as_ref().ok_or_else(|| {
                    DomainError::invalid(format!(
                        "resource {} has no fee schedule: set one with `resource fees {}`",
                        resource.name, resource.name
                    ))
                })?;
                let project = self.project(&resource.project)?;
                let hours = crate::value::parse_positive_decimal(hours, "hours")?;
                let units = match material_units {
                    Some(units) => non_negative_decimal(units, "material units")?,
                    None => Decimal::ZERO,
                };
                let technician_hours = match (technician, technician_hours) {
                    (Some(technician), Some(h)) => {
                        self.agent(technician)?;
                        crate::value::parse_positive_decimal(h, "technician hours")?
                    }
                    (None, None) => Decimal::ZERO,
                    (Some(_), None) => {
                        return Err(DomainError::invalid(
                            "a technician needs --technician-hours",
                        ));
                    }
                    (None, Some(_)) => {
                        return Err(DomainError::invalid("technician hours need a --technician"));
                    }
                };
                let per_hour = if *community {
                    fees.community_per_hour.unwrap_or(Decimal::ZERO)
                } else {
                    fees.per_hour
                };
                let exponent = project.exponent;
                let material_fee = charge_floor(units, fees.material_per_unit, exponent)?;
                let technician_fee =
                    charge_floor(technician_hours, fees.technician_per_hour, exponent)?;
                let use_fee = charge_floor(hours, per_hour, exponent)?;
                let mut lines = Vec::new();
                let mut push = |bucket: usize, to: &str, amount: i128| {
                    if amount > 0 {
                        lines.push(Line {
                            bucket: bucket as u32,
                            to: to.into(),
                            amount,
                        });
                    }
                };
                push(0, &fees.material_to, material_fee);
                if let Some(technician) = technician {
                    push(1, technician, technician_fee);
                }
                let mut left = use_fee;
                let last = fees.split.len() - 1;
                let mut commons = false;
                for (index, share) in fees.split.iter().enumerate() {
                    // Each share is rounded down; the last takes what rounding left.
                    let part = if index == last {
                        left
                    } else {
                        percent_floor(use_fee, share.percent).min(left)
                    };
                    left -= part;
                    if share.to == PAYBACK {
                        let (parts, excess) = resource.payback_split(part);
                        for (owner, paid) in resource.owners.iter().zip(&parts) {
                            push(index + 2, &owner.agent, *paid);
                        }
                        push(fees.split.len() + 2, &fees.after_payback, excess);
                        let mut after = resource.clone();
                        for (owner, paid) in after.owners.iter_mut().zip(&parts) {
                            owner.received += paid;
                        }
                        commons =
                            resource.status == ResourceStatus::CoOwned && after.all_paid_back();
                    } else {
                        push(index + 2, &share.to, part);
                    }
                }
                let fee = material_fee + technician_fee + use_fee;
                if fee == 0 {
                    return Err(DomainError::invalid(
                        "this use costs nothing under the fee schedule: nothing to record",
                    ));
                }
                if *from_balance {
                    let balance = self.ledger.balance(agent, &project.currency);
                    if balance < fee {
                        return Err(DomainError::invalid(format!(
                            "{agent} holds {} {} but the fee is {}",
                            crate::money::format_amount(balance, exponent),
                            project.currency,
                            crate::money::format_amount(fee, exponent)
                        )));
                    }
                }
                Ok(Outcome::Charged {
                    use_id: resource.uses.len() as u64 + 1,
                    fee,
                    lines,
                    commons,
                })
            }
            _ => Err(DomainError::corrupt(format!(
                "{} is not a resource command",
                command.op()
            ))),
        }
    }

    /// Applies the outcome of a resource command.
    pub(crate) fn apply_resources(
        &mut self,
        ctx: &Ctx,
        command: &Command,
        outcome: &Outcome,
    ) -> DomainResult<()> {
        let mismatch = || {
            DomainError::corrupt(format!(
                "event {}: outcome does not fit a {} command",
                ctx.seq,
                command.op()
            ))
        };
        match (command, outcome) {
            (
                Command::OpenCampaign {
                    id,
                    project,
                    target,
                    purpose,
                },
                Outcome::Done,
            ) => {
                let exponent = self.project(project)?.exponent;
                let campaign = Campaign {
                    id: id.clone(),
                    project: project.clone(),
                    target: parse_positive_amount(target, exponent)?,
                    purpose: purpose.clone(),
                    status: CampaignStatus::Open,
                    pledges: Vec::new(),
                    raised: 0,
                    resource: None,
                };
                self.campaigns.insert(id.clone(), campaign);
            }
            (
                Command::Pledge {
                    campaign, agent, ..
                },
                Outcome::Pledged { amount, funded, .. },
            ) => {
                let asset = self
                    .project(&self.campaign(campaign)?.project)?
                    .currency
                    .clone();
                let memo = format!("pledge to {campaign} by {agent}");
                self.ledger.post(
                    ctx.seq,
                    memo,
                    transfer(OUTSIDE, campaign, &asset, *amount).to_vec(),
                )?;
                let handle = self.handle(agent)?;
                let record = self.campaigns.get_mut(campaign).ok_or_else(mismatch)?;
                record.pledges.push(PledgeRecord {
                    agent: handle,
                    amount: *amount,
                    seq: ctx.seq,
                });
                record.raised += amount;
                if *funded {
                    record.status = CampaignStatus::Funded;
                }
            }
            (Command::CancelCampaign { campaign }, Outcome::Refunded { lines }) => {
                let asset = self
                    .project(&self.campaign(campaign)?.project)?
                    .currency
                    .clone();
                let mut postings: Vec<Posting> = Vec::new();
                for line in lines {
                    postings.extend(transfer(campaign, &line.to, &asset, line.amount));
                }
                if !postings.is_empty() {
                    self.ledger
                        .post(ctx.seq, format!("cancel {campaign}: refunds"), postings)?;
                }
                self.campaigns
                    .get_mut(campaign)
                    .ok_or_else(mismatch)?
                    .status = CampaignStatus::Cancelled;
            }
            (
                Command::Purchase {
                    campaign, resource, ..
                },
                Outcome::Purchased { amount, owners },
            ) => {
                let project = self.campaign(campaign)?.project.clone();
                let asset = self.project(&project)?.currency.clone();
                let memo = format!("purchase of {resource} by {campaign}");
                self.ledger.post(
                    ctx.seq,
                    memo,
                    transfer(campaign, OUTSIDE, &asset, *amount).to_vec(),
                )?;
                let record = self.campaigns.get_mut(campaign).ok_or_else(mismatch)?;
                record.status = CampaignStatus::Purchased;
                record.resource = Some(resource.clone());
                self.resources.insert(
                    resource.clone(),
                    Resource {
                        name: resource.clone(),
                        project,
                        status: ResourceStatus::CoOwned,
                        owners: owners.clone(),
                        fees: None,
                        fee_history: Vec::new(),
                        uses: Vec::new(),
                        value: Some(*amount),
                        campaign: Some(campaign.clone()),
                    },
                );
            }
            (
                Command::AddResource {
                    name,
                    project,
                    owner,
                    value,
                },
                Outcome::Done,
            ) => {
                let exponent = self.project(project)?.exponent;
                let value = value
                    .as_deref()
                    .map(|v| parse_positive_amount(v, exponent))
                    .transpose()?;
                let owners: Vec<Owner> = match (owner, value) {
                    (Some(owner), Some(value)) => {
                        vec![Owner {
                            agent: owner.clone(),
                            pledge: value,
                            cap: value,
                            received: 0,
                        }]
                    }
                    _ => Vec::new(),
                };
                let status = if owners.is_empty() {
                    ResourceStatus::Commons
                } else {
                    ResourceStatus::CoOwned
                };
                self.resources.insert(
                    name.clone(),
                    Resource {
                        name: name.clone(),
                        project: project.clone(),
                        status,
                        owners,
                        fees: None,
                        fee_history: Vec::new(),
                        uses: Vec::new(),
                        value,
                        campaign: None,
                    },
                );
            }
            (
                Command::SetFees {
                    resource,
                    per_hour,
                    material_per_unit,
                    technician_per_hour,
                    community_per_hour,
                    split,
                    material_to,
                    after_payback,
                },
                Outcome::Done,
            ) => {
                let schedule = self.fee_schedule(
                    per_hour,
                    material_per_unit,
                    technician_per_hour,
                    community_per_hour,
                    split,
                    material_to,
                    after_payback,
                )?;
                let record = self.resources.get_mut(resource).ok_or_else(mismatch)?;
                record.fee_history.push(schedule.clone());
                record.fees = Some(schedule);
            }
            (
                Command::UseResource {
                    resource,
                    agent,
                    hours,
                    community,
                    from_balance,
                    ..
                },
                Outcome::Charged {
                    use_id,
                    fee,
                    lines,
                    commons,
                },
            ) => {
                let record = self.resource(resource)?;
                if *use_id != record.uses.len() as u64 + 1
                    || lines.iter().map(|l| l.amount).sum::<i128>() != *fee
                {
                    return Err(mismatch());
                }
                let asset = self.project(&record.project)?.currency.clone();
                let payback_bucket = record
                    .fees
                    .as_ref()
                    .and_then(|f| f.payback_index())
                    .map(|i| i as u32 + 2);
                let source = if *from_balance {
                    agent.as_str()
                } else {
                    OUTSIDE
                };
                let mut postings = vec![Posting {
                    account: (source.to_string()).into(),
                    asset: (asset.clone()).into(),
                    amount: -fee,
                }];
                postings.extend(lines.iter().map(|l| Posting {
                    account: l.to.clone(),
                    asset: (asset.clone()).into(),
                    amount: l.amount,
                }));
                self.ledger.post(
                    ctx.seq,
                    format!("use {use_id} of {resource} by {agent}"),
                    postings,
                )?;
                let record = self.resources.get_mut(resource).ok_or_else(mismatch)?;
                for line in lines.iter().filter(|l| Some(l.bucket) == payback_bucket) {
                    let owner = record
                        .owners
                        .iter_mut()
                        .find(|o| o.agent == line.to)
                        .ok_or_else(mismatch)?;
                    owner.received += line.amount;
                }
                if *commons {
                    record.status = ResourceStatus::Commons;
                }
                let fee_version = record.fee_history.len();
                record.uses.push(UseRecord {
                    id: *use_id,
                    date: ctx.date,
                    fee_version,
                    agent: agent.clone(),
                    hours: parse_decimal(hours, "hours")?,
                    community: *community,
                    fee: *fee,
                    lines: lines.clone(),
                    seq: ctx.seq,
                });
            }
            _ => return Err(mismatch()),
        }
        Ok(())
    }

    /// Records payback paid through a revenue plan's `payback` bucket, and the move to a
    /// commons when it fills the last cap.
    pub(crate) fn apply_payback(
        &mut self,
        resource: &str,
        payments: &[(&str, i128)],
    ) -> DomainResult<()> {
        let record = self.resources.get_mut(resource).ok_or_else(|| {
            DomainError::corrupt(format!("payback to unknown resource {resource}"))
        })?;
        for (agent, amount) in payments {
            let owner = record
                .owners
                .iter_mut()
                .find(|o| o.agent == *agent)
                .ok_or_else(|| {
                    DomainError::corrupt(format!("{agent} is not a co-owner of {resource}"))
                })?;
            owner.received += amount;
        }
        if record.status == ResourceStatus::CoOwned
            && !record.owners.is_empty()
            && record.all_paid_back()
        {
            record.status = ResourceStatus::Commons;
        }
        Ok(())
    }

    fn check_new_resource(&self, name: &str) -> DomainResult<()> {
        check_name(name, "resource name")?;
        if self.resources.contains_key(name) {
            return Err(DomainError::conflict(format!(
                "resource {name:?} already exists"
            )));
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn fee_schedule(
        &self,
        per_hour: &str,
        material_per_unit: &Option<String>,
        technician_per_hour: &Option<String>,
        community_per_hour: &Option<String>,
        split: &[SplitShare],
        material_to: &Option<String>,
        after_payback: &Option<String>,
    ) -> DomainResult<FeeSchedule> {
        let optional = |text: &Option<String>, what: &str| -> DomainResult<Decimal> {
            text.as_deref()
                .map(|t| non_negative_decimal(t, what))
                .transpose()
                .map(Option::unwrap_or_default)
        };
        if split.is_empty() || split.len() > SPLIT_ENTRIES_MAX {
            return Err(DomainError::invalid(format!(
                "a fee split needs 1 to {SPLIT_ENTRIES_MAX} entries such as maintenance=20,infra=10,payback=70"
            )));
        }
        let mut total = Decimal::ZERO;
        for (index, share) in split.iter().enumerate() {
            check_name(&share.to, "split destination")?;
            if share.to == OUTSIDE {
                return Err(DomainError::invalid("a fee split cannot pay to `outside`"));
            }
            if split[..index].iter().any(|s| s.to == share.to) {
                return Err(DomainError::invalid(format!(
                    "split destination {} appears twice",
                    share.to
                )));
            }
            if share.percent < Decimal::ZERO {
                return Err(DomainError::invalid(format!(
                    "split percentage for {} is negative",
                    share.to
                )));
            }
            total += share.percent;
        }
        if total != Decimal::ONE_HUNDRED {
            return Err(DomainError::invalid(format!(
                "the fee split adds up to {total}%, not 100%"
            )));
        }
        let material_to = material_to
            .clone()
            .unwrap_or_else(|| MATERIALS_ACCOUNT.to_string());
        let after_payback = after_payback
            .clone()
            .unwrap_or_else(|| COMMONS_ACCOUNT.to_string());
        for name in [&material_to, &after_payback] {
            check_name(name, "account")?;
        }
        Ok(FeeSchedule {
            per_hour: non_negative_decimal(per_hour, "fee per hour")?,
            material_per_unit: optional(material_per_unit, "material fee per unit")?,
            technician_per_hour: optional(technician_per_hour, "technician fee per hour")?,
            community_per_hour: community_per_hour
                .as_deref()
                .map(|t| non_negative_decimal(t, "community fee per hour"))
                .transpose()?,
            split: split.to_vec(),
            material_to,
            after_payback,
        })
    }
}
