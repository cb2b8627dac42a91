//! Governance on the dashboard over plain HTTP (issue 14): an affiliate proposes a rate change
//! from the project's proposals page, two members vote, closing early is refused on the
//! page, the proposal is closed after its deadline and takes effect after its notice (the
//! server restarted at later fixed instants), the project page showing the notice meanwhile
//! and each rule in force with the event (and proposal) that set it.

mod common;

use common::TestBook;
use common::web::{governed_shop as seed, log_in, page_of, post_from, refusal, server_at, text_of};

#[test]
fn a_rate_change_is_proposed_voted_closed_and_enacted_from_the_dashboard() {
    let book = TestBook::sqlite();
    seed(&book);
    let server = server_at(&book.url, "2026-11-21T12:00:00Z");
    let base = &server.base;
    let api = server.api(None);
    let marie = log_in(base, "marie");
    let page = page_of(base, &marie, "/projects/shop");
    assert_eq!(
        text_of(&page, "governance-settings"),
        "Rules change only by proposals: quorum 50%, threshold 66.67% of yes against yes and no, \
         7 days of voting, 3 days of notice, one vote per member, since event 9 \
         (2026-11-21T12:00:00Z)."
    );
    // Each rule in force, since which event, set directly (by name of rule).
    assert_eq!(
        rules_in_force(&page),
        [
            "governance | 2026-11-21T12:00:00Z | event 9, directly",
            "plan | 2026-11-21T12:00:00Z | event 5, directly",
            "rate wood | 2026-11-21T12:00:00Z | event 6, directly",
        ]
    );
    assert_eq!(
        text_of(&page, "members"),
        "Members listed: none (with the custodians and affiliates with a counted contribution, \
         they vote on proposals)."
    );
    let proposals = "/projects/shop/proposals";
    let proposed = post_from(
        base,
        &marie,
        proposals,
        "/projects/shop/proposals/set_rate",
        &[
            ("idempotency_key", "web-propose-1"),
            ("title", "Raise wood"),
            ("category", "wood"),
            ("per_hour", "25.00"),
        ],
    );
    assert_eq!(proposed.status(), 303);
    assert_eq!(proposed.headers()["location"], proposals);
    let page = page_of(base, &marie, proposals);
    assert!(
        page.contains("<li>the rate of wood in shop: 25.00 per hour</li>"),
        "{page}"
    );
    assert!(page.contains("voting ends 2026-11-28T12:00:00Z"), "{page}");

    // A refused proposal is shown beside its field; nothing is recorded.
    let events = api.head();
    let refused = post_from(
        base,
        &marie,
        proposals,
        "/projects/shop/proposals/set_rate",
        &[("title", "Bad"), ("category", "wood"), ("per_hour", "4e5")],
    );
    assert_eq!(
        refusal(refused, 422, "propose-error"),
        "change 1 (set_rate) would be refused: malformed rate &#34;4e5&#34;: expected a decimal \
         number such as 45.00"
    );
    assert_eq!(api.head(), events);

    // Two members vote; an observer sees no vote buttons.
    let vote = |session: &str, choice: &str, reason: &str| {
        post_from(
            base,
            session,
            proposals,
            "/proposals/proposal-1/vote",
            &[("vote", choice), ("reason", reason), ("back", proposals)],
        )
    };
    assert_eq!(vote(&marie, "yes", "wood got dearer").status(), 303);
    let abran = log_in(base, "abran");
    assert_eq!(vote(&abran, "no", "").status(), 303);
    assert_eq!(vote(&abran, "yes", "").status(), 303, "a vote may change");
    // luc (a custodian without counted work here) is not among the voters.
    let luc = log_in(base, "luc");
    assert!(!page_of(base, &luc, proposals).contains("id=\"vote-yes-proposal-1\""));
    let olga = log_in(base, "olga");
    assert!(!page_of(base, &olga, proposals).contains("id=\"vote-yes-proposal-1\""));
    let shown = page_of(base, &marie, "/proposals/proposal-1");
    assert_eq!(
        text_of(&shown, "tally-proposal-1"),
        "Yes 2 · No 0 · Abstain 0 of 2 eligible — quorum 50% met, threshold 66.67% met"
    );
    assert!(
        shown
            .contains("<td>marie</td><td class=\"num\">1</td><td>yes</td><td>wood got dearer</td>"),
        "{shown}"
    );

    // Closing before the deadline is refused on the page.
    let events = api.head();
    let early = post_from(
        base,
        &luc,
        "/proposals/proposal-1",
        "/proposals/proposal-1/close",
        &[],
    );
    let message = refusal(early, 409, "proposal-error");
    assert!(message.contains("2026-11-28T12:00:00Z"), "{message}");
    assert_eq!(api.head(), events);
    drop(server);

    // After the deadline: closed, passed, waiting for its notice (shown on the project page).
    let server = server_at(&book.url, "2026-11-28T12:00:01Z");
    let base = &server.base;
    let abran = log_in(base, "abran");
    let closed = post_from(
        base,
        &abran,
        "/proposals/proposal-1",
        "/proposals/proposal-1/close",
        &[],
    );
    assert_eq!(closed.status(), 303);
    let project = page_of(base, &abran, "/projects/shop");
    assert_eq!(text_of(&project, "notice-proposal-1"), "Passed: ");
    assert!(
        project.contains("(the rate of wood in shop: 25.00 per hour) takes effect at the end of its notice, 2026-12-01T12:00:01Z."),
        "{project}"
    );
    assert!(project.contains("Work in wood is valued at 20.00 CAD per hour."));
    drop(server);

    // After the notice the server's ticker enacts it.
    let server = server_at(&book.url, "2026-12-01T12:00:02Z");
    let api = server.api(None);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let status = api.get("/api/v1/proposals/proposal-1").expect(200).body["status"].clone();
        if status == "enacted" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not enacted: {status}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let project = page_of(&server.base, "", "/projects/shop");
    assert!(
        project.contains("Work in wood is valued at 25.00 CAD per hour."),
        "{project}"
    );
    assert!(!project.contains("id=\"notice-proposal-1\""));
    // The rate now in force names the enactment and links its proposal.
    assert_eq!(
        rules_in_force(&project),
        [
            "governance | 2026-11-21T12:00:00Z | event 9, directly",
            "plan | 2026-11-21T12:00:00Z | event 5, directly",
            "rate wood | 2026-12-01T12:00:02Z | event 15, proposal proposal-1",
        ]
    );
    assert!(project.contains("proposal <a href=\"/proposals/proposal-1\">proposal-1</a>"));
    assert_eq!(api.verify_ok(), api.head());
}

/// The rows of the project page's "rules in force" table, cells joined by " | ".
fn rules_in_force(html: &str) -> Vec<String> {
    table_rows(html, "rules-in-force", "rule-")
}

/// The rows of the table `table` whose ids start with `row`, each row's cells as text (tags
/// dropped) joined by " | ".
fn table_rows(html: &str, table: &str, row: &str) -> Vec<String> {
    let start = html
        .find(&format!("id=\"{table}\""))
        .unwrap_or_else(|| panic!("no table {table}: {html}"));
    let end = start + html[start..].find("</table>").expect("table end");
    html[start..end]
        .split(&format!("<tr id=\"{row}"))
        .skip(1)
        .map(|tr| {
            let tr = &tr[tr.find('>').expect("tr") + 1..tr.find("</tr>").expect("row end")];
            tr.split("</td>")
                .filter(|cell| cell.contains("<td"))
                .map(|cell| {
                    let mut text = String::new();
                    let mut in_tag = false;
                    for c in cell.chars() {
                        match c {
                            '<' => in_tag = true,
                            '>' => in_tag = false,
                            c if !in_tag => text.push(c),
                            _ => {}
                        }
                    }
                    text.trim().to_string()
                })
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect()
}

/// The members form of the project page: a custodian lists and removes a member of a project
/// changed directly; on a project governed by proposals the same form shows the core's
/// refusal and records nothing.
#[test]
fn a_custodian_lists_and_removes_members_from_the_project_page() {
    let book = TestBook::sqlite();
    seed(&book);
    book.setup(vec![fairshare_core::Command::add_project("yard", "CAD", 2)]);
    let server = server_at(&book.url, "2026-11-21T12:00:00Z");
    let base = &server.base;
    let api = server.api(None);
    let luc = log_in(base, "luc");
    let members = |slug: &str| {
        text_of(
            &page_of(base, &luc, &format!("/projects/{slug}")),
            "members",
        )
    };
    let listed = post_from(
        base,
        &luc,
        "/projects/yard",
        "/projects/yard/members",
        &[("idempotency_key", "web-member-1"), ("agent", "abran")],
    );
    assert_eq!(listed.status(), 303);
    assert_eq!(
        members("yard"),
        "Members listed: abran (with the custodians and affiliates with a counted contribution, \
         they vote on proposals)."
    );
    let head = api.head();
    let refused = post_from(
        base,
        &luc,
        "/projects/shop",
        "/projects/shop/members",
        &[("agent", "abran")],
    );
    assert_eq!(refused.status(), 403);
    let html = refused.text().expect("html");
    assert!(
        html.contains(
            "project shop is governed by proposals: add_member must be proposed and voted on: \
             propose it on /projects/shop/proposals"
        ),
        "{html}"
    );
    assert_eq!(api.head(), head, "a refused form records nothing");
    let removed = post_from(
        base,
        &luc,
        "/projects/yard",
        "/projects/yard/members/remove",
        &[("agent", "abran")],
    );
    assert_eq!(removed.status(), 303);
    assert!(members("yard").starts_with("Members listed: none"));
}

/// A plan change proposed on the dashboard links to what that plan would have paid: shop's
/// revenue of 90.00 was paid 60.00 / 30.00 by value (marie 80.00, abran 40.00 of value); the
/// proposed plan keeps 10% of the whole for tools (9.00) and pays 81.00 the same way.
#[test]
fn a_proposed_plan_links_to_what_it_would_have_paid() {
    let book = TestBook::sqlite();
    seed(&book);
    book.setup(vec![fairshare_core::Command::revenue("shop", "90.00")]);
    let server = server_at(&book.url, "2026-11-21T12:00:00Z");
    let base = &server.base;
    let marie = log_in(base, "marie");
    let plan = r#"{"bucket": [{"type": "percent", "percent": "10", "of": "gross", "to": "tools"},
                   {"type": "contributors"}]}"#;
    let proposed = post_from(
        base,
        &marie,
        "/projects/shop/proposals",
        "/projects/shop/proposals/set_plan",
        &[
            ("idempotency_key", "web-propose-plan"),
            ("title", "Keep a tenth for tools"),
            ("bucket", plan),
        ],
    );
    assert_eq!(proposed.status(), 303);
    let page = page_of(base, &marie, "/proposals/proposal-1");
    let link = "/projects/shop/plans/compare?proposal=proposal-1";
    assert!(page.contains(link), "{page}");
    let compared = page_of(base, &marie, link);
    assert_eq!(
        table_rows(&compared, "compare-totals", "total-"),
        [
            "abran | 27.00 | 30.00 | -3.00",
            "marie | 54.00 | 60.00 | -6.00",
            "tools | 9.00 | 0.00 | 9.00"
        ]
    );
}
