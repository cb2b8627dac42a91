//! Exports to other tools and timesheet imports (docs/EXPORTS.md): `export --format ...`, from
//! the event log (JSON lines, CSV) or from the replayed book (Beancount, hledger, Ledger, CSV
//! tables, ValueFlows JSON-LD), and `import-timesheet` (Toggl, Clockify or any CSV, as work
//! logs, all or nothing). The clap types, the run functions and what each prints.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Read, Write};

use anyhow::Result;
use clap::builder::TypedValueParser;
use clap::{Args, ValueEnum};
use fairshare_book::Book;
use fairshare_export::{
    EventIndex, Format, Source, TIMESHEET_BYTES_MAX, ValueFlowsOptions, Written,
};
use fairshare_ops::timesheets::{DateOrderName, ImportTimesheet, LayoutName, TimesheetOut};
use serde::Serialize;

use crate::commands::Nothing;
use crate::error::{CliError, ErrorKind};
use crate::invocation::{Access, Invocation, now, open_store};
use crate::render::{Output, Table, Text};

// ---------------------------------------------------------------------------------------------
// Arguments

/// `--format`: one of the export crate's formats, each with its help.
fn format_parser() -> impl TypedValueParser<Value = Format> {
    let names = Format::ALL.map(|f| clap::builder::PossibleValue::new(f.name()).help(f.about()));
    clap::builder::PossibleValuesParser::new(names).try_map(|name| name.parse::<Format>())
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long, value_parser = format_parser(), default_value = "jsonl")]
    pub format: Format,
    /// Write here instead of stdout
    #[arg(long, value_name = "FILE")]
    pub output: Option<String>,
    /// ValueFlows: IRI prefix of every node [default: urn:fairshare:]
    #[arg(long, value_name = "URI")]
    pub base: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LayoutArg {
    /// Toggl Track's detailed report (CSV)
    Toggl,
    /// Clockify's detailed report (CSV)
    Clockify,
    /// Any CSV with a header row: date, person, project, hours, category, note (see --columns)
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DateOrderArg {
    /// 2026-03-25
    Ymd,
    /// 03/25/2026
    Mdy,
    /// 25/03/2026 or 25.03.2026
    Dmy,
}

#[derive(Debug, Args)]
pub struct TimesheetArgs {
    /// The timesheet CSV (`-` reads stdin)
    pub file: String,
    /// Which program wrote the file
    #[arg(long, value_enum)]
    pub layout: LayoutArg,
    /// --layout csv: which header holds what, e.g. date=Day,person=Who,project=Job,hours=Time,category=Kind,note=What
    /// (`category=` or `note=` with no header: the file has no such column)
    #[arg(long, value_name = "SPEC")]
    pub columns: Option<String>,
    /// One mapping, person:NAME=HANDLE, project:NAME=SLUG or category:NAME=CATEGORY (repeatable;
    /// wins over --map-file)
    #[arg(long = "map", value_name = "SPEC")]
    pub map: Vec<String>,
    /// A file of mappings, one --map SPEC per line (`#` starts a comment line)
    #[arg(long, value_name = "FILE")]
    pub map_file: Option<String>,
    /// The project of rows that have none
    #[arg(long, value_name = "P")]
    pub project: Option<String>,
    /// The category of rows with no task, tag or category
    #[arg(long, value_name = "C")]
    pub category: Option<String>,
    /// How dates are written [default: ymd; mdy for clockify]
    #[arg(long, value_enum)]
    pub date_order: Option<DateOrderArg>,
    /// List what would be logged and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

// ---------------------------------------------------------------------------------------------
// export

/// Remembers whether stdout was closed early (`fairshare export | head`), which is not a
/// failure of the export.
struct PipeWriter<W: Write> {
    inner: W,
    closed: bool,
}

impl<W: Write> Write for PipeWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| {
            self.closed |= e.kind() == std::io::ErrorKind::BrokenPipe;
        })
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().inspect_err(|e| {
            self.closed |= e.kind() == std::io::ErrorKind::BrokenPipe;
        })
    }
}

pub fn export(s: &Invocation, args: ExportArgs) -> Result<Box<dyn Output>> {
    if let Some(remote) = &s.remote {
        return remote_export(remote, &args);
    }
    let format = args.format;
    let options = match (&args.base, format) {
        (None, _) => ValueFlowsOptions::default(),
        (Some(base), Format::Valueflows) => ValueFlowsOptions {
            base: check_base(base)?,
            ..ValueFlowsOptions::default()
        },
        (Some(_), _) => {
            return Err(CliError::invalid("--base is for --format valueflows only").into());
        }
    };
    let store = open_store(s.book_url(), Access::ReadOnly)?;
    let mut source = if format.reads_the_log() {
        Source::Log(store)
    } else {
        let mut book = Book::open(store)?;
        let index = EventIndex::from_store(book.store_mut())?;
        Source::Book(Box::new(book.into_state()), index)
    };
    let mut write =
        |out: &mut dyn Write| -> Result<Written> { Ok(source.write(format, &options, out)?) };
    match args.output {
        None => {
            let mut out = PipeWriter {
                inner: BufWriter::new(std::io::stdout().lock()),
                closed: false,
            };
            let result = write(&mut out).and_then(|_| Ok(out.flush()?));
            match result {
                Err(_) if out.closed => Ok(Box::new(Nothing)),
                Err(error) => Err(error),
                Ok(()) => Ok(Box::new(Nothing)),
            }
        }
        Some(path) => {
            refuse_the_book(s.book_url(), &path)?;
            let file = File::create(&path)
                .map_err(|e| CliError::storage(format!("cannot create {path}: {e}")))?;
            let mut out = BufWriter::new(file);
            let result = write(&mut out).and_then(|written| {
                out.flush()
                    .map_err(|e| CliError::storage(format!("cannot write {path}: {e}")))?;
                Ok(written)
            });
            let written = match result {
                Ok(written) => written,
                Err(error) => {
                    // A half-written file is not an export.
                    drop(out);
                    let _ = std::fs::remove_file(&path);
                    return Err(error);
                }
            };
            Ok(Box::new(ExportOut {
                events: written.events,
                format: format.name().to_string(),
                output: path,
                transactions: written.transactions,
                accounts: written.accounts,
                commodities: written.commodities,
                rows: written.rows,
                nodes: written.nodes,
            }))
        }
    }
}

/// The export of the server's book (`GET /api/v1/export`), streamed to stdout as it comes.
fn remote_export(remote: &crate::remote::Remote, args: &ExportArgs) -> Result<Box<dyn Output>> {
    if args.output.is_some() || args.base.is_some() {
        return Err(CliError::new(
            ErrorKind::LocalOnly,
            "export --output and --base work only on a local book: through a server the export \
             goes to stdout (redirect it: `> FILE`) with the default ValueFlows base",
        )
        .into());
    }
    let query = [("format", args.format.name().to_string())];
    let mut response = remote.get(&["api", "v1", "export"], &query)?;
    let mut out = PipeWriter {
        inner: BufWriter::new(std::io::stdout().lock()),
        closed: false,
    };
    let copied = response
        .copy_to(&mut out)
        .map_err(anyhow::Error::from)
        .and_then(|_| Ok(out.flush()?));
    match copied {
        Err(_) if out.closed => Ok(Box::new(Nothing)),
        Err(error) => Err(CliError::storage(format!("the export broke off: {error}")).into()),
        Ok(()) => Ok(Box::new(Nothing)),
    }
}

/// `--output` naming the book (or its WAL files) would truncate it.
fn refuse_the_book(book: &str, output: &str) -> Result<()> {
    let Ok(book) = std::fs::canonicalize(book) else {
        return Ok(()); // a postgres:// URL
    };
    let Ok(output) = std::fs::canonicalize(output) else {
        return Ok(()); // a new file
    };
    let book = book.to_string_lossy();
    if ["", "-wal", "-shm"]
        .iter()
        .any(|suffix| output.to_string_lossy() == format!("{book}{suffix}"))
    {
        return Err(CliError::invalid(format!(
            "--output {} is the book itself: write the export to another file",
            output.display()
        ))
        .into());
    }
    Ok(())
}

/// A ValueFlows base must make absolute IRIs: a scheme, a `:`, and no spaces or characters
/// IRIs exclude.
fn check_base(base: &str) -> Result<String> {
    let scheme = base.split_once(':').map(|(scheme, _)| scheme).unwrap_or("");
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let chars_ok = !base
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "<>\"{}|\\^`".contains(c));
    if !scheme_ok || !chars_ok {
        return Err(CliError::invalid(format!(
            "--base {base:?} is not an absolute IRI: use one such as https://example.org/network/ or urn:example:"
        ))
        .into());
    }
    Ok(base.to_string())
}

#[derive(Serialize)]
pub struct ExportOut {
    pub events: u64,
    pub format: String,
    pub output: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transactions: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accounts: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commodities: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<u64>,
}

impl Text for ExportOut {
    fn to_text(&self) -> String {
        let mut parts = Vec::new();
        let mut count = |n: Option<u64>, one: &str, many: &str| {
            if let Some(n) = n {
                parts.push(format!("{n} {}", if n == 1 { one } else { many }));
            }
        };
        count(self.transactions, "transaction", "transactions");
        count(self.accounts.map(|n| n as u64), "account", "accounts");
        count(
            self.commodities.map(|n| n as u64),
            "commodity",
            "commodities",
        );
        count(self.rows, "row", "rows");
        count(self.nodes, "node", "nodes");
        let detail = if parts.is_empty() {
            String::new()
        } else {
            format!(": {}", parts.join(", "))
        };
        format!(
            "exported {} events as {} to {}{detail}\n",
            self.events, self.format, self.output
        )
    }
}

// ---------------------------------------------------------------------------------------------
// import-timesheet

pub fn import_timesheet(s: &Invocation, args: TimesheetArgs) -> Result<Box<dyn Output>> {
    if s.global.key.is_some() {
        return Err(CliError::invalid(
            "import-timesheet gives each row its own key, derived from the row: --key is not used",
        )
        .into());
    }
    let progress = Progress::new();
    progress.set_message(format!("reading {}", args.file));
    let map_lines = match &args.map_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| CliError::input(format!("cannot read mapping file {path}: {e}")))?,
        ),
        None => None,
    };
    let request = ImportTimesheet {
        csv: read_timesheet(&args.file)?,
        layout: match args.layout {
            LayoutArg::Toggl => LayoutName::Toggl,
            LayoutArg::Clockify => LayoutName::Clockify,
            LayoutArg::Csv => LayoutName::Csv,
        },
        columns: args.columns,
        map: args.map,
        map_lines,
        project: args.project,
        category: args.category,
        date_order: args.date_order.map(|order| match order {
            DateOrderArg::Ymd => DateOrderName::Ymd,
            DateOrderArg::Mdy => DateOrderName::Mdy,
            DateOrderArg::Dmy => DateOrderName::Dmy,
        }),
        dry_run: args.dry_run,
        file: Some(args.file),
    };
    // Each row carries its own key: the request as a whole has none.
    if let Some(remote) = &s.remote {
        progress.set_message(format!("sending {} to the server", args_file(&request)));
        return Ok(Box::new(remote.write(&request, None)?));
    }
    progress.set_message(format!("opening {}", s.book_url()));
    let mut book = s.open_book()?;
    progress.set_message(format!("importing {}", args_file(&request)));
    Ok(Box::new(request.run(&mut book, s.actor(), &now()?)?))
}

fn args_file(request: &ImportTimesheet) -> &str {
    request.file.as_deref().unwrap_or_default()
}

/// The whole file (or stdin), at most [`TIMESHEET_BYTES_MAX`] bytes of UTF-8.
fn read_timesheet(path: &str) -> Result<String> {
    let cannot = |e: std::io::Error| CliError::input(format!("cannot read timesheet {path}: {e}"));
    let mut bytes = Vec::new();
    let limit = TIMESHEET_BYTES_MAX as u64 + 1;
    if path == "-" {
        std::io::stdin().lock().take(limit).read_to_end(&mut bytes)
    } else {
        File::open(path)
            .map_err(cannot)?
            .take(limit)
            .read_to_end(&mut bytes)
    }
    .map_err(cannot)?;
    if bytes.len() > TIMESHEET_BYTES_MAX {
        return Err(CliError::input(format!(
            "timesheet {path} is larger than {} MiB: split it",
            TIMESHEET_BYTES_MAX >> 20
        ))
        .into());
    }
    String::from_utf8(bytes).map_err(|_| {
        CliError::input(format!(
            "timesheet {path} is not UTF-8 text: export it again as UTF-8"
        ))
        .into()
    })
}

/// A spinner with the phase on stderr when it is a terminal, hidden otherwise; cleared when
/// dropped, so neither the report nor an error is printed after it.
struct Progress(indicatif::ProgressBar);

impl Progress {
    fn new() -> Progress {
        Progress(if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        } else {
            indicatif::ProgressBar::hidden()
        })
    }

    fn set_message(&self, message: String) {
        self.0.set_message(message);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

impl Text for TimesheetOut {
    fn to_text(&self) -> String {
        let mut out = String::new();
        if self.dry_run {
            let _ = writeln!(
                out,
                "dry run: {} rows of {}: would import {}, already there {}; nothing written",
                self.rows, self.file, self.imported, self.already_there
            );
            let mut table = Table::new(&[
                "date", "project", "agent", "category", "hours", "value", "", "status", "note",
            ])
            .right(&[4, 5]);
            for e in &self.entries {
                table.row(vec![
                    e.date.clone(),
                    e.project.clone(),
                    e.agent.clone(),
                    e.category.clone(),
                    e.hours.clone(),
                    e.value.clone(),
                    e.currency.clone(),
                    match e.contribution {
                        Some(id) if e.already_there => format!("already there ({id})"),
                        _ => "new".to_string(),
                    },
                    e.note.clone().unwrap_or_default(),
                ]);
            }
            out.push_str(&table.render("  "));
        } else {
            let _ = writeln!(
                out,
                "imported {}, already there {} ({} rows of {}, as {})",
                self.imported, self.already_there, self.rows, self.file, self.actor
            );
        }
        if !self.totals.is_empty() {
            out.push_str("totals:\n");
            let mut table =
                Table::new(&["project", "agent", "rows", "hours", "value", ""]).right(&[2, 3, 4]);
            for t in &self.totals {
                table.row(vec![
                    t.project.clone(),
                    t.agent.clone(),
                    t.rows.to_string(),
                    t.hours.clone(),
                    t.value.clone(),
                    t.currency.clone(),
                ]);
            }
            out.push_str(&table.render("  "));
        }
        out
    }
}
