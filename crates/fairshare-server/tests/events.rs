//! Live events: the log as Server-Sent Events, resumable after a disconnect, missing nothing.

mod common;

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use common::{TestBook, TestServer, work};
use fairshare_core::{Command, Role};
use serde_json::{Value, json};

/// Reads events from an open stream until `want` of them arrived; returns their data.
fn read_events(response: reqwest::blocking::Response, want: usize) -> Vec<Value> {
    let mut events = Vec::new();
    let mut lines = BufReader::new(response).lines();
    let deadline = Instant::now() + Duration::from_secs(20);
    while events.len() < want {
        assert!(
            Instant::now() < deadline,
            "only {} events arrived",
            events.len()
        );
        let line = lines
            .next()
            .expect("the stream stays open")
            .expect("a line");
        if let Some(data) = line.strip_prefix("data: ") {
            events.push(serde_json::from_str::<Value>(data).expect("event JSON"));
        }
    }
    events
}

fn open(server: &TestServer, last: Option<u64>) -> reqwest::blocking::Response {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let mut request = client.get(format!("{}/api/v1/events", server.base));
    if let Some(last) = last {
        request = request.header("Last-Event-ID", last.to_string());
    }
    let response = request.send().expect("stream");
    assert_eq!(response.status(), 200);
    assert!(common::header(&response, "content-type").starts_with("text/event-stream"));
    response
}

#[test]
fn a_client_resumes_after_a_disconnect_and_misses_nothing() {
    let book = TestBook::sqlite();
    book.setup(vec![Command::add_project("p", "CAD", 2)]);
    let keys = book.agents(&[("ana", Role::Custodian)]);
    let server = TestServer::start(&book.url);
    let ana = server.api(Some(&keys["ana"]));
    ana.put("/api/v1/projects/p/rates/dev", json!({"per_hour": "10.00"}))
        .expect(200);
    let head = ana.head();

    // The whole log so far, in order, from the first event.
    let first = read_events(open(&server, None), head as usize);
    let seqs: Vec<u64> = first.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=head).collect::<Vec<_>>());
    assert_eq!(first.last().unwrap()["op"], "set_rate");

    // A live client sees a write as it happens.
    let live = open(&server, Some(head));
    ana.post("/api/v1/projects/p/contributions", work("ana", "dev", "2"))
        .expect(201);
    let seen = read_events(live, 1);
    assert_eq!(
        (seen[0]["seq"].as_u64(), seen[0]["op"].as_str()),
        (Some(head + 1), Some("log"))
    );

    // It drops; meanwhile three more writes; it resumes from the last id it saw.
    for hours in ["1", "2", "3"] {
        ana.post(
            "/api/v1/projects/p/contributions",
            work("ana", "dev", hours),
        )
        .expect(201);
    }
    let resumed = read_events(open(&server, Some(head + 1)), 3);
    let seqs: Vec<u64> = resumed.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(
        seqs,
        vec![head + 2, head + 3, head + 4],
        "nothing missed, nothing twice"
    );
    // `?after=` starts there too; a bad Last-Event-ID is a 400.
    let after = reqwest::blocking::get(format!("{}/api/v1/events?after={}", server.base, head + 3))
        .expect("stream");
    assert_eq!(read_events(after, 1)[0]["seq"].as_u64(), Some(head + 4));
    let bad = reqwest::blocking::Client::new()
        .get(format!("{}/api/v1/events", server.base))
        .header("Last-Event-ID", "x")
        .send()
        .expect("answer");
    assert_eq!(bad.status(), 400);
}

/// An open stream (a dashboard page's, or an integration's) ends when the server stops: a
/// graceful stop waits for every open response, and a stream never ends by itself.
#[test]
fn an_open_stream_does_not_hold_up_a_stop() {
    let book = TestBook::sqlite();
    book.setup(vec![Command::add_project("p", "CAD", 2)]);
    let server = TestServer::start(&book.url);
    let stream = open(&server, None);
    let (stopped, done) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = stopped.send(server.stop().map_err(|e| e.to_string()));
    });
    let outcome = done
        .recv_timeout(Duration::from_secs(30))
        .expect("the server stops while a stream is open");
    assert_eq!(outcome, Ok(()));
    drop(stream);
}
