//! The command line, parsed in one place (clap derive) and turned into plain values.
//!
//! Amounts, hours, rates, factors, roles and kinds are taken as strings: the core parses them
//! and its refusals name the problem better than a generic parse error would.

use clap::{Args, Parser, Subcommand};

use fairshare_ops::PAGE_LIMIT_DEFAULT;
use fairshare_ops::agents::ListAgents;
use fairshare_ops::contributions::{Approve, ListContributions, Reject};
use fairshare_ops::distributions::ListDistributions;
use fairshare_ops::log::{SearchLog, ShowLog, Verify};
use fairshare_ops::projects::{
    AddProject, ListProjects, RemoveDecay, Revalue, SetApprovals, SetDecay, SetMultiplier, SetRate,
    SetSkill, ShowProject,
};
use fairshare_ops::reports::ProjectReport;

#[derive(Debug, Parser)]
#[command(
    name = "fairshare",
    version,
    about = "Contribution accounting for open value networks",
    long_about = "Contribution accounting for open value networks: log contributions, value them \
                  by rules agreed in advance, and share revenue by an explicit plan. Every change \
                  is an event in an append-only, hash-chained book."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Debug, Clone, Args)]
pub struct Global {
    /// The book: a SQLite file, or a postgres:// URL [default: ./fairshare.db]
    #[arg(long, global = true, env = "FAIRSHARE_BOOK", value_name = "PATH")]
    pub book: Option<String>,
    /// Print exactly one JSON document on stdout (errors included)
    #[arg(long, global = true)]
    pub json: bool,
    /// Act as this agent, with its role [default: the operator, who acts as a custodian]
    #[arg(long = "as", global = true, value_name = "HANDLE")]
    pub actor: Option<String>,
    /// Idempotency key of a write: a retry with the same key and request returns the first result
    #[arg(long, global = true, value_name = "KEY")]
    pub key: Option<String>,
    /// Run the command on this server through its API instead of a local book, presenting the
    /// API key in FAIRSHARE_KEY (or a profile's for this server) (docs/CLI.md, client mode)
    #[arg(long, global = true, env = "FAIRSHARE_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// Use this profile (a server and its key, saved by `login`) instead of the current one
    #[arg(long, global = true, env = "FAIRSHARE_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Create an empty book (or open an existing one) and print its event count
    Init,
    /// Build a demo network that exercises every capability in a fresh book, print what came
    /// out and how to browse it; --serve serves it at once
    Demo(crate::demo::DemoArgs),
    /// Agents: people and organisations
    #[command(subcommand)]
    Agent(AgentCmd),
    /// Joining the network: requests, admission (docs/MEMBERSHIP.md)
    #[command(subcommand)]
    Join(crate::membership_cmd::JoinCmd),
    /// Projects: currency, approvals, valuation policy and plan
    #[command(subcommand)]
    Project(ProjectCmd),
    /// Rates per hour of work categories
    #[command(subcommand)]
    Rate(RateCmd),
    /// Skill factors of agents
    #[command(subcommand)]
    Skill(SkillCmd),
    /// Multipliers per contribution kind
    #[command(subcommand)]
    Multiplier(MultiplierCmd),
    /// Time decay of contribution values
    #[command(subcommand)]
    Decay(DecayCmd),
    /// Re-value every contribution of a project by its current policy (a logged event)
    Revalue(Revalue),
    /// Log a contribution, or show the event log
    #[command(subcommand)]
    Log(LogCmd),
    /// Approve a pending contribution (nobody approves their own)
    Approve(Approve),
    /// Reject a pending contribution, with a reason
    Reject(Reject),
    /// Correct a pending or approved contribution's hours, amount or value (a new event)
    Adjust(fairshare_ops::corrections::Adjust),
    /// Reverse a pending or approved contribution: once it counts, it counts no more
    Reverse(fairshare_ops::corrections::Reverse),
    /// Review corrections: approve or reject
    #[command(subcommand)]
    Correction(crate::corrections_cmd::CorrectionCmd),
    /// A project's corrections, and what past distributions paid and would have paid with them
    Corrections(fairshare_ops::corrections::ShowCorrections),
    /// List a project's contributions
    Contributions(ListContributions),
    /// Each agent's counted value and share in a project
    Shares {
        project: String,
        /// Value decayed to this day [default: today]
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<String>,
        /// Formula, peer, steward and blended shares side by side
        #[arg(long)]
        blended: bool,
    },
    /// Distribution plans (value equations)
    #[command(subcommand)]
    Plan(PlanCmd),
    /// Record revenue from outside and distribute it by the project's plan
    Revenue {
        project: String,
        #[arg(allow_negative_numbers = true)]
        amount: String,
        /// Who paid (free text)
        #[arg(long, value_name = "TEXT")]
        from: Option<String>,
        /// Print the statement this revenue would produce now, recording nothing
        #[arg(long)]
        preview: bool,
    },
    /// Distribute what a project's bank holds now, through the plan after its bank bucket
    Distribute {
        project: String,
        /// Release everything the bank (PROJECT-bank) holds, before it reaches its threshold
        #[arg(long, required = true)]
        from_bank: bool,
    },
    /// What an agent would receive from a revenue now, and with more hours; records nothing
    Estimate(fairshare_ops::forecasts::EstimateRevenue),
    /// List a project's distributions
    Distributions(ListDistributions),
    /// The statement of one distribution, or (`--year`) an agent's statement of a year
    Statement {
        /// A distribution's number; with --year, an agent's handle
        id: String,
        /// Everything the agent earned from distributions and was paid out that year
        #[arg(long, value_name = "YYYY")]
        year: Option<String>,
        /// Print at most this many lines of a distribution (at most 1000), and the payouts of
        /// the accounts they pay; without it and --offset, every line
        #[arg(long, value_name = "N", conflicts_with = "year")]
        limit: Option<usize>,
        /// Lines of a distribution to skip
        #[arg(long, value_name = "N", conflicts_with = "year")]
        offset: Option<usize>,
    },
    /// A project's report: value by kind and category, distributions, payouts, top
    /// contributors, pending approvals (docs/FORECASTS.md)
    Report(ProjectReport),
    /// Balances of every account, or of one
    Balance { name: Option<String> },
    /// Crowdfunding campaigns that buy shared resources (docs/RESOURCES.md)
    #[command(subcommand)]
    Campaign(crate::resources_cmd::CampaignCmd),
    /// Shared resources: co-owners, fee schedules, charged use, payback, commons
    #[command(subcommand)]
    Resource(crate::resources_cmd::ResourceCmd),
    /// Project tokens: issuance, pre-sales, reserve, redemption, acceptance (docs/TOKENS.md)
    #[command(subcommand)]
    Token(crate::tokens_cmd::TokenCmd),
    /// Payouts: an agent's balance paid out to the world, approved by another custodian
    /// (docs/TREASURY.md)
    #[command(subcommand)]
    Payout(crate::treasury_cmd::PayoutCmd),
    /// List payouts, every agent's or one's
    Payouts(fairshare_ops::treasury::ListPayouts),
    /// Expenses from virtual accounts, paid once approved by other custodians
    #[command(subcommand)]
    Expense(crate::treasury_cmd::ExpenseCmd),
    /// List expenses, every account's or one's
    Expenses(fairshare_ops::treasury::ListExpenses),
    /// Move money between two virtual accounts (custodians)
    Transfer(fairshare_ops::treasury::TransferMoney),
    /// Convert an account's money to another currency at a stated rate (custodians)
    Exchange(fairshare_ops::treasury::Exchange),
    /// Peer rounds: members share points among each other (docs/PEER.md)
    #[command(subcommand)]
    Round(crate::peer_cmd::RoundCmd),
    /// Steward recognition: points with a public reason
    #[command(subcommand)]
    Steward(crate::peer_cmd::StewardCmd),
    /// The blend of formula, peer and steward shares
    #[command(subcommand)]
    Blend(crate::peer_cmd::BlendCmd),
    /// Bounties: tasks with a fixed reward
    #[command(subcommand)]
    Bounty(crate::peer_cmd::BountyCmd),
    /// Pool allocations of a point asset (phantom equity)
    #[command(subcommand)]
    Pool(crate::peer_cmd::PoolCmd),
    /// Record that an agent left a project (`leave policy` enables leavers)
    Leave(crate::peer_cmd::LeaveArgs),
    /// A project's cap table: value, share and units of each agent, as of a day
    Captable(crate::peer_cmd::CaptableArgs),
    /// How a project (or the network) changes its rules: directly, or by proposals
    /// (docs/GOVERNANCE.md)
    #[command(subcommand)]
    Governance(crate::governance_cmd::GovernanceCmd),
    /// Propose rule changes, each written as the command that would make it: `propose
    /// PROJECT --title TEXT -- rate set PROJECT design 50.00`
    Propose(crate::governance_cmd::ProposeArgs),
    /// Vote yes, no or abstain on an open proposal (changeable until it closes)
    Vote(fairshare_ops::governance::Vote),
    /// One proposal: show, close, withdraw, enact
    #[command(subcommand)]
    Proposal(crate::governance_cmd::ProposalCmd),
    /// List proposals, of a project or all, by status
    Proposals(fairshare_ops::governance::ListProposals),
    /// Rule changes of a project: every one, in order, with its event and proposal
    #[command(subcommand)]
    Policy(crate::governance_cmd::PolicyCmd),
    /// Run the HTTP API (and dashboard) on this book (docs/API.md)
    Serve(crate::server_cmd::ServeArgs),
    /// Save a profile for a server (its URL and an API key, checked against it) and make it
    /// the current one: later commands run on that server (docs/CLI.md, client mode)
    Login(crate::client_cmd::LoginArgs),
    /// Saved profiles: list them, choose the current one, remove one
    #[command(subcommand)]
    Profile(crate::client_cmd::ProfileCmd),
    /// API keys of agents, for the HTTP API
    #[command(subcommand)]
    Key(crate::server_cmd::KeyCmd),
    /// Dashboard passwords of agents (argon2id)
    #[command(subcommand)]
    Password(crate::server_cmd::PasswordCmd),
    /// Webhooks: a server POSTs each new event of the kinds asked for, signed (custodians;
    /// docs/API.md)
    #[command(subcommand)]
    Webhook(crate::webhook_cmd::WebhookCmd),
    /// Check the hash chain, every recorded outcome and the ledger invariants; with a head
    /// published elsewhere, also that the book still holds it (no event removed)
    Verify(Verify),
    /// Write a snapshot of the book's state now: opening the book then loads it and replays
    /// only the events after it (docs/OPERATIONS.md)
    Snapshot {
        /// Also list the bytes each part of the state takes (agents, contributions, the
        /// ledger's journal, idempotency keys, ...): what grows with the book's history
        #[arg(long)]
        parts: bool,
    },
    /// Write the event log (JSON lines, CSV) or the book for other tools (docs/EXPORTS.md)
    Export(crate::exports_cmd::ExportArgs),
    /// Import a JSON-lines export into an empty book, checking every event first
    Import { file: String },
    /// Copy the book, while a server may be writing to it, into a new SQLite file, then verify
    /// the copy (docs/OPERATIONS.md)
    Backup {
        /// The new backup file (must not exist)
        dest: std::path::PathBuf,
    },
    /// Verify a backup and copy it into a new book (--book, which must not exist yet or be an
    /// empty PostgreSQL schema), then verify that
    Restore {
        /// The backup file
        src: std::path::PathBuf,
    },
    /// Log a Toggl, Clockify or CSV timesheet as work, all or nothing (docs/EXPORTS.md)
    ImportTimesheet(crate::exports_cmd::TimesheetArgs),
    /// Write a synthetic network as a JSON-lines import file, deterministic by seed
    Generate {
        #[arg(long, value_name = "N")]
        agents: u64,
        #[arg(long, value_name = "M")]
        contributions: u64,
        #[arg(long, value_name = "P", default_value_t = 1)]
        projects: u64,
        #[arg(long, value_name = "S", default_value_t = 1)]
        seed: u64,
        /// Write here instead of stdout
        #[arg(long, value_name = "FILE")]
        output: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, Args)]
pub struct Page {
    /// Most rows to print (at most 1000)
    #[arg(long, default_value_t = PAGE_LIMIT_DEFAULT)]
    pub limit: usize,
    /// Rows to skip
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
}

#[derive(Debug, Subcommand)]
pub enum AgentCmd {
    /// Add an agent
    Add(fairshare_ops::agents::AddAgent),
    /// List agents
    List(ListAgents),
    /// Roles of agents
    #[command(subcommand)]
    Role(crate::membership_cmd::RoleCmd),
}

#[derive(Debug, Subcommand)]
pub enum ProjectCmd {
    /// Add a project
    Add(AddProject),
    /// List projects
    List(ListProjects),
    /// Show a project's currency, approvals, valuation policy and plan version
    Show(ShowProject),
    /// Set how many approvals a contribution needs before it counts, from its next review on
    Approvals(SetApprovals),
    #[command(flatten)]
    Proposal(crate::membership_cmd::ProposalCmd),
    /// The members a project lists: eligible voters of its proposals (docs/GOVERNANCE.md)
    #[command(subcommand)]
    Member(crate::membership_cmd::MemberCmd),
}

#[derive(Debug, Subcommand)]
pub enum RateCmd {
    /// Set the rate per hour of a work category
    Set(SetRate),
}

#[derive(Debug, Subcommand)]
pub enum SkillCmd {
    /// Set an agent's skill factor in a project
    Set(SetSkill),
}

#[derive(Debug, Subcommand)]
pub enum MultiplierCmd {
    /// Set the multiplier of a contribution kind in a project
    Set(SetMultiplier),
}

#[derive(Debug, Subcommand)]
pub enum DecayCmd {
    /// Halve contribution values every DAYS days
    Set(SetDecay),
    /// Remove time decay
    Off(RemoveDecay),
}

/// What every kind of contribution may carry besides its quantity.
#[derive(Debug, Clone, Args)]
pub struct LogExtra {
    /// The day of the contribution [default: today]
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<String>,
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// A gift: visible in reports, never paid
    #[arg(long)]
    pub gift: bool,
}

// What a contributor paid for the project (cash or material). A plain comment: a doc comment
// here would be the help of both commands instead of their own.
#[derive(Debug, Clone, Args)]
pub struct PaidLog {
    pub project: String,
    pub agent: String,
    #[arg(allow_negative_numbers = true)]
    pub amount: String,
    /// The contributor is to be paid back before value is shared
    #[arg(long)]
    pub reimbursable: bool,
    #[command(flatten)]
    pub extra: LogExtra,
}

#[derive(Debug, Subcommand)]
pub enum LogCmd {
    /// Hours of work in a category
    Work {
        project: String,
        agent: String,
        #[arg(allow_negative_numbers = true)]
        hours: String,
        #[arg(long, value_name = "C")]
        category: Option<String>,
        #[command(flatten)]
        extra: LogExtra,
    },
    /// Cash put into the project
    Cash(PaidLog),
    /// Material bought for the project
    Material(PaidLog),
    /// Hours of one's own equipment, at the project's use rate (`rate set PROJECT use PER_HOUR`)
    Use {
        project: String,
        agent: String,
        #[arg(allow_negative_numbers = true)]
        hours: String,
        /// Another rate than the project's use rate (custodians)
        #[arg(long, value_name = "PER_HOUR", allow_negative_numbers = true)]
        rate: Option<String>,
        #[command(flatten)]
        extra: LogExtra,
    },
    /// Reuse of an existing design: a percentage of the cited contribution's value (`--of ID
    /// --percent P`), or a fixed value (custodians)
    Cite {
        project: String,
        agent: String,
        /// A fixed value (custodians only)
        #[arg(allow_negative_numbers = true, required_unless_present = "of")]
        value: Option<String>,
        /// The cited contribution
        #[arg(
            long,
            value_name = "CONTRIBUTION",
            requires = "percent",
            conflicts_with = "value"
        )]
        of: Option<u64>,
        /// The percentage of the cited contribution's value
        #[arg(long, value_name = "P", requires = "of", allow_negative_numbers = true)]
        percent: Option<String>,
        #[command(flatten)]
        extra: LogExtra,
    },
    /// Show the event log: sequence, time, actor, operation, key, hash
    Show(ShowLog),
    /// The events that match, newest first, each in plain words (all filters must match)
    Search(SearchLog),
}

#[derive(Debug, Subcommand)]
pub enum PlanCmd {
    /// Set a project's plan from a TOML (or .json) file; see docs/PLANS.md
    Set { project: String, file: String },
    /// Show a plan in plain words
    Show {
        project: String,
        /// A past version [default: the current one]
        #[arg(long, value_name = "N", conflicts_with = "history")]
        version: Option<u32>,
        /// Every version, with the event (and proposal) that set it
        #[arg(long)]
        history: bool,
    },
    /// What plan A (and plan B, or the plan used) would have paid at past revenues; records
    /// nothing (docs/FORECASTS.md)
    Compare(crate::forecasts_cmd::CompareArgs),
}

/// The words for arguments many commands share, given to those whose declaration says nothing
/// more specific, so that every option and argument says what it does in `--help`
/// (`every_option_says_what_it_does`).
const COMMON_HELP: &[(&str, &str)] = &[
    ("account", "The virtual account (e.g. forillon-fund, infra)"),
    ("agent", "The agent's handle"),
    ("agents", "How many agents to write"),
    (
        "amount",
        "An amount in the currency's units, to its decimals at most (e.g. 120.50)",
    ),
    ("category", "The work category, whose rate values the hours"),
    ("contributions", "How many contributions to write"),
    ("currency", "The currency's code (e.g. CAD)"),
    ("description", "A few words that say what it is"),
    ("disable", "Turn it off"),
    ("enable", "Turn it on"),
    ("factor", "The factor, an exact decimal (e.g. 1.5)"),
    ("file", "The file to read"),
    ("format", "The format to write"),
    (
        "formula",
        "The weight of the formula shares in the blend, an exact decimal",
    ),
    ("from", "Who or what it comes from"),
    ("from_asset", "The asset converted from (e.g. USD)"),
    (
        "half_life",
        "The half-life of a contribution's value, in days",
    ),
    (
        "handle",
        "The agent's handle: lower-case letters, digits, dots, dashes and underscores",
    ),
    (
        "hours",
        "Hours, a decimal with at most 6 digits after the point",
    ),
    ("id", "The id it was given when recorded"),
    ("kind", "A contribution kind"),
    ("material_units", "Units of material used"),
    (
        "mode",
        "direct (custodians change rules at once) or proposals (every rule change is proposed and voted)",
    ),
    ("name", "A display name"),
    (
        "network",
        "The network's own setting (agents, roles, new projects) instead of a project's",
    ),
    ("note", "A note kept with it in the log"),
    ("offset", "Rows to skip"),
    (
        "peer",
        "The weight of the peer shares in the blend, an exact decimal",
    ),
    ("per_hour", "The amount per hour, in the currency's units"),
    ("points", "How many points"),
    ("project", "The project's slug"),
    ("projects", "How many projects to write"),
    ("proposal", "The proposal's id"),
    ("purpose", "What it is for"),
    ("rate", "The rate, an exact decimal"),
    ("reason", "Why, in a few words: kept in the log"),
    (
        "redemption",
        "How the token is redeemed: nav (a share of the reserve) or curve (a bonding curve)",
    ),
    (
        "reference",
        "A reference kept with it (an invoice or transfer number)",
    ),
    ("resource", "The resource's name"),
    ("role", "The role: custodian, affiliate or observer"),
    ("reward", "The reward, a value in the project's currency"),
    ("round", "The round's number"),
    (
        "seed",
        "The random seed: the same seed writes the same network",
    ),
    (
        "slug",
        "The project's slug: lower-case letters, digits and dashes",
    ),
    ("status", "Only those with this status"),
    (
        "steward",
        "The weight of the steward shares in the blend, an exact decimal",
    ),
    ("symbol", "The token's symbol"),
    ("task", "The bounty's task"),
    ("token", "The token's symbol"),
    ("technician", "The technician's handle"),
    ("technician_hours", "The technician's hours"),
    ("title", "The proposal's title"),
    ("to", "Who or what receives it"),
    ("to_asset", "The asset converted to (e.g. CAD)"),
    (
        "tokens",
        "An amount of tokens, to the token's decimals at most",
    ),
    ("value", "A value in the project's currency"),
    ("vote", "yes, no or abstain"),
    (
        "weight",
        "How votes weigh: equal (one each) or value (by counted value)",
    ),
];

/// The command line clap parses: [`Cli`]'s, with [`COMMON_HELP`] filled in.
pub fn command() -> clap::Command {
    describe(<Cli as clap::CommandFactory>::command())
}

/// Parses `words` (the program's name first) into a [`Cli`].
pub fn parse_from<I, T>(words: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let matches = command().try_get_matches_from(words)?;
    <Cli as clap::FromArgMatches>::from_arg_matches(&matches)
}

fn describe(command: clap::Command) -> clap::Command {
    // In place: `mut_arg` would move each argument last, and positional ones take their
    // index from their order.
    let mut command = command.mut_args(|arg| {
        if arg.get_help().is_some() || arg.get_long_help().is_some() {
            return arg;
        }
        let id = arg.get_id().as_str();
        match COMMON_HELP.iter().find(|(name, _)| *name == id) {
            Some((_, help)) => arg.help(*help),
            None => arg,
        }
    });
    let subcommands: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_string())
        .collect();
    for name in subcommands {
        command = command.mut_subcommand(name, describe);
    }
    command
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }

    /// Every option and argument of every command says what it does in `--help` (issue 16).
    #[test]
    fn every_option_says_what_it_does() {
        fn undocumented(command: &clap::Command, path: &str, found: &mut Vec<String>) {
            let path = format!("{path} {}", command.get_name());
            for arg in command.get_arguments() {
                let builtin = matches!(arg.get_id().as_str(), "help" | "version");
                if !builtin && arg.get_help().is_none() && arg.get_long_help().is_none() {
                    found.push(format!("{path} <{}>", arg.get_id()));
                }
            }
            for sub in command.get_subcommands() {
                undocumented(sub, &path, found);
            }
        }
        let mut found = Vec::new();
        undocumented(&super::command(), "", &mut found);
        assert!(
            found.is_empty(),
            "{} without help:\n{}",
            found.len(),
            found.join("\n")
        );
    }
}
