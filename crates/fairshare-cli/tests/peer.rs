//! Peer valuation through the real binary: the startup story of startup.json (formula, a
//! bounty, a peer round, steward points, a blend, the pool, the cap table) and every bad input
//! issue 8 lists.

mod common;

use common::{Env, amounts, run_doc_story};
use serde_json::json;

const REASON: &str = "equal recognition of intangible contributions to the culture";

fn ventwits(env: &Env) {
    env.agents(&[
        "michael:custodian",
        "allyson:affiliate",
        "marc:affiliate",
        "john:affiliate",
        "olga:observer",
    ]);
    env.ok(&[
        "project",
        "add",
        "ventwits",
        "--currency",
        "UNITS",
        "--exponent",
        "0",
    ]);
    env.ok(&["rate", "set", "ventwits", "any", "1"]);
    env.ok(&["skill", "set", "ventwits", "john", "5"]);
    for (agent, hours) in [
        ("michael", "100"),
        ("allyson", "60"),
        ("marc", "40"),
        ("john", "10"),
    ] {
        env.ok(&[
            "--as",
            agent,
            "log",
            "work",
            "ventwits",
            agent,
            hours,
            "--category",
            "any",
        ]);
    }
}

fn give(env: &Env, from: &str, to: &str, points: &str) -> serde_json::Value {
    env.json(&give_as(from, from, to, points))
}

/// `round give` in round 1, asked by `actor` (who may be another than the giver).
fn give_as<'a>(actor: &'a str, from: &'a str, to: &'a str, points: &'a str) -> [&'a str; 8] {
    ["--as", actor, "round", "give", "1", from, to, points]
}

/// `blend set` of ventwits with these weights.
fn blend_weights<'a>(formula: &'a str, peer: &'a str, steward: &'a str) -> [&'a str; 9] {
    [
        "blend",
        "set",
        "ventwits",
        "--formula",
        formula,
        "--peer",
        peer,
        "--steward",
        steward,
    ]
}

/// `bounty complete` of ventwits' task xyz by `agent`, approved by `actor`.
fn complete_xyz<'a>(actor: &'a str, agent: &'a str) -> [&'a str; 7] {
    [
        "--as", actor, "bounty", "complete", "ventwits", "xyz", agent,
    ]
}

#[test]
fn the_startup_story() {
    let env = Env::new();
    ventwits(&env);
    let added = env.json(&[
        "bounty",
        "add",
        "ventwits",
        "xyz",
        "--reward",
        "5000",
        "--description",
        "0.5% of 1,000,000 units to whoever accomplishes XYZ",
    ]);
    assert_eq!(added["task"], "xyz");
    assert_eq!(added["reward"], "5000");
    assert_eq!(added["status"], "open");
    let completed = env.json(&complete_xyz("michael", "marc"));
    assert_eq!(
        completed,
        json!({"project": "ventwits", "task": "xyz", "agent": "marc", "reward": "5000",
               "currency": "UNITS", "contribution": 5, "value": "5000",
               "approved_by": "michael", "replayed": false})
    );

    let opened = env.json(&["round", "open", "ventwits", "--budget", "100"]);
    assert_eq!(
        opened,
        json!({"round": 1, "project": "ventwits", "budget": 100,
               "eligible": ["allyson", "john", "marc", "michael"], "replayed": false})
    );
    assert_eq!(
        give(&env, "michael", "allyson", "50"),
        json!({"round": 1, "from": "michael", "to": "allyson", "points": 50, "spent": 50,
               "left": 50, "replayed": false})
    );
    for (from, to, points) in [
        ("michael", "marc", "30"),
        ("michael", "john", "20"),
        ("allyson", "michael", "60"),
        ("allyson", "marc", "20"),
        ("allyson", "john", "20"),
        ("marc", "michael", "50"),
        ("marc", "allyson", "30"),
        ("marc", "john", "20"),
        ("john", "michael", "40"),
        ("john", "allyson", "40"),
    ] {
        give(&env, from, to, points);
    }
    // A gift is set, not added: john first gives marc 15, then sets it to 20.
    assert_eq!(give(&env, "john", "marc", "15")["left"], 5);
    assert_eq!(give(&env, "john", "marc", "20")["spent"], 100);

    let shares = json!([
        {"agent": "allyson", "received": 120, "share": "0.3"},
        {"agent": "john", "received": 60, "share": "0.15"},
        {"agent": "marc", "received": 70, "share": "0.175"},
        {"agent": "michael", "received": 150, "share": "0.375"},
    ]);
    let shown = env.json(&["round", "show", "1"]);
    assert_eq!(shown["status"], "open");
    assert_eq!(shown["provisional"], true);
    assert_eq!(shown["shares"], shares);
    assert_eq!(
        shown["gifts"]["john"],
        json!({"allyson": 40, "marc": 20, "michael": 40})
    );
    let closed = env.json(&["round", "close", "1"]);
    assert_eq!(
        closed,
        json!({"round": 1, "project": "ventwits", "total": 400, "shares": shares,
               "replayed": false})
    );
    let text = env.ok(&["round", "show", "1"]);
    assert!(
        text.contains("  peer shares (400 points given):\n"),
        "{text}"
    );
    assert!(text.contains("    michael       150  0.375\n"), "{text}");

    let mut given = serde_json::Value::Null;
    // Nobody gives steward points to themself: michael's come from the operator.
    env.refused(
        &[
            "--as", "michael", "steward", "give", "ventwits", "michael", "25", "--reason", REASON,
        ],
        "forbidden",
        "michael may not give steward points to themself: stewardship is recognised by others",
    );
    env.json(&[
        "steward", "give", "ventwits", "michael", "25", "--reason", REASON,
    ]);
    for agent in ["allyson", "marc", "john"] {
        given = env.json(&[
            "--as", "michael", "steward", "give", "ventwits", agent, "25", "--reason", REASON,
        ]);
    }
    assert_eq!(
        given,
        json!({"project": "ventwits", "agent": "john", "points": 25, "reason": REASON,
               "by": "michael", "agent_points": 25, "total_points": 100, "replayed": false})
    );
    let steward = env.json(&["steward", "list", "ventwits"]);
    assert_eq!(steward["total"], 100);
    assert_eq!(
        steward["points"],
        json!({"allyson": 25, "john": 25, "marc": 25, "michael": 25})
    );
    assert_eq!(steward["awards"][0]["by"], "operator");
    assert_eq!(steward["awards"][1]["by"], "michael");
    assert_eq!(steward["awards"][0]["reason"], REASON);

    let blend = env.json(&blend_weights("0.5", "0.3", "0.2"));
    assert_eq!(
        blend,
        json!({"project": "ventwits", "formula": "0.5", "peer": "0.3", "steward": "0.2"})
    );
    let blended = env.json(&["shares", "ventwits", "--blended"]);
    let row = |agent: &str, f: &str, p: &str, s: &str, b: &str, value: &str, received: u64| {
        json!({"agent": agent, "formula": f, "peer": p, "steward": s, "blended": b,
               "value": value, "received": received, "steward_points": 25})
    };
    assert_eq!(
        blended,
        json!({"project": "ventwits", "as_of": "2026-11-21",
        "weights": {"formula": "0.5", "peer": "0.3", "steward": "0.2"},
        "blend_set": true, "round": 1, "shares": [
            row("allyson", "0.24", "0.3", "0.25", "0.26", "60", 120),
            row("john", "0.2", "0.15", "0.25", "0.195", "50", 60),
            row("marc", "0.16", "0.175", "0.25", "0.1825", "40", 70),
            row("michael", "0.4", "0.375", "0.25", "0.3625", "100", 150),
        ]})
    );
    let text = env.ok(&["shares", "ventwits", "--blended"]);
    assert!(
        text.contains("  michael  0.4      0.375  0.25     0.3625\n"),
        "{text}"
    );

    // The crystallisation event: 300,000 units, the bounty first, the rest by blended share.
    let pool = [
        "pool",
        "allocate",
        "ventwits",
        "--size",
        "300000",
        "--key",
        "crystallisation-2009-q1",
    ];
    let allocated = env.json(&pool);
    let line = |agent: &str, share: &str, bounty: &str, by_share: &str, units: &str| {
        json!({"agent": agent, "share": share, "bounty": bounty, "by_share": by_share,
               "units": units})
    };
    assert_eq!(
        allocated,
        json!({"pool": 1, "project": "ventwits", "date": "2026-11-21",
               "key": "crystallisation-2009-q1", "size": "300000", "currency": "UNITS",
               "bounties": ["xyz"],
               "units": amounts(&[("allyson", "76700"), ("john", "57525"),
                                  ("marc", "58838"), ("michael", "106937")]),
               "lines": [
                   line("allyson", "0.26", "0", "76700", "76700"),
                   line("john", "0.195", "0", "57525", "57525"),
                   line("marc", "0.1825", "5000", "53838", "58838"),
                   line("michael", "0.3625", "0", "106937", "106937"),
               ],
               "replayed": false})
    );
    // The same key again (given before the subcommand this time): the first allocation.
    let events = env.events();
    let again = env.json(&[
        "--key",
        "crystallisation-2009-q1",
        "pool",
        "allocate",
        "ventwits",
        "--size",
        "300000",
    ]);
    let mut replayed = allocated.clone();
    replayed["replayed"] = json!(true);
    assert_eq!(again, replayed);
    assert_eq!(env.events(), events);
    assert_eq!(
        env.json(&["balance", "marc"]),
        json!({"balances": {"marc": {"UNITS": "58838"}}})
    );
    assert_eq!(
        env.json(&["pool", "list", "ventwits"])["pools"][0]["units"],
        allocated["units"]
    );
    let bounties = env.json(&["bounty", "list", "ventwits"]);
    assert_eq!(bounties["bounties"][0]["status"], "paid");
    assert_eq!(bounties["bounties"][0]["pool"], 1);

    // The cap table, as CSV with a header row.
    let captable_csv = |more: &[&'static str]| {
        env.ok(&[&["captable", "ventwits", "--format", "csv"][..], more].concat())
    };
    let header = "handle,value,share,units,units_share,as_of\n";
    let today = format!(
        "{header}\
         allyson,60,0.26,76700,0.255666666666666667,2026-11-21\n\
         john,50,0.195,57525,0.19175,2026-11-21\n\
         marc,40,0.1825,58838,0.196126666666666667,2026-11-21\n\
         michael,100,0.3625,106937,0.356456666666666667,2026-11-21\n"
    );
    assert_eq!(captable_csv(&[]), today);
    // Before the pool, nobody held units.
    assert_eq!(captable_csv(&["--as-of", "2026-11-21"]), today);
    // The day before the project existed, nobody holds anything in it.
    assert_eq!(captable_csv(&["--as-of", "2026-11-20"]), header);
    let table = env.json(&["captable", "ventwits"]);
    assert_eq!(table["recorded"], json!(null));
    assert_eq!(
        table["rows"][3],
        json!({"handle": "michael", "value": "100", "share": "0.3625", "units": "106937",
               "units_share": "0.356456666666666667"})
    );
    // --format json prints the document without --json; --record logs the snapshot.
    let events = env.events();
    let text = env.ok(&["captable", "ventwits", "--format", "json", "--record"]);
    let recorded: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(recorded["recorded"], events + 1);
    assert_eq!(recorded["rows"], table["rows"]);
    let log = env.json(&["log", "show", "--offset", &events.to_string()]);
    assert_eq!(log["events"][0]["op"], "captable");

    let rounds = env.json(&["round", "list", "ventwits"]);
    assert_eq!(
        rounds,
        json!({"project": "ventwits", "rounds": [{"round": 1, "status": "closed",
               "budget": 100, "opened_on": "2026-11-21", "closed_on": "2026-11-21",
               "eligible": 4, "given": 400}]})
    );

    // Leavers: a good leaver keeps everything.
    env.ok(&["leave", "policy", "ventwits", "--enable"]);
    let left = env.json(&["leave", "ventwits", "john", "--good"]);
    assert_eq!(
        left,
        json!({"project": "ventwits", "agent": "john", "good": true, "forfeited": "0",
               "currency": "UNITS", "changes": [], "forfeited_bounties": [],
               "replayed": false})
    );
    assert_eq!(env.json(&["verify"])["ok"], true);
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let env = Env::new();
    ventwits(&env);
    env.ok(&["round", "open", "ventwits"]);
    env.refused(
        &give_as("allyson", "allyson", "allyson", "10"),
        "invalid",
        "allyson cannot give points to themself: a round values the others",
    );
    env.ok(&give_as("michael", "michael", "allyson", "60"));
    env.refused(
        &give_as("michael", "michael", "marc", "50"),
        "invalid",
        "michael would give 110 points in round 1, over the budget of 100 (60 already given to others, 40 left)",
    );
    env.refused(
        &give_as("allyson", "marc", "michael", "10"),
        "forbidden",
        "allyson may give points only as themself, not as marc",
    );
    env.refused(
        &give_as("olga", "olga", "michael", "10"),
        "forbidden",
        "olga is an observer: observers read but do not write (give)",
    );
    env.refused(
        &["round", "give", "1", "michael", "olga", "10"],
        "invalid",
        "olga is not eligible in round 1 and cannot receive points",
    );
    env.refused(
        &["round", "open", "ventwits"],
        "conflict",
        "round 1 of project ventwits is still open: close it before opening another",
    );
    env.refused(
        &["round", "give", "7", "michael", "marc", "10"],
        "not-found",
        "unknown round 7",
    );
    env.refused(
        &["round", "opt-out", "1", "allyson"],
        "conflict",
        "allyson has already received points in round 1: opt out before anyone gives, or ask the givers to set their points to 0 first",
    );
    let opted = env.json(&["--as", "marc", "round", "opt-out", "1", "marc"]);
    assert_eq!(opted, json!({"round": 1, "agent": "marc"}));
    env.refused(
        &["round", "give", "1", "allyson", "marc", "10"],
        "invalid",
        "marc opted out of receiving points in round 1",
    );
    env.refused(
        &["--as", "allyson", "round", "close", "1"],
        "forbidden",
        "only custodians may close peer rounds; this agent is an affiliate",
    );
    env.ok(&["round", "close", "1"]);
    env.refused(
        &give_as("allyson", "allyson", "michael", "10"),
        "conflict",
        "round 1 is closed: its shares are fixed",
    );
    env.refused(
        &["round", "close", "1"],
        "conflict",
        "round 1 is closed: its shares are fixed",
    );

    env.refused(
        &blend_weights("0.5", "0.3", "0.3"),
        "invalid",
        "blend weights 0.5 + 0.3 + 0.3 add up to 1.1, not exactly 1",
    );
    env.refused(
        &blend_weights("0.5", "0.3", "0.2"),
        "invalid",
        "the blend gives weight 0.2 to steward shares, but no steward points have been given in project ventwits: give some first, or give the steward weight 0",
    );
    env.refused(
        &blend_weights("1.5", "-0.5", "0"),
        "invalid",
        "formula weight 1.5 must be between 0 and 1",
    );
    env.refused(
        &["steward", "give", "ventwits", "marc", "10", "--reason", " "],
        "invalid",
        "steward points need a public reason (--reason TEXT)",
    );
    env.refused(
        &["steward", "give", "ventwits", "olga", "10", "--reason", "x"],
        "invalid",
        "olga is an observer: observers hold no share",
    );

    env.ok(&["bounty", "add", "ventwits", "xyz", "--reward", "5000"]);
    env.refused(
        &["bounty", "add", "ventwits", "xyz", "--reward", "10"],
        "conflict",
        "project ventwits already has a bounty for task \"xyz\"",
    );
    env.refused(
        &complete_xyz("allyson", "marc"),
        "forbidden",
        "allyson is not a custodian: a custodian approves bounty awards",
    );
    env.refused(
        &complete_xyz("michael", "michael"),
        "forbidden",
        "michael may not approve their own bounty award: nobody reviews their own work",
    );
    env.ok(&complete_xyz("michael", "marc"));
    env.refused(
        &complete_xyz("michael", "allyson"),
        "conflict",
        "bounty \"xyz\" of project ventwits was already completed by marc (contribution 5)",
    );
    env.refused(
        &["bounty", "complete", "ventwits", "abc", "marc"],
        "not-found",
        "unknown task \"abc\" in project ventwits: add its bounty first",
    );

    let allocate = |size| {
        [
            "pool", "allocate", "ventwits", "--size", size, "--key", "p1",
        ]
    };
    env.refused(
        &["pool", "allocate", "ventwits", "--size", "1000"],
        "invalid",
        "pool allocate needs an idempotency key: add --key KEY (a retry with the same key returns the first allocation instead of allocating twice)",
    );
    env.refused(
        &allocate("1000"),
        "invalid",
        "a pool of 1000 units cannot pay the 5000 units of awarded bounties that come first",
    );
    env.refused(
        &allocate("-5"),
        "invalid",
        "amount \"-5\" must be greater than zero",
    );
    env.ok(&allocate("10000"));
    env.refused(
        &allocate("20000"),
        "conflict",
        &format!(
            "idempotency key \"p1\" was already used for a different request (event {}); use a new key",
            env.events()
        ),
    );

    env.refused(
        &["leave", "ventwits", "marc", "--bad"],
        "invalid",
        "project ventwits does not enable leavers: a custodian enables it with the leaver policy first",
    );
    env.refused(
        &["captable", "ventwits", "--record", "--as-of", "2026-01-01"],
        "invalid",
        "--record snapshots the cap table as of today (2026-11-21), the date of the event it logs: leave out --as-of 2026-01-01",
    );
    env.refused(
        &["captable", "nowhere"],
        "not-found",
        "unknown project \"nowhere\": add the project first",
    );

    // A bad leaver keeps cash at 1x and loses non-cash value (the bounty award too; the
    // units the pool already paid are not clawed back).
    env.ok(&["multiplier", "set", "ventwits", "cash", "4"]);
    env.ok(&["log", "cash", "ventwits", "marc", "100"]);
    env.ok(&["leave", "policy", "ventwits", "--enable"]);
    let left = env.json(&["leave", "ventwits", "marc", "--bad"]);
    assert_eq!(
        left,
        json!({"project": "ventwits", "agent": "marc", "good": false, "forfeited": "5340",
               "currency": "UNITS",
               "changes": [{"contribution": 3, "before": "40", "after": "0"},
                           {"contribution": 5, "before": "5000", "after": "0"},
                           {"contribution": 6, "before": "400", "after": "100"}],
               "forfeited_bounties": [], "replayed": false})
    );
    env.refused(
        &["leave", "ventwits", "marc", "--good"],
        "conflict",
        "marc has already left project ventwits",
    );
    assert_eq!(env.json(&["verify"])["ok"], true);
}

#[test]
fn the_story_of_peer_md_runs_as_written() {
    let (dir, out) = run_doc_story("PEER.md");
    assert!(
        out.contains(
            "handle,value,share,units,units_share,as_of\n\
             allyson,60,0.26,76700,0.255666666666666667,2026-11-21\n\
             john,50,0.195,57525,0.19175,2026-11-21\n\
             marc,40,0.1825,58838,0.196126666666666667,2026-11-21\n\
             michael,100,0.3625,106937,0.356456666666666667,2026-11-21\n"
        ),
        "{out}"
    );
    assert!(out.contains("  michael       150  0.375\n"), "{out}");
    let env = Env::at(dir, "ventwits.db");
    assert_eq!(
        env.json(&["pool", "list", "ventwits"])["pools"][0]["units"],
        amounts(&[
            ("allyson", "76700"),
            ("john", "57525"),
            ("marc", "58838"),
            ("michael", "106937")
        ])
    );
    assert_eq!(env.json(&["verify"])["ok"], true);
}
