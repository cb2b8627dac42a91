//! Shared resources (issue 3): internal crowdfunding campaigns, co-owned resources, fee
//! schedules and charged use. The clap types, one request of `fairshare_ops::resources` per
//! command, and the text of each view (with `--json`, the view itself, as the API answers).
//! See docs/RESOURCES.md.

use std::fmt::Write as _;

use anyhow::Result;
use clap::Subcommand;
use fairshare_core::Role;
use fairshare_ops::PAGE_LIMIT_MAX;
use fairshare_ops::agents::RoleName;
use fairshare_ops::resources::{
    AddResource, CampaignOut, CampaignsOut, CancelCampaign, Cancelled, Charged, CommunityAdd,
    CommunityList, CommunityRemove, FeesOut, FeesSet, ListCampaigns, ListResources, OpenCampaign,
    Pledge, Pledged, Purchase, Purchased, ResourceShow, ResourcesOut, SetFees, ShowCampaign,
    ShowResource, SplitSpec, UseResource,
};

use crate::commands::out;
use crate::error::CliError;
use crate::invocation::Invocation;
use crate::render::{Output, Table, Text, count_line, list_text, or_dash};

// ---------------------------------------------------------------------------------------------
// Arguments

#[derive(Debug, Subcommand)]
pub enum CampaignCmd {
    /// Open an internal crowdfunding campaign for a purchase (custodians)
    Open(OpenCampaign),
    /// Pledge money from outside to an open campaign; a pledge past the target is cut
    Pledge(Pledge),
    /// Cancel an unfunded campaign, refunding every pledge to its pledger (custodians)
    Cancel(CancelCampaign),
    /// Spend a funded campaign on a resource co-owned by the pledgers (custodians)
    Purchase(Purchase),
    /// A campaign's target, pledges and status
    Show(ShowCampaign),
    /// Every campaign, or a project's
    List {
        #[arg(long, value_name = "SLUG")]
        project: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ResourceCmd {
    /// Add a resource held by the network (a commons), or contributed by an owner for a value
    Add(AddResource),
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
        /// Roles whose uses pay the community rate, such as custodian,affiliate [default:
        /// none: only the resource's community list]
        #[arg(long, value_name = "ROLE,...")]
        community_roles: Option<String>,
    },
    /// Log a use of a resource and charge its fee (from outside, or from the user's balance)
    Use(UseResource),
    /// The agents who pay the community rate of a resource, kept by custodians
    #[command(subcommand)]
    Community(CommunityCmd),
    /// A resource's status, co-owners, fee schedule and use history
    Show(ShowResource),
    /// Every resource, or a project's
    List {
        #[arg(long, value_name = "SLUG")]
        project: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CommunityCmd {
    /// Put an agent on a resource's community list: their uses pay the community rate
    /// (custodians)
    Add(CommunityAdd),
    /// Take an agent off a resource's community list (custodians)
    Remove(CommunityRemove),
}

// ---------------------------------------------------------------------------------------------
// Run

pub fn campaign(s: &Invocation, command: CampaignCmd) -> Result<Box<dyn Output>> {
    match command {
        CampaignCmd::Open(request) => out(s.write(&request)?),
        CampaignCmd::Pledge(request) => out(s.write(&request)?),
        CampaignCmd::Cancel(request) => out(s.write(&request)?),
        CampaignCmd::Purchase(request) => out(s.write(&request)?),
        CampaignCmd::Show(request) => out(s.read(&request)?),
        CampaignCmd::List { project } => out(s.read(&ListCampaigns {
            project,
            limit: Some(PAGE_LIMIT_MAX),
            offset: None,
        })?),
    }
}

pub fn resource(s: &Invocation, command: ResourceCmd) -> Result<Box<dyn Output>> {
    match command {
        ResourceCmd::Add(request) => out(s.write(&request)?),
        ResourceCmd::Fees {
            name,
            per_hour,
            material_per_unit,
            technician_per_hour,
            split,
            material_to,
            after_payback,
            community_per_hour,
            community_roles,
        } => {
            let split = parse_split(&split)?;
            let community_roles = community_roles
                .iter()
                .flat_map(|roles| roles.split(','))
                .map(|role| Ok(RoleName::from(role.trim().parse::<Role>()?)))
                .collect::<Result<_>>()?;
            out(s.write(&SetFees {
                resource: name,
                per_hour,
                material_per_unit,
                technician_per_hour,
                community_per_hour,
                split,
                material_to,
                after_payback,
                community_roles,
            })?)
        }
        ResourceCmd::Use(request) => out(s.write(&request)?),
        ResourceCmd::Community(CommunityCmd::Add(request)) => out(s.write(&request)?),
        ResourceCmd::Community(CommunityCmd::Remove(request)) => out(s.write(&request)?),
        ResourceCmd::Show(request) => out(s.read(&request)?),
        ResourceCmd::List { project } => out(s.read(&ListResources {
            project,
            limit: Some(PAGE_LIMIT_MAX),
            offset: None,
        })?),
    }
}

/// Parses `maintenance=20,infra=10,payback=70` (`SplitSpec::parse_list`), phrasing a
/// malformed entry as a `--split` one.
pub fn parse_split(text: &str) -> Result<Vec<SplitSpec>> {
    SplitSpec::parse_list(text).map_err(|(entry, why)| {
        CliError::invalid(format!(
            "malformed --split entry {entry:?}: {why}; write NAME=PERCENT,... such as maintenance=20,infra=10,payback=70"
        ))
        .into()
    })
}

/// A line after a list cut at the most rows one read answers.
fn cut_line(shown: usize, total: usize, what: &str) -> String {
    if shown < total {
        format!("the first {shown} of {total} {what}\n")
    } else {
        String::new()
    }
}

// ---------------------------------------------------------------------------------------------
// Text: campaigns

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

impl Text for CampaignsOut {
    fn to_text(&self) -> String {
        let table = Table::new(&[
            "campaign", "project", "status", "raised", "target", "pledges", "resource",
        ])
        .right(&[3, 4, 5]);
        let rows = self.campaigns.iter().map(|c| {
            vec![
                c.campaign.clone(),
                c.project.clone(),
                c.status.clone(),
                c.raised.clone(),
                format!("{} {}", c.target, c.currency),
                c.pledges.to_string(),
                or_dash(c.resource.as_deref()),
            ]
        });
        list_text(
            "no campaigns: open one with `fairshare campaign open ID --project P --target AMOUNT`",
            table,
            rows,
            |shown| cut_line(shown, self.page.total, "campaigns"),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Text: resources

fn fees_lines(fees: &FeesOut, currency: &str, indent: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{indent}use:        {} {currency} per hour{}",
        fees.per_hour,
        match &fees.community_per_hour {
            Some(rate) => format!(" ({rate} per hour for community use)"),
            None => " (community use is free)".to_string(),
        }
    );
    let _ = writeln!(
        out,
        "{indent}material:   {} per unit, at cost to {}",
        fees.material_per_unit, fees.material_to
    );
    let _ = writeln!(
        out,
        "{indent}technician: {} per hour, to the technician",
        fees.technician_per_hour
    );
    let split: Vec<String> = fees
        .split
        .iter()
        .map(|s| format!("{}% {}", s.percent, s.to))
        .collect();
    let _ = writeln!(
        out,
        "{indent}use fee:    {}; payback goes to {} once every co-owner is paid back",
        split.join(", "),
        fees.after_payback
    );
    if !fees.community_roles.is_empty() {
        let _ = writeln!(
            out,
            "{indent}community:  the community rate applies to every {}",
            fees.community_roles.join(", ")
        );
    }
    out
}

impl Text for CommunityList {
    fn to_text(&self) -> String {
        if self.community.is_empty() {
            return format!("community list of {}: empty\n", self.resource);
        }
        format!(
            "community list of {}: {}\n",
            self.resource,
            self.community.join(", ")
        )
    }
}

impl Text for FeesSet {
    fn to_text(&self) -> String {
        format!(
            "fee schedule of {}:\n{}",
            self.resource,
            fees_lines(&self.fees, &self.currency, "  ")
        )
    }
}

impl Text for Charged {
    fn to_text(&self) -> String {
        let mut out = format!(
            "use {} of {} by {}: {} h{}, fee {} {}\n",
            self.use_id,
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
                out.push_str(&fees_lines(fees, &self.currency, "    "));
            }
            None => {
                let _ = writeln!(
                    out,
                    "  no fee schedule yet: set one with `fairshare resource fees {} ...`",
                    self.resource
                );
            }
        }
        if !self.community.is_empty() {
            let _ = writeln!(
                out,
                "  community list (pays the community rate): {}",
                self.community.join(", ")
            );
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
                    u.use_id.to_string(),
                    u.event.to_string(),
                    u.agent.clone(),
                    format!("{}{}", u.hours, if u.community { " (c)" } else { "" }),
                    u.fee.clone(),
                ]);
            }
            out.push_str(&table.render("    "));
            let shown = self.history.len();
            out.push_str(&count_line("    ", shown, self.uses, "uses", self.offset));
        }
        out
    }
}

impl Text for ResourcesOut {
    fn to_text(&self) -> String {
        let table = Table::new(&[
            "resource",
            "project",
            "status",
            "owners",
            "outstanding",
            "uses",
            "fees",
        ])
        .right(&[3, 4, 5]);
        let rows = self.resources.iter().map(|r| {
            vec![
                r.resource.clone(),
                r.project.clone(),
                r.status.clone(),
                r.owners.to_string(),
                format!("{} {}", r.outstanding, r.currency),
                r.uses.to_string(),
                if r.fees_set { "set" } else { "none" }.to_string(),
            ]
        });
        list_text(
            "no resources: buy one with `fairshare campaign purchase` or add one with `fairshare resource add`",
            table,
            rows,
            |shown| cut_line(shown, self.page.total, "resources"),
        )
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
        assert_eq!(split[2].percent, "70");
        let split = parse_split("a=12.5,b=87.5").unwrap();
        assert_eq!(split[0].percent, "12.5");
        for bad in ["maintenance:20", "a=", "a=1e2", "a=x,b=100"] {
            assert!(parse_split(bad).is_err(), "{bad}");
        }
    }
}
