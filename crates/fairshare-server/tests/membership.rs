//! Joining, roles and proposed projects over HTTP (issue 14): a stranger asks to join without
//! a key (rate-limited per address), a custodian admits them; the last custodian is never
//! demoted; a member proposes a project a custodian admits. Every refusal with its status and
//! field and the book unchanged; on SQLite, and on PostgreSQL when configured.

mod common;

use common::{TestBook, TestServer, refused};
use fairshare_core::Role;
use serde_json::json;

#[test]
fn membership_over_http() {
    TestBook::each("membership_over_http", membership);
}

fn membership(book: &TestBook) {
    let keys = book.agents(&[("ana", Role::Custodian), ("bea", Role::Affiliate)]);
    let server = TestServer::start(&book.url);
    let ana = server.api(Some(&keys["ana"]));
    let bea = server.api(Some(&keys["bea"]));
    let stranger = server.api(None);

    // A stranger asks to join, without a key: recorded under the handle asked for.
    let asked = stranger
        .post(
            "/api/v1/join",
            json!({"handle": "zoe", "name": "Zoé", "about": "I build hulls"}),
        )
        .expect(201)
        .body;
    assert_eq!(
        (&asked["handle"], &asked["requested_by"], &asked["status"]),
        (&json!("zoe"), &json!("zoe"), &json!("pending"))
    );
    refused(
        &stranger,
        "/api/v1/join",
        json!({"handle": "zoe"}),
        409,
        Some("handle"),
        "\"zoe\" has a pending join request already (event 3): a custodian admits or declines it",
    );
    refused(
        &stranger,
        "/api/v1/join",
        json!({"handle": "ana"}),
        409,
        Some("handle"),
        "handle \"ana\" is already taken by an agent",
    );

    // Only a custodian sees the pending requests.
    let pending = ana.get("/api/v1/join").expect(200).body;
    assert_eq!(pending["total"], 1);
    assert_eq!(pending["requests"][0]["about"], "I build hulls");
    bea.get("/api/v1/join").expect(403);
    stranger.get("/api/v1/join").expect(403);

    // Only a custodian admits; the agent is added with the role asked for.
    refused(
        &bea,
        "/api/v1/join/zoe/admit",
        json!({}),
        403,
        None,
        "only custodians may admit agents; this agent is an affiliate",
    );
    let admitted = ana
        .post("/api/v1/join/zoe/admit", json!({"role": "observer"}))
        .expect(200)
        .body;
    assert_eq!(
        (
            &admitted["status"],
            &admitted["role"],
            &admitted["reviewed_by"]
        ),
        (&json!("admitted"), &json!("observer"), &json!("ana"))
    );
    let zoe = ana.get("/api/v1/agents/zoe").expect(200).body;
    assert_eq!(
        (&zoe["name"], &zoe["role"]),
        (&json!("Zoé"), &json!("observer"))
    );

    // The keyless requests of one address are rate-limited: 5 at once (2 refused above, one
    // recorded), then one a minute; a member's requests are not.
    for handle in ["yan", "xia"] {
        stranger
            .post("/api/v1/join", json!({"handle": handle}))
            .expect(201);
    }
    let head = ana.head();
    let limited = stranger
        .post("/api/v1/join", json!({"handle": "wes"}))
        .expect(429);
    assert_eq!(limited.content_type(), "application/problem+json");
    let wait: u64 = limited.headers["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(
        limited.body["detail"],
        format!("too many requests to join from this address: try again in {wait} s")
    );
    assert_eq!(ana.head(), head, "a limited request recorded something");
    bea.post("/api/v1/join", json!({"handle": "wes"}))
        .expect(201);
    refused(
        &ana,
        "/api/v1/join/yan/decline",
        json!({"reason": " "}),
        422,
        Some("reason"),
        "declining needs a reason",
    );
    let declined = ana
        .post(
            "/api/v1/join/yan/decline",
            json!({"reason": "we never met"}),
        )
        .expect(200)
        .body;
    assert_eq!(declined["status"], "declined");

    // Roles: the last custodian is never demoted, over the API either.
    refused(
        &ana,
        "/api/v1/agents/ana/role",
        json!({"role": "affiliate"}),
        409,
        Some("role"),
        "the last custodian cannot be demoted: ana is the only custodian; \
         make another agent a custodian first",
    );
    refused(
        &bea,
        "/api/v1/agents/bea/role",
        json!({"role": "custodian"}),
        403,
        None,
        "only custodians may set roles; this agent is an affiliate",
    );
    let promoted = ana
        .post("/api/v1/agents/bea/role", json!({"role": "custodian"}))
        .expect(200)
        .body;
    assert_eq!(promoted["role"], "custodian");

    // A member proposes a project; a custodian admits it as `project add` adds one.
    let proposal = bea
        .post(
            "/api/v1/project-proposals",
            json!({"slug": "hulls", "currency": "CAD", "approvals": 1, "about": "a mould"}),
        )
        .expect(201)
        .body;
    assert_eq!(
        (
            &proposal["exponent"],
            &proposal["status"],
            &proposal["requested_by"]
        ),
        (&json!(2), &json!("pending"), &json!("bea"))
    );
    let listed = stranger.get("/api/v1/project-proposals").expect(200).body;
    assert_eq!(listed["proposals"][0]["slug"], "hulls");
    refused(
        &ana,
        "/api/v1/project-proposals/sails/admit",
        json!({}),
        404,
        Some("slug"),
        "no pending project proposal for \"sails\"",
    );
    ana.post("/api/v1/project-proposals/hulls/admit", json!({}))
        .expect(200);
    let project = stranger.get("/api/v1/projects/hulls").expect(200).body;
    assert_eq!(
        (&project["currency"], &project["approvals"]),
        (&json!("CAD"), &json!(1))
    );
    assert_eq!(ana.verify_ok(), ana.head());
}

#[test]
fn project_members_over_http() {
    TestBook::each("project_members_over_http", project_members);
}

/// A custodian lists members of a project (never an observer), `GET` of the project shows
/// them, and a listed member without contributions is an eligible voter of an equal proposal.
fn project_members(book: &TestBook) {
    let keys = book.agents(&[
        ("ana", Role::Custodian),
        ("bea", Role::Affiliate),
        ("cy", Role::Affiliate),
        ("olga", Role::Observer),
    ]);
    book.setup(vec![
        fairshare_core::Command::add_project("hull", "CAD", 2),
        fairshare_core::Command::set_rate("hull", "dev", "10.00"),
        fairshare_core::Command::log_work("hull", "ana", "dev", "2"),
    ]);
    let server = TestServer::start(&book.url);
    let ana = server.api(Some(&keys["ana"]));
    let bea = server.api(Some(&keys["bea"]));
    for agent in ["bea", "cy"] {
        ana.post("/api/v1/projects/hull/members", json!({"agent": agent}))
            .expect(200);
    }
    refused(
        &ana,
        "/api/v1/projects/hull/members",
        json!({"agent": "olga"}),
        403,
        Some("agent"),
        "olga is an observer: observers neither propose nor vote, so a project does not list \
         them as members; give olga another role first",
    );
    refused(
        &bea,
        "/api/v1/projects/hull/members",
        json!({"agent": "bea"}),
        403,
        None,
        "only custodians may list a project's members; this agent is an affiliate",
    );
    let removed = ana
        .call("DELETE", "/api/v1/projects/hull/members/cy", None, None)
        .expect(200)
        .body;
    assert_eq!(removed, json!({"project": "hull", "members": ["bea"]}));
    let shown = bea.get("/api/v1/projects/hull").expect(200).body;
    assert_eq!(shown["members"], json!(["bea"]));
    ana.post(
        "/api/v1/projects/hull/governance",
        json!({"mode": "proposals", "weight": "equal"}),
    )
    .expect(200);
    let proposed = bea
        .post(
            "/api/v1/proposals",
            json!({"id": "p1", "project": "hull", "title": "list cy", "changes": [
                {"op": "add_member", "request": {"project": "hull", "agent": "cy"}}]}),
        )
        .expect(201)
        .body;
    assert_eq!(
        proposed["voters"],
        json!([{"agent": "ana", "weight": "1"}, {"agent": "bea", "weight": "1"}])
    );
}
