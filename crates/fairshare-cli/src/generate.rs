//! `generate`: a synthetic network as a JSON-lines import file, byte-identical for a seed.
//!
//! The network is built by executing real commands on a [`Book`], so every line is a sound,
//! hash-chained event that `import` (and `verify`) accept. The book's store is a sink that
//! writes each appended row as an export line and keeps nothing, so memory holds only the
//! book's state, not the log.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use fairshare_book::Book;
use fairshare_core::{Command, Date, Kind, OPERATOR, Plan, Role, format_amount};
use fairshare_store::{EventRow, RowsStore, Store, StoreError, StoreResult, check_append};
use serde::Serialize;

use crate::commands::Nothing;
use crate::error::CliError;
use crate::render::{Output, Text};
use fairshare_core::Timestamp;

/// Most agents a generated network has.
pub const GENERATE_AGENTS_MAX: u64 = 1_000_000;
/// Most contributions: the book's state grows by a few hundred bytes per contribution, so
/// the largest network takes a few GB to generate (issue 17 measures a 10M-contribution book).
pub const GENERATE_CONTRIBUTIONS_MAX: u64 = 10_000_000;
/// Most projects.
pub const GENERATE_PROJECTS_MAX: u64 = 10_000;
/// A revenue is distributed after every this many contributions.
const CONTRIBUTIONS_PER_REVENUE: u64 = 10_000;
/// The first event's time; each later event is one second after the one before.
const START_TIME: &str = "2026-01-01T00:00:00Z";
/// Contributions are dated over the year before the start, in log order.
const CONTRIBUTION_DAYS: u64 = 365;
/// Output buffer: large writes keep a million-event file fast.
const WRITE_BUFFER_BYTES: usize = 1 << 20;

/// Work categories and their base rates per hour (each project varies them a little).
const CATEGORIES: [(&str, i128); 6] = [
    ("design", 4_500),
    ("engineering", 5_000),
    ("coordination", 3_000),
    ("fabrication", 3_500),
    ("documentation", 2_500),
    ("outreach", 2_000),
];

const PLAN_JSON: &str = r#"{"bucket":[
    {"type":"reimburse","kinds":["cash","material"]},
    {"type":"percent","percent":"5","of":"gross","to":"infra"},
    {"type":"contributors"}
]}"#;

pub struct Spec {
    pub agents: u64,
    pub contributions: u64,
    pub projects: u64,
    pub seed: u64,
    pub output: Option<String>,
}

/// SplitMix64: tiny, fast, and the same numbers on every machine.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (multiply-shift: the bias is far below anything visible here).
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }
}

type Sink = Arc<Mutex<BufWriter<Box<dyn Write + Send>>>>;

/// A store that writes every appended row as a JSON export line and keeps nothing.
struct SinkStore {
    out: Sink,
    head: u64,
}

impl Store for SinkStore {
    fn head(&mut self) -> StoreResult<u64> {
        Ok(self.head)
    }

    /// The book applies each row as it appends it, so there is never anything to catch up on.
    fn scan(
        &mut self,
        _after: u64,
        _visit: &mut dyn FnMut(EventRow) -> StoreResult<()>,
    ) -> StoreResult<()> {
        Ok(())
    }

    fn append(&mut self, rows: &[EventRow]) -> StoreResult<()> {
        check_append(self.head, rows)?;
        let mut out = self
            .out
            .lock()
            .map_err(|_| StoreError::Backend("output lock poisoned".into()))?;
        fairshare_book::export_jsonl(&mut RowsStore(rows), &mut *out)
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        self.head += rows.len() as u64;
        Ok(())
    }

    fn location(&self) -> String {
        "generator output".to_string()
    }
}

#[derive(Serialize)]
pub struct GenerateOut {
    pub output: String,
    pub seed: u64,
    pub events: u64,
    pub agents: u64,
    pub projects: u64,
    pub contributions: u64,
    pub revenues: u64,
}

impl Text for GenerateOut {
    fn to_text(&self) -> String {
        format!(
            "wrote {} events to {} (seed {}): {} agents, {} projects, {} contributions, {} revenues\n\
             import it with `fairshare --book NEW.db import {}`\n",
            self.events,
            self.output,
            self.seed,
            self.agents,
            self.projects,
            self.contributions,
            self.revenues,
            self.output
        )
    }
}

fn check_limit(what: &str, value: u64, min: u64, max: u64) -> Result<()> {
    if value < min || value > max {
        return Err(CliError::invalid(format!(
            "--{what} {value} is out of range: use {min} to {max}"
        ))
        .into());
    }
    Ok(())
}

pub fn run(spec: Spec) -> Result<Box<dyn Output>> {
    check_limit("agents", spec.agents, 1, GENERATE_AGENTS_MAX)?;
    check_limit(
        "contributions",
        spec.contributions,
        0,
        GENERATE_CONTRIBUTIONS_MAX,
    )?;
    check_limit("projects", spec.projects, 1, GENERATE_PROJECTS_MAX)?;
    let writer: Box<dyn Write + Send> = match &spec.output {
        Some(path) => Box::new(
            File::create(path)
                .map_err(|e| CliError::storage(format!("cannot create {path}: {e}")))?,
        ),
        None => Box::new(std::io::stdout()),
    };
    let sink: Sink = Arc::new(Mutex::new(BufWriter::with_capacity(
        WRITE_BUFFER_BYTES,
        writer,
    )));
    let store = SinkStore {
        out: sink.clone(),
        head: 0,
    };
    let mut book = Book::open(Box::new(store))?;
    // The events go to a file, not a store that keeps snapshots.
    book.set_snapshot_every(None);
    let mut generator = Generator {
        book,
        rng: SplitMix64(spec.seed),
        time: Timestamp::parse(START_TIME).expect("constant time").0,
        revenues: 0,
    };
    generator.network(&spec)?;
    let events = generator.book.state().head();
    let revenues = generator.revenues;
    drop(generator);
    let mut out = sink
        .lock()
        .map_err(|_| CliError::storage("output lock poisoned"))?;
    out.flush()
        .map_err(|e| CliError::storage(format!("cannot write the output: {e}")))?;
    match spec.output {
        None => Ok(Box::new(Nothing)),
        Some(output) => Ok(Box::new(GenerateOut {
            output,
            seed: spec.seed,
            events,
            agents: spec.agents,
            projects: spec.projects,
            contributions: spec.contributions,
            revenues,
        })),
    }
}

struct Generator {
    book: Book,
    rng: SplitMix64,
    /// Seconds since the epoch of the next event.
    time: i64,
    revenues: u64,
}

impl Generator {
    fn run(&mut self, command: Command, key: Option<&str>) -> Result<()> {
        let recorded_at = Timestamp(self.time).to_string();
        self.time += 1;
        self.book.execute(OPERATOR, &command, key, &recorded_at)?;
        Ok(())
    }

    fn network(&mut self, spec: &Spec) -> Result<()> {
        let handle = |index: u64| format!("a{:06}", index + 1);
        for index in 0..spec.agents {
            // One steward; everyone else logs contributions.
            let role = if index == 0 {
                Role::Custodian
            } else {
                Role::Affiliate
            };
            self.run(Command::add_agent(&handle(index), role), None)?;
        }
        let plan: Plan = serde_json::from_str(PLAN_JSON).expect("constant plan");
        let mut categories: Vec<Vec<&str>> = Vec::new();
        for index in 0..spec.projects {
            let slug = format!("p{:04}", index + 1);
            self.run(Command::add_project(&slug, "CAD", 2), None)?;
            // Three to six categories, each within 5.00 of its base rate.
            let count = 3 + self.rng.below(4) as usize;
            let mut used = Vec::new();
            for &(category, base) in CATEGORIES.iter().take(count) {
                let rate = base - 500 + self.rng.below(1_001) as i128;
                let per_hour = format_amount(rate, 2);
                self.run(Command::set_rate(&slug, category, &per_hour), None)?;
                used.push(category);
            }
            categories.push(used);
            self.run(
                Command::SetPlan {
                    project: slug,
                    plan: plan.clone(),
                },
                None,
            )?;
        }
        let progress = progress_bar(spec.contributions);
        let first_day = Date::parse(START_TIME)?.0 - CONTRIBUTION_DAYS as i32;
        for index in 0..spec.contributions {
            let project = self.rng.below(spec.projects);
            // The smaller of two draws: a few agents contribute much, most a little.
            let agent = self.rng.below(spec.agents).min(self.rng.below(spec.agents));
            let day = index * CONTRIBUTION_DAYS / spec.contributions.max(1);
            let command = self.contribution(
                &format!("p{:04}", project + 1),
                &handle(agent),
                &categories[project as usize],
                Date(first_day + day as i32),
            );
            self.run(command, None)?;
            if (index + 1) % CONTRIBUTIONS_PER_REVENUE == 0 {
                self.revenue(spec.projects)?;
            }
            if index % 1_000 == 0 {
                progress.set_position(index);
            }
        }
        progress.finish_and_clear();
        Ok(())
    }

    fn contribution(
        &mut self,
        project: &str,
        agent: &str,
        categories: &[&str],
        date: Date,
    ) -> Command {
        let roll = self.rng.below(100);
        let gift = self.rng.below(100) == 0;
        let work = roll < 85;
        let mut command = if work {
            // A quarter hour to a long day, in quarter hours.
            let quarters = 1 + self.rng.below(32);
            let hours = format!("{}.{:02}", quarters / 4, quarters % 4 * 25);
            let category = categories[self.rng.below(categories.len() as u64) as usize];
            Command::log_work(project, agent, category, &hours)
        } else {
            let (kind, cents) = if roll < 95 {
                (Kind::Material, 500 + self.rng.below(49_501) as i128)
            } else {
                (Kind::Cash, 5_000 + self.rng.below(195_001) as i128)
            };
            let amount = format_amount(cents, 2);
            Command::log(project, agent, kind, None, None, Some(&amount))
        };
        let reimbursable = !work && !gift && self.rng.below(10) < 8;
        // The shorthands log undated, neither a gift nor reimbursable.
        if let Command::Log {
            date: dated,
            gift: given,
            reimbursable: repaid,
            ..
        } = &mut command
        {
            (*dated, *given, *repaid) = (Some(date), gift, reimbursable);
        }
        command
    }

    fn revenue(&mut self, projects: u64) -> Result<()> {
        self.revenues += 1;
        let n = self.revenues;
        let project = format!("p{:04}", self.rng.below(projects) + 1);
        let cents = 100_000 + self.rng.below(9_900_001) as i128;
        let key = format!("revenue-{n}");
        self.run(
            Command::Revenue {
                project,
                amount: format_amount(cents, 2),
                from: Some(format!("client-{n}")),
            },
            Some(&key),
        )
    }
}

/// A progress bar on a terminal only; scripts and pipes see nothing.
fn progress_bar(total: u64) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} contributions ({per_sec}, {eta} left)",
    ) {
        bar.set_style(style);
    }
    bar
}
