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
use fairshare_core::{Command, Outcome, State, format_amount};
use serde::Serialize;

use crate::api_types::*;
use crate::auth::{Caller, Reader};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, IDEMPOTENT_REPLAYED, IdempotencyKey};
use crate::offload::DropOffRuntime;
use crate::routes::{IdempotencyHeader, ReadErrors, WriteErrors};
use crate::views::{self};
use crate::writer::Render;
use crate::{AppInner, AppState, convert};
use fairshare_export::Format;

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

fn unexpected(executed: &Executed) -> ApiError {
    ApiError::Internal(format!(
        "event {}: unexpected outcome {:?}",
        executed.seq, executed.outcome
    ))
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
        ExportSource::Log(store)
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
        ExportSource::Book(Box::new(state), index)
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

/// What an export reads: the log itself (JSON lines), or a copy of the state with the index
/// of its events.
enum ExportSource {
    Log(DropOffRuntime<Box<dyn fairshare_store::Store>>),
    Book(Box<State>, fairshare_export::EventIndex),
}

fn write_export(
    format: Format,
    source: ExportSource,
    out: &mut dyn std::io::Write,
) -> Result<(), String> {
    let written = match source {
        ExportSource::Log(mut store) => fairshare_export::write_log(format, store.as_mut(), out),
        ExportSource::Book(state, index) => fairshare_export::write_book(
            format,
            &state,
            &index,
            &fairshare_export::ValueFlowsOptions::default(),
            out,
        ),
    };
    written.map(drop).map_err(|e| e.to_string())
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
// Peer valuation

/// Opens a peer round of a project (custodians only).
#[utoipa::path(post, path = "/api/v1/projects/{slug}/rounds", tag = "peer",
    request_body = RoundCreate,
    params(("slug" = String, Path, description = "The project's slug"), IdempotencyHeader),
    responses((status = 201, description = "Opened", body = RoundOpened), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn open_round(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<RoundCreate>,
) -> Result<Response, ApiError> {
    let command = convert::open_round(slug.clone(), body);
    app.write(
        caller,
        key,
        command,
        StatusCode::CREATED,
        move |_, executed| {
            let Outcome::RoundOpened {
                round,
                budget,
                eligible,
            } = &executed.outcome
            else {
                return Err(unexpected(executed));
            };
            Ok(RoundOpened {
                round: *round,
                project: slug,
                budget: *budget,
                eligible: eligible.clone(),
                replayed: executed.replayed,
            })
        },
    )
    .await
}

/// One peer round: eligible agents, gifts, and its shares (provisional while open).
#[utoipa::path(get, path = "/api/v1/rounds/{id}", tag = "peer",
    params(("id" = u64, Path, description = "The round's id")),
    responses((status = 200, body = RoundShow), ReadErrors), security((), ("api_key" = [])))]
pub(crate) async fn show_round(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
    ApiPath(id): ApiPath<u64>,
) -> Api<RoundShow> {
    app.read(|state| Ok(views::round_show(state.peer_round(id)?)))
        .await
}

/// Sets the points a giver gives a recipient in an open round (0 takes a gift back). The giver
/// is the caller unless a custodian names `from`.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/gifts", tag = "peer",
    request_body = GiftCreate,
    params(("id" = u64, Path, description = "The round's id"), IdempotencyHeader),
    responses((status = 201, description = "Given", body = Given), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn give(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(id): ApiPath<u64>,
    ApiJson(body): ApiJson<GiftCreate>,
) -> Result<Response, ApiError> {
    let command = convert::give(id, &caller.0, body);
    let Command::Give {
        from, to, points, ..
    } = &command
    else {
        return Err(ApiError::Internal("a gift is not a gift".into()));
    };
    let (from, to, points) = (from.clone(), to.clone(), *points);
    app.write(
        caller,
        key,
        command,
        StatusCode::CREATED,
        move |_, executed| {
            let Outcome::Given { spent, left, .. } = executed.outcome else {
                return Err(unexpected(executed));
            };
            Ok(Given {
                round: id,
                from,
                to,
                points,
                spent,
                left,
                replayed: executed.replayed,
            })
        },
    )
    .await
}

/// Closes a round: peer share = points received / points given (custodians only).
#[utoipa::path(post, path = "/api/v1/rounds/{id}/close", tag = "peer",
    params(("id" = u64, Path, description = "The round's id"), IdempotencyHeader),
    responses((status = 200, description = "Closed, with its shares", body = RoundClosed), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn close_round(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(id): ApiPath<u64>,
) -> Result<Response, ApiError> {
    app.write(
        caller,
        key,
        Command::CloseRound { round: id },
        StatusCode::OK,
        move |state, executed| {
            let Outcome::RoundClosed { total, shares, .. } = &executed.outcome else {
                return Err(unexpected(executed));
            };
            Ok(RoundClosed {
                round: id,
                project: state.peer_round(id)?.project.clone(),
                total: *total,
                shares: shares.iter().map(views::peer_share_row).collect(),
                replayed: executed.replayed,
            })
        },
    )
    .await
}

/// Steward recognition: points a custodian gives an agent, with a public reason.
#[utoipa::path(post, path = "/api/v1/projects/{slug}/steward", tag = "peer",
    request_body = StewardCreate,
    params(("slug" = String, Path, description = "The project's slug"), IdempotencyHeader),
    responses((status = 201, description = "Given", body = StewardGiven), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn steward_give(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<StewardCreate>,
) -> Result<Response, ApiError> {
    let (agent, points, reason) = (body.agent.clone(), body.points, body.reason.clone());
    let by = caller.0.clone();
    let command = convert::steward_give(slug.clone(), body);
    app.write(
        caller,
        key,
        command,
        StatusCode::CREATED,
        move |state, executed| {
            state.project(&slug)?;
            let awards = state
                .peer_project(&slug)
                .map(|p| p.steward.as_slice())
                .unwrap_or_default();
            Ok(StewardGiven {
                agent_points: awards
                    .iter()
                    .filter(|a| a.agent == agent)
                    .map(|a| a.points)
                    .sum(),
                total_points: awards.iter().map(|a| a.points).sum(),
                project: slug,
                agent,
                points,
                reason,
                by,
                replayed: executed.replayed,
            })
        },
    )
    .await
}

/// Sets the blend of formula, peer and steward shares (custodians only).
#[utoipa::path(put, path = "/api/v1/projects/{slug}/blend", tag = "peer",
    request_body = BlendBody,
    params(("slug" = String, Path, description = "The project's slug"), IdempotencyHeader),
    responses((status = 200, description = "The blend now in force", body = BlendSet), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn set_blend(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<BlendBody>,
) -> Result<Response, ApiError> {
    let command = convert::set_blend(slug.clone(), body);
    app.write(
        caller,
        key,
        command,
        StatusCode::OK,
        move |state, executed| {
            let blend = state
                .peer_project(&slug)
                .and_then(|p| p.blend())
                .ok_or_else(|| unexpected(executed))?;
            Ok(BlendSet {
                formula: blend.formula.to_string(),
                peer: blend.peer.to_string(),
                steward: blend.steward.to_string(),
                project: slug,
            })
        },
    )
    .await
}

/// Adds a task with a fixed reward in the project's currency (custodians only).
#[utoipa::path(post, path = "/api/v1/projects/{slug}/bounties", tag = "peer",
    request_body = BountyCreate,
    params(("slug" = String, Path, description = "The project's slug"), IdempotencyHeader),
    responses((status = 201, description = "Added", body = BountyAdded), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn add_bounty(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<BountyCreate>,
) -> Result<Response, ApiError> {
    let task = body.task.clone();
    let command = convert::add_bounty(slug.clone(), body);
    app.write(
        caller,
        key,
        command,
        StatusCode::CREATED,
        move |state, executed| {
            let project = state.project(&slug)?;
            let bounty = state
                .peer_project(&slug)
                .and_then(|p| p.bounties.get(&task))
                .ok_or_else(|| unexpected(executed))?;
            let status = match &bounty.award {
                None => "open",
                Some(a) if a.forfeited => "forfeited",
                Some(a) if a.allocated_in.is_some() => "paid",
                Some(_) => "awarded",
            };
            Ok(BountyAdded {
                currency: project.currency.clone(),
                reward: format_amount(bounty.reward, project.exponent),
                description: bounty.description.clone(),
                status: status.to_string(),
                project: slug,
                task,
            })
        },
    )
    .await
}

/// Awards a bounty to the agent who did the task; the caller (a custodian) approves it.
#[utoipa::path(post, path = "/api/v1/projects/{slug}/bounties/{task}/complete", tag = "peer",
    request_body = BountyComplete,
    params(("slug" = String, Path, description = "The project's slug"),
        ("task" = String, Path, description = "The bounty's task"), IdempotencyHeader),
    responses((status = 200, description = "Awarded", body = BountyCompleted), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn complete_bounty(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath((slug, task)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<BountyComplete>,
) -> Result<Response, ApiError> {
    let approved_by = caller.0.clone();
    let agent = body.agent;
    let command = Command::CompleteBounty {
        project: slug.clone(),
        task: task.clone(),
        agent: agent.clone(),
    };
    app.write(
        caller,
        key,
        command,
        StatusCode::OK,
        move |state, executed| {
            let Outcome::BountyAwarded {
                contribution,
                value,
            } = executed.outcome
            else {
                return Err(unexpected(executed));
            };
            let project = state.project(&slug)?;
            let reward = state
                .peer_project(&slug)
                .and_then(|peer| peer.bounties.get(&task))
                .map(|b| format_amount(b.reward, project.exponent))
                .unwrap_or_default();
            Ok(BountyCompleted {
                currency: project.currency.clone(),
                value: value.display(project.exponent),
                project: slug,
                task,
                agent,
                reward,
                contribution,
                approved_by,
                replayed: executed.replayed,
            })
        },
    )
    .await
}

/// Allocates a pool of the project's currency: waiting bounty rewards first, the rest by
/// blended share, largest remainder (custodians only). Needs an `Idempotency-Key`, so that a
/// retry never allocates twice.
#[utoipa::path(post, path = "/api/v1/projects/{slug}/pool-allocations", tag = "peer",
    request_body = PoolCreate,
    params(("slug" = String, Path, description = "The project's slug"), IdempotencyHeader),
    responses((status = 201, description = "Allocated", body = PoolOut), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn allocate_pool(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<PoolCreate>,
) -> Result<Response, ApiError> {
    let Some(idempotency_key) = key.0.clone() else {
        return Err(ApiError::invalid(
            "a pool allocation needs an Idempotency-Key header: a retry with the same key returns the first allocation instead of allocating twice",
        ));
    };
    let command = convert::allocate_pool(slug.clone(), body);
    app.write(
        caller,
        key,
        command,
        StatusCode::CREATED,
        move |state, executed| {
            let Outcome::PoolAllocated {
                id,
                pool,
                bounties,
                lines,
            } = &executed.outcome
            else {
                return Err(unexpected(executed));
            };
            let project = state.project(&slug)?;
            let date = state
                .peer_project(&slug)
                .and_then(|peer| peer.pools.iter().find(|x| x.id == *id))
                .map(|x| x.date.to_string())
                .unwrap_or_default();
            Ok(PoolOut {
                pool: *id,
                date,
                key: Some(idempotency_key),
                size: format_amount(*pool, project.exponent),
                currency: project.currency.clone(),
                bounties: bounties.clone(),
                units: views::units_map(lines, project.exponent),
                lines: lines
                    .iter()
                    .map(|l| views::pool_line(l, project.exponent))
                    .collect(),
                project: slug,
                replayed: executed.replayed,
            })
        },
    )
    .await
}

/// Records that an agent left a project, as a good or a bad leaver (custodians only).
#[utoipa::path(post, path = "/api/v1/projects/{slug}/leavers", tag = "peer",
    request_body = LeaveCreate,
    params(("slug" = String, Path, description = "The project's slug"), IdempotencyHeader),
    responses((status = 201, description = "Left, with the values that changed", body = LeftOut), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn leave(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<LeaveCreate>,
) -> Result<Response, ApiError> {
    let command = convert::leave(slug.clone(), body);
    app.write(
        caller,
        key,
        command,
        StatusCode::CREATED,
        move |state, executed| {
            let Outcome::Left {
                agent,
                good,
                forfeited,
                changes,
                forfeited_bounties,
            } = &executed.outcome
            else {
                return Err(unexpected(executed));
            };
            let project = state.project(&slug)?;
            Ok(LeftOut {
                agent: agent.clone(),
                good: *good,
                forfeited: forfeited.display(project.exponent),
                currency: project.currency.clone(),
                changes: changes
                    .iter()
                    .map(|c| ValueChangeOut {
                        contribution: c.contribution,
                        before: c.before.display(project.exponent),
                        after: c.after.display(project.exponent),
                    })
                    .collect(),
                forfeited_bounties: forfeited_bounties.clone(),
                project: slug,
                replayed: executed.replayed,
            })
        },
    )
    .await
}

/// A project's cap table as of a day (today by default): value, share, units and units share
/// of each agent.
#[utoipa::path(get, path = "/api/v1/projects/{slug}/captable", tag = "peer",
    params(("slug" = String, Path, description = "The project's slug"), CaptableQuery),
    responses((status = 200, body = CaptableOut), ReadErrors), security((), ("api_key" = [])))]
pub(crate) async fn captable(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<CaptableQuery>,
) -> Api<CaptableOut> {
    let as_of = match &query.as_of {
        Some(text) => convert::date(text)?,
        None => app.clock.today(),
    };
    app.read(|state| {
        let project = state.project(&slug)?;
        let rows = state.cap_table(&slug, as_of)?;
        Ok(views::captable_out(project, &rows, as_of, None))
    })
    .await
}
