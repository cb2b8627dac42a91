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
use fairshare_core::{Command, Filter, Outcome, State, format_amount, parse_amount};
use serde::Serialize;

use crate::api_types::*;
use crate::auth::{Caller, Reader};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, IDEMPOTENT_REPLAYED, IdempotencyKey};
use crate::offload::DropOffRuntime;
use crate::routes::{IdempotencyHeader, ReadErrors, WriteErrors};
use crate::views::{self, Page};
use crate::writer::Render;
use crate::{AppInner, AppState, convert};

type Api<T> = Result<Json<T>, ApiError>;

/// Bytes of export sent to the client at a time.
const EXPORT_CHUNK_BYTES: usize = 64 * 1024;
/// Export chunks buffered between the reading thread and the connection.
const EXPORT_CHUNKS_QUEUED: usize = 4;

impl AppInner {
    /// Runs a read on the state, once it holds every event appended before this call.
    async fn read<T>(&self, f: impl FnOnce(&State) -> Result<T, ApiError>) -> Api<T> {
        self.model.ensure_fresh().await?;
        let state = self.model.state().read().await;
        f(&state).map(Json)
    }

    /// Submits a command acting as `caller` and answers with `status` and the rendered result
    /// once it is committed; a retry with the same idempotency key gets the same status and
    /// the header `Idempotent-Replayed: true`.
    async fn write<V: Serialize + 'static>(
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
            recorded_at: self.clock.now(),
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
// Agents

/// Agents, in byte order of handle.
#[utoipa::path(get, path = "/api/v1/agents", tag = "agents", params(PageQuery),
    responses((status = 200, body = AgentsOut), ReadErrors), security((), ("api_key" = [])))]
pub(crate) async fn list_agents(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Api<AgentsOut> {
    let page = Page::new(query.limit, query.offset)?;
    app.read(|state| {
        let (agents, total) = page.take(state.agents().into_iter(), views::agent_row);
        Ok(AgentsOut {
            next_offset: page.next_offset(agents.len(), total),
            total,
            offset: page.offset,
            limit: page.limit,
            agents,
        })
    })
    .await
}

/// Adds an agent (custodians only).
#[utoipa::path(post, path = "/api/v1/agents", tag = "agents", request_body = AgentCreate,
    params(IdempotencyHeader),
    responses((status = 201, description = "Added", body = AgentAdded), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn add_agent(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<AgentCreate>,
) -> Result<Response, ApiError> {
    let handle = body.handle.clone();
    let command = convert::add_agent(body);
    app.write(
        caller,
        key,
        command,
        StatusCode::CREATED,
        move |state, _| {
            Ok(AgentAdded {
                agent: views::agent_row(state.agent(&handle)?),
            })
        },
    )
    .await
}

/// One agent.
#[utoipa::path(get, path = "/api/v1/agents/{handle}", tag = "agents",
    params(("handle" = String, Path, description = "The agent's handle")),
    responses((status = 200, body = AgentRow), ReadErrors), security((), ("api_key" = [])))]
pub(crate) async fn show_agent(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
    ApiPath(handle): ApiPath<String>,
) -> Api<AgentRow> {
    app.read(|state| Ok(views::agent_row(state.agent(&handle)?)))
        .await
}

// ---------------------------------------------------------------------------------------------
// Projects and policies

/// Projects, in byte order of slug.
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects", params(PageQuery),
    responses((status = 200, body = ProjectsOut), ReadErrors), security((), ("api_key" = [])))]
pub(crate) async fn list_projects(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Api<ProjectsOut> {
    let page = Page::new(query.limit, query.offset)?;
    app.read(|state| {
        let (projects, total) = page.take(state.projects(), views::project_row);
        Ok(ProjectsOut {
            next_offset: page.next_offset(projects.len(), total),
            total,
            offset: page.offset,
            limit: page.limit,
            projects,
        })
    })
    .await
}

/// Adds a project with its currency (custodians only). Its plan is `contributors(all)`.
#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", request_body = ProjectCreate,
    params(IdempotencyHeader),
    responses((status = 201, description = "Added", body = ProjectAdded), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn add_project(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<ProjectCreate>,
) -> Result<Response, ApiError> {
    let slug = body.slug.clone();
    let command = convert::add_project(body);
    app.write(
        caller,
        key,
        command,
        StatusCode::CREATED,
        move |state, _| {
            Ok(ProjectAdded {
                project: views::project_row(state.project(&slug)?),
            })
        },
    )
    .await
}

/// A project: currency, approvals, valuation policy and the plan in force.
#[utoipa::path(get, path = "/api/v1/projects/{slug}", tag = "projects",
    params(("slug" = String, Path, description = "The project's slug")),
    responses((status = 200, body = ProjectShow), ReadErrors), security((), ("api_key" = [])))]
pub(crate) async fn show_project(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
    ApiPath(slug): ApiPath<String>,
) -> Api<ProjectShow> {
    app.read(|state| Ok(views::project_show(state, state.project(&slug)?)))
        .await
}

/// Renders the policy in force after a policy change.
fn policy_set(slug: String) -> impl FnOnce(&State, &Executed) -> Result<PolicySet, ApiError> {
    move |state, _| {
        Ok(PolicySet {
            policy: views::policy_out(&state.project(&slug)?.policy),
            project: slug,
        })
    }
}

/// Sets the rate per hour of a work category (custodians only; applies to later
/// contributions).
#[utoipa::path(put, path = "/api/v1/projects/{slug}/rates/{category}", tag = "policy",
    request_body = RateSet,
    params(("slug" = String, Path, description = "The project's slug"),
        ("category" = String, Path, description = "The work category"), IdempotencyHeader),
    responses((status = 200, description = "The policy now in force", body = PolicySet), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn set_rate(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath((slug, category)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<RateSet>,
) -> Result<Response, ApiError> {
    let command = Command::SetRate {
        project: slug.clone(),
        category,
        per_hour: body.per_hour,
    };
    app.write(caller, key, command, StatusCode::OK, policy_set(slug))
        .await
}

/// Sets an agent's skill factor in a project (custodians only).
#[utoipa::path(put, path = "/api/v1/projects/{slug}/skills/{agent}", tag = "policy",
    request_body = FactorSet,
    params(("slug" = String, Path, description = "The project's slug"),
        ("agent" = String, Path, description = "The agent's handle"), IdempotencyHeader),
    responses((status = 200, description = "The policy now in force", body = PolicySet), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn set_skill(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath((slug, agent)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<FactorSet>,
) -> Result<Response, ApiError> {
    let command = Command::SetSkill {
        project: slug.clone(),
        agent,
        factor: body.factor,
    };
    app.write(caller, key, command, StatusCode::OK, policy_set(slug))
        .await
}

/// Sets the multiplier of a contribution kind in a project (custodians only).
#[utoipa::path(put, path = "/api/v1/projects/{slug}/multipliers/{kind}", tag = "policy",
    request_body = FactorSet,
    params(("slug" = String, Path, description = "The project's slug"),
        ("kind" = KindBody, Path, description = "The contribution kind"), IdempotencyHeader),
    responses((status = 200, description = "The policy now in force", body = PolicySet), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn set_multiplier(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath((slug, kind)): ApiPath<(String, KindBody)>,
    ApiJson(body): ApiJson<FactorSet>,
) -> Result<Response, ApiError> {
    let command = Command::SetMultiplier {
        project: slug.clone(),
        kind: convert::kind(kind),
        factor: body.factor,
    };
    app.write(caller, key, command, StatusCode::OK, policy_set(slug))
        .await
}

/// Makes contribution values halve every `half_life_days` days (custodians only).
#[utoipa::path(put, path = "/api/v1/projects/{slug}/decay", tag = "policy",
    request_body = DecaySet,
    params(("slug" = String, Path, description = "The project's slug"), IdempotencyHeader),
    responses((status = 200, description = "The policy now in force", body = PolicySet), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn set_decay(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<DecaySet>,
) -> Result<Response, ApiError> {
    let command = Command::SetHalfLife {
        project: slug.clone(),
        days: Some(body.half_life_days),
    };
    app.write(caller, key, command, StatusCode::OK, policy_set(slug))
        .await
}

/// Removes time decay (custodians only).
#[utoipa::path(delete, path = "/api/v1/projects/{slug}/decay", tag = "policy",
    params(("slug" = String, Path, description = "The project's slug"), IdempotencyHeader),
    responses((status = 200, description = "The policy now in force", body = PolicySet), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn remove_decay(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(slug): ApiPath<String>,
) -> Result<Response, ApiError> {
    let command = Command::SetHalfLife {
        project: slug.clone(),
        days: None,
    };
    app.write(caller, key, command, StatusCode::OK, policy_set(slug))
        .await
}

/// Re-values every contribution of a project by its current policy: an explicit, logged
/// event (custodians only).
#[utoipa::path(post, path = "/api/v1/projects/{slug}/revalue", tag = "policy",
    params(("slug" = String, Path, description = "The project's slug"), IdempotencyHeader),
    responses((status = 200, description = "The values that changed", body = Revalued), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn revalue(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(slug): ApiPath<String>,
) -> Result<Response, ApiError> {
    let command = Command::Revalue {
        project: slug.clone(),
    };
    app.write(
        caller,
        key,
        command,
        StatusCode::OK,
        move |state, executed| {
            let Outcome::Revalued { changes } = &executed.outcome else {
                return Err(unexpected(executed));
            };
            let exponent = state.project(&slug)?.exponent;
            Ok(Revalued {
                changed: changes
                    .iter()
                    .map(|(id, value)| ValueChange {
                        contribution: *id,
                        value: value.display(exponent),
                    })
                    .collect(),
                project: slug,
            })
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Contributions

/// A project's contributions in log order, optionally filtered.
#[utoipa::path(get, path = "/api/v1/projects/{slug}/contributions", tag = "contributions",
    params(("slug" = String, Path, description = "The project's slug"), ContributionsQuery),
    responses((status = 200, body = ContributionsOut), ReadErrors), security((), ("api_key" = [])))]
pub(crate) async fn list_contributions(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<ContributionsQuery>,
) -> Api<ContributionsOut> {
    let page = Page::new(query.limit, query.offset)?;
    let status = query.status.map(convert::status);
    let kind = query.kind.map(convert::kind);
    app.read(|state| {
        let project = state.project(&slug)?;
        if let Some(agent) = &query.agent {
            state.agent(agent)?;
        }
        let matching = state
            .project_contributions(project)
            .filter(|c| status.is_none_or(|s| c.status == s))
            .filter(|c| kind.is_none_or(|k| c.kind == k))
            .filter(|c| query.agent.as_deref().is_none_or(|a| *c.agent == *a));
        let (contributions, total) = page.take(matching, |c| views::contribution_row(project, c));
        Ok(ContributionsOut {
            project: slug.clone(),
            next_offset: page.next_offset(contributions.len(), total),
            total,
            offset: page.offset,
            limit: page.limit,
            contributions,
        })
    })
    .await
}

/// Logs a contribution of any kind. Affiliates log only their own; observers none.
#[utoipa::path(post, path = "/api/v1/projects/{slug}/contributions", tag = "contributions",
    request_body = ContributionCreate,
    params(("slug" = String, Path, description = "The project's slug"), IdempotencyHeader),
    responses((status = 201, description = "Logged", body = Logged), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn log_contribution(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<ContributionCreate>,
) -> Result<Response, ApiError> {
    let command = convert::log(slug, &caller.0, body)?;
    app.write(
        caller,
        key,
        command,
        StatusCode::CREATED,
        |state, executed| {
            let Outcome::Logged { id, .. } = executed.outcome else {
                return Err(unexpected(executed));
            };
            let contribution = state.contribution(id)?;
            let project = state.project(&contribution.project)?;
            Ok(views::logged(project, contribution, executed.replayed))
        },
    )
    .await
}

/// One contribution.
#[utoipa::path(get, path = "/api/v1/contributions/{id}", tag = "contributions",
    params(("id" = u64, Path, description = "The contribution's id")),
    responses((status = 200, body = ContributionRow), ReadErrors), security((), ("api_key" = [])))]
pub(crate) async fn show_contribution(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
    ApiPath(id): ApiPath<u64>,
) -> Api<ContributionRow> {
    app.read(|state| {
        let contribution = state.contribution(id)?;
        let project = state.project(&contribution.project)?;
        Ok(views::contribution_row(project, contribution))
    })
    .await
}

fn review(id: u64) -> impl FnOnce(&State, &Executed) -> Result<Reviewed, ApiError> {
    move |state, executed| {
        let contribution = state.contribution(id)?;
        let project = state.project(&contribution.project)?;
        Ok(views::reviewed(project, contribution, executed.replayed))
    }
}

/// Approves a pending contribution (custodians and affiliates; nobody their own).
#[utoipa::path(post, path = "/api/v1/contributions/{id}/approve", tag = "contributions",
    params(("id" = u64, Path, description = "The contribution's id"), IdempotencyHeader),
    responses((status = 200, description = "Its review status", body = Reviewed), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn approve(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(id): ApiPath<u64>,
) -> Result<Response, ApiError> {
    app.write(
        caller,
        key,
        Command::Approve { id },
        StatusCode::OK,
        review(id),
    )
    .await
}

/// Rejects a pending contribution, with a reason.
#[utoipa::path(post, path = "/api/v1/contributions/{id}/reject", tag = "contributions",
    request_body = RejectBody,
    params(("id" = u64, Path, description = "The contribution's id"), IdempotencyHeader),
    responses((status = 200, description = "Its review status", body = Reviewed), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn reject(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(id): ApiPath<u64>,
    ApiJson(body): ApiJson<RejectBody>,
) -> Result<Response, ApiError> {
    let command = convert::reject(id, body);
    app.write(caller, key, command, StatusCode::OK, review(id))
        .await
}

/// Each agent's counted value and share in a project; with `blended=true`, the formula, peer,
/// steward and blended shares side by side (not paged).
#[utoipa::path(get, path = "/api/v1/projects/{slug}/shares", tag = "contributions",
    params(("slug" = String, Path, description = "The project's slug"), SharesQuery),
    responses((status = 200, body = SharesAnswer), ReadErrors), security((), ("api_key" = [])))]
pub(crate) async fn shares(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<SharesQuery>,
) -> Api<SharesAnswer> {
    let page = Page::new(query.limit, query.offset)?;
    let as_of = match &query.as_of {
        Some(text) => convert::date(text)?,
        None => app.clock.today(),
    };
    let blended = query.blended.unwrap_or(false);
    app.read(|state| {
        let project = state.project(&slug)?;
        if blended {
            let report = state.blended_shares(&slug, as_of)?;
            return Ok(SharesAnswer::Blended(views::blended_out(
                project, as_of, &report,
            )));
        }
        let values = state.values_by_agent(project, &Filter::default(), as_of)?;
        let total = views::total_value(&values);
        let (shares, agents) = page.take(values.iter(), |(agent, value)| {
            views::share_row(project, agent, *value, total)
        });
        Ok(SharesAnswer::Formula(SharesOut {
            project: slug.clone(),
            as_of: as_of.to_string(),
            currency: project.currency.clone(),
            total: total.display(project.exponent),
            next_offset: page.next_offset(shares.len(), agents),
            agents,
            offset: page.offset,
            limit: page.limit,
            shares,
        }))
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Plans

/// A version of a project's plan (the current one by default).
#[utoipa::path(get, path = "/api/v1/projects/{slug}/plan", tag = "plans",
    params(("slug" = String, Path, description = "The project's slug"), PlanQuery),
    responses((status = 200, body = PlanOut), ReadErrors), security((), ("api_key" = [])))]
pub(crate) async fn show_plan(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<PlanQuery>,
) -> Api<PlanOut> {
    app.read(|state| views::plan_version(state.project(&slug)?, query.version))
        .await
}

/// Sets a project's plan: a new version, used by later distributions (custodians only).
#[utoipa::path(put, path = "/api/v1/projects/{slug}/plan", tag = "plans",
    request_body = PlanBody,
    params(("slug" = String, Path, description = "The project's slug"), IdempotencyHeader),
    responses((status = 200, description = "The new version", body = PlanOut), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn set_plan(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<PlanBody>,
) -> Result<Response, ApiError> {
    let command = Command::SetPlan {
        project: slug.clone(),
        plan: convert::plan(body)?,
    };
    app.write(
        caller,
        key,
        command,
        StatusCode::OK,
        move |state, executed| {
            let Outcome::PlanSet { version } = executed.outcome else {
                return Err(unexpected(executed));
            };
            views::plan_version(state.project(&slug)?, Some(version))
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Revenue, distributions, statements, balances

/// Records revenue from outside and distributes it by the project's plan (custodians only).
#[utoipa::path(post, path = "/api/v1/projects/{slug}/revenue", tag = "revenue",
    request_body = RevenueCreate,
    params(("slug" = String, Path, description = "The project's slug"), IdempotencyHeader),
    responses((status = 201, description = "The distribution and its statement", body = RevenueOut), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn record_revenue(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<RevenueCreate>,
) -> Result<Response, ApiError> {
    let command = convert::revenue(slug, body);
    app.write(
        caller,
        key,
        command,
        StatusCode::CREATED,
        |state, executed| {
            let Outcome::Distributed { id, .. } = executed.outcome else {
                return Err(unexpected(executed));
            };
            Ok(views::revenue_out(
                state,
                state.distribution(id)?,
                executed.replayed,
            ))
        },
    )
    .await
}

/// A project's distributions, oldest first.
#[utoipa::path(get, path = "/api/v1/projects/{slug}/distributions", tag = "revenue",
    params(("slug" = String, Path, description = "The project's slug"), PageQuery),
    responses((status = 200, body = DistributionsOut), ReadErrors), security((), ("api_key" = [])))]
pub(crate) async fn list_distributions(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Api<DistributionsOut> {
    let page = Page::new(query.limit, query.offset)?;
    app.read(|state| {
        state.project(&slug)?;
        let all = state.distributions().iter().filter(|d| d.project == slug);
        let (distributions, total) = page.take(all, views::distribution_row);
        Ok(DistributionsOut {
            project: slug.clone(),
            next_offset: page.next_offset(distributions.len(), total),
            total,
            offset: page.offset,
            limit: page.limit,
            distributions,
        })
    })
    .await
}

/// The statement of one distribution: who got what, from which bucket.
#[utoipa::path(get, path = "/api/v1/distributions/{id}", tag = "revenue",
    params(("id" = u64, Path, description = "The distribution's id")),
    responses((status = 200, body = StatementOut), ReadErrors), security((), ("api_key" = [])))]
pub(crate) async fn show_statement(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
    ApiPath(id): ApiPath<u64>,
) -> Api<StatementOut> {
    app.read(|state| Ok(views::statement_out(state, state.distribution(id)?)))
        .await
}

/// Balances of every account that holds something, in byte order of name.
#[utoipa::path(get, path = "/api/v1/balances", tag = "revenue", params(PageQuery),
    responses((status = 200, body = BalancesOut), ReadErrors), security((), ("api_key" = [])))]
pub(crate) async fn list_balances(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Api<BalancesOut> {
    let page = Page::new(query.limit, query.offset)?;
    app.read(|state| {
        let (names, total) = page.take(state.ledger().accounts().into_keys(), |name| name);
        Ok(BalancesOut {
            next_offset: page.next_offset(names.len(), total),
            total: Some(total),
            offset: Some(page.offset),
            limit: Some(page.limit),
            balances: views::balances(state, names.into_iter()),
        })
    })
    .await
}

/// The balances of one account (an agent, a project's account, a campaign...).
#[utoipa::path(get, path = "/api/v1/balances/{account}", tag = "revenue",
    params(("account" = String, Path, description = "The account's name")),
    responses((status = 200, body = BalancesOut), ReadErrors), security((), ("api_key" = [])))]
pub(crate) async fn show_balance(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
    ApiPath(account): ApiPath<String>,
) -> Api<BalancesOut> {
    app.read(|state| {
        if state.ledger().account(&account).is_none() && state.name_taken(&account).is_none() {
            return Err(ApiError::not_found(format!(
                "no account named {account:?}: not an agent, a project or an account that holds anything"
            )));
        }
        Ok(BalancesOut {
            total: None,
            offset: None,
            limit: None,
            next_offset: None,
            balances: views::balances(state, std::iter::once(account.as_str())),
        })
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// The log

/// The event log, oldest first: sequence, time, actor, operation, key and hash.
#[utoipa::path(get, path = "/api/v1/log", tag = "log", params(PageQuery),
    responses((status = 200, body = LogOut), ReadErrors), security((), ("api_key" = [])))]
pub(crate) async fn show_log(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Api<LogOut> {
    let page = Page::new(query.limit, query.offset)?;
    let model = app.model.clone();
    let out = tokio::task::spawn_blocking(move || {
        model.with_store(|store| {
            let head = store.head()?;
            let mut events = Vec::new();
            // `scan` has no limit: stop it with an error once the page is full.
            let scanned = store.scan(page.offset as u64, &mut |row| {
                if events.len() == page.limit {
                    return Err(fairshare_store::StoreError::Backend("page full".into()));
                }
                let op = fairshare_core::EventBody::from_json(&row.body)
                    .map(|body| body.command.op().to_string())
                    .unwrap_or_else(|_| "?".to_string());
                events.push(EventRowOut {
                    seq: row.seq,
                    recorded_at: row.recorded_at,
                    actor: row.actor,
                    op,
                    key: row.idempotency_key,
                    hash: row.hash,
                });
                Ok(())
            });
            if events.len() < page.limit {
                scanned?;
            }
            let total = usize::try_from(head).unwrap_or(usize::MAX);
            Ok(LogOut {
                head,
                next_offset: page.next_offset(events.len(), total),
                offset: page.offset,
                limit: page.limit,
                events,
            })
        })
    })
    .await??;
    Ok(Json(out))
}

/// Re-checks the whole log: the hash chain, every recorded outcome decided again, and the
/// ledger's invariants. `ok` is false, with the first problem, for a damaged book.
#[utoipa::path(get, path = "/api/v1/verify", tag = "log",
    responses((status = 200, body = VerifyOut), ReadErrors), security((), ("api_key" = [])))]
pub(crate) async fn verify(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
) -> Api<VerifyOut> {
    let _permit = app
        .heavy
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| ApiError::Unavailable("the server is stopping".into()))?;
    let backend = app.backend.clone();
    let report = tokio::task::spawn_blocking(move || {
        let mut store = backend.open_reader()?;
        fairshare_book::verify(store.as_mut()).map_err(ApiError::from)
    })
    .await??;
    Ok(Json(VerifyOut {
        ok: report.ok(),
        events: report.events,
        head: report.head_hash,
        problem: report
            .problem
            .map(|(seq, message)| VerifyProblem { seq, message }),
    }))
}

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
    let format = query.format.unwrap_or_default();
    let content_type = match format {
        ExportFormatBody::Jsonl => "application/x-ndjson",
        ExportFormatBody::Beancount | ExportFormatBody::Hledger | ExportFormatBody::Ledger => {
            "text/plain; charset=utf-8"
        }
        ExportFormatBody::Valueflows => "application/ld+json",
        ExportFormatBody::CsvContributions
        | ExportFormatBody::CsvDistributions
        | ExportFormatBody::CsvBalances => "text/csv; charset=utf-8",
    };
    let permit = app
        .heavy
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| ApiError::Unavailable("the server is stopping".into()))?;
    let source = if format == ExportFormatBody::Jsonl {
        let backend = app.backend.clone();
        let store =
            tokio::task::spawn_blocking(move || backend.open_reader().map(DropOffRuntime::new))
                .await??;
        ExportSource::Log(store)
    } else {
        app.model.ensure_fresh().await?;
        // A copy of the state, then an index of the store, which holds at least every event
        // of the copy.
        let state = app.model.state().read().await.clone();
        let backend = app.backend.clone();
        let index = tokio::task::spawn_blocking(move || {
            let mut store = DropOffRuntime::new(backend.open_reader()?);
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
    format: ExportFormatBody,
    source: ExportSource,
    out: &mut dyn std::io::Write,
) -> Result<(), String> {
    let (state, index) = match source {
        ExportSource::Log(mut store) => {
            return fairshare_book::export_jsonl(store.as_mut(), out)
                .map(|_| ())
                .map_err(|e| e.to_string());
        }
        ExportSource::Book(state, index) => (state, index),
    };
    let state = state.as_ref();
    let written = match format {
        ExportFormatBody::Beancount => {
            fairshare_export::write_beancount(state, &index, out).map(|_| ())
        }
        ExportFormatBody::Hledger => {
            fairshare_export::write_hledger(state, &index, out).map(|_| ())
        }
        ExportFormatBody::Ledger => fairshare_export::write_ledger(state, &index, out).map(|_| ()),
        ExportFormatBody::Valueflows => fairshare_export::write_valueflows(
            state,
            &index,
            &fairshare_export::ValueFlowsOptions::default(),
            out,
        )
        .map(|_| ()),
        ExportFormatBody::CsvContributions => {
            fairshare_export::write_contributions_csv(state, &index, out).map(|_| ())
        }
        ExportFormatBody::CsvDistributions => {
            fairshare_export::write_distributions_csv(state, &index, out).map(|_| ())
        }
        ExportFormatBody::CsvBalances => {
            fairshare_export::write_balances_csv(state, out).map(|_| ())
        }
        ExportFormatBody::Jsonl => return Err("JSON lines are read from the log".into()),
    };
    written.map_err(|e| e.to_string())
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
// Campaigns

/// Campaigns, in byte order of id; every project's, or one's.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", params(ByProjectQuery),
    responses((status = 200, body = CampaignsOut), ReadErrors), security((), ("api_key" = [])))]
pub(crate) async fn list_campaigns(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
    ApiQuery(query): ApiQuery<ByProjectQuery>,
) -> Api<CampaignsOut> {
    let page = Page::new(query.limit, query.offset)?;
    app.read(|state| {
        if let Some(project) = &query.project {
            state.project(project)?;
        }
        let campaigns = state
            .campaigns()
            .filter(|c| query.project.as_ref().is_none_or(|p| c.project == *p));
        let (campaigns, total) = page.take(campaigns, |c| views::campaign_row(state, c));
        Ok(CampaignsOut {
            next_offset: page.next_offset(campaigns.len(), total),
            total,
            offset: page.offset,
            limit: page.limit,
            campaigns,
        })
    })
    .await
}

/// Opens an internal crowdfunding campaign in a project (custodians only).
#[utoipa::path(post, path = "/api/v1/projects/{slug}/campaigns", tag = "campaigns",
    request_body = CampaignCreate,
    params(("slug" = String, Path, description = "The project's slug"), IdempotencyHeader),
    responses((status = 201, description = "Opened", body = CampaignOut), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn open_campaign(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<CampaignCreate>,
) -> Result<Response, ApiError> {
    let id = body.id.clone();
    let command = convert::open_campaign(slug, body);
    app.write(
        caller,
        key,
        command,
        StatusCode::CREATED,
        move |state, _| Ok(views::campaign_out(state, state.campaign(&id)?)),
    )
    .await
}

/// One campaign: target, raised, missing, every pledge.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns",
    params(("id" = String, Path, description = "The campaign's id")),
    responses((status = 200, body = CampaignOut), ReadErrors), security((), ("api_key" = [])))]
pub(crate) async fn show_campaign(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
    ApiPath(id): ApiPath<String>,
) -> Api<CampaignOut> {
    app.read(|state| Ok(views::campaign_out(state, state.campaign(&id)?)))
        .await
}

/// Pledges money from outside into a campaign; a pledge past the target is cut to what is
/// missing. Affiliates pledge only for themselves.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/pledges", tag = "campaigns",
    request_body = PledgeCreate,
    params(("id" = String, Path, description = "The campaign's id"), IdempotencyHeader),
    responses((status = 201, description = "Pledged", body = Pledged), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn pledge(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PledgeCreate>,
) -> Result<Response, ApiError> {
    let agent = body.agent.clone().unwrap_or_else(|| caller.0.clone());
    let requested = body.amount.clone();
    let command = convert::pledge(id.clone(), &caller.0, body);
    app.write(
        caller,
        key,
        command,
        StatusCode::CREATED,
        move |state, executed| {
            let Outcome::Pledged {
                amount,
                cut,
                funded,
            } = executed.outcome
            else {
                return Err(unexpected(executed));
            };
            let campaign = state.campaign(&id)?;
            let (currency, exponent) = views::currency_of(state, &campaign.project);
            let fmt = |minor| format_amount(minor, exponent);
            Ok(Pledged {
                requested: parse_amount(&requested, exponent)
                    .map(fmt)
                    .unwrap_or(requested),
                amount: fmt(amount),
                cut,
                funded,
                raised: fmt(campaign.raised),
                target: fmt(campaign.target),
                currency,
                campaign: id,
                agent,
                replayed: executed.replayed,
            })
        },
    )
    .await
}

/// Cancels an unfunded campaign, refunding every pledge exactly (custodians only).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/cancel", tag = "campaigns",
    params(("id" = String, Path, description = "The campaign's id"), IdempotencyHeader),
    responses((status = 200, description = "Cancelled, with the refunds", body = Cancelled), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn cancel_campaign(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let command = Command::CancelCampaign {
        campaign: id.clone(),
    };
    app.write(
        caller,
        key,
        command,
        StatusCode::OK,
        move |state, executed| {
            let Outcome::Refunded { lines } = &executed.outcome else {
                return Err(unexpected(executed));
            };
            let campaign = state.campaign(&id)?;
            let (currency, exponent) = views::currency_of(state, &campaign.project);
            Ok(Cancelled {
                status: campaign.status.as_str().to_string(),
                total: format_amount(lines.iter().map(|l| l.amount).sum(), exponent),
                refunds: views::payouts(lines, exponent),
                currency,
                campaign: id,
                replayed: executed.replayed,
            })
        },
    )
    .await
}

/// Spends a funded campaign on a resource co-owned by its pledgers, each paid back up to
/// pledge x (1 + premium) (custodians only).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/purchase", tag = "campaigns",
    request_body = PurchaseCreate,
    params(("id" = String, Path, description = "The campaign's id"), IdempotencyHeader),
    responses((status = 201, description = "Purchased: the resource and its co-owners", body = Purchased), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn purchase(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PurchaseCreate>,
) -> Result<Response, ApiError> {
    let resource = body.resource.clone();
    let premium_percent = body.premium_percent.clone();
    let command = convert::purchase(id.clone(), body);
    app.write(
        caller,
        key,
        command,
        StatusCode::CREATED,
        move |state, executed| {
            let Outcome::Purchased { amount, owners } = &executed.outcome else {
                return Err(unexpected(executed));
            };
            let (currency, exponent) = views::currency_of(state, &state.campaign(&id)?.project);
            Ok(Purchased {
                campaign: id,
                resource,
                amount: format_amount(*amount, exponent),
                premium_percent,
                currency,
                owners: owners
                    .iter()
                    .map(|o| OwnerCap {
                        agent: o.agent.clone(),
                        pledge: format_amount(o.pledge, exponent),
                        cap: format_amount(o.cap, exponent),
                    })
                    .collect(),
                replayed: executed.replayed,
            })
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Resources

/// Resources, in byte order of name; every project's, or one's.
#[utoipa::path(get, path = "/api/v1/resources", tag = "resources", params(ByProjectQuery),
    responses((status = 200, body = ResourcesOut), ReadErrors), security((), ("api_key" = [])))]
pub(crate) async fn list_resources(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
    ApiQuery(query): ApiQuery<ByProjectQuery>,
) -> Api<ResourcesOut> {
    let page = Page::new(query.limit, query.offset)?;
    app.read(|state| {
        if let Some(project) = &query.project {
            state.project(project)?;
        }
        let resources = state
            .resources()
            .filter(|r| query.project.as_ref().is_none_or(|p| r.project == *p));
        let (resources, total) = page.take(resources, |r| views::resource_row(state, r));
        Ok(ResourcesOut {
            next_offset: page.next_offset(resources.len(), total),
            total,
            offset: page.offset,
            limit: page.limit,
            resources,
        })
    })
    .await
}

/// Adds a resource to a project: a commons held by the network, or one contributed by an
/// owner who is paid back its value (custodians only).
#[utoipa::path(post, path = "/api/v1/projects/{slug}/resources", tag = "resources",
    request_body = ResourceCreate,
    params(("slug" = String, Path, description = "The project's slug"), IdempotencyHeader),
    responses((status = 201, description = "Added", body = ResourceShow), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn add_resource(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<ResourceCreate>,
) -> Result<Response, ApiError> {
    let name = body.name.clone();
    let command = convert::add_resource(slug, body);
    let page = Page::new(None, None)?;
    app.write(
        caller,
        key,
        command,
        StatusCode::CREATED,
        move |state, _| Ok(views::resource_show(state, state.resource(&name)?, page)),
    )
    .await
}

/// One resource: status, co-owners and their payback, fee schedule, and a page of its use
/// history (`?limit=&offset=`).
#[utoipa::path(get, path = "/api/v1/resources/{name}", tag = "resources",
    params(("name" = String, Path, description = "The resource's name"), PageQuery),
    responses((status = 200, body = ResourceShow), ReadErrors), security((), ("api_key" = [])))]
pub(crate) async fn show_resource(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
    ApiPath(name): ApiPath<String>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Api<ResourceShow> {
    let page = Page::new(query.limit, query.offset)?;
    app.read(|state| Ok(views::resource_show(state, state.resource(&name)?, page)))
        .await
}

/// Sets a resource's fee schedule (custodians only).
#[utoipa::path(put, path = "/api/v1/resources/{name}/fees", tag = "resources",
    request_body = FeesSet,
    params(("name" = String, Path, description = "The resource's name"), IdempotencyHeader),
    responses((status = 200, description = "The schedule now in force", body = FeesSetOut), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn set_fees(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<FeesSet>,
) -> Result<Response, ApiError> {
    let command = convert::set_fees(name.clone(), body)?;
    app.write(
        caller,
        key,
        command,
        StatusCode::OK,
        move |state, executed| {
            let resource = state.resource(&name)?;
            let fees = resource.fees.as_ref().ok_or_else(|| unexpected(executed))?;
            Ok(FeesSetOut {
                currency: views::currency_of(state, &resource.project).0,
                fees: views::fees_out(fees),
                resource: name,
            })
        },
    )
    .await
}

/// Logs a use of a resource and charges its fee, split by the resource's schedule.
/// Affiliates log only their own use.
#[utoipa::path(post, path = "/api/v1/resources/{name}/uses", tag = "resources",
    request_body = UseCreate,
    params(("name" = String, Path, description = "The resource's name"), IdempotencyHeader),
    responses((status = 201, description = "Charged", body = Charged), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn use_resource(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<UseCreate>,
) -> Result<Response, ApiError> {
    let command = convert::use_resource(name.clone(), &caller.0, body);
    let Command::UseResource {
        agent,
        hours,
        community,
        ..
    } = &command
    else {
        return Err(ApiError::Internal("a use is not a use".into()));
    };
    let (agent, hours, community) = (agent.clone(), hours.clone(), *community);
    app.write(
        caller,
        key,
        command,
        StatusCode::CREATED,
        move |state, executed| {
            let Outcome::Charged {
                use_id,
                fee,
                lines,
                commons,
            } = &executed.outcome
            else {
                return Err(unexpected(executed));
            };
            let resource = state.resource(&name)?;
            let (currency, exponent) = views::currency_of(state, &resource.project);
            Ok(Charged {
                use_id: *use_id,
                agent,
                hours,
                community,
                fee: format_amount(*fee, exponent),
                currency,
                payouts: views::payouts(lines, exponent),
                lines: lines
                    .iter()
                    .map(|line| ChargeLine {
                        label: resource
                            .fees
                            .as_ref()
                            .map(|f| f.line_label(line.bucket))
                            .unwrap_or_default(),
                        to: line.to.to_string(),
                        amount: format_amount(line.amount, exponent),
                    })
                    .collect(),
                became_commons: *commons,
                status: resource.status.as_str().to_string(),
                resource: name,
                replayed: executed.replayed,
            })
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Tokens

/// Creates a project's token, one per project (custodians only).
#[utoipa::path(post, path = "/api/v1/projects/{slug}/token", tag = "tokens",
    request_body = TokenCreate,
    params(("slug" = String, Path, description = "The project's slug"), IdempotencyHeader),
    responses((status = 201, description = "Created", body = TokenCreated), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn create_token(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<TokenCreate>,
) -> Result<Response, ApiError> {
    let symbol = body.symbol.clone();
    let command = convert::create_token(slug, body);
    let page = Page::new(None, None)?;
    app.write(
        caller,
        key,
        command,
        StatusCode::CREATED,
        move |state, executed| {
            let Outcome::TokenCreated { hatch } = &executed.outcome else {
                return Err(unexpected(executed));
            };
            let token = state.token(&symbol)?;
            Ok(TokenCreated {
                hatch: hatch.as_ref().map(|h| HatchOut {
                    holder: h.holder.clone(),
                    raised: views::token_money(token, h.raised),
                    tribute: views::token_money(token, h.tribute),
                    into_reserve: views::token_money(token, h.raised - h.tribute),
                    tokens: views::token_units(token, h.tokens),
                }),
                token: views::token_show(state, token, page)?,
            })
        },
    )
    .await
}

/// Tokens, in byte order of symbol.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", params(PageQuery),
    responses((status = 200, body = TokensOut), ReadErrors), security((), ("api_key" = [])))]
pub(crate) async fn list_tokens(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Api<TokensOut> {
    let page = Page::new(query.limit, query.offset)?;
    app.read(|state| {
        let (rows, total) = page.take(state.tokens(), |t| views::token_row(state, t));
        let tokens = rows.into_iter().collect::<Result<Vec<_>, _>>()?;
        Ok(TokensOut {
            next_offset: page.next_offset(tokens.len(), total),
            total,
            offset: page.offset,
            limit: page.limit,
            tokens,
        })
    })
    .await
}

/// One token: terms, supply, reserve, redemption price, holders, and a page of its issuance
/// and payments (`?limit=&offset=`).
#[utoipa::path(get, path = "/api/v1/tokens/{symbol}", tag = "tokens",
    params(("symbol" = String, Path, description = "The token's symbol"), PageQuery),
    responses((status = 200, body = TokenShow), ReadErrors), security((), ("api_key" = [])))]
pub(crate) async fn show_token(
    axum::extract::State(app): axum::extract::State<AppState>,
    _reader: Reader,
    ApiPath(symbol): ApiPath<String>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Api<TokenShow> {
    let page = Page::new(query.limit, query.offset)?;
    app.read(|state| views::token_show(state, state.token(&symbol)?, page))
        .await
}

/// Sells tokens of a NAV token at a price: the amount comes from outside into the reserve
/// (custodians only).
#[utoipa::path(post, path = "/api/v1/tokens/{symbol}/presale", tag = "tokens",
    request_body = PresaleCreate,
    params(("symbol" = String, Path, description = "The token's symbol"), IdempotencyHeader),
    responses((status = 201, description = "Sold", body = Presold), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn presale(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(symbol): ApiPath<String>,
    ApiJson(body): ApiJson<PresaleCreate>,
) -> Result<Response, ApiError> {
    let price = body.price.clone();
    let command = convert::presale(symbol.clone(), &caller.0, body);
    let Command::Presale { agent, .. } = &command else {
        return Err(ApiError::Internal("a presale is not a presale".into()));
    };
    let agent = agent.clone();
    app.write(
        caller,
        key,
        command,
        StatusCode::CREATED,
        move |state, executed| {
            let Outcome::TokenPresold { amount, tokens } = executed.outcome else {
                return Err(unexpected(executed));
            };
            let token = state.token(&symbol)?;
            Ok(Presold {
                agent,
                amount: views::token_money(token, amount),
                price,
                tokens: views::token_units(token, tokens),
                supply: views::token_units(token, token.supply()),
                reserve: views::token_money(token, state.token_reserve(&symbol)?),
                currency: token.currency.clone(),
                token: symbol,
                replayed: executed.replayed,
            })
        },
    )
    .await
}

/// Buys a curve token with money from outside.
#[utoipa::path(post, path = "/api/v1/tokens/{symbol}/buy", tag = "tokens",
    request_body = BuyCreate,
    params(("symbol" = String, Path, description = "The token's symbol"), IdempotencyHeader),
    responses((status = 201, description = "Bought", body = Bought), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn buy(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(symbol): ApiPath<String>,
    ApiJson(body): ApiJson<BuyCreate>,
) -> Result<Response, ApiError> {
    let command = convert::buy(symbol.clone(), &caller.0, body);
    let Command::Buy { agent, .. } = &command else {
        return Err(ApiError::Internal("a buy is not a buy".into()));
    };
    let agent = agent.clone();
    app.write(
        caller,
        key,
        command,
        StatusCode::CREATED,
        move |state, executed| {
            let Outcome::TokenBought {
                amount,
                tribute,
                tokens,
            } = executed.outcome
            else {
                return Err(unexpected(executed));
            };
            let token = state.token(&symbol)?;
            Ok(Bought {
                agent,
                amount: views::token_money(token, amount),
                tribute: views::token_money(token, tribute),
                into_reserve: views::token_money(token, amount - tribute),
                tokens: views::token_units(token, tokens),
                supply: views::token_units(token, token.supply()),
                reserve: views::token_money(token, state.token_reserve(&symbol)?),
                spot_price: views::spot_price(state, token)?,
                currency: token.currency.clone(),
                token: symbol,
                replayed: executed.replayed,
            })
        },
    )
    .await
}

/// Burns tokens against the reserve and pays the holder.
#[utoipa::path(post, path = "/api/v1/tokens/{symbol}/redeem", tag = "tokens",
    request_body = RedeemCreate,
    params(("symbol" = String, Path, description = "The token's symbol"), IdempotencyHeader),
    responses((status = 200, description = "Redeemed", body = Redeemed), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn redeem(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(symbol): ApiPath<String>,
    ApiJson(body): ApiJson<RedeemCreate>,
) -> Result<Response, ApiError> {
    let command = convert::redeem(symbol.clone(), &caller.0, body);
    let Command::Redeem { agent, .. } = &command else {
        return Err(ApiError::Internal(
            "a redemption is not a redemption".into(),
        ));
    };
    let agent = agent.clone();
    app.write(
        caller,
        key,
        command,
        StatusCode::OK,
        move |state, executed| {
            let Outcome::TokenRedeemed {
                tokens,
                gross,
                fee,
                tribute,
                payout,
            } = executed.outcome
            else {
                return Err(unexpected(executed));
            };
            let token = state.token(&symbol)?;
            Ok(Redeemed {
                agent,
                tokens: views::token_units(token, tokens),
                gross: views::token_money(token, gross),
                fee: views::token_money(token, fee + tribute),
                fee_to: if tribute > 0 {
                    token.funding_account.clone()
                } else {
                    token.reserve_account.clone()
                },
                payout: views::token_money(token, payout),
                supply: views::token_units(token, token.supply()),
                reserve: views::token_money(token, state.token_reserve(&symbol)?),
                currency: token.currency.clone(),
                token: symbol,
                replayed: executed.replayed,
            })
        },
    )
    .await
}

/// Money from outside into a token's reserve.
#[utoipa::path(post, path = "/api/v1/tokens/{symbol}/donate", tag = "tokens",
    request_body = DonateCreate,
    params(("symbol" = String, Path, description = "The token's symbol"), IdempotencyHeader),
    responses((status = 201, description = "Donated", body = Donated), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn donate(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(symbol): ApiPath<String>,
    ApiJson(body): ApiJson<DonateCreate>,
) -> Result<Response, ApiError> {
    let command = convert::donate(symbol.clone(), &caller.0, body);
    let Command::Donate { agent, .. } = &command else {
        return Err(ApiError::Internal("a donation is not a donation".into()));
    };
    let agent = agent.clone();
    app.write(
        caller,
        key,
        command,
        StatusCode::CREATED,
        move |state, executed| {
            let Outcome::TokenDonated { amount } = executed.outcome else {
                return Err(unexpected(executed));
            };
            let token = state.token(&symbol)?;
            Ok(Donated {
                agent,
                amount: views::token_money(token, amount),
                reserve: views::token_money(token, state.token_reserve(&symbol)?),
                supply: views::token_units(token, token.supply()),
                redemption_price: views::redemption_price(state, token)?,
                currency: token.currency.clone(),
                token: symbol,
                replayed: executed.replayed,
            })
        },
    )
    .await
}

/// Moves tokens between holders.
#[utoipa::path(post, path = "/api/v1/tokens/{symbol}/transfers", tag = "tokens",
    request_body = TransferCreate,
    params(("symbol" = String, Path, description = "The token's symbol"), IdempotencyHeader),
    responses((status = 201, description = "Transferred", body = Transferred), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn transfer(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(symbol): ApiPath<String>,
    ApiJson(body): ApiJson<TransferCreate>,
) -> Result<Response, ApiError> {
    let command = convert::transfer(symbol.clone(), &caller.0, body);
    let Command::Transfer { from, to, .. } = &command else {
        return Err(ApiError::Internal("a transfer is not a transfer".into()));
    };
    let (from, to) = (from.clone(), to.clone());
    app.write(
        caller,
        key,
        command,
        StatusCode::CREATED,
        move |state, executed| {
            let Outcome::TokenTransferred { tokens } = executed.outcome else {
                return Err(unexpected(executed));
            };
            let token = state.token(&symbol)?;
            let balance =
                |holder: &str| views::token_units(token, state.ledger().balance(holder, &symbol));
            Ok(Transferred {
                tokens: views::token_units(token, tokens),
                from_balance: balance(&from),
                to_balance: balance(&to),
                from,
                to,
                token: symbol,
                replayed: executed.replayed,
            })
        },
    )
    .await
}

/// Pays a project that accepts the token.
#[utoipa::path(post, path = "/api/v1/tokens/{symbol}/pay", tag = "tokens",
    request_body = PayCreate,
    params(("symbol" = String, Path, description = "The token's symbol"), IdempotencyHeader),
    responses((status = 201, description = "Paid", body = Paid), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn pay_with_token(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(symbol): ApiPath<String>,
    ApiJson(body): ApiJson<PayCreate>,
) -> Result<Response, ApiError> {
    let command = convert::pay_with_token(symbol.clone(), &caller.0, body);
    let Command::PayWithToken { from, project, .. } = &command else {
        return Err(ApiError::Internal("a payment is not a payment".into()));
    };
    let (from, project) = (from.clone(), project.clone());
    app.write(
        caller,
        key,
        command,
        StatusCode::CREATED,
        move |state, executed| {
            let Outcome::TokenPaid { tokens, value } = executed.outcome else {
                return Err(unexpected(executed));
            };
            let token = state.token(&symbol)?;
            let accepting = state.project(&project)?;
            Ok(Paid {
                from,
                tokens: views::token_units(token, tokens),
                value: format_amount(value, accepting.exponent),
                currency: accepting.currency.clone(),
                rate: token
                    .accepted_by
                    .get(&project)
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                project,
                token: symbol,
                replayed: executed.replayed,
            })
        },
    )
    .await
}

/// A project accepts a token in payment at a rate in its currency per token (custodians
/// only).
#[utoipa::path(post, path = "/api/v1/projects/{slug}/accepted-tokens", tag = "tokens",
    request_body = AcceptCreate,
    params(("slug" = String, Path, description = "The project's slug"), IdempotencyHeader),
    responses((status = 200, description = "Accepted", body = Accepted), WriteErrors),
    security(("api_key" = [])))]
pub(crate) async fn accept_token(
    axum::extract::State(app): axum::extract::State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<AcceptCreate>,
) -> Result<Response, ApiError> {
    let symbol = body.token.clone();
    let command = convert::accept_token(slug.clone(), body);
    app.write(caller, key, command, StatusCode::OK, move |state, _| {
        let token = state.token(&symbol)?;
        Ok(Accepted {
            rate: token
                .accepted_by
                .get(&slug)
                .map(ToString::to_string)
                .unwrap_or_default(),
            currency: state.project(&slug)?.currency.clone(),
            project: slug,
            token: symbol,
        })
    })
    .await
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
