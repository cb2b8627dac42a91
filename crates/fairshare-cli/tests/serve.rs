//! `fairshare serve`, `key create` and `password set`: the real binary serving HTTP on a real
//! port, with a key made by the CLI.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Env, NOW};

/// Kills the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 request; returns the status code and the body.
fn http(
    port: u16,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let auth = key
        .map(|k| format!("Authorization: Bearer {k}\r\n"))
        .unwrap_or_default();
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// Starts `fairshare serve` on the book of `env` on a free port and waits until it listens.
fn serve(env: &Env) -> (Server, u16) {
    let port = free_port();
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_fairshare"))
            .env("FAIRSHARE_NOW", NOW)
            .args([
                "--book",
                env.book.to_str().unwrap(),
                "serve",
                "--addr",
                &format!("127.0.0.1:{port}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (server, port)
}

#[test]
fn serve_with_a_key_created_by_the_cli() {
    let env = Env::new();
    env.ok(&["agent", "add", "ana", "--role", "custodian"]);
    env.ok(&["agent", "add", "bo", "--role", "affiliate"]);
    env.ok(&["project", "add", "p"]);
    env.ok(&["rate", "set", "p", "build", "30.00"]);
    let key = env.ok(&["--json", "key", "create", "bo"]);
    let key: serde_json::Value = serde_json::from_str(&key).unwrap();
    let key = key["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("fsk_"), "{key}");

    // A password comes from stdin, never from the arguments, and must be long enough.
    let short = Command::new(env!("CARGO_BIN_EXE_fairshare"))
        .args([
            "--book",
            env.book.to_str().unwrap(),
            "password",
            "set",
            "bo",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child.stdin.take().unwrap().write_all(b"short\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert_eq!(short.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&short.stderr).contains("a password needs at least 10 characters")
    );

    let (_server, port) = serve(&env);
    assert_eq!(http(port, "GET", "/healthz", None, None).0, 200);

    let work = r#"{"agent":"bo","kind":"work","category":"build","hours":"2"}"#;
    let (status, _) = http(
        port,
        "POST",
        "/api/v1/projects/p/contributions",
        None,
        Some(work),
    );
    assert_eq!(status, 401, "a write without a key");
    let (status, body) = http(
        port,
        "POST",
        "/api/v1/projects/p/contributions",
        Some(&key),
        Some(work),
    );
    assert_eq!(status, 201, "{body}");
    // The public network reads without a key; the CLI sees the server's write.
    let (status, body) = http(port, "GET", "/api/v1/projects/p/shares", None, None);
    assert_eq!(status, 200);
    assert!(body.contains("\"60.00\""), "{body}");
    let shares = env.ok(&["--json", "shares", "p"]);
    assert!(shares.contains("\"value\": \"60.00\""), "{shares}");

    // `key list` shows the key by its id, never the key; `key revoke` ends it on the server.
    let listed = env.json(&["key", "list", "bo"]);
    let id = listed["keys"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(listed["keys"][0]["active"], true);
    assert!(
        !listed.to_string().contains(&key),
        "a listing never shows the key"
    );
    let revoked = env.json(&["key", "revoke", &id]);
    assert_eq!(
        (revoked["id"].as_str(), revoked["active"].as_bool()),
        (Some(id.as_str()), Some(false))
    );
    // A server trusts a key it found for at most a second: then the revocation holds.
    let started = Instant::now();
    loop {
        let (status, _) = http(port, "GET", "/api/v1/agents", Some(&key), None);
        if status == 401 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "revoked key still accepted"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let unknown = env.run(&["--json", "key", "revoke", "0000000000000000"]);
    assert_eq!(unknown.status.code(), Some(2));
    // A key that expires says when.
    let expiring = env.json(&["key", "create", "bo", "--expires", "30"]);
    assert!(expiring["expires_at"].as_str().is_some(), "{expiring}");
}

/// ana (custodian) and bo (affiliate) on project p, bo 2 h and ana 1 h of build at 30.00;
/// returns a key of `key_for`.
fn builders(env: &Env, key_for: &str) -> String {
    env.ok(&["agent", "add", "ana", "--role", "custodian"]);
    env.ok(&["agent", "add", "bo", "--role", "affiliate"]);
    env.ok(&["project", "add", "p"]);
    env.ok(&["rate", "set", "p", "build", "30.00"]);
    env.ok(&["log", "work", "p", "bo", "2", "--category", "build"]);
    env.ok(&["log", "work", "p", "ana", "1", "--category", "build"]);
    env.json(&["key", "create", key_for])["key"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_revenue_preview_over_http_is_the_revenue_that_follows_and_records_nothing() {
    let env = Env::new();
    let key = builders(&env, "ana");
    let before = env.export();
    let (_server, port) = serve(&env);

    // Anyone who can read the project previews, without a key on a public network.
    let (status, body) = http(
        port,
        "GET",
        "/api/v1/projects/p/revenue/preview?amount=100.00&from=Client",
        None,
        None,
    );
    assert_eq!(status, 200, "{body}");
    let preview: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        preview,
        serde_json::json!({"distribution": 1, "project": "p", "amount": "100.00",
        "currency": "CAD", "plan_version": 1, "replayed": false, "preview": true,
        "payouts": {"ana": "33.33", "bo": "66.67"},
        "lines": [
            {"bucket": 1, "bucket_label": "contributors (all)", "to": "ana", "amount": "33.33"},
            {"bucket": 1, "bucket_label": "contributors (all)", "to": "bo", "amount": "66.67"},
        ]})
    );
    // A refused preview names the field.
    let (status, body) = http(
        port,
        "GET",
        "/api/v1/projects/p/revenue/preview?amount=-1.00",
        None,
        None,
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("amount"), "{body}");
    assert_eq!(env.export(), before, "a preview records nothing");

    let (status, body) = http(
        port,
        "POST",
        "/api/v1/projects/p/revenue",
        Some(&key),
        Some(r#"{"amount":"100.00","from":"Client"}"#),
    );
    assert_eq!(status, 201, "{body}");
    let mut recorded: serde_json::Value = serde_json::from_str(&body).unwrap();
    recorded["preview"] = serde_json::json!(true);
    assert_eq!(recorded, preview);
}

/// `backup` while the server writes: every copy is a verified prefix of the book, with its
/// API keys; `restore` puts one into a new book that verifies and serves the same key.
#[test]
fn a_backup_taken_while_the_server_writes_is_consistent_and_restores() {
    let env = Env::new();
    env.ok(&["agent", "add", "bo", "--role", "custodian"]);
    env.ok(&["project", "add", "p"]);
    env.ok(&["rate", "set", "p", "build", "30.00"]);
    let key = env.ok(&["--json", "key", "create", "bo"]);
    let key: serde_json::Value = serde_json::from_str(&key).unwrap();
    let key = key["key"].as_str().unwrap().to_string();
    let (_server, port) = serve(&env);

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (stop, key) = (stop.clone(), key.clone());
        std::thread::spawn(move || {
            let work = r#"{"agent":"bo","kind":"work","category":"build","hours":"1"}"#;
            let mut written = 0u64;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let path = "/api/v1/projects/p/contributions";
                let (status, body) = http(port, "POST", path, Some(&key), Some(work));
                assert_eq!(status, 201, "{body}");
                written += 1;
            }
            written
        })
    };
    let mut counts = Vec::new();
    for n in 0..3 {
        std::thread::sleep(Duration::from_millis(300));
        let dest = env.path(&format!("backup-{n}.db"));
        let out = env.ok(&["--json", "backup", dest.to_str().unwrap()]);
        let copied: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(copied["credentials"], true);
        counts.push((
            dest,
            copied["events"].as_u64().unwrap(),
            copied["head"].clone(),
        ));
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let written = writer.join().unwrap();
    assert!(written > 0);
    // Each copy was taken while writes went on: later copies hold more events.
    assert!(counts[0].1 < counts[2].1, "{counts:?}");
    let full = env.export();
    let (dest, events, head) = &counts[1];
    // A copy is exactly the book's first N events, hashes and all.
    let prefix: Vec<&str> = full.lines().take(*events as usize).collect();
    let restored = env.path("restored.db");
    let on_restored = |args: &[&str]| {
        let output = env.run_on(&restored, args);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let out = on_restored(&["--json", "restore", dest.to_str().unwrap()]);
    let done: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(done["events"].as_u64(), Some(*events));
    assert_eq!(&done["head"], head);
    let exported = on_restored(&["export"]);
    assert_eq!(exported.lines().collect::<Vec<_>>(), prefix);
    // The key came along; a second restore onto the same book is refused.
    let keys = on_restored(&["key", "list", "bo"]);
    assert!(keys.contains("active"), "{keys}");
    let again = env.run_on(&restored, &["restore", dest.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
}

/// bo 2 h and ana 1 h of build at 30.00, the default plan: from 100.00 bo would get 66.67
/// now, and with one more hour 90 of 120: 75.00.
#[test]
fn an_estimate_over_http_names_the_reader_by_key_and_records_nothing() {
    let env = Env::new();
    let key = builders(&env, "bo");
    let before = env.export();
    let (_server, port) = serve(&env);

    let path = "/api/v1/projects/p/estimate?revenue=100.00&hours=1&category=build";
    let (status, body) = http(port, "GET", path, Some(&key), None);
    assert_eq!(status, 200, "{body}");
    let estimate: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (
            &estimate["agent"],
            &estimate["now"],
            &estimate["with_hours"],
            &estimate["difference"]
        ),
        (
            &serde_json::json!("bo"),
            &serde_json::json!("66.67"),
            &serde_json::json!("75.00"),
            &serde_json::json!("8.33")
        )
    );
    // Without a key, the agent is named.
    let (status, body) = http(
        port,
        "GET",
        "/api/v1/projects/p/estimate?agent=ana&revenue=100.00",
        None,
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("\"now\": \"33.33\"") || body.contains("\"now\":\"33.33\""),
        "{body}"
    );
    // A refused estimate names the field.
    let (status, body) = http(
        port,
        "GET",
        "/api/v1/projects/p/estimate?agent=ana&revenue=100.00&hours=1",
        None,
        None,
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("\"field\":\"category\""), "{body}");
    assert_eq!(env.export(), before, "an estimate records nothing");
}

/// 100.00 paid by the default plan (ana 33.33, bo 66.67) compared over HTTP with a plan that
/// keeps 10% for infra first (90.00 by 1 : 2: ana 30.00, bo 60.00).
#[test]
fn plan_compare_over_http_reads_a_body_and_records_nothing() {
    let env = Env::new();
    let key = builders(&env, "ana");
    let (_server, port) = serve(&env);
    let (status, body) = http(
        port,
        "POST",
        "/api/v1/projects/p/revenue",
        Some(&key),
        Some(r#"{"amount":"100.00"}"#),
    );
    assert_eq!(status, 201, "{body}");
    let before = env.export();
    let request = r#"{"plan_a": [{"type": "percent", "percent": "10", "to": "infra"},
                                 {"type": "contributors"}]}"#;
    let (status, body) = http(
        port,
        "POST",
        "/api/v1/projects/p/plans/compare",
        None,
        Some(request),
    );
    assert_eq!(status, 200, "{body}");
    let compared: serde_json::Value = serde_json::from_str(&body).unwrap();
    let totals: Vec<(&str, &str, &str, &str)> = compared["totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["account"].as_str().unwrap(),
                row["plan_a"].as_str().unwrap(),
                row["plan_b"].as_str().unwrap(),
                row["difference"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        totals,
        [
            ("ana", "30.00", "33.33", "-3.33"),
            ("bo", "60.00", "66.67", "-6.67"),
            ("infra", "10.00", "0.00", "10.00"),
        ]
    );
    assert_eq!(compared["revenues"][0].get("accounts"), None, "totals only");
    let detailed = request.replacen('{', r#"{"per_revenue": true, "#, 1);
    let (status, body) = http(
        port,
        "POST",
        "/api/v1/projects/p/plans/compare",
        None,
        Some(&detailed),
    );
    assert_eq!(status, 200, "{body}");
    let detailed: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(detailed["revenues"][0]["accounts"], compared["totals"]);
    // A refusal names the field.
    let (status, body) = http(
        port,
        "POST",
        "/api/v1/projects/p/plans/compare",
        None,
        Some(r#"{"plan_a": [{"type": "contributors"}], "revenues": "none"}"#),
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("\"field\":\"revenues\""), "{body}");
    assert_eq!(env.export(), before, "a comparison records nothing");
}
