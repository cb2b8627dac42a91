//! The store conformance suite on PostgreSQL, one fresh schema per book.
//!
//! Runs only when `FAIRSHARE_TEST_POSTGRES` holds a URL, e.g.
//! `FAIRSHARE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test`; otherwise every test
//! prints a one-line skip notice and passes. The schemas are dropped at the end of each test.

use fairshare_postgres::PostgresStore;
use fairshare_store::conformance::{self, sample_row, sample_rows, tricky_rows};
use fairshare_store::{EventRow, Store};

mod common;

use common::{Schemas, database};

fn open(url: &str) -> PostgresStore {
    PostgresStore::open(url).unwrap_or_else(|e| panic!("open {url}: {e}"))
}

fn shared(schemas: &mut Schemas, k: usize) -> Vec<Box<dyn Store>> {
    let url = schemas.fresh();
    (0..k)
        .map(|_| Box::new(open(&url)) as Box<dyn Store>)
        .collect()
}

#[test]
fn conformance_suite() {
    let Some(db) = database("conformance_suite") else {
        return;
    };
    let mut schemas = Schemas::new(&db);
    conformance::run_all(&mut || Box::new(open(&schemas.fresh())));
}

#[test]
fn two_handles_on_one_schema() {
    let Some(db) = database("two_handles_on_one_schema") else {
        return;
    };
    let mut schemas = Schemas::new(&db);
    conformance::two_handles(&mut |k| shared(&mut schemas, k));
}

#[test]
fn two_servers_write_one_snapshot() {
    let Some(db) = database("two_servers_write_one_snapshot") else {
        return;
    };
    let mut schemas = Schemas::new(&db);
    conformance::snapshots_shared(&mut |k| shared(&mut schemas, k));
}

#[test]
fn append_all_is_invisible_to_another_handle() {
    let Some(db) = database("append_all_is_invisible_to_another_handle") else {
        return;
    };
    let mut schemas = Schemas::new(&db);
    conformance::append_all_is_invisible_until_done(&mut |k| shared(&mut schemas, k));
}

#[test]
fn concurrent_writers_on_one_schema() {
    let Some(db) = database("concurrent_writers_on_one_schema") else {
        return;
    };
    let mut schemas = Schemas::new(&db);
    let handles = shared(&mut schemas, 8);
    conformance::concurrent_appends(handles, 200);
}

#[test]
fn reopen_keeps_everything() {
    let Some(db) = database("reopen_keeps_everything") else {
        return;
    };
    let mut schemas = Schemas::new(&db);
    let url = schemas.fresh();
    let mut rows = sample_rows(1, 2_500);
    rows.extend(tricky_rows(2_501));
    {
        let mut s = open(&url);
        assert_eq!(s.schema(), url.rsplit('=').next().unwrap_or_default());
        s.append(&rows).expect("append");
    }
    let mut s = open(&url);
    assert_eq!(s.head().expect("head"), rows.len() as u64);
    // More rows than one scan page, so paging is exercised.
    assert_eq!(conformance::collect(&mut s, 0), rows);
    s.append(&[sample_row(rows.len() as u64 + 1, None)])
        .expect("append after reopen");
}

#[test]
fn url_parameters_and_location() {
    let Some(db) = database("url_parameters_and_location") else {
        return;
    };
    let mut schemas = Schemas::new(&db);
    let url = schemas.fresh();
    let schema = url.rsplit('=').next().unwrap_or_default().to_owned();
    // Other parameters reach the driver (it would refuse an unknown `schema` parameter).
    let with_params = format!("{url}&application_name=fairshare-test&connect_timeout=5");
    let s = open(&with_params);
    assert!(
        s.location().ends_with(&format!("schema={schema}")),
        "{}",
        s.location()
    );
    assert!(s.location().contains("application_name=fairshare-test"));
    // Trust authentication ignores passwords; the location must never show them.
    let (scheme, rest) = with_params.split_once("://").expect("a URL");
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let with_password = match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}:hunter2{}", &rest[..at], &rest[at..]),
        None => format!("{scheme}://postgres:hunter2@{rest}"),
    } + "&password=hunter3";
    let s = open(&with_password);
    assert!(!s.location().contains("hunter"), "{}", s.location());
}

#[test]
fn open_errors_say_what_failed() {
    // Needs no server: nothing listens on port 1.
    let e =
        PostgresStore::open("postgres://nobody:secret@127.0.0.1:1/db?schema=x&connect_timeout=2")
            .expect_err("connect to a closed port");
    let msg = e.to_string();
    assert!(
        msg.contains("connect to postgres://nobody@127.0.0.1:1/db") && !msg.contains("secret"),
        "{msg}"
    );
    let e = PostgresStore::open("postgres://u@127.0.0.1:1/db?schema=no-dashes")
        .expect_err("bad schema name");
    assert!(e.to_string().contains("invalid schema name"), "{e}");

    let Some(db) = database("open_errors_say_what_failed (newer schema part)") else {
        return;
    };
    let mut schemas = Schemas::new(&db);
    let url = schemas.fresh();
    drop(open(&url));
    let schema = url.rsplit('=').next().unwrap_or_default().to_owned();
    let mut c = postgres::Client::connect(&db, postgres::NoTls).expect("connect");
    c.batch_execute(&format!(
        "UPDATE {schema}.meta SET value = '99' WHERE key = 'schema_version'"
    ))
    .expect("bump the schema version");
    let e = PostgresStore::open(&url).expect_err("open a newer book");
    assert!(e.to_string().contains("newer than this build"), "{e}");
}

#[test]
fn concurrent_opens_of_a_new_schema() {
    let Some(db) = database("concurrent_opens_of_a_new_schema") else {
        return;
    };
    let mut schemas = Schemas::new(&db);
    let url = schemas.fresh();
    let mut stores = conformance::open_at_once(6, || PostgresStore::open(&url));
    stores[0].append(&sample_rows(1, 3)).expect("append");
    assert_eq!(stores[5].head().expect("head"), 3);
}

#[test]
fn conflict_messages_name_the_culprit() {
    let Some(db) = database("conflict_messages_name_the_culprit") else {
        return;
    };
    let mut schemas = Schemas::new(&db);
    conformance::conflict_messages_name_the_culprit(&mut open(&schemas.fresh()));
}

/// Append 200,000 rows in batches of 10,000, then scan them. Run in release mode:
/// `FAIRSHARE_TEST_POSTGRES=… cargo test --release -p fairshare-postgres --test conformance -- --ignored --nocapture`
#[test]
#[ignore = "benchmark: run in release mode"]
fn throughput() {
    const N: u64 = 200_000;
    const BATCH: u64 = 10_000;
    let Some(db) = database("throughput") else {
        return;
    };
    let mut schemas = Schemas::new(&db);
    let mut s = open(&schemas.fresh());
    let t = std::time::Instant::now();
    let mut first = 1;
    while first <= N {
        let batch: Vec<EventRow> = (first..first + BATCH)
            .map(|i| {
                sample_row(
                    i,
                    Some(&format!(
                        "req-{:016x}",
                        i.wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    )),
                )
            })
            .collect();
        s.append(&batch).expect("append batch");
        first += BATCH;
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "append: {N} rows in {secs:.2} s = {:.0} rows/s",
        N as f64 / secs
    );
    let t = std::time::Instant::now();
    let mut count = 0u64;
    s.scan(0, &mut |_| {
        count += 1;
        Ok(())
    })
    .expect("scan");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(count, N);
    println!(
        "scan: {count} rows in {secs:.2} s = {:.0} rows/s",
        count as f64 / secs
    );
}

/// Bytes that do not compress: a snapshot's size, and a stored size, tell the same.
fn noise(length: usize) -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..length)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// Reads the newest snapshot at or below `at_most` through `read_snapshot`, 4,000 bytes at a
/// time.
fn read_streamed(store: &mut PostgresStore, at_most: u64) -> (u64, u64, Vec<u8>) {
    let mut got = None;
    let found = store
        .read_snapshot(at_most, &mut |seq, length, reader| {
            let mut bytes = Vec::new();
            let mut piece = [0u8; 4000];
            loop {
                let read = reader.read(&mut piece).unwrap();
                if read == 0 {
                    break;
                }
                bytes.extend_from_slice(&piece[..read]);
            }
            got = Some((seq, length, bytes));
            Ok(())
        })
        .unwrap();
    assert!(found);
    got.unwrap()
}

/// A snapshot larger than a piece is kept in pieces, each stored uncompressed so that a slice
/// of it costs only itself, and reads whole through slices; the table of whole snapshots an
/// earlier build wrote is dropped.
#[test]
fn snapshots_are_kept_in_pieces_and_read_in_slices() {
    let Some(db) = database("snapshots_are_kept_in_pieces_and_read_in_slices") else {
        return;
    };
    let mut schemas = Schemas::new(&db);
    let url = schemas.fresh();
    let mut store = open(&url);
    store.append(&sample_rows(1, 3)).unwrap();
    let schema = url.rsplit("schema=").next().unwrap().to_string();
    let mut client = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!(
            "SET search_path TO {schema}; \
             CREATE TABLE snapshots (seq BIGINT PRIMARY KEY, bytes BYTEA NOT NULL); \
             INSERT INTO snapshots VALUES (1, '\\x00')"
        ))
        .unwrap();
    assert_eq!(store.latest_snapshot(3).unwrap(), None);

    store.set_snapshot_piece_bytes(1_000_000);
    let bytes = noise(2 * 1024 * 1024 + 5_000);
    store.put_snapshot(2, &bytes).unwrap();
    assert_eq!(
        read_streamed(&mut store, 3),
        (2, bytes.len() as u64, bytes.clone())
    );
    let pieces = client
        .query(
            "SELECT pg_column_size(bytes)::BIGINT, length(bytes)::BIGINT, \
             (SELECT attstorage FROM pg_attribute \
              WHERE attrelid = 'snapshot_pieces'::regclass AND attname = 'bytes') \
             FROM snapshot_pieces WHERE seq = 2 ORDER BY piece",
            &[],
        )
        .unwrap();
    let lengths: Vec<i64> = pieces.iter().map(|row| row.get(1)).collect();
    assert_eq!(lengths, [1_000_000, 1_000_000, 102_152]);
    for piece in &pieces {
        assert!(
            piece.get::<_, i64>(0) >= piece.get::<_, i64>(1),
            "stored whole"
        );
        assert_eq!(piece.get::<_, i8>(2), b'e' as i8);
    }
    let old = client
        .query_one("SELECT to_regclass('snapshots') IS NULL", &[])
        .unwrap();
    assert!(old.get::<_, bool>(0), "the old table is dropped");
}

/// The conformance suite with snapshots in pieces of an odd size under a MiB, so that its
/// 3 MiB snapshot spans four and the slices read cross their edges (smaller pieces make a row
/// per few bytes: slow on a server).
#[test]
fn conformance_suite_with_snapshots_in_small_pieces() {
    let Some(db) = database("conformance_suite_with_snapshots_in_small_pieces") else {
        return;
    };
    let mut schemas = Schemas::new(&db);
    conformance::run_all(&mut || {
        let mut store = open(&schemas.fresh());
        store.set_snapshot_piece_bytes(1_000_003);
        Box::new(store)
    });
}
