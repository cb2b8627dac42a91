//! Timesheet imports (docs/EXPORTS.md): a Toggl or Clockify detailed report, or any CSV with
//! a column mapping, logged as work, all or nothing. The request carries the file's text and
//! the options; the plan is checked against the state before anything is written, then every
//! row runs in one batch, each under its own key derived from the row (`fairshare_export`'s
//! `ts:` keys), so importing the same file again logs nothing twice.

use std::collections::BTreeMap;

use fairshare_book::{Book, BookError, Executed, Request};
use fairshare_core::{
    Command, Ctx, Date, DomainError, ErrorKind, Outcome, State, Value, format_amount, parse_amount,
    payload_hash,
};
use fairshare_export::{
    ColumnMap, DateOrder, HOURS_DECIMALS, ImportCheck, ImportOptions, Layout, plan_import,
    to_requests,
};
use serde::{Deserialize, Serialize};

use crate::error::{OpError, OpResult};

/// Most bytes of an import's JSON request on the API: a timesheet of tens of thousands of
/// rows. The CLI on a local book reads files up to `fairshare_export::TIMESHEET_BYTES_MAX`.
pub const TIMESHEET_REQUEST_BYTES_MAX: usize = 8 << 20;

/// Which program wrote the timesheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum LayoutName {
    /// Toggl Track's detailed report (CSV).
    Toggl,
    /// Clockify's detailed report (CSV).
    Clockify,
    /// Any CSV with a header row: date, person, project, hours, category, note (`columns`).
    Csv,
}

impl LayoutName {
    pub fn as_str(self) -> &'static str {
        match self {
            LayoutName::Toggl => "toggl",
            LayoutName::Clockify => "clockify",
            LayoutName::Csv => "csv",
        }
    }
}

/// How the dates are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum DateOrderName {
    /// 2026-03-25.
    Ymd,
    /// 03/25/2026.
    Mdy,
    /// 25/03/2026 or 25.03.2026.
    Dmy,
}

/// Logs a timesheet's rows as work, all or nothing: the first bad row or refused row stops
/// the import with its line, and nothing is written. Each row's idempotency key is derived
/// from the row, so a retry, or the same file imported again, logs nothing twice.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportTimesheet {
    /// The timesheet, CSV text.
    pub csv: String,
    pub layout: LayoutName,
    /// `csv` layout: which header holds what, e.g.
    /// `date=Day,person=Who,project=Job,hours=Time,category=Kind,note=What` (`category=` or
    /// `note=` with no header: the file has no such column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<String>,
    /// Mappings `person:NAME=HANDLE`, `project:NAME=SLUG` or `category:NAME=CATEGORY`; they win
    /// over `map_lines`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub map: Vec<String>,
    /// A file of mappings: one per line, `#` starts a comment line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_lines: Option<String>,
    /// The project of rows that have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The category of rows with no task, tag or category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// How dates are written [default: ymd; mdy for clockify].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_order: Option<DateOrderName>,
    /// List what would be logged and write nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// The file's name, for the answer [default: `timesheet`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

operation!(ImportTimesheet => TimesheetOut, Post "/api/v1/timesheets", "contributions",
    "Logs a Toggl, Clockify or any CSV timesheet as work, all or nothing");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimesheetOut {
    pub file: String,
    pub layout: String,
    pub actor: String,
    pub dry_run: bool,
    /// Rows read (blank lines are not rows).
    pub rows: usize,
    /// Rows logged now (a dry run: rows that would be).
    pub imported: usize,
    /// Rows logged by an earlier import of the same rows.
    pub already_there: usize,
    /// Events in the book after the import.
    pub head: u64,
    pub entries: Vec<TimesheetEntry>,
    /// Per project and agent.
    pub totals: Vec<TimesheetTotal>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimesheetEntry {
    /// The contribution (null for a row a dry run would log).
    pub contribution: Option<u64>,
    pub already_there: bool,
    pub date: String,
    pub project: String,
    pub agent: String,
    pub category: String,
    pub hours: String,
    pub value: String,
    pub currency: String,
    pub note: Option<String>,
    pub key: String,
    #[serde(skip)]
    value_exact: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimesheetTotal {
    pub project: String,
    pub agent: String,
    pub rows: usize,
    pub hours: String,
    pub value: String,
    pub currency: String,
}

/// A timesheet's rows, checked against the state: `(key, command)` in file order.
pub struct Planned {
    rows: Vec<(String, Command)>,
}

fn refused(field: &'static str, message: String) -> OpError {
    DomainError::invalid(message).field(field).into()
}

impl ImportTimesheet {
    /// The import's options, each refusal naming its request field.
    pub fn options(&self) -> OpResult<ImportOptions> {
        if self.columns.is_some() && self.layout != LayoutName::Csv {
            return Err(refused(
                "columns",
                "columns are for the csv layout: the toggl and clockify layouts know their columns"
                    .into(),
            ));
        }
        let layout = match self.layout {
            LayoutName::Toggl => Layout::Toggl,
            LayoutName::Clockify => Layout::Clockify,
            LayoutName::Csv => {
                let mut columns = match &self.columns {
                    Some(spec) => ColumnMap::parse(spec)
                        .map_err(|e| refused("columns", format!("columns: {e}")))?,
                    None => ColumnMap::default(),
                };
                // `category=` or `note=`: the file has no such column.
                columns.category = columns.category.filter(|c| !c.is_empty());
                columns.note = columns.note.filter(|c| !c.is_empty());
                Layout::Generic(columns)
            }
        };
        let mut options = ImportOptions::new(layout);
        if let Some(lines) = &self.map_lines {
            options
                .add_mapping_lines(lines)
                .map_err(|e| refused("map_lines", format!("mappings: {e}")))?;
        }
        for spec in &self.map {
            options
                .add_mapping(spec)
                .map_err(|e| refused("map", format!("map: {e}")))?;
        }
        options.default_project = self.project.clone();
        options.default_category = self.category.clone();
        options.date_order = self.date_order.map(|order| match order {
            DateOrderName::Ymd => DateOrder::Iso,
            DateOrderName::Mdy => DateOrder::MonthFirst,
            DateOrderName::Dmy => DateOrder::DayFirst,
        });
        Ok(options)
    }

    /// Reads and checks every row against `state` as `actor` would log it `today`. A refusal
    /// is the book's own for a row the book refuses (forbidden for another's hours, not found
    /// for an unknown agent, conflict for a changed mapping), invalid for a bad row.
    pub fn plan(&self, state: &State, actor: &str, today: Date) -> OpResult<Planned> {
        let options = self.options()?;
        let check = ImportCheck {
            state,
            actor,
            today,
        };
        match plan_import(&self.csv, &options, Some(&check)) {
            Ok(rows) => Ok(Planned { rows }),
            Err(error) => {
                let kind = refusal_kind(state, actor, today, &self.csv, &options);
                Err(DomainError::new(kind, error.to_string()).into())
            }
        }
    }

    fn report(&self, actor: &str, rows: usize, head: u64) -> TimesheetOut {
        TimesheetOut {
            file: self.file.clone().unwrap_or_else(|| "timesheet".to_string()),
            layout: self.layout.as_str().to_string(),
            actor: actor.to_string(),
            dry_run: self.dry_run,
            rows,
            imported: 0,
            already_there: 0,
            head,
            entries: Vec::with_capacity(rows),
            totals: Vec::new(),
        }
    }

    /// What a dry run answers: each planned row, new or already there, and nothing written.
    pub fn dry_run_view(
        &self,
        state: &State,
        actor: &str,
        today: Date,
        planned: &Planned,
    ) -> OpResult<TimesheetOut> {
        let mut out = self.report(actor, planned.rows.len(), state.head());
        for (key, command) in &planned.rows {
            let (contribution, value) = match decide_row(state, actor, today, key, command)? {
                Decided::There(id) => (Some(id), state.contribution(id)?.value),
                Decided::New(value) => (None, value),
            };
            let there = contribution.is_some();
            out.push(state, key, command, contribution, there, value)?;
        }
        out.finish(state)?;
        Ok(out)
    }

    /// The view of the rows written by `requests`, from their results and the state after.
    pub fn written_view(
        &self,
        state: &State,
        actor: &str,
        requests: &[Request],
        results: Vec<Result<Executed, BookError>>,
    ) -> OpResult<TimesheetOut> {
        let executed = batch_results(results)?;
        let mut out = self.report(actor, requests.len(), state.head());
        for (request, executed) in requests.iter().zip(&executed) {
            let Outcome::Logged { id, .. } = executed.outcome else {
                return Err(crate::error::unexpected(executed));
            };
            let value = state.contribution(id)?.value;
            let key = request.key.as_deref().unwrap_or_default();
            out.push(
                state,
                key,
                &request.command,
                Some(id),
                executed.replayed,
                value,
            )?;
        }
        out.finish(state)?;
        Ok(out)
    }

    /// Runs the whole import on a book this process opened, recorded at `recorded_at`.
    pub fn run(&self, book: &mut Book, actor: &str, recorded_at: &str) -> OpResult<TimesheetOut> {
        let today = Date::parse(recorded_at)?;
        let planned = self.plan(book.state(), actor, today)?;
        if self.dry_run {
            return self.dry_run_view(book.state(), actor, today, &planned);
        }
        let requests = planned.requests(actor, recorded_at);
        drop(planned);
        let results = book.execute_batch(&requests);
        self.written_view(book.state(), actor, &requests, results)
    }
}

impl Planned {
    /// The batch that logs every row, each under its key.
    pub fn requests(&self, actor: &str, recorded_at: &str) -> Vec<Request> {
        to_requests(&self.rows, actor, recorded_at)
    }
}

/// What the book says of a planned row before it runs.
enum Decided {
    /// Imported before with this key: the contribution it logged.
    There(u64),
    /// New: the value it would be logged at.
    New(Value),
}

/// Decides one row against the book as `Book::execute` would, without running it.
fn decide_row(
    state: &State,
    actor: &str,
    today: Date,
    key: &str,
    command: &Command,
) -> Result<Decided, DomainError> {
    let payload = payload_hash(actor, command);
    if let Some(record) = state.key_record(key) {
        return match &record.outcome {
            Outcome::Logged { id, .. } if record.payload_hash == payload => Ok(Decided::There(*id)),
            _ => Err(DomainError::conflict(format!(
                "this row was imported before (event {}) as a different contribution",
                record.seq
            ))),
        };
    }
    let ctx = Ctx {
        key: Some(key.to_string()),
        payload_hash: payload,
        ..Ctx::new(state.head() + 1, actor, today)
    };
    match state.decide(&ctx, command)? {
        Outcome::Logged { value, .. } => Ok(Decided::New(value)),
        other => Err(DomainError::corrupt(format!(
            "a work log decided as {other:?}"
        ))),
    }
}

/// The kind of a refused plan: the book's own refusal of the first row it refuses, or invalid
/// for a bad row.
fn refusal_kind(
    state: &State,
    actor: &str,
    today: Date,
    text: &str,
    options: &ImportOptions,
) -> ErrorKind {
    let Ok(unchecked) = plan_import(text, options, None) else {
        return ErrorKind::Invalid;
    };
    for (key, command) in &unchecked {
        if let Err(error) = decide_row(state, actor, today, key, command) {
            return error.kind();
        }
    }
    ErrorKind::Invalid
}

/// Every row's result, or the first failure. A storage failure fails the whole batch and
/// writes nothing. A row refused although its plan passed (only another writer changing the
/// book between the plan and the batch does that) is refused alone: the message says how many
/// other rows were logged, which a second import finds already there.
fn batch_results(results: Vec<Result<Executed, BookError>>) -> OpResult<Vec<Executed>> {
    let logged = results
        .iter()
        .filter(|result| result.as_ref().is_ok_and(|e| !e.replayed))
        .count();
    let mut executed = Vec::with_capacity(results.len());
    for (row, result) in results.into_iter().enumerate() {
        match result {
            Ok(done) => executed.push(done),
            Err(error @ BookError::Store(_)) if logged == 0 => return Err(error.into()),
            Err(error) => {
                return Err(DomainError::conflict(format!(
                    "row {} of the timesheet was refused when written, though it passed the \
                     check (did the book change meanwhile?): {error}; {logged} other rows were \
                     logged: import the file again once the row is fixed, they will not be \
                     logged twice",
                    row + 1
                ))
                .into());
            }
        }
    }
    Ok(executed)
}

impl TimesheetOut {
    /// Adds a row; `already_there` when an earlier import logged it.
    fn push(
        &mut self,
        state: &State,
        key: &str,
        command: &Command,
        contribution: Option<u64>,
        already_there: bool,
        value: Value,
    ) -> OpResult<()> {
        let Command::Log {
            project,
            agent,
            category,
            hours,
            date,
            note,
            ..
        } = command
        else {
            return Err(
                DomainError::corrupt(format!("a timesheet row planned {}", command.op())).into(),
            );
        };
        if already_there {
            self.already_there += 1;
        } else {
            self.imported += 1;
        }
        let p = state.project(project)?;
        self.entries.push(TimesheetEntry {
            contribution,
            already_there,
            date: date.map(|d| d.to_string()).unwrap_or_default(),
            project: project.clone(),
            agent: agent.clone(),
            category: category.clone().unwrap_or_default(),
            hours: hours.clone().unwrap_or_default(),
            value: value.display(p.exponent),
            currency: p.currency.clone(),
            note: note.clone(),
            key: key.to_string(),
            value_exact: value,
        });
        Ok(())
    }

    /// Sums hours and values per project and agent.
    fn finish(&mut self, state: &State) -> OpResult<()> {
        let mut sums: BTreeMap<(&str, &str), (usize, i128, i128)> = BTreeMap::new();
        for entry in &self.entries {
            let sum = sums
                .entry((&entry.project, &entry.agent))
                .or_insert((0, 0, 0));
            sum.0 += 1;
            sum.1 += parse_amount(&entry.hours, HOURS_DECIMALS)?;
            sum.2 = sum.2.saturating_add(entry.value_exact.0);
        }
        self.totals = sums
            .into_iter()
            .map(|((project, agent), (rows, hours, value))| {
                let p = state.project(project)?;
                Ok(TimesheetTotal {
                    project: project.to_string(),
                    agent: agent.to_string(),
                    rows,
                    hours: trim_decimal(&format_amount(hours, HOURS_DECIMALS)),
                    value: Value(value).display(p.exponent),
                    currency: p.currency.clone(),
                })
            })
            .collect::<OpResult<_>>()?;
        Ok(())
    }
}

/// `19.500000` -> `19.5`, `3.000000` -> `3`.
fn trim_decimal(text: &str) -> String {
    if !text.contains('.') {
        return text.to_string();
    }
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}
