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
//!     let ctx = Ctx::new(seq, OPERATOR, Date::parse("2026-11-21").unwrap());
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
//!
//! # The public surface
//!
//! The modules are private. What the other crates use is re-exported here, at the root, under
//! the names it has always had: `fairshare_core::Campaign`, `fairshare_core::Price`,
//! `fairshare_core::parse_decimal`. One flat namespace was chosen over small re-exporting
//! modules (a `tokens` namespace, say) because the names do not clash and each reads on its
//! own, and because a caller then never needs to know which module of the core a noun lives in:
//! the core can move code between its modules without breaking anyone. Types that callers only
//! reach through [`State`]'s queries (a round's gifts, a token's issuance history) are not
//! re-exported; name them here when a caller needs to.

mod chunked;
mod command;
mod contributions;
mod corrections;
mod date;
mod deferred;
mod directory;
mod distribute;
mod engine;
mod error;
mod event;
mod forecast;
mod governance;
mod ledger;
mod limits;
mod membership;
mod model;
mod money;
mod payout_lines;
mod peer;
mod policy;
mod resources;
mod roles;
mod serde_text;
mod sharded;
mod shorthand;
mod snapshot;
mod split;
mod state;
mod strict;
#[cfg(test)]
mod test_book;
mod time;
mod tokens;
mod treasury;
mod value;

/// The hash map of the core's hot paths (agents, aggregates, balances, idempotency keys):
/// foldhash is several times faster than SipHash on short keys and still seeded per process,
/// so crafted handles or keys cannot force collisions.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

pub use chunked::Chunked;
pub use deferred::{Deferred, PartSource};
pub use payout_lines::{Packed, PayoutLines};
// --- commands, outcomes and events: what a book logs ---
pub use command::{ClaimPayment, Command, Line, Outcome, TechnicianWork};
pub use event::{EventBody, GENESIS_HASH, chain_hash, payload_hash};
// --- the state machine and what it knows ---
pub use date::Date;
pub use error::{Details, DomainError, DomainResult, ErrorKind, ProposeIn};
pub use ledger::{Ledger, Posting, Transaction};
pub use limits::{CONTRIBUTION_VALUE_MAX, FUTURE_DAYS_MAX, HOURS_MAX, PROJECT_VALUE_MAX};
pub use model::{
    Agent, Bucket, Contribution, EXCHANGE, Filter, Kind, NAME_LEN_MAX, OPERATOR, OUTSIDE,
    PercentOf, Plan, Policy, Role, Status, TEXT_LEN_MAX, may_go_negative,
};
pub use snapshot::{
    DEFERRED_PARTS, PART_INDEX_BYTES, SNAPSHOT_FORMAT, SNAPSHOT_HEADER_BYTES, SnapshotChecksum,
    SnapshotError, SnapshotHeader, check_snapshot, check_snapshot_state, snapshot_header,
    snapshot_header_of,
};
pub use state::{Counted, Ctx, Distribution, MonthKind, Project, RULES, RULES_UNMARKED, State};
pub use strict::{HOURS_DECIMALS, skeleton};
pub use time::Timestamp;
// --- amounts, values and exact splits ---
pub use money::{format_amount, parse_amount};
pub use split::{CappedShare, split_capped, split_largest_remainder};
pub use value::{Value, parse_decimal, ratio_decimal, share_decimal};
// --- forecasts ---
pub use distribute::plan_distribution_by;
pub use forecast::{Estimate, MoreWork, Planned};
// --- corrections ---
pub use corrections::{Change, Correction};
// --- shared resources ---
pub use resources::{Campaign, FeeSchedule, Resource, ResourceStatus, SplitShare, UseRecord};
// --- peer valuation ---
pub use peer::{
    BigInt, BigRational, BlendReport, BlendRow, Bounty, CapRow, PeerShare, PoolAllocation,
    PoolLine, Round, Share, ValueChange,
};
// --- tokens ---
pub use tokens::{HatchResult, HatchSpec, Price, Redemption, RetroMint, Token, TokenMint};
// --- treasury ---
pub use treasury::{Expense, Payout, TreasuryStatus, convert_floor};
// --- membership ---
pub use membership::{Admission, Asked, JoinRequest, PENDING_MAX, ProjectProposal};
// --- governance ---
pub use governance::{
    Ballot, CHANGES_MAX, GovernanceMode, GovernanceSettings, NOTICE_DAYS_DEFAULT, Proposal,
    ProposalStatus, QUORUM_DEFAULT, RuleChange, Scope, THRESHOLD_DEFAULT, Tally,
    VOTING_DAYS_DEFAULT, Voter, Weighting, governed_scope,
};
