//! Project tokens through the real binary: the story of tokens.json (pre-sale, contributions
//! minting, NAV redemptions, a donation, acceptance and payment, a bonding curve round trip)
//! and every bad input issue 5 lists.

mod common;

use common::{Env, run_doc_story, stderr};
use serde_json::json;

fn bikes(env: &Env) {
    env.agents(&[
        "ana:custodian",
        "alice:affiliate",
        "bob:affiliate",
        "coop_bank:observer",
        "city:observer",
    ]);
    env.ok(&["project", "add", "bikes"]);
    env.ok(&["project", "add", "transit"]);
    env.ok(&["rate", "set", "bikes", "build", "30.00"]);
    env.ok(&["rate", "set", "bikes", "design", "40.00"]);
}

#[test]
fn the_tokens_story() {
    let env = Env::new();
    bikes(&env);
    let created = env.json(&[
        "token",
        "create",
        "bikes",
        "BIKE",
        "--exponent",
        "2",
        "--mint-per-value",
        "1",
        "--redemption",
        "nav",
    ]);
    assert_eq!(created["token"], "BIKE");
    assert_eq!(created["redemption"], "nav");
    assert_eq!(created["reserve_account"], "bikes-reserve");
    assert_eq!(created["supply"], "0.00");
    assert_eq!(created["hatch"], json!(null));

    // The cooperative bank (an observer) pre-buys 10,000.00 at 1.00.
    let presold = env.json(&[
        "--as",
        "ana",
        "token",
        "presale",
        "BIKE",
        "coop_bank",
        "10000.00",
        "--price",
        "1.00",
    ]);
    assert_eq!(
        presold,
        json!({"token": "BIKE", "agent": "coop_bank", "amount": "10000.00", "price": "1.00",
               "tokens": "10000.00", "supply": "10000.00", "reserve": "10000.00",
               "currency": "CAD", "replayed": false})
    );

    // Contributions mint tokens as they count.
    let alice = env.json(&[
        "--as",
        "alice",
        "log",
        "work",
        "bikes",
        "alice",
        "100",
        "--category",
        "build",
    ]);
    assert_eq!(alice["value"], "3000.00");
    assert_eq!(
        alice["minted"],
        json!({"token": "BIKE", "to": "alice", "tokens": "3000.00"})
    );
    let text = env.ok(&[
        "--as",
        "bob",
        "log",
        "work",
        "bikes",
        "bob",
        "50",
        "--category",
        "design",
    ]);
    assert!(text.ends_with("\nminted 2000.00 BIKE to bob\n"), "{text}");
    assert_eq!(
        env.json(&["balance", "alice"]),
        json!({"balances": {"alice": {"BIKE": "3000.00"}}})
    );
    let shown = env.json(&["token", "show", "BIKE"]);
    assert_eq!(shown["supply"], "15000.00");
    assert_eq!(shown["reserve"], "10000.00");
    assert_eq!(shown["redemption_price"], "0.666666");

    // alice redeems 1,500.00 at net asset value: the price is unchanged.
    let redeemed = env.json(&[
        "--as", "alice", "token", "redeem", "BIKE", "alice", "1500.00",
    ]);
    assert_eq!(
        redeemed,
        json!({"token": "BIKE", "agent": "alice", "tokens": "1500.00", "gross": "1000.00",
               "fee": "0.00", "fee_to": "bikes-reserve", "redemption": "nav", "payout": "1000.00",
               "supply": "13500.00", "reserve": "9000.00", "currency": "CAD",
               "replayed": false})
    );

    // A donation raises every token's redemption value.
    let donated = env.json(&["token", "donate", "BIKE", "city", "1350.00"]);
    assert_eq!(donated["reserve"], "10350.00");
    assert_eq!(donated["redemption_price"], "0.766666");

    // 700 x 10350 / 13500 = 536.666..., rounded down; the fraction stays in the reserve.
    let bob = env.json(&["--as", "bob", "token", "redeem", "BIKE", "bob", "700.00"]);
    assert_eq!(bob["payout"], "536.66");
    assert_eq!(bob["fee"], "0.00");
    assert_eq!(bob["supply"], "12800.00");
    assert_eq!(bob["reserve"], "9813.34");

    // transit accepts BIKE at 0.70; bob pays it 10.00 BIKE, worth 7.00 CAD to transit.
    let accepted = env.json(&["token", "accept", "transit", "BIKE", "--rate", "0.70"]);
    assert_eq!(
        accepted,
        json!({"project": "transit", "token": "BIKE", "rate": "0.70", "currency": "CAD"})
    );
    let paid = env.json(&[
        "--as", "bob", "token", "pay", "BIKE", "bob", "transit", "10.00",
    ]);
    assert_eq!(
        paid,
        json!({"token": "BIKE", "from": "bob", "project": "transit", "tokens": "10.00",
               "rate": "0.70", "value": "7.00", "currency": "CAD", "replayed": false})
    );
    let balances = env.json(&["balance"])["balances"].clone();
    assert_eq!(balances["transit"]["BIKE"], "10.00");
    assert_eq!(balances["bob"]["BIKE"], "1290.00");
    assert_eq!(balances["transit-liquidity"]["BIKE"], "0.00");
    // transit redeems what it was paid: 10 x 9813.34 / 12800 = 7.6667, paid 7.66.
    let transit = env.json(&["token", "redeem", "BIKE", "transit", "10.00"]);
    assert_eq!(transit["payout"], "7.66");

    // A transfer between holders.
    let moved = env.json(&["token", "transfer", "BIKE", "coop_bank", "alice", "100.00"]);
    assert_eq!(
        moved,
        json!({"token": "BIKE", "from": "coop_bank", "to": "alice", "tokens": "100.00",
               "from_balance": "9900.00", "to_balance": "1600.00", "replayed": false})
    );

    let shown = env.json(&["token", "show", "BIKE"]);
    assert_eq!(shown["supply"], "12790.00");
    assert_eq!(shown["minted"], "15000.00");
    assert_eq!(shown["burned"], "2210.00");
    assert_eq!(shown["reserve"], "9805.68");
    assert_eq!(shown["accepted_by"], json!({"transit": "0.70"}));
    assert_eq!(
        shown["holders"],
        json!([
            {"holder": "alice", "balance": "1600.00", "share": "0.12509773260359656"},
            {"holder": "bob", "balance": "1290.00", "share": "0.100860046911649726"},
            {"holder": "coop_bank", "balance": "9900.00", "share": "0.774042220484753714"},
        ])
    );
    let causes: Vec<(String, String, String)> = shown["issuance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["cause"].as_str().unwrap().to_string(),
                i["holder"].as_str().unwrap().to_string(),
                i["tokens"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String, String)> = [
        ("pre-sale", "coop_bank", "10000.00"),
        ("contribution 1", "alice", "3000.00"),
        ("contribution 2", "bob", "2000.00"),
        ("redemption", "alice", "-1500.00"),
        ("redemption", "bob", "-700.00"),
        ("redemption", "transit", "-10.00"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(causes, expected);
    assert_eq!(shown["payments"][0]["value"], "7.00");

    // A bonding curve: hatch 100,000.00 at 1.00 with a 20% tribute.
    env.ok(&["project", "add", "hatch"]);
    let hatch = env.json(&[
        "token",
        "create",
        "hatch",
        "HATCH",
        "--redemption",
        "curve",
        "--curve-exponent",
        "2",
        "--entry-tribute",
        "5",
        "--exit-tribute",
        "5",
        "--funding-to",
        "hatch-funding",
        "--hatch-raise",
        "100000.00",
        "--hatch-price",
        "1.00",
        "--hatch-tribute",
        "20",
    ]);
    assert_eq!(
        hatch["hatch"],
        json!({"holder": "hatch", "raised": "100000.00", "tribute": "20000.00",
               "into_reserve": "80000.00", "tokens": "100000.00"})
    );
    assert_eq!(hatch["supply"], "100000.00");
    assert_eq!(hatch["reserve"], "80000.00");
    assert_eq!(hatch["funding"], "20000.00");
    assert_eq!(hatch["spot_price"], "1.600000");

    let bought = env.json(&["token", "buy", "HATCH", "alice", "10000.00"]);
    assert_eq!(
        bought,
        json!({"token": "HATCH", "agent": "alice", "amount": "10000.00", "tribute": "500.00",
               "into_reserve": "9500.00", "tokens": "5770.97", "supply": "105770.97",
               "reserve": "89500.00", "spot_price": "1.692335", "currency": "CAD",
               "replayed": false})
    );
    // Sold back, quoted from the state before the trade: 9,500.00 gross, 475.00 tribute.
    let sold = env.json(&[
        "--as", "alice", "token", "redeem", "HATCH", "alice", "5770.97",
    ]);
    assert_eq!(
        sold,
        json!({"token": "HATCH", "agent": "alice", "tokens": "5770.97", "gross": "9500.00",
               "fee": "475.00", "fee_to": "hatch-funding", "redemption": "curve",
               "payout": "9025.00",
               "supply": "100000.00", "reserve": "80000.00", "currency": "CAD",
               "replayed": false})
    );
    assert_eq!(
        env.json(&["balance", "hatch-funding"]),
        json!({"balances": {"hatch-funding": {"CAD": "20975.00"}}})
    );

    let list = env.json(&["token", "list"]);
    assert_eq!(
        list,
        json!({"total": 2, "offset": 0, "limit": 1000, "next_offset": null, "tokens": [
            {"token": "BIKE", "project": "bikes", "redemption": "nav", "currency": "CAD",
             "supply": "12790.00", "reserve": "9805.68", "redemption_price": "0.766667",
             "holders": 3},
            {"token": "HATCH", "project": "hatch", "redemption": "curve", "currency": "CAD",
             "supply": "100000.00", "reserve": "80000.00", "redemption_price": "0.800000",
             "holders": 1},
        ]})
    );
    let text = env.ok(&["token", "show", "HATCH"]);
    assert!(
        text.contains("  spot:      1.600000 CAD per token on the curve (rounded down)\n"),
        "{text}"
    );
    assert_eq!(env.json(&["verify"])["ok"], true);
}

#[test]
fn a_keyed_redemption_is_recorded_once() {
    let env = Env::new();
    bikes(&env);
    env.ok(&["token", "create", "bikes", "BIKE"]);
    env.ok(&[
        "token",
        "presale",
        "BIKE",
        "coop_bank",
        "100.00",
        "--price",
        "0.50",
    ]);
    let args = [
        "--key",
        "r-1",
        "token",
        "redeem",
        "BIKE",
        "coop_bank",
        "50.00",
    ];
    let first = env.json(&args);
    assert_eq!(first["payout"], "25.00");
    let events = env.events();
    let again = env.json(&args);
    let mut replayed = first.clone();
    replayed["replayed"] = json!(true);
    assert_eq!(again, replayed);
    assert_eq!(env.events(), events);
    env.refused(
        &["--key", "r-1", "token", "redeem", "BIKE", "coop_bank", "10.00"],
        "conflict",
        &format!(
            "idempotency key \"r-1\" was already used for a different request (event {events}); use a new key"
        ),
    );
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let env = Env::new();
    bikes(&env);
    env.ok(&["token", "create", "bikes", "BIKE", "--exit-fee", "2"]);
    env.ok(&[
        "log",
        "work",
        "bikes",
        "alice",
        "100",
        "--category",
        "build",
    ]);
    env.refused(
        &["token", "redeem", "BIKE", "alice", "3000.01"],
        "invalid",
        "alice holds 3000.00 BIKE and cannot redeem 3000.01 BIKE",
    );
    env.refused(
        &["token", "redeem", "BIKE", "bob", "1.00"],
        "invalid",
        "bob holds 0.00 BIKE and cannot redeem 1.00 BIKE",
    );
    env.refused(
        &["--as", "bob", "token", "redeem", "BIKE", "alice", "1.00"],
        "forbidden",
        "bob is an affiliate and may redeem tokens only for themselves, not for alice",
    );
    // Nothing in the reserve yet: a redemption would pay nothing.
    env.refused(
        &["token", "redeem", "BIKE", "alice", "1.00"],
        "invalid",
        "redeeming 1.00 BIKE pays nothing: the reserve bikes-reserve holds 0.00 CAD for a supply of 3000.00 BIKE; redeem more",
    );
    env.refused(
        &["token", "pay", "BIKE", "alice", "transit", "10.00"],
        "invalid",
        "transit does not accept BIKE: it must accept it first, at a rate",
    );
    env.refused(
        &[
            "token",
            "presale",
            "BIKE",
            "coop_bank",
            "100.00",
            "--price",
            "0",
        ],
        "invalid",
        "price must be greater than zero, got 0",
    );
    env.refused(
        &[
            "token",
            "presale",
            "BIKE",
            "coop_bank",
            "100.00",
            "--price",
            "-1",
        ],
        "invalid",
        "price must be greater than zero, got -1",
    );
    env.refused(
        &["token", "accept", "transit", "BIKE", "--rate", "0"],
        "invalid",
        "rate must be greater than zero, got 0",
    );
    env.refused(
        &["token", "accept", "bikes", "BIKE", "--rate", "1"],
        "invalid",
        "bikes issues BIKE: a project does not accept its own token",
    );
    env.refused(
        &["token", "transfer", "BIKE", "alice", "alice", "1.00"],
        "invalid",
        "a transfer needs two different holders, not alice twice",
    );
    env.refused(
        &["token", "redeem", "NOPE", "alice", "1.00"],
        "not-found",
        "unknown token \"NOPE\": create the token first",
    );
    env.refused(
        &["token", "create", "bikes", "WHEEL"],
        "conflict",
        "project bikes already issues BIKE: a project has one token",
    );
    env.refused(
        &["token", "create", "transit", "bus"],
        "invalid",
        "invalid token symbol \"bus\": use 1 to 12 upper-case letters or digits, starting with a letter, such as BIKE",
    );
    env.refused(
        &["token", "create", "transit", "BUS", "--redemption", "curve"],
        "invalid",
        "a bonding-curve token needs a hatch (raised, price) to set its invariant V0 = S^2/R",
    );
    env.refused(
        &[
            "token",
            "create",
            "transit",
            "BUS",
            "--redemption",
            "curve",
            "--hatch-raise",
            "100.00",
            "--hatch-price",
            "0",
        ],
        "invalid",
        "hatch price must be greater than zero, got 0",
    );
    env.refused(
        &["token", "create", "transit", "BUS", "--entry-tribute", "5"],
        "invalid",
        "entry_tribute_percent applies to bonding-curve tokens (redemption curve); a NAV token takes exit_fee_percent",
    );
    env.refused(
        &["token", "buy", "BIKE", "alice", "10.00"],
        "invalid",
        "BIKE is redeemed at net asset value and sold by pre-sale (`presale`), not on a bonding curve",
    );
    env.refused(
        &["--as", "alice", "token", "donate", "BIKE", "city", "10.00"],
        "forbidden",
        "only custodians may record donations (money entering from outside); this agent is an affiliate",
    );
    // A hatch price without its raise is a malformed command line: refused, nothing written.
    let before = env.export();
    let output = env.run(&["token", "create", "transit", "BUS", "--hatch-price", "1.00"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--hatch-raise"),
        "{}",
        stderr(&output)
    );
    assert_eq!(env.export(), before);

    // With a 2% exit fee, the fee stays in the reserve.
    env.ok(&["token", "donate", "BIKE", "city", "300.00"]);
    let redeemed = env.json(&["token", "redeem", "BIKE", "alice", "1000.00"]);
    assert_eq!(redeemed["gross"], "100.00");
    assert_eq!(redeemed["fee"], "2.00");
    assert_eq!(redeemed["fee_to"], "bikes-reserve");
    assert_eq!(redeemed["payout"], "98.00");
    assert_eq!(redeemed["reserve"], "202.00");
    assert_eq!(env.json(&["verify"])["ok"], true);
}

#[test]
fn the_story_of_tokens_md_runs_as_written() {
    let (dir, out) = run_doc_story("TOKENS.md");
    for line in [
        "minted 3000.00 BIKE to alice\n",
        "alice redeemed 1500.00 BIKE: paid 1000.00 CAD; supply 13500.00, reserve 9000.00 CAD\n",
        "bob redeemed 700.00 BIKE: paid 536.66 CAD; supply 12800.00, reserve 9813.34 CAD\n",
        "bob paid transit 10.00 BIKE: worth 7.00 CAD to transit at 0.70 per token\n",
        "transit redeemed 10.00 BIKE: paid 7.66 CAD; supply 12790.00, reserve 9805.68 CAD\n",
        "alice redeemed 5770.97 HATCH: paid 9025.00 CAD (9500.00 gross, 475.00 exit tribute to hatch-funding); supply 100000.00, reserve 80000.00 CAD\n",
    ] {
        assert!(out.contains(line), "{line}\nnot in:\n{out}");
    }
    let env = Env::at(dir, "tokens.db");
    assert_eq!(env.json(&["token", "show", "HATCH"])["funding"], "20975.00");
    assert_eq!(env.json(&["verify"])["ok"], true);
}

#[test]
fn an_approval_mints_and_balances_show_token_decimals() {
    let env = Env::new();
    env.agents(&["ana:custodian", "alice:affiliate"]);
    env.ok(&["project", "add", "mill", "--approvals", "1"]);
    env.ok(&["rate", "set", "mill", "build", "10.00"]);
    env.ok(&[
        "token",
        "create",
        "mill",
        "MILL",
        "--exponent",
        "3",
        "--mint-per-value",
        "0.5",
    ]);
    let logged = env.json(&[
        "--as",
        "alice",
        "log",
        "work",
        "mill",
        "alice",
        "3",
        "--category",
        "build",
    ]);
    assert_eq!(logged["status"], "pending");
    assert!(logged.get("minted").is_none(), "{logged}");
    let approved = env.json(&["--as", "ana", "approve", "1"]);
    assert_eq!(
        approved["minted"],
        json!({"token": "MILL", "to": "alice", "tokens": "15.000"})
    );
    assert_eq!(
        env.json(&["balance", "alice"]),
        json!({"balances": {"alice": {"MILL": "15.000"}}})
    );
}
