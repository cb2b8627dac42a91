//! The forillon story over HTTP, with exact amounts and an idempotent retry, then a shared
//! printer bought by a campaign; on SQLite, and on PostgreSQL when configured.

mod common;

use common::{TestBook, TestServer, work};
use fairshare_core::Role;
use serde_json::json;

#[test]
fn forillon_over_http() {
    TestBook::each("forillon_over_http", forillon);
}

fn forillon(book: &TestBook) {
    let keys = book.agents(&[("luc", Role::Custodian)]);
    let server = TestServer::start(&book.url);
    let luc = server.api(Some(&keys["luc"]));

    for handle in ["abran", "marie"] {
        let added = luc
            .post(
                "/api/v1/agents",
                json!({"handle": handle, "role": "affiliate"}),
            )
            .expect(201);
        assert_eq!(added.body["agent"]["role"], "affiliate");
    }
    let abran = server.api(Some(
        &common::create_api_key(&book.url, "abran").expect("key"),
    ));
    let marie = server.api(Some(
        &common::create_api_key(&book.url, "marie").expect("key"),
    ));

    let project = luc
        .post(
            "/api/v1/projects",
            json!({"slug": "forillon", "currency": "CAD", "exponent": 2}),
        )
        .expect(201);
    assert_eq!(project.body["project"]["plan_version"], 1);
    for (category, rate) in [
        ("engineering", "45.00"),
        ("design", "45.00"),
        ("coordination", "30.00"),
    ] {
        let set = luc
            .put(
                &format!("/api/v1/projects/forillon/rates/{category}"),
                json!({"per_hour": rate}),
            )
            .expect(200);
        assert_eq!(set.body["policy"]["rates"][category], rate);
    }

    // Each affiliate logs their own work; the agent defaults to the caller.
    let logged = abran
        .post(
            "/api/v1/projects/forillon/contributions",
            json!({"kind": "work", "category": "engineering", "hours": "120"}),
        )
        .expect(201);
    assert_eq!(logged.body["agent"], "abran");
    assert_eq!(logged.body["value"], "5400.00");
    marie
        .post(
            "/api/v1/projects/forillon/contributions",
            work("marie", "design", "80"),
        )
        .expect(201);
    luc.post(
        "/api/v1/projects/forillon/contributions",
        work("luc", "coordination", "40"),
    )
    .expect(201);
    luc.post(
        "/api/v1/projects/forillon/contributions",
        json!({"kind": "material", "amount": "300.00", "reimbursable": true}),
    )
    .expect(201);

    let plan = luc
        .put(
            "/api/v1/projects/forillon/plan",
            json!({"bucket": [
                {"type": "reimburse", "kinds": ["material"]},
                {"type": "percent", "percent": "10", "of": "gross", "to": "infra"},
                {"type": "contributors", "kinds": ["work"]}
            ]}),
        )
        .expect(200);
    assert_eq!(plan.body["version"], 2);
    assert_eq!(plan.body["buckets"][1]["type"], "percent");
    assert_eq!(plan.body["buckets"][1]["percent"], "10");

    // Revenue with an idempotency key, then the same request again.
    let revenue = json!({"amount": "12000.00", "from": "Parks Canada"});
    let expected = json!({
        "luc": "1535.30", "infra": "1200.00", "abran": "5558.82", "marie": "3705.88"
    });
    let first = luc
        .call(
            "POST",
            "/api/v1/projects/forillon/revenue",
            Some(&revenue),
            Some("parks-contract-1"),
        )
        .expect(201);
    assert!(!first.replayed());
    assert_eq!(first.body["payouts"], expected);
    assert_eq!(first.body["amount"], "12000.00");
    assert_eq!(first.body["currency"], "CAD");
    let retry = luc
        .call(
            "POST",
            "/api/v1/projects/forillon/revenue",
            Some(&revenue),
            Some("parks-contract-1"),
        )
        .expect(201);
    assert!(retry.replayed(), "{:?}", retry.headers);
    assert_eq!(retry.body["payouts"], expected);
    assert_eq!(retry.body["distribution"], first.body["distribution"]);
    assert_eq!(retry.body["lines"], first.body["lines"]);
    // The same key for another request is refused.
    let reused = luc
        .call(
            "POST",
            "/api/v1/projects/forillon/revenue",
            Some(&json!({"amount": "1.00"})),
            Some("parks-contract-1"),
        )
        .expect(409);
    assert_eq!(reused.content_type(), "application/problem+json");
    assert!(
        reused.body["detail"]
            .as_str()
            .unwrap_or("")
            .contains("parks-contract-1")
    );

    let balances = luc.get("/api/v1/balances").expect(200).body;
    for (name, amount) in expected.as_object().expect("map") {
        assert_eq!(balances["balances"][name]["CAD"], *amount, "{name}");
    }
    assert_eq!(balances["next_offset"], serde_json::Value::Null);
    let luc_balance = luc.get("/api/v1/balances/luc").expect(200).body;
    assert_eq!(luc_balance["balances"]["luc"]["CAD"], "1535.30");
    luc.get("/api/v1/balances/nobody").expect(404);

    let id = first.body["distribution"].as_u64().expect("id");
    let statement = luc
        .get(&format!("/api/v1/distributions/{id}"))
        .expect(200)
        .body;
    assert_eq!(statement["payouts"], expected);
    assert_eq!(statement["key"], "parks-contract-1");
    assert_eq!(statement["from"], "Parks Canada");
    let lines: i64 = statement["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            l["amount"]
                .as_str()
                .expect("amount")
                .replace('.', "")
                .parse::<i64>()
                .expect("cents")
        })
        .sum();
    assert_eq!(lines, 1_200_000, "the lines add up to the amount");

    // A small tip: the material is reimbursed already.
    let tip = luc
        .call(
            "POST",
            "/api/v1/projects/forillon/revenue",
            Some(&json!({"amount": "100.00"})),
            Some("tip-1"),
        )
        .expect(201);
    assert_eq!(
        tip.body["payouts"],
        json!({"infra": "10.00", "abran": "47.65", "marie": "31.76", "luc": "10.59"})
    );

    let distributions = luc
        .get("/api/v1/projects/forillon/distributions?limit=1")
        .expect(200)
        .body;
    assert_eq!(distributions["total"], 2);
    assert_eq!(distributions["next_offset"], 1);
    assert_eq!(distributions["distributions"][0]["amount"], "12000.00");

    let shares = luc.get("/api/v1/projects/forillon/shares").expect(200).body;
    assert_eq!(shares["total"], "10500.00");
    assert_eq!(shares["shares"][0]["agent"], "abran");
    assert_eq!(shares["shares"][0]["share"], "0.514285714285714286");

    let contributions = luc
        .get("/api/v1/projects/forillon/contributions?kind=work&limit=2")
        .expect(200)
        .body;
    assert_eq!(contributions["total"], 3);
    assert_eq!(contributions["next_offset"], 2);
    assert_eq!(contributions["contributions"][1]["agent"], "marie");
    let mine = luc
        .get("/api/v1/projects/forillon/contributions?agent=luc&status=approved")
        .expect(200)
        .body;
    assert_eq!(mine["total"], 2);
    let one = luc.get("/api/v1/contributions/1").expect(200).body;
    assert_eq!(one["hours"], "120");

    let shown = luc.get("/api/v1/projects/forillon").expect(200).body;
    assert_eq!(shown["plan"]["version"], 2);
    assert_eq!(shown["distributions"], 2);
    assert_eq!(shown["policy"]["rates"]["design"], "45.00");
    let v1 = luc
        .get("/api/v1/projects/forillon/plan?version=1")
        .expect(200)
        .body;
    assert_eq!(v1["buckets"][0]["type"], "contributors");
    luc.get("/api/v1/projects/forillon/plan?version=9")
        .expect(404);

    // The log: pages, verify, export.
    let head = luc.head();
    let page = luc.get("/api/v1/log?limit=5&offset=2").expect(200).body;
    assert_eq!(page["events"][0]["seq"], 3);
    assert_eq!(page["next_offset"], 7);
    assert_eq!(luc.verify_ok(), head);
    let keys = luc.exported_keys();
    assert!(keys.contains("parks-contract-1") && keys.contains("tip-1"));
    let export = luc.get("/api/v1/export").expect(200);
    assert_eq!(export.text.lines().count() as u64, head);

    printer(&server, &keys_for(book, &["abran", "marie"]), &luc);
    assert_eq!(luc.verify_ok(), luc.head());
    server.stop().expect("clean shutdown");
}

fn keys_for(book: &TestBook, agents: &[&str]) -> Vec<String> {
    agents
        .iter()
        .map(|a| common::create_api_key(&book.url, a).expect("key"))
        .collect()
}

/// A printer bought by a campaign, paid back by charged use; a cancelled campaign refunds.
fn printer(server: &TestServer, keys: &[String], luc: &common::Api) {
    let abran = server.api(Some(&keys[0]));
    let marie = server.api(Some(&keys[1]));
    let opened = luc
        .post(
            "/api/v1/projects/forillon/campaigns",
            json!({"id": "printer-fund", "target": "3000.00", "purpose": "a 3D printer"}),
        )
        .expect(201);
    assert_eq!(opened.body["status"], "open");
    abran
        .post(
            "/api/v1/campaigns/printer-fund/pledges",
            json!({"amount": "1000.00"}),
        )
        .expect(201);
    // An affiliate pledges only for themself.
    abran
        .post(
            "/api/v1/campaigns/printer-fund/pledges",
            json!({"agent": "marie", "amount": "1.00"}),
        )
        .expect(403);
    marie
        .post(
            "/api/v1/campaigns/printer-fund/pledges",
            json!({"amount": "1500.00"}),
        )
        .expect(201);
    let cut = luc
        .post(
            "/api/v1/campaigns/printer-fund/pledges",
            json!({"amount": "800.00"}),
        )
        .expect(201)
        .body;
    assert_eq!(cut["amount"], "500.00");
    assert_eq!(cut["cut"], true);
    assert_eq!(cut["funded"], true);
    assert_eq!(cut["requested"], "800.00");
    assert_eq!(cut["raised"], "3000.00");
    let bought = luc
        .post(
            "/api/v1/campaigns/printer-fund/purchase",
            json!({"resource": "printer", "premium_percent": "20"}),
        )
        .expect(201)
        .body;
    assert_eq!(bought["amount"], "3000.00");
    assert_eq!(bought["owners"][0]["agent"], "abran");
    assert_eq!(bought["owners"][0]["cap"], "1200.00");
    let fees = luc
        .put(
            "/api/v1/resources/printer/fees",
            json!({"per_hour": "25.00", "material_per_unit": "0.10", "technician_per_hour": "30.00",
                   "split": [{"to": "maintenance", "percent": "20"}, {"to": "infra", "percent": "10"},
                             {"to": "payback", "percent": "70"}]}),
        )
        .expect(200)
        .body;
    assert_eq!(fees["fees"]["split"][2]["to"], "payback");
    assert_eq!(fees["currency"], "CAD");
    let charged = abran
        .post(
            "/api/v1/resources/printer/uses",
            json!({"hours": "4", "material_units": "200", "technician": "luc",
                   "technician_hours": "1"}),
        )
        .expect(201)
        .body;
    assert_eq!(charged["fee"], "150.00");
    assert_eq!(charged["use"], 1);
    assert_eq!(charged["became_commons"], false);
    assert_eq!(charged["status"], "co-owned");
    assert_eq!(charged["payouts"]["luc"], "41.67");
    let to = |who: &str| {
        charged["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .filter(|l| l["to"] == who)
            .map(|l| l["amount"].as_str().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(to("materials"), ["20.00"]);
    assert_eq!(to("maintenance"), ["20.00"]);
    assert_eq!(to("abran"), ["23.33"]);
    assert_eq!(to("marie"), ["35.00"]);
    assert_eq!(to("luc"), ["30.00", "11.67"]);
    let shown = luc.get("/api/v1/resources/printer").expect(200).body;
    assert_eq!(shown["uses"], 1);
    // Co-owners in byte order of handle: abran, luc, marie.
    assert_eq!(shown["owners"][2]["agent"], "marie");
    assert_eq!(shown["owners"][2]["received"], "35.00");
    assert_eq!(shown["owners"][2]["outstanding"], "1765.00");
    assert_eq!(shown["fees_charged"], "150.00");
    assert_eq!(shown["history"][0]["payouts"]["marie"], "35.00");
    assert_eq!(shown["history"][0]["agent"], "abran");
    let resources = luc
        .get("/api/v1/resources?project=forillon")
        .expect(200)
        .body;
    assert_eq!(resources["total"], 1);
    assert_eq!(resources["resources"][0]["outstanding"], "3530.00");

    luc.post(
        "/api/v1/projects/forillon/campaigns",
        json!({"id": "kiln-fund", "target": "500.00"}),
    )
    .expect(201);
    marie
        .post(
            "/api/v1/campaigns/kiln-fund/pledges",
            json!({"amount": "40.00"}),
        )
        .expect(201);
    let cancelled = luc
        .call("POST", "/api/v1/campaigns/kiln-fund/cancel", None, None)
        .expect(200)
        .body;
    assert_eq!(cancelled["refunds"], json!({"marie": "40.00"}));
    assert_eq!(cancelled["total"], "40.00");
    let kiln = luc.get("/api/v1/campaigns/kiln-fund").expect(200).body;
    assert_eq!(kiln["status"], "cancelled");
    assert_eq!(kiln["pledged"], json!({"marie": "40.00"}));
    assert_eq!(kiln["missing"], "460.00");
    assert_eq!(luc.get("/api/v1/campaigns").expect(200).body["total"], 2);

    let commons = luc
        .post(
            "/api/v1/projects/forillon/resources",
            json!({"name": "workbench"}),
        )
        .expect(201)
        .body;
    assert_eq!(commons["owners"], json!([]));
}
