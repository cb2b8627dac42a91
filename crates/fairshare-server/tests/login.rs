//! Logging in and credentials under attack (issue 18, point 4): the login form's token is
//! issued by the server, failures are rate-limited with backoff per account and per address
//! (429, `Retry-After`, problem+json) for passwords and API keys alike, sessions end when idle
//! and when their password changes, and behind an HTTPS proxy cookies are `Secure` and every
//! answer carries HSTS.

mod common;

use std::time::Duration;

use common::login_form::{http, login_form, post_login, set_cookie};
use common::web::PASSWORD;
use common::{TestBook, TestServer};
use fairshare_core::Role;
use reqwest::blocking::Response;

/// A book where `ana` (custodian) and `bob` (affiliate) have the password.
fn book_with_passwords() -> (TestBook, std::collections::BTreeMap<String, String>) {
    let book = TestBook::sqlite();
    let keys = book.agents(&[("ana", Role::Custodian), ("bob", Role::Affiliate)]);
    for handle in ["ana", "bob"] {
        common::set_password(&book.url, handle, PASSWORD).expect("password");
    }
    (book, keys)
}

fn set_cookies(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect()
}

fn me(base: &str, session: &str) -> Response {
    http()
        .get(format!("{base}/me"))
        .header("cookie", session)
        .send()
        .expect("me")
}

/// A login refused for now: the login page again (a person sent it from a browser), 429 with
/// the seconds to wait in `Retry-After` and on the page.
fn assert_login_later(answer: Response) -> u64 {
    assert_eq!(answer.status(), 429);
    let wait: u64 = common::header(&answer, "retry-after")
        .parse()
        .expect("Retry-After seconds");
    assert!(common::header(&answer, "content-type").starts_with("text/html"));
    let page = answer.text().expect("page");
    assert!(page.contains(&format!("try again in {wait} s")), "{page}");
    assert!(
        page.contains("name=\"password\""),
        "the form is there to try again"
    );
    wait
}

#[test]
fn a_login_token_a_script_invents_is_refused() {
    let (book, _) = book_with_passwords();
    let server = TestServer::start(&book.url);
    // The old attack: the same made-up value in the cookie and the field.
    let answer = http()
        .post(format!("{}/login", server.base))
        .header("cookie", "fs_login=abc")
        .form(&[("csrf", "abc"), ("handle", "ana"), ("password", PASSWORD)])
        .send()
        .expect("post");
    assert_eq!(answer.status(), 403);
    assert_eq!(set_cookie(&answer, "fs_session"), None);
    // A token from another server (another signing key) is refused too.
    let other = TestServer::start(&book.url);
    let (other_cookie, other_token) = login_form(&other.base);
    let answer = http()
        .post(format!("{}/login", server.base))
        .header("cookie", other_cookie)
        .form(&[
            ("csrf", other_token.as_str()),
            ("handle", "ana"),
            ("password", PASSWORD),
        ])
        .send()
        .expect("post");
    assert_eq!(answer.status(), 403);
    // The form's own token logs in.
    assert_eq!(post_login(&server.base, "ana", PASSWORD).status(), 303);
}

#[test]
fn failed_logins_are_slowed_per_account_and_address() {
    let (book, _) = book_with_passwords();
    let server = TestServer::start(&book.url);
    let base = &server.base;
    for _ in 0..=fairshare_server::throttle::FREE_FAILURES {
        assert_eq!(post_login(base, "ana", "wrong password").status(), 401);
    }
    // Locked: even the right password is not tried, nor another account from this address.
    assert_eq!(assert_login_later(post_login(base, "ana", PASSWORD)), 1);
    assert_eq!(assert_login_later(post_login(base, "bob", PASSWORD)), 1);
    // After the wait, the right password works and frees the account.
    std::thread::sleep(fairshare_server::throttle::BACKOFF_FIRST + Duration::from_millis(200));
    let answer = post_login(base, "ana", PASSWORD);
    assert_eq!(answer.status(), 303);
    let session = set_cookie(&answer, "fs_session").expect("session");
    assert_eq!(me(base, &session).status(), 200);
    // One more failure from this address doubles its lockout.
    assert_eq!(post_login(base, "bob", "wrong password").status(), 401);
    assert_eq!(assert_login_later(post_login(base, "bob", PASSWORD)), 2);
}

#[test]
fn bad_api_keys_are_slowed_per_address() {
    let (book, keys) = book_with_passwords();
    let server = TestServer::start(&book.url);
    let bad = server.api(Some("fsk_not-a-key-anybody-has"));
    for _ in 0..=fairshare_server::throttle::FREE_FAILURES {
        bad.get("/api/v1/agents").expect(401);
    }
    let answer = bad.get("/api/v1/agents").expect(429);
    assert_eq!(
        answer.body["type"],
        "urn:fairshare:problem:too-many-requests"
    );
    // A good key from the same address waits too; a request without a key does not.
    server
        .api(Some(&keys["ana"]))
        .get("/api/v1/agents")
        .expect(429);
    server.api(None).get("/api/v1/agents").expect(200);
    std::thread::sleep(fairshare_server::throttle::BACKOFF_FIRST + Duration::from_millis(200));
    server
        .api(Some(&keys["ana"]))
        .get("/api/v1/agents")
        .expect(200);
}

#[test]
fn sessions_end_when_the_password_changes_or_they_go_idle() {
    let (book, _) = book_with_passwords();
    let server = TestServer::start_with(&book.url, |config| {
        config.session_idle = Duration::from_secs(3);
    });
    let base = &server.base;
    let session = set_cookie(&post_login(base, "ana", PASSWORD), "fs_session").expect("session");
    assert_eq!(me(base, &session).status(), 200);
    // Set by another process (the CLI), seen at the next request.
    common::set_password(&book.url, "ana", "another good password").expect("password");
    let answer = me(base, &session);
    assert_eq!(answer.status(), 303);
    assert_eq!(common::header(&answer, "location"), "/login");
    // bob's session stays alive while used...
    let other = set_cookie(&post_login(base, "bob", PASSWORD), "fs_session").expect("session");
    for _ in 0..4 {
        assert_eq!(me(base, &other).status(), 200);
        std::thread::sleep(Duration::from_secs(1));
    }
    // ...and ends when idle.
    std::thread::sleep(Duration::from_millis(3200));
    assert_eq!(me(base, &other).status(), 303);
}

#[test]
fn behind_an_https_proxy_cookies_are_secure_and_answers_carry_hsts() {
    let (book, _) = book_with_passwords();
    let plain = TestServer::start(&book.url);
    let answer = http()
        .get(format!("{}/login", plain.base))
        .send()
        .expect("page");
    assert!(answer.headers().get("strict-transport-security").is_none());
    assert!(set_cookies(&answer).iter().all(|c| !c.contains("Secure")));

    let proxied = TestServer::start_with(&book.url, |config| {
        config.https = fairshare_server::Https::Proxy;
    });
    let answer = post_login(&proxied.base, "ana", PASSWORD);
    assert_eq!(answer.status(), 303);
    assert_eq!(
        common::header(&answer, "strict-transport-security"),
        "max-age=31536000"
    );
    let session = set_cookies(&answer)
        .into_iter()
        .find(|c| c.starts_with("fs_session="))
        .expect("session cookie");
    assert!(session.ends_with("; HttpOnly; SameSite=Strict; Path=/; Secure; Max-Age=43200"));
    let api = http()
        .get(format!("{}/api/v1/health", proxied.base))
        .send()
        .expect("health");
    assert_eq!(
        common::header(&api, "strict-transport-security"),
        "max-age=31536000"
    );
}

#[test]
fn keys_are_listed_over_http_to_custodians_and_their_agent_never_the_secret() {
    let (book, keys) = book_with_passwords();
    let server = TestServer::start(&book.url);
    let bob_id = fairshare_store::credentials::api_key_id(
        &fairshare_ops::credentials::hash_api_key(&keys["bob"]),
    );
    book.credentials()
        .revoke_api_key(&bob_id, "2026-01-02T00:00:00Z")
        .expect("revoke");
    let extra = common::create_api_key(&book.url, "bob").expect("key");
    let ana = server.api(Some(&keys["ana"]));
    let listed = ana.get("/api/v1/agents/bob/keys").expect(200);
    assert_eq!(listed.body["agent"], "bob");
    let rows = listed.body["keys"].as_array().expect("keys");
    assert_eq!(rows.len(), 2);
    // Both keys may be created in the same second: rows then follow their ids, so find by id.
    let (revoked, live): (Vec<_>, Vec<_>) =
        rows.iter().partition(|row| row["id"] == bob_id.as_str());
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["revoked_at"], "2026-01-02T00:00:00Z");
    assert_eq!(revoked[0]["active"], false);
    assert_eq!(live[0]["active"], true);
    let text = listed.body.to_string();
    assert!(
        !text.contains(&keys["bob"]) && !text.contains(&extra),
        "{text}"
    );
    // bob lists his own keys with his new key, not ana's; nobody lists without a key.
    let bob = server.api(Some(&extra));
    bob.get("/api/v1/agents/bob/keys").expect(200);
    let refused = bob.get("/api/v1/agents/ana/keys").expect(403);
    assert_eq!(refused.body["type"], "urn:fairshare:problem:forbidden");
    server.api(None).get("/api/v1/agents/bob/keys").expect(401);
    ana.get("/api/v1/agents/nobody/keys").expect(404);
}

/// One HTTP/1.1 GET over TLS, trusting only `cert`; the whole answer as text.
fn https_get(addr: &str, cert: &rcgen::CertifiedKey, path: &str) -> String {
    use std::io::{Read, Write};
    use tokio_rustls::rustls;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).expect("root");
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = "localhost".try_into().expect("name");
    let mut tls = rustls::ClientConnection::new(std::sync::Arc::new(config), name).expect("tls");
    let mut tcp = std::net::TcpStream::connect(addr).expect("connect");
    let mut stream = rustls::Stream::new(&mut tls, &mut tcp);
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut answer = Vec::new();
    // A peer that closes without close_notify is an error to rustls; the answer is read by then.
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn serve_over_tls_with_a_certificate_made_here() {
    let (book, _) = book_with_passwords();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
    let dir = tempfile::tempdir().expect("dir");
    let (cert_file, key_file) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_file, cert.cert.pem()).expect("cert file");
    std::fs::write(&key_file, cert.key_pair.serialize_pem()).expect("key file");
    let server = TestServer::start_with(&book.url, |config| {
        config.https = fairshare_server::Https::Tls {
            cert: cert_file.clone(),
            key: key_file.clone(),
        };
    });
    let addr = server.base.trim_start_matches("http://").to_string();
    let health = https_get(&addr, &cert, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200 OK\r\n"), "{health}");
    assert!(
        health
            .to_ascii_lowercase()
            .contains("\r\nstrict-transport-security: max-age=31536000\r\n"),
        "{health}"
    );
    assert!(health.ends_with(r#""status":"ok","events":2}"#), "{health}");
    let login = https_get(&addr, &cert, "/login");
    let cookie = login
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie: fs_login="))
        .expect("login cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");
    // Plain HTTP on the TLS port gets no answer.
    let plain = http().get(format!("{}/healthz", server.base)).send();
    assert!(plain.is_err(), "{plain:?}");
    // A key that does not fit the certificate stops the server before it serves.
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
    std::fs::write(&key_file, other.key_pair.serialize_pem()).expect("key file");
    let addr: std::net::SocketAddr = "127.0.0.1:0".parse().expect("addr");
    let mut config = fairshare_server::ServerConfig::new(&book.url, addr);
    config.https = fairshare_server::Https::Tls {
        cert: cert_file,
        key: key_file,
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let refused = runtime.block_on(fairshare_server::serve(config, async {}));
    let message = format!("{:#}", refused.expect_err("mismatched key"));
    assert!(message.contains("does not fit"), "{message}");
}
