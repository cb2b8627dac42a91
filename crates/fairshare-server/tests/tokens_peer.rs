//! The tokens story over HTTP with the exact amounts of the book's `tokens.json` scenario; on
//! SQLite, and on PostgreSQL when configured.

mod common;

use common::{TestBook, TestServer, work};
use fairshare_core::{Command, Role};
use serde_json::{Value, json};

#[test]
fn tokens_over_http() {
    TestBook::each("tokens_over_http", tokens);
}

fn tokens(book: &TestBook) {
    let keys = book.agents(&[
        ("ana", Role::Custodian),
        ("alice", Role::Affiliate),
        ("bob", Role::Affiliate),
        ("coop_bank", Role::Observer),
    ]);
    let server = TestServer::start(&book.url);
    let ana = server.api(Some(&keys["ana"]));
    let alice = server.api(Some(&keys["alice"]));
    let bob = server.api(Some(&keys["bob"]));

    for slug in ["bikes", "transit"] {
        ana.post(
            "/api/v1/projects",
            json!({"slug": slug, "currency": "CAD", "exponent": 2}),
        )
        .expect(201);
    }
    ana.put(
        "/api/v1/projects/bikes/rates/build",
        json!({"per_hour": "30.00"}),
    )
    .expect(200);
    let created = ana
        .post(
            "/api/v1/projects/bikes/token",
            json!({"symbol": "BIKE", "exponent": 2, "mint_per_value": "1", "redemption": "nav"}),
        )
        .expect(201);
    assert_eq!(created.body["token"], "BIKE");
    assert_eq!(created.body["supply"], "0.00");
    assert_eq!(created.body["hatch"], serde_json::Value::Null);

    let sold = ana
        .post(
            "/api/v1/tokens/BIKE/presale",
            json!({"agent": "coop_bank", "amount": "10000.00", "price": "1.00"}),
        )
        .expect(201);
    assert_eq!(sold.body["tokens"], "10000.00");
    assert_eq!(sold.body["reserve"], "10000.00");

    // alice's 100 h of build at 30.00 mints 3000.00 BIKE.
    alice
        .post(
            "/api/v1/projects/bikes/contributions",
            work("alice", "build", "100"),
        )
        .expect(201);
    let balance = alice.get("/api/v1/balances/alice").expect(200).body;
    assert_eq!(balance["balances"]["alice"]["BIKE"], "3000.00", "{balance}");

    // bob's 50 h of design mints 2000.00: supply 15000.00 against a reserve of 10000.00, so
    // alice's 1500.00 redeem for exactly 1000.00.
    ana.put(
        "/api/v1/projects/bikes/rates/design",
        json!({"per_hour": "40.00"}),
    )
    .expect(200);
    bob.post(
        "/api/v1/projects/bikes/contributions",
        work("bob", "design", "50"),
    )
    .expect(201);
    let key = Some("redeem-alice-1");
    let body = json!({"tokens": "1500.00"});
    let redeemed = alice
        .call("POST", "/api/v1/tokens/BIKE/redeem", Some(&body), key)
        .expect(200);
    assert_eq!(redeemed.body["payout"], "1000.00", "{}", redeemed.text);
    assert_eq!(redeemed.body["fee"], "0.00");
    assert_eq!(redeemed.body["supply"], "13500.00");
    assert_eq!(redeemed.body["reserve"], "9000.00");
    let again = alice
        .call("POST", "/api/v1/tokens/BIKE/redeem", Some(&body), key)
        .expect(200);
    assert!(again.replayed());
    assert_eq!(again.body["payout"], "1000.00");

    let donated = ana
        .post(
            "/api/v1/tokens/BIKE/donate",
            json!({"agent": "coop_bank", "amount": "1350.00"}),
        )
        .expect(201);
    assert_eq!(donated.body["reserve"], "10350.00");
    let redeemed = bob
        .post("/api/v1/tokens/BIKE/redeem", json!({"tokens": "700.00"}))
        .expect(200);
    assert_eq!(redeemed.body["payout"], "536.66");
    assert_eq!(redeemed.body["reserve"], "9813.34");

    let accepted = ana
        .post(
            "/api/v1/projects/transit/accepted-tokens",
            json!({"token": "BIKE", "rate": "0.70"}),
        )
        .expect(200);
    assert_eq!(accepted.body["rate"], "0.70");
    let paid = bob
        .post(
            "/api/v1/tokens/BIKE/pay",
            json!({"project": "transit", "tokens": "10.00"}),
        )
        .expect(201);
    assert_eq!(paid.body["value"], "7.00");
    let moved = bob
        .post(
            "/api/v1/tokens/BIKE/transfers",
            json!({"to": "alice", "tokens": "90.00"}),
        )
        .expect(201);
    assert_eq!(moved.body["from_balance"], "1200.00");
    assert_eq!(moved.body["to_balance"], "1590.00");
    // Affiliates act only for themselves.
    bob.post(
        "/api/v1/tokens/BIKE/redeem",
        json!({"agent": "alice", "tokens": "1.00"}),
    )
    .expect(403);

    let shown = ana.get("/api/v1/tokens/BIKE?limit=2").expect(200).body;
    assert_eq!(shown["supply"], "12800.00");
    assert_eq!(shown["reserve"], "9813.34");
    assert_eq!(shown["redemption_price"], "0.766667");
    assert_eq!(shown["issuance"].as_array().map(Vec::len), Some(2));
    assert_eq!(shown["issuance_total"], 5);
    assert_eq!(shown["next_offset"], 2);
    assert_eq!(shown["accepted_by"]["transit"], "0.70");
    let list = ana.get("/api/v1/tokens").expect(200).body;
    assert_eq!(list["total"], 1);
    assert_eq!(list["tokens"][0]["token"], "BIKE");
    ana.get("/api/v1/tokens/NOPE").expect(404);

    // The book as an hledger journal, and the other tool formats with their content types.
    let journal = ana.get("/api/v1/export?format=hledger").expect(200);
    assert!(journal.content_type().starts_with("text/plain"));
    assert!(
        journal.text.contains("Assets:Fairshare:Agents:"),
        "{}",
        journal.text
    );
    for (format, content_type) in [
        ("jsonl", "application/x-ndjson"),
        ("beancount", "text/plain"),
        ("ledger", "text/plain"),
        ("valueflows", "application/ld+json"),
        ("csv-contributions", "text/csv"),
        ("csv-distributions", "text/csv"),
        ("csv-balances", "text/csv"),
    ] {
        let answer = ana
            .get(&format!("/api/v1/export?format={format}"))
            .expect(200);
        assert!(
            answer.content_type().starts_with(content_type),
            "{format}: {}",
            answer.content_type()
        );
        assert!(!answer.text.is_empty(), "{format}");
    }
    let balances = ana.get("/api/v1/export?format=csv-balances").expect(200);
    assert!(balances.text.contains("BIKE"), "{}", balances.text);
    ana.get("/api/v1/export?format=xlsx").expect(400);
    assert_eq!(ana.verify_ok(), ana.head());
}

#[test]
fn startup_peer_valuation_over_http() {
    TestBook::each("startup_peer_valuation_over_http", startup);
}

/// The book's `startup.json` scenario: formula shares, a bounty, a peer round, steward
/// points, a blend and a pool allocated by blended share.
fn startup(book: &TestBook) {
    let keys = book.agents(&[
        ("michael", Role::Custodian),
        ("allyson", Role::Affiliate),
        ("marc", Role::Affiliate),
        ("john", Role::Affiliate),
    ]);
    let server = TestServer::start(&book.url);
    let api = |who: &str| server.api(Some(&keys[who]));
    let michael = api("michael");

    michael
        .post(
            "/api/v1/projects",
            json!({"slug": "ventwits", "currency": "UNITS", "exponent": 0}),
        )
        .expect(201);
    michael
        .put(
            "/api/v1/projects/ventwits/rates/any",
            json!({"per_hour": "1"}),
        )
        .expect(200);
    michael
        .put(
            "/api/v1/projects/ventwits/skills/john",
            json!({"factor": "5"}),
        )
        .expect(200);
    for (agent, hours) in [
        ("michael", "100"),
        ("allyson", "60"),
        ("marc", "40"),
        ("john", "10"),
    ] {
        michael
            .post(
                "/api/v1/projects/ventwits/contributions",
                work(agent, "any", hours),
            )
            .expect(201);
    }
    let bounty = michael
        .post(
            "/api/v1/projects/ventwits/bounties",
            json!({"task": "xyz", "reward": "5000"}),
        )
        .expect(201);
    assert_eq!(bounty.body["status"], "open");
    assert_eq!(bounty.body["agent"], Value::Null);
    assert_eq!(bounty.body["pool"], Value::Null);
    let done = michael
        .post(
            "/api/v1/projects/ventwits/bounties/xyz/complete",
            json!({"agent": "marc"}),
        )
        .expect(200);
    assert_eq!(done.body["reward"], "5000");
    assert_eq!(done.body["approved_by"], "michael");

    let opened = michael
        .post("/api/v1/projects/ventwits/rounds", json!({"budget": 100}))
        .expect(201);
    let round = opened.body["round"].as_u64().expect("round id");
    assert_eq!(
        opened.body["eligible"],
        json!(["allyson", "john", "marc", "michael"])
    );
    let gifts = [
        ("michael", [("allyson", 50), ("marc", 30), ("john", 20)]),
        ("allyson", [("michael", 60), ("marc", 20), ("john", 20)]),
        ("marc", [("michael", 50), ("allyson", 30), ("john", 20)]),
        ("john", [("michael", 40), ("allyson", 40), ("marc", 20)]),
    ];
    for (from, to) in gifts {
        for (to, points) in to {
            api(from)
                .post(
                    &format!("/api/v1/rounds/{round}/gifts"),
                    json!({"to": to, "points": points}),
                )
                .expect(201);
        }
    }
    // An affiliate gives only as themself; a custodian may name the giver.
    api("marc")
        .post(
            &format!("/api/v1/rounds/{round}/gifts"),
            json!({"from": "john", "to": "marc", "points": 1}),
        )
        .expect(403);
    let shown = michael
        .get(&format!("/api/v1/rounds/{round}"))
        .expect(200)
        .body;
    assert_eq!(shown["status"], "open");
    assert_eq!(shown["provisional"], true);
    let closed = michael
        .post(&format!("/api/v1/rounds/{round}/close"), json!(null))
        .expect(200);
    let peer: Vec<(String, String)> = closed.body["shares"]
        .as_array()
        .expect("shares")
        .iter()
        .map(|s| {
            (
                s["agent"].as_str().unwrap_or("").to_string(),
                s["share"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        peer,
        [
            ("allyson", "0.3"),
            ("john", "0.15"),
            ("marc", "0.175"),
            ("michael", "0.375")
        ]
        .map(|(a, s)| (a.to_string(), s.to_string()))
    );

    let reason = "equal recognition of intangible contributions to the culture";
    // Nobody gives steward points to themself: michael's come from the operator.
    let own = michael
        .post(
            "/api/v1/projects/ventwits/steward",
            json!({"agent": "michael", "points": 25, "reason": reason}),
        )
        .expect(403);
    assert_eq!(own.body["field"], "agent");
    book.setup(vec![Command::StewardGive {
        project: "ventwits".into(),
        agent: "michael".into(),
        points: 25,
        reason: reason.into(),
    }]);
    for agent in ["allyson", "marc", "john"] {
        michael
            .post(
                "/api/v1/projects/ventwits/steward",
                json!({"agent": agent, "points": 25, "reason": reason}),
            )
            .expect(201);
    }
    let blend = michael
        .put(
            "/api/v1/projects/ventwits/blend",
            json!({"formula": "0.5", "peer": "0.3", "steward": "0.2"}),
        )
        .expect(200);
    assert_eq!(blend.body["peer"], "0.3");
    let blended = michael
        .get("/api/v1/projects/ventwits/shares?blended=true")
        .expect(200)
        .body;
    let shares: std::collections::BTreeMap<&str, &str> = blended["shares"]
        .as_array()
        .expect("shares")
        .iter()
        .map(|r| {
            (
                r["agent"].as_str().unwrap_or(""),
                r["blended"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        shares,
        [
            ("allyson", "0.26"),
            ("john", "0.195"),
            ("marc", "0.1825"),
            ("michael", "0.3625")
        ]
        .into()
    );

    // A pool allocation needs an idempotency key.
    let refused = michael
        .post(
            "/api/v1/projects/ventwits/pool-allocations",
            json!({"size": "300000"}),
        )
        .expect(422);
    assert_eq!(refused.body["field"], "key", "{}", refused.text);
    let body = json!({"size": "300000"});
    let key = Some("crystallisation-2009-q1");
    let pool = michael
        .call(
            "POST",
            "/api/v1/projects/ventwits/pool-allocations",
            Some(&body),
            key,
        )
        .expect(201);
    let expected =
        json!({"allyson": "76700", "john": "57525", "marc": "58838", "michael": "106937"});
    assert_eq!(pool.body["units"], expected, "{}", pool.text);
    assert_eq!(pool.body["bounties"], json!(["xyz"]));
    assert_eq!(pool.body["key"], "crystallisation-2009-q1");
    let again = michael
        .call(
            "POST",
            "/api/v1/projects/ventwits/pool-allocations",
            Some(&body),
            key,
        )
        .expect(201);
    assert!(again.replayed());
    assert_eq!(again.body["units"], expected);

    let captable = michael
        .get("/api/v1/projects/ventwits/captable")
        .expect(200)
        .body;
    assert_eq!(captable["currency"], "UNITS");
    assert_eq!(captable["rows"].as_array().map(Vec::len), Some(4));
    assert_eq!(captable["recorded"], Value::Null);

    // The lists the command line prints, over HTTP too.
    let rounds = michael
        .get("/api/v1/projects/ventwits/rounds")
        .expect(200)
        .body;
    assert_eq!(rounds["rounds"][0]["status"], "closed");
    assert_eq!(rounds["rounds"][0]["given"], 400);
    let steward = michael
        .get("/api/v1/projects/ventwits/steward")
        .expect(200)
        .body;
    assert_eq!(steward["total"], 100);
    assert_eq!(
        steward["points"],
        json!({"allyson": 25, "john": 25, "marc": 25, "michael": 25})
    );
    let givers: Vec<&str> = steward["awards"]
        .as_array()
        .expect("awards")
        .iter()
        .map(|award| award["by"].as_str().expect("by"))
        .collect();
    assert_eq!(givers[..2], ["operator", "michael"]);
    let bounties = michael
        .get("/api/v1/projects/ventwits/bounties")
        .expect(200)
        .body;
    assert_eq!(bounties["bounties"][0]["status"], "paid");
    assert_eq!(bounties["bounties"][0]["agent"], "marc");
    assert_eq!(bounties["bounties"][0]["pool"], 1);
    let pools = michael
        .get("/api/v1/projects/ventwits/pool-allocations")
        .expect(200)
        .body;
    assert_eq!(pools["pools"][0]["units"], expected);
    assert_eq!(pools["pools"][0]["key"], "crystallisation-2009-q1");
    assert_eq!(pools["pools"][0]["replayed"], false);

    // A recorded snapshot is an event of the log.
    let recorded = michael
        .post("/api/v1/projects/ventwits/captable", json!(null))
        .expect(201)
        .body;
    assert_eq!(recorded["recorded"], michael.head());
    assert_eq!(recorded["rows"], captable["rows"]);

    // Opting out: one's own by default, another's only as a custodian.
    let second = michael
        .post("/api/v1/projects/ventwits/rounds", json!({}))
        .expect(201)
        .body["round"]
        .as_u64()
        .expect("round id");
    api("marc")
        .post(
            &format!("/api/v1/rounds/{second}/opt-outs"),
            json!({"agent": "john"}),
        )
        .expect(403);
    let opted = api("marc")
        .post(&format!("/api/v1/rounds/{second}/opt-outs"), json!({}))
        .expect(201)
        .body;
    assert_eq!(opted, json!({"round": second, "agent": "marc"}));

    let policy = michael
        .put(
            "/api/v1/projects/ventwits/leaver-policy",
            json!({"enabled": true}),
        )
        .expect(200)
        .body;
    assert_eq!(policy, json!({"project": "ventwits", "enabled": true}));
    assert_eq!(michael.verify_ok(), michael.head());
}
