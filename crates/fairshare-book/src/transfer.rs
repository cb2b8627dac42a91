//! Export and import of a book's log: JSON lines (lossless, re-importable) and CSV.

use std::borrow::Cow;
use std::io::{BufRead, Write};

use fairshare_core::{Ctx, EventBody, GENESIS_HASH, State, chain_hash, payload_hash};
use fairshare_store::{AppendSink, EventRow, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::pipeline::{Batches, pipelined};
use crate::snapshots::snapshot_every_default;
use crate::{BookError, BookResult, logged_ctx};

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
        let line: Vec<Cow<str>> = fields.iter().map(|f| csv_field(f)).collect();
        writeln!(out, "{}", line.join(",")).map_err(write_error)?;
        count += 1;
        Ok(())
    })?;
    Ok(count)
}

/// One CSV cell, safe to open in a spreadsheet: quoted when RFC 4180 requires it (`,`, `"`,
/// CR or LF), and a cell that a spreadsheet would read as a formula — leading `=`, `+`, `-`,
/// `@`, tab or carriage return — prefixed with a single quote and quoted, as OWASP
/// recommends ("CSV injection"). A plain number (`-12.50`, `+3`) is left as it is, so that
/// amounts stay numbers. Every CSV export writes its cells through this.
pub fn csv_field(field: &str) -> Cow<'_, str> {
    let formula = field.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_plain_number(field);
    if formula {
        Cow::Owned(format!("\"'{}\"", field.replace('"', "\"\"")))
    } else if field.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", field.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(field)
    }
}

/// An optional sign, digits, and optionally a point and more digits: `-12.50`, `+3`, `7`.
fn is_plain_number(field: &str) -> bool {
    let unsigned = field.strip_prefix(['-', '+']).unwrap_or(field);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(fraction)
}

/// Reports import progress: the phase ("checking" or "writing") and events done so far.
pub type ImportProgress<'a> = &'a mut dyn FnMut(&'static str, u64);

/// Imports a JSON-lines export into an empty store, all or nothing, in one pass: each event
/// is checked as `verify` checks it (sequence, chain, hash, payload, the core deciding the same
/// outcome) and appended, batch after batch, inside ONE store transaction
/// ([`Store::append_all`]). A bad line stops the import with its line number; that, a store
/// failure, or a killed process part-way through rolls the transaction back, so the book stays
/// empty. Returns the number of events.
///
/// Pipelined: a reader thread parses and checks lines while this thread re-decides and
/// appends them. An import of at least [`snapshot_every_default`] events ends with a snapshot,
/// encoded while the store commits and written once it has.
pub fn import_jsonl<R: BufRead + Send>(
    input: &mut R,
    store: &mut dyn Store,
    progress: ImportProgress,
) -> BookResult<u64> {
    if store.head()? != 0 {
        return Err(BookError::Input(
            "import needs an empty book: this one already has events".into(),
        ));
    }
    std::thread::scope(|scope| {
        let mut events = 0;
        let mut counting = None;
        append_events(input, store, progress, &mut |decider| {
            events = decider.events;
            // The snapshot's length is counted on a thread of its own while the store commits.
            counting = decider
                .needs_snapshot()
                .then(|| scope.spawn(move || (decider.state.snapshot_len(), decider)));
        })?;
        // The import has committed: a snapshot that fails is only said, like a write's. It is
        // encoded as the store writes it, so no copy of it is held beside the state.
        match counting.map(|counting| counting.join()) {
            Some(Ok((length, decider))) => {
                let state = &decider.state;
                let written = store.write_snapshot(events, length, &mut |out| {
                    state
                        .write_snapshot(&decider.last_hash, length, out)
                        .map_err(|error| StoreError::Backend(format!("encode it: {error}")))
                });
                if let Err(error) = written {
                    no_snapshot(store, error);
                }
            }
            Some(Err(_)) => no_snapshot(store, "its encoding panicked"),
            None => {}
        }
        Ok(events)
    })
}

fn no_snapshot(store: &dyn Store, why: impl std::fmt::Display) {
    eprintln!(
        "fairshare: book {}: no snapshot written after the import: {why}",
        store.location()
    );
}

/// Events handed from the reader to the thread that decides and appends them. Eight batches
/// of 1,000 in flight absorb a revenue split (the decider's slowest events) and an append of
/// IMPORT_BATCH_ROWS rows while holding a few MB.
const READ_BATCHES: Batches = Batches {
    rows: 1_000,
    in_flight: 8,
};

/// A line that passed the reader's checks: the event to decide again and the row to append
/// (taken out by the decider, so that the reader frees the event it allocated).
type ReadEvent = (Checked, Option<EventRow>);

/// Reads, checks and appends every event in one store transaction: a reader thread does every
/// check that needs no state (parse, sequence, chain, hashes, body) and makes each row; this
/// thread the rest (idempotency keys, the core deciding each event again against the state
/// the earlier ones left), appending the decided rows every IMPORT_BATCH_ROWS.
///
/// `decided` gets the decider once every event is appended, before the transaction commits.
fn append_events(
    input: &mut (dyn BufRead + Send),
    store: &mut dyn Store,
    progress: ImportProgress,
    decided: &mut dyn FnMut(Decider),
) -> BookResult<()> {
    // The pipeline's own error (a bad line, a refused decision), kept whole: `append_all`
    // passes a store error back.
    let mut failure = None;
    let appended = store.append_all(&mut |append| {
        let mut decider = Decider::new();
        let piped = pipelined(
            READ_BATCHES,
            |feed| {
                let mut chain = ChainCheck::new();
                for_each_line(input, &mut |line_number, line| {
                    let event = chain.check(line_number, &line)?;
                    feed.push((event, Some(line.into_row())))
                })
            },
            |batch| decider.decide_batch(batch, append, progress),
        )
        .and_then(|()| decider.append_rest(append, progress))
        .map(|()| decided(decider));
        piped.map_err(|error| {
            let stopped = StoreError::Backend(format!("import stopped: {error}"));
            failure = Some(error);
            stopped
        })
    });
    if let Some(error) = failure {
        return Err(error);
    }
    Ok(appended?)
}

/// This thread's side of an import: the state the events leave and the decided rows not yet
/// appended.
struct Decider {
    state: State,
    pending: Vec<EventRow>,
    /// Events decided so far.
    events: u64,
    /// The hash of the last row appended: the snapshot records it.
    last_hash: String,
}

impl Decider {
    fn new() -> Decider {
        Decider {
            state: State::new(),
            pending: Vec::with_capacity(IMPORT_BATCH_ROWS),
            events: 0,
            last_hash: GENESIS_HASH.to_string(),
        }
    }

    /// An import of at least [`snapshot_every_default`] events leaves a snapshot.
    fn needs_snapshot(&self) -> bool {
        snapshot_every_default().is_some_and(|every| self.events >= every)
    }

    /// Decides each event of a batch again, appending every IMPORT_BATCH_ROWS decided rows.
    fn decide_batch(
        &mut self,
        batch: &mut [ReadEvent],
        append: &mut AppendSink<'_>,
        progress: ImportProgress,
    ) -> BookResult<()> {
        for (event, row) in batch.iter_mut() {
            decide_again(&mut self.state, event)?;
            self.events += 1;
            self.pending
                .push(row.take().expect("each row is taken once"));
            if self.pending.len() == IMPORT_BATCH_ROWS {
                self.append_pending(append, progress)?;
            }
        }
        Ok(())
    }

    /// Appends the last, partial batch.
    fn append_rest(
        &mut self,
        append: &mut AppendSink<'_>,
        progress: ImportProgress,
    ) -> BookResult<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.append_pending(append, progress)
    }

    /// Appends the decided rows inside the transaction. Both phases advance together: every
    /// event counted as checked is written in the same step.
    fn append_pending(
        &mut self,
        append: &mut AppendSink<'_>,
        progress: ImportProgress,
    ) -> BookResult<()> {
        progress("checking", self.events);
        append(&self.pending)?;
        if let Some(last) = self.pending.last() {
            self.last_hash.clone_from(&last.hash);
        }
        self.pending.clear();
        progress("writing", self.events);
        Ok(())
    }
}

fn line_error(line_number: u64, message: impl std::fmt::Display) -> BookError {
    BookError::Input(format!("line {line_number}: {message}"))
}

/// An event that passed the checks needing no state, ready for the core to decide again.
struct Checked {
    line_number: u64,
    ctx: Ctx,
    body: EventBody,
}

/// The checks that carry from one line to the next: sequence numbers and the hash chain.
struct ChainCheck {
    expected_seq: u64,
    prev_hash: String,
}

impl ChainCheck {
    fn new() -> ChainCheck {
        ChainCheck {
            expected_seq: 1,
            prev_hash: GENESIS_HASH.to_string(),
        }
    }

    /// Checks a line's sequence number, chain, hash, body and payload hash.
    fn check(&mut self, line_number: u64, line: &ExportLine) -> BookResult<Checked> {
        let bad = |message: String| line_error(line_number, message);
        let seq = line.seq;
        if seq != self.expected_seq {
            let expected = self.expected_seq;
            return Err(bad(format!("expected event {expected}, found {seq}")));
        }
        if *line.prev_hash != *self.prev_hash {
            return Err(bad(format!(
                "event {seq} does not chain to the event before it"
            )));
        }
        let hash = chain_hash(
            seq,
            &line.recorded_at,
            &line.actor,
            line.idempotency_key.as_deref(),
            &line.payload_hash,
            line.body.get(),
            &line.prev_hash,
        );
        if *hash != *line.hash {
            return Err(bad(format!("event {seq} hash does not match its contents")));
        }
        let body =
            EventBody::from_json(line.body.get()).map_err(|e| bad(format!("event {seq}: {e}")))?;
        if payload_hash(&line.actor, &body.command) != *line.payload_hash {
            return Err(bad(format!("event {seq}: payload hash does not match")));
        }
        let ctx = logged_ctx(
            seq,
            &line.recorded_at,
            &line.actor,
            line.idempotency_key.as_deref(),
            &line.payload_hash,
        )?;
        let ctx = crate::decided_by(ctx, &body);
        self.expected_seq += 1;
        // Equal to the line's hash, checked above.
        self.prev_hash = hash;
        Ok(Checked {
            line_number,
            ctx,
            body,
        })
    }
}

/// The checks that need the state: an unused idempotency key and the core deciding the same
/// outcome. Applies the event.
fn decide_again(state: &mut State, event: &Checked) -> BookResult<()> {
    let Checked {
        line_number,
        ctx,
        body,
    } = event;
    let seq = ctx.seq;
    let bad = |message: String| line_error(*line_number, format!("event {seq}: {message}"));
    if let Some(key) = &ctx.key
        && state.key_record(key).is_some()
    {
        return Err(bad(format!("idempotency key {key:?} is used twice")));
    }
    let outcome = state
        .decide(ctx, &body.command)
        .map_err(|e| bad(e.to_string()))?;
    if outcome != body.outcome {
        return Err(bad("recorded outcome differs from its recomputation".into()));
    }
    state
        .apply_owned(ctx, &body.command, outcome)
        .map_err(|e| bad(e.to_string()))
}

impl ExportLine<'_> {
    fn into_row(self) -> EventRow {
        EventRow {
            seq: self.seq,
            recorded_at: self.recorded_at.into_owned(),
            actor: self.actor.into_owned(),
            idempotency_key: self.idempotency_key.map(Cow::into_owned),
            payload_hash: self.payload_hash.into_owned(),
            body: self.body.get().to_string(),
            prev_hash: self.prev_hash.into_owned(),
            hash: self.hash.into_owned(),
        }
    }
}

/// Parses each non-empty line of an export, borrowing from the line where it can, and hands
/// it to `visit` with its 1-based line number (blank lines count).
fn for_each_line(
    input: &mut dyn BufRead,
    visit: &mut dyn FnMut(u64, ExportLine) -> BookResult<()>,
) -> BookResult<()> {
    let mut line = String::new();
    let mut line_number = 0u64;
    loop {
        line.clear();
        let read = input
            .read_line(&mut line)
            .map_err(|e| BookError::Input(format!("read: {e}")))?;
        if read == 0 {
            return Ok(());
        }
        line_number += 1;
        if line.len() > IMPORT_LINE_BYTES_MAX {
            return Err(line_error(
                line_number,
                format!("longer than {IMPORT_LINE_BYTES_MAX} bytes"),
            ));
        }
        let text = line.trim_end();
        if text.trim_start().is_empty() {
            continue;
        }
        let parsed: ExportLine =
            serde_json::from_str(text).map_err(|e| line_error(line_number, e))?;
        visit(line_number, parsed)?;
    }
}
