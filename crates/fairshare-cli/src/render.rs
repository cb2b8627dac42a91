//! What every command prints: one serialisable struct per output, rendered either as one
//! pretty JSON document (`--json`) or as text for people. Amounts are decimal strings with the
//! asset's exponent; values and shares are exact decimals.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use fairshare_core::{
    Agent, Bucket, Contribution, Distribution, Filter, PercentOf, Plan, Policy, Project, State,
    Value, format_amount,
};
use serde::Serialize;

use crate::error::EXIT_CORRUPT;

/// Hex digits of a hash in text listings (JSON always has the whole hash).
const SHORT_HASH_LEN: usize = 12;

/// A rendered result: JSON for scripts, text for people, and the exit status.
pub trait Output {
    fn json(&self) -> String;
    fn text(&self) -> String;
    fn exit_code(&self) -> u8;
}

/// The text form of an output struct; its JSON form is its `Serialize`.
pub trait Text {
    fn to_text(&self) -> String;
    fn exit_code(&self) -> u8 {
        0
    }
}

impl<T: Serialize + Text> Output for T {
    fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("outputs always serialise")
    }
    fn text(&self) -> String {
        self.to_text()
    }
    fn exit_code(&self) -> u8 {
        Text::exit_code(self)
    }
}

/// Columns aligned with spaces; numeric columns aligned right.
pub struct Table {
    rows: Vec<Vec<String>>,
    right: Vec<usize>,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        Table {
            rows: vec![header.iter().map(|h| h.to_string()).collect()],
            right: Vec::new(),
        }
    }

    pub fn right(mut self, columns: &[usize]) -> Table {
        self.right = columns.to_vec();
        self
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self, indent: &str) -> String {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut widths = vec![0; columns];
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in &self.rows {
            let mut line = String::from(indent);
            for (i, cell) in row.iter().enumerate() {
                let pad = widths[i] - cell.chars().count();
                let last = i + 1 == row.len();
                if self.right.contains(&i) {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    if !last {
                        line.push_str(&" ".repeat(pad));
                    }
                }
                if !last {
                    line.push_str("  ");
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

fn short(hash: &str) -> &str {
    hash.get(..SHORT_HASH_LEN).unwrap_or(hash)
}

pub(crate) fn or_dash(text: Option<&str>) -> String {
    text.unwrap_or("-").to_string()
}

pub use fairshare_core::{ratio_decimal, share_decimal};

// ---------------------------------------------------------------------------------------------
// Book and agents

#[derive(Serialize)]
pub struct InitOut {
    pub book: String,
    pub events: u64,
}

impl Text for InitOut {
    fn to_text(&self) -> String {
        format!("book {}: {} events\n", self.book, self.events)
    }
}

#[derive(Serialize)]
pub struct AgentRow {
    pub handle: String,
    pub name: Option<String>,
    pub role: String,
}

impl AgentRow {
    pub fn of(agent: &Agent) -> AgentRow {
        AgentRow {
            handle: agent.handle.clone(),
            name: agent.name.clone(),
            role: agent.role.as_str().to_string(),
        }
    }
}

#[derive(Serialize)]
pub struct AgentAdded {
    pub agent: AgentRow,
}

impl Text for AgentAdded {
    fn to_text(&self) -> String {
        format!("added agent {} ({})\n", self.agent.handle, self.agent.role)
    }
}

#[derive(Serialize)]
pub struct AgentsOut {
    pub agents: Vec<AgentRow>,
}

impl Text for AgentsOut {
    fn to_text(&self) -> String {
        if self.agents.is_empty() {
            return "no agents yet: add one with `fairshare agent add HANDLE`\n".to_string();
        }
        let mut table = Table::new(&["handle", "role", "name"]);
        for agent in &self.agents {
            table.row(vec![
                agent.handle.clone(),
                agent.role.clone(),
                or_dash(agent.name.as_deref()),
            ]);
        }
        table.render("")
    }
}

// ---------------------------------------------------------------------------------------------
// Projects and policies

#[derive(Serialize)]
pub struct ProjectRow {
    pub project: String,
    pub name: Option<String>,
    pub currency: String,
    pub exponent: u32,
    pub approvals: u32,
    pub plan_version: u32,
    pub contributions: usize,
}

impl ProjectRow {
    pub fn of(project: &Project) -> ProjectRow {
        ProjectRow {
            project: project.slug.to_string(),
            name: project.name.clone(),
            currency: project.currency.clone(),
            exponent: project.exponent,
            approvals: project.approvals_required,
            plan_version: project.plan_version(),
            contributions: project.contributions.len(),
        }
    }
}

#[derive(Serialize)]
pub struct ProjectAdded {
    pub project: ProjectRow,
}

impl Text for ProjectAdded {
    fn to_text(&self) -> String {
        let p = &self.project;
        format!(
            "added project {} ({} with {} decimals, {} approvals required)\n",
            p.project, p.currency, p.exponent, p.approvals
        )
    }
}

#[derive(Serialize)]
pub struct ProjectsOut {
    pub projects: Vec<ProjectRow>,
}

impl Text for ProjectsOut {
    fn to_text(&self) -> String {
        if self.projects.is_empty() {
            return "no projects yet: add one with `fairshare project add SLUG`\n".to_string();
        }
        let mut table = Table::new(&[
            "project",
            "currency",
            "approvals",
            "plan",
            "contributions",
            "name",
        ])
        .right(&[2, 3, 4]);
        for p in &self.projects {
            table.row(vec![
                p.project.clone(),
                p.currency.clone(),
                p.approvals.to_string(),
                format!("v{}", p.plan_version),
                p.contributions.to_string(),
                or_dash(p.name.as_deref()),
            ]);
        }
        table.render("")
    }
}

#[derive(Serialize)]
pub struct PolicyOut {
    /// Rate per hour of each work category.
    pub rates: BTreeMap<String, String>,
    pub multipliers: BTreeMap<String, String>,
    pub skills: BTreeMap<String, String>,
    pub half_life_days: Option<String>,
}

impl PolicyOut {
    pub fn of(policy: &Policy) -> PolicyOut {
        PolicyOut {
            rates: policy
                .rates
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            multipliers: policy
                .multipliers
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), v.to_string()))
                .collect(),
            skills: policy
                .skills
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect(),
            half_life_days: policy.half_life_days.map(|d| d.to_string()),
        }
    }

    fn lines(&self, currency: &str) -> String {
        let mut out = String::new();
        let list = |map: &BTreeMap<String, String>, unit: &str| -> String {
            if map.is_empty() {
                return "none".to_string();
            }
            map.iter()
                .map(|(k, v)| format!("{k} {v}{unit}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            out,
            "  rates:        {}",
            list(&self.rates, &format!(" {currency}/h"))
        );
        let _ = writeln!(
            out,
            "  multipliers:  {}",
            if self.multipliers.is_empty() {
                "none (every kind counts 1)".to_string()
            } else {
                list(&self.multipliers, "x")
            }
        );
        let _ = writeln!(
            out,
            "  skills:       {}",
            if self.skills.is_empty() {
                "none (every agent counts 1)".to_string()
            } else {
                list(&self.skills, "x")
            }
        );
        let _ = writeln!(
            out,
            "  decay:        {}",
            match &self.half_life_days {
                Some(days) => format!("value halves every {days} days"),
                None => "none".to_string(),
            }
        );
        out
    }
}

#[derive(Serialize)]
pub struct ProjectShow {
    pub project: String,
    pub name: Option<String>,
    pub currency: String,
    pub exponent: u32,
    pub approvals: u32,
    pub plan_version: u32,
    pub contributions: usize,
    pub distributions: usize,
    pub policy: PolicyOut,
}

impl Text for ProjectShow {
    fn to_text(&self) -> String {
        let mut out = format!(
            "project {}{}\n  currency:     {} ({} decimals)\n  approvals:    {}\n",
            self.project,
            self.name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default(),
            self.currency,
            self.exponent,
            match self.approvals {
                0 => "none: contributions count as soon as they are logged".to_string(),
                n => format!("{n} required before a contribution counts"),
            }
        );
        out.push_str(&self.policy.lines(&self.currency));
        let _ = writeln!(
            out,
            "  plan:         version {} (`fairshare plan show {}`)",
            self.plan_version, self.project
        );
        let _ = writeln!(
            out,
            "  activity:     {} contributions, {} distributions",
            self.contributions, self.distributions
        );
        out
    }
}

/// The result of a policy change: what changed, and the whole policy now in force.
#[derive(Serialize)]
pub struct PolicySet {
    pub project: String,
    pub policy: PolicyOut,
    #[serde(skip)]
    pub change: String,
}

impl Text for PolicySet {
    fn to_text(&self) -> String {
        format!(
            "{}: {}\n(applies to contributions logged from now on; `fairshare revalue {}` re-values past ones)\n",
            self.project, self.change, self.project
        )
    }
}

#[derive(Serialize)]
pub struct ValueChange {
    pub contribution: u64,
    pub value: String,
}

#[derive(Serialize)]
pub struct Revalued {
    pub project: String,
    pub changed: Vec<ValueChange>,
}

impl Text for Revalued {
    fn to_text(&self) -> String {
        if self.changed.is_empty() {
            return format!(
                "{}: every contribution already has its current value\n",
                self.project
            );
        }
        let mut out = format!(
            "{}: re-valued {} contributions\n",
            self.project,
            self.changed.len()
        );
        let mut table = Table::new(&["contribution", "value"]).right(&[0, 1]);
        for change in &self.changed {
            table.row(vec![change.contribution.to_string(), change.value.clone()]);
        }
        out.push_str(&table.render("  "));
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Contributions

fn status_words(contribution: &Contribution, required: u32) -> String {
    let status = contribution.status.as_str();
    match contribution.status {
        fairshare_core::Status::Pending => format!(
            "{status} ({} of {required} approvals)",
            contribution.approvals().len()
        ),
        _ if contribution.gift => format!("{status}, a gift (no claim)"),
        _ => status.to_string(),
    }
}

#[derive(Serialize)]
pub struct Logged {
    pub contribution: u64,
    pub project: String,
    pub agent: String,
    pub kind: String,
    pub value: String,
    pub currency: String,
    pub status: String,
    pub gift: bool,
    pub replayed: bool,
    /// Tokens of the project's token minted to the contributor (absent when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minted: Option<crate::tokens_cmd::MintOut>,
    #[serde(skip)]
    pub status_words: String,
}

impl Logged {
    pub fn of(project: &Project, contribution: &Contribution, replayed: bool) -> Logged {
        Logged {
            contribution: contribution.id,
            project: project.slug.to_string(),
            agent: contribution.agent.to_string(),
            kind: contribution.kind.as_str().to_string(),
            value: contribution.value.display(project.exponent),
            currency: project.currency.clone(),
            status: contribution.status.as_str().to_string(),
            gift: contribution.gift,
            replayed,
            minted: None,
            status_words: status_words(contribution, project.approvals_required),
        }
    }
}

impl Text for Logged {
    fn to_text(&self) -> String {
        format!(
            "contribution {}: {} {} by {}, value {} {}, {}{}\n",
            self.contribution,
            self.project,
            self.kind,
            self.agent,
            self.value,
            self.currency,
            self.status_words,
            if self.replayed {
                " (already logged with this key: nothing new recorded)"
            } else {
                ""
            }
        ) + &self
            .minted
            .as_ref()
            .map(|m| format!("{}\n", m.words()))
            .unwrap_or_default()
    }
}

#[derive(Serialize)]
pub struct Reviewed {
    pub contribution: u64,
    pub status: String,
    pub approvals: Vec<String>,
    pub approvals_required: u32,
    pub reason: Option<String>,
    pub replayed: bool,
    /// Tokens minted to the contributor now that the contribution counts (absent when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minted: Option<crate::tokens_cmd::MintOut>,
}

impl Reviewed {
    pub fn of(project: &Project, contribution: &Contribution, replayed: bool) -> Reviewed {
        Reviewed {
            contribution: contribution.id,
            status: contribution.status.as_str().to_string(),
            approvals: contribution.approvals().to_vec(),
            approvals_required: project.approvals_required,
            reason: contribution.reason().map(str::to_string),
            replayed,
            minted: None,
        }
    }
}

impl Text for Reviewed {
    fn to_text(&self) -> String {
        let mut out = format!("contribution {}: {}", self.contribution, self.status);
        match self.status.as_str() {
            "pending" => {
                let _ = write!(
                    out,
                    " ({} of {} approvals)",
                    self.approvals.len(),
                    self.approvals_required
                );
            }
            "approved" => out.push_str(" (it counts now)"),
            _ => {}
        }
        if let Some(reason) = &self.reason {
            let _ = write!(out, ": {reason}");
        }
        out.push('\n');
        if let Some(minted) = &self.minted {
            let _ = writeln!(out, "{}", minted.words());
        }
        out
    }
}

#[derive(Serialize)]
pub struct ContributionRow {
    pub id: u64,
    pub date: String,
    pub agent: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    pub value: String,
    pub status: String,
    pub gift: bool,
    pub reimbursable: bool,
    pub approvals: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ContributionRow {
    pub fn of(project: &Project, c: &Contribution) -> ContributionRow {
        use fairshare_core::Kind;
        let hours = matches!(c.kind, Kind::Work | Kind::Use).then(|| c.quantity.to_string());
        ContributionRow {
            id: c.id,
            date: c.date.to_string(),
            agent: c.agent.to_string(),
            kind: c.kind.as_str().to_string(),
            category: c.category.as_deref().map(str::to_string),
            hours,
            rate: c.unit_rate().map(|r| r.to_string()),
            amount: c.amount_minor.map(|a| format_amount(a, project.exponent)),
            value: c.value.display(project.exponent),
            status: c.status.as_str().to_string(),
            gift: c.gift,
            reimbursable: c.reimbursable,
            approvals: c.approvals().to_vec(),
            reason: c.reason().map(str::to_string),
            note: c.note().map(str::to_string),
        }
    }

    fn what(&self) -> String {
        let mut what = self.kind.clone();
        if let Some(category) = &self.category {
            let _ = write!(what, " {category}");
        }
        if let Some(hours) = &self.hours {
            let _ = write!(what, " {hours} h");
        }
        if let Some(rate) = &self.rate {
            let _ = write!(what, " x {rate}");
        }
        if let Some(amount) = &self.amount {
            let _ = write!(what, " {amount}");
        }
        if self.reimbursable {
            what.push_str(" (reimbursable)");
        }
        if self.gift {
            what.push_str(" (gift)");
        }
        what
    }
}

#[derive(Serialize)]
pub struct ContributionsOut {
    pub project: String,
    /// Contributions matching the filters, before paging.
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub contributions: Vec<ContributionRow>,
}

impl Text for ContributionsOut {
    fn to_text(&self) -> String {
        let mut table =
            Table::new(&["id", "date", "agent", "what", "value", "status"]).right(&[0, 4]);
        for row in &self.contributions {
            table.row(vec![
                row.id.to_string(),
                row.date.clone(),
                row.agent.clone(),
                row.what(),
                row.value.clone(),
                row.status.clone(),
            ]);
        }
        let mut out = table.render("");
        let _ = writeln!(
            out,
            "{} of {} contributions in {}{}",
            self.contributions.len(),
            self.total,
            self.project,
            page_hint(self.offset, self.contributions.len(), self.total)
        );
        out
    }
}

pub(crate) fn page_hint(offset: usize, shown: usize, total: usize) -> String {
    if offset + shown < total {
        format!(" (more with --offset {})", offset + shown)
    } else {
        String::new()
    }
}

// ---------------------------------------------------------------------------------------------
// Shares

#[derive(Serialize)]
pub struct ShareRow {
    pub agent: String,
    pub value: String,
    pub share: String,
}

#[derive(Serialize)]
pub struct SharesOut {
    pub project: String,
    pub total: String,
    pub shares: Vec<ShareRow>,
    #[serde(skip)]
    pub currency: String,
    #[serde(skip)]
    pub as_of: String,
}

impl SharesOut {
    pub fn of(project: &Project, values: &[(std::sync::Arc<str>, Value)], as_of: String) -> Self {
        let total = values
            .iter()
            .fold(Value::ZERO, |sum, (_, v)| Value(sum.0 + v.0));
        SharesOut {
            project: project.slug.to_string(),
            total: total.display(project.exponent),
            shares: values
                .iter()
                .map(|(agent, value)| ShareRow {
                    agent: agent.to_string(),
                    value: value.display(project.exponent),
                    share: share_decimal(*value, total),
                })
                .collect(),
            currency: project.currency.clone(),
            as_of,
        }
    }
}

impl Text for SharesOut {
    fn to_text(&self) -> String {
        if self.shares.is_empty() {
            return format!(
                "{}: no counted contributions yet (as of {})\n",
                self.project, self.as_of
            );
        }
        let mut out = format!(
            "{} shares as of {}: total value {} {}\n",
            self.project, self.as_of, self.total, self.currency
        );
        let mut table = Table::new(&["agent", "value", "share"]).right(&[1]);
        for row in &self.shares {
            table.row(vec![
                row.agent.clone(),
                row.value.clone(),
                row.share.clone(),
            ]);
        }
        out.push_str(&table.render("  "));
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Plans

/// A plan bucket in plain words, with its project's currency and unallocated account.
pub fn bucket_words(bucket: &Bucket, project: &Project) -> String {
    #[allow(unreachable_patterns)]
    match bucket {
        Bucket::Fixed { amount, to } => format!(
            "a fixed {amount} {} to {to} (or what is left, if less)",
            project.currency
        ),
        Bucket::Percent { percent, of, to } => match of {
            PercentOf::Gross => {
                format!("{percent}% of the whole amount to {to} (rounded down)")
            }
            PercentOf::Remaining => {
                format!("{percent}% of what is left to {to} (rounded down)")
            }
        },
        Bucket::Reimburse { kinds } => format!(
            "pay back outstanding reimbursable {} claims, pro rata to what is owed and never more",
            kinds
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(" and ")
        ),
        Bucket::Contributors { percent, .. } => {
            let pot = match percent {
                Some(p) => format!("{p}% of what is left"),
                None => "everything left".to_string(),
            };
            let filter = bucket.filter().unwrap_or_default();
            format!(
                "{pot} to contributors, pro rata by the value of their counted {}",
                filter_words(&filter)
            )
        }
        Bucket::Payback { resource, percent } => {
            let pot = match percent {
                Some(p) => format!("{p}% of what is left"),
                None => "everything left".to_string(),
            };
            format!(
                "{pot} to the co-owners of {resource} until they are paid back (pledge plus premium), pro rata by pledge and never past a cap; what they cannot take goes on"
            )
        }
        Bucket::TokenHolders { token } => format!(
            "everything left to the holders of {token}, pro rata by their balances (nobody holding it: it goes on)"
        ),
        // Bucket types the core may add later are shown by their own label.
        _ => bucket.label(),
    }
}

fn filter_words(filter: &Filter) -> String {
    let mut words = if filter.kinds.is_empty() {
        "contributions".to_string()
    } else {
        let kinds: Vec<&str> = filter.kinds.iter().map(|k| k.as_str()).collect();
        format!("{} contributions", kinds.join(" and "))
    };
    if !filter.categories.is_empty() {
        let _ = write!(words, " in {}", filter.categories.join(", "));
    }
    match (filter.from, filter.to) {
        (Some(from), Some(to)) => {
            let _ = write!(words, " dated {from} to {to}");
        }
        (Some(from), None) => {
            let _ = write!(words, " dated from {from}");
        }
        (None, Some(to)) => {
            let _ = write!(words, " dated up to {to}");
        }
        (None, None) => {}
    }
    words
}

#[derive(Serialize)]
pub struct BucketOut {
    pub bucket: usize,
    pub words: String,
    /// The bucket exactly as a plan file writes it.
    #[serde(flatten)]
    pub spec: Bucket,
}

#[derive(Serialize)]
pub struct PlanOut {
    pub project: String,
    pub version: u32,
    pub current_version: u32,
    pub buckets: Vec<BucketOut>,
    /// Where whatever the buckets leave goes.
    pub rest_to: String,
}

impl PlanOut {
    pub fn of(project: &Project, version: u32, plan: &Plan) -> PlanOut {
        PlanOut {
            project: project.slug.to_string(),
            version,
            current_version: project.plan_version(),
            buckets: plan
                .buckets
                .iter()
                .enumerate()
                .map(|(i, bucket)| BucketOut {
                    bucket: i + 1,
                    words: bucket_words(bucket, project),
                    spec: bucket.clone(),
                })
                .collect(),
            rest_to: project.unallocated_account(),
        }
    }
}

impl Text for PlanOut {
    fn to_text(&self) -> String {
        let mut out = format!(
            "{} plan version {}{}: every incoming amount goes, in order,\n",
            self.project,
            self.version,
            if self.version == self.current_version {
                " (current)".to_string()
            } else {
                format!(" (current is {})", self.current_version)
            }
        );
        for bucket in &self.buckets {
            let _ = writeln!(out, "  {}. {}", bucket.bucket, bucket.words);
        }
        let _ = writeln!(out, "  then whatever is left to {}", self.rest_to);
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Distributions and statements

#[derive(Serialize)]
pub struct LineOut {
    /// Bucket number, from 1 as in the plan file; one past the last is the unallocated rest.
    pub bucket: u32,
    pub bucket_label: String,
    pub to: String,
    pub amount: String,
}

/// The payout lines and per-account totals of a distribution.
fn lines_and_payouts(
    state: &State,
    distribution: &Distribution,
) -> (Vec<LineOut>, BTreeMap<String, String>) {
    let plan = state
        .project(&distribution.project)
        .ok()
        .and_then(|p| p.plans.get(distribution.plan_version as usize - 1));
    let lines = distribution
        .lines
        .iter()
        .map(|line| LineOut {
            bucket: line.bucket + 1,
            bucket_label: plan
                .and_then(|p| p.buckets.get(line.bucket as usize))
                .map(Bucket::label)
                .unwrap_or_else(|| "unallocated".to_string()),
            to: line.to.to_string(),
            amount: format_amount(line.amount, distribution.exponent),
        })
        .collect();
    let payouts = distribution
        .payouts()
        .into_iter()
        .map(|(name, amount)| {
            (
                name.to_string(),
                format_amount(amount, distribution.exponent),
            )
        })
        .collect();
    (lines, payouts)
}

fn statement_text(
    heading: String,
    lines: &[LineOut],
    payouts: &BTreeMap<String, String>,
) -> String {
    let mut out = heading;
    let mut table = Table::new(&["bucket", "rule", "to", "amount"]).right(&[0, 3]);
    for line in lines {
        table.row(vec![
            line.bucket.to_string(),
            line.bucket_label.clone(),
            line.to.clone(),
            line.amount.clone(),
        ]);
    }
    out.push_str(&table.render("  "));
    out.push_str("payouts:\n");
    let mut table = Table::new(&["to", "amount"]).right(&[1]);
    for (name, amount) in payouts {
        table.row(vec![name.clone(), amount.clone()]);
    }
    out.push_str(&table.render("  "));
    out
}

/// What `revenue` prints.
#[derive(Serialize)]
pub struct RevenueOut {
    pub distribution: u64,
    pub amount: String,
    pub currency: String,
    pub plan_version: u32,
    pub replayed: bool,
    pub payouts: BTreeMap<String, String>,
    pub lines: Vec<LineOut>,
    #[serde(skip)]
    pub project: String,
    #[serde(skip)]
    pub key: Option<String>,
}

impl RevenueOut {
    pub fn of(state: &State, distribution: &Distribution, replayed: bool) -> RevenueOut {
        let (lines, payouts) = lines_and_payouts(state, distribution);
        RevenueOut {
            distribution: distribution.id,
            amount: format_amount(distribution.amount, distribution.exponent),
            currency: distribution.asset.clone(),
            plan_version: distribution.plan_version,
            replayed,
            payouts,
            lines,
            project: distribution.project.clone(),
            key: distribution.key.clone(),
        }
    }
}

impl Text for RevenueOut {
    fn to_text(&self) -> String {
        let mut heading = format!(
            "distribution {}: {} {} into {} by plan version {}\n",
            self.distribution, self.amount, self.currency, self.project, self.plan_version
        );
        if self.replayed {
            let _ = writeln!(
                heading,
                "(key {} was already used for this request: this is the first result, nothing new recorded)",
                self.key.as_deref().unwrap_or("?")
            );
        }
        statement_text(heading, &self.lines, &self.payouts)
    }
}

/// What `statement ID` prints.
#[derive(Serialize)]
pub struct StatementOut {
    pub distribution: u64,
    pub date: String,
    pub key: Option<String>,
    pub from: Option<String>,
    pub amount: String,
    pub currency: String,
    pub plan_version: u32,
    pub payouts: BTreeMap<String, String>,
    pub lines: Vec<LineOut>,
    #[serde(skip)]
    pub project: String,
}

impl StatementOut {
    pub fn of(state: &State, distribution: &Distribution) -> StatementOut {
        let (lines, payouts) = lines_and_payouts(state, distribution);
        StatementOut {
            distribution: distribution.id,
            date: distribution.date.to_string(),
            key: distribution.key.clone(),
            from: distribution.from.clone(),
            amount: format_amount(distribution.amount, distribution.exponent),
            currency: distribution.asset.clone(),
            plan_version: distribution.plan_version,
            payouts,
            lines,
            project: distribution.project.clone(),
        }
    }
}

impl Text for StatementOut {
    fn to_text(&self) -> String {
        let mut heading = format!(
            "distribution {} on {}: {} {} into {} by plan version {}\n",
            self.distribution,
            self.date,
            self.amount,
            self.currency,
            self.project,
            self.plan_version
        );
        if let Some(from) = &self.from {
            let _ = writeln!(heading, "  from: {from}");
        }
        if let Some(key) = &self.key {
            let _ = writeln!(heading, "  key:  {key}");
        }
        statement_text(heading, &self.lines, &self.payouts)
    }
}

#[derive(Serialize)]
pub struct DistributionRow {
    pub distribution: u64,
    pub date: String,
    pub amount: String,
    pub currency: String,
    pub plan_version: u32,
    pub key: Option<String>,
    pub from: Option<String>,
}

impl DistributionRow {
    pub fn of(d: &Distribution) -> DistributionRow {
        DistributionRow {
            distribution: d.id,
            date: d.date.to_string(),
            amount: format_amount(d.amount, d.exponent),
            currency: d.asset.clone(),
            plan_version: d.plan_version,
            key: d.key.clone(),
            from: d.from.clone(),
        }
    }
}

#[derive(Serialize)]
pub struct DistributionsOut {
    pub project: String,
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub distributions: Vec<DistributionRow>,
}

impl Text for DistributionsOut {
    fn to_text(&self) -> String {
        let mut table = Table::new(&["id", "date", "amount", "plan", "key", "from"]).right(&[0, 2]);
        for d in &self.distributions {
            table.row(vec![
                d.distribution.to_string(),
                d.date.clone(),
                format!("{} {}", d.amount, d.currency),
                format!("v{}", d.plan_version),
                or_dash(d.key.as_deref()),
                or_dash(d.from.as_deref()),
            ]);
        }
        let mut out = table.render("");
        let _ = writeln!(
            out,
            "{} of {} distributions of {}{}",
            self.distributions.len(),
            self.total,
            self.project,
            page_hint(self.offset, self.distributions.len(), self.total)
        );
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Balances

#[derive(Serialize)]
pub struct BalancesOut {
    pub balances: BTreeMap<String, BTreeMap<String, String>>,
}

impl BalancesOut {
    /// Balances of every account, or of the named ones. An asset no project uses as its
    /// currency is printed in minor units.
    pub fn of<'a>(state: &State, names: impl Iterator<Item = &'a str>) -> BalancesOut {
        let ledger = state.ledger();
        let balances = names
            .map(|name| {
                let assets = ledger
                    .account(name)
                    .map(|assets| {
                        assets
                            .iter()
                            .map(|(asset, minor)| {
                                // A project currency, or a token (which core's
                                // `asset_exponent` does not know).
                                let exponent = state
                                    .asset_exponent(asset)
                                    .or_else(|| state.token(asset).ok().map(|t| t.exponent))
                                    .unwrap_or(0);
                                (asset.clone(), format_amount(*minor, exponent))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                (name.to_string(), assets)
            })
            .collect();
        BalancesOut { balances }
    }
}

impl Text for BalancesOut {
    fn to_text(&self) -> String {
        if self.balances.is_empty() {
            return "no balances yet: revenue has not been distributed\n".to_string();
        }
        let mut table = Table::new(&["account", "balance", "asset"]).right(&[1]);
        for (name, assets) in &self.balances {
            if assets.is_empty() {
                table.row(vec![name.clone(), "0".to_string(), String::new()]);
            }
            for (asset, amount) in assets {
                table.row(vec![name.clone(), amount.clone(), asset.clone()]);
            }
        }
        table.render("")
    }
}

// ---------------------------------------------------------------------------------------------
// The log

#[derive(Serialize)]
pub struct Problem {
    pub seq: u64,
    pub message: String,
}

#[derive(Serialize)]
pub struct VerifyOut {
    pub ok: bool,
    pub events: u64,
    pub head: String,
    pub problem: Option<Problem>,
}

impl VerifyOut {
    pub fn of(report: fairshare_book::VerifyReport) -> VerifyOut {
        VerifyOut {
            ok: report.ok(),
            events: report.events,
            head: report.head_hash,
            problem: report
                .problem
                .map(|(seq, message)| Problem { seq, message }),
        }
    }

    /// The one-line finding: `event N: what is wrong`.
    pub fn problem_line(&self) -> Option<String> {
        self.problem
            .as_ref()
            .map(|p| format!("event {}: {}", p.seq, p.message))
    }
}

impl Text for VerifyOut {
    fn to_text(&self) -> String {
        match self.problem_line() {
            None => format!(
                "ok: {} events, hash chain and every outcome check out\nhead {}\n",
                self.events, self.head
            ),
            Some(line) => format!(
                "{line}\nverify failed: {} events before it are sound (head {})\n",
                self.events, self.head
            ),
        }
    }
    fn exit_code(&self) -> u8 {
        if self.ok { 0 } else { EXIT_CORRUPT }
    }
}

#[derive(Serialize)]
pub struct EventRowOut {
    pub seq: u64,
    pub recorded_at: String,
    pub actor: String,
    pub op: String,
    pub key: Option<String>,
    pub hash: String,
}

#[derive(Serialize)]
pub struct LogOut {
    /// Events in the book.
    pub head: u64,
    pub offset: usize,
    pub limit: usize,
    pub events: Vec<EventRowOut>,
}

impl Text for LogOut {
    fn to_text(&self) -> String {
        let mut table = Table::new(&["seq", "time", "actor", "op", "key", "hash"]).right(&[0]);
        for e in &self.events {
            table.row(vec![
                e.seq.to_string(),
                e.recorded_at.clone(),
                e.actor.clone(),
                e.op.clone(),
                or_dash(e.key.as_deref()),
                short(&e.hash).to_string(),
            ]);
        }
        let mut out = table.render("");
        let _ = writeln!(
            out,
            "{} of {} events{}",
            self.events.len(),
            self.head,
            page_hint(self.offset, self.events.len(), self.head as usize)
        );
        out
    }
}

#[derive(Serialize)]
pub struct ImportOut {
    pub book: String,
    pub imported: u64,
    pub head: String,
}

impl Text for ImportOut {
    fn to_text(&self) -> String {
        format!(
            "imported {} events into {} (every one checked)\nhead {}\n",
            self.imported, self.book, self.head
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint::BigInt;

    #[test]
    fn shares_are_exact_or_rounded_at_18_decimals() {
        let v = |n: i128| Value(n);
        assert_eq!(share_decimal(v(1), v(4)), "0.25");
        assert_eq!(share_decimal(v(4), v(4)), "1");
        assert_eq!(share_decimal(v(0), v(4)), "0");
        assert_eq!(share_decimal(v(1), v(3)), "0.333333333333333333");
        assert_eq!(share_decimal(v(2), v(3)), "0.666666666666666667");
        assert_eq!(share_decimal(v(5400), v(10200)), "0.529411764705882353");
        // Exactly half a unit at the 19th decimal rounds to even.
        let total = 2 * 10i128.pow(18);
        assert_eq!(share_decimal(v(1), v(total)), "0");
        assert_eq!(share_decimal(v(3), v(total)), "0.000000000000000002");
        assert_eq!(
            share_decimal(v(i128::MAX / 3), v(i128::MAX)),
            "0.333333333333333333"
        );
    }

    #[test]
    fn ratios_are_exact_or_rounded_at_18_decimals() {
        let r = |p: i64, t: i64| ratio_decimal(&BigInt::from(p), &BigInt::from(t));
        assert_eq!(r(3, 8), "0.375");
        assert_eq!(r(8, 8), "1");
        assert_eq!(r(0, 8), "0");
        assert_eq!(r(767, 3000), "0.255666666666666667");
        assert_eq!(r(2, 3), "0.666666666666666667");
        assert_eq!(r(1, 0), "0");
        assert_eq!(r(-3, 2), "-1.5");
        assert_eq!(r(5, 2), "2.5");
        // Exactly half a unit at the 19th decimal rounds to even.
        let total = BigInt::from(2) * BigInt::from(10u8).pow(18);
        assert_eq!(ratio_decimal(&BigInt::from(1), &total), "0");
        assert_eq!(
            ratio_decimal(&BigInt::from(3), &total),
            "0.000000000000000002"
        );
    }

    #[test]
    fn tables_align() {
        let mut table = Table::new(&["a", "amount"]).right(&[1]);
        table.row(vec!["abran".into(), "5.00".into()]);
        assert_eq!(table.render(""), "a      amount\nabran    5.00\n");
    }
}
