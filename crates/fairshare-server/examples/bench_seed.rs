//! Seeds a book for `benches/load.sh`: a custodian `bench` with an API key, a project `load`
//! with a rate, and N contributions. Prints the key on stdout.
//!
//! `cargo run --release -p fairshare-server --example bench_seed -- BOOK_URL [N]`

use anyhow::Context as _;

#[path = "support/seed.rs"]
mod seed;

const SEED_DEFAULT: usize = 1_000;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args.next().context("usage: bench_seed BOOK_URL [N]")?;
    let count: usize = match args.next() {
        Some(n) => n.parse().context("N must be a number")?,
        None => SEED_DEFAULT,
    };
    println!("{}", seed::seed(&url, count)?);
    Ok(())
}
