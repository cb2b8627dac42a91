//! Corrections: adjusting or reversing a contribution by a new event, reviewing the
//! correction, and the report of what past distributions would have paid with it.

use fairshare_book::{CorrectedDistribution, Executed};
use fairshare_core::{Change, Command, Correction, Kind, Outcome, State, format_amount};
use fairshare_store::Store;
use serde::{Deserialize, Serialize};

use crate::de::u64_text;
use crate::error::OpResult;
use crate::log::Scan;
use crate::op::Write;

/// Corrects a pending or approved contribution's measure: `hours` (work, use), `amount`
/// (cash, material) or `value` (cite), with a reason. The contributor or a custodian; it
/// counts once it has the approvals a contribution of its project needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[cfg_attr(feature = "clap", command(group(clap::ArgGroup::new("measure").required(true).args(["hours", "amount", "value"]))))]
pub struct Adjust {
    #[serde(deserialize_with = "u64_text")]
    pub id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "H", allow_negative_numbers = true)
    )]
    pub hours: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "A", allow_negative_numbers = true)
    )]
    pub amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "V", allow_negative_numbers = true)
    )]
    pub value: Option<String>,
    #[cfg_attr(feature = "clap", arg(long, value_name = "TEXT"))]
    pub reason: String,
}

/// Withdraws a pending or approved contribution, with a reason: once the reverse counts, the
/// contribution counts no more. The contributor or a custodian.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct Reverse {
    #[serde(deserialize_with = "u64_text")]
    pub id: u64,
    #[cfg_attr(feature = "clap", arg(long, value_name = "TEXT"))]
    pub reason: String,
}

/// A correction and the contribution it corrects.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CorrectionOut {
    pub correction: u64,
    pub contribution: u64,
    pub project: String,
    /// `adjust` or `reverse`.
    pub kind: String,
    /// Who asked for it.
    pub by: String,
    pub date: String,
    /// The new measure of an adjust (hours, amount or value, by the contribution's kind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub reason: String,
    /// `pending`, `approved` (it counts) or `rejected`.
    pub status: String,
    pub approvals: Vec<String>,
    pub approvals_required: u32,
    /// The contribution's value just before and just after the correction counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection: Option<String>,
    /// True when this answers a retry (same idempotency key): nothing new was recorded.
    pub replayed: bool,
}

impl CorrectionOut {
    pub fn of(state: &State, correction: &Correction, replayed: bool) -> OpResult<CorrectionOut> {
        let project = state.project(&correction.project)?;
        let contribution = state.contribution(correction.contribution)?;
        let exponent = project.exponent;
        let (mut hours, mut amount, mut value) = (None, None, None);
        if let Change::Adjust {
            quantity,
            amount_minor,
        } = &correction.change
        {
            match contribution.kind {
                Kind::Work | Kind::Use => hours = Some(quantity.to_string()),
                Kind::Cash | Kind::Material => {
                    amount = amount_minor.map(|a| format_amount(a, exponent))
                }
                Kind::Cite | Kind::Bounty => value = Some(quantity.to_string()),
            }
        }
        Ok(CorrectionOut {
            correction: correction.id,
            contribution: correction.contribution,
            project: project.slug.to_string(),
            kind: correction.verb().to_string(),
            by: correction.by.clone(),
            date: correction.date.to_string(),
            hours,
            amount,
            value,
            reason: correction.reason.clone(),
            status: correction.status.as_str().to_string(),
            approvals: correction.approvals.clone(),
            approvals_required: project.approvals_required,
            value_before: correction.value_before.map(|v| v.display(exponent)),
            value_after: correction.value_after.map(|v| v.display(exponent)),
            rejection: correction.rejection.clone(),
            replayed,
        })
    }

    fn executed(state: &State, id: u64, executed: &Executed) -> OpResult<CorrectionOut> {
        CorrectionOut::of(state, state.correction(id)?, executed.replayed)
    }
}

/// The correction an adjust or a reverse created.
fn created(state: &State, executed: &Executed) -> OpResult<CorrectionOut> {
    let_outcome!(executed, Outcome::Corrected { id, .. });
    CorrectionOut::executed(state, *id, executed)
}

operation!(Adjust => CorrectionOut, Post "/api/v1/contributions/{id}/adjust", "corrections",
    "Corrects a pending or approved contribution's hours, amount or value, with a reason (the contributor or a custodian)");

impl Write for Adjust {
    const CREATES: bool = true;

    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::Adjust {
            id: self.id,
            hours: self.hours.clone(),
            amount: self.amount.clone(),
            value: self.value.clone(),
            reason: self.reason.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<CorrectionOut> {
        created(state, executed)
    }
}

operation!(Reverse => CorrectionOut, Post "/api/v1/contributions/{id}/reverse", "corrections",
    "Reverses a pending or approved contribution, with a reason (the contributor or a custodian)");

impl Write for Reverse {
    const CREATES: bool = true;

    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::Reverse {
            id: self.id,
            reason: self.reason.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<CorrectionOut> {
        created(state, executed)
    }
}

review! {
    /// Approves a pending correction (never the one who asked for it, nor the contributor).
    ApproveCorrection { #[serde(deserialize_with = "crate::de::u64_text")] id: u64 } => CorrectionOut,
        "/api/v1/corrections/{id}/approve", "corrections",
        "Approves a pending correction (never the one who asked for it, nor the contributor)",
    |state, approve, executed| CorrectionOut::executed(state, approve.id, executed)
}

review! {
    /// Rejects a pending correction, with a reason.
    RejectCorrection { #[serde(deserialize_with = "crate::de::u64_text")] id: u64, reason } => CorrectionOut,
        "/api/v1/corrections/{id}/reject", "corrections",
        "Rejects a pending correction, with a reason",
    |state, reject, executed| CorrectionOut::executed(state, reject.id, executed)
}

/// A project's corrections, and for each distribution made before a correction counted,
/// what each account received and would have received with the corrections (the same split
/// re-run with the corrected values as they stood then; nothing is recorded).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ShowCorrections {
    pub project: String,
}

/// One account in a past distribution.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CorrectedLine {
    pub account: String,
    pub received: String,
    pub corrected: String,
    /// `corrected - received`: what the account is owed (negative: was overpaid).
    pub difference: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CorrectedDistributionOut {
    pub distribution: u64,
    pub date: String,
    pub amount: String,
    pub asset: String,
    pub lines: Vec<CorrectedLine>,
}

impl CorrectedDistributionOut {
    pub fn of(d: &CorrectedDistribution) -> CorrectedDistributionOut {
        let amount = |minor: i128| format_amount(minor, d.exponent);
        CorrectedDistributionOut {
            distribution: d.id,
            date: d.date.to_string(),
            amount: amount(d.amount),
            asset: d.asset.clone(),
            lines: d
                .accounts
                .iter()
                .map(|(account, (received, corrected))| CorrectedLine {
                    account: account.clone(),
                    received: amount(*received),
                    corrected: amount(*corrected),
                    difference: amount(corrected - received),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CorrectionsOut {
    pub project: String,
    pub currency: String,
    /// Every correction of the project's contributions, in request order.
    pub corrections: Vec<CorrectionOut>,
    /// Past distributions made before a correction counted, oldest first.
    pub distributions: Vec<CorrectedDistributionOut>,
}

operation!(ShowCorrections => CorrectionsOut, Get "/api/v1/projects/{project}/corrections",
    "corrections",
    "A project's corrections, and what each past distribution paid and would have paid with them");

impl Scan for ShowCorrections {
    const HEAVY: bool = true;

    fn view(&self, store: &mut dyn Store) -> OpResult<CorrectionsOut> {
        let (state, report) = fairshare_book::corrections_report(store, &self.project)?;
        let project = state.project(&self.project)?;
        let corrections = state
            .corrections()
            .iter()
            .filter(|c| *c.project == *self.project)
            .map(|c| CorrectionOut::of(&state, c, false))
            .collect::<OpResult<_>>()?;
        Ok(CorrectionsOut {
            project: self.project.clone(),
            currency: project.currency.clone(),
            corrections,
            distributions: report.iter().map(CorrectedDistributionOut::of).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::Operation;
    use crate::{Clock, Local, OpError};
    use serde::de::DeserializeOwned;
    use serde_json::json;

    fn request<O: DeserializeOwned>(body: serde_json::Value) -> O {
        serde_json::from_value(body).expect("request")
    }

    fn write<O: Write>(
        book: &mut Local,
        actor: &str,
        body: serde_json::Value,
    ) -> OpResult<O::View> {
        book.write(actor, None, &request::<O>(body))
    }

    /// The treasury story's lab, with `approvals` required: cleo 20 h assembly (600.00), dev
    /// 6 h design (300.00), 8% to maintenance, and a first revenue of 2,500.00.
    fn lab(dir: &std::path::Path, approvals: u32) -> Local {
        use crate::{agents, contributions, distributions, plans, projects};
        let store = fairshare_sqlite::SqliteStore::open(&dir.join("book.db")).expect("store");
        let clock = Clock::new(Some("2026-11-21T10:00:00Z")).expect("clock");
        let mut book = Local::open(Box::new(store), clock).expect("book");
        for (handle, role) in [
            ("ana", "custodian"),
            ("cleo", "affiliate"),
            ("dev", "affiliate"),
        ] {
            write::<agents::AddAgent>(
                &mut book,
                "operator",
                json!({"handle": handle, "role": role}),
            )
            .expect("agent");
        }
        write::<projects::AddProject>(
            &mut book,
            "operator",
            json!({"slug": "lab", "currency": "CAD", "exponent": 2, "approvals": approvals}),
        )
        .expect("project");
        for (category, rate) in [("assembly", "30.00"), ("design", "50.00")] {
            write::<projects::SetRate>(
                &mut book,
                "operator",
                json!({"project": "lab", "category": category, "per_hour": rate}),
            )
            .expect("rate");
        }
        write::<plans::SetPlan>(
            &mut book,
            "operator",
            json!({"project": "lab", "bucket": [
                {"type": "percent", "percent": "8", "of": "gross", "to": "maintenance"},
                {"type": "contributors"}
            ]}),
        )
        .expect("plan");
        for (agent, category, hours) in [("cleo", "assembly", "20"), ("dev", "design", "6")] {
            let logged = write::<contributions::LogContribution>(
                &mut book,
                agent,
                json!({"project": "lab", "kind": "work", "category": category, "hours": hours}),
            )
            .expect("log");
            if approvals > 0 {
                write::<contributions::Approve>(
                    &mut book,
                    "ana",
                    json!({"id": logged.contribution}),
                )
                .expect("approve");
            }
        }
        write::<distributions::RecordRevenue>(
            &mut book,
            "operator",
            json!({"project": "lab", "amount": "2500.00"}),
        )
        .expect("revenue");
        book
    }

    fn report(book: &mut Local) -> CorrectionsOut {
        ShowCorrections {
            project: "lab".into(),
        }
        .view(book.book_mut().store_mut())
        .expect("report")
    }

    #[test]
    fn an_adjust_answers_its_correction_and_the_report_re_runs_the_distribution() {
        let dir = tempfile::tempdir().expect("dir");
        let mut book = lab(dir.path(), 0);
        assert!(report(&mut book).distributions.is_empty());
        let out = write::<Adjust>(
            &mut book,
            "dev",
            json!({"id": 2, "hours": "9", "reason": "the timesheet had 9 h"}),
        )
        .expect("adjust");
        assert_eq!(
            serde_json::to_value(&out).unwrap(),
            json!({"correction": 1, "contribution": 2, "project": "lab", "kind": "adjust",
                   "by": "dev", "date": "2026-11-21", "hours": "9",
                   "reason": "the timesheet had 9 h", "status": "approved", "approvals": [],
                   "approvals_required": 0, "value_before": "300.00", "value_after": "450.00",
                   "replayed": false})
        );
        let report = report(&mut book);
        assert_eq!(report.corrections.len(), 1);
        assert_eq!(
            serde_json::to_value(&report.distributions).unwrap(),
            json!([{"distribution": 1, "date": "2026-11-21", "amount": "2500.00", "asset": "CAD",
                    "lines": [
                {"account": "cleo", "received": "1533.33", "corrected": "1314.29", "difference": "-219.04"},
                {"account": "dev", "received": "766.67", "corrected": "985.71", "difference": "219.04"},
                {"account": "maintenance", "received": "200.00", "corrected": "200.00", "difference": "0.00"}
            ]}])
        );
        assert_eq!(
            ShowCorrections::ROUTE.path,
            "/api/v1/projects/{project}/corrections"
        );
    }

    #[test]
    fn a_reverse_waits_for_an_approval_by_someone_else() {
        let dir = tempfile::tempdir().expect("dir");
        let mut book = lab(dir.path(), 1);
        let out = write::<Reverse>(&mut book, "ana", json!({"id": 1, "reason": "logged twice"}))
            .expect("reverse");
        assert_eq!(
            (out.kind.as_str(), out.status.as_str()),
            ("reverse", "pending")
        );
        let refused = write::<ApproveCorrection>(&mut book, "ana", json!({"id": 1})).unwrap_err();
        assert!(matches!(refused, OpError::Domain(_)), "{refused:?}");
        let refused = write::<ApproveCorrection>(&mut book, "cleo", json!({"id": 1})).unwrap_err();
        assert!(
            refused.to_string().contains("their own contribution"),
            "{refused}"
        );
        let out = write::<ApproveCorrection>(&mut book, "dev", json!({"id": 1})).expect("approve");
        assert_eq!(
            (out.status.as_str(), out.value_after.as_deref()),
            ("approved", Some("0.00"))
        );
        let row = book.book().state().contribution(1).unwrap();
        assert_eq!(row.status.as_str(), "reversed");
        let rejected =
            write::<RejectCorrection>(&mut book, "dev", json!({"id": 1, "reason": "no"}))
                .unwrap_err();
        assert_eq!(rejected.to_string(), "correction 1 is already approved");
    }
}
