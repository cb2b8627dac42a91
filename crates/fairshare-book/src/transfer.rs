//! Export and import of a book's log: JSON lines (lossless, re-importable) and CSV.

use std::borrow::Cow;
use std::io::{BufRead, Seek, SeekFrom, Write};

use fairshare_core::{EventBody, GENESIS_HASH, State, chain_hash, payload_hash};
use fairshare_store::{EventRow, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::{BookError, BookResult, row_ctx};

/// Rows appended per transaction during an import.
pub const IMPORT_BATCH_ROWS: usize = 10_000;
/// Longest line accepted in an import file: one event, and a revenue split over 100,000
/// agents is about 8 MiB of payout lines.
pub const IMPORT_LINE_BYTES_MAX: usize = 64 << 20;

/// One line of a JSON-lines export. `body` is embedded verbatim so that the hash still checks.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportLine<'a> {
    seq: u64,
    #[serde(borrow)]
    recorded_at: Cow<'a, str>,
    #[serde(borrow)]
    actor: Cow<'a, str>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    idempotency_key: Option<Cow<'a, str>>,
    #[serde(borrow)]
    payload_hash: Cow<'a, str>,
    #[serde(borrow)]
    body: &'a RawValue,
    #[serde(borrow)]
    prev_hash: Cow<'a, str>,
    #[serde(borrow)]
    hash: Cow<'a, str>,
}

fn write_error(error: std::io::Error) -> StoreError {
    StoreError::Backend(format!("write: {error}"))
}

/// Writes every event as one JSON object per line, in order.
pub fn export_jsonl(store: &mut dyn Store, out: &mut dyn Write) -> BookResult<u64> {
    let mut count = 0;
    store.scan(0, &mut |row| {
        let body = RawValue::from_string(row.body.clone())
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let line = ExportLine {
            seq: row.seq,
            recorded_at: Cow::Borrowed(&row.recorded_at),
            actor: Cow::Borrowed(&row.actor),
            idempotency_key: row.idempotency_key.as_deref().map(Cow::Borrowed),
            payload_hash: Cow::Borrowed(&row.payload_hash),
            body: &body,
            prev_hash: Cow::Borrowed(&row.prev_hash),
            hash: Cow::Borrowed(&row.hash),
        };
        serde_json::to_writer(&mut *out, &line).map_err(|e| StoreError::Backend(e.to_string()))?;
        out.write_all(b"\n").map_err(write_error)?;
        count += 1;
        Ok(())
    })?;
    Ok(count)
}

/// Writes the log as CSV: one row per event with its operation and body.
pub fn export_csv(store: &mut dyn Store, out: &mut dyn Write) -> BookResult<u64> {
    let mut count = 0;
    out.write_all(b"seq,recorded_at,actor,op,idempotency_key,hash,body\n")
        .map_err(|e| BookError::Input(e.to_string()))?;
    store.scan(0, &mut |row| {
        let op = EventBody::from_json(&row.body)
            .map(|b| b.command.op())
            .unwrap_or("?");
        let fields = [
            row.seq.to_string(),
            row.recorded_at.clone(),
            row.actor.clone(),
            op.to_string(),
            row.idempotency_key.clone().unwrap_or_default(),
            row.hash.clone(),
            row.body.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        writeln!(out, "{}", line.join(",")).map_err(write_error)?;
        count += 1;
        Ok(())
    })?;
    Ok(count)
}

/// Quotes a CSV field when it needs it (RFC 4180).
pub fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// Reports import progress: the phase ("checking" or "writing") and events done so far.
pub type ImportProgress<'a> = &'a mut dyn FnMut(&'static str, u64);

/// Imports a JSON-lines export into an empty store, all or nothing. A first pass checks every
/// event as `verify` does (sequence, chain, hash, payload, the core deciding the same outcome);
/// only if the whole file is sound does a second pass write it, in batches. A bad line stops
/// the import with its line number and nothing written. Returns the number of events.
pub fn import_jsonl<R: BufRead + Seek>(
    input: &mut R,
    store: &mut dyn Store,
    progress: ImportProgress,
) -> BookResult<u64> {
    if store.head()? != 0 {
        return Err(BookError::Input(
            "import needs an empty book: this one already has events".into(),
        ));
    }
    let mut state = State::new();
    let mut prev_hash = GENESIS_HASH.to_string();
    let checked = for_each_line(input, &mut |line_number, row| {
        let bad = |message: String| BookError::Input(format!("line {line_number}: {message}"));
        let expected = state.head() + 1;
        if row.seq != expected {
            return Err(bad(format!("expected event {expected}, found {}", row.seq)));
        }
        if row.prev_hash != prev_hash {
            return Err(bad(format!(
                "event {} does not chain to the event before it",
                row.seq
            )));
        }
        let hash = chain_hash(
            row.seq,
            &row.recorded_at,
            &row.actor,
            row.idempotency_key.as_deref(),
            &row.payload_hash,
            &row.body,
            &row.prev_hash,
        );
        if hash != row.hash {
            return Err(bad(format!(
                "event {} hash does not match its contents",
                row.seq
            )));
        }
        let body =
            EventBody::from_json(&row.body).map_err(|e| bad(format!("event {}: {e}", row.seq)))?;
        if payload_hash(&row.actor, &body.command) != row.payload_hash {
            return Err(bad(format!(
                "event {}: payload hash does not match",
                row.seq
            )));
        }
        let ctx = row_ctx(&row)?;
        if let Some(key) = &ctx.key
            && state.key_record(key).is_some()
        {
            return Err(bad(format!(
                "event {}: idempotency key {key:?} is used twice",
                row.seq
            )));
        }
        let outcome = state
            .decide(&ctx, &body.command)
            .map_err(|e| bad(format!("event {}: {e}", row.seq)))?;
        if outcome != body.outcome {
            return Err(bad(format!(
                "event {}: recorded outcome differs from its recomputation",
                row.seq
            )));
        }
        state
            .apply(&ctx, &body.command, &outcome)
            .map_err(|e| bad(format!("event {}: {e}", row.seq)))?;
        prev_hash = row.hash;
        if row.seq % IMPORT_BATCH_ROWS as u64 == 0 {
            progress("checking", row.seq);
        }
        Ok(())
    })?;
    progress("checking", checked);
    drop(state);
    input
        .seek(SeekFrom::Start(0))
        .map_err(|e| BookError::Input(format!("rewind: {e}")))?;
    let mut batch: Vec<EventRow> = Vec::with_capacity(IMPORT_BATCH_ROWS);
    let mut written = 0u64;
    for_each_line(input, &mut |_, row| {
        batch.push(row);
        if batch.len() == IMPORT_BATCH_ROWS {
            store.append(&batch)?;
            written += batch.len() as u64;
            batch.clear();
            progress("writing", written);
        }
        Ok(())
    })?;
    if !batch.is_empty() {
        store.append(&batch)?;
        written += batch.len() as u64;
    }
    progress("writing", written);
    Ok(written)
}

/// Parses each non-empty line of an export into a row; returns how many there were.
fn for_each_line(
    input: &mut dyn BufRead,
    visit: &mut dyn FnMut(u64, EventRow) -> BookResult<()>,
) -> BookResult<u64> {
    let mut line = String::new();
    let mut line_number = 0u64;
    let mut rows = 0u64;
    loop {
        line.clear();
        let read = input
            .read_line(&mut line)
            .map_err(|e| BookError::Input(format!("read: {e}")))?;
        if read == 0 {
            return Ok(rows);
        }
        line_number += 1;
        if line.len() > IMPORT_LINE_BYTES_MAX {
            return Err(BookError::Input(format!(
                "line {line_number}: longer than {IMPORT_LINE_BYTES_MAX} bytes"
            )));
        }
        if line.trim().is_empty() {
            continue;
        }
        let parsed: ExportLine = serde_json::from_str(line.trim_end())
            .map_err(|e| BookError::Input(format!("line {line_number}: {e}")))?;
        let row = EventRow {
            seq: parsed.seq,
            recorded_at: parsed.recorded_at.into_owned(),
            actor: parsed.actor.into_owned(),
            idempotency_key: parsed.idempotency_key.map(Cow::into_owned),
            payload_hash: parsed.payload_hash.into_owned(),
            body: parsed.body.get().to_string(),
            prev_hash: parsed.prev_hash.into_owned(),
            hash: parsed.hash.into_owned(),
        };
        rows += 1;
        visit(line_number, row)?;
    }
}
