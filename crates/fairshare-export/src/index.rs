//! What the exports need to know about each stored event, read once from the store.
//!
//! The state knows which event made each transaction (its sequence number) but not the
//! event's time, key or hash: those live in the store's rows. Reading them into a compact
//! index first keeps the export functions free of the store (a `Book` lends out its state
//! and its store only one at a time) and costs about 100 bytes per event.

use fairshare_core::Date;
use fairshare_store::{EventRow, Store, StoreError};

use crate::{ExportError, ExportResult};

/// The metadata of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMeta {
    /// The day the event was recorded (the date part of `recorded_at`).
    pub date: Date,
    /// When the event was recorded, RFC 3339 as stored.
    pub recorded_at: Box<str>,
    pub key: Option<Box<str>>,
    /// SHA-256 chain hash of the row.
    pub hash: [u8; 32],
}

impl EventMeta {
    pub fn hash_hex(&self) -> String {
        hex::encode(self.hash)
    }
}

/// Metadata of every event of a log, by sequence number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventIndex {
    /// `events[i]` is event `i + 1`: stored sequence numbers are contiguous from 1.
    events: Vec<EventMeta>,
}

impl EventIndex {
    pub fn new() -> EventIndex {
        EventIndex::default()
    }

    /// Reads every row of a store.
    pub fn from_store(store: &mut dyn Store) -> ExportResult<EventIndex> {
        let mut index = EventIndex::new();
        let mut failure = None;
        let scanned = store.scan(0, &mut |row| match index.push(&row) {
            Ok(()) => Ok(()),
            Err(error) => {
                failure = Some(error);
                Err(StoreError::Backend("stopped at a bad event".into()))
            }
        });
        match (scanned, failure) {
            (_, Some(error)) => Err(error),
            (Err(error), None) => Err(error.into()),
            (Ok(()), None) => Ok(index),
        }
    }

    /// Indexes rows given in log order.
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = &'a EventRow>) -> ExportResult<EventIndex> {
        let mut index = EventIndex::new();
        for row in rows {
            index.push(row)?;
        }
        Ok(index)
    }

    /// Adds the next row; it must be event `len() + 1`.
    pub fn push(&mut self, row: &EventRow) -> ExportResult<()> {
        let bad = |message: String| ExportError::BadEvent {
            seq: row.seq,
            message,
        };
        let expected = self.events.len() as u64 + 1;
        if row.seq != expected {
            return Err(bad(format!("expected event {expected} next")));
        }
        let date =
            Date::parse(&row.recorded_at).map_err(|e| bad(format!("bad recorded time: {e}")))?;
        let mut hash = [0u8; 32];
        hex::decode_to_slice(&row.hash, &mut hash)
            .map_err(|e| bad(format!("hash is not 64 hex digits: {e}")))?;
        self.events.push(EventMeta {
            date,
            recorded_at: row.recorded_at.as_str().into(),
            key: row.idempotency_key.as_deref().map(Into::into),
            hash,
        });
        Ok(())
    }

    pub fn get(&self, seq: u64) -> Option<&EventMeta> {
        seq.checked_sub(1)
            .and_then(|i| self.events.get(usize::try_from(i).ok()?))
    }

    /// The metadata of an event the export needs, or an error saying the store lacks it.
    pub(crate) fn require(&self, seq: u64) -> ExportResult<&EventMeta> {
        self.get(seq).ok_or(ExportError::MissingEvent(seq))
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

pub use fairshare_store::RowsStore;
