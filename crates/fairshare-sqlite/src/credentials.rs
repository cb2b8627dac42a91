//! [`SqliteCredentials`]: the agents' API keys and password hashes in the book's SQLite file,
//! in tables of their own beside the event log.

use std::path::{Path, PathBuf};

use fairshare_store::credentials::{
    API_KEYS_PER_AGENT_MAX, ApiKey, CredentialError, CredentialResult, CredentialStore, NewApiKey,
    StoredPassword, check_agent, check_key_hash, check_key_id, check_password_hash, check_time,
};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior, params};

use crate::{busy_wait, read_meta_version};

/// Versioned migrations of the credential tables, applied in order. Their version is
/// `credentials_version` in the book's meta table, apart from the event log's
/// `schema_version`: a book is readable (even read-only) by a build that never touched its
/// credentials.
const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("../migrations/0001_credentials.sql")),
    (2, include_str!("../migrations/0002_webhooks.sql")),
];
const VERSION_KEY: &str = "credentials_version";

const KEY_COLUMNS: &str = "id, agent, created_at, expires_at, revoked_at";

/// The credentials of a book in one SQLite file, through a connection of their own.
///
/// Several handles, in one process or many, may share the file with the book's event stores:
/// writes take SQLite's write lock (`BEGIN IMMEDIATE` where a read decides the write) and wait
/// for it like the event store does; the file stays in the WAL mode the book set. Nothing is
/// cached: every call reads the file, so a key revoked by another process is refused at once.
pub struct SqliteCredentials {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
}

impl std::fmt::Debug for SqliteCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteCredentials")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteCredentials {
    /// Opens the credentials of the book at `path`, creating their tables or migrating them
    /// (including the unversioned tables of older servers). The file must already be a book
    /// (see [`crate::SqliteStore::open`]): a mistyped path must not start a new file.
    pub fn open(path: &Path) -> CredentialResult<SqliteCredentials> {
        let fail = |what: &str, e: rusqlite::Error| backend(what, path, e);
        // No SQLITE_OPEN_CREATE: a missing file is an error, not a new empty database.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| fail("open", e))?;
        conn.busy_handler(Some(busy_wait))
            .map_err(|e| fail("configure", e))?;
        // Per connection: an added or revoked key is durable when the call returns, as an
        // appended event is. The journal mode (WAL) is the book's, persistent, left alone.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| fail("configure", e))?;
        let mut store = SqliteCredentials {
            conn,
            path: path.to_path_buf(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// The file these credentials live in, as given to `open`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Brings the credential tables to the latest version under the write lock, re-reading the
    /// version there, so processes opening at once migrate exactly once.
    fn migrate(&mut self) -> CredentialResult<()> {
        let path = self.path.clone();
        let version = |conn: &Connection| {
            read_meta_version(conn, VERSION_KEY, &path)
                .map_err(|e| CredentialError::Backend(e.to_string()))
        };
        if read_meta_version(&self.conn, "schema_version", &path)
            .map_err(|e| CredentialError::Backend(e.to_string()))?
            == 0
        {
            return Err(CredentialError::Backend(format!(
                "open {}: not a fairshare book (no schema version); create the book first",
                path.display()
            )));
        }
        let latest = MIGRATIONS.last().map_or(0, |&(v, _)| v);
        let newer = |found: u32| {
            CredentialError::Backend(format!(
                "open {}: credentials version {found} is newer than this build supports \
                 ({latest})",
                path.display()
            ))
        };
        let current = version(&self.conn)?;
        if current > latest {
            return Err(newer(current));
        }
        if current == latest {
            return Ok(());
        }
        let fail = |e| backend("migrate the credentials of", &path, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let current = version(&tx)?;
        if current > latest {
            return Err(newer(current));
        }
        for &(v, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            tx.execute_batch(sql).map_err(|e| {
                CredentialError::Backend(format!(
                    "migrate the credentials of {} to version {v}: {e}",
                    path.display()
                ))
            })?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![VERSION_KEY, v.to_string()],
            )
            .map_err(fail)?;
        }
        tx.commit().map_err(fail)
    }

    fn fail(&self, what: &str, e: rusqlite::Error) -> CredentialError {
        backend(what, &self.path, e)
    }
}

impl CredentialStore for SqliteCredentials {
    fn add_api_key(&mut self, key: &NewApiKey<'_>) -> CredentialResult<ApiKey> {
        key.check()?;
        let id = key.id();
        let path = &self.path;
        let fail = |e| backend("add an API key to", path, e);
        // IMMEDIATE: the count below must still hold when the row is inserted.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let live: i64 = tx
            .prepare_cached(
                "SELECT count(*) FROM fs_api_keys WHERE agent = ?1 AND revoked_at IS NULL \
                 AND (expires_at IS NULL OR expires_at > ?2)",
            )
            .and_then(|mut stmt| stmt.query_row(params![key.agent, key.created_at], |r| r.get(0)))
            .map_err(fail)?;
        if usize::try_from(live).unwrap_or(usize::MAX) >= API_KEYS_PER_AGENT_MAX {
            return Err(CredentialError::too_many_keys(
                key.agent,
                u64::try_from(live).unwrap_or(0),
            ));
        }
        tx.prepare_cached(
            "INSERT INTO fs_api_keys (key_hash, id, agent, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                key.key_hash,
                id,
                key.agent,
                key.created_at,
                key.expires_at
            ])
        })
        .map_err(|e| {
            if is_unique_violation(&e) {
                CredentialError::key_already_stored(&id)
            } else {
                fail(e)
            }
        })?;
        tx.commit().map_err(fail)?;
        Ok(key.stored())
    }

    fn find_active_api_key(
        &mut self,
        key_hash: &str,
        now: &str,
    ) -> CredentialResult<Option<ApiKey>> {
        check_key_hash(key_hash)?;
        check_time("now", now)?;
        self.conn
            .prepare_cached(&format!(
                "SELECT {KEY_COLUMNS} FROM fs_api_keys WHERE key_hash = ?1 \
                 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)"
            ))
            .and_then(|mut stmt| stmt.query_row(params![key_hash, now], api_key).optional())
            .map_err(|e| self.fail("look up an API key in", e))
    }

    fn list_api_keys(&mut self, agent: &str) -> CredentialResult<Vec<ApiKey>> {
        check_agent(agent)?;
        self.conn
            .prepare_cached(&format!(
                "SELECT {KEY_COLUMNS} FROM fs_api_keys WHERE agent = ?1 ORDER BY created_at, id"
            ))
            .and_then(|mut stmt| {
                stmt.query_map([agent], api_key)?
                    .collect::<rusqlite::Result<Vec<ApiKey>>>()
            })
            .map_err(|e| self.fail("list the API keys in", e))
    }

    fn revoke_api_key(&mut self, id: &str, at: &str) -> CredentialResult<ApiKey> {
        check_key_id(id)?;
        check_time("revoked_at", at)?;
        // One statement: the first revocation time stays, and the answer is the stored row.
        self.conn
            .prepare_cached(&format!(
                "UPDATE fs_api_keys SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1 \
                 RETURNING {KEY_COLUMNS}"
            ))
            .and_then(|mut stmt| stmt.query_row(params![id, at], api_key).optional())
            .map_err(|e| self.fail("revoke an API key in", e))?
            .ok_or_else(|| CredentialError::unknown_key(id))
    }

    fn set_password(&mut self, agent: &str, phc: &str, updated_at: &str) -> CredentialResult<()> {
        check_agent(agent)?;
        check_password_hash(phc)?;
        check_time("updated_at", updated_at)?;
        self.conn
            .prepare_cached(
                "INSERT INTO fs_credentials (agent, password_phc, updated_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (agent) DO UPDATE SET password_phc = excluded.password_phc, \
                 updated_at = excluded.updated_at",
            )
            .and_then(|mut stmt| stmt.execute(params![agent, phc, updated_at]))
            .map_err(|e| self.fail("set a password in", e))?;
        Ok(())
    }

    fn password(&mut self, agent: &str) -> CredentialResult<Option<StoredPassword>> {
        check_agent(agent)?;
        self.conn
            .prepare_cached("SELECT password_phc, updated_at FROM fs_credentials WHERE agent = ?1")
            .and_then(|mut stmt| {
                stmt.query_row([agent], |r| {
                    Ok(StoredPassword {
                        phc: r.get(0)?,
                        updated_at: r.get(1)?,
                    })
                })
                .optional()
            })
            .map_err(|e| self.fail("read a password from", e))
    }
}

/// A row of [`KEY_COLUMNS`].
fn api_key(row: &rusqlite::Row<'_>) -> rusqlite::Result<ApiKey> {
    Ok(ApiKey {
        id: row.get(0)?,
        agent: row.get(1)?,
        created_at: row.get(2)?,
        expires_at: row.get(3)?,
        revoked_at: row.get(4)?,
    })
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == ErrorCode::ConstraintViolation
                && (f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
    )
}

pub(crate) fn backend(what: &str, path: &Path, e: rusqlite::Error) -> CredentialError {
    CredentialError::Backend(format!("{what} {}: {e}", path.display()))
}
