//! The handlers: one per route, each documented for the OpenAPI document.
//!
//! A read checks who may read, catches up with other writers (see `fresh.rs`), and renders
//! from the in-memory state under the read lock. A write authenticates its caller (the actor
//! of the command, always), converts the body by hand (`convert.rs`), and hands the command
//! to the writer with a renderer for its answer.

use axum::Json;
use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use fairshare_book::{Executed, Request};
use fairshare_core::{Command, State};
use serde::Serialize;

use crate::api_types::*;
use crate::auth::{Caller, Reader};
use crate::error::ApiError;
use crate::extract::{ApiQuery, IDEMPOTENT_REPLAYED, IdempotencyKey};
use crate::offload::DropOffRuntime;
use crate::routes::ReadErrors;
use crate::writer::Render;
use crate::{AppInner, AppState};
use fairshare_export::{Format, Source};

type Api<T> = Result<Json<T>, ApiError>;

/// Bytes of export sent to the client at a time.
const EXPORT_CHUNK_BYTES: usize = 64 * 1024;
/// Export chunks buffered between the reading thread and the connection.
const EXPORT_CHUNKS_QUEUED: usize = 4;

impl AppInner {
    /// Runs a read on the state, once it holds every event appended before this call.
    pub(crate) async fn read<T>(&self, f: impl FnOnce(&State) -> Result<T, ApiError>) -> Api<T> {
        self.model.ensure_fresh().await?;
        let state = self.model.state().read().await;
        f(&state).map(Json)
    }

    /// Submits a command acting as `caller` and answers with `status` and the rendered result
    /// once it is committed; a retry with the same idempotency key gets the same status and
    /// the header `Idempotent-Replayed: true`.
    pub(crate) async fn write<V: Serialize + 'static>(
        &self,
        caller: Caller,
        key: IdempotencyKey,
        command: Command,
        status: StatusCode,
        render: impl FnOnce(&State, &Executed) -> Result<V, ApiError> + Send + 'static,
    ) -> Result<Response, ApiError> {
        let request = Request {
            actor: caller.0,
            command,
            key: key.0,
            recorded_at: self.clock.now_text(),
        };
        let render: Render = Box::new(move |state, executed| {
            let view = render(state, executed)?;
            serde_json::to_vec(&view).map_err(|e| ApiError::Internal(format!("render: {e}")))
        });
        let written = self.writer.submit(request, render).await?;
        let mut response = (status, written.body).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if written.replayed {
            headers.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
        }
        Ok(response)
    }
}

// ---------------------------------------------------------------------------------------------
// Meta

/// Liveness: the server answers and knows the book.
#[utoipa::path(get, path = "/healthz", tag = "meta",
    responses((status = 200, description = "The server is up", body = HealthOut)))]
pub(crate) async fn healthz(
    axum::extract::State(app): axum::extract::State<AppState>,
) -> Json<HealthOut> {
    let events = app.model.state().read().await.head();
    Json(HealthOut {
        status: "ok".to_string(),
        events,
    })
}

/// This document: the OpenAPI 3.1 description of the API.
#[utoipa::path(get, path = "/api/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
pub(crate) async fn openapi_json() -> Response {
    match crate::routes::openapi().to_json() {
        Ok(json) => ([(CONTENT_TYPE, "application/json")], json).into_response(),
        Err(error) => ApiError::Internal(format!("openapi: {error}")).into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// The log

/// The book exported, streamed: the whole log as JSON lines (one event per line,
/// re-importable with `fairshare import`) by default, or with `?format=` a Beancount, hledger
/// or Ledger journal, ValueFlows JSON-LD, or CSV of contributions, distributions or balances
/// (written from a copy of the state as it is when the export starts).
#[utoipa::path(get, path = "/api/v1/export", tag = "log", params(ExportQuery),
    responses((status = 200, description = "The export in the format asked for",
        content(
            (String = "application/x-ndjson"),
            (String = "text/plain; charset=utf-8"),
            (String = "application/ld+json"),
            (String = "text/csv; charset=utf-8"),
        )), ReadErrors),
    security((), ("api_key" = [])))]
pub(crate) async fn export(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    export_as(app, query).await
}

/// The export a reader asked for (the API's, or the dashboard's for a logged-in member).
pub(crate) async fn export_as(app: AppState, query: ExportQuery) -> Result<Response, ApiError> {
    let format = match query.format.as_deref() {
        None => Format::Jsonl,
        // An unknown value of a query field is a malformed query, as for every other field.
        Some(name) => name
            .parse::<Format>()
            .map_err(|message| ApiError::BadRequest(format!("format: {message}")))?,
    };
    let content_type = format.content_type();
    let permit = app
        .heavy
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| ApiError::Unavailable("the server is stopping".into()))?;
    let source = if format.reads_the_log() {
        let backend = app.backend.clone();
        let store = tokio::task::spawn_blocking(move || {
            backend
                .open_store(fairshare_ops::backend::Access::ReadOnly)
                .map(DropOffRuntime::new)
        })
        .await??;
        Source::Log(store)
    } else {
        app.model.ensure_fresh().await?;
        // A copy of the state, then an index of the store, which holds at least every event
        // of the copy.
        let state = app.model.state().read().await.clone();
        let backend = app.backend.clone();
        let index = tokio::task::spawn_blocking(move || {
            let mut store =
                DropOffRuntime::new(backend.open_store(fairshare_ops::backend::Access::ReadOnly)?);
            fairshare_export::EventIndex::from_store(store.as_mut())
                .map_err(|e| ApiError::Internal(format!("export: {e}")))
        })
        .await??;
        Source::Book(Box::new(state), index)
    };
    let (chunks, receiver) = tokio::sync::mpsc::channel(EXPORT_CHUNKS_QUEUED);
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let mut out = ChunkWriter {
            chunks,
            buffer: Vec::with_capacity(EXPORT_CHUNK_BYTES),
        };
        let written = write_export(format, source, &mut out)
            .and_then(|()| std::io::Write::flush(&mut out).map_err(|e| e.to_string()));
        if let Err(error) = written {
            // Headers are gone already: cut the stream so the client sees it incomplete.
            tracing::warn!(%error, "export stopped");
            let _ = out
                .chunks
                .blocking_send(Err(std::io::Error::other("export failed")));
        }
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    let mut response = Body::from_stream(stream).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}

fn write_export(
    format: Format,
    mut source: Source<DropOffRuntime<Box<dyn fairshare_store::Store>>>,
    out: &mut dyn std::io::Write,
) -> Result<(), String> {
    let options = fairshare_export::ValueFlowsOptions::default();
    source
        .write(format, &options, out)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Sends what `export_jsonl` writes to the response, in chunks.
struct ChunkWriter {
    chunks: tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>,
    buffer: Vec<u8>,
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= EXPORT_CHUNK_BYTES {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(EXPORT_CHUNK_BYTES));
        self.chunks.blocking_send(Ok(chunk)).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Credentials

/// An agent's API keys: id, creation, expiry, revocation and whether each is active now —
/// never a key or its hash. For custodians, and for the agent itself.
#[utoipa::path(get, path = "/api/v1/agents/{agent}/keys", tag = "agents",
    params(("agent" = String, Path, description = "The agent's handle")),
    responses(
        (status = 200, description = "The agent's keys, oldest first",
            body = fairshare_ops::credentials::KeysOut),
        (status = 404, description = "No such agent", body = Problem,
            content_type = "application/problem+json"),
        crate::routes::GuardedErrors),
    security(("api_key" = [])))]
pub(crate) async fn list_keys(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    axum::extract::Path(agent): axum::extract::Path<String>,
) -> Api<fairshare_ops::credentials::KeysOut> {
    let Json(()) = app
        .read(|state| {
            state.agent(&agent)?;
            let custodian = state.role_of(&caller.0)? == fairshare_core::Role::Custodian;
            if custodian || caller.0 == agent {
                Ok(())
            } else {
                Err(ApiError::Forbidden(format!(
                    "{} may not list the keys of {agent}: only custodians and the agent itself",
                    caller.0
                )))
            }
        })
        .await?;
    let backend = app.backend.clone();
    let listed = tokio::task::spawn_blocking(move || {
        // Expiry is a matter of real time, whatever clock the server records events at.
        fairshare_ops::credentials::list_api_keys(&backend, &fairshare_ops::Clock::System, &agent)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("listing keys: {e}")))??;
    Ok(Json(listed))
}
