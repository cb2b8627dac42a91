//! The log itself: pages of events and `verify`. These read the store, not the state.

use fairshare_book::{PublishedHead, VerifyReport};
use fairshare_core::{DomainError, EventBody, GENESIS_HASH};
use fairshare_store::{EventRow, Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::error::{OpError, OpResult};
use crate::op::Operation;
use crate::page::Page;

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

/// Re-checks the whole log: the hash chain, every recorded outcome decided again, and the
/// ledger's invariants. `ok` is false, with the first problem, for a damaged book. With a head
/// published elsewhere (`events`, `head` or both), also checks that the book still holds it,
/// so that a removed tail is found.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Verify {
    /// A published head hash (64 hex digits): some event must have it (event `events` if
    /// given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<String>,
    /// A published number of events: the book must have at least this many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
