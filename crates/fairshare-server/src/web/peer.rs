//! Peer valuation on the dashboard (docs/PEER.md): `/projects/{slug}/peer` shows the project's
//! rounds (the open one with the points each giver has left and the give form), steward
//! points with their reasons, the blend of formula, peer and steward shares, the bounties
//! board, the pool allocations and the cap table. Every form posts the API's request
//! (`fairshare_ops::peer`) through [`form_op_on`], so the core decides who may do what,
//! exactly as over the API: custodians open and close rounds, give steward points, set the
//! blend, post and award bounties, allocate pools and record the cap table; an eligible
//! member gives points and opts out.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use fairshare_core::Role;
use fairshare_ops::Read;
use fairshare_ops::peer::{
    AddBounty, AllocatePool, BlendedOut, BountiesOut, CaptableOut, CloseRound, CompleteBounty,
    Give, ListBounties, ListPools, ListRounds, ListStewardAwards, OpenRound, OptOut, PoolsOut,
    RecordCaptable, RoundShow, SetBlend, StewardAwardsOut, StewardGive,
};
use serde::Deserialize;

use super::forms::posted;
use super::pages::{Errors, Nav, PageContext, nav, render};
use super::treasury::Pager;
use super::{FormPage, Reader, html, read, show};
use crate::AppState;
use crate::error::ApiError;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/projects/{slug}/peer", get(peer))
        .route("/projects/{slug}/peer/rounds", post(posted::<OpenRound>))
        .route(
            "/projects/{slug}/peer/rounds/{round}/give",
            post(posted::<Give>),
        )
        .route("/projects/{slug}/peer/rounds/{round}/left", get(left_after))
        .route(
            "/projects/{slug}/peer/rounds/{round}/opt-out",
            post(posted::<OptOut>),
        )
        .route(
            "/projects/{slug}/peer/rounds/{round}/close",
            post(posted::<CloseRound>),
        )
        .route("/projects/{slug}/peer/steward", post(posted::<StewardGive>))
        .route("/projects/{slug}/peer/blend", post(posted::<SetBlend>))
        .route("/projects/{slug}/peer/bounties", post(posted::<AddBounty>))
        .route(
            "/projects/{slug}/peer/bounties/complete",
            post(posted::<CompleteBounty>),
        )
        .route("/projects/{slug}/peer/pools", post(posted::<AllocatePool>))
        .route(
            "/projects/{slug}/peer/captable",
            post(posted::<RecordCaptable>),
        )
}

/// A share as the page shows it: the percentage, and the exact decimal.
pub(super) struct ShareCell {
    pub percent: String,
    pub exact: String,
}

impl ShareCell {
    fn of(exact: &str) -> ShareCell {
        ShareCell {
            percent: fairshare_ops::percent_text(exact),
            exact: exact.to_string(),
        }
    }
}

/// An open round as its giver sees it.
struct OpenRoundView {
    round: RoundShow,
    /// The viewer's points left to give, when they take part.
    my_left: Option<u64>,
    /// Who the viewer may give to: the other eligible agents who did not opt out, with what
    /// the viewer gives each now.
    recipients: Vec<(String, u64)>,
    shares: Vec<(String, u64, ShareCell)>,
    opted_out: bool,
}

struct BlendRow {
    agent: String,
    formula: ShareCell,
    peer: ShareCell,
    steward: ShareCell,
    blended: ShareCell,
    value: String,
}

struct CapRow {
    handle: String,
    value: String,
    share: ShareCell,
    units: String,
    units_share: ShareCell,
}

#[derive(Template)]
#[template(path = "peer.html")]
struct PeerPage {
    nav: Nav,
    slug: String,
    name: String,
    currency: String,
    rounds: Vec<fairshare_ops::peer::RoundRow>,
    open: Vec<OpenRoundView>,
    steward: StewardAwardsOut,
    blend: BlendedOut,
    blend_rows: Vec<BlendRow>,
    bounties: BountiesOut,
    pools: PoolsOut,
    captable: CaptableOut,
    cap_rows: Vec<CapRow>,
    cap_pager: Pager,
    blend_pager: Pager,
    /// Agents a custodian may award a bounty to or give steward points.
    agents: Vec<String>,
    custodian: bool,
    errors: Errors,
}

fn open_round_view(round: RoundShow, me: Option<&str>) -> OpenRoundView {
    let takes_part = me.is_some_and(|me| round.eligible.iter().any(|a| a == me));
    let my_left = me
        .filter(|_| takes_part)
        .and_then(|me| round.givers.iter().find(|g| g.agent == me))
        .map(|g| g.left);
    let mine = me.and_then(|me| round.gifts.get(me));
    let recipients = if takes_part {
        round
            .eligible
            .iter()
            .filter(|a| Some(a.as_str()) != me && !round.opted_out.contains(a))
            .map(|a| {
                let given = mine.and_then(|g| g.get(a)).copied().unwrap_or(0);
                (a.clone(), given)
            })
            .collect()
    } else {
        Vec::new()
    };
    let shares = round
        .shares
        .iter()
        .map(|s| (s.agent.clone(), s.received, ShareCell::of(&s.share)))
        .collect();
    OpenRoundView {
        opted_out: me.is_some_and(|me| round.opted_out.iter().any(|a| a == me)),
        my_left,
        recipients,
        shares,
        round,
    }
}

/// Where the blend's and the cap table's rows start (`/projects/p/peer?blend=50&cap=0`).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub(crate) struct Offsets {
    #[serde(default)]
    blend: usize,
    #[serde(default)]
    cap: usize,
}

/// Rows of the blend and of the cap table on one page: a network of 100,000 agents listed
/// each twice, a 42 MB page.
const ROWS_PAGE: usize = 50;

/// The handles a custodian's forms suggest (a `datalist`); any handle may still be typed.
const AGENTS_SUGGESTED: usize = 1_000;

pub(super) fn peer_page(
    context: PageContext,
    slug: &str,
    offsets: Offsets,
) -> Result<String, ApiError> {
    let (state, viewer, today) = (context.state, context.viewer, context.today);
    let project = state.project(slug)?;
    let me = viewer.agent.as_deref();
    let reading = context.reading();
    let role = reading.role;
    let slug_owned = slug.to_string();
    let rounds = ListRounds {
        project: slug_owned.clone(),
    }
    .view(state, &reading)?
    .rounds;
    let open = state
        .peer_rounds(slug)
        .filter(|r| r.is_open())
        .map(|r| open_round_view(RoundShow::of(r), me))
        .collect();
    // The blend once, for its table and the cap table's.
    let report = state.blended_shares(slug, today)?;
    let blend = BlendedOut::of(project, today, &report);
    // Only the rows shown are made; each pager's links keep the other table where it is.
    let blend_rows = blend.shares.iter().map(|r| BlendRow {
        agent: r.agent.clone(),
        formula: ShareCell::of(&r.formula),
        peer: ShareCell::of(&r.peer),
        steward: ShareCell::of(&r.steward),
        blended: ShareCell::of(&r.blended),
        value: r.value.clone(),
    });
    let (blend_rows, blend_pager) = Pager::page(blend_rows, offsets.blend, ROWS_PAGE, |at| {
        format!("/projects/{slug}/peer?blend={at}&cap={}#blend", offsets.cap)
    });
    let cap_rows = state.cap_table_of_blend(slug, today, report)?;
    let captable = CaptableOut::of(project, &cap_rows, today, None);
    let cap_rows = captable.rows.iter().map(|r| CapRow {
        handle: r.handle.clone(),
        value: r.value.clone(),
        share: ShareCell::of(&r.share),
        units: r.units.clone(),
        units_share: ShareCell::of(&r.units_share),
    });
    let (cap_rows, cap_pager) = Pager::page(cap_rows, offsets.cap, ROWS_PAGE, |at| {
        format!(
            "/projects/{slug}/peer?blend={}&cap={at}#cap-table",
            offsets.blend
        )
    });
    render(PeerPage {
        nav: nav(viewer),
        slug: slug_owned.clone(),
        name: project.name.clone().unwrap_or_else(|| slug_owned.clone()),
        currency: project.currency.clone(),
        rounds,
        open,
        steward: ListStewardAwards {
            project: slug_owned.clone(),
        }
        .view(state, &reading)?,
        blend,
        blend_rows,
        bounties: ListBounties {
            project: slug_owned.clone(),
        }
        .view(state, &reading)?,
        pools: ListPools {
            project: slug_owned,
        }
        .view(state, &reading)?,
        captable,
        cap_rows,
        cap_pager,
        blend_pager,
        agents: state
            .agents()
            .into_iter()
            .filter(|a| a.role != Role::Observer)
            .take(AGENTS_SUGGESTED)
            .map(|a| a.handle.clone())
            .collect(),
        custodian: role == Some(Role::Custodian),
        errors: context.errors(),
    })
}

async fn peer(
    State(app): State<AppState>,
    Reader(viewer): Reader,
    Path(slug): Path<String>,
    Query(offsets): Query<Offsets>,
) -> Response {
    show(&app, &viewer, FormPage::Peer(slug, offsets)).await
}

/// The give form's fields as they are typed.
#[derive(Debug, Default, Deserialize)]
struct Typed {
    #[serde(default)]
    to: String,
    #[serde(default)]
    points: String,
}

/// What the viewer would have left after the gift typed: the gift replaces what they give
/// `to` now.
fn left_words(round: &fairshare_core::Round, giver: &str, typed: &Typed) -> String {
    let Ok(points) = typed.points.trim().parse::<u64>() else {
        return "Points are a whole number.".to_string();
    };
    let now = round
        .gifts
        .get(giver)
        .and_then(|g| g.get(&typed.to))
        .copied()
        .unwrap_or(0);
    let after = round
        .spent(giver)
        .saturating_sub(now)
        .saturating_add(points);
    match round.budget.checked_sub(after) {
        Some(left) => format!("After this gift: {left} of {} left.", round.budget),
        None => format!("That is {} more than you have left.", after - round.budget),
    }
}

#[derive(Template)]
#[template(
    source = r#"<p id="after-gift-{{ round }}" class="hint" aria-live="polite">{{ words }}</p>"#,
    ext = "html"
)]
struct AfterGift {
    round: u64,
    words: String,
}

/// The points left after the gift being typed, for htmx to show under the give form
/// (records nothing).
async fn left_after(
    State(app): State<AppState>,
    Reader(viewer): Reader,
    Path((_slug, round)): Path<(String, u64)>,
    Query(typed): Query<Typed>,
) -> Response {
    let giver = viewer.agent.clone().unwrap_or_default();
    let words = read(&app, |state| {
        Ok(left_words(state.peer_round(round)?, &giver, &typed))
    })
    .await;
    let words = match words {
        Ok(words) => words,
        Err(error) => error.detail(),
    };
    match render(AfterGift { round, words }) {
        Ok(body) => html(StatusCode::OK, body),
        Err(error) => super::api_error_page(&viewer, error),
    }
}

// ---------------------------------------------------------------------------------------------
// Forms
