//! Exports and timesheet imports through the real binary (docs/EXPORTS.md): the forillon story
//! exported to every format and read back by hledger, Ledger and Beancount when they are on
//! the PATH (balances compared exactly; a missing tool prints a skip line), then Toggl,
//! Clockify and generic CSV timesheets: a dry run writes nothing, a real run logs every row,
//! a second run logs nothing, and a bad row fails with its line number and changes nothing.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Env, stderr, stdout};
use serde_json::{Value, json};

/// The balances of the forillon story after its 12000.00 CAD revenue, per journal account.
const FORILLON_BALANCES: [(&str, &str); 5] = [
    ("Assets:Fairshare:Accounts:Infra", "1200.00 CAD"),
    ("Assets:Fairshare:Agents:Abran", "5558.82 CAD"),
    ("Assets:Fairshare:Agents:Luc", "1535.30 CAD"),
    ("Assets:Fairshare:Agents:Marie", "3705.88 CAD"),
    ("Equity:Outside", "-12000.00 CAD"),
];

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
        .display()
        .to_string()
}

/// The people, the project and its rates: what a timesheet is imported into.
fn forillon_team(env: &Env) {
    env.agents(&["abran:affiliate", "marie:affiliate", "luc:custodian"]);
    common::forillon_project(env);
}

/// The forillon contract: work, a reimbursable material, the plan and the 12000.00 revenue.
fn forillon_story(env: &Env) {
    forillon_team(env);
    common::forillon_work(env);
    common::forillon_material(env);
    common::forillon_plan(env);
    let revenue = env.json(&common::FORILLON_REVENUE);
    assert_eq!(revenue["payouts"]["abran"], "5558.82");
}

fn expected_balances() -> BTreeMap<String, String> {
    FORILLON_BALANCES
        .iter()
        .map(|(account, amount)| (account.to_string(), amount.to_string()))
        .collect()
}

/// Whether a program runs; prints the skip line when it does not.
fn installed(program: &str, args: &[&str]) -> bool {
    let found = Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        eprintln!("skip: {program} is not on PATH (or {args:?} failed)");
    }
    found
}

/// Runs a tool that must succeed and returns its stdout.
fn tool(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed:\n{}{}",
        stdout(&output),
        stderr(&output)
    );
    stdout(&output)
}

/// Checks the balances a tool read from an export, account by account, against fairshare's.
fn check_balances(program: &str, got: BTreeMap<String, String>) {
    assert_eq!(got, expected_balances(), "{program} balances");
    eprintln!("{program}: balances equal fairshare's");
}

/// Exports one format to a file; checks the summary and that stdout gets the same bytes.
fn export_to_file(env: &Env, format: &str, name: &str) -> (PathBuf, Value) {
    let path = env.dir.path().join(name);
    let file = path.to_str().unwrap();
    let summary = env.json(&["export", "--format", format, "--output", file]);
    assert_eq!(summary["format"], format);
    assert_eq!(summary["output"], file);
    assert_eq!(summary["events"], env.events());
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(!written.is_empty(), "{format}: empty export");
    assert_eq!(
        env.ok(&["export", "--format", format]),
        written,
        "{format}: stdout and --output differ"
    );
    (path, summary)
}

#[test]
fn forillon_exported_to_every_format_and_read_back_by_each_tool() {
    let env = Env::new();
    forillon_story(&env);
    let journal_summary = json!({"transactions": 1, "accounts": 5, "commodities": 1});

    // hledger: the accounts and commodities are declared, and the balances are fairshare's.
    let (journal, summary) = export_to_file(&env, "hledger", "book.journal");
    for field in ["transactions", "accounts", "commodities"] {
        assert_eq!(summary[field], journal_summary[field], "{field}");
    }
    let text = env.ok(&["export", "--format", "hledger", "--output", "book2.journal"]);
    assert_eq!(
        text,
        format!(
            "exported {} events as hledger to book2.journal: 1 transaction, 5 accounts, 1 commodity\n",
            env.events()
        )
    );
    let journal = journal.to_str().unwrap();
    if installed("hledger", &["--version"]) {
        tool(
            "hledger",
            &["-f", journal, "check", "accounts", "commodities"],
        );
        let csv = tool(
            "hledger",
            &[
                "-f",
                journal,
                "balance",
                "--flat",
                "--no-total",
                "--layout=bare",
                "-O",
                "csv",
            ],
        );
        let got = csv.lines().skip(1).map(|line| {
            let fields: Vec<&str> = line.split(',').map(|f| f.trim_matches('"')).collect();
            let [account, commodity, number] = fields[..] else {
                panic!("unexpected hledger line {line:?}");
            };
            (account.to_string(), format!("{number} {commodity}"))
        });
        check_balances("hledger", got.collect());
    }

    // Ledger, pedantic: every account, commodity and tag is declared.
    let (ledger_file, _) = export_to_file(&env, "ledger", "book.ledger");
    if installed("ledger", &["--version"]) {
        let text = tool(
            "ledger",
            &[
                "-f",
                ledger_file.to_str().unwrap(),
                "--pedantic",
                "balance",
                "--flat",
                "--no-total",
            ],
        );
        let got = text.lines().filter(|l| !l.trim().is_empty()).map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [number, commodity, account] = fields[..] else {
                panic!("unexpected ledger line {line:?}");
            };
            (account.to_string(), format!("{number} {commodity}"))
        });
        check_balances("ledger", got.collect());
    }

    // Beancount: the file asserts every balance with zero tolerance, so bean-check itself
    // compares them; beancount's loader then sums the postings.
    let (beancount, _) = export_to_file(&env, "beancount", "book.beancount");
    let text = std::fs::read_to_string(&beancount).unwrap();
    assert!(
        text.contains("balance Assets:Fairshare:Agents:Abran             5558.82 ~ 0 CAD"),
        "{text}"
    );
    let beancount = beancount.to_str().unwrap();
    if installed("bean-check", &["--version"]) {
        tool("bean-check", &[beancount]);
        // One cent off is refused: the comparison is exact.
        let tampered = env.write(
            "tampered.beancount",
            &text.replace("5558.82 ~ 0 CAD", "5558.83 ~ 0 CAD"),
        );
        let output = Command::new("bean-check").arg(&tampered).output().unwrap();
        assert!(
            !output.status.success(),
            "bean-check accepted a wrong balance"
        );
        if installed("python3", &["-c", "import beancount"]) {
            let sums = tool("python3", &["-c", BEANCOUNT_SUMS, beancount]);
            let got: BTreeMap<String, String> = sums
                .lines()
                .map(|line| {
                    let (account, amount) = line.split_once('\t').unwrap();
                    (account.to_string(), amount.to_string())
                })
                .collect();
            assert_eq!(got, expected_balances(), "beancount balances");
        }
        eprintln!("beancount: balances equal fairshare's");
    }

    // The CSV tables.
    let (balances, summary) = export_to_file(&env, "csv-balances", "balances.csv");
    assert_eq!(summary["rows"], 5);
    let balances = std::fs::read_to_string(balances).unwrap();
    assert!(balances.starts_with("account,class,asset,balance,balance_minor,exponent\r\n"));
    assert!(
        balances.contains("\r\nabran,agent,CAD,5558.82,555882,2\r\n"),
        "{balances}"
    );
    assert!(balances.contains("\r\noutside,outside,CAD,-12000.00,-1200000,2\r\n"));
    let (contributions, summary) = export_to_file(&env, "csv-contributions", "contributions.csv");
    assert_eq!(summary["rows"], 4);
    let contributions = std::fs::read_to_string(contributions).unwrap();
    assert_eq!(contributions.lines().count(), 5);
    assert!(contributions.contains(",plywood,"), "{contributions}");
    let (distributions, summary) = export_to_file(&env, "csv-distributions", "distributions.csv");
    assert_eq!(summary["rows"], 5);
    let distributions = std::fs::read_to_string(distributions).unwrap();
    assert!(distributions.contains(",abran,5558.82,"), "{distributions}");
    assert!(distributions.contains("parks-contract-1"));

    // ValueFlows JSON-LD, under a base of our choosing.
    let path = env.dir.path().join("book.jsonld");
    let summary = env.json(&[
        "export",
        "--format",
        "valueflows",
        "--base",
        "https://example.org/forillon/",
        "--output",
        path.to_str().unwrap(),
    ]);
    assert!(summary["nodes"].as_u64().unwrap() > 10, "{summary}");
    let document: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        document["@context"]["vf"],
        "https://w3id.org/valueflows/ont/vf#"
    );
    let graph = document["@graph"].as_array().unwrap();
    assert!(
        graph
            .iter()
            .any(|node| node["@id"] == "https://example.org/forillon/agent:abran")
    );
    if installed("python3", &["-c", "import rdflib"]) {
        let triples = tool("python3", &["-c", RDF_TRIPLES, path.to_str().unwrap()]);
        assert!(triples.trim().parse::<u64>().unwrap() > 0, "{triples}");
        eprintln!("valueflows: rdflib read {} triples", triples.trim());
    }
    // The default base.
    let default = env.ok(&["export", "--format", "valueflows"]);
    assert!(default.contains("\"urn:fairshare:agent:abran\""));

    // The event-log formats are unchanged, and export only reads.
    let before = env.export();
    let (jsonl, summary) = export_to_file(&env, "jsonl", "book.jsonl");
    assert_eq!(std::fs::read_to_string(jsonl).unwrap(), before);
    assert!(summary.get("rows").is_none() && summary.get("transactions").is_none());
    let (csv, _) = export_to_file(&env, "csv", "log.csv");
    assert!(
        std::fs::read_to_string(csv)
            .unwrap()
            .starts_with("seq,recorded_at,actor,op,idempotency_key,hash,body\n")
    );
    assert_eq!(env.export(), before);

    // --base belongs to ValueFlows, and must make absolute IRIs.
    env.refused(
        &["export", "--format", "hledger", "--base", "urn:x:"],
        "invalid",
        "--base is for --format valueflows only",
    );
    env.refused(
        &["export", "--format", "valueflows", "--base", "forillon"],
        "invalid",
        "--base \"forillon\" is not an absolute IRI: use one such as https://example.org/network/ or urn:example:",
    );
}

/// Sums each account's postings with beancount's own loader: `ACCOUNT\tNUMBER CURRENCY`.
const BEANCOUNT_SUMS: &str = r#"
import sys
from collections import defaultdict
from decimal import Decimal
from beancount import loader
from beancount.core import data
entries, errors, _ = loader.load_file(sys.argv[1])
assert not errors, errors
sums = defaultdict(Decimal)
for entry in entries:
    if isinstance(entry, data.Transaction):
        for posting in entry.postings:
            sums[(posting.account, posting.units.currency)] += posting.units.number
for (account, currency), number in sorted(sums.items()):
    print(f"{account}\t{number} {currency}")
"#;

const RDF_TRIPLES: &str = r#"
import sys, rdflib
graph = rdflib.Graph()
graph.parse(sys.argv[1], format="json-ld")
print(len(graph))
"#;

/// A book with the forillon team and no contributions yet.
fn team() -> Env {
    let env = Env::new();
    forillon_team(&env);
    env
}

/// (agent, category, hours, date, value, already there) of each entry.
fn entries(doc: &Value) -> Vec<(String, String, String, String, String, bool)> {
    doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["project"], "forillon");
            assert_eq!(e["currency"], "CAD");
            let key = e["key"].as_str().unwrap();
            assert!(key.starts_with("ts:") && key.len() == 67, "{key}");
            (
                e["agent"].as_str().unwrap().to_string(),
                e["category"].as_str().unwrap().to_string(),
                e["hours"].as_str().unwrap().to_string(),
                e["date"].as_str().unwrap().to_string(),
                e["value"].as_str().unwrap().to_string(),
                e["already_there"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn entry(
    agent: &str,
    category: &str,
    hours: &str,
    date: &str,
    value: &str,
    there: bool,
) -> (String, String, String, String, String, bool) {
    (
        agent.into(),
        category.into(),
        hours.into(),
        date.into(),
        value.into(),
        there,
    )
}

fn toggl_entries(there: bool) -> Vec<(String, String, String, String, String, bool)> {
    vec![
        entry("abran", "engineering", "3.5", "2026-03-02", "157.50", there),
        entry(
            "marie",
            "design",
            "0.333333",
            "2026-03-02",
            "14.999985",
            there,
        ),
        entry("marie", "design", "1.75", "2026-03-03", "78.75", there),
        entry("luc", "coordination", "0.5", "2026-03-04", "15.00", there),
        entry("luc", "coordination", "0.5", "2026-03-04", "15.00", there),
        entry("abran", "engineering", "16", "2026-03-05", "720.00", there),
    ]
}

#[test]
fn toggl_dry_run_then_import_then_again() {
    let env = team();
    let toggl = data("toggl.csv");
    let before = env.export();
    let events = env.events();

    // A dry run lists what would be logged and writes nothing.
    let dry = env.json(&["import-timesheet", &toggl, "--layout", "toggl", "--dry-run"]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["layout"], "toggl");
    assert_eq!(dry["actor"], "operator");
    assert_eq!(
        (&dry["rows"], &dry["imported"], &dry["already_there"]),
        (&json!(6), &json!(6), &json!(0))
    );
    assert_eq!(entries(&dry), toggl_entries(false));
    assert!(
        dry["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["contribution"].is_null())
    );
    assert_eq!(dry["entries"][0]["note"], "Trail bridge, load calculations");
    assert_eq!(dry["entries"][2]["note"], "Signage sketches, \"v2\"");
    assert_eq!(
        dry["totals"],
        json!([
            {"project": "forillon", "agent": "abran", "rows": 2, "hours": "19.5", "value": "877.50", "currency": "CAD"},
            {"project": "forillon", "agent": "luc", "rows": 2, "hours": "1", "value": "30.00", "currency": "CAD"},
            {"project": "forillon", "agent": "marie", "rows": 2, "hours": "2.083333", "value": "93.749985", "currency": "CAD"},
        ])
    );
    let text = env.ok(&["import-timesheet", &toggl, "--layout", "toggl", "--dry-run"]);
    assert!(
        text.starts_with(&format!(
            "dry run: 6 rows of {toggl}: would import 6, already there 0; nothing written\n"
        )),
        "{text}"
    );
    assert!(text.contains("Weekly call"), "{text}");
    assert_eq!(env.export(), before, "a dry run changed the book");

    // The real run logs every row, in file order, in one batch.
    let first = env.json(&["import-timesheet", &toggl, "--layout", "toggl"]);
    assert_eq!(first["dry_run"], false);
    assert_eq!(
        (&first["imported"], &first["already_there"]),
        (&json!(6), &json!(0))
    );
    assert_eq!(entries(&first), toggl_entries(false));
    let ids: Vec<u64> = first["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["contribution"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6]);
    assert_eq!(first["head"], events + 6);
    assert_eq!(env.events(), events + 6);
    // The keys are the dry run's: they come from the rows.
    let keys = |doc: &Value| -> Vec<Value> {
        doc["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["key"].clone())
            .collect()
    };
    assert_eq!(keys(&first), keys(&dry));
    let listed = env.json(&["contributions", "forillon", "--agent", "luc"]);
    assert_eq!(listed["total"], 2);
    assert_eq!(listed["contributions"][0]["hours"], "0.5");
    assert_eq!(listed["contributions"][0]["note"], "Weekly call");
    let log = env.json(&["log", "show", "--offset", &events.to_string()]);
    assert_eq!(log["events"][0]["key"], first["entries"][0]["key"]);
    assert_eq!(log["events"][0]["op"], "log");
    let after = env.export();

    // Again: every row is already there, nothing is logged.
    let text = env.ok(&["import-timesheet", &toggl, "--layout", "toggl"]);
    assert!(
        text.starts_with(&format!(
            "imported 0, already there 6 (6 rows of {toggl}, as operator)\n"
        )),
        "{text}"
    );
    let again = env.json(&["import-timesheet", &toggl, "--layout", "toggl"]);
    assert_eq!(
        (&again["imported"], &again["already_there"]),
        (&json!(0), &json!(6))
    );
    assert_eq!(entries(&again), toggl_entries(true));
    assert_eq!(again["entries"][5]["contribution"], 6);
    assert_eq!(env.export(), after, "a second import logged something");
    let dry = env.json(&["import-timesheet", &toggl, "--layout", "toggl", "--dry-run"]);
    assert_eq!(
        (&dry["imported"], &dry["already_there"]),
        (&json!(0), &json!(6))
    );
    assert_eq!(dry["entries"][1]["contribution"], 2);
    let text = env.ok(&["import-timesheet", &toggl, "--layout", "toggl", "--dry-run"]);
    assert!(text.contains("already there (2)"), "{text}");

    // The imported hours are in the tools' exports too.
    let contributions = env.ok(&["export", "--format", "csv-contributions"]);
    assert_eq!(contributions.lines().count(), 7);
    assert!(
        contributions.contains("Signage sketches, \"\"v2\"\""),
        "{contributions}"
    );
}

#[test]
fn a_bad_row_fails_with_its_line_and_imports_nothing() {
    let env = team();
    let before = env.export();
    let args = [
        "import-timesheet",
        &data("toggl_bad.csv"),
        "--layout",
        "toggl",
    ];
    // Line 5: marie's description spans lines 3 and 4. Rows 2 and 3 are good, and yet not
    // imported.
    let message = "line 5: malformed duration \"half an hour\": expected hours (1.5) or H:MM[:SS]";
    env.refused(&args, "invalid", message);
    let mut dry = args.to_vec();
    dry.push("--dry-run");
    env.refused(&dry, "invalid", message);
    let output = env.run(&args);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stderr(&output), format!("error: {message}\n"));
    assert_eq!(stdout(&output), "");
    assert_eq!(env.export(), before);

    // A row the book refuses: clockify's project name is not a project without a mapping.
    env.refused(
        &[
            "import-timesheet",
            &data("clockify.csv"),
            "--layout",
            "clockify",
        ],
        "not-found",
        "line 2: unknown project \"forillon-park\": add the project first",
    );
    assert_eq!(env.export(), before);
}

#[test]
fn clockify_with_mappings_from_a_file_and_the_command_line() {
    let env = team();
    let clockify = data("clockify.csv");
    let mapping = env.write(
        "clockify.map",
        "# Clockify names -> the book's\nproject:Forillon Park=forillon\ncategory:Drafting=design\n",
    );
    let args = [
        "import-timesheet",
        &clockify,
        "--layout",
        "clockify",
        "--map-file",
        &mapping,
        "--map",
        "person:m.dubois@example.org=marie",
    ];
    let expected = vec![
        entry("luc", "coordination", "2.25", "2026-03-09", "67.50", false),
        entry(
            "abran",
            "design",
            "4.666667",
            "2026-03-09",
            "210.000015",
            false,
        ),
        entry(
            "marie",
            "design",
            "0.116667",
            "2026-03-10",
            "5.250015",
            false,
        ),
    ];
    let before = env.export();
    let mut dry = args.to_vec();
    dry.push("--dry-run");
    assert_eq!(entries(&env.json(&dry)), expected);
    assert_eq!(env.export(), before);

    let first = env.json(&args);
    assert_eq!(entries(&first), expected);
    assert_eq!(first["imported"], 3);
    let after = env.export();
    let again = env.json(&args);
    assert_eq!(
        (&again["imported"], &again["already_there"]),
        (&json!(0), &json!(3))
    );
    assert_eq!(env.export(), after);

    // The same rows under another mapping would log the hours twice: refused at the first
    // changed row.
    env.refused(
        &[&args[..], &["--map", "person:luc gagnon=abran"]].concat(),
        "conflict",
        "line 2: this row was imported before (event 8) as a different contribution: was the mapping changed?",
    );
}

#[test]
fn an_affiliate_imports_only_their_own_hours() {
    let env = team();
    let before = env.export();
    env.refused(
        &[
            "--as",
            "marie",
            "import-timesheet",
            &data("toggl.csv"),
            "--layout",
            "toggl",
        ],
        "forbidden",
        "line 2: marie is an affiliate and may log only their own contributions, not abran's",
    );
    assert_eq!(env.export(), before);

    // Marie's own rows of the Toggl file.
    let toggl = std::fs::read_to_string(data("toggl.csv")).unwrap();
    let mut own: Vec<&str> = toggl.lines().take(1).collect();
    own.extend(toggl.lines().filter(|l| l.starts_with("Marie Dubois,")));
    let own = env.write("marie.csv", &(own.join("\n") + "\n"));
    let done = env.json(&[
        "--as",
        "marie",
        "import-timesheet",
        &own,
        "--layout",
        "toggl",
    ]);
    assert_eq!(done["actor"], "marie");
    assert_eq!(done["imported"], 2);
    let log = env.json(&["log", "show", "--offset", &(env.events() - 2).to_string()]);
    assert_eq!(log["events"][0]["actor"], "marie");
    assert_eq!(log["events"][1]["actor"], "marie");
    let again = env.json(&[
        "--as",
        "marie",
        "import-timesheet",
        &own,
        "--layout",
        "toggl",
    ]);
    assert_eq!(again["already_there"], 2);
}

#[test]
fn generic_csv_columns_and_bad_options() {
    let env = team();
    let generic = data("generic.csv");
    let done = env.json(&[
        "import-timesheet",
        &generic,
        "--layout",
        "csv",
        "--columns",
        "date=Day,person=Who,project=Job,hours=Time,category=Kind,note=What",
        "--map",
        "person:Abran Tremblay=abran",
    ]);
    assert_eq!(
        entries(&done),
        vec![
            entry("abran", "engineering", "2.5", "2026-03-11", "112.50", false),
            entry("marie", "design", "1.25", "2026-03-11", "56.25", false),
        ]
    );
    assert_eq!(done["entries"][1]["note"], Value::Null);

    // No category column: `category=` says so, and --category fills it in; dates day first.
    let no_category = env.write(
        "hours.csv",
        "When,Who,Hours\n25/03/2026,luc,1:30\n26/03/2026,luc,2\n",
    );
    let done = env.json(&[
        "import-timesheet",
        &no_category,
        "--layout",
        "csv",
        "--columns",
        "date=When,person=Who,project=Who,hours=Hours,category=,note=",
        "--map",
        "project:luc=forillon",
        "--category",
        "coordination",
        "--date-order",
        "dmy",
    ]);
    assert_eq!(
        entries(&done),
        vec![
            entry("luc", "coordination", "1.5", "2026-03-25", "45.00", false),
            entry("luc", "coordination", "2", "2026-03-26", "60.00", false),
        ]
    );

    let toggl = data("toggl.csv");
    env.refused(
        &[
            "import-timesheet",
            &toggl,
            "--layout",
            "toggl",
            "--columns",
            "date=Day",
        ],
        "invalid",
        "columns are for the csv layout: the toggl and clockify layouts know their columns \
         (--columns SPEC)",
    );
    env.refused(
        &[
            "import-timesheet",
            &generic,
            "--layout",
            "csv",
            "--columns",
            "when=Day",
        ],
        "invalid",
        "columns: unknown field \"when\": expected date, person, project, hours, category or \
         note (--columns SPEC)",
    );
    env.refused(
        &[
            "import-timesheet",
            &toggl,
            "--layout",
            "toggl",
            "--map",
            "team:a=b",
        ],
        "invalid",
        "map: unknown mapping \"team\": expected person, project or category (--map SPEC)",
    );
    env.refused(
        &[
            "--key",
            "k1",
            "import-timesheet",
            &toggl,
            "--layout",
            "toggl",
        ],
        "invalid",
        "import-timesheet gives each row its own key, derived from the row: --key is not used",
    );
    let output = env.run(&["import-timesheet", "missing.csv", "--layout", "toggl"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).starts_with("error: cannot read timesheet missing.csv: "),
        "{}",
        stderr(&output)
    );
    let output = env.run(&["import-timesheet", &toggl, "--layout", "harvest"]);
    assert_eq!(output.status.code(), Some(2));
    let empty = env.write("empty.csv", "");
    env.refused(
        &["import-timesheet", &empty, "--layout", "toggl"],
        "invalid",
        "line 1: the file is empty: expected a header row",
    );
}
