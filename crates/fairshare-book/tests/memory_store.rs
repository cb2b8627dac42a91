//! The in-memory store passes the single-handle conformance suite every backend passes.

use fairshare_book::MemoryStore;
use fairshare_store::conformance;

#[test]
fn memory_store_conformance_suite() {
    conformance::run_all(&mut || Box::new(MemoryStore::new()));
}
