//! The log page: every event in plain words (`words.rs`), newest first, filtered by agent,
//! project and kind; the head to publish; a verify button that runs the API's `verify`
//! (`GET /api/v1/verify`, the same `fairshare_ops::log::Verify`), answered in place by htmx
//! or as the whole page without JavaScript; and a link to the export in every format the
//! export crate writes.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use fairshare_core::{EventBody, State as BookState};
use fairshare_export::Format;
use fairshare_ops::log::{HeadOut, Scan, ShowHead, Verify, VerifyOut};
use fairshare_store::{Store, StoreError};
use serde::Deserialize;

use super::pages::{Nav, nav, render};
use super::words::{agents_of, project_of, sentence};
use super::{Reader, Viewer, api_error_page, html};
use crate::AppState;
use crate::error::ApiError;

/// Events on one page of the log.
pub(crate) const LOG_PAGE_ROWS: usize = 50;
/// Most events one page looks through for its filters (older ones are on the next pages).
pub(crate) const LOG_SCAN_MAX: u64 = 20_000;
/// Events read from the store at a time, walking back from the newest.
const LOG_CHUNK: u64 = 500;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/log", get(log))
        .route("/log/verify", get(verify))
        .route("/log/export", get(export))
}

/// The filters and where the page starts: `/log?agent=marie&project=forillon&kind=log&before=120`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct LogQuery {
    #[serde(default)]
    agent: String,
    #[serde(default)]
    project: String,
    #[serde(default)]
    kind: String,
    /// Show events before this sequence number (the next page).
    #[serde(default)]
    before: Option<u64>,
    /// Run `verify` and show its answer with the page (the button without JavaScript).
    #[serde(default)]
    verify: Option<String>,
}

impl LogQuery {
    fn filters(&self) -> bool {
        !(self.agent.is_empty() && self.project.is_empty() && self.kind.is_empty())
    }

    fn matches(&self, state: &BookState, actor: &str, body: &EventBody) -> bool {
        let command = &body.command;
        (self.kind.is_empty() || command.op() == self.kind)
            && (self.agent.is_empty()
                || actor == self.agent
                || agents_of(command).contains(&self.agent))
            && (self.project.is_empty()
                || project_of(state, command).as_deref() == Some(self.project.as_str()))
    }

    /// The link to this page's filters from `before` on.
    fn link(&self, before: u64) -> String {
        let mut link = format!("/log?before={before}");
        for (name, value) in [
            ("agent", &self.agent),
            ("project", &self.project),
            ("kind", &self.kind),
        ] {
            if !value.is_empty() {
                link.push_str(&format!("&{name}={}", encode(value)));
            }
        }
        link
    }
}

/// A query value as a URL keeps it (handles, slugs and op names are plain; anything else is
/// escaped).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// One event as the log page shows it.
pub(crate) struct Said {
    pub seq: u64,
    pub at: String,
    pub sentence: String,
    pub op: String,
    pub hash: String,
}

/// A page of matching events, newest first, and where the next page starts.
struct Found {
    events: Vec<Said>,
    /// Events before this one are on the next page (none: the log's start was reached).
    older: Option<u64>,
}

/// The `rows` events before `before` (the head when absent) that match, newest first: walks
/// back a chunk at a time until the page is full, the log's start, or [`LOG_SCAN_MAX`] events.
fn find(
    store: &mut dyn Store,
    state: &BookState,
    query: &LogQuery,
    rows: usize,
) -> Result<Found, ApiError> {
    // Without a filter every event is shown: read no more than the page.
    let chunk_events = if query.filters() {
        LOG_CHUNK
    } else {
        u64::try_from(rows.max(1)).unwrap_or(LOG_CHUNK)
    };
    let head = store.head()?;
    // The newest event still to look at.
    let mut end = query.before.map_or(head, |b| b.saturating_sub(1).min(head));
    let floor = end.saturating_sub(LOG_SCAN_MAX);
    let mut events: Vec<Said> = Vec::new();
    while end > floor {
        let start = end.saturating_sub(chunk_events).max(floor);
        let mut chunk = Vec::new();
        let mut stopped = false;
        let scanned = store.scan(start, &mut |row| {
            if row.seq > end {
                // `scan` reads to the log's end: stop it past the chunk.
                stopped = true;
                return Err(StoreError::Backend("chunk read".into()));
            }
            if let Ok(body) = EventBody::from_json(&row.body)
                && query.matches(state, &row.actor, &body)
            {
                chunk.push(Said {
                    seq: row.seq,
                    at: row.recorded_at.clone(),
                    sentence: sentence(state, &row.actor, &body.command),
                    op: body.command.op().to_string(),
                    hash: row.hash.clone(),
                });
            }
            Ok(())
        });
        if !stopped {
            scanned?;
        }
        let room = rows - events.len();
        events.extend(chunk.into_iter().rev().take(room));
        if events.len() == rows {
            let last = events.last().map_or(0, |e| e.seq);
            return Ok(Found {
                older: (last > 1).then_some(last),
                events,
            });
        }
        end = start;
    }
    Ok(Found {
        older: (end > 0).then_some(end + 1),
        events,
    })
}

/// The last `n` events in words, newest first, with the head: the overview's activity.
pub(crate) async fn recent(app: &AppState, n: usize) -> Result<(HeadOut, Vec<Said>), ApiError> {
    let model = app.model.clone();
    app.model.ensure_fresh().await?;
    tokio::task::spawn_blocking(move || {
        model.with_store(|store| {
            let head = ShowHead {}.view(store)?;
            // The store before the state, as the read model's own catch-up takes them.
            let state = model.state().blocking_read();
            let found = find(store, &state, &LogQuery::default(), n)?;
            Ok((head, found.events))
        })
    })
    .await?
}

// ---------------------------------------------------------------------------------------------
// The page

#[derive(Template)]
#[template(path = "log.html")]
struct LogPage {
    nav: Nav,
    head: HeadOut,
    events: Vec<Said>,
    older: Option<String>,
    newest: Option<String>,
    agent: String,
    project: String,
    kind: String,
    kinds: Vec<&'static str>,
    projects: Vec<String>,
    formats: Vec<(&'static str, String)>,
    verified: Option<VerifyOut>,
    /// Where the export links point: the API on a public network, the dashboard's own route
    /// (which takes the session) on a private one.
    export_base: &'static str,
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyAnswer {
    verified: Option<VerifyOut>,
}

/// What each export format is, for its link.
fn format_words(format: Format) -> &'static str {
    match format {
        Format::Jsonl => "the log as JSON lines (re-importable)",
        Format::Csv => "the log as CSV",
        Format::Beancount => "a Beancount ledger",
        Format::Hledger => "an hledger journal",
        Format::Ledger => "a Ledger journal",
        Format::Valueflows => "ValueFlows JSON-LD",
        Format::CsvContributions => "contributions as CSV",
        Format::CsvDistributions => "distribution lines as CSV",
        Format::CsvBalances => "balances as CSV",
    }
}

async fn log_page(
    app: &AppState,
    viewer: &Viewer,
    query: LogQuery,
    verified: Option<VerifyOut>,
) -> Response {
    if let Err(error) = app.model.ensure_fresh().await {
        return api_error_page(viewer, error);
    }
    let model = app.model.clone();
    let asked = query.clone();
    let found = tokio::task::spawn_blocking(move || {
        model.with_store(|store| {
            let head = ShowHead {}.view(store)?;
            let state = model.state().blocking_read();
            let projects = state.projects().map(|p| p.slug.to_string()).collect();
            Ok((head, find(store, &state, &asked, LOG_PAGE_ROWS)?, projects))
        })
    })
    .await;
    let (head, found, projects) = match found {
        Ok(Ok(found)) => found,
        Ok(Err(error)) => return api_error_page(viewer, error),
        Err(error) => return api_error_page(viewer, error.into()),
    };
    let page = LogPage {
        nav: nav(viewer),
        older: found.older.map(|at| query.link(at)),
        newest: query.before.map(|_| query.link(head.events + 1)),
        head,
        events: found.events,
        kinds: fairshare_core::Command::OPS.to_vec(),
        projects,
        formats: Format::ALL
            .iter()
            .map(|f| (f.name(), format_words(*f).to_string()))
            .collect(),
        verified,
        export_base: if app.public {
            "/api/v1/export"
        } else {
            "/log/export"
        },
        agent: query.agent,
        project: query.project,
        kind: query.kind,
    };
    match render(page) {
        Ok(body) => html(StatusCode::OK, body),
        Err(error) => api_error_page(viewer, error),
    }
}

async fn log(
    State(app): State<AppState>,
    Reader(viewer): Reader,
    Query(query): Query<LogQuery>,
) -> Response {
    let verified = if query.verify.is_some() {
        match crate::operations::run_scan(&app, Verify::default()).await {
            Ok(verified) => Some(verified),
            Err(error) => return api_error_page(&viewer, error),
        }
    } else {
        None
    };
    log_page(&app, &viewer, query, verified).await
}

/// The verify button with htmx: the answer alone, swapped in under the button.
async fn verify(
    State(app): State<AppState>,
    Reader(viewer): Reader,
    headers: HeaderMap,
) -> Response {
    if headers.get("hx-request").is_none() {
        return super::redirect("/log?verify=1");
    }
    let verified = match crate::operations::run_scan(&app, Verify::default()).await {
        Ok(verified) => verified,
        Err(error) => return api_error_page(&viewer, error),
    };
    match render(VerifyAnswer {
        verified: Some(verified),
    }) {
        Ok(body) => html(StatusCode::OK, body),
        Err(error) => api_error_page(&viewer, error),
    }
}

/// The export for a member of a private network, whose browser holds a session, not a key:
/// the API's export once the session is checked.
async fn export(
    State(app): State<AppState>,
    _: Reader,
    Query(query): Query<crate::api_types::ExportQuery>,
) -> Response {
    match crate::handlers::export_as(app, query).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}
