//! One function per command: arguments to a core `Command` (or a query), executed on the book,
//! and the result as an output struct from `render`.

use std::fs::File;
use std::io::{BufReader, IsTerminal};
use std::path::Path;

use anyhow::Result;
use fairshare_core::Kind;
use fairshare_ops::PAGE_LIMIT_MAX;
use fairshare_ops::contributions::{KindName, LogContribution, Shares};
use fairshare_ops::distributions::{
    ListBalances, PreviewRevenue, RecordRevenue, ReleaseBank, ShowBalance, ShowStatement,
};
use fairshare_ops::plans::{SetPlan, ShowPlan};
use fairshare_ops::reports::AgentStatement;
use fairshare_store::Store;

use crate::args::{
    AgentCmd, Cli, Cmd, DecayCmd, LogCmd, LogExtra, MultiplierCmd, PaidLog, PlanCmd, ProjectCmd,
    RateCmd, SkillCmd,
};
use crate::error::CliError;
use crate::invocation::{Access, Invocation, is_postgres_url};
use crate::render::{ImportOut, InitOut, Output, SnapshotOut, SnapshotPart, Text};
use crate::text::PolicyChanged;
use crate::{
    corrections_cmd, demo, exports_cmd, forecasts_cmd, generate, governance_cmd, membership_cmd,
    peer_cmd, plan_file, resources_cmd, tokens_cmd, treasury_cmd,
};

/// An output that prints nothing (the command wrote its data to stdout itself).
pub struct Nothing;

impl serde::Serialize for Nothing {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

impl Text for Nothing {
    fn to_text(&self) -> String {
        String::new()
    }
}

pub fn run(cli: Cli) -> Result<Box<dyn Output>> {
    // The commands about servers and profiles never run on one.
    let invocation = match cli.command {
        Cmd::Login(_) | Cmd::Profile(_) => Invocation::local(cli.global)?,
        _ => Invocation::new(cli.global)?,
    };
    if let Some(name) = local_only(&cli.command) {
        invocation.local_only(&format!("`{name}`"))?;
    }
    dispatch(&invocation, cli.command)
}

/// The commands that work only on a book this machine opens: they create, copy, snapshot or
/// serve the book itself, or write credentials straight into its tables.
fn local_only(command: &Cmd) -> Option<&'static str> {
    use crate::server_cmd::KeyCmd;
    Some(match command {
        Cmd::Init => "init",
        Cmd::Demo(_) => "demo",
        Cmd::Serve(_) => "serve",
        Cmd::Import { .. } => "import",
        Cmd::Backup { .. } => "backup",
        Cmd::Restore { .. } => "restore",
        Cmd::Generate { .. } => "generate",
        Cmd::Key(KeyCmd::Create { .. }) => "key create",
        Cmd::Key(KeyCmd::Revoke { .. }) => "key revoke",
        Cmd::Password(_) => "password set",
        Cmd::Snapshot { .. } => "snapshot",
        _ => return None,
    })
}

/// Runs one command of the command line (also the command a proposal captures).
pub(crate) fn dispatch(s: &Invocation, command: Cmd) -> Result<Box<dyn Output>> {
    match command {
        Cmd::Init => init(s),
        Cmd::Demo(args) => demo::run(s, args),
        Cmd::Agent(AgentCmd::Add(request)) => out(s.write(&request)?),
        Cmd::Agent(AgentCmd::List(request)) => out(s.read(&request)?),
        Cmd::Agent(AgentCmd::Role(command)) => membership_cmd::role(s, command),
        Cmd::Join(command) => membership_cmd::join(s, command),
        Cmd::Project(command) => project(s, command),
        Cmd::Rate(RateCmd::Set(request)) => {
            let category = request.category.clone();
            let view = s.write(&request)?;
            let rate = view
                .policy
                .rates
                .get(&category)
                .cloned()
                .unwrap_or_default();
            let change = format!("rate of {category} is {rate} {} per hour", view.currency);
            out(PolicyChanged { view, change })
        }
        Cmd::Skill(SkillCmd::Set(request)) => {
            let agent = request.agent.clone();
            let view = s.write(&request)?;
            let factor = view.policy.skills.get(&agent).map_or("1", String::as_str);
            let change = format!("skill factor of {agent} is {factor}");
            out(PolicyChanged { view, change })
        }
        Cmd::Multiplier(MultiplierCmd::Set(request)) => {
            let kind = Kind::from(request.kind);
            let view = s.write(&request)?;
            let factor = view
                .policy
                .multipliers
                .get(kind.as_str())
                .map_or("1", String::as_str);
            let change = format!("{kind} contributions count {factor} times their value");
            out(PolicyChanged { view, change })
        }
        Cmd::Decay(DecayCmd::Set(request)) => {
            let view = s.write(&request)?;
            let change = match &view.policy.half_life_days {
                Some(days) => format!("contribution values halve every {days} days"),
                None => "no time decay".to_string(),
            };
            out(PolicyChanged { view, change })
        }
        Cmd::Decay(DecayCmd::Off(request)) => {
            let view = s.write(&request)?;
            out(PolicyChanged {
                view,
                change: "no time decay".to_string(),
            })
        }
        Cmd::Revalue(request) => out(s.write(&request)?),
        Cmd::Log(LogCmd::Show(request)) => out(s.scan(&request)?),
        Cmd::Log(LogCmd::Search(request)) => out(s.search(&request)?),
        Cmd::Log(command) => out(s.write(&log_request(command))?),
        Cmd::Approve(request) => out(s.write(&request)?),
        Cmd::Reject(request) => out(s.write(&request)?),
        Cmd::Adjust(request) => out(s.write(&request)?),
        Cmd::Reverse(request) => out(s.write(&request)?),
        Cmd::Correction(command) => corrections_cmd::correction(s, command),
        Cmd::Corrections(request) => out(s.scan(&request)?),
        Cmd::Contributions(request) => out(s.read(&request)?),
        Cmd::Shares {
            project,
            as_of,
            blended,
        } => out(s.read(&Shares {
            project,
            as_of,
            blended: blended.then_some(true),
            limit: None,
            offset: None,
        })?),
        Cmd::Plan(PlanCmd::Set { project, file }) => {
            let bucket = plan_file::load_plan(Path::new(&file))?;
            out(s.write(&SetPlan { project, bucket })?)
        }
        Cmd::Plan(PlanCmd::Show {
            project,
            history: true,
            ..
        }) => out(s.read(&fairshare_ops::governance::PlanHistory { project })?),
        Cmd::Plan(PlanCmd::Show {
            project, version, ..
        }) => out(s.read(&ShowPlan { project, version })?),
        Cmd::Plan(PlanCmd::Compare(args)) => forecasts_cmd::compare(s, args),
        Cmd::Revenue {
            project,
            amount,
            from,
            preview: true,
        } => out(s.read(&PreviewRevenue {
            project,
            amount,
            from,
        })?),
        Cmd::Revenue {
            project,
            amount,
            from,
            preview: false,
        } => out(s.write(&RecordRevenue {
            project,
            amount,
            from,
        })?),
        // `--from-bank` is required: releasing the bank is the one thing `distribute` does.
        Cmd::Distribute { project, .. } => out(s.write(&ReleaseBank { project })?),
        Cmd::Estimate(request) => out(s.read(&request)?),
        Cmd::Distributions(request) => out(s.read(&request)?),
        Cmd::Statement {
            id,
            year: None,
            limit,
            offset,
        } => out(s.read(&ShowStatement {
            id: forecasts_cmd::distribution_number(&id)?,
            limit,
            offset,
        })?),
        Cmd::Statement {
            id: agent,
            year: Some(year),
            ..
        } => out(s.read(&AgentStatement { agent, year })?),
        Cmd::Report(request) => out(s.read(&request)?),
        Cmd::Balance {
            name: Some(account),
        } => out(s.read(&ShowBalance { account })?),
        Cmd::Balance { name: None } => out(s.read(&ListBalances {
            limit: Some(PAGE_LIMIT_MAX),
            offset: None,
        })?),
        Cmd::Campaign(command) => resources_cmd::campaign(s, command),
        Cmd::Resource(command) => resources_cmd::resource(s, command),
        Cmd::Token(command) => tokens_cmd::run(s, command),
        Cmd::Payout(command) => treasury_cmd::payout(s, command),
        Cmd::Payouts(request) => out(s.read(&request)?),
        Cmd::Expense(command) => treasury_cmd::expense(s, command),
        Cmd::Expenses(request) => out(s.read(&request)?),
        Cmd::Transfer(request) => out(s.write(&request)?),
        Cmd::Exchange(request) => out(s.write(&request)?),
        Cmd::Round(command) => peer_cmd::round(s, command),
        Cmd::Steward(command) => peer_cmd::steward(s, command),
        Cmd::Blend(command) => peer_cmd::blend(s, command),
        Cmd::Bounty(command) => peer_cmd::bounty(s, command),
        Cmd::Pool(command) => peer_cmd::pool(s, command),
        Cmd::Leave(args) => peer_cmd::leave(s, args),
        Cmd::Captable(args) => peer_cmd::captable(s, args),
        Cmd::Governance(command) => governance_cmd::governance(s, command),
        Cmd::Propose(args) => governance_cmd::propose(s, args),
        Cmd::Vote(request) => out(s.write(&request)?),
        Cmd::Proposal(command) => governance_cmd::proposal(s, command),
        Cmd::Proposals(request) => out(s.read(&request)?),
        Cmd::Policy(command) => governance_cmd::policy(s, command),
        Cmd::Verify(request) => out(s.scan(&request)?),
        Cmd::Snapshot { parts } => snapshot(s, parts),
        Cmd::Serve(args) => crate::server_cmd::serve(s, args),
        Cmd::Login(args) => crate::client_cmd::login(args),
        Cmd::Profile(command) => crate::client_cmd::profile(command),
        Cmd::Key(command) => crate::server_cmd::key(s, command),
        Cmd::Password(command) => crate::server_cmd::password(s, command),
        Cmd::Webhook(command) => crate::webhook_cmd::webhook(s, command),
        Cmd::Export(args) => exports_cmd::export(s, args),
        Cmd::ImportTimesheet(args) => exports_cmd::import_timesheet(s, args),
        Cmd::Import { file } => import(s, &file),
        Cmd::Backup { dest } => out(fairshare_ops::backup::backup(&s.backend()?, &dest)?),
        Cmd::Restore { src } => out(fairshare_ops::backup::restore(&src, &s.backend()?)?),
        Cmd::Generate {
            agents,
            contributions,
            projects,
            seed,
            output,
        } => generate::run(
            fairshare_sim::generate::Spec {
                agents,
                contributions,
                projects,
                seed,
            },
            output,
        ),
    }
}

/// A view as the command's output.
pub(crate) fn out<V: Output + 'static>(view: V) -> Result<Box<dyn Output>> {
    Ok(Box::new(view))
}

fn init(s: &Invocation) -> Result<Box<dyn Output>> {
    let mut store = s.open_store(Access::Create)?;
    Ok(Box::new(InitOut {
        events: store.head()?,
        book: store.location(),
    }))
}

fn project(s: &Invocation, command: ProjectCmd) -> Result<Box<dyn Output>> {
    match command {
        ProjectCmd::Add(request) => out(s.write(&request)?),
        ProjectCmd::List(request) => out(s.read(&request)?),
        ProjectCmd::Show(request) => out(s.read(&request)?),
        ProjectCmd::Approvals(request) => out(s.write(&request)?),
        ProjectCmd::Proposal(command) => membership_cmd::proposal(s, command),
        ProjectCmd::Member(command) => membership_cmd::member(s, command),
    }
}

/// The request a `log KIND` command makes.
fn log_request(command: LogCmd) -> LogContribution {
    let blank = |project: String, agent: String, kind: KindName, extra: LogExtra| LogContribution {
        project,
        agent: Some(agent),
        kind,
        category: None,
        hours: None,
        amount: None,
        rate: None,
        value: None,
        of: None,
        percent: None,
        date: extra.date,
        note: extra.note,
        gift: extra.gift,
        reimbursable: false,
    };
    let paid_request = |paid: PaidLog, kind: KindName| LogContribution {
        amount: Some(paid.amount),
        reimbursable: paid.reimbursable,
        ..blank(paid.project, paid.agent, kind, paid.extra)
    };
    match command {
        LogCmd::Work {
            project,
            agent,
            hours,
            category,
            extra,
        } => LogContribution {
            category,
            hours: Some(hours),
            ..blank(project, agent, KindName::Work, extra)
        },
        LogCmd::Cash(paid) => paid_request(paid, KindName::Cash),
        LogCmd::Material(paid) => paid_request(paid, KindName::Material),
        LogCmd::Use {
            project,
            agent,
            hours,
            rate,
            extra,
        } => LogContribution {
            hours: Some(hours),
            rate,
            ..blank(project, agent, KindName::Use, extra)
        },
        LogCmd::Cite {
            project,
            agent,
            value,
            of,
            percent,
            extra,
        } => LogContribution {
            value,
            of,
            percent,
            ..blank(project, agent, KindName::Cite, extra)
        },
        LogCmd::Show(_) | LogCmd::Search(_) => {
            unreachable!("`log show` and `log search` are not contributions")
        }
    }
}

/// Opens the book (from its newest usable snapshot) and writes a snapshot of where it stands.
fn snapshot(s: &Invocation, parts: bool) -> Result<Box<dyn Output>> {
    let mut book = s.open_book()?;
    let written = book.snapshot()?;
    let parts = parts.then(|| {
        let parts = book.state().snapshot_parts().into_iter();
        parts
            .map(|(part, bytes)| SnapshotPart { part, bytes })
            .collect()
    });
    Ok(Box::new(SnapshotOut {
        book: book.location(),
        events: written.seq,
        bytes: written.bytes,
        head: book.last_hash().to_string(),
        parts,
    }))
}

fn import(s: &Invocation, file: &str) -> Result<Box<dyn Output>> {
    let input = File::open(file)
        .map_err(|e| CliError::input(format!("cannot read import file {file}: {e}")))?;
    let url = s.book_url();
    let is_new_file = !is_postgres_url(url) && !Path::new(url).exists();
    let mut store = s.open_store(Access::Create)?;
    let progress = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let imported = fairshare_book::import_jsonl(
        &mut BufReader::new(input),
        store.as_mut(),
        &mut |phase, events| {
            progress.set_message(format!("{phase}: {events} events"));
            #[cfg(debug_assertions)]
            pause_import_for_tests(phase, events);
        },
    );
    progress.finish_and_clear();
    let imported = match imported {
        Ok(count) => count,
        Err(error) => {
            // A refused import leaves no trace: not even the empty book it created.
            if is_new_file {
                drop(store);
                remove_sqlite_files(url);
            }
            return Err(error.into());
        }
    };
    let head = last_hash(store.as_mut())?;
    Ok(Box::new(ImportOut {
        book: store.location(),
        imported,
        head,
    }))
}

/// Test builds only: with `FAIRSHARE_TEST_IMPORT_PAUSE=N`, an import that has written at
/// least N events (inside its transaction) says so on stderr and waits to be killed, so that a
/// test can kill it at a known point.
#[cfg(debug_assertions)]
fn pause_import_for_tests(phase: &str, events: u64) {
    let pause_at = std::env::var("FAIRSHARE_TEST_IMPORT_PAUSE")
        .ok()
        .and_then(|n| n.parse::<u64>().ok());
    if phase == "writing" && pause_at.is_some_and(|n| events >= n) {
        eprintln!("import paused after writing {events} events");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
}

/// Removes a SQLite book and its snapshots ([`fairshare_sqlite::snapshots_path`]), each with
/// its WAL side files (best effort: they may not exist). A stale -wal left beside a new file of
/// the same name would be replayed into it.
pub fn remove_sqlite_files(path: &str) {
    let snapshots = fairshare_sqlite::snapshots_path(Path::new(path));
    for file in [Path::new(path), snapshots.as_path()] {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = file.as_os_str().to_owned();
            name.push(suffix);
            let _ = std::fs::remove_file(name);
        }
    }
}

/// Hash of the last event, read without replaying the book.
fn last_hash(store: &mut dyn Store) -> Result<String> {
    let head = store.head()?;
    let mut hash = fairshare_core::GENESIS_HASH.to_string();
    store.scan(head.saturating_sub(1), &mut |row| {
        hash = row.hash;
        Ok(())
    })?;
    Ok(hash)
}
