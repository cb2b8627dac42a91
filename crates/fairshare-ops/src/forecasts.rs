//! Forecasts that record nothing: what an agent would get from a revenue (`estimate`), what
//! another plan would have paid (`plan compare`), and reports (see docs/FORECASTS.md).

use fairshare_core::{Ctx, DomainError, MoreWork, OPERATOR, State, format_amount};
use serde::{Deserialize, Serialize};

use crate::distributions::{LineOut, line_outs};
use crate::error::OpResult;
use crate::op::{Read, Reading};

/// What an agent would receive from a revenue of this amount now, and with more hours of
/// work (counted as if approved); records nothing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EstimateRevenue {
    pub project: String,
    /// The agent; the reader when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The revenue to estimate, e.g. `"300.00"`.
    pub revenue: String,
    /// More hours of work to suppose (with `category`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    /// The category of those hours (its rate values them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

/// An estimate: what the agent would receive now and with the more hours, and the lines.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EstimateOut {
    pub project: String,
    pub agent: String,
    pub revenue: String,
    pub currency: String,
    pub plan_version: u32,
    /// What the agent would receive from the revenue now.
    pub now: String,
    /// The hours supposed, their category and the value the project's rules give them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours_value: Option<String>,
    /// What the agent would receive with those hours counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_hours: Option<String>,
    /// `with_hours - now`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difference: Option<String>,
    /// The statement the revenue would produce now.
    pub lines: Vec<LineOut>,
    /// The statement it would produce with the hours counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines_with_hours: Option<Vec<LineOut>>,
}

operation!(EstimateRevenue => EstimateOut, Get "/api/v1/projects/{project}/estimate",
    "revenue", "What an agent would receive from a revenue now, and with more hours; records nothing");

impl EstimateRevenue {
    /// The agent asked about: the request's, else the reader (never the operator).
    fn agent<'a>(&'a self, reader: &'a Reading) -> OpResult<&'a str> {
        match (self.agent.as_deref(), reader.actor.as_deref()) {
            (Some(agent), _) => Ok(agent),
            (None, Some(actor)) if actor != OPERATOR => Ok(actor),
            _ => Err(DomainError::invalid(
                "name the agent to estimate for: the operator is not an agent",
            )
            .field("agent")
            .into()),
        }
    }

    /// The more work asked about: hours and category together, or neither.
    fn work(&self) -> OpResult<Option<MoreWork<'_>>> {
        match (self.hours.as_deref(), self.category.as_deref()) {
            (None, None) => Ok(None),
            (Some(hours), Some(category)) => Ok(Some(MoreWork { category, hours })),
            (Some(hours), None) => Err(DomainError::invalid(format!(
                "{hours} more hours of what? name their category (the rate that values them)"
            ))
            .field("category")
            .into()),
            (None, Some(category)) => Err(DomainError::invalid(format!(
                "how many more hours of {category}? name the hours"
            ))
            .field("hours")
            .value(category)
            .into()),
        }
    }
}

impl Read for EstimateRevenue {
    fn view(&self, state: &State, reader: &Reading) -> OpResult<EstimateOut> {
        let agent = self.agent(reader)?;
        let work = self.work()?;
        let ctx = Ctx::new(state.head() + 1, OPERATOR, reader.today);
        let estimate = state.estimate(&ctx, &self.project, agent, &self.revenue, work)?;
        let project = state.project(&self.project)?;
        let exponent = project.exponent;
        let amount = |minor: i128| format_amount(minor, exponent);
        let lines = |lines| line_outs(state, &self.project, estimate.plan_version, exponent, lines);
        let with = estimate.with_work.as_ref();
        Ok(EstimateOut {
            project: self.project.clone(),
            agent: agent.to_string(),
            revenue: amount(estimate.amount),
            currency: project.currency.clone(),
            plan_version: estimate.plan_version,
            now: amount(estimate.now.received),
            hours: with.and(self.hours.clone()),
            category: with.and(self.category.clone()),
            hours_value: with.map(|(value, _)| value.to_string()),
            with_hours: with.map(|(_, planned)| amount(planned.received)),
            difference: with.map(|(_, planned)| amount(planned.received - estimate.now.received)),
            lines: lines(&estimate.now.lines),
            lines_with_hours: with.map(|(_, planned)| lines(&planned.lines)),
        })
    }
}
