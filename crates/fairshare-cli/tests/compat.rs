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
        "abran may not name the value of a citation: cite a contribution with a percentage of \
         its value (`log cite PROJECT AGENT --of CONTRIBUTION --percent P`); only custodians \
         log a fixed value",
    );
    assert!(env.ok(&["verify"]).contains("ok: 29 events"));
    let last = env.export();
    let last = last.lines().last().expect("events");
    assert!(!last.contains("\"rules\""), "{last}");
    env.ok(&["rate", "set", "tracker", "review", "20.00"]);
    let exported = env.export();
    let newest = exported.lines().last().expect("events");
    assert!(newest.contains("\"rules\":2"), "{newest}");
    assert!(env.ok(&["verify"]).contains("ok: 30 events"));
}
