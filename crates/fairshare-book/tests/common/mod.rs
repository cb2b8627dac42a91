//! Helpers shared by the book's tests: requests (an agent, a project with a rate, work logs)
//! and a copy of a book's log.

#![allow(dead_code)]

use fairshare_book::{Book, MemoryStore, Request};
use fairshare_core::{Command, OPERATOR, Role};
use fairshare_store::Store;

pub const AT: &str = "2026-11-21T12:00:00Z";

pub fn request(actor: &str, command: Command, key: Option<&str>) -> Request {
    Request {
        actor: actor.into(),
        command,
        key: key.map(str::to_string),
        recorded_at: AT.into(),
    }
}

/// Agents named `handles`, the first `custodians` of them custodians and the rest affiliates.
pub fn members(handles: &[&str], custodians: usize) -> Vec<Command> {
    handles
        .iter()
        .enumerate()
        .map(|(i, handle)| {
            let role = if i < custodians {
                Role::Custodian
            } else {
                Role::Affiliate
            };
            Command::add_agent(handle, role)
        })
        .collect()
}

pub fn setup() -> Vec<Request> {
    vec![
        request(OPERATOR, Command::add_agent("ana", Role::Affiliate), None),
        request(OPERATOR, Command::add_project("p", "CAD", 2), None),
        request(OPERATOR, Command::set_rate("p", "build", "30.00"), None),
    ]
}

pub fn work(hours: &str) -> Command {
    work_by("ana", hours)
}

/// Hours of `build` work on project `p` by `agent`.
pub fn work_by(agent: &str, hours: &str) -> Command {
    Command::log_work("p", agent, "build", hours)
}

/// Copies a memory book's rows into a new store, to replay them.
pub fn rows_of(book: &mut Book) -> MemoryStore {
    let mut copy = MemoryStore::new();
    let mut rows = Vec::new();
    book.store_mut()
        .scan(0, &mut |row| {
            rows.push(row);
            Ok(())
        })
        .unwrap();
    copy.append(&rows).unwrap();
    copy
}

/// Inside a test's `impl Store for Wrapper`: the log's reads (`head`, `scan`) passed to the
/// wrapper's `inner` store unchanged, so that the wrapper spells out only what it changes.
#[allow(unused_macros)] // each test binary uses what it needs
macro_rules! reads_from_inner {
    () => {
        fn head(&mut self) -> fairshare_store::StoreResult<u64> {
            self.inner.head()
        }
        fn scan(
            &mut self,
            after: u64,
            visit: &mut dyn FnMut(fairshare_store::EventRow) -> fairshare_store::StoreResult<()>,
        ) -> fairshare_store::StoreResult<()> {
            self.inner.scan(after, visit)
        }
    };
}
#[allow(unused_imports)]
pub(crate) use reads_from_inner;
