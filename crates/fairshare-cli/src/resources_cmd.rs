//! Shared resources (issue 3): internal crowdfunding campaigns, co-owned resources, fee
//! schedules and charged use. The clap types, one run function per command, and what each
//! prints (text, and with `--json` one document). See docs/RESOURCES.md.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;
use clap::Subcommand;
use fairshare_core::{
    Campaign, Command, FeeSchedule, Outcome, Resource, SplitShare, State, format_amount,
    parse_amount,
};
use serde::Serialize;

use crate::args::Page;
use crate::commands::{check_page, unexpected};
use crate::error::CliError;
use crate::render::{Output, Table, Text, or_dash, page_hint};
use crate::session::Session;

// ---------------------------------------------------------------------------------------------
// Arguments

#[derive(Debug, Subcommand)]
pub enum CampaignCmd {
    /// Open an internal crowdfunding campaign for a purchase (custodians)
    Open {
        /// The campaign's id, which is also the name of its account
        id: String,
        #[arg(long, value_name = "SLUG")]
        project: String,
        /// The amount to raise, in the project's currency
        #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
        target: String,
        #[arg(long, value_name = "TEXT")]
        purpose: Option<String>,
    },
    /// Pledge money from outside to an open campaign; a pledge past the target is cut
    Pledge {
        id: String,
        agent: String,
        #[arg(allow_negative_numbers = true)]
        amount: String,
    },
    /// Cancel an unfunded campaign, refunding every pledge to its pledger (custodians)
    Cancel { id: String },
    /// Spend a funded campaign on a resource co-owned by the pledgers (custodians)
    Purchase {
        id: String,
        /// Name of the new resource
        #[arg(long, value_name = "NAME")]
        resource: String,
        /// Risk premium: each co-owner is paid back up to pledge x (1 + PERCENT/100)
        #[arg(long, value_name = "PERCENT", allow_negative_numbers = true)]
        premium: String,
    },
    /// A campaign's target, pledges and status
    Show { id: String },
    /// Every campaign, or a project's
    List {
        #[arg(long, value_name = "SLUG")]
        project: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ResourceCmd {
    /// Add a resource held by the network (a commons), or contributed by an owner for a value
    Add {
        name: String,
        #[arg(long, value_name = "SLUG")]
        project: String,
        /// The agent who contributed it; paid back up to --value
        #[arg(long, value_name = "AGENT")]
        owner: Option<String>,
        #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
        value: Option<String>,
    },
    /// Set a resource's fee schedule and how its use fee is split (custodians)
    Fees {
        name: String,
        /// Use fee per hour
        #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
        per_hour: String,
        /// Material sold at cost, per unit
        #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
        material_per_unit: Option<String>,
        /// Technician's time, per hour (paid to the technician)
        #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
        technician_per_hour: Option<String>,
        /// The use fee's split, in order, adding up to 100; `payback` pays the co-owners back
        #[arg(long, value_name = "NAME=PERCENT,...", allow_hyphen_values = true)]
        split: String,
        /// Account that receives material at cost [default: materials]
        #[arg(long, value_name = "NAME")]
        material_to: Option<String>,
        /// Where the payback share goes once every co-owner is paid back [default: commons]
        #[arg(long, value_name = "NAME")]
        after_payback: Option<String>,
        /// Use fee per hour of community (non-commercial) use [default: free]
        #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
        community_per_hour: Option<String>,
    },
    /// Log a use of a resource and charge its fee (from outside, or from the user's balance)
    Use {
        name: String,
        agent: String,
        #[arg(long, value_name = "H", allow_negative_numbers = true)]
        hours: String,
        #[arg(long, value_name = "N", allow_negative_numbers = true)]
        material_units: Option<String>,
        #[arg(long, value_name = "AGENT", requires = "technician_hours")]
        technician: Option<String>,
        #[arg(
            long,
            value_name = "H",
            allow_negative_numbers = true,
            requires = "technician"
        )]
        technician_hours: Option<String>,
        /// Community (non-commercial) use, charged at the community rate
        #[arg(long)]
        community: bool,
        /// The user pays from their balance in the network instead of from outside
        #[arg(long)]
        from_balance: bool,
    },
    /// A resource's status, co-owners, fee schedule and use history
    Show {
        name: String,
        #[command(flatten)]
        page: Page,
    },
    /// Every resource, or a project's
    List {
        #[arg(long, value_name = "SLUG")]
        project: Option<String>,
    },
}

// ---------------------------------------------------------------------------------------------
// Run

pub fn campaign(s: &Session, command: CampaignCmd) -> Result<Box<dyn Output>> {
    match command {
        CampaignCmd::Open {
            id,
            project,
            target,
            purpose,
        } => {
            let mut book = s.open_book()?;
            let command = Command::OpenCampaign {
                id: id.clone(),
                project,
                target,
                purpose,
            };
            s.execute(&mut book, command)?;
            let state = book.state();
            Ok(Box::new(CampaignOut::of(state, state.campaign(&id)?)?))
        }
        CampaignCmd::Pledge { id, agent, amount } => {
            let mut book = s.open_book()?;
            let command = Command::Pledge {
                campaign: id.clone(),
                agent: agent.clone(),
                amount: amount.clone(),
            };
            let executed = s.execute(&mut book, command)?;
            let Outcome::Pledged {
                amount: accepted,
                cut,
                funded,
            } = executed.outcome
            else {
                return Err(unexpected(&executed));
            };
            let state = book.state();
            let campaign = state.campaign(&id)?;
            let (currency, exponent) = currency_of(state, &campaign.project)?;
            let requested = parse_amount(&amount, exponent)
                .map(|minor| format_amount(minor, exponent))
                .unwrap_or(amount);
            Ok(Box::new(Pledged {
                campaign: id,
                agent,
                requested,
                amount: format_amount(accepted, exponent),
                cut,
                funded,
                raised: format_amount(campaign.raised, exponent),
                target: format_amount(campaign.target, exponent),
                currency,
                replayed: executed.replayed,
            }))
        }
        CampaignCmd::Cancel { id } => {
            let mut book = s.open_book()?;
            let command = Command::CancelCampaign {
                campaign: id.clone(),
            };
            let executed = s.execute(&mut book, command)?;
            let Outcome::Refunded { lines } = executed.outcome else {
                return Err(unexpected(&executed));
            };
            let state = book.state();
            let campaign = state.campaign(&id)?;
            let (currency, exponent) = currency_of(state, &campaign.project)?;
            let mut refunds = BTreeMap::new();
            for line in &lines {
                *refunds.entry(line.to.clone()).or_insert(0) += line.amount;
            }
            Ok(Box::new(Cancelled {
                campaign: id,
                status: campaign.status.as_str().to_string(),
                total: format_amount(lines.iter().map(|l| l.amount).sum(), exponent),
                refunds: refunds
                    .into_iter()
                    .map(|(agent, amount)| (agent.to_string(), format_amount(amount, exponent)))
                    .collect(),
                currency,
                replayed: executed.replayed,
            }))
        }
        CampaignCmd::Purchase {
            id,
            resource,
            premium,
        } => {
            let mut book = s.open_book()?;
            let command = Command::Purchase {
                campaign: id.clone(),
                resource: resource.clone(),
                premium_percent: premium.clone(),
            };
            let executed = s.execute(&mut book, command)?;
            let Outcome::Purchased { amount, owners } = executed.outcome else {
                return Err(unexpected(&executed));
            };
            let state = book.state();
            let (currency, exponent) = currency_of(state, &state.campaign(&id)?.project)?;
            Ok(Box::new(Purchased {
                campaign: id,
                resource,
                amount: format_amount(amount, exponent),
                premium_percent: premium,
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
            }))
        }
        CampaignCmd::Show { id } => {
            let book = s.open_book()?;
            let state = book.state();
            Ok(Box::new(CampaignOut::of(state, state.campaign(&id)?)?))
        }
        CampaignCmd::List { project } => {
            let book = s.open_book()?;
            let state = book.state();
            if let Some(project) = &project {
                state.project(project)?;
            }
            let campaigns = state
                .campaigns()
                .filter(|c| project.as_ref().is_none_or(|p| c.project == *p))
                .map(|c| CampaignRow::of(state, c))
                .collect::<Result<Vec<_>>>()?;
            Ok(Box::new(CampaignsOut { campaigns }))
        }
    }
}

pub fn resource(s: &Session, command: ResourceCmd) -> Result<Box<dyn Output>> {
    match command {
        ResourceCmd::Add {
            name,
            project,
            owner,
            value,
        } => {
            let mut book = s.open_book()?;
            let command = Command::AddResource {
                name: name.clone(),
                project,
                owner,
                value,
            };
            s.execute(&mut book, command)?;
            let state = book.state();
            Ok(Box::new(ResourceShow::of(
                state,
                state.resource(&name)?,
                Page {
                    limit: 0,
                    offset: 0,
                },
            )?))
        }
        ResourceCmd::Fees {
            name,
            per_hour,
            material_per_unit,
            technician_per_hour,
            split,
            material_to,
            after_payback,
            community_per_hour,
        } => {
            let split = parse_split(&split)?;
            let mut book = s.open_book()?;
            let command = Command::SetFees {
                resource: name.clone(),
                per_hour,
                material_per_unit,
                technician_per_hour,
                community_per_hour,
                split,
                material_to,
                after_payback,
            };
            s.execute(&mut book, command)?;
            let state = book.state();
            let resource = state.resource(&name)?;
            let (currency, _) = currency_of(state, &resource.project)?;
            let fees = resource.fees.as_ref().map(FeesOut::of).ok_or_else(|| {
                CliError::storage(format!(
                    "resource {name} has no fee schedule after setting it"
                ))
            })?;
            Ok(Box::new(FeesSet {
                resource: name,
                currency,
                fees,
            }))
        }
        ResourceCmd::Use {
            name,
            agent,
            hours,
            material_units,
            technician,
            technician_hours,
            community,
            from_balance,
        } => {
            let mut book = s.open_book()?;
            let command = Command::UseResource {
                resource: name.clone(),
                agent: agent.clone(),
                hours: hours.clone(),
                material_units,
                technician,
                technician_hours,
                community,
                from_balance,
            };
            let executed = s.execute(&mut book, command)?;
            let Outcome::Charged {
                use_id,
                fee,
                lines,
                commons,
            } = &executed.outcome
            else {
                return Err(unexpected(&executed));
            };
            let state = book.state();
            let resource = state.resource(&name)?;
            let (currency, exponent) = currency_of(state, &resource.project)?;
            let mut payouts = BTreeMap::new();
            for line in lines {
                *payouts.entry(line.to.clone()).or_insert(0) += line.amount;
            }
            Ok(Box::new(Charged {
                resource: name,
                r#use: *use_id,
                agent,
                hours,
                community,
                fee: format_amount(*fee, exponent),
                currency,
                payouts: payouts
                    .into_iter()
                    .map(|(to, amount)| (to.to_string(), format_amount(amount, exponent)))
                    .collect(),
                lines: lines
                    .iter()
                    .map(|line| ChargeLine {
                        label: label(resource.fees.as_ref(), line.bucket),
                        to: line.to.to_string(),
                        amount: format_amount(line.amount, exponent),
                    })
                    .collect(),
                became_commons: *commons,
                status: resource.status.as_str().to_string(),
                replayed: executed.replayed,
            }))
        }
        ResourceCmd::Show { name, page } => {
            check_page(page)?;
            let book = s.open_book()?;
            let state = book.state();
            Ok(Box::new(ResourceShow::of(
                state,
                state.resource(&name)?,
                page,
            )?))
        }
        ResourceCmd::List { project } => {
            let book = s.open_book()?;
            let state = book.state();
            if let Some(project) = &project {
                state.project(project)?;
            }
            let resources = state
                .resources()
                .filter(|r| project.as_ref().is_none_or(|p| r.project == *p))
                .map(|r| ResourceRow::of(state, r))
                .collect::<Result<Vec<_>>>()?;
            Ok(Box::new(ResourcesOut { resources }))
        }
    }
}

/// Parses `maintenance=20,infra=10,payback=70`, keeping the order as written. The core checks
/// names, duplicates and that the percentages add up to 100.
pub fn parse_split(text: &str) -> Result<Vec<SplitShare>> {
    let bad = |entry: &str, why: &str| {
        CliError::invalid(format!(
            "malformed --split entry {entry:?}: {why}; write NAME=PERCENT,... such as maintenance=20,infra=10,payback=70"
        ))
    };
    text.split(',')
        .map(|entry| {
            let (to, percent) = entry
                .split_once('=')
                .ok_or_else(|| bad(entry, "expected NAME=PERCENT"))?;
            let percent = percent.trim();
            let shape = !percent.is_empty()
                && percent
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
            let percent = if shape { percent.parse().ok() } else { None }
                .ok_or_else(|| bad(entry, "the percentage is not a decimal number"))?;
            Ok(SplitShare {
                to: to.trim().to_string(),
                percent,
            })
        })
        .collect()
}

/// A project's currency and its decimals.
fn currency_of(state: &State, project: &str) -> Result<(String, u32)> {
    let project = state.project(project)?;
    Ok((project.currency.clone(), project.exponent))
}

fn label(fees: Option<&FeeSchedule>, bucket: u32) -> String {
    fees.map(|f| f.line_label(bucket))
        .unwrap_or_else(|| format!("line {bucket}"))
}

// ---------------------------------------------------------------------------------------------
// Output: campaigns

#[derive(Serialize)]
pub struct PledgeRow {
    pub agent: String,
    pub amount: String,
}

/// What `campaign open` and `campaign show` print.
#[derive(Serialize)]
pub struct CampaignOut {
    pub campaign: String,
    pub project: String,
    pub purpose: Option<String>,
    pub status: String,
    pub currency: String,
    pub target: String,
    pub raised: String,
    pub missing: String,
    /// Every pledge, in the order they came.
    pub pledges: Vec<PledgeRow>,
    /// Pledged per agent, in byte order of handle.
    pub pledged: BTreeMap<String, String>,
    pub resource: Option<String>,
}

impl CampaignOut {
    fn of(state: &State, c: &Campaign) -> Result<CampaignOut> {
        let (currency, exponent) = currency_of(state, &c.project)?;
        let fmt = |minor| format_amount(minor, exponent);
        Ok(CampaignOut {
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
        })
    }
}

impl Text for CampaignOut {
    fn to_text(&self) -> String {
        let mut out = format!(
            "campaign {} of {}: {}{}\n  target:  {} {}\n  raised:  {} ({})\n",
            self.campaign,
            self.project,
            self.status,
            self.purpose
                .as_deref()
                .map(|p| format!(" — {p}"))
                .unwrap_or_default(),
            self.target,
            self.currency,
            self.raised,
            match self.status.as_str() {
                "cancelled" => "every pledge refunded".to_string(),
                _ => format!("{} missing", self.missing),
            }
        );
        if let Some(resource) = &self.resource {
            let _ = writeln!(out, "  bought:  resource {resource}");
        }
        if self.pledges.is_empty() {
            out.push_str("  no pledges yet\n");
        } else {
            out.push_str("  pledges:\n");
            let mut table = Table::new(&["agent", "amount"]).right(&[1]);
            for pledge in &self.pledges {
                table.row(vec![pledge.agent.clone(), pledge.amount.clone()]);
            }
            out.push_str(&table.render("    "));
        }
        out
    }
}

#[derive(Serialize)]
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
    pub replayed: bool,
}

impl Text for Pledged {
    fn to_text(&self) -> String {
        let mut out = format!(
            "{} pledged {} {} to {}",
            self.agent, self.amount, self.currency, self.campaign
        );
        if self.cut {
            let _ = write!(
                out,
                " (cut from {}: only {} was still missing)",
                self.requested, self.amount
            );
        }
        out.push('\n');
        let _ = writeln!(
            out,
            "{}: {} of {} {} raised{}",
            self.campaign,
            self.raised,
            self.target,
            self.currency,
            if self.funded {
                "; funded: it takes no more pledges"
            } else {
                ""
            }
        );
        if self.replayed {
            out.push_str("(already pledged with this key: nothing new recorded)\n");
        }
        out
    }
}

#[derive(Serialize)]
pub struct Cancelled {
    pub campaign: String,
    pub status: String,
    pub total: String,
    pub currency: String,
    /// What each pledger got back, in byte order of handle.
    pub refunds: BTreeMap<String, String>,
    pub replayed: bool,
}

impl Text for Cancelled {
    fn to_text(&self) -> String {
        let mut out = format!(
            "campaign {} cancelled: {} {} refunded\n",
            self.campaign, self.total, self.currency
        );
        if self.refunds.is_empty() {
            out.push_str("  it had no pledges\n");
        } else {
            let mut table = Table::new(&["refund to", "amount"]).right(&[1]);
            for (agent, amount) in &self.refunds {
                table.row(vec![agent.clone(), amount.clone()]);
            }
            out.push_str(&table.render("  "));
        }
        out
    }
}

#[derive(Serialize)]
pub struct OwnerCap {
    pub agent: String,
    pub pledge: String,
    pub cap: String,
}

#[derive(Serialize)]
pub struct Purchased {
    pub campaign: String,
    pub resource: String,
    pub amount: String,
    pub premium_percent: String,
    pub currency: String,
    /// Co-owners in byte order of handle: pledge (their share) and payback cap.
    pub owners: Vec<OwnerCap>,
    pub replayed: bool,
}

impl Text for Purchased {
    fn to_text(&self) -> String {
        let mut out = format!(
            "{} bought {} for {} {}; co-owners are paid back up to their pledge + {}%:\n",
            self.campaign, self.resource, self.amount, self.currency, self.premium_percent
        );
        let mut table = Table::new(&["co-owner", "pledge", "cap"]).right(&[1, 2]);
        for owner in &self.owners {
            table.row(vec![
                owner.agent.clone(),
                owner.pledge.clone(),
                owner.cap.clone(),
            ]);
        }
        out.push_str(&table.render("  "));
        out
    }
}

#[derive(Serialize)]
pub struct CampaignRow {
    pub campaign: String,
    pub project: String,
    pub status: String,
    pub currency: String,
    pub target: String,
    pub raised: String,
    pub pledges: usize,
    pub resource: Option<String>,
}

impl CampaignRow {
    fn of(state: &State, c: &Campaign) -> Result<CampaignRow> {
        let (currency, exponent) = currency_of(state, &c.project)?;
        Ok(CampaignRow {
            campaign: c.id.clone(),
            project: c.project.clone(),
            status: c.status.as_str().to_string(),
            currency,
            target: format_amount(c.target, exponent),
            raised: format_amount(c.raised, exponent),
            pledges: c.pledges.len(),
            resource: c.resource.clone(),
        })
    }
}

#[derive(Serialize)]
pub struct CampaignsOut {
    pub campaigns: Vec<CampaignRow>,
}

impl Text for CampaignsOut {
    fn to_text(&self) -> String {
        if self.campaigns.is_empty() {
            return "no campaigns: open one with `fairshare campaign open ID --project P --target AMOUNT`\n"
                .to_string();
        }
        let mut table = Table::new(&[
            "campaign", "project", "status", "raised", "target", "pledges", "resource",
        ])
        .right(&[3, 4, 5]);
        for c in &self.campaigns {
            table.row(vec![
                c.campaign.clone(),
                c.project.clone(),
                c.status.clone(),
                c.raised.clone(),
                format!("{} {}", c.target, c.currency),
                c.pledges.to_string(),
                or_dash(c.resource.as_deref()),
            ]);
        }
        table.render("")
    }
}

// ---------------------------------------------------------------------------------------------
// Output: resources

#[derive(Serialize)]
pub struct SplitOut {
    pub to: String,
    pub percent: String,
}

#[derive(Serialize)]
pub struct FeesOut {
    pub per_hour: String,
    pub material_per_unit: String,
    pub technician_per_hour: String,
    /// None: community use is free.
    pub community_per_hour: Option<String>,
    /// The use fee's split, in the order it was written.
    pub split: Vec<SplitOut>,
    pub material_to: String,
    pub after_payback: String,
}

impl FeesOut {
    fn of(fees: &FeeSchedule) -> FeesOut {
        FeesOut {
            per_hour: fees.per_hour.to_string(),
            material_per_unit: fees.material_per_unit.to_string(),
            technician_per_hour: fees.technician_per_hour.to_string(),
            community_per_hour: fees.community_per_hour.map(|d| d.to_string()),
            split: fees
                .split
                .iter()
                .map(|s| SplitOut {
                    to: s.to.clone(),
                    percent: s.percent.to_string(),
                })
                .collect(),
            material_to: fees.material_to.clone(),
            after_payback: fees.after_payback.clone(),
        }
    }

    fn lines(&self, currency: &str, indent: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{indent}use:        {} {currency} per hour{}",
            self.per_hour,
            match &self.community_per_hour {
                Some(rate) => format!(" ({rate} per hour for community use)"),
                None => " (community use is free)".to_string(),
            }
        );
        let _ = writeln!(
            out,
            "{indent}material:   {} per unit, at cost to {}",
            self.material_per_unit, self.material_to
        );
        let _ = writeln!(
            out,
            "{indent}technician: {} per hour, to the technician",
            self.technician_per_hour
        );
        let split: Vec<String> = self
            .split
            .iter()
            .map(|s| format!("{}% {}", s.percent, s.to))
            .collect();
        let _ = writeln!(
            out,
            "{indent}use fee:    {}; payback goes to {} once every co-owner is paid back",
            split.join(", "),
            self.after_payback
        );
        out
    }
}

#[derive(Serialize)]
pub struct FeesSet {
    pub resource: String,
    pub currency: String,
    pub fees: FeesOut,
}

impl Text for FeesSet {
    fn to_text(&self) -> String {
        format!(
            "fee schedule of {}:\n{}",
            self.resource,
            self.fees.lines(&self.currency, "  ")
        )
    }
}

#[derive(Serialize)]
pub struct ChargeLine {
    pub label: String,
    pub to: String,
    pub amount: String,
}

/// What `resource use` prints.
#[derive(Serialize)]
pub struct Charged {
    pub resource: String,
    pub r#use: u64,
    pub agent: String,
    pub hours: String,
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

impl Text for Charged {
    fn to_text(&self) -> String {
        let mut out = format!(
            "use {} of {} by {}: {} h{}, fee {} {}\n",
            self.r#use,
            self.resource,
            self.agent,
            self.hours,
            if self.community { " (community)" } else { "" },
            self.fee,
            self.currency
        );
        if self.replayed {
            out.push_str("(already logged with this key: nothing new recorded)\n");
        }
        let mut table = Table::new(&["rule", "to", "amount"]).right(&[2]);
        for line in &self.lines {
            table.row(vec![
                line.label.clone(),
                line.to.clone(),
                line.amount.clone(),
            ]);
        }
        out.push_str(&table.render("  "));
        if self.became_commons {
            let _ = writeln!(
                out,
                "every co-owner is now paid back: {} is a commons",
                self.resource
            );
        }
        out
    }
}

#[derive(Serialize)]
pub struct OwnerOut {
    pub agent: String,
    pub pledge: String,
    pub cap: String,
    pub received: String,
    pub outstanding: String,
}

#[derive(Serialize)]
pub struct UseRow {
    pub r#use: u64,
    /// Sequence number of the event that logged it.
    pub event: u64,
    pub agent: String,
    pub hours: String,
    pub community: bool,
    pub fee: String,
    pub payouts: BTreeMap<String, String>,
}

/// What `resource show` (and `resource add`) prints.
#[derive(Serialize)]
pub struct ResourceShow {
    pub resource: String,
    pub project: String,
    pub status: String,
    pub currency: String,
    pub value: Option<String>,
    pub campaign: Option<String>,
    pub owners: Vec<OwnerOut>,
    pub fees: Option<FeesOut>,
    pub uses: usize,
    pub fees_charged: String,
    pub offset: usize,
    pub limit: usize,
    /// A page of the use history, oldest first.
    pub history: Vec<UseRow>,
}

impl ResourceShow {
    fn of(state: &State, r: &Resource, page: Page) -> Result<ResourceShow> {
        let (currency, exponent) = currency_of(state, &r.project)?;
        let fmt = |minor| format_amount(minor, exponent);
        Ok(ResourceShow {
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
            uses: r.uses.len(),
            fees_charged: fmt(r.uses.iter().map(|u| u.fee).sum()),
            offset: page.offset,
            limit: page.limit,
            history: r
                .uses
                .iter()
                .skip(page.offset)
                .take(page.limit)
                .map(|u| {
                    let mut payouts = BTreeMap::new();
                    for line in &u.lines {
                        *payouts.entry(line.to.clone()).or_insert(0) += line.amount;
                    }
                    UseRow {
                        r#use: u.id,
                        event: u.seq,
                        agent: u.agent.clone(),
                        hours: u.hours.to_string(),
                        community: u.community,
                        fee: fmt(u.fee),
                        payouts: payouts
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), fmt(v)))
                            .collect(),
                    }
                })
                .collect(),
        })
    }
}

impl Text for ResourceShow {
    fn to_text(&self) -> String {
        let mut out = format!(
            "resource {} of {}: {}\n",
            self.resource, self.project, self.status
        );
        match (&self.campaign, &self.value) {
            (Some(campaign), Some(value)) => {
                let _ = writeln!(
                    out,
                    "  bought by campaign {campaign} for {value} {}",
                    self.currency
                );
            }
            (None, Some(value)) => {
                let _ = writeln!(out, "  contributed for {value} {}", self.currency);
            }
            _ => {}
        }
        if self.owners.is_empty() {
            out.push_str("  no co-owners: held by the network\n");
        } else {
            out.push_str("  co-owners:\n");
            let mut table = Table::new(&["agent", "pledge", "cap", "received", "outstanding"])
                .right(&[1, 2, 3, 4]);
            for o in &self.owners {
                table.row(vec![
                    o.agent.clone(),
                    o.pledge.clone(),
                    o.cap.clone(),
                    o.received.clone(),
                    o.outstanding.clone(),
                ]);
            }
            out.push_str(&table.render("    "));
        }
        match &self.fees {
            Some(fees) => {
                out.push_str("  fees:\n");
                out.push_str(&fees.lines(&self.currency, "    "));
            }
            None => {
                let _ = writeln!(
                    out,
                    "  no fee schedule yet: set one with `fairshare resource fees {} ...`",
                    self.resource
                );
            }
        }
        let _ = writeln!(
            out,
            "  uses: {}, fees charged {} {}",
            self.uses, self.fees_charged, self.currency
        );
        if !self.history.is_empty() {
            let mut table =
                Table::new(&["use", "event", "agent", "hours", "fee"]).right(&[0, 1, 3, 4]);
            for u in &self.history {
                table.row(vec![
                    u.r#use.to_string(),
                    u.event.to_string(),
                    u.agent.clone(),
                    format!("{}{}", u.hours, if u.community { " (c)" } else { "" }),
                    u.fee.clone(),
                ]);
            }
            out.push_str(&table.render("    "));
            let _ = writeln!(
                out,
                "    {} of {} uses{}",
                self.history.len(),
                self.uses,
                page_hint(self.offset, self.history.len(), self.uses)
            );
        }
        out
    }
}

#[derive(Serialize)]
pub struct ResourceRow {
    pub resource: String,
    pub project: String,
    pub status: String,
    pub currency: String,
    pub owners: usize,
    /// Payback still owed to the co-owners.
    pub outstanding: String,
    pub uses: usize,
    pub fees_set: bool,
}

impl ResourceRow {
    fn of(state: &State, r: &Resource) -> Result<ResourceRow> {
        let (currency, exponent) = currency_of(state, &r.project)?;
        Ok(ResourceRow {
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
        })
    }
}

#[derive(Serialize)]
pub struct ResourcesOut {
    pub resources: Vec<ResourceRow>,
}

impl Text for ResourcesOut {
    fn to_text(&self) -> String {
        if self.resources.is_empty() {
            return "no resources: buy one with `fairshare campaign purchase` or add one with `fairshare resource add`\n"
                .to_string();
        }
        let mut table = Table::new(&[
            "resource",
            "project",
            "status",
            "owners",
            "outstanding",
            "uses",
            "fees",
        ])
        .right(&[3, 4, 5]);
        for r in &self.resources {
            table.row(vec![
                r.resource.clone(),
                r.project.clone(),
                r.status.clone(),
                r.owners.to_string(),
                format!("{} {}", r.outstanding, r.currency),
                r.uses.to_string(),
                if r.fees_set { "set" } else { "none" }.to_string(),
            ]);
        }
        table.render("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_keep_their_order() {
        let split = parse_split("maintenance=20,infra=10,payback=70").unwrap();
        let names: Vec<&str> = split.iter().map(|s| s.to.as_str()).collect();
        assert_eq!(names, ["maintenance", "infra", "payback"]);
        assert_eq!(split[2].percent.to_string(), "70");
        let split = parse_split("a=12.5,b=87.5").unwrap();
        assert_eq!(split[0].percent.to_string(), "12.5");
        for bad in ["maintenance:20", "a=", "a=1e2", "a=x,b=100"] {
            assert!(parse_split(bad).is_err(), "{bad}");
        }
    }
}
