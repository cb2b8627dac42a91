//! Core throughput: applying contribution events, and distributing revenue over a large
//! network. Run with `cargo bench -p fairshare-core --bench core`; figures go to
//! docs/BENCHMARKS.md.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use fairshare_core::{Command, Ctx, Date, OPERATOR, Outcome, Role, State, Value};

const CATEGORIES: [(&str, &str); 3] = [("build", "30.00"), ("design", "45.00"), ("care", "25.50")];

struct Network {
    state: State,
    date: Date,
}

impl Network {
    fn new(agents: usize) -> Network {
        let mut network = Network {
            state: State::new(),
            date: Date::parse("2026-11-21").unwrap(),
        };
        network.run(Command::add_project("p", "CAD", 2));
        for (category, rate) in CATEGORIES {
            network.run(Command::set_rate("p", category, rate));
        }
        for i in 0..agents {
            network.run(Command::AddAgent {
                handle: handle(i),
                name: None,
                role: Role::Affiliate,
            });
        }
        network
    }

    fn ctx(&self) -> Ctx {
        Ctx::new(self.state.head() + 1, OPERATOR, self.date)
    }

    fn run(&mut self, command: Command) -> Outcome {
        let ctx = self.ctx();
        self.state.execute(&ctx, &command).unwrap()
    }
}

fn handle(i: usize) -> String {
    format!("a{i:06}")
}

/// A deterministic contribution: agent, category and hours from a simple mixing of `i`.
fn contribution(i: usize, agents: usize) -> Command {
    let mixed = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let (category, _) = CATEGORIES[(mixed % 3) as usize];
    Command::log_work(
        "p",
        &handle((mixed >> 8) as usize % agents),
        category,
        &format!("{}.{}", 1 + (mixed >> 20) % 12, (mixed >> 30) % 4 * 25),
    )
}

/// Applying already-decided contribution events: the replay path of a book.
fn apply_contributions(c: &mut Criterion) {
    const EVENTS: usize = 100_000;
    let mut scratch = Network::new(1_000);
    let base = scratch.state.clone();
    let events: Vec<(Ctx, Command, Outcome)> = (0..EVENTS)
        .map(|i| {
            let command = contribution(i, 1_000);
            let ctx = scratch.ctx();
            let outcome = scratch.state.execute(&ctx, &command).unwrap();
            (ctx, command, outcome)
        })
        .collect();
    let mut group = c.benchmark_group("core");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(20);
    group.bench_function("apply_100k_contribution_events", |b| {
        b.iter_batched(
            || base.clone(),
            |mut state| {
                for (ctx, command, outcome) in &events {
                    state.apply(ctx, command, outcome).unwrap();
                }
                state
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("decide_and_apply_100k_contributions", |b| {
        b.iter_batched(
            || base.clone(),
            |mut state| {
                for (ctx, command, _) in &events {
                    state.execute(ctx, command).unwrap();
                }
                state
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// A revenue distribution over 100,000 agents holding 10,000,000 contributions.
fn distribute_large(c: &mut Criterion) {
    const AGENTS: usize = 100_000;
    const CONTRIBUTIONS: usize = 10_000_000;
    let mut network = Network::new(AGENTS);
    for i in 0..CONTRIBUTIONS {
        let command = contribution(i, AGENTS);
        let ctx = network.ctx();
        // The value is what decide would compute; applying directly keeps the set-up short.
        let outcome = Outcome::Logged {
            id: i as u64 + 1,
            value: Value(0),
            counted: true,
            minted: None,
        };
        let outcome = match network.state.decide(&ctx, &command) {
            Ok(decided) => decided,
            Err(_) => outcome,
        };
        network.state.apply(&ctx, &command, &outcome).unwrap();
    }
    let ctx = network.ctx();
    let revenue = Command::Revenue {
        project: "p".into(),
        amount: "1234567.89".into(),
        from: None,
    };
    let mut group = c.benchmark_group("core");
    group.sample_size(10);
    group.bench_function("distribute_100k_agents_10m_contributions", |b| {
        b.iter(|| black_box(network.state.decide(&ctx, &revenue).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, apply_contributions, distribute_large);
criterion_main!(benches);
