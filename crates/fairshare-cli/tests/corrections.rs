//! Corrections through the real binary: the treasury story's correction (dev's 6 h are 9 h
//! after a first distribution), the report, a reverse, reviews, and every refusal.

mod common;

use common::Env;
use serde_json::json;

const LAB_PLAN: &str = r#"
[[bucket]]
type = "percent"
percent = "8"
of = "gross"
to = "maintenance"

[[bucket]]
type = "contributors"
kinds = ["work"]
"#;

/// cleo 20 h assembly (600.00, contribution 1), dev 6 h design (300.00, contribution 2), 8%
/// to maintenance, and a revenue of 2,500.00 (distribution 1).
fn lab(env: &Env, approvals: &str) {
    env.agents(&[
        "ana:custodian",
        "ben:custodian",
        "cleo:affiliate",
        "dev:affiliate",
        "olga:observer",
    ]);
    env.ok(&["project", "add", "lab", "--approvals", approvals]);
    env.ok(&["rate", "set", "lab", "assembly", "30.00"]);
    env.ok(&["rate", "set", "lab", "design", "50.00"]);
    let plan = env.write("lab.toml", LAB_PLAN);
    env.ok(&["plan", "set", "lab", &plan]);
    for (agent, hours, category) in [("cleo", "20", "assembly"), ("dev", "6", "design")] {
        let logged = env.json(&[
            "--as",
            agent,
            "log",
            "work",
            "lab",
            agent,
            hours,
            "--category",
            category,
        ]);
        if approvals != "0" {
            let id = logged["contribution"].to_string();
            env.ok(&["--as", "ana", "approve", &id]);
        }
    }
    env.ok(&["revenue", "lab", "2500.00"]);
}

#[test]
fn an_adjust_after_a_distribution_and_the_corrections_report() {
    let env = Env::new();
    lab(&env, "0");
    let adjusted = env.json(&[
        "--as",
        "dev",
        "adjust",
        "2",
        "--hours",
        "9",
        "--reason",
        "the timesheet had 9 h, not 6",
    ]);
    assert_eq!(
        adjusted,
        json!({"correction": 1, "contribution": 2, "project": "lab", "kind": "adjust",
               "by": "dev", "date": "2026-11-21", "hours": "9",
               "reason": "the timesheet had 9 h, not 6", "status": "approved", "approvals": [],
               "approvals_required": 0, "value_before": "300.00", "value_after": "450.00",
               "replayed": false})
    );
    assert_eq!(
        env.ok(&["corrections", "lab"]),
        "corrections of lab (CAD)\n\
         \x20 id  contribution  change   by   status    before   after  reason\n\
         \x20  1             2  hours 9  dev  approved  300.00  450.00  the timesheet had 9 h, not 6\n\
         distribution 1 of 2500.00 CAD on 2026-11-21:\n\
         \x20 account      received  corrected  difference\n\
         \x20 cleo          1533.33    1314.29     -219.04\n\
         \x20 dev            766.67     985.71      219.04\n\
         \x20 maintenance    200.00     200.00        0.00\n"
    );
    // Later distributions use the corrected value: 644.00 split 600:450.
    let revenue = env.json(&["revenue", "lab", "700.00"]);
    assert_eq!(
        revenue["payouts"],
        json!({"cleo": "368.00", "dev": "276.00", "maintenance": "56.00"})
    );
    let shares = env.json(&["shares", "lab"]);
    assert_eq!(shares["total"], "1050.00");
    // The CSV contributions table shows the corrected hours and value.
    let contributions = env.json(&["contributions", "lab"]);
    assert_eq!(contributions["contributions"][1]["hours"], "9");
    assert_eq!(contributions["contributions"][1]["value"], "450.00");
}

#[test]
fn a_reverse_with_approvals_and_its_review() {
    let env = Env::new();
    lab(&env, "1");
    let reversed = env.ok(&["--as", "ana", "reverse", "1", "--reason", "logged twice"]);
    assert_eq!(
        reversed,
        "correction 1 of contribution 1 (reverse): pending (0 of 1 approvals)\n"
    );
    env.refused(
        &["--as", "ana", "correction", "approve", "1"],
        "forbidden",
        "ana may not approve correction 1 of their own request: nobody reviews their own correction",
    );
    env.refused(
        &["--as", "cleo", "correction", "approve", "1"],
        "forbidden",
        "cleo may not approve correction 1 of their own contribution: nobody reviews their own correction",
    );
    env.refused(
        &["--as", "olga", "correction", "approve", "1"],
        "forbidden",
        "olga is an observer: observers may not approve corrections",
    );
    assert_eq!(
        env.ok(&["--as", "ben", "correction", "approve", "1"]),
        "correction 1 of contribution 1 (reverse): approved, value 600.00 -> 0.00\n"
    );
    let listed = env.json(&["contributions", "lab", "--status", "reversed"]);
    assert_eq!(listed["contributions"][0]["id"], 1);
    env.refused(
        &["--as", "ana", "reverse", "1", "--reason", "again"],
        "conflict",
        "contribution 1 is reversed: only pending or approved contributions can be corrected",
    );
    // A rejected correction changes nothing.
    env.ok(&[
        "--as",
        "dev",
        "adjust",
        "2",
        "--hours",
        "9",
        "--reason",
        "timesheet",
    ]);
    assert_eq!(
        env.ok(&[
            "--as",
            "ana",
            "correction",
            "reject",
            "2",
            "--reason",
            "6 h is right"
        ]),
        "correction 2 of contribution 2 (hours 9): rejected: 6 h is right\n"
    );
    assert_eq!(env.json(&["shares", "lab"])["total"], "300.00");
}

#[test]
fn refusals() {
    let env = Env::new();
    lab(&env, "1");
    env.ok(&[
        "--as",
        "dev",
        "log",
        "work",
        "lab",
        "dev",
        "2",
        "--category",
        "design",
    ]);
    env.ok(&["--as", "ana", "reject", "3", "--reason", "duplicate"]);
    let adjust = |agent, contribution, measure, to| {
        [
            "--as",
            agent,
            "adjust",
            contribution,
            measure,
            to,
            "--reason",
            "r",
        ]
    };
    env.refused(
        &adjust("dev", "3", "--hours", "1"),
        "conflict",
        "contribution 3 is rejected: only pending or approved contributions can be corrected",
    );
    env.refused(
        &adjust("cleo", "2", "--hours", "1"),
        "forbidden",
        "cleo is an affiliate and may correct only their own contributions, not dev's",
    );
    env.refused(
        &["--as", "olga", "reverse", "2", "--reason", "r"],
        "forbidden",
        "olga is an observer: observers read but do not correct contributions",
    );
    env.refused(
        &adjust("dev", "2", "--amount", "1.00"),
        "invalid",
        "a work contribution is adjusted by its hours, not its amount",
    );
    env.refused(
        &adjust("dev", "2", "--hours", "-1"),
        "invalid",
        "hours must be greater than zero, got -1",
    );
    env.refused(
        &adjust("dev", "9", "--hours", "1"),
        "not-found",
        "unknown contribution 9",
    );
    env.refused(
        &["--as", "dev", "reverse", "2", "--reason", " "],
        "invalid",
        "a correction needs a reason (--reason TEXT)",
    );
    // One flag of a measure is required.
    let output = env.run(&["adjust", "2", "--reason", "r"]);
    assert_eq!(output.status.code(), Some(2));
}
