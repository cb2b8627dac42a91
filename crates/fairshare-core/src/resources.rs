//! Shared resources: internal crowdfunding campaigns, co-ownership, charged use, payback of
//! the co-owners with a risk premium, and the move to a commons.
//!
//! Payback and reimbursement share one capped pro-rata mechanism ([`crate::split::split_capped`]):
//! nobody is ever paid past their cap, and the payment that crosses the caps sends exactly the
//! excess on to `after_payback`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::command::{Command, Line, Outcome, TechnicianWork};
use crate::distribute::percent_floor;
use crate::engine::unfit;
use crate::error::{About, DomainError, DomainResult, Field};
use crate::ledger::{Posting, transfer};
use crate::model::{
    Contribution, Details, Kind, OUTSIDE, Role, Status, check_name, check_optional_text,
};
use crate::money::{parse_positive_amount, positive_amount};
use crate::roles::{affiliate_acts_for_self, forbid_observer, require_custodian};
use crate::split::{CappedShare, split_capped};
use crate::state::{Ctx, Project, State};

/// The work category of a technician's hours during a resource use.
pub(crate) const TECHNICIAN: &str = "technician";
use crate::value::{Value, non_negative_decimal, parse_decimal, positive_decimal};

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

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PledgeRecord {
    #[serde(with = "crate::snapshot::interned")]
    pub agent: Arc<str>,
    pub amount: i128,
    pub seq: u64,
}

/// An internal crowdfunding of a purchase. Its account is named by its id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FeeSchedule {
    #[serde(with = "crate::snapshot::decimal")]
    pub per_hour: Decimal,
    #[serde(with = "crate::snapshot::decimal")]
    pub material_per_unit: Decimal,
    #[serde(with = "crate::snapshot::decimal")]
    pub technician_per_hour: Decimal,
    /// Use fee per hour for community (non-commercial) use; none means free.
    #[serde(with = "crate::snapshot::json")]
    pub community_per_hour: Option<Decimal>,
    #[serde(with = "crate::snapshot::json")]
    pub split: Vec<SplitShare>,
    pub material_to: String,
    pub after_payback: String,
    /// The roles whose uses pay the community rate, in role order (none: only the
    /// resource's community list does).
    pub community_roles: Vec<Role>,
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

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UseRecord {
    pub id: u64,
    /// The day of the use (the day it was recorded).
    pub date: crate::date::Date,
    /// Which fee schedule charged it: `Resource::fee_history[fee_version - 1]`.
    pub fee_version: usize,
    pub agent: String,
    #[serde(with = "crate::snapshot::decimal")]
    pub hours: Decimal,
    pub community: bool,
    pub fee: i128,
    pub lines: Vec<Line>,
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Resource {
    pub name: String,
    pub project: String,
    pub status: ResourceStatus,
    #[serde(with = "crate::snapshot::owners")]
    pub owners: Vec<Owner>,
    /// The fee schedule in force.
    pub fees: Option<FeeSchedule>,
    /// Every schedule ever set, oldest first, so past uses keep their labels.
    pub fee_history: Vec<FeeSchedule>,
    pub uses: Vec<UseRecord>,
    pub value: Option<i128>,
    pub campaign: Option<String>,
    /// The agents a custodian listed as paying the community rate, in byte order.
    pub community: BTreeSet<String>,
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
        debug_assert!(
            self.owners
                .iter()
                .zip(&parts)
                .all(|(owner, part)| *part as i128 <= owner.outstanding().max(0)),
            "no co-owner is paid past their cap"
        );
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

    /// Whether a use by `agent`, of `role`, pays the community rate by who they are: they are
    /// on the community list, or the schedule in force gives it to their role.
    pub fn community_rate_for(&self, agent: &str, role: Role) -> bool {
        self.community.contains(agent)
            || self
                .fees
                .as_ref()
                .is_some_and(|f| f.community_roles.contains(&role))
    }
}

/// `floor(quantity * unit_price)` in minor units of an asset with `exponent` decimals.
fn charge_floor(quantity: Decimal, unit_price: Decimal, exponent: u32) -> DomainResult<i128> {
    Ok(Value::from_decimal(unit_price)?
        .mul_decimal(quantity)?
        .floor_minor(exponent))
}

/// The fields of a `SetFees` command, lent by the dispatcher.
pub(crate) struct FeeRequest<'a> {
    pub per_hour: &'a str,
    pub material_per_unit: Option<&'a str>,
    pub technician_per_hour: Option<&'a str>,
    pub community_per_hour: Option<&'a str>,
    pub split: &'a [SplitShare],
    pub material_to: Option<&'a str>,
    pub after_payback: Option<&'a str>,
    pub community_roles: &'a [Role],
}

impl<'a> FeeRequest<'a> {
    /// The fields of `command`, if it is a `SetFees`.
    pub(crate) fn of(command: &'a Command) -> Option<FeeRequest<'a>> {
        let Command::SetFees {
            per_hour,
            material_per_unit,
            technician_per_hour,
            community_per_hour,
            split,
            material_to,
            after_payback,
            community_roles,
            ..
        } = command
        else {
            return None;
        };
        Some(FeeRequest {
            per_hour,
            material_per_unit: material_per_unit.as_deref(),
            technician_per_hour: technician_per_hour.as_deref(),
            community_per_hour: community_per_hour.as_deref(),
            split,
            material_to: material_to.as_deref(),
            after_payback: after_payback.as_deref(),
            community_roles,
        })
    }

    /// The schedule these fields set, checked: non-negative fees, a split of 1 to
    /// [`SPLIT_ENTRIES_MAX`] distinct destinations adding up to exactly 100%.
    fn schedule(&self) -> DomainResult<FeeSchedule> {
        let optional = |text: Option<&str>, field: Field| -> DomainResult<Decimal> {
            text.map(|t| non_negative_decimal(field, t))
                .transpose()
                .map(Option::unwrap_or_default)
        };
        check_split(self.split)?;
        let material_to = self.material_to.unwrap_or(MATERIALS_ACCOUNT).to_string();
        let after_payback = self.after_payback.unwrap_or(COMMONS_ACCOUNT).to_string();
        check_name(Field::new("material_to", "account"), &material_to)?;
        check_name(Field::new("after_payback", "account"), &after_payback)?;
        let mut community_roles = self.community_roles.to_vec();
        community_roles.sort_unstable();
        community_roles.dedup();
        Ok(FeeSchedule {
            per_hour: non_negative_decimal(Field::new("per_hour", "fee per hour"), self.per_hour)?,
            material_per_unit: optional(
                self.material_per_unit,
                Field::new("material_per_unit", "material fee per unit"),
            )?,
            technician_per_hour: optional(
                self.technician_per_hour,
                Field::new("technician_per_hour", "technician fee per hour"),
            )?,
            community_per_hour: self
                .community_per_hour
                .map(|t| {
                    non_negative_decimal(
                        Field::new("community_per_hour", "community fee per hour"),
                        t,
                    )
                })
                .transpose()?,
            split: self.split.to_vec(),
            material_to,
            after_payback,
            community_roles,
        })
    }
}

/// A fee split: 1 to [`SPLIT_ENTRIES_MAX`] distinct destinations (never `outside`), no
/// negative percentage, adding up to exactly 100%.
fn check_split(split: &[SplitShare]) -> DomainResult<()> {
    const SPLIT: &str = "split";
    if split.is_empty() || split.len() > SPLIT_ENTRIES_MAX {
        let error = DomainError::invalid(format!(
            "a fee split needs 1 to {SPLIT_ENTRIES_MAX} entries such as maintenance=20,infra=10,payback=70"
        ))
        .field(SPLIT);
        return Err(if split.len() > SPLIT_ENTRIES_MAX {
            error.limit(format!("{SPLIT_ENTRIES_MAX} entries"))
        } else {
            error
        });
    }
    let mut total = Decimal::ZERO;
    for (index, share) in split.iter().enumerate() {
        check_name(Field::new(SPLIT, "split destination"), &share.to)?;
        if share.to == OUTSIDE {
            return Err(DomainError::invalid("a fee split cannot pay to `outside`")
                .field(SPLIT)
                .value(&share.to));
        }
        if split[..index].iter().any(|s| s.to == share.to) {
            return Err(DomainError::invalid(format!(
                "split destination {} appears twice",
                share.to
            ))
            .field(SPLIT)
            .value(&share.to));
        }
        if share.percent < Decimal::ZERO {
            return Err(DomainError::invalid(format!(
                "split percentage for {} is negative",
                share.to
            ))
            .field(SPLIT));
        }
        total += share.percent;
    }
    if total != Decimal::ONE_HUNDRED {
        return Err(
            DomainError::invalid(format!("the fee split adds up to {total}%, not 100%"))
                .field(SPLIT),
        );
    }
    Ok(())
}

/// The fields of a `UseResource` command, lent by the dispatcher.
pub(crate) struct UseRequest<'a> {
    pub resource: &'a str,
    pub agent: &'a str,
    pub hours: &'a str,
    pub material_units: Option<&'a str>,
    pub technician: Option<&'a str>,
    pub technician_hours: Option<&'a str>,
    pub community: bool,
    pub from_balance: bool,
}

impl<'a> UseRequest<'a> {
    /// The fields of `command`, if it is a `UseResource`.
    pub(crate) fn of(command: &'a Command) -> Option<UseRequest<'a>> {
        let Command::UseResource {
            resource,
            agent,
            hours,
            material_units,
            technician,
            technician_hours,
            community,
            from_balance,
        } = command
        else {
            return None;
        };
        Some(UseRequest {
            resource,
            agent,
            hours,
            material_units: material_units.as_deref(),
            technician: technician.as_deref(),
            technician_hours: technician_hours.as_deref(),
            community: *community,
            from_balance: *from_balance,
        })
    }
}

/// The outcome of a `UseResource` command.
pub(crate) struct Charge<'a> {
    pub use_id: u64,
    pub fee: i128,
    pub lines: &'a [Line],
    pub commons: bool,
    pub technician_work: Option<TechnicianWork>,
}

impl State {
    pub fn campaign(&self, id: &str) -> DomainResult<&Campaign> {
        self.campaigns.get(id).ok_or_else(|| {
            DomainError::not_found(format!("unknown campaign {id:?}: open the campaign first"))
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

    /// Decides the commands of shared resources: destructures and calls.
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
            } => self.decide_open_campaign(role, id, project, target, purpose.as_deref()),
            Command::Pledge {
                campaign,
                agent,
                amount,
            } => self.decide_pledge(ctx, role, campaign, agent, amount),
            Command::CancelCampaign { campaign } => self.decide_cancel_campaign(role, campaign),
            Command::Purchase {
                campaign,
                resource,
                premium_percent,
            } => self.decide_purchase(role, campaign, resource, premium_percent),
            Command::AddResource {
                name,
                project,
                owner,
                value,
            } => self.decide_add_resource(role, name, project, owner.as_deref(), value.as_deref()),
            Command::SetFees { resource, .. } => match FeeRequest::of(command) {
                Some(fees) => self.decide_set_fees(role, resource, &fees),
                None => Err(not_a_resource_command(command)),
            },
            Command::UseResource { .. } => match UseRequest::of(command) {
                Some(request) => self.decide_use_resource(ctx, role, &request),
                None => Err(not_a_resource_command(command)),
            },
            Command::CommunityAdd { resource, agent } => {
                self.decide_community(role, resource, agent, true)
            }
            Command::CommunityRemove { resource, agent } => {
                self.decide_community(role, resource, agent, false)
            }
            _ => Err(not_a_resource_command(command)),
        }
    }

    /// Applies the outcome of a resource command: destructures and calls.
    pub(crate) fn apply_resources(
        &mut self,
        ctx: &Ctx,
        command: &Command,
        outcome: &Outcome,
    ) -> DomainResult<()> {
        match (command, outcome) {
            (
                Command::OpenCampaign {
                    id,
                    project,
                    target,
                    purpose,
                },
                Outcome::Done,
            ) => self.apply_open_campaign(id, project, target, purpose.as_deref()),
            (
                Command::Pledge {
                    campaign, agent, ..
                },
                Outcome::Pledged { amount, funded, .. },
            ) => self.apply_pledge(ctx, campaign, agent, *amount, *funded),
            (Command::CancelCampaign { campaign }, Outcome::Refunded { lines }) => {
                self.apply_cancel_campaign(ctx, campaign, lines)
            }
            (
                Command::Purchase {
                    campaign, resource, ..
                },
                Outcome::Purchased { amount, owners },
            ) => self.apply_purchase(ctx, campaign, resource, *amount, owners),
            (
                Command::AddResource {
                    name,
                    project,
                    owner,
                    value,
                },
                Outcome::Done,
            ) => self.apply_add_resource(name, project, owner.as_deref(), value.as_deref()),
            (Command::SetFees { resource, .. }, Outcome::Done) => match FeeRequest::of(command) {
                Some(fees) => self.apply_set_fees(ctx, resource, &fees),
                None => Err(unfit(ctx, command.op())),
            },
            (
                Command::UseResource { .. },
                Outcome::Charged {
                    use_id,
                    fee,
                    lines,
                    commons,
                    technician_work,
                },
            ) => {
                let charge = Charge {
                    use_id: *use_id,
                    fee: *fee,
                    lines,
                    commons: *commons,
                    technician_work: *technician_work,
                };
                match UseRequest::of(command) {
                    Some(request) => self.apply_use_resource(ctx, &request, charge),
                    None => Err(unfit(ctx, command.op())),
                }
            }
            (Command::CommunityAdd { resource, agent }, Outcome::Done) => {
                self.apply_community(ctx, resource, agent, true)
            }
            (Command::CommunityRemove { resource, agent }, Outcome::Done) => {
                self.apply_community(ctx, resource, agent, false)
            }
            _ => Err(unfit(ctx, command.op())),
        }
    }

    // --- OpenCampaign ---

    fn decide_open_campaign(
        &self,
        role: Role,
        id: &str,
        project: &str,
        target: &str,
        purpose: Option<&str>,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "open campaigns")?;
        let project = self.project(project).about_value("project", project)?;
        let field = Field::new("id", "campaign id");
        check_name(field, id)?;
        if self.campaigns.contains_key(id) {
            return Err(
                DomainError::conflict(format!("campaign {id:?} already exists"))
                    .field("id")
                    .value(id),
            );
        }
        self.check_name_free(field, id)?;
        positive_amount("target", target, project.exponent)?;
        check_optional_text(Field::named("purpose"), purpose)?;
        Ok(Outcome::Done)
    }

    fn apply_open_campaign(
        &mut self,
        id: &str,
        project: &str,
        target: &str,
        purpose: Option<&str>,
    ) -> DomainResult<()> {
        let exponent = self.project(project)?.exponent;
        let campaign = Campaign {
            id: id.to_string(),
            project: project.to_string(),
            target: parse_positive_amount(target, exponent)?,
            purpose: purpose.map(str::to_string),
            status: CampaignStatus::Open,
            pledges: Vec::new(),
            raised: 0,
            resource: None,
        };
        self.campaigns.insert(id.to_string(), campaign);
        Ok(())
    }

    // --- Pledge ---

    fn decide_pledge(
        &self,
        ctx: &Ctx,
        role: Role,
        campaign: &str,
        agent: &str,
        amount: &str,
    ) -> DomainResult<Outcome> {
        forbid_observer(role, &ctx.actor, "pledge")?;
        affiliate_acts_for_self(
            role,
            &ctx.actor,
            agent,
            format_args!("pledge only for themself, not for {agent}"),
        )?;
        self.agent(agent).about_value("agent", agent)?;
        let campaign = self.campaign(campaign).about_value("campaign", campaign)?;
        let exponent = self.project(&campaign.project)?.exponent;
        let requested = positive_amount("amount", amount, exponent)?;
        if campaign.status != CampaignStatus::Open {
            return Err(DomainError::conflict(format!(
                "campaign {} is {}: it takes no more pledges",
                campaign.id,
                campaign.status.as_str()
            ))
            .field("campaign")
            .value(&campaign.id));
        }
        let missing = campaign.target - campaign.raised;
        let accepted = requested.min(missing);
        Ok(Outcome::Pledged {
            amount: accepted,
            cut: accepted < requested,
            funded: campaign.raised + accepted == campaign.target,
        })
    }

    fn apply_pledge(
        &mut self,
        ctx: &Ctx,
        campaign: &str,
        agent: &str,
        amount: i128,
        funded: bool,
    ) -> DomainResult<()> {
        let asset = self
            .project(&self.campaign(campaign)?.project)?
            .currency
            .clone();
        let memo = format!("pledge to {campaign} by {agent}");
        self.ledger.post(
            ctx.seq,
            memo,
            transfer(OUTSIDE, campaign, &asset, amount).to_vec(),
        )?;
        let handle = self.handle(agent)?;
        let record = self
            .campaigns
            .get_mut(campaign)
            .ok_or_else(|| unfit(ctx, "pledge"))?;
        record.pledges.push(PledgeRecord {
            agent: handle,
            amount,
            seq: ctx.seq,
        });
        record.raised += amount;
        if funded {
            record.status = CampaignStatus::Funded;
        }
        debug_assert_eq!(
            record.raised,
            record.pledges.iter().map(|p| p.amount).sum::<i128>(),
            "a campaign has raised what was pledged to it"
        );
        Ok(())
    }

    // --- CancelCampaign ---

    fn decide_cancel_campaign(&self, role: Role, campaign: &str) -> DomainResult<Outcome> {
        require_custodian(role, "cancel campaigns")?;
        let campaign = self.campaign(campaign).about_value("campaign", campaign)?;
        if campaign.status != CampaignStatus::Open {
            return Err(DomainError::conflict(format!(
                "campaign {} is {}: only an unfunded campaign can be cancelled",
                campaign.id,
                campaign.status.as_str()
            ))
            .field("campaign")
            .value(&campaign.id));
        }
        let lines: Vec<Line> = campaign
            .pledged_by_agent()
            .into_iter()
            .map(|(agent, amount)| Line {
                bucket: 0,
                to: agent.as_ref().into(),
                amount,
            })
            .collect();
        debug_assert_eq!(
            lines.iter().map(|l| l.amount).sum::<i128>(),
            campaign.raised,
            "the refunds give back exactly what was raised"
        );
        Ok(Outcome::Refunded { lines })
    }

    fn apply_cancel_campaign(
        &mut self,
        ctx: &Ctx,
        campaign: &str,
        lines: &[Line],
    ) -> DomainResult<()> {
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
            .ok_or_else(|| unfit(ctx, "cancel_campaign"))?
            .status = CampaignStatus::Cancelled;
        Ok(())
    }

    // --- Purchase ---

    fn decide_purchase(
        &self,
        role: Role,
        campaign: &str,
        resource: &str,
        premium_percent: &str,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "record purchases")?;
        let campaign = self.campaign(campaign).about_value("campaign", campaign)?;
        if campaign.status != CampaignStatus::Funded {
            let exponent = self.project(&campaign.project)?.exponent;
            return Err(DomainError::conflict(format!(
                "campaign {} is {} ({} of {} raised): only a funded campaign can purchase",
                campaign.id,
                campaign.status.as_str(),
                crate::money::format_amount(campaign.raised, exponent),
                crate::money::format_amount(campaign.target, exponent),
            ))
            .field("campaign")
            .value(&campaign.id));
        }
        self.check_new_resource(Field::new("resource", "resource name"), resource)?;
        let premium = non_negative_decimal(
            Field::new("premium_percent", "premium percent"),
            premium_percent,
        )?;
        let owners: Vec<Owner> = campaign
            .pledged_by_agent()
            .into_iter()
            .map(|(agent, pledge)| Owner {
                agent: agent.to_string(),
                pledge,
                cap: pledge + percent_floor(pledge, premium),
                received: 0,
            })
            .collect();
        debug_assert_eq!(
            owners.iter().map(|o| o.pledge).sum::<i128>(),
            campaign.raised,
            "the co-owners' shares are what they pledged"
        );
        debug_assert!(owners.iter().all(|o| o.cap >= o.pledge && o.pledge > 0));
        Ok(Outcome::Purchased {
            amount: campaign.raised,
            owners,
        })
    }

    fn apply_purchase(
        &mut self,
        ctx: &Ctx,
        campaign: &str,
        resource: &str,
        amount: i128,
        owners: &[Owner],
    ) -> DomainResult<()> {
        let project = self.campaign(campaign)?.project.clone();
        let asset = self.project(&project)?.currency.clone();
        let memo = format!("purchase of {resource} by {campaign}");
        self.ledger.post(
            ctx.seq,
            memo,
            transfer(campaign, OUTSIDE, &asset, amount).to_vec(),
        )?;
        let record = self
            .campaigns
            .get_mut(campaign)
            .ok_or_else(|| unfit(ctx, "purchase"))?;
        record.status = CampaignStatus::Purchased;
        record.resource = Some(resource.to_string());
        self.resources.insert(
            resource.to_string(),
            Resource {
                name: resource.to_string(),
                project,
                status: ResourceStatus::CoOwned,
                owners: owners.to_vec(),
                fees: None,
                fee_history: Vec::new(),
                uses: Vec::new(),
                community: BTreeSet::new(),
                value: Some(amount),
                campaign: Some(campaign.to_string()),
            },
        );
        Ok(())
    }

    // --- AddResource ---

    fn decide_add_resource(
        &self,
        role: Role,
        name: &str,
        project: &str,
        owner: Option<&str>,
        value: Option<&str>,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "add resources")?;
        let project = self.project(project).about_value("project", project)?;
        self.check_new_resource(Field::new("name", "resource name"), name)?;
        if let Some(owner) = owner {
            self.agent(owner).about_value("owner", owner)?;
            if value.is_none() {
                return Err(DomainError::invalid(format!(
                    "a resource contributed by {owner} needs its value, which is what {owner} is paid back"
                ))
                .field("value"));
            }
        }
        if let Some(value) = value {
            positive_amount("value", value, project.exponent)?;
        }
        Ok(Outcome::Done)
    }

    fn apply_add_resource(
        &mut self,
        name: &str,
        project: &str,
        owner: Option<&str>,
        value: Option<&str>,
    ) -> DomainResult<()> {
        let exponent = self.project(project)?.exponent;
        let value = value
            .map(|v| parse_positive_amount(v, exponent))
            .transpose()?;
        let owners: Vec<Owner> = match (owner, value) {
            (Some(owner), Some(value)) => {
                vec![Owner {
                    agent: owner.to_string(),
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
            name.to_string(),
            Resource {
                name: name.to_string(),
                project: project.to_string(),
                status,
                owners,
                fees: None,
                fee_history: Vec::new(),
                uses: Vec::new(),
                community: BTreeSet::new(),
                value,
                campaign: None,
            },
        );
        Ok(())
    }

    // --- SetFees ---

    fn decide_set_fees(
        &self,
        role: Role,
        resource: &str,
        fees: &FeeRequest,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "set fee schedules")?;
        self.resource(resource).about_value("resource", resource)?;
        fees.schedule()?;
        Ok(Outcome::Done)
    }

    fn apply_set_fees(&mut self, ctx: &Ctx, resource: &str, fees: &FeeRequest) -> DomainResult<()> {
        let schedule = fees.schedule()?;
        let record = self
            .resources
            .get_mut(resource)
            .ok_or_else(|| unfit(ctx, "set_fees"))?;
        record.fee_history.push(schedule.clone());
        record.fees = Some(schedule);
        Ok(())
    }

    // --- UseResource ---

    fn decide_use_resource(
        &self,
        ctx: &Ctx,
        role: Role,
        request: &UseRequest,
    ) -> DomainResult<Outcome> {
        let agent = request.agent;
        forbid_observer(role, &ctx.actor, "log resource use")?;
        affiliate_acts_for_self(
            role,
            &ctx.actor,
            agent,
            format_args!("log only their own use, not {agent}'s"),
        )?;
        let user = self.agent(agent).about_value("agent", agent)?;
        let resource = self
            .resource(request.resource)
            .about_value("resource", request.resource)?;
        let owed = resource.community_rate_for(agent, user.role);
        if ctx.hardened() && request.community && role != Role::Custodian && !owed {
            return Err(DomainError::forbidden(format!(
                "{} may not choose the community rate: it applies by the user's role or the \
                 resource's community list, which custodians keep",
                ctx.actor
            ))
            .field("community"));
        }
        let fees = resource.fees.as_ref().ok_or_else(|| {
            DomainError::invalid(format!(
                "resource {} has no fee schedule: set one with `resource fees {}`",
                resource.name, resource.name
            ))
            .field("resource")
            .value(&resource.name)
        })?;
        let project = self.project(&resource.project)?;
        let community = request.community || owed;
        let (lines, fee, commons) =
            self.charge(request, community, resource, fees, project.exponent)?;
        if fee == 0 {
            return Err(DomainError::invalid(
                "this use costs nothing under the fee schedule: nothing to record",
            ));
        }
        if request.from_balance {
            let balance = self.ledger.balance(agent, &project.currency);
            if balance < fee {
                let balance = crate::money::format_amount(balance, project.exponent);
                return Err(DomainError::invalid(format!(
                    "{agent} holds {balance} {} but the fee is {}",
                    project.currency,
                    crate::money::format_amount(fee, project.exponent)
                ))
                .field("from_balance")
                .limit(format!("{balance} {}", project.currency)));
            }
        }
        let technician_work = self.technician_work(ctx, request, fees, project)?;
        Ok(Outcome::Charged {
            use_id: resource.uses.len() as u64 + 1,
            fee,
            lines,
            commons,
            technician_work,
        })
    }

    /// The work contribution of a use's technician: their hours at the schedule's technician
    /// rate, in the resource's project, within the limits.
    fn technician_work(
        &self,
        ctx: &Ctx,
        request: &UseRequest,
        fees: &FeeSchedule,
        project: &Project,
    ) -> DomainResult<Option<TechnicianWork>> {
        let (Some(technician), Some(hours)) = (request.technician, request.technician_hours) else {
            return Ok(None);
        };
        if !ctx.hardened() {
            return Ok(None);
        }
        let contribution = self.technician_contribution(ctx, project, technician, hours, fees)?;
        crate::limits::check_contribution(ctx, &contribution, contribution.value)
            .map_err(|e| e.or_field("technician_hours", Some(hours.to_string())))?;
        self.check_counts(ctx, project, contribution.value.0, "technician_hours")?;
        Ok(Some(TechnicianWork {
            contribution: contribution.id,
            value: contribution.value,
        }))
    }

    /// The approved `technician` work contribution of `hours` by `technician`.
    fn technician_contribution(
        &self,
        ctx: &Ctx,
        project: &Project,
        technician: &str,
        hours: &str,
        fees: &FeeSchedule,
    ) -> DomainResult<Contribution> {
        let quantity = parse_decimal(hours, "technician hours")?;
        let value = Value::from_decimal(fees.technician_per_hour)?.mul_decimal(quantity)?;
        Ok(Contribution {
            id: self.contributions.len() as u64 + 1,
            project: project.slug.clone(),
            agent: self.handle(technician)?,
            kind: Kind::Work,
            category: Some(Arc::from(TECHNICIAN)),
            quantity,
            amount_minor: None,
            date: ctx.date,
            gift: false,
            reimbursable: false,
            value,
            status: Status::Approved,
            seq: ctx.seq,
            details: Details::boxed(Some(fees.technician_per_hour), None, Vec::new()),
        })
    }

    /// Counts the technician's work a decided use recorded.
    fn apply_technician_work(
        &mut self,
        ctx: &Ctx,
        request: &UseRequest,
        work: TechnicianWork,
    ) -> DomainResult<()> {
        let record = self.resource(request.resource)?;
        let project = self.project(&record.project)?;
        let fees = record
            .fees
            .as_ref()
            .ok_or_else(|| unfit(ctx, "use_resource"))?;
        let (Some(technician), Some(hours)) = (request.technician, request.technician_hours) else {
            return Err(unfit(ctx, "use_resource"));
        };
        let contribution = self.technician_contribution(ctx, project, technician, hours, fees)?;
        if contribution.id != work.contribution || contribution.value != work.value {
            return Err(unfit(ctx, "use_resource"));
        }
        self.count(&contribution)?;
        self.project_mut(&contribution.project)?.contributions += 1;
        self.contributions.push_packing(contribution);
        Ok(())
    }

    /// The fee of a use and its lines: material at cost (line 0), the technician (line 1),
    /// and the use fee split by the schedule (lines 2..); whether it makes a commons.
    fn charge(
        &self,
        request: &UseRequest,
        community: bool,
        resource: &Resource,
        fees: &FeeSchedule,
        exponent: u32,
    ) -> DomainResult<(Vec<Line>, i128, bool)> {
        let hours = positive_decimal(Field::named("hours"), request.hours)?;
        let units = match request.material_units {
            Some(units) => {
                non_negative_decimal(Field::new("material_units", "material units"), units)?
            }
            None => Decimal::ZERO,
        };
        let technician_hours = match (request.technician, request.technician_hours) {
            (Some(technician), Some(h)) => {
                self.agent(technician)
                    .about_value("technician", technician)?;
                positive_decimal(Field::new("technician_hours", "technician hours"), h)?
            }
            (None, None) => Decimal::ZERO,
            (Some(_), None) => {
                return Err(DomainError::invalid("a technician needs technician hours")
                    .field("technician_hours"));
            }
            (None, Some(_)) => {
                return Err(
                    DomainError::invalid("technician hours need a technician").field("technician")
                );
            }
        };
        let per_hour = if community {
            fees.community_per_hour.unwrap_or(Decimal::ZERO)
        } else {
            fees.per_hour
        };
        let material_fee = charge_floor(units, fees.material_per_unit, exponent)?;
        let technician_fee = charge_floor(technician_hours, fees.technician_per_hour, exponent)?;
        let use_fee = charge_floor(hours, per_hour, exponent)?;
        let mut lines = Vec::new();
        push_line(&mut lines, 0, &fees.material_to, material_fee);
        if let Some(technician) = request.technician {
            push_line(&mut lines, 1, technician, technician_fee);
        }
        let commons = split_use_fee(resource, fees, use_fee, &mut lines);
        let fee = material_fee + technician_fee + use_fee;
        debug_assert_eq!(lines.iter().map(|l| l.amount).sum::<i128>(), fee);
        Ok((lines, fee, commons))
    }

    fn apply_use_resource(
        &mut self,
        ctx: &Ctx,
        request: &UseRequest,
        charge: Charge,
    ) -> DomainResult<()> {
        let record = self.resource(request.resource)?;
        if charge.use_id != record.uses.len() as u64 + 1
            || charge.lines.iter().map(|l| l.amount).sum::<i128>() != charge.fee
        {
            return Err(unfit(ctx, "use_resource"));
        }
        let asset = self.project(&record.project)?.currency.clone();
        // The rate the decision charged: the custodian's `community`, or who the user is.
        let community = request.community
            || record.community_rate_for(request.agent, self.agent(request.agent)?.role);
        let payback_bucket = record
            .fees
            .as_ref()
            .and_then(|f| f.payback_index())
            .map(|i| i as u32 + 2);
        if let Some(work) = charge.technician_work {
            self.apply_technician_work(ctx, request, work)?;
        }
        self.post_use(ctx, request, &charge, &asset)?;
        let record = self
            .resources
            .get_mut(request.resource)
            .ok_or_else(|| unfit(ctx, "use_resource"))?;
        for line in charge
            .lines
            .iter()
            .filter(|l| Some(l.bucket) == payback_bucket)
        {
            let owner = record
                .owners
                .iter_mut()
                .find(|o| o.agent == line.to)
                .ok_or_else(|| unfit(ctx, "use_resource"))?;
            owner.received += line.amount;
        }
        if charge.commons {
            record.status = ResourceStatus::Commons;
        }
        let fee_version = record.fee_history.len();
        record.uses.push(UseRecord {
            id: charge.use_id,
            date: ctx.date,
            fee_version,
            agent: request.agent.to_string(),
            hours: parse_decimal(request.hours, "hours")?,
            community,
            fee: charge.fee,
            lines: charge.lines.to_vec(),
            seq: ctx.seq,
        });
        Ok(())
    }

    // --- CommunityAdd / CommunityRemove ---

    /// A custodian puts `agent` on (`add`) or takes them off a resource's community list.
    fn decide_community(
        &self,
        role: Role,
        resource: &str,
        agent: &str,
        add: bool,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "keep a resource's community list")?;
        let record = self.resource(resource).about_value("resource", resource)?;
        self.agent(agent).about_value("agent", agent)?;
        let listed = record.community.contains(agent);
        if add && listed {
            return Err(DomainError::conflict(format!(
                "{agent} is already on {resource}'s community list"
            ))
            .field("agent")
            .value(agent));
        }
        if !add && !listed {
            return Err(DomainError::not_found(format!(
                "{agent} is not on {resource}'s community list"
            ))
            .field("agent")
            .value(agent));
        }
        Ok(Outcome::Done)
    }

    fn apply_community(
        &mut self,
        ctx: &Ctx,
        resource: &str,
        agent: &str,
        add: bool,
    ) -> DomainResult<()> {
        let op = if add {
            "community_add"
        } else {
            "community_remove"
        };
        let record = self
            .resources
            .get_mut(resource)
            .ok_or_else(|| unfit(ctx, op))?;
        let changed = if add {
            record.community.insert(agent.to_string())
        } else {
            record.community.remove(agent)
        };
        if !changed {
            return Err(unfit(ctx, op));
        }
        Ok(())
    }

    /// A use's transaction: the fee from outside (or from the user's balance) to its lines.
    fn post_use(
        &mut self,
        ctx: &Ctx,
        request: &UseRequest,
        charge: &Charge,
        asset: &str,
    ) -> DomainResult<()> {
        let source = if request.from_balance {
            request.agent
        } else {
            OUTSIDE
        };
        let mut postings = vec![Posting {
            account: (source.to_string()).into(),
            asset: (asset.to_string()).into(),
            amount: -charge.fee,
        }];
        postings.extend(charge.lines.iter().map(|l| Posting {
            account: l.to.clone(),
            asset: (asset.to_string()).into(),
            amount: l.amount,
        }));
        self.ledger.post(
            ctx.seq,
            format!(
                "use {} of {} by {}",
                charge.use_id, request.resource, request.agent
            ),
            postings,
        )?;
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

    /// A new resource's name, given as the request field `field`: well formed and not taken.
    fn check_new_resource(&self, field: Field, name: &str) -> DomainResult<()> {
        check_name(field, name)?;
        if self.resources.contains_key(name) {
            return Err(
                DomainError::conflict(format!("resource {name:?} already exists"))
                    .field(field.name)
                    .value(name),
            );
        }
        Ok(())
    }
}

/// Pushes a line of a charge, unless it is for nothing.
fn push_line(lines: &mut Vec<Line>, bucket: usize, to: &str, amount: i128) {
    if amount > 0 {
        lines.push(Line {
            bucket: bucket as u32,
            to: to.into(),
            amount,
        });
    }
}

/// Splits the use fee by the schedule: each share rounded down, the last taking what rounding
/// left; the payback share goes to the co-owners up to their caps and the excess to
/// `after_payback`. Returns whether this payment pays the last co-owner back.
fn split_use_fee(
    resource: &Resource,
    fees: &FeeSchedule,
    use_fee: i128,
    lines: &mut Vec<Line>,
) -> bool {
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
            debug_assert_eq!(parts.iter().sum::<i128>() + excess, part);
            for (owner, paid) in resource.owners.iter().zip(&parts) {
                debug_assert!(*paid <= owner.outstanding().max(0));
                push_line(lines, index + 2, &owner.agent, *paid);
            }
            push_line(lines, fees.split.len() + 2, &fees.after_payback, excess);
            let mut after = resource.clone();
            for (owner, paid) in after.owners.iter_mut().zip(&parts) {
                owner.received += paid;
            }
            commons = resource.status == ResourceStatus::CoOwned && after.all_paid_back();
        } else {
            push_line(lines, index + 2, &share.to, part);
        }
    }
    debug_assert_eq!(left, 0, "the split places the whole use fee");
    commons
}

fn not_a_resource_command(command: &Command) -> DomainError {
    DomainError::corrupt(format!("{} is not a resource command", command.op()))
}

#[cfg(test)]
mod tests {
    use crate::limits::tests_support::*;
    use crate::resources::SplitShare;
    use crate::state::State;

    /// A book with affiliates `ana` and `bo`, observer `obs`, custodian `cus`, and a commons
    /// `lathe` at 25.00 an hour, 5.00 for community use, to `maintenance`.
    fn lathe(community_roles: Vec<Role>) -> State {
        let mut state = book(0);
        for (handle, role) in [("bo", Role::Affiliate), ("obs", Role::Observer)] {
            ok(&mut state, Command::add_agent(handle, role));
        }
        ok(
            &mut state,
            Command::AddResource {
                name: "lathe".into(),
                project: "p".into(),
                owner: None,
                value: None,
            },
        );
        ok(
            &mut state,
            Command::SetFees {
                resource: "lathe".into(),
                per_hour: "25.00".into(),
                material_per_unit: None,
                technician_per_hour: None,
                community_per_hour: Some("5.00".into()),
                split: vec![SplitShare {
                    to: "maintenance".into(),
                    percent: rust_decimal::Decimal::ONE_HUNDRED,
                }],
                material_to: None,
                after_payback: None,
                community_roles,
            },
        );
        state
    }

    fn use_by(agent: &str, community: bool) -> Command {
        Command::UseResource {
            resource: "lathe".into(),
            agent: agent.into(),
            hours: "2".into(),
            material_units: None,
            technician: None,
            technician_hours: None,
            community,
            from_balance: false,
        }
    }

    fn listing(agent: &str, add: bool) -> Command {
        let (resource, agent) = ("lathe".to_string(), agent.to_string());
        if add {
            Command::CommunityAdd { resource, agent }
        } else {
            Command::CommunityRemove { resource, agent }
        }
    }

    /// The fee and community flag of the last use of the lathe.
    fn last_use(state: &State) -> (i128, bool) {
        let resource = state.resource("lathe").expect("lathe");
        let record = resource.uses.last().expect("a use");
        (record.fee, record.community)
    }

    #[test]
    fn a_campaign_id_must_be_free() {
        let mut state = book(0);
        let open = |id: &str| Command::OpenCampaign {
            id: id.into(),
            project: "p".into(),
            target: "100.00".into(),
            purpose: None,
        };
        ok(&mut state, open("lathe-fund"));
        let taken = |id: &str, holder: &str| {
            (
                format!("conflict: campaign id {id:?} is already taken by {holder}"),
                "id".to_string(),
                String::new(),
            )
        };
        assert_eq!(
            refused(&mut state, "cus", open("ana")),
            taken("ana", "an agent")
        );
        assert_eq!(
            refused(&mut state, "cus", open("p")),
            taken("p", "a project")
        );
        assert_eq!(
            refused(&mut state, "cus", open("lathe-fund")).0,
            "conflict: campaign \"lathe-fund\" already exists"
        );
    }

    #[test]
    fn the_community_list_gives_its_agents_the_community_rate() {
        let mut state = lathe(Vec::new());
        run(&mut state, "ana", use_by("ana", false)).expect("use");
        assert_eq!(last_use(&state), (5000, false));
        ok(&mut state, listing("ana", true));
        assert_eq!(
            state.resource("lathe").expect("lathe").community,
            ["ana".to_string()].into()
        );
        run(&mut state, "ana", use_by("ana", false)).expect("use");
        assert_eq!(last_use(&state), (1000, true));
        // A listed agent may say so: the flag changes nothing.
        run(&mut state, "ana", use_by("ana", true)).expect("use");
        assert_eq!(last_use(&state), (1000, true));
        // bo is not on the list: commercial, and the flag is not theirs to pick.
        run(&mut state, "bo", use_by("bo", false)).expect("use");
        assert_eq!(last_use(&state), (5000, false));
        assert_eq!(
            refused(&mut state, "bo", use_by("bo", true)),
            (
                "forbidden: bo may not choose the community rate: it applies by the user's role \
                 or the resource's community list, which custodians keep"
                    .to_string(),
                "community".to_string(),
                String::new()
            )
        );
        ok(&mut state, listing("ana", false));
        run(&mut state, "ana", use_by("ana", false)).expect("use");
        assert_eq!(last_use(&state), (5000, false));
        // A custodian may still name the community rate for anyone.
        run(&mut state, "cus", use_by("obs", true)).expect("use");
        assert_eq!(last_use(&state), (1000, true));
        // 50.00 + 10.00 + 10.00 + 50.00 + 50.00 + 10.00
        assert_eq!(state.resource("lathe").expect("lathe").uses.len(), 6);
        assert_eq!(state.ledger.balance("maintenance", "CAD"), 18000);
    }

    #[test]
    fn only_a_custodian_keeps_the_community_list() {
        let mut state = lathe(Vec::new());
        let forbidden = (
            "forbidden: only custodians may keep a resource's community list; this agent is an \
             affiliate"
                .to_string(),
            String::new(),
            String::new(),
        );
        assert_eq!(refused(&mut state, "ana", listing("ana", true)), forbidden);
        ok(&mut state, listing("bo", true));
        assert_eq!(refused(&mut state, "ana", listing("bo", false)), forbidden);
        assert_eq!(
            refused(&mut state, "cus", listing("bo", true)),
            (
                "conflict: bo is already on lathe's community list".to_string(),
                "agent".to_string(),
                String::new()
            )
        );
        assert_eq!(
            refused(&mut state, "cus", listing("ana", false)),
            (
                "not-found: ana is not on lathe's community list".to_string(),
                "agent".to_string(),
                String::new()
            )
        );
        assert_eq!(
            refused(&mut state, "cus", listing("nobody", true)).1,
            "agent".to_string()
        );
        // A forged removal of an agent not on the list is corrupt.
        let ctx = ctx_on(&state, "cus", TODAY);
        let error = state
            .apply(&ctx, &listing("ana", false), &crate::command::Outcome::Done)
            .expect_err("unfit");
        assert_eq!(error.kind().as_str(), "corrupt");
    }

    #[test]
    fn the_schedule_gives_the_community_rate_by_role() {
        let mut state = lathe(vec![Role::Custodian, Role::Affiliate, Role::Affiliate]);
        let fees = state.resource("lathe").expect("lathe").fees.clone();
        assert_eq!(
            fees.expect("fees").community_roles,
            [Role::Custodian, Role::Affiliate]
        );
        run(&mut state, "bo", use_by("bo", false)).expect("use");
        assert_eq!(last_use(&state), (1000, true));
        run(&mut state, "cus", use_by("cus", false)).expect("use");
        assert_eq!(last_use(&state), (1000, true));
        // An observer (a client) pays the commercial rate.
        run(&mut state, "cus", use_by("obs", false)).expect("use");
        assert_eq!(last_use(&state), (5000, false));
    }

    #[test]
    fn a_fee_schedule_of_an_old_book_keeps_its_shape() {
        let old = r#"{"set_fees":{"resource":"lathe","per_hour":"25.00","split":[{"to":"maintenance","percent":"100"}]}}"#;
        let command: Command = serde_json::from_str(old).expect("an old set_fees");
        let Command::SetFees {
            community_roles, ..
        } = &command
        else {
            panic!("{command:?}");
        };
        assert!(community_roles.is_empty());
        assert_eq!(serde_json::to_string(&command).expect("json"), old);
        let listed = serde_json::to_string(&listing("ana", true)).expect("json");
        assert_eq!(
            listed,
            r#"{"community_add":{"resource":"lathe","agent":"ana"}}"#
        );
    }
}
