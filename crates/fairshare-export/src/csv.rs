//! CSV tables (RFC 4180: CRLF line ends, fields quoted when they hold `,`, `"`, CR or LF; a
//! cell that a spreadsheet would read as a formula is escaped, see [`csv_field`]).
//!
//! - contributions: one row per contribution, with its value and the event that logged it;
//! - distributions: one row per payout line of every revenue distribution;
//! - balances: one row per account and asset.

use std::io::{BufWriter, Write};

use fairshare_core::{State, format_amount};

use crate::index::EventIndex;
use crate::names::{BookNames, account_class};
use crate::{ExportResult, plan_of};

pub use fairshare_book::csv_field;

/// Writes one record, CRLF-terminated.
pub fn write_record<S: AsRef<str>>(out: &mut dyn Write, fields: &[S]) -> std::io::Result<()> {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(csv_field(field.as_ref()).as_bytes())?;
    }
    out.write_all(b"\r\n")
}

const CONTRIBUTION_COLUMNS: [&str; 20] = [
    "id",
    "date",
    "project",
    "agent",
    "kind",
    "category",
    "quantity",
    "amount",
    "currency",
    "rate",
    "value",
    "status",
    "counted",
    "gift",
    "reimbursable",
    "note",
    "seq",
    "recorded_at",
    "idempotency_key",
    "event_hash",
];

/// One row per contribution, in log order. `value` is exact (up to 18 decimals, at least the
/// currency's); `quantity` is hours (work, use), the amount (cash, material) or the cited
/// value; `amount` is set for cash and material.
pub fn write_contributions_csv(
    state: &State,
    index: &EventIndex,
    out: &mut dyn Write,
) -> ExportResult<u64> {
    let mut out = BufWriter::new(out);
    write_record(&mut out, &CONTRIBUTION_COLUMNS)?;
    let mut rows = 0;
    for contribution in state.contributions() {
        let meta = index.require(contribution.seq)?;
        let project = state.project(&contribution.project)?;
        let row = [
            contribution.id.to_string(),
            contribution.date.to_string(),
            contribution.project.to_string(),
            contribution.agent.to_string(),
            contribution.kind.to_string(),
            contribution.category.as_deref().unwrap_or("").to_string(),
            contribution.quantity.to_string(),
            contribution
                .amount_minor
                .map(|minor| format_amount(minor, project.exponent))
                .unwrap_or_default(),
            project.currency.clone(),
            contribution
                .unit_rate()
                .map(|rate| rate.to_string())
                .unwrap_or_default(),
            contribution.value.display(project.exponent),
            contribution.status.as_str().to_string(),
            contribution.counts().to_string(),
            contribution.gift.to_string(),
            contribution.reimbursable.to_string(),
            contribution.note().unwrap_or_default().to_string(),
            contribution.seq.to_string(),
            meta.recorded_at.to_string(),
            meta.key.as_deref().unwrap_or("").to_string(),
            meta.hash_hex(),
        ];
        write_record(&mut out, &row)?;
        rows += 1;
    }
    out.flush()?;
    Ok(rows)
}

const DISTRIBUTION_COLUMNS: [&str; 16] = [
    "distribution",
    "date",
    "project",
    "asset",
    "amount",
    "plan_version",
    "line",
    "bucket",
    "bucket_label",
    "to",
    "line_amount",
    "from",
    "seq",
    "idempotency_key",
    "event_hash",
    "released",
];

/// One row per payout line of every revenue distribution, in log order. `bucket` is the
/// bucket's number in the plan, from 1 as in the JSON statements; the number past the last
/// bucket is the unallocated remainder. `released` is what the project's bank released into
/// the distribution (`0.00` when nothing): its lines add up to `amount` plus it.
pub fn write_distributions_csv(
    state: &State,
    index: &EventIndex,
    out: &mut dyn Write,
) -> ExportResult<u64> {
    let mut out = BufWriter::new(out);
    write_record(&mut out, &DISTRIBUTION_COLUMNS)?;
    let mut rows = 0;
    for distribution in state.distributions() {
        let meta = index.require(distribution.seq)?;
        let plan = plan_of(state, distribution)?;
        for (line_number, line) in distribution.lines.iter().enumerate() {
            let label = plan
                .and_then(|plan| plan.buckets.get(line.bucket as usize))
                .map(|bucket| bucket.label())
                .unwrap_or_else(|| "unallocated".to_string());
            let row = [
                distribution.id.to_string(),
                distribution.date.to_string(),
                distribution.project.clone(),
                distribution.asset.clone(),
                format_amount(distribution.amount, distribution.exponent),
                distribution.plan_version.to_string(),
                (line_number + 1).to_string(),
                (line.bucket + 1).to_string(),
                label,
                line.to.to_string(),
                format_amount(line.amount, distribution.exponent),
                distribution.from.clone().unwrap_or_default(),
                distribution.seq.to_string(),
                meta.key.as_deref().unwrap_or("").to_string(),
                meta.hash_hex(),
                format_amount(distribution.released, distribution.exponent),
            ];
            write_record(&mut out, &row)?;
            rows += 1;
        }
    }
    out.flush()?;
    Ok(rows)
}

/// One row per account and asset, in byte order of the account name, zero balances included.
pub fn write_balances_csv(state: &State, out: &mut dyn Write) -> ExportResult<u64> {
    let names = BookNames::new(state)?;
    let mut out = BufWriter::new(out);
    write_record(
        &mut out,
        &[
            "account",
            "class",
            "asset",
            "balance",
            "balance_minor",
            "exponent",
        ],
    )?;
    let mut rows = 0;
    for (account, assets) in state.ledger().accounts() {
        let class = account_class(state, account);
        for (asset, amount) in assets {
            let exponent = names.exponent(asset)?;
            write_record(
                &mut out,
                &[
                    account.to_string(),
                    class.as_str().to_string(),
                    asset.clone(),
                    format_amount(*amount, exponent),
                    amount.to_string(),
                    exponent.to_string(),
                ],
            )?;
            rows += 1;
        }
    }
    out.flush()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_per_rfc_4180() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        let mut out = Vec::new();
        write_record(&mut out, &["a", "b,c", ""]).unwrap();
        assert_eq!(out, b"a,\"b,c\",\r\n");
    }

    #[test]
    fn formulas_are_escaped_and_numbers_stay_numbers() {
        assert_eq!(
            csv_field("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
        for (cell, escaped) in [
            ("+1+2", "\"'+1+2\""),
            ("-2+3", "\"'-2+3\""),
            ("@SUM(A1)", "\"'@SUM(A1)\""),
            ("\tx", "\"'\tx\""),
            ("\rx", "\"'\rx\""),
            ("-", "\"'-\""),
            ("-.5", "\"'-.5\""),
            ("1.", "1."),
            ("a=b", "a=b"),
        ] {
            assert_eq!(csv_field(cell), escaped, "{cell:?}");
        }
        for number in ["-12.50", "+3", "7", "0.000000000000000001", "-1000000"] {
            assert_eq!(csv_field(number), number);
        }
    }
}
