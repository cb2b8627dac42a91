//! A real server process killed with SIGKILL under write load: after a restart the book
//! verifies and every acknowledged write is in the log.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Api, TestBook, client};
use serde_json::json;

const WRITERS: usize = 8;
/// How long the writers run before the kill, at least: on a loaded machine they run on
/// until more writes than writers are acknowledged (or WRITERS_DEADLINE).
const LOAD: Duration = Duration::from_secs(1);
/// A bound on the writers, whatever happens.
const WRITERS_DEADLINE: Duration = Duration::from_secs(20);

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(book: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fairshare-server"))
        .args(["--book", book, "--addr", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn fairshare-server");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the address");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    Server { child, base }
}

fn api(server: &Server, key: &str) -> Api {
    Api {
        base: server.base.clone(),
        key: Some(key.to_string()),
        client: client(),
    }
}

#[test]
fn kill_9_under_load_loses_no_acknowledged_write() {
    TestBook::each("kill_9_under_load_loses_no_acknowledged_write", |book| {
        let keys = book.custodian_and_project("boss");
        let mut server = spawn(&book.url);
        let acknowledged = Mutex::new(Vec::new());
        let killed = AtomicBool::new(false);
        std::thread::scope(|scope| {
            for writer in 0..WRITERS {
                let api = api(&server, &keys["boss"]);
                let (acknowledged, killed) = (&acknowledged, &killed);
                scope.spawn(move || {
                    let start = Instant::now();
                    for i in 0.. {
                        if start.elapsed() > WRITERS_DEADLINE {
                            break;
                        }
                        let key = format!("w{writer}-{i}");
                        let body = json!({"kind": "work", "category": "dev", "hours": "1"});
                        let sent = api
                            .client
                            .post(format!("{}/api/v1/projects/p/contributions", api.base))
                            .bearer_auth(api.key.as_deref().unwrap_or_default())
                            .header("Idempotency-Key", &key)
                            .json(&body)
                            .send();
                        match sent {
                            Ok(response) if response.status().is_success() => {
                                acknowledged.lock().expect("lock").push(key);
                            }
                            Ok(response) => panic!("{key}: {}", response.status()),
                            // The server is gone.
                            Err(_) if killed.load(Ordering::SeqCst) => break,
                            Err(error) => panic!("{key} before the kill: {error}"),
                        }
                    }
                });
            }
            std::thread::sleep(LOAD);
            let loading = Instant::now();
            while acknowledged.lock().expect("lock").len() <= WRITERS
                && loading.elapsed() < WRITERS_DEADLINE
            {
                std::thread::sleep(Duration::from_millis(50));
            }
            killed.store(true, Ordering::SeqCst);
            // SIGKILL: no graceful shutdown, no flush.
            server.child.kill().expect("kill -9");
            server.child.wait().expect("reap");
        });
        let acknowledged = acknowledged.into_inner().expect("lock");
        assert!(
            acknowledged.len() > WRITERS,
            "too few writes before the kill: {}",
            acknowledged.len()
        );
        drop(server);

        let restarted = spawn(&book.url);
        let api = api(&restarted, &keys["boss"]);
        let events = api.verify_ok();
        let logged = api.exported_keys();
        let lost: Vec<&String> = acknowledged
            .iter()
            .filter(|key| !logged.contains(*key))
            .collect();
        assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
        println!(
            "{}: {} acknowledged writes before kill -9, {} events after restart, none lost",
            book.backend,
            acknowledged.len(),
            events
        );
        // The restarted server takes writes again.
        api.post(
            "/api/v1/projects/p/contributions",
            json!({"kind": "work", "category": "dev", "hours": "1"}),
        )
        .expect(201);
    });
}
