//! Contributions: logging, review, listing, and each agent's share of a project's value.

use fairshare_book::Executed;
use fairshare_core::share_decimal;
use fairshare_core::{
    Command, Contribution, Date, DomainError, Filter, Kind, Outcome, Project, State, Status,
    TokenMint, Value, format_amount,
};
use serde::{Deserialize, Serialize};

use crate::de::u64_text;
use crate::error::OpResult;
use crate::op::{Read, Reading, Write, or_actor};
use crate::page::{Page, PageInfo};
use crate::peer::BlendedOut;

/// A contribution kind, as requests and views spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum KindName {
    Work,
    Cash,
    Material,
    Use,
    Cite,
    Bounty,
}

impl From<KindName> for Kind {
    fn from(kind: KindName) -> Kind {
        match kind {
            KindName::Work => Kind::Work,
            KindName::Cash => Kind::Cash,
            KindName::Material => Kind::Material,
            KindName::Use => Kind::Use,
            KindName::Cite => Kind::Cite,
            KindName::Bounty => Kind::Bounty,
        }
    }
}

impl From<Kind> for KindName {
    fn from(kind: Kind) -> KindName {
        match kind {
            Kind::Work => KindName::Work,
            Kind::Cash => KindName::Cash,
            Kind::Material => KindName::Material,
            Kind::Use => KindName::Use,
            Kind::Cite => KindName::Cite,
            Kind::Bounty => KindName::Bounty,
        }
    }
}

/// A review status, as requests and views spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum StatusName {
    Pending,
    Approved,
    Rejected,
    Reversed,
}

impl From<StatusName> for Status {
    fn from(status: StatusName) -> Status {
        match status {
            StatusName::Pending => Status::Pending,
            StatusName::Approved => Status::Approved,
            StatusName::Rejected => Status::Rejected,
            StatusName::Reversed => Status::Reversed,
        }
    }
}

/// Logs a contribution of any kind. Which fields apply depends on `kind`: work takes `hours`
/// and `category`; cash and material take `amount` (and may be `reimbursable`); use takes
/// `hours` and `rate`; cite takes `of` and `percent` (P% of the cited contribution's value, its
/// author named in the record), or a fixed `value` (custodians only). Affiliates log only their
/// own; observers none.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LogContribution {
    pub project: String,
    /// Whose contribution it is (default: the caller).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    pub kind: KindName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Cite: the cited contribution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<u64>,
    /// Cite: the percentage of the cited contribution's value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<String>,
    /// `YYYY-MM-DD` (default: today).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// A gift: visible in reports, never paid.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gift: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reimbursable: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Logged {
    pub contribution: u64,
    pub project: String,
    pub agent: String,
    pub kind: String,
    pub value: String,
    pub currency: String,
    pub status: String,
    /// Approvals it needs before it counts.
    pub approvals_required: u32,
    pub gift: bool,
    /// True when this answers a retry (same idempotency key): nothing new was recorded.
    pub replayed: bool,
    /// Tokens of the project's token minted to the contributor (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minted: Option<MintOut>,
}

/// Tokens a contribution minted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MintOut {
    pub token: String,
    pub to: String,
    pub tokens: String,
}

impl MintOut {
    pub fn of(state: &State, mint: Option<&TokenMint>) -> Option<MintOut> {
        let mint = mint?;
        let exponent = state.token(&mint.token).map(|t| t.exponent).unwrap_or(0);
        Some(MintOut {
            token: mint.token.clone(),
            to: mint.to.clone(),
            tokens: format_amount(mint.tokens, exponent),
        })
    }
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
            approvals_required: project.approvals_required,
            gift: contribution.gift,
            replayed,
            minted: None,
        }
    }
}

operation!(LogContribution => Logged, Post "/api/v1/projects/{project}/contributions",
    "contributions",
    "Logs a contribution of any kind; affiliates log only their own, observers none");

impl Write for LogContribution {
    const CREATES: bool = true;

    fn command(&self, actor: &str) -> OpResult<Command> {
        let date = self
            .date
            .as_deref()
            .map(|d| Date::parse(d).map_err(|e| e.field("date")))
            .transpose()?;
        if let Some(command) = self.cite(actor, date)? {
            return Ok(command);
        }
        Ok(Command::Log {
            project: self.project.clone(),
            agent: or_actor(&self.agent, actor),
            kind: self.kind.into(),
            category: self.category.clone(),
            hours: self.hours.clone(),
            amount: self.amount.clone(),
            rate: self.rate.clone(),
            value: self.value.clone(),
            date,
            note: self.note.clone(),
            gift: self.gift,
            reimbursable: self.reimbursable,
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<Logged> {
        let_outcome!(executed, Outcome::Logged { id, minted, .. });
        let contribution = state.contribution(*id)?;
        let project = state.project(&contribution.project)?;
        let mut logged = Logged::of(project, contribution, executed.replayed);
        logged.minted = MintOut::of(state, minted.as_ref());
        Ok(logged)
    }
}

impl LogContribution {
    /// The `Cite` command of a citation by percentage (`of` and `percent`), if this is one.
    fn cite(&self, actor: &str, date: Option<Date>) -> OpResult<Option<Command>> {
        let refuse = |message: &str, field: &'static str| {
            Err(DomainError::invalid(message.to_string())
                .field(field)
                .into())
        };
        match (self.of, &self.percent) {
            (None, None) => Ok(None),
            (Some(_), Some(_)) if self.kind != KindName::Cite => {
                refuse("only a cite contribution takes `of` and `percent`", "of")
            }
            (Some(_), Some(_)) if self.value.is_some() => refuse(
                "a citation takes `of` and `percent`, or a fixed `value`, not both",
                "value",
            ),
            (Some(_), Some(_)) if self.gift || self.reimbursable => {
                refuse("a citation by percentage cannot be a gift", "gift")
            }
            (Some(of), Some(percent)) => Ok(Some(Command::Cite {
                project: self.project.clone(),
                agent: or_actor(&self.agent, actor),
                of,
                percent: percent.clone(),
                date,
                note: self.note.clone(),
            })),
            (None, Some(_)) => refuse("a citation by percentage needs `of`", "of"),
            (Some(_), None) => refuse("a citation of a contribution needs `percent`", "percent"),
        }
    }
}

/// A citation in a contribution's record: the cited contribution and its author.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CitesOut {
    pub contribution: u64,
    pub author: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContributionRow {
    pub id: u64,
    pub project: String,
    pub date: String,
    pub agent: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    pub value: String,
    pub status: String,
    pub gift: bool,
    pub reimbursable: bool,
    pub approvals: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// A citation: the cited contribution and its author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cites: Option<CitesOut>,
}

impl ContributionRow {
    pub fn of(project: &Project, c: &Contribution) -> ContributionRow {
        let hours = matches!(c.kind, Kind::Work | Kind::Use).then(|| c.quantity.to_string());
        ContributionRow {
            id: c.id,
            project: project.slug.to_string(),
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
            cites: c.cites().map(|(contribution, author)| CitesOut {
                contribution,
                author: author.to_string(),
            }),
        }
    }
}

paged_list! {
    /// A project's contributions in log order, optionally filtered.
    ListContributions {
        project: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "clap", arg(long))]
        status: Option<StatusName>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "clap", arg(long, value_name = "HANDLE"))]
        agent: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "clap", arg(long))]
        kind: Option<KindName>
    } => ContributionsOut, "/api/v1/projects/{project}/contributions", "contributions",
    "A project's contributions in log order, optionally filtered"
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContributionsOut {
    pub project: String,
    /// Contributions matching the filters, before paging.
    #[serde(flatten)]
    pub page: PageInfo,
    pub contributions: Vec<ContributionRow>,
}

impl Read for ListContributions {
    fn view(&self, state: &State, _: &Reading) -> OpResult<ContributionsOut> {
        let page = Page::new(self.limit, self.offset)?;
        let project = state.project(&self.project)?;
        if let Some(agent) = &self.agent {
            state.agent(agent)?;
        }
        let status = self.status.map(Status::from);
        let kind = self.kind.map(Kind::from);
        // The pending ones from the project's open items, without reading the whole table.
        let candidates: Box<dyn Iterator<Item = &Contribution>> = match status {
            Some(Status::Pending) => {
                Box::new((project.pending.iter()).filter_map(|&id| state.contribution(id).ok()))
            }
            _ => Box::new(state.project_contributions(project)),
        };
        let matching = candidates
            .filter(|c| status.is_none_or(|s| c.status == s))
            .filter(|c| kind.is_none_or(|k| c.kind == k))
            .filter(|c| self.agent.as_deref().is_none_or(|a| *c.agent == *a));
        let (contributions, total) = page.take(matching, |c| ContributionRow::of(project, c));
        Ok(ContributionsOut {
            project: self.project.clone(),
            page: page.info(contributions.len(), total),
            contributions,
        })
    }
}

/// One contribution.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShowContribution {
    #[serde(deserialize_with = "u64_text")]
    pub id: u64,
}

operation!(ShowContribution => ContributionRow, Get "/api/v1/contributions/{id}",
    "contributions", "One contribution");

impl Read for ShowContribution {
    fn view(&self, state: &State, _: &Reading) -> OpResult<ContributionRow> {
        let contribution = state.contribution(self.id)?;
        let project = state.project(&contribution.project)?;
        Ok(ContributionRow::of(project, contribution))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reviewed {
    pub contribution: u64,
    pub status: String,
    pub approvals: Vec<String>,
    pub approvals_required: u32,
    pub reason: Option<String>,
    pub replayed: bool,
    /// Tokens minted to the contributor now that the contribution counts (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minted: Option<MintOut>,
}

impl Reviewed {
    fn of(state: &State, id: u64, executed: &Executed) -> OpResult<Reviewed> {
        let contribution = state.contribution(id)?;
        let project = state.project(&contribution.project)?;
        let minted = match &executed.outcome {
            Outcome::Approved { minted, .. } => MintOut::of(state, minted.as_ref()),
            _ => None,
        };
        Ok(Reviewed {
            minted,
            contribution: contribution.id,
            status: contribution.status.as_str().to_string(),
            approvals: contribution.approvals().to_vec(),
            approvals_required: project.approvals_required,
            reason: contribution.reason().map(str::to_string),
            replayed: executed.replayed,
        })
    }
}

review! {
    /// Approves a pending contribution (custodians and affiliates; nobody their own).
    Approve { #[serde(deserialize_with = "crate::de::u64_text")] id: u64 } => Reviewed,
        "/api/v1/contributions/{id}/approve", "contributions",
        "Approves a pending contribution (custodians and affiliates; nobody their own)",
    |state, approve, executed| Reviewed::of(state, approve.id, executed)
}

review! {
    /// Rejects a pending contribution, with a reason.
    Reject { #[serde(deserialize_with = "crate::de::u64_text")] id: u64, reason } => Reviewed,
        "/api/v1/contributions/{id}/reject", "contributions",
        "Rejects a pending contribution, with a reason",
    |state, reject, executed| Reviewed::of(state, reject.id, executed)
}

/// Each agent's counted value and share in a project; with `blended`, the formula, peer,
/// steward and blended shares side by side (not paged).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Shares {
    pub project: String,
    /// Values decayed to this day, `YYYY-MM-DD` (default: today).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// Formula, peer, steward and blended shares side by side (not paged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blended: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareRow {
    pub agent: String,
    pub value: String,
    /// Exact decimal share of the total (rounded half-to-even at 18 decimals).
    pub share: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharesOut {
    pub project: String,
    pub as_of: String,
    pub currency: String,
    /// Total counted value.
    pub total: String,
    /// Agents with a share, before paging.
    pub agents: usize,
    pub offset: usize,
    pub limit: usize,
    pub next_offset: Option<usize>,
    pub shares: Vec<ShareRow>,
}

/// The formula shares, or with `blended` the blended ones.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum SharesAnswer {
    Formula(SharesOut),
    Blended(BlendedOut),
}

operation!(Shares => SharesAnswer, Get "/api/v1/projects/{project}/shares", "contributions",
    "Each agent's counted value and share in a project; with blended=true, formula, peer, steward and blended shares side by side");

/// The day a report is as of: the one asked for, or the reader's today.
pub(crate) fn as_of(text: Option<&str>, reader: &Reading) -> OpResult<Date> {
    match text {
        Some(text) => Ok(Date::parse(text).map_err(|e| e.field("as_of"))?),
        None => Ok(reader.today),
    }
}

impl Read for Shares {
    fn view(&self, state: &State, reader: &Reading) -> OpResult<SharesAnswer> {
        let page = Page::new(self.limit, self.offset)?;
        let as_of = as_of(self.as_of.as_deref(), reader)?;
        let project = state.project(&self.project)?;
        if self.blended.unwrap_or(false) {
            let report = state.blended_shares(&self.project, as_of)?;
            return Ok(SharesAnswer::Blended(BlendedOut::of(
                project, as_of, &report,
            )));
        }
        let values = state.values_by_agent(project, &Filter::default(), as_of)?;
        let total = values
            .iter()
            .fold(Value::ZERO, |sum, (_, v)| Value(sum.0.saturating_add(v.0)));
        let (shares, agents) = page.take(values.iter(), |(agent, value)| ShareRow {
            agent: agent.to_string(),
            value: value.display(project.exponent),
            share: share_decimal(*value, total),
        });
        Ok(SharesAnswer::Formula(SharesOut {
            project: self.project.clone(),
            as_of: as_of.to_string(),
            currency: project.currency.clone(),
            total: total.display(project.exponent),
            next_offset: page.next_offset(shares.len(), agents),
            agents,
            offset: page.offset,
            limit: page.limit,
            shares,
        }))
    }
}

#[cfg(test)]
mod tests {
    use fairshare_core::Value;
    use fairshare_core::share_decimal;

    #[test]
    fn shares_are_exact_or_rounded_half_to_even_at_18_decimals() {
        let v = Value;
        assert_eq!(share_decimal(v(1), v(4)), "0.25");
        assert_eq!(share_decimal(v(4), v(4)), "1");
        assert_eq!(share_decimal(v(0), v(4)), "0");
        assert_eq!(share_decimal(v(1), v(3)), "0.333333333333333333");
        assert_eq!(share_decimal(v(2), v(3)), "0.666666666666666667");
        assert_eq!(share_decimal(v(5400), v(10200)), "0.529411764705882353");
        let total = 2 * 10i128.pow(18);
        assert_eq!(share_decimal(v(1), v(total)), "0");
        assert_eq!(share_decimal(v(3), v(total)), "0.000000000000000002");
        assert_eq!(
            share_decimal(v(i128::MAX / 3), v(i128::MAX)),
            "0.333333333333333333"
        );
    }
}
