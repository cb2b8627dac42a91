//! PostgreSQL backend of a fairshare book: the append-only event log in one schema of a
//! database.
//!
//! [`PostgresStore`] implements [`fairshare_store::Store`] with the synchronous `postgres`
//! client. A book is a schema (`public` unless the URL says `?schema=NAME`), created if absent
//! and migrated forward by the versioned SQL in `migrations/` (the version is kept in the
//! schema's `meta` table), so several books and test runs can share one database. Only
//! portable SQL is used (no advisory locks, no LISTEN/NOTIFY) so that PostgreSQL-compatible
//! distributed engines can host a book: concurrent appends are serialised by the `seq`
//! primary key alone, and a writer that loses the race gets [`StoreError::Conflict`] with
//! nothing written.
//!
//! Beside the log, in the same schema: [`PostgresCredentials`] keeps the agents' API key and
//! password hashes (tables of their own, with their own migrations).

mod credentials;
mod snapshots;
mod webhooks;

pub use credentials::PostgresCredentials;

use fairshare_store::{
    AppendAll, EventRow, ReadSnapshot, Reopen, SnapshotRange, Store, StoreError, StoreResult,
    check_append, sql_int,
};
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, NoTls, Statement};
use std::collections::HashMap;
use std::error::Error as _;
use std::fmt;
use std::sync::Arc;

/// Versioned schema migrations, applied in order; the last version is the current schema.
const MIGRATIONS: &[(u32, &str)] = &[(1, include_str!("../migrations/0001_events.sql"))];

/// Rows per INSERT statement: 8 parameters a row stays far below the protocol's limit of
/// 65,535 parameters, and a 10,000-row batch takes 10 round trips instead of 10,000.
const INSERT_CHUNK: usize = 1_000;
/// Insert statements cached per connection (one per distinct chunk length seen).
const MAX_CACHED_INSERTS: usize = 16;
/// Rows fetched per round trip by `scan`: bounds memory whatever the book's size.
const SCAN_PAGE: i64 = 2_000;
/// How often `open` retries when another process creates the same schema or tables at once.
const OPEN_ATTEMPTS: u32 = 5;

const COLUMNS: &str =
    "seq, recorded_at, actor, idempotency_key, payload_hash, body, prev_hash, hash";

/// A fairshare book in a PostgreSQL schema.
///
/// Each handle owns one connection; any number of handles, in any number of processes, may
/// share a book. A broken connection is not re-established: every later call fails with a
/// [`StoreError::Backend`] saying so, and the caller opens a new store.
///
/// The `postgres` crate's synchronous [`Client`] runs its own Tokio runtime internally, so a
/// `PostgresStore` must NOT be used from a thread that is running an async (Tokio) runtime:
/// it panics there ("Cannot start a runtime from within a runtime"). Async callers move each
/// call onto a blocking thread, e.g. with `tokio::task::spawn_blocking`.
pub struct PostgresStore {
    client: Client,
    schema: String,
    location: String,
    /// The URL as given to [`PostgresStore::open`], to open another handle on the book. It may
    /// hold a password: never shown (see `location` for what is).
    url: String,
    head_stmt: Option<Statement>,
    scan_stmt: Option<Statement>,
    /// INSERT statements keyed by their number of rows.
    insert_stmts: HashMap<usize, Statement>,
    /// [`snapshots::PIECE_BYTES`], smaller in tests.
    snapshot_piece_bytes: usize,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db`, optionally with `?schema=NAME`; every
    /// other query parameter goes to the driver), creates the schema and its tables if absent
    /// and migrates an older schema forward. TLS is not supported (the connection uses
    /// `NoTls`).
    pub fn open(url: &str) -> StoreResult<PostgresStore> {
        let target = Target::parse(url).map_err(StoreError::Backend)?;
        let client = Client::connect(&target.conn_str, NoTls)
            .map_err(|e| fail("connect to", &target.location, &e))?;
        let mut store = PostgresStore {
            client,
            schema: target.schema,
            location: target.location,
            url: url.to_owned(),
            head_stmt: None,
            scan_stmt: None,
            insert_stmts: HashMap::new(),
            snapshot_piece_bytes: snapshots::PIECE_BYTES,
        };
        store.prepare_schema()?;
        Ok(store)
    }

    /// The schema that holds this book's tables.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// Creates the schema if needed, points the session at it and runs the migrations.
    /// Two processes opening a new book at once may collide on the catalog (duplicate schema
    /// or table); the loser retries and then finds the work done.
    fn prepare_schema(&mut self) -> StoreResult<()> {
        let mut attempt = 1;
        loop {
            match self.try_prepare_schema() {
                Err(Failure::Pg(e)) if attempt < OPEN_ATTEMPTS && is_race(&e) => attempt += 1,
                Err(Failure::Pg(e)) => return Err(fail("open", &self.location, &e)),
                Err(Failure::Store(e)) => return Err(e),
                Ok(()) => return Ok(()),
            }
        }
    }

    fn try_prepare_schema(&mut self) -> Result<(), Failure> {
        let quoted = quote_ident(&self.schema);
        let exists = self
            .client
            .query_opt(
                "SELECT 1 FROM information_schema.schemata WHERE schema_name = $1",
                &[&self.schema],
            )?
            .is_some();
        if !exists {
            self.client
                .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {quoted}"))?;
        }
        // Session-wide: every unqualified table name below and in later calls is the book's.
        self.client
            .batch_execute(&format!("SET search_path TO {quoted}"))?;

        let latest = latest_version();
        let current = read_version(&mut self.client, &self.schema, &self.location)?;
        if current > latest {
            return Err(Failure::Store(newer_schema(
                &self.location,
                current,
                latest,
            )));
        }
        if current == latest {
            return Ok(());
        }
        let mut tx = self.client.transaction()?;
        // DDL is transactional: the tables and the version bump commit together or not at all.
        for &(version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            tx.batch_execute(sql)?;
            tx.execute("DELETE FROM meta WHERE key = 'schema_version'", &[])?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', $1)",
                &[&version.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn head_in(
        client: &mut impl postgres::GenericClient,
        stmt: &Statement,
        location: &str,
    ) -> Result<u64, Failure> {
        let head: Option<i64> = client.query_one(stmt, &[])?.try_get(0)?;
        u64::try_from(head.unwrap_or(0)).map_err(|_| {
            Failure::Store(StoreError::Backend(format!(
                "read head of {location}: negative sequence number in the events table"
            )))
        })
    }

    fn head_stmt(&mut self) -> Result<Statement, postgres::Error> {
        if let Some(s) = &self.head_stmt {
            return Ok(s.clone());
        }
        let s = self.client.prepare("SELECT max(seq) FROM events")?;
        self.head_stmt = Some(s.clone());
        Ok(s)
    }

    fn scan_stmt(&mut self) -> Result<Statement, postgres::Error> {
        if let Some(s) = &self.scan_stmt {
            return Ok(s.clone());
        }
        let s = self.client.prepare(&format!(
            "SELECT {COLUMNS} FROM events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3"
        ))?;
        self.scan_stmt = Some(s.clone());
        Ok(s)
    }

    /// The multi-row INSERT for `n` rows, prepared once per connection.
    fn insert_stmt(&mut self, n: usize) -> Result<Statement, postgres::Error> {
        if let Some(s) = self.insert_stmts.get(&n) {
            return Ok(s.clone());
        }
        if self.insert_stmts.len() >= MAX_CACHED_INSERTS {
            self.insert_stmts.clear();
        }
        let s = self.client.prepare(&insert_sql(n))?;
        self.insert_stmts.insert(n, s.clone());
        Ok(s)
    }

    fn try_scan(
        &mut self,
        after: u64,
        visit: &mut dyn FnMut(EventRow) -> StoreResult<()>,
    ) -> Result<(), Failure> {
        let head_stmt = self.head_stmt()?;
        let scan_stmt = self.scan_stmt()?;
        // Stop at the head seen now: committed events form a contiguous prefix that never
        // changes, so paging by seq up to `end` reads one consistent log without holding a
        // transaction (or all rows) open.
        let end = sql_int(Self::head_in(&mut self.client, &head_stmt, &self.location)?);
        let mut last = sql_int(after);
        while last < end {
            let rows = self.client.query(&scan_stmt, &[&last, &end, &SCAN_PAGE])?;
            let fetched = rows.len();
            for r in rows {
                let seq: i64 = r.try_get(0)?;
                let row = EventRow {
                    seq: u64::try_from(seq).map_err(|_| {
                        Failure::Store(StoreError::Backend(format!(
                            "scan {}: negative sequence number {seq}",
                            self.location
                        )))
                    })?,
                    recorded_at: r.try_get(1)?,
                    actor: r.try_get(2)?,
                    idempotency_key: r.try_get(3)?,
                    payload_hash: r.try_get(4)?,
                    body: r.try_get(5)?,
                    prev_hash: r.try_get(6)?,
                    hash: r.try_get(7)?,
                };
                last = seq;
                visit(row).map_err(Failure::Store)?;
            }
            if (fetched as i64) < SCAN_PAGE {
                break;
            }
        }
        Ok(())
    }

    /// Runs `fill` in one transaction, appending each batch it gives after the head; commits
    /// only if every append and `fill` itself succeed.
    fn in_write(&mut self, fill: &mut AppendAll<'_>) -> Result<(), Failure> {
        // Prepare outside the transaction: a failed prepare must not abort it, and prepared
        // statements outlive transactions anyway.
        let head_stmt = self.head_stmt()?;
        let full = self.insert_stmt(INSERT_CHUNK)?;
        let location = &self.location;
        let cached = &mut self.insert_stmts;
        let mut tx = self.client.transaction()?;
        // A cheap early answer for a stale or out-of-place batch. It is not what makes appends
        // safe: a concurrent writer is caught by the primary key below.
        let mut head = Self::head_in(&mut tx, &head_stmt, location)?;
        fill(&mut |rows| {
            check_append(head, rows)?;
            insert_rows(&mut tx, &full, cached, rows, location).map_err(|e| match e {
                Failure::Pg(e) => append_error(location, rows, &e),
                Failure::Store(e) => e,
            })?;
            head += rows.len() as u64;
            Ok(())
        })
        .map_err(Failure::Store)?;
        // Dropping `tx` on any error above rolls every batch back. With the default
        // synchronous_commit=on, COMMIT returns once the WAL is flushed: the rows are durable.
        tx.commit()?;
        Ok(())
    }
}

/// The multi-row INSERT of `n` rows.
fn insert_sql(n: usize) -> String {
    let mut sql = format!("INSERT INTO events ({COLUMNS}) VALUES ");
    for i in 0..n {
        let p = i * 8;
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&format!(
            "(${},${},${},${},${},${},${},${})",
            p + 1,
            p + 2,
            p + 3,
            p + 4,
            p + 5,
            p + 6,
            p + 7,
            p + 8
        ));
    }
    sql
}

/// Inserts `rows` in the open transaction `tx`, `INSERT_CHUNK` rows per statement (`full`);
/// a shorter last chunk's statement is prepared in the transaction and cached.
fn insert_rows(
    tx: &mut postgres::Transaction<'_>,
    full: &Statement,
    cached: &mut HashMap<usize, Statement>,
    rows: &[EventRow],
    location: &str,
) -> Result<(), Failure> {
    for chunk in rows.chunks(INSERT_CHUNK) {
        let stmt = if chunk.len() == INSERT_CHUNK {
            full.clone()
        } else if let Some(s) = cached.get(&chunk.len()) {
            s.clone()
        } else {
            let s = tx.prepare(&insert_sql(chunk.len()))?;
            if cached.len() >= MAX_CACHED_INSERTS {
                cached.clear();
            }
            cached.insert(chunk.len(), s.clone());
            s
        };
        let seqs = chunk
            .iter()
            .map(|r| {
                i64::try_from(r.seq).map_err(|_| {
                    Failure::Store(StoreError::Backend(format!(
                        "append to {location}: sequence {} does not fit BIGINT",
                        r.seq
                    )))
                })
            })
            .collect::<Result<Vec<i64>, Failure>>()?;
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(chunk.len() * 8);
        for (r, seq) in chunk.iter().zip(&seqs) {
            params.push(seq);
            params.push(&r.recorded_at);
            params.push(&r.actor);
            params.push(&r.idempotency_key);
            params.push(&r.payload_hash);
            params.push(&r.body);
            params.push(&r.prev_hash);
            params.push(&r.hash);
        }
        tx.execute(&stmt, &params)?;
    }
    Ok(())
}

impl PostgresStore {
    fn try_put_snapshot(&mut self, seq: i64, bytes: &[u8]) -> Result<(), postgres::Error> {
        let mut tx = self.client.transaction()?;
        snapshots::put(&mut tx, seq, bytes, self.snapshot_piece_bytes)?;
        tx.commit()
    }

    /// Keeps snapshots in pieces of `bytes` (256 MiB otherwise): tests use small ones to write
    /// and read snapshots that span several.
    #[doc(hidden)]
    pub fn set_snapshot_piece_bytes(&mut self, bytes: usize) {
        assert!(bytes > 0, "a piece holds at least a byte");
        self.snapshot_piece_bytes = bytes;
    }
}

impl Store for PostgresStore {
    fn head(&mut self) -> StoreResult<u64> {
        let stmt = self
            .head_stmt()
            .map_err(|e| fail("read head of", &self.location, &e))?;
        Self::head_in(&mut self.client, &stmt, &self.location)
            .map_err(|e| e.into_store("read head of", &self.location))
    }

    fn scan(
        &mut self,
        after: u64,
        visit: &mut dyn FnMut(EventRow) -> StoreResult<()>,
    ) -> StoreResult<()> {
        self.try_scan(after, visit)
            .map_err(|e| e.into_store("scan", &self.location))
    }

    fn append(&mut self, rows: &[EventRow]) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        self.append_all(&mut |sink| sink(rows))
    }

    /// One transaction over every batch: a killed import's is rolled back by the server.
    fn append_all(&mut self, fill: &mut AppendAll<'_>) -> StoreResult<()> {
        match self.in_write(fill) {
            Ok(()) => Ok(()),
            Err(Failure::Pg(e)) => Err(fail("append to", &self.location, &e)),
            Err(Failure::Store(e)) => Err(e),
        }
    }

    /// Several servers on one book may write one at once: a lost race on creating the table
    /// is tried again, and the last of two snapshots at one event is kept.
    fn put_snapshot(&mut self, seq: u64, bytes: &[u8]) -> StoreResult<()> {
        let seq = sql_int(seq);
        let mut attempt = 1;
        loop {
            match self.try_put_snapshot(seq, bytes) {
                Err(e) if attempt < OPEN_ATTEMPTS && is_race(&e) => attempt += 1,
                Err(e) => return Err(fail("write a snapshot to", &self.location, &e)),
                Ok(()) => return Ok(()),
            }
        }
    }

    fn latest_snapshot(&mut self, at_most: u64) -> StoreResult<Option<(u64, Vec<u8>)>> {
        let mut found = None;
        self.read_snapshot(at_most, &mut |seq, length, reader| {
            let mut bytes = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
            reader
                .read_to_end(&mut bytes)
                .map_err(|e| StoreError::Backend(format!("read a snapshot: {e}")))?;
            found = Some((seq, bytes));
            Ok(())
        })?;
        Ok(found)
    }

    /// A slice at a time (`snapshots.rs`), so that the open never holds the whole snapshot.
    fn read_snapshot(&mut self, at_most: u64, read: &mut ReadSnapshot<'_>) -> StoreResult<bool> {
        let fail = read_failed(&self.location);
        snapshots::read_streamed(&mut self.client, sql_int(at_most), read, &fail)
    }

    /// Only the slices of the pieces that the range overlaps (`snapshots.rs`).
    fn read_snapshot_range(&mut self, range: SnapshotRange) -> StoreResult<Option<Vec<u8>>> {
        let Ok(seq) = i64::try_from(range.seq) else {
            return Ok(None); // a BIGINT keeps no snapshot that far
        };
        let fail = read_failed(&self.location);
        snapshots::read_range(&mut self.client, seq, range.offset, range.length, &fail)
    }

    /// A new connection to the same URL, hence the same schema.
    fn reopener(&self) -> Option<Reopen> {
        let url = self.url.clone();
        Some(Arc::new(move || {
            let store = PostgresStore::open(&url)?;
            Ok(Box::new(store) as Box<dyn Store>)
        }))
    }

    fn location(&self) -> String {
        self.location.clone()
    }
}

/// An error inside a multi-step operation: either from the driver (mapped by the caller, who
/// knows what was being done) or already a store error (e.g. from the visitor).
enum Failure {
    Pg(postgres::Error),
    Store(StoreError),
}

impl From<postgres::Error> for Failure {
    fn from(e: postgres::Error) -> Self {
        Failure::Pg(e)
    }
}

impl Failure {
    fn into_store(self, what: &str, location: &str) -> StoreError {
        match self {
            Failure::Pg(e) => fail(what, location, &e),
            Failure::Store(e) => e,
        }
    }
}

/// The connection target of a URL: what goes to the driver, the schema, and a description
/// without the password.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    conn_str: String,
    schema: String,
    location: String,
}

impl Target {
    /// Splits `?schema=NAME` off (the schema defaults to `public` and must be a plain
    /// identifier); the message of a refusal names the URL without its password.
    fn parse(url: &str) -> Result<Target, String> {
        let bad = |why: &str| {
            format!(
                "open {}: {why}",
                redact(url.split('?').next().unwrap_or(""))
            )
        };
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(bad("expected a postgres://user@host:port/db URL"));
        }
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut schema = None;
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("schema", value)) => {
                    let name =
                        percent_decode(value).ok_or_else(|| bad("bad %-escape in schema"))?;
                    schema = Some(name);
                }
                _ => kept.push(pair),
            }
        }
        let schema = schema.unwrap_or_else(|| "public".to_owned());
        if !valid_schema(&schema) {
            return Err(bad(&format!(
                "invalid schema name {schema:?} (letters, digits and _, not starting with a \
                 digit, at most 63 bytes)"
            )));
        }
        let mut conn_str = base.to_owned();
        if !kept.is_empty() {
            conn_str.push('?');
            conn_str.push_str(&kept.join("&"));
        }
        let mut shown: Vec<&str> = kept
            .iter()
            .copied()
            .filter(|p| !p.starts_with("password="))
            .collect();
        let schema_param = format!("schema={schema}");
        shown.push(&schema_param);
        let location = format!("{}?{}", redact(base), shown.join("&"));
        Ok(Target {
            conn_str,
            schema,
            location,
        })
    }
}

/// Drops the password from `scheme://user:password@host...`.
fn redact(base: &str) -> String {
    let Some((scheme, rest)) = base.split_once("://") else {
        return base.to_owned();
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            format!("{scheme}://{user}@{host}{path}")
        }
        None => base.to_owned(),
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Plain identifiers only, so the name needs no escaping and means the same everywhere.
fn valid_schema(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 63
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |&(v, _)| v)
}

/// Reads `schema_version` from the book's meta table; 0 when there is no meta table yet.
fn read_version(client: &mut Client, schema: &str, location: &str) -> Result<u32, Failure> {
    read_meta_version(client, schema, "schema_version", location)
}

/// Reads the version kept under `key` in the book's meta table (the event log's
/// `schema_version`, the credentials' `credentials_version`); 0 when there is no meta table or
/// no such key yet.
fn read_meta_version(
    client: &mut impl postgres::GenericClient,
    schema: &str,
    key: &str,
    location: &str,
) -> Result<u32, Failure> {
    let has_meta = client
        .query_opt(
            "SELECT 1 FROM information_schema.tables \
             WHERE table_schema = $1 AND table_name = 'meta'",
            &[&schema],
        )?
        .is_some();
    if !has_meta {
        return Ok(0);
    }
    let row = client.query_opt("SELECT value FROM meta WHERE key = $1", &[&key])?;
    let Some(row) = row else {
        return Ok(0);
    };
    let value: String = row.try_get(0)?;
    value.parse().map_err(|_| {
        Failure::Store(StoreError::Backend(format!(
            "open {location}: invalid {key} {value:?} in the meta table"
        )))
    })
}

fn newer_schema(location: &str, found: u32, latest: u32) -> StoreError {
    StoreError::Backend(format!(
        "open {location}: book schema version {found} is newer than this build supports \
         ({latest})"
    ))
}

/// Catalog races between processes creating the same schema or tables at once.
fn is_race(e: &postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::UNIQUE_VIOLATION
            || *c == SqlState::DUPLICATE_SCHEMA
            || *c == SqlState::DUPLICATE_TABLE
            || *c == SqlState::DUPLICATE_OBJECT
            || *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
    )
}

/// A unique violation means another writer took the sequence number, or the idempotency key
/// is used; distributed engines report a lost race as a serialization failure. All are a
/// `Conflict` (nothing was written, catch up and retry); the rest are backend failures.
fn append_error(location: &str, rows: &[EventRow], e: &postgres::Error) -> StoreError {
    let Some(db) = e.as_db_error() else {
        return fail("append to", location, e);
    };
    let code = db.code();
    if *code == SqlState::UNIQUE_VIOLATION {
        let detail = db.detail().unwrap_or(db.message());
        let on_key = db
            .constraint()
            .is_some_and(|c| c.contains("idempotency_key"))
            || detail.contains("idempotency_key");
        let first = rows.first().map_or(0, |r| r.seq);
        return StoreError::Conflict(if on_key {
            format!("idempotency key already used: {detail}")
        } else {
            format!("sequence {first} or a later one of the batch is already taken: {detail}")
        });
    }
    if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED {
        return StoreError::Conflict(format!("concurrent append: {}", db.message()));
    }
    fail("append to", location, e)
}

/// "`what` `location`: message", with the server's message and SQLSTATE when there is one,
/// else the driver's error and its causes (e.g. "connection refused").
fn fail(what: &str, location: &str, e: &postgres::Error) -> StoreError {
    StoreError::Backend(format!("{what} {location}: {}", describe(e)))
}

/// How a failed snapshot read is told: "read a snapshot of `location`: …".
fn read_failed(location: &str) -> impl Fn(postgres::Error) -> StoreError + '_ {
    move |e| fail("read a snapshot of", location, &e)
}

fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut s = format!("{} (SQLSTATE {})", db.message(), db.code().code());
        if let Some(d) = db.detail() {
            s.push_str(": ");
            s.push_str(d);
        }
        return s;
    }
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Target {
        match Target::parse(url) {
            Ok(t) => t,
            Err(e) => panic!("parse {url}: {e}"),
        }
    }

    #[test]
    fn schema_is_stripped_and_defaults_to_public() {
        let t = target("postgres://postgres@127.0.0.1:5432/test?schema=book_1&sslmode=disable");
        assert_eq!(t.schema, "book_1");
        assert_eq!(
            t.conn_str,
            "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
        );
        assert_eq!(
            t.location,
            "postgres://postgres@127.0.0.1:5432/test?sslmode=disable&schema=book_1"
        );
        let t = target("postgresql://u@h/db");
        assert_eq!(t.schema, "public");
        assert_eq!(t.conn_str, "postgresql://u@h/db");
        assert_eq!(t.location, "postgresql://u@h/db?schema=public");
        let t = target("postgres://u@h/db?schema=Mixed_Case%5F2");
        assert_eq!(t.schema, "Mixed_Case_2");
        assert_eq!(t.conn_str, "postgres://u@h/db");
    }

    #[test]
    fn location_never_shows_a_password() {
        let t = target("postgres://alice:s3cr%40t@db.example:5433/books?password=other&schema=x");
        assert!(!t.location.contains("s3cr") && !t.location.contains("other"));
        assert_eq!(
            t.location,
            "postgres://alice@db.example:5433/books?schema=x"
        );
        // The driver still gets both.
        assert!(t.conn_str.contains("s3cr%40t") && t.conn_str.contains("password=other"));
        let e = Target::parse("postgres://alice:pw@h/db?schema=bad-name").expect_err("bad name");
        assert!(!e.to_string().contains("pw"), "{e}");
    }

    #[test]
    fn bad_urls_are_refused() {
        for url in [
            "host=localhost user=postgres",
            "mysql://u@h/db",
            "postgres://u@h/db?schema=1abc",
            "postgres://u@h/db?schema=a;drop",
            "postgres://u@h/db?schema=%ZZ",
            "postgres://u@h/db?schema=",
        ] {
            assert!(Target::parse(url).is_err(), "{url} must be refused");
        }
        let long = format!("postgres://u@h/db?schema={}", "a".repeat(64));
        assert!(Target::parse(&long).is_err());
    }
}
