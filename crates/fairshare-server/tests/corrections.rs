//! Corrections over HTTP: adjust and reverse a contribution, review the correction, the
//! corrections report, an idempotent retry, and each refusal (status, problem field, book
//! unchanged).

mod common;

use common::{TestBook, TestServer, work};
use fairshare_core::{Bucket, Command, PercentOf, Plan, Role};
use serde_json::json;

#[test]
fn corrections_over_http() {
    TestBook::each("corrections_over_http", |book| {
        let keys = book.agents(&[
            ("ana", Role::Custodian),
            ("ben", Role::Custodian),
            ("cleo", Role::Affiliate),
            ("dev", Role::Affiliate),
            ("olga", Role::Observer),
        ]);
        book.setup(vec![
            Command::AddProject {
                slug: "lab".into(),
                name: None,
                currency: "CAD".into(),
                exponent: 2,
                approvals: 1,
            },
            Command::SetRate {
                project: "lab".into(),
                category: "design".into(),
                per_hour: "50.00".into(),
            },
            Command::SetRate {
                project: "lab".into(),
                category: "assembly".into(),
                per_hour: "30.00".into(),
            },
            Command::SetPlan {
                project: "lab".into(),
                plan: Plan {
                    buckets: vec![
                        Bucket::Percent {
                            percent: 8.into(),
                            of: PercentOf::Gross,
                            to: "maintenance".into(),
                        },
                        Bucket::all_contributors(),
                    ],
                },
            },
        ]);
        let server = TestServer::start(&book.url);
        let api = |who: &str| server.api(Some(&keys[who]));
        let (ana, ben, cleo, dev, olga) =
            (api("ana"), api("ben"), api("cleo"), api("dev"), api("olga"));
        let contributions = "/api/v1/projects/lab/contributions";
        cleo.post(contributions, work("cleo", "assembly", "20"))
            .expect(201);
        dev.post(contributions, work("dev", "design", "6"))
            .expect(201);
        ana.post("/api/v1/contributions/1/approve", json!({}))
            .expect(200);
        ana.post("/api/v1/contributions/2/approve", json!({}))
            .expect(200);
        ana.post("/api/v1/projects/lab/revenue", json!({"amount": "2500.00"}))
            .expect(201);

        // dev asks; the correction waits for one approval by someone else.
        let adjust = json!({"hours": "9", "reason": "the timesheet had 9 h, not 6"});
        let asked = dev
            .call(
                "POST",
                "/api/v1/contributions/2/adjust",
                Some(&adjust),
                Some("fix-dev"),
            )
            .expect(201);
        assert_eq!(asked.body["status"], "pending");
        assert_eq!(asked.body["correction"], 1);
        let retried = dev
            .call(
                "POST",
                "/api/v1/contributions/2/adjust",
                Some(&adjust),
                Some("fix-dev"),
            )
            .expect(201);
        assert!(retried.replayed());
        assert_eq!(retried.body["correction"], 1);

        let head = ana.head();
        let refused = |answer: common::Answer, status: u16, field: Option<&str>, detail: &str| {
            let answer = answer.expect(status);
            assert_eq!(answer.content_type(), "application/problem+json");
            assert_eq!(answer.body["detail"], detail);
            match field {
                Some(field) => assert_eq!(answer.body["field"], field),
                None => assert!(answer.body.get("field").is_none(), "{}", answer.text),
            }
        };
        refused(
            dev.post("/api/v1/corrections/1/approve", json!({})),
            403,
            None,
            "dev may not approve correction 1 of their own request: nobody reviews their own correction",
        );
        refused(
            olga.post("/api/v1/corrections/1/approve", json!({})),
            403,
            None,
            "olga is an observer: observers may not approve corrections",
        );
        refused(
            cleo.post(
                "/api/v1/contributions/2/reverse",
                json!({"reason": "not mine"}),
            ),
            403,
            None,
            "cleo is an affiliate and may correct only their own contributions, not dev's",
        );
        refused(
            ana.post(
                "/api/v1/contributions/2/adjust",
                json!({"hours": "10", "reason": "r"}),
            ),
            409,
            Some("id"),
            "contribution 2 already has correction 1 waiting for approval: approve or reject it first",
        );
        refused(
            ana.post(
                "/api/v1/contributions/1/adjust",
                json!({"amount": "1.00", "reason": "r"}),
            ),
            422,
            Some("amount"),
            "a work contribution is adjusted by its hours, not its amount",
        );
        assert_eq!(ana.head(), head, "refusals changed the book");

        let approved = cleo
            .post("/api/v1/corrections/1/approve", json!({}))
            .expect(200);
        assert_eq!(approved.body["status"], "approved");
        assert_eq!(approved.body["value_after"], "450.00");
        refused(
            ben.post("/api/v1/corrections/1/reject", json!({"reason": "late"})),
            409,
            Some("id"),
            "correction 1 is already approved",
        );

        let report = olga
            .get("/api/v1/projects/lab/corrections")
            .expect(200)
            .body;
        assert_eq!(report["corrections"].as_array().map(Vec::len), Some(1));
        assert_eq!(
            report["distributions"],
            json!([{"distribution": 1, "date": "2026-11-21", "amount": "2500.00", "asset": "CAD",
                    "lines": [
                {"account": "cleo", "received": "1533.33", "corrected": "1314.29", "difference": "-219.04"},
                {"account": "dev", "received": "766.67", "corrected": "985.71", "difference": "219.04"},
                {"account": "maintenance", "received": "200.00", "corrected": "200.00", "difference": "0.00"}
            ]}])
        );

        // Reverse, then reverse again; adjust a rejected contribution.
        let reversed = ana
            .post(
                "/api/v1/contributions/1/reverse",
                json!({"reason": "logged twice"}),
            )
            .expect(201);
        assert_eq!(reversed.body["correction"], 2);
        ben.post("/api/v1/corrections/2/approve", json!({}))
            .expect(200);
        let head = ana.head();
        refused(
            ana.post(
                "/api/v1/contributions/1/reverse",
                json!({"reason": "again"}),
            ),
            409,
            Some("id"),
            "contribution 1 is reversed: only pending or approved contributions can be corrected",
        );
        dev.post(contributions, work("dev", "design", "1"))
            .expect(201);
        ana.post(
            "/api/v1/contributions/3/reject",
            json!({"reason": "duplicate"}),
        )
        .expect(200);
        let head_after_reject = ana.head();
        assert_eq!(head_after_reject, head + 2);
        refused(
            dev.post(
                "/api/v1/contributions/3/adjust",
                json!({"hours": "2", "reason": "r"}),
            ),
            409,
            Some("id"),
            "contribution 3 is rejected: only pending or approved contributions can be corrected",
        );
        refused(
            dev.post("/api/v1/corrections/9/approve", json!({})),
            404,
            Some("id"),
            "unknown correction 9",
        );
        assert_eq!(ana.head(), head_after_reject);
        assert_eq!(
            ana.get("/api/v1/contributions/1").expect(200).body["status"],
            "reversed"
        );
        ana.verify_ok();
    });
}
