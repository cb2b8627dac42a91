//! Every scenario of the book crate, exported to every format and read back by the real tool
//! when it is installed (`bean-check`, `hledger`, `ledger`, python3 with rdflib): the tool's
//! balances must equal fairshare's exactly, per account and asset. A missing tool prints a
//! skip line and the check passes (CI installs them).

#[path = "../../fairshare-book/tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use fairshare_book::MemoryStore;
use fairshare_core::{State, parse_amount};
use fairshare_export::{
    EventIndex, ValueFlowsOptions, account_class, beancount_commodity, journal_account,
    write_balances_csv, write_beancount, write_contributions_csv, write_distributions_csv,
    write_hledger, write_ledger, write_valueflows,
};
use support::Runner;

/// (journal account, fairshare asset) -> minor units.
type Balances = BTreeMap<(String, String), i128>;

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fairshare-book/tests/scenarios")
}

fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools")
}

/// Each scenario run into its own in-memory book (names repeat across scenarios).
fn scenario_books() -> Vec<(String, Runner)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(scenarios_dir())
        .expect("scenarios directory")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .filter(|path| {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            support::RUNNABLE.contains(&stem)
        })
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 4,
        "expected the scenario files, found {paths:?}"
    );
    let money = ("money".to_string(), money_out());
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("scenario file");
            let scenario: serde_json::Value = serde_json::from_str(&text).expect("scenario JSON");
            let mut runner = Runner::new(Box::new(MemoryStore::new()));
            runner.run(&scenario);
            let name = path
                .file_stem()
                .expect("stem")
                .to_string_lossy()
                .to_string();
            (name, runner)
        })
        .chain(std::iter::once(money))
        .collect()
}

/// A book where money leaves and moves (issue 13): a payout, an expense paid to an agent and
/// one paid outside, a transfer between funds, and an exchange of USD into CAD, so that every
/// journal carries those transactions and the `exchange` account (negative in CAD).
fn money_out() -> Runner {
    let scenario = serde_json::json!({"steps": [
        {"op": "agent", "handle": "ana", "role": "custodian"},
        {"op": "agent", "handle": "ben", "role": "custodian"},
        {"op": "agent", "handle": "cleo", "role": "affiliate"},
        {"op": "project", "slug": "ops", "currency": "USD", "exponent": 2},
        {"op": "revenue", "project": "ops", "amount": "300.00"},
        {"op": "project", "slug": "lab", "currency": "CAD", "exponent": 2},
        {"op": "rate", "project": "lab", "category": "assembly", "per_hour": "30.00"},
        {"op": "contribute", "project": "lab", "agent": "cleo", "kind": "work", "category": "assembly", "hours": "10"},
        {"op": "plan", "project": "lab", "buckets": [
            {"percent": "10", "of": "gross", "to": "maintenance"},
            {"contributors": {"kinds": ["work"]}}
        ]},
        {"op": "revenue", "project": "lab", "amount": "1000.00", "expect": {"maintenance": "100.00", "cleo": "900.00"}},
        {"op": "payout", "id": "p1", "agent": "cleo", "amount": "400.00", "reference": "bank-1", "by": "cleo"},
        {"op": "approve_payout", "id": "p1", "by": "ana", "expect_balances": {"cleo": "500.00"}},
        {"op": "expense", "id": "e1", "account": "maintenance", "amount": "30.00", "for": "nozzle", "by": "ben"},
        {"op": "approve_expense", "id": "e1", "by": "ana", "expect_balances": {"maintenance": "70.00"}},
        {"op": "exchange", "account": "ops-unallocated", "amount": "100.00", "from_asset": "USD", "to_asset": "CAD", "rate": "1.3719", "by": "ana",
         "expect_balances": {"ops-unallocated:CAD": "137.19", "ops-unallocated:USD": "200.00", "exchange:CAD": "-137.19", "exchange:USD": "100.00"}},
        {"op": "expense", "id": "e2", "account": "ops-unallocated", "amount": "37.19", "asset": "CAD", "for": "filament", "payee": "cleo", "by": "ben"},
        {"op": "approve_expense", "id": "e2", "by": "ana", "expect_balances": {"cleo": "537.19"}},
        {"op": "transfer", "from": "maintenance", "to": "commons", "amount": "20.00", "reason": "fund the commons", "by": "ana",
         "expect_balances": {"commons": "20.00", "maintenance": "50.00"}}
    ]});
    let mut runner = Runner::new(Box::new(MemoryStore::new()));
    runner.run(&scenario);
    runner
}

#[test]
fn money_out_appears_in_every_journal() {
    let mut runner = money_out();
    let files = export_all("money", &mut runner);
    for file in ["book.beancount", "book.journal", "book.ledger"] {
        let text = std::fs::read_to_string(files.path(file)).expect("read");
        for needle in [
            "payout p1 to cleo: bank-1",
            "expense e1 from maintenance: nozzle",
            "expense e2 from ops-unallocated: filament",
            "transfer from maintenance to commons: fund the commons",
            "exchange of 100.00 USD to CAD at 1.3719",
            "Equity:Exchange",
        ] {
            assert!(text.contains(needle), "{file} lacks {needle:?}");
        }
    }
    let balances = std::fs::read_to_string(files.path("balances.csv")).expect("read");
    assert!(
        balances.contains("exchange,exchange,CAD,-137.19,-13719,2\r\n"),
        "{balances}"
    );
}

/// forecast.json's bank (issue 15): the journals post the release from `studio-bank`, the
/// distributions CSV says what it released, and the ValueFlows note too.
#[test]
fn a_bank_release_appears_in_the_exports() {
    let mut runner = Runner::new(Box::new(MemoryStore::new()));
    let text = std::fs::read_to_string(scenarios_dir().join("forecast.json")).expect("scenario");
    runner.run(&serde_json::from_str(&text).expect("scenario JSON"));
    let files = export_all("forecast", &mut runner);
    for file in ["book.beancount", "book.journal", "book.ledger"] {
        let text = std::fs::read_to_string(files.path(file)).expect("read");
        assert!(text.contains("revenue studio distribution 3"), "{file}");
        assert!(text.contains("studio-bank"), "{file} lacks the bank");
    }
    let csv = std::fs::read_to_string(files.path("distributions.csv")).expect("read");
    let rows = read_csv(&csv);
    let third: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "3").collect();
    assert_eq!(third.len(), 2, "{csv}");
    assert!(third.iter().all(|r| r[4] == "300.00" && r[15] == "850.00"));
    let jsonld = std::fs::read_to_string(files.path("book.jsonld")).expect("read");
    assert!(
        jsonld.contains("with 850.00 released from the project's bank"),
        "no release in the ValueFlows note"
    );
}

fn exponents(state: &State) -> BTreeMap<String, u32> {
    let mut exponents = BTreeMap::new();
    for project in state.projects() {
        exponents.insert(project.currency.clone(), project.exponent);
    }
    for token in state.tokens() {
        exponents.insert(token.symbol.clone(), token.exponent);
    }
    exponents
}

/// fairshare's own non-zero balances, under the journals' account names.
fn expected_balances(state: &State) -> Balances {
    let mut balances = Balances::new();
    for (account, assets) in state.ledger().accounts() {
        let journal = journal_account(account_class(state, account), account).expect("mapping");
        for (asset, amount) in assets {
            if *amount != 0 {
                balances.insert((journal.clone(), asset.clone()), *amount);
            }
        }
    }
    balances
}

fn add_parsed(
    balances: &mut Balances,
    exponents: &BTreeMap<String, u32>,
    account: &str,
    commodity: &str,
    number: &str,
) {
    let commodity = commodity.trim_matches('"');
    let asset = commodity.strip_suffix(".FS").unwrap_or(commodity);
    let exponent = *exponents
        .get(asset)
        .unwrap_or_else(|| panic!("the tool reports an unknown commodity {commodity}"));
    let minor = parse_amount(number, exponent)
        .unwrap_or_else(|e| panic!("the tool printed {number} {commodity}: {e}"));
    if minor != 0 {
        *balances
            .entry((account.to_string(), asset.to_string()))
            .or_default() += minor;
    }
}

fn installed(program: &str, version_flag: &str) -> bool {
    let found = Command::new(program)
        .arg(version_flag)
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        eprintln!("skip: {program} is not on PATH");
    }
    found
}

fn python_with(module: &str) -> bool {
    let found = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        eprintln!("skip: python3 with {module} is not available");
    }
    found
}

fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

struct Exported {
    dir: tempfile::TempDir,
}

impl Exported {
    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().to_string()
    }
}

/// Exports every format into a temporary directory (kept, per scenario, under
/// `$FAIRSHARE_EXPORT_KEEP` when that is set, to look at the files).
fn export_all(name: &str, runner: &mut Runner) -> Exported {
    let index = EventIndex::from_store(runner.book.store_mut()).expect("index");
    let state = runner.book.state();
    let dir = match std::env::var_os("FAIRSHARE_EXPORT_KEEP") {
        Some(keep) => {
            std::fs::create_dir_all(&keep).expect("keep dir");
            tempfile::Builder::new()
                .prefix(&format!("{name}-"))
                .disable_cleanup(true)
                .tempdir_in(keep)
                .expect("kept dir")
        }
        None => tempfile::tempdir().expect("temp dir"),
    };
    let file = |name: &str| std::fs::File::create(dir.path().join(name)).expect("create");
    let summary = write_beancount(state, &index, &mut file("book.beancount")).expect("beancount");
    assert_eq!(
        summary.transactions,
        state.ledger().transactions().len() as u64
    );
    write_hledger(state, &index, &mut file("book.journal")).expect("hledger");
    write_ledger(state, &index, &mut file("book.ledger")).expect("ledger");
    write_contributions_csv(state, &index, &mut file("contributions.csv")).expect("csv");
    write_distributions_csv(state, &index, &mut file("distributions.csv")).expect("csv");
    write_balances_csv(state, &mut file("balances.csv")).expect("csv");
    write_valueflows(
        state,
        &index,
        &ValueFlowsOptions::default(),
        &mut file("book.jsonld"),
    )
    .expect("valueflows");
    Exported { dir }
}

#[test]
fn beancount_balances_equal_fairshare() {
    if !installed("bean-check", "--version") || !python_with("beancount") {
        return;
    }
    for (name, mut runner) in scenario_books() {
        let files = export_all(&name, &mut runner);
        let path = files.path("book.beancount");
        // bean-check also proves the file's `balance` assertions: one per account and asset.
        run("bean-check", &[&path]);
        let state = runner.book.state();
        let script = tools_dir().join("beancount_balances.py");
        let printed = run("python3", &[&script.to_string_lossy(), &path]);
        let exponents = exponents(state);
        let mut got = Balances::new();
        for line in printed.lines() {
            let [account, currency, number] = line.split('\t').collect::<Vec<_>>()[..] else {
                panic!("unexpected line {line:?}");
            };
            add_parsed(&mut got, &exponents, account, currency, number);
        }
        assert_eq!(got, expected_balances(state), "{name}: beancount balances");
        // The metadata: every transaction carries its event's sequence number and hash.
        let text = std::fs::read_to_string(&path).expect("read");
        let seq_lines = text.lines().filter(|l| l.starts_with("  seq: ")).count();
        let hash_lines = text.lines().filter(|l| l.starts_with("  hash: \"")).count();
        assert_eq!(seq_lines, state.ledger().transactions().len(), "{name}");
        assert_eq!(hash_lines, seq_lines, "{name}");
        eprintln!("{name}: beancount ok ({} balances)", got.len());
    }
}

#[test]
fn bean_check_refuses_a_wrong_balance() {
    if !installed("bean-check", "--version") {
        return;
    }
    let (name, mut runner) = scenario_books()
        .into_iter()
        .find(|(name, _)| name == "forillon")
        .expect("forillon");
    let files = export_all(&name, &mut runner);
    let path = files.path("book.beancount");
    let text = std::fs::read_to_string(&path).expect("read");
    // abran holds 5606.47 CAD; assert one cent more (within Beancount's default tolerance,
    // so this also proves the export's zero tolerance).
    let tampered = text.replace("5606.47 ~ 0 CAD", "5606.48 ~ 0 CAD");
    assert_ne!(tampered, text, "the export should assert abran's balance");
    let bad = files.path("tampered.beancount");
    std::fs::write(&bad, tampered).expect("write");
    let output = Command::new("bean-check").arg(&bad).output().expect("run");
    assert!(
        !output.status.success(),
        "bean-check accepted a wrong balance"
    );
}

#[test]
fn hledger_balances_equal_fairshare() {
    if !installed("hledger", "--version") {
        return;
    }
    for (name, mut runner) in scenario_books() {
        let files = export_all(&name, &mut runner);
        let path = files.path("book.journal");
        run(
            "hledger",
            &["-f", &path, "check", "accounts", "commodities"],
        );
        let csv = run(
            "hledger",
            &[
                "-f",
                &path,
                "balance",
                "--flat",
                "--no-total",
                "--layout=bare",
                "-O",
                "csv",
            ],
        );
        let state = runner.book.state();
        let exponents = exponents(state);
        let mut got = Balances::new();
        for line in csv.lines().skip(1) {
            let fields: Vec<&str> = line.split(',').map(|f| f.trim_matches('"')).collect();
            let [account, commodity, number] = fields[..] else {
                panic!("unexpected line {line:?}");
            };
            add_parsed(&mut got, &exponents, account, commodity, number);
        }
        assert_eq!(got, expected_balances(state), "{name}: hledger balances");
        eprintln!("{name}: hledger ok ({} balances)", got.len());
    }
}

#[test]
fn ledger_balances_equal_fairshare() {
    if !installed("ledger", "--version") {
        return;
    }
    for (name, mut runner) in scenario_books() {
        let files = export_all(&name, &mut runner);
        let path = files.path("book.ledger");
        let text = run(
            "ledger",
            &["-f", &path, "--pedantic", "balance", "--flat", "--no-total"],
        );
        let state = runner.book.state();
        let exponents = exponents(state);
        let mut got = Balances::new();
        // An account's amounts are printed one per line; the account name ends its group.
        let mut pending: Vec<(String, String)> = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let trimmed = line.trim_start();
            let mut parts = trimmed.splitn(2, ' ');
            let number = parts.next().unwrap_or("").to_string();
            let rest = parts.next().unwrap_or("").trim_start();
            let (commodity, account) = match rest.split_once("  ") {
                Some((commodity, account)) => (commodity.trim(), Some(account.trim())),
                None if number == "0" => ("", Some(rest.trim())),
                None => (rest.trim(), None),
            };
            if !commodity.is_empty() {
                pending.push((number, commodity.to_string()));
            }
            if let Some(account) = account {
                for (number, commodity) in pending.drain(..) {
                    add_parsed(&mut got, &exponents, account, &commodity, &number);
                }
            }
        }
        assert!(pending.is_empty(), "{name}: amounts without an account");
        assert_eq!(got, expected_balances(state), "{name}: ledger balances");
        eprintln!("{name}: ledger ok ({} balances)", got.len());
    }
}

#[test]
fn valueflows_parses_as_rdf_in_the_vf_vocabulary() {
    for (name, mut runner) in scenario_books() {
        let files = export_all(&name, &mut runner);
        let path = files.path("book.jsonld");
        // Always: well-formed JSON with a context and a graph.
        let text = std::fs::read_to_string(&path).expect("read");
        let document: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(
            document["@context"]["vf"],
            "https://w3id.org/valueflows/ont/vf#"
        );
        assert!(!document["@graph"].as_array().expect("graph").is_empty());
        if !python_with("rdflib") {
            return;
        }
        let script = tools_dir().join("check_valueflows.py");
        let printed = run("python3", &[&script.to_string_lossy(), &path]);
        let triples: u64 = printed
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .expect("triple count");
        assert!(triples > 0, "{name}: no triples");
        eprintln!("{name}: valueflows ok: {}", printed.trim());
    }
}

/// A minimal RFC 4180 reader for checking the CSV tables.
fn read_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(field.is_empty() && record.is_empty(), "unterminated record");
    records
}

#[test]
fn csv_tables_agree_with_the_book() {
    for (name, mut runner) in scenario_books() {
        let files = export_all(&name, &mut runner);
        let state = runner.book.state();
        let read = |file: &str| {
            let text = std::fs::read_to_string(files.path(file)).expect("read");
            assert!(text.is_empty() || text.ends_with("\r\n"), "CRLF line ends");
            read_csv(&text)
        };

        let balances = read("balances.csv");
        assert_eq!(
            balances[0],
            [
                "account",
                "class",
                "asset",
                "balance",
                "balance_minor",
                "exponent"
            ]
        );
        let mut got = BTreeMap::new();
        for row in &balances[1..] {
            let minor: i128 = row[4].parse().expect("minor");
            let exponent: u32 = row[5].parse().expect("exponent");
            assert_eq!(parse_amount(&row[3], exponent).expect("balance"), minor);
            got.insert((row[0].clone(), row[2].clone()), minor);
        }
        let mut want = BTreeMap::new();
        for (account, assets) in state.ledger().accounts() {
            for (asset, amount) in assets {
                want.insert((account.to_string(), asset.clone()), *amount);
            }
        }
        assert_eq!(got, want, "{name}: balances.csv");

        let contributions = read("contributions.csv");
        assert_eq!(
            contributions.len(),
            state.contributions().len() + 1,
            "{name}"
        );
        assert!(
            contributions
                .iter()
                .all(|r| r.len() == contributions[0].len())
        );

        let distributions = read("distributions.csv");
        let lines: usize = state.distributions().iter().map(|d| d.lines.len()).sum();
        assert_eq!(distributions.len(), lines + 1, "{name}");
        // The payout lines of each distribution add up to its amount and what the bank
        // released into it.
        let mut sums: BTreeMap<String, (i128, i128)> = BTreeMap::new();
        for row in &distributions[1..] {
            let exponent = state.asset_exponent(&row[3]).expect("currency");
            let entry = sums.entry(row[0].clone()).or_default();
            entry.0 = parse_amount(&row[4], exponent).expect("amount")
                + parse_amount(&row[15], exponent).expect("released");
            entry.1 += parse_amount(&row[10], exponent).expect("line amount");
        }
        assert!(
            sums.values().all(|(amount, lines)| amount == lines),
            "{name}"
        );
        eprintln!(
            "{name}: csv ok ({} contributions, {} payout lines, {} balances)",
            contributions.len() - 1,
            lines,
            balances.len() - 1
        );
    }
}

#[test]
fn beancount_commodities_are_valid() {
    assert_eq!(beancount_commodity("UNITS"), "UNITS");
    assert_eq!(beancount_commodity("Q"), "Q.FS");
}
