//! Bad input over HTTP is refused with the right status and a problem document that names the
//! problem, and leaves the book unchanged.

mod common;

use common::{TestBook, TestServer};
use serde_json::json;

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    TestBook::each("bad_input_is_refused_and_changes_nothing", |book| {
        let keys = book.custodian_and_project("ana");
        let server = TestServer::start(&book.url);
        let ana = server.api(Some(&keys["ana"]));
        let head = ana.head();
        let path = "/api/v1/projects/p/contributions";

        let problem = |answer: common::Answer, status: u16, kind: &str, words: &str| {
            let answer = answer.expect(status);
            assert_eq!(answer.content_type(), "application/problem+json");
            assert_eq!(answer.body["status"], status);
            assert_eq!(answer.body["type"], format!("urn:fairshare:problem:{kind}"));
            let detail = answer.body["detail"].as_str().unwrap_or_default();
            assert!(detail.contains(words), "{detail:?} should name {words:?}");
        };

        // Malformed JSON.
        let malformed = ana.raw(
            "POST",
            path,
            reqwest::blocking::Body::from(r#"{"kind": "work", "hours": "#),
        );
        problem(malformed, 400, "bad-request", "malformed JSON");
        // Unknown fields, wrong types, missing fields: serde's message, which names them.
        problem(
            ana.post(
                path,
                json!({"kind": "work", "hours": "1", "category": "dev", "bogus": 1}),
            ),
            400,
            "bad-request",
            "unknown field `bogus`",
        );
        problem(
            ana.post(path, json!({"kind": "work", "hours": 1, "category": "dev"})),
            400,
            "bad-request",
            "invalid type",
        );
        problem(
            ana.post(path, json!({"kind": "labour", "hours": "1"})),
            400,
            "bad-request",
            "unknown variant `labour`",
        );
        problem(
            ana.post("/api/v1/agents", json!({"handle": "x"})),
            400,
            "bad-request",
            "missing field `role`",
        );
        // Refused by the core: over-precise amounts, negative hours, bad dates.
        problem(
            ana.post(path, json!({"kind": "cash", "amount": "1.005"})),
            422,
            "invalid",
            "has 3 decimals but the asset has 2",
        );
        problem(
            ana.post("/api/v1/projects/p/revenue", json!({"amount": "12.345"})),
            422,
            "invalid",
            "3 decimals",
        );
        problem(
            ana.post(
                path,
                json!({"kind": "work", "hours": "-3", "category": "dev"}),
            ),
            422,
            "invalid",
            "-3",
        );
        problem(
            ana.post(
                path,
                json!({"kind": "work", "hours": "1", "category": "dev", "date": "2026-02-30"}),
            ),
            422,
            "invalid",
            "2026-02-30",
        );
        problem(
            ana.post(
                path,
                json!({"kind": "work", "hours": "1", "category": "dev", "amount": "3.00"}),
            ),
            422,
            "invalid",
            "takes no amount",
        );
        problem(
            ana.put(
                "/api/v1/projects/p/plan",
                json!({"bucket": [{"type": "percent", "percent": "ten", "to": "x"}]}),
            ),
            422,
            "invalid",
            "ten",
        );
        // Rules 3 (issue 18): numbers with spaces, hours past 6 decimals, lookalike handles;
        // each names the request field.
        let field_of = |answer: common::Answer, status: u16, detail: &str| {
            let answer = answer.expect(status);
            assert_eq!(answer.body["detail"], detail);
            answer.body["field"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        };
        let spaced = ana.post(path, json!({"kind": "cash", "amount": " 1.00"}));
        assert_eq!(
            field_of(
                spaced,
                422,
                "malformed number \" 1.00\": write it without spaces, as \"1.00\""
            ),
            "amount"
        );
        let long = ana.post(
            path,
            json!({"kind": "work", "hours": "1.0000000000000000001", "category": "dev"}),
        );
        assert_eq!(
            field_of(
                long,
                422,
                "hours \"1.0000000000000000001\" have 19 decimals: at most 6, never rounded"
            ),
            "hours"
        );
        let lookalike = ana.post(
            "/api/v1/agents",
            json!({"handle": "\u{430}na", "role": "observer"}),
        );
        assert_eq!(
            field_of(
                lookalike,
                409,
                "handle \"\u{430}na\" looks like the existing agent \"ana\": choose a handle \
                 nobody can mistake for it"
            ),
            "handle"
        );
        // A search of the log for a kind of event there is none of.
        let kind = ana.get("/api/v1/log/search?kind=payday&agent=ana");
        assert_eq!(
            field_of(
                kind,
                422,
                "kind \"payday\" is no kind of event: use an operation such as log or revenue"
            ),
            "kind"
        );
        // Not found, conflicts.
        problem(
            ana.post(
                "/api/v1/projects/nope/contributions",
                json!({"kind": "work", "hours": "1", "category": "dev"}),
            ),
            404,
            "not-found",
            "nope",
        );
        problem(
            ana.post(
                "/api/v1/agents",
                json!({"handle": "ana", "role": "observer"}),
            ),
            409,
            "conflict",
            "ana",
        );
        // An oversized body: with a Content-Length (refused before it is read) and chunked.
        let note = "x".repeat(fairshare_server::BODY_LIMIT_BYTES + 1);
        let big = json!({"kind": "work", "hours": "1", "category": "dev", "note": note});
        problem(
            ana.post(path, big.clone()),
            413,
            "payload-too-large",
            "limit",
        );
        // The server answers 413 once the limit is passed and closes the connection; the
        // client may still be writing the last bytes and see the close first. Retry until it
        // reads the answer (the book staying unchanged is checked below either way).
        let refused = (0..10)
            .find_map(|_| {
                let chunked = reqwest::blocking::Body::new(std::io::Cursor::new(big.to_string()));
                ana.try_raw("POST", path, chunked).ok()
            })
            .expect("a chunked oversized upload read its answer in 10 tries");
        problem(refused, 413, "payload-too-large", "limit");
        // Bad paths, queries and headers.
        problem(ana.get("/api/v1/contributions/abc"), 400, "bad-request", "");
        problem(ana.get("/api/v1/agents?limit=5000"), 422, "invalid", "5000");
        problem(
            ana.get("/api/v1/agents?limit=x"),
            400,
            "bad-request",
            "limit",
        );
        problem(
            ana.get("/api/v1/agents?bogus=1"),
            400,
            "bad-request",
            "bogus",
        );
        problem(
            ana.get("/api/v1/nowhere"),
            404,
            "not-found",
            "no such route",
        );
        problem(
            ana.call("PATCH", "/api/v1/agents", None, None),
            405,
            "method-not-allowed",
            "method",
        );
        // A header value with a control character, sent as raw bytes (no client sends one).
        let answer = raw_request(
            &server.base,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
                 Idempotency-Key: a\x01b\r\nContent-Type: application/json\r\n\
                 Content-Length: 2\r\nConnection: close\r\n\r\n{{}}",
                keys["ana"]
            ),
        );
        let (head_part, body) = answer.split_once("\r\n\r\n").expect("an answer");
        assert!(head_part.starts_with("HTTP/1.1 400 "), "{answer}");
        assert!(
            head_part
                .to_ascii_lowercase()
                .contains("content-type: application/problem+json"),
            "{answer}"
        );
        let doc: serde_json::Value = serde_json::from_str(body).expect("a problem document");
        assert_eq!(doc["type"], "urn:fairshare:problem:bad-request");
        assert_eq!(
            doc["detail"],
            "the Idempotency-Key header must be printable ASCII: it has a control character"
        );
        let long_key = "k".repeat(fairshare_book::KEY_LEN_MAX + 1);
        problem(
            ana.call(
                "POST",
                path,
                Some(&json!({"kind": "work", "hours": "1", "category": "dev"})),
                Some(&long_key),
            ),
            422,
            "invalid",
            "idempotency key",
        );

        assert_eq!(ana.head(), head, "refused requests changed the book");
        assert_eq!(ana.verify_ok(), head);
        // And a good request still works.
        ana.post(
            path,
            json!({"kind": "work", "hours": "1", "category": "dev"}),
        )
        .expect(201);
        assert_eq!(ana.head(), head + 1);
    });
}

/// Sends `request` as written to the server at `base` and reads the whole answer.
fn raw_request(base: &str, request: &str) -> String {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    answer
}
