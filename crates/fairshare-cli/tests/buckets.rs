//! The plan buckets of issue 15 from the command line: a plan file with a `bank` bucket, the
//! revenues it holds and the one that releases it (previewed first), `distribute --from-bank`,
//! and the refusals of bad buckets.

mod common;

use common::{Env, amounts};
use serde_json::json;

/// forecast.json's studio: xia 5 h and yon 3 h of editing at 40.00 EUR; wen is a custodian,
/// xia an affiliate. `plan` is the plan file's TOML.
fn studio(env: &Env, plan: &str) {
    env.agents(&["wen:custodian", "xia:affiliate", "yon:affiliate"]);
    env.ok(&["project", "add", "studio", "--currency", "EUR"]);
    env.ok(&["rate", "set", "studio", "edit", "40.00"]);
    for (agent, hours) in [("xia", "5"), ("yon", "3")] {
        env.ok(&["log", "work", "studio", agent, hours, "--category", "edit"]);
    }
    let file = env.write("studio.toml", plan);
    env.ok(&["plan", "set", "studio", &file]);
}

const BANK_PLAN: &str = "[[bucket]]\ntype = \"bank\"\nuntil = \"1000.00\"\n\n\
                         [[bucket]]\ntype = \"contributors\"\nkinds = [\"work\"]\n";

#[test]
fn a_bank_holds_revenue_until_the_threshold_and_the_statement_says_what_it_released() {
    let env = Env::new();
    studio(&env, BANK_PLAN);
    let shown = env.json(&["plan", "show", "studio"]);
    assert_eq!(
        shown["buckets"][0],
        json!({"bucket": 1, "type": "bank", "until": "1000.00",
               "words": "everything left is held in studio-bank until it holds at least 1000.00 EUR; the revenue that brings it there releases all of it through the buckets after this one"})
    );
    let first = env.json(&["revenue", "studio", "400.00"]);
    assert_eq!(first["held"], "400.00");
    assert_eq!(first.get("released"), None);
    assert_eq!(first["payouts"], amounts(&[("studio-bank", "400.00")]));
    env.ok(&["revenue", "studio", "450.00"]);
    // The preview of the revenue that crosses the threshold shows the release exactly.
    let before = env.export();
    let preview = env.json(&["revenue", "studio", "300.00", "--preview"]);
    assert_eq!(env.export(), before, "a preview records nothing");
    assert_eq!(preview["released"], "850.00");
    assert_eq!(preview.get("held"), None);
    assert_eq!(
        preview["payouts"],
        amounts(&[("xia", "718.75"), ("yon", "431.25")])
    );
    let mut recorded = env.json(&["revenue", "studio", "300.00"]);
    recorded["preview"] = json!(true);
    assert_eq!(recorded, preview);
    let text = env.ok(&["statement", "3"]);
    assert!(
        text.contains(
            "  released from the bank: 850.00 EUR, paid out below with the rest of the plan\n"
        ),
        "{text}"
    );
    let balances = env.json(&["balance", "studio-bank"]);
    assert_eq!(balances["balances"]["studio-bank"]["EUR"], "0.00");
}

#[test]
fn distribute_from_bank_releases_it_early_for_a_custodian_only() {
    let env = Env::new();
    studio(&env, BANK_PLAN);
    env.ok(&["revenue", "studio", "400.01"]);
    env.refused(
        &["--as", "xia", "distribute", "studio", "--from-bank"],
        "forbidden",
        "only custodians may release a project's bank; this agent is an affiliate",
    );
    let released = env.json(&["--as", "wen", "distribute", "studio", "--from-bank"]);
    assert_eq!(released["amount"], "0.00");
    assert_eq!(released["released"], "400.01");
    // 400.01 by 200:120 (5:3): 250.00625 and 150.00375, the cent to xia's larger remainder.
    assert_eq!(
        released["payouts"],
        amounts(&[("xia", "250.01"), ("yon", "150.00")])
    );
    let text = env.ok(&["statement", "2"]);
    assert!(
        text.contains("released from the bank: 400.01 EUR"),
        "{text}"
    );
    env.refused(
        &["distribute", "studio", "--from-bank"],
        "invalid",
        "project studio's bank (studio-bank) holds nothing to release",
    );
    // The flag is the command: without it, clap refuses.
    let output = env.run(&["distribute", "studio"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn bad_new_buckets_are_refused_with_the_field_at_fault() {
    let env = Env::new();
    studio(&env, BANK_PLAN);
    let cases = [
        (
            "[[bucket]]\ntype = \"bank\"\nuntil = \"10.00\"\n",
            "invalid",
            "bucket 1: a bank bucket must be followed by the buckets it releases into",
        ),
        (
            "[[bucket]]\ntype = \"units\"\nproject = \"ventwits\"\n",
            "not-found",
            "unknown project \"ventwits\": add the project first",
        ),
        (
            "[[bucket]]\ntype = \"bank\"\nuntil = 0\n[[bucket]]\ntype = \"blended\"\n",
            "invalid",
            "a bank bucket's `until` must be a positive amount of EUR with at most 2 decimals, not \"0\"",
        ),
    ];
    for (index, (text, kind, message)) in cases.into_iter().enumerate() {
        let file = env.write(&format!("bad-{index}.toml"), text);
        env.refused(&["plan", "set", "studio", &file], kind, message);
    }
}

#[test]
fn token_create_retro_mints_for_the_work_before_the_token() {
    let env = Env::new();
    studio(&env, BANK_PLAN);
    // xia 200.00 and yon 120.00 of value before the token; 0.5 STU per unit, 0 decimals.
    let created = env.json(&[
        "token",
        "create",
        "studio",
        "STU",
        "--exponent",
        "0",
        "--mint-per-value",
        "0.5",
        "--retro",
    ]);
    assert_eq!(
        created["retro"],
        json!([{"agent": "xia", "contributions": 1, "tokens": "100"},
               {"agent": "yon", "contributions": 1, "tokens": "60"}])
    );
    assert_eq!(created["supply"], "160");
    let balances = env.json(&["balance", "xia"]);
    assert_eq!(balances["balances"]["xia"]["STU"], "100");
    // Work after the token mints as it counts, not again for the old work.
    env.ok(&["log", "work", "studio", "yon", "1", "--category", "edit"]);
    let balances = env.json(&["balance", "yon"]);
    assert_eq!(balances["balances"]["yon"]["STU"], "80");
}

#[test]
fn token_create_retro_text_lists_each_contributor() {
    let env = Env::new();
    studio(&env, BANK_PLAN);
    let text = env.ok(&["token", "create", "studio", "STU", "--retro"]);
    assert!(
        text.contains(
            "minted for the contributions counted before the token:\n  xia 200.00 STU (1 contribution)\n  yon 120.00 STU (1 contribution)\n"
        ),
        "{text}"
    );
}
