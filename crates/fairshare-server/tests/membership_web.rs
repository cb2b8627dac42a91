//! Joining and roles on the dashboard over plain HTTP (issue 14): the public join form (no
//! login, a double-submit CSRF token, a one-time idempotency key, the address's rate limit),
//! and the members page where a custodian admits, declines and sets roles. Every refusal is
//! shown beside its field, and nothing is recorded.

mod common;

use common::web::{
    PASSWORD, csrf_in, http, log_in, page_of, post_from, refusal, set_cookie, text_of,
};
use common::{TestBook, TestServer, seeded_server};
use fairshare_core::{Command, Role};
use reqwest::blocking::Response;

/// luc is the only custodian, marie an affiliate, olga an observer; each has a password.
fn seed(book: &TestBook) {
    book.setup(vec![
        Command::add_agent("luc", Role::Custodian),
        Command::add_agent("marie", Role::Affiliate),
        Command::add_agent("olga", Role::Observer),
    ]);
    for handle in ["luc", "marie", "olga"] {
        common::set_password(&book.url, handle, PASSWORD).expect("password");
    }
}

/// The join form's cookie and token, as a stranger gets them.
fn join_form(base: &str) -> (String, String) {
    let page = http()
        .get(format!("{base}/join"))
        .send()
        .expect("join page");
    assert_eq!(page.status(), 200);
    let cookie = set_cookie(&page, "fs_join").expect("join cookie");
    (cookie, csrf_in(&page.text().expect("html")))
}

/// Posts the join form as a stranger with `key` as its idempotency key.
fn ask(base: &str, key: &str, fields: &[(&str, &str)]) -> Response {
    let (cookie, token) = join_form(base);
    let mut form = vec![("csrf", token.as_str()), ("idempotency_key", key)];
    form.extend_from_slice(fields);
    http()
        .post(format!("{base}/join"))
        .header("cookie", cookie)
        .form(&form)
        .send()
        .expect("post")
}

/// Posts `fields` to `action` with the CSRF token of the members page.
fn post_members(base: &str, session: &str, action: &str, fields: &[(&str, &str)]) -> Response {
    post_from(base, session, "/membership", action, fields)
}

fn members(base: &str, session: &str) -> String {
    page_of(base, session, "/membership")
}

#[test]
fn a_stranger_asks_to_join_from_the_public_form() {
    let (_book, server) = seeded_server(seed);
    let base = &server.base;
    let api = server.api(None);
    let events = api.head();

    // Without the form's cookie the post is refused and nothing is recorded.
    let (_, token) = join_form(base);
    let forged = http()
        .post(format!("{base}/join"))
        .form(&[("csrf", token.as_str()), ("handle", "zoe")])
        .send()
        .expect("post");
    assert_eq!(forged.status(), 403);
    assert_eq!(api.head(), events);

    // A double submit of one rendering records once.
    let about = ("about", "I build hulls");
    for _ in 0..2 {
        let joined = ask(
            base,
            "web-join-1",
            &[("handle", "zoe"), ("name", "Zoé"), about],
        );
        assert_eq!(joined.status(), 200);
        let html = joined.text().expect("html");
        assert!(
            html.contains(
                "Your request to join as <strong>zoe</strong> is recorded (event 4, 2026-11-21)"
            ),
            "{html}"
        );
    }
    assert_eq!(api.head(), events + 1);

    // A taken handle is refused beside the field, with what was typed.
    let taken = ask(base, "web-join-2", &[("handle", "luc"), about]);
    assert_eq!(taken.status(), 409);
    let html = taken.text().expect("html");
    assert_eq!(
        text_of(&html, "join-handle-error"),
        "handle &#34;luc&#34; is already taken by an agent"
    );
    assert!(html.contains(">I build hulls</textarea>"), "{html}");
    assert_eq!(api.head(), events + 1);

    // Five requests from one address at once, then one a minute.
    for (key, handle) in [("web-join-3", "yan"), ("web-join-4", "xia")] {
        assert_eq!(ask(base, key, &[("handle", handle)]).status(), 200);
    }
    let limited = ask(base, "web-join-5", &[("handle", "wes")]);
    let message = refusal(limited, 429, "join-error");
    assert!(
        message.starts_with("too many requests to join from this address: try again in "),
        "{message}"
    );
    assert_eq!(api.head(), events + 3);
}

#[test]
fn a_custodian_admits_declines_and_sets_roles_from_the_members_page() {
    let book = TestBook::sqlite();
    seed(&book);
    book.setup(vec![
        Command::RequestJoin {
            handle: "zoe".into(),
            name: Some("Zoé".into()),
            about: Some("I build hulls".into()),
        },
        Command::RequestJoin {
            handle: "yan".into(),
            name: None,
            about: None,
        },
    ]);
    let server = TestServer::start(&book.url);
    let base = &server.base;
    let api = server.api(None);
    let luc = log_in(base, "luc");
    let marie = log_in(base, "marie");
    let olga = log_in(base, "olga");

    let page = members(base, &luc);
    assert!(
        page.contains("<td>zoe</td><td>Zoé</td><td>I build hulls</td>"),
        "{page}"
    );
    assert!(!members(base, &marie).contains("id=\"join-requests\""));
    let admitted = post_members(
        base,
        &luc,
        "/join/zoe/admit",
        &[("idempotency_key", "web-admit-zoe"), ("role", "observer")],
    );
    assert_eq!(admitted.status(), 303);
    assert_eq!(admitted.headers()["location"], "/membership");
    let zoe = api.get("/api/v1/agents/zoe").expect(200).body;
    assert_eq!(
        (zoe["role"].as_str(), zoe["name"].as_str()),
        (Some("observer"), Some("Zoé"))
    );
    post_members(
        base,
        &luc,
        "/join/yan/decline",
        &[("reason", "we never met")],
    );
    assert!(members(base, &luc).contains("No pending join request."));

    // Refusals: an affiliate admitting, the last custodian demoted; nothing recorded.
    let events = api.head();
    let refused = post_members(base, &marie, "/join/zoe/admit", &[]);
    assert_eq!(
        refusal(refused, 403, "join-review-error"),
        "only custodians may admit agents; this agent is an affiliate"
    );
    let demoted = post_members(base, &luc, "/agents/luc/role", &[("role", "affiliate")]);
    assert_eq!(
        refusal(demoted, 409, "role-error"),
        "the last custodian cannot be demoted: luc is the only custodian; \
         make another agent a custodian first"
    );
    assert_eq!(api.head(), events);

    // Roles change; a member proposes a project that a custodian admits.
    post_members(base, &luc, "/agents/marie/role", &[("role", "custodian")]);
    assert_eq!(
        api.get("/api/v1/agents/marie").expect(200).body["role"],
        "custodian"
    );
    assert!(!members(base, &olga).contains("id=\"propose-form\""));
    // Her role changed, so the session she had ended: she logs in again.
    assert!(!members(base, &marie).contains("id=\"propose-form\""));
    let marie = log_in(base, "marie");
    let proposed = post_members(
        base,
        &marie,
        "/membership/propose",
        &[
            ("slug", "hulls"),
            ("currency", "CAD"),
            ("exponent", "2"),
            ("approvals", "1"),
        ],
    );
    assert_eq!(proposed.status(), 303);
    assert!(members(base, &olga).contains("<tr id=\"proposal-hulls\">"));
    post_members(base, &luc, "/project-proposals/hulls/admit", &[]);
    assert_eq!(
        api.get("/api/v1/projects/hulls").expect(200).body["approvals"],
        1
    );
    assert_eq!(api.verify_ok(), api.head());
}
