//! Runs the real `fairshare` binary on temporary books, with the clock fixed by FAIRSHARE_NOW.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Env, FORILLON_REVENUE, NOW, amounts, stderr, stdout};
use serde_json::{Value, json};

/// The forillon contract of DOMAIN.md up to its plan, with an observer on the side.
fn forillon(env: &Env) {
    env.ok(&["init"]);
    env.ok(&["agent", "add", "abran", "--name", "Abran"]);
    env.ok(&["agent", "add", "marie"]);
    env.ok(&["agent", "add", "luc", "--role", "custodian"]);
    env.ok(&["agent", "add", "odile", "--role", "observer"]);
    common::forillon_project(env);
    assert_eq!(
        common::forillon_work(env),
        json!({"contribution": 1, "project": "forillon", "agent": "abran", "kind": "work",
               "value": "5400.00", "currency": "CAD", "status": "approved",
               "approvals_required": 0, "gift": false, "replayed": false})
    );
    let material = common::forillon_material(env);
    assert_eq!(material["value"], "300.00");
    let shown = common::forillon_plan(env);
    assert_eq!(shown["version"], 2);
    assert_eq!(shown["buckets"][1]["percent"], "10");
    assert_eq!(
        shown["buckets"][1]["words"],
        "10% of the whole amount to infra (rounded down)"
    );
}

/// forillon after its 12000.00 revenue under the contract's key (without its payer).
fn forillon_paid() -> Env {
    let env = Env::empty();
    forillon(&env);
    env.ok(&FORILLON_REVENUE[..5]);
    env
}

#[test]
fn a_revenue_preview_prints_the_statement_that_follows_and_records_nothing() {
    let env = Env::empty();
    forillon(&env);
    let before = env.export();
    let preview_args = [&FORILLON_REVENUE[..], &["--preview"]].concat();
    let preview = env.json(&preview_args);
    assert_eq!(
        preview,
        json!({"distribution": 1, "project": "forillon", "amount": "12000.00",
               "currency": "CAD", "plan_version": 2, "replayed": false, "preview": true,
               "payouts": amounts(&[
                   ("abran", "5558.82"),
                   ("infra", "1200.00"),
                   ("luc", "1535.30"),
                   ("marie", "3705.88"),
               ]),
               "lines": [
            {"bucket": 1, "bucket_label": "reimburse material", "to": "luc", "amount": "300.00"},
            {"bucket": 2, "bucket_label": "10% of gross -> infra", "to": "infra", "amount": "1200.00"},
            {"bucket": 3, "bucket_label": "contributors (work)", "to": "abran", "amount": "5558.82"},
            {"bucket": 3, "bucket_label": "contributors (work)", "to": "luc", "amount": "1235.30"},
            {"bucket": 3, "bucket_label": "contributors (work)", "to": "marie", "amount": "3705.88"},
        ]})
    );
    let text = env.ok(&preview_args);
    assert_eq!(
        text.lines().take(2).collect::<Vec<_>>(),
        [
            "preview: nothing was recorded; this is what the revenue would do now",
            "distribution 1: 12000.00 CAD into forillon by plan version 2",
        ]
    );
    // An observer may preview too.
    let observed = env.json(&[
        "--as",
        "odile",
        "revenue",
        "forillon",
        "12000.00",
        "--preview",
    ]);
    assert_eq!(observed["payouts"], preview["payouts"]);
    // Nothing recorded, the key not used: the export is byte-identical.
    assert_eq!(env.export(), before);
    // The revenue that follows (with the same key) is the preview, recorded.
    let mut recorded = env.json(&FORILLON_REVENUE);
    assert_eq!(recorded.get("preview"), None);
    recorded["preview"] = json!(true);
    assert_eq!(recorded, preview);
    // The text of the real revenue has no preview line.
    assert!(
        !env.ok(&["revenue", "forillon", "1.00"]).contains("preview"),
        "a recorded revenue is not a preview"
    );
}

/// forillon before its revenue: 12000.00 leaves 10500.00 for 10200 of work value, abran's
/// 5400 of it gives 5558.82. With 10 more hours of engineering (450 more value), 1050000
/// cents split 5850 : 1200 : 3600 floors to 576760 / 118309 / 354929 and the two cents left
/// go to the larger remainders, luc's (.86) and marie's (.58): abran 5767.60.
#[test]
fn an_estimate_says_what_an_agent_would_get_now_and_with_more_hours_and_records_nothing() {
    let env = Env::empty();
    forillon(&env);
    let before = env.export();
    let args = [
        "estimate",
        "forillon",
        "--agent",
        "abran",
        "--revenue",
        "12000.00",
        "--hours",
        "10",
        "--category",
        "engineering",
    ];
    let estimate = env.json(&args);
    assert_eq!(
        (
            &estimate["now"],
            &estimate["hours_value"],
            &estimate["with_hours"],
            &estimate["difference"]
        ),
        (
            &json!("5558.82"),
            &json!("450"),
            &json!("5767.60"),
            &json!("208.78")
        )
    );
    assert_eq!(
        estimate["payouts_with_hours"],
        amounts(&[
            ("abran", "5767.60"),
            ("infra", "1200.00"),
            ("luc", "1483.10"),
            ("marie", "3549.30"),
        ])
    );
    let text = env.ok(&args);
    assert_eq!(
        text.lines().take(3).collect::<Vec<_>>(),
        [
            "estimate: nothing was recorded; what abran would receive from 12000.00 CAD into forillon (plan version 2)",
            "  now:        5558.82 CAD",
            "  with 10 h of engineering (value 450): 5767.60 CAD (difference 208.78)",
        ]
    );
    // Without --agent, the one running it: marie, now.
    let own = env.json(&[
        "--as",
        "marie",
        "estimate",
        "forillon",
        "--revenue",
        "12000.00",
    ]);
    assert_eq!(
        (&own["agent"], &own["now"]),
        (&json!("marie"), &json!("3705.88"))
    );
    assert_eq!(own.get("with_hours"), None);
    env.refused(
        &["estimate", "forillon", "--revenue", "12000.00"],
        "invalid",
        "name the agent to estimate for: the operator is not an agent",
    );
    assert_eq!(env.export(), before, "an estimate records nothing");
}

/// forillon's 12000.00 under "everything by value" against the plan used (hand-computed in
/// fairshare-book's scenarios test): abran 6171.43 instead of 5558.82, and so on; the totals
/// add up to the revenue under both plans.
#[test]
fn plan_compare_replays_past_revenues_under_another_plan_and_records_nothing() {
    let env = Env::empty();
    forillon(&env);
    env.ok(&["revenue", "forillon", "12000.00"]);
    let by_value = env.write("by-value.toml", "[[bucket]]\ntype = \"contributors\"\n");
    let before = env.export();
    let compared = env.json(&["plan", "compare", "forillon", &by_value]);
    let row = |account: &str, a: &str, b: &str, difference: &str, agent: bool| {
        json!({"account": account, "agent": agent, "plan_a": a, "plan_b": b,
               "difference": difference})
    };
    assert_eq!(
        compared["totals"],
        json!([
            row("abran", "6171.43", "5558.82", "612.61", true),
            row("luc", "1714.29", "1535.30", "178.99", true),
            row("marie", "4114.28", "3705.88", "408.40", true),
            row("infra", "0.00", "1200.00", "-1200.00", false),
        ])
    );
    assert_eq!(
        (
            &compared["against"],
            &compared["amount"],
            &compared["revenues"][0]["plan_version"]
        ),
        (&json!("plan used"), &json!("12000.00"), &json!(2))
    );
    assert_eq!(compared["revenues"][0].get("accounts"), None, "totals only");
    // Per revenue: the one revenue's accounts are the totals.
    let detailed = env.json(&["plan", "compare", "forillon", &by_value, "--per-revenue"]);
    assert_eq!(detailed["revenues"][0]["accounts"], compared["totals"]);
    assert_eq!(detailed["totals"], compared["totals"]);
    let text = env.ok(&["plan", "compare", "forillon", &by_value, "--revenues", "1"]);
    assert!(
        text.starts_with(
            "plan compare: nothing was recorded; 1 revenue(s) of forillon totalling 12000.00 CAD, plan A against plan used\n"
        ),
        "{text}"
    );
    env.refused(
        &["plan", "compare", "forillon", &by_value, "--revenues", "0"],
        "invalid",
        "revenues \"0\": say `all` or how many of the last revenues (1 or more)",
    );
    assert_eq!(env.export(), before, "a comparison records nothing");
}

/// forillon after its 12000.00 and a payout of 1000.00 to abran: the project's report and
/// abran's statement of the year.
#[test]
fn a_report_and_a_statement_of_the_year() {
    let env = Env::empty();
    forillon(&env);
    env.ok(&["revenue", "forillon", "12000.00", "--from", "Parks Canada"]);
    env.ok(&[
        "--as",
        "abran",
        "payout",
        "request",
        "abran",
        "1000.00",
        "--reference",
        "b-1",
    ]);
    env.ok(&["--as", "luc", "payout", "approve", "payout-1"]);
    let report = env.json(&["report", "forillon"]);
    let value = |kind: &str, category: Option<&str>, counted: &str| {
        let mut row =
            json!({"kind": kind, "contributions": 1, "counted": counted, "pending": "0.00"});
        if let Some(category) = category {
            row["category"] = json!(category);
        }
        row
    };
    assert_eq!(
        report["value"],
        json!([
            value("material", None, "300.00"),
            value("work", Some("coordination"), "1200.00"),
            value("work", Some("design"), "3600.00"),
            value("work", Some("engineering"), "5400.00"),
        ])
    );
    assert_eq!(
        (
            &report["counted"],
            &report["distributed"],
            &report["distributions"][0]["from"]
        ),
        (
            &json!("10500.00"),
            &json!("12000.00"),
            &json!("Parks Canada")
        )
    );
    assert_eq!(
        report["payouts"],
        json!([{"id": "payout-1", "agent": "abran", "date": "2026-11-21", "amount": "1000.00",
                "status": "paid"}])
    );
    assert_eq!(
        report["top_contributors"],
        json!([
            {"agent": "abran", "value": "5400.00", "share": "0.514285714285714286"},
            {"agent": "marie", "value": "3600.00", "share": "0.342857142857142857"},
            {"agent": "luc", "value": "1500.00", "share": "0.142857142857142857"},
        ])
    );
    assert_eq!(report["pending"], json!([]));
    // Nothing dated after the revenue.
    let later = env.json(&["report", "forillon", "--from", "2026-11-22"]);
    assert_eq!(
        (&later["counted"], &later["distributed"]),
        (&json!("0.00"), &json!("0.00"))
    );
    env.refused(
        &["report", "forillon", "--to", "2026-02-30"],
        "invalid",
        "to \"2026-02-30\": no such date 2026-02-30",
    );

    let statement = env.json(&["statement", "abran", "--year", "2026"]);
    assert_eq!(
        statement,
        json!({"agent": "abran", "year": 2026,
               "earned": [{"distribution": 1, "project": "forillon", "date": "2026-11-21",
                           "asset": "CAD", "amount": "5558.82"}],
               "payouts": [{"id": "payout-1", "agent": "abran", "date": "2026-11-21",
                            "amount": "1000.00", "status": "paid"}],
               "totals": {"CAD": {"earned": "5558.82", "paid_out": "1000.00"}}})
    );
    let other_year = env.json(&["statement", "abran", "--year", "2025"]);
    assert_eq!(
        (&other_year["earned"], &other_year["totals"]),
        (&json!([]), &json!({}))
    );
    // Without --year, a distribution's statement, as before.
    let whole = env.json(&["statement", "1"]);
    assert_eq!(whole["distribution"], 1);
    assert_eq!(whole.get("lines_page"), None, "every line: {whole}");
    // Paged: the lines asked for, and what the accounts they pay received in all.
    let lines = whole["lines"].as_array().unwrap();
    let paged = env.json(&["statement", "1", "--limit", "2", "--offset", "1"]);
    assert_eq!(paged["lines"], json!(lines[1..3]));
    let total = lines.len();
    assert_eq!(
        paged["lines_page"],
        json!({"total": total, "offset": 1, "limit": 2,
               "next_offset": if total > 3 { json!(3) } else { json!(null) }})
    );
    let mut named: Vec<&str> = lines[1..3]
        .iter()
        .map(|l| l["to"].as_str().unwrap())
        .collect();
    named.sort();
    named.dedup();
    let payouts = whole["payouts"].as_object().unwrap();
    let expected: serde_json::Map<_, _> = (named.iter())
        .map(|name| (name.to_string(), payouts[*name].clone()))
        .collect();
    assert_eq!(paged["payouts"], Value::Object(expected));
    let text = env.ok(&["statement", "1", "--limit", "2", "--offset", "1"]);
    assert!(text.contains(&format!("\n2 of {total} lines")), "{text}");
    env.refused(
        &["statement", "1", "--limit", "1001"],
        "invalid",
        "limit 1001 is above the maximum 1000: page with offset",
    );
    env.refused(
        &["statement", "abran"],
        "invalid",
        "statement \"abran\": a distribution's number, or an agent's handle with --year YYYY",
    );
    env.refused(
        &["statement", "abran", "--year", "26"],
        "invalid",
        "year \"26\": a year of four digits, e.g. 2026",
    );
}

#[test]
fn forillon_story_end_to_end() {
    let env = Env::empty();
    forillon(&env);
    let first = env.json(&FORILLON_REVENUE);
    let expected = amounts(&[
        ("abran", "5558.82"),
        ("infra", "1200.00"),
        ("luc", "1535.30"),
        ("marie", "3705.88"),
    ]);
    assert_eq!(first["distribution"], 1);
    assert_eq!(first["amount"], "12000.00");
    assert_eq!(first["currency"], "CAD");
    assert_eq!(first["plan_version"], 2);
    assert_eq!(first["replayed"], false);
    assert_eq!(first["payouts"], expected);
    assert_eq!(
        first["lines"],
        json!([
            {"bucket": 1, "bucket_label": "reimburse material", "to": "luc", "amount": "300.00"},
            {"bucket": 2, "bucket_label": "10% of gross -> infra", "to": "infra", "amount": "1200.00"},
            {"bucket": 3, "bucket_label": "contributors (work)", "to": "abran", "amount": "5558.82"},
            {"bucket": 3, "bucket_label": "contributors (work)", "to": "luc", "amount": "1235.30"},
            {"bucket": 3, "bucket_label": "contributors (work)", "to": "marie", "amount": "3705.88"},
        ])
    );
    let balances = env.json(&["balance"]);
    assert_eq!(
        balances,
        json!({"total": 5, "offset": 0, "limit": 1000, "balances": {
            "abran": {"CAD": "5558.82"}, "infra": {"CAD": "1200.00"}, "luc": {"CAD": "1535.30"},
            "marie": {"CAD": "3705.88"}, "outside": {"CAD": "-12000.00"}}})
    );

    // The same key and request again: the first statement, nothing new recorded.
    let events = env.json(&["log", "show"])["head"].clone();
    let again = env.json(&FORILLON_REVENUE);
    let mut replayed = first.clone();
    replayed["replayed"] = json!(true);
    assert_eq!(again, replayed);
    assert_eq!(env.json(&["balance"]), balances);
    assert_eq!(env.json(&["log", "show"])["head"], events);
    // The --key may come before the subcommand too.
    let before = env.json(&[
        "--key",
        "parks-contract-1",
        "revenue",
        "forillon",
        "12000.00",
        "--from",
        "Parks Canada",
    ]);
    assert_eq!(before, replayed);

    let statement = env.json(&["statement", "1"]);
    let mut expected_statement = first.clone();
    let object = expected_statement.as_object_mut().unwrap();
    object.remove("replayed");
    object.insert("date".into(), json!("2026-11-21"));
    object.insert("key".into(), json!("parks-contract-1"));
    object.insert("from".into(), json!("Parks Canada"));
    assert_eq!(statement, expected_statement);

    // A tip: the material is already reimbursed.
    let tip = env.json(&["revenue", "forillon", "100.00", "--key", "tip-1"]);
    assert_eq!(
        tip["payouts"],
        amounts(&[
            ("abran", "47.65"),
            ("infra", "10.00"),
            ("luc", "10.59"),
            ("marie", "31.76"),
        ])
    );
    assert_eq!(
        env.json(&["balance", "luc"]),
        json!({"balances": {"luc": {"CAD": "1545.89"}}})
    );

    let shares = env.json(&["shares", "forillon"]);
    assert_eq!(
        shares,
        json!({"as_of": "2026-11-21", "currency": "CAD", "agents": 3, "offset": 0, "limit": 100, "next_offset": null, "project": "forillon", "total": "10500.00", "shares": [
            {"agent": "abran", "value": "5400.00", "share": "0.514285714285714286"},
            {"agent": "luc", "value": "1500.00", "share": "0.142857142857142857"},
            {"agent": "marie", "value": "3600.00", "share": "0.342857142857142857"},
        ]})
    );
    let distributions = env.json(&["distributions", "forillon"]);
    assert_eq!(distributions["total"], 2);
    assert_eq!(distributions["distributions"][1]["key"], "tip-1");
    let text = env.ok(&["statement", "1"]);
    assert!(text.contains("from: Parks Canada"), "{text}");
    assert!(text.contains("abran  5558.82"), "{text}");
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let env = forillon_paid();
    let work = common::log_work;
    env.refused(
        &work("nobody", "5", "design"),
        "not-found",
        "unknown agent \"nobody\": add the agent first",
    );
    env.refused(
        &[
            "log",
            "work",
            "nowhere",
            "abran",
            "5",
            "--category",
            "design",
        ],
        "not-found",
        "unknown project \"nowhere\": add the project first",
    );
    env.refused(
        &["agent", "add", "abran"],
        "conflict",
        "handle \"abran\" is already taken by an agent",
    );
    env.refused(
        &work("abran", "-5", "design"),
        "invalid",
        "hours must be greater than zero, got -5",
    );
    env.refused(
        &work("abran", "0", "design"),
        "invalid",
        "hours must be greater than zero, got 0",
    );
    env.refused(
        &work("abran", "five", "design"),
        "invalid",
        "malformed hours \"five\": expected a decimal number such as 45.00",
    );
    env.refused(
        &["log", "cash", "forillon", "luc", "12,50"],
        "invalid",
        "malformed amount \"12,50\": expected digits with an optional '.' and decimals",
    );
    env.refused(
        &["log", "material", "forillon", "luc", "1.005"],
        "invalid",
        "amount \"1.005\" has 3 decimals but the asset has 2",
    );
    env.refused(
        &["revenue", "forillon", "1.005"],
        "invalid",
        "amount \"1.005\" has 3 decimals but the asset has 2",
    );
    env.refused(
        &["revenue", "forillon", "-100.00"],
        "invalid",
        "amount \"-100.00\" must be greater than zero",
    );
    env.refused(
        &work("abran", "5", "welding"),
        "invalid",
        "unknown category \"welding\" in project forillon: set its rate first with `rate set forillon welding PER_HOUR`",
    );
    let over = env.write(
        "over.toml",
        "[[bucket]]\ntype = \"percent\"\npercent = 60\nto = \"infra\"\n\
         [[bucket]]\ntype = \"percent\"\npercent = \"50\"\nto = \"maintenance\"\n",
    );
    env.refused(
        &["plan", "set", "forillon", &over],
        "invalid",
        "the plan's percentages of the gross add up to 110%, more than 100%",
    );
    let single = env.write(
        "single.toml",
        "[[bucket]]\ntype = \"percent\"\npercent = 120\nto = \"infra\"\n",
    );
    env.refused(
        &["plan", "set", "forillon", &single],
        "invalid",
        "percentage 120 must be above 0 and at most 100",
    );
    let typo = env.write(
        "typo.toml",
        "[[bucket]]\ntype = \"reimburse\"\n[[bucket]]\ntype = \"percent\"\npercnt = 10\nto = \"infra\"\n",
    );
    env.refused(
        &["plan", "set", "forillon", &typo],
        "invalid",
        &format!(
            "plan file {typo}: bucket 2: unknown field `percnt`, expected one of `percent`, `of`, `to`"
        ),
    );
    env.refused(
        &["revenue", "forillon", "500.00", "--key", "parks-contract-1"],
        "conflict",
        "idempotency key \"parks-contract-1\" was already used for a different request (event 14); use a new key",
    );
    env.refused(
        &[
            "--as",
            "odile",
            "log",
            "work",
            "forillon",
            "odile",
            "5",
            "--category",
            "design",
        ],
        "forbidden",
        "odile is an observer: observers read but do not log contributions",
    );
    env.refused(
        &["agent", "add", "zed", "--role", "boss"],
        "invalid",
        "invalid value 'boss' for '--role <ROLE>' [possible values: custodian, affiliate, observer]",
    );
    env.refused(
        &["multiplier", "set", "forillon", "gold", "2"],
        "invalid",
        "invalid value 'gold' for '<KIND>' [possible values: work, cash, material, use, cite, bounty]",
    );
    env.refused(
        &[
            "log",
            "work",
            "forillon",
            "abran",
            "2",
            "--category",
            "design",
            "--date",
            "2026-02-30",
        ],
        "invalid",
        "no such date 2026-02-30 (--date YYYY-MM-DD)",
    );
    env.refused(
        &["reject", "1"],
        "conflict",
        "contribution 1 is already approved",
    );
    env.refused(&["statement", "9"], "not-found", "unknown distribution 9");
    env.refused(
        &["contributions", "forillon", "--limit", "1001"],
        "invalid",
        "limit 1001 is above the maximum 1000: page with offset",
    );

    // Without --json: nothing on stdout, the message on stderr, the same exit status.
    let output = env.run(&work("abran", "-5", "design"));
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "error: hours must be greater than zero, got -5\n"
    );
}

#[test]
fn roles_limit_what_an_agent_may_do() {
    let env = Env::empty();
    forillon(&env);
    env.ok(&["project", "add", "tracker", "--approvals", "1"]);
    env.ok(&["rate", "set", "tracker", "firmware", "40.00"]);
    let abran = ["--as", "abran"];
    let log = |agent: &'static str| {
        vec![
            "log",
            "work",
            "tracker",
            agent,
            "10",
            "--category",
            "firmware",
        ]
    };

    // An affiliate logs their own contributions only; they wait for an approval.
    let own = env.json(&[&abran[..], &log("abran")].concat());
    assert_eq!(own["contribution"], 5);
    assert_eq!(own["status"], "pending");
    env.refused(
        &[&abran[..], &log("marie")].concat(),
        "forbidden",
        "abran is an affiliate and may log only their own contributions, not marie's",
    );
    env.refused(
        &[
            "--as", "abran", "rate", "set", "tracker", "firmware", "90.00",
        ],
        "forbidden",
        "only custodians may set rates; this agent is an affiliate",
    );
    env.refused(
        &["--as", "abran", "approve", "5"],
        "forbidden",
        "abran may not approve their own contribution 5: nobody reviews their own work",
    );
    env.refused(
        &["--as", "odile", "approve", "5"],
        "forbidden",
        "odile is an observer: observers may not approve contributions",
    );
    env.refused(
        &["--as", "ghost", "agent", "list"],
        "forbidden",
        "unknown actor \"ghost\": no agent has that handle",
    );
    assert_eq!(env.json(&["shares", "tracker"])["shares"], json!([]));

    // Another agent's approval makes it count.
    let approved = env.json(&["--as", "marie", "approve", "5"]);
    assert_eq!(
        approved,
        json!({"contribution": 5, "status": "approved", "approvals": ["marie"],
               "approvals_required": 1, "reason": null, "replayed": false})
    );
    assert_eq!(
        env.json(&["shares", "tracker"])["shares"],
        json!([{"agent": "abran", "value": "400.00", "share": "1"}])
    );

    // A rejection needs a reason, and then the contribution never counts.
    env.ok(&[&["--as", "marie"][..], &log("marie")].concat());
    env.refused(
        &["--as", "luc", "reject", "6"],
        "invalid",
        "a rejection needs a reason (--reason TEXT)",
    );
    let rejected = env.json(&["--as", "luc", "reject", "6", "--reason", "duplicate"]);
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["reason"], "duplicate");
    let listed = env.json(&["contributions", "tracker", "--status", "rejected"]);
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["contributions"][0]["id"], 6);
    // An observer may read.
    env.ok(&["--as", "odile", "shares", "tracker"]);
}

#[test]
fn log_search_says_the_events_that_match_in_words() {
    let env = forillon_paid();
    let said = |doc: &Value| -> Vec<(u64, String)> {
        doc["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["seq"].as_u64().unwrap(),
                    e["sentence"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let marie = env.json(&["log", "search", "--agent", "marie"]);
    assert_eq!(marie["head"], 14);
    assert_eq!(marie["older"], Value::Null);
    assert_eq!(
        said(&marie),
        [
            (
                10,
                "marie logged 80 h of design on forillon (recorded by operator)".to_string()
            ),
            (2, "operator added marie as an affiliate".to_string()),
        ]
    );
    assert_eq!(marie["events"][0]["op"], "log");
    assert_eq!(marie["events"][0]["actor"], "operator");
    assert_eq!(marie["events"][0]["recorded_at"], NOW);

    // Pages walk back from the newest: the next one is `--before` the answer's `older`.
    let page = |before: Option<&str>| {
        let mut args = vec!["log", "search", "--project", "forillon", "--kind", "log"];
        args.extend(["--limit", "2"]);
        if let Some(before) = before {
            args.extend(["--before", before]);
        }
        env.json(&args)
    };
    let first = page(None);
    assert_eq!(
        first["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].clone())
            .collect::<Vec<_>>(),
        [json!(12), json!(11)]
    );
    assert_eq!(first["older"], 11);
    let second = page(Some("11"));
    assert_eq!(
        said(&second)
            .iter()
            .map(|(seq, _)| *seq)
            .collect::<Vec<_>>(),
        [10, 9]
    );
    assert_eq!(second["older"], 9);
    let last = page(Some("9"));
    assert_eq!(last["events"], json!([]));
    assert_eq!(last["older"], Value::Null);

    // In words for a person, and open to an observer.
    assert_eq!(
        env.ok(&["--as", "odile", "log", "search", "--kind", "revenue"]),
        format!(
            "seq  time                  what happened\n \
             14  {NOW}  operator recorded 12000.00 CAD of revenue on forillon\n\
             1 event of 14, newest first\n"
        )
    );
    env.refused(
        &["log", "search", "--kind", "payday"],
        "invalid",
        "kind \"payday\" is no kind of event: use an operation such as log or revenue",
    );
    env.refused(
        &["log", "search", "--limit", "1001"],
        "invalid",
        "limit 1001 is above the maximum 1000: page with before",
    );
}

/// The hash of the last event, as `log show` lists it.
fn last_hash(env: &Env, book: &Path) -> String {
    let show = |args: &[&str]| -> Value {
        let output = env.run_on(book, &[&["--json", "log", "show"][..], args].concat());
        serde_json::from_str(&stdout(&output)).unwrap()
    };
    let head = show(&[])["head"].as_u64().unwrap();
    let offset = (head - 1).to_string();
    show(&["--offset", &offset])["events"][0]["hash"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A copy of a SQLite book with its write-ahead log: in client mode a server keeps the book
/// open, and its last commits may still be in the WAL, not yet in the main file.
fn copy_book(from: &std::path::Path, to: &std::path::Path) {
    std::fs::copy(from, to).unwrap();
    let wal = |path: &std::path::Path| std::path::PathBuf::from(format!("{}-wal", path.display()));
    if wal(from).exists() {
        std::fs::copy(wal(from), wal(to)).unwrap();
    }
}

#[test]
fn verify_finds_a_changed_and_a_missing_event() {
    let env = forillon_paid();
    let report = env.json(&["verify"]);
    assert_eq!(
        report,
        json!({"ok": true, "events": 14, "head": last_hash(&env, &env.book), "problem": null})
    );
    assert!(env.ok(&["verify"]).starts_with("ok: 14 events"));

    // Someone edits abran's 120 hours to 121 in the file.
    let tampered = env.path("tampered.db");
    copy_book(&env.book, &tampered);
    env.sqlite(
        &tampered,
        r#"UPDATE events SET body = replace(body, '"hours":"120"', '"hours":"121"') WHERE seq = 9"#,
    );
    let output = env.run_on(&tampered, &["verify"]);
    assert_eq!(output.status.code(), Some(3));
    let text = stdout(&output);
    assert!(
        text.starts_with("event 9: stored hash ") && text.contains("does not match its contents"),
        "{text}"
    );
    let output = env.run_on(&tampered, &["--json", "verify"]);
    assert_eq!(output.status.code(), Some(3));
    let doc: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["events"], 8);
    assert_eq!(doc["problem"]["seq"], 9);
    assert!(stderr(&output).starts_with("event 9: "));

    // Someone deletes an event.
    let gapped = env.path("gapped.db");
    copy_book(&env.book, &gapped);
    env.sqlite(&gapped, "DELETE FROM events WHERE seq = 5");
    let output = env.run_on(&gapped, &["verify"]);
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stdout(&output).starts_with("event 6: expected sequence number 5, found 6\n"),
        "{}",
        stdout(&output)
    );
    // Opening the damaged book to work on it fails as corrupt, with the same exit status.
    let output = env.run_on(&gapped, &["--json", "shares", "forillon"]);
    assert_eq!(output.status.code(), Some(3));
    let doc: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(doc["error"]["kind"], "corrupt");
}

#[test]
fn export_then_import_is_byte_identical() {
    let env = forillon_paid();
    env.ok(&[
        "log",
        "cite",
        "forillon",
        "marie",
        "250.00",
        "--note",
        "a \"quoted\", note",
    ]);
    env.ok(&[
        "log", "use", "forillon", "luc", "3", "--rate", "20.00", "--gift",
    ]);
    let exported = env.path("export.jsonl");
    let summary = env.json(&["export", "--output", exported.to_str().unwrap()]);
    assert_eq!(summary["events"], 16);
    let first = std::fs::read_to_string(&exported).unwrap();
    assert_eq!(first, env.export());

    let copy = env.path("copy.db");
    let output = env.run_on(&copy, &["--json", "import", exported.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let doc: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(doc["imported"], 16);
    assert_eq!(doc["head"], last_hash(&env, &env.book));
    let again = stdout(&env.run_on(&copy, &["export"]));
    assert_eq!(again, first);

    // Into a book that has events: refused, nothing written.
    let output = env.run(&["--json", "import", exported.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let doc: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        doc["error"],
        json!({"kind": "input", "message": "import needs an empty book: this one already has events"})
    );
    // A damaged file: refused with its line number, and no book is left behind.
    let broken = env.write("broken.jsonl", &first.replacen("\"120\"", "\"121\"", 1));
    let fresh = env.path("fresh.db");
    let output = env.run_on(&fresh, &["import", &broken]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: line 9: event 9 hash does not match its contents\n"
    );
    assert!(!fresh.exists());

    let csv = env.ok(&["export", "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("seq,recorded_at,actor,op,idempotency_key,hash,body")
    );
    let first = lines.next().unwrap();
    assert!(first.starts_with("1,2026-11-21T10:20:49Z,operator,add_agent,"));
    // Through a server, a write without --key is sent under a fresh key, recorded with it.
    let key = first.split(',').nth(4).unwrap();
    if common::remote() {
        assert!(key.starts_with("cli-") && key.len() == 36, "{key}");
    } else {
        assert_eq!(key, "");
    }
}

#[test]
fn generate_is_deterministic_and_imports_cleanly() {
    let env = Env::empty();
    let args = |out: &str| {
        vec![
            "generate".to_string(),
            "--agents".into(),
            "40".into(),
            "--contributions".into(),
            "10000".into(),
            "--projects".into(),
            "2".into(),
            "--seed".into(),
            "7".into(),
            "--output".into(),
            out.to_string(),
        ]
    };
    let one = env.path("one.jsonl").display().to_string();
    let two = env.path("two.jsonl").display().to_string();
    let a: Vec<String> = args(&one);
    let summary = env.json(&a.iter().map(String::as_str).collect::<Vec<_>>());
    // 40 agents, 2 projects with their rates and plans, 10,000 contributions, 1 revenue.
    assert_eq!(summary["revenues"], 1);
    let events = summary["events"].as_u64().unwrap();
    let b: Vec<String> = args(&two);
    env.ok(&b.iter().map(String::as_str).collect::<Vec<_>>());
    let first = std::fs::read(&one).unwrap();
    assert_eq!(first, std::fs::read(&two).unwrap());
    assert_eq!(first.iter().filter(|&&b| b == b'\n').count() as u64, events);
    let to_stdout = env.ok(&[
        "generate",
        "--agents",
        "40",
        "--contributions",
        "10000",
        "--projects",
        "2",
        "--seed",
        "7",
    ]);
    assert_eq!(to_stdout.as_bytes(), &first[..]);
    let other = env.ok(&[
        "generate",
        "--agents",
        "40",
        "--contributions",
        "100",
        "--seed",
        "8",
    ]);
    assert_ne!(other.as_bytes(), &first[..other.len().min(first.len())]);

    let book = env.path("generated.db");
    let output = env.run_on(&book, &["--json", "import", &one]);
    assert!(output.status.success(), "{}", stderr(&output));
    let doc: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(doc["imported"].as_u64(), Some(events));
    let output = env.run_on(&book, &["--json", "verify"]);
    assert!(output.status.success(), "{}", stdout(&output));
    let output = env.run_on(&book, &["--json", "distributions", "p0001"]);
    assert!(output.status.success());

    let output = env.run(&[
        "--json",
        "generate",
        "--agents",
        "0",
        "--contributions",
        "1",
    ]);
    assert_eq!(output.status.code(), Some(2));
    // Up to the 10M-contribution book issue 17 measures, and no further.
    let output = env.run(&["generate", "--agents", "1", "--contributions", "10000001"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: --contributions 10000001 is out of range: use 0 to 10000000\n"
    );
}

#[test]
fn plans_from_json_files_and_versions() {
    let env = Env::empty();
    forillon(&env);
    let plan = env.write(
        "plan.json",
        r#"{"bucket": [
            {"type": "fixed", "amount": 100, "to": "infra"},
            {"type": "percent", "percent": 12.5, "of": "remaining", "to": "luc"},
            {"type": "contributors", "from": "2026-01-01", "to": "2026-12-31", "percent": "50"}
        ]}"#,
    );
    let shown = env.json(&["plan", "set", "forillon", &plan]);
    assert_eq!(shown["version"], 3);
    assert_eq!(shown["buckets"][0]["amount"], "100");
    assert_eq!(shown["buckets"][1]["percent"], "12.5");
    assert_eq!(
        shown["buckets"][2]["words"],
        "50% of what is left to contributors, pro rata by the value of their counted contributions dated 2026-01-01 to 2026-12-31"
    );
    assert_eq!(shown["rest_to"], "forillon-unallocated");
    let first = env.json(&["plan", "show", "forillon", "--version", "1"]);
    assert_eq!(
        first["buckets"],
        json!([{"bucket": 1, "words": "everything left to contributors, pro rata by the value of their counted contributions", "type": "contributors"}])
    );
    env.refused(
        &["plan", "show", "forillon", "--version", "9"],
        "not-found",
        "project forillon has no plan version 9: its versions are 1 to 3",
    );
    let text = env.ok(&["plan", "show", "forillon"]);
    assert!(
        text.contains("  1. a fixed 100 CAD to infra (or what is left, if less)"),
        "{text}"
    );
    assert!(
        text.contains("then whatever is left to forillon-unallocated"),
        "{text}"
    );
}

#[test]
fn listings_and_reports() {
    let env = Env::empty();
    forillon(&env);
    let listed = env.json(&[
        "contributions",
        "forillon",
        "--agent",
        "luc",
        "--limit",
        "1",
        "--offset",
        "1",
    ]);
    assert_eq!(listed["total"], 2);
    assert_eq!(
        listed["contributions"],
        json!([{"id": 4, "project": "forillon", "date": "2026-11-21", "agent": "luc", "kind": "material",
                "amount": "300.00", "value": "300.00", "status": "approved", "gift": false,
                "reimbursable": true, "approvals": [], "note": "plywood"}])
    );
    let agents = env.json(&["agent", "list"]);
    assert_eq!(
        agents["agents"][0],
        json!({"handle": "abran", "name": "Abran", "role": "affiliate"})
    );
    let project = env.json(&["project", "show", "forillon"]);
    assert_eq!(project["policy"]["rates"]["coordination"], "30.00");
    assert_eq!(project["plan_version"], 2);
    env.ok(&["skill", "set", "forillon", "marie", "1.5"]);
    env.ok(&["multiplier", "set", "forillon", "cash", "4"]);
    let decay = env.json(&["decay", "set", "forillon", "--half-life", "365"]);
    assert_eq!(
        decay["policy"],
        json!({"rates": {"coordination": "30.00", "design": "45.00", "engineering": "45.00"},
               "multipliers": {"cash": "4"}, "skills": {"marie": "1.5"}, "half_life_days": "365"})
    );
    let revalued = env.json(&["revalue", "forillon"]);
    assert_eq!(
        revalued["changed"],
        json!([{"contribution": 2, "value": "5400.00"}])
    );
    // A half-life applies to contributions logged after it was set: a year later these,
    // all logged before it, keep their value.
    let shares = env.json(&["shares", "forillon", "--as-of", "2027-11-21"]);
    assert_eq!(
        shares["shares"],
        json!([
            {"agent": "abran", "value": "5400.00", "share": "0.439024390243902439"},
            {"agent": "luc", "value": "1500.00", "share": "0.121951219512195122"},
            {"agent": "marie", "value": "5400.00", "share": "0.439024390243902439"},
        ])
    );
    env.ok(&["decay", "off", "forillon"]);

    let log = env.json(&["log", "show", "--limit", "2", "--offset", "3"]);
    assert_eq!(log["head"], 18);
    assert_eq!(log["events"][0]["seq"], 4);
    assert_eq!(log["events"][0]["op"], "add_agent");
    assert_eq!(log["events"][0]["recorded_at"], NOW);
    assert_eq!(log["events"].as_array().unwrap().len(), 2);
    env.refused(
        &["balance", "nobody"],
        "not-found",
        "no account named \"nobody\": not an agent, a project or an account that holds anything",
    );
    assert_eq!(
        env.json(&["balance", "odile"]),
        json!({"balances": {"odile": {}}})
    );
    assert_eq!(env.json(&["init"])["events"], 18);
}

#[test]
fn usage_and_environment_errors() {
    let env = Env::empty();
    // No book yet: refused rather than silently created.
    let output = env.run(&["--json", "agent", "list"]);
    assert_eq!(output.status.code(), Some(2));
    let doc: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(doc["error"]["kind"], "not-found");
    assert!(!env.book.exists());
    // A malformed command line is refused input too, as JSON when asked.
    let output = env.run(&["--json", "approve", "abc"]);
    assert_eq!(output.status.code(), Some(2));
    let doc: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(doc["error"]["kind"], "invalid");
    assert!(doc["error"]["message"].as_str().unwrap().contains("'abc'"));
    let output = env.run(&["--json", "agent", "list", "--postgres-please"]);
    assert_eq!(output.status.code(), Some(2));
    // A PostgreSQL URL goes to the PostgreSQL store (nothing listens on port 1), or is
    // refused when the binary is built without it; the password is never echoed.
    let output = Command::new(env!("CARGO_BIN_EXE_fairshare"))
        .args([
            "--json",
            "--book",
            "postgres://fs:secret@127.0.0.1:1/fs",
            "init",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let doc: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(doc["error"]["kind"], "storage");
    let message = doc["error"]["message"].as_str().unwrap();
    if cfg!(feature = "postgres") {
        assert!(message.contains("connect to"), "{message}");
    } else {
        assert!(
            message.contains("PostgreSQL store is not built into this binary"),
            "{message}"
        );
    }
    assert!(!stdout(&output).contains("secret") && !stderr(&output).contains("secret"));
    // A bad clock override.
    env.ok(&["init"]);
    let output = env
        .command(&env.book, &["agent", "add", "zed"])
        .env("FAIRSHARE_NOW", "yesterday")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("FAIRSHARE_NOW=\"yesterday\" is not a time"));
    // FAIRSHARE_BOOK names the book when --book does not.
    let output = Command::new(env!("CARGO_BIN_EXE_fairshare"))
        .env("FAIRSHARE_BOOK", &env.book)
        .args(["--json", "init"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(doc["book"], env.book.display().to_string());
}
