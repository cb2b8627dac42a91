//! Two server processes' worth of servers on one book: appends are serialised by the log's
//! sequence, and each server reads what the other wrote as soon as it was acknowledged.

mod common;

use common::{TestBook, TestServer};
use serde_json::json;

const WRITERS_EACH: usize = 4;
const WRITES_EACH: usize = 25;

fn two_servers(book: &TestBook) {
    let keys = book.custodian_and_project("boss");
    let first = TestServer::start(&book.url);
    let second = TestServer::start(&book.url);
    let a = first.api(Some(&keys["boss"]));
    let b = second.api(Some(&keys["boss"]));
    let path = "/api/v1/projects/p/contributions";
    let body = json!({"kind": "work", "category": "dev", "hours": "3"});

    // Read-your-writes across servers, both ways.
    for (writer, reader) in [(&a, &b), (&b, &a), (&a, &b)] {
        let written = writer.post(path, body.clone()).expect(201).body;
        let id = written["contribution"].as_u64().expect("id");
        let read = reader
            .get(&format!("/api/v1/contributions/{id}"))
            .expect(200);
        assert_eq!(read.body["value"], "30.00");
        assert_eq!(reader.head(), writer.head());
    }
    // A key used on one server replays on the other.
    let original = a
        .call("POST", path, Some(&body), Some("shared-key"))
        .expect(201);
    let replay = b
        .call("POST", path, Some(&body), Some("shared-key"))
        .expect(201);
    assert!(replay.replayed());
    assert_eq!(replay.body["contribution"], original.body["contribution"]);
    // A policy set on one server values the next contribution on the other.
    a.put("/api/v1/projects/p/rates/dev", json!({"per_hour": "20.00"}))
        .expect(200);
    let revalued = b.post(path, body.clone()).expect(201).body;
    assert_eq!(revalued["value"], "60.00");

    // Both at once.
    let before = a.head();
    std::thread::scope(|scope| {
        for (server, api) in [("a", &a), ("b", &b)] {
            for writer in 0..WRITERS_EACH {
                let api = api.clone();
                let body = body.clone();
                scope.spawn(move || {
                    for i in 0..WRITES_EACH {
                        api.call(
                            "POST",
                            path,
                            Some(&body),
                            Some(&format!("{server}{writer}-{i}")),
                        )
                        .expect(201);
                    }
                });
            }
        }
    });
    let written = (2 * WRITERS_EACH * WRITES_EACH) as u64;
    assert_eq!(a.head(), before + written);
    assert_eq!(b.head(), before + written);
    let listed = |api: &common::Api| {
        api.get("/api/v1/projects/p/contributions?limit=1")
            .expect(200)
            .body["total"]
            .clone()
    };
    assert_eq!(listed(&a), listed(&b));
    assert_eq!(a.verify_ok(), before + written);
    assert_eq!(a.exported_keys().len() as u64, written + 1);
}

#[test]
fn two_servers_on_one_postgres_book() {
    if let Some(book) = TestBook::postgres("two_servers_on_one_postgres_book") {
        two_servers(&book);
    }
}

#[test]
fn two_servers_on_one_sqlite_book() {
    two_servers(&TestBook::sqlite());
}

/// Two servers opened on a book with a snapshot and events after it: each starts from the
/// snapshot (writer and read model) and replays the tail, and both answer as the log says.
fn two_servers_from_a_snapshot(book: &TestBook) {
    let keys = book.custodian_and_project("boss");
    let log = |hours: &str| fairshare_core::Command::log_work("p", "boss", "dev", hours);
    book.setup((1..=10).map(|h| log(&h.to_string())).collect());
    let at = book.snapshot();
    book.setup(vec![log("100"), log("200")]);
    let first = TestServer::start(&book.url);
    let second = TestServer::start(&book.url);
    for server in [&first, &second] {
        let api = server.api(Some(&keys["boss"]));
        assert_eq!(api.head(), at + 2);
        let listed = api
            .get("/api/v1/projects/p/contributions?limit=1")
            .expect(200)
            .body;
        assert_eq!(listed["total"], 12);
        let last = api.get("/api/v1/contributions/12").expect(200).body;
        assert_eq!(last["value"], "2000.00");
    }
    let a = first.api(Some(&keys["boss"]));
    let b = second.api(Some(&keys["boss"]));
    let body = json!({"kind": "work", "category": "dev", "hours": "1"});
    a.post("/api/v1/projects/p/contributions", body.clone())
        .expect(201);
    let written = b
        .post("/api/v1/projects/p/contributions", body)
        .expect(201)
        .body;
    assert_eq!(written["contribution"], 14);
    assert_eq!(a.verify_ok(), at + 4);
}

#[test]
fn two_servers_from_a_snapshot_on_postgres() {
    if let Some(book) = TestBook::postgres("two_servers_from_a_snapshot_on_postgres") {
        two_servers_from_a_snapshot(&book);
    }
}

#[test]
fn two_servers_from_a_snapshot_on_sqlite() {
    two_servers_from_a_snapshot(&TestBook::sqlite());
}

/// The server writes its automatic snapshots itself, beside its writer (from the read model's
/// state): every `snapshot_every` events one stands at the head the server had reached, a
/// restarted server opens from it, and `verify` compares it with the replay.
fn a_server_snapshots_beside_its_writer(book: &TestBook) {
    let keys = book.custodian_and_project("boss");
    let first = TestServer::start_with(&book.url, |config| config.snapshot_every = Some(5));
    let api = first.api(Some(&keys["boss"]));
    let body = json!({"kind": "work", "category": "dev", "hours": "2"});
    for _ in 0..12 {
        api.post("/api/v1/projects/p/contributions", body.clone())
            .expect(201);
    }
    let head = api.head();
    first.stop().expect("the server stops");
    let backend = fairshare_ops::backend::Backend::parse(&book.url).expect("the book's URL");
    if let Some(path) = backend.sqlite_path() {
        let sidecar = fairshare_sqlite::snapshots_path(path);
        assert!(
            sidecar.exists(),
            "SQLite keeps them in {}",
            sidecar.display()
        );
    }
    let mut store = backend
        .open_store(fairshare_ops::backend::Access::Existing)
        .expect("open store");
    let (seq, bytes) = store
        .latest_snapshot(head)
        .expect("read snapshots")
        .expect("the server wrote a snapshot");
    // The follower writes after each batch that brings 5 events or more since the last.
    assert!(seq >= 5 && seq <= head, "snapshot at {seq}, head {head}");
    let header = fairshare_core::snapshot_header(&bytes).expect("a sound snapshot");
    assert_eq!(header.seq, seq);
    let verified = fairshare_book::verify(store.as_mut()).expect("verify runs");
    assert_eq!(verified.problem, None);
    assert_eq!(verified.events, head);
    assert!(verified.snapshots_checked.contains(&seq), "{verified:?}");
    drop(store);

    let second = TestServer::start(&book.url);
    let api = second.api(Some(&keys["boss"]));
    let listed = api
        .get("/api/v1/projects/p/contributions?limit=1")
        .expect(200)
        .body;
    assert_eq!(listed["total"], 12);
    let report = api.get("/api/v1/verify").expect(200).body;
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["events"], head);
    let checked = report["snapshots_checked"]
        .as_array()
        .expect("snapshots checked");
    assert!(checked.contains(&json!(seq)), "{report}");
}

#[test]
fn a_server_snapshots_beside_its_writer_on_sqlite() {
    a_server_snapshots_beside_its_writer(&TestBook::sqlite());
}

#[test]
fn a_server_snapshots_beside_its_writer_on_postgres() {
    if let Some(book) = TestBook::postgres("a_server_snapshots_beside_its_writer_on_postgres") {
        a_server_snapshots_beside_its_writer(&book);
    }
}
