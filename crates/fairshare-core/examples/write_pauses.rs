//! The writer's pauses as the state grows: decides and applies `WRITES` keyed contributions
//! one at a time (as the server's writer does, without the disk) and times each, so that a
//! write that had to wait for a growing collection (a list copied to a larger allocation, a
//! map rehashed) stands out from the others.
//!
//!   cargo run --release -p fairshare-core --example write_pauses -- [WRITES]
//!
//! Prints the latency percentiles, how many writes took over 1 ms and over 10 ms, and the
//! slowest writes with their number. Figures go to docs/BENCHMARKS.md ("A steady writer").

use std::time::{Duration, Instant};

use fairshare_core::{Command, Ctx, Date, OPERATOR, Role, State};

const AGENTS: usize = 1_000;
const WRITES_DEFAULT: usize = 600_000;
const SLOWEST_SHOWN: usize = 8;

fn main() {
    let writes = std::env::args()
        .nth(1)
        .map(|text| text.parse::<usize>().expect("WRITES is a whole number"))
        .unwrap_or(WRITES_DEFAULT);
    let date = Date::parse("2026-11-21").expect("a date");
    let mut state = State::new();
    let run = |state: &mut State, command: Command, key: Option<String>| {
        let mut ctx = Ctx::new(state.head() + 1, OPERATOR, date);
        ctx.payload_hash = format!("{:064x}", state.head());
        ctx.key = key;
        state.execute(&ctx, &command).expect("a valid command");
    };
    run(&mut state, Command::add_project("p", "CAD", 2), None);
    run(&mut state, Command::set_rate("p", "build", "30.00"), None);
    for i in 0..AGENTS {
        let handle = format!("a{i:06}");
        let add = Command::AddAgent {
            handle,
            name: None,
            role: Role::Affiliate,
        };
        run(&mut state, add, None);
    }
    let mut took: Vec<(Duration, usize)> = Vec::with_capacity(writes);
    for i in 0..writes {
        let agent = format!("a{:06}", i % AGENTS);
        let command = Command::log_work("p", &agent, "build", "1.5");
        let key = Some(format!("write-{i:09}"));
        let started = Instant::now();
        run(&mut state, command, key);
        took.push((started.elapsed(), i + 1));
    }
    report(&mut took);
}

fn report(took: &mut [(Duration, usize)]) {
    let over = |limit: Duration| took.iter().filter(|(time, _)| *time > limit).count();
    let (over_1_ms, over_10_ms) = (
        over(Duration::from_millis(1)),
        over(Duration::from_millis(10)),
    );
    took.sort_unstable_by_key(|write| std::cmp::Reverse(write.0));
    let at = |fraction: f64| took[((took.len() as f64) * fraction) as usize].0;
    println!(
        "{} writes: p50 {:?}, p99 {:?}, p99.9 {:?}, max {:?}; over 1 ms: {over_1_ms}, over 10 ms: {over_10_ms}",
        took.len(),
        at(0.5),
        at(0.01),
        at(0.001),
        took[0].0,
    );
    let slowest: Vec<String> = took
        .iter()
        .take(SLOWEST_SHOWN)
        .map(|(time, write)| format!("#{write} {:.2} ms", time.as_secs_f64() * 1e3))
        .collect();
    println!("slowest: {}", slowest.join(", "));
}
