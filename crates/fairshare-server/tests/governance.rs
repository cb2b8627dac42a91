//! Governance over the API (issue 14): a proposal written as route requests, its votes and
//! close, and every refusal (problem document naming the field, the book unchanged).

mod common;

use common::{AT, TestBook, TestServer};
use fairshare_core::{Command, GovernanceMode, OPERATOR, Role};
use serde_json::{Value, json};

const EARLY: &str = "2026-11-01T10:00:00Z";

/// `shop` governed by proposals (equal weights, 5 days of voting, 2 of notice) where `sol` and
/// `tia` have counted work; `p1` (by sol) rejected and closed; `p2` (by sol) open.
fn setup(book: &TestBook) -> std::collections::BTreeMap<String, String> {
    let keys = book.agents(&[
        ("rae", Role::Custodian),
        ("sol", Role::Affiliate),
        ("tia", Role::Affiliate),
        ("newb", Role::Affiliate),
        ("vik", Role::Observer),
    ]);
    book.setup_as(
        OPERATOR,
        EARLY,
        vec![
            Command::add_project("shop", "CAD", 2),
            Command::set_rate("shop", "wood", "20.00"),
            Command::log_work("shop", "sol", "wood", "2"),
            Command::log_work("shop", "tia", "wood", "1"),
            Command::SetGovernance {
                project: Some("shop".into()),
                mode: GovernanceMode::Proposals,
                quorum: None,
                threshold: None,
                notice_days: Some(2),
                voting_days: Some(5),
                weight: None,
            },
        ],
    );
    let propose = |id: &str, rate: &str| Command::Propose {
        id: Some(id.into()),
        project: Some("shop".into()),
        title: format!("wood at {rate}"),
        changes: vec![Command::set_rate("shop", "wood", rate)],
    };
    book.setup_as("sol", EARLY, vec![propose("p1", "25.00")]);
    book.setup_as(
        "tia",
        EARLY,
        vec![Command::Vote {
            proposal: "p1".into(),
            vote: fairshare_core::Ballot::No,
            reason: Some("too much".into()),
        }],
    );
    book.setup_as(
        OPERATOR,
        "2026-11-06T10:00:00Z",
        vec![Command::CloseProposal {
            proposal: "p1".into(),
        }],
    );
    book.setup_as("sol", "2026-11-20T10:00:00Z", vec![propose("p2", "22.00")]);
    keys
}

#[test]
fn a_proposal_over_the_api_from_changes_to_tally() {
    for book in TestBook::all("a_proposal_over_the_api_from_changes_to_tally") {
        let keys = setup(&book);
        let server = TestServer::start(&book.url);
        let sol = server.api(Some(&keys["sol"]));
        let tia = server.api(Some(&keys["tia"]));
        let proposed = tia
            .post(
                "/api/v1/proposals",
                json!({"id": "p3", "project": "shop", "title": "wood and skill", "changes": [
                    {"op": "set_rate", "request": {"project": "shop", "category": "wood", "per_hour": "30.00"}},
                    {"op": "set_skill", "request": {"project": "shop", "agent": "tia", "factor": "1.5"}}]}),
            )
            .expect(201)
            .body;
        assert_eq!(proposed["author"], "tia");
        assert_eq!(proposed["deadline"], "2026-11-26T12:00:00Z");
        assert_eq!(
            proposed["changes"],
            json!([{"op": "set_rate", "words": "the rate of wood in shop: 30.00 per hour"},
                   {"op": "set_skill", "words": "the skill factor of tia in shop: 1.5"}])
        );
        sol.post("/api/v1/proposals/p3/votes", json!({"vote": "no"}))
            .expect(200);
        let voted = sol
            .post(
                "/api/v1/proposals/p3/votes",
                json!({"vote": "yes", "reason": "changed my mind"}),
            )
            .expect(200)
            .body;
        assert_eq!(
            voted["voters"][0],
            json!({"agent": "sol", "weight": "1", "vote": "yes", "reason": "changed my mind", "voted_at": AT})
        );
        assert_eq!(
            voted["tally"],
            json!({"yes": "1", "no": "0", "abstain": "0", "eligible": "2", "quorum_met": true, "threshold_met": true})
        );
        let open = sol
            .get("/api/v1/proposals?project=shop&status=open")
            .expect(200)
            .body;
        let ids = open["proposals"]
            .as_array()
            .map(|all| all.iter().map(|p| p["id"].clone()));
        assert_eq!(
            ids.unwrap().collect::<Vec<Value>>(),
            [json!("p2"), json!("p3")]
        );
        let governance = sol.get("/api/v1/projects/shop/governance").expect(200).body;
        assert_eq!(
            governance,
            json!({"project": "shop", "mode": "proposals", "quorum": "50", "threshold": "66.67",
                   "notice_days": 2, "voting_days": 5, "weight": "equal",
                   "since": {"rule": "governance", "seq": 10, "at": EARLY}})
        );
        let history = sol
            .get("/api/v1/projects/shop/policy/history")
            .expect(200)
            .body;
        let rules: Vec<&Value> = history["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &c["rule"])
            .collect();
        assert_eq!(
            rules,
            [&json!("plan"), &json!("rate wood"), &json!("governance")]
        );
        assert_eq!(sol.verify_ok(), sol.head());
    }
}

#[test]
fn every_governance_refusal_over_the_api_changes_nothing() {
    for book in TestBook::all("every_governance_refusal_over_the_api_changes_nothing") {
        let keys = setup(&book);
        let server = TestServer::start(&book.url);
        let api = |who: &str| server.api(Some(&keys[who]));
        let head = api("rae").head();
        let refused = |who: &str,
                       method: &str,
                       path: &str,
                       body: Value,
                       status: u16,
                       field: &str,
                       detail: &str| {
            let answer = api(who)
                .call(method, path, Some(&body), None)
                .expect(status);
            assert_eq!(answer.body["field"], field, "{path}: {}", answer.text);
            assert_eq!(answer.body["detail"], detail, "{path}");
            // Where a governed change may be proposed instead, for the client to phrase.
            let governed = detail.contains("governed by proposals");
            let propose_in = governed.then_some("shop");
            assert_eq!(answer.body["propose_in"].as_str(), propose_in, "{path}");
        };
        refused(
            "rae",
            "PUT",
            "/api/v1/projects/shop/rates/wood",
            json!({"per_hour": "25.00"}),
            403,
            "project",
            "project shop is governed by proposals: set_rate must be proposed and voted on",
        );
        refused(
            "tia",
            "POST",
            "/api/v1/proposals/p1/votes",
            json!({"vote": "yes"}),
            409,
            "proposal",
            "proposal p1 is rejected: votes are no longer taken",
        );
        refused(
            "newb",
            "POST",
            "/api/v1/proposals/p2/votes",
            json!({"vote": "yes"}),
            403,
            "proposal",
            "newb is not eligible to vote on p2: its voters were fixed when it opened (custodians and affiliates with a counted contribution, and the members the project lists)",
        );
        let observer = api("vik")
            .post("/api/v1/proposals/p2/votes", json!({"vote": "yes"}))
            .expect(403);
        assert_eq!(
            observer.body["detail"],
            "vik is an observer: observers may not vote"
        );
        refused(
            "rae",
            "POST",
            "/api/v1/proposals/p2/close",
            json!({}),
            409,
            "proposal",
            "voting on p2 runs until 2026-11-25T10:00:00Z: it cannot be closed before",
        );
        refused(
            "tia",
            "POST",
            "/api/v1/proposals/p2/withdraw",
            json!({}),
            403,
            "proposal",
            "only sol, its author, may withdraw p2",
        );
        refused(
            "sol",
            "POST",
            "/api/v1/proposals",
            json!({"project": "shop", "title": "x", "changes": [
            {"op": "set_rate", "request": {"project": "shop", "category": "wood", "per_hour": "x"}}]}),
            422,
            "changes",
            "change 1 (set_rate) would be refused: malformed rate \"x\": expected a decimal number such as 45.00",
        );
        refused(
            "sol",
            "POST",
            "/api/v1/proposals",
            json!({"project": "shop", "title": "x", "changes": [
            {"op": "set_rate", "request": {"project": "other", "category": "wood", "per_hour": "1"}}]}),
            422,
            "changes",
            "change 1 (set_rate) is not a rule of project shop: a proposal changes the rules of one project, or the network's",
        );
        refused(
            "rae",
            "POST",
            "/api/v1/projects/shop/governance",
            json!({"mode": "direct"}),
            403,
            "project",
            "project shop is governed by proposals: set_governance must be proposed and voted on",
        );
        assert_eq!(api("rae").head(), head, "a refusal changed the book");
        assert_eq!(api("rae").verify_ok(), head);
    }
}

/// A passed proposal whose notice ended takes effect when the server starts, though nobody
/// writes: the ticker asks the writer to enact it.
#[test]
fn the_ticker_enacts_a_due_proposal_without_any_write() {
    let book = TestBook::sqlite();
    let keys = setup(&book);
    book.setup_as(
        "tia",
        "2026-11-20T11:00:00Z",
        vec![Command::Vote {
            proposal: "p2".into(),
            vote: fairshare_core::Ballot::Yes,
            reason: None,
        }],
    );
    book.setup_as(
        "sol",
        "2026-11-20T11:00:00Z",
        vec![Command::Vote {
            proposal: "p2".into(),
            vote: fairshare_core::Ballot::Yes,
            reason: None,
        }],
    );
    // Closed after its deadline, its two days of notice end before the server's time (AT).
    let server_time = "2026-11-28T12:00:00Z";
    book.setup_as(
        OPERATOR,
        "2026-11-25T10:00:00Z",
        vec![Command::CloseProposal {
            proposal: "p2".into(),
        }],
    );
    let server = TestServer::start_with(&book.url, |config| {
        config.fixed_time = Some(server_time.to_string());
        config.enact_every = std::time::Duration::from_millis(50);
    });
    let api = server.api(Some(&keys["rae"]));
    let mut status = Value::Null;
    for _ in 0..100 {
        status = api.get("/api/v1/proposals/p2").expect(200).body["status"].clone();
        if status == "enacted" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(status, "enacted");
    let log = api.get("/api/v1/log?limit=1000").expect(200).body;
    let last = log["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (&last["actor"], &last["op"], &last["recorded_at"]),
        (
            &json!("operator"),
            &json!("enact_proposal"),
            &json!(server_time)
        )
    );
    let shop = api.get("/api/v1/projects/shop").expect(200).body;
    assert_eq!(shop["policy"]["rates"]["wood"], "22.00");
    assert_eq!(api.verify_ok(), api.head());
}
