//! The log itself: pages of events and `verify`. These read the store, not the state.

use fairshare_book::{PublishedHead, VerifyReport};
use fairshare_core::{Command, DomainError, EventBody, GENESIS_HASH, State};
use fairshare_store::{EventRow, Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::error::{OpError, OpResult};
use crate::op::Operation;
use crate::page::{Page, checked_limit};
use crate::words::{agents_of, project_of, sentence};

/// An operation answered from the store's rows rather than the state.
pub trait Scan: Operation {
    /// Reads the whole log: the server bounds how many run at once.
    const HEAVY: bool = false;

    /// The request names something that must exist (a project, an agent, an id): 404 when it
    /// does not. False for one that names nothing (a list of everything, the log, a new
    /// agent), whose answers say no 404.
    const NAMES_EXISTING: bool = true;

    fn view(&self, store: &mut dyn Store) -> OpResult<Self::View>;
}

paged_list! {
    /// The event log, oldest first: sequence, time, actor, operation, key and hash.
    ShowLog => LogOut, "/api/v1/log", "log",
    "The event log, oldest first: sequence, time, actor, operation, key and hash"
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventRowOut {
    pub seq: u64,
    pub recorded_at: String,
    pub actor: String,
    pub op: String,
    pub key: Option<String>,
    pub hash: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogOut {
    /// Events in the book.
    pub head: u64,
    pub offset: usize,
    pub limit: usize,
    pub next_offset: Option<usize>,
    pub events: Vec<EventRowOut>,
}

impl Scan for ShowLog {
    const NAMES_EXISTING: bool = false;
    fn view(&self, store: &mut dyn Store) -> OpResult<LogOut> {
        let page = Page::new(self.limit, self.offset)?;
        let head = store.head()?;
        let mut events = Vec::new();
        // `scan` has no limit: stop it with an error once the page is full.
        let scanned = store.scan(page.offset as u64, &mut |row: EventRow| {
            if events.len() == page.limit {
                return Err(StoreError::Backend("page full".into()));
            }
            let op = EventBody::from_json(&row.body)
                .map(|body| body.command.op().to_string())
                .unwrap_or_else(|_| "?".to_string());
            events.push(EventRowOut {
                seq: row.seq,
                recorded_at: row.recorded_at,
                actor: row.actor,
                op,
                key: row.idempotency_key,
                hash: row.hash,
            });
            Ok(())
        });
        if events.len() < page.limit {
            scanned?;
        }
        let total = usize::try_from(head).unwrap_or(usize::MAX);
        Ok(LogOut {
            head,
            next_offset: page.next_offset(events.len(), total),
            offset: page.offset,
            limit: page.limit,
            events,
        })
    }
}

/// An operation answered from the store's rows read beside the state, which says each event
/// in words and finds the project it concerns.
pub trait Search: Operation {
    fn view(&self, store: &mut dyn Store, state: &State) -> OpResult<Self::View>;
}

/// Events one search answers by default.
pub const SEARCH_LIMIT_DEFAULT: usize = 50;
/// Most events one search looks through for its filters: older ones are on its next page
/// (`older`), so that a rare filter costs a bounded read.
pub const SEARCH_SCAN_MAX: u64 = 20_000;
/// Events read from the store at a time, walking back from the newest.
const SEARCH_CHUNK: u64 = 500;

/// The events that match, newest first, each in plain words: by agent (its actor or an agent
/// it names), by project (named, or found through what it names) and by kind. Pages walk back:
/// the next page is `before` the answer's `older`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct SearchLog {
    /// Events this agent did or that name them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "HANDLE"))]
    pub agent: Option<String>,
    /// Events that concern this project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "P"))]
    pub project: Option<String>,
    /// Events of this kind (an operation name such as `log` or `revenue`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "OP"))]
    pub kind: Option<String>,
    /// Events before this sequence number [default: from the newest].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "SEQ"))]
    pub before: Option<u64>,
    /// Events in the answer (default 50, at most 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "N"))]
    pub limit: Option<usize>,
}

operation!(SearchLog => FoundOut, Get "/api/v1/log/search", "log",
    "The events that match an agent, a project or a kind, newest first, each in plain words");

/// One event in plain words.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaidOut {
    pub seq: u64,
    pub recorded_at: String,
    pub actor: String,
    pub op: String,
    /// What the event did, in words: "marie logged 8 h of design on forillon".
    pub sentence: String,
    pub hash: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FoundOut {
    /// Events in the book.
    pub head: u64,
    /// The matching events, newest first.
    pub events: Vec<SaidOut>,
    /// Older events may match: ask again with `before` this (absent at the log's start).
    pub older: Option<u64>,
}

impl SearchLog {
    fn filters(&self) -> bool {
        self.agent.is_some() || self.project.is_some() || self.kind.is_some()
    }

    fn matches(&self, state: &State, actor: &str, command: &Command) -> bool {
        self.kind.as_ref().is_none_or(|kind| command.op() == kind)
            && self.agent.as_ref().is_none_or(|agent| {
                actor == agent || agents_of(command).iter().any(|named| named == agent)
            })
            && self
                .project
                .as_ref()
                .is_none_or(|project| project_of(state, command).as_ref() == Some(project))
    }

    fn check(&self) -> OpResult<usize> {
        if let Some(kind) = &self.kind
            && !Command::OPS.contains(&kind.as_str())
        {
            return Err(DomainError::invalid(format!(
                "kind {kind:?} is no kind of event: use an operation such as log or revenue"
            ))
            .field("kind")
            .value(kind.clone())
            .into());
        }
        checked_limit(self.limit.unwrap_or(SEARCH_LIMIT_DEFAULT), "before")
    }
}

impl Search for SearchLog {
    fn view(&self, store: &mut dyn Store, state: &State) -> OpResult<FoundOut> {
        let rows = self.check()?;
        // Without a filter every event is shown: read no more than the page.
        let chunk_events = if self.filters() {
            SEARCH_CHUNK
        } else {
            u64::try_from(rows.max(1)).unwrap_or(SEARCH_CHUNK)
        };
        let head = store.head()?;
        // The newest event still to look at.
        let mut end = self.before.map_or(head, |b| b.saturating_sub(1).min(head));
        let floor = end.saturating_sub(SEARCH_SCAN_MAX);
        let mut events: Vec<SaidOut> = Vec::new();
        while end > floor && events.len() < rows {
            let start = end.saturating_sub(chunk_events).max(floor);
            let mut chunk = self.chunk(store, state, start, end)?;
            chunk.reverse();
            chunk.truncate(rows - events.len());
            events.extend(chunk);
            end = start;
        }
        let older = match events.last() {
            Some(last) if events.len() == rows => (last.seq > 1).then_some(last.seq),
            _ => (end > 0).then_some(end + 1),
        };
        Ok(FoundOut {
            head,
            events,
            older,
        })
    }
}

impl SearchLog {
    /// The matching events after `start` up to `end`, oldest first.
    fn chunk(
        &self,
        store: &mut dyn Store,
        state: &State,
        start: u64,
        end: u64,
    ) -> OpResult<Vec<SaidOut>> {
        let mut chunk = Vec::new();
        let mut stopped = false;
        let scanned = store.scan(start, &mut |row| {
            if row.seq > end {
                // `scan` reads to the log's end: stop it past the chunk.
                stopped = true;
                return Err(StoreError::Backend("chunk read".into()));
            }
            if let Ok(body) = EventBody::from_json(&row.body)
                && self.matches(state, &row.actor, &body.command)
            {
                chunk.push(SaidOut {
                    sentence: sentence(state, &row.actor, &body.command),
                    op: body.command.op().to_string(),
                    seq: row.seq,
                    recorded_at: row.recorded_at,
                    actor: row.actor,
                    hash: row.hash,
                });
            }
            Ok(())
        });
        if !stopped {
            scanned?;
        }
        Ok(chunk)
    }
}

/// Re-checks the whole log: the hash chain, every recorded outcome decided again, and the
/// ledger's invariants. `ok` is false, with the first problem, for a damaged book. With a head
/// published elsewhere (`events`, `head` or both), also checks that the book still holds it,
/// so that a removed tail is found.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct Verify {
    /// A published head hash (64 hex digits): some event must have it (event `events` if
    /// given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "HASH"))]
    pub head: Option<String>,
    /// A published number of events: the book must have at least this many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "N"))]
    pub events: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyProblem {
    pub seq: u64,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyOut {
    pub ok: bool,
    /// Events checked and found sound.
    pub events: u64,
    /// Hash of the last sound event.
    pub head: String,
    pub problem: Option<VerifyProblem>,
    /// The events of the snapshots compared with the replay there, each equal to it (absent
    /// when the book keeps none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub snapshots_checked: Vec<u64>,
    /// Snapshots that opening the book passes over, and why: harmless, never loaded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub snapshots_ignored: Vec<IgnoredSnapshotOut>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IgnoredSnapshotOut {
    /// The event the store keeps it at.
    pub seq: u64,
    pub reason: String,
}

impl VerifyOut {
    pub fn of(report: VerifyReport) -> VerifyOut {
        VerifyOut {
            ok: report.ok(),
            events: report.events,
            head: report.head_hash,
            problem: report
                .problem
                .map(|(seq, message)| VerifyProblem { seq, message }),
            snapshots_checked: report.snapshots_checked,
            snapshots_ignored: report
                .snapshots_ignored
                .into_iter()
                .map(|ignored| IgnoredSnapshotOut {
                    seq: ignored.seq,
                    reason: ignored.reason,
                })
                .collect(),
        }
    }
}

operation!(Verify => VerifyOut, Get "/api/v1/verify", "log",
    "Re-checks the whole log: the hash chain, every outcome decided again, the ledger's invariants");

impl Scan for Verify {
    const NAMES_EXISTING: bool = false;
    const HEAVY: bool = true;

    fn view(&self, store: &mut dyn Store) -> OpResult<VerifyOut> {
        let published = PublishedHead {
            events: self.events,
            hash: self.head.as_deref().map(published_hash).transpose()?,
        };
        let mut report = fairshare_book::verify(store)?;
        fairshare_book::check_published(store, &mut report, &published)?;
        Ok(VerifyOut::of(report))
    }
}

/// A published head hash, checked before the log is read: 64 hex digits, any case.
fn published_hash(text: &str) -> OpResult<String> {
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(OpError::Domain(
            DomainError::invalid(format!(
                "head must be an event hash of 64 hex digits, not {text:?}"
            ))
            .field("head")
            .value(text),
        ))
    }
}

/// The book's head for anyone to copy and publish: how many events it has and the hash of
/// the last one (64 zeros for an empty book). `verify --events N --head HASH` checks a book
/// against it later.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShowHead {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeadOut {
    /// Events in the book: the sequence number of the last one.
    pub events: u64,
    /// Hash of the last event.
    pub hash: String,
}

operation!(ShowHead => HeadOut, Get "/api/v1/head", "log",
    "The book's head: its number of events and the last one's hash, to publish elsewhere");

impl Scan for ShowHead {
    const NAMES_EXISTING: bool = false;
    fn view(&self, store: &mut dyn Store) -> OpResult<HeadOut> {
        let events = store.head()?;
        let mut hash = GENESIS_HASH.to_string();
        store.scan_lent(events.saturating_sub(1), &mut |row| {
            hash = row.hash.to_string();
            Ok(())
        })?;
        Ok(HeadOut { events, hash })
    }
}
