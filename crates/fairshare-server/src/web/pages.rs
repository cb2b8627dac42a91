//! What each page shows, computed from the state into plain strings for the templates.

use std::collections::BTreeMap;

use askama::Template;
use axum::http::StatusCode;
use fairshare_core::{Contribution, Date, Filter, Kind, Role, State, Value, format_amount};

use fairshare_ops::log::HeadOut;

use super::Viewer;
use super::svg::{self, Bar};
use super::treasury::Pager;
use crate::error::ApiError;

/// A refused form: which form, the field the message is about (empty: the whole form), the
/// core's message, and what was typed, to fill the form again.
#[derive(Debug, Clone)]
pub struct FormError {
    pub form: String,
    pub field: String,
    pub message: String,
    pub values: BTreeMap<String, String>,
}

impl FormError {
    /// Placed at the field the refusal names; else at the field a message mentions as a word
    /// (`hours`, `amount`, ...: "custodians" does not mention `to`); else on the whole form.
    pub fn new(
        form: &str,
        fields: &std::collections::HashMap<String, String>,
        named: Option<&str>,
        message: String,
    ) -> FormError {
        let lower = message.to_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .collect();
        let words = format!(" {} ", words.join(" "));
        let mut names: Vec<&String> = fields
            .keys()
            .filter(|k| !matches!(k.as_str(), "csrf" | "back" | "kind" | "idempotency_key"))
            .collect();
        names.sort();
        let field = named
            .filter(|n| fields.contains_key(*n))
            .map(str::to_string)
            .or_else(|| {
                names
                    .into_iter()
                    .find(|name| {
                        words.contains(&format!(" {name} "))
                            || words.contains(&format!(" {} ", name.replace('_', " ")))
                    })
                    .cloned()
            })
            .unwrap_or_default();
        FormError {
            form: form.to_string(),
            field,
            message,
            values: fields
                .iter()
                .filter(|(k, _)| k.as_str() != "csrf")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}

/// The error (if any) of the page's forms, as the templates ask for it.
pub struct Errors(pub(super) Option<FormError>);

impl Errors {
    /// The message of a refused form that is not among the `shown` ones (an observer's post,
    /// a form of another state of the page), or empty: shown once at the top of the page.
    pub fn of_hidden(&self, shown: &[&str]) -> String {
        match &self.0 {
            Some(e) if !shown.contains(&e.form.as_str()) => e.message.clone(),
            _ => String::new(),
        }
    }

    /// The message for `field` of `form` (`""` for the form as a whole), or empty.
    pub fn at(&self, form: &str, field: &str) -> String {
        match &self.0 {
            Some(e) if e.form == form && e.field == field => e.message.clone(),
            _ => String::new(),
        }
    }

    /// What was typed in `field` of `form` before a refusal, or `default`.
    pub fn value(&self, form: &str, field: &str, default: &str) -> String {
        match &self.0 {
            Some(e) if e.form == form => e.values.get(field).cloned().unwrap_or_default(),
            _ => default.to_string(),
        }
    }
}

/// The navigation bar: who is logged in, the token for the logout form, and the base of
/// this rendering's one-time form keys.
pub struct Nav {
    pub agent: Option<String>,
    pub csrf: String,
    pub form_key: String,
}

impl Nav {
    /// The idempotency key of one form of this page: a double submit of that form records
    /// once, while each form (and each rendering) has its own.
    pub fn key(&self, form: &str) -> String {
        format!("web-{}-{form}", self.form_key)
    }
}

pub(super) fn nav(viewer: &Viewer) -> Nav {
    Nav {
        agent: viewer.agent.clone(),
        csrf: viewer.csrf.clone(),
        form_key: super::session::random_token(),
    }
}

/// What a page with forms is rendered from: the state, who looks, today, and the refused form
/// it shows again, if any.
#[derive(Clone, Copy)]
pub struct PageContext<'a> {
    pub state: &'a State,
    pub viewer: &'a Viewer,
    pub today: Date,
    pub error: Option<&'a FormError>,
}

impl PageContext<'_> {
    /// How the viewer reads: their handle and role, and today.
    pub fn reading(&self) -> fairshare_ops::Reading {
        self.viewer.reading(self.state, self.today)
    }

    /// The refused form's error, where the page's template shows it.
    pub fn errors(&self) -> Errors {
        Errors(self.error.cloned())
    }
}

pub(super) fn render(template: impl Template) -> Result<String, ApiError> {
    template
        .render()
        .map_err(|e| ApiError::Internal(format!("template: {e}")))
}

/// `part / total` as a percentage with two decimals, rounded down.
pub(super) fn percent(part: Value, total: Value) -> String {
    if total.0 <= 0 {
        return "0.00%".to_string();
    }
    let basis = part
        .0
        .checked_mul(10_000)
        .map(|p| p / total.0)
        .unwrap_or_else(|| part.0 / (total.0 / 10_000).max(1));
    format!("{}.{:02}%", basis / 100, basis % 100)
}

pub(super) fn role_of(state: &State, agent: Option<&str>) -> Option<Role> {
    agent.and_then(|a| state.agent(a).ok()).map(|a| a.role)
}

/// A contribution in words: "12.5 h engineering", "300.00 CAD".
fn what(c: &Contribution, currency: &str, exponent: u32) -> String {
    match c.kind {
        Kind::Work => format!(
            "{} h {}",
            c.quantity,
            c.category.as_deref().unwrap_or_default()
        ),
        Kind::Use => format!("{} h of own equipment", c.quantity),
        Kind::Cash | Kind::Material => match c.amount_minor {
            Some(minor) => format!("{} {currency}", format_amount(minor, exponent)),
            None => c.quantity.to_string(),
        },
        _ => c.quantity.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    nav: Nav,
    title: String,
    message: String,
}

pub fn message_page(viewer: &Viewer, status: StatusCode, message: &str) -> String {
    MessagePage {
        nav: nav(viewer),
        title: format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("Error")
        ),
        message: message.to_string(),
    }
    .render()
    .unwrap_or_else(|_| message.to_string())
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    nav: Nav,
    token: String,
    error: String,
    handle: String,
}

pub fn login(viewer: &Viewer, token: &str, error: Option<&str>, handle: &str) -> String {
    LoginPage {
        nav: nav(viewer),
        token: token.to_string(),
        error: error.unwrap_or_default().to_string(),
        handle: handle.to_string(),
    }
    .render()
    .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------

struct ProjectRowView {
    slug: String,
    name: String,
    currency: String,
    contributions: usize,
    counted: String,
    distributed: String,
}

/// One role's members on the overview: how many, and the first handles.
struct MembersView {
    role: String,
    count: usize,
    shown: Vec<String>,
    /// Members not named.
    more: usize,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    nav: Nav,
    projects: Vec<ProjectRowView>,
    members: Vec<MembersView>,
    recent: Vec<fairshare_ops::log::SaidOut>,
    /// The log's head, for anyone to copy and publish.
    head: HeadOut,
    agents: usize,
    contributions: usize,
    pending: usize,
    distributions: usize,
}

pub fn overview(
    state: &State,
    viewer: &Viewer,
    (head, recent): (HeadOut, Vec<fairshare_ops::log::SaidOut>),
    today: Date,
) -> Result<String, ApiError> {
    let mut projects = Vec::new();
    for p in state.projects() {
        let values = state.values_by_agent(p, &Filter::default(), today)?;
        projects.push(ProjectRowView {
            slug: p.slug.to_string(),
            name: p.name.clone().unwrap_or_else(|| p.slug.to_string()),
            currency: p.currency.clone(),
            contributions: p.contributions as usize,
            counted: total_value(&values).display(p.exponent),
            distributed: format_amount(p.distributed, p.exponent),
        });
    }
    let mut members = Vec::new();
    for role in [Role::Custodian, Role::Affiliate, Role::Observer] {
        let mut count = 0;
        let mut shown = Vec::new();
        for agent in state.agents().into_iter().filter(|a| a.role == role) {
            count += 1;
            if shown.len() < MEMBERS_SHOWN {
                shown.push(agent.handle.clone());
            }
        }
        members.push(MembersView {
            role: format!("{}s", role.as_str()),
            count,
            more: count - shown.len(),
            shown,
        });
    }
    render(OverviewPage {
        nav: nav(viewer),
        projects,
        members,
        recent,
        head,
        agents: state.agents().len(),
        // From the projects' counters: the table itself may still be in the store.
        contributions: state.projects().map(|p| p.contributions as usize).sum(),
        pending: state.projects().map(|p| p.pending.len()).sum(),
        distributions: state.projects().map(|p| p.distributions as usize).sum(),
    })
}

// ---------------------------------------------------------------------------------------------

/// The shares a project page lists one by one, largest first.
const SHARES_SHOWN: usize = 20;

/// The handles of each role the overview names; the rest are counted.
const MEMBERS_SHOWN: usize = 50;

struct ShareView {
    agent: String,
    value: String,
    percent: String,
}

struct PendingView {
    id: u64,
    agent: String,
    kind: String,
    what: String,
    value: String,
    approvals: String,
    can_review: bool,
}

struct CorrectionView {
    id: u64,
    contribution: u64,
    change: String,
    by: String,
    reason: String,
    status: String,
    approvals: String,
    can_review: bool,
}

struct CampaignView {
    id: String,
    status: String,
    raised: String,
    target: String,
    purpose: String,
}

struct ResourceView {
    name: String,
    status: String,
    uses: usize,
    outstanding: String,
}

struct TokenView {
    symbol: String,
    supply: String,
    reserve: String,
}

struct DistributionView {
    id: u64,
    date: String,
    amount: String,
    from: String,
}

#[derive(Template)]
#[template(path = "project.html")]
struct ProjectPage {
    nav: Nav,
    slug: String,
    name: String,
    currency: String,
    policy: Vec<String>,
    plan: Vec<String>,
    plan_version: u32,
    rest_to: String,
    plan_json: String,
    /// Approvals a contribution needs now (the approvals form's value).
    approvals: String,
    contributions_chart: String,
    shares_chart: String,
    total: String,
    shares: Vec<ShareView>,
    /// Agents with a share not listed one by one (the last row sums them).
    shares_more: usize,
    pending: Vec<PendingView>,
    corrections: Vec<CorrectionView>,
    distributions: Vec<DistributionView>,
    campaigns: Vec<CampaignView>,
    resources: Vec<ResourceView>,
    tokens: Vec<TokenView>,
    can_log: bool,
    custodian: bool,
    governance: super::governance::GovernanceBox,
    errors: Errors,
    /// The "what would I get" section (web/forecast.rs), rendered.
    estimate: String,
}

pub fn project(context: PageContext, slug: &str, estimate: String) -> Result<String, ApiError> {
    let (state, viewer, today) = (context.state, context.viewer, context.today);
    let p = state.project(slug)?;
    let exp = p.exponent;
    let role = role_of(state, viewer.agent.as_deref());
    let can_log = matches!(role, Some(Role::Custodian | Role::Affiliate));
    let custodian = role == Some(Role::Custodian);

    let pol = &p.policy;
    let mut policy: Vec<String> = pol
        .rates
        .iter()
        .map(|(cat, rate)| format!("Work in {cat} is valued at {rate} {} per hour.", p.currency))
        .collect();
    if pol.rates.is_empty() {
        policy.push("No work category has a rate yet.".to_string());
    }
    for (kind, m) in &pol.multipliers {
        policy.push(format!("{} contributions count {m} times.", kind.as_str()));
    }
    for (agent, f) in &pol.skills {
        policy.push(format!("{agent}'s work counts {f} times (skill factor)."));
    }
    match &pol.half_life_days {
        Some(d) => policy.push(format!("Values halve every {d} days (time decay).")),
        None => policy.push("Values do not decay with time.".to_string()),
    }
    policy.push(match p.approvals_required {
        0 => "A contribution counts as soon as it is logged.".to_string(),
        n => format!("A contribution counts once {n} other member(s) approved it."),
    });

    let plan_json = fairshare_ops::plans::plan_file_text(p.plan());
    let plan_words = fairshare_ops::plans::PlanOut::of(p, p.plan_version(), p.plan());

    // Counted contributions by month and kind, from the project's running sums.
    let kinds: Vec<Kind> = Kind::ALL.to_vec();
    let mut months: BTreeMap<String, BTreeMap<usize, Value>> = BTreeMap::new();
    for (&(month, kind), counted) in &p.counted_by_month {
        let month = format!("{:04}-{:02}", month / 100, month % 100);
        let index = kinds.iter().position(|k| *k == kind).unwrap_or(0);
        months
            .entry(month)
            .or_default()
            .insert(index, counted.value);
    }
    let used: Vec<usize> = (0..kinds.len())
        .filter(|i| months.values().any(|m| m.contains_key(i)))
        .collect();
    let series: Vec<String> = used
        .iter()
        .map(|i| kinds[*i].as_str().to_string())
        .collect();
    let mut rows = Vec::new();
    let mut totals = Vec::new();
    for (month, by_kind) in &months {
        let mut segments = Vec::new();
        let mut total = 0i128;
        for (pos, i) in used.iter().enumerate() {
            if let Some(v) = by_kind.get(i) {
                segments.push((pos, v.0, format!("{} {}", v.display(exp), p.currency)));
                total = total.saturating_add(v.0);
            }
        }
        rows.push((month.clone(), segments));
        totals.push(format!("{} {}", Value(total).display(exp), p.currency));
    }
    let contributions_chart = svg::stacked_chart(
        "Counted contributions by month and kind",
        &series,
        &rows,
        &totals,
    );

    let mut values = state.values_by_agent(p, &Filter::default(), today)?;
    let total = total_value(&values);
    // Largest first, and only the first SHARES_SHOWN: a network of 100,000 agents drew one
    // bar each, a 30 MB page. The rest are one row; the API pages through them all.
    values.sort_by(|(a, x), (b, y)| y.cmp(x).then_with(|| a.cmp(b)));
    let others = values.split_off(values.len().min(SHARES_SHOWN));
    let share = |agent: String, v: Value| ShareView {
        agent,
        value: format!("{} {}", v.display(exp), p.currency),
        percent: percent(v, total),
    };
    let mut shares: Vec<ShareView> = values
        .iter()
        .map(|(agent, v)| share(agent.to_string(), *v))
        .collect();
    let mut magnitudes: Vec<i128> = values.iter().map(|(_, v)| v.0).collect();
    if !others.is_empty() {
        let rest = total_value(&others);
        shares.push(share(format!("{} more agents", others.len()), rest));
        magnitudes.push(rest.0);
    }
    let bars: Vec<Bar> = shares
        .iter()
        .zip(magnitudes)
        .map(|(s, magnitude)| Bar {
            label: s.agent.clone(),
            magnitude,
            text: format!("{} ({})", s.value, s.percent),
        })
        .collect();
    let shares_chart = svg::bar_chart("Shares by agent", &bars);
    let shares_more = others.len();

    let pending = (p.pending.iter())
        .filter_map(|&id| state.contribution(id).ok())
        .map(|c| PendingView {
            id: c.id,
            agent: c.agent.to_string(),
            kind: c.kind.as_str().to_string(),
            what: what(c, &p.currency, exp),
            value: format!("{} {}", c.value.display(exp), p.currency),
            approvals: format!("{} of {}", c.approvals().len(), p.approvals_required),
            can_review: can_log
                && viewer.agent.as_deref() != Some(&*c.agent)
                && !c
                    .approvals()
                    .iter()
                    .any(|a| Some(a.as_str()) == viewer.agent.as_deref()),
        })
        .collect();

    let corrections = corrections(state, p, viewer, custodian);

    let distributions = state
        .distributions()
        .iter()
        .filter(|d| *d.project == *p.slug)
        .rev()
        .map(|d| DistributionView {
            id: d.id,
            date: d.date.to_string(),
            amount: format!("{} {}", format_amount(d.amount, d.exponent), d.asset),
            from: d.from.clone().unwrap_or_default(),
        })
        .collect();
    let campaigns = state
        .campaigns()
        .filter(|c| c.project == slug)
        .map(|c| CampaignView {
            id: c.id.clone(),
            status: c.status.as_str().to_string(),
            raised: format_amount(c.raised, exp),
            target: format_amount(c.target, exp),
            purpose: c.purpose.clone().unwrap_or_default(),
        })
        .collect();
    let resources = state
        .resources()
        .filter(|r| r.project == slug)
        .map(|r| ResourceView {
            name: r.name.clone(),
            status: r.status.as_str().to_string(),
            uses: r.uses.len(),
            outstanding: format_amount(r.owners.iter().map(|o| o.outstanding().max(0)).sum(), exp),
        })
        .collect();
    let tokens = state
        .tokens()
        .filter(|t| t.project == slug)
        .map(|t| TokenView {
            symbol: t.symbol.clone(),
            supply: state
                .token_supply(&t.symbol)
                .map(|s| format_amount(s, t.exponent))
                .unwrap_or_default(),
            reserve: state
                .token_reserve(&t.symbol)
                .map(|r| format!("{} {}", format_amount(r, t.currency_exponent), t.currency))
                .unwrap_or_default(),
        })
        .collect();

    render(ProjectPage {
        nav: nav(viewer),
        slug: slug.to_string(),
        name: p.name.clone().unwrap_or_else(|| slug.to_string()),
        currency: p.currency.clone(),
        policy,
        plan: plan_words.buckets.iter().map(|b| b.words.clone()).collect(),
        plan_version: p.plan_version(),
        rest_to: plan_words.rest_to.clone(),
        plan_json,
        approvals: p.approvals_required.to_string(),
        contributions_chart,
        shares_chart,
        total: format!("{} {}", total.display(exp), p.currency),
        shares,
        shares_more,
        pending,
        corrections,
        distributions,
        campaigns,
        resources,
        tokens,
        can_log,
        custodian,
        governance: super::governance::GovernanceBox::of(state, slug, &context.reading())?,
        errors: context.errors(),
        estimate,
    })
}

// ---------------------------------------------------------------------------------------------

struct LineView {
    bucket: u32,
    label: String,
    to: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "statement.html")]
struct StatementPage {
    nav: Nav,
    id: u64,
    project: String,
    date: String,
    amount: String,
    currency: String,
    from: String,
    plan_version: u32,
    payouts: Vec<(String, String)>,
    payouts_pager: Pager,
    lines: Vec<LineView>,
    lines_pager: Pager,
}

/// Where a statement's two tables start (`/distributions/7?payouts=100&lines=0`): a revenue
/// split over 100,000 agents has as many payouts and lines, a 10 MB page.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
pub(crate) struct StatementOffsets {
    #[serde(default)]
    payouts: usize,
    #[serde(default)]
    lines: usize,
}

/// Rows of each of a statement's tables on one page.
const STATEMENT_ROWS_PAGE: usize = 100;

pub fn statement(
    state: &State,
    viewer: &Viewer,
    id: u64,
    offsets: StatementOffsets,
) -> Result<String, ApiError> {
    let d = state.distribution(id)?;
    let out = fairshare_ops::distributions::StatementOut::of(state, d);
    let rows = STATEMENT_ROWS_PAGE;
    let (payouts, payouts_pager) =
        Pager::page(out.payouts.into_iter(), offsets.payouts, rows, |at| {
            format!(
                "/distributions/{id}?payouts={at}&lines={}#payouts",
                offsets.lines
            )
        });
    let (lines, lines_pager) = Pager::page(out.lines.into_iter(), offsets.lines, rows, |at| {
        format!(
            "/distributions/{id}?payouts={}&lines={at}#lines",
            offsets.payouts
        )
    });
    render(StatementPage {
        nav: nav(viewer),
        id,
        project: out.project,
        date: out.date,
        amount: out.amount,
        currency: out.currency,
        from: out.from.unwrap_or_default(),
        plan_version: out.plan_version,
        payouts,
        payouts_pager,
        lines: lines
            .into_iter()
            .map(|l| LineView {
                bucket: l.bucket,
                label: l.bucket_label,
                to: l.to,
                amount: l.amount,
            })
            .collect(),
        lines_pager,
    })
}

// ---------------------------------------------------------------------------------------------

struct MyContribution {
    id: u64,
    project: String,
    date: String,
    kind: String,
    what: String,
    value: String,
    status: String,
}

struct MyPayout {
    id: u64,
    project: String,
    date: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    nav: Nav,
    agent: String,
    role: String,
    contributions: Vec<MyContribution>,
    shares: Vec<(String, String, String)>,
    balances: Vec<(String, String)>,
    payouts: Vec<MyPayout>,
    /// The most rows each list shows ([`MY_ROWS_MAX`]): a list that long says where the rest are.
    rows_max: usize,
    tokens: Vec<(String, String)>,
    /// My payout requests and what became of them (web/treasury.rs).
    payout_requests: Vec<fairshare_ops::treasury::PayoutOut>,
    errors: Errors,
    /// The "what would I get" section (web/forecast.rs), rendered.
    estimate: String,
}

/// Rows of each of a member's own lists on `/me` (contributions, payouts from
/// distributions): the newest, read newest first, so a long history is neither read nor sent.
const MY_ROWS_MAX: usize = 50;

pub fn me(context: PageContext, agent: &str, estimate: String) -> Result<String, ApiError> {
    let (state, viewer, today) = (context.state, context.viewer, context.today);
    let me = state.agent(agent)?;
    let mut contributions = Vec::new();
    for c in state
        .contributions()
        .iter()
        .rev()
        .filter(|c| &*c.agent == agent)
    {
        if contributions.len() == MY_ROWS_MAX {
            break;
        }
        let p = state.project(&c.project)?;
        contributions.push(MyContribution {
            id: c.id,
            project: p.slug.to_string(),
            date: c.date.to_string(),
            kind: c.kind.as_str().to_string(),
            what: what(c, &p.currency, p.exponent),
            value: format!("{} {}", c.value.display(p.exponent), p.currency),
            status: c.status.as_str().to_string(),
        });
    }
    let mut shares = Vec::new();
    for p in state.projects() {
        let values = state.values_by_agent(p, &Filter::default(), today)?;
        let total = total_value(&values);
        if let Some((_, v)) = values.iter().find(|(a, _)| &**a == agent) {
            shares.push((
                p.slug.to_string(),
                format!("{} {}", v.display(p.exponent), p.currency),
                percent(*v, total),
            ));
        }
    }
    let balances = fairshare_ops::distributions::balances(state, std::iter::once(agent))
        .remove(agent)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let payouts = state
        .distributions()
        .iter()
        .rev()
        .filter_map(|d| {
            let amount: i128 = d
                .lines
                .iter()
                .filter(|l| l.to == agent)
                .map(|l| l.amount)
                .sum();
            (amount != 0).then(|| MyPayout {
                id: d.id,
                project: d.project.clone(),
                date: d.date.to_string(),
                amount: format!("{} {}", format_amount(amount, d.exponent), d.asset),
            })
        })
        .take(MY_ROWS_MAX)
        .collect();
    let mut tokens = Vec::new();
    for t in state.tokens() {
        if let Ok(holders) = state.token_holders(&t.symbol) {
            for h in holders.iter().filter(|h| h.holder == agent) {
                tokens.push((t.symbol.clone(), format_amount(h.balance, t.exponent)));
            }
        }
    }
    render(MePage {
        nav: nav(viewer),
        agent: agent.to_string(),
        role: me.role.as_str().to_string(),
        contributions,
        shares,
        balances,
        payouts,
        rows_max: MY_ROWS_MAX,
        tokens,
        payout_requests: super::treasury::payouts_of(state, agent),
        errors: context.errors(),
        estimate,
    })
}

/// The total of the agents' values.
fn total_value(values: &[(std::sync::Arc<str>, Value)]) -> Value {
    values
        .iter()
        .fold(Value::ZERO, |sum, (_, v)| Value(sum.0.saturating_add(v.0)))
}

/// The project's corrections, newest first; custodians other than the one who asked and the
/// contributor review the pending ones.
fn corrections(
    state: &State,
    p: &fairshare_core::Project,
    viewer: &Viewer,
    custodian: bool,
) -> Vec<CorrectionView> {
    let exp = p.exponent;
    state
        .corrections()
        .iter()
        .filter(|c| *c.project == *p.slug)
        .rev()
        .map(|c| {
            let contributor = state
                .contribution(c.contribution)
                .map(|k| k.agent.to_string())
                .unwrap_or_default();
            let change = match (&c.change, c.value_before, c.value_after) {
                (fairshare_core::Change::Reverse, _, _) => "reverse".to_string(),
                (fairshare_core::Change::Adjust { quantity, .. }, Some(before), Some(after)) => {
                    format!(
                        "to {quantity} (value {} -> {})",
                        before.display(exp),
                        after.display(exp)
                    )
                }
                (fairshare_core::Change::Adjust { quantity, .. }, _, _) => format!("to {quantity}"),
            };
            let viewer = viewer.agent.as_deref();
            CorrectionView {
                id: c.id,
                contribution: c.contribution,
                change,
                by: c.by.clone(),
                reason: c.reason.clone(),
                status: c.status.as_str().to_string(),
                approvals: format!("{} of {}", c.approvals.len(), p.approvals_required),
                can_review: custodian
                    && c.status == fairshare_core::Status::Pending
                    && viewer != Some(c.by.as_str())
                    && viewer != Some(contributor.as_str())
                    && !c.approvals.iter().any(|a| Some(a.as_str()) == viewer),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The overview of a book opened from a snapshot reads no part the open left aside (the
    /// contributions, the distributions): its counts and what each project distributed are the
    /// projects' own, kept as events arrive. On the 100k-agent book it read 270 MB of
    /// contributions for one count. A project page reads its pending contributions by the
    /// ids its project keeps.
    #[test]
    fn the_overview_reads_no_deferred_part() {
        use fairshare_book::{Book, MemoryStore};
        use fairshare_core::{Command, OPERATOR};
        use fairshare_store::Store;
        let at = "2026-11-21T00:00:00Z";
        let mut book = Book::open(Box::new(MemoryStore::new())).unwrap();
        let mut commands = vec![
            Command::add_agent("ana", Role::Custodian),
            Command::add_agent("bo", Role::Affiliate),
            Command::add_project_approving("p", "CAD", 2, 1),
            Command::set_rate("p", "dev", "10.00"),
        ];
        commands.extend(["1", "2", "3"].map(|h| Command::log_work("p", "bo", "dev", h)));
        commands.push(Command::Approve { id: 1 });
        commands.push(Command::Approve { id: 3 });
        commands.push(Command::revenue("p", "100.00"));
        for command in &commands {
            book.execute(OPERATOR, command, None, at).unwrap();
        }
        book.snapshot().unwrap();
        let (mut rows, mut copy) = (Vec::new(), MemoryStore::new());
        let store = book.store_mut();
        let mut keep = |row| {
            rows.push(row);
            Ok(())
        };
        store.scan(0, &mut keep).unwrap();
        let (seq, snapshot) = store.latest_snapshot(u64::MAX).unwrap().unwrap();
        copy.append(&rows).unwrap();
        copy.put_snapshot(seq, &snapshot).unwrap();
        let book = Book::open(Box::new(copy)).unwrap();
        let state = book.state();
        let viewer = Viewer::anonymous();
        let today = Date::parse("2026-11-21").unwrap();
        let head = HeadOut {
            events: seq,
            hash: String::new(),
        };
        let overview = overview(state, &viewer, (head, vec![]), today).unwrap();
        assert_eq!(state.decoded_parts(), Vec::<&str>::new());
        let figures = [
            "<strong>3</strong> contributions (1 pending)",
            "<strong>1</strong> distributions",
            "<td class=\"num\">40.00</td><td class=\"num\">100.00</td>",
        ];
        for figure in figures {
            assert!(overview.contains(figure), "{figure} in {overview}");
        }
        let context = PageContext {
            state,
            viewer: &viewer,
            today,
            error: None,
        };
        let project = project(context, "p", String::new()).unwrap();
        let queue: Vec<&str> = project.split("<tr id=\"pending-").skip(1).collect();
        assert_eq!(queue.len(), 1, "one contribution waits");
        assert!(queue[0].starts_with("2\"><td class=\"num\">2</td><td>bo</td>"));
    }

    #[test]
    fn percentages_round_down() {
        assert_eq!(percent(Value(1), Value(3)), "33.33%");
        assert_eq!(percent(Value(2), Value(2)), "100.00%");
        assert_eq!(percent(Value(1), Value(0)), "0.00%");
    }

    #[test]
    fn a_refusal_is_placed_at_the_field_it_names() {
        let mut fields = std::collections::HashMap::new();
        fields.insert("hours".to_string(), "-1".to_string());
        fields.insert("category".to_string(), "eng".to_string());
        fields.insert("csrf".to_string(), "t".to_string());
        let e = FormError::new("work", &fields, None, "hours must be positive".into());
        assert_eq!(e.field, "hours");
        assert!(!e.values.contains_key("csrf"));
        // A refusal that names its field is placed there, whatever its words.
        let e = FormError::new("work", &fields, Some("category"), "unknown: eng".into());
        assert_eq!(e.field, "category");
        let mut transfer = fields.clone();
        transfer.insert("to".to_string(), "infra".to_string());
        let e = FormError::new("t", &transfer, None, "only custodians may transfer".into());
        assert_eq!(
            e.field, "",
            "a field is mentioned as a word, not inside one"
        );
        let e = FormError::new("work", &fields, None, "observers may not log".into());
        assert_eq!(e.field, "");
        let errors = Errors(Some(e));
        assert_eq!(errors.at("work", ""), "observers may not log");
        assert_eq!(errors.at("cash", ""), "");
        assert_eq!(errors.value("work", "hours", "x"), "-1");
    }
}
