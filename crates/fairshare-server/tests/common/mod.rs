//! Test support: books on SQLite (a temp file) or PostgreSQL (a fresh schema, when
//! `FAIRSHARE_TEST_POSTGRES` is set), a real server on `127.0.0.1:0` in-process, and a small
//! blocking HTTP client.
#![allow(dead_code)]

pub mod browser;
pub mod login_form;
pub mod web;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use fairshare_book::Book;
use fairshare_core::{Command, OPERATOR, Role};
use fairshare_server::{Backend, ServerConfig};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::Value;

pub const POSTGRES_ENV: &str = "FAIRSHARE_TEST_POSTGRES";
pub const AT: &str = "2026-11-21T12:00:00Z";

/// A fresh SQLite book that `seed` fills, and a server on it. Bound as `let (book, server)`,
/// the server is dropped before its book.
pub fn seeded_server(seed: impl FnOnce(&TestBook)) -> (TestBook, TestServer) {
    let book = TestBook::sqlite();
    seed(&book);
    let server = TestServer::start(&book.url);
    (book, server)
}

/// A book for one test; drops its schema or file when dropped.
pub struct TestBook {
    pub url: String,
    pub backend: &'static str,
    _dir: Option<tempfile::TempDir>,
    schema: Option<(String, String)>,
}

impl Drop for TestBook {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.schema
            && let Ok(mut client) = postgres::Client::connect(base, postgres::NoTls)
        {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
        }
    }
}

impl TestBook {
    pub fn sqlite() -> TestBook {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("book.db");
        // Creates the file and its schema.
        drop(fairshare_sqlite::SqliteStore::open(&path).expect("create book"));
        TestBook {
            url: path.to_string_lossy().into_owned(),
            backend: "sqlite",
            _dir: Some(dir),
            schema: None,
        }
    }

    /// A fresh schema on the test database, or None (with a skip line) when
    /// `FAIRSHARE_TEST_POSTGRES` is not set.
    pub fn postgres(test: &str) -> Option<TestBook> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let Ok(base) = std::env::var(POSTGRES_ENV) else {
            println!("skip: {test} on PostgreSQL ({POSTGRES_ENV} is not set)");
            return None;
        };
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let schema = format!("fs_srv_{}_{n}", std::process::id());
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}schema={schema}");
        if let Ok(mut client) = postgres::Client::connect(&base, postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
        }
        Some(TestBook {
            url,
            backend: "postgres",
            _dir: None,
            schema: Some((base, schema)),
        })
    }

    /// SQLite always, and PostgreSQL when configured.
    pub fn all(test: &str) -> Vec<TestBook> {
        let mut books = vec![TestBook::sqlite()];
        books.extend(TestBook::postgres(test));
        books
    }

    /// Runs `story` on each of [`TestBook::all`], printing which backend it runs on.
    pub fn each(test: &str, story: impl Fn(&TestBook)) {
        for book in TestBook::all(test) {
            println!("{test} on {}", book.backend);
            story(&book);
        }
    }

    /// Runs commands as the operator (the local custodian), outside any server.
    pub fn setup(&self, commands: Vec<Command>) {
        self.setup_as(OPERATOR, AT, commands);
    }

    /// Runs commands as `actor` at the instant `at`, outside any server.
    pub fn setup_as(&self, actor: &str, at: &str, commands: Vec<Command>) {
        let store = Backend::parse(&self.url)
            .and_then(|backend| backend.open_store(fairshare_ops::backend::Access::Existing))
            .expect("open store");
        let mut book = Book::open(store).expect("open book");
        for command in commands {
            book.execute(actor, &command, None, at)
                .unwrap_or_else(|e| panic!("setup {command:?}: {e}"));
        }
    }

    /// Writes a snapshot of the book at its last event, outside any server; returns that event.
    pub fn snapshot(&self) -> u64 {
        let store = Backend::parse(&self.url)
            .and_then(|backend| backend.open_store(fairshare_ops::backend::Access::Existing))
            .expect("open store");
        Book::open(store)
            .expect("open book")
            .snapshot()
            .expect("snapshot")
            .seq
    }

    /// The custodian `handle` (whose key is returned) and project `p` in CAD with the category
    /// `dev` at 10.00 an hour: what a test of writes needs first.
    pub fn custodian_and_project(&self, handle: &str) -> BTreeMap<String, String> {
        let keys = self.agents(&[(handle, Role::Custodian)]);
        self.setup(vec![
            Command::add_project("p", "CAD", 2),
            Command::set_rate("p", "dev", "10.00"),
        ]);
        keys
    }

    /// Runs SQL in the book's own database: the SQLite file, or the book's PostgreSQL schema.
    pub fn raw_sql(&self, sql: &str) {
        match &self.schema {
            None => rusqlite::Connection::open(&self.url)
                .and_then(|conn| conn.execute_batch(sql))
                .unwrap_or_else(|e| panic!("SQL on {}: {e}", self.url)),
            Some((base, schema)) => {
                let mut client = postgres::Client::connect(base, postgres::NoTls).expect("connect");
                client
                    .batch_execute(&format!("SET search_path TO \"{schema}\"; {sql}"))
                    .unwrap_or_else(|e| panic!("SQL in schema {schema}: {e}"));
            }
        }
    }

    /// The book's credential store, opened as the server opens it.
    pub fn credentials(&self) -> Box<dyn fairshare_store::credentials::CredentialStore> {
        match self.backend {
            "sqlite" => Box::new(
                fairshare_sqlite::SqliteCredentials::open(std::path::Path::new(&self.url))
                    .expect("open credentials"),
            ),
            #[cfg(feature = "postgres")]
            "postgres" => Box::new(
                fairshare_postgres::PostgresCredentials::open(&self.url).expect("open credentials"),
            ),
            other => panic!("no credential store for backend {other}"),
        }
    }

    /// Adds agents and returns an API key for each.
    pub fn agents(&self, agents: &[(&str, Role)]) -> BTreeMap<String, String> {
        self.setup(
            agents
                .iter()
                .map(|(handle, role)| Command::AddAgent {
                    handle: handle.to_string(),
                    name: None,
                    role: *role,
                })
                .collect(),
        );
        agents
            .iter()
            .map(|(handle, _)| {
                let key = create_api_key(&self.url, handle).expect("key");
                (handle.to_string(), key)
            })
            .collect()
    }
}

/// A server running in-process on its own runtime; stopped (gracefully) when dropped.
pub struct TestServer {
    pub base: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<anyhow::Result<()>>>,
}

impl TestServer {
    pub fn start(book_url: &str) -> TestServer {
        TestServer::start_with(book_url, |_| {})
    }

    pub fn start_with(book_url: &str, adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let mut config = ServerConfig::new(book_url, addr);
        config.fixed_time = Some(AT.to_string());
        adjust(&mut config);
        // Over TLS the plain-HTTP readiness check cannot work: connections queue on the bound
        // socket until the server takes them.
        let tls = matches!(config.https, fairshare_server::Https::Tls { .. });
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                fairshare_server::serve_on(listener, config, async {
                    let _ = stop.await;
                })
                .await
            })
        });
        let server = TestServer {
            base: format!("http://{addr}"),
            shutdown: Some(shutdown),
            thread: Some(thread),
        };
        if !tls {
            server.wait_ready();
        }
        server
    }

    fn wait_ready(&self) {
        let client = client();
        for _ in 0..200 {
            if let Ok(response) = client.get(format!("{}/healthz", self.base)).send()
                && response.status() == StatusCode::OK
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("the server at {} did not come up", self.base);
    }

    pub fn api(&self, key: Option<&str>) -> Api {
        Api {
            base: self.base.clone(),
            key: key.map(str::to_string),
            client: client(),
        }
    }

    /// Stops the server gracefully and returns what `serve` returned.
    pub fn stop(mut self) -> anyhow::Result<()> {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> anyhow::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        match self.thread.take() {
            Some(thread) => thread.join().expect("server thread"),
            None => Ok(()),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.stop_inner();
    }
}

/// The value of a response's header `name` (empty when it is absent or not text).
pub fn header<'a>(response: &'a reqwest::blocking::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
}

pub fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// A client acting with one key (or none).
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub key: Option<String>,
    pub client: Client,
}

/// A response: status, headers, JSON body (Null when empty or not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn replayed(&self) -> bool {
        self.headers
            .get("idempotent-replayed")
            .is_some_and(|v| v == "true")
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts the status, showing the body when it differs.
    pub fn expect(self, status: u16) -> Answer {
        assert_eq!(
            self.status.as_u16(),
            status,
            "expected {status}, got {}: {}",
            self.status,
            self.text
        );
        self
    }
}

impl Api {
    pub fn with_key(&self, key: Option<&str>) -> Api {
        Api {
            key: key.map(str::to_string),
            ..self.clone()
        }
    }

    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(key) = &self.key {
            request = request.bearer_auth(key);
        }
        if let Some(idem) = idempotency_key {
            request = request.header("Idempotency-Key", idem);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        answer(request.send().expect("request"))
    }

    pub fn raw(&self, method: &str, path: &str, body: reqwest::blocking::Body) -> Answer {
        self.try_raw(method, path, body).expect("request")
    }

    /// [`Api::raw`] that returns a transport error instead of panicking: a server that refuses
    /// an upload mid-way may close the connection before the client has finished sending it.
    pub fn try_raw(
        &self,
        method: &str,
        path: &str,
        body: reqwest::blocking::Body,
    ) -> Result<Answer, reqwest::Error> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(key) = &self.key {
            request = request.bearer_auth(key);
        }
        request.send().map(answer)
    }

    pub fn get(&self, path: &str) -> Answer {
        self.call("GET", path, None, None)
    }

    pub fn post(&self, path: &str, body: Value) -> Answer {
        self.call("POST", path, Some(&body), None)
    }

    pub fn put(&self, path: &str, body: Value) -> Answer {
        self.call("PUT", path, Some(&body), None)
    }

    /// Events in the book (the log's head).
    pub fn head(&self) -> u64 {
        self.get("/api/v1/log?limit=1").expect(200).body["head"]
            .as_u64()
            .expect("head")
    }

    pub fn verify_ok(&self) -> u64 {
        let report = self.get("/api/v1/verify").expect(200).body;
        assert_eq!(report["ok"], true, "verify: {report}");
        report["events"].as_u64().expect("events")
    }

    /// The idempotency keys in the exported log.
    pub fn exported_keys(&self) -> std::collections::BTreeSet<String> {
        let answer = self.get("/api/v1/export").expect(200);
        assert!(answer.content_type().starts_with("application/x-ndjson"));
        answer
            .text
            .lines()
            .filter_map(|line| {
                let event: Value = serde_json::from_str(line).expect("a JSON line");
                event["idempotency_key"].as_str().map(str::to_string)
            })
            .collect()
    }
}

pub fn answer(response: reqwest::blocking::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
        text,
    }
}

/// A work contribution body.
pub fn work(agent: &str, category: &str, hours: &str) -> Value {
    serde_json::json!({"agent": agent, "kind": "work", "category": category, "hours": hours})
}

/// Credentials through the operations the CLI runs (`fairshare key create`, `password set`).
pub fn create_api_key(url: &str, agent: &str) -> Result<String, fairshare_ops::OpError> {
    let backend = fairshare_ops::backend::Backend::parse(url)?;
    fairshare_ops::credentials::create_api_key(&backend, &fairshare_ops::Clock::System, agent, None)
        .map(|created| created.key)
}

pub fn set_password(url: &str, agent: &str, password: &str) -> Result<(), fairshare_ops::OpError> {
    let backend = fairshare_ops::backend::Backend::parse(url)?;
    fairshare_ops::credentials::set_password(
        &backend,
        &fairshare_ops::Clock::System,
        agent,
        password,
    )
    .map(drop)
}

pub fn verify_password(
    url: &str,
    agent: &str,
    password: &str,
) -> Result<bool, fairshare_ops::OpError> {
    let backend = fairshare_ops::backend::Backend::parse(url)?;
    fairshare_ops::credentials::verify_password(&backend, agent, password)
}

/// Posts `body` to `path` and expects a refusal: its status, the field it names and its
/// message, with nothing recorded.
pub fn refused(api: &Api, path: &str, body: Value, status: u16, field: Option<&str>, detail: &str) {
    let head = api.head();
    let answer = api.post(path, body).expect(status);
    assert_eq!(answer.content_type(), "application/problem+json");
    assert_eq!(answer.body["detail"], detail, "{path}");
    assert_eq!(
        answer.body["field"].as_str(),
        field,
        "{path}: {}",
        answer.text
    );
    assert_eq!(api.head(), head, "{path}: a refusal recorded something");
}
