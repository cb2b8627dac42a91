//! The plan buckets of issue 15 over HTTP: a plan with a `bank` bucket set with PUT, revenue
//! held, the preview of the release, `POST .../bank/release` (and its refusal once empty), and
//! the statement's `held` / `released`.

mod common;

use common::{TestBook, TestServer, work};
use fairshare_core::{Command, Role};
use serde_json::json;

#[test]
fn a_bank_over_http() {
    let book = TestBook::sqlite();
    let keys = book.agents(&[
        ("wen", Role::Custodian),
        ("xia", Role::Affiliate),
        ("yon", Role::Affiliate),
    ]);
    book.setup(vec![
        Command::add_project("studio", "EUR", 2),
        Command::set_rate("studio", "edit", "40.00"),
    ]);
    let server = TestServer::start(&book.url);
    let wen = server.api(Some(&keys["wen"]));
    let xia = server.api(Some(&keys["xia"]));
    xia.post(
        "/api/v1/projects/studio/contributions",
        work("xia", "edit", "5"),
    )
    .expect(201);
    server
        .api(Some(&keys["yon"]))
        .post(
            "/api/v1/projects/studio/contributions",
            work("yon", "edit", "3"),
        )
        .expect(201);
    let plan = wen
        .put(
            "/api/v1/projects/studio/plan",
            json!({"bucket": [{"type": "bank", "until": "1000.00"},
                              {"type": "contributors", "kinds": ["work"]}]}),
        )
        .expect(200);
    assert_eq!(plan.body["buckets"][0]["until"], "1000.00");
    let held = wen
        .post(
            "/api/v1/projects/studio/revenue",
            json!({"amount": "850.00"}),
        )
        .expect(201);
    assert_eq!(held.body["held"], "850.00");
    let preview = xia
        .get("/api/v1/projects/studio/revenue/preview?amount=300.00")
        .expect(200);
    assert_eq!(preview.body["released"], "850.00");
    assert_eq!(
        preview.body["payouts"],
        json!({"xia": "718.75", "yon": "431.25"})
    );
    // An affiliate may not release the bank; nothing is recorded.
    let head = wen.head();
    xia.post("/api/v1/projects/studio/bank/release", json!({}))
        .expect(403);
    assert_eq!(wen.head(), head);
    let released = wen
        .post("/api/v1/projects/studio/bank/release", json!({}))
        .expect(201);
    assert_eq!(released.body["amount"], "0.00");
    assert_eq!(released.body["released"], "850.00");
    assert_eq!(
        released.body["payouts"],
        json!({"xia": "531.25", "yon": "318.75"})
    );
    let statement = xia.get("/api/v1/distributions/2").expect(200);
    assert_eq!(statement.body["released"], "850.00");
    let empty = wen
        .post("/api/v1/projects/studio/bank/release", json!({}))
        .expect(422);
    assert_eq!(empty.body["field"], "project");
    assert_eq!(
        empty.body["detail"],
        "project studio's bank (studio-bank) holds nothing to release"
    );
    assert_eq!(wen.head(), head + 1);
    // A token created with `retro` mints for the work counted before it: xia 200.00 and yon
    // 120.00 of value at 0.5 per unit.
    let created = wen
        .post(
            "/api/v1/projects/studio/token",
            json!({"symbol": "STU", "exponent": 0, "redemption": "nav",
                   "mint_per_value": "0.5", "retro": true}),
        )
        .expect(201);
    assert_eq!(
        created.body["retro"],
        json!([{"agent": "xia", "contributions": 1, "tokens": "100"},
               {"agent": "yon", "contributions": 1, "tokens": "60"}])
    );
    wen.verify_ok();
}
