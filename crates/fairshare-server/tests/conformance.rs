//! The status codes of the OpenAPI document that schemathesis' run of `scripts/conformance`
//! does not provoke, provoked here on a real port for EVERY operation that documents them:
//! each test walks the served document, so an operation added later is covered at once.
//! `scripts/conformance-reached` names these tests; `scripts/conformance` fails on a
//! documented (operation, status) that neither its run answered nor that file lists.

mod common;

use common::{Answer, Api, TestBook, TestServer};
use fairshare_core::Role;
use serde_json::{Map, Value, json};

/// One operation of the document.
struct Op {
    method: String,
    path: String,
    entry: Value,
}

impl Op {
    fn documents(&self, status: u16) -> bool {
        self.entry["responses"][status.to_string()].is_object()
    }

    fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The path with every parameter filled with a value of the test book.
    fn concrete_path(&self) -> String {
        self.path
            .split('/')
            .map(|segment| match segment {
                "{project}" => "p",
                "{agent}" | "{handle}" | "{account}" => "ana",
                "{category}" => "dev",
                "{kind}" => "work",
                "{symbol}" => "TOK",
                "{resource}" | "{slug}" | "{task}" => "r",
                s if s.starts_with('{') => "1",
                s => s,
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The path with `x` for its first integer parameter, if it has one.
    fn path_with_a_word_for_a_number(&self) -> Option<String> {
        let parameters = self.entry["parameters"].as_array()?;
        let number = parameters.iter().find(|p| {
            p["in"] == "path"
                && ["integer", "number"].contains(&p["schema"]["type"].as_str().unwrap_or(""))
        })?;
        let name = number["name"].as_str()?;
        Some(self.concrete_path_with(name, "x"))
    }

    fn concrete_path_with(&self, name: &str, value: &str) -> String {
        let marked = self.path.replace(&format!("{{{name}}}"), "\u{1}");
        Op {
            path: marked,
            method: self.method.clone(),
            entry: Value::Null,
        }
        .concrete_path()
        .replace('\u{1}', value)
    }

    /// Its required query parameters, with the smallest values they take.
    fn required_query(&self, document: &Value) -> String {
        let parameters = self.entry["parameters"].as_array().into_iter().flatten();
        let mut pairs: Vec<String> = parameters
            .filter(|p| p["in"] == "query" && p["required"] == true)
            .map(|p| {
                let value = match p["name"].as_str() {
                    Some("year") => json!("2026"),
                    _ => minimal(document, &p["schema"]),
                };
                let text = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_string);
                format!("{}={text}", p["name"].as_str().unwrap_or_default())
            })
            .collect();
        if self.path == "/api/v1/export" {
            // A journal is written from the state, which is read first.
            pairs.push("format=beancount".to_string());
        }
        pairs.join("&")
    }

    /// The schema of its JSON body, if it takes one.
    fn body_schema(&self) -> Option<&Value> {
        let schema = &self.entry["requestBody"]["content"]["application/json"]["schema"];
        schema.is_object().then_some(schema)
    }
}

fn document() -> Value {
    serde_json::to_value(fairshare_server::openapi()).expect("the document serialises")
}

fn operations(document: &Value) -> Vec<Op> {
    let mut ops = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, entry) in item.as_object().expect("path item") {
            if entry["responses"].is_object() {
                ops.push(Op {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    entry: entry.clone(),
                });
            }
        }
    }
    ops
}

/// The smallest instance of `schema` that deserialises: its required fields only, strings as
/// `"x"` (an operation turns a request into a command without judging its values; the core
/// judges them after the idempotency key and the storage were consulted).
fn minimal(document: &Value, schema: &Value) -> Value {
    if let Some(target) = schema["$ref"].as_str() {
        let name = target.rsplit('/').next().unwrap_or_default();
        return minimal(document, &document["components"]["schemas"][name]);
    }
    if let Some(first) = schema["enum"].as_array().and_then(|v| v.first()) {
        return first.clone();
    }
    for alternatives in ["oneOf", "anyOf"] {
        if let Some(first) = schema[alternatives]
            .as_array()
            .and_then(|v| v.iter().find(|s| s["type"] != "null").or_else(|| v.first()))
        {
            return minimal(document, first);
        }
    }
    if let Some(parts) = schema["allOf"].as_array() {
        let mut merged = Map::new();
        for part in parts {
            if let Value::Object(fields) = minimal(document, part) {
                merged.extend(fields);
            }
        }
        return Value::Object(merged);
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds
            .iter()
            .find(|k| *k != "null")
            .and_then(Value::as_str)
            .unwrap_or("null"),
        kind => kind.as_str().unwrap_or("object"),
    };
    match kind {
        "string" => json!("x"),
        "integer" | "number" => json!(schema["minimum"].as_u64().unwrap_or(1)),
        "boolean" => json!(false),
        "array" => json!([]),
        "null" => Value::Null,
        _ => {
            let mut fields = Map::new();
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().expect("a field name");
                fields.insert(
                    name.to_string(),
                    minimal(document, &schema["properties"][name]),
                );
            }
            Value::Object(fields)
        }
    }
}

/// A timesheet of one row: ana's hour of dev on p.
fn timesheet(project: &str) -> Value {
    let csv = format!("date,person,project,hours,category,note\n2026-01-05,ana,{project},1,dev,\n");
    json!({"layout": "csv", "csv": csv})
}

/// Sends the operation's request (with the smallest body it takes) through `api`.
fn send(api: &Api, document: &Value, op: &Op, idempotency_key: Option<&str>) -> Answer {
    let body = match op.name().as_str() {
        // The smallest timesheet has a row: without one there is nothing to refuse.
        "POST /api/v1/timesheets" => Some(timesheet("p")),
        _ => op.body_schema().map(|schema| minimal(document, schema)),
    };
    let query = op.required_query(document);
    let path = match query.as_str() {
        "" => op.concrete_path(),
        query => format!("{}?{query}", op.concrete_path()),
    };
    api.call(&op.method, &path, body.as_ref(), idempotency_key)
}

/// What is wrong with `answer` if it is not a problem document of `status` whose detail
/// contains `words`.
fn mismatch(op: &Op, answer: &Answer, status: u16, words: &str) -> Option<String> {
    let detail = answer.body["detail"].as_str().unwrap_or_default();
    let right = answer.status.as_u16() == status
        && answer.content_type() == "application/problem+json"
        && answer.body["status"] == status
        && detail.contains(words);
    (!right).then(|| format!("{}: {} {}", op.name(), answer.status, answer.text))
}

/// Fails with every operation that answered otherwise.
fn all_right(status: u16, failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} operations did not answer {status}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A book with the custodian `ana`, the observer `odile`, project `p`; its server.
fn served() -> (
    TestBook,
    TestServer,
    std::collections::BTreeMap<String, String>,
) {
    let book = TestBook::sqlite();
    let mut keys = book.custodian_and_project("ana");
    keys.extend(book.agents(&[("odile", Role::Observer)]));
    let server = TestServer::start(&book.url);
    (book, server, keys)
}

/// The operations of the document that document `status`, with a count that shows the walk
/// covered something.
fn documenting(document: &Value, status: u16) -> Vec<Op> {
    let ops: Vec<Op> = operations(document)
        .into_iter()
        .filter(|op| op.documents(status))
        .collect();
    assert!(
        ops.len() > 10,
        "only {} operations document {status}",
        ops.len()
    );
    ops
}

#[test]
fn every_operation_answers_401_to_a_malformed_authorization() {
    let (_book, server, _) = served();
    let document = document();
    let client = common::client();
    let failures = documenting(&document, 401)
        .iter()
        .filter_map(|op| {
            let method = reqwest::Method::from_bytes(op.method.as_bytes()).expect("method");
            let response = client
                .request(method, format!("{}{}", server.base, op.concrete_path()))
                .header("Authorization", "Basic YW5hOng=")
                .send()
                .expect("request");
            let answer = common::answer(response);
            mismatch(op, &answer, 401, "malformed Authorization header").or_else(|| {
                (answer.headers["www-authenticate"] != "Bearer")
                    .then(|| format!("{}: no WWW-Authenticate", op.name()))
            })
        })
        .collect();
    all_right(401, failures);
}

#[test]
fn every_keyed_operation_answers_429_while_its_address_is_slowed() {
    let (_book, server, _) = served();
    let document = document();
    let bad = server.api(Some("fsk_not-a-key-anybody-has"));
    for _ in 0..fairshare_server::throttle::FREE_FAILURES {
        bad.get("/api/v1/agents").expect(401);
    }
    let failures = documenting(&document, 429)
        .iter()
        .filter_map(|op| {
            // A lockout passes (it doubles with each bad key after it); a 401 is one more bad
            // key, which locks the address again.
            let Some(answer) = (0..3)
                .map(|_| send(&bad, &document, op, None))
                .find(|answer| answer.status != 401)
            else {
                return Some(format!("{}: 401 three times, never slowed", op.name()));
            };
            let retry_after = answer
                .headers
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.parse::<u64>().is_ok());
            mismatch(op, &answer, 429, "try again in")
                .or_else(|| (!retry_after).then(|| format!("{}: no Retry-After", op.name())))
        })
        .collect();
    all_right(429, failures);
}

#[test]
fn every_write_answers_413_past_the_body_limit() {
    let (_book, server, keys) = served();
    let document = document();
    let ana = server.api(Some(&keys["ana"]));
    let oversized_past = |limit: usize| format!("{{\"note\": \"{}\"}}", "x".repeat(limit));
    let failures = documenting(&document, 413)
        .iter()
        .filter_map(|op| {
            // A timesheet's route takes larger bodies.
            let oversized = oversized_past(match op.path.as_str() {
                "/api/v1/timesheets" => fairshare_ops::timesheets::TIMESHEET_REQUEST_BYTES_MAX,
                _ => fairshare_server::BODY_LIMIT_BYTES,
            });
            // The server answers once the limit is passed and closes the connection; the
            // client may see the close first (as in tests/bad_input.rs): retry until it reads
            // the answer.
            let answer = (0..10)
                .find_map(|_| {
                    let body = reqwest::blocking::Body::from(oversized.clone());
                    ana.try_raw(&op.method, &op.concrete_path(), body).ok()
                })
                .expect("the oversized request read its answer in 10 tries");
            mismatch(op, &answer, 413, "limit")
        })
        .collect();
    all_right(413, failures);
}

#[test]
fn every_operation_answers_400_to_a_malformed_request() {
    let (_book, server, keys) = served();
    let document = document();
    let ana = server.api(Some(&keys["ana"]));
    let failures = documenting(&document, 400)
        .iter()
        .filter_map(|op| {
            let answer = if let Some(path) = op.path_with_a_word_for_a_number() {
                // A word where the path takes a number.
                ana.call(&op.method, &path, None, None)
            } else if op.method == "GET" {
                // A query field the operation does not take.
                ana.get(&format!("{}?no_such_field=1", op.concrete_path()))
            } else {
                // A body that is no JSON object.
                ana.raw(&op.method, &op.concrete_path(), "[1]".into())
            };
            mismatch(op, &answer, 400, "")
        })
        .collect();
    all_right(400, failures);
}

#[test]
fn every_write_answers_409_to_a_reused_idempotency_key() {
    let (_book, server, keys) = served();
    let document = document();
    let ana = server.api(Some(&keys["ana"]));
    ana.call(
        "POST",
        "/api/v1/agents",
        Some(&json!({"handle": "bea", "role": "affiliate"})),
        Some("used-once"),
    )
    .expect(201);
    let head = ana.head();
    let failures = documenting(&document, 409)
        .iter()
        // A timesheet's rows carry their own keys (tests/timesheets.rs).
        .filter(|op| op.path != "/api/v1/timesheets")
        .filter_map(|op| {
            let answer = send(&ana, &document, op, Some("used-once"));
            mismatch(
                op,
                &answer,
                409,
                "idempotency key \"used-once\" was already used",
            )
        })
        .collect();
    all_right(409, failures);
    assert_eq!(ana.head(), head, "a refused write recorded something");
}

#[test]
fn every_operation_answers_503_when_the_book_storage_fails() {
    let (book, server, keys) = served();
    let document = document();
    let ana = server.api(Some(&keys["ana"]));
    ana.verify_ok();
    // The book's log is gone from under the server (its credentials stay: the keys still
    // name their agents).
    book.raw_sql("ALTER TABLE events RENAME TO events_gone;");
    let failures = documenting(&document, 503)
        .iter()
        // A live stream reads only what the server commits: its 503 is the streams' bound
        // (`the_event_stream_answers_503_past_its_bound`).
        .filter(|op| op.path != "/api/v1/events")
        .filter_map(|op| {
            let answer = send(&ana, &document, op, None);
            mismatch(op, &answer, 503, "the book's storage is unavailable")
        })
        .collect();
    book.raw_sql("ALTER TABLE events_gone RENAME TO events;");
    all_right(503, failures);
    ana.verify_ok();
}

#[test]
fn the_event_stream_answers_503_past_its_bound() {
    let (_book, server, _) = served();
    let client = common::client();
    let url = format!("{}/api/v1/events", server.base);
    let open: Vec<_> = (0..fairshare_server::STREAMS_MAX)
        .map(|_| client.get(&url).send().expect("a stream"))
        .collect();
    assert!(open.iter().all(|stream| stream.status() == 200));
    let answer = common::answer(client.get(&url).send().expect("one stream too many"));
    assert_eq!(answer.status.as_u16(), 503, "{}", answer.text);
    assert_eq!(answer.content_type(), "application/problem+json");
    assert_eq!(
        answer.body["detail"],
        "too many live event streams; retry later"
    );
    assert_eq!(answer.headers["retry-after"], "1");
    drop(open);
}

#[test]
fn every_write_refused_by_role_refuses_an_observer() {
    let (_book, server, keys) = served();
    let document = document();
    let odile = server.api(Some(&keys["odile"]));
    let failures = documenting(&document, 403)
        .iter()
        // Only its author withdraws a proposal, which must exist first (tests/governance.rs).
        .filter(|op| op.path != "/api/v1/proposals/{proposal}/withdraw")
        .filter_map(|op| {
            let answer = send(&odile, &document, op, None);
            mismatch(op, &answer, 403, "")
        })
        .collect();
    all_right(403, failures);
}

/// The operation's path naming nothing the book holds, and its query.
fn path_to_nothing(document: &Value, op: &Op) -> String {
    let path = op
        .path
        .split('/')
        .map(|segment| match segment {
            // A kind is one of a few words, checked before anything is looked up.
            "{kind}" => "work",
            s if s.starts_with('{') && s.ends_with('}') => "999",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/");
    let mut query = vec![op.required_query(document)];
    // A list filtered by a project or an agent names it.
    for parameter in op.entry["parameters"].as_array().into_iter().flatten() {
        let name = parameter["name"].as_str().unwrap_or_default();
        if parameter["in"] == "query" && ["project", "agent"].contains(&name) {
            query.push(format!("{name}=999"));
        }
    }
    query.retain(|q| !q.is_empty());
    match query.join("&").as_str() {
        "" => path,
        query => format!("{path}?{query}"),
    }
}

#[test]
fn every_operation_naming_something_answers_404_when_it_is_missing() {
    let (_book, server, keys) = served();
    let document = document();
    let ana = server.api(Some(&keys["ana"]));
    let head = ana.head();
    let failures = documenting(&document, 404)
        .iter()
        .filter_map(|op| {
            let body = match op.name().as_str() {
                // The account is the network's own; the agent who paid is nobody.
                "POST /api/v1/expenses" => Some(json!({"account": "infra", "amount": "1.00",
                    "for": "x", "payee": "nobody"})),
                "POST /api/v1/transfers" => Some(json!({"from": "infra", "to": "maintenance",
                    "amount": "1.00", "reason": "x", "asset": "NOPE"})),
                "POST /api/v1/proposals" => Some(json!({"project": "999", "title": "x",
                    "changes": [{"op": "set_rate", "request":
                        {"project": "999", "category": "dev", "per_hour": "1.00"}}]})),
                // A timesheet whose row names a project there is none of.
                "POST /api/v1/timesheets" => Some(timesheet("999")),
                _ => op.body_schema().map(|schema| minimal(&document, schema)),
            };
            // A fresh key: some writes are made once per key (a pool allocation).
            let key = (op.method != "GET").then(|| format!("missing {}", op.name()));
            let path = path_to_nothing(&document, op);
            let answer = ana.call(&op.method, &path, body.as_ref(), key.as_deref());
            mismatch(op, &answer, 404, "")
        })
        .collect();
    all_right(404, failures);
    assert_eq!(ana.head(), head, "a refused write recorded something");
}

#[test]
fn every_paged_read_answers_422_to_a_limit_past_the_most() {
    let (_book, server, keys) = served();
    let document = document();
    let ana = server.api(Some(&keys["ana"]));
    let paged: Vec<Op> = documenting(&document, 422)
        .into_iter()
        .filter(|op| {
            let parameters = op.entry["parameters"].as_array().into_iter().flatten();
            parameters
                .filter(|p| p["name"] == "limit")
                .any(|p| p["schema"]["maximum"] == fairshare_ops::PAGE_LIMIT_MAX)
        })
        .collect();
    assert!(paged.len() > 10, "only {} paged reads", paged.len());
    let past = fairshare_ops::PAGE_LIMIT_MAX + 1;
    let failures = paged
        .iter()
        .filter_map(|op| {
            let query = [op.required_query(&document), format!("limit={past}")];
            let query = query.iter().filter(|q| !q.is_empty()).cloned();
            let path = format!(
                "{}?{}",
                op.concrete_path(),
                query.collect::<Vec<_>>().join("&")
            );
            let answer = ana.get(&path);
            mismatch(
                op,
                &answer,
                422,
                &format!("limit {past} is above the maximum"),
            )
        })
        .collect();
    all_right(422, failures);
}

#[test]
fn an_agent_statement_and_an_estimate_answer_200() {
    let (_book, server, keys) = served();
    let ana = server.api(Some(&keys["ana"]));
    ana.post(
        "/api/v1/projects/p/contributions",
        common::work("ana", "dev", "2"),
    )
    .expect(201);
    // Nothing distributed yet: a year of nothing earned, and the whole of a revenue to ana.
    let statement = ana
        .get("/api/v1/agents/ana/statement?year=2026")
        .expect(200);
    assert_eq!(
        statement.body,
        json!({"agent": "ana", "year": 2026, "earned": [], "payouts": [], "totals": {}})
    );
    let estimate = ana
        .get("/api/v1/projects/p/estimate?revenue=100.00&agent=ana")
        .expect(200)
        .body;
    assert_eq!(estimate["now"], "100.00");
    assert_eq!(estimate["payouts"], json!({"ana": "100.00"}));
    assert_eq!(
        estimate["lines"],
        json!([{"bucket": 1, "bucket_label": "contributors (all)", "to": "ana",
            "amount": "100.00"}])
    );
}

/// Every line of `scripts/conformance-reached` names a test of this crate that exists, and a
/// status its operation (or, for `*`, some operation) documents: the list vouches only for
/// what is there.
#[test]
fn the_reached_list_names_real_tests_of_documented_codes() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let list = std::fs::read_to_string(root.join("../../scripts/conformance-reached"))
        .expect("scripts/conformance-reached");
    let document = document();
    let ops = operations(&document);
    let mut lines = 0;
    for line in list
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
    {
        if line.is_empty() {
            continue;
        }
        lines += 1;
        let [method, path, status, test] = line.split_whitespace().collect::<Vec<_>>()[..] else {
            panic!("not `METHOD PATH STATUS FILE::TEST`: {line:?}");
        };
        let status: u16 = status
            .parse()
            .unwrap_or_else(|_| panic!("status in {line:?}"));
        let (file, function) = test.split_once("::").expect("FILE::TEST");
        let source = std::fs::read_to_string(root.join("tests").join(format!("{file}.rs")))
            .unwrap_or_else(|_| panic!("{line:?}: no tests/{file}.rs"));
        assert!(
            source.contains(&format!("#[test]\nfn {function}()")),
            "{line:?}: tests/{file}.rs has no test {function}"
        );
        let documented = ops.iter().any(|op| {
            (method == "*" || op.method == method)
                && (path == "*" || op.path == path)
                && op.documents(status)
        });
        assert!(documented, "{line:?}: no such documented status");
    }
    assert!(lines >= 20, "{lines} lines");
}
