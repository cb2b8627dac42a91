//! An in-memory store: for tests, generated books and scratch work. Nothing is durable.

use fairshare_store::{EventRow, Store, StoreError, StoreResult};

#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    rows: Vec<EventRow>,
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
        let expected = self.rows.len() as u64 + 1;
        for (offset, row) in rows.iter().enumerate() {
            if row.seq != expected + offset as u64 {
                return Err(StoreError::Gap {
                    expected: expected + offset as u64,
                    got: row.seq,
                });
            }
            if let Some(key) = &row.idempotency_key
                && self
                    .rows
                    .iter()
                    .any(|r| r.idempotency_key.as_ref() == Some(key))
            {
                return Err(StoreError::Conflict(format!(
                    "idempotency key {key:?} is taken"
                )));
            }
        }
        self.rows.extend_from_slice(rows);
        Ok(())
    }

    fn location(&self) -> String {
        "memory".to_string()
    }
}
