//! Shared equipment on the dashboard (docs/RESOURCES.md): `/resources` lists the campaigns and
//! the resources; a campaign's page shows its progress to the target and every pledge, with
//! the pledge, cancel and purchase forms; a resource's page shows its co-owners with what each
//! received against their cap, the fee schedule (and its editor), the use history, and the
//! charged-use form whose fee is quoted before it is sent: live by htmx from
//! `/resources/{name}/quote`, or without JavaScript by the form's *Quote* button, a GET of the
//! page with the use's fields. A quote is the core's decision of the very command the form
//! would post, made on the current state and never recorded. Every form posts the API's
//! request (`fairshare_ops::resources`) through [`form_op_on`].

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use fairshare_core::{Command, Ctx, Outcome, Role, State as BookState, format_amount};
use fairshare_ops::resources::{
    CampaignOut, CampaignRow, CancelCampaign, FeesOut, ListCampaigns, ListResources, Pledge,
    Purchase, ResourceRow, ResourceShow, SetFees, ShowCampaign, ShowResource, SplitSpec,
    UseResource,
};
use fairshare_ops::{Read, Write};
use serde::Deserialize;

use super::pages::{Errors, Nav, PageContext, nav, render};
use super::treasury::Pager;
use super::{
    Fields, FormPage, Reader, Viewer, WebForm, field, form_op_on, form_pairs, form_write_on,
    optional, page_of, show,
};
use crate::AppState;
use crate::error::ApiError;

/// Rows of a list (campaigns, resources, uses) on one page.
const PAGE: usize = 20;

/// The use form's fields, as the quote reads them from a query.
const USE_FIELDS: [&str; 7] = [
    "agent",
    "hours",
    "material_units",
    "technician",
    "technician_hours",
    "community",
    "from_balance",
];

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/resources", get(list))
        .route("/campaigns/{id}", get(campaign))
        .route("/campaigns/{id}/pledge", post(post_form::<Pledge>))
        .route("/campaigns/{id}/cancel", post(post_form::<CancelCampaign>))
        .route("/campaigns/{id}/purchase", post(post_form::<Purchase>))
        .route("/resources/{name}", get(resource))
        .route("/resources/{name}/quote", get(quote))
        .route("/resources/{name}/fees", post(set_fees))
        .route("/resources/{name}/use", post(use_resource))
}

/// Whether an observer: they see no form (the core refuses their writes anyway).
fn writes(role: Option<Role>) -> bool {
    matches!(role, Some(Role::Custodian | Role::Affiliate))
}

/// `part / whole` in whole percent, rounded down (for a progress bar's words).
fn percent_of(part: i128, whole: i128) -> i128 {
    if whole <= 0 {
        return 0;
    }
    part.max(0).saturating_mul(100) / whole
}

/// The names of the forms a page shows, of `(form, shown)`.
pub(super) fn shown_forms(forms: &[(&'static str, bool)]) -> Vec<&'static str> {
    forms
        .iter()
        .filter(|(_, shown)| *shown)
        .map(|(form, _)| *form)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The list

#[derive(Debug, Clone, Copy, Default, Deserialize)]
struct ListOffsets {
    #[serde(default)]
    campaigns: usize,
    #[serde(default)]
    resources: usize,
}

#[derive(Template)]
#[template(path = "resources.html")]
struct ListPage {
    nav: Nav,
    campaigns: Vec<CampaignRow>,
    campaigns_pager: Pager,
    resources: Vec<ResourceRow>,
    resources_pager: Pager,
}

fn list_page(
    state: &BookState,
    viewer: &Viewer,
    at: ListOffsets,
    today: fairshare_core::Date,
) -> Result<String, ApiError> {
    let reader = viewer.reading(state, today);
    let campaigns = ListCampaigns {
        project: None,
        limit: Some(PAGE),
        offset: Some(at.campaigns),
    }
    .view(state, &reader)?;
    let resources = ListResources {
        project: None,
        limit: Some(PAGE),
        offset: Some(at.resources),
    }
    .view(state, &reader)?;
    let campaigns_pager = Pager::of(&campaigns.page, |to| {
        format!("/resources?campaigns={to}&resources={}", at.resources)
    });
    let resources_pager = Pager::of(&resources.page, |to| {
        format!("/resources?campaigns={}&resources={to}", at.campaigns)
    });
    render(ListPage {
        nav: nav(viewer),
        campaigns: campaigns.campaigns,
        campaigns_pager,
        resources: resources.resources,
        resources_pager,
    })
}

async fn list(
    State(app): State<AppState>,
    Reader(viewer): Reader,
    Query(at): Query<ListOffsets>,
) -> Response {
    page_of(&app, &viewer, StatusCode::OK, |state, today| {
        list_page(state, &viewer, at, today)
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// A campaign

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    nav: Nav,
    c: CampaignOut,
    /// Raised and target in minor units, for the progress bar.
    raised_minor: i128,
    target_minor: i128,
    percent: i128,
    can_pledge: bool,
    custodian: bool,
    errors: Errors,
    /// A refused form's message when the page does not show that form.
    hidden_error: String,
}

pub(super) fn campaign_page(context: PageContext, id: &str) -> Result<String, ApiError> {
    let reader = context.reading();
    let c = ShowCampaign {
        campaign: id.to_string(),
    }
    .view(context.state, &reader)?;
    let found = context.state.campaign(id)?;
    let custodian = reader.role == Some(Role::Custodian);
    let can_pledge = c.status == "open" && writes(reader.role);
    let shown = [
        ("pledge", can_pledge),
        ("cancel", custodian && c.status == "open"),
        ("purchase", custodian && c.status == "funded"),
    ];
    let errors = context.errors();
    render(CampaignPage {
        nav: nav(context.viewer),
        raised_minor: found.raised,
        target_minor: found.target,
        percent: percent_of(found.raised, found.target),
        can_pledge,
        custodian,
        hidden_error: errors.of_hidden(&shown_forms(&shown)),
        errors,
        c,
    })
}

async fn campaign(
    State(app): State<AppState>,
    Reader(viewer): Reader,
    Path(id): Path<String>,
) -> Response {
    show(&app, &viewer, FormPage::Campaign(id)).await
}

/// A campaign page's form: the request it posts (the campaign in its path) and its name on
/// the page, where its refusal is shown.
trait CampaignForm: Write {
    const FORM: &'static str;

    /// Where the browser goes once it is recorded: back to the campaign.
    fn back(id: &str, _fields: &Fields) -> String {
        format!("/campaigns/{id}")
    }
}

impl CampaignForm for Pledge {
    const FORM: &'static str = "pledge";
}

impl CampaignForm for CancelCampaign {
    const FORM: &'static str = "cancel";
}

impl CampaignForm for Purchase {
    const FORM: &'static str = "purchase";

    /// To the resource bought, where the co-owners now are.
    fn back(_id: &str, fields: &Fields) -> String {
        format!("/resources/{}", field(fields, "resource"))
    }
}

async fn post_form<O: CampaignForm>(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    WebForm(fields): WebForm,
) -> Response {
    let back = O::back(&id, &fields);
    let path = vec![("campaign".to_string(), id.clone())];
    let page = FormPage::Campaign(id);
    form_op_on::<O>(&app, &viewer, &fields, path, O::FORM, &page, back).await
}

// ---------------------------------------------------------------------------------------------
// A resource

/// A co-owner's row: their payback so far against their cap.
struct OwnerRow {
    agent: String,
    pledge: String,
    cap: String,
    received: String,
    outstanding: String,
    received_minor: i128,
    cap_minor: i128,
    percent: i128,
}

/// A charged use as quoted: the fee and every line, or the core's refusal.
#[derive(Template)]
#[template(path = "use_quote.html")]
struct UseQuote {
    asked: bool,
    fee: String,
    currency: String,
    lines: Vec<(String, String, String)>,
    commons: bool,
    error: String,
}

#[derive(Template)]
#[template(path = "resource.html")]
struct ResourcePage {
    nav: Nav,
    r: ResourceShow,
    owners: Vec<OwnerRow>,
    fees: Option<FeesOut>,
    /// The split as the fee editor writes it: `payback=60,lab=40`.
    split_text: String,
    community_roles_text: String,
    history_pager: Pager,
    can_use: bool,
    custodian: bool,
    /// The quote box (rendered `use_quote.html`).
    quote: String,
    /// What the use form holds (a quote's fields, or a refused form's).
    typed: Fields,
    errors: Errors,
    /// A refused form's message when the page does not show that form.
    hidden_error: String,
}

impl ResourcePage {
    /// What the use form's `name` field holds.
    fn typed(&self, name: &str) -> String {
        let from_error = self.errors.value("use", name, "");
        if from_error.is_empty() {
            field(&self.typed, name).to_string()
        } else {
            from_error
        }
    }

    fn checked(&self, name: &str) -> bool {
        self.typed(name) == "true"
    }
}

fn owner_rows(state: &BookState, name: &str, shown: &ResourceShow) -> Vec<OwnerRow> {
    let Ok(found) = state.resource(name) else {
        return Vec::new();
    };
    found
        .owners
        .iter()
        .zip(&shown.owners)
        .map(|(o, out)| OwnerRow {
            agent: out.agent.clone(),
            pledge: out.pledge.clone(),
            cap: out.cap.clone(),
            received: out.received.clone(),
            outstanding: out.outstanding.clone(),
            received_minor: o.received.min(o.cap).max(0),
            cap_minor: o.cap,
            percent: percent_of(o.received, o.cap),
        })
        .collect()
}

/// The use request the form's fields (or a quote's query) spell.
fn use_request(name: &str, fields: &Fields) -> Result<UseResource, ApiError> {
    let pairs = form_pairs(fields)
        .into_iter()
        .filter(|(n, _)| USE_FIELDS.contains(&n.as_str()))
        .collect();
    let path = vec![("resource".to_string(), name.to_string())];
    crate::operations::request_from_pairs(pairs, path, "form")
}

/// What the use would be charged now, decided by the core as the viewer and recorded nowhere.
fn quote_use(
    state: &BookState,
    viewer: &Viewer,
    name: &str,
    fields: &Fields,
    today: fairshare_core::Date,
) -> UseQuote {
    let mut answer = UseQuote {
        asked: !field(fields, "hours").is_empty(),
        fee: String::new(),
        currency: String::new(),
        lines: Vec::new(),
        commons: false,
        error: String::new(),
    };
    if !answer.asked {
        return answer;
    }
    let Some(actor) = viewer.agent.as_deref() else {
        answer.error = "log in to get a quote".to_string();
        return answer;
    };
    let decided = use_request(name, fields)
        .and_then(|request| Ok(request.command(actor)?))
        .and_then(|command| decide(state, actor, today, &command));
    match decided {
        Ok(Outcome::Charged {
            fee,
            lines,
            commons,
            ..
        }) => describe_charge(state, name, fee, &lines, commons, &mut answer),
        Ok(_) => answer.error = "the core decided no charge".to_string(),
        Err(error) => answer.error = error.detail(),
    }
    answer
}

/// A decided charge in the project's currency, each line labelled by the schedule in force.
fn describe_charge(
    state: &BookState,
    name: &str,
    fee: i128,
    lines: &[fairshare_core::Line],
    commons: bool,
    answer: &mut UseQuote,
) {
    let Ok(resource) = state.resource(name) else {
        return;
    };
    let (currency, exponent) = state
        .project(&resource.project)
        .map(|p| (p.currency.clone(), p.exponent))
        .unwrap_or_default();
    let label = |bucket| {
        resource
            .fees
            .as_ref()
            .map(|f| f.line_label(bucket))
            .unwrap_or_default()
    };
    answer.fee = format_amount(fee, exponent);
    answer.currency = currency;
    answer.commons = commons;
    answer.lines = lines
        .iter()
        .map(|line| {
            let amount = format_amount(line.amount, exponent);
            (label(line.bucket), line.to.to_string(), amount)
        })
        .collect();
}

/// The core's decision of `command` by `actor` on the current state, recorded nowhere.
pub(super) fn decide(
    state: &BookState,
    actor: &str,
    today: fairshare_core::Date,
    command: &Command,
) -> Result<Outcome, ApiError> {
    let ctx = Ctx::new(state.head() + 1, actor, today);
    Ok(state.decide(&ctx, command)?)
}

/// Where the use history's page starts; the use form's fields when a quote is asked.
fn history_offset(asked: &Fields) -> usize {
    field(asked, "offset").parse().unwrap_or(0)
}

pub(super) fn resource_page(
    context: PageContext,
    name: &str,
    asked: &Fields,
) -> Result<String, ApiError> {
    let (state, viewer, today) = (context.state, context.viewer, context.today);
    let reader = context.reading();
    let offset = history_offset(asked);
    let r = ShowResource {
        resource: name.to_string(),
        limit: Some(PAGE),
        offset: Some(offset),
    }
    .view(state, &reader)?;
    let history_pager = Pager::new(r.uses, r.history.len(), offset, PAGE, |to| {
        format!("/resources/{name}?offset={to}")
    });
    let fees = r.fees.clone();
    let (can_use, custodian) = (writes(reader.role), reader.role == Some(Role::Custodian));
    let errors = context.errors();
    let shown = shown_forms(&[("use", can_use), ("fees", custodian)]);
    render(ResourcePage {
        nav: nav(viewer),
        owners: owner_rows(state, name, &r),
        split_text: fees
            .as_ref()
            .map(|f| {
                let parts: Vec<String> = f
                    .split
                    .iter()
                    .map(|s| format!("{}={}", s.to, s.percent))
                    .collect();
                parts.join(",")
            })
            .unwrap_or_default(),
        community_roles_text: fees
            .as_ref()
            .map(|f| f.community_roles.join(","))
            .unwrap_or_default(),
        fees,
        history_pager,
        can_use,
        custodian,
        quote: render(quote_use(state, viewer, name, asked, today))?,
        typed: asked.clone(),
        hidden_error: errors.of_hidden(&shown),
        errors,
        r,
    })
}

async fn resource(
    State(app): State<AppState>,
    Reader(viewer): Reader,
    Path(name): Path<String>,
    Query(asked): Query<Fields>,
) -> Response {
    show(&app, &viewer, FormPage::Resource(name, asked)).await
}

/// The quote box alone, what htmx swaps in as the use form changes.
async fn quote(
    State(app): State<AppState>,
    Reader(viewer): Reader,
    Path(name): Path<String>,
    Query(asked): Query<Fields>,
) -> Response {
    page_of(&app, &viewer, StatusCode::OK, |state, today| {
        render(quote_use(state, &viewer, &name, &asked, today))
    })
    .await
}

/// The fee editor: the split is written `payback=60,lab=40` and the community roles
/// `affiliate,custodian`, as `fairshare resource fees` takes them.
async fn set_fees(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    WebForm(fields): WebForm,
) -> Response {
    let back = format!("/resources/{name}");
    let page = FormPage::Resource(name.clone(), Fields::new());
    form_write_on(&app, &viewer, &fields, "fees", &page, back, |actor| {
        Ok(fees_request(&name, &fields)?.command(actor)?)
    })
    .await
}

fn fees_request(name: &str, fields: &Fields) -> Result<SetFees, ApiError> {
    let refused = |field: &'static str, message: String| {
        ApiError::Refused(fairshare_core::DomainError::invalid(message).field(field))
    };
    let split = SplitSpec::parse_list(field(fields, "split")).map_err(|(entry, why)| {
        refused(
            "split",
            format!(
                "malformed split entry {entry:?}: {why}; write NAME=PERCENT,... such as maintenance=20,infra=10,payback=70"
            ),
        )
    })?;
    let community_roles = field(fields, "community_roles")
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| {
            r.parse::<Role>()
                .map(Into::into)
                .map_err(|e| refused("community_roles", e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    Ok(SetFees {
        resource: name.to_string(),
        per_hour: field(fields, "per_hour").to_string(),
        material_per_unit: optional(fields, "material_per_unit"),
        technician_per_hour: optional(fields, "technician_per_hour"),
        community_per_hour: optional(fields, "community_per_hour"),
        split,
        material_to: optional(fields, "material_to"),
        after_payback: optional(fields, "after_payback"),
        community_roles,
    })
}

/// Charges the use; its *Quote the fee* button (`quote=1`) shows the page with the fee the
/// same fields would be charged instead, recording nothing.
async fn use_resource(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    WebForm(fields): WebForm,
) -> Response {
    if field(&fields, "quote") == "1" {
        return show(&app, &viewer, FormPage::Resource(name, fields)).await;
    }
    let back = format!("/resources/{name}");
    let path = vec![("resource".to_string(), name.clone())];
    let page = FormPage::Resource(name, Fields::new());
    form_op_on::<UseResource>(&app, &viewer, &fields, path, "use", &page, back).await
}
