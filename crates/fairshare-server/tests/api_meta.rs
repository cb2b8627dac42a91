//! The served OpenAPI document matches the route table; credentials stay out of the log.

mod common;

use std::collections::BTreeSet;

use common::{TestBook, TestServer};
use fairshare_core::Role;

#[test]
fn the_served_document_lists_exactly_the_routes() {
    let book = TestBook::sqlite();
    let server = TestServer::start(&book.url);
    let api = server.api(None);
    let health = api.get("/healthz").expect(200).body;
    assert_eq!(health["status"], "ok");
    let document = api.get("/api/openapi.json").expect(200).body;
    assert!(
        document["openapi"]
            .as_str()
            .unwrap_or("")
            .starts_with("3.1")
    );
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, _) in item.as_object().expect("operations") {
            if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let routes: BTreeSet<(String, String)> = fairshare_server::route_table()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, routes);
    // Every route answers (not the router's 404/405) with its documented method.
    for (method, path) in &routes {
        let concrete = path
            .replace("{slug}", "nope")
            .replace("{id}", "999")
            .replace("{handle}", "nope")
            .replace("{category}", "dev")
            .replace("{agent}", "nope")
            .replace("{kind}", "work")
            .replace("{account}", "nope")
            .replace("{name}", "nope");
        let answer = api.call(method, &concrete, None, None);
        assert!(
            answer.status != 405 && !answer.text.contains("no such route"),
            "{method} {path}: {}",
            answer.text
        );
    }
    assert!(document["components"]["securitySchemes"]["api_key"].is_object());
    assert!(document["components"]["schemas"]["Problem"].is_object());
}

#[test]
fn credentials_live_beside_the_log_not_in_it() {
    let book = TestBook::sqlite();
    let keys = book.agents(&[("ana", Role::Affiliate)]);
    let key = &keys["ana"];
    assert!(key.starts_with(fairshare_server::API_KEY_PREFIX));
    fairshare_server::set_password(&book.url, "ana", "correct horse battery").expect("set");
    assert!(
        fairshare_server::verify_password(&book.url, "ana", "correct horse battery")
            .expect("check")
    );
    assert!(!fairshare_server::verify_password(&book.url, "ana", "wrong").expect("check"));
    assert!(!fairshare_server::verify_password(&book.url, "bob", "anything").expect("check"));
    assert!(fairshare_server::set_password(&book.url, "ana", "short").is_err());
    // Keys only for agents of the book, and only for a book that exists.
    let unknown = fairshare_server::create_api_key(&book.url, "bob").expect_err("unknown agent");
    assert!(format!("{unknown:#}").contains("bob"));
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("missing.db");
    assert!(fairshare_server::create_api_key(&missing.to_string_lossy(), "ana").is_err());
    assert!(!missing.exists(), "a typo must not create a book");

    let server = TestServer::start(&book.url);
    let api = server.api(Some(key));
    let export = api.get("/api/v1/export").expect(200).text;
    assert!(
        !export.contains("fsk_") && !export.contains("argon2"),
        "{export}"
    );
    // The hash is in its own table, the secret nowhere.
    let conn = rusqlite::Connection::open(&book.url).expect("open");
    let stored: String = conn
        .query_row(
            "SELECT key_hash FROM fs_api_keys WHERE agent = 'ana'",
            [],
            |r| r.get(0),
        )
        .expect("row");
    assert_eq!(stored.len(), 64);
    assert!(!stored.contains(key.as_str()));
    assert!(!export.contains(&stored));
    assert_eq!(api.verify_ok(), api.head());
}

#[test]
fn credentials_on_postgres() {
    let Some(book) = TestBook::postgres("credentials_on_postgres") else {
        return;
    };
    let keys = book.agents(&[("ana", Role::Observer)]);
    fairshare_server::set_password(&book.url, "ana", "correct horse battery").expect("set");
    assert!(
        fairshare_server::verify_password(&book.url, "ana", "correct horse battery")
            .expect("check")
    );
    let server = TestServer::start_with(&book.url, |config| config.public = false);
    server
        .api(Some(&keys["ana"]))
        .get("/api/v1/agents")
        .expect(200);
    server.api(None).get("/api/v1/agents").expect(401);
}
