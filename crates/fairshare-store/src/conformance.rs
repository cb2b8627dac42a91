//! The conformance suite every [`Store`] backend must pass.
//!
//! Backends call it from their integration tests with a factory that opens a fresh, EMPTY book
//! on each call:
//!
//! ```text
//! fairshare_store::conformance::run_all(&mut || Box::new(MyStore::open_temp()));
//! fairshare_store::conformance::run_shared(&mut |n| MyStore::open_n_handles_on_one_book(n));
//! ```
//!
//! [`run_all`] checks single-handle behaviour; [`run_shared`] checks several handles on one
//! book (each handle its own connection, as several processes would have). Every check is also
//! public so a backend can run one alone. The checks panic (like `assert!`) with a message that
//! says what broke.
//!
//! The credential stores beside the log have their own suite, [`run_credentials`] (see
//! [`credentials`]).

pub mod credentials;
pub mod webhooks;

pub use credentials::{CredentialFactory, run_credentials};
pub use webhooks::{WebhookFactory, run_webhooks};

use crate::{EventRow, SNAPSHOTS_KEPT, Store, StoreError, StoreResult};
use std::collections::HashSet;
use std::fmt::Debug;

/// Opens a fresh, empty book and returns one handle on it.
pub type Factory<'a> = dyn FnMut() -> Box<dyn Store> + 'a;

/// Opens a fresh, empty book and returns `n` independent handles on it.
pub type SharedFactory<'a> = dyn FnMut(usize) -> Vec<Box<dyn Store>> + 'a;

/// Runs every single-handle check, each on its own fresh book.
pub fn run_all(make: &mut Factory<'_>) {
    empty_book(make);
    round_trip(make);
    scan_after(make);
    lent_scan_matches_scan(make);
    scan_stops_on_visitor_error(make);
    empty_append_is_noop(make);
    gap_ahead_of_head(make);
    non_contiguous_batch(make);
    taken_seq_conflicts(make);
    batch_conflict_is_atomic(make);
    duplicate_idempotency_key(make);
    duplicate_key_within_batch(make);
    many_rows_without_keys(make);
    large_batch(make);
    append_all_streams_batches(make);
    append_all_is_all_or_nothing(make);
    snapshots_keep_the_newest(make);
}

/// Runs every multi-handle check: two handles see each other's appends, and 8 concurrent
/// writers of 200 events each end with exactly 1,600 contiguous events.
pub fn run_shared(open: &mut SharedFactory<'_>) {
    two_handles(open);
    append_all_is_invisible_until_done(open);
    snapshots_shared(open);
    concurrent_appends(take(open, 8), 200);
}

/// Opens `n` handles at once, each on its own thread (as `n` processes starting together
/// would), and returns them; panics if any open fails.
pub fn open_at_once<S: Send, E: std::fmt::Display + Send>(
    n: usize,
    open: impl Fn() -> Result<S, E> + Sync,
) -> Vec<S> {
    std::thread::scope(|scope| {
        let joins: Vec<_> = (0..n).map(|_| scope.spawn(&open)).collect();
        joins
            .into_iter()
            .map(|j| match j.join() {
                Ok(Ok(store)) => store,
                Ok(Err(e)) => panic!("concurrent open: {e}"),
                Err(_) => panic!("open thread panicked"),
            })
            .collect()
    })
}

/// On an empty book: a reused idempotency key and a taken sequence are refused as conflicts
/// whose messages name the key and the sequence. Returns the two messages, for a backend to
/// check its own wording further.
pub fn conflict_messages_name_the_culprit(s: &mut dyn Store) -> (String, String) {
    s.append(&[sample_row(1, Some("pay-42"))]).expect("append");
    let key = match s.append(&[sample_row(2, Some("pay-42"))]) {
        Err(StoreError::Conflict(m)) => m,
        other => panic!("expected Conflict, got {other:?}"),
    };
    assert!(key.contains("pay-42"), "{key}");
    let seq = match s.append(&[sample_row(1, None)]) {
        Err(StoreError::Conflict(m)) => m,
        other => panic!("expected Conflict, got {other:?}"),
    };
    assert!(seq.contains("sequence 1"), "{seq}");
    (key, seq)
}

/// A plausible row for `seq`: the hashes are fixed-width hex derived from `seq` (the store does
/// not check them), `prev_hash` chains to the previous row's `hash`.
pub fn sample_row(seq: u64, idempotency_key: Option<&str>) -> EventRow {
    EventRow {
        seq,
        recorded_at: format!("2025-01-01T00:00:{:02}.{:06}Z", seq % 60, seq % 1_000_000),
        actor: format!("agent-{}", seq % 7),
        idempotency_key: idempotency_key.map(str::to_owned),
        payload_hash: fake_hash(seq ^ 0x5555),
        body: format!(
            r#"{{"type":"contribution","seq":{seq},"amount":"{}.{:02}","note":"row {seq}"}}"#,
            seq.wrapping_mul(3),
            seq % 100
        ),
        prev_hash: if seq <= 1 {
            "0".repeat(64)
        } else {
            fake_hash(seq - 1)
        },
        hash: fake_hash(seq),
    }
}

/// `n` contiguous sample rows starting at `first`, without idempotency keys.
pub fn sample_rows(first: u64, n: u64) -> Vec<EventRow> {
    (0..n)
        .map(|i| sample_row(first.wrapping_add(i), None))
        .collect()
}

fn fake_hash(x: u64) -> String {
    // Deterministic 64 hex digits; not a real hash, the store never checks.
    let a = x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let b = a.rotate_left(17) ^ 0xD1B5_4A32_D192_ED03;
    format!("{a:016x}{b:016x}{:016x}{:016x}", a ^ b, a.wrapping_add(b))
}

/// Rows that exercise every field: `None` and `Some("")` keys (distinct), unicode in every
/// text column, JSON escapes, and a 1 MiB body.
pub fn tricky_rows(first: u64) -> Vec<EventRow> {
    let mut rows = Vec::new();
    let mut next = |f: &dyn Fn(&mut EventRow)| {
        let mut r = sample_row(first + rows.len() as u64, None);
        f(&mut r);
        rows.push(r);
    };
    next(&|r| r.idempotency_key = None);
    next(&|r| r.idempotency_key = Some(String::new()));
    next(&|r| {
        r.actor = "zoë-🦀-日本語-עברית".into();
        r.idempotency_key = Some("clé-🔑-\u{200d}-\u{0301}e".into());
        r.body =
            r#"{"note":"quotes \" backslash \\ newline \n tab \t nul \u0000 é 😀 \ud83d\ude00"}"#
                .into();
    });
    next(&|r| {
        r.recorded_at = "2025-12-31T23:59:59.999999999Z".into();
        r.body = format!(r#"{{"blob":"{}"}}"#, "x€y".repeat(210_000));
        r.idempotency_key = Some("k".repeat(1_000));
    });
    next(&|r| {
        r.body = "{}".into();
        r.actor = "operator".into();
        r.idempotency_key = Some("  leading and trailing spaces  ".into());
    });
    next(&|r| {
        r.body = "[\r\n\t]".into();
        r.idempotency_key = None;
    });
    rows
}

/// A fresh book: head is 0, scan visits nothing, the location is described.
pub fn empty_book(make: &mut Factory<'_>) {
    let mut s = make();
    assert_eq!(ok(s.head(), "head of an empty book"), 0);
    assert!(collect(&mut *s, 0).is_empty(), "scan of an empty book");
    assert!(
        !s.location().is_empty(),
        "location() must describe the book"
    );
}

/// Appended rows come back from `scan` identical (every field) and in order, and `head` moves.
pub fn round_trip(make: &mut Factory<'_>) {
    let mut s = make();
    let first = sample_rows(1, 3);
    ok(s.append(&first), "append rows 1..=3");
    assert_eq!(ok(s.head(), "head"), 3);
    let tricky = tricky_rows(4);
    ok(s.append(&tricky), "append tricky rows");
    let last = first.len() + tricky.len();
    assert_eq!(ok(s.head(), "head"), last as u64);
    let all: Vec<EventRow> = first.into_iter().chain(tricky).collect();
    let got = collect(&mut *s, 0);
    assert_eq!(
        got.len(),
        all.len(),
        "scan returned a different number of rows"
    );
    for (g, w) in got.iter().zip(&all) {
        assert_rows_eq(g, w);
    }
}

/// `scan(after)` visits exactly the rows with `seq > after`, including past the head and
/// for `u64::MAX`.
pub fn scan_after(make: &mut Factory<'_>) {
    let mut s = make();
    let rows = sample_rows(1, 20);
    ok(s.append(&rows), "append 20 rows");
    for after in [0u64, 1, 7, 19, 20, 21, 1_000, u64::MAX] {
        let seqs: Vec<u64> = collect(&mut *s, after).iter().map(|r| r.seq).collect();
        let want: Vec<u64> = (after.saturating_add(1)..=20).collect();
        assert_eq!(seqs, want, "scan(after = {after})");
    }
    let got = collect(&mut *s, 15);
    for (g, w) in got.iter().zip(&rows[15..]) {
        assert_rows_eq(g, w);
    }
}

/// `scan_lent(after)` lends exactly the rows appended after `after` (tricky text included), and
/// stops at its visitor's first error.
pub fn lent_scan_matches_scan(make: &mut Factory<'_>) {
    let mut s = make();
    let rows: Vec<EventRow> = sample_rows(1, 5)
        .into_iter()
        .chain(tricky_rows(6))
        .collect();
    ok(s.append(&rows), "append sample and tricky rows");
    for after in [0u64, 3, rows.len() as u64, u64::MAX] {
        let mut lent = Vec::new();
        ok(
            s.scan_lent(after, &mut |row| {
                lent.push(row.to_row());
                Ok(())
            }),
            "scan_lent",
        );
        let want = &rows[rows.len().min(usize::try_from(after).unwrap_or(usize::MAX))..];
        assert_eq!(
            lent.len(),
            want.len(),
            "scan_lent(after = {after}) row count"
        );
        for (l, w) in lent.iter().zip(want) {
            assert_rows_eq(l, w);
        }
    }
    let mut seen = 0;
    let stopped = s.scan_lent(0, &mut |_| {
        seen += 1;
        if seen == 2 {
            return Err(StoreError::Backend("visitor stop".into()));
        }
        Ok(())
    });
    assert!(
        matches!(&stopped, Err(StoreError::Backend(m)) if m == "visitor stop"),
        "scan_lent must return the visitor's error, got {stopped:?}"
    );
    assert_eq!(seen, 2, "scan_lent must stop at the visitor's first error");
}

/// An error returned by the visitor stops the scan at once and is returned by `scan`.
pub fn scan_stops_on_visitor_error(make: &mut Factory<'_>) {
    let mut s = make();
    ok(s.append(&sample_rows(1, 50)), "append 50 rows");
    let mut seen = 0u64;
    let res = s.scan(0, &mut |row| {
        seen += 1;
        if row.seq == 10 {
            Err(StoreError::Backend("visitor says stop".into()))
        } else {
            Ok(())
        }
    });
    match res {
        Err(StoreError::Backend(m)) if m.contains("visitor says stop") => {}
        other => panic!("scan must return the visitor's error, got {other:?}"),
    }
    assert_eq!(seen, 10, "scan must stop at the visitor's first error");
    // The handle is still usable after an aborted scan.
    assert_eq!(collect(&mut *s, 45).len(), 5);
    ok(
        s.append(&sample_rows(51, 1)),
        "append after an aborted scan",
    );
    assert_eq!(ok(s.head(), "head"), 51);
}

/// Appending no rows succeeds and changes nothing.
pub fn empty_append_is_noop(make: &mut Factory<'_>) {
    let mut s = make();
    ok(s.append(&[]), "empty append on an empty book");
    assert_eq!(ok(s.head(), "head"), 0);
    ok(s.append(&sample_rows(1, 2)), "append 2 rows");
    ok(s.append(&[]), "empty append");
    assert_eq!(ok(s.head(), "head"), 2);
}

/// A batch that starts past `head + 1` (or at 0) is a `Gap` and writes nothing.
pub fn gap_ahead_of_head(make: &mut Factory<'_>) {
    let mut s = make();
    let err = s.append(&sample_rows(2, 3)).err();
    assert!(
        matches!(
            err,
            Some(StoreError::Gap {
                expected: 1,
                got: 2
            })
        ),
        "first append starting at 2 must be Gap {{ expected: 1, got: 2 }}, got {err:?}"
    );
    assert_unchanged(&mut *s, &[]);
    let err = s.append(&sample_rows(0, 2)).err();
    assert!(
        matches!(err, Some(StoreError::Gap { .. } | StoreError::Conflict(_))),
        "append starting at seq 0 must fail with Gap or Conflict, got {err:?}"
    );
    assert_unchanged(&mut *s, &[]);

    let rows = sample_rows(1, 5);
    ok(s.append(&rows), "append 1..=5");
    let err = s.append(&sample_rows(7, 1)).err();
    assert!(
        matches!(
            err,
            Some(StoreError::Gap {
                expected: 6,
                got: 7
            })
        ),
        "append at 7 after head 5 must be Gap {{ expected: 6, got: 7 }}, got {err:?}"
    );
    let err = s.append(&sample_rows(u64::MAX, 1)).err();
    assert!(
        matches!(err, Some(StoreError::Gap { expected: 6, .. })),
        "append at u64::MAX must be a Gap, got {err:?}"
    );
    assert_unchanged(&mut *s, &rows);
    ok(
        s.append(&sample_rows(6, 1)),
        "append 6 after the refused appends",
    );
}

/// A batch whose rows are not contiguous is refused whole.
pub fn non_contiguous_batch(make: &mut Factory<'_>) {
    let mut s = make();
    let mut rows = sample_rows(1, 3);
    rows[2] = sample_row(4, None);
    let err = s.append(&rows).err();
    assert!(
        matches!(
            err,
            Some(StoreError::Gap {
                expected: 3,
                got: 4
            })
        ),
        "batch 1,2,4 must be Gap {{ expected: 3, got: 4 }}, got {err:?}"
    );
    let dup = vec![sample_row(1, None), sample_row(1, None)];
    let err = s.append(&dup).err();
    assert!(
        matches!(err, Some(StoreError::Gap { .. } | StoreError::Conflict(_))),
        "batch 1,1 must fail, got {err:?}"
    );
    assert_unchanged(&mut *s, &[]);
}

/// Appending at a sequence number already taken (a stale writer) is a `Conflict`.
pub fn taken_seq_conflicts(make: &mut Factory<'_>) {
    let mut s = make();
    let rows = sample_rows(1, 3);
    ok(s.append(&rows), "append 1..=3");
    for first in [1u64, 2, 3] {
        let why = format!("append starting at taken seq {first}");
        assert_conflict(&mut *s, &sample_rows(first, 2), &rows, &why);
    }
    ok(s.append(&sample_rows(4, 1)), "append 4 after the conflicts");
}

/// A batch of 3 whose 3rd row conflicts (on its idempotency key) leaves the store unchanged.
pub fn batch_conflict_is_atomic(make: &mut Factory<'_>) {
    let mut s = make();
    let rows = vec![sample_row(1, Some("a")), sample_row(2, Some("b"))];
    ok(s.append(&rows), "append 1..=2");
    let batch = vec![
        sample_row(3, Some("c")),
        sample_row(4, None),
        sample_row(5, Some("a")),
    ];
    let why = "batch whose 3rd row reuses key \"a\"";
    assert_conflict(&mut *s, &batch, &rows, why);
    // Key "c" was not kept by the failed batch.
    ok(
        s.append(&[sample_row(3, Some("c"))]),
        "reuse key \"c\" after the failed batch",
    );
}

/// A key used by a stored row cannot be used again; `None` keys never collide.
pub fn duplicate_idempotency_key(make: &mut Factory<'_>) {
    let mut s = make();
    let rows = vec![
        sample_row(1, Some("key-1")),
        sample_row(2, None),
        sample_row(3, Some("")),
    ];
    ok(s.append(&rows), "append 1..=3");
    for key in ["key-1", ""] {
        let why = format!("reusing idempotency key {key:?}");
        assert_conflict(&mut *s, &[sample_row(4, Some(key))], &rows, &why);
    }
    ok(
        s.append(&[sample_row(4, Some("KEY-1"))]),
        "keys are case-sensitive",
    );
    ok(s.append(&[sample_row(5, None)]), "a second None key");
}

/// Two rows of one batch with the same key: `Conflict`, nothing written.
pub fn duplicate_key_within_batch(make: &mut Factory<'_>) {
    let mut s = make();
    let batch = vec![sample_row(1, Some("same")), sample_row(2, Some("same"))];
    assert_conflict(&mut *s, &batch, &[], "a batch reusing its own key");
}

/// Many rows with no idempotency key (NULLs never collide).
pub fn many_rows_without_keys(make: &mut Factory<'_>) {
    let mut s = make();
    for first in (1..=100).step_by(10) {
        ok(
            s.append(&sample_rows(first, 10)),
            "append 10 rows without keys",
        );
    }
    assert_eq!(ok(s.head(), "head"), 100);
}

/// 10,000 rows (with keys) in one batch, then a scan that streams all of them in order.
pub fn large_batch(make: &mut Factory<'_>) {
    const N: u64 = 10_000;
    let mut s = make();
    let rows: Vec<EventRow> = (1..=N)
        .map(|i| {
            sample_row(
                i,
                Some(&format!("idem-{:08x}", i.wrapping_mul(2_654_435_761))),
            )
        })
        .collect();
    ok(s.append(&rows), "append a batch of 10,000 rows");
    assert_eq!(ok(s.head(), "head"), N);
    let mut next = 0usize;
    ok(
        s.scan(0, &mut |row| {
            assert_rows_eq(&row, &rows[next]);
            next += 1;
            Ok(())
        }),
        "scan 10,000 rows",
    );
    assert_eq!(next as u64, N, "scan must visit all 10,000 rows");
    ok(
        s.append(&sample_rows(N + 1, 1)),
        "append after the large batch",
    );
}

/// `append_all` appends every batch its producer gives, in order, after the head.
pub fn append_all_streams_batches(make: &mut Factory<'_>) {
    let mut s = make();
    let first = sample_rows(1, 2);
    ok(s.append(&first), "append 1..=2");
    let keyed: Vec<EventRow> = (3..=7)
        .map(|seq| sample_row(seq, Some(&format!("bulk-{seq}"))))
        .collect();
    ok(
        s.append_all(&mut |sink| {
            sink(&keyed[..2])?;
            sink(&[])?;
            sink(&keyed[2..])
        }),
        "append_all of three batches",
    );
    let want: Vec<EventRow> = first.into_iter().chain(keyed).collect();
    assert_unchanged(&mut *s, &want);
    ok(s.append_all(&mut |_| Ok(())), "append_all of nothing");
    assert_unchanged(&mut *s, &want);
}

/// `append_all` writes nothing when its producer fails after some batches, nor when a later
/// batch is refused (a gap, a taken key); the book stays usable and the keys free.
pub fn append_all_is_all_or_nothing(make: &mut Factory<'_>) {
    let mut s = make();
    let rows = vec![sample_row(1, Some("a"))];
    ok(s.append(&rows), "append 1");
    let stopped = s.append_all(&mut |sink| {
        sink(&[sample_row(2, Some("b")), sample_row(3, None)])?;
        sink(&sample_rows(4, 3))?;
        Err(StoreError::Backend("the producer failed".into()))
    });
    assert!(
        matches!(&stopped, Err(StoreError::Backend(m)) if m == "the producer failed"),
        "append_all must return its producer's error, got {stopped:?}"
    );
    assert_unchanged(&mut *s, &rows);
    let gap = s.append_all(&mut |sink| {
        sink(&sample_rows(2, 2))?;
        sink(&sample_rows(5, 1))
    });
    assert!(
        matches!(
            gap,
            Err(StoreError::Gap {
                expected: 4,
                got: 5
            })
        ),
        "a batch that skips must be Gap {{ expected: 4, got: 5 }}, got {gap:?}"
    );
    assert_unchanged(&mut *s, &rows);
    let taken = s.append_all(&mut |sink| {
        sink(&[sample_row(2, Some("b"))])?;
        sink(&[sample_row(3, Some("a"))])
    });
    assert!(
        matches!(taken, Err(StoreError::Conflict(_))),
        "a batch reusing key \"a\" must be Conflict, got {taken:?}"
    );
    assert_unchanged(&mut *s, &rows);
    let more = [sample_row(2, Some("b"))];
    ok(
        s.append(&more),
        "append 2 with key \"b\" after the failures",
    );
    assert_unchanged(&mut *s, &[rows, more.to_vec()].concat());
}

/// Another handle sees none of an `append_all`'s batches until it returns, then all.
pub fn append_all_is_invisible_until_done(open: &mut SharedFactory<'_>) {
    let mut hs = take(open, 2);
    let mut reader = hs.pop().expect("two handles");
    let mut writer = hs.pop().expect("two handles");
    let rows = sample_rows(1, 6);
    let mut seen = Vec::new();
    ok(
        writer.append_all(&mut |sink| {
            for batch in rows.chunks(2) {
                sink(batch)?;
                seen.push(reader.head()?);
            }
            Ok(())
        }),
        "append_all of three batches",
    );
    assert_eq!(seen, [0, 0, 0], "the other handle's head during append_all");
    assert_eq!(collect(&mut *reader, 0), rows, "the other handle scans all");
}

/// What [`Store::read_snapshot`] streams at or below `at_most`: its number, the length it
/// says and the bytes read in small pieces.
fn streamed(store: &mut dyn Store, at_most: u64) -> Option<(u64, u64, Vec<u8>)> {
    let mut seen = None;
    let found = ok(
        store.read_snapshot(at_most, &mut |seq, length, bytes| {
            let mut all = Vec::new();
            let mut piece = [0u8; 4099];
            loop {
                let read = bytes
                    .read(&mut piece)
                    .map_err(|e| StoreError::Backend(e.to_string()))?;
                if read == 0 {
                    break;
                }
                all.extend_from_slice(&piece[..read]);
            }
            seen = Some((seq, length, all));
            Ok(())
        }),
        "read a snapshot as a stream",
    );
    assert_eq!(
        found,
        seen.is_some(),
        "read_snapshot says whether it found one"
    );
    seen
}

/// Snapshot bytes of a given length and seed: every byte value, a large payload stays exact.
fn snapshot_bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
        .collect()
}

/// Snapshots come back byte for byte: the newest at or below a number, none below the
/// oldest; a second snapshot at one number replaces the first; only the newest
/// [`SNAPSHOTS_KEPT`] stay. Ranges of the one kept at exactly a number come back exact, `None`
/// past its end, at a number without one or at one pruned; a handle from `reopener`, when the
/// store gives one, is on the same book and reads the same bytes.
pub fn snapshots_keep_the_newest(make: &mut Factory<'_>) {
    let mut s = make();
    assert_eq!(
        ok(s.latest_snapshot(u64::MAX), "latest snapshot of a new book"),
        None
    );
    assert_eq!(range(&mut *s, 0, 0, 0), None, "a range of a new book");
    ok(s.append(&sample_rows(1, 10)), "append 1..=10");
    let big = snapshot_bytes(3 << 20, 7);
    ok(s.put_snapshot(4, &big), "put a 3 MiB snapshot at 4");
    ok(s.put_snapshot(2, &snapshot_bytes(10, 1)), "put at 2");
    ok(s.put_snapshot(4, b"damaged"), "put again at 4");
    assert_eq!(
        ok(s.latest_snapshot(10), "latest at most 10"),
        Some((4, b"damaged".to_vec())),
        "the second snapshot at 4 replaces the first"
    );
    ok(s.put_snapshot(4, &big), "put a third time at 4");
    assert_ranges(&mut *s, 4, &big);
    for seq in [0, 3, 5, u64::MAX] {
        assert_eq!(
            range(&mut *s, seq, 0, 1),
            None,
            "no snapshot is kept at {seq}"
        );
    }
    assert_eq!(
        ok(s.latest_snapshot(10), "latest at most 10"),
        Some((4, big.clone()))
    );
    assert_eq!(
        streamed(&mut *s, 10),
        Some((4, big.len() as u64, big.clone()))
    );
    assert_eq!(
        streamed(&mut *s, 3),
        Some((2, 10, snapshot_bytes(10, 1))),
        "read as a stream, the one latest_snapshot gives"
    );
    assert_eq!(streamed(&mut *s, 1), None);
    assert_eq!(
        ok(s.latest_snapshot(3), "latest at most 3"),
        Some((2, snapshot_bytes(10, 1)))
    );
    assert_eq!(ok(s.latest_snapshot(1), "latest at most 1"), None);
    for seq in 5..=(4 + SNAPSHOTS_KEPT as u64) {
        ok(s.put_snapshot(seq, &snapshot_bytes(5, seq as u8)), "put");
    }
    let newest = 4 + SNAPSHOTS_KEPT as u64;
    let oldest_kept = newest + 1 - SNAPSHOTS_KEPT as u64;
    assert_eq!(
        ok(s.latest_snapshot(u64::MAX), "latest"),
        Some((newest, snapshot_bytes(5, newest as u8)))
    );
    assert_eq!(
        ok(s.latest_snapshot(oldest_kept - 1), "below the kept ones"),
        None,
        "only the newest {SNAPSHOTS_KEPT} snapshots are kept"
    );
    assert_eq!(
        range(&mut *s, 4, 0, 1),
        None,
        "the snapshot at 4 was pruned"
    );
    // Written in place as a stream, then a field filled in by going back: kept as written.
    let expected = snapshot_bytes(70_000, 9);
    ok(
        s.write_snapshot(newest + 1, expected.len() as u64, &mut |out| {
            let io = |e: std::io::Error| StoreError::Backend(e.to_string());
            out.write_all(&[0u8; 4]).map_err(io)?;
            for piece in expected[4..].chunks(4099) {
                out.write_all(piece).map_err(io)?;
            }
            out.seek(std::io::SeekFrom::Start(0)).map_err(io)?;
            out.write_all(&expected[..4]).map_err(io)
        }),
        "write the next snapshot as a stream",
    );
    assert_eq!(
        ok(s.latest_snapshot(u64::MAX), "latest"),
        Some((newest + 1, expected.clone()))
    );
    assert_ranges(&mut *s, newest + 1, &expected);
    let refused = s.write_snapshot(newest + 2, 10, &mut |_| {
        Err(StoreError::Backend("no".into()))
    });
    assert!(
        matches!(refused, Err(StoreError::Backend(ref m)) if m == "no"),
        "a failed write comes back unchanged: {refused:?}"
    );
    assert_eq!(
        ok(s.latest_snapshot(u64::MAX), "latest"),
        Some((newest + 1, expected.clone())),
        "a failed write keeps nothing"
    );
    assert_eq!(ok(s.head(), "head"), 10, "snapshots add no events");
    reopened_reads_the_same(&mut *s, newest + 1, &expected);
}

/// `read_snapshot_range(seq, offset, length)`, which must not fail.
fn range(store: &mut dyn Store, seq: u64, offset: u64, length: u64) -> Option<Vec<u8>> {
    let what = format!("read {length} bytes at {offset} of the snapshot at {seq}");
    let range = crate::SnapshotRange {
        seq,
        offset,
        length,
    };
    ok(store.read_snapshot_range(range), &what)
}

/// Ranges of `bytes`, the snapshot kept at `seq`: those inside (at its start, across pieces in
/// its middle, at its very end, empty) come back exact, those that pass its end (or overflow)
/// are `None`.
fn assert_ranges(store: &mut dyn Store, seq: u64, bytes: &[u8]) {
    let total = bytes.len() as u64;
    // In a 3 MiB snapshot: over the ends of two 1,000,003-byte pieces (PostgreSQL's small
    // ones) and of a 1 MiB slice; in a smaller one, its second half.
    let across = (999_990.min(total / 2), (total / 2).min((1 << 20) + 20));
    let inside = [
        (0, 1),
        (0, 4_099),
        (total / 2 - 20, 40),
        across,
        (total - 4_099, 4_099),
        (total - 1, 1),
        (total / 2, 0),
        (total, 0),
    ];
    for (offset, length) in inside {
        let at = usize::try_from(offset).unwrap_or(usize::MAX);
        let end = at + usize::try_from(length).unwrap_or(usize::MAX);
        assert!(
            range(store, seq, offset, length).as_deref() == Some(&bytes[at..end]),
            "{length} bytes at {offset} of the {total}-byte snapshot at {seq} come back exact"
        );
    }
    let past = [
        (total - 1, 2),
        (0, total + 1),
        (total + 1, 0),
        (total + 1, 1),
        (u64::MAX, 1),
        (1, u64::MAX),
    ];
    for (offset, length) in past {
        assert_eq!(
            range(store, seq, offset, length),
            None,
            "{length} bytes at {offset} pass the end of the {total}-byte snapshot at {seq}"
        );
    }
}

/// When `store` gives a [`Store::reopener`]: its handle sees the same head, follows the
/// original's appends and reads the same bytes of `bytes`, the snapshot kept at `seq`.
fn reopened_reads_the_same(store: &mut dyn Store, seq: u64, bytes: &[u8]) {
    let Some(reopen) = store.reopener() else {
        return; // the store cannot be opened twice
    };
    let mut other = ok(reopen(), "open another handle with reopener()");
    let head = ok(store.head(), "head");
    assert_eq!(ok(other.head(), "head of the other handle"), head);
    ok(store.append(&sample_rows(head + 1, 1)), "append one more");
    assert_eq!(
        ok(other.head(), "head of the other handle"),
        head + 1,
        "the other handle is on the same book"
    );
    let middle = bytes.len() / 2;
    assert_eq!(
        range(&mut *other, seq, middle as u64, 1_000).as_deref(),
        Some(&bytes[middle..middle + 1_000]),
        "the other handle reads the same bytes"
    );
    assert_eq!(range(&mut *other, seq, 0, bytes.len() as u64 + 1), None);
}

/// Two handles (two servers) write the same snapshot at once and both succeed; each sees the
/// other's snapshots.
pub fn snapshots_shared(open: &mut SharedFactory<'_>) {
    let hs = take(open, 2);
    let bytes = snapshot_bytes(1 << 20, 3);
    std::thread::scope(|scope| {
        for mut h in hs {
            let bytes = &bytes;
            scope.spawn(move || {
                ok(
                    h.put_snapshot(7, bytes),
                    "put the same snapshot from two handles",
                );
                assert_eq!(
                    ok(h.latest_snapshot(7), "latest from each handle"),
                    Some((7, bytes.clone()))
                );
            });
        }
    });
}

/// Two handles on one book see each other's appends; a handle with a stale head conflicts.
pub fn two_handles(open: &mut SharedFactory<'_>) {
    let mut hs = take(open, 2);
    let mut b = hs.pop().expect("two handles");
    let mut a = hs.pop().expect("two handles");
    assert_eq!(ok(a.head(), "head a"), 0);
    assert_eq!(ok(b.head(), "head b"), 0);
    ok(a.append(&sample_rows(1, 3)), "a appends 1..=3");
    assert_eq!(ok(b.head(), "b sees a's appends"), 3);
    ok(b.append(&sample_rows(4, 2)), "b appends 4..=5");
    assert_eq!(ok(a.head(), "a sees b's appends"), 5);
    let err = a.append(&sample_rows(4, 1)).err();
    assert!(
        matches!(err, Some(StoreError::Conflict(_))),
        "a stale append at 4 must be Conflict, got {err:?}"
    );
    ok(
        b.append(&[sample_row(6, Some("shared-key"))]),
        "b appends with a key",
    );
    let err = a.append(&[sample_row(7, Some("shared-key"))]).err();
    assert!(
        matches!(err, Some(StoreError::Conflict(_))),
        "a reusing b's key must be Conflict, got {err:?}"
    );
    let want = sample_rows(1, 5)
        .into_iter()
        .chain([sample_row(6, Some("shared-key"))])
        .collect::<Vec<_>>();
    for (name, h) in [("a", &mut a), ("b", &mut b)] {
        let got = collect(&mut **h, 0);
        assert_eq!(got, want, "handle {name} scans the whole book");
    }
}

/// Each handle appends `per_thread` single-row events from its own thread, retrying on
/// `Conflict` after re-reading the head. The book must end with exactly
/// `handles.len() * per_thread` events numbered 1..=N without gap or duplicate, every key once.
pub fn concurrent_appends(handles: Vec<Box<dyn Store>>, per_thread: u64) {
    let writers = handles.len() as u64;
    let total = writers * per_thread;
    let mut results = Vec::new();
    std::thread::scope(|scope| {
        let mut joins = Vec::new();
        for (t, mut h) in handles.into_iter().enumerate() {
            joins.push(
                scope.spawn(move || -> Result<(Box<dyn Store>, u64), String> {
                    let mut conflicts = 0u64;
                    for i in 0..per_thread {
                        let key = format!("writer-{t}-{i}");
                        loop {
                            let head = h.head().map_err(|e| format!("writer {t} head: {e}"))?;
                            match h.append(&[sample_row(head + 1, Some(&key))]) {
                                Ok(()) => break,
                                Err(StoreError::Conflict(_)) => conflicts += 1,
                                Err(e) => return Err(format!("writer {t} append #{i}: {e}")),
                            }
                        }
                    }
                    Ok((h, conflicts))
                }),
            );
        }
        for j in joins {
            results.push(j.join().expect("writer thread panicked"));
        }
    });
    let mut handles = Vec::new();
    for r in results {
        match r {
            Ok((h, _conflicts)) => handles.push(h),
            Err(e) => panic!("{e}"),
        }
    }
    let h = &mut handles[0];
    assert_eq!(ok(h.head(), "head after concurrent appends"), total);
    let mut expect = 1u64;
    let mut keys = HashSet::new();
    ok(
        h.scan(0, &mut |row| {
            assert_eq!(
                row.seq, expect,
                "concurrent appends left a gap or duplicate"
            );
            expect += 1;
            let key = row.idempotency_key.expect("every concurrent row has a key");
            assert!(keys.insert(key), "a key was stored twice");
            Ok(())
        }),
        "scan after concurrent appends",
    );
    assert_eq!(expect - 1, total, "scan count after concurrent appends");
    assert_eq!(keys.len() as u64, total);
}

fn take(open: &mut SharedFactory<'_>, n: usize) -> Vec<Box<dyn Store>> {
    let hs = open(n);
    assert_eq!(hs.len(), n, "the shared factory must return {n} handles");
    hs
}

fn ok<T, E: Debug>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what}: unexpected error {e:?}"),
    }
}

/// Every row after `after`, in order (panics if the scan fails).
pub fn collect(s: &mut dyn Store, after: u64) -> Vec<EventRow> {
    let mut out = Vec::new();
    let res: StoreResult<()> = s.scan(after, &mut |r| {
        out.push(r);
        Ok(())
    });
    ok(res, "scan");
    out
}

/// After a refused append, the book still holds exactly `rows`.
fn assert_unchanged(s: &mut dyn Store, rows: &[EventRow]) {
    assert_eq!(
        ok(s.head(), "head after a refused append"),
        rows.len() as u64,
        "a refused append must write nothing"
    );
    assert_eq!(collect(s, 0), rows, "a refused append must write nothing");
}

/// Appending `batch` must be refused as `Conflict` (`why`: what the batch does wrong) and
/// leave exactly `rows`.
fn assert_conflict(s: &mut dyn Store, batch: &[EventRow], rows: &[EventRow], why: &str) {
    let err = s.append(batch).err();
    assert!(
        matches!(err, Some(StoreError::Conflict(_))),
        "{why} must be Conflict, got {err:?}"
    );
    assert_unchanged(s, rows);
}

fn assert_rows_eq(got: &EventRow, want: &EventRow) {
    if got == want {
        return;
    }
    // Avoid dumping a 1 MiB body: name the differing fields.
    let mut diff = RowDiff {
        got,
        want,
        fields: Vec::new(),
    };
    diff.field("seq", |r| &r.seq);
    diff.field("recorded_at", |r| &r.recorded_at);
    diff.field("actor", |r| &r.actor);
    diff.field("idempotency_key", |r| &r.idempotency_key);
    diff.field("payload_hash", |r| &r.payload_hash);
    diff.field("body", |r| &r.body);
    diff.field("prev_hash", |r| &r.prev_hash);
    diff.field("hash", |r| &r.hash);
    panic!(
        "row {} did not round-trip: {}",
        want.seq,
        diff.fields.join("; ")
    );
}

/// The fields in which two rows differ, each side truncated.
struct RowDiff<'a> {
    got: &'a EventRow,
    want: &'a EventRow,
    fields: Vec<String>,
}

impl RowDiff<'_> {
    fn field<T: PartialEq + Debug>(&mut self, name: &str, part: fn(&EventRow) -> &T) {
        let (got, want) = (part(self.got), part(self.want));
        if got != want {
            self.fields.push(format!(
                "{name}: got {} want {}",
                truncate(&format!("{got:?}")),
                truncate(&format!("{want:?}"))
            ));
        }
    }
}

fn truncate(s: &str) -> String {
    const MAX: usize = 200;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}… ({} bytes)", &s[..i], s.len()),
        None => s.to_owned(),
    }
}
