//! The route table, in ONE place: the router is built from it, and the OpenAPI document lists
//! the same handlers (a test checks that both agree). An operation of `fairshare-ops` is one
//! line here; a hand-written handler is one line here and one entry in `ApiDoc`.

use axum::Router;
use axum::handler::Handler;
use axum::routing::{MethodFilter, on};
use fairshare_ops::timesheets::TIMESHEET_REQUEST_BYTES_MAX;
use fairshare_ops::{
    Method, agents, contributions, corrections, distributions, forecasts, governance, log,
    membership, peer, plans, projects, reports, resources, tokens, treasury,
};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, IntoResponses, Modify, OpenApi};

use crate::api_types::Problem;
use crate::error::problem_for_plain_errors;
use crate::handlers as h;
use crate::operations::{Served, open_write, read, scan, search, write};
use crate::{AppState, BODY_LIMIT_BYTES};

/// A route with a hand-written handler, documented by its `#[utoipa::path]`.
fn route<H, T>(method: Method, path: &'static str, handler: H) -> Served
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let filter = match method {
        Method::Get => MethodFilter::GET,
        Method::Post => MethodFilter::POST,
        Method::Put => MethodFilter::PUT,
        Method::Delete => MethodFilter::DELETE,
    };
    Served {
        method,
        path,
        handler: on(filter, handler),
        document: |_| {},
        body_limit_bytes: None,
    }
}

/// Every route of the server: an operation of `fairshare-ops` is one line.
fn table() -> Vec<Served> {
    use Method::Get;
    vec![
        route(Get, "/healthz", h::healthz),
        route(Get, "/api/openapi.json", h::openapi_json),
        // agents
        read::<agents::ListAgents>(),
        write::<agents::AddAgent>(),
        read::<agents::ShowAgent>(),
        // joining, roles and proposed projects
        open_write::<membership::RequestJoin>(),
        read::<membership::ListJoinRequests>(),
        write::<membership::AdmitAgent>(),
        write::<membership::DeclineJoin>(),
        write::<membership::SetRole>(),
        write::<membership::ProposeProject>(),
        read::<membership::ListProjectProposals>(),
        write::<membership::AdmitProject>(),
        write::<membership::DeclineProject>(),
        write::<membership::AddMember>(),
        write::<membership::RemoveMember>(),
        // projects and their policies
        read::<projects::ListProjects>(),
        write::<projects::AddProject>(),
        read::<projects::ShowProject>(),
        write::<projects::SetRate>(),
        write::<projects::SetApprovals>(),
        write::<projects::SetSkill>(),
        write::<projects::SetMultiplier>(),
        write::<projects::SetDecay>(),
        write::<projects::RemoveDecay>(),
        write::<projects::Revalue>(),
        // contributions and shares
        read::<contributions::ListContributions>(),
        write::<contributions::LogContribution>(),
        read::<contributions::ShowContribution>(),
        write::<contributions::Approve>(),
        write::<contributions::Reject>(),
        read::<contributions::Shares>(),
        // corrections
        write::<corrections::Adjust>(),
        write::<corrections::Reverse>(),
        write::<corrections::ApproveCorrection>(),
        write::<corrections::RejectCorrection>(),
        scan::<corrections::ShowCorrections>(),
        // plans, revenue, distributions, balances
        read::<plans::ShowPlan>(),
        write::<plans::SetPlan>(),
        scan::<forecasts::ComparePlans>(),
        write::<distributions::RecordRevenue>(),
        read::<distributions::PreviewRevenue>(),
        write::<distributions::ReleaseBank>(),
        read::<forecasts::EstimateRevenue>(),
        read::<reports::ProjectReport>(),
        read::<reports::AgentStatement>(),
        read::<distributions::ListDistributions>(),
        read::<distributions::ShowStatement>(),
        read::<distributions::ListBalances>(),
        read::<distributions::ShowBalance>(),
        route(
            Method::Post,
            "/api/v1/timesheets",
            crate::timesheets::import,
        )
        .with_body_limit(TIMESHEET_REQUEST_BYTES_MAX),
        // the log
        scan::<log::ShowLog>(),
        search::<log::SearchLog>(),
        scan::<log::Verify>(),
        scan::<log::ShowHead>(),
        route(Get, "/api/v1/export", h::export),
        route(Get, "/api/v1/agents/{agent}/keys", h::list_keys),
        route(Get, "/api/v1/events", crate::events::events),
        // webhooks (server configuration beside the credentials, custodians only)
        route(Method::Post, "/api/v1/webhooks", crate::webhooks::add),
        route(Get, "/api/v1/webhooks", crate::webhooks::list),
        route(
            Method::Delete,
            "/api/v1/webhooks/{id}",
            crate::webhooks::remove,
        ),
        route(
            Method::Post,
            "/api/v1/webhooks/{id}/resume",
            crate::webhooks::resume,
        ),
        route(
            Get,
            "/api/v1/webhooks/{id}/deliveries",
            crate::webhooks::deliveries,
        ),
        // campaigns
        read::<resources::ListCampaigns>(),
        write::<resources::OpenCampaign>(),
        read::<resources::ShowCampaign>(),
        write::<resources::Pledge>(),
        write::<resources::CancelCampaign>(),
        write::<resources::Purchase>(),
        // resources
        read::<resources::ListResources>(),
        write::<resources::AddResource>(),
        read::<resources::ShowResource>(),
        write::<resources::SetFees>(),
        write::<resources::UseResource>(),
        write::<resources::CommunityAdd>(),
        write::<resources::CommunityRemove>(),
        // tokens
        write::<tokens::CreateToken>(),
        read::<tokens::ListTokens>(),
        read::<tokens::ShowToken>(),
        write::<tokens::Presale>(),
        write::<tokens::Buy>(),
        write::<tokens::Redeem>(),
        write::<tokens::Donate>(),
        write::<tokens::Transfer>(),
        write::<tokens::PayWithToken>(),
        write::<tokens::AcceptToken>(),
        // treasury
        write::<treasury::RequestPayout>(),
        read::<treasury::ListPayouts>(),
        write::<treasury::ApprovePayout>(),
        write::<treasury::RejectPayout>(),
        write::<treasury::SubmitExpense>(),
        read::<treasury::ListExpenses>(),
        write::<treasury::ApproveExpense>(),
        write::<treasury::RejectExpense>(),
        write::<treasury::TransferMoney>(),
        write::<treasury::Exchange>(),
        // peer valuation
        write::<peer::OpenRound>(),
        read::<peer::ListRounds>(),
        read::<peer::ShowRound>(),
        write::<peer::Give>(),
        write::<peer::OptOut>(),
        write::<peer::CloseRound>(),
        write::<peer::StewardGive>(),
        read::<peer::ListStewardAwards>(),
        write::<peer::SetBlend>(),
        write::<peer::AddBounty>(),
        read::<peer::ListBounties>(),
        write::<peer::CompleteBounty>(),
        write::<peer::AllocatePool>(),
        read::<peer::ListPools>(),
        write::<peer::SetLeaverPolicy>(),
        write::<peer::Leave>(),
        read::<peer::Captable>(),
        write::<peer::RecordCaptable>(),
        // governance
        write::<governance::SetGovernance>(),
        read::<governance::ShowGovernance>(),
        write::<governance::SetNetworkGovernance>(),
        read::<governance::ShowNetworkGovernance>(),
        write::<governance::Propose>(),
        read::<governance::ListProposals>(),
        read::<governance::ShowProposal>(),
        write::<governance::Vote>(),
        write::<governance::CloseProposal>(),
        write::<governance::WithdrawProposal>(),
        write::<governance::EnactProposal>(),
        read::<governance::PolicyHistory>(),
        read::<governance::PlanHistory>(),
    ]
}

/// Every route as `(METHOD, path)`, in table order.
pub fn route_table() -> Vec<(&'static str, &'static str)> {
    table()
        .into_iter()
        .map(|r| (r.method.as_str(), r.path))
        .collect()
}

/// The application: the route table, the body limit (413 past [`BODY_LIMIT_BYTES`]), request
/// tracing, and problem documents for every error response.
pub(crate) fn router(app: AppState) -> Router {
    let mut router = Router::new();
    // Routes that take larger bodies (a timesheet), each under its own limit.
    let mut larger = Router::new();
    for r in table() {
        match r.body_limit_bytes {
            // Routes on the same path merge their methods.
            None => router = router.route(r.path, r.handler),
            Some(bytes) => {
                let limited = r.handler.layer(RequestBodyLimitLayer::new(bytes));
                larger = larger.route(r.path, limited);
            }
        }
    }
    let sessions = app.sessions;
    let router = router
        .merge(crate::web::router(sessions))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        .merge(larger)
        .with_state(app)
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::map_response(problem_for_plain_errors));
    if sessions.secure {
        router.layer(axum::middleware::map_response(strict_transport_security))
    } else {
        router
    }
}

/// `Strict-Transport-Security` on every answer of a server reached over HTTPS (its own TLS or
/// a proxy's): browsers then never try plain HTTP on this host for a year.
pub const HSTS: &str = "max-age=31536000";

async fn strict_transport_security(
    mut response: axum::response::Response,
) -> axum::response::Response {
    response.headers_mut().insert(
        axum::http::header::STRICT_TRANSPORT_SECURITY,
        axum::http::HeaderValue::from_static(HSTS),
    );
    response
}

/// `Idempotency-Key`: a retry of a write with the same key and request returns the first
/// result (with `Idempotent-Replayed: true`); with another request it is refused (409).
#[derive(IntoParams)]
#[into_params(names("Idempotency-Key"), parameter_in = Header)]
#[allow(dead_code)]
pub(crate) struct IdempotencyHeader(Option<String>);

/// Declares enums of problem answers for the OpenAPI document (a route's `responses(...,
/// ReadErrors)`): each variant a status and its description, as `application/problem+json`,
/// then the 429 and 503 that any route may answer.
macro_rules! problem_responses {
    ($($(#[doc = $doc:literal])* $name:ident { $($variant:ident = $status:tt: $description:tt,)* })*) => {$(
        $(#[doc = $doc])*
        #[derive(IntoResponses)]
        #[allow(dead_code)]
        pub(crate) enum $name {
            $(
                #[response(
                    status = $status,
                    description = $description,
                    content_type = "application/problem+json"
                )]
                $variant(Problem),
            )*
            #[response(
                status = 429,
                description = "Too many bad keys from this address lately: try again after `Retry-After` seconds",
                content_type = "application/problem+json"
            )]
            TooManyRequests(Problem),
            #[response(
                status = 503,
                description = "The book's storage failed",
                content_type = "application/problem+json"
            )]
            Unavailable(Problem),
        }
    )*};
}

problem_responses! {
    /// What a read may answer besides its result (a read with a query adds 422, one that names
    /// something 404, one some roles may not make 403).
    ReadErrors {
        BadRequest = 400: "Malformed path or query",
        Unauthenticated = 401: "A private network without a member's key, or a bad key",
    }

    /// What a timesheet import may answer besides its result (`POST /api/v1/timesheets`).
    TimesheetErrors {
        BadRequest = 400: "Malformed JSON, unknown fields or wrong types",
        Unauthenticated = 401: "No API key, or a bad one",
        Forbidden = 403: "A row the caller's role may not log (an affiliate logs only their own hours)",
        NotFound = 404: "A row names an agent, project or category the book does not know",
        Conflict = 409: "A row imported before as another contribution (the file or its mapping changed)",
        PayloadTooLarge = 413: "The body is larger than 8 MiB",
        Invalid = 422: "A bad row (its line is named) or a bad option",
    }

    /// What a write may answer besides its result.
    WriteErrors {
        BadRequest = 400: "Malformed JSON, unknown fields or wrong types",
        Unauthenticated = 401: "No API key, or a bad one",
        Forbidden = 403: "The caller's role does not allow this",
        NotFound = 404: "Something named does not exist",
        Conflict = 409: "Clashes with the book (a taken name, a reused idempotency key)",
        PayloadTooLarge = 413: "The body is larger than 64 KiB",
        Invalid = 422: "Refused input: a bad amount, negative hours, an over-precise amount",
    }

    /// What every request of a custodian-only route (webhooks) or a route refused to some roles
    /// (an agent's keys) may answer besides its result; each route adds what its input can cause.
    GuardedErrors {
        Unauthenticated = 401: "No API key, or a bad one",
        Forbidden = 403: "The caller's role does not allow this",
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("fsk_...")
                    .description(Some(
                        "An agent's API key (`fairshare key create AGENT`). Every write acts as \
                         that agent.",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "fairshare",
        description = "Contribution accounting for open value networks: log contributions, \
            value them by rules agreed in advance, and share revenue by an explicit plan. \
            Amounts are decimal strings; errors are application/problem+json."
    ),
    paths(
        h::healthz, h::openapi_json,
        h::export, crate::events::events, h::list_keys,
        crate::webhooks::add, crate::webhooks::list, crate::webhooks::remove,
        crate::webhooks::resume, crate::webhooks::deliveries,
        crate::timesheets::import,
    ),
    // Referenced only from response sets and query parameters, which utoipa does not collect.
    components(schemas(Problem)),
    modifiers(&BearerAuth),
    tags(
        (name = "meta", description = "Health and this document"),
        (name = "agents", description = "People and organisations, with their roles"),
        (name = "membership", description = "Joining the network, roles, proposed projects"),
        (name = "projects", description = "Projects: currency, approvals, policy, plan"),
        (name = "policy", description = "Valuation policy: rates, skills, multipliers, decay"),
        (name = "contributions", description = "Contributions, reviews and shares"),
        (name = "plans", description = "Distribution plans (value equations)"),
        (name = "revenue", description = "Revenue, distributions, statements and balances"),
        (name = "log", description = "The event log: pages, verify, export"),
        (name = "webhooks", description = "Webhooks: signed POSTs of new events, for custodians"),
        (name = "campaigns", description = "Internal crowdfunding of shared resources"),
        (name = "resources", description = "Shared resources: co-owners, fees, charged use"),
        (name = "tokens", description = "Project tokens: supply, reserve, redemption, payments"),
        (name = "peer", description = "Peer valuation: rounds, steward points, blend, bounties, pools, leavers, cap table"),
    )
)]
struct ApiDoc;

/// The OpenAPI 3.1 document of the API: the hand-written routes' `#[utoipa::path]`s and every
/// operation's entry, built from its request and view.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    for served in table() {
        (served.document)(&mut document);
    }
    document
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Every route of the router is in the document and every operation of the document is a
    /// route.
    #[test]
    fn the_document_lists_exactly_the_routes() {
        let routes: BTreeSet<(String, String)> = route_table()
            .into_iter()
            .map(|(method, path)| (method.to_string(), path.to_string()))
            .collect();
        assert_eq!(routes.len(), route_table().len(), "a route appears twice");
        let json = serde_json::to_value(openapi()).expect("the document serialises");
        assert!(
            json["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.1")),
            "{}",
            json["openapi"]
        );
        let mut documented = BTreeSet::new();
        for (path, item) in json["paths"].as_object().expect("paths") {
            for method in ["get", "post", "put", "delete", "patch", "head", "options"] {
                if item.get(method).is_some() {
                    documented.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        let missing: Vec<_> = routes.difference(&documented).collect();
        let extra: Vec<_> = documented.difference(&routes).collect();
        assert!(
            missing.is_empty(),
            "routes missing from the document: {missing:?}"
        );
        assert!(
            extra.is_empty(),
            "documented operations with no route: {extra:?}"
        );
    }

    /// Every `$ref` of the document names a schema it defines.
    #[test]
    fn every_reference_resolves() {
        fn refs(value: &serde_json::Value, out: &mut Vec<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    for (key, inner) in map {
                        match (key.as_str(), inner.as_str()) {
                            ("$ref", Some(target)) => out.push(target.to_string()),
                            _ => refs(inner, out),
                        }
                    }
                }
                serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let json = serde_json::to_value(openapi()).expect("the document serialises");
        let mut found = Vec::new();
        refs(&json, &mut found);
        assert!(!found.is_empty());
        for target in found {
            let name = target
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("unexpected reference {target}"));
            assert!(
                json["components"]["schemas"][name].is_object(),
                "{target} is not defined"
            );
        }
    }
}
