//! Forecasts that record nothing: what an agent would get from a revenue (`estimate`), what
//! another plan would have paid (`plan compare`), and reports (see docs/FORECASTS.md).

use std::collections::BTreeMap;

use fairshare_book::{ComparedAmounts, Plans, compare_plans};
use fairshare_core::{Ctx, DomainError, MoreWork, OPERATOR, State, format_amount};
use fairshare_store::Store;
use serde::{Deserialize, Serialize};

use crate::distributions::{LineOut, line_outs, payouts};
use crate::error::OpResult;
use crate::log::Scan;
use crate::op::{Read, Reading};

/// What an agent would receive from a revenue of this amount now, and with more hours of
/// work (counted as if approved); records nothing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct EstimateRevenue {
    pub project: String,
    /// The agent; the reader when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "HANDLE"))]
    pub agent: Option<String>,
    /// The revenue to estimate, e.g. `"300.00"`.
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "AMOUNT", allow_negative_numbers = true)
    )]
    pub revenue: String,
    /// More hours of work to suppose (with `category`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "clap",
        arg(
            long,
            value_name = "H",
            requires = "category",
            allow_negative_numbers = true
        )
    )]
    pub hours: Option<String>,
    /// The category of those hours (its rate values them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "CATEGORY", requires = "hours")
    )]
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
    /// The statement the revenue would produce now: what each account would receive, and
    /// the lines.
    pub payouts: BTreeMap<String, String>,
    pub lines: Vec<LineOut>,
    /// The statement it would produce with the hours counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payouts_with_hours: Option<BTreeMap<String, String>>,
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
            payouts: payouts(&estimate.now.lines, exponent),
            lines: lines(&estimate.now.lines),
            payouts_with_hours: with.map(|(_, planned)| payouts(&planned.lines, exponent)),
            lines_with_hours: with.map(|(_, planned)| lines(&planned.lines)),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// plan compare

/// What one account (agent or not) was paid under plan A and under plan B (or the plan
/// used), and the difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComparedAccount {
    pub account: String,
    /// Whether the account is an agent's (else a project's or a named account).
    pub agent: bool,
    pub plan_a: String,
    pub plan_b: String,
    /// `plan_a - plan_b`: what plan A pays more (negative: less).
    pub difference: String,
}

/// One past revenue under both plans.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComparedRevenueOut {
    pub distribution: u64,
    pub date: String,
    pub amount: String,
    /// The version of the plan it was paid by.
    pub plan_version: u32,
    /// Every account this revenue paid under either plan; only when `per_revenue` was asked
    /// (on a big book: one row per agent per revenue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accounts: Option<Vec<ComparedAccount>>,
}

/// Replays a project's past revenues under plan A and plan B (or, without B, against what
/// each revenue actually paid), with the values as they stood at each revenue; records
/// nothing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ComparePlans {
    pub project: String,
    /// Plan A's buckets, as `plan set` takes them.
    pub plan_a: Vec<crate::plans::BucketSpec>,
    /// Plan B's buckets; absent: the plan each revenue was paid by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_b: Option<Vec<crate::plans::BucketSpec>>,
    /// `"all"` (the default) or how many of the last revenues, e.g. `"10"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenues: Option<String>,
    /// Also each revenue's accounts (default: the totals per account, and each revenue's
    /// date, amount and plan version).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub per_revenue: bool,
}

/// The comparison: every revenue compared, and the totals per account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanComparison {
    pub project: String,
    pub currency: String,
    /// `"plan_b"`, or `"plan used"` when plan B is the one each revenue was paid by.
    pub against: String,
    pub revenues: Vec<ComparedRevenueOut>,
    /// Per account over every revenue compared, agents first, each in byte order of name.
    pub totals: Vec<ComparedAccount>,
    /// What the revenues compared add up to.
    pub amount: String,
}

operation!(ComparePlans => PlanComparison, Post "/api/v1/projects/{project}/plans/compare",
    "plans", "What two plans would have paid at the project's past revenues; records nothing");

impl ComparePlans {
    /// How many of the last revenues to compare (`None`: all).
    fn last(&self) -> OpResult<Option<usize>> {
        match self.revenues.as_deref().map(str::trim) {
            None | Some("all") => Ok(None),
            Some(text) => match text.parse::<usize>() {
                Ok(n) if n > 0 => Ok(Some(n)),
                _ => Err(DomainError::invalid(format!(
                    "revenues {text:?}: say `all` or how many of the last revenues (1 or more)"
                ))
                .field("revenues")
                .value(text)
                .into()),
            },
        }
    }
}

/// Compared amounts as printed, agents first, each group in byte order (as `rows` come).
/// `agents` says which accounts are agents' for every row (a superset of `rows`, in the same
/// order): the agents are looked up once for all the revenues, not once per row.
fn compared_accounts(
    rows: &[ComparedAmounts],
    agents: &[(&str, bool)],
    exponent: u32,
) -> Vec<ComparedAccount> {
    let mut known = agents.iter();
    let (mut people, mut others) = (Vec::with_capacity(rows.len()), Vec::new());
    for row in rows {
        let agent = known
            .find(|(account, _)| *account == row.account.as_str())
            .is_some_and(|(_, agent)| *agent);
        let out = ComparedAccount {
            account: row.account.to_string(),
            agent,
            plan_a: format_amount(row.plan_a, exponent),
            plan_b: format_amount(row.plan_b, exponent),
            difference: format_amount(row.plan_a - row.plan_b, exponent),
        };
        if agent {
            people.push(out);
        } else {
            others.push(out);
        }
    }
    people.append(&mut others);
    people
}

impl Scan for ComparePlans {
    const HEAVY: bool = true;

    fn view(&self, store: &mut dyn Store) -> OpResult<PlanComparison> {
        let last = self.last()?;
        let a = crate::plans::plan_of(&self.plan_a)?;
        let b = self
            .plan_b
            .as_deref()
            .map(crate::plans::plan_of)
            .transpose()?;
        let plans = Plans {
            a: &a,
            b: b.as_ref(),
        };
        let (state, compared) = compare_plans(store, &self.project, plans, last)?;
        let project = state.project(&self.project)?;
        let exponent = project.exponent;
        let totals = compared.iter().fold(Vec::new(), |totals, revenue| {
            ComparedAmounts::add(totals, &revenue.accounts)
        });
        let agents: Vec<(&str, bool)> = totals
            .iter()
            .map(|row| (row.account.as_str(), state.agent(&row.account).is_ok()))
            .collect();
        let revenues = compared
            .iter()
            .map(|revenue| ComparedRevenueOut {
                distribution: revenue.id,
                date: revenue.date.to_string(),
                amount: format_amount(revenue.amount, exponent),
                plan_version: revenue.plan_version,
                accounts: self
                    .per_revenue
                    .then(|| compared_accounts(&revenue.accounts, &agents, exponent)),
            })
            .collect();
        Ok(PlanComparison {
            project: self.project.clone(),
            currency: project.currency.clone(),
            against: if b.is_some() { "plan_b" } else { "plan used" }.to_string(),
            revenues,
            totals: compared_accounts(&totals, &agents, exponent),
            amount: format_amount(compared.iter().map(|r| r.amount).sum(), exponent),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distributions::tests::{book, write};
    use crate::{contributions, projects};
    use serde_json::json;

    fn estimate(body: serde_json::Value) -> EstimateRevenue {
        serde_json::from_value(body).expect("request")
    }

    /// bikes: 10% of gross to infra, the rest by value; bob 2 h and ana 1 h of build at 30.00.
    /// 100.01 leaves 90.01 for 90.00 of value: bob 60.01 (the odd cent: .01 > .00). With one
    /// more hour bob holds 90 of 120: 9001 * 3/4 = 6750.75, ana 2250.25, the cent to bob's
    /// larger remainder: 67.51.
    #[test]
    fn an_affiliate_estimates_for_themself_now_and_with_an_hour_recording_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let book = book(dir.path());
        let head = book.book().state().head();
        let request =
            json!({"project": "bikes", "revenue": "100.01", "hours": "1", "category": "build"});
        let out = book
            .read(Some("bob"), &estimate(request))
            .expect("estimate");
        assert_eq!(
            book.book().state().head(),
            head,
            "an estimate records nothing"
        );
        let out = serde_json::to_value(&out).unwrap();
        assert_eq!(
            out,
            json!({"project": "bikes", "agent": "bob", "revenue": "100.01", "currency": "CAD",
                   "plan_version": 2, "now": "60.01", "hours": "1", "category": "build",
                   "hours_value": "30", "with_hours": "67.51", "difference": "7.50",
                   "payouts": {"ana": "30.00", "bob": "60.01", "infra": "10.00"},
                   "lines": [
                {"bucket": 1, "bucket_label": "10% of gross -> infra", "to": "infra", "amount": "10.00"},
                {"bucket": 2, "bucket_label": "contributors (all)", "to": "ana", "amount": "30.00"},
                {"bucket": 2, "bucket_label": "contributors (all)", "to": "bob", "amount": "60.01"},
            ],
                   "payouts_with_hours": {"ana": "22.50", "bob": "67.51", "infra": "10.00"},
                   "lines_with_hours": [
                {"bucket": 1, "bucket_label": "10% of gross -> infra", "to": "infra", "amount": "10.00"},
                {"bucket": 2, "bucket_label": "contributors (all)", "to": "ana", "amount": "22.50"},
                {"bucket": 2, "bucket_label": "contributors (all)", "to": "bob", "amount": "67.51"},
            ]})
        );
        // For another agent, named: ana gets 30.00 now.
        let request = json!({"project": "bikes", "agent": "ana", "revenue": "100.01"});
        let out = book
            .read(Some("bob"), &estimate(request))
            .expect("estimate");
        assert_eq!((out.now.as_str(), out.with_hours), ("30.00", None));
    }

    #[test]
    fn a_refused_estimate_names_the_field_and_records_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let book = book(dir.path());
        let head = book.book().state().head();
        let cases = [
            (json!({"project": "bikes", "revenue": "10"}), None, "agent"),
            (
                json!({"project": "bikes", "agent": "zed", "revenue": "10"}),
                None,
                "agent",
            ),
            (
                json!({"project": "bikes", "agent": "bob", "revenue": "0"}),
                None,
                "revenue",
            ),
            (
                json!({"project": "bikes", "revenue": "1.001"}),
                Some("bob"),
                "revenue",
            ),
            (
                json!({"project": "nope", "revenue": "10"}),
                Some("bob"),
                "project",
            ),
            (
                json!({"project": "bikes", "revenue": "10", "hours": "2"}),
                Some("bob"),
                "category",
            ),
            (
                json!({"project": "bikes", "revenue": "10", "category": "build"}),
                Some("bob"),
                "hours",
            ),
            (
                json!({"project": "bikes", "revenue": "10", "hours": "-1", "category": "build"}),
                Some("bob"),
                "hours",
            ),
            (
                json!({"project": "bikes", "revenue": "10", "hours": "1", "category": "paint"}),
                Some("bob"),
                "category",
            ),
        ];
        for (request, reader, field) in cases {
            let err = book.read(reader, &estimate(request.clone())).unwrap_err();
            assert_eq!(err.field(), Some(field), "{request}: {err}");
        }
        let err = book
            .read(
                None,
                &estimate(json!({"project": "bikes", "revenue": "10"})),
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "name the agent to estimate for: the operator is not an agent"
        );
        assert_eq!(book.book().state().head(), head);
    }

    /// With a half-life the split reads every contribution, not the aggregates: the supposed
    /// hour (dated today, not decayed) must be read there too. bob's 2 h dated 30 days ago
    /// are worth 30 of value once halved, like ana's hour of today: 90.00 splits 45.00 each;
    /// with bob's supposed hour, 60 : 30, bob 60.00.
    #[test]
    fn an_estimate_counts_the_supposed_hours_under_decay() {
        let dir = tempfile::tempdir().expect("dir");
        let mut book = book(dir.path());
        write::<projects::AddProject>(
            &mut book,
            "operator",
            json!({"slug": "oars", "currency": "CAD", "exponent": 2, "approvals": 1}),
        );
        for (request, body) in [
            (
                "rate",
                json!({"project": "oars", "category": "build", "per_hour": "30.00"}),
            ),
            ("decay", json!({"project": "oars", "half_life_days": "30"})),
        ] {
            match request {
                "rate" => drop(write::<projects::SetRate>(&mut book, "operator", body)),
                _ => drop(write::<projects::SetDecay>(&mut book, "operator", body)),
            }
        }
        for (agent, hours, date) in [("bob", "2", "2026-10-22"), ("ana", "1", "2026-11-21")] {
            let logged = write::<contributions::LogContribution>(
                &mut book,
                agent,
                json!({"project": "oars", "kind": "work", "category": "build", "hours": hours, "date": date}),
            );
            let approver = if agent == "bob" { "ana" } else { "operator" };
            write::<contributions::Approve>(
                &mut book,
                approver,
                json!({"id": logged.contribution}),
            );
        }
        let request =
            json!({"project": "oars", "revenue": "90.00", "hours": "1", "category": "build"});
        let out = book
            .read(Some("bob"), &estimate(request))
            .expect("estimate");
        assert_eq!(
            (
                out.now.as_str(),
                out.with_hours.as_deref(),
                out.difference.as_deref()
            ),
            ("45.00", Some("60.00"), Some("15.00"))
        );
    }
}
