//! Rules that cannot be gamed over HTTP (issue #13, point 6): each refusal is 422 (or 403)
//! with the field at fault, leaves the export byte-identical, and a refused write in a batch
//! of concurrent writes fails alone.

mod common;

use common::{TestBook, TestServer, work};
use fairshare_core::{Command, Role};
use serde_json::{Value, json};

const PATH: &str = "/api/v1/projects/p/contributions";

fn setup(book: &TestBook) -> std::collections::BTreeMap<String, String> {
    let keys = book.agents(&[("boss", Role::Custodian), ("ana", Role::Affiliate)]);
    book.setup(vec![
        Command::AddProject {
            slug: "p".into(),
            name: None,
            currency: "CAD".into(),
            exponent: 2,
            approvals: 0,
        },
        Command::SetRate {
            project: "p".into(),
            category: "dev".into(),
            per_hour: "10.00".into(),
        },
    ]);
    keys
}

/// Posts `body` as the `api`'s agent and checks the refusal (its detail starts with `message`)
/// and that the export is unchanged.
fn refused(api: &common::Api, path: &str, body: Value, status: u16, field: &str, message: &str) {
    let before = api.get("/api/v1/export").expect(200).text;
    let answer = api.post(path, body).expect(status);
    assert_eq!(answer.body["field"], field, "{}", answer.text);
    let detail = answer.body["detail"].as_str().unwrap_or_default();
    assert!(detail.starts_with(message), "{}", answer.text);
    assert_eq!(api.get("/api/v1/export").expect(200).text, before);
}

#[test]
fn each_rule_refuses_over_http_and_changes_nothing() {
    let book = TestBook::sqlite();
    let keys = setup(&book);
    let server = TestServer::start(&book.url);
    let ana = server.api(Some(&keys["ana"]));
    let boss = server.api(Some(&keys["boss"]));
    let huge = json!({"kind": "cash", "amount": "100000000000000000000.00"});
    for _ in 0..2 {
        refused(
            &ana,
            PATH,
            huge.clone(),
            422,
            "amount",
            "a contribution valued 100000000000000000000 is too large: one contribution is \
             valued at most 1000000000000000",
        );
    }
    refused(
        &ana,
        PATH,
        json!({"kind": "work", "category": "dev", "hours": "10000.01"}),
        422,
        "hours",
        "10000.01 hours in one contribution: at most 10000",
    );
    refused(
        &ana,
        PATH,
        json!({"kind": "cash", "amount": "1.00", "date": "9999-12-31"}),
        422,
        "date",
        "a contribution dated 9999-12-31 is in the future: the book's date is ",
    );
    refused(
        &ana,
        PATH,
        json!({"kind": "cite", "value": "250.00"}),
        403,
        "value",
        "ana may not name the value of a citation: cite a contribution (`of`) with a percentage of its value (`percent`); only custodians log a fixed value",
    );
    refused(
        &ana,
        PATH,
        json!({"kind": "use", "hours": "2", "rate": "900.00"}),
        403,
        "rate",
        "ana may not name the rate of a use: it comes from the project's schedule (the rate of \
         its category `use`); only custodians name another rate",
    );
    refused(
        &boss,
        "/api/v1/projects/p/steward",
        json!({"agent": "boss", "points": 5, "reason": "me"}),
        403,
        "agent",
        "boss may not give steward points to themself: stewardship is recognised by others",
    );
    // A citation by percentage names the cited author.
    ana.post(PATH, work("ana", "dev", "8")).expect(201);
    let cite = boss
        .post(PATH, json!({"kind": "cite", "of": 1, "percent": "25"}))
        .expect(201);
    assert_eq!(cite.body["value"], "20.00", "{}", cite.text);
    let row = boss.get("/api/v1/contributions/2").expect(200);
    assert_eq!(
        row.body["cites"],
        json!({"contribution": 1, "author": "ana"}),
        "{}",
        row.text
    );
}

#[test]
fn a_refused_write_in_a_batch_of_concurrent_writes_fails_alone() {
    let book = TestBook::sqlite();
    let keys = setup(&book);
    let server = TestServer::start(&book.url);
    let before = server.api(None).head();
    const WRITERS: usize = 8;
    let barrier = std::sync::Barrier::new(WRITERS);
    let answers: Vec<(usize, u16)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|i| {
                let api = server.api(Some(&keys["boss"]));
                let barrier = &barrier;
                scope.spawn(move || {
                    let body = if i == 3 {
                        json!({"agent": "ana", "kind": "cash",
                               "amount": "100000000000000000000.00"})
                    } else {
                        work("ana", "dev", &format!("{}", i + 1))
                    };
                    barrier.wait();
                    let answer = api.call("POST", PATH, Some(&body), Some(&format!("w{i}")));
                    (i, answer.status.as_u16())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("writer"))
            .collect()
    });
    for (i, status) in answers {
        assert_eq!(status, if i == 3 { 422 } else { 201 }, "writer {i}");
    }
    let api = server.api(None);
    assert_eq!(api.head(), before + WRITERS as u64 - 1);
    assert_eq!(api.verify_ok(), before + WRITERS as u64 - 1);
    let shares = api.get("/api/v1/projects/p/shares").expect(200);
    // 1 + 2 + 3 + 5 + 6 + 7 + 8 hours at 10.00.
    assert_eq!(shares.body["total"], "320.00", "{}", shares.text);
}

/// The community rate of a resource use follows who the user is: an affiliate on the
/// resource's community list pays it, one off the list pays the commercial rate, and only a
/// custodian keeps the list.
#[test]
fn the_community_rate_follows_the_list_a_custodian_keeps_over_http() {
    let book = TestBook::sqlite();
    let mut keys = setup(&book);
    keys.extend(book.agents(&[("bo", Role::Affiliate)]));
    book.setup(vec![
        Command::AddResource {
            name: "lathe".into(),
            project: "p".into(),
            owner: None,
            value: None,
        },
        Command::SetFees {
            resource: "lathe".into(),
            per_hour: "25.00".into(),
            material_per_unit: None,
            technician_per_hour: None,
            community_per_hour: Some("5.00".into()),
            split: vec![fairshare_core::SplitShare {
                to: "maintenance".into(),
                percent: "100".parse().expect("decimal"),
            }],
            material_to: None,
            after_payback: None,
            community_roles: Vec::new(),
        },
    ]);
    let server = TestServer::start(&book.url);
    let ana = server.api(Some(&keys["ana"]));
    let bo = server.api(Some(&keys["bo"]));
    let boss = server.api(Some(&keys["boss"]));
    let uses = "/api/v1/resources/lathe/uses";
    let fee = |api: &common::Api| {
        let charged = api.post(uses, json!({"hours": "2"})).expect(201).body;
        (charged["fee"].clone(), charged["community"].clone())
    };

    // An affiliate cannot put themself on the list: 403, the book unchanged.
    let before = ana.get("/api/v1/export").expect(200).text;
    let answer = ana
        .call("PUT", "/api/v1/resources/lathe/community/ana", None, None)
        .expect(403);
    assert_eq!(
        answer.body["detail"],
        "only custodians may keep a resource's community list; this agent is an affiliate",
        "{}",
        answer.text
    );
    assert_eq!(ana.get("/api/v1/export").expect(200).text, before);

    let listed = boss
        .call("PUT", "/api/v1/resources/lathe/community/ana", None, None)
        .expect(200)
        .body;
    assert_eq!(listed["community"], json!(["ana"]));
    assert_eq!(
        boss.get("/api/v1/resources/lathe").expect(200).body["community"],
        json!(["ana"])
    );
    assert_eq!(fee(&ana), (json!("10.00"), json!(true)));
    assert_eq!(fee(&bo), (json!("50.00"), json!(false)));
    // bo may not pick the rate for themself.
    let answer = bo
        .post(uses, json!({"hours": "2", "community": true}))
        .expect(403);
    assert_eq!(answer.body["field"], "community", "{}", answer.text);

    let removed = boss
        .call(
            "DELETE",
            "/api/v1/resources/lathe/community/ana",
            None,
            None,
        )
        .expect(200)
        .body;
    assert_eq!(removed["community"], json!([]));
    assert_eq!(fee(&ana), (json!("50.00"), json!(false)));
    let shown = boss.get("/api/v1/resources/lathe").expect(200).body;
    assert_eq!(
        (shown["uses"].clone(), shown["fees_charged"].clone()),
        (json!(3), json!("110.00"))
    );
    boss.verify_ok();
}
