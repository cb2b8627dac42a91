//! The book's head for anyone to copy (API and dashboard), and `verify` against a head
//! published elsewhere, on SQLite and (when `FAIRSHARE_TEST_POSTGRES` is set) PostgreSQL.

mod common;

use common::{TestBook, TestServer};
use fairshare_core::Role;

#[test]
fn the_head_is_shown_and_verify_finds_a_removed_tail() {
    for book in TestBook::all("the_head_is_shown_and_verify_finds_a_removed_tail") {
        book.agents(&[
            ("ana", Role::Custodian),
            ("bo", Role::Affiliate),
            ("cy", Role::Observer),
        ]);
        let server = TestServer::start(&book.url);
        let api = server.api(None);
        let head = api.get("/api/v1/head").expect(200).body;
        let log = api.get("/api/v1/log?offset=1").expect(200).body;
        let (second, third) = (&log["events"][0]["hash"], &log["events"][1]["hash"]);
        assert_eq!(head, serde_json::json!({"events": 3, "hash": third}));
        let hash = third.as_str().unwrap();

        // The dashboard shows it for anyone to copy.
        let page = common::client()
            .get(format!("{}/", server.base))
            .send()
            .and_then(|r| r.text())
            .unwrap();
        assert!(
            page.contains(&format!(
                "Head: event <strong>3</strong>, hash <code>{hash}</code>."
            )),
            "{page}"
        );

        let verified = api
            .get(&format!("/api/v1/verify?events=3&head={hash}"))
            .expect(200)
            .body;
        assert_eq!(verified["ok"], true, "{verified}");

        book.raw_sql("DELETE FROM events WHERE seq = 3");
        assert_eq!(
            api.get("/api/v1/head").expect(200).body,
            serde_json::json!({"events": 2, "hash": second})
        );
        assert_eq!(api.get("/api/v1/verify").expect(200).body["ok"], true);
        let found = api
            .get(&format!("/api/v1/verify?head={hash}"))
            .expect(200)
            .body;
        assert_eq!(found["ok"], false, "{found}");
        assert_eq!(found["events"], 2, "{found}");
        assert_eq!(found["problem"]["seq"], 3, "{found}");
        assert_eq!(
            found["problem"]["message"],
            format!(
                "no event of the book has the published head hash {hash}: events after event \
                 2 are missing, or this is another book"
            )
        );
        let found = api.get("/api/v1/verify?events=3").expect(200).body;
        assert_eq!(
            found["problem"]["message"],
            "the book has 2 events, fewer than the 3 published: events 3 to 3 are missing",
            "{found}"
        );
        let refused = api.get("/api/v1/verify?head=nothex").expect(422).body;
        assert_eq!(refused["field"], "head", "{refused}");
    }
}
