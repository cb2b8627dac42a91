//! Governance through the real binary (issue 14): the worked example of docs/GOVERNANCE.md,
//! and every refusal with its exact message and the book unchanged.

mod common;

use common::{Env, NOW, run_doc_story, stderr, stdout};
use serde_json::{Value, json};

/// Runs `args` at the instant `at` (RFC 3339); must succeed. Returns the JSON document.
fn json_at(env: &Env, at: &str, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let output = env.command_at(&env.book, at, &all).output().unwrap();
    assert!(
        output.status.success(),
        "{args:?} at {at}: {}{}",
        stdout(&output),
        stderr(&output)
    );
    serde_json::from_str(&stdout(&output)).unwrap()
}

#[test]
fn the_story_of_governance_md_runs_as_written() {
    let (dir, out) = run_doc_story("GOVERNANCE.md");
    assert!(out.contains("refused: propose it"), "{out}");
    assert!(out.contains("refused: observers do not vote"), "{out}");
    assert!(out.contains("refused: voting runs until"), "{out}");
    let env = Env::at(dir, "shop.db");
    let distributions = env.json(&["distributions", "shop"])["distributions"].clone();
    assert_eq!(distributions.as_array().unwrap().len(), 2);
    let first = env.json(&["statement", "1"]);
    let second = env.json(&["statement", "2"]);
    assert_eq!(
        first["payouts"],
        json!({"rae": "90.91", "sol": "454.55", "tia": "227.27", "uri": "227.27"})
    );
    assert_eq!(
        second["payouts"],
        json!({"rae": "86.36", "sol": "431.82", "tia": "215.91", "uri": "215.91", "tools": "50.00"})
    );
    let p1 = env.json(&["proposal", "show", "p1"]);
    assert_eq!(p1["status"], "rejected");
    assert_eq!(
        p1["tally"],
        json!({"yes": "200.00", "no": "200.00", "abstain": "0.00", "eligible": "440.00",
               "quorum_met": true, "threshold_met": false})
    );
    assert_eq!(
        p1["voters"][1],
        json!({"agent": "sol", "weight": "200.00", "vote": "no",
        "reason": "the tools are paid for", "voted_at": "2026-03-04T10:00:00Z"})
    );
    let p2 = env.json(&["proposal", "show", "p2"]);
    assert_eq!(p2["status"], "enacted");
    assert_eq!(p2["notice_ends"], "2026-03-16T11:00:00Z");
    assert_eq!(
        p2["changes"][0]["words"],
        "the plan of shop: 5% of the whole amount to tools (rounded down); everything left to contributors, pro rata by the value of their counted work contributions; the rest to shop-unallocated"
    );
    // What p2's plan would have paid at both revenues, against the plans they were paid by:
    // the first (by value only) would have kept 50.00 for tools and paid the rest 200:100:100:40
    // (431.82, 215.91, 215.91, 86.36); the second was paid by p2's plan itself.
    let compared = env.json(&["plan", "compare", "shop", "--proposal", "p2"]);
    let totals: Vec<(String, String, String, String)> = compared["totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let text = |f: &str| row[f].as_str().unwrap().to_string();
            (
                text("account"),
                text("plan_a"),
                text("plan_b"),
                text("difference"),
            )
        })
        .collect();
    let row = |a: &str, x: &str, y: &str, d: &str| (a.into(), x.into(), y.into(), d.into());
    assert_eq!(
        totals,
        [
            row("rae", "172.72", "177.27", "-4.55"),
            row("sol", "863.64", "886.37", "-22.73"),
            row("tia", "431.82", "443.18", "-11.36"),
            row("uri", "431.82", "443.18", "-11.36"),
            row("tools", "100.00", "50.00", "50.00"),
        ]
    );
    let history = env.json(&["plan", "show", "shop", "--history"]);
    let since: Vec<Value> = history["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["since"].clone())
        .collect();
    assert_eq!(since[0]["seq"], 6);
    assert_eq!(since[1]["proposal"], Value::Null);
    assert_eq!(since[2]["proposal"], "p2");
    assert_eq!(since[2]["at"], "2026-03-17T09:00:00Z");
    let show = env.json(&["project", "show", "shop"]);
    let plan_since = show["since"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["rule"] == "plan")
        .unwrap()
        .clone();
    assert_eq!(plan_since["proposal"], "p2");
    assert_eq!(env.json(&["verify"])["ok"], true);
}

/// shop governed by proposals (equal weights, 5 days of voting): p1 rejected and closed,
/// p2 open (by sol, deadline after NOW).
fn shop() -> Env {
    let env = Env::new();
    let early = "2026-11-01T10:00:00Z";
    for (handle, role) in [
        ("rae", "custodian"),
        ("sol", "affiliate"),
        ("tia", "affiliate"),
        ("newb", "affiliate"),
        ("vik", "observer"),
    ] {
        json_at(&env, early, &["agent", "add", handle, "--role", role]);
    }
    json_at(&env, early, &["project", "add", "shop"]);
    json_at(&env, early, &["rate", "set", "shop", "wood", "20.00"]);
    for who in ["sol", "tia", "vik"] {
        json_at(
            &env,
            early,
            &["log", "work", "shop", who, "1", "--category", "wood"],
        );
    }
    json_at(
        &env,
        early,
        &[
            "governance",
            "set",
            "shop",
            "--mode",
            "proposals",
            "--voting",
            "5",
        ],
    );
    let p1 = json_at(
        &env,
        early,
        &[
            "--as", "sol", "propose", "shop", "--id", "p1", "--title", "wood 25", "--", "rate",
            "set", "shop", "wood", "25.00",
        ],
    );
    assert_eq!(p1["deadline"], "2026-11-06T10:00:00Z");
    // Equal weights: sol and tia (vik is an observer, newb has no counted contribution).
    assert_eq!(
        p1["voters"],
        json!([{"agent": "sol", "weight": "1"}, {"agent": "tia", "weight": "1"}])
    );
    json_at(&env, early, &["--as", "tia", "vote", "p1", "no"]);
    let closed = json_at(&env, "2026-11-06T10:00:00Z", &["proposal", "close", "p1"]);
    assert_eq!(closed["status"], "rejected");
    json_at(
        &env,
        "2026-11-20T10:00:00Z",
        &[
            "--as", "sol", "propose", "shop", "--id", "p2", "--title", "wood 22", "--", "rate",
            "set", "shop", "wood", "22.00",
        ],
    );
    env
}

#[test]
fn every_refusal_names_why_and_changes_nothing() {
    let env = shop();
    env.refused(
        &["rate", "set", "shop", "wood", "25.00"],
        "forbidden",
        "project shop is governed by proposals: set_rate must be proposed and voted on (`propose shop --title TEXT -- COMMAND`)",
    );
    env.refused(
        &["governance", "set", "shop", "--mode", "direct"],
        "forbidden",
        "project shop is governed by proposals: set_governance must be proposed and voted on (`propose shop --title TEXT -- COMMAND`)",
    );
    env.refused(
        &["--as", "tia", "vote", "p1", "yes"],
        "conflict",
        "proposal p1 is rejected: votes are no longer taken",
    );
    env.refused(
        &["--as", "newb", "vote", "p2", "yes"],
        "forbidden",
        "newb is not eligible to vote on p2: its voters were fixed when it opened (custodians and affiliates with a counted contribution, and the members the project lists)",
    );
    env.refused(
        &["--as", "vik", "vote", "p2", "yes"],
        "forbidden",
        "vik is an observer: observers may not vote",
    );
    env.refused(
        &["proposal", "close", "p2"],
        "conflict",
        "voting on p2 runs until 2026-11-25T10:00:00Z: it cannot be closed before",
    );
    env.refused(
        &["--as", "tia", "proposal", "withdraw", "p2"],
        "forbidden",
        "only sol, its author, may withdraw p2",
    );
    env.refused(
        &[
            "--as", "vik", "propose", "shop", "--title", "x", "--", "rate", "set", "shop", "wood",
            "1.00",
        ],
        "forbidden",
        "vik is an observer: observers may not propose rule changes",
    );
    env.refused(
        &[
            "--as", "sol", "propose", "shop", "--title", "x", "--", "rate", "set", "shop", "wood",
            "-1",
        ],
        "invalid",
        "change 1 (set_rate) would be refused: rate must not be negative, got -1",
    );
    env.refused(
        &["--as", "sol", "propose", "shop", "--title", "x", "--", "revenue", "shop", "10.00"],
        "invalid",
        "the change `revenue shop 10.00` changes no rule: propose rates, skills, multipliers, decay, approvals, plans, blends, the leaver policy, fees, a token, an early bank release, governance, agents or projects",
    );
    // Releasing the bank early pays out before the plan says: by proposal only, and a
    // proposed release is checked at once like any change.
    env.refused(
        &["distribute", "shop", "--from-bank"],
        "forbidden",
        "project shop is governed by proposals: release_bank must be proposed and voted on (`propose shop --title TEXT -- COMMAND`)",
    );
    env.refused(
        &[
            "--as", "sol", "propose", "shop", "--title", "x", "--", "distribute", "shop",
            "--from-bank",
        ],
        "invalid",
        "change 1 (release_bank) would be refused: project shop's bank (shop-bank) holds nothing to release",
    );
    // The author withdraws; then it is closed for good.
    let withdrawn = env.json(&["--as", "sol", "proposal", "withdraw", "p2"]);
    assert_eq!(withdrawn["status"], "withdrawn");
    env.refused(
        &["--as", "sol", "vote", "p2", "yes"],
        "conflict",
        "proposal p2 is withdrawn: votes are no longer taken",
    );
    let listed = env.json(&["proposals", "shop", "--status", "withdrawn"]);
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["proposals"][0]["id"], "p2");
    assert!(NOW.starts_with("2026-11-21"));
}

#[test]
fn a_change_file_proposes_several_changes_checked_in_order() {
    let env = shop();
    let file = env.write(
        "changes.txt",
        "# two rates\nrate set shop wood 30.00\nrate set shop 'fine wood' 40.00\n",
    );
    env.refused(
        &["--as", "sol", "propose", "shop", "--title", "rates", "--change-file", &file],
        "invalid",
        "change 2 (set_rate) would be refused: invalid category \"fine wood\": use 1 to 64 lower-case letters, digits, '-' or '_'",
    );
    let file = env.write(
        "changes.txt",
        "rate set shop wood 30.00\nskill set shop tia 1.5\n",
    );
    let proposed = env.json(&[
        "--as",
        "tia",
        "propose",
        "shop",
        "--title",
        "rates",
        "--change-file",
        &file,
    ]);
    assert_eq!(proposed["id"], "proposal-3");
    assert_eq!(
        proposed["changes"],
        json!([{"op": "set_rate", "words": "the rate of wood in shop: 30.00 per hour"},
               {"op": "set_skill", "words": "the skill factor of tia in shop: 1.5"}])
    );
}

/// `project approvals`: a custodian lowers plain's approvals from 2 to 1 (sol's pending work,
/// approved once by rae, counts at uri's approval, not before); an affiliate and 101 are
/// refused. Under proposals (shop) it is refused directly and proposed instead.
#[test]
fn approvals_change_directly_or_by_proposal() {
    let env = shop();
    env.ok(&["agent", "add", "uri", "--role", "custodian"]);
    env.ok(&["project", "add", "plain", "--approvals", "2"]);
    env.ok(&["rate", "set", "plain", "wood", "20.00"]);
    // shop's three contributions come first.
    env.ok(&["log", "work", "plain", "sol", "2", "--category", "wood"]);
    let id = "4".to_string();
    env.ok(&["approve", &id]);
    assert_eq!(
        env.ok(&["project", "approvals", "plain", "1"]),
        "contributions on plain now need 1 approval\n"
    );
    let pending = env.json(&["contributions", "plain", "--status", "pending"]);
    assert_eq!(pending["contributions"][0]["id"], 4);
    let approved = env.json(&["--as", "uri", "approve", &id]);
    assert_eq!(
        (
            &approved["status"],
            &approved["approvals"],
            &approved["approvals_required"]
        ),
        (&json!("approved"), &json!(["operator", "uri"]), &json!(1))
    );
    let set = env.json(&["project", "approvals", "plain", "0"]);
    assert_eq!(set, json!({"project": "plain", "approvals": 0}));
    assert_eq!(env.json(&["project", "show", "plain"])["approvals"], 0);
    env.refused(
        &["--as", "sol", "project", "approvals", "plain", "3"],
        "forbidden",
        "only custodians may set the approvals a project requires; this agent is an affiliate",
    );
    env.refused(
        &["project", "approvals", "plain", "101"],
        "invalid",
        "at most 100 approvals may be required",
    );
    env.refused(
        &["project", "approvals", "shop", "2"],
        "forbidden",
        "project shop is governed by proposals: set_approvals must be proposed and voted on (`propose shop --title TEXT -- COMMAND`)",
    );
    let proposed = env.json(&[
        "--as",
        "sol",
        "propose",
        "shop",
        "--id",
        "two",
        "--title",
        "two reviews",
        "--",
        "project",
        "approvals",
        "shop",
        "2",
    ]);
    assert_eq!(
        proposed["changes"],
        json!([{"op": "set_approvals", "words": "the approvals a contribution in shop needs: 2"}])
    );
}
