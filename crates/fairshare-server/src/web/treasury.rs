//! The treasury on the dashboard (docs/TREASURY.md): `/treasury` lists payouts and expenses
//! (paged) with approve/reject buttons for the custodians who may review them, and the forms
//! to submit an expense, transfer between accounts and exchange currencies; a member requests
//! a payout from `/me`. Every form posts the API's request (`fairshare_ops::treasury`) through
//! [`form_op_on`], so the core decides who may do what, exactly as for the API.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use fairshare_core::{Role, State as BookState, TreasuryStatus};
use fairshare_ops::treasury::{
    ApproveExpense, ApprovePayout, Exchange, ExpenseOut, ListExpenses, ListPayouts, PayoutOut,
    RejectExpense, RejectPayout, RequestPayout, SubmitExpense, TransferMoney,
};
use fairshare_ops::{PageInfo, Read};
use serde::Deserialize;

use super::forms::posted;
use super::pages::{Errors, Nav, PageContext, nav, render};
use super::{FormPage, Reader, Viewer, WebForm, form_op_on, show};
use crate::AppState;
use crate::error::ApiError;

/// Rows of a list on one page.
const PAGE: usize = 20;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/treasury", get(treasury))
        .route("/me/payout", post(request_payout))
        .route("/treasury/expense", post(posted::<SubmitExpense>))
        .route("/treasury/transfer", post(posted::<TransferMoney>))
        .route("/treasury/exchange", post(posted::<Exchange>))
        .route("/payouts/{id}/approve", post(posted::<ApprovePayout>))
        .route("/payouts/{id}/reject", post(posted::<RejectPayout>))
        .route("/expenses/{id}/approve", post(posted::<ApproveExpense>))
        .route("/expenses/{id}/reject", post(posted::<RejectExpense>))
}

/// Where each list of the page starts (`/treasury?payouts=20&expenses=0`).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub(crate) struct Offsets {
    #[serde(default)]
    payouts: usize,
    #[serde(default)]
    expenses: usize,
}

/// An agent's payouts, in the order they were requested.
pub(super) fn payouts_of(state: &BookState, agent: &str) -> Vec<PayoutOut> {
    state
        .payouts()
        .iter()
        .filter(|p| p.agent == agent)
        .map(|p| PayoutOut::of(state, p))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The page

struct PayoutRow {
    p: PayoutOut,
    can_review: bool,
}

struct ExpenseRow {
    e: ExpenseOut,
    approvals: String,
    can_review: bool,
}

/// Links to a list's previous and next pages of `size` rows, and which rows are shown.
pub(super) struct Pager {
    pub shown: String,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    pub(super) fn new(
        total: usize,
        shown: usize,
        offset: usize,
        size: usize,
        link: impl Fn(usize) -> String,
    ) -> Pager {
        Pager {
            shown: if shown == 0 {
                format!("none of {total}")
            } else {
                format!("{}–{} of {total}", offset + 1, offset + shown)
            },
            previous: (offset > 0).then(|| link(offset.saturating_sub(size))),
            next: (offset + shown < total).then(|| link(offset + shown)),
        }
    }

    /// One page of `rows`, `size` of them from `offset`, and its pager: for a page that lists
    /// rows it computed whole (a statement's lines, the peer page's tables).
    pub(super) fn page<T>(
        rows: impl ExactSizeIterator<Item = T>,
        offset: usize,
        size: usize,
        link: impl Fn(usize) -> String,
    ) -> (Vec<T>, Pager) {
        let total = rows.len();
        let shown: Vec<T> = rows.skip(offset).take(size).collect();
        let pager = Pager::new(total, shown.len(), offset, size, link);
        (shown, pager)
    }

    /// The pager of a page a list view answered (it shows every row it has, up to its limit).
    pub(super) fn of(page: &PageInfo, link: impl Fn(usize) -> String) -> Pager {
        let shown = page.limit.min(page.total.saturating_sub(page.offset));
        Pager::new(page.total, shown, page.offset, page.limit, link)
    }
}

#[derive(Template)]
#[template(path = "treasury.html")]
struct TreasuryPage {
    nav: Nav,
    payouts: Vec<PayoutRow>,
    payouts_pager: Pager,
    expenses: Vec<ExpenseRow>,
    expenses_pager: Pager,
    /// May submit an expense: whoever may log contributions (the core decides the rest).
    can_submit: bool,
    custodian: bool,
    errors: Errors,
}

pub(super) fn treasury_page(context: PageContext, offsets: Offsets) -> Result<String, ApiError> {
    let (state, viewer) = (context.state, context.viewer);
    let me = viewer.agent.as_deref();
    let reading = context.reading();
    let role = reading.role;
    let custodian = role == Some(Role::Custodian);
    let pending = TreasuryStatus::Pending.as_str();
    let payouts = ListPayouts {
        limit: Some(PAGE),
        offset: Some(offsets.payouts),
        ..ListPayouts::default()
    }
    .view(state, &reading)?;
    let expenses = ListExpenses {
        limit: Some(PAGE),
        offset: Some(offsets.expenses),
        ..ListExpenses::default()
    }
    .view(state, &reading)?;
    let payouts_pager = Pager::of(&payouts.page, |at| {
        format!("/treasury?payouts={at}&expenses={}", offsets.expenses)
    });
    let expenses_pager = Pager::of(&expenses.page, |at| {
        format!("/treasury?payouts={}&expenses={at}", offsets.payouts)
    });
    let is_me = |who: &str| me == Some(who);
    render(TreasuryPage {
        nav: nav(viewer),
        payouts: payouts
            .payouts
            .into_iter()
            .map(|p| PayoutRow {
                can_review: custodian
                    && p.status == pending
                    && !is_me(&p.agent)
                    && !is_me(&p.requested_by),
                p,
            })
            .collect(),
        payouts_pager,
        expenses: expenses
            .expenses
            .into_iter()
            .map(|e| ExpenseRow {
                approvals: format!("{} of {}", e.approvals.len(), e.required),
                can_review: custodian
                    && e.status == pending
                    && !is_me(&e.submitted_by)
                    && !e.payee.as_deref().is_some_and(is_me)
                    && !e.approvals.iter().any(|a| is_me(a)),
                e,
            })
            .collect(),
        expenses_pager,
        can_submit: matches!(role, Some(Role::Custodian | Role::Affiliate)),
        custodian,
        errors: context.errors(),
    })
}

async fn treasury(
    State(app): State<AppState>,
    Reader(viewer): Reader,
    Query(offsets): Query<Offsets>,
) -> Response {
    show(&app, &viewer, FormPage::Treasury(offsets)).await
}

// ---------------------------------------------------------------------------------------------
// Forms

/// A member asks for their own balance to be paid out, from `/me`.
async fn request_payout(
    State(app): State<AppState>,
    viewer: Viewer,
    WebForm(fields): WebForm,
) -> Response {
    let agent = viewer.agent.clone().unwrap_or_default();
    let path = vec![("agent".to_string(), agent)];
    let back = "/me".to_string();
    form_op_on::<RequestPayout>(
        &app,
        &viewer,
        &fields,
        path,
        "payout",
        &FormPage::Me(Default::default()),
        back,
    )
    .await
}
