//! `verify`: recompute the hash chain and every outcome from the start, then the invariants.

use std::io::Read;

use fairshare_core::{
    Ctx, EventBody, GENESIS_HASH, SNAPSHOT_HEADER_BYTES, SnapshotError, SnapshotHeader, State,
    chain_hash, check_snapshot_state, payload_hash, snapshot_header,
};
use fairshare_store::{LentRow, Reopen, Store};

use crate::pipeline::{Batches, pipelined};
use crate::snapshots::{IgnoredSnapshot, cannot_read};
use crate::{BookError, BookResult, lent_ctx, scan_lent_rows};

/// The result of verifying a book: how far it got and the first problem, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Events checked and found sound.
    pub events: u64,
    /// Hash of the last sound event.
    pub head_hash: String,
    /// The first broken event: its sequence number and what is wrong. A snapshot that
    /// disagrees with the replay is a problem at its event, after any broken event.
    pub problem: Option<(u64, String)>,
    /// The events of the snapshots found and compared with the replay, all equal to it.
    pub snapshots_checked: Vec<u64>,
    /// Snapshots that opening the book would pass over (damaged, another format or build,
    /// another book's), and why: harmless, since they are never loaded.
    pub snapshots_ignored: Vec<IgnoredSnapshot>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problem.is_none()
    }
}

/// Reads the whole log from `store` and checks, event by event: contiguous sequence numbers,
/// the previous hash, the event's own hash, its payload hash, that its body parses, that the
/// core decides the same outcome again (roles, amounts, every payout line), and that applying
/// it keeps the ledger balanced. Then audits the final state's invariants.
///
/// Pipelined like an import's check: a reader thread does the checks that need no state
/// (sequence, chain, hashes, parsing) on lent rows while this thread checks the payload hash
/// and re-decides each event, and compares each snapshot with the replay by its bytes.
pub fn verify(store: &mut dyn Store) -> BookResult<VerifyReport> {
    let mut report = VerifyReport {
        events: 0,
        head_hash: GENESIS_HASH.to_string(),
        problem: None,
        snapshots_checked: Vec::new(),
        snapshots_ignored: Vec::new(),
    };
    let head = store.head()?;
    let found = found_snapshots(store, head, &mut report.snapshots_ignored)?;
    let snapshots = Snapshots {
        pending: found,
        disagrees: None,
    };
    replay_checking(store, head, snapshots, report)
}

/// Replays the whole log, checking each event and comparing each snapshot on the way, then
/// the final state's invariants. A snapshot at the `head` event (where an import or
/// `fairshare snapshot` leaves one) is compared after the replay, beside the audit: once the
/// reader has read the last row, the two read-only passes share the two threads. (A book that
/// grows during the replay has it compared when the replay reaches the next event.)
fn replay_checking(
    store: &mut dyn Store,
    head: u64,
    mut snapshots: Snapshots,
    mut report: VerifyReport,
) -> BookResult<VerifyReport> {
    let mut state = State::new();
    let mut problem: Option<(u64, String)> = None;
    let piped = pipelined(
        VERIFY_BATCHES,
        |feed| {
            let mut prev_hash = GENESIS_HASH.to_string();
            let mut expected_seq = 1;
            scan_lent_rows(store, 0, &mut |row| {
                let read = read_row(&prev_hash, expected_seq, row);
                let broken = read.is_err();
                feed.push(read)?;
                if broken {
                    // Nothing after the first broken event is checked.
                    return Err(BookError::Input(STOPPED.into()));
                }
                prev_hash.clear();
                prev_hash.push_str(row.hash);
                expected_seq = row.seq + 1;
                Ok(())
            })
        },
        |batch| {
            for read in batch.drain(..) {
                let found = match read {
                    Ok(event) => {
                        if event.ctx.seq == head + 1 {
                            // The book grew while it was verified: the snapshot at `head`,
                            // left for after the replay, is compared before the state
                            // moves past it.
                            let hash = report.head_hash.clone();
                            snapshots.check(&state, &hash, &mut report);
                        }
                        match decide_again(&mut state, &event) {
                            None => {
                                if event.ctx.seq != head {
                                    snapshots.check(&state, &event.hash, &mut report);
                                }
                                report.events = event.ctx.seq;
                                report.head_hash = event.hash;
                                continue;
                            }
                            Some(message) => (event.ctx.seq, message),
                        }
                    }
                    Err(broken) => broken,
                };
                problem = Some(found);
                return Err(BookError::Input(STOPPED.into()));
            }
            Ok(())
        },
    );
    if let Some(problem) = problem {
        report.problem = Some(problem);
        return Ok(report);
    }
    piped.or_else(stopped_early)?;
    let audited = std::thread::scope(|scope| {
        let audited = scope.spawn(|| audit(&state));
        let hash = report.head_hash.clone();
        snapshots.check(&state, &hash, &mut report);
        audited.join()
    });
    if let Some(disagrees) = snapshots.disagrees {
        report.problem = Some(disagrees);
        return Ok(report);
    }
    let audited = audited.unwrap_or_else(|_| Err("the audit's thread panicked".to_string()));
    if let Err(error) = audited {
        report.problem = Some((report.events, format!("after replay: {error}")));
    }
    Ok(report)
}

/// Every snapshot the store keeps at or below `head`, oldest first, with its header; those
/// that opening the book would pass over for their header, or that the store cannot read, go
/// to `ignored`. Each is read as a stream as far as its checked state and checked (header,
/// checksum, the part index), and read whole when the replay reaches it, its deferred parts
/// checked against the index as they are compared: none is held whole, unless the store
/// cannot be opened a second time (then each is checked whole at once).
fn found_snapshots(
    store: &mut dyn Store,
    head: u64,
    ignored: &mut Vec<IgnoredSnapshot>,
) -> BookResult<Vec<(SnapshotHeader, Kept)>> {
    let reopen = store.reopener();
    let mut found = Vec::new();
    let mut at_most = head;
    while at_most > 0 {
        let mut read_one = None;
        let read = store.read_snapshot(at_most, &mut |seq, length, bytes| {
            read_one = Some((seq, Kept::check(bytes, length, reopen.as_ref())));
            Ok(())
        });
        if let Err(error) = read {
            ignored.push(cannot_read(at_most, error));
            break;
        }
        let Some((seq, (checked, kept))) = read_one else {
            break;
        };
        match checked {
            Ok(header) if header.seq == seq => found.push((header, kept)),
            Ok(header) => ignored.push(IgnoredSnapshot {
                seq,
                reason: format!("it stands at event {}, not where it is kept", header.seq),
            }),
            Err(error) => ignored.push(IgnoredSnapshot {
                seq,
                reason: error.to_string(),
            }),
        }
        at_most = seq - 1;
    }
    found.reverse();
    Ok(found)
}

/// Where `verify` reads a kept snapshot again when the replay reaches it.
enum Kept {
    /// The store, through a handle of its own (the first is the replay's).
    Store(Reopen),
    /// Its bytes, kept since it was found: a store that cannot be opened twice.
    Bytes(Vec<u8>),
}

impl Kept {
    /// Checks a snapshot as the store streams it, keeping its bytes only without `reopen`.
    /// With `reopen`, only its header and checked state are read now: its deferred parts are
    /// checked against their checksums as they are compared with the replay, one read of them
    /// instead of two.
    fn check(
        bytes: &mut dyn Read,
        length: u64,
        reopen: Option<&Reopen>,
    ) -> (Result<SnapshotHeader, SnapshotError>, Kept) {
        if let Some(reopen) = reopen {
            return (
                check_snapshot_state(bytes, length),
                Kept::Store(reopen.clone()),
            );
        }
        let mut kept = Vec::new();
        if let Err(error) = bytes.read_to_end(&mut kept) {
            let unread = SnapshotError::Payload(format!("the store cannot read it: {error}"));
            return (Err(unread), Kept::Bytes(kept));
        }
        (snapshot_header(&kept), Kept::Bytes(kept))
    }

    /// Runs `read` on the payload of the snapshot kept at `seq` (its bytes after the header),
    /// or says why it cannot be read again.
    fn payload<T>(&self, seq: u64, read: impl FnOnce(&mut dyn Read) -> T) -> Result<T, String> {
        let store = match self {
            Kept::Bytes(bytes) => return Ok(read(&mut &bytes[SNAPSHOT_HEADER_BYTES..])),
            Kept::Store(reopen) => reopen(),
        };
        let mut store =
            store.map_err(|error| format!("the store cannot be read again: {error}"))?;
        let mut read = Some(read);
        let mut done = None;
        let found = store.read_snapshot(seq, &mut |kept, _, bytes| {
            let header = std::io::copy(
                &mut bytes.take(SNAPSHOT_HEADER_BYTES as u64),
                &mut std::io::sink(),
            );
            if let (true, Ok(_), Some(read)) = (kept == seq, header, read.take()) {
                done = Some(read(bytes));
            }
            Ok(())
        });
        found.map_err(|error| format!("the store cannot read it again: {error}"))?;
        done.ok_or_else(|| "the store no longer keeps it".to_string())
    }
}

/// The snapshots of a book being verified, in log order, each compared with the replay when
/// it reaches the snapshot's event.
struct Snapshots {
    /// Those found sound on their face (header, checksums), oldest first.
    pending: Vec<(SnapshotHeader, Kept)>,
    /// The first snapshot whose state differs from the replay's, and how.
    disagrees: Option<(u64, String)>,
}

impl Snapshots {
    /// Compares the snapshot at the event just replayed (`state`, whose last event has
    /// `hash`), if there is one, with the replayed state.
    ///
    /// By its bytes: a state always encodes to the same bytes (maps in key order), so a sound
    /// snapshot's payload is exactly what the replayed state encodes to (its header was checked
    /// when it was found). Encoding while comparing allocates nothing, where decoding the
    /// snapshot would build a second state. Only a snapshot of other bytes is decoded, to say
    /// whether and how it differs.
    fn check(&mut self, state: &State, hash: &str, report: &mut VerifyReport) {
        let seq = state.head();
        if self
            .pending
            .first()
            .is_none_or(|(header, _)| header.seq != seq)
        {
            return;
        }
        let (header, kept) = self.pending.remove(0);
        let ignored = |reason: String| IgnoredSnapshot { seq, reason };
        if header.head_hash != hash {
            report.snapshots_ignored.push(ignored(format!(
                "it records hash {} for event {seq}, the log has {hash}: another book or \
                 another history",
                header.head_hash
            )));
            return;
        }
        let compare = |payload: &mut dyn Read| {
            let mut payload = std::io::BufReader::with_capacity(COMPARE_BUFFER_BYTES, payload);
            state.snapshot_payload_matches(&mut payload, &header)
        };
        match kept.payload(seq, compare) {
            Ok(true) => {
                report.snapshots_checked.push(seq);
                return;
            }
            Ok(false) => {}
            Err(reason) => {
                report.snapshots_ignored.push(ignored(reason));
                return;
            }
        }
        // Anyone can write a snapshot with a sound checksum: a decoder that panics on one (a
        // bug) makes it a snapshot passed over, never a failed verify.
        let decode = |payload: &mut dyn Read| {
            let decode = || State::decode_snapshot_streamed(payload, &header, None);
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode))
                .unwrap_or_else(|_| Err(SnapshotError::Payload("its decoder panicked".into())))
        };
        let decoded = kept
            .payload(seq, decode)
            .unwrap_or_else(|reason| Err(SnapshotError::Payload(reason)));
        match decoded {
            Err(error) => report.snapshots_ignored.push(ignored(error.to_string())),
            Ok(snapshot) => match snapshot.first_difference(state) {
                None => report.snapshots_checked.push(seq),
                Some(part) => {
                    self.disagrees.get_or_insert((
                        seq,
                        format!(
                            "the snapshot at event {seq} disagrees with the replay: its {part} \
                             differ, and opening the book would load it (`fairshare \
                             snapshot` writes a sound one, which opening prefers)"
                        ),
                    ));
                }
            },
        }
    }
}

/// A head published elsewhere (a number of events, the hash of an event, or both: the hash
/// of that event), which the book must still contain: a removed tail fails the check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishedHead {
    /// The book had this many events.
    pub events: Option<u64>,
    /// The hash of the book's last event then (of event `events` when both are given).
    pub hash: Option<String>,
}

/// Checks a sound book (`report.ok()`) against a head published elsewhere; the first
/// disagreement becomes the report's problem, at the first event that should be there. A book
/// that grew since passes. Reads the log again only for a hash without a number of events.
pub fn check_published(
    store: &mut dyn Store,
    report: &mut VerifyReport,
    published: &PublishedHead,
) -> BookResult<()> {
    if !report.ok() {
        return Ok(());
    }
    let have = report.events;
    if let Some(events) = published.events
        && events > have
    {
        report.problem = Some((
            have + 1,
            format!(
                "the book has {have} events, fewer than the {events} published: events {} to \
                 {events} are missing",
                have + 1
            ),
        ));
        return Ok(());
    }
    let Some(hash) = &published.hash else {
        return Ok(());
    };
    let found = match published.events {
        Some(events) => hash_of(store, report, events)?.is_some_and(|h| h == *hash),
        None => *hash == report.head_hash || hash_in(store, hash)?,
    };
    if found {
        return Ok(());
    }
    let message = match published.events {
        Some(events) => format!(
            "event {events} has hash {}, not the published {hash}: the book differs from the \
             one published",
            hash_of(store, report, events)?.unwrap_or_default()
        ),
        None => format!(
            "no event of the book has the published head hash {hash}: events after event \
             {have} are missing, or this is another book"
        ),
    };
    report.problem = Some((published.events.unwrap_or(have + 1), message));
    Ok(())
}

/// The hash of event `seq` of a sound book (the genesis hash for 0).
fn hash_of(store: &mut dyn Store, report: &VerifyReport, seq: u64) -> BookResult<Option<String>> {
    if seq == 0 {
        return Ok(Some(GENESIS_HASH.to_string()));
    }
    if seq == report.events {
        return Ok(Some(report.head_hash.clone()));
    }
    crate::snapshots::row_hash(store, seq)
}

/// Whether any event of the book has this hash.
fn hash_in(store: &mut dyn Store, hash: &str) -> BookResult<bool> {
    if hash == GENESIS_HASH {
        return Ok(true);
    }
    let mut found = false;
    scan_lent_rows(store, 0, &mut |row| {
        if row.hash == hash {
            found = true;
            return Err(BookError::Input(STOPPED.into()));
        }
        Ok(())
    })
    .or_else(stopped_early)?;
    Ok(found)
}

/// A scan stopped on purpose is a success.
fn stopped_early(error: BookError) -> BookResult<()> {
    match error {
        BookError::Input(message) if message == STOPPED => Ok(()),
        other => Err(other),
    }
}

/// Why the pipeline stopped early: a broken event, reported in the [`VerifyReport`].
const STOPPED: &str = "verification stopped at a broken event";

/// Rows handed from the verifying reader to the re-deciding thread.
const VERIFY_BATCHES: Batches = Batches {
    rows: 1_024,
    in_flight: 8,
};

/// An event whose stateless checks passed.
struct ReadEvent {
    ctx: Ctx,
    body: EventBody,
    hash: String,
}

/// The checks that need no state but the payload hash's; a broken event comes back as its
/// sequence number and what is wrong with it.
fn read_row(
    prev_hash: &str,
    expected_seq: u64,
    row: LentRow<'_>,
) -> Result<ReadEvent, (u64, String)> {
    let broken = |message: String| (row.seq, message);
    if row.seq != expected_seq {
        return Err(broken(format!(
            "expected sequence number {expected_seq}, found {}",
            row.seq
        )));
    }
    if row.prev_hash != prev_hash {
        return Err(broken(format!(
            "previous hash is {} but the event before hashes to {prev_hash}",
            row.prev_hash
        )));
    }
    let hash = chain_hash(
        row.seq,
        row.recorded_at,
        row.actor,
        row.idempotency_key,
        row.payload_hash,
        row.body,
        row.prev_hash,
    );
    if hash != row.hash {
        return Err(broken(format!(
            "stored hash {} does not match its contents (recomputed {hash})",
            row.hash
        )));
    }
    let body = EventBody::from_json(row.body)
        .map_err(|error| broken(format!("body does not parse: {error}")))?;
    let ctx = lent_ctx(row).map_err(|error| broken(error.to_string()))?;
    let ctx = crate::decided_by(ctx, &body);
    Ok(ReadEvent { ctx, body, hash })
}

/// The payload hash, then the checks that need the state: an unused idempotency key, the core
/// deciding the same outcome, and applying it. Returns what is wrong, if anything.
fn decide_again(state: &mut State, event: &ReadEvent) -> Option<String> {
    let ReadEvent { ctx, body, .. } = event;
    // Here rather than with the reader's checks: re-serialising the command is the cost that
    // balances the two threads (the reader hashes and parses, the slower half).
    if payload_hash(&ctx.actor, &body.command) != ctx.payload_hash {
        return Some("payload hash does not match the actor and command".to_string());
    }
    if let Some(key) = &ctx.key
        && state.key_record(key).is_some()
    {
        return Some(format!("idempotency key {key:?} is used twice"));
    }
    let outcome = match state.decide(ctx, &body.command) {
        Ok(outcome) if outcome == body.outcome => outcome,
        Ok(_) => {
            return Some(format!(
                "recorded outcome of {} differs from its recomputation",
                body.command.op()
            ));
        }
        Err(error) => {
            return Some(format!(
                "{} would be refused now: {error}",
                body.command.op()
            ));
        }
    };
    if let Err(error) = state.apply_owned(ctx, &body.command, outcome) {
        return Some(error.to_string());
    }
    None
}

/// Invariants of a replayed state: a balanced ledger with no forbidden negative balance,
/// every distribution adding up to its amount (and what the bank released), no claim paid past what is owed.
fn audit(state: &State) -> Result<(), String> {
    state.ledger().audit().map_err(|e| e.to_string())?;
    for distribution in state.distributions() {
        let sum: i128 = distribution.lines.iter().map(|l| l.amount).sum();
        let placed = distribution.amount + distribution.released;
        if sum != placed {
            return Err(format!(
                "distribution {} places {sum} of {placed}",
                distribution.id
            ));
        }
    }
    for project in state.projects() {
        if let Some(claim) = project
            .claims
            .iter()
            .find(|c| c.paid > c.owed || c.paid < 0)
        {
            return Err(format!(
                "claim of contribution {} is paid {} of {}",
                claim.contribution, claim.paid, claim.owed
            ));
        }
    }
    Ok(())
}

/// How much of a snapshot `verify` reads at a time to compare it with the replay.
const COMPARE_BUFFER_BYTES: usize = 1 << 20;
