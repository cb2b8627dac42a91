//! Timesheet imports: Toggl Track and Clockify detailed CSV exports, or any CSV with a column
//! mapping, turned into `work` contributions.
//!
//! Each row becomes one `Log` command with an idempotency key `ts:<sha256>` of the row's
//! normalised source fields (date, start and end time, person, project, task, tags,
//! description, duration) and its occurrence number among identical rows. The key does not
//! depend on the mapping, so importing the same file twice records nothing new (same key,
//! same command: a replay), while importing it again under a changed mapping is refused at
//! the first changed row (same key, another command) instead of logging the hours twice.
//!
//! All or nothing: the first bad row stops the import with its line number, and nothing is
//! returned. With an [`ImportCheck`], each command is also decided against the book (agent,
//! project, category rate, the actor's right to log for that agent, the key's first use), so
//! a plan that passes is one `Book::execute_batch` will accept.

use std::collections::{BTreeMap, HashMap};

use fairshare_book::Request;
use fairshare_core::{Command, Ctx, Date, Kind, State, TEXT_LEN_MAX, payload_hash};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// Largest timesheet file read.
pub const TIMESHEET_BYTES_MAX: usize = 64 << 20;
/// Most rows in one import: they go into one batch, appended in one store transaction.
pub const TIMESHEET_ROWS_MAX: usize = 100_000;
/// Hours from a duration are rounded half-to-even at this many decimals (a second is
/// 0.000277… hours: no finite decimal holds it exactly): the most the core accepts.
pub use fairshare_core::HOURS_DECIMALS;
/// Prefix of every key this importer makes.
pub const KEY_PREFIX: &str = "ts:";

/// A bad row (or a bad file, at line 0 or 1), with what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {message}")]
pub struct ImportError {
    /// 1-based line of the file where the row starts.
    pub line: u64,
    pub message: String,
}

fn error(line: u64, message: impl Into<String>) -> ImportError {
    ImportError {
        line,
        message: message.into(),
    }
}

/// How day, month and year are written in the date column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// `2024-03-25` (also accepted whatever the order is set to).
    Iso,
    /// `03/25/2024`: Clockify's default.
    MonthFirst,
    /// `25/03/2024` or `25.03.2024`.
    DayFirst,
}

impl std::str::FromStr for DateOrder {
    type Err = String;
    fn from_str(text: &str) -> Result<DateOrder, String> {
        match text {
            "ymd" | "iso" => Ok(DateOrder::Iso),
            "mdy" => Ok(DateOrder::MonthFirst),
            "dmy" => Ok(DateOrder::DayFirst),
            _ => Err(format!(
                "unknown date order {text:?}: expected ymd, mdy or dmy"
            )),
        }
    }
}

/// Which columns of a generic CSV hold what (header names, matched case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    pub date: String,
    /// A name or an e-mail address.
    pub person: String,
    pub project: String,
    /// Decimal hours (`1.5`) or a duration (`1:30`, `01:30:00`).
    pub hours: String,
    pub category: Option<String>,
    pub note: Option<String>,
}

impl Default for ColumnMap {
    fn default() -> Self {
        ColumnMap {
            date: "date".into(),
            person: "person".into(),
            project: "project".into(),
            hours: "hours".into(),
            category: Some("category".into()),
            note: Some("note".into()),
        }
    }
}

impl ColumnMap {
    /// Parses `date=Day,person=Who,project=Job,hours=Time,category=Kind,note=What`; fields not
    /// named keep their default header (`date`, `person`, ...).
    pub fn parse(spec: &str) -> Result<ColumnMap, String> {
        let mut map = ColumnMap::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, column) = part
                .split_once('=')
                .ok_or_else(|| format!("expected FIELD=COLUMN, got {part:?}"))?;
            let column = column.trim().to_string();
            match field.trim() {
                "date" => map.date = column,
                "person" => map.person = column,
                "project" => map.project = column,
                "hours" => map.hours = column,
                "category" => map.category = Some(column),
                "note" => map.note = Some(column),
                other => {
                    return Err(format!(
                        "unknown field {other:?}: expected date, person, project, hours, category or note"
                    ));
                }
            }
        }
        Ok(map)
    }
}

/// The layout of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// Toggl Track's detailed report: `User,Email,Client,Project,Task,Description,Billable,
    /// Start date,Start time,End date,End time,Duration,Tags,...`, durations `HH:MM:SS`.
    Toggl,
    /// Clockify's detailed report: `Project,Client,Description,Task,User,Group,Email,Tags,
    /// Billable,Start Date,Start Time,End Date,End Time,Duration (h),Duration (decimal),...`.
    Clockify,
    /// Any CSV with a header row, read through a column mapping.
    Generic(ColumnMap),
}

impl Layout {
    /// `toggl`, `clockify` or `csv` (the generic layout with default column names).
    pub fn parse(name: &str) -> Result<Layout, String> {
        match name {
            "toggl" => Ok(Layout::Toggl),
            "clockify" => Ok(Layout::Clockify),
            "csv" => Ok(Layout::Generic(ColumnMap::default())),
            _ => Err(format!(
                "unknown layout {name:?}: expected toggl, clockify or csv"
            )),
        }
    }
}

/// How rows become commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    pub layout: Layout,
    /// Person (lower-cased e-mail or name) -> agent handle. Default: the e-mail's local part,
    /// else the name, made into a handle (`Marie Curie` -> `marie-curie`).
    pub people: BTreeMap<String, String>,
    /// Project name (lower-cased) -> project slug. Default: the name made into a slug.
    pub projects: BTreeMap<String, String>,
    /// Task or tag (lower-cased) -> work category. Default: made into a name.
    pub categories: BTreeMap<String, String>,
    /// For rows with no project.
    pub default_project: Option<String>,
    /// For rows with no task, tag or category.
    pub default_category: Option<String>,
    /// Default: ISO for Toggl and generic files, month first for Clockify.
    pub date_order: Option<DateOrder>,
}

impl ImportOptions {
    pub fn new(layout: Layout) -> ImportOptions {
        ImportOptions {
            layout,
            people: BTreeMap::new(),
            projects: BTreeMap::new(),
            categories: BTreeMap::new(),
            default_project: None,
            default_category: None,
            date_order: None,
        }
    }

    /// Adds one mapping written `person:Marie Curie=marie`, `project:Parks Canada=forillon`
    /// or `category:Drafting=design` (what `--map` passes).
    pub fn add_mapping(&mut self, spec: &str) -> Result<(), String> {
        let (kind, rest) = spec
            .split_once(':')
            .ok_or_else(|| format!("expected person:, project: or category:, got {spec:?}"))?;
        let (from, to) = rest
            .rsplit_once('=')
            .ok_or_else(|| format!("expected {kind}:FROM=TO, got {spec:?}"))?;
        let (from, to) = (normalise(from).to_lowercase(), to.trim().to_string());
        if from.is_empty() || to.is_empty() {
            return Err(format!("empty side in mapping {spec:?}"));
        }
        let map = match kind.trim() {
            "person" => &mut self.people,
            "project" => &mut self.projects,
            "category" => &mut self.categories,
            other => {
                return Err(format!(
                    "unknown mapping {other:?}: expected person, project or category"
                ));
            }
        };
        map.insert(from, to);
        Ok(())
    }

    /// Adds the mappings of a file, one [`add_mapping`](Self::add_mapping) spec per line;
    /// blank lines and lines starting with `#` are skipped.
    pub fn add_mapping_lines(&mut self, text: &str) -> Result<(), String> {
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            self.add_mapping(line)
                .map_err(|e| format!("mapping line {}: {e}", number + 1))?;
        }
        Ok(())
    }
}

/// What to check each command against: the book it is for, who will run it and when.
pub struct ImportCheck<'a> {
    pub state: &'a State,
    pub actor: &'a str,
    /// The day the import is recorded (what `Book::execute` will be given).
    pub today: Date,
}

/// Reads a timesheet into `(idempotency key, command)` pairs in file order, or the first bad
/// row. Nothing is written anywhere.
pub fn plan_import(
    input: &str,
    options: &ImportOptions,
    check: Option<&ImportCheck<'_>>,
) -> Result<Vec<(String, Command)>, ImportError> {
    if input.len() > TIMESHEET_BYTES_MAX {
        return Err(error(
            0,
            format!("the file is larger than {TIMESHEET_BYTES_MAX} bytes"),
        ));
    }
    let records = read_csv(input)?;
    let Some((header_line, header)) = records.first() else {
        return Err(error(1, "the file is empty: expected a header row"));
    };
    if records.len() - 1 > TIMESHEET_ROWS_MAX {
        return Err(error(
            0,
            format!("more than {TIMESHEET_ROWS_MAX} rows: split the file"),
        ));
    }
    let columns = Columns::find(&options.layout, header).map_err(|m| error(*header_line, m))?;
    let date_order = options.date_order.unwrap_or(match options.layout {
        Layout::Clockify => DateOrder::MonthFirst,
        _ => DateOrder::Iso,
    });
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut planned = Vec::with_capacity(records.len() - 1);
    for (line, record) in &records[1..] {
        let line = *line;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let row = columns
            .row(record, date_order)
            .map_err(|m| error(line, m))?;
        let command = row.command(options).map_err(|m| error(line, m))?;
        let source = row.normalised();
        let occurrence = seen.entry(source.clone()).or_insert(0);
        *occurrence += 1;
        let key = row_key(&source, *occurrence);
        if let Some(check) = check {
            check_command(check, &key, &command).map_err(|m| error(line, m))?;
        }
        planned.push((key, command));
    }
    Ok(planned)
}

/// The batch that runs a plan: one request per row, for `Book::execute_batch`.
pub fn to_requests(planned: &[(String, Command)], actor: &str, recorded_at: &str) -> Vec<Request> {
    planned
        .iter()
        .map(|(key, command)| Request {
            actor: actor.to_string(),
            command: command.clone(),
            key: Some(key.clone()),
            recorded_at: recorded_at.to_string(),
        })
        .collect()
}

/// `ts:` and the hex SHA-256 of the normalised row and its occurrence number.
fn row_key(normalised: &str, occurrence: u32) -> String {
    let mut hasher = Sha256::new();
    hasher.update(normalised.as_bytes());
    hasher.update(format!("\u{1f}#{occurrence}").as_bytes());
    format!("{KEY_PREFIX}{}", hex::encode(hasher.finalize()))
}

fn check_command(check: &ImportCheck<'_>, key: &str, command: &Command) -> Result<(), String> {
    let payload = payload_hash(check.actor, command);
    if let Some(record) = check.state.key_record(key) {
        if record.payload_hash != payload {
            return Err(format!(
                "this row was imported before (event {}) as a different contribution: was the mapping changed?",
                record.seq
            ));
        }
        // Same key, same command: a replay, which the book answers with the first result.
        return Ok(());
    }
    let ctx = Ctx {
        key: Some(key.to_string()),
        payload_hash: payload,
        ..Ctx::new(check.state.head() + 1, check.actor, check.today)
    };
    check
        .state
        .decide(&ctx, command)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Where each field is in a layout's rows.
struct Columns {
    date: usize,
    start: Option<usize>,
    end: Option<usize>,
    user: Option<usize>,
    email: Option<usize>,
    project: usize,
    task: Option<usize>,
    tags: Option<usize>,
    note: Option<usize>,
    /// Hours as a duration or a decimal.
    duration: usize,
}

/// One row's fields, trimmed, with the date read and the hours worked out.
struct Row {
    date: Date,
    start: String,
    end: String,
    user: String,
    email: String,
    project: String,
    task: String,
    tags: String,
    note: String,
    hours: String,
}

impl Columns {
    fn find(layout: &Layout, header: &[String]) -> Result<Columns, String> {
        let names: Vec<String> = header.iter().map(|h| normalise(h).to_lowercase()).collect();
        let find = |aliases: &[&str]| -> Option<usize> {
            aliases
                .iter()
                .find_map(|alias| names.iter().position(|n| n == &alias.to_lowercase()))
        };
        let need = |what: &str, aliases: &[&str]| -> Result<usize, String> {
            find(aliases).ok_or_else(|| {
                format!(
                    "no {what} column: expected a header named {} (found: {})",
                    aliases.join(" or "),
                    header.join(", ")
                )
            })
        };
        let columns = match layout {
            Layout::Toggl => Columns {
                date: need("date", &["Start date"])?,
                start: find(&["Start time"]),
                end: find(&["End time"]),
                user: find(&["User", "Member"]),
                email: find(&["Email"]),
                project: need("project", &["Project"])?,
                task: find(&["Task"]),
                tags: find(&["Tags"]),
                note: find(&["Description"]),
                duration: need("duration", &["Duration"])?,
            },
            Layout::Clockify => Columns {
                date: need("date", &["Start Date"])?,
                start: find(&["Start Time"]),
                end: find(&["End Time"]),
                user: find(&["User"]),
                email: find(&["Email"]),
                project: need("project", &["Project"])?,
                task: find(&["Task"]),
                tags: find(&["Tags"]),
                note: find(&["Description"]),
                duration: need("duration", &["Duration (h)", "Duration (decimal)"])?,
            },
            Layout::Generic(map) => Columns {
                date: need("date", &[&map.date])?,
                start: None,
                end: None,
                user: Some(need("person", &[&map.person])?),
                email: None,
                project: need("project", &[&map.project])?,
                task: match &map.category {
                    Some(c) => Some(need("category", &[c])?),
                    None => None,
                },
                tags: None,
                note: match &map.note {
                    Some(n) => Some(need("note", &[n])?),
                    None => None,
                },
                duration: need("hours", &[&map.hours])?,
            },
        };
        if columns.user.is_none() && columns.email.is_none() {
            return Err("no person column: expected User or Email".into());
        }
        Ok(columns)
    }

    fn row(&self, record: &[String], date_order: DateOrder) -> Result<Row, String> {
        let field = |index: Option<usize>| -> String {
            index
                .and_then(|i| record.get(i))
                .map(|f| normalise(f))
                .unwrap_or_default()
        };
        let date_text = field(Some(self.date));
        let date = parse_date(&date_text, date_order)?;
        let duration = field(Some(self.duration));
        let (mut user, mut email) = (field(self.user), field(self.email).to_lowercase());
        // A generic file's person column may hold an e-mail address.
        if email.is_empty() && user.contains('@') {
            email = std::mem::take(&mut user).to_lowercase();
        }
        Ok(Row {
            date,
            start: field(self.start),
            end: field(self.end),
            user,
            email,
            project: field(Some(self.project)),
            task: field(self.task),
            tags: field(self.tags),
            note: field(self.note),
            hours: parse_hours(&duration)?,
        })
    }
}

impl Row {
    /// The source fields that identify the row, independent of any mapping.
    fn normalised(&self) -> String {
        let person = if self.email.is_empty() {
            self.user.to_lowercase()
        } else {
            self.email.clone()
        };
        [
            self.date.to_string().as_str(),
            &self.start,
            &self.end,
            &person,
            &self.project,
            &self.task,
            &self.tags,
            &self.note,
            &self.hours,
        ]
        .join("\u{1f}")
    }

    fn command(&self, options: &ImportOptions) -> Result<Command, String> {
        let agent = self.agent(options)?;
        let project = if self.project.is_empty() || self.project == "(No project)" {
            options
                .default_project
                .clone()
                .ok_or("no project: give a default project")?
        } else {
            match lookup(&options.projects, &self.project) {
                Some(project) => project,
                None => slug("project", &self.project)?,
            }
        };
        let first_tag = self
            .tags
            .split(',')
            .map(str::trim)
            .find(|t| !t.is_empty())
            .unwrap_or("");
        let source = if !self.task.is_empty() {
            self.task.as_str()
        } else {
            first_tag
        };
        let category = if source.is_empty() {
            options
                .default_category
                .clone()
                .ok_or("no task, tag or category: give a default category")?
        } else {
            match lookup(&options.categories, source) {
                Some(category) => category,
                None => slug("category", source)?,
            }
        };
        for (what, name) in [
            ("agent", &agent),
            ("project", &project),
            ("category", &category),
        ] {
            if name.is_empty() {
                return Err(format!("the {what} name is empty after mapping"));
            }
        }
        if self.note.len() > TEXT_LEN_MAX {
            return Err(format!(
                "the description is longer than {TEXT_LEN_MAX} bytes"
            ));
        }
        Ok(Command::Log {
            project,
            agent,
            kind: Kind::Work,
            category: Some(category),
            hours: Some(self.hours.clone()),
            amount: None,
            rate: None,
            value: None,
            date: Some(self.date),
            note: (!self.note.is_empty()).then(|| self.note.clone()),
            gift: false,
            reimbursable: false,
        })
    }

    fn agent(&self, options: &ImportOptions) -> Result<String, String> {
        if !self.email.is_empty()
            && let Some(handle) = options.people.get(&self.email)
        {
            return Ok(handle.clone());
        }
        if let Some(handle) = lookup(&options.people, &self.user) {
            return Ok(handle);
        }
        let local = self.email.split('@').next().unwrap_or("");
        let source = if local.is_empty() {
            self.user.as_str()
        } else {
            local
        };
        if source.is_empty() {
            return Err("no person: the user and e-mail are empty".into());
        }
        slug("person", source)
    }
}

fn lookup(map: &BTreeMap<String, String>, raw: &str) -> Option<String> {
    if raw.is_empty() {
        return None;
    }
    map.get(&raw.to_lowercase()).cloned()
}

/// Trims and collapses runs of whitespace: the same entry typed twice reads the same.
fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A fairshare name from free text: lower case, runs of anything but letters, digits, `-`
/// and `_` become one `-`, at most 64 bytes. Text with a letter a name cannot hold (`José`,
/// a Cyrillic `а`) is refused rather than mapped to another name (`jos`, `bran`): the
/// `--map` of the `what` (person, project, category) names it instead.
fn slug(what: &str, text: &str) -> Result<String, String> {
    if !text.is_ascii() {
        return Err(format!(
            "{what} {text:?} has characters a name cannot hold: map it with --map \
             {what}:{text}=NAME"
        ));
    }
    let mut out = String::new();
    for c in text.to_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches('-');
    let mut slug: String = trimmed.chars().take(fairshare_core::NAME_LEN_MAX).collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() {
        return Err(format!(
            "{what} {text:?} makes no name: map it with --map {what}:{text}=NAME"
        ));
    }
    Ok(slug)
}

fn parse_date(text: &str, order: DateOrder) -> Result<Date, String> {
    let bad = || {
        format!(
            "malformed date {text:?}: expected {}",
            match order {
                DateOrder::Iso => "YYYY-MM-DD",
                DateOrder::MonthFirst => "MM/DD/YYYY (or YYYY-MM-DD)",
                DateOrder::DayFirst => "DD/MM/YYYY (or YYYY-MM-DD)",
            }
        )
    };
    // Some exports add a time after the date.
    let day = text.split([' ', 'T']).next().unwrap_or("");
    if day.len() == 10 && day.as_bytes()[4] == b'-' {
        return Date::parse(day).map_err(|e| e.to_string());
    }
    if order == DateOrder::Iso {
        return Err(bad());
    }
    let parts: Vec<&str> = day.split(['/', '.', '-']).collect();
    let [a, b, year] = parts.as_slice() else {
        return Err(bad());
    };
    let number = |t: &str| t.parse::<u32>().map_err(|_| bad());
    let (month, day_of_month) = match order {
        DateOrder::MonthFirst => (number(a)?, number(b)?),
        _ => (number(b)?, number(a)?),
    };
    if year.len() != 4 {
        return Err(bad());
    }
    let year = year.parse::<i32>().map_err(|_| bad())?;
    Date::from_ymd(year, month, day_of_month).map_err(|e| e.to_string())
}

/// Hours as a canonical decimal from `1.5`, `1:30` or `01:30:00`; durations are rounded
/// half-to-even at [`HOURS_DECIMALS`].
fn parse_hours(text: &str) -> Result<String, String> {
    let bad = || format!("malformed duration {text:?}: expected hours (1.5) or H:MM[:SS]");
    if text.is_empty() {
        return Err("no duration".into());
    }
    let micro_hours: u128 = if text.contains(':') {
        let parts: Vec<&str> = text.split(':').collect();
        let number = |t: &str| -> Result<u128, String> {
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) || t.len() > 9 {
                return Err(bad());
            }
            t.parse::<u128>().map_err(|_| bad())
        };
        let (h, m, s) = match parts.as_slice() {
            [h, m] => (number(h)?, number(m)?, 0),
            [h, m, s] => (number(h)?, number(m)?, number(s)?),
            _ => return Err(bad()),
        };
        if m >= 60 || s >= 60 {
            return Err(bad());
        }
        let seconds = h * 3600 + m * 60 + s;
        round_half_even(seconds * 10u128.pow(HOURS_DECIMALS), 3600)
    } else {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) || whole.len() > 9 {
            return Err(bad());
        }
        if text.contains('.') && fraction.is_empty() {
            return Err(bad());
        }
        if fraction.len() > HOURS_DECIMALS as usize {
            // Written hours are kept exactly as written: only durations are rounded.
            let trimmed = fraction.trim_end_matches('0');
            if trimmed.len() > HOURS_DECIMALS as usize {
                return Err(format!(
                    "hours {text:?} have more than {HOURS_DECIMALS} decimals"
                ));
            }
        }
        let fraction = fraction.trim_end_matches('0');
        let padded = format!("{fraction:0<width$}", width = HOURS_DECIMALS as usize);
        whole.parse::<u128>().map_err(|_| bad())? * 10u128.pow(HOURS_DECIMALS)
            + padded.parse::<u128>().map_err(|_| bad())?
    };
    if micro_hours == 0 {
        return Err(format!("the duration {text:?} is zero: nothing to log"));
    }
    let unit = 10u128.pow(HOURS_DECIMALS);
    let whole = micro_hours / unit;
    let fraction = format!(
        "{:0width$}",
        micro_hours % unit,
        width = HOURS_DECIMALS as usize
    );
    let fraction = fraction.trim_end_matches('0');
    Ok(if fraction.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{fraction}")
    })
}

fn round_half_even(numerator: u128, divisor: u128) -> u128 {
    let quotient = numerator / divisor;
    let twice = (numerator % divisor) * 2;
    if twice > divisor || (twice == divisor && quotient % 2 == 1) {
        quotient + 1
    } else {
        quotient
    }
}

/// RFC 4180 records with the line each starts on. Accepts LF or CRLF, a UTF-8 byte-order
/// mark, quoted fields with `""` escapes and line breaks.
fn read_csv(input: &str) -> Result<Vec<(u64, Vec<String>)>, ImportError> {
    let text = input.strip_prefix('\u{feff}').unwrap_or(input);
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line: u64 = 1;
    while chars.peek().is_some() {
        let start = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut was_quoted = false;
        loop {
            let Some(c) = chars.next() else {
                if quoted {
                    return Err(error(start, "a quoted field is not closed"));
                }
                fields.push(std::mem::take(&mut field));
                break;
            };
            if quoted {
                match c {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => quoted = false,
                    '\n' => {
                        line += 1;
                        field.push('\n');
                    }
                    c => field.push(c),
                }
                continue;
            }
            match c {
                '"' if field.is_empty() && !was_quoted => {
                    quoted = true;
                    was_quoted = true;
                }
                '"' => {
                    return Err(error(
                        line,
                        "a '\"' inside an unquoted field: quote the field and double the '\"'",
                    ));
                }
                ',' => {
                    fields.push(std::mem::take(&mut field));
                    was_quoted = false;
                }
                '\r' if chars.peek() == Some(&'\n') => {}
                '\n' => {
                    line += 1;
                    fields.push(std::mem::take(&mut field));
                    break;
                }
                c if was_quoted => {
                    return Err(error(
                        line,
                        format!("unexpected {c:?} after a closing quote"),
                    ));
                }
                c => field.push(c),
            }
        }
        // Blank lines between records are not records.
        if !(fields.len() == 1 && fields[0].is_empty()) {
            records.push((start, fields));
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rfc_4180() {
        let records =
            read_csv("\u{feff}a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\n\"two\nlines\",z\n").unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(
            records[1],
            (2, vec!["x, y".to_string(), "say \"hi\"".to_string()])
        );
        assert_eq!(
            records[2],
            (4, vec!["two\nlines".to_string(), "z".to_string()])
        );
        assert_eq!(read_csv("a\n\"open\n").unwrap_err().line, 2);
        assert_eq!(read_csv("a\nb\"c\n").unwrap_err().line, 2);
    }

    #[test]
    fn reads_hours_and_dates() {
        assert_eq!(parse_hours("01:30:00").unwrap(), "1.5");
        assert_eq!(parse_hours("0:20").unwrap(), "0.333333");
        assert_eq!(parse_hours("00:00:01").unwrap(), "0.000278");
        assert_eq!(parse_hours("123:00:00").unwrap(), "123");
        assert_eq!(parse_hours("2.50").unwrap(), "2.5");
        assert!(parse_hours("00:00:00").is_err());
        assert!(parse_hours("1:75").is_err());
        assert!(parse_hours("-1").is_err());
        assert!(parse_hours("1.2345678").is_err());
        let date = |t, o| parse_date(t, o).map(|d| d.to_string());
        assert_eq!(
            date("2024-03-25", DateOrder::MonthFirst).unwrap(),
            "2024-03-25"
        );
        assert_eq!(
            date("03/25/2024", DateOrder::MonthFirst).unwrap(),
            "2024-03-25"
        );
        assert_eq!(
            date("25.03.2024", DateOrder::DayFirst).unwrap(),
            "2024-03-25"
        );
        assert!(date("25/03/2024", DateOrder::MonthFirst).is_err());
        assert!(date("03/25/2024", DateOrder::Iso).is_err());
    }

    #[test]
    fn makes_names() {
        let slug = |text| slug("person", text);
        assert_eq!(slug("Marie Curie").unwrap(), "marie-curie");
        assert_eq!(slug("marie.curie").unwrap(), "marie-curie");
        assert_eq!(slug("  UI / UX design! ").unwrap(), "ui-ux-design");
        assert_eq!(slug("coop_bank").unwrap(), "coop_bank");
        // Never another agent's name from a name it cannot hold.
        assert_eq!(
            slug("José").unwrap_err(),
            "person \"José\" has characters a name cannot hold: map it with --map \
             person:José=NAME"
        );
        assert_eq!(
            slug("\u{430}bran").unwrap_err(),
            "person \"\u{430}bran\" has characters a name cannot hold: map it with --map \
             person:\u{430}bran=NAME"
        );
        assert_eq!(
            slug("!!").unwrap_err(),
            "person \"!!\" makes no name: map it with --map person:!!=NAME"
        );
    }
}
