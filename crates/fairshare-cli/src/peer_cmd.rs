//! Peer valuation (issue 8): peer rounds, steward recognition, blends, bounties, pool
//! allocations, leavers, the cap table and blended shares. The clap types, one run function
//! per command, and what each prints. See docs/PEER.md.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;
use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use fairshare_core::{
    CapRow, Command, Date, Outcome, PeerShare, PoolLine, Project, Round, Share, State,
    format_amount,
};
use serde::Serialize;

use crate::commands::unexpected;
use crate::error::CliError;
use crate::render::{Output, Table, Text, or_dash, ratio_decimal};
use crate::session::{Session, today};

// ---------------------------------------------------------------------------------------------
// Arguments

#[derive(Debug, Subcommand)]
pub enum RoundCmd {
    /// Open a peer round of a project (custodians)
    Open {
        project: String,
        /// Points each member distributes [default: 100]
        #[arg(long, value_name = "N")]
        budget: Option<u64>,
        /// Who takes part [default: every custodian and affiliate with a counted contribution]
        #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
        eligible: Option<Vec<String>>,
    },
    /// Set the points FROM gives TO in an open round (0 takes a gift back)
    Give {
        round: u64,
        from: String,
        to: String,
        points: u64,
    },
    /// AGENT will not receive points in this round
    OptOut { round: u64, agent: String },
    /// Close a round: peer share = points received / points given (custodians)
    Close { round: u64 },
    /// A round's budget, members, gifts and (provisional while open) shares
    Show { round: u64 },
    /// A project's rounds
    List { project: String },
}

#[derive(Debug, Subcommand)]
pub enum StewardCmd {
    /// Give an agent steward points, with a public reason (custodians)
    Give {
        project: String,
        agent: String,
        points: u64,
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// A project's steward awards and each agent's points
    List { project: String },
}

#[derive(Debug, Subcommand)]
pub enum BlendCmd {
    /// Set the weights of formula, peer and steward shares; they add up to exactly 1
    Set {
        project: String,
        #[arg(long, value_name = "W", allow_negative_numbers = true)]
        formula: String,
        #[arg(long, value_name = "W", allow_negative_numbers = true)]
        peer: String,
        #[arg(long, value_name = "W", allow_negative_numbers = true)]
        steward: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum BountyCmd {
    /// Add a task with a fixed reward in the project's currency (custodians)
    Add {
        project: String,
        task: String,
        #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
        reward: String,
        #[arg(long, value_name = "TEXT")]
        description: Option<String>,
    },
    /// Award a bounty to the agent who did the task; the actor (a custodian) approves it
    Complete {
        project: String,
        task: String,
        agent: String,
    },
    /// A project's bounties and who completed them
    List { project: String },
}

#[derive(Debug, Subcommand)]
pub enum PoolCmd {
    /// Allocate units of the project's currency: awarded bounties first, the rest by blended
    /// share. Needs an idempotency key, --key KEY: a retry returns the first allocation
    Allocate {
        project: String,
        /// Units to allocate
        #[arg(long, value_name = "N", allow_negative_numbers = true)]
        size: String,
    },
    /// A project's pool allocations
    List { project: String },
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

pub fn round(s: &Session, command: RoundCmd) -> Result<Box<dyn Output>> {
    match command {
        RoundCmd::Open {
            project,
            budget,
            eligible,
        } => {
            let mut book = s.open_book()?;
            let command = Command::OpenRound {
                project: project.clone(),
                budget,
                eligible,
            };
            let executed = s.execute(&mut book, command)?;
            let Outcome::RoundOpened {
                round,
                budget,
                eligible,
            } = executed.outcome
            else {
                return Err(unexpected(&executed));
            };
            Ok(Box::new(RoundOpened {
                round,
                project,
                budget,
                eligible,
                replayed: executed.replayed,
            }))
        }
        RoundCmd::Give {
            round,
            from,
            to,
            points,
        } => {
            let mut book = s.open_book()?;
            let command = Command::Give {
                round,
                from: from.clone(),
                to: to.clone(),
                points,
            };
            let executed = s.execute(&mut book, command)?;
            let Outcome::Given { spent, left, .. } = executed.outcome else {
                return Err(unexpected(&executed));
            };
            Ok(Box::new(Given {
                round,
                from,
                to,
                points,
                spent,
                left,
                replayed: executed.replayed,
            }))
        }
        RoundCmd::OptOut { round, agent } => {
            let mut book = s.open_book()?;
            let command = Command::OptOut {
                round,
                agent: agent.clone(),
            };
            s.execute(&mut book, command)?;
            Ok(Box::new(OptedOut { round, agent }))
        }
        RoundCmd::Close { round } => {
            let mut book = s.open_book()?;
            let executed = s.execute(&mut book, Command::CloseRound { round })?;
            let Outcome::RoundClosed { total, shares, .. } = &executed.outcome else {
                return Err(unexpected(&executed));
            };
            let project = book.state().peer_round(round)?.project.clone();
            Ok(Box::new(RoundClosed {
                round,
                project,
                total: *total,
                shares: shares.iter().map(ShareRow::of).collect(),
                replayed: executed.replayed,
            }))
        }
        RoundCmd::Show { round } => {
            let book = s.open_book()?;
            Ok(Box::new(RoundShow::of(book.state().peer_round(round)?)))
        }
        RoundCmd::List { project } => {
            let book = s.open_book()?;
            let state = book.state();
            state.project(&project)?;
            let rounds = state.peer_rounds(&project).map(RoundRow::of).collect();
            Ok(Box::new(RoundsOut { project, rounds }))
        }
    }
}

pub fn steward(s: &Session, command: StewardCmd) -> Result<Box<dyn Output>> {
    match command {
        StewardCmd::Give {
            project,
            agent,
            points,
            reason,
        } => {
            let mut book = s.open_book()?;
            let command = Command::StewardGive {
                project: project.clone(),
                agent: agent.clone(),
                points,
                reason: reason.clone(),
            };
            s.execute(&mut book, command)?;
            let list = StewardList::of(book.state(), &project)?;
            Ok(Box::new(StewardGiven {
                agent_points: list.points.get(&agent).copied().unwrap_or(0),
                total_points: list.total,
                project,
                agent,
                points,
                reason,
                by: s.actor().to_string(),
            }))
        }
        StewardCmd::List { project } => {
            let book = s.open_book()?;
            Ok(Box::new(StewardList::of(book.state(), &project)?))
        }
    }
}

pub fn blend(s: &Session, command: BlendCmd) -> Result<Box<dyn Output>> {
    let BlendCmd::Set {
        project,
        formula,
        peer,
        steward,
    } = command;
    let mut book = s.open_book()?;
    let command = Command::SetBlend {
        project: project.clone(),
        formula,
        peer,
        steward,
    };
    s.execute(&mut book, command)?;
    let blend = book
        .state()
        .peer_project(&project)
        .and_then(|p| p.blend())
        .ok_or_else(|| {
            CliError::storage(format!("project {project} has no blend after setting it"))
        })?;
    Ok(Box::new(BlendSet {
        project,
        formula: blend.formula.to_string(),
        peer: blend.peer.to_string(),
        steward: blend.steward.to_string(),
    }))
}

pub fn bounty(s: &Session, command: BountyCmd) -> Result<Box<dyn Output>> {
    match command {
        BountyCmd::Add {
            project,
            task,
            reward,
            description,
        } => {
            let mut book = s.open_book()?;
            let command = Command::AddBounty {
                project: project.clone(),
                task: task.clone(),
                reward,
                description,
            };
            s.execute(&mut book, command)?;
            let state = book.state();
            let list = BountiesOut::of(state, &project)?;
            let row = list.bounties.into_iter().find(|b| b.task == task);
            let row =
                row.ok_or_else(|| CliError::storage(format!("bounty {task} not recorded")))?;
            Ok(Box::new(BountyAdded {
                project,
                currency: list.currency,
                bounty: row,
            }))
        }
        BountyCmd::Complete {
            project,
            task,
            agent,
        } => {
            let mut book = s.open_book()?;
            let command = Command::CompleteBounty {
                project: project.clone(),
                task: task.clone(),
                agent: agent.clone(),
            };
            let executed = s.execute(&mut book, command)?;
            let Outcome::BountyAwarded {
                contribution,
                value,
            } = executed.outcome
            else {
                return Err(unexpected(&executed));
            };
            let state = book.state();
            let p = state.project(&project)?;
            let reward = state
                .peer_project(&project)
                .and_then(|peer| peer.bounties.get(&task))
                .map(|b| format_amount(b.reward, p.exponent))
                .unwrap_or_default();
            Ok(Box::new(BountyCompleted {
                project,
                task,
                agent,
                reward,
                currency: p.currency.clone(),
                contribution,
                value: value.display(p.exponent),
                approved_by: s.actor().to_string(),
                replayed: executed.replayed,
            }))
        }
        BountyCmd::List { project } => {
            let book = s.open_book()?;
            Ok(Box::new(BountiesOut::of(book.state(), &project)?))
        }
    }
}

pub fn pool(s: &Session, command: PoolCmd) -> Result<Box<dyn Output>> {
    match command {
        PoolCmd::Allocate { project, size } => {
            let Some(key) = s.global.key.clone() else {
                return Err(CliError::invalid(
                    "pool allocate needs an idempotency key: add --key KEY (a retry with the same key returns the first allocation instead of allocating twice)",
                )
                .into());
            };
            let mut book = s.open_book()?;
            let command = Command::AllocatePool {
                project: project.clone(),
                pool: size,
            };
            let executed = s.execute(&mut book, command)?;
            let Outcome::PoolAllocated {
                id,
                pool,
                bounties,
                lines,
            } = &executed.outcome
            else {
                return Err(unexpected(&executed));
            };
            let p = book.state().project(&project)?;
            let date = book
                .state()
                .peer_project(&project)
                .and_then(|peer| peer.pools.iter().find(|x| x.id == *id))
                .map(|x| x.date.to_string())
                .unwrap_or_default();
            Ok(Box::new(PoolOut {
                pool: *id,
                project: project.clone(),
                date,
                key: Some(key),
                size: format_amount(*pool, p.exponent),
                currency: p.currency.clone(),
                bounties: bounties.clone(),
                units: units_map(lines, p.exponent),
                lines: lines
                    .iter()
                    .map(|l| PoolLineOut::of(l, p.exponent))
                    .collect(),
                replayed: executed.replayed,
            }))
        }
        PoolCmd::List { project } => {
            let book = s.open_book()?;
            let state = book.state();
            let p = state.project(&project)?;
            let pools = state
                .peer_project(&project)
                .map(|peer| peer.pools.as_slice())
                .unwrap_or_default()
                .iter()
                .map(|x| PoolOut {
                    pool: x.id,
                    project: project.clone(),
                    date: x.date.to_string(),
                    key: x.key.clone(),
                    size: format_amount(x.size, p.exponent),
                    currency: x.asset.clone(),
                    bounties: x.bounties.clone(),
                    units: units_map(&x.lines, p.exponent),
                    lines: x
                        .lines
                        .iter()
                        .map(|l| PoolLineOut::of(l, p.exponent))
                        .collect(),
                    replayed: false,
                })
                .collect();
            Ok(Box::new(PoolsOut { project, pools }))
        }
    }
}

pub fn leave(s: &Session, args: LeaveArgs) -> Result<Box<dyn Output>> {
    if let Some(LeaveSub::Policy {
        project, enable, ..
    }) = args.policy
    {
        let mut book = s.open_book()?;
        let command = Command::SetLeaverPolicy {
            project: project.clone(),
            enabled: enable,
        };
        s.execute(&mut book, command)?;
        return Ok(Box::new(LeaverPolicy {
            project,
            enabled: enable,
        }));
    }
    let (Some(project), Some(agent)) = (args.project, args.agent) else {
        return Err(CliError::invalid("leave needs PROJECT AGENT and --good or --bad").into());
    };
    let mut book = s.open_book()?;
    let command = Command::Leave {
        project: project.clone(),
        agent,
        good: args.good,
    };
    let executed = s.execute(&mut book, command)?;
    let Outcome::Left {
        agent,
        good,
        forfeited,
        changes,
        forfeited_bounties,
    } = executed.outcome
    else {
        return Err(unexpected(&executed));
    };
    let p = book.state().project(&project)?;
    Ok(Box::new(LeftOut {
        project: project.clone(),
        agent,
        good,
        forfeited: forfeited.display(p.exponent),
        currency: p.currency.clone(),
        changes: changes
            .iter()
            .map(|c| ValueChangeOut {
                contribution: c.contribution,
                before: c.before.display(p.exponent),
                after: c.after.display(p.exponent),
            })
            .collect(),
        forfeited_bounties,
        replayed: executed.replayed,
    }))
}

pub fn captable(s: &Session, args: CaptableArgs) -> Result<Box<dyn Output>> {
    let today = today()?;
    let as_of = args.as_of.as_deref().map(Date::parse).transpose()?;
    let out = if args.record {
        if let Some(as_of) = as_of.filter(|d| *d != today) {
            return Err(CliError::invalid(format!(
                "--record snapshots the cap table as of today ({today}), the date of the event it logs: leave out --as-of {as_of}"
            ))
            .into());
        }
        let mut book = s.open_book()?;
        let command = Command::Captable {
            project: args.project.clone(),
        };
        let executed = s.execute(&mut book, command)?;
        let Outcome::CapTable { rows } = &executed.outcome else {
            return Err(unexpected(&executed));
        };
        // A retry with the same key returns the first snapshot: print it with its own date.
        let date = book
            .state()
            .peer_project(&args.project)
            .and_then(|p| p.cap_tables.iter().find(|t| t.seq == executed.seq))
            .map_or(today, |t| t.date);
        CaptableOut::of(book.state(), &args.project, rows, date, Some(executed.seq))?
    } else {
        let book = s.open_book()?;
        let as_of = as_of.unwrap_or(today);
        let rows = book.state().cap_table(&args.project, as_of)?;
        CaptableOut::of(book.state(), &args.project, &rows, as_of, None)?
    };
    Ok(captable_output(out, args.format))
}

fn captable_output(out: CaptableOut, format: Option<CaptableFormat>) -> Box<dyn Output> {
    match format {
        Some(CaptableFormat::Csv) => Box::new(CsvOut(out.csv())),
        Some(CaptableFormat::Json) => Box::new(JsonOnly(out)),
        None => Box::new(out),
    }
}

/// `shares PROJECT --blended`: formula, peer, steward and blended shares side by side.
pub fn blended_shares(
    s: &Session,
    project: &str,
    as_of: Option<String>,
) -> Result<Box<dyn Output>> {
    let book = s.open_book()?;
    let state = book.state();
    let p = state.project(project)?;
    let as_of = match as_of {
        Some(text) => Date::parse(&text)?,
        None => today()?,
    };
    let report = state.blended_shares(project, as_of)?;
    Ok(Box::new(BlendedOut {
        project: project.to_string(),
        as_of: as_of.to_string(),
        weights: Weights {
            formula: report.formula.to_string(),
            peer: report.peer.to_string(),
            steward: report.steward.to_string(),
        },
        blend_set: report.blend_set,
        round: report.round,
        shares: report
            .rows
            .iter()
            .map(|r| BlendedRow {
                agent: r.agent.clone(),
                formula: share_text(&r.formula),
                peer: share_text(&r.peer),
                steward: share_text(&r.steward),
                blended: share_text(&r.blended),
                value: r.value.display(p.exponent),
                received: r.received,
                steward_points: r.steward_points,
            })
            .collect(),
    }))
}

/// An exact share as the CLI prints shares: an exact decimal, or rounded half-to-even at the
/// 18th decimal when it does not terminate.
pub fn share_text(share: &Share) -> String {
    ratio_decimal(share.0.numer(), share.0.denom())
}

fn units_map(lines: &[PoolLine], exponent: u32) -> BTreeMap<String, String> {
    lines
        .iter()
        .map(|l| (l.agent.clone(), format_amount(l.units, exponent)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Output: rounds

#[derive(Serialize)]
pub struct ShareRow {
    pub agent: String,
    pub received: u64,
    pub share: String,
}

impl ShareRow {
    fn of(share: &PeerShare) -> ShareRow {
        ShareRow {
            agent: share.agent.clone(),
            received: share.received,
            share: share_text(&share.share),
        }
    }
}

fn shares_table(shares: &[ShareRow], indent: &str) -> String {
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

#[derive(Serialize)]
pub struct RoundOpened {
    pub round: u64,
    pub project: String,
    pub budget: u64,
    pub eligible: Vec<String>,
    pub replayed: bool,
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

#[derive(Serialize)]
pub struct Given {
    pub round: u64,
    pub from: String,
    pub to: String,
    pub points: u64,
    /// Everything `from` gives in the round after this gift, and what is left of the budget.
    pub spent: u64,
    pub left: u64,
    pub replayed: bool,
}

impl Text for Given {
    fn to_text(&self) -> String {
        format!(
            "round {}: {} gives {} {} points ({} given in all, {} left)\n",
            self.round, self.from, self.to, self.points, self.spent, self.left
        )
    }
}

#[derive(Serialize)]
pub struct OptedOut {
    pub round: u64,
    pub agent: String,
}

impl Text for OptedOut {
    fn to_text(&self) -> String {
        format!(
            "round {}: {} will not receive points (they may still give)\n",
            self.round, self.agent
        )
    }
}

#[derive(Serialize)]
pub struct RoundClosed {
    pub round: u64,
    pub project: String,
    /// Every point given in the round.
    pub total: u64,
    pub shares: Vec<ShareRow>,
    pub replayed: bool,
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

#[derive(Serialize)]
pub struct GiverRow {
    pub agent: String,
    pub spent: u64,
    pub left: u64,
}

#[derive(Serialize)]
pub struct RoundShow {
    pub round: u64,
    pub project: String,
    pub status: String,
    pub budget: u64,
    pub opened_on: String,
    pub closed_on: Option<String>,
    pub eligible: Vec<String>,
    pub opted_out: Vec<String>,
    /// giver -> recipient -> points
    pub gifts: BTreeMap<String, BTreeMap<String, u64>>,
    pub givers: Vec<GiverRow>,
    pub total: u64,
    /// Shares as they would be if the round closed now.
    pub provisional: bool,
    pub shares: Vec<ShareRow>,
}

impl RoundShow {
    fn of(round: &Round) -> RoundShow {
        let (total, shares) = match &round.closed {
            Some(closed) => (closed.total, closed.shares.clone()),
            None => round.provisional_shares(),
        };
        RoundShow {
            round: round.id,
            project: round.project.clone(),
            status: if round.is_open() { "open" } else { "closed" }.to_string(),
            budget: round.budget,
            opened_on: round.opened_on.to_string(),
            closed_on: round.closed.as_ref().map(|c| c.date.to_string()),
            eligible: round.eligible.clone(),
            opted_out: round.opted_out.iter().cloned().collect(),
            gifts: round.gifts.clone(),
            givers: round
                .eligible
                .iter()
                .map(|a| GiverRow {
                    agent: a.clone(),
                    spent: round.spent(a),
                    left: round.budget.saturating_sub(round.spent(a)),
                })
                .collect(),
            total,
            provisional: round.is_open(),
            shares: shares.iter().map(ShareRow::of).collect(),
        }
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

#[derive(Serialize)]
pub struct RoundRow {
    pub round: u64,
    pub status: String,
    pub budget: u64,
    pub opened_on: String,
    pub closed_on: Option<String>,
    pub eligible: usize,
    pub given: u64,
}

impl RoundRow {
    fn of(round: &Round) -> RoundRow {
        RoundRow {
            round: round.id,
            status: if round.is_open() { "open" } else { "closed" }.to_string(),
            budget: round.budget,
            opened_on: round.opened_on.to_string(),
            closed_on: round.closed.as_ref().map(|c| c.date.to_string()),
            eligible: round.eligible.len(),
            given: round.gifts.values().flat_map(|g| g.values()).sum(),
        }
    }
}

#[derive(Serialize)]
pub struct RoundsOut {
    pub project: String,
    pub rounds: Vec<RoundRow>,
}

impl Text for RoundsOut {
    fn to_text(&self) -> String {
        if self.rounds.is_empty() {
            return format!(
                "{}: no peer rounds yet: open one with `fairshare round open {}`\n",
                self.project, self.project
            );
        }
        let mut table = Table::new(&[
            "round", "status", "budget", "members", "given", "opened", "closed",
        ])
        .right(&[0, 2, 3, 4]);
        for r in &self.rounds {
            table.row(vec![
                r.round.to_string(),
                r.status.clone(),
                r.budget.to_string(),
                r.eligible.to_string(),
                r.given.to_string(),
                r.opened_on.clone(),
                or_dash(r.closed_on.as_deref()),
            ]);
        }
        table.render("")
    }
}

// ---------------------------------------------------------------------------------------------
// Output: steward, blend, bounties

#[derive(Serialize)]
pub struct StewardGiven {
    pub project: String,
    pub agent: String,
    pub points: u64,
    pub reason: String,
    pub by: String,
    /// The agent's steward points in the project, and everyone's, after this award.
    pub agent_points: u64,
    pub total_points: u64,
}

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

#[derive(Serialize)]
pub struct AwardRow {
    pub event: u64,
    pub date: String,
    pub by: String,
    pub agent: String,
    pub points: u64,
    pub reason: String,
}

#[derive(Serialize)]
pub struct StewardList {
    pub project: String,
    pub total: u64,
    /// Each agent's points, in byte order of handle.
    pub points: BTreeMap<String, u64>,
    pub awards: Vec<AwardRow>,
}

impl StewardList {
    fn of(state: &State, project: &str) -> Result<StewardList> {
        state.project(project)?;
        let awards = state
            .peer_project(project)
            .map(|p| p.steward.as_slice())
            .unwrap_or_default();
        let mut points = BTreeMap::new();
        for a in awards {
            *points.entry(a.agent.clone()).or_insert(0) += a.points;
        }
        Ok(StewardList {
            project: project.to_string(),
            total: points.values().sum(),
            points,
            awards: awards
                .iter()
                .map(|a| AwardRow {
                    event: a.seq,
                    date: a.date.to_string(),
                    by: a.by.clone(),
                    agent: a.agent.clone(),
                    points: a.points,
                    reason: a.reason.clone(),
                })
                .collect(),
        })
    }
}

impl Text for StewardList {
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

#[derive(Serialize)]
pub struct BlendSet {
    pub project: String,
    pub formula: String,
    pub peer: String,
    pub steward: String,
}

impl Text for BlendSet {
    fn to_text(&self) -> String {
        format!(
            "{}: blended share = {} x formula + {} x peer + {} x steward\n(see `fairshare shares {} --blended`)\n",
            self.project, self.formula, self.peer, self.steward, self.project
        )
    }
}

#[derive(Serialize)]
pub struct BountyRow {
    pub task: String,
    pub reward: String,
    pub description: Option<String>,
    /// open, awarded (waiting for a pool), paid (by a pool) or forfeited (a bad leave)
    pub status: String,
    pub agent: Option<String>,
    pub approved_by: Option<String>,
    pub contribution: Option<u64>,
    pub pool: Option<u64>,
}

#[derive(Serialize)]
pub struct BountiesOut {
    pub project: String,
    pub currency: String,
    pub bounties: Vec<BountyRow>,
}

impl BountiesOut {
    fn of(state: &State, project: &str) -> Result<BountiesOut> {
        let p = state.project(project)?;
        let bounties = state
            .peer_project(project)
            .map(|peer| {
                peer.bounties
                    .values()
                    .map(|b| {
                        let award = b.award.as_ref();
                        let status = match award {
                            None => "open",
                            Some(a) if a.forfeited => "forfeited",
                            Some(a) if a.allocated_in.is_some() => "paid",
                            Some(_) => "awarded",
                        };
                        BountyRow {
                            task: b.task.clone(),
                            reward: format_amount(b.reward, p.exponent),
                            description: b.description.clone(),
                            status: status.to_string(),
                            agent: award.map(|a| a.agent.clone()),
                            approved_by: award.map(|a| a.approved_by.clone()),
                            contribution: award.map(|a| a.contribution),
                            pool: award.and_then(|a| a.allocated_in),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(BountiesOut {
            project: project.to_string(),
            currency: p.currency.clone(),
            bounties,
        })
    }
}

impl Text for BountiesOut {
    fn to_text(&self) -> String {
        if self.bounties.is_empty() {
            return format!("{}: no bounties yet\n", self.project);
        }
        let mut table =
            Table::new(&["task", "reward", "status", "agent", "description"]).right(&[1]);
        for b in &self.bounties {
            table.row(vec![
                b.task.clone(),
                format!("{} {}", b.reward, self.currency),
                b.status.clone(),
                or_dash(b.agent.as_deref()),
                or_dash(b.description.as_deref()),
            ]);
        }
        table.render("")
    }
}

#[derive(Serialize)]
pub struct BountyAdded {
    pub project: String,
    pub currency: String,
    #[serde(flatten)]
    pub bounty: BountyRow,
}

impl Text for BountyAdded {
    fn to_text(&self) -> String {
        format!(
            "{}: bounty {} pays {} {} to whoever completes it\n",
            self.project, self.bounty.task, self.bounty.reward, self.currency
        )
    }
}

#[derive(Serialize)]
pub struct BountyCompleted {
    pub project: String,
    pub task: String,
    pub agent: String,
    pub reward: String,
    pub currency: String,
    /// The counted `bounty` contribution logged for it.
    pub contribution: u64,
    pub value: String,
    pub approved_by: String,
    pub replayed: bool,
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
// Output: pools, leavers

#[derive(Serialize)]
pub struct PoolLineOut {
    pub agent: String,
    pub share: String,
    pub bounty: String,
    pub by_share: String,
    pub units: String,
}

impl PoolLineOut {
    fn of(line: &PoolLine, exponent: u32) -> PoolLineOut {
        PoolLineOut {
            agent: line.agent.clone(),
            share: share_text(&line.share),
            bounty: format_amount(line.bounty, exponent),
            by_share: format_amount(line.by_share, exponent),
            units: format_amount(line.units, exponent),
        }
    }
}

/// What `pool allocate` prints (and each entry of `pool list`).
#[derive(Serialize)]
pub struct PoolOut {
    pub pool: u64,
    pub project: String,
    pub date: String,
    pub key: Option<String>,
    pub size: String,
    pub currency: String,
    /// Tasks whose rewards this allocation paid first.
    pub bounties: Vec<String>,
    /// Units per agent, in byte order of handle.
    pub units: BTreeMap<String, String>,
    pub lines: Vec<PoolLineOut>,
    pub replayed: bool,
}

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

#[derive(Serialize)]
pub struct PoolsOut {
    pub project: String,
    pub pools: Vec<PoolOut>,
}

impl Text for PoolsOut {
    fn to_text(&self) -> String {
        if self.pools.is_empty() {
            return format!("{}: no pool allocations yet\n", self.project);
        }
        self.pools.iter().map(Text::to_text).collect()
    }
}

#[derive(Serialize)]
pub struct LeaverPolicy {
    pub project: String,
    pub enabled: bool,
}

impl Text for LeaverPolicy {
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

#[derive(Serialize)]
pub struct ValueChangeOut {
    pub contribution: u64,
    pub before: String,
    pub after: String,
}

#[derive(Serialize)]
pub struct LeftOut {
    pub project: String,
    pub agent: String,
    pub good: bool,
    /// Value the leave took away (0 for a good leaver).
    pub forfeited: String,
    pub currency: String,
    pub changes: Vec<ValueChangeOut>,
    pub forfeited_bounties: Vec<String>,
    pub replayed: bool,
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
// Output: cap table and blended shares

#[derive(Serialize)]
pub struct CapRowOut {
    pub handle: String,
    /// Formula value (counted contributions other than bounty awards).
    pub value: String,
    /// The share the next pool allocation gives.
    pub share: String,
    /// Units allocated by pools up to the date.
    pub units: String,
    /// units / every unit allocated up to the date.
    pub units_share: String,
}

#[derive(Serialize)]
pub struct CaptableOut {
    pub project: String,
    pub as_of: String,
    pub currency: String,
    /// The event that logged this snapshot (`--record`), or null.
    pub recorded: Option<u64>,
    pub rows: Vec<CapRowOut>,
}

impl CaptableOut {
    fn of(
        state: &State,
        project: &str,
        rows: &[CapRow],
        as_of: Date,
        recorded: Option<u64>,
    ) -> Result<CaptableOut> {
        let p: &Project = state.project(project)?;
        Ok(CaptableOut {
            project: project.to_string(),
            as_of: as_of.to_string(),
            currency: p.currency.clone(),
            recorded,
            rows: rows
                .iter()
                .map(|r| CapRowOut {
                    handle: r.agent.clone(),
                    value: r.value.display(p.exponent),
                    share: share_text(&r.share),
                    units: format_amount(r.units, p.exponent),
                    units_share: share_text(&r.units_share),
                })
                .collect(),
        })
    }

    /// A header row, then one row per agent; every field is a plain number or handle, so
    /// nothing needs quoting.
    fn csv(&self) -> String {
        let mut out = String::from("handle,value,share,units,units_share,as_of\n");
        for r in &self.rows {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{}",
                r.handle, r.value, r.share, r.units, r.units_share, self.as_of
            );
        }
        out
    }
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

#[derive(Serialize)]
pub struct Weights {
    pub formula: String,
    pub peer: String,
    pub steward: String,
}

#[derive(Serialize)]
pub struct BlendedRow {
    pub agent: String,
    pub formula: String,
    pub peer: String,
    pub steward: String,
    pub blended: String,
    /// Formula value, peer points received (latest closed round) and steward points.
    pub value: String,
    pub received: u64,
    pub steward_points: u64,
}

#[derive(Serialize)]
pub struct BlendedOut {
    pub project: String,
    pub as_of: String,
    /// The weights in force (formula 1 when no blend is set).
    pub weights: Weights,
    pub blend_set: bool,
    /// The closed round the peer shares come from.
    pub round: Option<u64>,
    pub shares: Vec<BlendedRow>,
}

impl Text for BlendedOut {
    fn to_text(&self) -> String {
        let mut out = format!(
            "{} blended shares as of {}: {} x formula + {} x peer{} + {} x steward{}\n",
            self.project,
            self.as_of,
            self.weights.formula,
            self.weights.peer,
            self.round
                .map(|r| format!(" (round {r})"))
                .unwrap_or_default(),
            self.weights.steward,
            if self.blend_set {
                ""
            } else {
                " (no blend set: formula only)"
            }
        );
        if self.shares.is_empty() {
            out.push_str("  no shares yet\n");
            return out;
        }
        let mut table = Table::new(&["agent", "formula", "peer", "steward", "blended"]);
        for r in &self.shares {
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
