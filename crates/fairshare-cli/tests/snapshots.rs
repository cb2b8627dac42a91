//! Snapshots from the outside (issue 17): a long import ends with one, `fairshare snapshot`
//! writes one, reads answer the same with or without them, and a damaged one is passed over
//! with one line on stderr.

mod common;

use std::path::Path;
use std::process::Output;

use common::{Env, stderr, stdout};
use fairshare_sqlite::snapshots_path;
use serde_json::{Value, json};

/// Events of the generated book (20 agents, 2,000 contributions, as `generate` makes them).
const EVENTS: u64 = 2_026;

/// Runs `args` on `book` with `FAIRSHARE_SNAPSHOT_EVERY` set to `every`, always on the local
/// book (client mode too): snapshots are how this process opens the book.
fn run_every(env: &Env, book: &Path, every: &str, args: &[&str]) -> Output {
    let output = env
        .bare_command(common::NOW)
        .arg("--book")
        .arg(book)
        .args(args)
        .env("FAIRSHARE_SNAPSHOT_EVERY", every)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}{}",
        stdout(&output),
        stderr(&output)
    );
    output
}

fn json_of(output: &Output) -> Value {
    serde_json::from_str(&stdout(output)).unwrap()
}

/// The events of the snapshots a SQLite book keeps (in the file beside it), oldest first.
fn snapshots(book: &Path) -> Vec<u64> {
    let conn = rusqlite::Connection::open(snapshots_path(book)).unwrap();
    let mut stmt = conn
        .prepare("SELECT DISTINCT seq FROM snapshot_pieces ORDER BY seq")
        .unwrap();
    stmt.query_map([], |row| row.get::<_, i64>(0))
        .unwrap()
        .map(|seq| seq.unwrap() as u64)
        .collect()
}

/// A generated network imported into `name` with snapshots every `every` events.
fn imported(env: &Env, name: &str, every: &str) -> std::path::PathBuf {
    let file = env.path("network.jsonl");
    if !file.exists() {
        let file_arg = file.display().to_string();
        env.ok(&[
            "generate",
            "--agents",
            "20",
            "--contributions",
            "2000",
            "--seed",
            "7",
            "--output",
            &file_arg,
        ]);
    }
    let book = env.path(name);
    let output = run_every(
        env,
        &book,
        every,
        &["--json", "import", &file.to_string_lossy()],
    );
    assert_eq!(json_of(&output)["imported"], EVENTS);
    book
}

#[test]
fn a_long_import_ends_with_a_snapshot_and_reads_agree() {
    let env = Env::empty();
    let with = imported(&env, "with.db", "1000");
    let without = imported(&env, "without.db", "0");
    assert_eq!(
        snapshots(&with),
        [EVENTS],
        "one snapshot, at the last event"
    );
    assert!(
        !snapshots_path(&without).exists(),
        "no snapshot below the threshold"
    );
    let reads: [&[&str]; 2] = [
        &["--json", "balance", "a000001"],
        &["--json", "project", "show", "p0001"],
    ];
    for args in reads {
        let from_snapshot = run_every(&env, &with, "1000", args);
        let replayed = run_every(&env, &without, "1000", args);
        assert_eq!(stdout(&from_snapshot), stdout(&replayed), "{args:?}");
        assert_eq!(stderr(&from_snapshot), "", "a sound snapshot says nothing");
    }
    let verified = json_of(&run_every(&env, &with, "0", &["--json", "verify"]));
    assert_eq!(verified["ok"], true);
    assert_eq!(verified["events"], EVENTS);
    assert_eq!(verified["snapshots_checked"], json!([EVENTS]));
    let text = stdout(&run_every(&env, &with, "0", &["verify"]));
    assert!(
        text.ends_with(&format!("snapshots at events {EVENTS} match the replay\n")),
        "{text}"
    );
}

#[test]
fn snapshot_writes_one_at_the_head() {
    let env = Env::empty();
    let book = imported(&env, "book.db", "0");
    let head = json_of(&run_every(&env, &book, "0", &["--json", "verify"]))["head"].clone();
    let written = json_of(&run_every(&env, &book, "0", &["--json", "snapshot"]));
    assert_eq!(written["events"], EVENTS);
    assert_eq!(written["head"], head);
    assert_eq!(written["book"], book.display().to_string());
    assert!(written["bytes"].as_u64().unwrap() > 100_000, "{written}");
    assert_eq!(snapshots(&book), [EVENTS]);
    let text = stdout(&run_every(&env, &book, "0", &["snapshot"]));
    assert_eq!(
        text,
        format!(
            "snapshot of {} at event {EVENTS} ({} bytes)\nhead {}\n",
            book.display(),
            written["bytes"],
            head.as_str().unwrap()
        )
    );
}

#[test]
fn snapshot_parts_say_what_takes_the_room() {
    let env = Env::empty();
    let book = imported(&env, "book.db", "0");
    let written = json_of(&run_every(
        &env,
        &book,
        "0",
        &["--json", "snapshot", "--parts"],
    ));
    let parts = written["parts"].as_array().expect("parts");
    let names: Vec<&str> = parts.iter().map(|p| p["part"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "agents",
            "lookalike handles",
            "projects",
            "corrections",
            "ledger balances",
            "head",
            "campaigns",
            "resources",
            "peer valuation",
            "tokens",
            "treasury",
            "membership",
            "governance",
            "part index",
            "contributions",
            "idempotency keys",
            "ledger journal",
            "distributions"
        ]
    );
    let sum: u64 = parts.iter().map(|p| p["bytes"].as_u64().unwrap()).sum();
    assert_eq!(
        sum + 120,
        written["bytes"].as_u64().unwrap(),
        "the header is 120 bytes"
    );
    // The generated book is mostly its contributions.
    let largest = parts.iter().max_by_key(|p| p["bytes"].as_u64()).unwrap();
    assert_eq!(largest["part"], "contributions", "{written}");
    let text = stdout(&run_every(&env, &book, "0", &["snapshot", "--parts"]));
    assert_eq!(parts[13]["bytes"], 160, "four lengths and checksums");
    let contributions = parts[14]["bytes"].as_u64().unwrap();
    assert!(text.contains("part "), "{text}");
    assert!(
        text.lines().any(|line| line.starts_with("contributions")
            && line.ends_with(&format!(" {contributions}"))),
        "{text}"
    );
}

#[test]
fn a_damaged_snapshot_is_passed_over_with_one_line() {
    let env = Env::empty();
    let book = imported(&env, "book.db", "1000");
    let clean = imported(&env, "clean.db", "0");
    env.sqlite(
        &snapshots_path(&book),
        "UPDATE snapshot_pieces SET bytes = substr(bytes, 1, 100)",
    );
    let damaged = run_every(&env, &book, "0", &["--json", "balance", "a000001"]);
    let replayed = run_every(&env, &clean, "0", &["--json", "balance", "a000001"]);
    assert_eq!(stdout(&damaged), stdout(&replayed));
    let said = stderr(&damaged);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(
        said.starts_with(&format!(
            "fairshare: book {}: snapshot at event {EVENTS} ignored: truncated: 100 bytes,",
            book.display()
        )),
        "{said}"
    );
    let verified = json_of(&run_every(&env, &book, "0", &["--json", "verify"]));
    assert_eq!(
        verified["ok"], true,
        "a damaged cache is not a damaged book"
    );
    assert_eq!(verified["snapshots_ignored"][0]["seq"], EVENTS);
    let reason = verified["snapshots_ignored"][0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("truncated: 100 bytes,"), "{reason}");
    assert!(verified.get("snapshots_checked").is_none(), "{verified}");
}
