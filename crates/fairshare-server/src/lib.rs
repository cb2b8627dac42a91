//! The fairshare HTTP server: a JSON REST API over one book.
//!
//! - **Writes** go through one writer task that owns the book's writes: handlers send a
//!   [`fairshare_book::Request`] through a channel, the writer drains up to
//!   [`WRITE_BATCH_MAX`] of them and runs [`fairshare_book::Book::execute_batch`] on a blocking
//!   thread (group commit: one durable append per batch). A write is acknowledged only after
//!   its batch is on disk.
//! - **Reads** come from an in-memory read model replayed from the durable log, after a cheap,
//!   coalesced check that no other process appended to the book since (see `fresh.rs`).
//! - **Accounts**: API keys (`Authorization: Bearer fsk_...`) and argon2id passwords live in
//!   their own tables next to the book, never in the public event log: a
//!   [`fairshare_store::credentials::CredentialStore`] of the book's backend crate keeps their
//!   hashes, `fairshare_ops::credentials` makes them. A key is refused once expired or revoked.
//!   Every command acts as the key's agent; roles are enforced by the core.
//! - **Backends**: SQLite always; PostgreSQL with the `postgres` feature (on by default).
//!
//! [`serve`] runs the server until a shutdown future completes; [`run_blocking`] builds a
//! runtime and stops gracefully on SIGINT/SIGTERM.

pub mod api_types;
mod auth;
mod backend;
mod deliver;
mod error;
mod events;
mod extract;
mod fresh;
mod handlers;
mod limiter;
mod malformed;
mod offload;
mod operations;
mod routes;
pub mod throttle;
mod ticker;
mod timesheets;
mod tls;
mod web;
mod webhooks;
mod writer;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

pub use deliver::WebhookConfig;
pub use error::ApiError;
pub use events::STREAMS_MAX;
pub use fairshare_ops::backend::Backend;
pub use limiter::{JOIN_BURST, JOIN_REFILL};
pub use routes::{openapi, route_table};

/// Most write requests one group commit takes from the queue.
pub const WRITE_BATCH_MAX: usize = 256;
/// Write requests waiting for the writer; beyond this, handlers wait (backpressure).
pub const WRITE_QUEUE_MAX: usize = 4_096;
/// Largest request body accepted, in bytes; larger bodies get 413.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;
/// Rows in a page when `?limit=` is not given.
pub const PAGE_LIMIT_DEFAULT: usize = 100;
/// Most rows in one page.
pub const PAGE_LIMIT_MAX: usize = 1_000;
/// `verify` and `export` read the whole log: at most this many run at once.
pub const HEAVY_READS_MAX: usize = 2;

/// How to run a server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The book: a SQLite file path, or a `postgres://` / `postgresql://` URL (optionally with
    /// `?schema=NAME`).
    pub book_url: String,
    /// Where to listen.
    pub addr: SocketAddr,
    /// A public network: anyone may read. A private one: only members with a key may read.
    pub public: bool,
    /// Record every event at this RFC 3339 time instead of the system clock (demos, tests).
    pub fixed_time: Option<String>,
    /// Before a read, catch up with events other processes appended to the book. Turn off only
    /// when this server is the book's only writer (no CLI, no second server).
    pub catch_up_reads: bool,
    /// How often the server enacts the passed proposals whose notice has ended, when no write
    /// does it first (the first time one period after the start).
    pub enact_every: std::time::Duration,
    /// A dashboard session ends after this long without a request.
    pub session_idle: Duration,
    /// A dashboard session ends this long after logging in.
    pub session_max: Duration,
    /// Reached over HTTPS: a TLS proxy in front (`--behind-https-proxy`) or TLS here.
    pub https: Https,
    /// How webhooks are retried and when one is paused.
    pub webhooks: WebhookConfig,
    /// Events between automatic snapshots (none: never), written beside the writer from the
    /// read model's state (`FAIRSHARE_SNAPSHOT_EVERY`, else every 100,000 events).
    pub snapshot_every: Option<u64>,
}

/// How clients reach the server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Https {
    /// Plain HTTP (a local network, a test).
    #[default]
    No,
    /// Plain HTTP behind a proxy that terminates TLS: cookies are `Secure`, answers carry HSTS.
    Proxy,
    /// TLS here, with a PEM certificate chain and its PEM private key: cookies are `Secure`,
    /// answers carry HSTS.
    Tls {
        cert: std::path::PathBuf,
        key: std::path::PathBuf,
    },
}

impl ServerConfig {
    /// A public network on `addr`, on the system clock, catching up before reads.
    pub fn new(book_url: impl Into<String>, addr: SocketAddr) -> ServerConfig {
        ServerConfig {
            book_url: book_url.into(),
            addr,
            public: true,
            fixed_time: None,
            catch_up_reads: true,
            enact_every: ticker::ENACT_EVERY_DEFAULT,
            session_idle: web::SessionConfig::default().idle,
            session_max: web::SessionConfig::default().absolute,
            https: Https::No,
            webhooks: WebhookConfig::default(),
            snapshot_every: fairshare_book::snapshot_every_default(),
        }
    }
}

/// What every handler shares.
pub(crate) struct AppInner {
    /// What reads are answered from (the writer owns the `Book`; see `fresh.rs` for why).
    pub model: Arc<fresh::ReadModel>,
    pub writer: writer::WriterHandle,
    pub auth: auth::Authenticator,
    pub backend: Backend,
    pub public: bool,
    pub clock: fairshare_ops::Clock,
    /// Bounds concurrent `verify` and `export` runs.
    pub heavy: Arc<Semaphore>,
    /// Bounds live event streams.
    pub streams: Arc<Semaphore>,
    /// Dashboard sessions: how long, and `Secure` cookies.
    pub sessions: web::SessionConfig,
    /// Rate-limits keyless join requests per client address (API and dashboard).
    pub joins: limiter::Limiter,
    /// The webhook tables (configuration, cursors, delivery logs).
    pub hooks: webhooks::Hooks,
    /// Wakes the webhook supervisor when the API adds, removes or resumes one.
    pub hooks_changed: Arc<tokio::sync::Notify>,
    /// True once the server stops: live event streams end (a graceful shutdown waits for
    /// every open response, and a stream never ends by itself).
    pub stopping: tokio::sync::watch::Receiver<bool>,
}

pub(crate) type AppState = Arc<AppInner>;

/// Binds `config.addr` and serves until `shutdown` completes.
pub async fn serve(
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("cannot listen on {}", config.addr))?;
    serve_on(listener, config, shutdown).await
}

/// Serves on an already bound listener (`config.addr` is ignored) until `shutdown` completes,
/// then finishes in-flight requests and the writer's pending batches.
pub async fn serve_on(
    listener: TcpListener,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let backend = Backend::parse(&config.book_url)?;
    let clock = fairshare_ops::Clock::new(config.fixed_time.as_deref())?;
    // A bad certificate stops the server before it opens the book.
    let listener = match &config.https {
        Https::Tls { cert, key } => {
            malformed::ProblemListener::tls(listener, tls::acceptor(cert, key)?)?
        }
        Https::No | Https::Proxy => malformed::ProblemListener::plain(listener)?,
    };
    let opened = {
        let backend = backend.clone();
        let catch_up_reads = config.catch_up_reads;
        tokio::task::spawn_blocking(move || backend::open_all(&backend, catch_up_reads))
            .await
            .context("opening the book panicked")??
    };
    // Kept until the server stops.
    let _checkpointer = opened.checkpointer;
    let model = Arc::new(opened.model);
    let snapshots = fresh::SnapshotWriter::new(opened.snapshots, &model, config.snapshot_every);
    let (writer, writer_task) =
        writer::spawn(opened.book, model.clone(), backend.clone(), snapshots);
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let shutdown = async move {
        shutdown.await;
        let _ = stop.send(true);
    };
    let app: AppState = Arc::new(AppInner {
        model,
        writer,
        auth: auth::Authenticator::new(opened.credentials),
        backend,
        public: config.public,
        clock,
        heavy: Arc::new(Semaphore::new(HEAVY_READS_MAX)),
        streams: events::streams(),
        sessions: web::SessionConfig {
            idle: config.session_idle,
            absolute: config.session_max,
            secure: config.https != Https::No,
        },
        joins: limiter::Limiter::for_joins(),
        hooks: Arc::new(std::sync::Mutex::new(offload::DropOffRuntime::new(
            opened.webhooks,
        ))),
        hooks_changed: Arc::new(tokio::sync::Notify::new()),
        stopping,
    });
    let ticker = tokio::spawn(ticker::enact_due(app.clone(), config.enact_every));
    let deliveries = tokio::spawn(deliver::supervise(app.clone(), config.webhooks.clone()));
    let router = routes::router(app);
    let addr = axum::serve::Listener::local_addr(&listener)?;
    tracing::info!(%addr, public = config.public, "fairshare server listening");
    let served = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<auth::ClientAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    // The router (and with it every sender of the write queue but the ticker's) is gone: the
    // ticker stops, the writer commits what is still queued, then stops.
    ticker.abort();
    let _ = ticker.await;
    // Deliveries stop with the server (each worker with them): the cursors are in the store,
    // so the next start resumes them.
    deliveries.abort();
    let _ = deliveries.await;
    writer_task.await.context("the writer task panicked")?;
    tracing::info!("fairshare server stopped");
    served.context("the HTTP server failed")
}

/// Builds a multi-threaded runtime, prints `listening on http://ADDR` on stdout, serves, and
/// shuts down gracefully on SIGINT or SIGTERM. Logs go to stderr (`RUST_LOG` filters them;
/// default `info`).
pub fn run_blocking(config: ServerConfig) -> anyhow::Result<()> {
    init_tracing();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.addr))?;
        let addr = listener.local_addr()?;
        let scheme = match config.https {
            Https::Tls { .. } => "https",
            Https::No | Https::Proxy => "http",
        };
        println!("listening on {scheme}://{addr}");
        serve_on(listener, config, shutdown_signal()).await
    })
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`). Does nothing if the caller set up
/// tracing already.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT: shutting down"),
        () = terminate => tracing::info!("SIGTERM: shutting down"),
    }
}
