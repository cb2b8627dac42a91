//! `fairshare-sim`: runs the deterministic simulator (see `scripts/simulate`).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use fairshare_sim::{Options, simulate};

/// Drives a book through long random workloads on a disk that injects faults, checking every
/// invariant after every step. A failure prints the seed and step that replay it.
#[derive(Parser)]
#[command(name = "fairshare-sim")]
struct Args {
    /// The first seed; each further run takes the next one.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Steps (requests, retries, crashes) per run.
    #[arg(long, default_value_t = 2_000)]
    steps: u64,
    /// How many seeds to run, one after another.
    #[arg(long, default_value_t = 1)]
    seeds: u64,
    /// Keep running new seeds for this many hours (the long mode); overrides --seeds.
    #[arg(long)]
    hours: Option<f64>,
    /// Run on a perfect disk: no faults, no crashes.
    #[arg(long)]
    no_faults: bool,
    /// Replay and verify the whole disk every this many steps.
    #[arg(long, default_value_t = 100)]
    replay_every: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let deadline = args
        .hours
        .map(|hours| Instant::now() + Duration::from_secs_f64(hours * 3_600.0));
    let (mut seed, mut runs, mut steps_total) = (args.seed, 0u64, 0u64);
    loop {
        let done = match deadline {
            Some(deadline) => Instant::now() >= deadline,
            None => runs >= args.seeds,
        };
        if done {
            break;
        }
        let options = Options {
            faults: !args.no_faults,
            replay_every_steps: args.replay_every.max(1),
            ..Options::new(seed, args.steps)
        };
        match simulate(options) {
            Ok(report) => {
                println!("seed {seed}: {report}");
                steps_total += report.steps;
            }
            Err(failure) => {
                eprintln!("FAILED {failure}");
                return ExitCode::FAILURE;
            }
        }
        seed += 1;
        runs += 1;
    }
    println!("{runs} seeds, {steps_total} steps, every invariant held");
    ExitCode::SUCCESS
}
