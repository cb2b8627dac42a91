//! `POST /api/v1/timesheets` over HTTP: a timesheet larger than any other request's body limit
//! is checked, logged in one batch, and logged once however often it is sent; a refused row
//! or a refused caller writes nothing.

mod common;

use common::{TestBook, TestServer};
use fairshare_core::Role;
use serde_json::{Value, json};

/// A generic CSV of `rows` quarter hours of dev on p by `person` on `date`, each with its own
/// note.
fn timesheet(person: &str, date: &str, rows: usize) -> String {
    let mut text = String::from("date,person,project,hours,category,note\n");
    for row in 0..rows {
        text.push_str(&format!(
            "{date},{person},p,0.25,dev,row {row} of the January sprint\n"
        ));
    }
    text
}

fn request(csv: String, dry_run: bool) -> Value {
    json!({"csv": csv, "layout": "csv", "dry_run": dry_run, "file": "sprint.csv"})
}

#[test]
fn a_timesheet_is_logged_once_in_one_batch_and_refusals_write_nothing() {
    TestBook::each(
        "a_timesheet_is_logged_once_in_one_batch_and_refusals_write_nothing",
        |book| {
            let mut keys = book.custodian_and_project("ana");
            keys.extend(book.agents(&[("bob", Role::Affiliate), ("olga", Role::Observer)]));
            let server = TestServer::start(&book.url);
            let ana = server.api(Some(&keys["ana"]));
            let head = ana.head();
            // 2,000 rows: a body past the 64 KiB every other request is held to.
            let csv = timesheet("ana", "2026-01-05", 2_000);
            assert!(csv.len() > fairshare_server::BODY_LIMIT_BYTES);

            let dry = ana
                .post("/api/v1/timesheets", request(csv.clone(), true))
                .expect(200);
            assert_eq!(dry.body["dry_run"], true);
            assert_eq!(dry.body["imported"], 2_000);
            assert_eq!(dry.body["entries"][0]["contribution"], Value::Null);
            assert_eq!(ana.head(), head, "a dry run writes nothing");

            let done = ana
                .post("/api/v1/timesheets", request(csv.clone(), false))
                .expect(200);
            assert_eq!(
                (&done.body["file"], &done.body["actor"], &done.body["rows"]),
                (&json!("sprint.csv"), &json!("ana"), &json!(2_000))
            );
            assert_eq!(
                (&done.body["imported"], &done.body["already_there"]),
                (&json!(2_000), &json!(0))
            );
            assert_eq!(done.body["head"], head + 2_000);
            assert_eq!(ana.head(), head + 2_000);
            assert_eq!(
                done.body["totals"],
                json!([{"project": "p", "agent": "ana", "rows": 2_000, "hours": "500",
                        "value": "5000.00", "currency": "CAD"}])
            );
            let first = &done.body["entries"][0];
            assert_eq!(first["hours"], "0.25");
            assert_eq!(first["value"], "2.50");
            assert_eq!(first["note"], "row 0 of the January sprint");
            assert!(first["key"].as_str().unwrap().starts_with("ts:"));

            // Sent again (a retry, or the same file): every row is already there.
            let again = ana
                .post("/api/v1/timesheets", request(csv, false))
                .expect(200);
            assert_eq!(
                (&again.body["imported"], &again.body["already_there"]),
                (&json!(0), &json!(2_000))
            );
            assert_eq!(ana.head(), head + 2_000);

            // An affiliate logs only their own hours; an observer none; a bad row stops all.
            let bob = server.api(Some(&keys["bob"]));
            let refused = bob
                .post(
                    "/api/v1/timesheets",
                    request(timesheet("ana", "2026-01-06", 3), false),
                )
                .expect(403);
            assert_eq!(
                refused.body["detail"],
                "line 2: bob is an affiliate and may log only their own contributions, not ana's"
            );
            let olga = server.api(Some(&keys["olga"]));
            olga.post(
                "/api/v1/timesheets",
                request(timesheet("olga", "2026-01-06", 1), false),
            )
            .expect(403);
            let mut bad = timesheet("ana", "2026-01-06", 3);
            bad.push_str("2026-01-06,ana,p,half an hour,dev,\n");
            let refused = ana
                .post("/api/v1/timesheets", request(bad, false))
                .expect(422);
            assert_eq!(
                refused.body["detail"],
                "line 5: malformed duration \"half an hour\": expected hours (1.5) or H:MM[:SS]"
            );
            let columns = json!({"csv": "a\n", "layout": "toggl", "columns": "date=Day"});
            let refused = ana.post("/api/v1/timesheets", columns).expect(422);
            assert_eq!(refused.body["field"], "columns");
            assert_eq!(ana.head(), head + 2_000);

            // Past the route's own limit. The server answers once the limit is passed and
            // closes the connection; the client may see the close first: try again.
            let huge = request(
                "x".repeat(fairshare_ops::timesheets::TIMESHEET_REQUEST_BYTES_MAX),
                false,
            )
            .to_string();
            (0..10)
                .find_map(|_| {
                    let body = reqwest::blocking::Body::from(huge.clone());
                    ana.try_raw("POST", "/api/v1/timesheets", body).ok()
                })
                .expect("the oversized request read its answer in 10 tries")
                .expect(413);
            assert_eq!(ana.verify_ok(), head + 2_000);
        },
    );
}
