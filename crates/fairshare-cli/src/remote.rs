//! The CLI as a client of a server (`--server URL`): an operation's request is sent to its
//! route exactly as the server's extractors read it (path fields in the path, the rest in the
//! query of a GET or the JSON body of any other method), and its view comes back as JSON, so
//! the CLI prints it as it prints a local book's. A problem document is turned back into the
//! CLI's error kinds.

use std::time::Duration;

use anyhow::Result;
use fairshare_ops::{Method, Operation};
use reqwest::Url;
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::{Map, Value};

use crate::error::{CliError, ErrorKind};

/// The longest a request may take: a whole-log read (verify, compare) of a large book is slow.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);
/// How long to wait for a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts of a request whose answer never came (a dropped connection): a write is retried
/// under the same idempotency key, so it is recorded once.
pub const ATTEMPTS_MAX: u32 = 2;
/// The pause before a retry.
pub const RETRY_PAUSE: Duration = Duration::from_millis(500);
/// What a refused key (or none) is followed by: where the CLI takes its key from.
pub const UNAUTHENTICATED_HINT: &str =
    "the CLI presents the key in FAIRSHARE_KEY, else the profile's: `fairshare login URL`";
/// The header that makes a write idempotent (the server's `Idempotency-Key`).
const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// A server and the API key the CLI presents to it.
pub struct Remote {
    base: Url,
    key: Option<String>,
    client: Client,
}

/// A refusal or failure a server answered with, in the CLI's kinds.
#[derive(Debug)]
pub struct RemoteError {
    pub kind: ErrorKind,
    pub message: String,
    /// The request field at fault, by its JSON name, when the problem names one.
    pub field: Option<String>,
    /// The refusal quotes the value it refused (so a flag hint would be noise).
    pub quotes_value: bool,
    /// Where the refused change may be proposed instead (a project's slug, or `network`).
    pub propose_in: Option<String>,
}

impl std::fmt::Display for RemoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RemoteError {}

impl Remote {
    /// A client of the server at `server` (`http://` or `https://`), presenting `key`.
    pub fn new(server: &str, key: Option<String>) -> Result<Remote> {
        let base = server_url(server)?;
        let client = Client::builder()
            // The system's roots are read (hundreds of certificates) only for HTTPS.
            .tls_built_in_root_certs(base.scheme() == "https")
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("fairshare-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CliError::storage(format!("cannot start an HTTP client: {e}")))?;
        Ok(Remote { base, key, client })
    }

    /// The server's URL, as the user would write it.
    pub fn server(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// Sends a write under `idempotency` (a retry answers the first result).
    pub fn write<O: Operation>(&self, op: &O, idempotency: Option<&str>) -> Result<O::View> {
        self.send(op, idempotency)
    }

    /// Sends a read (a GET with the query, or a POST of a body for a scan that needs one).
    pub fn read<O: Operation>(&self, op: &O) -> Result<O::View> {
        self.send(op, None)
    }

    fn send<O: Operation>(&self, op: &O, idempotency: Option<&str>) -> Result<O::View> {
        let (url, body) = self.request_url(op)?;
        let response = self.with_retries(|| {
            let mut request = self.client.request(method(O::ROUTE.method), url.clone());
            if let Some(body) = &body {
                request = request.json(body);
            }
            if let Some(key) = idempotency {
                request = request.header(IDEMPOTENCY_KEY, key);
            }
            self.authorised(request)
        })?;
        answer(response)
    }

    /// GET the route of a hand-written handler (the export, an agent's keys), as it comes:
    /// `segments` are the path's, each percent-encoded whole.
    pub fn get(&self, segments: &[&str], query: &[(&str, String)]) -> Result<Response> {
        let mut url = self.join(segments.iter().copied())?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let response = self.with_retries(|| self.authorised(self.client.get(url.clone())))?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(problem(response).into())
        }
    }

    /// GET a hand-written route that answers JSON.
    pub fn get_json<V: serde::de::DeserializeOwned>(&self, segments: &[&str]) -> Result<V> {
        answer(self.get(segments, &[])?)
    }

    /// Sends `body` (JSON, if any) to a hand-written route that answers JSON (the webhooks):
    /// `segments` are the path's, each percent-encoded whole; `query` is a GET's.
    pub fn call_json<V: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<V> {
        let mut url = self.join(segments.iter().copied())?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let response = self.with_retries(|| {
            let mut request = self.client.request(method.clone(), url.clone());
            if let Some(body) = body {
                request = request.json(body);
            }
            self.authorised(request)
        })?;
        answer(response)
    }

    fn authorised(&self, request: RequestBuilder) -> RequestBuilder {
        match &self.key {
            Some(key) => request.bearer_auth(key),
            None => request,
        }
    }

    /// Sends until an answer comes back (any status), at most [`ATTEMPTS_MAX`] times.
    fn with_retries(&self, build: impl Fn() -> RequestBuilder) -> Result<Response> {
        let mut attempt = 1;
        loop {
            match build().send() {
                Ok(response) => return Ok(response),
                Err(error) if attempt < ATTEMPTS_MAX && !error.is_builder() => {
                    attempt += 1;
                    std::thread::sleep(RETRY_PAUSE);
                }
                Err(error) => {
                    return Err(CliError::storage(format!(
                        "no answer from the server at {}: {}",
                        self.server(),
                        error_chain(&error)
                    ))
                    .into());
                }
            }
        }
    }

    /// The route's URL with the request's path fields, and the body (or query) of the rest.
    fn request_url<O: Operation>(&self, op: &O) -> Result<(Url, Option<Value>)> {
        let mut fields = match serde_json::to_value(op)? {
            Value::Object(fields) => fields,
            other => return Err(internal(format!("a request is not an object: {other}")).into()),
        };
        // `null` is an absent optional field, which every request reads as absent.
        fields.retain(|_, value| !value.is_null());
        let mut segments = Vec::new();
        for segment in O::ROUTE.path.trim_start_matches('/').split('/') {
            match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => {
                    let value = fields.remove(name).ok_or_else(|| {
                        internal(format!("the request has no `{name}` for its path"))
                    })?;
                    segments.push(scalar_text(name, value)?);
                }
                None => segments.push(segment.to_string()),
            }
        }
        let mut url = self.join(segments.iter().map(String::as_str))?;
        if O::ROUTE.method == Method::Get {
            let pairs = query_pairs(fields)?;
            if !pairs.is_empty() {
                url.query_pairs_mut().extend_pairs(pairs);
            }
            Ok((url, None))
        } else {
            Ok((url, Some(Value::Object(fields))))
        }
    }

    /// The base URL with `segments` appended (each percent-encoded as one segment).
    fn join<'a>(&self, segments: impl Iterator<Item = &'a str>) -> Result<Url> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| CliError::invalid(format!("{} cannot be a server URL", self.base)))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }
}

/// A `--server` URL: http or https, no query; a path is kept as the API's prefix (a proxy).
fn server_url(server: &str) -> Result<Url> {
    let url = Url::parse(server).map_err(|e| {
        CliError::invalid(format!(
            "--server {server:?} is not a URL ({e}): write it like https://fairshare.example.org"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(CliError::invalid(format!(
            "--server {server:?} is not an http:// or https:// URL"
        ))
        .into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(CliError::invalid(format!(
            "--server {server:?} has a query or fragment: give the server's address only"
        ))
        .into());
    }
    Ok(url)
}

fn method(method: Method) -> reqwest::Method {
    match method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Delete => reqwest::Method::DELETE,
    }
}

/// A path or query value as text, the way the server's extractors read it back.
fn scalar_text(name: &str, value: Value) -> Result<String> {
    match value {
        Value::String(text) => Ok(text),
        Value::Number(number) => Ok(number.to_string()),
        Value::Bool(flag) => Ok(flag.to_string()),
        other => Err(internal(format!("`{name}` cannot go in a URL: {other}")).into()),
    }
}

fn query_pairs(fields: Map<String, Value>) -> Result<Vec<(String, String)>> {
    fields
        .into_iter()
        .map(|(name, value)| {
            let text = scalar_text(&name, value)?;
            Ok((name, text))
        })
        .collect()
}

/// The view of a successful answer, or the refusal of a problem document.
fn answer<V: serde::de::DeserializeOwned>(response: Response) -> Result<V> {
    if !response.status().is_success() {
        return Err(problem(response).into());
    }
    let bytes = response.bytes().map_err(|e| {
        CliError::storage(format!(
            "the server's answer broke off: {}",
            error_chain(&e)
        ))
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        CliError::storage(format!(
            "the server's answer is not what this fairshare expects ({e}): is it the same version?"
        ))
        .into()
    })
}

/// The refusal a non-success answer carries, in the CLI's kinds.
fn problem(response: Response) -> RemoteError {
    let status = response.status();
    let text = response.text().unwrap_or_default();
    match serde_json::from_str::<fairshare_ops::Problem>(&text) {
        Ok(problem) => RemoteError {
            kind: kind_of(&problem.r#type, status.as_u16()),
            message: if problem.r#type.ends_with(":unauthenticated") {
                format!("{} ({UNAUTHENTICATED_HINT})", problem.detail)
            } else {
                problem.detail
            },
            field: problem.field,
            quotes_value: problem.value.is_some(),
            propose_in: problem.propose_in,
        },
        Err(_) => RemoteError {
            kind: ErrorKind::Storage,
            message: format!("the server answered {status} without a problem document"),
            field: None,
            quotes_value: false,
            propose_in: None,
        },
    }
}

/// The CLI's kind of a problem `type` (`urn:fairshare:problem:KIND`).
fn kind_of(problem_type: &str, status: u16) -> ErrorKind {
    match problem_type.rsplit(':').next().unwrap_or_default() {
        "bad-request" | "invalid" | "payload-too-large" => ErrorKind::Invalid,
        "not-found" => ErrorKind::NotFound,
        "conflict" => ErrorKind::Conflict,
        "unauthenticated" | "forbidden" => ErrorKind::Forbidden,
        "too-many-requests" | "unavailable" | "internal" | "method-not-allowed" => {
            ErrorKind::Storage
        }
        _ if (400..500).contains(&status) => ErrorKind::Invalid,
        _ => ErrorKind::Storage,
    }
}

fn internal(message: String) -> CliError {
    CliError::storage(format!("a request could not be sent: {message}"))
}

/// An HTTP client error with its causes (reqwest's own message names only the URL).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

/// A fresh idempotency key for a write sent without `--key`: a retry of this invocation's
/// request (a dropped connection) is then answered by its first result, never recorded twice.
pub fn fresh_idempotency_key() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| CliError::storage(format!("no randomness for a request key: {e}")))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("cli-{hex}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_types_map_to_the_cli_kinds() {
        let urn = |kind: &str| format!("urn:fairshare:problem:{kind}");
        assert_eq!(kind_of(&urn("invalid"), 422), ErrorKind::Invalid);
        assert_eq!(kind_of(&urn("bad-request"), 400), ErrorKind::Invalid);
        assert_eq!(kind_of(&urn("not-found"), 404), ErrorKind::NotFound);
        assert_eq!(kind_of(&urn("conflict"), 409), ErrorKind::Conflict);
        assert_eq!(kind_of(&urn("forbidden"), 403), ErrorKind::Forbidden);
        assert_eq!(kind_of(&urn("unauthenticated"), 401), ErrorKind::Forbidden);
        assert_eq!(kind_of(&urn("unavailable"), 503), ErrorKind::Storage);
        assert_eq!(kind_of("about:blank", 418), ErrorKind::Invalid);
    }

    #[test]
    fn a_server_url_is_http_or_https_without_a_query() {
        assert!(server_url("http://127.0.0.1:8080").is_ok());
        assert!(server_url("https://books.example.org/fairshare/").is_ok());
        assert!(server_url("ftp://example.org").is_err());
        assert!(server_url("example.org").is_err());
        assert!(server_url("http://example.org/?x=1").is_err());
    }

    #[test]
    fn path_fields_fill_the_path_and_the_rest_the_query() {
        let remote = Remote::new("http://127.0.0.1:9/prefix/", None).unwrap();
        let op = fairshare_ops::contributions::ListContributions {
            project: "forêt/2".to_string(),
            status: None,
            agent: Some("luc".to_string()),
            kind: None,
            limit: Some(5),
            offset: None,
        };
        let (url, body) = remote.request_url(&op).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/prefix/api/v1/projects/for%C3%AAt%2F2/contributions?agent=luc&limit=5"
        );
        assert_eq!(body, None);
    }
}
