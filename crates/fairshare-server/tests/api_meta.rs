//! The served OpenAPI document matches the route table; credentials stay out of the log, are
//! refused once expired or revoked, and those of books from older servers still work.

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
            .replace("{name}", "nope")
            .replace("{project}", "nope")
            .replace("{campaign}", "nope")
            .replace("{resource}", "nope")
            .replace("{round}", "999")
            .replace("{symbol}", "NOPE")
            .replace("{task}", "nope");
        if *path == "/api/v1/events" {
            // A live stream never ends: its answer is its status and content type.
            let stream = reqwest::blocking::get(format!("{}{path}", server.base)).expect("stream");
            assert_eq!(stream.status(), 200);
            assert!(common::header(&stream, "content-type").starts_with("text/event-stream"));
            continue;
        }
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
    assert!(key.starts_with(fairshare_ops::credentials::API_KEY_PREFIX));
    common::set_password(&book.url, "ana", "correct horse battery").expect("set");
    assert!(common::verify_password(&book.url, "ana", "correct horse battery").expect("check"));
    assert!(!common::verify_password(&book.url, "ana", "wrong").expect("check"));
    assert!(!common::verify_password(&book.url, "bob", "anything").expect("check"));
    assert!(common::set_password(&book.url, "ana", "short").is_err());
    // Keys only for agents of the book, and only for a book that exists.
    let unknown = common::create_api_key(&book.url, "bob").expect_err("unknown agent");
    assert!(format!("{unknown:#}").contains("bob"));
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("missing.db");
    assert!(common::create_api_key(&missing.to_string_lossy(), "ana").is_err());
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
    common::set_password(&book.url, "ana", "correct horse battery").expect("set");
    assert!(common::verify_password(&book.url, "ana", "correct horse battery").expect("check"));
    let server = TestServer::start_with(&book.url, |config| config.public = false);
    server
        .api(Some(&keys["ana"]))
        .get("/api/v1/agents")
        .expect(200);
    server.api(None).get("/api/v1/agents").expect(401);
}

#[test]
fn keys_and_passwords_of_a_book_from_an_older_server_still_work() {
    use fairshare_ops::credentials::{generate_api_key, hash_api_key, hash_password};
    for book in TestBook::all("keys_and_passwords_of_a_book_from_an_older_server_still_work") {
        book.setup(vec![fairshare_core::Command::AddAgent {
            handle: "ana".into(),
            name: None,
            role: Role::Affiliate,
        }]);
        // What an older `fairshare key create` and `password set` left in the book.
        let key = generate_api_key().expect("key");
        let phc = hash_password("correct horse battery").expect("hash");
        book.raw_sql(fairshare_store::conformance::credentials::OLD_LAYOUT);
        book.raw_sql(&format!(
            "INSERT INTO fs_api_keys (key_hash, agent, created_at) \
             VALUES ('{}', 'ana', '2025-06-01T08:00:00Z'); \
             INSERT INTO fs_credentials (agent, password_phc, updated_at) \
             VALUES ('ana', '{phc}', '2025-06-01T08:00:00Z');",
            hash_api_key(&key)
        ));
        let server = TestServer::start_with(&book.url, |config| config.public = false);
        server.api(Some(&key)).get("/api/v1/agents").expect(200);
        assert!(
            common::verify_password(&book.url, "ana", "correct horse battery").expect("check"),
            "{}: the old password still checks",
            book.backend
        );
        // New keys go into the migrated table beside the old one.
        let new_key = common::create_api_key(&book.url, "ana").expect("new key");
        server.api(Some(&new_key)).get("/api/v1/agents").expect(200);
        let keys = book.credentials().list_api_keys("ana").expect("list");
        assert_eq!(keys.len(), 2, "{}: {keys:?}", book.backend);
        assert_eq!(keys[0].id, hash_api_key(&key)[..16], "the old key's id");
    }
}

#[test]
fn expired_and_revoked_keys_are_refused() {
    use fairshare_ops::credentials::{generate_api_key, hash_api_key};
    use fairshare_store::credentials::NewApiKey;
    for book in TestBook::all("expired_and_revoked_keys_are_refused") {
        let keys = book.agents(&[("ana", Role::Affiliate)]);
        let mut store = book.credentials();
        let mut add = |created_at: &str, expires_at: Option<&str>| {
            let key = generate_api_key().expect("key");
            let stored = store
                .add_api_key(&NewApiKey {
                    agent: "ana",
                    key_hash: &hash_api_key(&key),
                    created_at,
                    expires_at,
                })
                .expect("add");
            (key, stored.id)
        };
        let (expiring_later, _) = add("2026-01-01T00:00:00Z", Some("2099-01-01T00:00:00Z"));
        let (expired, _) = add("2020-01-01T00:00:00Z", Some("2020-02-01T00:00:00Z"));
        let (revoked, revoked_id) = add("2026-01-01T00:00:00Z", None);
        store
            .revoke_api_key(&revoked_id, "2026-01-02T00:00:00Z")
            .expect("revoke");

        let server = TestServer::start(&book.url);
        server
            .api(Some(&expiring_later))
            .get("/api/v1/agents")
            .expect(200);
        for (what, key) in [("expired", &expired), ("revoked", &revoked)] {
            let refused = server.api(Some(key)).get("/api/v1/agents").expect(401);
            assert!(
                refused.text.contains("unknown API key"),
                "{what}: {}",
                refused.text
            );
        }

        // A key in use, revoked by another process (here: another handle), is refused at its
        // very next request: the server trusts no key it has not just asked the store about.
        let key = &keys["ana"];
        server.api(Some(key)).get("/api/v1/agents").expect(200);
        let id = hash_api_key(key)[..16].to_string();
        store
            .revoke_api_key(&id, "2026-01-03T00:00:00Z")
            .expect("revoke a key in use");
        server.api(Some(key)).get("/api/v1/agents").expect(401);
        // Unrelated keys keep working.
        server
            .api(Some(&expiring_later))
            .get("/api/v1/agents")
            .expect(200);
    }
}

/// Found by schemathesis (scripts/conformance): the `Idempotency-Key` header and the path
/// parameter of `POST /api/v1/projects/{project}/governance` had no schema, so no client
/// could generate them, and both governance writes (whose requests flatten their settings)
/// documented no body at all. Found beside it: the 429 any keyed request gets after bad keys
/// from its address was documented on no operation.
#[test]
fn every_parameter_has_a_schema_and_flattened_requests_document_their_body() {
    let book = TestBook::sqlite();
    let server = TestServer::start(&book.url);
    let api = server.api(None);
    let document = api.get("/api/openapi.json").expect(200).body;
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            // A keyed request may be slowed after bad keys from its address (tests/login.rs).
            if operation["security"].to_string().contains("api_key") {
                assert!(
                    operation["responses"]["429"].is_object(),
                    "{method} {path}: 429 undocumented"
                );
            }
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                assert!(
                    parameter["schema"].is_object(),
                    "{method} {path}: parameter {} has no schema",
                    parameter["name"]
                );
            }
        }
    }
    let key = &document["paths"]["/api/v1/agents"]["post"]["parameters"][0];
    assert_eq!(key["name"], "Idempotency-Key");
    assert_eq!(key["schema"]["maxLength"], 200);
    for path in [
        "/api/v1/projects/{project}/governance",
        "/api/v1/governance",
    ] {
        let body = &document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"];
        let fields: BTreeSet<&str> = body["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{path}: no body documented"))
            .keys()
            .map(String::as_str)
            .collect();
        let expected = [
            "mode",
            "notice_days",
            "quorum",
            "threshold",
            "voting_days",
            "weight",
        ];
        assert_eq!(fields, BTreeSet::from(expected), "{path}");
        assert_eq!(body["required"], serde_json::json!(["mode"]), "{path}");
    }
}

/// Found beside schemathesis's run: reads that only some roles may make answered a 403 their
/// operations did not document. Checked live, as an affiliate.
#[test]
fn a_read_refused_to_a_role_answers_a_documented_403() {
    let book = TestBook::sqlite();
    let keys = book.agents(&[("ana", Role::Custodian), ("abran", Role::Affiliate)]);
    let server = TestServer::start(&book.url);
    let document = server.api(None).get("/api/openapi.json").expect(200).body;
    let affiliate = server.api(Some(&keys["abran"]));
    for (path, asked) in [
        ("/api/v1/join", "/api/v1/join"),
        ("/api/v1/agents/{agent}/keys", "/api/v1/agents/ana/keys"),
    ] {
        let answer = affiliate.get(asked).expect(403);
        assert_eq!(answer.body["type"], "urn:fairshare:problem:forbidden");
        let documented = &document["paths"][path]["get"]["responses"]["403"];
        assert!(documented.is_object(), "GET {path}: 403 undocumented");
    }
}
