//! Rules that cannot be gamed (issue #13, point 6): every refusal through the real binary, with
//! the book's export byte-identical before and after.

mod common;

use common::Env;
use serde_json::json;

/// A book with an affiliate `ana`, a custodian `cus` and a project `p` (CAD) with a rate.
fn setup() -> Env {
    let env = Env::new();
    env.agents(&["ana:affiliate", "cus:custodian"]);
    env.ok(&["project", "add", "p"]);
    env.ok(&["rate", "set", "p", "dev", "50.00"]);
    env
}

/// `log work`: ana's `hours` of dev in p, as herself.
fn ana_works(hours: &str) -> [&str; 9] {
    [
        "--as",
        "ana",
        "log",
        "work",
        "p",
        "ana",
        hours,
        "--category",
        "dev",
    ]
}

#[test]
fn a_contribution_past_the_limits_is_refused_as_invalid_and_changes_nothing() {
    let env = setup();
    let ana_cash = |amount| ["--as", "ana", "log", "cash", "p", "ana", amount];
    // Twice: the attack as found overflowed the project's total on the second.
    for _ in 0..2 {
        env.refused(
            &ana_cash("100000000000000000000.00"),
            "invalid",
            "a contribution valued 100000000000000000000 is too large: one contribution is valued \
             at most 1000000000000000",
        );
    }
    env.refused(
        &ana_works("10001"),
        "invalid",
        "10001 hours in one contribution: at most 10000",
    );
    for _ in 0..2 {
        env.ok(&ana_cash("1000000000000000.00"));
    }
    env.ok(&["plan", "set", "p", &env.write("plan.toml", PLAN)]);
    let revenue = env.json(&["revenue", "p", "100.00"]);
    assert_eq!(revenue["payouts"], json!({"ana": "100.00"}), "{revenue}");
    let shares = env.json(&["shares", "p"]);
    assert_eq!(shares["total"], "2000000000000000.00", "{shares}");
}

const PLAN: &str = r#"
[[bucket]]
type = "contributors"
kinds = ["cash"]
"#;

#[test]
fn a_contribution_dated_ahead_of_the_book_is_refused() {
    let env = setup();
    env.refused(
        &["log", "cash", "p", "ana", "10.00", "--date", "9999-12-31"],
        "invalid",
        "a contribution dated 9999-12-31 is in the future: the book's date is 2026-11-21, and \
         a contribution may be dated at most one day later",
    );
    env.ok(&["log", "cash", "p", "ana", "10.00", "--date", "2026-11-22"]);
    let shares = env.json(&["shares", "p", "--as-of", "2026-01-01"]);
    assert_eq!(shares["shares"], json!([]), "{shares}");
}

#[test]
fn steward_points_given_to_oneself_are_refused() {
    let env = setup();
    env.refused(
        &[
            "--as", "cus", "steward", "give", "p", "cus", "10", "--reason", "me",
        ],
        "forbidden",
        "cus may not give steward points to themself: stewardship is recognised by others",
    );
    env.ok(&[
        "--as", "cus", "steward", "give", "p", "ana", "10", "--reason", "books",
    ]);
}

#[test]
fn a_citation_is_a_percentage_of_a_contribution_and_a_use_takes_the_projects_rate() {
    let env = setup();
    env.ok(&ana_works("8"));
    env.refused(
        &["--as", "ana", "log", "cite", "p", "ana", "250.00"],
        "forbidden",
        "ana may not name the value of a citation: cite a contribution (`of`) with a percentage of its value (`percent`); only custodians log a fixed value",
    );
    // A custodian cites ana's work (contribution 1) at a percentage of its value.
    let cite_ana = |percent| {
        [
            "--as",
            "cus",
            "log",
            "cite",
            "p",
            "cus",
            "--of",
            "1",
            "--percent",
            percent,
        ]
    };
    env.refused(
        &cite_ana("101"),
        "invalid",
        "a citation is worth at most 100% of the cited contribution, not 101%",
    );
    let cited = env.json(&cite_ana("12.5"));
    assert_eq!(cited["value"], "50.00", "{cited}");
    let rows = env.json(&["contributions", "p"]);
    assert_eq!(
        rows["contributions"][1]["cites"],
        json!({"contribution": 1, "author": "ana"}),
        "{rows}"
    );
    env.refused(
        &[
            "--as", "ana", "log", "use", "p", "ana", "2", "--rate", "900.00",
        ],
        "forbidden",
        "ana may not name the rate of a use: it comes from the project's schedule (the rate of \
         its category `use`); only custodians name another rate",
    );
    env.ok(&["rate", "set", "p", "use", "20.00"]);
    let used = env.json(&["--as", "ana", "log", "use", "p", "ana", "2"]);
    assert_eq!(used["value"], "40.00", "{used}");
}
