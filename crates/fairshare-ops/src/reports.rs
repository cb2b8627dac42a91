//! Reports that answer questions (issue 15): a project's report over a period (`report`)
//! and an agent's statement of a year (`statement AGENT --year`). Reads of the state; see
//! docs/FORECASTS.md.

use std::collections::BTreeMap;

use fairshare_core::{
    Date, DomainError, Project, State, TreasuryStatus, Value, format_amount, share_decimal,
};
use serde::{Deserialize, Serialize};

use crate::contributions::ContributionRow;
use crate::distributions::DistributionRow;
use crate::error::OpResult;
use crate::op::{Read, Reading};

/// How many contributors a report lists at most.
pub const TOP_CONTRIBUTORS: usize = 10;

/// A day of a request, naming the field.
fn day(field: &'static str, text: Option<&str>) -> OpResult<Option<Date>> {
    text.map(|text| {
        Date::parse(text).map_err(|e| {
            DomainError::invalid(format!("{field} {text:?}: {e}"))
                .field(field)
                .value(text)
                .into()
        })
    })
    .transpose()
}

/// A project's report over a period: value logged by kind and category, distributions,
/// payouts, top contributors and what waits for approval.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ProjectReport {
    pub project: String,
    /// First day of the period (`YYYY-MM-DD`, included); absent: from the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "YYYY-MM-DD"))]
    pub from: Option<String>,
    /// Last day of the period (included); absent: until today.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "YYYY-MM-DD"))]
    pub to: Option<String>,
}

/// Value logged in one kind and category over the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValueRow {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    pub contributions: usize,
    /// Counted (approved, not a gift) value.
    pub counted: String,
    /// Value waiting for approval.
    pub pending: String,
}

/// An agent's counted value over the period and its share of the project's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContributorRow {
    pub agent: String,
    pub value: String,
    /// Share of the period's counted value (exact when it terminates, as `shares` prints).
    pub share: String,
}

/// A payout of the project's currency to one of its contributors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutRow {
    pub id: String,
    pub agent: String,
    pub date: String,
    pub amount: String,
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectReportOut {
    pub project: String,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Contributions dated in the period, by kind and category.
    pub value: Vec<ValueRow>,
    /// The period's counted value.
    pub counted: String,
    pub distributions: Vec<DistributionRow>,
    /// What the period's distributions add up to.
    pub distributed: String,
    /// Payouts in the project's currency dated in the period, to agents who contributed.
    pub payouts: Vec<PayoutRow>,
    /// The largest counted values of the period (at most ten), ties by name.
    pub top_contributors: Vec<ContributorRow>,
    /// Every contribution of the project waiting for approval now.
    pub pending: Vec<ContributionRow>,
}

operation!(ProjectReport => ProjectReportOut, Get "/api/v1/projects/{project}/report", "reports",
    "A project's report over a period: value, distributions, payouts, contributors, pending");

/// Whether `date` is in the period.
fn within(date: Date, from: Option<Date>, to: Option<Date>) -> bool {
    from.is_none_or(|from| date >= from) && to.is_none_or(|to| date <= to)
}

type Values = (
    BTreeMap<(String, Option<String>), (usize, Value, Value)>,
    BTreeMap<String, Value>,
);

/// Value by (kind, category): (contributions, counted, pending); counted value by agent.
fn values(
    state: &State,
    project: &Project,
    from: Option<Date>,
    to: Option<Date>,
) -> OpResult<Values> {
    let mut by_kind: BTreeMap<(String, Option<String>), (usize, Value, Value)> = BTreeMap::new();
    let mut by_agent: BTreeMap<String, Value> = BTreeMap::new();
    for c in state
        .project_contributions(project)
        .filter(|c| within(c.date, from, to))
    {
        let key = (
            c.kind.as_str().to_string(),
            c.category.as_deref().map(str::to_string),
        );
        let row = by_kind.entry(key).or_insert((0, Value::ZERO, Value::ZERO));
        row.0 += 1;
        if c.counts() {
            row.1 = row.1.checked_add(c.value)?;
            let agent = by_agent.entry(c.agent.to_string()).or_default();
            *agent = agent.checked_add(c.value)?;
        } else if c.status == fairshare_core::Status::Pending {
            row.2 = row.2.checked_add(c.value)?;
        }
    }
    Ok((by_kind, by_agent))
}

impl Read for ProjectReport {
    fn view(&self, state: &State, _: &Reading) -> OpResult<ProjectReportOut> {
        let from = day("from", self.from.as_deref())?;
        let to = day("to", self.to.as_deref())?;
        let project = state.project(&self.project)?;
        let exponent = project.exponent;
        let (by_kind, by_agent) = values(state, project, from, to)?;
        let counted = by_agent
            .values()
            .try_fold(Value::ZERO, |total, v| total.checked_add(*v))?;
        let mut top: Vec<(&String, &Value)> = by_agent.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let distributions: Vec<_> = state
            .distributions()
            .iter()
            .filter(|d| d.project == self.project && within(d.date, from, to))
            .collect();
        let payouts = state
            .payouts()
            .iter()
            .filter(|p| {
                p.asset == project.currency
                    && within(p.date, from, to)
                    && state
                        .project_contributions(project)
                        .any(|c| *c.agent == *p.agent)
            })
            .map(|p| PayoutRow {
                id: p.id.clone(),
                agent: p.agent.clone(),
                date: p.date.to_string(),
                amount: format_amount(p.amount, p.exponent),
                status: p.status.as_str().to_string(),
            })
            .collect();
        Ok(ProjectReportOut {
            project: self.project.clone(),
            currency: project.currency.clone(),
            from: from.map(|d| d.to_string()),
            to: to.map(|d| d.to_string()),
            value: by_kind
                .into_iter()
                .map(|((kind, category), (n, counted, pending))| ValueRow {
                    kind,
                    category,
                    contributions: n,
                    counted: counted.display(exponent),
                    pending: pending.display(exponent),
                })
                .collect(),
            counted: counted.display(exponent),
            distributed: format_amount(distributions.iter().map(|d| d.amount).sum(), exponent),
            distributions: distributions.into_iter().map(DistributionRow::of).collect(),
            payouts,
            top_contributors: top
                .into_iter()
                .take(TOP_CONTRIBUTORS)
                .map(|(agent, value)| ContributorRow {
                    agent: agent.clone(),
                    value: value.display(exponent),
                    share: share_decimal(*value, counted),
                })
                .collect(),
            pending: state
                .project_contributions(project)
                .filter(|c| c.status == fairshare_core::Status::Pending)
                .map(|c| ContributionRow::of(project, c))
                .collect(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// statement AGENT --year

/// Everything an agent earned from distributions and was paid out in a year, per asset.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AgentStatement {
    pub agent: String,
    /// The year, e.g. `"2026"`.
    pub year: String,
}

/// One distribution's lines to the agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EarnedRow {
    pub distribution: u64,
    pub project: String,
    pub date: String,
    pub asset: String,
    pub amount: String,
}

/// The totals of one asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssetTotals {
    /// From distributions dated in the year.
    pub earned: String,
    /// Payouts requested in the year and paid.
    pub paid_out: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentStatementOut {
    pub agent: String,
    pub year: i32,
    pub earned: Vec<EarnedRow>,
    pub payouts: Vec<PayoutRow>,
    /// Per asset.
    pub totals: BTreeMap<String, AssetTotals>,
}

operation!(AgentStatement => AgentStatementOut, Get "/api/v1/agents/{agent}/statement",
    "reports", "Everything an agent earned from distributions and was paid out in a year, per asset");

impl AgentStatement {
    fn year(&self) -> OpResult<i32> {
        match self.year.trim().parse::<i32>() {
            Ok(year) if (1970..=9999).contains(&year) => Ok(year),
            _ => Err(DomainError::invalid(format!(
                "year {:?}: a year of four digits, e.g. 2026",
                self.year
            ))
            .field("year")
            .value(self.year.clone())
            .into()),
        }
    }
}

impl Read for AgentStatement {
    fn view(&self, state: &State, _: &Reading) -> OpResult<AgentStatementOut> {
        let year = self.year()?;
        let agent = &self.agent;
        state
            .agent(agent)
            .map_err(|e| e.field("agent").value(agent.clone()))?;
        let (from, to) = (Date::from_ymd(year, 1, 1)?, Date::from_ymd(year, 12, 31)?);
        let in_year = |date: Date| within(date, Some(from), Some(to));
        let mut totals: BTreeMap<String, (i128, i128, u32)> = BTreeMap::new();
        let mut earned = Vec::new();
        for d in state.distributions().iter().filter(|d| in_year(d.date)) {
            let amount: i128 = d
                .lines
                .iter()
                .filter(|l| l.to == *agent)
                .map(|l| l.amount)
                .sum();
            if amount == 0 {
                continue;
            }
            let total = totals.entry(d.asset.clone()).or_insert((0, 0, d.exponent));
            total.0 += amount;
            earned.push(EarnedRow {
                distribution: d.id,
                project: d.project.clone(),
                date: d.date.to_string(),
                asset: d.asset.clone(),
                amount: format_amount(amount, d.exponent),
            });
        }
        let mut payouts = Vec::new();
        for p in state
            .payouts()
            .iter()
            .filter(|p| p.agent == *agent && in_year(p.date))
        {
            if p.status == TreasuryStatus::Paid {
                totals
                    .entry(p.asset.clone())
                    .or_insert((0, 0, p.exponent))
                    .1 += p.amount;
            }
            payouts.push(PayoutRow {
                id: p.id.clone(),
                agent: p.agent.clone(),
                date: p.date.to_string(),
                amount: format_amount(p.amount, p.exponent),
                status: p.status.as_str().to_string(),
            });
        }
        Ok(AgentStatementOut {
            agent: agent.clone(),
            year,
            earned,
            payouts,
            totals: totals
                .into_iter()
                .map(|(asset, (earned, paid, exponent))| {
                    let totals = AssetTotals {
                        earned: format_amount(earned, exponent),
                        paid_out: format_amount(paid, exponent),
                    };
                    (asset, totals)
                })
                .collect(),
        })
    }
}
