//! Peer valuation: peer rounds, steward recognition, blends, bounties, pool allocations,
//! leavers and the cap table (issue 8).
//!
//! Everything a project's members decide together about *who deserves what share* beyond the
//! formula of the valuation policy lives here, in one module: two dispatchers the engine
//! delegates to ([`State::decide_peer`] and [`State::apply_peer`]) and, per command, one
//! `decide_x` and one `apply_x` side by side. Shares are exact
//! rationals ([`Share`]); pool units are integers split by largest remainder. `docs/PEER.md`
//! tells the story.
//!
//! Decisions worth knowing (and documented in PEER.md):
//! - A completed bounty is logged as a counted `bounty` contribution (value = reward, valued
//!   like any contribution), *and* its reward is paid first by the next pool allocation. So
//!   that the pool does not pay it twice, the formula share of a blend counts every kind
//!   **except** `bounty`.
//! - One round per project is open at a time; "the latest closed round" feeds the blend.
//! - A bad leaver's non-cash contributions are re-valued to 0 and cash to its amount at 1x
//!   (never above what it counted before); their peer receipts, steward points and
//!   unallocated bounty awards stop counting. Units already allocated are not clawed back.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::{One, Signed, Zero};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The exact number types shares are made of, re-exported for callers (`Share.0`).
pub use num_bigint::BigInt;
pub use num_rational::BigRational;

use crate::command::{Command, Outcome};
use crate::date::Date;
use crate::engine::unfit;
use crate::error::{About, DomainError, DomainResult, Field};
use crate::ledger::Posting;
use crate::model::{
    Contribution, Filter, Kind, OUTSIDE, Role, Status, check_name, check_optional_text, check_text,
};
use crate::money::{parse_positive_amount, positive_amount};
use crate::roles::{custodian_or_self, observers_only_read, require_custodian};
use crate::split::split_largest_remainder_big;
use crate::state::{Ctx, Project, State};
use crate::value::{Value, decimal};

/// Points each member distributes in a round unless the round says otherwise.
pub const BUDGET_DEFAULT: u64 = 100;
/// Largest budget of a round, and most steward points in one award.
pub const POINTS_MAX: u64 = 1_000_000_000;
/// Most agents eligible in one round.
pub const ROUND_AGENTS_MAX: usize = 10_000;

// ---------------------------------------------------------------------------------------------
// Exact shares
// ---------------------------------------------------------------------------------------------

/// An exact share (a non-negative rational). Printed as an exact decimal when it terminates
/// ("0.3625"), otherwise as a fraction ("1/3"); serialised as that text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Share(pub BigRational);

impl Share {
    pub fn zero() -> Share {
        Share(BigRational::zero())
    }

    pub fn one() -> Share {
        Share(BigRational::one())
    }

    /// `part / whole`, or zero when `whole` is zero.
    pub fn ratio(part: impl Into<BigInt>, whole: impl Into<BigInt>) -> Share {
        let whole = whole.into();
        if whole.is_zero() {
            return Share::zero();
        }
        Share(BigRational::new(part.into(), whole))
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    pub fn is_one(&self) -> bool {
        self.0.is_one()
    }

    /// Parses "0.3625", "1", "-2.5" or "3/8".
    pub fn parse(text: &str) -> DomainResult<Share> {
        let bad = || {
            DomainError::invalid(format!(
                "malformed share {text:?}: expected a decimal such as 0.375 or a fraction such as 3/8"
            ))
        };
        let trimmed = text.trim();
        if let Some((n, d)) = trimmed.split_once('/') {
            let n: BigInt = n.trim().parse().map_err(|_| bad())?;
            let d: BigInt = d.trim().parse().map_err(|_| bad())?;
            if d.is_zero() {
                return Err(bad());
            }
            return Ok(Share(BigRational::new(n, d)));
        }
        let (negative, digits) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !all_digits(whole)
            || !all_digits(fraction)
            || (digits.contains('.') && fraction.is_empty())
        {
            return Err(bad());
        }
        let mantissa: BigInt = format!("{whole}{fraction}").parse().map_err(|_| bad())?;
        let scale = num_traits::pow(BigInt::from(10), fraction.len());
        let value = BigRational::new(mantissa, scale);
        Ok(Share(if negative { -value } else { value }))
    }

    /// The exact decimal text, when the share has one.
    pub fn to_decimal(&self) -> Option<String> {
        let denom = self.0.denom().clone();
        let mut rest = denom.clone();
        let (two, five) = (BigInt::from(2), BigInt::from(5));
        let (mut twos, mut fives) = (0usize, 0usize);
        while rest.is_even() {
            rest /= &two;
            twos += 1;
        }
        while (&rest % &five).is_zero() {
            rest /= &five;
            fives += 1;
        }
        if !rest.is_one() {
            return None;
        }
        let places = twos.max(fives);
        let scaled = self.0.numer() * num_traits::pow(BigInt::from(10), places) / denom;
        let sign = if scaled.is_negative() { "-" } else { "" };
        let digits = format!("{:0>width$}", scaled.abs(), width = places + 1);
        if places == 0 {
            return Some(format!("{sign}{digits}"));
        }
        let (whole, fraction) = digits.split_at(digits.len() - places);
        Some(format!("{sign}{whole}.{fraction}"))
    }
}

impl std::iter::Sum for Share {
    fn sum<I: Iterator<Item = Share>>(iter: I) -> Share {
        Share(iter.map(|s| s.0).sum())
    }
}

impl fmt::Display for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_decimal() {
            Some(text) => f.write_str(&text),
            None => write!(f, "{}/{}", self.0.numer(), self.0.denom()),
        }
    }
}

impl Serialize for Share {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Share {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Share::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The sum of each weight times its share, leaving out the terms that are zero and the
/// multiplications by one: each is a reduction by a gcd, and the page of a project with 95,000
/// agents made six of them per agent where the formula alone (the default blend) needs none.
fn blend_of(terms: [(&BigRational, &Share); 3]) -> Share {
    let mut blended: Option<BigRational> = None;
    for (weight, share) in terms {
        if weight.is_zero() || share.is_zero() {
            continue;
        }
        let term = if weight.is_one() {
            share.0.clone()
        } else {
            weight * &share.0
        };
        blended = Some(match blended {
            Some(sum) => sum + term,
            None => term,
        });
    }
    Share(blended.unwrap_or_else(BigRational::zero))
}

fn decimal_ratio(decimal: Decimal) -> BigRational {
    BigRational::new(
        BigInt::from(decimal.mantissa()),
        num_traits::pow(BigInt::from(10), decimal.scale() as usize),
    )
}

// ---------------------------------------------------------------------------------------------
// Records carried by outcomes
// ---------------------------------------------------------------------------------------------

/// One recipient of a closed round: the points received and the peer share they make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerShare {
    pub agent: String,
    pub received: u64,
    pub share: Share,
}

/// One agent's part of a pool allocation: bounty rewards first, then units by share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolLine {
    pub agent: String,
    /// The blended (or, without a blend, formula) share the rest was split by.
    pub share: Share,
    #[serde(with = "crate::serde_text")]
    pub bounty: i128,
    #[serde(with = "crate::serde_text")]
    pub by_share: i128,
    /// `bounty + by_share`.
    #[serde(with = "crate::serde_text")]
    pub units: i128,
}

/// A contribution a bad leave re-valued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueChange {
    pub contribution: u64,
    pub before: Value,
    pub after: Value,
}

/// One row of a cap table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapRow {
    pub agent: String,
    /// Formula value: counted contributions other than bounty awards, decayed to the date.
    pub value: Value,
    /// The share the next pool allocation gives (blended, or the formula share without a blend).
    pub share: Share,
    /// Units of the project's point asset allocated to the agent by pools up to the date.
    #[serde(with = "crate::serde_text")]
    pub units: i128,
    /// `units` over every unit allocated by the project's pools up to the date.
    pub units_share: Share,
}

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

/// Everything peer valuation adds to a book: rounds (numbered book-wide, so a gift names its
/// round alone) and the per-project records.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PeerState {
    pub(crate) rounds: Vec<Round>,
    pub(crate) projects: BTreeMap<String, PeerProject>,
}

/// A project's steward awards, blends, bounties, pools, leavers and cap-table snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PeerProject {
    pub steward: Vec<StewardAward>,
    /// Every blend set, oldest first; the last is in force.
    pub blends: Vec<Blend>,
    pub bounties: BTreeMap<String, Bounty>,
    pub pools: Vec<PoolAllocation>,
    pub leaver_policy: bool,
    pub leavers: BTreeMap<String, Leaver>,
    pub cap_tables: Vec<CapTableSnapshot>,
}

impl PeerProject {
    pub fn blend(&self) -> Option<&Blend> {
        self.blends.last()
    }
    fn is_bad_leaver(&self, agent: &str) -> bool {
        self.leavers.get(agent).is_some_and(|l| !l.good)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Round {
    pub id: u64,
    pub project: String,
    pub budget: u64,
    /// In byte order of handle.
    pub eligible: Vec<String>,
    pub opted_out: BTreeSet<String>,
    /// giver -> recipient -> points (no zero entries).
    pub gifts: BTreeMap<String, BTreeMap<String, u64>>,
    pub opened_seq: u64,
    pub opened_on: Date,
    pub closed: Option<ClosedRound>,
}

impl Round {
    pub fn is_open(&self) -> bool {
        self.closed.is_none()
    }
    /// Points `from` has given so far.
    pub fn spent(&self, from: &str) -> u64 {
        self.gifts.get(from).map_or(0, |g| g.values().sum())
    }
    /// Points `from` has given `to` so far.
    fn given(&self, from: &str, to: &str) -> u64 {
        self.gifts
            .get(from)
            .and_then(|g| g.get(to))
            .copied()
            .unwrap_or(0)
    }
    /// Points each eligible recipient (not opted out) has received so far, in handle order.
    pub fn received(&self) -> Vec<(String, u64)> {
        let mut received: BTreeMap<&str, u64> = self
            .eligible
            .iter()
            .filter(|a| !self.opted_out.contains(*a))
            .map(|a| (a.as_str(), 0))
            .collect();
        for gifts in self.gifts.values() {
            for (to, points) in gifts {
                *received.entry(to.as_str()).or_default() += points;
            }
        }
        received
            .into_iter()
            .map(|(a, p)| (a.to_string(), p))
            .collect()
    }
    /// Shares as they would be if the round closed now.
    pub fn provisional_shares(&self) -> (u64, Vec<PeerShare>) {
        let received = self.received();
        let total: u64 = received.iter().map(|(_, p)| p).sum();
        let shares = received
            .into_iter()
            .map(|(agent, points)| PeerShare {
                agent,
                received: points,
                share: Share::ratio(points, total),
            })
            .collect();
        (total, shares)
    }
    fn is_eligible(&self, agent: &str) -> bool {
        self.eligible
            .binary_search_by(|a| a.as_str().cmp(agent))
            .is_ok()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClosedRound {
    pub seq: u64,
    pub date: Date,
    pub total: u64,
    pub shares: Vec<PeerShare>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StewardAward {
    pub seq: u64,
    pub date: Date,
    pub by: String,
    pub agent: String,
    pub points: u64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Blend {
    pub seq: u64,
    #[serde(with = "crate::snapshot::decimal")]
    pub formula: Decimal,
    #[serde(with = "crate::snapshot::decimal")]
    pub peer: Decimal,
    #[serde(with = "crate::snapshot::decimal")]
    pub steward: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Bounty {
    pub task: String,
    /// Reward in minor units of the project's currency (its point asset).
    pub reward: i128,
    pub description: Option<String>,
    pub added_seq: u64,
    pub award: Option<Award>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Award {
    pub agent: String,
    pub approved_by: String,
    /// The `bounty` contribution logged for it.
    pub contribution: u64,
    pub seq: u64,
    pub date: Date,
    /// The pool allocation that paid the reward.
    pub allocated_in: Option<u64>,
    /// Forfeited by a bad leave before any pool paid it.
    pub forfeited: bool,
}

impl Award {
    fn waiting(&self) -> bool {
        self.allocated_in.is_none() && !self.forfeited
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PoolAllocation {
    /// Numbered per project from 1.
    pub id: u64,
    pub seq: u64,
    pub date: Date,
    pub key: Option<String>,
    pub size: i128,
    pub asset: String,
    pub bounties: Vec<String>,
    pub lines: Vec<PoolLine>,
    pub transaction: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Leaver {
    pub seq: u64,
    pub date: Date,
    pub good: bool,
    pub forfeited: Value,
    pub changes: Vec<ValueChange>,
    pub forfeited_bounties: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CapTableSnapshot {
    pub seq: u64,
    pub date: Date,
    pub rows: Vec<CapRow>,
}

/// Formula, peer, steward and blended shares side by side (`shares --blended`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlendReport {
    /// The weights in force: the project's blend, or formula 1 when none is set.
    pub formula: Decimal,
    pub peer: Decimal,
    pub steward: Decimal,
    pub blend_set: bool,
    /// The closed round the peer shares come from.
    pub round: Option<u64>,
    pub rows: Vec<BlendRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlendRow {
    pub agent: String,
    pub value: Value,
    pub received: u64,
    pub steward_points: u64,
    pub formula: Share,
    pub peer: Share,
    pub steward: Share,
    pub blended: Share,
}

/// The points of each part of a blend, over the same agents.
#[derive(Default)]
struct Parts {
    rows: BTreeMap<String, (Value, u64, u64)>,
    value_total: i128,
    received_total: u64,
    steward_total: u64,
    round: Option<u64>,
}

/// Every kind but `bounty`: bounty rewards are paid first by the pool, so the formula share
/// that splits the rest leaves them out.
fn formula_filter() -> Filter {
    Filter {
        kinds: Kind::ALL
            .into_iter()
            .filter(|k| *k != Kind::Bounty)
            .collect(),
        ..Filter::default()
    }
}

/// The weights of a blend, as the `SetBlend` fields that give them.
const WEIGHTS: [Field; 3] = [
    Field::new("formula", "formula weight"),
    Field::new("peer", "peer weight"),
    Field::new("steward", "steward weight"),
];

fn parse_weight(field: Field, text: &str) -> DomainResult<Decimal> {
    let weight = decimal(field, text)?;
    if weight < Decimal::ZERO || weight > Decimal::ONE {
        let error = DomainError::invalid(format!("{} {text} must be between 0 and 1", field.what))
            .field(field.name)
            .value(text);
        return Err(if weight > Decimal::ONE {
            error.limit("1")
        } else {
            error
        });
    }
    Ok(weight)
}

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

impl State {
    /// A peer round by its book-wide id.
    pub fn peer_round(&self, id: u64) -> DomainResult<&Round> {
        id.checked_sub(1)
            .and_then(|i| self.peer.rounds.get(i as usize))
            .ok_or_else(|| DomainError::not_found(format!("unknown round {id}")))
    }

    /// A project's rounds, oldest first.
    pub fn peer_rounds<'a>(&'a self, project: &'a str) -> impl Iterator<Item = &'a Round> + 'a {
        self.peer
            .rounds
            .iter()
            .filter(move |r| r.project == project)
    }

    /// A project's peer records (steward awards, blends, bounties, pools, leavers, snapshots).
    pub fn peer_project(&self, project: &str) -> Option<&PeerProject> {
        self.peer.projects.get(project)
    }

    /// The latest closed round of a project, whose shares feed the blend.
    pub fn latest_closed_round(&self, project: &str) -> Option<&Round> {
        self.peer
            .rounds
            .iter()
            .filter(|r| r.project == project)
            .filter_map(|r| r.closed.as_ref().map(|c| (c.seq, r)))
            .max_by_key(|(seq, _)| *seq)
            .map(|(_, r)| r)
    }

    /// Whether `agent` has left `project`.
    pub fn has_left(&self, project: &str, agent: &str) -> bool {
        self.peer_project(project)
            .is_some_and(|p| p.leavers.contains_key(agent))
    }

    /// Refuses contributions from an agent who left the project (engine hook for `Log`).
    pub(crate) fn check_not_left(&self, project: &str, agent: &str) -> DomainResult<()> {
        if self.has_left(project, agent) {
            return Err(DomainError::conflict(format!(
                "{agent} has left project {project}: no new contributions are counted for them"
            )));
        }
        Ok(())
    }

    /// Whether a contribution's value was fixed by a bad leave, so that `Revalue` leaves it
    /// alone (engine hook).
    pub(crate) fn value_fixed_by_leave(&self, contribution: &Contribution) -> bool {
        self.peer_project(&contribution.project)
            .is_some_and(|p| p.is_bad_leaver(&contribution.agent))
    }

    fn parts(&self, project: &Project, as_of: Date) -> DomainResult<Parts> {
        let mut parts = Parts::default();
        let peer = self.peer_project(&project.slug);
        let bad = |agent: &str| peer.is_some_and(|p| p.is_bad_leaver(agent));
        for (agent, value) in self.values_by_agent(project, &formula_filter(), as_of)? {
            parts.value_total = parts
                .value_total
                .checked_add(value.0)
                .ok_or_else(|| DomainError::invalid("total value too large"))?;
            parts.rows.entry(agent.to_string()).or_default().0 = value;
        }
        if let Some(round) = self.latest_closed_round(&project.slug) {
            parts.round = Some(round.id);
            let closed = round.closed.as_ref().expect("closed");
            for share in closed.shares.iter().filter(|s| s.received > 0) {
                if bad(&share.agent) {
                    continue;
                }
                parts.received_total += share.received;
                parts.rows.entry(share.agent.clone()).or_default().1 += share.received;
            }
        }
        if let Some(peer) = peer {
            for award in peer.steward.iter().filter(|a| !bad(&a.agent)) {
                parts.steward_total += award.points;
                parts.rows.entry(award.agent.clone()).or_default().2 += award.points;
            }
        }
        Ok(parts)
    }

    /// Formula, peer, steward and blended shares of every agent with any of them, in byte
    /// order of handle. With a blend set, a weight on a part without points is refused.
    pub fn blended_shares(&self, project: &str, as_of: Date) -> DomainResult<BlendReport> {
        let project = self.project(project)?;
        self.blend_report(project, as_of)
    }

    fn blend_report(&self, project: &Project, as_of: Date) -> DomainResult<BlendReport> {
        let parts = self.parts(project, as_of)?;
        let blend = self.peer_project(&project.slug).and_then(|p| p.blend());
        let (formula, peer, steward) = match blend {
            Some(b) => (b.formula, b.peer, b.steward),
            None => (Decimal::ONE, Decimal::ZERO, Decimal::ZERO),
        };
        // Before the project existed, nobody holds anything in it.
        let existed = as_of >= project.created;
        if blend.is_some() && !parts.rows.is_empty() && existed {
            check_parts(&project.slug, formula, peer, steward, &parts)?;
        }
        let (wf, wp, ws) = (
            decimal_ratio(formula),
            decimal_ratio(peer),
            decimal_ratio(steward),
        );
        let rows = parts
            .rows
            .iter()
            .filter(|_| existed)
            .map(|(agent, (value, received, points))| {
                let f = Share::ratio(value.0, parts.value_total);
                let p = Share::ratio(*received, parts.received_total);
                let s = Share::ratio(*points, parts.steward_total);
                let blended = blend_of([(&wf, &f), (&wp, &p), (&ws, &s)]);
                BlendRow {
                    agent: agent.clone(),
                    value: *value,
                    received: *received,
                    steward_points: *points,
                    formula: f,
                    peer: p,
                    steward: s,
                    blended,
                }
            })
            .collect();
        Ok(BlendReport {
            formula,
            peer,
            steward,
            blend_set: blend.is_some(),
            round: parts.round,
            rows,
        })
    }

    /// The cap table of a project on `as_of`: formula value, allocation share, units held from
    /// pool allocations made up to that day, and their share of all units allocated.
    pub fn cap_table(&self, project: &str, as_of: Date) -> DomainResult<Vec<CapRow>> {
        let report = self.blend_report(self.project(project)?, as_of)?;
        self.cap_table_of_blend(project, as_of, report)
    }

    /// The cap table of a project on `as_of` from its blend on that day, `report`
    /// ([`State::blended_shares`]): a page that shows both computes the blend once.
    pub fn cap_table_of_blend(
        &self,
        project: &str,
        as_of: Date,
        report: BlendReport,
    ) -> DomainResult<Vec<CapRow>> {
        let project = self.project(project)?;
        let mut rows: BTreeMap<String, (Value, Share, i128)> = BTreeMap::new();
        for row in report.rows {
            if row.value > Value::ZERO || !row.blended.is_zero() {
                rows.insert(row.agent, (row.value, row.blended, 0));
            }
        }
        let mut units_total: i128 = 0;
        if let Some(peer) = self.peer_project(&project.slug) {
            for pool in peer.pools.iter().filter(|p| p.date <= as_of) {
                for line in &pool.lines {
                    units_total += line.units;
                    rows.entry(line.agent.clone())
                        .or_insert_with(|| (Value::ZERO, Share::zero(), 0))
                        .2 += line.units;
                }
            }
        }
        Ok(rows
            .into_iter()
            .map(|(agent, (value, share, units))| CapRow {
                agent,
                value,
                share,
                units,
                units_share: Share::ratio(units, units_total),
            })
            .collect())
    }
}

/// Exact shares over a common denominator, as integer weights.
fn share_weights<'a>(shares: impl Iterator<Item = &'a Share> + Clone) -> Vec<BigUint> {
    let denominator = shares
        .clone()
        .fold(BigInt::one(), |l, s| l.lcm(s.0.denom()));
    shares
        .map(|s| {
            (s.0.numer() * (&denominator / s.0.denom()))
                .to_biguint()
                .expect("shares are not negative")
        })
        .collect()
}

impl State {
    /// The agents with a blended share of `project` on `as_of`, in byte order of handle, and
    /// their shares as integer weights (what a `blended` plan bucket splits by).
    pub(crate) fn blended_weights(
        &self,
        project: &Project,
        as_of: Date,
    ) -> DomainResult<(Vec<String>, Vec<BigUint>)> {
        let report = self.blend_report(project, as_of)?;
        let rows: Vec<&BlendRow> = report
            .rows
            .iter()
            .filter(|r| !r.blended.is_zero())
            .collect();
        let weights = share_weights(rows.iter().map(|r| &r.blended));
        Ok((rows.into_iter().map(|r| r.agent.clone()).collect(), weights))
    }

    /// The pool units each agent holds in the points project `project` from allocations made
    /// up to `as_of`, in byte order of handle (what a `units` plan bucket splits by). A bad
    /// leaver's units are forfeited: they are left out.
    pub(crate) fn pool_units(
        &self,
        project: &str,
        as_of: Date,
    ) -> DomainResult<Vec<(String, i128)>> {
        self.project(project)?;
        let mut units: BTreeMap<&str, i128> = BTreeMap::new();
        if let Some(peer) = self.peer_project(project) {
            for pool in peer.pools.iter().filter(|p| p.date <= as_of) {
                for line in pool.lines.iter().filter(|l| !peer.is_bad_leaver(&l.agent)) {
                    *units.entry(&line.agent).or_default() += line.units;
                }
            }
        }
        Ok(units
            .into_iter()
            .filter(|(_, u)| *u > 0)
            .map(|(agent, u)| (agent.to_string(), u))
            .collect())
    }
}

fn check_parts(
    slug: &str,
    formula: Decimal,
    peer: Decimal,
    steward: Decimal,
    parts: &Parts,
) -> DomainResult<()> {
    match parts_refusal(slug, formula, peer, steward, parts) {
        Some((_, error)) => Err(error),
        None => Ok(()),
    }
}

/// The first weight given to a part that has no points: its index in [`WEIGHTS`] and the
/// refusal.
fn parts_refusal(
    slug: &str,
    formula: Decimal,
    peer: Decimal,
    steward: Decimal,
    parts: &Parts,
) -> Option<(usize, DomainError)> {
    if formula > Decimal::ZERO && parts.value_total == 0 {
        return Some((
            0,
            DomainError::invalid(format!(
                "the blend gives weight {formula} to the formula share, but project {slug} has no counted contribution value (other than bounty awards) to share: log contributions first, or give the formula weight 0"
            )),
        ));
    }
    if peer > Decimal::ZERO && parts.received_total == 0 {
        return Some((
            1,
            DomainError::invalid(format!(
                "the blend gives weight {peer} to peer shares, but no peer round of project {slug} has closed with any points given: run a round first, or give peers weight 0"
            )),
        ));
    }
    if steward > Decimal::ZERO && parts.steward_total == 0 {
        return Some((
            2,
            DomainError::invalid(format!(
                "the blend gives weight {steward} to steward shares, but no steward points have been given in project {slug}: give some first, or give the steward weight 0"
            )),
        ));
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Commands: the dispatchers, then one decide_x and one apply_x per command
// ---------------------------------------------------------------------------------------------

/// A gift of points in a round, as a `Give` command asks it.
struct Gift<'a> {
    round: u64,
    from: &'a str,
    to: &'a str,
    points: u64,
}

/// What a `Leave` outcome records.
struct Departure<'a> {
    agent: &'a str,
    good: bool,
    forfeited: Value,
    changes: &'a [ValueChange],
    forfeited_bounties: &'a [String],
}

impl State {
    /// Decides a peer-valuation command (the engine delegates here). Never changes the state.
    /// Observers write nothing here; the rest only destructures and calls: rounds, steward
    /// points and blends here, the rest in [`State::decide_allocation`].
    pub(crate) fn decide_peer(
        &self,
        ctx: &Ctx,
        role: Role,
        command: &Command,
    ) -> DomainResult<Outcome> {
        observers_only_read(role, &ctx.actor, format_args!("write ({})", command.op()))?;
        match command {
            Command::OpenRound {
                project,
                budget,
                eligible,
            } => self.decide_open_round(role, project, *budget, eligible.as_deref()),
            Command::Give {
                round,
                from,
                to,
                points,
            } => {
                let gift = Gift {
                    round: *round,
                    from,
                    to,
                    points: *points,
                };
                self.decide_give(ctx, role, &gift)
            }
            Command::OptOut { round, agent } => self.decide_opt_out(ctx, role, *round, agent),
            Command::CloseRound { round } => self.decide_close_round(role, *round),
            Command::StewardGive {
                project,
                agent,
                points,
                reason,
            } => self.decide_steward_give(ctx, role, project, agent, *points, reason),
            Command::SetBlend {
                project,
                formula,
                peer,
                steward,
            } => self.decide_set_blend(ctx, role, project, formula, peer, steward),
            _ => self.decide_allocation(ctx, role, command),
        }
    }

    /// Decides the commands of what shares allocate: bounties, pool allocations, leavers and
    /// cap tables. Only destructures and calls.
    fn decide_allocation(&self, ctx: &Ctx, role: Role, command: &Command) -> DomainResult<Outcome> {
        match command {
            Command::AddBounty {
                project,
                task,
                reward,
                description,
            } => self.decide_add_bounty(role, project, task, reward, description.as_deref()),
            Command::CompleteBounty {
                project,
                task,
                agent,
            } => self.decide_complete_bounty(ctx, role, project, task, agent),
            Command::AllocatePool { project, pool } => {
                self.decide_allocate_pool(ctx, role, project, pool)
            }
            Command::SetLeaverPolicy { project, .. } => {
                self.decide_set_leaver_policy(role, project)
            }
            Command::Leave {
                project,
                agent,
                good,
            } => self.decide_leave(role, project, agent, *good),
            Command::Captable { project } => self.decide_captable(ctx, role, project),
            _ => Err(DomainError::corrupt(format!(
                "{} is not a peer-valuation command",
                command.op()
            ))),
        }
    }

    /// Records a decided peer-valuation outcome (the engine delegates here). Each `apply_x`
    /// checks that the outcome fits before changing anything; one that does not is `Corrupt`.
    /// Rounds, steward points and blends here, the rest in [`State::apply_allocation`].
    pub(crate) fn apply_peer(
        &mut self,
        ctx: &Ctx,
        command: &Command,
        outcome: &Outcome,
    ) -> DomainResult<()> {
        match (command, outcome) {
            (
                Command::OpenRound {
                    project, budget, ..
                },
                Outcome::RoundOpened {
                    round,
                    budget: given,
                    eligible,
                },
            ) => self.apply_open_round(ctx, project, *budget, *round, *given, eligible),
            (
                Command::Give {
                    round,
                    from,
                    to,
                    points,
                },
                Outcome::Given {
                    round: id, spent, ..
                },
            ) => {
                let gift = Gift {
                    round: *round,
                    from,
                    to,
                    points: *points,
                };
                self.apply_give(ctx, &gift, *id, *spent)
            }
            (Command::OptOut { round, agent }, Outcome::Done) => {
                self.apply_opt_out(ctx, *round, agent)
            }
            (
                Command::CloseRound { round },
                Outcome::RoundClosed {
                    round: id,
                    total,
                    shares,
                },
            ) => self.apply_close_round(ctx, *round, *id, *total, shares),
            (
                Command::StewardGive {
                    project,
                    agent,
                    points,
                    reason,
                },
                Outcome::Done,
            ) => self.apply_steward_give(ctx, project, agent, *points, reason),
            (
                Command::SetBlend {
                    project,
                    formula,
                    peer,
                    steward,
                },
                Outcome::Done,
            ) => self.apply_set_blend(ctx, project, formula, peer, steward),
            _ => self.apply_allocation(ctx, command, outcome),
        }
    }

    /// Applies the outcome of a bounty, pool, leaver or cap-table command. Only destructures
    /// and calls.
    fn apply_allocation(
        &mut self,
        ctx: &Ctx,
        command: &Command,
        outcome: &Outcome,
    ) -> DomainResult<()> {
        match (command, outcome) {
            (
                Command::AddBounty {
                    project,
                    task,
                    reward,
                    description,
                },
                Outcome::Done,
            ) => self.apply_add_bounty(ctx, project, task, reward, description.as_deref()),
            (
                Command::CompleteBounty {
                    project,
                    task,
                    agent,
                },
                Outcome::BountyAwarded {
                    contribution,
                    value,
                },
            ) => self.apply_complete_bounty(ctx, project, task, agent, *contribution, *value),
            (
                Command::AllocatePool { project, .. },
                Outcome::PoolAllocated {
                    id,
                    pool,
                    bounties,
                    lines,
                },
            ) => self.apply_allocate_pool(ctx, project, *id, *pool, bounties, lines),
            (Command::SetLeaverPolicy { project, enabled }, Outcome::Done) => {
                self.apply_set_leaver_policy(project, *enabled)
            }
            (
                Command::Leave {
                    project,
                    agent,
                    good,
                },
                Outcome::Left {
                    agent: left,
                    good: left_good,
                    forfeited,
                    changes,
                    forfeited_bounties,
                },
            ) => {
                let departure = Departure {
                    agent: left,
                    good: *left_good,
                    forfeited: *forfeited,
                    changes,
                    forfeited_bounties,
                };
                self.apply_leave(ctx, project, agent, *good, &departure)
            }
            (Command::Captable { project }, Outcome::CapTable { rows }) => {
                self.apply_captable(ctx, project, rows)
            }
            _ => Err(unfit(ctx, command.op())),
        }
    }

    // --- OpenRound ---

    fn decide_open_round(
        &self,
        role: Role,
        project: &str,
        budget: Option<u64>,
        eligible: Option<&[String]>,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "open peer rounds")?;
        let project = self.project(project).about_value("project", project)?;
        if let Some(open) = self.peer_rounds(&project.slug).find(|r| r.is_open()) {
            return Err(DomainError::conflict(format!(
                "round {} of project {} is still open: close it before opening another",
                open.id, project.slug
            )));
        }
        let budget = budget.unwrap_or(BUDGET_DEFAULT);
        if budget == 0 || budget > POINTS_MAX {
            return Err(points_refusal(
                format!("a round's budget must be 1 to {POINTS_MAX} points, got {budget}"),
                "budget",
                budget,
            ));
        }
        let eligible = match eligible {
            Some(list) => self.check_eligible(project, list)?,
            None => self.default_eligible(project),
        };
        if eligible.len() < 2 {
            return Err(DomainError::invalid(format!(
                "a peer round needs at least two eligible members; project {} has {}: members take part once they have a counted contribution, or name them as eligible",
                project.slug,
                eligible.len()
            ))
            .field("eligible"));
        }
        Ok(Outcome::RoundOpened {
            round: self.peer.rounds.len() as u64 + 1,
            budget,
            eligible,
        })
    }

    fn apply_open_round(
        &mut self,
        ctx: &Ctx,
        project: &str,
        asked: Option<u64>,
        round: u64,
        budget: u64,
        eligible: &[String],
    ) -> DomainResult<()> {
        self.project(project)?;
        if round != self.peer.rounds.len() as u64 + 1
            || budget != asked.unwrap_or(BUDGET_DEFAULT)
            || !eligible.is_sorted()
        {
            return Err(unfit(ctx, "open_round"));
        }
        self.peer.rounds.push(Round {
            id: round,
            project: project.to_string(),
            budget,
            eligible: eligible.to_vec(),
            opted_out: BTreeSet::new(),
            gifts: BTreeMap::new(),
            opened_seq: ctx.seq,
            opened_on: ctx.date,
            closed: None,
        });
        Ok(())
    }

    // --- Give ---

    fn decide_give(&self, ctx: &Ctx, role: Role, gift: &Gift) -> DomainResult<Outcome> {
        let Gift {
            from, to, points, ..
        } = *gift;
        let round = self
            .open_round(gift.round)
            .about_value("round", gift.round)?;
        custodian_or_self(
            role,
            &ctx.actor,
            from,
            format_args!("give points only as themself, not as {from}"),
        )?;
        if from == to {
            return Err(DomainError::invalid(format!(
                "{from} cannot give points to themself: a round values the others"
            ))
            .field("to")
            .value(to));
        }
        for (agent, what, field) in [(from, "give", "from"), (to, "receive", "to")] {
            self.check_in_round(round, agent, what)
                .about_value(field, agent)?;
        }
        if round.opted_out.contains(to) {
            return Err(DomainError::invalid(format!(
                "{to} opted out of receiving points in round {}",
                round.id
            ))
            .field("to")
            .value(to));
        }
        let others = round.spent(from) - round.given(from, to);
        let spent = others.saturating_add(points);
        if spent > round.budget {
            return Err(DomainError::invalid(format!(
                "{from} would give {spent} points in round {}, over the budget of {} ({others} already given to others, {} left)",
                round.id,
                round.budget,
                round.budget - others
            ))
            .field("points")
            .value(points.to_string())
            .limit(format!("{} points", round.budget - others)));
        }
        Ok(Outcome::Given {
            round: round.id,
            spent,
            left: round.budget - spent,
        })
    }

    /// An agent who gives or receives in a round: known, eligible, and still in the project.
    fn check_in_round(&self, round: &Round, agent: &str, what: &str) -> DomainResult<()> {
        self.agent(agent)?;
        if !round.is_eligible(agent) {
            return Err(DomainError::invalid(format!(
                "{agent} is not eligible in round {} and cannot {what} points",
                round.id
            )));
        }
        if self.has_left(&round.project, agent) {
            return Err(DomainError::conflict(format!(
                "{agent} has left project {} and cannot {what} points",
                round.project
            )));
        }
        Ok(())
    }

    fn apply_give(&mut self, ctx: &Ctx, gift: &Gift, id: u64, spent: u64) -> DomainResult<()> {
        let Gift {
            round,
            from,
            to,
            points,
        } = *gift;
        let entry = self.round_mut(round).filter(|r| r.is_open());
        let entry = entry.ok_or_else(|| unfit(ctx, "give"))?;
        if round != id
            || (entry.spent(from) - entry.given(from, to)).checked_add(points) != Some(spent)
            || spent > entry.budget
        {
            return Err(unfit(ctx, "give"));
        }
        let gifts = entry.gifts.entry(from.to_string()).or_default();
        if points == 0 {
            gifts.remove(to);
        } else {
            gifts.insert(to.to_string(), points);
        }
        if gifts.is_empty() {
            entry.gifts.remove(from);
        }
        debug_assert!(entry.spent(from) <= entry.budget);
        Ok(())
    }

    // --- OptOut ---

    fn decide_opt_out(
        &self,
        ctx: &Ctx,
        role: Role,
        round: u64,
        agent: &str,
    ) -> DomainResult<Outcome> {
        let round = self.open_round(round).about_value("round", round)?;
        custodian_or_self(
            role,
            &ctx.actor,
            agent,
            format_args!("opt out only themself, not {agent}"),
        )?;
        self.agent(agent).about_value("agent", agent)?;
        if !round.is_eligible(agent) {
            return Err(DomainError::invalid(format!(
                "{agent} is not eligible in round {}",
                round.id
            ))
            .field("agent")
            .value(agent));
        }
        if round.opted_out.contains(agent) {
            return Err(DomainError::conflict(format!(
                "{agent} has already opted out of round {}",
                round.id
            ))
            .field("agent")
            .value(agent));
        }
        if round.gifts.values().any(|g| g.contains_key(agent)) {
            return Err(DomainError::conflict(format!(
                "{agent} has already received points in round {}: opt out before anyone gives, or ask the givers to set their points to 0 first",
                round.id
            ))
            .field("agent")
            .value(agent));
        }
        Ok(Outcome::Done)
    }

    fn apply_opt_out(&mut self, ctx: &Ctx, round: u64, agent: &str) -> DomainResult<()> {
        let entry = self.round_mut(round).filter(|r| r.is_open());
        entry
            .ok_or_else(|| unfit(ctx, "opt_out"))?
            .opted_out
            .insert(agent.to_string());
        Ok(())
    }

    // --- CloseRound ---

    fn decide_close_round(&self, role: Role, round: u64) -> DomainResult<Outcome> {
        require_custodian(role, "close peer rounds")?;
        let round = self.open_round(round).about_value("round", round)?;
        let (total, shares) = round.provisional_shares();
        Ok(Outcome::RoundClosed {
            round: round.id,
            total,
            shares,
        })
    }

    fn apply_close_round(
        &mut self,
        ctx: &Ctx,
        round: u64,
        id: u64,
        total: u64,
        shares: &[PeerShare],
    ) -> DomainResult<()> {
        let entry = self.round_mut(round).filter(|r| r.is_open());
        let entry = entry.ok_or_else(|| unfit(ctx, "close_round"))?;
        if round != id {
            return Err(unfit(ctx, "close_round"));
        }
        entry.closed = Some(ClosedRound {
            seq: ctx.seq,
            date: ctx.date,
            total,
            shares: shares.to_vec(),
        });
        Ok(())
    }

    // --- StewardGive ---

    fn decide_steward_give(
        &self,
        ctx: &Ctx,
        role: Role,
        project: &str,
        agent: &str,
        points: u64,
        reason: &str,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "give steward points")?;
        if ctx.hardened() && agent == ctx.actor {
            return Err(DomainError::forbidden(format!(
                "{agent} may not give steward points to themself: stewardship is recognised by others"
            ))
            .field("agent")
            .value(agent));
        }
        let project = self.project(project).about_value("project", project)?;
        self.check_shareholder(agent).about_value("agent", agent)?;
        if self.has_left(&project.slug, agent) {
            return Err(DomainError::conflict(format!(
                "{agent} has left project {}",
                project.slug
            ))
            .field("agent")
            .value(agent));
        }
        if points == 0 || points > POINTS_MAX {
            return Err(points_refusal(
                format!("steward points must be 1 to {POINTS_MAX}, got {points}"),
                "points",
                points,
            ));
        }
        if reason.trim().is_empty() {
            return Err(DomainError::invalid("steward points need a public reason").field("reason"));
        }
        check_text(Field::named("reason"), reason)?;
        Ok(Outcome::Done)
    }

    fn apply_steward_give(
        &mut self,
        ctx: &Ctx,
        project: &str,
        agent: &str,
        points: u64,
        reason: &str,
    ) -> DomainResult<()> {
        self.project(project)?;
        self.peer_project_mut(project).steward.push(StewardAward {
            seq: ctx.seq,
            date: ctx.date,
            by: ctx.actor.clone(),
            agent: agent.to_string(),
            points,
            reason: reason.to_string(),
        });
        Ok(())
    }

    // --- SetBlend ---

    fn decide_set_blend(
        &self,
        ctx: &Ctx,
        role: Role,
        project: &str,
        formula: &str,
        peer: &str,
        steward: &str,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "set blends")?;
        let project = self.project(project).about_value("project", project)?;
        let (f, p, s) = (
            parse_weight(WEIGHTS[0], formula)?,
            parse_weight(WEIGHTS[1], peer)?,
            parse_weight(WEIGHTS[2], steward)?,
        );
        let sum = f + p + s;
        if sum != Decimal::ONE {
            return Err(DomainError::invalid(format!(
                "blend weights {formula} + {peer} + {steward} add up to {sum}, not exactly 1"
            )));
        }
        let parts = self.parts(project, ctx.date)?;
        if let Some((index, error)) = parts_refusal(&project.slug, f, p, s, &parts) {
            let text = [formula, peer, steward][index];
            return Err(error.field(WEIGHTS[index].name).value(text));
        }
        Ok(Outcome::Done)
    }

    fn apply_set_blend(
        &mut self,
        ctx: &Ctx,
        project: &str,
        formula: &str,
        peer: &str,
        steward: &str,
    ) -> DomainResult<()> {
        self.project(project)?;
        let blend = Blend {
            seq: ctx.seq,
            formula: parse_weight(WEIGHTS[0], formula)?,
            peer: parse_weight(WEIGHTS[1], peer)?,
            steward: parse_weight(WEIGHTS[2], steward)?,
        };
        self.peer_project_mut(project).blends.push(blend);
        Ok(())
    }

    // --- AddBounty ---

    fn decide_add_bounty(
        &self,
        role: Role,
        project: &str,
        task: &str,
        reward: &str,
        description: Option<&str>,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "add bounties")?;
        let project = self.project(project).about_value("project", project)?;
        check_name(Field::named("task"), task)?;
        if self
            .peer_project(&project.slug)
            .is_some_and(|p| p.bounties.contains_key(task))
        {
            return Err(DomainError::conflict(format!(
                "project {} already has a bounty for task {task:?}",
                project.slug
            ))
            .field("task")
            .value(task));
        }
        positive_amount("reward", reward, project.exponent)?;
        check_optional_text(Field::named("description"), description)?;
        Ok(Outcome::Done)
    }

    fn apply_add_bounty(
        &mut self,
        ctx: &Ctx,
        project: &str,
        task: &str,
        reward: &str,
        description: Option<&str>,
    ) -> DomainResult<()> {
        let reward = parse_positive_amount(reward, self.project(project)?.exponent)?;
        self.peer_project_mut(project).bounties.insert(
            task.to_string(),
            Bounty {
                task: task.to_string(),
                reward,
                description: description.map(str::to_string),
                added_seq: ctx.seq,
                award: None,
            },
        );
        Ok(())
    }

    // --- CompleteBounty ---

    fn decide_complete_bounty(
        &self,
        ctx: &Ctx,
        role: Role,
        project: &str,
        task: &str,
        agent: &str,
    ) -> DomainResult<Outcome> {
        if role != Role::Custodian {
            return Err(DomainError::forbidden(format!(
                "{} is not a custodian: a custodian approves bounty awards",
                ctx.actor
            )));
        }
        let project = self.project(project).about_value("project", project)?;
        let bounty = self.bounty(&project.slug, task).about_value("task", task)?;
        if let Some(award) = &bounty.award {
            return Err(DomainError::conflict(format!(
                "bounty {task:?} of project {} was already completed by {} (contribution {})",
                project.slug, award.agent, award.contribution
            ))
            .field("task")
            .value(task));
        }
        self.check_shareholder(agent).about_value("agent", agent)?;
        if *agent == ctx.actor {
            return Err(DomainError::forbidden(format!(
                "{agent} may not approve their own bounty award: nobody reviews their own work"
            )));
        }
        self.check_not_left(&project.slug, agent)
            .about_value("agent", agent)?;
        let contribution = self.bounty_contribution(ctx, project, bounty, agent, Value::ZERO)?;
        let value = self.valuate(project, &contribution)?;
        crate::limits::check_contribution(ctx, &contribution, value)
            .map_err(|e| e.or_field("task", Some(task.to_string())))?;
        self.check_counts(ctx, project, value.0, "task")?;
        Ok(Outcome::BountyAwarded {
            contribution: contribution.id,
            value,
        })
    }

    fn apply_complete_bounty(
        &mut self,
        ctx: &Ctx,
        project: &str,
        task: &str,
        agent: &str,
        id: u64,
        value: Value,
    ) -> DomainResult<()> {
        let bounty = self.bounty(project, task)?;
        if bounty.award.is_some() || id != self.contributions.len() as u64 + 1 {
            return Err(unfit(ctx, "complete_bounty"));
        }
        let contribution =
            self.bounty_contribution(ctx, self.project(project)?, bounty, agent, value)?;
        self.count(&contribution)?;
        self.project_mut(project)?.contributions += 1;
        self.contributions.push_packing(contribution);
        let award = Award {
            agent: agent.to_string(),
            approved_by: ctx.actor.clone(),
            contribution: id,
            seq: ctx.seq,
            date: ctx.date,
            allocated_in: None,
            forfeited: false,
        };
        self.peer_project_mut(project)
            .bounties
            .get_mut(task)
            .ok_or_else(|| unfit(ctx, "complete_bounty"))?
            .award = Some(award);
        Ok(())
    }

    // --- AllocatePool ---

    fn decide_allocate_pool(
        &self,
        ctx: &Ctx,
        role: Role,
        project: &str,
        pool: &str,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "allocate pools")?;
        // An allocation happens once per crystallisation event: the key makes a retry safe.
        if ctx.key.is_none() {
            return Err(DomainError::invalid(
                "a pool allocation needs an idempotency key: it is made once per key",
            )
            .field("key"));
        }
        let project = self.project(project).about_value("project", project)?;
        let size = positive_amount("pool", pool, project.exponent)?;
        self.decide_pool(ctx, project, size)
    }

    fn decide_pool(&self, ctx: &Ctx, project: &Project, size: i128) -> DomainResult<Outcome> {
        let peer = self.peer_project(&project.slug);
        // Awarded bounties not yet paid by a pool come first, in task order.
        let (bounty_units, tasks) = waiting_bounties(peer);
        let bounties_total: i128 = bounty_units.values().sum();
        if bounties_total > size {
            return Err(DomainError::invalid(format!(
                "a pool of {size} units cannot pay the {bounties_total} units of awarded bounties that come first"
            ))
            .field("pool")
            .value(size.to_string()));
        }
        let rest = size - bounties_total;
        let report = self.blend_report(project, ctx.date)?;
        let mut lines = pool_lines_by_share(&project.slug, &report, rest)?;
        for (agent, units) in bounty_units {
            let line = lines.entry(agent.clone()).or_insert_with(|| PoolLine {
                agent,
                share: Share::zero(),
                bounty: 0,
                by_share: 0,
                units: 0,
            });
            line.bounty += units;
            line.units += units;
        }
        // Agents whose share rounds down to nothing get no line.
        let lines: Vec<PoolLine> = lines.into_values().filter(|l| l.units > 0).collect();
        debug_assert_eq!(lines.iter().map(|l| l.units).sum::<i128>(), size);
        debug_assert!(
            lines
                .iter()
                .all(|l| l.bounty >= 0 && l.by_share >= 0 && l.units == l.bounty + l.by_share)
        );
        Ok(Outcome::PoolAllocated {
            id: peer.map_or(0, |p| p.pools.len() as u64) + 1,
            pool: size,
            bounties: tasks,
            lines,
        })
    }

    fn apply_allocate_pool(
        &mut self,
        ctx: &Ctx,
        project: &str,
        id: u64,
        pool: i128,
        bounties: &[String],
        lines: &[PoolLine],
    ) -> DomainResult<()> {
        let asset = self.project(project)?.currency.clone();
        let peer = self.peer_project(project);
        let expected_id = peer.map_or(0, |p| p.pools.len() as u64) + 1;
        let waiting = |task: &String| {
            peer.and_then(|p| p.bounties.get(task))
                .and_then(|b| b.award.as_ref())
                .is_some_and(Award::waiting)
        };
        if id != expected_id
            || lines.iter().map(|l| l.units).sum::<i128>() != pool
            || lines
                .iter()
                .any(|l| l.units < 0 || l.units != l.bounty + l.by_share)
            || !bounties.iter().all(waiting)
        {
            return Err(unfit(ctx, "allocate_pool"));
        }
        let mut postings = vec![Posting {
            account: (OUTSIDE.to_string()).into(),
            asset: (asset.clone()).into(),
            amount: -pool,
        }];
        postings.extend(lines.iter().filter(|l| l.units > 0).map(|l| Posting {
            account: (l.agent.clone()).into(),
            asset: (asset.clone()).into(),
            amount: l.units,
        }));
        let memo = format!("pool {project} allocation {id}");
        let transaction = self.ledger.post(ctx.seq, memo, postings)?;
        let peer = self.peer_project_mut(project);
        for task in bounties {
            if let Some(award) = peer.bounties.get_mut(task).and_then(|b| b.award.as_mut()) {
                award.allocated_in = Some(id);
            }
        }
        peer.pools.push(PoolAllocation {
            id,
            seq: ctx.seq,
            date: ctx.date,
            key: ctx.key.clone(),
            size: pool,
            asset,
            bounties: bounties.to_vec(),
            lines: lines.to_vec(),
            transaction,
        });
        Ok(())
    }

    // --- SetLeaverPolicy ---

    fn decide_set_leaver_policy(&self, role: Role, project: &str) -> DomainResult<Outcome> {
        require_custodian(role, "set the leaver policy")?;
        self.project(project).about_value("project", project)?;
        Ok(Outcome::Done)
    }

    fn apply_set_leaver_policy(&mut self, project: &str, enabled: bool) -> DomainResult<()> {
        self.project(project)?;
        self.peer_project_mut(project).leaver_policy = enabled;
        Ok(())
    }

    // --- Leave ---

    fn decide_leave(
        &self,
        role: Role,
        project: &str,
        agent: &str,
        good: bool,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "record leavers")?;
        let project = self.project(project).about_value("project", project)?;
        self.agent(agent).about_value("agent", agent)?;
        let peer = self.peer_project(&project.slug);
        if !peer.is_some_and(|p| p.leaver_policy) {
            return Err(DomainError::invalid(format!(
                "project {} does not enable leavers: a custodian enables it with the leaver policy first",
                project.slug
            )));
        }
        if self.has_left(&project.slug, agent) {
            return Err(DomainError::conflict(format!(
                "{agent} has already left project {}",
                project.slug
            ))
            .field("agent")
            .value(agent));
        }
        // The project's open items, not its whole table: a good leave reads no history.
        let mut pending = (project.pending.iter()).filter_map(|&id| self.contribution(id).ok());
        if let Some(pending) = pending.find(|c| *c.agent == *agent) {
            return Err(DomainError::conflict(format!(
                "{agent} has pending contribution {} in project {}: approve or reject it before recording the leave",
                pending.id, project.slug
            ))
            .field("agent")
            .value(agent));
        }
        let (forfeited, changes, forfeited_bounties) = if good {
            (Value::ZERO, Vec::new(), Vec::new())
        } else {
            let (forfeited, changes) = self.bad_leave_changes(project, agent)?;
            (forfeited, changes, forfeited_bounties(peer, agent))
        };
        Ok(Outcome::Left {
            agent: agent.to_string(),
            good,
            forfeited,
            changes,
            forfeited_bounties,
        })
    }

    /// A bad leaver's counted contributions re-valued: cash at 1x (never above what it counted
    /// before), anything else to nothing; and the value forfeited.
    fn bad_leave_changes(
        &self,
        project: &Project,
        agent: &str,
    ) -> DomainResult<(Value, Vec<ValueChange>)> {
        let mut changes = Vec::new();
        let mut forfeited = Value::ZERO;
        let mine = self
            .project_contributions(project)
            .filter(|c| *c.agent == *agent && c.counts());
        for contribution in mine {
            let after = match contribution.kind {
                // Cash counts at 1x from now on (never above what it counted before).
                Kind::Cash => Value::from_minor(
                    contribution.amount_minor.unwrap_or_default(),
                    project.exponent,
                )?
                .min(contribution.value),
                _ => Value::ZERO,
            };
            if after != contribution.value {
                forfeited = forfeited.checked_add(Value(contribution.value.0 - after.0))?;
                changes.push(ValueChange {
                    contribution: contribution.id,
                    before: contribution.value,
                    after,
                });
            }
        }
        Ok((forfeited, changes))
    }

    fn apply_leave(
        &mut self,
        ctx: &Ctx,
        project: &str,
        agent: &str,
        good: bool,
        departure: &Departure,
    ) -> DomainResult<()> {
        if agent != departure.agent || good != departure.good {
            return Err(unfit(ctx, "leave"));
        }
        self.check_leave_changes(ctx, project, agent, departure.changes)?;
        for change in departure.changes {
            let index = change.contribution as usize - 1;
            let old = self.contributions[index].clone();
            self.uncount_value(&old)?;
            self.contributions[index].value = change.after;
            let updated = self.contributions[index].clone();
            self.add_value(&updated)?;
        }
        let peer = self.peer_project_mut(project);
        for task in departure.forfeited_bounties {
            if let Some(award) = peer.bounties.get_mut(task).and_then(|b| b.award.as_mut()) {
                award.forfeited = true;
            }
        }
        peer.leavers.insert(
            agent.to_string(),
            Leaver {
                seq: ctx.seq,
                date: ctx.date,
                good,
                forfeited: departure.forfeited,
                changes: departure.changes.to_vec(),
                forfeited_bounties: departure.forfeited_bounties.to_vec(),
            },
        );
        Ok(())
    }

    /// Checks every change of a leave against the contribution it names before any is made:
    /// a counted contribution of the leaver, in the project, with the value the change starts
    /// from.
    fn check_leave_changes(
        &self,
        ctx: &Ctx,
        project: &str,
        agent: &str,
        changes: &[ValueChange],
    ) -> DomainResult<()> {
        for change in changes {
            let index = (change.contribution as usize)
                .checked_sub(1)
                .ok_or_else(|| unfit(ctx, "leave"))?;
            let c = self
                .contributions
                .get(index)
                .ok_or_else(|| unfit(ctx, "leave"))?;
            if *c.project != *project
                || *c.agent != *agent
                || !c.counts()
                || c.value != change.before
            {
                return Err(unfit(ctx, "leave"));
            }
        }
        Ok(())
    }

    // --- Captable ---

    fn decide_captable(&self, ctx: &Ctx, role: Role, project: &str) -> DomainResult<Outcome> {
        require_custodian(role, "record cap-table snapshots")?;
        let rows = self
            .cap_table(project, ctx.date)
            .about_value("project", project)?;
        Ok(Outcome::CapTable { rows })
    }

    fn apply_captable(&mut self, ctx: &Ctx, project: &str, rows: &[CapRow]) -> DomainResult<()> {
        self.project(project)?;
        self.peer_project_mut(project)
            .cap_tables
            .push(CapTableSnapshot {
                seq: ctx.seq,
                date: ctx.date,
                rows: rows.to_vec(),
            });
        Ok(())
    }

    // --- helpers ---

    fn open_round(&self, id: u64) -> DomainResult<&Round> {
        let round = self.peer_round(id)?;
        if !round.is_open() {
            return Err(DomainError::conflict(format!(
                "round {id} is closed: its shares are fixed"
            )));
        }
        Ok(round)
    }

    fn bounty(&self, project: &str, task: &str) -> DomainResult<&Bounty> {
        self.peer_project(project)
            .and_then(|p| p.bounties.get(task))
            .ok_or_else(|| {
                DomainError::not_found(format!(
                    "unknown task {task:?} in project {project}: add its bounty first"
                ))
            })
    }

    /// Every custodian and affiliate with a counted contribution in the project who has not
    /// left it, in byte order of handle.
    fn default_eligible(&self, project: &Project) -> Vec<String> {
        let members: BTreeSet<&str> = self
            .project_contributions(project)
            .filter(|c| c.counts())
            .map(|c| &*c.agent)
            .filter(|a| {
                self.agents
                    .get(*a)
                    .is_some_and(|agent| agent.role != Role::Observer)
                    && !self.has_left(&project.slug, a)
            })
            .collect();
        members.into_iter().map(str::to_string).collect()
    }

    /// The agents a round names as eligible (its `eligible` field), each once, none an
    /// observer or a leaver, in byte order of handle.
    fn check_eligible(&self, project: &Project, list: &[String]) -> DomainResult<Vec<String>> {
        if list.len() > ROUND_AGENTS_MAX {
            return Err(DomainError::invalid(format!(
                "at most {ROUND_AGENTS_MAX} agents may take part in a round"
            ))
            .field("eligible")
            .limit(format!("{ROUND_AGENTS_MAX} agents")));
        }
        let mut eligible = BTreeSet::new();
        for handle in list {
            self.check_member(project, handle)
                .about_value("eligible", handle)?;
            if !eligible.insert(handle.clone()) {
                return Err(
                    DomainError::invalid(format!("{handle} is listed twice as eligible"))
                        .field("eligible")
                        .value(handle),
                );
            }
        }
        Ok(eligible.into_iter().collect())
    }

    /// An agent who may take part in a round of the project: known, not an observer, and
    /// still in the project.
    fn check_member(&self, project: &Project, handle: &str) -> DomainResult<()> {
        if self.agent(handle)?.role == Role::Observer {
            return Err(DomainError::invalid(format!(
                "{handle} is an observer: observers do not take part in peer rounds"
            )));
        }
        if self.has_left(&project.slug, handle) {
            return Err(DomainError::conflict(format!(
                "{handle} has left project {}",
                project.slug
            )));
        }
        Ok(())
    }

    /// An agent who may hold a share: known, and not an observer.
    fn check_shareholder(&self, agent: &str) -> DomainResult<()> {
        if self.agent(agent)?.role == Role::Observer {
            return Err(DomainError::invalid(format!(
                "{agent} is an observer: observers hold no share"
            )));
        }
        Ok(())
    }

    /// The counted `bounty` contribution a completed bounty logs.
    fn bounty_contribution(
        &self,
        ctx: &Ctx,
        project: &Project,
        bounty: &Bounty,
        agent: &str,
        value: Value,
    ) -> DomainResult<Contribution> {
        Ok(Contribution {
            id: self.contributions.len() as u64 + 1,
            project: project.slug.clone(),
            agent: self.handle(agent)?,
            kind: Kind::Bounty,
            category: None,
            quantity: Decimal::try_from_i128_with_scale(bounty.reward, project.exponent)
                .map_err(|_| DomainError::invalid("bounty reward too large"))?,
            amount_minor: None,
            date: ctx.date,
            gift: false,
            reimbursable: false,
            value,
            status: Status::Approved,
            seq: ctx.seq,
            details: crate::model::Details::boxed(
                None,
                Some(format!("bounty {}", bounty.task)),
                vec![ctx.actor.clone()],
            ),
        })
    }

    fn round_mut(&mut self, id: u64) -> Option<&mut Round> {
        id.checked_sub(1)
            .and_then(|i| self.peer.rounds.get_mut(i as usize))
    }

    fn peer_project_mut(&mut self, project: &str) -> &mut PeerProject {
        self.peer.projects.entry(project.to_string()).or_default()
    }
}

/// A count of points out of range (`1 to POINTS_MAX`), refused as the request field `field`.
fn points_refusal(message: String, field: &'static str, points: u64) -> DomainError {
    let error = DomainError::invalid(message)
        .field(field)
        .value(points.to_string());
    if points > POINTS_MAX {
        error.limit(format!("{POINTS_MAX} points"))
    } else {
        error
    }
}

/// Awarded bounties not yet paid by a pool, per agent, and their tasks in task order.
fn waiting_bounties(peer: Option<&PeerProject>) -> (BTreeMap<String, i128>, Vec<String>) {
    let mut bounty_units: BTreeMap<String, i128> = BTreeMap::new();
    let mut tasks = Vec::new();
    if let Some(peer) = peer {
        for (task, bounty) in &peer.bounties {
            if let Some(award) = bounty.award.as_ref().filter(|a| a.waiting()) {
                *bounty_units.entry(award.agent.clone()).or_default() += bounty.reward;
                tasks.push(task.clone());
            }
        }
    }
    (bounty_units, tasks)
}

/// A bad leaver's awarded bounties that no pool has paid yet.
fn forfeited_bounties(peer: Option<&PeerProject>, agent: &str) -> Vec<String> {
    let mut tasks = Vec::new();
    if let Some(peer) = peer {
        for (task, bounty) in &peer.bounties {
            if bounty
                .award
                .as_ref()
                .is_some_and(|a| a.agent == agent && a.waiting())
            {
                tasks.push(task.clone());
            }
        }
    }
    tasks
}

/// `rest` units split by the blended shares (largest remainder over exact shares brought to a
/// common denominator), one line per agent with a share, in byte order of handle.
fn pool_lines_by_share(
    slug: &str,
    report: &BlendReport,
    rest: i128,
) -> DomainResult<BTreeMap<String, PoolLine>> {
    let rows: Vec<&BlendRow> = report
        .rows
        .iter()
        .filter(|r| !r.blended.is_zero())
        .collect();
    let sum: BigRational = rows.iter().map(|r| r.blended.0.clone()).sum();
    if rest > 0 && !sum.is_one() {
        // Only possible without a blend: the formula share has nothing to go by.
        check_parts(
            slug,
            report.formula,
            report.peer,
            report.steward,
            &Parts::default(),
        )?;
        return Err(DomainError::invalid(format!(
            "project {slug} has no shares to allocate {rest} units by"
        )));
    }
    let weights = share_weights(rows.iter().map(|r| &r.blended));
    let parts = split_largest_remainder_big(rest as u128, &weights);
    let mut lines: BTreeMap<String, PoolLine> = BTreeMap::new();
    for (row, part) in rows.iter().zip(parts) {
        lines.insert(
            row.agent.clone(),
            PoolLine {
                agent: row.agent.clone(),
                share: row.blended.clone(),
                bounty: 0,
                by_share: part as i128,
                units: part as i128,
            },
        );
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Leaving out the zero terms and the multiplications by one changes no blend.
        #[test]
        fn a_blend_is_its_weighted_sum(
            weights in proptest::collection::vec(0i64..=4, 3),
            parts in proptest::collection::vec((0i64..=9, 1i64..=9), 3),
        ) {
            let ratio = |n: i64, d: i64| BigRational::new(n.into(), d.into());
            let w: Vec<BigRational> = weights.iter().map(|n| ratio(*n, 4)).collect();
            let x: Vec<Share> = parts.iter().map(|(n, d)| Share::ratio(*n, *d)).collect();
            let naive = &w[0] * &x[0].0 + &w[1] * &x[1].0 + &w[2] * &x[2].0;
            let blended = blend_of([(&w[0], &x[0]), (&w[1], &x[1]), (&w[2], &x[2])]);
            proptest::prop_assert_eq!(blended, Share(naive));
        }
    }

    #[test]
    fn shares_print_exactly() {
        assert_eq!(Share::ratio(3, 8).to_string(), "0.375");
        assert_eq!(Share::ratio(29, 80).to_string(), "0.3625");
        assert_eq!(Share::ratio(1, 1).to_string(), "1");
        assert_eq!(Share::ratio(0, 5).to_string(), "0");
        assert_eq!(Share::ratio(1, 3).to_string(), "1/3");
        assert_eq!(Share::ratio(1, 40).to_string(), "0.025");
        assert_eq!(Share::ratio(-3, 2).to_string(), "-1.5");
        for text in ["0.375", "0.3625", "1", "1/3", "0.025", "-1.5", "12"] {
            assert_eq!(Share::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(Share::parse("0.30").unwrap(), Share::ratio(3, 10));
        for bad in ["", ".5", "1.", "1/0", "a", "1e3"] {
            assert!(Share::parse(bad).is_err(), "{bad:?}");
        }
    }

    use crate::OPERATOR;

    use crate::test_book::Book;

    fn work(book: &mut Book, agent: &str, hours: &str) {
        book.op(log(agent, Kind::Work, Some(hours), None));
    }

    fn log(agent: &str, kind: Kind, hours: Option<&str>, amount: Option<&str>) -> Command {
        Command::log("v", agent, kind, hours.map(|_| "any"), hours, amount)
    }

    /// The startup of startup.json: michael (custodian), allyson, marc, john (affiliates),
    /// olga (observer); project `v` in UNITS; john's hours count 5:1.
    fn startup() -> Book {
        // Every event gets a key: pool allocations require one.
        let mut book = Book::keyed();
        book.add_agents(&[
            ("michael", Role::Custodian),
            ("allyson", Role::Affiliate),
            ("marc", Role::Affiliate),
            ("john", Role::Affiliate),
            ("olga", Role::Observer),
        ]);
        book.op(Command::add_project("v", "UNITS", 0));
        book.op(Command::SetRate {
            project: "v".into(),
            category: "any".into(),
            per_hour: "1".into(),
        });
        book.op(Command::SetSkill {
            project: "v".into(),
            agent: "john".into(),
            factor: "5".into(),
        });
        for (agent, hours) in [
            ("michael", "100"),
            ("allyson", "60"),
            ("marc", "40"),
            ("john", "10"),
        ] {
            work(&mut book, agent, hours);
        }
        book
    }

    fn open(book: &mut Book) -> u64 {
        match book.op(Command::OpenRound {
            project: "v".into(),
            budget: None,
            eligible: None,
        }) {
            Outcome::RoundOpened { round, .. } => round,
            other => panic!("{other:?}"),
        }
    }

    fn give(round: u64, from: &str, to: &str, points: u64) -> Command {
        Command::Give {
            round,
            from: from.into(),
            to: to.into(),
            points,
        }
    }

    fn steward(agent: &str, points: u64) -> Command {
        Command::StewardGive {
            project: "v".into(),
            agent: agent.into(),
            points,
            reason: "culture".into(),
        }
    }

    fn blend(f: &str, p: &str, s: &str) -> Command {
        Command::SetBlend {
            project: "v".into(),
            formula: f.into(),
            peer: p.into(),
            steward: s.into(),
        }
    }

    fn pool(units: &str) -> Command {
        Command::AllocatePool {
            project: "v".into(),
            pool: units.into(),
        }
    }

    fn units(outcome: &Outcome) -> BTreeMap<String, i128> {
        match outcome {
            Outcome::PoolAllocated { lines, .. } => {
                lines.iter().map(|l| (l.agent.clone(), l.units)).collect()
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rounds_default_to_members_with_counted_contributions() {
        let mut book = startup();
        let outcome = book.op(Command::OpenRound {
            project: "v".into(),
            budget: None,
            eligible: None,
        });
        assert_eq!(
            outcome,
            Outcome::RoundOpened {
                round: 1,
                budget: 100,
                eligible: vec![
                    "allyson".into(),
                    "john".into(),
                    "marc".into(),
                    "michael".into()
                ],
            }
        );
        let error = book.refuse(
            OPERATOR,
            Command::OpenRound {
                project: "v".into(),
                budget: None,
                eligible: None,
            },
        );
        assert!(
            error.contains("round 1 of project v is still open"),
            "{error}"
        );
    }

    #[test]
    fn gifts_are_checked_and_editable_until_close() {
        let mut book = startup();
        let round = open(&mut book);
        let error = book.refuse("allyson", give(round, "allyson", "allyson", 10));
        assert_eq!(
            error,
            "allyson cannot give points to themself: a round values the others"
        );
        let error = book.refuse("allyson", give(round, "marc", "john", 10));
        assert!(
            error.contains("allyson may give points only as themself"),
            "{error}"
        );
        let error = book.refuse("olga", give(round, "olga", "john", 10));
        assert!(error.contains("olga is an observer"), "{error}");
        let error = book.refuse(OPERATOR, give(round, "michael", "olga", 10));
        assert!(error.contains("olga is not eligible in round 1"), "{error}");
        let error = book.refuse(OPERATOR, give(round, "michael", "nobody", 10));
        assert!(error.contains("unknown agent \"nobody\""), "{error}");
        let error = book.refuse("allyson", give(7, "allyson", "john", 10));
        assert_eq!(error, "unknown round 7");

        // Points are set, not added: 70 then 80 to john spends 80.
        book.ok("allyson", give(round, "allyson", "john", 70));
        let outcome = book.ok("allyson", give(round, "allyson", "john", 80));
        assert_eq!(
            outcome,
            Outcome::Given {
                round,
                spent: 80,
                left: 20
            }
        );
        let error = book.refuse("allyson", give(round, "allyson", "marc", 21));
        assert_eq!(
            error,
            "allyson would give 101 points in round 1, over the budget of 100 (80 already given to others, 20 left)"
        );
        book.ok("allyson", give(round, "allyson", "marc", 20));
        // Zero takes a gift back.
        let outcome = book.ok("allyson", give(round, "allyson", "john", 0));
        assert_eq!(
            outcome,
            Outcome::Given {
                round,
                spent: 20,
                left: 80
            }
        );
        let error = book.refuse("allyson", give(round, "allyson", "michael", 101));
        assert!(error.contains("over the budget of 100"), "{error}");

        let error = book.refuse("marc", Command::CloseRound { round });
        assert!(
            error.contains("only custodians may close peer rounds"),
            "{error}"
        );
        let closed = book.op(Command::CloseRound { round });
        let Outcome::RoundClosed { total, shares, .. } = closed else {
            panic!("{closed:?}")
        };
        assert_eq!(total, 20);
        // Every eligible recipient is listed; unspent points lapse.
        assert_eq!(shares.len(), 4);
        assert_eq!(
            shares.iter().find(|s| s.agent == "marc").unwrap().share,
            Share::one()
        );
        let error = book.refuse("allyson", give(round, "allyson", "john", 10));
        assert_eq!(error, "round 1 is closed: its shares are fixed");
        let error = book.refuse(OPERATOR, Command::CloseRound { round });
        assert_eq!(error, "round 1 is closed: its shares are fixed");
    }

    #[test]
    fn an_agent_may_opt_out_of_receiving_before_anyone_gives() {
        let mut book = startup();
        let round = open(&mut book);
        book.ok("john", give(round, "john", "marc", 10));
        let error = book.refuse(
            "marc",
            Command::OptOut {
                round,
                agent: "marc".into(),
            },
        );
        assert!(
            error.contains("marc has already received points in round 1"),
            "{error}"
        );
        let error = book.refuse(
            "marc",
            Command::OptOut {
                round,
                agent: "john".into(),
            },
        );
        assert!(error.contains("marc may opt out only themself"), "{error}");
        book.ok(
            "john",
            Command::OptOut {
                round,
                agent: "john".into(),
            },
        );
        let error = book.refuse("allyson", give(round, "allyson", "john", 10));
        assert_eq!(error, "john opted out of receiving points in round 1");
        // An agent who opted out still gives.
        book.ok("john", give(round, "john", "allyson", 30));
        let Outcome::RoundClosed { shares, total, .. } = book.op(Command::CloseRound { round })
        else {
            panic!()
        };
        assert_eq!(total, 40);
        assert!(shares.iter().all(|s| s.agent != "john"));
    }

    #[test]
    fn blends_need_weights_adding_to_one_and_parts_with_points() {
        let mut book = startup();
        let error = book.refuse(OPERATOR, blend("0.5", "0.3", "0.3"));
        assert_eq!(
            error,
            "blend weights 0.5 + 0.3 + 0.3 add up to 1.1, not exactly 1"
        );
        let error = book.refuse(OPERATOR, blend("1.5", "-0.5", "0"));
        assert_eq!(error, "formula weight 1.5 must be between 0 and 1");
        let error = book.refuse(OPERATOR, blend("0.5", "0.5", "x"));
        assert!(error.contains("malformed steward weight"), "{error}");
        let error = book.refuse(OPERATOR, blend("0.5", "0.3", "0.2"));
        assert!(
            error.starts_with("the blend gives weight 0.3 to peer shares, but no peer round of project v has closed with any points given"),
            "{error}"
        );
        let error = book.refuse(OPERATOR, blend("0.8", "0", "0.2"));
        assert!(
            error.starts_with("the blend gives weight 0.2 to steward shares, but no steward points have been given in project v"),
            "{error}"
        );
        let error = book.refuse("allyson", blend("1", "0", "0"));
        assert!(error.contains("only custodians may set blends"), "{error}");
        // A round closed without any points does not count as peer points either.
        let round = open(&mut book);
        book.op(Command::CloseRound { round });
        let error = book.refuse(OPERATOR, blend("0.5", "0.5", "0"));
        assert!(
            error.contains("no peer round of project v has closed with any points"),
            "{error}"
        );
        book.op(blend("1", "0", "0"));
        let report = book
            .state
            .blended_shares("v", book.ctx(OPERATOR).date)
            .unwrap();
        let total: BigRational = report.rows.iter().map(|r| r.blended.0.clone()).sum();
        assert!(total.is_one());
        assert_eq!(report.rows[0].agent, "allyson");
        assert_eq!(report.rows[0].blended.to_string(), "0.24");
    }

    #[test]
    fn steward_points_need_a_custodian_and_a_reason() {
        let mut book = startup();
        let error = book.refuse("marc", steward("marc", 10));
        assert!(
            error.contains("only custodians may give steward points"),
            "{error}"
        );
        let error = book.refuse(OPERATOR, steward("olga", 10));
        assert!(error.contains("observers hold no share"), "{error}");
        let error = book.refuse(OPERATOR, steward("marc", 0));
        assert!(error.contains("steward points must be 1 to"), "{error}");
        let mut command = steward("marc", 5);
        if let Command::StewardGive { reason, .. } = &mut command {
            *reason = "  ".into();
        }
        let error = book.refuse(OPERATOR, command);
        assert!(error.contains("public reason"), "{error}");
        book.ok("michael", steward("marc", 5));
        let award = &book.state.peer_project("v").unwrap().steward[0];
        assert_eq!(
            (award.by.as_str(), award.reason.as_str()),
            ("michael", "culture")
        );
    }

    #[test]
    fn bounties_are_awarded_once_by_a_custodian_and_paid_first() {
        let mut book = startup();
        let add = Command::AddBounty {
            project: "v".into(),
            task: "xyz".into(),
            reward: "5000".into(),
            description: Some("do XYZ".into()),
        };
        book.op(add.clone());
        let error = book.refuse(OPERATOR, add);
        assert_eq!(error, "project v already has a bounty for task \"xyz\"");
        let complete = |task: &str, agent: &str| Command::CompleteBounty {
            project: "v".into(),
            task: task.into(),
            agent: agent.into(),
        };
        let error = book.refuse(OPERATOR, complete("abc", "marc"));
        assert_eq!(
            error,
            "unknown task \"abc\" in project v: add its bounty first"
        );
        let error = book.refuse("allyson", complete("xyz", "marc"));
        assert!(
            error.contains("a custodian approves bounty awards"),
            "{error}"
        );
        let error = book.refuse("michael", complete("xyz", "michael"));
        assert!(
            error.contains("may not approve their own bounty award"),
            "{error}"
        );
        let outcome = book.ok("michael", complete("xyz", "marc"));
        assert_eq!(
            outcome,
            Outcome::BountyAwarded {
                contribution: 5,
                value: Value::parse("5000").unwrap()
            }
        );
        let contribution = book.state.contribution(5).unwrap();
        assert_eq!(
            (contribution.kind, contribution.counts()),
            (Kind::Bounty, true)
        );
        let error = book.refuse("michael", complete("xyz", "john"));
        assert_eq!(
            error,
            "bounty \"xyz\" of project v was already completed by marc (contribution 5)"
        );
        // The formula share leaves the award out: it is paid by the pool first.
        let report = book
            .state
            .blended_shares("v", book.ctx(OPERATOR).date)
            .unwrap();
        let marc = report.rows.iter().find(|r| r.agent == "marc").unwrap();
        assert_eq!(marc.formula.to_string(), "0.16");

        let error = book.refuse(OPERATOR, pool("4999"));
        assert_eq!(
            error,
            "a pool of 4999 units cannot pay the 5000 units of awarded bounties that come first"
        );
        // Exactly the bounty: the pool pays it and nothing else.
        let first = book.op(pool("5000"));
        assert_eq!(units(&first), BTreeMap::from([("marc".to_string(), 5000)]));
        // The reward is paid once: the next pool goes by share only.
        let second = book.op(pool("250"));
        assert_eq!(
            units(&second),
            BTreeMap::from([
                ("allyson".to_string(), 60),
                ("john".to_string(), 50),
                ("marc".to_string(), 40),
                ("michael".to_string(), 100),
            ])
        );
        assert_eq!(book.state.ledger().balance("marc", "UNITS"), 5040);
        assert_eq!(book.state.ledger().balance("outside", "UNITS"), -5250);
    }

    #[test]
    fn pools_need_something_to_share_by() {
        // Every event gets a key: pool allocations require one.
        let mut book = Book::keyed();
        book.op(Command::add_project("v", "UNITS", 0));
        let error = book.refuse(OPERATOR, pool("100"));
        assert!(
            error.contains("has no counted contribution value"),
            "{error}"
        );
        let error = book.refuse(OPERATOR, pool("0"));
        assert!(error.contains("must be greater than zero"), "{error}");
        let mut unkeyed = book.ctx(OPERATOR);
        unkeyed.key = None;
        let error = book.state.decide(&unkeyed, &pool("100")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "a pool allocation needs an idempotency key: it is made once per key"
        );
        assert_eq!(error.field_name(), Some("key"));
        assert!(
            book.state
                .cap_table("v", book.ctx(OPERATOR).date)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn leavers_need_the_policy_and_a_bad_leaver_keeps_cash_at_one_x() {
        let mut book = startup();
        book.op(Command::SetMultiplier {
            project: "v".into(),
            kind: Kind::Cash,
            factor: "4".into(),
        });
        book.op(log("allyson", Kind::Cash, None, Some("1000")));
        book.op(steward("allyson", 50));
        book.op(steward("marc", 50));
        let leave = |agent: &str, good: bool| Command::Leave {
            project: "v".into(),
            agent: agent.into(),
            good,
        };
        let error = book.refuse(OPERATOR, leave("allyson", false));
        assert!(
            error.starts_with("project v does not enable leavers"),
            "{error}"
        );
        book.op(Command::SetLeaverPolicy {
            project: "v".into(),
            enabled: true,
        });
        let error = book.refuse("marc", leave("allyson", false));
        assert!(
            error.contains("only custodians may record leavers"),
            "{error}"
        );
        let outcome = book.op(leave("allyson", false));
        assert_eq!(
            outcome,
            Outcome::Left {
                agent: "allyson".into(),
                good: false,
                forfeited: Value::parse("3060").unwrap(),
                changes: vec![
                    ValueChange {
                        contribution: 2,
                        before: Value::parse("60").unwrap(),
                        after: Value::ZERO,
                    },
                    ValueChange {
                        contribution: 5,
                        before: Value::parse("4000").unwrap(),
                        after: Value::parse("1000").unwrap(),
                    },
                ],
                forfeited_bounties: vec![],
            }
        );
        let error = book.refuse(OPERATOR, leave("allyson", true));
        assert_eq!(error, "allyson has already left project v");
        let error = book.refuse(OPERATOR, log("allyson", Kind::Work, Some("5"), None));
        assert!(error.contains("allyson has left project v"), "{error}");
        // Re-valuing leaves the forfeited values alone.
        book.op(Command::Revalue {
            project: "v".into(),
        });
        assert_eq!(
            book.state.contribution(5).unwrap().value,
            Value::parse("1000").unwrap()
        );
        // Her steward points no longer count: marc has all of them.
        let report = book
            .state
            .blended_shares("v", book.ctx(OPERATOR).date)
            .unwrap();
        let row = |agent: &str| {
            report
                .rows
                .iter()
                .find(|r| r.agent == agent)
                .unwrap()
                .clone()
        };
        assert_eq!(row("marc").steward, Share::one());
        assert_eq!(row("allyson").steward, Share::zero());
        // Formula: 100 + 1000 + 40 + 50 = 1190.
        assert_eq!(row("allyson").formula, Share::ratio(1000, 1190));
        // A good leaver keeps everything.
        let outcome = book.op(leave("marc", true));
        assert!(
            matches!(outcome, Outcome::Left { good: true, ref changes, .. } if changes.is_empty())
        );
        assert_eq!(row("marc").formula, Share::ratio(40, 1190));
        // Leavers are not eligible in new rounds.
        let Outcome::RoundOpened { eligible, .. } = book.op(Command::OpenRound {
            project: "v".into(),
            budget: Some(10),
            eligible: None,
        }) else {
            panic!()
        };
        assert_eq!(eligible, vec!["john".to_string(), "michael".to_string()]);
    }

    #[test]
    fn a_bad_leaver_forfeits_a_bounty_not_yet_paid() {
        let mut book = startup();
        book.op(Command::SetLeaverPolicy {
            project: "v".into(),
            enabled: true,
        });
        book.op(Command::AddBounty {
            project: "v".into(),
            task: "xyz".into(),
            reward: "500".into(),
            description: None,
        });
        book.op(Command::CompleteBounty {
            project: "v".into(),
            task: "xyz".into(),
            agent: "marc".into(),
        });
        let Outcome::Left {
            forfeited_bounties, ..
        } = book.op(Command::Leave {
            project: "v".into(),
            agent: "marc".into(),
            good: false,
        })
        else {
            panic!()
        };
        assert_eq!(forfeited_bounties, vec!["xyz".to_string()]);
        let allocation = units(&book.op(pool("210")));
        assert!(!allocation.contains_key("marc"), "{allocation:?}");
        assert_eq!(allocation.values().sum::<i128>(), 210);
    }

    #[test]
    fn leaving_waits_for_pending_contributions() {
        let mut book = startup();
        // Project `w` needs one approval before a contribution counts.
        book.op(Command::add_project_approving("w", "UNITS", 0, 1));
        book.op(Command::SetRate {
            project: "w".into(),
            category: "any".into(),
            per_hour: "1".into(),
        });
        book.op(Command::SetLeaverPolicy {
            project: "w".into(),
            enabled: true,
        });
        let mut work = log("john", Kind::Work, Some("3"), None);
        if let Command::Log { project, .. } = &mut work {
            *project = "w".into();
        }
        let Outcome::Logged { id, counted, .. } = book.op(work) else {
            panic!()
        };
        assert!(!counted);
        let leave = Command::Leave {
            project: "w".into(),
            agent: "john".into(),
            good: false,
        };
        let error = book.refuse(OPERATOR, leave.clone());
        assert_eq!(
            error,
            format!(
                "john has pending contribution {id} in project w: approve or reject it before recording the leave"
            )
        );
        book.ok("michael", Command::Approve { id });
        let Outcome::Left { forfeited, .. } = book.op(leave) else {
            panic!()
        };
        assert_eq!(forfeited, Value::parse("3").unwrap());
        // Leaving `w` says nothing about `v`.
        assert!(!book.state.has_left("v", "john"));
    }

    #[test]
    fn the_cap_table_shows_value_share_and_units() {
        let mut book = startup();
        book.op(pool("1000"));
        let date = book.ctx(OPERATOR).date;
        let rows = book.state.cap_table("v", date).unwrap();
        let michael = rows.iter().find(|r| r.agent == "michael").unwrap();
        assert_eq!(michael.value, Value::parse("100").unwrap());
        assert_eq!(michael.share.to_string(), "0.4");
        assert_eq!(michael.units, 400);
        assert_eq!(michael.units_share.to_string(), "0.4");
        let error = book.refuse(
            "john",
            Command::Captable {
                project: "v".into(),
            },
        );
        assert!(
            error.contains("only custodians may record cap-table snapshots"),
            "{error}"
        );
        let outcome = book.op(Command::Captable {
            project: "v".into(),
        });
        assert_eq!(outcome, Outcome::CapTable { rows: rows.clone() });
        assert_eq!(
            book.state.peer_project("v").unwrap().cap_tables[0].rows,
            rows
        );
        // Allocations after the date do not count.
        let before = Date::parse("2026-01-01").unwrap();
        assert!(
            book.state
                .cap_table("v", before)
                .unwrap()
                .iter()
                .all(|r| r.units == 0)
        );
    }

    #[test]
    fn forged_outcomes_are_corrupt() {
        let mut book = startup();
        let round = open(&mut book);
        book.ok("john", give(round, "john", "marc", 10));
        let ctx = book.ctx(OPERATOR);
        let close = Command::CloseRound { round };
        let forged = Outcome::RoundClosed {
            round: round + 1,
            total: 10,
            shares: vec![],
        };
        let before = book.state.clone();
        assert!(
            book.state
                .apply(&ctx, &close, &forged)
                .is_err_and(|e| e.is(crate::error::ErrorKind::Corrupt))
        );
        assert_eq!(book.state, before);
        let Outcome::PoolAllocated {
            id,
            pool: size,
            bounties,
            mut lines,
        } = book.state.decide(&ctx, &pool("100")).unwrap()
        else {
            panic!()
        };
        lines[0].units += 1;
        lines[0].by_share += 1;
        let forged = Outcome::PoolAllocated {
            id,
            pool: size,
            bounties,
            lines,
        };
        assert!(
            book.state
                .apply(&ctx, &pool("100"), &forged)
                .is_err_and(|e| e.is(crate::error::ErrorKind::Corrupt))
        );
        assert_eq!(book.state, before);
        let wrong = Outcome::Done;
        assert!(
            book.state
                .apply(&ctx, &close, &wrong)
                .is_err_and(|e| e.is(crate::error::ErrorKind::Corrupt))
        );
    }

    #[test]
    fn outcomes_round_trip_through_json() {
        let mut book = startup();
        let round = open(&mut book);
        book.ok("john", give(round, "john", "marc", 3));
        book.ok("marc", give(round, "marc", "john", 6));
        let closed = book.op(Command::CloseRound { round });
        let json = serde_json::to_string(&closed).unwrap();
        assert!(json.contains(r#""share":"1/3""#), "{json}");
        assert_eq!(serde_json::from_str::<Outcome>(&json).unwrap(), closed);
        let allocated = book.op(pool("7"));
        let json = serde_json::to_string(&allocated).unwrap();
        assert!(json.contains(r#""pool":"7""#), "{json}");
        assert_eq!(serde_json::from_str::<Outcome>(&json).unwrap(), allocated);
    }
}
