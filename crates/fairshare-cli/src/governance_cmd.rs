//! Governance (issue 14): a project's or the network's governance, proposals, votes, and the
//! history of rule changes. The clap types, the request each command makes
//! (`fairshare_ops::governance`), and the text of each view. See docs/GOVERNANCE.md.
//!
//! `propose PROJECT --title TEXT -- COMMAND…` parses COMMAND with the very parser of the
//! command line and runs its arm in an invocation that captures writes instead of running
//! them ([`Invocation::capture`]): each change is built by the request its command makes.

use std::fmt::Write as _;

use anyhow::Result;
use clap::{Args, Subcommand};
use fairshare_ops::governance::{
    CloseProposal, EnactProposal, GovernanceFields, GovernanceOut, ModeName, PlanHistoryOut,
    PolicyHistory, PolicyHistoryOut, ProposalOut, ProposalsOut, Propose, SetGovernance,
    SetNetworkGovernance, ShowGovernance, ShowNetworkGovernance, ShowProposal, SinceOut, VoteName,
    WeightName, WithdrawProposal,
};

use crate::args::Cmd;
use crate::commands::{dispatch, out};
use crate::error::CliError;
use crate::invocation::{Captured, Invocation};
use crate::render::{Output, Table, Text, page_table};

// ---------------------------------------------------------------------------------------------
// Arguments

#[derive(Debug, Subcommand)]
pub enum GovernanceCmd {
    /// Set how PROJECT (or, with --network, the network) changes its rules (custodians, or a
    /// proposal once it is governed by proposals)
    Set(SetArgs),
    /// Show a project's (or the network's) governance and since when
    Show {
        #[arg(required_unless_present = "network")]
        project: Option<String>,
        #[arg(long, conflicts_with = "project")]
        network: bool,
    },
}

#[derive(Debug, Args)]
pub struct SetArgs {
    #[arg(required_unless_present = "network")]
    pub project: Option<String>,
    /// The network's governance: agent admission and new projects
    #[arg(long, conflicts_with = "project")]
    pub network: bool,
    #[command(flatten)]
    pub settings: GovernanceFields,
}

#[derive(Debug, Args)]
pub struct ProposeArgs {
    /// The project whose rules change
    #[arg(required_unless_present = "network")]
    pub project: Option<String>,
    /// A change of the network's rules (admissions, new projects, its governance)
    #[arg(long, conflicts_with = "project")]
    pub network: bool,
    #[arg(long, value_name = "TEXT")]
    pub title: String,
    /// The proposal's id [default: proposal-N]
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
    /// Several changes, one command a line (without `fairshare`; `#` starts a comment)
    #[arg(long, value_name = "FILE")]
    pub change_file: Option<String>,
    /// The change, as the command that would make it (after `--`)
    #[arg(last = true, value_name = "COMMAND")]
    pub change: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum ProposalCmd {
    /// A proposal: its changes in plain words, who voted what and why, the tally
    Show(ShowProposal),
    /// Close a proposal after its voting period: passed or rejected, by the exact tally
    Close(CloseProposal),
    /// Withdraw an open proposal (its author)
    Withdraw(WithdrawProposal),
    /// Enact a passed proposal whose notice has ended (any later write does it too)
    Enact(EnactProposal),
}

#[derive(Debug, Subcommand)]
pub enum PolicyCmd {
    /// Every rule change of PROJECT (or `network`) in order, with its event and proposal
    History(PolicyHistory),
}

// ---------------------------------------------------------------------------------------------
// Commands

pub fn governance(s: &Invocation, command: GovernanceCmd) -> Result<Box<dyn Output>> {
    match command {
        GovernanceCmd::Set(args) => {
            let settings = args.settings;
            match args.project {
                Some(project) => out(s.write(&SetGovernance { project, settings })?),
                None => out(s.write(&SetNetworkGovernance { settings })?),
            }
        }
        GovernanceCmd::Show {
            project: Some(project),
            ..
        } => out(s.read(&ShowGovernance { project })?),
        GovernanceCmd::Show { project: None, .. } => out(s.read(&ShowNetworkGovernance {})?),
    }
}

pub fn propose(s: &Invocation, args: ProposeArgs) -> Result<Box<dyn Output>> {
    let mut lines: Vec<Vec<String>> = Vec::new();
    if let Some(file) = &args.change_file {
        let text = std::fs::read_to_string(file)
            .map_err(|e| CliError::invalid(format!("--change-file {file}: {e}")))?;
        for line in text.lines().map(str::trim) {
            if !line.is_empty() && !line.starts_with('#') {
                lines.push(split_words(line)?);
            }
        }
    }
    if !args.change.is_empty() {
        lines.push(args.change);
    }
    if lines.is_empty() {
        return Err(CliError::invalid(
            "a proposal needs a change: `-- COMMAND…` or --change-file FILE",
        )
        .into());
    }
    let captured = lines
        .iter()
        .map(|words| captured_change(s, words))
        .collect::<Result<Vec<Captured>>>()?;
    let mut request = Propose {
        id: args.id,
        project: args.project,
        title: args.title,
        changes: Vec::new(),
    };
    if s.remote.is_some() {
        // A server builds each change from its request, as its own route would.
        for (Captured(command, change), words) in captured.into_iter().zip(&lines) {
            let change = change.ok_or_else(|| {
                CliError::invalid(format!(
                    "the change `{}` ({}) cannot be sent to a server as a proposal's change",
                    words.join(" "),
                    command.op()
                ))
            })?;
            request.changes.push(change);
        }
        return out(s.write(&request)?);
    }
    let changes = captured.into_iter().map(|Captured(command, _)| command);
    let command = request.command_with(changes.collect());
    out(s.write_command(&request, &command)?)
}

/// The core command `fairshare WORDS…` would run, built by the request its arm makes (and
/// that request, as a proposal's change).
fn captured_change(s: &Invocation, words: &[String]) -> Result<Captured> {
    let quoted = words.join(" ");
    let cli = crate::args::parse_from(
        std::iter::once("fairshare".to_string()).chain(words.iter().cloned()),
    )
    .map_err(|e| {
        let first = e.to_string();
        let first = first.lines().next().unwrap_or_default().to_string();
        CliError::invalid(format!("the change `{quoted}` is not a command: {first}"))
    })?;
    if !proposable(&cli.command) {
        return Err(CliError::invalid(format!(
            "the change `{quoted}` changes no rule: propose rates, skills, multipliers, decay, approvals, plans, blends, the leaver policy, fees, a token, an early bank release, governance, agents or projects"
        ))
        .into());
    }
    let capturing = Invocation {
        global: s.global.clone(),
        clock: s.clock,
        capture: true,
        remote: None,
    };
    match dispatch(&capturing, cli.command) {
        Err(error) => error.downcast::<Captured>(),
        Ok(_) => Err(CliError::invalid(format!(
            "the change `{quoted}` writes nothing: propose a command that changes a rule"
        ))
        .into()),
    }
}

/// The commands a proposal may carry: those whose writes change rules (a write of another
/// kind among their subcommands is refused by the core as no rule of the project).
fn proposable(command: &Cmd) -> bool {
    matches!(
        command,
        Cmd::Rate(_)
            | Cmd::Skill(_)
            | Cmd::Multiplier(_)
            | Cmd::Decay(_)
            | Cmd::Plan(_)
            | Cmd::Blend(_)
            | Cmd::Leave(_)
            | Cmd::Resource(_)
            | Cmd::Token(_)
            | Cmd::Governance(_)
            | Cmd::Agent(_)
            | Cmd::Project(_)
            | Cmd::Join(_)
            | Cmd::Distribute { .. }
    )
}

/// A line of a change file split into words: blanks separate, '…' and "…" quote.
fn split_words(line: &str) -> Result<Vec<String>> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.get_or_insert_with(String::new).push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_with(String::new);
            }
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, c) => word.get_or_insert_with(String::new).push(c),
        }
    }
    if quote.is_some() {
        return Err(CliError::invalid(format!("unclosed quote in the change `{line}`")).into());
    }
    words.extend(word);
    Ok(words)
}

pub fn proposal(s: &Invocation, command: ProposalCmd) -> Result<Box<dyn Output>> {
    match command {
        ProposalCmd::Show(request) => out(s.read(&request)?),
        ProposalCmd::Close(request) => out(s.write(&request)?),
        ProposalCmd::Withdraw(request) => out(s.write(&request)?),
        ProposalCmd::Enact(request) => out(s.write(&request)?),
    }
}

pub fn policy(s: &Invocation, command: PolicyCmd) -> Result<Box<dyn Output>> {
    match command {
        PolicyCmd::History(request) => out(s.read(&request)?),
    }
}

// ---------------------------------------------------------------------------------------------
// Text

impl Text for GovernanceOut {
    fn to_text(&self) -> String {
        let whose = self
            .project
            .as_deref()
            .map_or("the network".to_string(), |p| format!("project {p}"));
        let mut out = match self.mode {
            ModeName::Direct => {
                format!("{whose} is governed directly: custodians change its rules at once\n")
            }
            ModeName::Proposals => format!(
                "{whose} is governed by proposals: a rule changes only when a proposal passes\n  quorum:    {}% of the eligible weight votes\n  threshold: {}% of yes among yes and no\n  voting:    {} days\n  notice:    {} days before a passed change takes effect\n  weight:    {}\n",
                self.quorum,
                self.threshold,
                self.voting_days,
                self.notice_days,
                match self.weight {
                    WeightName::Equal => "one vote per eligible member",
                    WeightName::Value => "each voter's counted value in the project",
                }
            ),
        };
        if let Some(since) = &self.since {
            let _ = writeln!(out, "  {}", since.words());
        }
        out
    }
}

impl Text for ProposalOut {
    fn to_text(&self) -> String {
        let whose = self.project.as_deref().unwrap_or("the network");
        let mut out = format!(
            "proposal {} of {whose}: {}\n  by {}, opened {}, status {}\n",
            self.id, self.title, self.author, self.opened, self.status
        );
        for (i, change) in self.changes.iter().enumerate() {
            let _ = writeln!(out, "  change {}: {}", i + 1, change.words);
        }
        let _ = writeln!(out, "  voting ends {}", self.deadline);
        if let Some(closed) = &self.closed {
            let _ = writeln!(out, "  closed {closed}");
        }
        if let Some(ends) = &self.notice_ends {
            let _ = writeln!(out, "  takes effect at the end of its notice, {ends}");
        }
        let t = &self.tally;
        let _ = writeln!(
            out,
            "  tally: yes {}, no {}, abstain {} of {} eligible; quorum {}% {}, threshold {}% {}",
            t.yes,
            t.no,
            t.abstain,
            t.eligible,
            self.quorum,
            if t.quorum_met { "met" } else { "not met" },
            self.threshold,
            if t.threshold_met { "met" } else { "not met" },
        );
        let mut table = Table::new(&["voter", "weight", "vote", "reason"]).right(&[1]);
        for voter in &self.voters {
            table.row(vec![
                voter.agent.clone(),
                voter.weight.clone(),
                voter
                    .vote
                    .map_or("-", |v| match v {
                        VoteName::Yes => "yes",
                        VoteName::No => "no",
                        VoteName::Abstain => "abstain",
                    })
                    .to_string(),
                voter.reason.clone().unwrap_or_default(),
            ]);
        }
        out.push_str(&table.render("  "));
        if let Some(failure) = &self.failure {
            let _ = writeln!(out, "  failed: {failure}");
        }
        out
    }
}

impl Text for ProposalsOut {
    fn to_text(&self) -> String {
        page_table(
            "no proposals",
            Table::new(&["id", "project", "status", "deadline", "title"]),
            &self.page,
            self.proposals.iter().map(|p| {
                vec![
                    p.id.clone(),
                    p.project.clone().unwrap_or_else(|| "network".into()),
                    p.status.clone(),
                    p.deadline.clone(),
                    p.title.clone(),
                ]
            }),
        )
    }
}

impl Text for PolicyHistoryOut {
    fn to_text(&self) -> String {
        let mut table = Table::new(&["event", "at", "rule", "proposal"]).right(&[0]);
        for change in &self.changes {
            table.row(since_row(change));
        }
        format!("rule changes of {}\n{}", self.project, table.render("  "))
    }
}

fn since_row(change: &SinceOut) -> Vec<String> {
    vec![
        change.seq.to_string(),
        change.at.clone(),
        change.rule.clone(),
        change.proposal.clone().unwrap_or_else(|| "-".into()),
    ]
}

impl Text for PlanHistoryOut {
    fn to_text(&self) -> String {
        let mut out = format!("plan versions of {}\n", self.project);
        for version in &self.versions {
            let since = version
                .since
                .as_ref()
                .map(SinceOut::words)
                .unwrap_or_default();
            let _ = writeln!(out, "version {} {since}", version.plan.version);
            for bucket in &version.plan.buckets {
                let _ = writeln!(out, "  {}. {}", bucket.bucket, bucket.words);
            }
        }
        out
    }
}
