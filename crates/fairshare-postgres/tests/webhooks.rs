//! The webhook conformance suite on PostgreSQL (one fresh schema per book). Runs only when
//! `FAIRSHARE_TEST_POSTGRES` holds a URL (see `tests/conformance.rs`).

use fairshare_postgres::{PostgresCredentials, PostgresStore};
use fairshare_store::conformance;
use fairshare_store::webhooks::WebhookStore;

mod common;

use common::{Schemas, database};

#[test]
fn conformance_suite() {
    let Some(db) = database("webhooks conformance_suite") else {
        return;
    };
    let mut schemas = Schemas::new(&db);
    conformance::run_webhooks(&mut |handles| {
        let url = schemas.fresh();
        drop(PostgresStore::open(&url).unwrap_or_else(|e| panic!("create {url}: {e}")));
        (0..handles)
            .map(|_| {
                Box::new(PostgresCredentials::open(&url).expect("open the credentials"))
                    as Box<dyn WebhookStore>
            })
            .collect()
    });
}
