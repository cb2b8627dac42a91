//! Live events: `GET /api/v1/events?after=SEQ` streams the log as it grows, as Server-Sent
//! Events, each with its sequence number as the event id so that a client resumes where it
//! stopped (`Last-Event-ID`, or `?after=`). An event is the log's row as `GET /api/v1/log`
//! shows it. Events this server commits wake the stream at once; what other processes append
//! (a CLI, a second server) is found within [`POLL_INTERVAL`].

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use fairshare_ops::log::{EventRowOut, Scan, ShowLog};
use futures_util::Stream;
use serde::Deserialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use utoipa::IntoParams;

use crate::AppState;
use crate::auth::Reader;
use crate::error::ApiError;

/// How often an idle stream asks the store whether another process appended.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Most events read from the store at a time.
pub const EVENTS_BATCH_MAX: usize = 500;
/// Most live streams at once; beyond that a client gets 503 and retries.
pub const STREAMS_MAX: usize = 256;

/// `?after=SEQ`: the events after that one (default: from the first).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Stream the events after this sequence number (`Last-Event-ID` takes precedence).
    pub after: Option<u64>,
}

/// Where a stream starts: `Last-Event-ID` (the browser's resume), else `?after=`, else 0.
fn start(headers: &HeaderMap, query: &EventsQuery) -> Result<u64, ApiError> {
    match headers.get("last-event-id") {
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .ok_or_else(|| ApiError::BadRequest("Last-Event-ID must be a sequence number".into())),
        None => Ok(query.after.unwrap_or(0)),
    }
}

/// The next events after `after` (blocking read on the readers' store).
pub(crate) async fn read_after(app: &AppState, after: u64) -> Result<Vec<EventRowOut>, ApiError> {
    let model = app.model.clone();
    let page = ShowLog {
        limit: Some(EVENTS_BATCH_MAX),
        offset: Some(usize::try_from(after).unwrap_or(usize::MAX)),
    };
    let log = tokio::task::spawn_blocking(move || {
        model.with_store(|store| page.view(store).map_err(ApiError::from))
    })
    .await??;
    Ok(log.events)
}

struct Cursor {
    app: AppState,
    after: u64,
    pending: std::vec::IntoIter<EventRowOut>,
    head: tokio::sync::watch::Receiver<u64>,
    stopping: tokio::sync::watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
}

/// The log after `after`, event by event, waiting for new ones when it is read to its end.
fn stream(cursor: Cursor) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold(cursor, |mut cursor| async move {
        loop {
            if *cursor.stopping.borrow() {
                // The server stops: end the stream (the client resumes elsewhere or later).
                return None;
            }
            if let Some(row) = cursor.pending.next() {
                cursor.after = row.seq;
                let event = Event::default()
                    .id(row.seq.to_string())
                    .event("event")
                    .json_data(&row)
                    .unwrap_or_else(|_| Event::default().comment("unserialisable event"));
                return Some((Ok(event), cursor));
            }
            match read_after(&cursor.app, cursor.after).await {
                Ok(rows) if !rows.is_empty() => cursor.pending = rows.into_iter(),
                Ok(_) => {
                    // Read to the end: wait for a commit of this server, or poll for others,
                    // or the server's stop.
                    tokio::select! {
                        _ = tokio::time::timeout(POLL_INTERVAL, cursor.head.changed()) => {}
                        changed = cursor.stopping.changed() => {
                            if changed.is_err() {
                                return None;
                            }
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "an event stream stops");
                    return None;
                }
            }
        }
    })
}

/// The log as it grows, as Server-Sent Events (`text/event-stream`): one `event` per logged
/// event (`id` = its sequence number, `data` = the row as `GET /api/v1/log` shows it),
/// resumable with `Last-Event-ID` or `?after=`.
#[utoipa::path(get, path = "/api/v1/events", tag = "log", params(EventsQuery),
    responses((status = 200, description = "The event stream", content_type = "text/event-stream"),
        crate::routes::ReadErrors),
    security((), ("api_key" = [])))]
pub(crate) async fn events(
    State(app): State<AppState>,
    _reader: Reader,
    headers: HeaderMap,
    Query(query): Query<EventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let after = start(&headers, &query)?;
    live(&app, after)
}

/// The live stream of the events after `after` (bounded by [`STREAMS_MAX`]): the API's and
/// the dashboard's.
pub(crate) fn live(
    app: &AppState,
    after: u64,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>> + use<>>, ApiError> {
    let permit = app.streams.clone().try_acquire_owned().map_err(|_| {
        // Not a storage failure: say why, and when to retry.
        ApiError::Busy("too many live event streams; retry later".into(), 1)
    })?;
    let cursor = Cursor {
        head: app.model.watch_head(),
        stopping: app.stopping.clone(),
        app: app.clone(),
        after,
        pending: Vec::new().into_iter(),
        _permit: permit,
    };
    Ok(Sse::new(stream(cursor)).keep_alive(KeepAlive::default()))
}

/// The dashboard's stream (`GET /events`, for its live pages): whoever may read the pages,
/// from `Last-Event-ID` when the browser resumes, else from the head now (a page already
/// shows what came before).
pub(crate) async fn from_now(
    app: &AppState,
    headers: &HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>> + use<>>, ApiError> {
    let after = match headers.get("last-event-id") {
        Some(_) => start(headers, &EventsQuery::default())?,
        None => {
            app.model.ensure_fresh().await?;
            app.model.state().read().await.head()
        }
    };
    live(app, after)
}

/// The semaphore that bounds live streams.
pub(crate) fn streams() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(STREAMS_MAX))
}
