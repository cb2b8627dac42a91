//! A book's integrity from the outside: an import is all or nothing (killed with SIGKILL
//! part-way, it leaves an empty, valid book that imports again), on SQLite and, when
//! `FAIRSHARE_TEST_POSTGRES` names a database, on PostgreSQL.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{NOW, stderr, stdout};
use serde_json::Value;

fn fairshare(book: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fairshare"));
    command
        .env_remove("FAIRSHARE_BOOK")
        .env_remove("FAIRSHARE_TEST_IMPORT_PAUSE")
        .env("FAIRSHARE_NOW", NOW)
        .arg("--book")
        .arg(book)
        .args(args);
    command
}

fn run(book: &str, args: &[&str]) -> Output {
    fairshare(book, args).output().unwrap()
}

/// Runs `--json ARGS` on `book`, which must succeed, and returns its document.
fn json(book: &str, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let output = run(book, &all);
    assert!(
        output.status.success(),
        "{args:?}: {}{}",
        stdout(&output),
        stderr(&output)
    );
    serde_json::from_str(&stdout(&output)).unwrap()
}

/// A generated import file of more than 15,000 events in `dir`, and its number of events.
fn import_file(dir: &Path) -> (String, u64) {
    let file = dir.join("network.jsonl").display().to_string();
    let scratch = dir.join("scratch.db").display().to_string();
    let summary = json(
        &scratch,
        &[
            "generate",
            "--agents",
            "50",
            "--contributions",
            "15000",
            "--seed",
            "7",
            "--output",
            &file,
        ],
    );
    let events = summary["events"].as_u64().unwrap();
    assert!(events > 15_000, "{summary}");
    (file, events)
}

/// Kills an import of `file` into the empty `book` once it has written 10,000 events (the
/// binary's test-build pause), then finds the book empty and sound, and imports it again.
fn killed_import_leaves_an_empty_book(book: &str, file: &str, events: u64) {
    let mut child = fairshare(book, &["import", file])
        .env("FAIRSHARE_TEST_IMPORT_PAUSE", "10000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "import paused after writing 10000 events\n");
    // SIGKILL: nothing of the import runs after this.
    child.kill().unwrap();
    child.wait().unwrap();

    assert_eq!(json(book, &["log", "show", "--limit", "1"])["head"], 0);
    let verified = json(book, &["verify"]);
    assert_eq!(verified["ok"], true, "{verified}");
    assert_eq!(verified["events"], 0, "{verified}");

    let imported = json(book, &["import", file]);
    assert_eq!(imported["imported"].as_u64(), Some(events), "{imported}");
    let verified = json(book, &["verify"]);
    assert_eq!(verified["ok"], true, "{verified}");
    assert_eq!(verified["events"].as_u64(), Some(events), "{verified}");
    assert_eq!(verified["head"], imported["head"], "{verified}");
}

#[test]
fn a_killed_import_leaves_an_empty_sqlite_book() {
    let dir = tempfile::tempdir().unwrap();
    let (file, events) = import_file(dir.path());
    let book = dir.path().join("book.db").display().to_string();
    killed_import_leaves_an_empty_book(&book, &file, events);
}

#[test]
fn a_killed_import_leaves_an_empty_postgres_book() {
    let Ok(url) = std::env::var("FAIRSHARE_TEST_POSTGRES") else {
        eprintln!("skip: FAIRSHARE_TEST_POSTGRES is not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (file, events) = import_file(dir.path());
    let schema = format!("cli_import_{}", std::process::id());
    let separator = if url.contains('?') { '&' } else { '?' };
    let book = format!("{url}{separator}schema={schema}");
    let outcome =
        std::panic::catch_unwind(|| killed_import_leaves_an_empty_book(&book, &file, events));
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .unwrap();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
