//! Every export format behind one name and one writer, so the CLI and the server cannot
//! disagree on what a format is or what it writes.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use fairshare_core::State;
use fairshare_store::Store;

use crate::{EventIndex, ExportResult, ValueFlowsOptions};

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The event log as JSON lines: re-importable byte for byte.
    Jsonl,
    /// The event log as CSV: seq, recorded_at, actor, op, idempotency_key, hash, body.
    Csv,
    /// A Beancount file with a balance assertion per account and asset.
    Beancount,
    /// An hledger journal.
    Hledger,
    /// A Ledger journal.
    Ledger,
    /// ValueFlows 1.0 JSON-LD.
    Valueflows,
    /// One row per contribution.
    CsvContributions,
    /// One row per payout line of every revenue distribution.
    CsvDistributions,
    /// One row per account and asset.
    CsvBalances,
}

impl Format {
    pub const ALL: [Format; 9] = [
        Format::Jsonl,
        Format::Csv,
        Format::Beancount,
        Format::Hledger,
        Format::Ledger,
        Format::Valueflows,
        Format::CsvContributions,
        Format::CsvDistributions,
        Format::CsvBalances,
    ];

    /// Its name, as `--format` and `?format=` write it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Beancount => "beancount",
            Format::Hledger => "hledger",
            Format::Ledger => "ledger",
            Format::Valueflows => "valueflows",
            Format::CsvContributions => "csv-contributions",
            Format::CsvDistributions => "csv-distributions",
            Format::CsvBalances => "csv-balances",
        }
    }

    /// What the format holds, in a few words (help texts, the API document).
    pub fn about(self) -> &'static str {
        match self {
            Format::Jsonl => "the event log as JSON lines: re-importable byte for byte",
            Format::Csv => "the event log as CSV: seq, recorded_at, actor, op, key, hash, body",
            Format::Beancount => "a Beancount file with a balance assertion per account and asset",
            Format::Hledger => "an hledger journal",
            Format::Ledger => "a Ledger journal",
            Format::Valueflows => "ValueFlows 1.0 JSON-LD",
            Format::CsvContributions => "one row per contribution",
            Format::CsvDistributions => "one row per payout line of every distribution",
            Format::CsvBalances => "one row per account and asset",
        }
    }

    /// Its HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jsonl => "application/x-ndjson",
            Format::Beancount | Format::Hledger | Format::Ledger => "text/plain; charset=utf-8",
            Format::Valueflows => "application/ld+json",
            Format::Csv
            | Format::CsvContributions
            | Format::CsvDistributions
            | Format::CsvBalances => "text/csv; charset=utf-8",
        }
    }

    /// Written from the log's rows (no replay), rather than from the replayed state.
    pub fn reads_the_log(self) -> bool {
        matches!(self, Format::Jsonl | Format::Csv)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(text: &str) -> Result<Format, String> {
        Format::ALL
            .into_iter()
            .find(|format| format.name() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                format!("unknown export format {text:?}: use {}", names.join(", "))
            })
    }
}

/// What an export wrote, besides its bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    pub events: u64,
    pub transactions: Option<u64>,
    pub accounts: Option<usize>,
    pub commodities: Option<usize>,
    pub rows: Option<u64>,
    pub nodes: Option<u64>,
}

/// What an export reads, for every front end: the log itself through `L`, a handle on the store
/// (the event-log formats need no replay), or a book's state with the index of its events.
pub enum Source<L> {
    Log(L),
    Book(Box<State>, EventIndex),
}

impl<L: AsMut<dyn Store>> Source<L> {
    /// Writes `format` from what this source holds (`options` for ValueFlows).
    pub fn write(
        &mut self,
        format: Format,
        options: &ValueFlowsOptions,
        out: &mut dyn Write,
    ) -> ExportResult<Written> {
        match self {
            Source::Log(store) => write_log(format, store.as_mut(), out),
            Source::Book(state, index) => write_book(format, state, index, options, out),
        }
    }
}

/// Writes a log format (JSON lines, CSV) straight from the store's rows.
pub fn write_log(
    format: Format,
    store: &mut dyn Store,
    out: &mut dyn Write,
) -> ExportResult<Written> {
    let events = match format {
        Format::Jsonl => fairshare_book::export_jsonl(store, out)?,
        _ => fairshare_book::export_csv(store, out)?,
    };
    Ok(Written {
        events,
        ..Written::default()
    })
}

/// Writes a format of the replayed book: journals, tables, ValueFlows.
pub fn write_book(
    format: Format,
    state: &State,
    index: &EventIndex,
    options: &ValueFlowsOptions,
    out: &mut dyn Write,
) -> ExportResult<Written> {
    let mut written = Written {
        events: state.head(),
        ..Written::default()
    };
    let journal = match format {
        Format::Beancount => Some(crate::write_beancount(state, index, out)?),
        Format::Hledger => Some(crate::write_hledger(state, index, out)?),
        Format::Ledger => Some(crate::write_ledger(state, index, out)?),
        Format::Valueflows => {
            written.nodes = Some(crate::write_valueflows(state, index, options, out)?);
            None
        }
        Format::CsvContributions => {
            written.rows = Some(crate::write_contributions_csv(state, index, out)?);
            None
        }
        Format::CsvDistributions => {
            written.rows = Some(crate::write_distributions_csv(state, index, out)?);
            None
        }
        Format::CsvBalances => {
            written.rows = Some(crate::write_balances_csv(state, out)?);
            None
        }
        Format::Jsonl | Format::Csv => {
            return Err(crate::ExportError::BadEvent {
                seq: 0,
                message: format!("{format} is written from the log, not the book"),
            });
        }
    };
    if let Some(summary) = journal {
        written.transactions = Some(summary.transactions);
        written.accounts = Some(summary.accounts);
        written.commodities = Some(summary.commodities);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for format in Format::ALL {
            assert_eq!(format.name().parse::<Format>(), Ok(format));
        }
        assert!(
            "xlsx"
                .parse::<Format>()
                .unwrap_err()
                .contains("csv-balances")
        );
    }
}
