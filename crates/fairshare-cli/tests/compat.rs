//! Books written before the rules of issue 13 (limits, dates, use rates, cited values, steward
//! points, decay from its event) keep verifying and importing: each event is decided again by
//! the rules its body records (none: rules 1), new events by the current ones.

mod common;

use common::Env;

/// The demo network as the release before those rules wrote it (`fairshare demo`, then
/// `export`): its event 25 is a citation whose value the affiliate named, which the current
/// rules refuse from an affiliate.
const DEMO_RULES_1: &str = include_str!("data/demo-rules-1.jsonl");
const DEMO_HEAD: &str = "8cf89f77452d5f0e46bf048b6122ec002d4764820e460565bea8e910e1410a76";

#[test]
fn a_book_written_by_the_earlier_rules_imports_and_verifies() {
    let env = Env::empty();
    let file = env.write("old.jsonl", DEMO_RULES_1);
    let imported = env.ok(&["import", &file]);
    assert!(imported.contains(DEMO_HEAD), "{imported}");
    let verified = env.ok(&["verify"]);
    assert!(
        verified.contains("ok: 29 events, hash chain and every outcome check out"),
        "{verified}"
    );
    assert!(verified.contains(DEMO_HEAD), "{verified}");
    // Re-exported byte for byte: the unmarked bodies keep their bytes and hashes.
    assert_eq!(env.export(), DEMO_RULES_1);
}

#[test]
fn new_events_on_an_old_book_are_decided_by_the_current_rules() {
    let env = Env::empty();
    let file = env.write("old.jsonl", DEMO_RULES_1);
    env.ok(&["import", &file]);
    // The citation the old rules let abran value himself is refused to him now.
    env.refused(
        &["--as", "abran", "log", "cite", "tracker", "abran", "10.00"],
        "forbidden",
        "abran may not name the value of a citation: cite a contribution (`of`) with a percentage of its value (`percent`); only custodians log a fixed value",
    );
    assert!(env.ok(&["verify"]).contains("ok: 29 events"));
    let last = env.export();
    let last = last.lines().last().expect("events");
    assert!(!last.contains("\"rules\""), "{last}");
    env.ok(&["rate", "set", "tracker", "review", "20.00"]);
    let exported = env.export();
    let newest = exported.lines().last().expect("events");
    assert!(newest.contains("\"rules\":3"), "{newest}");
    assert!(env.ok(&["verify"]).contains("ok: 30 events"));
}

/// A book written by rules 2 (issue 13): an amount with a space before it (`" 1.00"`), hours
/// with 7 and 19 decimals, and the lookalike handles `bob` and `b0b`.
const STRICT_RULES_2: &str = include_str!("data/strict-rules-2.jsonl");

#[test]
fn spaced_numbers_and_long_hours_of_rules_2_replay_but_rules_3_refuse_them() {
    let env = Env::empty();
    let file = env.write("old.jsonl", STRICT_RULES_2);
    env.ok(&["import", &file]);
    assert!(env.ok(&["verify"]).contains("ok: 8 events"));
    assert_eq!(env.export(), STRICT_RULES_2);
    env.refused(
        &["log", "cash", "tracker", "ana", " 1.00"],
        "invalid",
        "malformed number \" 1.00\": write it without spaces, as \"1.00\"",
    );
    env.refused(
        &[
            "log",
            "work",
            "tracker",
            "bob",
            "1.0000000000000000001",
            "--category",
            "design",
        ],
        "invalid",
        "hours \"1.0000000000000000001\" have 19 decimals: at most 6, never rounded",
    );
    env.refused(
        &["agent", "add", "\u{430}na"],
        "conflict",
        "handle \"\u{430}na\" looks like the existing agent \"ana\": choose a handle nobody \
         can mistake for it",
    );
    env.ok(&[
        "log",
        "work",
        "tracker",
        "bob",
        "1.123456",
        "--category",
        "design",
    ]);
    let exported = env.export();
    let newest = exported.lines().last().expect("events");
    assert!(newest.contains("\"rules\":3"), "{newest}");
    assert!(env.ok(&["verify"]).contains("ok: 9 events"));
}
