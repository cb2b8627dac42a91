//! The treasury over HTTP (issue 13): payouts, expenses, transfers and exchanges with exact
//! amounts, every refusal with its status and field and the book unchanged, and an
//! idempotent retry; on SQLite, and on PostgreSQL when configured.

mod common;

use common::{TestBook, TestServer, refused, work};
use fairshare_core::{Command, Role};
use serde_json::json;

#[test]
fn treasury_over_http() {
    TestBook::each("treasury_over_http", treasury);
}

fn treasury(book: &TestBook) {
    let keys = book.agents(&[
        ("ana", Role::Custodian),
        ("ben", Role::Custodian),
        ("cleo", Role::Affiliate),
        ("olga", Role::Observer),
    ]);
    book.setup(vec![Command::AddProject {
        slug: "ops".into(),
        name: None,
        currency: "USD".into(),
        exponent: 2,
        approvals: 2,
    }]);
    let server = TestServer::start(&book.url);
    let ana = server.api(Some(&keys["ana"]));
    let ben = server.api(Some(&keys["ben"]));
    let cleo = server.api(Some(&keys["cleo"]));
    let olga = server.api(Some(&keys["olga"]));

    ana.post(
        "/api/v1/projects",
        json!({"slug": "lab", "currency": "CAD", "exponent": 2}),
    )
    .expect(201);
    ana.put(
        "/api/v1/projects/lab/rates/build",
        json!({"per_hour": "30.00"}),
    )
    .expect(200);
    cleo.post(
        "/api/v1/projects/lab/contributions",
        work("cleo", "build", "20"),
    )
    .expect(201);
    for (project, amount) in [("lab", "900.00"), ("ops", "200.00")] {
        ana.post(
            &format!("/api/v1/projects/{project}/revenue"),
            json!({"amount": amount}),
        )
        .expect(201);
    }

    // A payout: requested by cleo (retried with the same key), approved by ana.
    let body = json!({"agent": "cleo", "amount": "400.00", "reference": "bank-7731"});
    let first = cleo
        .call("POST", "/api/v1/payouts", Some(&body), Some("pay-1"))
        .expect(201);
    assert_eq!(first.body["id"], "payout-1");
    assert_eq!(first.body["status"], "pending");
    let retry = cleo
        .call("POST", "/api/v1/payouts", Some(&body), Some("pay-1"))
        .expect(201);
    assert!(retry.replayed());
    assert_eq!(retry.body["id"], "payout-1");
    refused(
        &cleo,
        "/api/v1/payouts",
        json!({"agent": "cleo", "amount": "500.01", "reference": "b"}),
        422,
        Some("amount"),
        "cleo holds 900.00 CAD of which 400.00 CAD is already requested: 500.01 CAD would overdraw it",
    );
    refused(
        &olga,
        "/api/v1/payouts",
        json!({"agent": "olga", "amount": "1.00", "reference": "b"}),
        403,
        None,
        "olga is an observer: observers read but do not request payouts",
    );
    refused(
        &cleo,
        "/api/v1/payouts/payout-1/approve",
        json!({}),
        403,
        None,
        "only custodians may approve payouts; this agent is an affiliate",
    );
    refused(
        &ana,
        "/api/v1/payouts/nope/approve",
        json!({}),
        404,
        Some("id"),
        "unknown payout \"nope\"",
    );
    let paid = ana
        .post("/api/v1/payouts/payout-1/approve", json!({}))
        .expect(200);
    assert_eq!(paid.body["status"], "paid");
    assert_eq!(paid.body["balance"], "500.00");
    refused(
        &ben,
        "/api/v1/payouts/payout-1/reject",
        json!({"reason": "late"}),
        409,
        Some("id"),
        "payout payout-1 is paid already",
    );
    let listed = cleo
        .get("/api/v1/payouts?agent=cleo&status=paid")
        .expect(200);
    assert_eq!(listed.body["total"], 1);
    assert_eq!(listed.body["payouts"][0]["reviewed_by"], "ana");
    let bad = cleo.get("/api/v1/payouts?status=done").expect(422);
    assert_eq!(bad.body["field"], "status");

    // An expense of `ops` (two approvals), paid to cleo who paid from her pocket.
    let submitted = cleo
        .post(
            "/api/v1/expenses",
            json!({"id": "e1", "account": "ops-unallocated", "amount": "50.00", "for": "hosting", "payee": "cleo"}),
        )
        .expect(201);
    assert_eq!(submitted.body["required"], 2);
    refused(
        &ana,
        "/api/v1/expenses",
        json!({"account": "ops-unallocated", "amount": "1.00", "for": " "}),
        422,
        Some("for"),
        "an expense needs to say what it is for",
    );
    refused(
        &ana,
        "/api/v1/expenses",
        json!({"account": "cleo", "amount": "1.00", "for": "x"}),
        422,
        Some("account"),
        "cleo is an agent's balance: agents are paid out by `payout`, not from a virtual account",
    );
    let once = ana
        .post("/api/v1/expenses/e1/approve", json!({}))
        .expect(200);
    assert_eq!(once.body["status"], "pending");
    refused(
        &ana,
        "/api/v1/expenses/e1/approve",
        json!({}),
        409,
        None,
        "ana has already approved expense e1",
    );
    let twice = ben
        .post("/api/v1/expenses/e1/approve", json!({}))
        .expect(200);
    assert_eq!(twice.body["status"], "paid");
    assert_eq!(twice.body["balance"], "150.00");
    let expenses = ana
        .get("/api/v1/expenses?account=ops-unallocated")
        .expect(200);
    assert_eq!(
        expenses.body["expenses"][0]["approvals"],
        json!(["ana", "ben"])
    );

    // An exchange and a transfer, by a custodian.
    let exchanged = ana
        .post(
            "/api/v1/exchanges",
            json!({"account": "ops-unallocated", "amount": "100.00", "from_asset": "USD", "to_asset": "CAD", "rate": "1.3719"}),
        )
        .expect(200);
    assert_eq!(exchanged.body["converted"], "137.19");
    refused(
        &cleo,
        "/api/v1/exchanges",
        json!({"account": "ops-unallocated", "amount": "1.00", "from_asset": "USD", "to_asset": "CAD", "rate": "1"}),
        403,
        None,
        "only custodians may exchange currencies; this agent is an affiliate",
    );
    refused(
        &ana,
        "/api/v1/exchanges",
        json!({"account": "ops-unallocated", "amount": "1.00", "from_asset": "USD", "to_asset": "CAD", "rate": "-1"}),
        422,
        Some("rate"),
        "rate -1 must be greater than zero",
    );
    let moved = ana
        .post(
            "/api/v1/transfers",
            json!({"from": "ops-unallocated", "to": "infra", "amount": "37.19", "asset": "CAD", "reason": "hosting fund"}),
        )
        .expect(200);
    assert_eq!(
        moved.body["balances"],
        json!({"infra": {"CAD": "37.19"}, "ops-unallocated": {"CAD": "100.00", "USD": "50.00"}})
    );
    refused(
        &ana,
        "/api/v1/transfers",
        json!({"from": "ops-unallocated", "to": "infra", "amount": "1.00", "reason": "x"}),
        422,
        Some("asset"),
        "ops-unallocated holds CAD and USD: name the asset",
    );
    refused(
        &cleo,
        "/api/v1/transfers",
        json!({"from": "infra", "to": "commons", "amount": "1.00", "reason": "x"}),
        403,
        None,
        "only custodians may transfer money between accounts; this agent is an affiliate",
    );
    let exchange = ana.get("/api/v1/balances/exchange").expect(200);
    assert_eq!(
        exchange.body["balances"]["exchange"],
        json!({"CAD": "-137.19", "USD": "100.00"})
    );
    ana.verify_ok();
}
