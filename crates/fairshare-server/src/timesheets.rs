//! `POST /api/v1/timesheets`: a timesheet's rows logged as work, all or nothing
//! (`fairshare_ops::timesheets`, the same import as `fairshare import-timesheet`). The rows are
//! checked against the readers' state first, so a bad file writes nothing; then they go to the
//! writer together and commit in one group commit. Its body may be larger than any other
//! request's ([`TIMESHEET_REQUEST_BYTES_MAX`]).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use fairshare_ops::timesheets::{ImportTimesheet, TIMESHEET_REQUEST_BYTES_MAX, TimesheetOut};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::operations::field_error;
use crate::routes::TimesheetErrors;

/// Logs a Toggl, Clockify or any CSV timesheet as work, all or nothing. Each row's
/// idempotency key is derived from the row, so sending the same file again logs nothing twice
/// (`already_there`); the request needs no `Idempotency-Key`. `dry_run` answers what would be
/// logged and writes nothing. The body may be up to 8 MiB.
#[utoipa::path(post, path = "/api/v1/timesheets", tag = "contributions",
    request_body = ImportTimesheet,
    responses((status = 200, description = "The rows logged (or, in a dry run, that would be), with totals per project and agent", body = TimesheetOut),
        TimesheetErrors),
    security(("api_key" = [])))]
pub(crate) async fn import(
    State(app): State<AppState>,
    Caller(actor): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    debug_assert!(
        body.len() <= TIMESHEET_REQUEST_BYTES_MAX,
        "the route's limit holds"
    );
    let op: ImportTimesheet =
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(&body))
            .map_err(|e| ApiError::BadRequest(format!("malformed request: {}", field_error(&e))))?;
    Ok(Json(run(&app, actor, op).await?).into_response())
}

/// Imports `op` as `actor`: planned on the readers' state (a dry run answers from there), then
/// every row committed together by the writer.
pub(crate) async fn run(
    app: &AppState,
    actor: String,
    op: ImportTimesheet,
) -> Result<TimesheetOut, ApiError> {
    let now = app.clock.now_text();
    let today = app.clock.today();
    let (op, actor, requests, dry_run) = app
        .read(move |state| {
            let planned = op.plan(state, &actor, today)?;
            if op.dry_run {
                let view = op.dry_run_view(state, &actor, today, &planned)?;
                return Ok((op, actor, Vec::new(), Some(view)));
            }
            let requests = planned.requests(&actor, &now);
            Ok((op, actor, requests, None))
        })
        .await?
        .0;
    if let Some(view) = dry_run {
        return Ok(view);
    }
    app.writer
        .submit_all(requests, move |state, requests, results| {
            Ok(op.written_view(state, &actor, requests, results)?)
        })
        .await
}
