//! Peer valuation and the log on the dashboard (issue 16) in a real headless Chromium: a
//! member gives points in a round, a custodian awards a bounty and allocates a pool, the log
//! says every event in words and verifies itself from a button; an observer sees no form, an
//! anonymous visitor the public view only; and axe-core finds no serious or critical
//! violation on any page of the dashboard. Over plain HTTP: the log's filters and its export
//! on a private network.

mod common;

use common::browser::{Browser, browse};
use common::web::{PASSWORD, http, log_in, page_of, text_of};
use common::{AT, TestBook, TestServer, seeded_server};
use fairshare_core::{Command, GovernanceMode, Role};
use fantoccini::Locator;

/// forillon (CAD, no approvals, engineering at 45.00): marie 10 h, abran 5 h, luc 2 h; peer
/// round 1 closed (marie gave abran 30 points), round 2 open (abran, luc, marie); a bounty `logo` of 200.00; marie's 10 steward points; a
/// blend 0.5 / 0.3 / 0.2; a revenue of 1000.00; then forillon governed by proposals, with
/// one open proposal. ana is a second custodian, olga an observer.
fn seed(book: &TestBook) {
    book.setup(vec![
        Command::add_agent("luc", Role::Custodian),
        Command::add_agent("ana", Role::Custodian),
        Command::add_agent("marie", Role::Affiliate),
        Command::add_agent("abran", Role::Affiliate),
        Command::add_agent("olga", Role::Observer),
        Command::add_project("forillon", "CAD", 2),
        Command::set_rate("forillon", "engineering", "45.00"),
        Command::log_work("forillon", "marie", "engineering", "10"),
        Command::log_work("forillon", "abran", "engineering", "5"),
        Command::log_work("forillon", "luc", "engineering", "2"),
    ]);
    book.setup_as(
        "luc",
        AT,
        vec![
            Command::OpenRound {
                project: "forillon".into(),
                budget: None,
                eligible: None,
            },
            Command::Give {
                round: 1,
                from: "marie".into(),
                to: "abran".into(),
                points: 30,
            },
            Command::CloseRound { round: 1 },
            Command::AddBounty {
                project: "forillon".into(),
                task: "logo".into(),
                reward: "200.00".into(),
                description: Some("a trail logo".into()),
            },
            Command::StewardGive {
                project: "forillon".into(),
                agent: "marie".into(),
                points: 10,
                reason: "kept the trail map".into(),
            },
            Command::SetBlend {
                project: "forillon".into(),
                formula: "0.5".into(),
                peer: "0.3".into(),
                steward: "0.2".into(),
            },
            Command::Revenue {
                project: "forillon".into(),
                amount: "1000.00".into(),
                from: Some("Parks Canada".into()),
            },
            Command::SetGovernance {
                project: Some("forillon".into()),
                mode: GovernanceMode::Proposals,
                quorum: None,
                threshold: None,
                notice_days: None,
                voting_days: None,
                weight: None,
            },
            Command::Propose {
                id: None,
                project: Some("forillon".into()),
                title: "Engineering at 50".into(),
                changes: vec![Command::set_rate("forillon", "engineering", "50.00")],
            },
            Command::OpenRound {
                project: "forillon".into(),
                budget: None,
                eligible: None,
            },
        ],
    );
    for handle in ["luc", "ana", "marie", "abran", "olga"] {
        common::set_password(&book.url, handle, PASSWORD).expect("password");
    }
}

/// Every page of the dashboard an anonymous visitor may open on a public network.
const PUBLIC_PAGES: [&str; 10] = [
    "/",
    "/log",
    "/projects/forillon",
    "/projects/forillon/peer",
    "/projects/forillon/report",
    "/projects/forillon/proposals",
    "/network/proposals",
    "/proposals/proposal-1",
    "/distributions/1",
    "/treasury",
];

/// Pages that are only a member's, or that are about logging in and joining.
const OTHER_PAGES: [&str; 6] = [
    "/me",
    "/membership",
    "/projects/forillon/plans/compare?proposal=proposal-1",
    "/log?verify=1&kind=give",
    "/login",
    "/join",
];

/// The proposals pages showing the forms of a few kinds of change: a select, a checkbox, a
/// plan file's text, an object's fields, a network change.
const PROPOSE_FORMS: [&str; 5] = [
    "/projects/forillon/proposals?change=set_multiplier",
    "/projects/forillon/proposals?change=set_leaver_policy",
    "/projects/forillon/proposals?change=set_plan",
    "/projects/forillon/proposals?change=create_token",
    "/network/proposals?change=add_agent",
];

/// How many forms that write (POST) the page shows, in the whole document.
async fn post_forms(b: &Browser) -> usize {
    b.client
        .find_all(Locator::Css("form[method='post']"))
        .await
        .expect("forms")
        .len()
}

#[test]
fn points_a_bounty_a_pool_and_the_log_in_a_browser() {
    let (_book, server) = seeded_server(seed);
    browse(&server.base, |b| async move {
        anonymous(&b).await;
        giving_points(&b).await;
        awarding_and_allocating(&b).await;
        the_log(&b).await;
        observer(&b).await;
        every_page_passes_axe(&b).await;
    });
    server.stop().expect("server stops");
}

/// An anonymous visitor reads every public page and is offered no form that writes.
async fn anonymous(b: &Browser) {
    for page in PUBLIC_PAGES {
        b.go(page).await;
        assert_eq!(
            post_forms(b).await,
            0,
            "an anonymous visitor sees a form on {page}"
        );
        assert!(b.client.find(Locator::Css("#nav-login")).await.is_ok());
    }
    for page in ["/me", "/membership"] {
        b.go(page).await;
        assert_eq!(b.path().await, "/login", "{page} is a member's page");
    }
    b.go("/projects/forillon/peer").await;
    assert_eq!(
        b.text("#round-2 h3").await,
        "Round 2 is open since 2026-11-21, 100 points for each giver"
    );
    assert!(b.client.find(Locator::Css("#points-left-2")).await.is_err());
}

/// marie gives abran 30 of her 100 points; more than she has left is refused beside the
/// points; luc closes the round.
async fn giving_points(b: &Browser) {
    b.log_in("marie").await;
    b.go("/projects/forillon/peer").await;
    assert_eq!(
        b.text("#points-left-2").await,
        "100 of your 100 points left to give."
    );
    b.select("#give-to-2", "abran").await;
    b.fill("#give-points-2", "30").await;
    b.submit("#give-submit-2").await;
    assert_eq!(b.path().await, "/projects/forillon/peer");
    assert_eq!(
        b.text("#points-left-2").await,
        "70 of your 100 points left to give."
    );
    assert_eq!(b.text("#giver-2-marie").await, "marie 30 70");
    assert_eq!(
        b.text("#round-shares-2 tbody").await,
        "abran 30 100.00%\nluc 0 0.00%\nmarie 0 0.00%"
    );
    // With htmx, what would be left shows as the points are typed.
    b.select("#give-to-2", "luc").await;
    b.fill("#give-points-2", "20").await;
    b.wait_text("#after-gift-2", "After this gift: 50 of 100 left.")
        .await;
    b.fill("#give-points-2", "71").await;
    b.wait_text("#after-gift-2", "That is 1 more than you have left.")
        .await;
    b.submit("#give-submit-2").await;
    assert_eq!(
        b.value("#give-to-2").await,
        "luc",
        "the refused gift's recipient stays chosen"
    );
    assert_eq!(
        b.text("#give-points-error").await,
        "marie would give 101 points in round 2, over the budget of 100 (30 already given to \
         others, 70 left)"
    );
    assert_eq!(
        b.text("#points-left-2").await,
        "70 of your 100 points left to give."
    );
    b.shot_desktop_and_phone("peer-round").await;
    b.log_out().await;

    b.log_in("luc").await;
    b.go("/projects/forillon/peer").await;
    b.submit("#close-round-2").await;
    assert!(b.client.find(Locator::Css("#round-2")).await.is_err());
    assert_eq!(
        b.text("#round-list tbody").await,
        "1 closed 2026-11-21 2026-11-21 100 3 30\n2 closed 2026-11-21 2026-11-21 100 3 30"
    );
}

/// luc awards the logo bounty to abran and allocates a pool of 1000.00: 200.00 to abran
/// first, the other 800.00 by blended share (42/85, 38/85, 5/85: 39529.41, 35764.70 and
/// 4705.88 cents; luc's and abran's larger remainders take the two odd cents).
async fn awarding_and_allocating(b: &Browser) {
    assert_eq!(
        b.text("#blend-weights").await,
        "Shares are 0.5 × formula + 0.3 × peer (round 2) + 0.2 × steward."
    );
    assert_eq!(
        b.text("#blend-marie").await,
        "marie 450.00 58.82% 0.00% 100.00% 49.41%"
    );
    assert_eq!(
        b.text("#blend-abran").await,
        "abran 225.00 29.41% 100.00% 0.00% 44.71%"
    );
    assert_eq!(
        b.text("#blend-luc").await,
        "luc 90.00 11.76% 0.00% 0.00% 5.88%"
    );
    b.fill("#award-agent-logo", "abran").await;
    b.submit("#award-logo").await;
    assert_eq!(
        b.text("#bounty-logo").await,
        "logo 200.00 a trail logo awarded (approved by luc) abran"
    );
    b.fill("#pool-size", "1000.00").await;
    b.submit("#pool-submit").await;
    assert_eq!(
        b.text("#pool-1 tbody").await,
        "abran 0.447058823529411765 200.00 357.65 557.65\n\
         luc 0.058823529411764706 0.00 47.06 47.06\n\
         marie 0.494117647058823529 0.00 395.29 395.29"
    );
    assert!(b.text("#bounty-logo").await.contains("paid"));
    assert_eq!(
        b.text("#cap-abran").await,
        "abran 225.00 44.71% 557.65 55.77%"
    );
    // The blend is governed by proposals on forillon: the form's refusal says so.
    b.fill("#blend-formula", "0.6").await;
    b.fill("#blend-peer", "0.2").await;
    b.fill("#blend-steward", "0.2").await;
    b.submit("#blend-submit").await;
    assert!(
        b.text("#blend-error").await.contains("proposal"),
        "{}",
        b.text("#blend-error").await
    );
    b.go("/projects/forillon/peer").await;
    b.shot_desktop_and_phone("peer").await;
}

/// The log says what happened, filters it, and verifies it from a button.
async fn the_log(b: &Browser) {
    b.submit("#nav-log").await;
    assert_eq!(b.path().await, "/log");
    let head = b.text("#head-events").await;
    assert_eq!(head, "24");
    assert_eq!(
        b.text("#event-24 .said").await,
        "luc allocated a pool of 1000.00 CAD on forillon"
    );
    assert_eq!(
        b.text("#event-8 .said").await,
        "marie logged 10 h of engineering on forillon (recorded by operator)"
    );
    // With htmx, the answer comes in place.
    b.click("#verify").await;
    let verified = b.wait_text("#verify-result", "sound").await;
    assert_eq!(b.path().await, "/log", "htmx answered in place");
    assert!(
        verified.starts_with("The log is sound: 24 events checked"),
        "{verified}"
    );
    b.select("#filter-kind", "give").await;
    b.submit("#filter-submit").await;
    assert_eq!(
        b.client
            .find_all(Locator::Css("#events tbody tr"))
            .await
            .expect("rows")
            .len(),
        2
    );
    assert_eq!(
        b.text("#event-21 .said").await,
        "marie gave 30 points to abran in round 2"
    );
    b.shot_desktop_and_phone("log").await;
    // The overview's activity is in words too.
    b.go("/").await;
    assert_eq!(
        b.text("#recent-23").await,
        "23 2026-11-21T12:00:00Z luc awarded the bounty logo on forillon to abran"
    );
    b.log_out().await;
}

/// An observer reads the peer page and the log without a form that writes (but logging out).
async fn observer(b: &Browser) {
    b.log_in("olga").await;
    for page in ["/projects/forillon/peer", "/log", "/projects/forillon"] {
        b.go(page).await;
        let forms = b
            .client
            .find_all(Locator::Css("main form[method='post']"))
            .await
            .expect("forms");
        assert!(
            forms.is_empty(),
            "olga sees {} forms on {page}",
            forms.len()
        );
    }
    b.log_out().await;
}

/// Every page, as a visitor and as a custodian (who sees every form), has no serious or
/// critical accessibility violation.
async fn every_page_passes_axe(b: &Browser) {
    for page in PUBLIC_PAGES
        .iter()
        .chain(&["/login", "/join", "/distributions/99"])
    {
        b.check_axe(page).await;
    }
    b.log_in("luc").await;
    for page in PUBLIC_PAGES
        .iter()
        .chain(&OTHER_PAGES[..4])
        .chain(&PROPOSE_FORMS)
    {
        b.check_axe(page).await;
    }
    // The pages no story photographs, at both widths.
    for (page, name) in [
        ("/projects/forillon/report", "report"),
        (
            "/projects/forillon/plans/compare?proposal=proposal-1",
            "plan-compare",
        ),
        ("/network/proposals", "network-proposals"),
    ] {
        b.go(page).await;
        b.shot_desktop_and_phone(name).await;
    }
    // A refused form, with its message beside the field.
    b.go("/projects/forillon/peer").await;
    b.fill("#pool-size", "-1").await;
    b.submit("#pool-submit").await;
    assert!(!b.text("#pool-error").await.is_empty());
    let violations = b.axe_violations().await;
    assert!(violations.is_empty(), "{violations:?}");
    // The check finds what it must: an image without a text alternative is critical.
    b.client
        .execute(
            "document.querySelector('main').appendChild(document.createElement('img'));",
            vec![],
        )
        .await
        .expect("add an image");
    let violations = b.axe_violations().await;
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(
        violations[0].starts_with("image-alt (critical): Images must have alternative text"),
        "{violations:?}"
    );
    b.log_out().await;
}

// ---------------------------------------------------------------------------------------------
// Over plain HTTP

/// The sentences of a log page, in order.
fn said_in(html: &str) -> Vec<String> {
    html.split("<td class=\"said\">")
        .skip(1)
        .map(|rest| rest.split('<').next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn the_log_filters_by_agent_project_and_kind_a_page_at_a_time() {
    let book = TestBook::sqlite();
    seed(&book);
    // 40 more events: abran's hours, events 21 to 60.
    book.setup(vec![
        Command::log_work(
            "forillon",
            "abran",
            "engineering",
            "1"
        );
        40
    ]);
    // A snapshot at the last event, which the verify button compares with its replay.
    let backend = fairshare_ops::backend::Backend::parse(&book.url).expect("the book's URL");
    let store = backend
        .open_store(fairshare_ops::backend::Access::Existing)
        .expect("open store");
    let snapshotted = fairshare_book::Book::open(store)
        .expect("open the book")
        .snapshot()
        .expect("write a snapshot");
    assert_eq!(snapshotted.seq, 60);
    let server = TestServer::start(&book.url);
    let base = &server.base;
    // marie's events: she is added, logs work, gives points (luc records it) and receives
    // steward points (newest first).
    assert_eq!(
        said_in(&page_of(base, "", "/log?agent=marie")),
        [
            "luc gave marie 10 steward points on forillon: kept the trail map",
            "marie gave 30 points to abran in round 1 (recorded by luc)",
            "marie logged 10 h of engineering on forillon (recorded by operator)",
            "operator added marie as an affiliate",
        ]
    );
    // luc's events on forillon: his work, then what he did as its custodian.
    let luc = said_in(&page_of(base, "", "/log?agent=luc&project=forillon"));
    assert_eq!(luc.len(), 11, "{luc:?}");
    assert_eq!(
        luc.first().map(String::as_str),
        Some("luc opened a peer round on forillon with 100 points for each giver")
    );
    assert_eq!(
        luc.last().map(String::as_str),
        Some("luc logged 2 h of engineering on forillon (recorded by operator)")
    );
    assert_eq!(
        said_in(&page_of(base, "", "/log?kind=revenue")),
        ["luc recorded 1000.00 CAD of revenue on forillon from Parks Canada"]
    );
    // Without JavaScript the verify button reloads the page with the answer.
    let verified = page_of(base, "", "/log?verify=1");
    assert_eq!(
        text_of(&verified, "verify-ok"),
        "The log is sound: 60 events checked, every hash and every outcome recomputed; head "
    );
    assert_eq!(
        text_of(&verified, "verify-snapshots"),
        "Snapshots at events 60 match the replay."
    );
    // 50 events a page, newest first; the next page starts before the last one shown.
    let newest = said_in(&verified);
    assert_eq!(newest.len(), 50);
    assert!(verified.contains("<tr id=\"event-60\">") && verified.contains("<tr id=\"event-11\">"));
    assert!(!verified.contains("<tr id=\"event-10\">"));
    assert!(verified.contains("<a href=\"/log?before=11\" id=\"log-older\">"));
    let older = page_of(base, "", "/log?before=11");
    assert_eq!(said_in(&older).len(), 10);
    assert_eq!(
        said_in(&older).last().map(String::as_str),
        Some("operator added luc as a custodian")
    );
    assert!(!older.contains("id=\"log-older\""), "the log's start");
    assert!(older.contains("<a href=\"/log?before=61\" id=\"log-newest\">"));
    // Filters carry over to the older pages.
    assert_eq!(
        said_in(&page_of(base, "", "/log?agent=marie&before=9")),
        [
            "marie logged 10 h of engineering on forillon (recorded by operator)",
            "operator added marie as an affiliate",
        ]
    );
    server.stop().expect("server stops");
}

#[test]
fn a_private_network_shows_its_log_and_export_to_members_only() {
    let book = TestBook::sqlite();
    seed(&book);
    let server = TestServer::start_with(&book.url, |config| config.public = false);
    let base = &server.base;
    for path in [
        "/log",
        "/log/export?format=csv-balances",
        "/projects/forillon/peer",
    ] {
        let answer = http().get(format!("{base}{path}")).send().expect("get");
        assert_eq!(answer.status(), 303, "{path}");
        assert_eq!(answer.headers()["location"], "/login", "{path}");
    }
    let luc = log_in(base, "luc");
    let page = page_of(base, &luc, "/log");
    assert!(
        page.contains("href=\"/log/export?format=csv-balances\""),
        "a member's browser exports through the dashboard"
    );
    let export = http()
        .get(format!("{base}/log/export?format=csv-balances"))
        .header("cookie", &luc)
        .send()
        .expect("export");
    assert_eq!(export.status(), 200);
    assert_eq!(export.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = export.text().expect("csv");
    assert!(csv.contains("marie"), "{csv}");
    let api = http()
        .get(format!("{base}/api/v1/export?format=csv-balances"))
        .send()
        .expect("api export");
    assert_eq!(api.status(), 401, "the API still wants a key");
    server.stop().expect("server stops");
}
