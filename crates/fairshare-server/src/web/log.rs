//! The log page: every event in plain words, newest first, filtered by agent, project and
//! kind (the API's search, `GET /api/v1/log/search`, the same `fairshare_ops::log::SearchLog`);
//! the head to publish; a verify button that runs the API's `verify`
//! (`GET /api/v1/verify`, the same `fairshare_ops::log::Verify`), answered in place by htmx
//! or as the whole page without JavaScript; and a link to the export in every format the
//! export crate writes.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use fairshare_export::Format;
use fairshare_ops::log::{
    FoundOut, HeadOut, SaidOut, Scan, Search, SearchLog, ShowHead, Verify, VerifyOut,
};
use serde::Deserialize;

use super::pages::{Nav, nav, render};
use super::{Reader, Viewer, api_error_page, html};
use crate::AppState;
use crate::error::ApiError;

/// Events on one page of the log.
pub(crate) const LOG_PAGE_ROWS: usize = 50;

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
    /// The API's search of these filters, a page of `rows` events.
    fn search(&self, rows: usize) -> SearchLog {
        let given = |value: &str| (!value.is_empty()).then(|| value.to_string());
        SearchLog {
            agent: given(&self.agent),
            project: given(&self.project),
            kind: given(&self.kind),
            before: self.before,
            limit: Some(rows),
        }
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

/// The last `n` events in words, newest first, with the head: the overview's activity.
pub(crate) async fn recent(app: &AppState, n: usize) -> Result<(HeadOut, Vec<SaidOut>), ApiError> {
    let (head, found) = search_with_head(app, LogQuery::default().search(n)).await?;
    Ok((head, found.events))
}

/// The API's search and the head to publish, read from the same store at once.
async fn search_with_head(
    app: &AppState,
    search: SearchLog,
) -> Result<(HeadOut, FoundOut), ApiError> {
    app.model.ensure_fresh().await?;
    let model = app.model.clone();
    tokio::task::spawn_blocking(move || {
        model.with_store(|store| {
            let head = ShowHead {}.view(store)?;
            // The store before the state, as the read model's own catch-up takes them.
            let state = model.state().blocking_read();
            Ok((head, Search::view(&search, store, &state)?))
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
    events: Vec<SaidOut>,
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
    let (head, found) = match search_with_head(app, query.search(LOG_PAGE_ROWS)).await {
        Ok(found) => found,
        Err(error) => return api_error_page(viewer, error),
    };
    let projects = match super::read(app, |state| {
        Ok(state.projects().map(|p| p.slug.to_string()).collect())
    })
    .await
    {
        Ok(projects) => projects,
        Err(error) => return api_error_page(viewer, error),
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
