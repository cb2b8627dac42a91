//! One function per command: arguments to a core `Command` (or a query), executed on the book,
//! and the result as an output struct from `render`.

use std::fs::File;
use std::io::{BufReader, IsTerminal};
use std::path::Path;

use anyhow::Result;
use fairshare_book::{Book, Executed};
use fairshare_core::{Command, Date, EventBody, Filter, Kind, Outcome, Project, Role, Status};
use fairshare_store::{EventRow, Store, StoreError};

use crate::args::{
    AgentCmd, Cli, Cmd, DecayCmd, LogCmd, LogExtra, MultiplierCmd, PAGE_LIMIT_MAX, Page, PlanCmd,
    ProjectCmd, RateCmd, SkillCmd, StatusArg,
};
use crate::error::CliError;
use crate::render::{
    AgentAdded, AgentRow, AgentsOut, BalancesOut, ContributionRow, ContributionsOut,
    DistributionRow, DistributionsOut, EventRowOut, ImportOut, InitOut, LogOut, Logged, Output,
    PlanOut, PolicyOut, PolicySet, ProjectAdded, ProjectRow, ProjectShow, ProjectsOut, Revalued,
    RevenueOut, Reviewed, SharesOut, StatementOut, Text, ValueChange, VerifyOut,
};
use crate::session::{Access, Session, is_postgres_url, open_store, today};
use crate::tokens_cmd::MintOut;
use crate::{demo, exports_cmd, generate, peer_cmd, plan_file, resources_cmd, tokens_cmd};

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
    let session = Session { global: cli.global };
    let s = &session;
    match cli.command {
        Cmd::Init => init(s),
        Cmd::Demo => demo::run(s),
        Cmd::Agent(AgentCmd::Add { handle, name, role }) => {
            let role: Role = role.parse()?;
            let mut book = s.open_book()?;
            let command = Command::AddAgent {
                handle: handle.clone(),
                name,
                role,
            };
            s.execute(&mut book, command)?;
            let agent = AgentRow::of(book.state().agent(&handle)?);
            Ok(Box::new(AgentAdded { agent }))
        }
        Cmd::Agent(AgentCmd::List) => {
            let book = s.open_book()?;
            let agents = book.state().agents().into_iter().map(AgentRow::of);
            Ok(Box::new(AgentsOut {
                agents: agents.collect(),
            }))
        }
        Cmd::Project(command) => project(s, command),
        Cmd::Rate(RateCmd::Set {
            project,
            category,
            per_hour,
        }) => set_policy(
            s,
            &project.clone(),
            Command::SetRate {
                project,
                category: category.clone(),
                per_hour,
            },
            |p| {
                let rate = p.policy.rates.get(category.as_str());
                let rate = rate.map(ToString::to_string).unwrap_or_default();
                format!("rate of {category} is {rate} {} per hour", p.currency)
            },
        ),
        Cmd::Skill(SkillCmd::Set {
            project,
            agent,
            factor,
        }) => set_policy(
            s,
            &project.clone(),
            Command::SetSkill {
                project,
                agent: agent.clone(),
                factor,
            },
            |p| format!("skill factor of {agent} is {}", p.policy.skill(&agent)),
        ),
        Cmd::Multiplier(MultiplierCmd::Set {
            project,
            kind,
            factor,
        }) => {
            let kind: Kind = kind.parse()?;
            set_policy(
                s,
                &project.clone(),
                Command::SetMultiplier {
                    project,
                    kind,
                    factor,
                },
                |p| {
                    let factor = p.policy.multiplier(kind);
                    format!("{kind} contributions count {factor} times their value")
                },
            )
        }
        Cmd::Decay(DecayCmd::Set { project, half_life }) => set_policy(
            s,
            &project.clone(),
            Command::SetHalfLife {
                project,
                days: Some(half_life),
            },
            |p| match p.policy.half_life_days {
                Some(days) => format!("contribution values halve every {days} days"),
                None => "no time decay".to_string(),
            },
        ),
        Cmd::Decay(DecayCmd::Off { project }) => set_policy(
            s,
            &project.clone(),
            Command::SetHalfLife {
                project,
                days: None,
            },
            |_| "no time decay".to_string(),
        ),
        Cmd::Revalue { project } => {
            let mut book = s.open_book()?;
            let executed = s.execute(
                &mut book,
                Command::Revalue {
                    project: project.clone(),
                },
            )?;
            let Outcome::Revalued { changes } = executed.outcome else {
                return Err(unexpected(&executed));
            };
            let exponent = book.state().project(&project)?.exponent;
            let changed = changes
                .into_iter()
                .map(|(id, value)| ValueChange {
                    contribution: id,
                    value: value.display(exponent),
                })
                .collect();
            Ok(Box::new(Revalued { project, changed }))
        }
        Cmd::Log(LogCmd::Show { page }) => log_show(s, page),
        Cmd::Log(command) => log(s, command),
        Cmd::Approve { id } => review(s, Command::Approve { id }, id),
        Cmd::Reject { id, reason } => review(
            s,
            Command::Reject {
                id,
                reason: reason.unwrap_or_default(),
            },
            id,
        ),
        Cmd::Contributions {
            project,
            status,
            agent,
            page,
        } => contributions(s, &project, status, agent.as_deref(), page),
        Cmd::Shares {
            project,
            as_of,
            blended: true,
        } => peer_cmd::blended_shares(s, &project, as_of),
        Cmd::Shares { project, as_of, .. } => {
            let book = s.open_book()?;
            let state = book.state();
            let project = state.project(&project)?;
            let as_of = match as_of {
                Some(text) => Date::parse(&text)?,
                None => today()?,
            };
            let values = state.values_by_agent(project, &Filter::default(), as_of)?;
            Ok(Box::new(SharesOut::of(project, &values, as_of.to_string())))
        }
        Cmd::Plan(PlanCmd::Set { project, file }) => {
            let plan = plan_file::load_plan(Path::new(&file))?;
            let mut book = s.open_book()?;
            let executed = s.execute(
                &mut book,
                Command::SetPlan {
                    project: project.clone(),
                    plan,
                },
            )?;
            let Outcome::PlanSet { version } = executed.outcome else {
                return Err(unexpected(&executed));
            };
            plan_show(&book, &project, Some(version))
        }
        Cmd::Plan(PlanCmd::Show { project, version }) => {
            plan_show(&s.open_book()?, &project, version)
        }
        Cmd::Revenue {
            project,
            amount,
            from,
        } => {
            let mut book = s.open_book()?;
            let command = Command::Revenue {
                project,
                amount,
                from,
            };
            let executed = s.execute(&mut book, command)?;
            let Outcome::Distributed { id, .. } = executed.outcome else {
                return Err(unexpected(&executed));
            };
            let state = book.state();
            let distribution = state.distribution(id)?;
            Ok(Box::new(RevenueOut::of(
                state,
                distribution,
                executed.replayed,
            )))
        }
        Cmd::Distributions { project, page } => {
            check_page(page)?;
            let book = s.open_book()?;
            let state = book.state();
            state.project(&project)?;
            let all: Vec<_> = state
                .distributions()
                .iter()
                .filter(|d| d.project == project)
                .collect();
            Ok(Box::new(DistributionsOut {
                total: all.len(),
                distributions: all
                    .into_iter()
                    .skip(page.offset)
                    .take(page.limit)
                    .map(DistributionRow::of)
                    .collect(),
                project,
                offset: page.offset,
                limit: page.limit,
            }))
        }
        Cmd::Statement { id } => {
            let book = s.open_book()?;
            let distribution = book.state().distribution(id)?;
            Ok(Box::new(StatementOut::of(book.state(), distribution)))
        }
        Cmd::Balance { name } => {
            let book = s.open_book()?;
            let state = book.state();
            Ok(Box::new(match name {
                Some(name) => {
                    if state.ledger().account(&name).is_none() && state.name_taken(&name).is_none()
                    {
                        return Err(CliError::not_found(format!(
                            "no account named {name:?}: not an agent, a project or an account that holds anything"
                        ))
                        .into());
                    }
                    BalancesOut::of(state, std::iter::once(name.as_str()))
                }
                None => BalancesOut::of(state, state.ledger().accounts().into_keys()),
            }))
        }
        Cmd::Campaign(command) => resources_cmd::campaign(s, command),
        Cmd::Resource(command) => resources_cmd::resource(s, command),
        Cmd::Token(command) => tokens_cmd::run(s, command),
        Cmd::Round(command) => peer_cmd::round(s, command),
        Cmd::Steward(command) => peer_cmd::steward(s, command),
        Cmd::Blend(command) => peer_cmd::blend(s, command),
        Cmd::Bounty(command) => peer_cmd::bounty(s, command),
        Cmd::Pool(command) => peer_cmd::pool(s, command),
        Cmd::Leave(args) => peer_cmd::leave(s, args),
        Cmd::Captable(args) => peer_cmd::captable(s, args),
        Cmd::Verify => {
            let mut store = open_store(s.book_url(), Access::ReadOnly)?;
            let report = fairshare_book::verify(store.as_mut())?;
            Ok(Box::new(VerifyOut::of(report)))
        }
        Cmd::Serve(args) => crate::server_cmd::serve(s, args),
        Cmd::Key(command) => crate::server_cmd::key(s, command),
        Cmd::Password(command) => crate::server_cmd::password(s, command),
        Cmd::Export(args) => exports_cmd::export(s, args),
        Cmd::ImportTimesheet(args) => exports_cmd::import_timesheet(s, args),
        Cmd::Import { file } => import(s, &file),
        Cmd::Generate {
            agents,
            contributions,
            projects,
            seed,
            output,
        } => generate::run(generate::Spec {
            agents,
            contributions,
            projects,
            seed,
            output,
        }),
    }
}

pub(crate) fn unexpected(executed: &Executed) -> anyhow::Error {
    CliError::storage(format!(
        "event {}: unexpected outcome {:?}",
        executed.seq, executed.outcome
    ))
    .into()
}

pub(crate) fn check_page(page: Page) -> Result<()> {
    if page.limit > PAGE_LIMIT_MAX {
        return Err(CliError::invalid(format!(
            "--limit {} is above the maximum {PAGE_LIMIT_MAX}: page with --offset",
            page.limit
        ))
        .into());
    }
    Ok(())
}

fn init(s: &Session) -> Result<Box<dyn Output>> {
    let mut store = open_store(s.book_url(), Access::Create)?;
    Ok(Box::new(InitOut {
        events: store.head()?,
        book: store.location(),
    }))
}

fn project(s: &Session, command: ProjectCmd) -> Result<Box<dyn Output>> {
    match command {
        ProjectCmd::Add {
            slug,
            name,
            currency,
            exponent,
            approvals,
        } => {
            let mut book = s.open_book()?;
            let command = Command::AddProject {
                slug: slug.clone(),
                name,
                currency,
                exponent,
                approvals,
            };
            s.execute(&mut book, command)?;
            let project = ProjectRow::of(book.state().project(&slug)?);
            Ok(Box::new(ProjectAdded { project }))
        }
        ProjectCmd::List => {
            let book = s.open_book()?;
            let projects = book.state().projects().map(ProjectRow::of).collect();
            Ok(Box::new(ProjectsOut { projects }))
        }
        ProjectCmd::Show { slug } => {
            let book = s.open_book()?;
            let state = book.state();
            let p = state.project(&slug)?;
            Ok(Box::new(ProjectShow {
                project: p.slug.to_string(),
                name: p.name.clone(),
                currency: p.currency.clone(),
                exponent: p.exponent,
                approvals: p.approvals_required,
                plan_version: p.plan_version(),
                contributions: p.contributions.len(),
                distributions: state
                    .distributions()
                    .iter()
                    .filter(|d| d.project == slug)
                    .count(),
                policy: PolicyOut::of(&p.policy),
            }))
        }
    }
}

/// Runs a policy change and prints the policy now in force.
fn set_policy(
    s: &Session,
    slug: &str,
    command: Command,
    describe: impl FnOnce(&Project) -> String,
) -> Result<Box<dyn Output>> {
    let mut book = s.open_book()?;
    s.execute(&mut book, command)?;
    let project = book.state().project(slug)?;
    Ok(Box::new(PolicySet {
        project: slug.to_string(),
        policy: PolicyOut::of(&project.policy),
        change: describe(project),
    }))
}

fn log(s: &Session, command: LogCmd) -> Result<Box<dyn Output>> {
    struct Fields {
        kind: Kind,
        category: Option<String>,
        hours: Option<String>,
        amount: Option<String>,
        rate: Option<String>,
        value: Option<String>,
        reimbursable: bool,
    }
    let blank = |kind| Fields {
        kind,
        category: None,
        hours: None,
        amount: None,
        rate: None,
        value: None,
        reimbursable: false,
    };
    let (project, agent, extra, fields): (String, String, LogExtra, Fields) = match command {
        LogCmd::Work {
            project,
            agent,
            hours,
            category,
            extra,
        } => (
            project,
            agent,
            extra,
            Fields {
                category,
                hours: Some(hours),
                ..blank(Kind::Work)
            },
        ),
        LogCmd::Cash {
            project,
            agent,
            amount,
            reimbursable,
            extra,
        } => (
            project,
            agent,
            extra,
            Fields {
                amount: Some(amount),
                reimbursable,
                ..blank(Kind::Cash)
            },
        ),
        LogCmd::Material {
            project,
            agent,
            amount,
            reimbursable,
            extra,
        } => (
            project,
            agent,
            extra,
            Fields {
                amount: Some(amount),
                reimbursable,
                ..blank(Kind::Material)
            },
        ),
        LogCmd::Use {
            project,
            agent,
            hours,
            rate,
            extra,
        } => (
            project,
            agent,
            extra,
            Fields {
                hours: Some(hours),
                rate,
                ..blank(Kind::Use)
            },
        ),
        LogCmd::Cite {
            project,
            agent,
            value,
            extra,
        } => (
            project,
            agent,
            extra,
            Fields {
                value: Some(value),
                ..blank(Kind::Cite)
            },
        ),
        LogCmd::Show { .. } => unreachable!("`log show` is not a contribution"),
    };
    let date = extra.date.as_deref().map(Date::parse).transpose()?;
    let command = Command::Log {
        project: project.clone(),
        agent,
        kind: fields.kind,
        category: fields.category,
        hours: fields.hours,
        amount: fields.amount,
        rate: fields.rate,
        value: fields.value,
        date,
        note: extra.note,
        gift: extra.gift,
        reimbursable: fields.reimbursable,
    };
    let mut book = s.open_book()?;
    let executed = s.execute(&mut book, command)?;
    let Outcome::Logged { id, minted, .. } = &executed.outcome else {
        return Err(unexpected(&executed));
    };
    let state = book.state();
    let contribution = state.contribution(*id)?;
    let project = state.project(&contribution.project)?;
    let mut logged = Logged::of(project, contribution, executed.replayed);
    logged.minted = MintOut::of(state, minted);
    Ok(Box::new(logged))
}

fn review(s: &Session, command: Command, id: u64) -> Result<Box<dyn Output>> {
    let mut book = s.open_book()?;
    let executed = s.execute(&mut book, command)?;
    let state = book.state();
    let contribution = state.contribution(id)?;
    let project = state.project(&contribution.project)?;
    let mut reviewed = Reviewed::of(project, contribution, executed.replayed);
    if let Outcome::Approved { minted, .. } = &executed.outcome {
        reviewed.minted = MintOut::of(state, minted);
    }
    Ok(Box::new(reviewed))
}

fn contributions(
    s: &Session,
    slug: &str,
    status: Option<StatusArg>,
    agent: Option<&str>,
    page: Page,
) -> Result<Box<dyn Output>> {
    check_page(page)?;
    let book = s.open_book()?;
    let state = book.state();
    let project = state.project(slug)?;
    if let Some(agent) = agent {
        state.agent(agent)?;
    }
    let status = status.map(|s| match s {
        StatusArg::Pending => Status::Pending,
        StatusArg::Approved => Status::Approved,
        StatusArg::Rejected => Status::Rejected,
    });
    let matching = state
        .project_contributions(project)
        .filter(|c| status.is_none_or(|s| c.status == s))
        .filter(|c| agent.is_none_or(|a| *c.agent == *a));
    let mut total = 0;
    let mut rows = Vec::new();
    for contribution in matching {
        if total >= page.offset && rows.len() < page.limit {
            rows.push(ContributionRow::of(project, contribution));
        }
        total += 1;
    }
    Ok(Box::new(ContributionsOut {
        project: slug.to_string(),
        total,
        offset: page.offset,
        limit: page.limit,
        contributions: rows,
    }))
}

fn plan_show(book: &Book, slug: &str, version: Option<u32>) -> Result<Box<dyn Output>> {
    let project = book.state().project(slug)?;
    let current = project.plan_version();
    let version = version.unwrap_or(current);
    let plan = version
        .checked_sub(1)
        .and_then(|index| project.plans.get(index as usize))
        .ok_or_else(|| {
            CliError::not_found(format!(
                "project {slug} has no plan version {version}: its versions are 1 to {current}"
            ))
        })?;
    Ok(Box::new(PlanOut::of(project, version, plan)))
}

fn log_show(s: &Session, page: Page) -> Result<Box<dyn Output>> {
    check_page(page)?;
    let mut store = open_store(s.book_url(), Access::ReadOnly)?;
    let head = store.head()?;
    let mut events = Vec::new();
    // `scan` has no limit: stop it with an error once the page is full.
    let scanned = store.scan(page.offset as u64, &mut |row: EventRow| {
        if events.len() == page.limit {
            return Err(StoreError::Backend("page full".into()));
        }
        let op = EventBody::from_json(&row.body)
            .map(|body| body.command.op().to_string())
            .unwrap_or_else(|_| "?".to_string());
        events.push(EventRowOut {
            seq: row.seq,
            recorded_at: row.recorded_at,
            actor: row.actor,
            op,
            key: row.idempotency_key,
            hash: row.hash,
        });
        Ok(())
    });
    if events.len() < page.limit {
        scanned?;
    }
    Ok(Box::new(LogOut {
        head,
        offset: page.offset,
        limit: page.limit,
        events,
    }))
}

fn import(s: &Session, file: &str) -> Result<Box<dyn Output>> {
    let input = File::open(file)
        .map_err(|e| CliError::input(format!("cannot read import file {file}: {e}")))?;
    let url = s.book_url();
    let is_new_file = !is_postgres_url(url) && !Path::new(url).exists();
    let mut store = open_store(url, Access::Create)?;
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
        &mut |phase, events| progress.set_message(format!("{phase}: {events} events")),
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

/// Removes a SQLite book and its WAL side files (best effort: they may not exist).
pub fn remove_sqlite_files(path: &str) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
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
