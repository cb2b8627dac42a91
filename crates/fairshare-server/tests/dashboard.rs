//! The web dashboard in a real headless Chromium (WebDriver through chromedriver), and its
//! CSRF protection over plain HTTP.
//!
//! The browser test skips (with a line saying so) when `/usr/bin/chromium` or
//! `/usr/bin/chromedriver` is missing. With `FAIRSHARE_SCREENSHOTS=1` it saves screenshots of
//! the main pages under `docs/screenshots/`.

mod common;

use std::time::{Duration, Instant};

use common::browser::{Browser, browse};
use common::web::{
    PASSWORD, csrf_in, http, log_in, page_of, post_from, post_login, refusal, text_of,
};
use common::{TestBook, TestServer, seeded_server};
use fairshare_core::{Command, Date, Kind, Role};
use fantoccini::Locator;

/// forillon (approvals = 1, engineering at 45.00), a custodian, two affiliates, an observer,
/// each with a password; marie has 10 h approved, luc 300.00 of material in October.
fn seed(book: &TestBook) {
    book.setup(vec![
        Command::AddAgent {
            handle: "luc".into(),
            name: Some("Luc".into()),
            role: Role::Custodian,
        },
        Command::AddAgent {
            handle: "abran".into(),
            name: None,
            role: Role::Affiliate,
        },
        Command::AddAgent {
            handle: "marie".into(),
            name: None,
            role: Role::Affiliate,
        },
        Command::AddAgent {
            handle: "olga".into(),
            name: None,
            role: Role::Observer,
        },
        Command::AddProject {
            slug: "forillon".into(),
            name: Some("Forillon trail".into()),
            currency: "CAD".into(),
            exponent: 2,
            approvals: 1,
        },
        Command::set_rate("forillon", "engineering", "45.00"),
        Command::log_work("forillon", "marie", "engineering", "10"),
        Command::Approve { id: 1 },
        Command::Log {
            project: "forillon".into(),
            agent: "luc".into(),
            kind: Kind::Material,
            category: None,
            hours: None,
            amount: Some("300.00".into()),
            rate: None,
            value: None,
            date: Some(Date::from_ymd(2026, 10, 15).expect("date")),
            note: Some("trail markers".into()),
            gift: false,
            reimbursable: false,
        },
        Command::Approve { id: 2 },
    ]);
    for handle in ["luc", "abran", "marie", "olga"] {
        common::set_password(&book.url, handle, PASSWORD).expect("password");
    }
}

#[test]
fn a_contribution_goes_from_the_timer_to_a_statement_in_a_browser() {
    let book = TestBook::sqlite();
    seed(&book);
    add_ana_and_hall(&book);
    let server = TestServer::start(&book.url);
    browse(&server.base, |b| async move { story(&b).await });
    server.stop().expect("server stops");
}

/// Governance in the browser (issue 14): marie (an affiliate) proposes a rate change, she
/// and abran vote, luc closes it after the deadline and it takes effect after its notice;
/// the server is restarted at later fixed instants to move time.
#[test]
fn a_rate_change_is_proposed_voted_and_takes_effect_in_a_browser() {
    let book = TestBook::sqlite();
    common::web::governed_shop(&book);
    let url = book.url.clone();
    let server = common::web::server_at(&url, "2026-11-21T12:00:00Z");
    browse(&server.base.clone(), |b| async move {
        governance_story(b, server, url).await;
    });
}

/// The server on the same book at a later instant (started off the browser's thread).
async fn restart(server: TestServer, url: &str, at: &str) -> TestServer {
    let (url, at) = (url.to_string(), at.to_string());
    tokio::task::spawn_blocking(move || {
        drop(server);
        common::web::server_at(&url, &at)
    })
    .await
    .expect("restart")
}

async fn governance_story(mut b: Browser, server: TestServer, url: String) {
    b.log_in("marie").await;
    b.go("/projects/shop").await;
    b.submit("#proposals-link").await;
    // The rate's form is the one shown first; another kind's is a choice away.
    b.fill("#propose-title", "Raise wood").await;
    b.fill("#propose-set_rate-category", "wood").await;
    b.fill("#propose-set_rate-per_hour", "25.00").await;
    b.submit("#propose-submit").await;
    assert_eq!(b.path().await, "/projects/shop/proposals");
    b.fill("#vote-reason-proposal-1", "wood got dearer").await;
    b.submit("#vote-yes-proposal-1").await;
    assert_eq!(b.text("#my-vote-proposal-1").await, "yes");
    b.log_out().await;
    b.log_in("abran").await;
    b.go("/projects/shop/proposals").await;
    b.submit("#vote-yes-proposal-1").await;
    assert_eq!(
        b.text("#tally-proposal-1").await,
        "Yes 2 · No 0 · Abstain 0 of 2 eligible — quorum 50% met, threshold 66.67% met"
    );
    b.shot_desktop_and_phone("proposals").await;
    // Any other kind of change is a choice away: its form swapped in by htmx as it is
    // chosen (and without JavaScript, *Show its form* is a GET of the same page).
    b.select("#change-kind", "set_blend").await;
    b.wait_text("#propose-kind", "set blend").await;
    b.select("#change-kind", "create_token").await;
    b.submit("#change-choose").await;
    assert_eq!(b.path().await, "/projects/shop/proposals");
    assert_eq!(b.text("#propose-kind").await, "create token");
    assert_eq!(b.value("#propose-create_token-hatch-raised").await, "");
    b.shot_desktop_and_phone("propose").await;
    b.log_out().await;

    // After the deadline luc closes it: passed, and the project page gives notice.
    let server = restart(server, &url, "2026-11-28T12:00:01Z").await;
    b.base = server.base.clone();
    b.log_in("luc").await;
    b.go("/proposals/proposal-1").await;
    b.submit("#close-proposal-1").await;
    assert_eq!(b.text("#status-proposal-1").await, "passed");
    b.shot_desktop_and_phone("proposal").await;
    b.go("/projects/shop").await;
    let notice = b.text("#notice-proposal-1").await;
    assert!(
        notice.ends_with("takes effect at the end of its notice, 2026-12-01T12:00:01Z."),
        "{notice}"
    );
    let policy = b.text("#policy").await;
    assert!(policy.contains("valued at 20.00 CAD per hour"), "{policy}");
    b.shot_desktop_and_phone("project-notice").await;

    // After the notice the server's ticker enacts it.
    let server = restart(server, &url, "2026-12-01T12:00:02Z").await;
    b.base = server.base.clone();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        b.go("/projects/shop").await;
        if b.text("#policy")
            .await
            .contains("valued at 25.00 CAD per hour")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the rate change did not take effect"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        b.client
            .find(Locator::Css("#notice-proposal-1"))
            .await
            .is_err()
    );
    tokio::task::spawn_blocking(move || drop(server))
        .await
        .expect("stop");
}

/// The story of the test, in the browser.
async fn story(b: &Browser) {
    // The login page, then abran logs work with the timer.
    b.go("/login").await;
    b.shot_desktop_and_phone("login").await;
    b.log_in("abran").await;
    b.go("/projects/forillon").await;
    b.click("#timer-start").await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    b.click("#timer-stop").await;
    let timed = b.value("#work-hours").await;
    assert!(
        timed.parse::<f64>().is_ok(),
        "the timer filled the hours: {timed:?}"
    );
    b.fill("#work-hours", "3.5").await;
    b.fill("#work-category", "engineering").await;
    b.submit("#work-submit").await;
    assert_eq!(b.path().await, "/projects/forillon");
    let pending = b.text("#pending").await;
    assert!(
        pending.contains("abran") && pending.contains("3.5 h engineering"),
        "{pending}"
    );
    assert!(pending.contains("157.50 CAD"), "{pending}");
    // A refusal is shown next to the field, with the core's message.
    b.fill("#work-hours", "-2").await;
    b.fill("#work-category", "engineering").await;
    b.submit("#work-submit").await;
    let refusal = b.text("#work-hours-error").await;
    assert!(!refusal.is_empty(), "an error next to the hours field");
    // The same form sent twice (a double click, a retry after a timeout) carries the same
    // one-time key: one contribution is recorded, and both answers lead to the project page.
    b.go("/projects/forillon").await;
    b.fill("#work-hours", "1.25").await;
    b.fill("#work-category", "engineering").await;
    let answers = b
        .client
        .execute(
            "const form = document.querySelector('#work-form');
             const body = new URLSearchParams(new FormData(form));
             const send = () => fetch(form.action, {method: 'POST', body, redirect: 'manual'});
             const first = await send();
             const second = await send();
             return [first.type, second.type];",
            vec![],
        )
        .await
        .expect("two posts");
    assert_eq!(
        answers,
        serde_json::json!(["opaqueredirect", "opaqueredirect"])
    );
    b.go("/projects/forillon").await;
    let pending = b.text("#pending").await;
    assert_eq!(
        pending.matches("1.25 h engineering").count(),
        1,
        "a double submit records once: {pending}"
    );
    b.log_out().await;

    // marie approves it.
    b.log_in("marie").await;
    b.go("/projects/forillon").await;
    b.submit("#pending button[id^='approve-']").await;
    // The 1.25 h logged by the double submit is sent back.
    b.fill("#pending input[name='reason']", "logged to test the form")
        .await;
    b.submit("#pending button[id^='reject-']").await;
    assert!(b.text("#pending").await.contains("Nothing is waiting"));
    b.log_out().await;

    // luc records revenue; the statement has the exact amounts.
    b.log_in("luc").await;
    b.go("/projects/forillon").await;
    b.fill("#revenue-amount", "1000.00").await;
    b.fill("#revenue-from", "Parks Canada").await;
    b.submit("#revenue-submit").await;
    let source = b.source().await;
    assert!(
        source.contains("id=\"shares-chart\"><svg"),
        "the share chart is an svg"
    );
    // Also at a phone's width: the charts scale down.
    b.shot_desktop_and_phone("project").await;
    b.submit("#statement-1").await;
    assert_eq!(b.path().await, "/distributions/1");
    assert!(b.text("#statement-amount").await.contains("1000.00 CAD"));
    let payouts = b.text("#payouts").await;
    // 157.50 : 450.00 : 300.00 of 1000.00 by largest remainder.
    assert!(payouts.contains("abran 173.55"), "{payouts}");
    assert!(payouts.contains("luc 330.58"), "{payouts}");
    assert!(payouts.contains("marie 495.87"), "{payouts}");
    b.shot_desktop_and_phone("statement").await;
    b.go("/").await;
    assert!(b.text("main").await.contains("Forillon trail"));
    b.shot_desktop_and_phone("overview").await;
    b.log_out().await;

    // abran sees the payout on their page.
    b.log_in("abran").await;
    let mine = b.text("main").await;
    assert!(
        mine.contains("173.55 CAD") && mine.contains("approved"),
        "{mine}"
    );
    b.shot_desktop_and_phone("me").await;
    // What would abran get from another 1000.00 (issue 15)? Live with htmx as it is typed:
    // the same split as the statement, 173.55.
    b.fill("#estimate-revenue", "1000.00").await;
    let live = b.wait_text("#estimate-result", "173.55 CAD").await;
    assert!(
        live.contains("abran would receive 173.55 CAD of 1000.00 CAD now"),
        "{live}"
    );
    assert_eq!(b.path().await, "/me", "htmx answered in place");
    // Without JavaScript the GET form reloads the page with the answer: with 2 more hours
    // of engineering (90.00 more value), 100000 cents split 247.50 : 300 : 450 gives abran
    // 24812 (marie's larger remainder takes the odd cent).
    b.go("/me?project=forillon&revenue=1000.00&hours=2&category=engineering")
        .await;
    let with = b.text("#estimate-with").await;
    assert!(
        with.contains("248.12 CAD") && with.contains("74.57 more"),
        "{with}"
    );
    b.shot_desktop_and_phone("estimate").await;
    b.log_out().await;

    // An observer sees no write form.
    b.log_in("olga").await;
    b.go("/projects/forillon").await;
    let forms = b
        .client
        .find_all(Locator::Css("main form[method='post']"))
        .await
        .expect("forms");
    assert!(forms.is_empty(), "an observer sees {} forms", forms.len());
    // An observer may still ask what a revenue would pay (a GET form, recording nothing):
    // olga logged nothing, so 0.00.
    b.fill("#estimate-revenue", "10.00").await;
    b.wait_text("#estimate-now", "0.00 CAD").await;
    b.log_out().await;

    treasury_story(b).await;
    membership_story(b).await;
    timesheet_story(b).await;
}

/// A timesheet pasted on `/me`: abran checks it, logs it, and sends the same rows again; each
/// row is logged once.
async fn timesheet_story(b: &Browser) {
    let csv = "date,person,project,hours,category,note\n\
               2026-10-20,abran,forillon,2,engineering,trail survey\n\
               2026-10-21,abran,forillon,1.5,engineering,\n";
    let send = |dry_run: bool| async move {
        b.go("/me").await;
        b.select("#timesheet-layout", "csv").await;
        b.fill("#timesheet-csv", csv).await;
        if dry_run {
            b.click("#timesheet-dry-run").await;
        }
        b.submit("#timesheet-submit").await;
        assert_eq!(b.path().await, "/me/timesheet");
        b.text("#timesheet-summary").await
    };
    b.log_in("abran").await;
    assert_eq!(
        send(true).await,
        "Checked 2 rows: 2 would be logged, 0 already there. Nothing was written."
    );
    assert_eq!(
        send(false).await,
        "Logged 2 rows, 0 already there (2 rows, as abran)."
    );
    let totals = b.text("#timesheet-totals tbody").await;
    assert!(
        totals.contains("3.5") && totals.contains("157.50 CAD"),
        "{totals}"
    );
    let violations = b.axe_violations().await;
    assert!(violations.is_empty(), "/me/timesheet: {violations:?}");
    assert_eq!(
        send(false).await,
        "Logged 0 rows, 2 already there (2 rows, as abran)."
    );
    // A row of someone else's is refused beside the form, and nothing is logged.
    b.go("/me").await;
    b.select("#timesheet-layout", "csv").await;
    b.fill("#timesheet-csv", &csv.replace(",abran,", ",marie,"))
        .await;
    b.submit("#timesheet-submit").await;
    assert_eq!(
        b.text("#timesheet-error").await,
        "line 2: abran is an affiliate and may log only their own contributions, not marie's"
    );
    b.log_out().await;
}

/// Joining in the browser (issue 14): a visitor asks to join from the public form, luc admits
/// them from the members page and makes marie a custodian.
async fn membership_story(b: &Browser) {
    b.go("/").await;
    b.submit("#nav-join").await;
    b.fill("#join-handle", "zoe").await;
    b.fill("#join-name", "Zoé Tremblay").await;
    b.fill("#join-about", "I build boat hulls").await;
    b.shot_desktop_and_phone("join").await;
    b.submit("#join-submit").await;
    let joined = b.text("#joined").await;
    assert!(
        joined.starts_with("Your request to join as zoe is recorded") && joined.contains("pending"),
        "{joined}"
    );

    b.log_in("luc").await;
    b.submit("#nav-membership").await;
    assert_eq!(b.path().await, "/membership");
    let request = b.text("#join-zoe").await;
    assert!(
        request.contains("Zoé Tremblay") && request.contains("I build boat hulls"),
        "{request}"
    );
    b.shot_desktop_and_phone("membership").await;
    b.submit("#admit-zoe").await;
    assert!(b.text("#agent-zoe").await.contains("affiliate"));
    b.client
        .find(Locator::Css("#role-marie"))
        .await
        .expect("role selector")
        .select_by_value("custodian")
        .await
        .expect("select");
    b.submit("#set-role-marie").await;
    assert_eq!(b.text("#agent-marie .role").await, "custodian");
    b.log_out().await;
}

/// The treasury in the browser (issue 13): marie requests a payout from her page, luc submits
/// an expense, ana (another custodian) approves both; the balances show the exact amounts.
async fn treasury_story(b: &Browser) {
    // marie holds 495.87 CAD from the statement and asks for 200.00 of it.
    b.log_in("marie").await;
    let balance = b.text("#my-balance").await;
    assert!(balance.contains("495.87 CAD"), "{balance}");
    b.fill("#payout-amount", "200.00").await;
    b.fill("#payout-reference", "bank-7731").await;
    b.submit("#payout-submit").await;
    assert_eq!(b.path().await, "/me");
    let asked = b.text("#my-payout-payout-1").await;
    assert!(
        asked.contains("200.00 CAD") && asked.contains("pending"),
        "{asked}"
    );
    // More than is left is refused beside the amount.
    b.fill("#payout-amount", "295.88").await;
    b.fill("#payout-reference", "bank-7732").await;
    b.submit("#payout-submit").await;
    assert_eq!(
        b.text("#payout-amount-error").await,
        "marie holds 495.87 CAD of which 200.00 CAD is already requested: 295.88 CAD would overdraw it"
    );
    b.log_out().await;

    // luc records hall's revenue, then submits an expense from its unallocated account.
    b.log_in("luc").await;
    b.go("/projects/hall").await;
    b.fill("#revenue-amount", "500.00").await;
    b.fill("#revenue-from", "hall rental").await;
    b.submit("#revenue-submit").await;
    b.submit("#nav-treasury").await;
    assert_eq!(b.path().await, "/treasury");
    b.fill("#expense-account", "hall-unallocated").await;
    b.fill("#expense-amount", "120.00").await;
    b.fill("#expense-for", "paint").await;
    b.fill("#expense-receipt", "https://receipts.example/42")
        .await;
    b.submit("#expense-submit").await;
    assert_eq!(b.path().await, "/treasury");
    let expense = b.text("#expense-expense-1").await;
    assert!(
        expense.contains("120.00 CAD") && expense.contains("0 of 1") && expense.contains("pending"),
        "{expense}"
    );
    // luc may review marie's payout, not his own expense.
    assert!(
        b.client
            .find(Locator::Css("#approve-payout-payout-1"))
            .await
            .is_ok()
    );
    assert!(
        b.client
            .find(Locator::Css("#approve-expense-expense-1"))
            .await
            .is_err()
    );
    b.log_out().await;

    // ana approves both.
    b.log_in("ana").await;
    b.submit("#nav-treasury").await;
    b.submit("#approve-payout-payout-1").await;
    b.submit("#approve-expense-expense-1").await;
    let payout = b.text("#payout-payout-1").await;
    assert!(
        payout.contains("paid by ana") && payout.contains("295.87 CAD"),
        "{payout}"
    );
    let expense = b.text("#expense-expense-1").await;
    assert!(
        expense.contains("1 of 1") && expense.contains("paid") && expense.contains("380.00 CAD"),
        "{expense}"
    );
    b.shot_desktop_and_phone("treasury").await;
    b.log_out().await;

    // marie's page shows what is left.
    b.log_in("marie").await;
    assert!(b.text("#my-balance").await.contains("295.87 CAD"));
    assert!(b.text("#my-payout-payout-1").await.contains("paid by ana"));
    b.log_out().await;
}

// ---------------------------------------------------------------------------------------------
// CSRF over plain HTTP

/// The forillon project page as the session's agent sees it.
fn forillon_page(base: &str, session: &str) -> String {
    page_of(base, session, "/projects/forillon")
}

/// Posts a form of the forillon page with the session's CSRF token.
fn post_form(
    base: &str,
    session: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::blocking::Response {
    post_from(base, session, "/projects/forillon", path, fields)
}

/// luc (custodian) sets forillon's approvals from 1 to 2 with the project page's form; the
/// page states the new rule; a refusal is shown beside the field; abran (affiliate) is
/// refused and nothing is recorded.
#[test]
fn a_custodian_sets_the_approvals_from_the_project_page() {
    let (_book, server) = seeded_server(seed);
    let base = &server.base;
    let api = server.api(None);
    let luc = log_in(base, "luc");
    let page = forillon_page(base, &luc);
    assert!(page.contains("id=\"approvals-form\""), "{page}");
    assert!(page.contains("id=\"approvals-count\" inputmode=\"numeric\" value=\"1\""));
    let events = api.head();

    let refused = post_form(
        base,
        &luc,
        "/projects/forillon/approvals",
        &[
            ("idempotency_key", "form-approvals-0"),
            ("approvals", "101"),
        ],
    );
    assert_eq!(refused.status(), 422);
    let html = refused.text().expect("html");
    assert!(
        html.contains("value=\"101\""),
        "what was typed is kept: {html}"
    );
    assert_eq!(
        text_of(&html, "approvals-count-error"),
        "at most 100 approvals may be required"
    );
    assert_eq!(api.head(), events);

    let abran = log_in(base, "abran");
    let answer = post_form(
        base,
        &abran,
        "/projects/forillon/approvals",
        &[("idempotency_key", "form-approvals-1"), ("approvals", "2")],
    );
    assert_eq!(answer.status(), 403);
    assert!(!forillon_page(base, &abran).contains("id=\"approvals-form\""));
    assert_eq!(api.head(), events);

    let answer = post_form(
        base,
        &luc,
        "/projects/forillon/approvals",
        &[("idempotency_key", "form-approvals-2"), ("approvals", "2")],
    );
    assert_eq!(answer.status(), 303);
    assert_eq!(api.head(), events + 1);
    let page = forillon_page(base, &luc);
    assert!(
        page.contains("A contribution counts once 2 other member(s) approved it."),
        "{page}"
    );
    assert!(page.contains("id=\"approvals-count\" inputmode=\"numeric\" value=\"2\""));
}

#[test]
fn every_post_needs_the_session_csrf_token() {
    TestBook::each("every_post_needs_the_session_csrf_token", csrf_is_checked);
}

fn csrf_is_checked(book: &TestBook) {
    seed(book);
    let server = TestServer::start(&book.url);
    let base = &server.base;
    let log = format!("{base}/projects/forillon/log");
    let work = [
        ("kind", "work"),
        ("category", "engineering"),
        ("hours", "2"),
    ];

    // No session at all.
    let answer = http().post(&log).form(&work).send().expect("post");
    assert_eq!(answer.status(), 403);
    // A login without the form's cookie.
    let answer = http()
        .post(format!("{base}/login"))
        .form(&[("csrf", "x"), ("handle", "abran"), ("password", PASSWORD)])
        .send()
        .expect("post");
    assert_eq!(answer.status(), 403);
    // A wrong password.
    let answer = post_login(base, "abran", "wrong one!");
    assert_eq!(answer.status(), 401);

    let session = log_in(base, "abran");
    let page = http()
        .get(format!("{base}/projects/forillon"))
        .header("cookie", &session)
        .send()
        .expect("page");
    let token = csrf_in(&page.text().expect("html"));
    let events = server.api(None).head();
    // Without the token, and with a wrong one: 403, nothing recorded.
    for fields in [
        work.to_vec(),
        [work.as_slice(), &[("csrf", "not-the-token")]].concat(),
    ] {
        let answer = http()
            .post(&log)
            .header("cookie", &session)
            .form(&fields)
            .send()
            .expect("post");
        assert_eq!(answer.status(), 403);
        assert!(answer.text().expect("html").contains("CSRF"));
    }
    // The logout form is protected too.
    let answer = http()
        .post(format!("{base}/logout"))
        .header("cookie", &session)
        .send()
        .expect("post");
    assert_eq!(answer.status(), 403);
    assert_eq!(server.api(None).head(), events);
    // With the token: recorded, and back to the project page.
    let answer = http()
        .post(&log)
        .header("cookie", &session)
        .form(&[work.as_slice(), &[("csrf", token.as_str())]].concat())
        .send()
        .expect("post");
    assert_eq!(answer.status(), 303);
    assert_eq!(answer.headers()["location"], "/projects/forillon");
    assert_eq!(server.api(None).head(), events + 1);
    // A refusal from the core is shown with the API's message, at the field.
    let answer = http()
        .post(&log)
        .header("cookie", &session)
        .form(&[
            ("kind", "cash"),
            ("amount", "1.005"),
            ("csrf", token.as_str()),
        ])
        .send()
        .expect("post");
    assert_eq!(answer.status(), 422);
    let html = answer.text().expect("html");
    assert!(
        html.contains("id=\"cash-amount-error\">amount &#34;1.005&#34; has 3 decimals")
            || html.contains("id=\"cash-amount-error\">amount &quot;1.005&quot; has 3 decimals"),
        "{}",
        &html[html.find("cash-amount-error").unwrap_or(0)..][..200]
    );
    // A review's `back` may only lead to a page of this site: `/\evil.example` is what
    // browsers read as another host, so it is replaced by the project page.
    let pending = server
        .api(None)
        .get("/api/v1/projects/forillon/contributions?status=pending")
        .expect(200)
        .body;
    let id = pending["contributions"][0]["id"]
        .as_u64()
        .expect("a pending contribution");
    let marie = log_in(base, "marie");
    let page = http()
        .get(format!("{base}/projects/forillon"))
        .header("cookie", &marie)
        .send()
        .expect("page");
    let marie_token = csrf_in(&page.text().expect("html"));
    let answer = http()
        .post(format!("{base}/contributions/{id}/approve"))
        .header("cookie", &marie)
        .form(&[
            ("csrf", marie_token.as_str()),
            ("back", "/\\evil.example/x"),
        ])
        .send()
        .expect("post");
    assert_eq!(answer.status(), 303);
    assert_eq!(answer.headers()["location"], "/projects/forillon");
    // Logging out ends the session.
    let answer = http()
        .post(format!("{base}/logout"))
        .header("cookie", &session)
        .form(&[("csrf", token.as_str())])
        .send()
        .expect("post");
    assert_eq!(answer.status(), 303);
    let me = http()
        .get(format!("{base}/me"))
        .header("cookie", &session)
        .send()
        .expect("get");
    assert_eq!(me.status(), 303);
}

#[test]
fn a_private_network_sends_readers_to_the_login_page_and_serves_its_assets() {
    let book = TestBook::sqlite();
    seed(&book);
    let server = TestServer::start_with(&book.url, |c| c.public = false);
    let base = &server.base;
    for page in ["/", "/projects/forillon", "/distributions/1"] {
        let answer = http().get(format!("{base}{page}")).send().expect("get");
        assert_eq!(answer.status(), 303, "{page}");
        assert_eq!(answer.headers()["location"], "/login");
    }
    let session = log_in(base, "olga");
    let answer = http()
        .get(format!("{base}/"))
        .header("cookie", &session)
        .send()
        .expect("get");
    assert_eq!(answer.status(), 200);
    // A member's page: the security headers, and never cached.
    let header = |name: &str| answer.headers()[name].to_str().expect("ascii").to_string();
    assert!(header("content-security-policy").contains("script-src 'self'"));
    assert!(!header("content-security-policy").contains("unsafe-inline"));
    assert_eq!(header("x-frame-options"), "DENY");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("referrer-policy"), "strict-origin-when-cross-origin");
    assert_eq!(header("cache-control"), "private, no-store");
    let html = answer.text().expect("html");
    assert!(html.contains("Forillon trail") && html.contains("olga"));
    // The login page, before any session, has them too (and may be cached by nobody else).
    let login = http().get(format!("{base}/login")).send().expect("get");
    assert_eq!(login.headers()["x-frame-options"], "DENY");
    let js = http()
        .get(format!("{base}/static/htmx.min.js"))
        .send()
        .expect("get");
    assert_eq!(js.status(), 200);
    assert!(common::header(&js, "cache-control").contains("max-age=31536000"));
    assert!(js.text().expect("js").len() > 40_000);
}

/// The campaign and resource-use forms post the API's requests (`OpenCampaign`,
/// `UseResource`) under their one-time key; a refusal is shown beside the field it is about.
#[test]
fn the_campaign_and_use_forms_post_the_api_requests() {
    let book = TestBook::sqlite();
    seed(&book);
    book.setup(vec![
        Command::AddResource {
            name: "printer".into(),
            project: "forillon".into(),
            owner: None,
            value: None,
        },
        Command::SetFees {
            resource: "printer".into(),
            per_hour: "10.00".into(),
            material_per_unit: Some("0.50".into()),
            technician_per_hour: None,
            community_per_hour: None,
            split: vec![fairshare_core::SplitShare {
                to: "maintenance".into(),
                percent: 100.into(),
            }],
            material_to: None,
            after_payback: None,
            community_roles: Vec::new(),
        },
    ]);
    let server = TestServer::start(&book.url);
    let base = &server.base;
    let api = server.api(None);
    let post =
        |session: &str, path: &str, fields: &[(&str, &str)]| post_form(base, session, path, fields);

    let luc = log_in(base, "luc");
    let opened = post(
        &luc,
        "/projects/forillon/campaign",
        &[
            ("idempotency_key", "form-campaign-1"),
            ("id", "bench-fund"),
            ("target", "250.00"),
            ("purpose", ""),
        ],
    );
    assert_eq!(opened.status(), 303);
    let campaign = api.get("/api/v1/campaigns/bench-fund").expect(200).body;
    assert_eq!(campaign["project"], "forillon");
    assert_eq!(campaign["target"], "250.00");
    assert_eq!(campaign["purpose"], serde_json::Value::Null);

    // An affiliate posting the form logs their own use (the agent field left empty); a double
    // submit of the same form records once.
    let abran = log_in(base, "abran");
    let use_form = [
        ("idempotency_key", "form-use-1"),
        ("resource", "printer"),
        ("agent", ""),
        ("hours", "1.5"),
        ("material_units", "4"),
    ];
    let events = api.head();
    for _ in 0..2 {
        let used = post(&abran, "/projects/forillon/use", &use_form);
        assert_eq!(used.status(), 303);
        assert_eq!(used.headers()["location"], "/projects/forillon");
    }
    assert_eq!(api.head(), events + 1);
    let printer = api.get("/api/v1/resources/printer").expect(200).body;
    assert_eq!(printer["uses"], 1);
    assert_eq!(printer["history"][0]["agent"], "abran");
    assert_eq!(printer["history"][0]["fee"], "17.00");

    // An unknown resource is refused beside the resource field (of the custodians' form),
    // with what was typed.
    let refused = post(
        &luc,
        "/projects/forillon/use",
        &[
            ("idempotency_key", "form-use-2"),
            ("resource", "lathe"),
            ("hours", "1"),
        ],
    );
    assert_eq!(refused.status(), 404);
    let html = refused.text().expect("html");
    assert!(
        html.contains("<span class=\"error\">unknown resource &#34;lathe&#34;</span>")
            || html.contains("<span class=\"error\">unknown resource &quot;lathe&quot;</span>"),
        "{}",
        &html[html.find("use-form").unwrap_or(0)..]
    );
    assert!(html.contains("value=\"lathe\""));

    // A custodian keeps the printer's community list from the same page: add, then remove.
    let listed = post(
        &luc,
        "/projects/forillon/community",
        &[
            ("idempotency_key", "form-community-1"),
            ("resource", "printer"),
            ("agent", "abran"),
        ],
    );
    assert_eq!(listed.status(), 303);
    let printer = api.get("/api/v1/resources/printer").expect(200).body;
    assert_eq!(printer["community"], serde_json::json!(["abran"]));
    let removed = post(
        &luc,
        "/projects/forillon/community/remove",
        &[
            ("idempotency_key", "form-community-2"),
            ("resource", "printer"),
            ("agent", "abran"),
        ],
    );
    assert_eq!(removed.status(), 303);
    let printer = api.get("/api/v1/resources/printer").expect(200).body;
    assert_eq!(printer["community"], serde_json::json!([]));
}

// ---------------------------------------------------------------------------------------------
// The report page (issue 15)

/// The seed's forillon (marie's 450.00 of engineering, luc's 300.00 of material) with 2 h of
/// abran's waiting for approval: the printable report, whole and for a period.
#[test]
fn the_project_report_is_a_printable_page_with_exact_figures() {
    let book = TestBook::sqlite();
    seed(&book);
    book.setup(vec![Command::log_work(
        "forillon",
        "abran",
        "engineering",
        "2",
    )]);
    let server = TestServer::start(&book.url);
    let base = server.base.clone();
    let marie = log_in(&base, "marie");
    let page = page_of(&base, &marie, "/projects/forillon/report");
    assert_eq!(text_of(&page, "report-counted"), "750.00");
    assert_eq!(text_of(&page, "report-distributed"), "0.00 CAD");
    for row in [
        "<td>material</td><td></td><td class=\"num\">1</td><td class=\"num\">300.00</td><td class=\"num\">0.00</td>",
        "<td>work</td><td>engineering</td><td class=\"num\">2</td><td class=\"num\">450.00</td><td class=\"num\">90.00</td>",
        "<td>marie</td><td class=\"num\">450.00</td><td class=\"num\">0.6</td>",
        "<td>luc</td><td class=\"num\">300.00</td><td class=\"num\">0.4</td>",
        "<td>abran</td><td>work</td><td class=\"num\">90.00</td>",
    ] {
        assert!(page.contains(row), "{row} in {page}");
    }
    // The print style sheet hides the navigation and the forms.
    let css = http()
        .get(format!("{base}/static/style.css"))
        .send()
        .expect("css")
        .text()
        .expect("css");
    assert!(css.contains("@media print"), "print CSS");
    // October only: luc's material.
    let october = page_of(
        &base,
        &marie,
        "/projects/forillon/report?from=2026-10-01&to=2026-10-31",
    );
    assert_eq!(text_of(&october, "report-counted"), "300.00");
    // The project page links to it.
    assert!(
        page_of(&base, &marie, "/projects/forillon").contains("href=\"/projects/forillon/report\"")
    );
    server.stop().expect("server stops");
}

// ---------------------------------------------------------------------------------------------
// The treasury's forms

/// The seed, a second custodian (ana) and revenue: marie holds 600.00 CAD (450.00 of 750.00
/// counted), luc 400.00; `hall` (no contribution) has 500.00 CAD in `hall-unallocated`; `shop`
/// counts in USD.
fn seed_treasury(book: &TestBook) {
    seed(book);
    add_ana_and_hall(book);
    book.setup(vec![
        Command::AddProject {
            slug: "shop".into(),
            name: None,
            currency: "USD".into(),
            exponent: 2,
            approvals: 1,
        },
        Command::Revenue {
            project: "forillon".into(),
            amount: "1000.00".into(),
            from: None,
        },
        Command::Revenue {
            project: "hall".into(),
            amount: "500.00".into(),
            from: None,
        },
    ]);
}

/// A second custodian, ana (with a password), and a project `hall` (CAD, one approval)
/// without contributions: its revenue stays in `hall-unallocated`.
fn add_ana_and_hall(book: &TestBook) {
    book.setup(vec![
        Command::AddAgent {
            handle: "ana".into(),
            name: None,
            role: Role::Custodian,
        },
        Command::AddProject {
            slug: "hall".into(),
            name: None,
            currency: "CAD".into(),
            exponent: 2,
            approvals: 1,
        },
    ]);
    common::set_password(&book.url, "ana", PASSWORD).expect("password");
}

/// `/me` lists a member's newest contributions, at most 50 and newest first, and says where
/// the rest are: a long history is neither read whole nor sent.
#[test]
fn my_page_lists_the_newest_fifty_contributions_of_a_long_history() {
    let (_book, server) = seeded_server(|book| {
        let mut commands = vec![
            Command::add_agent("marie", Role::Affiliate),
            Command::add_project("shop", "CAD", 2),
            Command::set_rate("shop", "wood", "20.00"),
        ];
        commands.extend((0..55).map(|_| Command::log_work("shop", "marie", "wood", "1")));
        book.setup(commands);
        common::set_password(&book.url, "marie", PASSWORD).expect("password");
    });
    let me = page_of(&server.base, &log_in(&server.base, "marie"), "/me");
    let table = &me[me.find("id=\"my-contributions\"").expect("table")..];
    let table = &table[..table.find("</table>").expect("end")];
    let ids: Vec<&str> = table
        .split("<tr><td class=\"num\">")
        .skip(1)
        .map(|row| row.split('<').next().unwrap_or_default())
        .collect();
    let newest: Vec<String> = (6..=55).rev().map(|id| id.to_string()).collect();
    assert_eq!(ids, newest, "the newest 50, newest first");
    assert!(me.contains("id=\"my-contributions-more\""), "{me}");
    assert!(!me.contains("id=\"my-payouts-more\""), "no payout yet");
}

/// A member requests a payout from /me, a custodian submits an expense, another custodian
/// approves both from /treasury; each refusal is shown on the page of its form with the
/// core's message, and nothing is recorded.
#[test]
fn the_treasury_forms_post_the_api_requests() {
    let (_book, server) = seeded_server(seed_treasury);
    let base = &server.base;
    let api = server.api(None);
    let marie = log_in(base, "marie");
    let luc = log_in(base, "luc");
    let ana = log_in(base, "ana");
    let abran = log_in(base, "abran");
    let olga = log_in(base, "olga");
    let balance = |account: &str| {
        api.get(&format!("/api/v1/balances/{account}"))
            .expect(200)
            .body["balances"][account]
            .clone()
    };

    // marie requests a payout from her page (a double submit records once).
    let me = page_of(base, &marie, "/me");
    assert!(me.contains("<li>600.00 CAD</li>"), "{me}");
    assert!(me.contains("id=\"nav-treasury\""));
    let payout = [
        ("idempotency_key", "form-payout-1"),
        ("amount", "250.00"),
        ("asset", ""),
        ("reference", "bank-7731"),
    ];
    let events = api.head();
    for _ in 0..2 {
        let asked = post_from(base, &marie, "/me", "/me/payout", &payout);
        assert_eq!(asked.status(), 303);
        assert_eq!(asked.headers()["location"], "/me");
    }
    assert_eq!(api.head(), events + 1);
    let me = page_of(base, &marie, "/me");
    assert_eq!(
        text_of(&me, "my-payout-payout-1"),
        "",
        "the row is there: {me}"
    );
    assert!(me.contains("<td class=\"num\">250.00 CAD</td><td>bank-7731</td><td class=\"status-pending\">pending</td>"), "{me}");

    // Refusals are shown on /me, beside the field, with what was typed; nothing is recorded.
    let events = api.head();
    let refused = post_from(
        base,
        &marie,
        "/me",
        "/me/payout",
        &[
            ("idempotency_key", "form-payout-2"),
            ("amount", "350.01"),
            ("reference", "bank-7732"),
        ],
    );
    assert_eq!(refused.status(), 422);
    let html = refused.text().expect("html");
    assert_eq!(
        text_of(&html, "payout-amount-error"),
        "marie holds 600.00 CAD of which 250.00 CAD is already requested: 350.01 CAD would overdraw it"
    );
    assert!(html.contains("value=\"350.01\"") && html.contains("value=\"bank-7732\""));
    assert!(html.contains("<h1>marie"), "the refusal is shown on /me");
    let observer = post_from(
        base,
        &olga,
        "/",
        "/me/payout",
        &[("amount", "1.00"), ("reference", "b")],
    );
    assert_eq!(
        refusal(observer, 403, "payout-error"),
        "olga is an observer: observers read but do not request payouts"
    );
    assert!(!page_of(base, &olga, "/me").contains("id=\"payout-form\""));
    assert_eq!(api.head(), events);

    // luc submits an expense from the treasury page; a refusal names its field.
    let treasury = page_of(base, &luc, "/treasury");
    assert!(treasury.contains("id=\"expense-form\"") && treasury.contains("id=\"transfer-form\""));
    let refused = post_from(
        base,
        &luc,
        "/treasury",
        "/treasury/expense",
        &[("account", "marie"), ("amount", "1.00"), ("for", "x")],
    );
    assert_eq!(
        refusal(refused, 422, "expense-account-error"),
        "marie is an agent&#39;s balance: agents are paid out by `payout`, not from a virtual account"
    );
    let submitted = post_from(
        base,
        &luc,
        "/treasury",
        "/treasury/expense",
        &[
            ("idempotency_key", "form-expense-1"),
            ("account", "hall-unallocated"),
            ("amount", "120.00"),
            ("asset", "CAD"),
            ("for", "paint"),
            ("payee", ""),
            ("receipt", "https://receipts.example/42"),
        ],
    );
    assert_eq!(submitted.status(), 303);
    assert_eq!(submitted.headers()["location"], "/treasury");
    assert_eq!(api.head(), events + 1);

    // luc sees the payout's buttons but not his own expense's; approving it anyway is
    // refused on the treasury page with the core's message.
    let treasury = page_of(base, &luc, "/treasury");
    assert!(treasury.contains("id=\"approve-payout-payout-1\""));
    assert!(!treasury.contains("id=\"approve-expense-expense-1\""));
    let own = post_from(base, &luc, "/treasury", "/expenses/expense-1/approve", &[]);
    assert_eq!(
        refusal(own, 403, "expense-review-error"),
        "luc may not approve expense expense-1: it must be reviewed by a custodian other than the submitter and the payee"
    );
    // An affiliate sees the expense form only, and no review button.
    let seen = page_of(base, &abran, "/treasury");
    assert!(seen.contains("id=\"expense-form\"") && !seen.contains("id=\"transfer-form\""));
    assert!(!seen.contains("id=\"approve-payout-payout-1\""));
    let transfer = post_from(
        base,
        &abran,
        "/treasury",
        "/treasury/transfer",
        &[
            ("from", "infra"),
            ("to", "commons"),
            ("amount", "1.00"),
            ("reason", "x"),
        ],
    );
    assert_eq!(
        refusal(transfer, 403, "transfer-error"),
        "only custodians may transfer money between accounts; this agent is an affiliate"
    );
    assert_eq!(api.head(), events + 1);

    // ana approves both: the money moves, to the cent.
    for action in ["/payouts/payout-1/approve", "/expenses/expense-1/approve"] {
        let approved = post_from(base, &ana, "/treasury", action, &[]);
        assert_eq!(approved.status(), 303, "{action}");
        assert_eq!(approved.headers()["location"], "/treasury");
    }
    assert_eq!(balance("marie"), serde_json::json!({"CAD": "350.00"}));
    assert_eq!(
        balance("hall-unallocated"),
        serde_json::json!({"CAD": "380.00"})
    );
    let treasury = page_of(base, &ana, "/treasury");
    assert!(
        treasury.contains(
            "<td class=\"status-paid\">paid by ana</td><td class=\"num\">350.00 CAD</td>"
        ),
        "{treasury}"
    );
    assert!(
        treasury.contains(
            "<td>1 of 1</td>\n<td class=\"status-paid\">paid</td><td class=\"num\">380.00 CAD</td>"
        ),
        "{treasury}"
    );
    assert!(!treasury.contains("id=\"approve-"));
    let me = page_of(base, &marie, "/me");
    assert!(me.contains("<li>350.00 CAD</li>"), "{me}");
    assert!(
        me.contains("<td class=\"status-paid\">paid by ana</td>"),
        "{me}"
    );

    // A transfer and an exchange by a custodian; a refusal beside the rate.
    let moved = post_from(
        base,
        &ana,
        "/treasury",
        "/treasury/transfer",
        &[
            ("from", "hall-unallocated"),
            ("to", "infra"),
            ("amount", "80.00"),
            ("asset", ""),
            ("reason", "hosting fund"),
        ],
    );
    assert_eq!(moved.status(), 303);
    assert_eq!(balance("infra"), serde_json::json!({"CAD": "80.00"}));
    let exchange = |rate: &str| {
        post_from(
            base,
            &ana,
            "/treasury",
            "/treasury/exchange",
            &[
                ("account", "infra"),
                ("amount", "10.00"),
                ("from_asset", "CAD"),
                ("to_asset", "USD"),
                ("rate", rate),
                ("reference", "fx-1"),
            ],
        )
    };
    let refused = exchange("-1");
    assert_eq!(refused.status(), 422);
    let html = refused.text().expect("html");
    assert_eq!(
        text_of(&html, "exchange-rate-error"),
        "rate -1 must be greater than zero"
    );
    assert!(html.contains("value=\"fx-1\""));
    assert_eq!(exchange("0.7321").status(), 303);
    assert_eq!(
        balance("infra"),
        serde_json::json!({"CAD": "70.00", "USD": "7.32"})
    );

    // A payout rejected with a reason; without one, the refusal is shown by the buttons.
    let asked = post_from(
        base,
        &marie,
        "/me",
        "/me/payout",
        &[("amount", "10.00"), ("reference", "bank-7733")],
    );
    assert_eq!(asked.status(), 303);
    let events = api.head();
    let bare = post_from(
        base,
        &ana,
        "/treasury",
        "/payouts/payout-2/reject",
        &[("reason", " ")],
    );
    assert_eq!(
        refusal(bare, 400, "payout-review-error"),
        "malformed form: missing field `reason`"
    );
    assert_eq!(api.head(), events);
    let rejected = post_from(
        base,
        &ana,
        "/treasury",
        "/payouts/payout-2/reject",
        &[("reason", "wrong account")],
    );
    assert_eq!(rejected.status(), 303);
    let me = page_of(base, &marie, "/me");
    assert!(
        me.contains("<td class=\"status-rejected\">rejected by ana: wrong account</td>"),
        "{me}"
    );

    // The lists are paged.
    let second = page_of(base, &ana, "/treasury?payouts=2");
    assert_eq!(text_of(&second, "payouts-pager"), "none of 2 · ");
    let previous = second.find("id=\"payouts-previous\"").expect("a link back");
    assert!(
        second[..previous].ends_with("<a href=\"/treasury?payouts=0&#38;expenses=0\" "),
        "{}",
        &second[previous - 80..previous]
    );
    api.verify_ok();
    server.stop().expect("server stops");
}

#[test]
fn the_correction_forms_post_the_api_requests() {
    let (_book, server) = seeded_server(seed);
    let base = &server.base;
    let api = server.api(None);
    let page = |session: &str| forillon_page(base, session);
    let post =
        |session: &str, path: &str, fields: &[(&str, &str)]| post_form(base, session, path, fields);

    // marie corrects her 10 h to 12 h; empty fields are left out of the request.
    let marie = log_in(base, "marie");
    assert!(page(&marie).contains("No corrections."));
    let adjusted = post(
        &marie,
        "/projects/forillon/adjust",
        &[
            ("idempotency_key", "form-adjust-1"),
            ("id", "1"),
            ("hours", "12"),
            ("amount", ""),
            ("value", ""),
            ("reason", "the timesheet"),
        ],
    );
    assert_eq!(adjusted.status(), 303);
    let correction = api
        .get("/api/v1/projects/forillon/corrections")
        .expect(200)
        .body;
    assert_eq!(correction["corrections"][0]["status"], "pending");
    assert_eq!(correction["corrections"][0]["hours"], "12");
    // Only a custodian other than marie reviews it.
    assert!(!page(&marie).contains("approve-correction-1"));
    assert!(!page(&log_in(base, "abran")).contains("approve-correction-1"));
    let luc = log_in(base, "luc");
    assert!(page(&luc).contains("id=\"approve-correction-1\""));
    let approved = post(
        &luc,
        "/corrections/1/approve",
        &[("idempotency_key", "form-approve-correction-1")],
    );
    assert_eq!(approved.status(), 303);
    assert_eq!(approved.headers()["location"], "/projects/forillon");
    let contribution = api.get("/api/v1/contributions/1").expect(200).body;
    assert_eq!(contribution["value"], "540.00");
    let shown = page(&luc);
    let row = &shown[shown.find("id=\"correction-1\"").expect("correction row")..];
    let row = &row[..row.find("</tr>").expect("row end")];
    assert!(
        row.contains("<td>to 12 (value 450.00 -&#62; 540.00)</td>"),
        "{row}"
    );

    // luc reverses his own material; marie may not review it, and the form's refusal of a
    // reverse twice is shown on the page.
    let reversed = post(
        &luc,
        "/projects/forillon/reverse",
        &[
            ("idempotency_key", "form-reverse-1"),
            ("id", "2"),
            ("reason", "logged twice"),
        ],
    );
    assert_eq!(reversed.status(), 303);
    assert!(!page(&marie).contains("approve-correction-2"));
    let events = api.head();
    let again = post(
        &luc,
        "/projects/forillon/reverse",
        &[
            ("idempotency_key", "form-reverse-2"),
            ("id", "2"),
            ("reason", "again"),
        ],
    );
    assert_ne!(again.status(), 500);
    assert_eq!(api.head(), events);
}

/// The project page's approval queue follows the event stream: work logged through the API
/// appears in the open page, and leaves it once approved, without a reload.
#[test]
fn the_approval_queue_updates_live_in_a_browser() {
    let book = TestBook::sqlite();
    seed(&book);
    let marie = common::create_api_key(&book.url, "marie").expect("marie's key");
    let luc = common::create_api_key(&book.url, "luc").expect("luc's key");
    let server = TestServer::start(&book.url);
    let base = server.base.clone();
    browse(&server.base, |b| async move {
        b.log_in("luc").await;
        b.go("/projects/forillon").await;
        b.wait_text("#pending", "Nothing is waiting.").await;
        let api = reqwest::Client::new();
        let logged = api
            .post(format!("{base}/api/v1/projects/forillon/contributions"))
            .bearer_auth(&marie)
            .json(&serde_json::json!({"agent": "marie", "kind": "work",
                "category": "engineering", "hours": "3"}))
            .send()
            .await
            .expect("log");
        assert_eq!(logged.status(), 201);
        let row = b.wait_text("#pending-3", "engineering").await;
        assert!(row.contains("marie") && row.contains("135"), "{row}");
        assert!(b.client.find(Locator::Css("#approve-3")).await.is_ok());
        let approved = api
            .post(format!("{base}/api/v1/contributions/3/approve"))
            .bearer_auth(&luc)
            .json(&serde_json::json!({}))
            .send()
            .await
            .expect("approve");
        assert_eq!(approved.status(), 200);
        b.wait_text("#pending", "Nothing is waiting.").await;
    });
    server.stop().expect("server stops");
}

/// The dashboard's event stream (what `live.js` follows) is for whoever may read the pages:
/// on a private network, a session; from the head on unless the browser resumes.
#[test]
fn the_dashboard_stream_needs_a_session_on_a_private_network() {
    let book = TestBook::sqlite();
    seed(&book);
    let server = TestServer::start_with(&book.url, |c| c.public = false);
    let base = &server.base;
    let refused = http().get(format!("{base}/events")).send().expect("get");
    assert_eq!(refused.status(), 401);
    assert_eq!(
        common::header(&refused, "content-type"),
        "application/problem+json"
    );
    let session = log_in(base, "olga");
    let mut stream = http()
        .get(format!("{base}/events"))
        .header("cookie", &session)
        .header("last-event-id", "5")
        .send()
        .expect("stream");
    assert_eq!(stream.status(), 200);
    assert!(common::header(&stream, "content-type").starts_with("text/event-stream"));
    // Resumed after event 5: event 6 (the last seeded one) comes first.
    let mut seen = String::new();
    let mut buffer = [0u8; 4096];
    while !seen.contains("\n\n") {
        let n = std::io::Read::read(&mut stream, &mut buffer).expect("read");
        assert!(n > 0, "the stream ended: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
    }
    assert!(seen.contains("id: 6\n"), "{seen}");
    let js = http()
        .get(format!("{base}/static/live.js"))
        .send()
        .expect("get");
    assert_eq!(js.status(), 200);
    assert!(
        js.text()
            .expect("js")
            .contains("new EventSource(\"/events\")")
    );
}
