//! The web dashboard in a real headless Chromium (WebDriver through chromedriver), and its
//! CSRF protection over plain HTTP.
//!
//! The browser test skips (with a line saying so) when `/usr/bin/chromium` or
//! `/usr/bin/chromedriver` is missing. With `FAIRSHARE_SCREENSHOTS=1` it saves screenshots of
//! the main pages under `docs/screenshots/`.

mod common;

use std::net::TcpStream;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use common::{TestBook, TestServer};
use fairshare_core::{Command, Date, Kind, Role};
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt as _;
use reqwest::blocking::Client as Http;
use reqwest::redirect::Policy;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const PASSWORD: &str = "correct horse battery";

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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// chromedriver, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        let port = free_port();
        let child = Process::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Driver { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn screenshots_dir() -> Option<PathBuf> {
    (std::env::var("FAIRSHARE_SCREENSHOTS").as_deref() == Ok("1")).then(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../docs/screenshots")
            .to_path_buf()
    })
}

struct Browser {
    client: Client,
    base: String,
    shots: Option<PathBuf>,
}

impl Browser {
    async fn go(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("goto");
    }

    async fn fill(&self, css: &str, text: &str) {
        let field = self.client.find(Locator::Css(css)).await.expect(css);
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .expect("click");
    }

    /// Clicks something that loads a new page, and waits until the old one is gone.
    async fn submit(&self, css: &str) {
        let old = self.client.find(Locator::Css("html")).await.expect("html");
        self.click(css).await;
        let deadline = Instant::now() + Duration::from_secs(15);
        while old.tag_name().await.is_ok() {
            assert!(Instant::now() < deadline, "{css} did not load a new page");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Waits for the new page to be loaded.
        self.client
            .find(Locator::Css("footer"))
            .await
            .expect("page loaded");
    }

    async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .expect("text")
    }

    async fn source(&self) -> String {
        self.client.source().await.expect("source")
    }

    async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("url")
            .path()
            .to_string()
    }

    async fn log_in(&self, handle: &str) {
        self.go("/login").await;
        self.fill("#handle", handle).await;
        self.fill("#password", PASSWORD).await;
        self.submit("#login-submit").await;
        let at = self.path().await;
        if at != "/me" {
            panic!("{handle} is not logged in: {}", self.text("main").await);
        }
    }

    async fn log_out(&self) {
        self.submit("#logout").await;
        assert!(self.client.find(Locator::Css("#nav-login")).await.is_ok());
    }

    async fn shot(&self, name: &str) {
        if let Some(dir) = &self.shots {
            let png = self.client.screenshot().await.expect("screenshot");
            std::fs::create_dir_all(dir).expect("screenshots dir");
            std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
        }
    }
}

#[test]
fn a_contribution_goes_from_the_timer_to_a_statement_in_a_browser() {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        println!("skip: dashboard browser test ({CHROMIUM} or {CHROMEDRIVER} is missing)");
        return;
    }
    let book = TestBook::sqlite();
    seed(&book);
    let server = TestServer::start(&book.url);
    let driver = Driver::start();
    let profile = tempfile::tempdir().expect("profile dir");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--no-first-run", "--window-size=1200,1500",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .expect("connect to chromedriver");
        let b = Browser {
            client,
            base: server.base.clone(),
            shots: screenshots_dir(),
        };

        // Whatever happens, end the browser session: killing chromedriver alone would
        // leave its Chromium running.
        let outcome = AssertUnwindSafe(story(&b)).catch_unwind().await;
        let _ = b.client.clone().close().await;
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    });
    server.stop().expect("server stops");
}

/// The story of the test, in the browser.
async fn story(b: &Browser) {
    // The login page, then abran logs work with the timer.
    b.go("/login").await;
    b.shot("login").await;
    b.log_in("abran").await;
    b.go("/projects/forillon").await;
    b.click("#timer-start").await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    b.click("#timer-stop").await;
    let timed = b
        .client
        .find(Locator::Css("#work-hours"))
        .await
        .expect("hours")
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
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
    b.shot("project").await;
    if b.shots.is_some() {
        // The same page at a phone's width: the charts scale down.
        b.client.set_window_size(390, 1500).await.expect("resize");
        b.shot("project-phone").await;
        b.client.set_window_size(1200, 1500).await.expect("resize");
    }
    b.submit("#statement-1").await;
    assert_eq!(b.path().await, "/distributions/1");
    assert!(b.text("#statement-amount").await.contains("1000.00 CAD"));
    let payouts = b.text("#payouts").await;
    // 157.50 : 450.00 : 300.00 of 1000.00 by largest remainder.
    assert!(payouts.contains("abran 173.55"), "{payouts}");
    assert!(payouts.contains("luc 330.58"), "{payouts}");
    assert!(payouts.contains("marie 495.87"), "{payouts}");
    b.shot("statement").await;
    b.go("/").await;
    assert!(b.text("main").await.contains("Forillon trail"));
    b.shot("overview").await;
    b.log_out().await;

    // abran sees the payout on their page.
    b.log_in("abran").await;
    let mine = b.text("main").await;
    assert!(
        mine.contains("173.55 CAD") && mine.contains("approved"),
        "{mine}"
    );
    b.shot("me").await;
    b.log_out().await;

    // An observer sees no write form.
    b.log_in("olga").await;
    b.go("/projects/forillon").await;
    let forms = b
        .client
        .find_all(Locator::Css("main form"))
        .await
        .expect("forms");
    assert!(forms.is_empty(), "an observer sees {} forms", forms.len());
    b.log_out().await;
}

// ---------------------------------------------------------------------------------------------
// CSRF over plain HTTP

fn http() -> Http {
    Http::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// The value of the first `name="csrf"` field of a page.
fn csrf_in(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[start..].split('"').next().expect("token").to_string()
}

fn set_cookie(response: &reqwest::blocking::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
}

/// Logs in over HTTP: returns the session cookie (`fs_session=...`).
fn log_in(base: &str, handle: &str) -> String {
    let page = http()
        .get(format!("{base}/login"))
        .send()
        .expect("login page");
    let login_cookie = set_cookie(&page, "fs_login").expect("login cookie");
    let token = csrf_in(&page.text().expect("html"));
    let answer = http()
        .post(format!("{base}/login"))
        .header("cookie", login_cookie)
        .form(&[
            ("csrf", token.as_str()),
            ("handle", handle),
            ("password", PASSWORD),
        ])
        .send()
        .expect("login");
    assert_eq!(answer.status(), 303);
    let cookie = set_cookie(&answer, "fs_session").expect("session cookie");
    let raw = answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("fs_session="))
        .expect("set-cookie")
        .to_string();
    assert!(raw.contains("HttpOnly") && raw.contains("SameSite=Strict") && raw.contains("Path=/"));
    cookie
}

#[test]
fn every_post_needs_the_session_csrf_token() {
    for book in TestBook::all("every_post_needs_the_session_csrf_token") {
        csrf_is_checked(&book);
    }
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
    let page = http()
        .get(format!("{base}/login"))
        .send()
        .expect("login page");
    let login_cookie = set_cookie(&page, "fs_login").expect("login cookie");
    let token = csrf_in(&page.text().expect("html"));
    let answer = http()
        .post(format!("{base}/login"))
        .header("cookie", login_cookie)
        .form(&[
            ("csrf", token.as_str()),
            ("handle", "abran"),
            ("password", "wrong one!"),
        ])
        .send()
        .expect("post");
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
    let post = |session: &str, path: &str, fields: &[(&str, &str)]| {
        let page = http()
            .get(format!("{base}/projects/forillon"))
            .header("cookie", session)
            .send()
            .expect("page");
        let token = csrf_in(&page.text().expect("html"));
        http()
            .post(format!("{base}{path}"))
            .header("cookie", session)
            .form(&[fields, &[("csrf", token.as_str())]].concat())
            .send()
            .expect("post")
    };

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
