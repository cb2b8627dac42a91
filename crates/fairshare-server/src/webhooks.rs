//! `/api/v1/webhooks`: custodians add, list, remove and resume webhooks and read their
//! delivery logs. The configuration lives in the [`WebhookStore`] beside the credentials;
//! `deliver.rs` sends the events. Secrets are taken, never shown (a fingerprint is).

use std::sync::{Arc, Mutex, PoisonError};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use fairshare_ops::webhooks::{
    self, AddWebhook, Custodian, DeliveriesOut, WebhookOut, WebhooksOut, may_manage,
};
use fairshare_store::webhooks::WebhookStore;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::api_types::Problem;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::offload::DropOffRuntime;
use crate::routes::GuardedErrors;

/// The server's one handle on the webhook tables, used from blocking threads (dropped off the
/// runtime: the last owner may be a task aborted at shutdown).
pub(crate) type Hooks = Arc<Mutex<DropOffRuntime<Box<dyn WebhookStore>>>>;

/// Runs `f` on the webhook store on a blocking thread.
pub(crate) async fn with_hooks<T: Send + 'static>(
    hooks: &Hooks,
    f: impl FnOnce(&mut dyn WebhookStore) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let hooks = hooks.clone();
    tokio::task::spawn_blocking(move || {
        let mut store = hooks.lock().unwrap_or_else(PoisonError::into_inner);
        f(store.as_mut())
    })
    .await?
}

/// The caller, if a custodian (refused otherwise), and the book's head.
async fn custodian(app: &AppState, caller: &Caller) -> Result<(Custodian, u64), ApiError> {
    let Json(found) = app
        .read(|state| {
            let custodian = may_manage(state, &caller.0)?;
            Ok((custodian, state.head()))
        })
        .await?;
    Ok(found)
}

/// Runs a webhook operation of a custodian on the store.
async fn manage<T: Send + 'static>(
    app: &AppState,
    caller: &Caller,
    f: impl FnOnce(&mut dyn WebhookStore, &Custodian, u64) -> fairshare_ops::OpResult<T>
    + Send
    + 'static,
) -> Result<T, ApiError> {
    let (custodian, head) = custodian(app, caller).await?;
    with_hooks(&app.hooks, move |store| {
        f(store, &custodian, head).map_err(ApiError::from)
    })
    .await
}

/// Changes one webhook and tells the deliverers.
async fn change(
    app: &AppState,
    caller: &Caller,
    f: impl FnOnce(&mut dyn WebhookStore, &Custodian) -> fairshare_ops::OpResult<WebhookOut>
    + Send
    + 'static,
) -> Result<Json<WebhookOut>, ApiError> {
    let changed = manage(app, caller, move |store, custodian, _| f(store, custodian)).await?;
    app.hooks_changed.notify_one();
    Ok(Json(changed))
}

/// Adds a webhook: every later event of the kinds asked for is POSTed to `url`, signed with
/// `secret` (`X-Fairshare-Signature`, docs/API.md). Custodians only.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks",
    request_body = AddWebhook,
    responses((status = 201, description = "The webhook, without its secret", body = WebhookOut),
        (status = 400, description = "Malformed JSON, path or query", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A refused value: a URL that is no http(s) URL, an unknown kind, a limit out of range", body = Problem, content_type = "application/problem+json"),
        GuardedErrors),
    security(("api_key" = [])))]
pub(crate) async fn add(
    State(app): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<(StatusCode, Json<WebhookOut>), ApiError> {
    let request: AddWebhook =
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(&body))
            .map_err(|e| {
                ApiError::BadRequest(format!(
                    "malformed request: {}",
                    crate::operations::field_error(&e)
                ))
            })?;
    let now = fairshare_ops::Clock::System.now_text();
    let added = manage(&app, &caller, move |store, custodian, head| {
        webhooks::add(store, custodian, &request, &now, head)
    })
    .await?;
    app.hooks_changed.notify_one();
    Ok((StatusCode::CREATED, Json(added)))
}

/// Every webhook, by id: URL, kinds, the secret's fingerprint, cursor, failures, pause.
/// Custodians only.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, description = "The webhooks", body = WebhooksOut), GuardedErrors),
    security(("api_key" = [])))]
pub(crate) async fn list(
    State(app): State<AppState>,
    caller: Caller,
) -> Result<Json<WebhooksOut>, ApiError> {
    manage(&app, &caller, |store, custodian, _| {
        webhooks::list(store, custodian)
    })
    .await
    .map(Json)
}

/// Declares the route of a change to one webhook by its id: the handler, named as the
/// `fairshare_ops::webhooks` function it runs, its method and path, and what it answers.
macro_rules! webhook_change {
    ($(#[doc = $doc:tt])* $name:ident: $method:ident $path:tt, $answer:tt) => {
        $(#[doc = $doc])*
        #[utoipa::path($method, path = $path, tag = "webhooks",
            params(("id" = u64, Path, description = "The webhook's id")),
            responses((status = 200, description = $answer, body = WebhookOut),
                (status = 400, description = "Malformed JSON, path or query", body = Problem, content_type = "application/problem+json"), (status = 404, description = "No webhook with this id", body = Problem, content_type = "application/problem+json"), GuardedErrors),
            security(("api_key" = [])))]
        pub(crate) async fn $name(
            State(app): State<AppState>,
            caller: Caller,
            Path(id): Path<u64>,
        ) -> Result<Json<WebhookOut>, ApiError> {
            change(&app, &caller, move |store, custodian| {
                webhooks::$name(store, custodian, id)
            })
            .await
        }
    };
}

webhook_change! {
    /// Removes a webhook and its delivery log (a delivery under way may still arrive).
    remove: delete "/api/v1/webhooks/{id}", "The removed webhook"
}

webhook_change! {
    /// Resumes a paused webhook from its cursor: the events it missed are delivered in order.
    resume: post "/api/v1/webhooks/{id}/resume", "The webhook, running"
}

/// `?limit=N`: how many attempts (newest first).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Most attempts to list (1 to 1000, default 50).
    pub limit: Option<usize>,
}

/// A webhook's latest delivery attempts, newest first: event, attempt, time, status, error.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = u64, Path, description = "The webhook's id"), DeliveriesQuery),
    responses((status = 200, description = "The attempts, newest first", body = DeliveriesOut),
        (status = 400, description = "Malformed JSON, path or query", body = Problem, content_type = "application/problem+json"), (status = 404, description = "No webhook with this id", body = Problem, content_type = "application/problem+json"), (status = 422, description = "A refused value: a URL that is no http(s) URL, an unknown kind, a limit out of range", body = Problem, content_type = "application/problem+json"), GuardedErrors),
    security(("api_key" = [])))]
pub(crate) async fn deliveries(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<u64>,
    ApiQuery(query): ApiQuery<DeliveriesQuery>,
) -> Result<Json<DeliveriesOut>, ApiError> {
    manage(&app, &caller, move |store, custodian, _| {
        webhooks::deliveries(store, custodian, id, query.limit)
    })
    .await
    .map(Json)
}
