//! An in-memory store: for tests, generated books and scratch work. Nothing is durable.

use std::collections::{BTreeMap, HashSet};

use fairshare_store::{
    AppendAll, EventRow, SNAPSHOTS_KEPT, Store, StoreError, StoreResult, check_append,
};

#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    rows: Vec<EventRow>,
    /// The idempotency keys in `rows`.
    keys: HashSet<String>,
    /// Snapshots by the sequence number they stand at.
    snapshots: BTreeMap<u64, Vec<u8>>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }
    pub fn rows(&self) -> &[EventRow] {
        &self.rows
    }

    /// The snapshots kept, by sequence number (a test damages them here).
    pub fn snapshots_mut(&mut self) -> &mut BTreeMap<u64, Vec<u8>> {
        &mut self.snapshots
    }
}

impl Store for MemoryStore {
    fn head(&mut self) -> StoreResult<u64> {
        Ok(self.rows.len() as u64)
    }

    fn scan(
        &mut self,
        after: u64,
        visit: &mut dyn FnMut(EventRow) -> StoreResult<()>,
    ) -> StoreResult<()> {
        for row in self.rows.iter().skip(after as usize) {
            visit(row.clone())?;
        }
        Ok(())
    }

    fn append(&mut self, rows: &[EventRow]) -> StoreResult<()> {
        check_append(self.rows.len() as u64, rows)?;
        let mut batch_keys = HashSet::new();
        for key in rows.iter().filter_map(|r| r.idempotency_key.as_deref()) {
            if self.keys.contains(key) || !batch_keys.insert(key) {
                return Err(StoreError::Conflict(format!(
                    "idempotency key {key:?} is taken"
                )));
            }
        }
        self.keys.extend(batch_keys.into_iter().map(str::to_owned));
        self.rows.extend_from_slice(rows);
        Ok(())
    }

    /// Appends in place and truncates back on failure: no reader can look in meanwhile.
    fn append_all(&mut self, fill: &mut AppendAll<'_>) -> StoreResult<()> {
        let before = self.rows.len();
        let filled = fill(&mut |rows| self.append(rows));
        if filled.is_err() {
            for row in self.rows.drain(before..) {
                if let Some(key) = &row.idempotency_key {
                    self.keys.remove(key);
                }
            }
        }
        filled
    }

    fn put_snapshot(&mut self, seq: u64, bytes: &[u8]) -> StoreResult<()> {
        self.snapshots.insert(seq, bytes.to_vec());
        while self.snapshots.len() > SNAPSHOTS_KEPT {
            self.snapshots.pop_first();
        }
        Ok(())
    }

    fn latest_snapshot(&mut self, at_most: u64) -> StoreResult<Option<(u64, Vec<u8>)>> {
        Ok(self
            .snapshots
            .range(..=at_most)
            .next_back()
            .map(|(seq, bytes)| (*seq, bytes.clone())))
    }

    fn location(&self) -> String {
        "memory".to_string()
    }
}
