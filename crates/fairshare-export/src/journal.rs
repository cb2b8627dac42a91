//! Plain-text accounting journals: Beancount, hledger and Ledger.
//!
//! One journal transaction per fairshare ledger transaction, in log order, carrying the
//! event's sequence number, idempotency key and chain hash as metadata. Amounts are printed
//! with exactly the asset's exponent, so the tools compute with the same integers fairshare
//! does: balances agree to the last minor unit.

use std::io::{BufWriter, Write};

use fairshare_core::{Date, State, Transaction, format_amount};

use crate::ExportResult;
use crate::index::EventIndex;
use crate::names::{BookNames, beancount_commodity, quoted_commodity};

/// What a journal export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalSummary {
    pub transactions: u64,
    pub accounts: usize,
    pub commodities: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Beancount,
    Hledger,
    Ledger,
}

/// Widest account column; longer names simply push their amount right.
const ACCOUNT_COLUMN_MAX: usize = 60;
/// Width the amounts are right-aligned to.
const AMOUNT_COLUMN: usize = 16;

/// Writes a Beancount file that `bean-check` accepts: `commodity` and `open` directives dated
/// on the first transaction's day, the transactions, and a `balance` assertion for every
/// account and asset on the day after the last one, so `bean-check` itself proves the
/// balances equal fairshare's. The assertions carry an explicit tolerance of zero (`~ 0`):
/// Beancount's default tolerance would let a balance one minor unit off pass.
pub fn write_beancount(
    state: &State,
    index: &EventIndex,
    out: &mut dyn Write,
) -> ExportResult<JournalSummary> {
    write_journal(Dialect::Beancount, state, index, out)
}

/// Writes an hledger journal (`hledger -f F check accounts commodities` passes).
pub fn write_hledger(
    state: &State,
    index: &EventIndex,
    out: &mut dyn Write,
) -> ExportResult<JournalSummary> {
    write_journal(Dialect::Hledger, state, index, out)
}

/// Writes a Ledger journal (`ledger -f F --pedantic balance` passes).
pub fn write_ledger(
    state: &State,
    index: &EventIndex,
    out: &mut dyn Write,
) -> ExportResult<JournalSummary> {
    write_journal(Dialect::Ledger, state, index, out)
}

fn write_journal(
    dialect: Dialect,
    state: &State,
    index: &EventIndex,
    out: &mut dyn Write,
) -> ExportResult<JournalSummary> {
    let names = BookNames::new(state)?;
    let transactions = state.ledger().transactions();
    let mut first: Option<Date> = None;
    let mut last: Option<Date> = None;
    for transaction in transactions {
        let date = index.require(transaction.seq)?.date;
        first = Some(first.map_or(date, |d| d.min(date)));
        last = Some(last.map_or(date, |d| d.max(date)));
    }
    // Dated directives need a day even when no transaction gives one.
    let first = first.or_else(|| index.get(1).map(|meta| meta.date));
    let width = names
        .accounts
        .values()
        .map(|a| a.journal.len())
        .max()
        .unwrap_or(0)
        .min(ACCOUNT_COLUMN_MAX);

    let mut out = BufWriter::new(out);
    let comment = if dialect == Dialect::Beancount {
        ";;"
    } else {
        ";"
    };
    writeln!(
        out,
        "{comment} fairshare book exported at event {}: {} transactions; balances equal the book's exactly",
        state.head(),
        transactions.len()
    )?;
    writeln!(
        out,
        "{comment} accounts: outside -> Equity:Outside, exchange -> Equity:Exchange, agents -> Assets:Fairshare:Agents, projects -> Assets:Fairshare:Projects, others -> Assets:Fairshare:Accounts"
    )?;
    match dialect {
        Dialect::Beancount => writeln!(out, "option \"title\" \"fairshare book\"")?,
        // Without it, hledger could read `1.000` (three decimals) as one thousand.
        Dialect::Hledger => writeln!(out, "decimal-mark .")?,
        // `--pedantic` wants every metadata tag declared.
        Dialect::Ledger => writeln!(out, "tag seq\ntag key\ntag hash")?,
    }
    writeln!(out)?;

    write_commodities(dialect, &names, first, &mut out)?;
    write_accounts(dialect, &names, first, &mut out)?;
    for transaction in transactions {
        write_transaction(dialect, &names, index, transaction, width, &mut out)?;
    }
    if dialect == Dialect::Beancount
        && let Some(last) = last
    {
        write_balance_assertions(state, &names, Date(last.0 + 1), width, &mut out)?;
    }
    out.flush()?;
    Ok(JournalSummary {
        transactions: transactions.len() as u64,
        accounts: names.accounts.len(),
        commodities: names.exponents.len(),
    })
}

/// A number showing an asset's precision: `1000.00` for exponent 2.
fn precision_sample(exponent: u32, dialect: Dialect) -> String {
    match (exponent, dialect) {
        // hledger needs the decimal mark to know `1000` is not a thousands-grouped number.
        (0, Dialect::Hledger) => "1000.".to_string(),
        (0, _) => "1000".to_string(),
        (e, _) => format!("1000.{}", "0".repeat(e as usize)),
    }
}

fn commodity(dialect: Dialect, asset: &str) -> String {
    match dialect {
        Dialect::Beancount => beancount_commodity(asset),
        Dialect::Hledger | Dialect::Ledger => quoted_commodity(asset),
    }
}

fn write_commodities(
    dialect: Dialect,
    names: &BookNames,
    first: Option<Date>,
    out: &mut dyn Write,
) -> ExportResult<()> {
    for (asset, exponent) in &names.exponents {
        let symbol = commodity(dialect, asset);
        let sample = precision_sample(*exponent, dialect);
        match dialect {
            Dialect::Beancount => {
                let Some(first) = first else { continue };
                writeln!(out, "{first} commodity {symbol}")?;
                writeln!(out, "  fairshare-asset: \"{asset}\"")?;
                writeln!(out, "  exponent: {exponent}")?;
            }
            Dialect::Hledger => writeln!(out, "commodity {sample} {symbol}")?,
            Dialect::Ledger => {
                writeln!(out, "commodity {symbol}")?;
                writeln!(out, "    format {sample} {symbol}")?;
            }
        }
    }
    writeln!(out)?;
    Ok(())
}

fn write_accounts(
    dialect: Dialect,
    names: &BookNames,
    first: Option<Date>,
    out: &mut dyn Write,
) -> ExportResult<()> {
    for account in names.accounts.values() {
        match dialect {
            Dialect::Beancount => {
                let Some(first) = first else { continue };
                writeln!(out, "{first} open {}", account.journal)?;
                writeln!(out, "  fairshare-account: \"{}\"", account.name)?;
                writeln!(out, "  fairshare-class: \"{}\"", account.class.as_str())?;
            }
            Dialect::Hledger => writeln!(
                out,
                "account {}  ; fairshare-account: {}, fairshare-class: {}",
                account.journal,
                account.name,
                account.class.as_str()
            )?,
            Dialect::Ledger => {
                writeln!(out, "account {}", account.journal)?;
                writeln!(
                    out,
                    "    note fairshare {} account {}",
                    account.class.as_str(),
                    account.name
                )?;
            }
        }
    }
    writeln!(out)?;
    Ok(())
}

fn write_transaction(
    dialect: Dialect,
    names: &BookNames,
    index: &EventIndex,
    transaction: &Transaction,
    width: usize,
    out: &mut dyn Write,
) -> ExportResult<()> {
    let meta = index.require(transaction.seq)?;
    let hash = meta.hash_hex();
    match dialect {
        Dialect::Beancount => {
            writeln!(
                out,
                "{} * \"{}\"",
                meta.date,
                beancount_string(&transaction.memo)
            )?;
            writeln!(out, "  seq: {}", transaction.seq)?;
            if let Some(key) = &meta.key {
                writeln!(out, "  key: \"{}\"", beancount_string(key))?;
            }
            writeln!(out, "  hash: \"{hash}\"")?;
        }
        Dialect::Hledger | Dialect::Ledger => {
            writeln!(out, "{} * {}", meta.date, description(&transaction.memo))?;
            writeln!(out, "    ; seq: {}", transaction.seq)?;
            if let Some(key) = &meta.key {
                writeln!(out, "    ; key: {}", one_line(key))?;
            }
            writeln!(out, "    ; hash: {hash}")?;
        }
    }
    let indent = if dialect == Dialect::Beancount {
        "  "
    } else {
        "    "
    };
    for posting in transaction.postings().iter() {
        let exponent = names.exponent(&posting.asset)?;
        writeln!(
            out,
            "{indent}{:<width$}  {:>AMOUNT_COLUMN$} {}",
            names.journal(&posting.account)?,
            format_amount(posting.amount, exponent),
            commodity(dialect, &posting.asset),
        )?;
    }
    writeln!(out)?;
    Ok(())
}

fn write_balance_assertions(
    state: &State,
    names: &BookNames,
    date: Date,
    width: usize,
    out: &mut dyn Write,
) -> ExportResult<()> {
    writeln!(
        out,
        ";; Every balance of the book at event {}, checked by bean-check.",
        state.head()
    )?;
    for (account, assets) in state.ledger().accounts() {
        let journal = names.journal(account)?;
        for (asset, amount) in assets {
            let exponent = names.exponent(asset)?;
            writeln!(
                out,
                "{date} balance {journal:<width$}  {:>AMOUNT_COLUMN$} ~ 0 {}",
                format_amount(*amount, exponent),
                beancount_commodity(asset)
            )?;
        }
    }
    Ok(())
}

/// A Beancount string body: `"` and `\` escaped, line breaks as spaces.
fn beancount_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text on one line, for comments and tags.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// An hledger/Ledger description: `;` would start a comment and `|` split payee from note,
/// and a leading `(` would read as a transaction code.
fn description(text: &str) -> String {
    let mut out: String = one_line(text)
        .chars()
        .map(|c| match c {
            ';' => ',',
            '|' => '/',
            c => c,
        })
        .collect();
    if out.starts_with('(') {
        out.replace_range(0..1, "[");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text() {
        assert_eq!(beancount_string("a \"b\" \\ c\nd"), "a \\\"b\\\" \\\\ c d");
        assert_eq!(description("(x) a;b|c"), "[x) a,b/c");
        assert_eq!(precision_sample(2, Dialect::Ledger), "1000.00");
        assert_eq!(precision_sample(0, Dialect::Hledger), "1000.");
        assert_eq!(precision_sample(0, Dialect::Ledger), "1000");
    }
}
