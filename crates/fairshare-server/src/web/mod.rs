//! The web dashboard, served at `/`: HTML pages rendered on the server (askama templates),
//! charts as server-side SVG (`svg.rs`), plain forms that POST and redirect, a vendored
//! htmx and a small stylesheet embedded in the binary (nothing is fetched at build or run
//! time).
//!
//! People log in with their argon2id password (`fairshare password set HANDLE`); sessions and
//! CSRF tokens are in `session.rs`. Reads come from the same read model as the API, writes go
//! through the same writer queue with the logged-in agent as the actor, so the core enforces
//! roles exactly as for the API and its refusals are shown next to the field they concern.

mod forecast;
mod forms;
mod governance;
mod headers;
mod log;
mod membership;
mod pages;
mod peer;
mod propose;
mod resources;
mod session;
pub mod svg;
mod timesheet;
mod tokens;
mod treasury;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use axum::{Extension, Router};
use fairshare_book::Request;
use fairshare_core::Command;
use fairshare_ops::contributions::{Approve, LogContribution, Reject};
use fairshare_ops::corrections::{Adjust, ApproveCorrection, RejectCorrection, Reverse};
use fairshare_ops::distributions::RecordRevenue;
use fairshare_ops::membership::{AddMember, RemoveMember};
use fairshare_ops::plans::{SetPlan, parse_plan_file};
use fairshare_ops::projects::{SetApprovals, SetRate};
use fairshare_ops::resources::{CommunityAdd, CommunityRemove, OpenCampaign, UseResource};
use fairshare_ops::{Reading, Write};

use crate::AppState;
use crate::auth::ClientIp;
use crate::error::ApiError;
use forecast::EstimateQuery;
use forms::posted;
use pages::PageContext;
use session::{LOGIN_COOKIE, SESSION_COOKIE, Sessions};

pub use pages::FormError;
pub use session::SessionConfig;

const HTMX_JS: &str = include_str!("static/htmx.min.js");
const STYLE_CSS: &str = include_str!("static/style.css");
const TIMER_JS: &str = include_str!("static/timer.js");
const LIVE_JS: &str = include_str!("static/live.js");

/// The dashboard's routes, merged into the server's router.
pub(crate) fn router(sessions: session::SessionConfig) -> Router<AppState> {
    Router::new()
        .route("/", get(overview))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/estimate", get(forecast::estimate))
        .route("/projects/{slug}/report", get(forecast::report))
        .route("/projects/{slug}", get(project))
        .route("/distributions/{id}", get(statement))
        .route("/projects/{slug}/log", post(log_contribution))
        .route("/projects/{slug}/revenue", post(posted::<RecordRevenue>))
        .route("/projects/{slug}/rate", post(posted::<SetRate>))
        .route("/projects/{slug}/approvals", post(posted::<SetApprovals>))
        .route("/projects/{slug}/plan", post(set_plan))
        .route("/projects/{slug}/campaign", post(posted::<OpenCampaign>))
        .route("/projects/{slug}/use", post(posted::<UseResource>))
        .route("/projects/{slug}/community", post(posted::<CommunityAdd>))
        .route(
            "/projects/{slug}/community/remove",
            post(posted::<CommunityRemove>),
        )
        .route("/projects/{slug}/members", post(posted::<AddMember>))
        .route(
            "/projects/{slug}/members/remove",
            post(posted::<RemoveMember>),
        )
        .merge(reviews::<Approve, Reject>(CONTRIBUTION))
        .merge(treasury::router())
        .merge(timesheet::router())
        .merge(membership::router())
        .merge(governance::router())
        .merge(resources::router())
        .merge(tokens::router())
        .merge(log::router())
        .merge(peer::router())
        .route("/projects/{slug}/adjust", post(posted::<Adjust>))
        .route("/projects/{slug}/reverse", post(posted::<Reverse>))
        .merge(reviews::<ApproveCorrection, RejectCorrection>(CORRECTION))
        .route("/static/htmx.min.js", get(htmx))
        .route("/static/style.css", get(style))
        .route("/static/timer.js", get(timer))
        .route("/static/live.js", get(live_js))
        .route("/events", get(live_events))
        .layer(Extension(Arc::new(Sessions::new(sessions))))
        .layer(axum::middleware::from_fn(headers::security_headers))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        body,
    )
        .into_response()
}

async fn htmx() -> Response {
    asset("text/javascript; charset=utf-8", HTMX_JS)
}

async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE_CSS)
}

async fn timer() -> Response {
    asset("text/javascript; charset=utf-8", TIMER_JS)
}

async fn live_js() -> Response {
    asset("text/javascript; charset=utf-8", LIVE_JS)
}

/// The event stream of the live pages (`static/live.js`), for whoever may read the pages: a
/// session on a private network (the API's `/api/v1/events` wants a key).
async fn live_events(State(app): State<AppState>, viewer: Viewer, headers: HeaderMap) -> Response {
    if !may_read(&app, &viewer) {
        return ApiError::Unauthenticated("log in to follow this network's events".into())
            .into_response();
    }
    match crate::events::from_now(&app, &headers).await {
        Ok(stream) => stream.into_response(),
        Err(error) => error.into_response(),
    }
}

/// Who is looking: the logged-in agent and the session's CSRF token, if any.
pub(crate) struct Viewer {
    pub agent: Option<String>,
    pub csrf: String,
    session_id: Option<String>,
    sessions: Arc<Sessions>,
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        let sessions = parts
            .extensions
            .get::<Arc<Sessions>>()
            .cloned()
            .ok_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())?;
        let id = session::cookie(&parts.headers, SESSION_COOKIE).map(str::to_string);
        let mut found = id.as_deref().and_then(|id| sessions.get(id));
        if let (Some(session), Some(id)) = (&found, &id)
            && !still_valid(app, session).await
        {
            sessions.remove(id);
            found = None;
        }
        Ok(Viewer {
            agent: found.as_ref().map(|s| s.agent.clone()),
            csrf: found.map(|s| s.csrf).unwrap_or_default(),
            session_id: id,
            sessions,
        })
    }
}

impl Viewer {
    /// A visitor who has not logged in, outside a request (the pages' unit tests).
    #[cfg(test)]
    pub(crate) fn anonymous() -> Viewer {
        Viewer {
            agent: None,
            csrf: String::new(),
            session_id: None,
            sessions: Arc::new(Sessions::new(SessionConfig::default())),
        }
    }

    /// How the viewer reads: their handle and role, and today.
    pub(crate) fn reading(
        &self,
        state: &fairshare_core::State,
        today: fairshare_core::Date,
    ) -> Reading {
        Reading {
            actor: self.agent.clone(),
            role: pages::role_of(state, self.agent.as_deref()),
            today,
        }
    }
}

/// Whether a session's agent still has the role and the password it logged in with: a
/// session dies when either changes, whichever process changed it.
async fn still_valid(app: &AppState, session: &session::Session) -> bool {
    let role = read(app, |state| Ok(state.role_of(&session.agent).ok())).await;
    let password = app.auth.password_fingerprint(&session.agent).await;
    matches!((role, password), (Ok(role), Ok(password))
        if role == session.role && password == session.password)
}

pub(crate) fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_string())]).into_response()
}

/// An HTML page with a status.
pub(crate) fn html(status: StatusCode, body: String) -> Response {
    (status, Html(body)).into_response()
}

/// A plain error page.
pub(crate) fn error_page(viewer: &Viewer, status: StatusCode, message: &str) -> Response {
    html(status, pages::message_page(viewer, status, message))
}

/// May this viewer read? On a private network only a logged-in member may.
fn may_read(app: &AppState, viewer: &Viewer) -> bool {
    app.public || viewer.agent.is_some()
}

/// The viewer of a page that only those who may read see; anyone else is sent to log in.
pub(crate) struct Reader(pub Viewer);

impl FromRequestParts<AppState> for Reader {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        let viewer = Viewer::from_request_parts(parts, app).await?;
        if !may_read(app, &viewer) {
            return Err(redirect("/login"));
        }
        Ok(Reader(viewer))
    }
}

async fn read<T>(
    app: &AppState,
    f: impl FnOnce(&fairshare_core::State) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    app.model.ensure_fresh().await?;
    let state = app.model.state().read().await;
    f(&state)
}

/// A page rendered from the state and today's date, answered with `status` (or the error's
/// page).
async fn page_of(
    app: &AppState,
    viewer: &Viewer,
    status: StatusCode,
    render: impl FnOnce(&fairshare_core::State, fairshare_core::Date) -> Result<String, ApiError>,
) -> Response {
    let today = app.clock.today();
    match read(app, |state| render(state, today)).await {
        Ok(body) => html(status, body),
        Err(error) => api_error_page(viewer, error),
    }
}

fn api_error_page(viewer: &Viewer, error: ApiError) -> Response {
    error_page(viewer, error.status(), &error.detail())
}

// ---------------------------------------------------------------------------------------------
// Pages

async fn overview(State(app): State<AppState>, Reader(viewer): Reader) -> Response {
    let recent = match log::recent(&app, 12).await {
        Ok(recent) => recent,
        Err(error) => return api_error_page(&viewer, error),
    };
    page_of(&app, &viewer, StatusCode::OK, |state, today| {
        pages::overview(state, &viewer, recent, today)
    })
    .await
}

async fn project(
    State(app): State<AppState>,
    Reader(viewer): Reader,
    Path(slug): Path<String>,
    Query(asked): Query<EstimateQuery>,
) -> Response {
    show(&app, &viewer, FormPage::Project(slug, asked)).await
}

async fn statement(
    State(app): State<AppState>,
    Reader(viewer): Reader,
    Path(id): Path<String>,
    Query(offsets): Query<pages::StatementOffsets>,
) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return error_page(&viewer, StatusCode::NOT_FOUND, "no such distribution");
    };
    page_of(&app, &viewer, StatusCode::OK, |state, _| {
        pages::statement(state, &viewer, id, offsets)
    })
    .await
}

async fn me(
    State(app): State<AppState>,
    viewer: Viewer,
    Query(asked): Query<EstimateQuery>,
) -> Response {
    if viewer.agent.is_none() {
        return redirect("/login");
    }
    show(&app, &viewer, FormPage::Me(asked)).await
}

/// A page with forms, as a GET asks for it; a refused form shows it again with its query at
/// the default (see [`form_page`]).
pub(crate) enum FormPage {
    /// A project's page, by slug, with the estimate asked.
    Project(String, EstimateQuery),
    /// The viewer's own page, with the estimate asked.
    Me(EstimateQuery),
    Treasury(treasury::Offsets),
    Membership(membership::Offsets),
    /// A project's proposals page (none: the network's), with the kind of change asked.
    Proposals(Option<String>, Option<String>),
    /// One proposal's page.
    Proposal(String),
    /// A campaign's page, by id.
    Campaign(String),
    /// A resource's page, by name, with the use form's fields to quote.
    Resource(String, Fields),
    /// A token's page, by symbol, with the form's fields to quote.
    Token(String, Fields),
    /// A project's peer valuation page, with where its long tables start.
    Peer(String, peer::Offsets),
}

impl FormPage {
    /// A project's page, where its forms' refusals are shown.
    fn project(slug: &str) -> FormPage {
        FormPage::Project(slug.to_string(), EstimateQuery::default())
    }
}

/// A page as asked for.
async fn show(app: &AppState, viewer: &Viewer, page: FormPage) -> Response {
    form_page(app, viewer, &page, None, StatusCode::OK).await
}

/// A page with a refused form's error if any, answered with `status`.
async fn form_page(
    app: &AppState,
    viewer: &Viewer,
    page: &FormPage,
    error: Option<FormError>,
    status: StatusCode,
) -> Response {
    page_of(app, viewer, status, |state, today| {
        let context = PageContext {
            state,
            viewer,
            today,
            error: error.as_ref(),
        };
        match page {
            FormPage::Project(slug, asked) => {
                let estimate = forecast::section(state, viewer, asked, Some(slug), today)?;
                pages::project(context, slug, estimate)
            }
            FormPage::Me(asked) => {
                let agent = viewer.agent.clone().unwrap_or_default();
                let estimate = forecast::section(state, viewer, asked, None, today)?;
                pages::me(context, &agent, estimate)
            }
            FormPage::Treasury(offsets) => treasury::treasury_page(context, *offsets),
            FormPage::Membership(offsets) => membership::membership_page(context, *offsets),
            FormPage::Proposals(slug, asked) => {
                governance::proposals_page(context, slug.as_deref(), asked.as_deref())
            }
            FormPage::Proposal(id) => governance::proposal_page(context, id),
            FormPage::Campaign(id) => resources::campaign_page(context, id),
            FormPage::Resource(name, asked) => resources::resource_page(context, name, asked),
            FormPage::Token(symbol, asked) => tokens::token_page(context, symbol, asked),
            FormPage::Peer(slug, offsets) => peer::peer_page(context, slug, *offsets),
        }
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Logging in and out

async fn login_form(viewer: Viewer) -> Response {
    login_page(&viewer, None, "", StatusCode::OK)
}

fn login_page(viewer: &Viewer, error: Option<&str>, handle: &str, status: StatusCode) -> Response {
    let token = viewer.sessions.login_token();
    let response = html(status, pages::login(viewer, &token, error, handle));
    with_form_cookie(viewer, response, LOGIN_COOKIE, &token)
}

/// A login that may not be tried now (429 after failures, 503 when the password checkers are
/// all busy), answered as the login page saying when to try again, with the status and
/// `Retry-After` an API client gets.
fn login_later(viewer: &Viewer, handle: &str, refusal: ApiError) -> Response {
    let (status, reason, seconds) = match &refusal {
        ApiError::TooManyRequests(reason, seconds) => {
            (StatusCode::TOO_MANY_REQUESTS, reason, *seconds)
        }
        ApiError::Busy(reason, seconds) => (StatusCode::SERVICE_UNAVAILABLE, reason, *seconds),
        _ => return refusal.into_response(),
    };
    let message = format!("{reason}: try again in {seconds} s");
    let mut response = login_page(viewer, Some(&message), handle, status);
    response
        .headers_mut()
        .insert(axum::http::header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// A page whose form is sent before any session (logging in, asking to join): its token is
/// one this server signed (`Sessions::login_token`), also set in a cookie for as long as the
/// token is accepted, so a script cannot invent a matching pair.
pub(crate) fn with_form_cookie(
    viewer: &Viewer,
    mut response: Response,
    cookie: &str,
    token: &str,
) -> Response {
    if let Ok(value) = HeaderValue::from_str(&viewer.sessions.set_cookie(
        cookie,
        token,
        Some(session::LOGIN_TOKEN_TTL),
    )) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

pub(crate) type Fields = HashMap<String, String>;

/// A form's fields; a body that is not a form reads as no field at all (so a POST without
/// one fails the CSRF check: 403, not 415).
pub(crate) struct WebForm(Fields);

impl<S: Send + Sync> axum::extract::FromRequest<S> for WebForm {
    type Rejection = std::convert::Infallible;

    async fn from_request(
        request: axum::extract::Request,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(WebForm(
            Form::<Fields>::from_request(request, state)
                .await
                .map(|Form(fields)| fields)
                .unwrap_or_default(),
        ))
    }
}

pub(crate) fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.get(name).map(|v| v.trim()).unwrap_or("")
}

pub(crate) fn optional(fields: &Fields, name: &str) -> Option<String> {
    Some(field(fields, name))
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// Logs in: the form's token must be one this server issued (and the same in the cookie),
/// the account and the address must not be locked out after failures (429 with
/// `Retry-After`), and the password is checked by the bounded hashers (503 when too many
/// wait).
async fn login(
    State(app): State<AppState>,
    viewer: Viewer,
    ClientIp(address): ClientIp,
    headers: HeaderMap,
    WebForm(fields): WebForm,
) -> Response {
    let expected = session::cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    let token = field(&fields, "csrf");
    if !session::same_token(expected, token) || !viewer.sessions.valid_login_token(token) {
        return error_page(
            &viewer,
            StatusCode::FORBIDDEN,
            "the login form expired or was not sent from this site: reload it and try again",
        );
    }
    let handle = field(&fields, "handle").to_lowercase();
    if let Err(locked) = app.auth.check_throttle(Some(&handle), address) {
        return login_later(&viewer, &handle, locked);
    }
    let password = fields.get("password").map(String::as_str).unwrap_or("");
    // The password is checked (or a dummy one, as slowly) whether the handle exists or not.
    let checked = match app.auth.check_password(&handle, password).await {
        Ok(checked) => checked,
        Err(busy @ ApiError::Busy(..)) => return login_later(&viewer, &handle, busy),
        Err(_) => None,
    };
    let role = read(&app, |state| Ok(state.role_of(&handle).ok()))
        .await
        .ok()
        .flatten();
    let (Some(fingerprint), Some(role)) = (checked, role) else {
        app.auth.throttle.fail(Some(&handle), address);
        return login_page(
            &viewer,
            Some("unknown handle or wrong password"),
            &handle,
            StatusCode::UNAUTHORIZED,
        );
    };
    app.auth.throttle.succeed(&handle);
    if let Some(old) = &viewer.session_id {
        viewer.sessions.remove(old);
    }
    let (id, _) = viewer.sessions.create(&handle, Some(role), fingerprint);
    let mut response = redirect("/me");
    for cookie in [
        viewer
            .sessions
            .set_cookie(SESSION_COOKIE, &id, Some(viewer.sessions.config.absolute)),
        viewer.sessions.clear_cookie(LOGIN_COOKIE),
    ] {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

async fn logout(viewer: Viewer, WebForm(fields): WebForm) -> Response {
    if let Err(refused) = check_csrf(&viewer, &fields) {
        return *refused;
    }
    if let Some(id) = &viewer.session_id {
        viewer.sessions.remove(id);
    }
    let mut response = redirect("/");
    if let Ok(value) = HeaderValue::from_str(&viewer.sessions.clear_cookie(SESSION_COOKIE)) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

/// Every POST of a logged-in form: a live session and its CSRF token, or 403.
fn check_csrf(viewer: &Viewer, fields: &Fields) -> Result<String, Box<Response>> {
    let refused = |why: &str| Box::new(error_page(viewer, StatusCode::FORBIDDEN, why));
    let Some(agent) = &viewer.agent else {
        return Err(refused(
            "you are not logged in (or your session expired): log in and try again",
        ));
    };
    if viewer.csrf.is_empty() || !session::same_token(&viewer.csrf, field(fields, "csrf")) {
        return Err(refused(
            "this form was not sent from this site's page (missing or wrong CSRF token)",
        ));
    }
    Ok(agent.clone())
}

/// Whether a `back` target is a path of this site: it starts with one `/` and holds only the
/// characters of our own paths and queries, so that neither `//evil.example` nor
/// `/\evil.example` (which browsers read as another host) nor a header break can slip through.
fn is_local_path(path: &str) -> bool {
    let rest = match path.strip_prefix('/') {
        Some(rest) => rest,
        None => return false,
    };
    !rest.starts_with(['/', '\\'])
        && path.len() <= 256
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.~?=&%".contains(&b))
}

// ---------------------------------------------------------------------------------------------
// Writes: the same requests and writer queue as the API, acting as the logged-in agent

/// Fields of a dashboard form that are not its request's.
const FORM_CONTROLS: [&str; 3] = ["csrf", "idempotency_key", "back"];

pub(crate) async fn submit(
    app: &AppState,
    actor: String,
    command: Command,
    key: Option<String>,
) -> Result<(), ApiError> {
    let request = Request {
        actor,
        command,
        key,
        recorded_at: app.clock.now_text(),
    };
    app.writer
        .submit(request, Box::new(|_, _| Ok(Vec::new())))
        .await
        .map(|_| ())
}

/// Runs a form of a project page (see [`form_write_on`]).
async fn form_write(
    app: &AppState,
    viewer: &Viewer,
    fields: &Fields,
    form: &'static str,
    slug: &str,
    back: String,
    command: impl FnOnce(&str) -> Result<Command, ApiError>,
) -> Response {
    let page = FormPage::project(slug);
    form_write_on(app, viewer, fields, form, &page, back, command).await
}

/// Runs a form's command under the form's one-time idempotency key (a double submit records
/// once): redirects to `back` when it is recorded, or shows the page the form is on again
/// with the refusal next to the field it names.
async fn form_write_on(
    app: &AppState,
    viewer: &Viewer,
    fields: &Fields,
    form: &'static str,
    page: &FormPage,
    back: String,
    command: impl FnOnce(&str) -> Result<Command, ApiError>,
) -> Response {
    let actor = match check_csrf(viewer, fields) {
        Ok(actor) => actor,
        Err(refused) => return *refused,
    };
    let key = optional(fields, "idempotency_key");
    let result = match command(&actor) {
        Ok(command) => submit(app, actor, command, key).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => redirect(&back),
        Err(error) => {
            let status = error.status();
            let form_error = FormError::new(form, fields, error.field(), said(&error));
            form_page(app, viewer, page, Some(form_error), status).await
        }
    }
}

/// A refusal in the dashboard's words: a change that must be proposed instead names the page
/// that proposes it.
pub(crate) fn said(error: &ApiError) -> String {
    let detail = error.detail();
    match error.propose_in() {
        Some("network") => format!("{detail}: propose it on /network/proposals"),
        Some(project) => format!("{detail}: propose it on /projects/{project}/proposals"),
        None => detail,
    }
}

/// Runs the operation a form of a project page posts (see [`form_op_on`]).
async fn form_op<O: Write>(
    app: &AppState,
    viewer: &Viewer,
    fields: &Fields,
    path: Vec<(String, String)>,
    form: &'static str,
    slug: &str,
    back: String,
) -> Response {
    let page = FormPage::project(slug);
    form_op_on::<O>(app, viewer, fields, path, form, &page, back).await
}

/// A form's fields as its request's (the controls and the empty ones left out), trimmed.
pub(crate) fn form_pairs(fields: &Fields) -> Vec<(String, String)> {
    fields
        .iter()
        .filter(|(name, value)| !FORM_CONTROLS.contains(&name.as_str()) && !value.trim().is_empty())
        .map(|(name, value)| (name.clone(), value.trim().to_string()))
        .collect()
}

/// Runs the operation a form posts: the form's fields are the API request's (empty ones left
/// out), with the path's; a refusal is shown on `page`.
pub(crate) async fn form_op_on<O: Write>(
    app: &AppState,
    viewer: &Viewer,
    fields: &Fields,
    path: Vec<(String, String)>,
    form: &'static str,
    page: &FormPage,
    back: String,
) -> Response {
    let pairs = form_pairs(fields);
    form_write_on(app, viewer, fields, form, page, back, |actor| {
        let op: O = crate::operations::request_from_pairs(pairs, path, "form")?;
        Ok(op.command(actor)?)
    })
    .await
}

async fn log_contribution(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    WebForm(fields): WebForm,
) -> Response {
    let form = match field(&fields, "kind") {
        "cash" => "cash",
        "material" => "material",
        _ => "work",
    };
    let back = format!("/projects/{slug}");
    let path = vec![("project".to_string(), slug.clone())];
    form_op::<LogContribution>(&app, &viewer, &fields, path, form, &slug, back).await
}

/// What a review form reviews: the routes' first segment, the project of item `id`, the
/// item's name for a missing one, and the form names its refusals are shown under (approve,
/// reject).
#[derive(Clone, Copy)]
struct Reviewed {
    items: &'static str,
    project_of: fn(&fairshare_core::State, u64) -> fairshare_core::DomainResult<String>,
    missing: &'static str,
    forms: (&'static str, &'static str),
}

const CONTRIBUTION: Reviewed = Reviewed {
    items: "contributions",
    project_of: |state, id| Ok(state.contribution(id)?.project.to_string()),
    missing: "no such contribution",
    forms: ("review", "reject"),
};

const CORRECTION: Reviewed = Reviewed {
    items: "corrections",
    project_of: |state, id| Ok(state.correction(id)?.project.to_string()),
    missing: "no such correction",
    forms: ("correction", "correction"),
};

/// `/{items}/{id}/approve` and `/reject`: an item's review, as the requests `A` and `R`.
fn reviews<A: Write, R: Write>(item: Reviewed) -> Router<AppState> {
    let items = item.items;
    Router::new()
        .route(
            &format!("/{items}/{{id}}/approve"),
            review::<A>(item, item.forms.0),
        )
        .route(
            &format!("/{items}/{{id}}/reject"),
            review::<R>(item, item.forms.1),
        )
}

/// The route that approves or rejects (`O`) an `item` by id, its refusals shown under the
/// form name `form`; back on the item's project page (or a local `back`).
fn review<O: Write>(item: Reviewed, form: &'static str) -> MethodRouter<AppState> {
    post(
        move |State(app): State<AppState>,
              viewer: Viewer,
              Path(id): Path<String>,
              WebForm(fields): WebForm| async move {
            let Ok(id) = id.parse::<u64>() else {
                return error_page(&viewer, StatusCode::NOT_FOUND, item.missing);
            };
            let slug = read(&app, |state| Ok((item.project_of)(state, id)?)).await;
            let slug = match slug {
                Ok(slug) => slug,
                Err(error) => return api_error_page(&viewer, error),
            };
            let back = optional(&fields, "back")
                .filter(|b| is_local_path(b))
                .unwrap_or_else(|| format!("/projects/{slug}"));
            let path = vec![("id".to_string(), id.to_string())];
            form_op::<O>(&app, &viewer, &fields, path, form, &slug, back).await
        },
    )
}

/// The plan form takes a plan file's text (TOML, or JSON), as `fairshare plan set` does.
async fn set_plan(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    WebForm(fields): WebForm,
) -> Response {
    let project = slug.clone();
    let back = format!("/projects/{slug}");
    form_write(&app, &viewer, &fields, "plan", &slug, back, |actor| {
        let text = field(&fields, "plan");
        let json = text.starts_with('{');
        let bucket = parse_plan_file(text, json).map_err(|message| {
            ApiError::Refused(fairshare_core::DomainError::invalid(message).field("plan"))
        })?;
        Ok(SetPlan { project, bucket }.command(actor)?)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn only_paths_of_this_site_are_followed() {
        for good in ["/me", "/projects/forillon", "/projects/p?tab=pending"] {
            assert!(is_local_path(good), "{good}");
        }
        for bad in [
            "//evil.example/x",
            "/\\evil.example/x",
            "/\\\\evil.example",
            "https://evil.example",
            "evil",
            "/a\r\nSet-Cookie: x=1",
            "/\tevil",
            "",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }
}
