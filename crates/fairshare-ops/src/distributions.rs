//! Revenue and where it went: recording revenue, distributions, statements and balances.

use std::collections::BTreeMap;

use fairshare_book::Executed;
use fairshare_core::{
    Command, Ctx, Distribution, DomainError, Line, OPERATOR, Outcome, State, format_amount,
};
use serde::{Deserialize, Serialize};

use crate::de::u64_text;
use crate::error::OpResult;
use crate::op::{Read, Reading, Write};
use crate::page::{Page, PageInfo};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineOut {
    /// Bucket number, from 1; one past the last is the unallocated rest.
    pub bucket: u32,
    pub bucket_label: String,
    pub to: String,
    pub amount: String,
}

/// Payout lines as printed: bucket numbers from 1, each labelled by the bucket of
/// `plan_version` of `project` that paid it.
pub fn line_outs(
    state: &State,
    project: &str,
    plan_version: u32,
    exponent: u32,
    lines: &[Line],
) -> Vec<LineOut> {
    let plan = state.project(project).ok().and_then(|p| {
        (plan_version as usize)
            .checked_sub(1)
            .and_then(|i| p.plans.get(i))
    });
    // Each bucket's label once: a revenue split over 10,000 agents has 10,000 lines.
    let labels: Vec<String> = plan
        .map(|p| p.buckets.iter().map(|b| b.label()).collect())
        .unwrap_or_default();
    lines
        .iter()
        .map(|line| LineOut {
            bucket: line.bucket + 1,
            bucket_label: labels
                .get(line.bucket as usize)
                .cloned()
                .unwrap_or_else(|| "unallocated".to_string()),
            to: line.to.to_string(),
            amount: format_amount(line.amount, exponent),
        })
        .collect()
}

/// The payout lines and per-account totals of a distribution.
fn lines_and_payouts(
    state: &State,
    distribution: &Distribution,
) -> (Vec<LineOut>, BTreeMap<String, String>) {
    let lines = line_outs(
        state,
        &distribution.project,
        distribution.plan_version,
        distribution.exponent,
        &distribution.lines,
    );
    (lines, payouts(&distribution.lines, distribution.exponent))
}

/// What each account receives in total from `lines`, printed.
pub fn payouts(lines: &[Line], exponent: u32) -> BTreeMap<String, String> {
    Line::payouts(lines)
        .into_iter()
        .map(|(name, amount)| (name.to_string(), format_amount(amount, exponent)))
        .collect()
}

/// What a distribution held in the project's bank and what the bank released into it, as
/// amounts (absent when nothing).
fn bank_amounts(state: &State, distribution: &Distribution) -> (Option<String>, Option<String>) {
    let plan = state.project(&distribution.project).ok().and_then(|p| {
        (distribution.plan_version as usize)
            .checked_sub(1)
            .and_then(|i| p.plans.get(i))
    });
    let bank = plan.and_then(|p| p.bank_bucket());
    let held: i128 = distribution
        .lines
        .iter()
        .filter(|l| Some(l.bucket as usize) == bank)
        .map(|l| l.amount)
        .sum();
    let amount = |minor: i128| (minor > 0).then(|| format_amount(minor, distribution.exponent));
    (amount(held), amount(distribution.released))
}

/// Records revenue from outside and distributes it by the project's plan (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordRevenue {
    pub project: String,
    /// The amount received, e.g. `"12000.00"`.
    pub amount: String,
    /// Who paid (free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// A distribution and its statement.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevenueOut {
    pub distribution: u64,
    pub project: String,
    pub amount: String,
    pub currency: String,
    pub plan_version: u32,
    pub replayed: bool,
    /// True for a preview (`GET .../revenue/preview`): nothing was recorded, and
    /// `distribution` is the number the distribution would get if recorded now. Absent on a
    /// recorded revenue.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub preview: bool,
    /// What the plan's `bank` bucket held in the project's bank account (absent: nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<String>,
    /// What the bank released into this distribution (absent: nothing): the lines add up
    /// to `amount` plus this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released: Option<String>,
    /// What each account received in total.
    pub payouts: BTreeMap<String, String>,
    pub lines: Vec<LineOut>,
}

impl RevenueOut {
    pub fn of(state: &State, distribution: &Distribution, replayed: bool) -> RevenueOut {
        let (lines, payouts) = lines_and_payouts(state, distribution);
        let (held, released) = bank_amounts(state, distribution);
        RevenueOut {
            held,
            released,
            distribution: distribution.id,
            project: distribution.project.clone(),
            amount: format_amount(distribution.amount, distribution.exponent),
            currency: distribution.asset.clone(),
            plan_version: distribution.plan_version,
            replayed,
            preview: false,
            payouts,
            lines,
        }
    }
}

operation!(RecordRevenue => RevenueOut, Post "/api/v1/projects/{project}/revenue", "revenue",
    "Records revenue from outside and distributes it by the project's plan (custodians only)");

impl Write for RecordRevenue {
    const CREATES: bool = true;

    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::Revenue {
            project: self.project.clone(),
            amount: self.amount.clone(),
            from: self.from.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<RevenueOut> {
        RevenueOut::executed(state, executed)
    }
}

impl RevenueOut {
    /// The statement of the distribution an event recorded.
    fn executed(state: &State, executed: &Executed) -> OpResult<RevenueOut> {
        let_outcome!(executed, &Outcome::Distributed { id, .. });
        Ok(RevenueOut::of(
            state,
            state.distribution(id)?,
            executed.replayed,
        ))
    }
}

/// Releases everything the project's bank holds through the plan's buckets after its `bank`
/// bucket, before it reaches its threshold (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReleaseBank {
    pub project: String,
}

operation!(ReleaseBank => RevenueOut, Post "/api/v1/projects/{project}/bank/release", "revenue",
    "Releases everything the project's bank holds through the plan after its bank bucket (custodians only)");

impl Write for ReleaseBank {
    const CREATES: bool = true;

    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::ReleaseBank {
            project: self.project.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<RevenueOut> {
        RevenueOut::executed(state, executed)
    }
}

/// The statement that recording this revenue would produce now, recording nothing: the
/// core decides the `revenue` command on the current state (as the operator, so anyone who
/// can read the project can preview) without applying it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PreviewRevenue {
    pub project: String,
    /// The amount to preview, e.g. `"12000.00"`.
    pub amount: String,
    /// Who would pay (free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

operation!(PreviewRevenue => RevenueOut, Get "/api/v1/projects/{project}/revenue/preview",
    "revenue", "The statement recording this revenue would produce now; records nothing");

impl Read for PreviewRevenue {
    fn view(&self, state: &State, reader: &Reading) -> OpResult<RevenueOut> {
        let command = Command::Revenue {
            project: self.project.clone(),
            amount: self.amount.clone(),
            from: self.from.clone(),
        };
        let ctx = Ctx::new(state.head() + 1, OPERATOR, reader.today);
        let outcome = state.decide(&ctx, &command)?;
        let Outcome::Distributed {
            id,
            amount,
            plan_version,
            lines,
            released,
            ..
        } = outcome
        else {
            return Err(DomainError::corrupt("a revenue decided no distribution").into());
        };
        let project = state.project(&self.project)?;
        // The distribution as it would be recorded; only its ledger transaction is unknown.
        let distribution = Distribution {
            id,
            project: self.project.clone(),
            seq: ctx.seq,
            date: ctx.date,
            amount,
            asset: project.currency.clone(),
            exponent: project.exponent,
            plan_version,
            key: None,
            from: self.from.clone(),
            lines: lines.into(),
            transaction: 0,
            released,
        };
        Ok(RevenueOut {
            preview: true,
            ..RevenueOut::of(state, &distribution, false)
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

paged_list! {
    /// A project's distributions, oldest first.
    ListDistributions {
        project: String
    } => DistributionsOut, "/api/v1/projects/{project}/distributions", "revenue",
    "A project's distributions, oldest first"
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DistributionsOut {
    pub project: String,
    #[serde(flatten)]
    pub page: PageInfo,
    pub distributions: Vec<DistributionRow>,
}

impl Read for ListDistributions {
    fn view(&self, state: &State, _: &Reading) -> OpResult<DistributionsOut> {
        let page = Page::new(self.limit, self.offset)?;
        state.project(&self.project)?;
        let all = state
            .distributions()
            .iter()
            .filter(|d| d.project == self.project);
        let (page, distributions) = page.list(all, DistributionRow::of);
        Ok(DistributionsOut {
            project: self.project.clone(),
            page,
            distributions,
        })
    }
}

/// The statement of one distribution: who got what, from which bucket.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShowStatement {
    #[serde(deserialize_with = "u64_text")]
    pub id: u64,
    /// Page the lines: at most this many (default 100, at most 1000). Without `limit` and
    /// `offset` the statement holds every line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// Lines to skip (paging).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatementOut {
    pub distribution: u64,
    pub project: String,
    pub date: String,
    pub key: Option<String>,
    pub from: Option<String>,
    pub amount: String,
    pub currency: String,
    pub plan_version: u32,
    /// What the plan's `bank` bucket held in the project's bank account (absent: nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<String>,
    /// What the bank released into this distribution (absent: nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released: Option<String>,
    pub payouts: BTreeMap<String, String>,
    pub lines: Vec<LineOut>,
    /// Which lines these are, when the request paged them (`limit`, `offset`): `payouts` then
    /// holds what each account on these lines received in all, and no other account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines_page: Option<PageInfo>,
}

impl StatementOut {
    pub fn of(state: &State, distribution: &Distribution) -> StatementOut {
        let (lines, payouts) = lines_and_payouts(state, distribution);
        StatementOut::with(state, distribution, (lines, payouts, None))
    }

    /// One page of the lines of `distribution`, and the totals of the accounts they pay.
    pub fn page_of(state: &State, distribution: &Distribution, page: Page) -> StatementOut {
        let all: &[Line] = &distribution.lines;
        let start = page.offset.min(all.len());
        let shown = &all[start..start.saturating_add(page.limit).min(all.len())];
        let mut totals: BTreeMap<&str, i128> = shown.iter().map(|l| (&*l.to, 0)).collect();
        for line in all {
            if let Some(total) = totals.get_mut(&*line.to) {
                *total += line.amount;
            }
        }
        let payouts = (totals.into_iter())
            .map(|(name, minor)| {
                (
                    name.to_string(),
                    format_amount(minor, distribution.exponent),
                )
            })
            .collect();
        let (project, version) = (&distribution.project, distribution.plan_version);
        let lines = line_outs(state, project, version, distribution.exponent, shown);
        let info = page.info(shown.len(), all.len());
        StatementOut::with(state, distribution, (lines, payouts, Some(info)))
    }

    fn with(
        state: &State,
        distribution: &Distribution,
        (lines, payouts, lines_page): (Vec<LineOut>, BTreeMap<String, String>, Option<PageInfo>),
    ) -> StatementOut {
        let (held, released) = bank_amounts(state, distribution);
        StatementOut {
            lines_page,
            held,
            released,
            distribution: distribution.id,
            project: distribution.project.clone(),
            date: distribution.date.to_string(),
            key: distribution.key.clone(),
            from: distribution.from.clone(),
            amount: format_amount(distribution.amount, distribution.exponent),
            currency: distribution.asset.clone(),
            plan_version: distribution.plan_version,
            payouts,
            lines,
        }
    }
}

operation!(ShowStatement => StatementOut, Get "/api/v1/distributions/{id}", "revenue",
    "The statement of one distribution: who got what, from which bucket");

impl Read for ShowStatement {
    fn view(&self, state: &State, _: &Reading) -> OpResult<StatementOut> {
        let paged = self.limit.is_some() || self.offset.is_some();
        let page = paged
            .then(|| Page::new(self.limit, self.offset))
            .transpose()?;
        let distribution = state.distribution(self.id)?;
        Ok(match page {
            Some(page) => StatementOut::page_of(state, distribution, page),
            None => StatementOut::of(state, distribution),
        })
    }
}

/// Balances: account -> asset -> amount.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BalancesOut {
    /// Accounts before paging (absent for one account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<usize>,
    pub balances: BTreeMap<String, BTreeMap<String, String>>,
}

/// Balances of the named accounts. An asset no project uses as its currency is printed in
/// minor units.
pub fn balances<'a>(
    state: &State,
    names: impl Iterator<Item = &'a str>,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let ledger = state.ledger();
    names
        .map(|name| {
            let assets = ledger
                .account(name)
                .map(|assets| {
                    assets
                        .iter()
                        .map(|(asset, minor)| {
                            let exponent = state.asset_exponent(asset).unwrap_or(0);
                            (asset.clone(), format_amount(*minor, exponent))
                        })
                        .collect()
                })
                .unwrap_or_default();
            (name.to_string(), assets)
        })
        .collect()
}

paged_list! {
    /// Balances of every account that holds something, in byte order of name.
    ListBalances => BalancesOut, "/api/v1/balances", "revenue",
    "Balances of every account that holds something, in byte order of name"
}

impl Read for ListBalances {
    const NAMES_EXISTING: bool = false;
    fn view(&self, state: &State, _: &Reading) -> OpResult<BalancesOut> {
        let page = Page::new(self.limit, self.offset)?;
        let (names, total) = page.take(state.ledger().accounts().into_keys(), |name| name);
        Ok(BalancesOut {
            next_offset: page.next_offset(names.len(), total),
            total: Some(total),
            offset: Some(page.offset),
            limit: Some(page.limit),
            balances: balances(state, names.into_iter()),
        })
    }
}

/// The balances of one account (an agent, a project's account, a campaign...).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShowBalance {
    pub account: String,
}

operation!(ShowBalance => BalancesOut, Get "/api/v1/balances/{account}", "revenue",
    "The balances of one account (an agent, a project's account, a campaign...)");

impl Read for ShowBalance {
    fn view(&self, state: &State, _: &Reading) -> OpResult<BalancesOut> {
        let account = &self.account;
        if state.ledger().account(account).is_none() && state.name_taken(account).is_none() {
            return Err(DomainError::not_found(format!(
                "no account named {account:?}: not an agent, a project or an account that holds anything"
            ))
            .field("account")
            .into());
        }
        Ok(BalancesOut {
            total: None,
            offset: None,
            limit: None,
            next_offset: None,
            balances: balances(state, std::iter::once(account.as_str())),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{Clock, Local};
    use serde_json::json;

    pub(crate) fn write<O: Write + serde::de::DeserializeOwned>(
        book: &mut Local,
        actor: &str,
        body: serde_json::Value,
    ) -> O::View {
        let request: O = serde_json::from_value(body).expect("request");
        book.write(actor, None, &request).expect("write")
    }

    /// ana (custodian) and bob (affiliate) on a project keeping 10% for infra; bob 2 h and
    /// ana 1 h of build at 30.00.
    pub(crate) fn book(dir: &std::path::Path) -> Local {
        use crate::{agents, contributions, plans, projects};
        let store = fairshare_sqlite::SqliteStore::open(&dir.join("book.db")).expect("store");
        let clock = Clock::new(Some("2026-11-21T10:00:00Z")).expect("clock");
        let mut book = Local::open(Box::new(store), clock).expect("book");
        for (handle, role) in [("ana", "custodian"), ("bob", "affiliate")] {
            write::<agents::AddAgent>(
                &mut book,
                "operator",
                json!({"handle": handle, "role": role}),
            );
        }
        write::<projects::AddProject>(
            &mut book,
            "operator",
            json!({"slug": "bikes", "currency": "CAD", "exponent": 2, "approvals": 0}),
        );
        write::<projects::SetRate>(
            &mut book,
            "operator",
            json!({"project": "bikes", "category": "build", "per_hour": "30.00"}),
        );
        write::<plans::SetPlan>(
            &mut book,
            "operator",
            json!({"project": "bikes", "bucket": [
                {"type": "percent", "percent": "10", "of": "gross", "to": "infra"},
                {"type": "contributors"}
            ]}),
        );
        for (agent, hours) in [("bob", "2"), ("ana", "1")] {
            write::<contributions::LogContribution>(
                &mut book,
                agent,
                json!({"project": "bikes", "kind": "work", "category": "build", "hours": hours}),
            );
        }
        book
    }

    fn preview(amount: &str) -> PreviewRevenue {
        serde_json::from_value(json!({"project": "bikes", "amount": amount, "from": "shop"}))
            .expect("request")
    }

    #[test]
    fn a_preview_is_the_statement_of_the_revenue_that_follows_and_records_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let mut book = book(dir.path());
        let head = book.book().state().head();
        // An affiliate can preview, though only a custodian records revenue.
        let previewed = book.read(Some("bob"), &preview("100.01")).expect("preview");
        assert_eq!(
            book.book().state().head(),
            head,
            "a preview records nothing"
        );
        let previewed = serde_json::to_value(&previewed).unwrap();
        assert_eq!(
            previewed,
            json!({"distribution": 1, "project": "bikes", "amount": "100.01", "currency": "CAD",
                   "plan_version": 2, "replayed": false, "preview": true,
                   "payouts": {"ana": "30.00", "bob": "60.01", "infra": "10.00"},
                   "lines": [
                {"bucket": 1, "bucket_label": "10% of gross -> infra", "to": "infra", "amount": "10.00"},
                {"bucket": 2, "bucket_label": "contributors (all)", "to": "ana", "amount": "30.00"},
                {"bucket": 2, "bucket_label": "contributors (all)", "to": "bob", "amount": "60.01"},
            ]})
        );
        let recorded = write::<RecordRevenue>(
            &mut book,
            "ana",
            json!({"project": "bikes", "amount": "100.01", "from": "shop"}),
        );
        assert_eq!(book.book().state().head(), head + 1);
        let mut recorded = serde_json::to_value(&recorded).unwrap();
        assert_eq!(
            recorded.get("preview"),
            None,
            "absent on a recorded revenue"
        );
        recorded["preview"] = json!(true);
        assert_eq!(recorded, previewed);
    }

    #[test]
    fn a_refused_preview_names_the_field_and_records_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let book = book(dir.path());
        let head = book.book().state().head();
        let err = book.read(None, &preview("0.00")).unwrap_err();
        assert_eq!(err.to_string(), "amount \"0.00\" must be greater than zero");
        let err = book
            .read(
                None,
                &PreviewRevenue {
                    project: "nope".into(),
                    amount: "1.00".into(),
                    from: None,
                },
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown project \"nope\": add the project first"
        );
        assert_eq!(book.book().state().head(), head);
    }
}
