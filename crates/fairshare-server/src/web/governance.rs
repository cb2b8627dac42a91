//! Governance on the dashboard (docs/GOVERNANCE.md): a project's proposals page (open and
//! closed proposals, the changes in plain words, the tally, the deadline, vote buttons, close
//! and withdraw), the network's proposals page (the same, for admissions, roles, new projects
//! and the network's governance), one proposal's page (who voted what and why), the form that
//! proposes any change the page's scope may carry (one kind at a time, chosen by
//! `?change=KIND`; the forms themselves come from `propose.rs`), and the governance box of the project page (the settings in force,
//! each rule in force since which event and by which proposal, the members the project lists,
//! and a notice while a passed change waits for its notice period).
//!
//! Every form posts the API's request (`fairshare_ops::governance`) through [`form_op_on`] or
//! [`form_write_on`], under the form's one-time idempotency key, so the core decides who may
//! vote, close or withdraw, exactly as for the API.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use fairshare_core::State as BookState;
use fairshare_ops::forecasts::{ComparePlans, PlanComparison};
use fairshare_ops::governance::{
    CloseProposal, GovernanceOut, ListProposals, ModeName, ProposalOut, Propose, ShowProposal,
    SinceOut, Vote, VoteName, WithdrawProposal,
};
use fairshare_ops::projects::ShowProject;
use fairshare_ops::{Read, Reading, Write};

use super::pages::{Errors, FormError, Nav, PageContext, nav, render};
use super::propose::{self, ChangeField, ChangeKind};
use super::{
    FormPage, Reader, Viewer, WebForm, field, form_op_on, form_write_on, is_local_path, optional,
    show,
};
use crate::AppState;
use crate::error::ApiError;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/projects/{slug}/proposals", get(proposals))
        .route("/projects/{slug}/proposals/{op}", post(propose_in_project))
        .route("/network/proposals", get(network_proposals))
        .route("/network/proposals/{op}", post(propose_in_network))
        .route("/projects/{slug}/plans/compare", get(compare_proposal))
        .route("/proposals/{id}", get(proposal))
        .route("/proposals/{id}/vote", post(proposal_form::<Vote>))
        .route(
            "/proposals/{id}/close",
            post(proposal_form::<CloseProposal>),
        )
        .route(
            "/proposals/{id}/withdraw",
            post(proposal_form::<WithdrawProposal>),
        )
}

// ---------------------------------------------------------------------------------------------
// The project page's governance box

/// How a project changes its rules, and the passed changes that wait for their notice.
pub struct GovernanceBox {
    /// The settings in words.
    pub settings: String,
    /// Passed proposals waiting for the end of their notice period.
    pub waiting: Vec<ProposalOut>,
    /// Open proposals.
    pub open: usize,
    /// Each rule in force, since which event and by which proposal (as `project show`).
    pub rules: Vec<SinceOut>,
    /// The members the project lists (eligible voters of its proposals).
    pub members: Vec<String>,
}

impl GovernanceBox {
    pub fn of(state: &BookState, slug: &str, reading: &Reading) -> Result<GovernanceBox, ApiError> {
        let settings = GovernanceOut::of(state, Some(slug))?;
        let shown = ShowProject {
            project: slug.to_string(),
        }
        .view(state, reading)?;
        let all = ListProposals {
            project: Some(slug.to_string()),
            ..ListProposals::default()
        }
        .view(state, reading)?
        .proposals;
        Ok(GovernanceBox {
            settings: settings_words(&settings),
            open: all.iter().filter(|p| p.status == "open").count(),
            waiting: all.into_iter().filter(|p| p.status == "passed").collect(),
            rules: shown.since,
            members: shown.members,
        })
    }
}

/// "Rules change by proposals: quorum 50%, threshold 66.67%, 7 days of voting, 3 of notice,
/// one vote per member."
fn settings_words(g: &GovernanceOut) -> String {
    let since = g
        .since
        .as_ref()
        .map(|s| format!(", {}", s.words()))
        .unwrap_or_default();
    match g.mode {
        ModeName::Direct => format!("Custodians change the rules directly (mode direct){since}."),
        ModeName::Proposals => format!(
            "Rules change only by proposals: quorum {}%, threshold {}% of yes against yes and \
             no, {} days of voting, {} days of notice, {}{since}.",
            g.quorum,
            g.threshold,
            g.voting_days,
            g.notice_days,
            match g.weight {
                fairshare_ops::governance::WeightName::Equal => "one vote per member",
                fairshare_ops::governance::WeightName::Value => "votes weighed by counted value",
            }
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// The pages

/// A proposal as a page shows it, with what the viewer may do with it.
struct Card {
    p: ProposalOut,
    open: bool,
    /// The viewer's vote, if any.
    my_vote: String,
    can_vote: bool,
    can_withdraw: bool,
}

fn card(p: ProposalOut, viewer: &Viewer) -> Card {
    let me = viewer.agent.as_deref();
    let open = p.status == "open";
    let mine = p.voters.iter().find(|v| Some(v.agent.as_str()) == me);
    Card {
        open,
        my_vote: mine
            .and_then(|v| v.vote)
            .map(|v| vote_word(Some(v)))
            .unwrap_or_default(),
        can_vote: open && mine.is_some(),
        can_withdraw: open && me == Some(p.author.as_str()),
        p,
    }
}

/// A vote as the pages spell it.
fn vote_word(vote: Option<VoteName>) -> String {
    match vote {
        Some(VoteName::Yes) => "yes",
        Some(VoteName::No) => "no",
        Some(VoteName::Abstain) => "abstain",
        None => "—",
    }
    .to_string()
}

#[derive(Template)]
#[template(path = "proposals.html")]
struct ProposalsPage {
    nav: Nav,
    /// The project's slug; none on the network's page.
    slug: Option<String>,
    /// This page's path, where its forms come back to.
    back: String,
    settings: String,
    cards: Vec<Card>,
    /// May propose: affiliates and custodians (the core decides the rest).
    can_propose: bool,
    logged_in: bool,
    errors: Errors,
    /// The kinds of change this page proposes, and the one whose form is shown.
    kinds: Vec<&'static ChangeKind>,
    chosen: &'static ChangeKind,
    /// The chosen kind's fields as the form shows them.
    fields: Vec<FieldShown>,
    /// The refusal of a form this viewer is not shown (an observer's post).
    hidden_error: String,
}

/// A field of the propose form, with what was typed before a refusal and its message.
struct FieldShown {
    f: &'static ChangeField,
    id: String,
    value: String,
    error: String,
}

/// Where a scope's proposals are listed: a project's page, or the network's.
fn proposals_path(slug: Option<&str>) -> String {
    match slug {
        Some(slug) => format!("/projects/{slug}/proposals"),
        None => "/network/proposals".to_string(),
    }
}

/// The kinds of change a page of `slug` (none: the network's) may propose.
fn kinds_of(slug: Option<&str>) -> Vec<&'static ChangeKind> {
    propose::kinds()
        .iter()
        .filter(|kind| kind.of_project == slug.is_some())
        .collect()
}

/// The kind whose form is shown: the refused one, else the one asked for, else the first.
fn chosen_kind(
    kinds: &[&'static ChangeKind],
    asked: Option<&str>,
    error: Option<&FormError>,
) -> Result<&'static ChangeKind, ApiError> {
    let refused = error.and_then(|e| kinds.iter().find(|k| k.form == e.form));
    if let Some(kind) = refused {
        return Ok(kind);
    }
    match asked {
        None => kinds
            .first()
            .copied()
            .ok_or_else(|| ApiError::Internal("no kind of change".into())),
        Some(op) => kinds.iter().find(|k| k.op == op).copied().ok_or_else(|| {
            let ops: Vec<&str> = kinds.iter().map(|k| k.op).collect();
            ApiError::not_found(format!(
                "no change {op:?} is proposed here: the changes are {}",
                ops.join(", ")
            ))
        }),
    }
}

fn fields_shown(kind: &'static ChangeKind, errors: &Errors) -> Vec<FieldShown> {
    kind.fields
        .iter()
        .map(|f| FieldShown {
            f,
            id: f.id(kind),
            value: errors.value(kind.form, f.name, ""),
            error: errors.at(kind.form, f.name),
        })
        .collect()
}

pub(super) fn proposals_page(
    context: PageContext,
    slug: Option<&str>,
    asked: Option<&str>,
) -> Result<String, ApiError> {
    let (state, viewer, error) = (context.state, context.viewer, context.error);
    let reading = context.reading();
    let role = reading.role;
    let settings = GovernanceOut::of(state, slug)?;
    let mut cards: Vec<Card> = ListProposals {
        project: Some(slug.unwrap_or("network").to_string()),
        ..ListProposals::default()
    }
    .view(state, &reading)?
    .proposals
    .into_iter()
    .map(|p| card(p, viewer))
    .collect();
    // Open ones first, then the latest.
    cards.reverse();
    cards.sort_by_key(|c| !c.open);
    let kinds = kinds_of(slug);
    let chosen = chosen_kind(&kinds, asked, error)?;
    let errors = context.errors();
    let can_propose = matches!(
        role,
        Some(fairshare_core::Role::Custodian | fairshare_core::Role::Affiliate)
    );
    let shown: &[&str] = if can_propose {
        &["vote", "proposal", chosen.form]
    } else {
        &["vote", "proposal"]
    };
    render(ProposalsPage {
        hidden_error: errors.of_hidden(shown),
        nav: nav(viewer),
        slug: slug.map(str::to_string),
        back: proposals_path(slug),
        settings: settings_words(&settings),
        cards,
        can_propose,
        logged_in: viewer.agent.is_some(),
        fields: fields_shown(chosen, &errors),
        errors,
        kinds,
        chosen,
    })
}

#[derive(Template)]
#[template(path = "proposal.html")]
struct ProposalPage {
    nav: Nav,
    c: Card,
    back: String,
    /// Each voter's vote in words (`yes`, `no`, `abstain`, or a dash).
    votes: Vec<String>,
    logged_in: bool,
    errors: Errors,
}

pub(super) fn proposal_page(context: PageContext, id: &str) -> Result<String, ApiError> {
    let viewer = context.viewer;
    let p = ShowProposal {
        proposal: id.to_string(),
    }
    .view(context.state, &context.reading())?;
    let votes = p.voters.iter().map(|v| vote_word(v.vote)).collect();
    render(ProposalPage {
        nav: nav(viewer),
        back: format!("/proposals/{id}"),
        votes,
        c: card(p, viewer),
        logged_in: viewer.agent.is_some(),
        errors: context.errors(),
    })
}

/// `?change=KIND` of a proposals page: the kind of change whose form is shown.
#[derive(Debug, Default, serde::Deserialize)]
struct ChangeQuery {
    change: Option<String>,
}

async fn proposals(
    State(app): State<AppState>,
    Reader(viewer): Reader,
    Path(slug): Path<String>,
    Query(query): Query<ChangeQuery>,
) -> Response {
    show(&app, &viewer, FormPage::Proposals(Some(slug), query.change)).await
}

async fn network_proposals(
    State(app): State<AppState>,
    Reader(viewer): Reader,
    Query(query): Query<ChangeQuery>,
) -> Response {
    show(&app, &viewer, FormPage::Proposals(None, query.change)).await
}

async fn proposal(
    State(app): State<AppState>,
    Reader(viewer): Reader,
    Path(id): Path<String>,
) -> Response {
    show(&app, &viewer, FormPage::Proposal(id)).await
}

// ---------------------------------------------------------------------------------------------
// Forms

/// Proposes one change of kind `op` of project `slug` (none: of the network), titled by the
/// form's `title`: the form read as that change's request, proposed as the API's `Propose`.
async fn propose_one(
    app: &AppState,
    viewer: &Viewer,
    fields: &super::Fields,
    slug: Option<String>,
    op: &str,
) -> Response {
    let Some(kind) = propose::kind(op).filter(|kind| kind.of_project == slug.is_some()) else {
        let message = format!("no change {op:?} is proposed here");
        return super::error_page(viewer, StatusCode::NOT_FOUND, &message);
    };
    let page = FormPage::Proposals(slug.clone(), None);
    let back = proposals_path(slug.as_deref());
    form_write_on(app, viewer, fields, kind.form, &page, back, |actor| {
        let change = propose::change_of(kind, fields, slug.as_deref())?;
        let propose = Propose {
            id: None,
            project: slug,
            title: field(fields, "title").to_string(),
            changes: vec![change],
        };
        Ok(propose.command(actor)?)
    })
    .await
}

async fn propose_in_project(
    State(app): State<AppState>,
    viewer: Viewer,
    Path((slug, op)): Path<(String, String)>,
    WebForm(fields): WebForm,
) -> Response {
    propose_one(&app, &viewer, &fields, Some(slug), &op).await
}

async fn propose_in_network(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(op): Path<String>,
    WebForm(fields): WebForm,
) -> Response {
    propose_one(&app, &viewer, &fields, None, &op).await
}

/// Posts a proposal's form as the API request `O`; back to `back` (a local path) or the
/// proposal's page, where a refusal is shown.
async fn on_proposal<O: Write>(
    app: AppState,
    viewer: Viewer,
    id: String,
    fields: super::Fields,
    form: &'static str,
) -> Response {
    let back = optional(&fields, "back")
        .filter(|b| is_local_path(b))
        .unwrap_or_else(|| format!("/proposals/{id}"));
    let path = vec![("proposal".to_string(), id.clone())];
    let page = FormPage::Proposal(id);
    form_op_on::<O>(&app, &viewer, &fields, path, form, &page, back).await
}

/// A form of one proposal, and the form name its refusals are shown under.
trait ProposalForm: Write {
    const FORM: &'static str;
}

impl ProposalForm for Vote {
    const FORM: &'static str = "vote";
}

impl ProposalForm for CloseProposal {
    const FORM: &'static str = "proposal";
}

impl ProposalForm for WithdrawProposal {
    const FORM: &'static str = "proposal";
}

/// Votes on, closes or withdraws proposal `id`.
async fn proposal_form<O: ProposalForm>(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    WebForm(fields): WebForm,
) -> Response {
    on_proposal::<O>(app, viewer, id, fields, O::FORM).await
}

// ---------------------------------------------------------------------------------------------
// What a proposed plan would have paid

/// `?proposal=ID` of the comparison page.
#[derive(Debug, serde::Deserialize)]
struct CompareQuery {
    proposal: String,
}

#[derive(Template)]
#[template(path = "plan_compare.html")]
struct ComparePage {
    nav: Nav,
    proposal: String,
    title: String,
    c: PlanComparison,
}

/// What the plan a proposal would set would have paid at the project's past revenues,
/// against the plans they were paid by: `plan compare PROJECT --proposal ID`, the same scan.
async fn compare_proposal(
    State(app): State<AppState>,
    Reader(viewer): Reader,
    Path(slug): Path<String>,
    Query(query): Query<CompareQuery>,
) -> Response {
    let today = app.clock.today();
    let id = query.proposal;
    let shown = super::read(&app, |state| {
        let reading = viewer.reading(state, today);
        Ok(ShowProposal {
            proposal: id.clone(),
        }
        .view(state, &reading)?)
    })
    .await;
    let compared = match shown {
        Ok(p) => match p.changes.into_iter().find_map(|change| change.plan) {
            Some(plan_a) => {
                let op = ComparePlans {
                    project: slug,
                    plan_a,
                    plan_b: None,
                    revenues: None,
                    per_revenue: false,
                };
                crate::operations::run_scan(&app, op)
                    .await
                    .map(|c| (p.title, c))
            }
            None => Err(ApiError::invalid(format!(
                "proposal {id} changes no plan: there is nothing to compare"
            ))),
        },
        Err(error) => Err(error),
    };
    match compared.and_then(|(title, c)| {
        render(ComparePage {
            nav: nav(&viewer),
            proposal: id,
            title,
            c,
        })
    }) {
        Ok(body) => super::html(StatusCode::OK, body),
        Err(error) => super::api_error_page(&viewer, error),
    }
}
