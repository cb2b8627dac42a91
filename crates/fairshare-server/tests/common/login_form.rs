//! The dashboard's login form over plain HTTP: a client that does not follow redirects, the
//! form's CSRF token and cookie, and posting it. It needs nothing but reqwest so that the
//! CLI's `demo --serve` test includes this same file (by `#[path]`) to log in to the server
//! the demo starts; a test crate cannot import another crate's test helpers.
// Each test crate that includes this file uses only part of it.
#![allow(dead_code)]

use reqwest::blocking::{Client, Response};
use reqwest::redirect::Policy;

pub fn http() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// The value of the first `name="csrf"` field of a page.
pub fn csrf_in(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[start..].split('"').next().expect("token").to_string()
}

/// The `name=value` of the cookie `name` a response sets.
pub fn set_cookie(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
}

/// The login form's cookie and token, as a browser gets them.
pub fn login_form(base: &str) -> (String, String) {
    let page = http()
        .get(format!("{base}/login"))
        .send()
        .expect("login page");
    let cookie = set_cookie(&page, "fs_login").expect("login cookie");
    (cookie, csrf_in(&page.text().expect("html")))
}

/// Posts the login form with a fresh token: a 303 with the `fs_session` cookie when the
/// password is right.
pub fn post_login(base: &str, handle: &str, password: &str) -> Response {
    let (cookie, token) = login_form(base);
    http()
        .post(format!("{base}/login"))
        .header("cookie", cookie)
        .form(&[
            ("csrf", token.as_str()),
            ("handle", handle),
            ("password", password),
        ])
        .send()
        .expect("login")
}
