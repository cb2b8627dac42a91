//! An in-memory store: for tests, generated books and scratch work. Nothing is durable.

use std::collections::HashSet;

use fairshare_store::{AppendAll, EventRow, Store, StoreError, StoreResult, check_append};

#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    rows: Vec<EventRow>,
    /// The idempotency keys in `rows`.
    keys: HashSet<String>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }
    pub fn rows(&self) -> &[EventRow] {
        &self.rows
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

    fn location(&self) -> String {
        "memory".to_string()
    }
}
