//! Test support for the dashboard over plain HTTP: logging in (the form itself in
//! `login_form.rs`), posting a page's forms, and the text of an element.

use super::{TestBook, TestServer};
use fairshare_core::{Command, GovernanceMode, HatchSpec, Redemption, Role};

pub use super::login_form::{csrf_in, http, post_login, set_cookie};

/// Every seeded agent's dashboard password.
pub const PASSWORD: &str = "correct horse battery";

/// Logs in over HTTP: returns the session cookie (`fs_session=...`).
pub fn log_in(base: &str, handle: &str) -> String {
    let answer = post_login(base, handle, PASSWORD);
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

/// The text of the element with `id` (up to its first tag's end): `<span ... id="x">TEXT<`.
pub fn text_of(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let start = at + html[at..].find('>').expect("tag end") + 1;
    html[start..]
        .split('<')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// A form's refusal: the page again with `status`, and the refusal's words in the element
/// `error_id` beside its field.
#[track_caller]
pub fn refusal(answer: reqwest::blocking::Response, status: u16, error_id: &str) -> String {
    assert_eq!(answer.status(), status);
    text_of(&answer.text().expect("html"), error_id)
}

/// Posts `fields` to `action` with the CSRF token of `page` (as seen with `session`).
pub fn post_from(
    base: &str,
    session: &str,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::blocking::Response {
    let html = http()
        .get(format!("{base}{page}"))
        .header("cookie", session)
        .send()
        .expect("page");
    let token = csrf_in(&html.text().expect("html"));
    http()
        .post(format!("{base}{action}"))
        .header("cookie", session)
        .form(&[fields, &[("csrf", token.as_str())]].concat())
        .send()
        .expect("post")
}

/// A page's HTML as `session` sees it.
pub fn page_of(base: &str, session: &str, page: &str) -> String {
    http()
        .get(format!("{base}{page}"))
        .header("cookie", session)
        .send()
        .expect("page")
        .text()
        .expect("html")
}

/// shop (no approvals) governed by proposals: 7 days of voting, 3 of notice, equal weights;
/// marie and abran (affiliates with counted work) vote; luc (custodian) and olga (observer)
/// do not.
pub fn governed_shop(book: &TestBook) {
    governed_shop_with(book, Vec::new());
}

/// [`governed_shop`], with `before` run just before shop is governed by proposals.
pub fn governed_shop_with(book: &TestBook, before: Vec<Command>) {
    let mut commands = vec![
        Command::add_agent("luc", Role::Custodian),
        Command::add_agent("marie", Role::Affiliate),
        Command::add_agent("abran", Role::Affiliate),
        Command::add_agent("olga", Role::Observer),
        Command::add_project("shop", "CAD", 2),
        Command::set_rate("shop", "wood", "20.00"),
        Command::log_work("shop", "marie", "wood", "4"),
        Command::log_work("shop", "abran", "wood", "2"),
    ];
    commands.extend(before);
    commands.push(Command::SetGovernance {
        project: Some("shop".into()),
        mode: GovernanceMode::Proposals,
        quorum: Some("50".into()),
        threshold: Some("66.67".into()),
        notice_days: Some(3),
        voting_days: Some(7),
        weight: None,
    });
    book.setup(commands);
    for handle in ["luc", "marie", "abran", "olga"] {
        super::set_password(&book.url, handle, PASSWORD).expect("password");
    }
}

pub fn server_at(url: &str, at: &str) -> TestServer {
    let at = at.to_string();
    TestServer::start_with(url, move |config| {
        config.fixed_time = Some(at);
        config.enact_every = std::time::Duration::from_millis(100);
    })
}

/// Shared equipment and tokens: lab with the campaigns `press` (target 1000.00, "a book
/// press for the lab") and `kiln` (500.00); bikes with the NAV token BIKE (2% exit fee);
/// studio with the curve token KILN (a hatch of 1000.00 at 1.00, 20% of it to funding; 5%
/// entry and exit tributes); transit; luc custodian, marie and abran affiliates, olga
/// observer, each with [`PASSWORD`]. Events 1 to 12.
pub fn lab_and_tokens(book: &TestBook) {
    let campaign = |id: &str, target: &str, purpose: Option<&str>| Command::OpenCampaign {
        id: id.into(),
        project: "lab".into(),
        target: target.into(),
        purpose: purpose.map(str::to_string),
    };
    let mut bike = Command::create_token("bikes", "BIKE", 2, Redemption::Nav);
    if let Command::CreateToken {
        exit_fee_percent, ..
    } = &mut bike
    {
        *exit_fee_percent = Some("2".into());
    }
    let mut kiln = Command::create_token("studio", "KILN", 2, Redemption::Curve);
    if let Command::CreateToken {
        entry_tribute_percent,
        exit_tribute_percent,
        hatch,
        ..
    } = &mut kiln
    {
        *entry_tribute_percent = Some("5".into());
        *exit_tribute_percent = Some("5".into());
        *hatch = Some(HatchSpec {
            raised: "1000.00".into(),
            price: "1.00".into(),
            tribute_percent: Some("20".into()),
            holder: None,
        });
    }
    book.setup(vec![
        Command::add_agent("luc", Role::Custodian),
        Command::add_agent("marie", Role::Affiliate),
        Command::add_agent("abran", Role::Affiliate),
        Command::add_agent("olga", Role::Observer),
        Command::add_project("lab", "CAD", 2),
        Command::add_project("bikes", "CAD", 2),
        Command::add_project("studio", "CAD", 2),
        Command::add_project("transit", "CAD", 2),
        campaign("press", "1000.00", Some("a book press for the lab")),
        campaign("kiln", "500.00", None),
        bike,
        kiln,
    ]);
    for handle in ["luc", "marie", "abran", "olga"] {
        super::set_password(&book.url, handle, PASSWORD).expect("password");
    }
}
