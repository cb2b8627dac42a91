//! Forecasts on the dashboard (docs/FORECASTS.md): the "what would I get" form of `/me` and
//! of the project page. The form is a GET form: without JavaScript it reloads the page with
//! the answer rendered by the server; with htmx it asks `/estimate` for the answer alone as
//! the fields change. Both read `fairshare_ops::forecasts::EstimateRevenue`, as the API does.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use fairshare_core::{Date, State as BookState};
use fairshare_ops::Read;
use fairshare_ops::forecasts::{EstimateOut, EstimateRevenue};
use fairshare_ops::reports::{ProjectReport, ProjectReportOut};
use serde::Deserialize;

use super::pages::render;
use super::{Reader, Viewer, page_of};
use crate::AppState;
use crate::error::ApiError;

/// What the form asks (`?project=&agent=&revenue=&hours=&category=`); empty fields are absent.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct EstimateQuery {
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    pub agent: Option<String>,
    #[serde(default)]
    pub revenue: Option<String>,
    #[serde(default)]
    pub hours: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
}

/// A field's text, `None` when empty.
fn given(field: &Option<String>) -> Option<String> {
    field
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

impl EstimateQuery {
    /// The request, once a revenue is asked about.
    fn request(&self, project: &str) -> Option<EstimateRevenue> {
        Some(EstimateRevenue {
            project: project.to_string(),
            agent: given(&self.agent),
            revenue: given(&self.revenue)?,
            hours: given(&self.hours),
            category: given(&self.category),
        })
    }
}

#[derive(Template)]
#[template(path = "estimate.html")]
struct EstimateAnswer {
    estimate: Option<EstimateOut>,
    error: String,
}

/// The answer box: the estimate, the refusal (the core's message), or empty when nothing is
/// asked yet.
fn answer(
    state: &BookState,
    viewer: &Viewer,
    query: &EstimateQuery,
    project: &str,
    today: Date,
) -> Result<String, ApiError> {
    let (estimate, error) = match query.request(project) {
        None => (None, String::new()),
        Some(request) => {
            let reader = viewer.reading(state, today);
            match request.view(state, &reader) {
                Ok(estimate) => (Some(estimate), String::new()),
                Err(error) => (None, ApiError::from(error).detail()),
            }
        }
    };
    render(EstimateAnswer { estimate, error })
}

/// The form as a page shows it, with its answer.
#[derive(Template)]
#[template(path = "estimate_form.html")]
struct EstimateFormView {
    form: EstimateForm,
}

/// The form's fields, refilled with what was asked, and the answer.
pub(crate) struct EstimateForm {
    /// Where the form reloads without JavaScript (`/me`, `/projects/SLUG`).
    action: String,
    /// The projects to choose from (on `/me`); empty on a project page.
    projects: Vec<String>,
    project: String,
    /// The agent field, on a project page read by someone not logged in.
    ask_agent: bool,
    agent: String,
    revenue: String,
    hours: String,
    category: String,
    /// The project's rated categories, offered for the hours.
    categories: Vec<String>,
    answer: String,
}

/// The "what would I get" section of a page: on `/me` (`project` absent: the first of the
/// viewer's projects unless the query names one) or on a project's page.
pub(crate) fn section(
    state: &BookState,
    viewer: &Viewer,
    query: &EstimateQuery,
    project: Option<&str>,
    today: Date,
) -> Result<String, ApiError> {
    let projects: Vec<String> = match project {
        Some(_) => Vec::new(),
        None => state.projects().map(|p| p.slug.to_string()).collect(),
    };
    let chosen = project
        .map(str::to_string)
        .or_else(|| given(&query.project))
        .or_else(|| projects.first().cloned())
        .unwrap_or_default();
    let categories = state
        .project(&chosen)
        .map(|p| p.policy.rates.keys().map(|c| c.to_string()).collect())
        .unwrap_or_default();
    let text = |field: &Option<String>| field.clone().unwrap_or_default();
    let form = EstimateForm {
        action: match project {
            Some(slug) => format!("/projects/{slug}"),
            None => "/me".to_string(),
        },
        projects,
        ask_agent: project.is_some() && viewer.agent.is_none(),
        agent: text(&query.agent),
        revenue: text(&query.revenue),
        hours: text(&query.hours),
        category: text(&query.category),
        categories,
        answer: answer(state, viewer, query, &chosen, today)?,
        project: chosen,
    };
    render(EstimateFormView { form })
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    nav: super::pages::Nav,
    r: ProjectReportOut,
}

/// The period a report page asks (`?from=&to=`; empty fields are absent).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Period {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

/// `GET /projects/{slug}/report`: the project's report as a printable page.
pub(super) async fn report(
    State(app): State<AppState>,
    Reader(viewer): Reader,
    Path(slug): Path<String>,
    Query(period): Query<Period>,
) -> Response {
    let request = ProjectReport {
        project: slug,
        from: given(&period.from),
        to: given(&period.to),
    };
    page_of(&app, &viewer, StatusCode::OK, |state, today| {
        let reader = viewer.reading(state, today);
        let r = request.view(state, &reader)?;
        render(ReportPage {
            nav: super::pages::nav(&viewer),
            r,
        })
    })
    .await
}

/// `GET /estimate`: the answer alone, for htmx (a refusal is an answer too: 200).
pub(super) async fn estimate(
    State(app): State<AppState>,
    Reader(viewer): Reader,
    Query(query): Query<EstimateQuery>,
) -> Response {
    let project = given(&query.project).unwrap_or_default();
    page_of(&app, &viewer, StatusCode::OK, |state, today| {
        answer(state, &viewer, &query, &project, today)
    })
    .await
}
