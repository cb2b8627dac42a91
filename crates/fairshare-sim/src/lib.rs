//! A deterministic simulator of a fairshare network (issue 18, after TigerBeetle's VOPR).
//!
//! One seed drives everything: the requests of many members (every kind of command, valid
//! and invalid, with idempotent retries), the simulated clock, and the faults the disk
//! injects ([`disk::Fault`]: lost appends, lost answers after a durable append, failed reads,
//! crashes of the whole process). After every step the book is checked against what must
//! hold ([`check`]); a failure names the seed and the step, so `scripts/simulate --seed N
//! --steps M` replays it exactly.

pub mod check;
pub mod demo;
pub mod disk;
pub mod generate;
pub mod rng;
pub mod run;
pub mod workload;

pub use run::{Failure, Options, Report, simulate};
