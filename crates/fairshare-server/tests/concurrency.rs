//! Many clients at once, every request retried: group commit keeps exactly one event per
//! idempotency key, the book verifies, and reads see every acknowledged write.

mod common;

use common::{TestBook, TestServer};
use fairshare_core::{Command, Role};
use serde_json::json;

const CLIENTS: usize = 16;
const PER_CLIENT: usize = 50;

#[test]
fn sixteen_clients_retrying_every_write() {
    TestBook::each("sixteen_clients_retrying_every_write", |book| {
        let keys = book.custodian_and_project("boss");
        let server = TestServer::start(&book.url);
        let before = server.api(Some(&keys["boss"])).head();
        std::thread::scope(|scope| {
            for client in 0..CLIENTS {
                let api = server.api(Some(&keys["boss"]));
                scope.spawn(move || {
                    for i in 0..PER_CLIENT {
                        let key = format!("c{client}-{i}");
                        let body = json!({"agent": "boss", "kind": "work", "category": "dev",
                                          "hours": format!("{}", i + 1)});
                        let path = "/api/v1/projects/p/contributions";
                        let first = api.call("POST", path, Some(&body), Some(&key)).expect(201);
                        assert!(!first.replayed());
                        let retry = api.call("POST", path, Some(&body), Some(&key)).expect(201);
                        assert!(retry.replayed(), "{key}: {:?}", retry.headers);
                        assert_eq!(retry.body["contribution"], first.body["contribution"]);
                        // A read after an acknowledged write sees it.
                        let id = first.body["contribution"].as_u64().expect("id");
                        api.get(&format!("/api/v1/contributions/{id}")).expect(200);
                    }
                });
            }
        });
        let api = server.api(None);
        let contributions = api
            .get("/api/v1/projects/p/contributions?limit=1")
            .expect(200)
            .body;
        assert_eq!(contributions["total"], CLIENTS * PER_CLIENT);
        assert_eq!(api.head(), before + (CLIENTS * PER_CLIENT) as u64);
        assert_eq!(api.verify_ok(), before + (CLIENTS * PER_CLIENT) as u64);
        let keys = api.exported_keys();
        assert_eq!(keys.len(), CLIENTS * PER_CLIENT);
    });
}

/// Without the store check (a server that is its book's only writer), a read still sees every
/// write this server acknowledged before it.
#[test]
fn own_writes_are_read_without_the_store_check() {
    let book = TestBook::sqlite();
    let keys = book.agents(&[("boss", Role::Custodian)]);
    book.setup(vec![Command::add_project("p", "CAD", 2)]);
    let server = TestServer::start_with(&book.url, |config| config.catch_up_reads = false);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            let api = server.api(Some(&keys["boss"]));
            scope.spawn(move || {
                for _ in 0..50 {
                    let logged = api
                        .post(
                            "/api/v1/projects/p/contributions",
                            json!({"kind": "cash", "amount": "1.00"}),
                        )
                        .expect(201)
                        .body;
                    let id = logged["contribution"].as_u64().expect("id");
                    api.get(&format!("/api/v1/contributions/{id}")).expect(200);
                }
            });
        }
    });
    let api = server.api(None);
    assert_eq!(api.verify_ok(), api.head());
}
