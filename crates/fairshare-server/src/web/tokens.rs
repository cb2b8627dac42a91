//! Tokens on the dashboard (docs/TOKENS.md): `/tokens` lists them; a token's page shows its
//! terms, supply, reserve and prices, the net asset value per token over the events that
//! moved it (an SVG line chart), the holders and the issuance, and the forms: pre-sale, buy,
//! redeem, donate, transfer and accept. A buy and a redemption are quoted before they are sent:
//! live by htmx from `/tokens/{symbol}/quote/buy` and `/quote/redeem`, or without JavaScript
//! by the form's *Quote* button. A quote is the core's decision of the very command the form
//! would post, made on the current state and never recorded. Every form posts the API's
//! request (`fairshare_ops::tokens`) through [`form_op_on`].

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use fairshare_core::{Outcome, Price, Role, State as BookState, Token, Value, format_amount};
use fairshare_ops::tokens::{
    AcceptToken, Buy, Donate, ListTokens, Presale, Redeem, ShowToken, TokenRow, TokenShow, Transfer,
};
use fairshare_ops::{Read, Write};
use serde::Deserialize;

use super::pages::{Errors, Nav, PageContext, nav, percent, render};
use super::resources::{decide, shown_forms};
use super::svg::{self, Bar};
use super::treasury::Pager;
use super::{
    Fields, FormPage, Reader, Viewer, WebForm, field, form_op_on, form_pairs, page_of, show,
};
use crate::AppState;
use crate::error::ApiError;

/// Rows of a list (tokens, issuance) on one page.
const PAGE: usize = 20;

/// Points of the price chart: the last this many events that moved the price.
const CHART_POINTS_MAX: usize = 60;

/// Decimals of a charted price beyond the currency's (as the API prints prices).
const PRICE_EXTRA_DECIMALS: u32 = 4;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/tokens", get(list))
        .route("/tokens/{symbol}", get(token))
        .route("/tokens/{symbol}/quote/{kind}", get(quote))
        .route("/tokens/{symbol}/presale", post(post_form::<Presale>))
        .route("/tokens/{symbol}/buy", post(post_form::<Buy>))
        .route("/tokens/{symbol}/redeem", post(post_form::<Redeem>))
        .route("/tokens/{symbol}/donate", post(post_form::<Donate>))
        .route("/tokens/{symbol}/transfer", post(post_form::<Transfer>))
        .route("/tokens/{symbol}/accept", post(post_form::<AcceptToken>))
}

// ---------------------------------------------------------------------------------------------
// The list

#[derive(Debug, Clone, Copy, Default, Deserialize)]
struct ListOffset {
    #[serde(default)]
    offset: usize,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct ListPage {
    nav: Nav,
    tokens: Vec<TokenRow>,
    pager: Pager,
}

async fn list(
    State(app): State<AppState>,
    Reader(viewer): Reader,
    Query(at): Query<ListOffset>,
) -> Response {
    page_of(&app, &viewer, StatusCode::OK, |state, today| {
        let listed = ListTokens {
            limit: Some(PAGE),
            offset: Some(at.offset),
        }
        .view(state, &viewer.reading(state, today))?;
        let pager = Pager::of(&listed.page, |to| format!("/tokens?offset={to}"));
        render(ListPage {
            nav: nav(&viewer),
            tokens: listed.tokens,
            pager,
        })
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Quotes

/// Which form a quote is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoted {
    Buy,
    Redeem,
}

impl Quoted {
    fn parse(kind: &str) -> Option<Quoted> {
        match kind {
            "buy" => Some(Quoted::Buy),
            "redeem" => Some(Quoted::Redeem),
            _ => None,
        }
    }

    /// The field without which nothing is asked yet.
    fn amount_field(self) -> &'static str {
        match self {
            Quoted::Buy => "amount",
            Quoted::Redeem => "tokens",
        }
    }

    fn box_id(self) -> &'static str {
        match self {
            Quoted::Buy => "buy-quote",
            Quoted::Redeem => "redeem-quote",
        }
    }
}

/// A quote box: a headline and its lines, or the core's refusal; empty until asked.
#[derive(Template)]
#[template(path = "token_quote.html")]
struct TokenQuote {
    id: &'static str,
    asked: bool,
    headline: String,
    lines: Vec<String>,
    error: String,
}

/// The request `O` the form's fields spell (the controls and the empty ones left out).
fn request<O: fairshare_ops::Operation>(symbol: &str, fields: &Fields) -> Result<O, ApiError> {
    let pairs = form_pairs(fields)
        .into_iter()
        .filter(|(name, _)| name != "quote")
        .collect();
    let path = vec![("symbol".to_string(), symbol.to_string())];
    crate::operations::request_from_pairs(pairs, path, "form")
}

/// What a buy or a redemption would do now, decided by the core as the viewer and recorded
/// nowhere.
fn quote_of(
    state: &BookState,
    viewer: &Viewer,
    symbol: &str,
    kind: Quoted,
    fields: &Fields,
    today: fairshare_core::Date,
) -> TokenQuote {
    let mut answer = TokenQuote {
        id: kind.box_id(),
        asked: !field(fields, kind.amount_field()).is_empty(),
        headline: String::new(),
        lines: Vec::new(),
        error: String::new(),
    };
    if !answer.asked {
        return answer;
    }
    let Some(actor) = viewer.agent.as_deref() else {
        answer.error = "log in to get a quote".to_string();
        return answer;
    };
    let command = match kind {
        Quoted::Buy => request::<Buy>(symbol, fields).and_then(|r| Ok(r.command(actor)?)),
        Quoted::Redeem => request::<Redeem>(symbol, fields).and_then(|r| Ok(r.command(actor)?)),
    };
    let decided = command.and_then(|c| decide(state, actor, today, &c));
    match (decided, state.token(symbol)) {
        (Ok(outcome), Ok(token)) => describe(token, &outcome, &mut answer),
        (Err(error), _) => answer.error = error.detail(),
        (_, Err(error)) => answer.error = error.to_string(),
    }
    answer
}

/// A quoted outcome in words.
fn describe(token: &Token, outcome: &Outcome, answer: &mut TokenQuote) {
    let units = |minor| format!("{} {}", format_amount(minor, token.exponent), token.symbol);
    let money = |minor| {
        format!(
            "{} {}",
            format_amount(minor, token.currency_exponent),
            token.currency
        )
    };
    match *outcome {
        Outcome::TokenBought {
            amount,
            tribute,
            tokens,
        } => {
            answer.headline = format!("Mints {} for {}", units(tokens), money(amount));
            answer.lines = vec![
                format!(
                    "entry tribute to {}: {}",
                    token.funding_account,
                    money(tribute)
                ),
                format!("into the reserve: {}", money(amount - tribute)),
            ];
        }
        Outcome::TokenRedeemed {
            tokens,
            gross,
            fee,
            tribute,
            payout,
        } => {
            answer.headline = format!("Pays {} for {}", money(payout), units(tokens));
            let kept = if tribute > 0 {
                format!(
                    "exit tribute to {}: {}",
                    token.funding_account,
                    money(tribute)
                )
            } else {
                format!("exit fee kept in the reserve: {}", money(fee))
            };
            answer.lines = vec![format!("value out of the reserve: {}", money(gross)), kept];
        }
        _ => answer.error = "the core decided no trade".to_string(),
    }
}

/// A quote box alone, what htmx swaps in as the buy or redeem form changes.
async fn quote(
    State(app): State<AppState>,
    Reader(viewer): Reader,
    Path((symbol, kind)): Path<(String, String)>,
    Query(asked): Query<Fields>,
) -> Response {
    let Some(kind) = Quoted::parse(&kind) else {
        return super::error_page(
            &viewer,
            StatusCode::NOT_FOUND,
            "quotes are of buy or redeem",
        );
    };
    page_of(&app, &viewer, StatusCode::OK, |state, today| {
        render(quote_of(state, &viewer, &symbol, kind, &asked, today))
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// The price over time

/// The net asset value per token after each event that moved the reserve or the supply, the
/// last [`CHART_POINTS_MAX`] of them: from the ledger's postings to the reserve and the
/// token's issuance, both in log order.
fn price_points(state: &BookState, token: &Token) -> Vec<Bar> {
    let transactions = state.ledger().transactions();
    let from = transactions.partition_point(|t| t.seq < token.seq);
    let mut changes: Vec<(u64, i128, i128)> = transactions
        .iter_from(from)
        .filter_map(|t| {
            let delta: i128 = t
                .legs()
                .filter(|(account, asset, _)| {
                    *account == token.reserve_account && *asset == token.currency
                })
                .map(|(_, _, amount)| amount)
                .sum();
            (delta != 0).then_some((t.seq, delta, 0))
        })
        .collect();
    changes.extend(token.history.iter().map(|i| (i.seq, 0, i.tokens)));
    changes.sort_by_key(|c| c.0);
    let (mut reserve, mut supply) = (0i128, 0i128);
    let mut points: Vec<Bar> = Vec::new();
    for (i, (seq, reserve_delta, supply_delta)) in changes.iter().enumerate() {
        reserve += reserve_delta;
        supply += supply_delta;
        // One point per event, after all of its changes.
        if changes.get(i + 1).is_some_and(|next| next.0 == *seq) || supply <= 0 {
            continue;
        }
        points.push(price_point(token, *seq, reserve, supply));
    }
    let skip = points.len().saturating_sub(CHART_POINTS_MAX);
    points.split_off(skip)
}

fn price_point(token: &Token, seq: u64, reserve: i128, supply: i128) -> Bar {
    let price = Price {
        numerator: reserve,
        denominator: supply,
        currency_exponent: token.currency_exponent,
        token_exponent: token.exponent,
    };
    // The printed price's last digit per whole token: the chart's scale only.
    let magnitude = 10i128
        .checked_pow(token.exponent + PRICE_EXTRA_DECIMALS)
        .and_then(|scale| reserve.checked_mul(scale))
        .map(|r| r / supply)
        .unwrap_or(0);
    Bar {
        label: format!("event {seq}"),
        magnitude,
        text: format!(
            "{} {}",
            price.per_token(token.currency_exponent + PRICE_EXTRA_DECIMALS),
            token.currency
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// A token

#[derive(Template)]
#[template(path = "token.html")]
struct TokenPage {
    nav: Nav,
    t: TokenShow,
    curve: bool,
    chart: String,
    /// Holder, balance and share of the supply as a percentage.
    holders: Vec<(String, String, String)>,
    issuance_pager: Pager,
    /// May redeem and transfer (their own tokens; custodians anyone's).
    can_trade: bool,
    custodian: bool,
    buy_quote: String,
    redeem_quote: String,
    /// What a quoted form holds.
    typed: Fields,
    /// The form `typed` belongs to.
    typed_form: &'static str,
    errors: Errors,
    /// A refused form's message when the page does not show that form.
    hidden_error: String,
}

impl TokenPage {
    /// What `name` of `form` holds: a refused form's text, or a quoted one's.
    fn typed(&self, form: &str, name: &str) -> String {
        if form == self.typed_form {
            field(&self.typed, name).to_string()
        } else {
            self.errors.value(form, name, "")
        }
    }
}

/// The page with a quote for `asked` (`quote=buy|redeem` and the form's fields).
pub(super) fn token_page(
    context: PageContext,
    symbol: &str,
    asked: &Fields,
) -> Result<String, ApiError> {
    let (state, viewer, today) = (context.state, context.viewer, context.today);
    let reader = context.reading();
    let offset = field(asked, "offset").parse().unwrap_or(0);
    let t = ShowToken {
        symbol: symbol.to_string(),
        limit: Some(PAGE),
        offset: Some(offset),
    }
    .view(state, &reader)?;
    let token = state.token(symbol)?;
    let quoted = Quoted::parse(field(asked, "quote"));
    let quote_box = |kind: Quoted| {
        let none = Fields::new();
        let fields = if quoted == Some(kind) { asked } else { &none };
        render(quote_of(state, viewer, symbol, kind, fields, today))
    };
    let curve = t.redemption == "curve";
    let can_trade = matches!(reader.role, Some(Role::Custodian | Role::Affiliate));
    let custodian = reader.role == Some(Role::Custodian);
    let errors = context.errors();
    let shown = shown_forms(&[
        ("buy", custodian && curve),
        ("redeem", can_trade),
        ("transfer", can_trade),
        ("presale", custodian && !curve),
        ("donate", custodian),
        ("accept", custodian),
    ]);
    let issuance_pager = Pager::new(t.issuance_total, t.issuance.len(), offset, PAGE, |to| {
        format!("/tokens/{symbol}?offset={to}")
    });
    render(TokenPage {
        nav: nav(viewer),
        curve,
        holders: state
            .token_holders(symbol)?
            .into_iter()
            .map(|h| {
                let share = percent(Value(h.balance), Value(h.supply));
                let balance = format_amount(h.balance, token.exponent);
                (h.holder, balance, share)
            })
            .collect(),
        chart: svg::line_chart(
            &format!("Net asset value per {} token, by event", t.token),
            &price_points(state, token),
        ),
        issuance_pager,
        can_trade,
        custodian,
        buy_quote: quote_box(Quoted::Buy)?,
        redeem_quote: quote_box(Quoted::Redeem)?,
        typed: asked.clone(),
        typed_form: match quoted {
            Some(Quoted::Buy) => "buy",
            Some(Quoted::Redeem) => "redeem",
            None => "",
        },
        hidden_error: errors.of_hidden(&shown),
        errors,
        t,
    })
}

async fn token(
    State(app): State<AppState>,
    Reader(viewer): Reader,
    Path(symbol): Path<String>,
    Query(asked): Query<Fields>,
) -> Response {
    show(&app, &viewer, FormPage::Token(symbol, asked)).await
}

// ---------------------------------------------------------------------------------------------
// Forms

/// A token page's form: the request it posts, its name on the page (where its refusal is
/// shown), and the request field the token's symbol fills.
trait TokenForm: Write {
    const FORM: &'static str;
    /// `token` for acceptance, whose path names the project.
    const SYMBOL_AS: &'static str = "symbol";
    /// A buy and a redemption: the form's *Quote* button (`quote=buy|redeem`) shows the page
    /// with what the same fields would do instead, recording nothing.
    const QUOTED: bool = false;
}

impl TokenForm for Presale {
    const FORM: &'static str = "presale";
}

impl TokenForm for Buy {
    const FORM: &'static str = "buy";
    const QUOTED: bool = true;
}

impl TokenForm for Redeem {
    const FORM: &'static str = "redeem";
    const QUOTED: bool = true;
}

impl TokenForm for Donate {
    const FORM: &'static str = "donate";
}

impl TokenForm for Transfer {
    const FORM: &'static str = "transfer";
}

impl TokenForm for AcceptToken {
    const FORM: &'static str = "accept";
    const SYMBOL_AS: &'static str = "token";
}

/// Posts a token page's form as the API request `O` (or quotes it); back to the page.
async fn post_form<O: TokenForm>(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(symbol): Path<String>,
    WebForm(fields): WebForm,
) -> Response {
    if O::QUOTED && field(&fields, "quote") == O::FORM {
        return show(&app, &viewer, FormPage::Token(symbol, fields)).await;
    }
    let back = format!("/tokens/{symbol}");
    let path = vec![(O::SYMBOL_AS.to_string(), symbol.clone())];
    let page = FormPage::Token(symbol, Fields::new());
    form_op_on::<O>(&app, &viewer, &fields, path, O::FORM, &page, back).await
}
