//! The state of a book: everything the log implies, rebuilt by applying its events in order.

use std::collections::BTreeMap;
use std::sync::Arc;

use rust_decimal::Decimal;

use crate::FastMap;
use crate::command::{Line, Outcome};
use crate::date::Date;
use crate::deferred::AnyPart;
use crate::error::{DomainError, DomainResult};
use crate::ledger::Ledger;
use crate::model::{Agent, Contribution, Kind, OPERATOR, Plan, Policy, Role};
use crate::time::Timestamp;
use crate::value::Value;

/// Key of an aggregate of counted value: kind and work category.
pub type AggregateKey = (Kind, Option<Arc<str>>);

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Project {
    pub slug: Arc<str>,
    pub name: Option<String>,
    pub currency: String,
    pub exponent: u32,
    pub approvals_required: u32,
    pub policy: Policy,
    /// Every version of the plan; version N is `plans[N - 1]`. Version 1 is the default plan.
    #[serde(with = "crate::snapshot::json")]
    pub plans: Vec<Plan>,
    /// How many contributions the project has. Which they are is the contribution table's to
    /// say ([`State::project_contributions`]): a list of their ids here was the largest thing
    /// an open decoded (80 MB of a 10M-contribution book), for reports that read the table
    /// anyway.
    pub contributions: u64,
    /// Counted value per (kind, category) per agent, kept as events arrive so a distribution
    /// never rescans history.
    #[serde(serialize_with = "crate::snapshot::sorted_nested")]
    pub counted: FastMap<AggregateKey, FastMap<Arc<str>, Value>>,
    /// The sum of every value in `counted` (saturating), kept beside it so that the limit on a
    /// project's total is checked in constant time, not by summing every agent per event.
    pub counted_sum: i128,
    /// Reimbursable claims (counted cash and material), in the order they were counted.
    pub claims: Vec<Claim>,
    /// Where each contribution's claim is in `claims`: a revenue settles claims by id without
    /// rescanning them all.
    #[serde(serialize_with = "crate::snapshot::sorted")]
    pub claim_index: FastMap<u64, usize>,
    /// The day the project was added: shares as of an earlier day show nothing.
    pub created: Date,
    /// The members the project lists (`AddMember`), in byte order: eligible voters of its
    /// proposals even without a counted contribution.
    pub members: std::collections::BTreeSet<Arc<str>>,
    /// The ids of its contributions waiting for approvals, in log order: an open item, so
    /// that counting or listing them, or refusing a leave over one, never reads the
    /// contribution table, which an open leaves in the store.
    pub pending: std::collections::BTreeSet<u64>,
    /// How many distributions the project made, and their amounts summed (saturating): the
    /// overview's figures, without reading the distributions, which an open leaves in the
    /// store.
    pub distributions: u64,
    pub distributed: i128,
    /// What is counted by month and kind (the sum of `counted`, split by the contributions'
    /// dates): the dashboard's chart, drawn without reading the contribution table.
    pub counted_by_month: BTreeMap<MonthKind, Counted>,
}

/// A month (`year * 100 + month`, 202612 for December 2026) and a kind of contribution.
pub type MonthKind = (i32, Kind);

/// How many counted contributions an aggregate holds, and their value summed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counted {
    pub contributions: u64,
    pub value: Value,
}

impl Counted {
    /// The month and kind a contribution counts in.
    pub fn key_of(contribution: &Contribution) -> MonthKind {
        let (year, month, _) = contribution.date.ymd();
        (year * 100 + month as i32, contribution.kind)
    }
}

impl Project {
    pub fn plan(&self) -> &Plan {
        self.plans.last().expect("a project always has a plan")
    }
    pub fn plan_version(&self) -> u32 {
        self.plans.len() as u32
    }
    /// The name of the account that receives what a plan does not place.
    pub fn unallocated_account(&self) -> String {
        format!("{}-unallocated", self.slug)
    }

    /// The account a `bank` bucket holds revenue in.
    pub fn bank_account(&self) -> String {
        format!("{}-bank", self.slug)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Claim {
    pub contribution: u64,
    #[serde(with = "crate::snapshot::interned")]
    pub agent: Arc<str>,
    pub kind: Kind,
    pub owed: i128,
    pub paid: i128,
}

impl Claim {
    pub fn outstanding(&self) -> i128 {
        self.owed - self.paid
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Distribution {
    pub id: u64,
    pub project: String,
    pub seq: u64,
    pub date: Date,
    pub amount: i128,
    pub asset: String,
    pub exponent: u32,
    pub plan_version: u32,
    pub key: Option<String>,
    pub from: Option<String>,
    /// Shared with its ledger transaction, which credits them; packed (`payout_lines.rs`).
    pub lines: crate::PayoutLines,
    pub transaction: u64,
    /// What the project's bank released into it: its lines add up to `amount + released`.
    pub released: i128,
}

impl Distribution {
    /// What each account received in total, in byte order of the name.
    pub fn payouts(&self) -> BTreeMap<&str, i128> {
        Line::payouts(&self.lines)
    }
}

/// What an idempotency key was first used for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub payload_hash: String,
    pub seq: u64,
    /// The first outcome, without a distribution's payout lines (the distribution keeps
    /// them) and claim settlements (`claims`): use [`State::key_outcome`] for the whole
    /// outcome.
    pub outcome: Outcome,
    /// A distribution's claim settlements, packed: a keyed revenue over 100,000 agents
    /// settles as many claims, which nothing decides from again (32 bytes each in memory;
    /// packed, two varints).
    claims: Option<crate::Packed<crate::ClaimPayment>>,
}

/// An idempotency key's record is written in the order of its event: one per event.
impl crate::sharded::Ordered for KeyRecord {
    fn order(&self) -> u64 {
        self.seq
    }
}

impl KeyRecord {
    /// What to keep of an outcome: a revenue split over many agents would otherwise hold its
    /// payout lines twice, and its claim settlements unpacked.
    pub(crate) fn new(payload_hash: String, seq: u64, outcome: &Outcome) -> KeyRecord {
        let mut outcome = with_payout_lines(outcome, |_| Vec::new());
        let claims = match &mut outcome {
            Outcome::Distributed { claims, .. } if !claims.is_empty() => {
                Some(crate::Packed::pack(&std::mem::take(claims)))
            }
            _ => None,
        };
        KeyRecord {
            payload_hash,
            seq,
            outcome,
            claims,
        }
    }

    /// The outcome with its claim settlements (without a distribution's payout lines).
    fn outcome_with_claims(&self) -> std::borrow::Cow<'_, Outcome> {
        let Some(packed) = &self.claims else {
            return std::borrow::Cow::Borrowed(&self.outcome);
        };
        let mut outcome = self.outcome.clone();
        if let Outcome::Distributed { claims, .. } = &mut outcome {
            *claims = packed.each().collect();
        }
        std::borrow::Cow::Owned(outcome)
    }
}

/// A key record as a snapshot writes it: the outcome in the log's JSON, without its payout
/// lines and claim settlements, then the claims as they are held, packed (a keyed revenue
/// settles one claim per contribution it reimburses: in JSON, 38 bytes each, 145 MB of the
/// 100k-agent book's snapshot; packed, about 8).
#[derive(serde::Serialize)]
struct KeyRecordOut<'a> {
    payload_hash: &'a str,
    seq: u64,
    #[serde(with = "crate::snapshot::json")]
    outcome: &'a Outcome,
    claims: &'a Option<crate::Packed<crate::ClaimPayment>>,
}

#[derive(serde::Deserialize)]
struct KeyRecordIn {
    payload_hash: String,
    seq: u64,
    #[serde(with = "crate::snapshot::json")]
    outcome: Outcome,
    claims: Option<crate::Packed<crate::ClaimPayment>>,
}

impl serde::Serialize for KeyRecord {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let record = KeyRecordOut {
            payload_hash: &self.payload_hash,
            seq: self.seq,
            outcome: &self.outcome,
            claims: &self.claims,
        };
        record.serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for KeyRecord {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let read = KeyRecordIn::deserialize(deserializer)?;
        let mut record = KeyRecord::new(read.payload_hash, read.seq, &read.outcome);
        if read.claims.is_some() {
            record.claims = read.claims;
        }
        Ok(record)
    }
}

/// `outcome` with a distribution's payout lines replaced by `lines(id)`; any other outcome as
/// it is.
fn with_payout_lines(outcome: &Outcome, lines: impl FnOnce(u64) -> Vec<Line>) -> Outcome {
    match outcome {
        Outcome::Distributed {
            id,
            amount,
            plan_version,
            claims,
            released,
            ..
        } => Outcome::Distributed {
            id: *id,
            amount: *amount,
            plan_version: *plan_version,
            lines: lines(*id),
            claims: claims.clone(),
            released: *released,
        },
        other => other.clone(),
    }
}

/// Who acts and when: passed in by the caller (the core reads no clock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ctx {
    /// Sequence number the event will have.
    pub seq: u64,
    /// An agent's handle, or [`OPERATOR`].
    pub actor: String,
    /// The day the event is recorded.
    pub date: Date,
    /// The instant the event is recorded, to the second (its `recorded_at`): what governance
    /// deadlines are measured against. [`Ctx::new`] puts midnight of `date`.
    pub at: Timestamp,
    pub key: Option<String>,
    /// Hex SHA-256 of actor and command, recorded with the key to refuse a reused key.
    pub payload_hash: String,
    /// The rules the event is decided by: [`RULES`] for a new one, what its body records
    /// (`EventBody::rules`) for a logged one, so that a book keeps replaying, verifying and
    /// importing under the rules it was written by.
    pub rules: u32,
}

/// The rules new events are decided by. 1: the rules before issue 13; 2: limits and dates
/// checked when decided, decay from the event that set it, use rates from the schedule, the
/// community rate by list or role, cited values by percentage, no steward points to oneself,
/// technician hours as work. 3 (issue 18): numbers written without spaces around them, hours
/// with at most `HOURS_DECIMALS` decimals, no new handle that looks like an existing one
/// (`strict.rs`).
pub const RULES: u32 = 3;

/// The rules of an event whose body records none (written before rules were numbered).
pub const RULES_UNMARKED: u32 = 1;

impl Ctx {
    /// A new event's context: no idempotency key, decided by the current [`RULES`].
    pub fn new(seq: u64, actor: impl Into<String>, date: Date) -> Ctx {
        Ctx {
            seq,
            actor: actor.into(),
            date,
            at: Timestamp::of_date(date),
            key: None,
            payload_hash: String::new(),
            rules: RULES,
        }
    }

    /// A new event's context at the instant `recorded_at` (RFC 3339; a bare `YYYY-MM-DD` is
    /// midnight of that day), its date being that instant's day.
    pub fn recorded(seq: u64, actor: impl Into<String>, recorded_at: &str) -> DomainResult<Ctx> {
        let day = Date::parse(recorded_at)?;
        let at = Timestamp::parse(recorded_at).unwrap_or(Timestamp::of_date(day));
        // The day of the instant in UTC, not the day the text names before its offset (a
        // book records UTC; an import line may carry an offset).
        Ok(Ctx {
            at,
            ..Ctx::new(seq, actor, at.date())
        })
    }

    /// Whether the rules of issue 13 (see [`RULES`]) decide this event.
    pub fn hardened(&self) -> bool {
        self.rules >= 2
    }

    /// Whether the text rules of issue 18 (see [`RULES`], `strict.rs`) decide this event.
    pub fn strict(&self) -> bool {
        self.rules >= 3
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct State {
    #[serde(serialize_with = "crate::snapshot::sorted")]
    pub(crate) agents: FastMap<Arc<str>, Agent>,
    /// The handles that look like another spelling (`strict.rs`), by the form they share.
    pub(crate) lookalikes: crate::strict::Lookalikes,
    pub(crate) projects: BTreeMap<String, Project>,
    /// In chunks: a contribution more never moves the million before it (a steady writer).
    /// Deferred: written after the rest of the state in a snapshot, and decoded from it only
    /// when first used (`deferred.rs`).
    #[serde(skip)]
    pub(crate) contributions: crate::Deferred<crate::Chunked<Contribution>>,
    /// Corrections of contributions (adjust, reverse), in request order; id N is index N - 1.
    pub(crate) corrections: Vec<crate::corrections::Correction>,
    /// Deferred as the contributions are; shared with the deferred journal, whose
    /// transactions take their lines from it as they are decoded (`Ledger::defer_journal`).
    #[serde(skip)]
    pub(crate) distributions: Arc<crate::Deferred<Vec<Distribution>>>,
    pub(crate) ledger: Ledger,
    /// In shards: a growing book never rehashes all its keys at once (a steady writer).
    /// Deferred, as the contributions are.
    #[serde(skip)]
    pub(crate) keys: crate::Deferred<crate::sharded::Sharded<KeyRecord>>,
    /// Sequence number of the last applied event.
    pub(crate) head: u64,
    // --- shared resources ---
    pub(crate) campaigns: BTreeMap<String, crate::resources::Campaign>,
    pub(crate) resources: BTreeMap<String, crate::resources::Resource>,
    /// Peer valuation: rounds, steward awards, blends, bounties, pools, leavers (peer.rs).
    pub(crate) peer: crate::peer::PeerState,
    // --- tokens ---
    pub(crate) tokens: crate::tokens::Tokens,
    // --- treasury ---
    pub(crate) treasury: crate::treasury::Treasury,
    // --- membership ---
    pub(crate) membership: crate::membership::Membership,
    // --- governance ---
    pub(crate) governance: crate::governance::Governance,
}

impl State {
    pub fn new() -> State {
        State::default()
    }

    pub fn head(&self) -> u64 {
        self.head
    }

    /// Makes room for about `events` more events before a long replay, so the contribution
    /// table grows once instead of being copied at every doubling. Untouched capacity costs
    /// address space, not memory. A table still held as a snapshot's bytes is left so:
    /// reserving is not worth decoding it.
    pub fn reserve(&mut self, events: usize) {
        if self.contributions.is_decoded() {
            self.contributions.reserve(events);
        }
    }

    /// The parts an open from a snapshot defers (`deferred.rs`) that are decoded by now: none
    /// right after such an open, until a command reads or changes them.
    pub fn decoded_parts(&self) -> Vec<&'static str> {
        self.deferred_parts_that(|part| part.is_decoded())
    }

    /// The deferred parts whose bytes an open left in the store, not read yet: all four right
    /// after an open from a store that can read them later, until a command uses them.
    pub fn parts_in_store(&self) -> Vec<&'static str> {
        self.deferred_parts_that(|part| part.is_in_store())
    }

    /// Reads into memory, as the bytes they are, the deferred parts an open left in the store.
    /// A snapshot is written only after this: its write may lock the store's readers out
    /// (SQLite's rollback journal, once its pages spill), and a part read during it would
    /// fail and be rebuilt by replaying the whole log.
    pub fn fetch_parts_in_store(&self) {
        for part in self.deferred_parts() {
            part.fetch_from_store();
        }
        debug_assert!(self.parts_in_store().is_empty());
    }

    fn deferred_parts_that(&self, is: fn(&dyn AnyPart) -> bool) -> Vec<&'static str> {
        let parts = crate::DEFERRED_PARTS.into_iter().zip(self.deferred_parts());
        parts
            .filter(|(_, part)| is(*part))
            .map(|(name, _)| name)
            .collect()
    }

    pub fn agent(&self, handle: &str) -> DomainResult<&Agent> {
        self.agents.get(handle).ok_or_else(|| {
            DomainError::not_found(format!("unknown agent {handle:?}: add the agent first"))
        })
    }

    /// The interned handle of a known agent (shared by every record that names it).
    pub(crate) fn handle(&self, handle: &str) -> DomainResult<Arc<str>> {
        self.agents
            .get_key_value(handle)
            .map(|(key, _)| key.clone())
            .ok_or_else(|| {
                DomainError::not_found(format!("unknown agent {handle:?}: add the agent first"))
            })
    }

    /// Agents in byte order of handle.
    pub fn agents(&self) -> Vec<&Agent> {
        let mut agents: Vec<&Agent> = self.agents.values().collect();
        agents.sort_by(|a, b| a.handle.cmp(&b.handle));
        agents
    }

    pub fn project(&self, slug: &str) -> DomainResult<&Project> {
        self.projects.get(slug).ok_or_else(|| {
            DomainError::not_found(format!("unknown project {slug:?}: add the project first"))
        })
    }

    pub(crate) fn project_mut(&mut self, slug: &str) -> DomainResult<&mut Project> {
        self.projects
            .get_mut(slug)
            .ok_or_else(|| DomainError::not_found(format!("unknown project {slug:?}")))
    }

    pub fn projects(&self) -> impl Iterator<Item = &Project> {
        self.projects.values()
    }

    pub fn contribution(&self, id: u64) -> DomainResult<&Contribution> {
        id.checked_sub(1)
            .and_then(|index| self.contributions.get(index as usize))
            .ok_or_else(|| DomainError::not_found(format!("unknown contribution {id}")))
    }

    /// Where contribution `id` is in the table, if it exists.
    pub(crate) fn contribution_index(&self, id: u64) -> Option<usize> {
        let index = usize::try_from(id.checked_sub(1)?).ok()?;
        (index < self.contributions.len()).then_some(index)
    }

    pub fn contributions(&self) -> &crate::Chunked<Contribution> {
        &self.contributions
    }

    /// The contributions to `project`, in log order.
    pub fn project_contributions<'a>(
        &'a self,
        project: &'a Project,
    ) -> impl Iterator<Item = &'a Contribution> + 'a {
        let slug = &project.slug;
        let table = if project.contributions == 0 {
            None // never reads a table still in the store for nothing
        } else {
            Some(self.contributions.iter())
        };
        let of_project = table.into_iter().flatten();
        of_project.filter(move |contribution| {
            Arc::ptr_eq(&contribution.project, slug) || contribution.project == *slug
        })
    }

    pub fn distribution(&self, id: u64) -> DomainResult<&Distribution> {
        id.checked_sub(1)
            .and_then(|index| self.distributions.get(index as usize))
            .ok_or_else(|| DomainError::not_found(format!("unknown distribution {id}")))
    }

    pub fn distributions(&self) -> &[Distribution] {
        &self.distributions
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The whole first outcome of an idempotency key, as a retry returns it.
    pub fn key_outcome(&self, record: &KeyRecord) -> Outcome {
        with_payout_lines(&record.outcome_with_claims(), |id| {
            self.distribution(id)
                .map(|d| d.lines.each().collect())
                .unwrap_or_default()
        })
    }

    pub fn key_record(&self, key: &str) -> Option<&KeyRecord> {
        self.keys.get(key)
    }

    /// The role an actor acts with: the operator acts as a custodian.
    pub fn role_of(&self, actor: &str) -> DomainResult<Role> {
        if actor == OPERATOR {
            return Ok(Role::Custodian);
        }
        self.agents
            .get(actor)
            .map(|agent| agent.role)
            .ok_or_else(|| {
                DomainError::forbidden(format!("unknown actor {actor:?}: no agent has that handle"))
            })
    }

    /// Whether a name is taken by an agent, a project, or an account that holds something.
    pub fn name_taken(&self, name: &str) -> Option<&'static str> {
        if self.agents.contains_key(name) {
            Some("an agent")
        } else if self.projects.contains_key(name) {
            Some("a project")
        } else if self.ledger.account(name).is_some() {
            Some("an account")
        } else if self.campaigns.contains_key(name) {
            Some("a campaign")
        } else if self.tokens.owns_account(name) {
            Some("a token's account")
        } else {
            None
        }
    }

    /// Exponent of an asset known to the book (a project currency or a token), if any.
    pub fn asset_exponent(&self, asset: &str) -> Option<u32> {
        self.projects
            .values()
            .find(|p| p.currency == asset)
            .map(|p| p.exponent)
            .or_else(|| self.tokens.by_symbol.get(asset).map(|t| t.exponent))
    }

    /// Each agent's counted value in a project (decayed to `as_of` when the policy has a
    /// half-life), in byte order of handle, with zero-value agents left out.
    pub fn values_by_agent(
        &self,
        project: &Project,
        filter: &crate::model::Filter,
        as_of: Date,
    ) -> DomainResult<Vec<(Arc<str>, Value)>> {
        self.values_by_agent_with(project, filter, as_of, None)
    }

    /// [`State::values_by_agent`] with `extra`, a counted contribution of the project that is
    /// not in the state (an estimate's hypothetical work), counted too.
    pub(crate) fn values_by_agent_with(
        &self,
        project: &Project,
        filter: &crate::model::Filter,
        as_of: Date,
        extra: Option<&Contribution>,
    ) -> DomainResult<Vec<(Arc<str>, Value)>> {
        let mut totals: FastMap<Arc<str>, Value> = FastMap::default();
        if as_of < project.created {
            return Ok(Vec::new());
        }
        let decays = project
            .policy
            .half_lives
            .iter()
            .any(|(_, days)| days.is_some());
        if !decays && !filter.has_dates() {
            for ((kind, category), per_agent) in &project.counted {
                if !filter.matches_key(*kind, category.as_deref()) {
                    continue;
                }
                for (agent, value) in per_agent {
                    let total = totals.entry(agent.clone()).or_default();
                    *total = total.checked_add(*value)?;
                }
            }
            if let Some(extra) = extra
                && extra.counts()
                && filter.matches_key(extra.kind, extra.category.as_deref())
            {
                let total = totals.entry(extra.agent.clone()).or_default();
                *total = total.checked_add(extra.value)?;
            }
        } else {
            // A half-life applies to the contributions logged after the event that set it.
            let mut factors: FastMap<(Date, Decimal), i128> = FastMap::default();
            for contribution in self.project_contributions(project).chain(extra) {
                if !contribution.counts()
                    || !filter.matches_key(contribution.kind, contribution.category.as_deref())
                    || !filter.matches_date(contribution.date)
                {
                    continue;
                }
                let value = match project.policy.half_life_at(contribution.seq) {
                    Some(days) => {
                        let factor =
                            *factors.entry((contribution.date, days)).or_insert_with(|| {
                                crate::value::decay_factor_scaled(
                                    as_of.days_since(contribution.date),
                                    days,
                                )
                            });
                        contribution.value.mul_scaled(factor)?
                    }
                    None => contribution.value,
                };
                let agent = self.handle(&contribution.agent)?;
                let total = totals.entry(agent).or_default();
                *total = total.checked_add(value)?;
            }
        }
        let mut values: Vec<(Arc<str>, Value)> = totals
            .into_iter()
            .filter(|(_, v)| *v > Value::ZERO)
            .collect();
        values.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(values)
    }

    // --- tokens ---
    pub fn token(&self, symbol: &str) -> DomainResult<&crate::tokens::Token> {
        self.tokens.by_symbol.get(symbol).ok_or_else(|| {
            DomainError::not_found(format!("unknown token {symbol:?}: create the token first"))
        })
    }

    /// Every token, in byte order of the symbol.
    pub fn tokens(&self) -> impl Iterator<Item = &crate::tokens::Token> {
        self.tokens.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ClaimPayment;

    fn revenue_outcome(claims: usize) -> Outcome {
        Outcome::Distributed {
            id: 7,
            amount: 1_000,
            plan_version: 2,
            lines: vec![Line {
                bucket: 0,
                to: "ada".into(),
                amount: 1_000,
            }],
            claims: (0..claims as u64)
                .map(|n| ClaimPayment {
                    contribution: n * 1_000,
                    amount: n as i128 * 3,
                })
                .collect(),
            released: 0,
        }
    }

    #[test]
    fn a_key_record_holds_its_claims_packed_and_writes_them_so() {
        for count in [0, 1, 500] {
            let whole = revenue_outcome(count);
            let record = KeyRecord::new("hash".into(), 9, &whole);
            let Outcome::Distributed { lines, claims, .. } = &record.outcome else {
                panic!("a distribution");
            };
            assert!(lines.is_empty() && claims.is_empty());
            assert_eq!(record.claims.is_some(), count > 0);
            // A snapshot writes the outcome without its lines and claims, then the claims
            // packed: their postcard encoding as a `Vec`, not the log's JSON.
            let without_lines = with_payout_lines(&whole, |_| Vec::new());
            let Outcome::Distributed { claims, .. } = &without_lines else {
                panic!("a distribution");
            };
            let written = postcard::to_allocvec(&record).unwrap();
            let outcome = postcard::to_allocvec(&KeyRecordOut {
                payload_hash: "hash",
                seq: 9,
                outcome: &record.outcome,
                claims: &None,
            })
            .unwrap();
            let packed = match count {
                0 => vec![0],
                _ => [vec![1], postcard::to_allocvec(claims).unwrap()].concat(),
            };
            assert_eq!(written, [&outcome[..outcome.len() - 1], &packed].concat());
            let json = serde_json::to_string(claims).unwrap();
            assert!(count == 0 || written.len() < outcome.len() + json.len() / 4);
            let read: KeyRecord = postcard::from_bytes(&written).unwrap();
            assert_eq!(read, record);
            assert_eq!(*read.outcome_with_claims(), without_lines);
        }
    }
}
