//! Security headers on every dashboard page: a strict Content-Security-Policy (the pages run
//! only the dashboard's own script files, never inline script), no framing, no MIME sniffing,
//! no full referrer to other sites; and pages that show a member's data are never cached.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, SET_COOKIE,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::middleware::Next;
use axum::response::Response;

/// Scripts and styles from this site only; forms post to this site only; no plugins, no
/// framing. htmx needs no inline script; its indicator styles are turned off in `base.html`.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; \
    object-src 'none'";

fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
}

/// Adds the headers to HTML answers; an answer for a logged-in member (a session cookie in
/// the request, or one being set) is `private, no-store`.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let member = request
        .headers()
        .get(axum::http::header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|cookies| cookies.contains(super::session::SESSION_COOKIE));
    let mut response = next.run(request).await;
    if !is_html(&response) {
        return response;
    }
    let sets_session = response.headers().get_all(SET_COOKIE).iter().any(|v| {
        v.as_bytes()
            .starts_with(super::session::SESSION_COOKIE.as_bytes())
    });
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    if member || sets_session {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    }
    response
}
