//! What every command prints: one serialisable struct per output, rendered either as one
//! pretty JSON document (`--json`) or as text for people. Amounts are decimal strings with the
//! asset's exponent; values and shares are exact decimals.

use fairshare_ops::PageInfo;
use serde::Serialize;

/// Hex digits of a hash in text listings (JSON always has the whole hash).
const SHORT_HASH_LEN: usize = 12;

/// A rendered result: JSON for scripts, text for people, and the exit status.
pub trait Output {
    fn json(&self) -> String;
    fn text(&self) -> String;
    fn exit_code(&self) -> u8;
}

/// The text form of an output struct; its JSON form is its `Serialize`.
pub trait Text {
    fn to_text(&self) -> String;
    fn exit_code(&self) -> u8 {
        0
    }
}

impl<T: Serialize + Text> Output for T {
    fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("outputs always serialise")
    }
    fn text(&self) -> String {
        self.to_text()
    }
    fn exit_code(&self) -> u8 {
        Text::exit_code(self)
    }
}

/// Columns aligned with spaces; numeric columns aligned right.
pub struct Table {
    rows: Vec<Vec<String>>,
    right: Vec<usize>,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        Table {
            rows: vec![header.iter().map(|h| h.to_string()).collect()],
            right: Vec::new(),
        }
    }

    pub fn right(mut self, columns: &[usize]) -> Table {
        self.right = columns.to_vec();
        self
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Adds a row for each of `rows`.
    pub fn rows(mut self, rows: impl IntoIterator<Item = Vec<String>>) -> Table {
        self.rows.extend(rows);
        self
    }

    pub fn render(&self, indent: &str) -> String {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut widths = vec![0; columns];
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in &self.rows {
            let mut line = String::from(indent);
            for (i, cell) in row.iter().enumerate() {
                let pad = widths[i] - cell.chars().count();
                let last = i + 1 == row.len();
                if self.right.contains(&i) {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    if !last {
                        line.push_str(&" ".repeat(pad));
                    }
                }
                if !last {
                    line.push_str("  ");
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

pub(crate) fn short(hash: &str) -> &str {
    hash.get(..SHORT_HASH_LEN).unwrap_or(hash)
}

pub(crate) fn or_dash(text: Option<&str>) -> String {
    text.unwrap_or("-").to_string()
}

/// ` (more with --offset N)` after a page that is not the last, else nothing.
pub(crate) fn page_hint(offset: usize, shown: usize, total: usize) -> String {
    if offset + shown < total {
        format!(" (more with --offset {})", offset + shown)
    } else {
        String::new()
    }
}

/// A line saying where the next page starts, after a page that is not the last.
pub(crate) fn more_line(offset: usize, shown: usize, total: usize) -> String {
    let hint = page_hint(offset, shown, total);
    if hint.is_empty() {
        hint
    } else {
        format!("{}\n", hint.trim_start())
    }
}

/// `N of TOTAL WHAT` after a page of N rows that starts at `offset`, with where the next page
/// starts.
pub(crate) fn count_line(
    indent: &str,
    shown: usize,
    total: usize,
    what: &str,
    offset: usize,
) -> String {
    let hint = page_hint(offset, shown, total);
    format!("{indent}{shown} of {total} {what}{hint}\n")
}

/// A list as `table` with one row a `rows` item, then `after(rows shown)`; `empty` (a line,
/// without its newline) when there is no row.
pub(crate) fn list_text(
    empty: &str,
    table: Table,
    rows: impl IntoIterator<Item = Vec<String>>,
    after: impl FnOnce(usize) -> String,
) -> String {
    let table = table.rows(rows);
    let shown = table.rows.len() - 1;
    if shown == 0 {
        return format!("{empty}\n");
    }
    table.render("") + &after(shown)
}

/// [`list_text`] with nothing after the table.
pub(crate) fn table_or(
    empty: &str,
    table: Table,
    rows: impl IntoIterator<Item = Vec<String>>,
) -> String {
    list_text(empty, table, rows, |_| String::new())
}

/// A page of a list ([`list_text`]), then the line saying where the next page starts.
pub(crate) fn page_table(
    empty: &str,
    table: Table,
    page: &PageInfo,
    rows: impl IntoIterator<Item = Vec<String>>,
) -> String {
    list_text(empty, table, rows, |shown| {
        more_line(page.offset, shown, page.total)
    })
}

// ---------------------------------------------------------------------------------------------
// Outputs of local commands

#[derive(Serialize)]
pub struct InitOut {
    pub book: String,
    pub events: u64,
}

impl Text for InitOut {
    fn to_text(&self) -> String {
        format!("book {}: {} events\n", self.book, self.events)
    }
}

#[derive(Serialize)]
pub struct ImportOut {
    pub book: String,
    pub imported: u64,
    pub head: String,
}

impl Text for ImportOut {
    fn to_text(&self) -> String {
        format!(
            "imported {} events into {} (every one checked)\nhead {}\n",
            self.imported, self.book, self.head
        )
    }
}

/// What `fairshare snapshot` wrote.
#[derive(Serialize)]
pub struct SnapshotOut {
    pub book: String,
    /// The event the snapshot stands at: the book's last.
    pub events: u64,
    pub bytes: u64,
    /// The hash of that event, which the snapshot records.
    pub head: String,
    /// With `--parts`: the bytes each part of the state takes, in the snapshot's order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parts: Option<Vec<SnapshotPart>>,
}

/// One part of a snapshot and the bytes it takes.
#[derive(Serialize)]
pub struct SnapshotPart {
    pub part: &'static str,
    pub bytes: u64,
}

impl Text for SnapshotOut {
    fn to_text(&self) -> String {
        let mut text = format!(
            "snapshot of {} at event {} ({} bytes)\nhead {}\n",
            self.book, self.events, self.bytes, self.head
        );
        if let Some(parts) = &self.parts {
            let mut table = Table::new(&["part", "bytes"]).right(&[1]);
            for part in parts {
                table.row(vec![part.part.to_string(), part.bytes.to_string()]);
            }
            text.push_str(&table.render(""));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align() {
        let mut table = Table::new(&["a", "amount"]).right(&[1]);
        table.row(vec!["abran".into(), "5.00".into()]);
        assert_eq!(table.render(""), "a      amount\nabran    5.00\n");
    }
}
