//! The side-by-side benchmark's workload (see `benches/peers/run.sh` and docs/EXPORTS.md).
//!
//! ```text
//! peer_workload generate --transactions N --out DIR [--seed S]
//!     DIR/events.jsonl     the book as a fairshare import file (`fairshare import`)
//!     DIR/book.beancount   the same book for bean-check
//!     DIR/book.journal     ... for hledger
//!     DIR/book.ledger      ... for ledger
//! peer_workload import BOOK FILE    import FILE into a new SQLite book (all checks)
//! peer_workload verify BOOK         re-check the hash chain and re-decide every event
//! peer_workload balance BOOK        replay the book and print every balance
//! ```
//!
//! The last three stand in for the `fairshare` binary when it is not built.
//!
//! The network: 10,000 agents, 50 projects, each with three work categories, a token minted
//! by contribution value, and a plan that splits revenue over a team of 2 to 5 agents. Then N
//! ledger transactions: 9 in 10 a contribution valuation (a work log, whose value mints the
//! project's token to the contributor), 1 in 10 a revenue split. Deterministic for a seed.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use fairshare_book::{Book, Request, export_jsonl, import_jsonl, verify};
use fairshare_core::{
    Bucket, Command, Date, Kind, OPERATOR, PercentOf, Plan, Redemption, Role, format_amount,
};
use fairshare_export::{EventIndex, RowsStore, write_beancount, write_hledger, write_ledger};
use fairshare_sqlite::SqliteStore;
use fairshare_store::{EventRow, Store, StoreError, StoreResult, check_append};

const AGENTS: u64 = 10_000;
const PROJECTS: u64 = 50;
const CATEGORIES: [(&str, i128); 3] = [
    ("design", 4_500),
    ("engineering", 5_000),
    ("coordination", 3_000),
];
/// Requests decided and appended together.
const BATCH: usize = 10_000;
/// The first event's day; events are `SECONDS_PER_EVENT` apart.
const START_DAY: &str = "2026-01-01";
const SECONDS_PER_EVENT: u64 = 30;

type Error = Box<dyn std::error::Error>;

/// SplitMix64: tiny, fast, and the same numbers on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }
}

/// A store that writes each appended row as an import line and keeps only its metadata.
struct Sink {
    out: BufWriter<File>,
    index: EventIndex,
    head: u64,
}

impl Store for Sink {
    fn head(&mut self) -> StoreResult<u64> {
        Ok(self.head)
    }
    /// The book applies what it appends: there is never anything to catch up on.
    fn scan(&mut self, _: u64, _: &mut dyn FnMut(EventRow) -> StoreResult<()>) -> StoreResult<()> {
        Ok(())
    }
    fn append(&mut self, rows: &[EventRow]) -> StoreResult<()> {
        check_append(self.head, rows)?;
        export_jsonl(&mut RowsStore(rows), &mut self.out)
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        for row in rows {
            self.index
                .push(row)
                .map_err(|e| StoreError::Backend(e.to_string()))?;
        }
        self.head += rows.len() as u64;
        Ok(())
    }
    fn location(&self) -> String {
        "sink".into()
    }
}

/// A shared handle, so the generator can take the index back from the book's store.
struct Shared(std::sync::Arc<std::sync::Mutex<Sink>>);

impl Store for Shared {
    fn head(&mut self) -> StoreResult<u64> {
        self.lock()?.head()
    }
    fn scan(
        &mut self,
        after: u64,
        visit: &mut dyn FnMut(EventRow) -> StoreResult<()>,
    ) -> StoreResult<()> {
        self.lock()?.scan(after, visit)
    }
    fn append(&mut self, rows: &[EventRow]) -> StoreResult<()> {
        self.lock()?.append(rows)
    }
    fn location(&self) -> String {
        "sink".into()
    }
}

impl Shared {
    fn lock(&self) -> StoreResult<std::sync::MutexGuard<'_, Sink>> {
        self.0
            .lock()
            .map_err(|_| StoreError::Backend("sink lock poisoned".into()))
    }
}

/// RFC 3339 time of the `n`-th event (from 0).
fn time_of(n: u64, start: Date) -> (String, Date) {
    let seconds = n * SECONDS_PER_EVENT;
    let day = Date(start.0 + (seconds / 86_400) as i32);
    let s = seconds % 86_400;
    (
        format!("{day}T{:02}:{:02}:{:02}Z", s / 3600, s % 3600 / 60, s % 60),
        day,
    )
}

fn handle(agent: u64) -> String {
    format!("a{agent:05}")
}

fn slug(project: u64) -> String {
    format!("p{project:02}")
}

struct Generator {
    book: Book,
    pending: Vec<Request>,
    events: u64,
    start: Date,
}

impl Generator {
    fn push(&mut self, command: Command, key: Option<String>) -> Result<(), Error> {
        let (recorded_at, _) = time_of(self.events, self.start);
        self.events += 1;
        self.pending.push(Request {
            actor: OPERATOR.into(),
            command,
            key,
            recorded_at,
        });
        if self.pending.len() == BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Error> {
        for result in self.book.execute_batch(&self.pending) {
            result?;
        }
        self.pending.clear();
        Ok(())
    }
}

fn generate(transactions: u64, out: &Path, seed: u64) -> Result<(), Error> {
    std::fs::create_dir_all(out)?;
    let sink = std::sync::Arc::new(std::sync::Mutex::new(Sink {
        out: BufWriter::with_capacity(1 << 20, File::create(out.join("events.jsonl"))?),
        index: EventIndex::new(),
        head: 0,
    }));
    let mut rng = Rng(seed);
    let mut book = Book::open(Box::new(Shared(sink.clone())))?;
    // The events go to a file, not a store that keeps snapshots.
    book.set_snapshot_every(None);
    let mut generator = Generator {
        book,
        pending: Vec::new(),
        events: 0,
        start: Date::parse(START_DAY)?,
    };
    for agent in 1..=AGENTS {
        generator.push(
            Command::AddAgent {
                handle: handle(agent),
                name: None,
                role: Role::Affiliate,
            },
            None,
        )?;
    }
    for project in 1..=PROJECTS {
        let slug = slug(project);
        generator.push(
            Command::AddProject {
                slug: slug.clone(),
                name: None,
                currency: "CAD".into(),
                exponent: 2,
                approvals: 0,
            },
            None,
        )?;
        for (category, rate) in CATEGORIES {
            generator.push(
                Command::SetRate {
                    project: slug.clone(),
                    category: category.into(),
                    per_hour: format_amount(rate + 100 * (project as i128 % 5), 2),
                },
                None,
            )?;
        }
        generator.push(
            Command::create_token(&slug, &format!("P{project:02}"), 2, Redemption::Nav),
            None,
        )?;
        // The team: 2 to 5 agents; each takes an equal part of what the ones before left.
        let team = 2 + project % 4;
        let buckets = (0..team)
            .map(|i| Bucket::Percent {
                percent: (100 / (team - i)).into(),
                of: PercentOf::Remaining,
                to: handle(1 + rng.below(AGENTS)),
            })
            .collect();
        generator.push(
            Command::SetPlan {
                project: slug,
                plan: Plan { buckets },
            },
            None,
        )?;
    }
    for n in 0..transactions {
        let project = slug(1 + rng.below(PROJECTS));
        if n % 10 == 9 {
            let amount = 10_000 + rng.below(990_001) as i128;
            generator.push(
                Command::Revenue {
                    project,
                    amount: format_amount(amount, 2),
                    from: None,
                },
                Some(format!("revenue-{n}")),
            )?;
        } else {
            let (_, day) = time_of(generator.events, generator.start);
            let quarters = 1 + rng.below(32);
            generator.push(
                Command::Log {
                    project,
                    agent: handle(1 + rng.below(AGENTS)),
                    kind: Kind::Work,
                    category: Some(CATEGORIES[rng.below(3) as usize].0.into()),
                    hours: Some(format!("{}.{:02}", quarters / 4, quarters % 4 * 25)),
                    amount: None,
                    rate: None,
                    value: None,
                    date: Some(day),
                    note: None,
                    gift: false,
                    reimbursable: false,
                },
                None,
            )?;
        }
    }
    generator.flush()?;
    let state = generator.book.state();
    if state.ledger().transactions().len() as u64 != transactions {
        return Err(format!(
            "expected {transactions} ledger transactions, made {}",
            state.ledger().transactions().len()
        )
        .into());
    }
    let mut sink = sink.lock().map_err(|_| "sink lock poisoned".to_string())?;
    sink.out.flush()?;
    let index = std::mem::take(&mut sink.index);
    drop(sink);
    write_beancount(
        state,
        &index,
        &mut File::create(out.join("book.beancount"))?,
    )?;
    write_hledger(state, &index, &mut File::create(out.join("book.journal"))?)?;
    write_ledger(state, &index, &mut File::create(out.join("book.ledger"))?)?;
    eprintln!(
        "{} events, {transactions} transactions, {} accounts -> {}",
        state.head(),
        state.ledger().accounts().len(),
        out.display()
    );
    Ok(())
}

fn import(book: &Path, file: &Path) -> Result<(), Error> {
    let mut store = SqliteStore::open(book)?;
    let mut input = BufReader::with_capacity(1 << 20, File::open(file)?);
    let events = import_jsonl(&mut input, &mut store, &mut |_, _| {})?;
    println!("imported {events} events");
    Ok(())
}

fn verify_book(book: &Path) -> Result<(), Error> {
    let mut store = SqliteStore::open(book)?;
    let report = verify(&mut store)?;
    if !report.ok() {
        return Err(format!("verify failed: {:?}", report.problem).into());
    }
    println!("verified");
    Ok(())
}

fn balance(book: &Path) -> Result<(), Error> {
    let book = Book::open(Box::new(SqliteStore::open(book)?))?;
    let state = book.state();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for (account, assets) in state.ledger().accounts() {
        for (asset, amount) in assets {
            let exponent = state
                .asset_exponent(asset)
                .or_else(|| state.token(asset).ok().map(|t| t.exponent))
                .unwrap_or(0);
            writeln!(
                out,
                "{account}\t{}\t{asset}",
                format_amount(*amount, exponent)
            )?;
        }
    }
    out.flush()?;
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: peer_workload generate --transactions N --out DIR [--seed S] | import BOOK FILE | verify BOOK | balance BOOK";
    let option = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let result = match args.first().map(String::as_str) {
        Some("generate") => match (
            option("--transactions").and_then(|n| n.parse::<u64>().ok()),
            option("--out"),
        ) {
            (Some(n), Some(out)) => {
                let seed = option("--seed").and_then(|s| s.parse().ok()).unwrap_or(1);
                generate(n, &PathBuf::from(out), seed)
            }
            _ => Err(usage.into()),
        },
        Some("import") if args.len() == 3 => import(Path::new(&args[1]), Path::new(&args[2])),
        Some("verify") if args.len() == 2 => verify_book(Path::new(&args[1])),
        Some("balance") if args.len() == 2 => balance(Path::new(&args[1])),
        _ => Err(usage.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("peer_workload: {error}");
            ExitCode::FAILURE
        }
    }
}
