//! A timesheet imported from `/me` (docs/DASHBOARD.md): the form posts the API's request
//! (`fairshare_ops::timesheets::ImportTimesheet`, the CSV pasted in a text box) and the page
//! that answers lists what was logged, or with "check only" what would be. Each row carries its
//! own key, so a form sent twice logs every row once.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use fairshare_ops::timesheets::{ImportTimesheet, TimesheetOut};

use super::pages::{FormError, Nav, nav, render};
use super::{FormPage, Viewer, WebForm, api_error_page, check_csrf, form_page, form_pairs, html};
use crate::AppState;
use crate::operations::request_from_pairs;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/me/timesheet", post(import))
}

#[derive(Template)]
#[template(path = "timesheet.html")]
struct TimesheetPage {
    nav: Nav,
    report: TimesheetOut,
}

async fn import(State(app): State<AppState>, viewer: Viewer, WebForm(fields): WebForm) -> Response {
    let actor = match check_csrf(&viewer, &fields) {
        Ok(actor) => actor,
        Err(refused) => return *refused,
    };
    let imported = match request_from_pairs::<ImportTimesheet>(form_pairs(&fields), vec![], "form")
    {
        Ok(op) => crate::timesheets::run(&app, actor, op).await,
        Err(error) => Err(error),
    };
    match imported {
        Ok(report) => match render(TimesheetPage {
            nav: nav(&viewer),
            report,
        }) {
            Ok(body) => html(StatusCode::OK, body),
            Err(error) => api_error_page(&viewer, error),
        },
        Err(error) => {
            let status = error.status();
            let refused = FormError::new("timesheet", &fields, error.field(), error.detail());
            let page = FormPage::Me(Default::default());
            form_page(&app, &viewer, &page, Some(refused), status).await
        }
    }
}
