//! The sans-IO core of fairshare.
//!
//! Commands go in, outcomes come out: [`State::decide`] validates a [`Command`] and computes
//! its [`Outcome`] (ids, values, every payout line) without changing anything;
//! [`State::apply`] records it. The core reads no clock, file or database: the caller passes
//! the time and the actor in a [`Ctx`], and stores the resulting event where it likes.
//!
//! ```
//! use fairshare_core::{Command, Ctx, Date, Role, State, OPERATOR};
//!
//! let mut state = State::new();
//! let mut seq = 0;
//! let mut run = |state: &mut State, command: Command| {
//!     seq += 1;
//!     let ctx = Ctx { seq, actor: OPERATOR.into(), date: Date::parse("2026-11-21").unwrap(), key: None, payload_hash: String::new() };
//!     state.execute(&ctx, &command).unwrap()
//! };
//! run(&mut state, Command::AddAgent { handle: "abran".into(), name: None, role: Role::Affiliate });
//! run(&mut state, Command::AddProject { slug: "forillon".into(), name: None, currency: "CAD".into(), exponent: 2, approvals: 0 });
//! run(&mut state, Command::SetRate { project: "forillon".into(), category: "design".into(), per_hour: "45.00".into() });
//! run(&mut state, Command::Log { project: "forillon".into(), agent: "abran".into(), kind: fairshare_core::Kind::Work,
//!     category: Some("design".into()), hours: Some("2".into()), amount: None, rate: None, value: None,
//!     date: None, note: None, gift: false, reimbursable: false });
//! run(&mut state, Command::Revenue { project: "forillon".into(), amount: "100.00".into(), from: None });
//! assert_eq!(state.ledger().balance("abran", "CAD"), 10_000);
//! ```

pub mod command;
mod contributions;
pub mod date;
mod directory;
pub mod distribute;
pub mod engine;
pub mod error;
pub mod event;
pub mod ledger;
pub mod model;
pub mod money;
pub mod peer;
mod policy;
pub mod resources;
mod roles;
pub mod serde_text;
pub mod split;
pub mod state;
pub mod tokens;
pub mod value;

/// The hash map of the core's hot paths (agents, aggregates, balances, idempotency keys):
/// foldhash is several times faster than SipHash on short keys and still seeded per process,
/// so crafted handles or keys cannot force collisions.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

pub use command::{ClaimPayment, Command, Line, Outcome};
pub use date::Date;
pub use error::{DomainError, DomainResult, ErrorKind};
pub use event::{EventBody, GENESIS_HASH, chain_hash, payload_hash};
pub use ledger::{Ledger, Posting, Transaction};
pub use model::{
    Agent, Bucket, Contribution, Filter, Kind, OPERATOR, OUTSIDE, PercentOf, Plan, Policy, Role,
    Status,
};
pub use money::{format_amount, parse_amount};
pub use peer::{BlendReport, BlendRow, CapRow, PeerShare, PoolLine, Round, Share, ValueChange};
pub use state::{Ctx, Distribution, Project, State};
pub use value::Value;
// --- tokens ---
pub use tokens::{HatchResult, HatchSpec, Redemption, Token, TokenMint};
