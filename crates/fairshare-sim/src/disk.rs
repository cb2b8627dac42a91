//! The simulated disk and the faults it injects. The disk (a [`MemoryStore`] behind a shared
//! handle) outlives every "process": a crash drops the book and the store handle, and the next
//! process opens the same disk. A fault is armed by the simulator and consumed by the next
//! call it applies to, so each one lands at a step the seed chose.

use std::sync::{Arc, Mutex, MutexGuard};

use fairshare_book::MemoryStore;
use fairshare_store::{EventRow, Store, StoreError, StoreResult};

/// One injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The append fails and writes nothing: a lost connection, a full disk, a crash in the
    /// middle of a batch's transaction (an append is atomic, so nothing of it survives).
    AppendLost,
    /// The append is durable but its answer is lost: a crash between append and apply.
    AckLost,
    /// The next read of the log fails (a catch-up before a write).
    ReadFailed,
}

/// The faults armed for the next calls, shared by the simulator and the store of the
/// current process.
pub type Armed = Arc<Mutex<Option<Fault>>>;

/// The disk: every row ever made durable.
#[derive(Clone, Default)]
pub struct Disk(Arc<Mutex<MemoryStore>>);

impl Disk {
    pub fn lock(&self) -> MutexGuard<'_, MemoryStore> {
        self.0.lock().expect("the simulator runs on one thread")
    }

    /// Loses the newest row, as a disk that lied about durability would.
    pub fn lose_last_row(&self) {
        let mut disk = self.lock();
        let rows = disk.rows();
        let kept = rows[..rows.len().saturating_sub(1)].to_vec();
        let mut shorter = MemoryStore::new();
        shorter
            .append(&kept)
            .expect("a prefix of a valid log appends");
        *disk = shorter;
    }

    /// Flips one byte of the newest snapshot (a sector gone bad): the book must pass over it.
    /// False when there is none.
    pub fn damage_newest_snapshot(&self, at: u64) -> bool {
        let mut disk = self.lock();
        let Some((_, bytes)) = disk.snapshots_mut().iter_mut().next_back() else {
            return false;
        };
        let index = (at % bytes.len().max(1) as u64) as usize;
        if let Some(byte) = bytes.get_mut(index) {
            *byte ^= 0x5A;
        }
        true
    }

    /// A copy of every row, as a store of its own (for replay and verify).
    pub fn copy(&self) -> MemoryStore {
        self.lock().clone()
    }
}

/// The store a simulated process opens: the disk, through the armed faults.
pub struct FaultyStore {
    disk: Disk,
    armed: Armed,
}

impl FaultyStore {
    pub fn new(disk: Disk, armed: Armed) -> FaultyStore {
        FaultyStore { disk, armed }
    }

    /// Takes the armed fault if it is one of `kinds`.
    fn take(&self, kinds: &[Fault]) -> Option<Fault> {
        let mut armed = self.armed.lock().expect("one thread");
        match *armed {
            Some(fault) if kinds.contains(&fault) => armed.take(),
            _ => None,
        }
    }
}

impl Store for FaultyStore {
    fn head(&mut self) -> StoreResult<u64> {
        self.disk.lock().head()
    }

    fn scan(
        &mut self,
        after: u64,
        visit: &mut dyn FnMut(EventRow) -> StoreResult<()>,
    ) -> StoreResult<()> {
        if self.take(&[Fault::ReadFailed]).is_some() {
            return Err(StoreError::Backend("simulated read failure".into()));
        }
        // Rows are copied out first: a visit may not hold the disk.
        let rows: Vec<EventRow> = self.disk.lock().rows()[after as usize..].to_vec();
        rows.into_iter().try_for_each(visit)
    }

    fn append(&mut self, rows: &[EventRow]) -> StoreResult<()> {
        match self.take(&[Fault::AppendLost, Fault::AckLost]) {
            Some(Fault::AppendLost) => Err(StoreError::Backend("simulated lost append".into())),
            Some(_) => {
                self.disk.lock().append(rows)?;
                Err(StoreError::Backend(
                    "simulated crash after a durable append".into(),
                ))
            }
            None => self.disk.lock().append(rows),
        }
    }

    fn put_snapshot(&mut self, seq: u64, bytes: &[u8]) -> StoreResult<()> {
        self.disk.lock().put_snapshot(seq, bytes)
    }

    fn latest_snapshot(&mut self, at_most: u64) -> StoreResult<Option<(u64, Vec<u8>)>> {
        self.disk.lock().latest_snapshot(at_most)
    }

    fn location(&self) -> String {
        "simulated disk".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fairshare_book::Book;
    use fairshare_core::{Command, OPERATOR, Role};

    const AT: &str = "2026-01-01T00:00:00Z";

    fn open(disk: &Disk, armed: &Armed) -> Book {
        Book::open(Box::new(FaultyStore::new(disk.clone(), armed.clone()))).expect("open")
    }

    #[test]
    fn a_lost_append_writes_nothing_and_a_lost_answer_keeps_the_row() {
        let (disk, armed) = (Disk::default(), Armed::default());
        let mut book = open(&disk, &armed);
        let add = |handle| Command::add_agent(handle, Role::Affiliate);
        *armed.lock().unwrap() = Some(Fault::AppendLost);
        assert!(book.execute(OPERATOR, &add("ana"), Some("k1"), AT).is_err());
        assert_eq!(disk.lock().rows().len(), 0);
        *armed.lock().unwrap() = Some(Fault::AckLost);
        assert!(book.execute(OPERATOR, &add("ana"), Some("k1"), AT).is_err());
        assert_eq!(disk.lock().rows().len(), 1);
        // The retry finds the durable row: the first result, nothing new.
        let retried = book.execute(OPERATOR, &add("ana"), Some("k1"), AT).unwrap();
        assert!(retried.replayed);
        assert_eq!(retried.seq, 1);
        assert_eq!(open(&disk, &armed).state(), book.state());
    }
}
