//! Joining and roles on the dashboard (docs/MEMBERSHIP.md).
//!
//! - `/join`: the public form where anyone asks to join, without logging in. Its CSRF check is
//!   a double-submit token (a cookie and a hidden field, as the login form's), each rendering
//!   carries a one-time idempotency key (a double submit records once), and keyless requests
//!   share the API's rate limit per client address. A logged-in member who asks for someone
//!   else is recorded as themself.
//! - `/membership`: pending join requests (custodians admit with a role, or decline with a
//!   reason), proposed projects (custodians admit or decline; members propose), and the
//!   agents with a role form for custodians. Every form posts the API's request
//!   (`fairshare_ops::membership`) through [`form_op_on`], so the core decides who may do what.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use fairshare_core::Role;
use fairshare_ops::agents::{AgentRow, ListAgents};
use fairshare_ops::membership::{
    AdmitAgent, AdmitProject, DeclineJoin, DeclineProject, JoinRequestOut, ListJoinRequests,
    ListProjectProposals, ProjectProposalOut, ProposeProject, RequestJoin, SetRole,
};
use fairshare_ops::{Read, Write};
use serde::Deserialize;

use super::forms::posted;
use super::pages::{Errors, FormError, Nav, PageContext, nav, render};
use super::session::{self, JOIN_COOKIE};
use super::treasury::Pager;
use super::{
    FormPage, Viewer, WebForm, api_error_page, field, form_pairs, html, optional, read, redirect,
    show, submit, with_form_cookie,
};
use crate::AppState;
use crate::error::ApiError;
use crate::limiter::ClientAddress;
use crate::operations::{request_from_pairs, stranger_actor};

/// Agents on one page of `/membership`.
const AGENTS_PAGE: usize = 50;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/join", get(join_form).post(join))
        .route("/membership", get(membership))
        .route("/membership/propose", post(posted::<ProposeProject>))
        .route("/join/{handle}/admit", post(posted::<AdmitAgent>))
        .route("/join/{handle}/decline", post(posted::<DeclineJoin>))
        .route("/agents/{handle}/role", post(posted::<SetRole>))
        .route(
            "/project-proposals/{slug}/admit",
            post(posted::<AdmitProject>),
        )
        .route(
            "/project-proposals/{slug}/decline",
            post(posted::<DeclineProject>),
        )
}

// ---------------------------------------------------------------------------------------------
// The public join form

#[derive(Template)]
#[template(path = "join.html")]
struct JoinPage {
    nav: Nav,
    /// The token this server signed, in the form and in its cookie.
    token: String,
    errors: Errors,
}

/// The join form, with a fresh token (set in its cookie) and a refused request's error.
fn join_page(viewer: &Viewer, error: Option<FormError>, status: StatusCode) -> Response {
    let token = viewer.sessions.login_token();
    let page = JoinPage {
        nav: nav(viewer),
        token: token.clone(),
        errors: Errors(error),
    };
    match render(page) {
        Ok(body) => with_form_cookie(viewer, html(status, body), JOIN_COOKIE, &token),
        Err(error) => api_error_page(viewer, error),
    }
}

async fn join_form(viewer: Viewer) -> Response {
    join_page(&viewer, None, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "joined.html")]
struct JoinedPage {
    nav: Nav,
    request: JoinRequestOut,
}

/// Records a join request from the public form: as the logged-in member, or as the stranger
/// (the handle asked for) within the address's rate limit.
async fn join(
    State(app): State<AppState>,
    viewer: Viewer,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    WebForm(fields): WebForm,
) -> Response {
    let expected = session::cookie(&headers, JOIN_COOKIE).unwrap_or("");
    let token = field(&fields, "csrf");
    if !session::same_token(expected, token) || !viewer.sessions.valid_login_token(token) {
        return super::error_page(
            &viewer,
            StatusCode::FORBIDDEN,
            "the join form expired or was not sent from this site: reload it and try again",
        );
    }
    let key = optional(&fields, "idempotency_key");
    let recorded = async {
        let op: RequestJoin = request_from_pairs(form_pairs(&fields), Vec::new(), "form")?;
        let actor = match &viewer.agent {
            Some(agent) => agent.clone(),
            None => stranger_actor(&app, &op, address)?,
        };
        submit(&app, actor, op.command("")?, key).await?;
        read(&app, |state| {
            Ok(JoinRequestOut::of(state.join_request(&op.handle)?))
        })
        .await
    }
    .await;
    match recorded {
        Ok(request) => match render(JoinedPage {
            nav: nav(&viewer),
            request,
        }) {
            Ok(body) => html(StatusCode::OK, body),
            Err(error) => api_error_page(&viewer, error),
        },
        Err(error) => {
            let status = error.status();
            let form_error = FormError::new("join", &fields, error.field(), super::said(&error));
            join_page(&viewer, Some(form_error), status)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The membership page

/// Where the agents' list starts (`/membership?agents=50`).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub(crate) struct Offsets {
    #[serde(default)]
    agents: usize,
}

#[derive(Template)]
#[template(path = "membership.html")]
struct MembershipPage {
    nav: Nav,
    custodian: bool,
    /// May propose a project: affiliates and custodians.
    can_propose: bool,
    requests: Vec<JoinRequestOut>,
    proposals: Vec<ProjectProposalOut>,
    agents: Vec<AgentRow>,
    agents_pager: Pager,
    roles: [&'static str; 3],
    errors: Errors,
}

pub(super) fn membership_page(context: PageContext, offsets: Offsets) -> Result<String, ApiError> {
    let state = context.state;
    let reading = context.reading();
    let role = reading.role;
    let custodian = role == Some(Role::Custodian);
    let requests = if custodian {
        ListJoinRequests::default().view(state, &reading)?.requests
    } else {
        Vec::new()
    };
    let proposals = ListProjectProposals::default()
        .view(state, &reading)?
        .proposals;
    let agents = ListAgents {
        limit: Some(AGENTS_PAGE),
        offset: Some(offsets.agents),
    }
    .view(state, &reading)?;
    let agents_pager = Pager::of(&agents.page, |at| format!("/membership?agents={at}"));
    render(MembershipPage {
        nav: nav(context.viewer),
        custodian,
        can_propose: matches!(role, Some(Role::Custodian | Role::Affiliate)),
        requests,
        proposals,
        agents: agents.agents,
        agents_pager,
        roles: ["affiliate", "observer", "custodian"],
        errors: context.errors(),
    })
}

async fn membership(
    State(app): State<AppState>,
    viewer: Viewer,
    Query(offsets): Query<Offsets>,
) -> Response {
    if viewer.agent.is_none() {
        return redirect("/login");
    }
    show(&app, &viewer, FormPage::Membership(offsets)).await
}

// ---------------------------------------------------------------------------------------------
// Forms
