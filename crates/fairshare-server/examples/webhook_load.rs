//! Write latency with webhooks whose receivers are dead, against none: the evidence that
//! delivery stays off the write path (docs/BENCHMARKS.md). For each case a fresh SQLite book
//! (a custodian with a key, a project, a rate), a server on 127.0.0.1:0 in this process, then
//! WRITES durable `POST .../contributions` from CLIENTS concurrent clients, each timed.
//!
//! - `none`: no webhook;
//! - `refused`: HOOKS webhooks for every event to a closed port (each attempt fails at once,
//!   retried after 10 ms, doubling to 100 ms: the deliverers stay as busy as they can);
//! - `silent`: HOOKS webhooks to a receiver that accepts connections and never answers (each
//!   attempt holds a connection until the 2 s timeout).
//!
//! The cases run in ROUNDS rounds, interleaved (on a shared machine the load drifts), and the
//! medians of each case end the report.
//!
//! `cargo run --release -p fairshare-server --example webhook_load -- [WRITES] [CLIENTS] [HOOKS] [ROUNDS]`

use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use fairshare_server::ServerConfig;

#[path = "support/seed.rs"]
mod seed;
const WARM_UP_WRITES: usize = 100;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut number = |default: usize| -> anyhow::Result<usize> {
        args.next()
            .map_or(Ok(default), |n| n.parse().context("arguments are numbers"))
    };
    let (writes, clients, hooks) = (number(2_000)?, number(8)?, number(8)?);
    let rounds = number(3)?.max(1);
    println!("{writes} writes from {clients} clients; {hooks} webhooks per dead case");
    println!("case     writes/s  mean ms  p50 ms  p90 ms  p99 ms  max ms  attempts");
    // A closed port: bound, then released.
    let refused = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let silent = silent_receiver()?;
    let cases = [
        ("none", None),
        ("refused", Some(refused)),
        ("silent", Some(silent)),
    ];
    let mut results: Vec<Vec<Summary>> = vec![Vec::new(); cases.len()];
    for round in 0..rounds {
        for i in (0..cases.len()).map(|i| (i + round) % cases.len()) {
            let (case, target) = cases[i];
            let hooks = if target.is_some() { hooks } else { 0 };
            results[i].push(run_case(case, target, hooks, writes, clients)?);
        }
    }
    println!("medians of {rounds} rounds: writes/s, p50 ms, p99 ms");
    for ((case, _), runs) in cases.iter().zip(&results) {
        let median = |f: fn(&Summary) -> f64| {
            let mut values: Vec<f64> = runs.iter().map(f).collect();
            values.sort_by(f64::total_cmp);
            values[values.len() / 2]
        };
        println!(
            "{case:<8} {:>8.0} {:>7.2} {:>7.2}",
            median(|s| s.per_s),
            median(|s| s.p50_ms),
            median(|s| s.p99_ms)
        );
    }
    Ok(())
}

/// One run's figures.
#[derive(Clone, Copy)]
struct Summary {
    per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// A receiver that accepts every connection and never reads or answers.
fn silent_receiver() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    Ok(addr)
}

fn run_case(
    case: &str,
    target: Option<SocketAddr>,
    hooks: usize,
    writes: usize,
    clients: usize,
) -> anyhow::Result<Summary> {
    let dir = tempfile::tempdir()?;
    let url = dir.path().join("book.db").display().to_string();
    let key = seed::seed(&url, 0)?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    listener.set_nonblocking(true)?;
    let mut config = ServerConfig::new(&url, listener.local_addr()?);
    config.webhooks.retry_first = Duration::from_millis(10);
    config.webhooks.retry_max = Duration::from_millis(100);
    config.webhooks.pause_after_failures = u32::MAX;
    config.webhooks.timeout = Duration::from_secs(2);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || -> anyhow::Result<()> {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                fairshare_server::serve_on(listener, config, async {
                    let _ = stopped.await;
                })
                .await
            })
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let measured = runtime.block_on(async {
        let client = reqwest::Client::new();
        wait_ready(&client, &base).await?;
        for _ in 0..hooks {
            let target = target.context("a receiver")?;
            let added = client
                .post(format!("{base}/api/v1/webhooks"))
                .bearer_auth(&key)
                .json(&serde_json::json!({"url": format!("http://{target}/hook"),
                    "events": ["*"], "secret": "whsec_load_0123456789abcdef"}))
                .send()
                .await?;
            anyhow::ensure!(added.status() == 201, "add a webhook: {}", added.status());
        }
        write_all(&client, &base, &key, WARM_UP_WRITES, clients).await?;
        let started = Instant::now();
        let latencies = write_all(&client, &base, &key, writes, clients).await?;
        let elapsed = started.elapsed();
        let attempts = if hooks > 0 {
            attempts_of_first(&client, &base, &key).await?
        } else {
            0
        };
        anyhow::Ok((latencies, elapsed, attempts))
    })?;
    let _ = stop.send(());
    server
        .join()
        .map_err(|_| anyhow::anyhow!("the server panicked"))??;
    Ok(report(case, measured))
}

async fn wait_ready(client: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    for _ in 0..200 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    anyhow::bail!("the server did not come up")
}

/// `writes` durable writes from `clients` concurrent clients; each one's latency.
async fn write_all(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    writes: usize,
    clients: usize,
) -> anyhow::Result<Vec<Duration>> {
    let per_client = writes.div_ceil(clients.max(1));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients.max(1) {
        let (client, url, key) = (
            client.clone(),
            format!("{base}/api/v1/projects/load/contributions"),
            key.to_string(),
        );
        tasks.spawn(async move {
            let mut latencies = Vec::with_capacity(per_client);
            for _ in 0..per_client {
                let started = Instant::now();
                let answer = client
                    .post(&url)
                    .bearer_auth(&key)
                    .json(&serde_json::json!({"kind": "work", "category": "dev", "hours": "1"}))
                    .send()
                    .await?;
                anyhow::ensure!(answer.status() == 201, "a write: {}", answer.status());
                latencies.push(started.elapsed());
            }
            anyhow::Ok(latencies)
        });
    }
    let mut all = Vec::with_capacity(writes);
    while let Some(done) = tasks.join_next().await {
        all.extend(done??);
    }
    Ok(all)
}

/// How many delivery attempts the first webhook made (its log keeps at most 1,000).
async fn attempts_of_first(
    client: &reqwest::Client,
    base: &str,
    key: &str,
) -> anyhow::Result<usize> {
    let log: serde_json::Value = client
        .get(format!("{base}/api/v1/webhooks/1/deliveries?limit=1000"))
        .bearer_auth(key)
        .send()
        .await?
        .json()
        .await?;
    Ok(log["deliveries"].as_array().map_or(0, Vec::len))
}

fn report(
    case: &str,
    (mut latencies, elapsed, attempts): (Vec<Duration>, Duration, usize),
) -> Summary {
    latencies.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
    let at = |q: f64| {
        let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        ms(latencies[i.min(latencies.len() - 1)])
    };
    let mean = latencies.iter().map(|&d| ms(d)).sum::<f64>() / latencies.len().max(1) as f64;
    let per_s = latencies.len() as f64 / elapsed.as_secs_f64();
    println!(
        "{case:<8} {per_s:>8.0} {mean:>8.2} {:>7.2} {:>7.2} {:>7.2} {:>7.2} {attempts:>9}",
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0),
    );
    Summary {
        per_s,
        p50_ms: at(0.5),
        p99_ms: at(0.99),
    }
}
