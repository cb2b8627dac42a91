//! The webhook conformance suite on SQLite files.

use fairshare_sqlite::{SqliteCredentials, SqliteStore};
use fairshare_store::conformance;
use fairshare_store::webhooks::WebhookStore;

#[test]
fn conformance_suite() {
    let dir = tempfile::tempdir().expect("create a temp dir");
    let mut n = 0;
    conformance::run_webhooks(&mut |handles| {
        n += 1;
        let path = dir.path().join(format!("book-{n}.db"));
        drop(SqliteStore::open(&path).expect("create a book"));
        (0..handles)
            .map(|_| {
                Box::new(SqliteCredentials::open(&path).expect("open the credentials"))
                    as Box<dyn WebhookStore>
            })
            .collect()
    });
}
