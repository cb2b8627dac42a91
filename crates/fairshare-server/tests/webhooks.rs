//! Webhooks on a real server and a real port, delivering to a real (tiny) HTTP receiver run by
//! the test: retries with backoff, each event once and in order once taken, valid signatures,
//! pausing after repeated failures, resuming from the stored cursor after a restart, and the
//! role checks of the API.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{TestBook, TestServer, work};
use fairshare_core::{Command, Role};
use fairshare_server::ServerConfig;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const SECRET: &str = "whsec_test_0123456789abcdef";

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HashMap<String, String>,
    body: Vec<u8>,
    /// The status it answered.
    status: u16,
}

impl Received {
    fn seq(&self) -> u64 {
        self.headers["x-fairshare-event-id"]
            .parse()
            .expect("an event id")
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// A tiny HTTP/1.1 receiver: answers 500 to the next `failing` requests, 204 after them.
struct Receiver {
    url: String,
    failing: Arc<AtomicUsize>,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(failing: usize) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the receiver");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let failing = Arc::new(AtomicUsize::new(failing));
        let got = Arc::new(Mutex::new(Vec::new()));
        let (fails, log) = (failing.clone(), got.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let Some((headers, body)) = read_request(&mut stream) else {
                    continue;
                };
                let fail = fails
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                let status = if fail { 500 } else { 204 };
                log.lock().expect("log").push(Received {
                    headers,
                    body,
                    status,
                });
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        });
        Receiver { url, failing, got }
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().expect("log").clone()
    }

    fn delivered(&self) -> Vec<Received> {
        self.got().into_iter().filter(|r| r.status == 204).collect()
    }

    /// Waits until `done` holds of what arrived (at most 30 s).
    fn wait(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.got();
            if done(&got) {
                return got;
            }
            assert!(Instant::now() < deadline, "{what}: got {got:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A request's lowercase headers and body.
fn read_request(stream: &mut std::net::TcpStream) -> Option<(HashMap<String, String>, Vec<u8>)> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    assert!(line.starts_with("POST /hook "), "{line}");
    let mut headers = HashMap::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        let (name, value) = trimmed.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    let length: usize = headers.get("content-length")?.parse().ok()?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((headers, body))
}

/// HMAC-SHA256 written here from RFC 2104, apart from the server's, as a receiver would.
fn hmac_hex(key: &[u8], message: &[u8]) -> String {
    let mut block = [0u8; 64];
    block[..key.len()].copy_from_slice(key);
    let inner = Sha256::new()
        .chain_update(block.map(|b| b ^ 0x36))
        .chain_update(message)
        .finalize();
    let outer = Sha256::new()
        .chain_update(block.map(|b| b ^ 0x5c))
        .chain_update(inner)
        .finalize();
    outer.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks `X-Fairshare-Signature: t=UNIX,v1=HEX` of a request against the secret.
fn assert_signed(request: &Received) {
    let header = &request.headers["x-fairshare-signature"];
    let (t, v1) = header
        .split_once(',')
        .and_then(|(t, v1)| Some((t.strip_prefix("t=")?, v1.strip_prefix("v1=")?)))
        .unwrap_or_else(|| panic!("malformed signature {header:?}"));
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(&request.body);
    assert_eq!(
        v1,
        hmac_hex(SECRET.as_bytes(), &signed),
        "signature of {header}"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("now")
        .as_secs();
    assert!(
        t.parse::<u64>().expect("t").abs_diff(now) < 120,
        "t={t} is now"
    );
    assert!(fairshare_ops::webhooks::verify_signature(
        SECRET,
        header,
        &request.body,
        now,
        300
    ));
}

/// Retries fast, never pauses unless `pause_after_failures` says so.
fn fast(config: &mut ServerConfig, pause_after_failures: u32) {
    config.webhooks.retry_first = Duration::from_millis(50);
    config.webhooks.retry_max = Duration::from_millis(200);
    config.webhooks.pause_after_failures = pause_after_failures;
    config.webhooks.pause_after = Duration::ZERO;
}

/// Waits until the (first) webhook is paused and answers it as listed (at most 30 s).
fn wait_paused(api: &common::Api, receiver: &Receiver) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(
            Instant::now() < deadline,
            "never paused: {:?}",
            receiver.got()
        );
        let hooks = api.get("/api/v1/webhooks").expect(200).body;
        if !hooks["webhooks"][0]["paused_at"].is_null() {
            return hooks["webhooks"][0].clone();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn add_hook(api: &common::Api, url: &str, events: &[&str]) -> Value {
    api.post(
        "/api/v1/webhooks",
        json!({"url": url, "events": events, "secret": SECRET}),
    )
    .expect(201)
    .body
}

/// The log's row `seq`, as `GET /api/v1/log` shows it.
fn log_row(api: &common::Api, seq: u64) -> Value {
    let page = api
        .get(&format!("/api/v1/log?offset={}&limit=1", seq - 1))
        .expect(200);
    page.body["events"][0].clone()
}

#[test]
fn a_receiver_that_fails_twice_then_succeeds_gets_each_event_once_in_order_signed() {
    let book = TestBook::sqlite();
    book.setup(vec![Command::add_project("p", "CAD", 2)]);
    let keys = book.agents(&[("ana", Role::Custodian)]);
    let server = TestServer::start_with(&book.url, |c| fast(c, 1_000));
    let ana = server.api(Some(&keys["ana"]));
    ana.put("/api/v1/projects/p/rates/dev", json!({"per_hour": "10.00"}))
        .expect(200);
    let receiver = Receiver::start(2);
    let hook = add_hook(&ana, &receiver.url, &["log", "approve"]);
    let id = hook["id"].as_u64().expect("an id");
    let start = ana.head();
    assert_eq!(hook["cursor"], start, "a new webhook starts at the head");
    assert_eq!(hook["secret_fingerprint"].as_str().map(str::len), Some(19));
    assert!(!hook.to_string().contains(SECRET), "{hook}");

    // A rate (not asked for) between three logged contributions.
    for hours in ["1", "2"] {
        ana.post(
            "/api/v1/projects/p/contributions",
            work("ana", "dev", hours),
        )
        .expect(201);
    }
    ana.put(
        "/api/v1/projects/p/rates/design",
        json!({"per_hour": "20.00"}),
    )
    .expect(200);
    ana.post("/api/v1/projects/p/contributions", work("ana", "dev", "3"))
        .expect(201);
    let logs = [start + 1, start + 2, start + 4];

    let got = receiver.wait("three deliveries", |got| {
        got.iter().filter(|r| r.status == 204).count() == 3
    });
    // Two failures of the first event, then each event once, in order.
    let seqs: Vec<(u64, u16)> = got.iter().map(|r| (r.seq(), r.status)).collect();
    assert_eq!(
        seqs,
        vec![
            (logs[0], 500),
            (logs[0], 500),
            (logs[0], 204),
            (logs[1], 204),
            (logs[2], 204)
        ]
    );
    for request in &got {
        assert_signed(request);
        assert_eq!(request.headers["x-fairshare-webhook"], id.to_string());
        assert_eq!(request.headers["content-type"], "application/json");
        assert_eq!(
            request.json(),
            log_row(&ana, request.seq()),
            "the log's row"
        );
    }
    assert_eq!(receiver.delivered()[2].json()["op"], "log");

    // The delivery log, newest first; the cursor at the last event delivered.
    let log = ana
        .get(&format!("/api/v1/webhooks/{id}/deliveries"))
        .expect(200)
        .body;
    let attempts: Vec<(u64, u64, Value, bool)> = log["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .map(|d| {
            (
                d["seq"].as_u64().unwrap(),
                d["attempt"].as_u64().unwrap(),
                d["status"].clone(),
                d["delivered"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        attempts,
        vec![
            (logs[2], 1, json!(204), true),
            (logs[1], 1, json!(204), true),
            (logs[0], 3, json!(204), true),
            (logs[0], 2, json!(500), false),
            (logs[0], 1, json!(500), false),
        ]
    );
    assert_eq!(
        log["deliveries"][3]["error"],
        "the receiver answered 500 Internal Server Error"
    );
    let listed = ana.get("/api/v1/webhooks").expect(200).body;
    assert_eq!(listed["webhooks"][0]["cursor"], logs[2]);
    assert_eq!(listed["webhooks"][0]["failures"], 0);
    assert!(!listed.to_string().contains(SECRET), "{listed}");
}

#[test]
fn a_webhook_that_keeps_failing_is_paused_and_resumes_from_its_cursor_after_a_restart() {
    let book = TestBook::sqlite();
    book.setup(vec![Command::add_project("p", "CAD", 2)]);
    let keys = book.agents(&[("ana", Role::Custodian)]);
    let receiver = Receiver::start(usize::MAX);
    let server = TestServer::start_with(&book.url, |c| fast(c, 3));
    let ana = server.api(Some(&keys["ana"]));
    ana.put("/api/v1/projects/p/rates/dev", json!({"per_hour": "10.00"}))
        .expect(200);
    let id = add_hook(&ana, &receiver.url, &["*"])["id"]
        .as_u64()
        .expect("id");
    let first = ana.head() + 1;
    ana.post("/api/v1/projects/p/contributions", work("ana", "dev", "1"))
        .expect(201);

    // Three failures in a row (over at least 0 s): paused.
    let paused = wait_paused(&ana, &receiver);
    assert_eq!(paused["failures"], 3);
    assert_eq!(paused["cursor"], first - 1);
    let reason = paused["pause_reason"].as_str().expect("a reason");
    assert!(
        reason.starts_with("3 consecutive failures since ")
            && reason.ends_with("; last: the receiver answered 500 Internal Server Error"),
        "{reason}"
    );
    assert_eq!(receiver.got().len(), 3, "no attempt after the pause");
    let log = ana
        .get(&format!("/api/v1/webhooks/{id}/deliveries?limit=2"))
        .expect(200);
    assert_eq!(log.body["deliveries"].as_array().map(Vec::len), Some(2));

    // Writes go on while it is paused; the server restarts; the cursor was stored.
    ana.post("/api/v1/projects/p/contributions", work("ana", "dev", "2"))
        .expect(201);
    server.stop().expect("a clean stop");
    let server = TestServer::start_with(&book.url, |c| fast(c, 3));
    let ana = server.api(Some(&keys["ana"]));
    receiver.failing.store(0, Ordering::SeqCst);
    let resumed = ana
        .post(&format!("/api/v1/webhooks/{id}/resume"), json!({}))
        .expect(200)
        .body;
    assert_eq!(
        (resumed["paused_at"].clone(), resumed["failures"].clone()),
        (Value::Null, json!(0))
    );

    let got = receiver.wait("both events", |got| {
        got.iter().filter(|r| r.status == 204).count() == 2
    });
    let delivered: Vec<u64> = got
        .iter()
        .filter(|r| r.status == 204)
        .map(Received::seq)
        .collect();
    assert_eq!(
        delivered,
        vec![first, first + 1],
        "in order, from the cursor"
    );
    got.iter().for_each(assert_signed);
}

#[test]
fn only_custodians_manage_webhooks_and_bad_ones_are_refused() {
    let book = TestBook::sqlite();
    book.setup(vec![Command::add_project("p", "CAD", 2)]);
    let keys = book.agents(&[("ana", Role::Custodian), ("bob", Role::Affiliate)]);
    let server = TestServer::start(&book.url);
    let ana = server.api(Some(&keys["ana"]));
    let bob = server.api(Some(&keys["bob"]));
    let nobody = server.api(None);
    let good = json!({"url": "http://127.0.0.1:9/hook", "events": ["log"], "secret": SECRET});
    let id = ana.post("/api/v1/webhooks", good.clone()).expect(201).body["id"]
        .as_u64()
        .expect("id");

    let calls: [(&str, String, Option<&Value>); 5] = [
        ("POST", "/api/v1/webhooks".into(), Some(&good)),
        ("GET", "/api/v1/webhooks".into(), None),
        ("GET", format!("/api/v1/webhooks/{id}/deliveries"), None),
        ("POST", format!("/api/v1/webhooks/{id}/resume"), Some(&good)),
        ("DELETE", format!("/api/v1/webhooks/{id}"), None),
    ];
    for (method, path, body) in &calls {
        let answer = bob.call(method, path, *body, None).expect(403);
        assert_eq!(answer.content_type(), "application/problem+json");
        assert_eq!(
            answer.body["detail"],
            "bob may not manage webhooks: only custodians may"
        );
        let answer = nobody.call(method, path, *body, None).expect(401);
        assert_eq!(answer.content_type(), "application/problem+json");
    }

    for (body, field, detail) in [
        (
            json!({"url": "ftp://example.org", "events": ["log"], "secret": SECRET}),
            "url",
            "a webhook URL must start with http:// or https://, got \"ftp://example.org\"",
        ),
        (
            json!({"url": "https://example.org", "events": ["logg"], "secret": SECRET}),
            "events",
            "no event is of kind \"logg\": a kind is an operation name (log, approve, revenue, \
             … as `fairshare log` shows them) or * for every event",
        ),
        (
            json!({"url": "https://example.org", "events": [], "secret": SECRET}),
            "events",
            "a webhook asks for 1 to 64 event kinds, got 0",
        ),
        (
            json!({"url": "https://example.org", "events": ["log"], "secret": "hunter2hunter2"}),
            "secret",
            "a webhook secret needs 16 to 512 bytes, got 14",
        ),
    ] {
        let answer = ana.post("/api/v1/webhooks", body).expect(422);
        assert_eq!(answer.content_type(), "application/problem+json");
        assert_eq!(
            (
                answer.body["field"].as_str(),
                answer.body["detail"].as_str()
            ),
            (Some(field), Some(detail))
        );
        assert!(!answer.text.contains("hunter2"), "{}", answer.text);
    }
    let unknown = ana
        .post(
            "/api/v1/webhooks",
            json!({"url": "https://example.org", "events": ["log"], "secret": SECRET, "extra": 1}),
        )
        .expect(400);
    assert_eq!(unknown.content_type(), "application/problem+json");
    assert_eq!(
        ana.get("/api/v1/webhooks").expect(200).body["webhooks"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let bad_limit = ana
        .get(&format!("/api/v1/webhooks/{id}/deliveries?limit=0"))
        .expect(422);
    assert_eq!(bad_limit.body["field"], "limit");

    let removed = ana
        .call("DELETE", &format!("/api/v1/webhooks/{id}"), None, None)
        .expect(200);
    assert_eq!(removed.body["id"], id);
    let again = ana
        .call("DELETE", &format!("/api/v1/webhooks/{id}"), None, None)
        .expect(404);
    assert_eq!(again.body["detail"], format!("no webhook with id {id}"));
    assert_eq!(
        ana.get("/api/v1/webhooks").expect(200).body,
        json!({"webhooks": []})
    );
}

/// A webhook sees what its creator may: once ana is no longer a custodian, her webhook is
/// paused before it sends anything more.
#[test]
fn a_webhook_whose_creator_is_no_longer_a_custodian_is_paused() {
    let book = TestBook::sqlite();
    book.setup(vec![Command::add_project("p", "CAD", 2)]);
    let keys = book.agents(&[("ana", Role::Custodian), ("luc", Role::Custodian)]);
    let receiver = Receiver::start(0);
    let server = TestServer::start_with(&book.url, |c| fast(c, 1_000));
    let ana = server.api(Some(&keys["ana"]));
    let luc = server.api(Some(&keys["luc"]));
    let id = add_hook(&ana, &receiver.url, &["*"])["id"]
        .as_u64()
        .expect("id");
    luc.post("/api/v1/agents/ana/role", json!({"role": "affiliate"}))
        .expect(200);
    let paused = wait_paused(&luc, &receiver);
    assert_eq!(paused["id"], id);
    assert_eq!(
        paused["pause_reason"],
        "created by ana, who is no longer a custodian: a webhook sees what its creator may"
    );
    assert!(
        receiver.got().is_empty(),
        "nothing was sent: {:?}",
        receiver.got()
    );
}
