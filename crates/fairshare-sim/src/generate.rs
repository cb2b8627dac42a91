//! A synthetic network as a JSON-lines import file, byte-identical for a seed: the workload
//! of `fairshare generate` and of the import, open and verify benchmarks (docs/BENCHMARKS.md).
//!
//! The network is built by executing real commands on a [`Book`], so every line is a sound,
//! hash-chained event that `import` (and `verify`) accept. The book's store is a sink that
//! writes each appended row as an export line and keeps nothing, so memory holds only the
//! book's state, not the log.

use std::io::{BufWriter, Write};
use std::sync::{Arc, Mutex};

use fairshare_book::{Book, BookError};
use fairshare_core::{Command, Date, Kind, OPERATOR, Plan, Role, Timestamp, format_amount};
use fairshare_store::{EventRow, RowsStore, Store, StoreError, StoreResult, check_append};

use crate::rng::Rng;

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

/// The network to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    pub agents: u64,
    pub contributions: u64,
    pub projects: u64,
    pub seed: u64,
}

/// What a generation wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub events: u64,
    pub revenues: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// A size of the spec past its limits: `what` is the spec's field.
    #[error("{what} {value} is out of range: use {min} to {max}")]
    OutOfRange {
        what: &'static str,
        value: u64,
        min: u64,
        max: u64,
    },
    #[error(transparent)]
    Book(#[from] BookError),
    #[error("cannot write the output: {0}")]
    Write(#[from] std::io::Error),
}

impl Spec {
    /// Each size within its limits.
    pub fn check(&self) -> Result<(), GenerateError> {
        let limits = [
            ("agents", self.agents, 1, GENERATE_AGENTS_MAX),
            (
                "contributions",
                self.contributions,
                0,
                GENERATE_CONTRIBUTIONS_MAX,
            ),
            ("projects", self.projects, 1, GENERATE_PROJECTS_MAX),
        ];
        for (what, value, min, max) in limits {
            if value < min || value > max {
                return Err(GenerateError::OutOfRange {
                    what,
                    value,
                    min,
                    max,
                });
            }
        }
        Ok(())
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

/// Writes the network of `spec` to `out` as import lines; `progress` hears the number of
/// contributions written every thousand.
pub fn generate(
    spec: &Spec,
    out: Box<dyn Write + Send>,
    progress: &mut dyn FnMut(u64),
) -> Result<Generated, GenerateError> {
    spec.check()?;
    let sink: Sink = Arc::new(Mutex::new(BufWriter::with_capacity(
        WRITE_BUFFER_BYTES,
        out,
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
        rng: Rng::new(spec.seed),
        time: Timestamp::parse(START_TIME).expect("constant time").0,
        revenues: 0,
    };
    generator.network(spec, progress)?;
    let generated = Generated {
        events: generator.book.state().head(),
        revenues: generator.revenues,
    };
    drop(generator);
    let mut out = sink
        .lock()
        .map_err(|_| std::io::Error::other("output lock poisoned"))?;
    out.flush()?;
    Ok(generated)
}

struct Generator {
    book: Book,
    rng: Rng,
    /// Seconds since the epoch of the next event.
    time: i64,
    revenues: u64,
}

impl Generator {
    fn run(&mut self, command: Command, key: Option<&str>) -> Result<(), GenerateError> {
        let recorded_at = Timestamp(self.time).to_string();
        self.time += 1;
        self.book.execute(OPERATOR, &command, key, &recorded_at)?;
        Ok(())
    }

    fn network(&mut self, spec: &Spec, progress: &mut dyn FnMut(u64)) -> Result<(), GenerateError> {
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
            let count = 3 + self.rng.scaled(4) as usize;
            let mut used = Vec::new();
            for &(category, base) in CATEGORIES.iter().take(count) {
                let rate = base - 500 + self.rng.scaled(1_001) as i128;
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
        let first_day =
            Date::parse(START_TIME).expect("constant time").0 - CONTRIBUTION_DAYS as i32;
        for index in 0..spec.contributions {
            let project = self.rng.scaled(spec.projects);
            // The smaller of two draws: a few agents contribute much, most a little.
            let agent = self
                .rng
                .scaled(spec.agents)
                .min(self.rng.scaled(spec.agents));
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
                progress(index);
            }
        }
        Ok(())
    }

    fn contribution(
        &mut self,
        project: &str,
        agent: &str,
        categories: &[&str],
        date: Date,
    ) -> Command {
        let roll = self.rng.scaled(100);
        let gift = self.rng.scaled(100) == 0;
        let work = roll < 85;
        let mut command = if work {
            // A quarter hour to a long day, in quarter hours.
            let quarters = 1 + self.rng.scaled(32);
            let hours = format!("{}.{:02}", quarters / 4, quarters % 4 * 25);
            let category = categories[self.rng.scaled(categories.len() as u64) as usize];
            Command::log_work(project, agent, category, &hours)
        } else {
            let (kind, cents) = if roll < 95 {
                (Kind::Material, 500 + self.rng.scaled(49_501) as i128)
            } else {
                (Kind::Cash, 5_000 + self.rng.scaled(195_001) as i128)
            };
            let amount = format_amount(cents, 2);
            Command::log(project, agent, kind, None, None, Some(&amount))
        };
        let reimbursable = !work && !gift && self.rng.scaled(10) < 8;
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

    fn revenue(&mut self, projects: u64) -> Result<(), GenerateError> {
        self.revenues += 1;
        let n = self.revenues;
        let project = format!("p{:04}", self.rng.scaled(projects) + 1);
        let cents = 100_000 + self.rng.scaled(9_900_001) as i128;
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
