//! Peer valuation (issue 8): peer rounds, steward recognition, blends, bounties, pool
//! allocations, leavers, the cap table and blended shares. The clap types, one run function
//! per command, and what each prints. See docs/PEER.md.

use std::fmt::Write as _;

use anyhow::Result;
use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use fairshare_book::csv_field;
use fairshare_core::Date;
use fairshare_ops::peer::{
    AddBounty, AllocatePool, BlendSet, BlendedOut, BountiesOut, BountyAdded, BountyCompleted,
    Captable, CaptableOut, CloseRound, CompleteBounty, Give, Given, Leave, LeaverPolicySet,
    LeftOut, ListBounties, ListPools, ListRounds, ListStewardAwards, OpenRound, OptOut, OptedOut,
    PeerShareRow, PoolOut, PoolsOut, RecordCaptable, RoundClosed, RoundOpened, RoundShow,
    RoundsOut, SetBlend, SetLeaverPolicy, ShowRound, StewardAwardsOut, StewardGive, StewardGiven,
};
use serde::Serialize;

use crate::commands::out;
use crate::error::CliError;
use crate::invocation::Invocation;
use crate::render::{Output, Table, Text, or_dash, table_or};

// ---------------------------------------------------------------------------------------------
// Arguments

#[derive(Debug, Subcommand)]
pub enum RoundCmd {
    /// Open a peer round of a project (custodians)
    Open(OpenRound),
    /// Set the points FROM gives TO in an open round (0 takes a gift back)
    Give(Give),
    /// AGENT will not receive points in this round
    OptOut(OptOut),
    /// Close a round: peer share = points received / points given (custodians)
    Close(CloseRound),
    /// A round's budget, members, gifts and (provisional while open) shares
    Show(ShowRound),
    /// A project's rounds
    List(ListRounds),
}

#[derive(Debug, Subcommand)]
pub enum StewardCmd {
    /// Give an agent steward points, with a public reason (custodians)
    Give(StewardGive),
    /// A project's steward awards and each agent's points
    List(ListStewardAwards),
}

#[derive(Debug, Subcommand)]
pub enum BlendCmd {
    /// Set the weights of formula, peer and steward shares; they add up to exactly 1
    Set(SetBlend),
}

#[derive(Debug, Subcommand)]
pub enum BountyCmd {
    /// Add a task with a fixed reward in the project's currency (custodians)
    Add(AddBounty),
    /// Award a bounty to the agent who did the task; the actor (a custodian) approves it
    Complete(CompleteBounty),
    /// A project's bounties and who completed them
    List(ListBounties),
}

#[derive(Debug, Subcommand)]
pub enum PoolCmd {
    /// Allocate units of the project's currency: awarded bounties first, the rest by blended
    /// share. Needs an idempotency key, --key KEY: a retry returns the first allocation
    Allocate(AllocatePool),
    /// A project's pool allocations
    List(ListPools),
}

#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    group(ArgGroup::new("how").args(["good", "bad"]).required(true))
)]
pub struct LeaveArgs {
    #[command(subcommand)]
    pub policy: Option<LeaveSub>,
    #[arg(required = true)]
    pub project: Option<String>,
    #[arg(required = true)]
    pub agent: Option<String>,
    /// A good leaver keeps everything
    #[arg(long)]
    pub good: bool,
    /// A bad leaver keeps cash at 1x and loses non-cash value
    #[arg(long)]
    pub bad: bool,
}

#[derive(Debug, Subcommand)]
pub enum LeaveSub {
    /// Enable or disable leavers in a project (custodians)
    #[command(group(ArgGroup::new("switch").args(["enable", "disable"]).required(true)))]
    Policy {
        project: String,
        #[arg(long)]
        enable: bool,
        #[arg(long)]
        disable: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CaptableFormat {
    /// One header row, then one row per agent
    Csv,
    /// One JSON document (as with --json)
    Json,
}

#[derive(Debug, Args)]
pub struct CaptableArgs {
    pub project: String,
    /// Print CSV or JSON instead of a table
    #[arg(long, value_enum)]
    pub format: Option<CaptableFormat>,
    /// The day of the snapshot [default: today]
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<String>,
    /// Log the snapshot in the book (the `captable` command), dated today
    #[arg(long)]
    pub record: bool,
}

// ---------------------------------------------------------------------------------------------
// Run

pub fn round(s: &Invocation, command: RoundCmd) -> Result<Box<dyn Output>> {
    match command {
        RoundCmd::Open(request) => out(s.write(&request)?),
        RoundCmd::Give(request) => out(s.write(&request)?),
        RoundCmd::OptOut(request) => out(s.write(&request)?),
        RoundCmd::Close(request) => out(s.write(&request)?),
        RoundCmd::Show(request) => out(s.read(&request)?),
        RoundCmd::List(request) => out(s.read(&request)?),
    }
}

pub fn steward(s: &Invocation, command: StewardCmd) -> Result<Box<dyn Output>> {
    match command {
        StewardCmd::Give(request) => out(s.write(&request)?),
        StewardCmd::List(request) => out(s.read(&request)?),
    }
}

pub fn blend(s: &Invocation, command: BlendCmd) -> Result<Box<dyn Output>> {
    let BlendCmd::Set(request) = command;
    out(s.write(&request)?)
}

pub fn bounty(s: &Invocation, command: BountyCmd) -> Result<Box<dyn Output>> {
    match command {
        BountyCmd::Add(request) => out(s.write(&request)?),
        BountyCmd::Complete(request) => out(s.write(&request)?),
        BountyCmd::List(request) => out(s.read(&request)?),
    }
}

pub fn pool(s: &Invocation, command: PoolCmd) -> Result<Box<dyn Output>> {
    match command {
        PoolCmd::Allocate(request) => {
            if s.global.key.is_none() {
                return Err(CliError::invalid(
                    "pool allocate needs an idempotency key: add --key KEY (a retry with the same key returns the first allocation instead of allocating twice)",
                )
                .into());
            }
            out(s.write(&request)?)
        }
        PoolCmd::List(request) => out(s.read(&request)?),
    }
}

pub fn leave(s: &Invocation, args: LeaveArgs) -> Result<Box<dyn Output>> {
    if let Some(LeaveSub::Policy {
        project, enable, ..
    }) = args.policy
    {
        return out(s.write(&SetLeaverPolicy {
            project,
            enabled: enable,
        })?);
    }
    let (Some(project), Some(agent)) = (args.project, args.agent) else {
        return Err(CliError::invalid("leave needs PROJECT AGENT and --good or --bad").into());
    };
    out(s.write(&Leave {
        project,
        agent,
        good: args.good,
    })?)
}

pub fn captable(s: &Invocation, args: CaptableArgs) -> Result<Box<dyn Output>> {
    let view = if args.record {
        let today = s.clock.today();
        let as_of = args.as_of.as_deref().map(Date::parse).transpose()?;
        if let Some(as_of) = as_of.filter(|d| *d != today) {
            return Err(CliError::invalid(format!(
                "--record snapshots the cap table as of today ({today}), the date of the event it logs: leave out --as-of {as_of}"
            ))
            .into());
        }
        s.write(&RecordCaptable {
            project: args.project,
        })?
    } else {
        s.read(&Captable {
            project: args.project,
            as_of: args.as_of,
        })?
    };
    Ok(match args.format {
        Some(CaptableFormat::Csv) => Box::new(CsvOut(captable_csv(&view))),
        Some(CaptableFormat::Json) => Box::new(JsonOnly(view)),
        None => Box::new(view),
    })
}

// ---------------------------------------------------------------------------------------------
// Text: rounds

fn shares_table(shares: &[PeerShareRow], indent: &str) -> String {
    let mut table = Table::new(&["agent", "received", "share"]).right(&[1]);
    for s in shares {
        table.row(vec![
            s.agent.clone(),
            s.received.to_string(),
            s.share.clone(),
        ]);
    }
    table.render(indent)
}

impl Text for RoundOpened {
    fn to_text(&self) -> String {
        format!(
            "round {} of {} is open: each of {} distributes {} points among the others\n",
            self.round,
            self.project,
            self.eligible.join(", "),
            self.budget
        )
    }
}

impl Text for Given {
    fn to_text(&self) -> String {
        format!(
            "round {}: {} gives {} {} points ({} given in all, {} left)\n",
            self.round, self.from, self.to, self.points, self.spent, self.left
        )
    }
}

impl Text for OptedOut {
    fn to_text(&self) -> String {
        format!(
            "round {}: {} will not receive points (they may still give)\n",
            self.round, self.agent
        )
    }
}

impl Text for RoundClosed {
    fn to_text(&self) -> String {
        let mut out = format!(
            "round {} of {} closed: {} points given; peer share = received / {}\n",
            self.round, self.project, self.total, self.total
        );
        out.push_str(&shares_table(&self.shares, "  "));
        out
    }
}

impl Text for RoundShow {
    fn to_text(&self) -> String {
        let mut out = format!(
            "round {} of {}: {} (opened {}{}), budget {} points\n",
            self.round,
            self.project,
            self.status,
            self.opened_on,
            self.closed_on
                .as_deref()
                .map(|d| format!(", closed {d}"))
                .unwrap_or_default(),
            self.budget
        );
        if !self.opted_out.is_empty() {
            let _ = writeln!(out, "  opted out: {}", self.opted_out.join(", "));
        }
        out.push_str("  gifts:\n");
        let mut table = Table::new(&["from", "to", "points"]).right(&[2]);
        for (from, gifts) in &self.gifts {
            for (to, points) in gifts {
                table.row(vec![from.clone(), to.clone(), points.to_string()]);
            }
        }
        out.push_str(&table.render("    "));
        let mut table = Table::new(&["giver", "given", "left"]).right(&[1, 2]);
        for g in &self.givers {
            table.row(vec![
                g.agent.clone(),
                g.spent.to_string(),
                g.left.to_string(),
            ]);
        }
        out.push_str("  budgets:\n");
        out.push_str(&table.render("    "));
        let _ = writeln!(
            out,
            "  {} shares ({} points given):",
            if self.provisional {
                "provisional"
            } else {
                "peer"
            },
            self.total
        );
        out.push_str(&shares_table(&self.shares, "    "));
        out
    }
}

impl Text for RoundsOut {
    fn to_text(&self) -> String {
        let table = Table::new(&[
            "round", "status", "budget", "members", "given", "opened", "closed",
        ])
        .right(&[0, 2, 3, 4]);
        let rows = self.rounds.iter().map(|r| {
            vec![
                r.round.to_string(),
                r.status.clone(),
                r.budget.to_string(),
                r.eligible.to_string(),
                r.given.to_string(),
                r.opened_on.clone(),
                or_dash(r.closed_on.as_deref()),
            ]
        });
        let empty = format!(
            "{}: no peer rounds yet: open one with `fairshare round open {}`",
            self.project, self.project
        );
        table_or(&empty, table, rows)
    }
}

// ---------------------------------------------------------------------------------------------
// Text: steward, blend, bounties

impl Text for StewardGiven {
    fn to_text(&self) -> String {
        format!(
            "{}: {} gives {} {} steward points: {}\n  {} now has {} of {} points\n",
            self.project,
            self.by,
            self.agent,
            self.points,
            self.reason,
            self.agent,
            self.agent_points,
            self.total_points
        )
    }
}

impl Text for StewardAwardsOut {
    fn to_text(&self) -> String {
        if self.awards.is_empty() {
            return format!("{}: no steward points given yet\n", self.project);
        }
        let mut out = format!("{}: {} steward points given\n", self.project, self.total);
        let mut table =
            Table::new(&["event", "date", "by", "agent", "points", "reason"]).right(&[0, 4]);
        for a in &self.awards {
            table.row(vec![
                a.event.to_string(),
                a.date.clone(),
                a.by.clone(),
                a.agent.clone(),
                a.points.to_string(),
                a.reason.clone(),
            ]);
        }
        out.push_str(&table.render("  "));
        out
    }
}

impl Text for BlendSet {
    fn to_text(&self) -> String {
        format!(
            "{}: blended share = {} x formula + {} x peer + {} x steward\n(see `fairshare shares {} --blended`)\n",
            self.project, self.formula, self.peer, self.steward, self.project
        )
    }
}

impl Text for BountiesOut {
    fn to_text(&self) -> String {
        let table = Table::new(&["task", "reward", "status", "agent", "description"]).right(&[1]);
        let rows = self.bounties.iter().map(|b| {
            vec![
                b.task.clone(),
                format!("{} {}", b.reward, self.currency),
                b.status.clone(),
                or_dash(b.agent.as_deref()),
                or_dash(b.description.as_deref()),
            ]
        });
        table_or(&format!("{}: no bounties yet", self.project), table, rows)
    }
}

impl Text for BountyAdded {
    fn to_text(&self) -> String {
        format!(
            "{}: bounty {} pays {} {} to whoever completes it\n",
            self.project, self.bounty.task, self.bounty.reward, self.currency
        )
    }
}

impl Text for BountyCompleted {
    fn to_text(&self) -> String {
        format!(
            "{}: bounty {} awarded to {} (approved by {}): contribution {}, value {}; the next pool pays its {} {} first\n",
            self.project,
            self.task,
            self.agent,
            self.approved_by,
            self.contribution,
            self.value,
            self.reward,
            self.currency
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Text: pools, leavers

impl Text for PoolOut {
    fn to_text(&self) -> String {
        let mut out = format!(
            "pool {} of {} on {}: {} {}{}\n",
            self.pool,
            self.project,
            self.date,
            self.size,
            self.currency,
            self.key
                .as_deref()
                .map(|k| format!(" (key {k})"))
                .unwrap_or_default()
        );
        if self.replayed {
            out.push_str(
                "(this key was already used for this request: this is the first allocation, nothing new recorded)\n",
            );
        }
        if !self.bounties.is_empty() {
            let _ = writeln!(out, "  bounties paid first: {}", self.bounties.join(", "));
        }
        let mut table =
            Table::new(&["agent", "share", "bounty", "by share", "units"]).right(&[2, 3, 4]);
        for l in &self.lines {
            table.row(vec![
                l.agent.clone(),
                l.share.clone(),
                l.bounty.clone(),
                l.by_share.clone(),
                l.units.clone(),
            ]);
        }
        out.push_str(&table.render("  "));
        out
    }
}

impl Text for PoolsOut {
    fn to_text(&self) -> String {
        if self.pools.is_empty() {
            return format!("{}: no pool allocations yet\n", self.project);
        }
        self.pools.iter().map(Text::to_text).collect()
    }
}

impl Text for LeaverPolicySet {
    fn to_text(&self) -> String {
        if self.enabled {
            format!(
                "{}: leavers enabled (`fairshare leave {} AGENT --good|--bad`)\n",
                self.project, self.project
            )
        } else {
            format!("{}: leavers disabled\n", self.project)
        }
    }
}

impl Text for LeftOut {
    fn to_text(&self) -> String {
        let mut out = format!(
            "{} left {} as a {} leaver",
            self.agent,
            self.project,
            if self.good { "good" } else { "bad" }
        );
        if self.good {
            out.push_str(": they keep everything\n");
            return out;
        }
        let _ = writeln!(out, ": {} of value forfeited", self.forfeited);
        if !self.changes.is_empty() {
            let mut table = Table::new(&["contribution", "before", "after"]).right(&[0, 1, 2]);
            for c in &self.changes {
                table.row(vec![
                    c.contribution.to_string(),
                    c.before.clone(),
                    c.after.clone(),
                ]);
            }
            out.push_str(&table.render("  "));
        }
        if !self.forfeited_bounties.is_empty() {
            let _ = writeln!(
                out,
                "  bounties forfeited: {}",
                self.forfeited_bounties.join(", ")
            );
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Text: cap table and blended shares

/// A header row, then one row per agent, each cell written as every CSV export writes it
/// ([`fairshare_book::csv_field`]).
fn captable_csv(table: &CaptableOut) -> String {
    let mut out = String::from("handle,value,share,units,units_share,as_of\n");
    for r in &table.rows {
        let cells = [
            &r.handle,
            &r.value,
            &r.share,
            &r.units,
            &r.units_share,
            &table.as_of,
        ];
        let cells: Vec<_> = cells.iter().map(|cell| csv_field(cell)).collect();
        let _ = writeln!(out, "{}", cells.join(","));
    }
    out
}

impl Text for CaptableOut {
    fn to_text(&self) -> String {
        let mut out = format!(
            "cap table of {} as of {}{}\n",
            self.project,
            self.as_of,
            self.recorded
                .map(|seq| format!(" (recorded as event {seq})"))
                .unwrap_or_default()
        );
        if self.rows.is_empty() {
            out.push_str("  nobody holds a share yet\n");
            return out;
        }
        let mut table =
            Table::new(&["handle", "value", "share", "units", "of units"]).right(&[1, 3]);
        for r in &self.rows {
            table.row(vec![
                r.handle.clone(),
                r.value.clone(),
                r.share.clone(),
                r.units.clone(),
                r.units_share.clone(),
            ]);
        }
        out.push_str(&table.render("  "));
        out
    }
}

/// CSV on stdout, with or without `--json`.
pub struct CsvOut(pub String);

impl Output for CsvOut {
    fn json(&self) -> String {
        self.0.clone()
    }
    fn text(&self) -> String {
        self.0.clone()
    }
    fn exit_code(&self) -> u8 {
        0
    }
}

/// The JSON document, with or without `--json`.
pub struct JsonOnly<T>(pub T);

impl<T: Serialize> Output for JsonOnly<T> {
    fn json(&self) -> String {
        serde_json::to_string_pretty(&self.0).expect("outputs always serialise")
    }
    fn text(&self) -> String {
        self.json()
    }
    fn exit_code(&self) -> u8 {
        0
    }
}

/// The text of `shares PROJECT --blended`.
pub fn blended_text(blended: &BlendedOut) -> String {
    {
        let mut out = format!(
            "{} blended shares as of {}: {} x formula + {} x peer{} + {} x steward{}\n",
            blended.project,
            blended.as_of,
            blended.weights.formula,
            blended.weights.peer,
            blended
                .round
                .map(|r| format!(" (round {r})"))
                .unwrap_or_default(),
            blended.weights.steward,
            if blended.blend_set {
                ""
            } else {
                " (no blend set: formula only)"
            }
        );
        if blended.shares.is_empty() {
            out.push_str("  no shares yet\n");
            return out;
        }
        let mut table = Table::new(&["agent", "formula", "peer", "steward", "blended"]);
        for r in &blended.shares {
            table.row(vec![
                r.agent.clone(),
                r.formula.clone(),
                r.peer.clone(),
                r.steward.clone(),
                r.blended.clone(),
            ]);
        }
        out.push_str(&table.render("  "));
        out
    }
}
