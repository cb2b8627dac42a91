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

/// Checks `verify ARGS` fails (exit status 3) at event `seq` with `message`.
fn verify_fails(book: &str, args: &[&str], seq: u64, message: &str) {
    let mut all = vec!["--json", "verify"];
    all.extend_from_slice(args);
    let output = run(book, &all);
    assert_eq!(
        output.status.code(),
        Some(3),
        "{args:?}: {}",
        stdout(&output)
    );
    let doc: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(doc["ok"], false, "{doc}");
    assert_eq!(doc["problem"]["seq"], seq, "{doc}");
    assert_eq!(doc["problem"]["message"], message, "{doc}");
}

#[test]
fn verify_against_a_published_head_finds_a_removed_tail() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("small.jsonl").display().to_string();
    let book = dir.path().join("book.db").display().to_string();
    json(
        &book,
        &[
            "generate",
            "--agents",
            "5",
            "--contributions",
            "40",
            "--output",
            &file,
        ],
    );
    json(&book, &["import", &file]);
    let published = json(&book, &["verify"]);
    let events = published["events"].as_u64().unwrap();
    let head = published["head"].as_str().unwrap().to_string();
    let (n, n_text) = (events, events.to_string());
    assert!(n > 40, "{published}");
    // The published head passes, as does an older one of the same book.
    json(&book, &["verify", "--head", &head, "--events", &n_text]);
    json(&book, &["verify", "--head", &head.to_uppercase()]);
    let page = json(
        &book,
        &[
            "log",
            "show",
            "--offset",
            &(n - 4).to_string(),
            "--limit",
            "1",
        ],
    );
    let older = page["events"][0]["hash"].as_str().unwrap().to_string();
    json(
        &book,
        &["verify", "--head", &older, "--events", &(n - 3).to_string()],
    );

    // Someone with the file removes the last 3 events.
    let db = rusqlite::Connection::open(&book).unwrap();
    let removed = db
        .execute("DELETE FROM events WHERE seq > ?1", [n - 3])
        .unwrap();
    assert_eq!(removed, 3);
    drop(db);
    let alone = json(&book, &["verify"]);
    assert_eq!(alone["ok"], true, "{alone}");
    assert_eq!(alone["events"], n - 3, "{alone}");
    assert_eq!(alone["head"], older.as_str(), "{alone}");

    verify_fails(
        &book,
        &["--head", &head],
        n - 2,
        &format!(
            "no event of the book has the published head hash {head}: events after event {} \
             are missing, or this is another book",
            n - 3
        ),
    );
    verify_fails(
        &book,
        &["--events", &n_text],
        n - 2,
        &format!(
            "the book has {} events, fewer than the {n} published: events {} to {n} are missing",
            n - 3,
            n - 2
        ),
    );
    verify_fails(
        &book,
        &["--events", &(n - 3).to_string(), "--head", &head],
        n - 3,
        &format!(
            "event {} has hash {older}, not the published {head}: the book differs from the one \
             published",
            n - 3
        ),
    );
    // The text says it too.
    let output = run(&book, &["verify", "--head", &head]);
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stdout(&output).starts_with(&format!(
            "event {}: no event of the book has the published head hash {head}",
            n - 2
        )),
        "{}",
        stdout(&output)
    );
    // A head that is no hash is refused before the log is read.
    let output = run(&book, &["--json", "verify", "--head", "abc"]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("head must be an event hash of 64 hex digits, not \"abc\""),
        "{}",
        stderr(&output)
    );
}

/// The `--json` statement's lines and the CSV distribution rows number buckets alike (from 1),
/// and every CSV export escapes a cell a spreadsheet would run as a formula while amounts,
/// negative ones included, stay numbers.
#[test]
fn csv_exports_escape_formulas_and_number_buckets_from_one() {
    let env = common::Env::new();
    env.ok(&["agent", "add", "ana"]);
    env.ok(&["project", "add", "p"]);
    env.ok(&["rate", "set", "p", "dev", "10.00"]);
    let plan = env.write(
        "plan.toml",
        "[[bucket]]\ntype = \"percent\"\npercent = \"10\"\nof = \"gross\"\nto = \"infra\"\n\n\
         [[bucket]]\ntype = \"contributors\"\nkinds = [\"work\"]\n",
    );
    env.ok(&["plan", "set", "p", &plan]);
    let note = r#"=HYPERLINK("http://x","y")"#;
    env.ok(&[
        "--key",
        "=1+1",
        "log",
        "work",
        "p",
        "ana",
        "2",
        "--category",
        "dev",
        "--note",
        note,
    ]);
    env.ok(&["revenue", "p", "100.00"]);

    let statement = env.json(&["statement", "1"]);
    let lines = statement["lines"].as_array().expect("a statement's lines");
    let buckets: Vec<Option<u64>> = lines.iter().map(|l| l["bucket"].as_u64()).collect();
    assert_eq!(buckets, [Some(1), Some(2)], "{statement}");
    let distributions = common::keyless(&env.ok(&["export", "--format", "csv-distributions"]));
    let rows: Vec<&str> = distributions.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{distributions}");
    assert!(
        rows[0]
            .starts_with("1,2026-11-21,p,CAD,100.00,2,1,1,10% of gross -> infra,infra,10.00,,6,,"),
        "{distributions}"
    );
    assert!(
        rows[1].starts_with("1,2026-11-21,p,CAD,100.00,2,2,2,contributors (work),ana,90.00,,6,,"),
        "{distributions}"
    );

    let escaped_note = r#""'=HYPERLINK(""http://x"",""y"")""#;
    let contributions = env.ok(&["export", "--format", "csv-contributions"]);
    let row = contributions.lines().nth(1).unwrap();
    assert!(
        row.starts_with(&format!(
            "1,2026-11-21,p,ana,work,dev,2,,CAD,,20.00,approved,true,false,false,{escaped_note},5,{NOW},\"'=1+1\","
        )),
        "{row}"
    );
    let log = env.ok(&["export", "--format", "csv"]);
    let logged = log.lines().find(|line| line.starts_with("5,")).unwrap();
    assert!(
        logged.starts_with(&format!("5,{NOW},operator,log,\"'=1+1\",")),
        "{logged}"
    );
    let balances = env.ok(&["export", "--format", "csv-balances"]);
    assert!(
        balances.contains("\r\noutside,outside,CAD,-100.00,-10000,2\r\n"),
        "{balances}"
    );
}

/// A PostgreSQL book backed up through the store into SQLite, then restored into a new
/// schema: the same events, verified, and a restore onto a schema with events is refused.
#[test]
fn a_postgres_book_backs_up_to_sqlite_and_restores_into_a_new_schema() {
    let Ok(url) = std::env::var("FAIRSHARE_TEST_POSTGRES") else {
        eprintln!("skip: FAIRSHARE_TEST_POSTGRES is not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let separator = if url.contains('?') { '&' } else { '?' };
    let id = std::process::id();
    let (from, to) = (format!("cli_backup_{id}"), format!("cli_restore_{id}"));
    let book = format!("{url}{separator}schema={from}");
    let restored = format!("{url}{separator}schema={to}");
    let backup = dir.path().join("backup.db");
    let outcome = std::panic::catch_unwind(|| {
        json(&book, &["init"]);
        json(&book, &["agent", "add", "ana", "--role", "custodian"]);
        json(&book, &["project", "add", "p"]);
        let copied = json(&book, &["backup", backup.to_str().unwrap()]);
        assert_eq!(copied["events"], 2);
        assert_eq!(copied["credentials"], false);
        let back = json(&restored, &["restore", backup.to_str().unwrap()]);
        assert_eq!(back["events"], 2);
        assert_eq!(back["head"], copied["head"]);
        let export = |b: &str| stdout(&run(b, &["export"]));
        assert_eq!(export(&restored), export(&book));
        let again = run(&restored, &["restore", backup.to_str().unwrap()]);
        assert_eq!(again.status.code(), Some(2));
        assert!(
            stderr(&again).contains("already holds events"),
            "{}",
            stderr(&again)
        );
    });
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    for schema in [from, to] {
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .unwrap();
    }
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
