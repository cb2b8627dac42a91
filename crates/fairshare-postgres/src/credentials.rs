//! [`PostgresCredentials`]: the agents' API keys and password hashes in the book's PostgreSQL
//! schema, in tables of their own beside the event log.

use std::fmt;

use fairshare_store::StoreError;
use fairshare_store::credentials::{
    API_KEYS_PER_AGENT_MAX, ApiKey, CredentialError, CredentialResult, CredentialStore, NewApiKey,
    StoredPassword, check_agent, check_key_hash, check_key_id, check_password_hash, check_time,
};
use postgres::error::SqlState;
use postgres::{Client, IsolationLevel, NoTls, Row, Statement};

use crate::{Failure, OPEN_ATTEMPTS, Target, describe, is_race, quote_ident, read_meta_version};

/// Versioned migrations of the credential tables, applied in order. Their version is
/// `credentials_version` in the book's meta table, apart from the event log's
/// `schema_version`.
const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("../migrations/0001_credentials.sql")),
    (2, include_str!("../migrations/0002_webhooks.sql")),
];
const VERSION_KEY: &str = "credentials_version";
/// How often an add is tried when concurrent adds make its serializable transaction fail.
const ADD_ATTEMPTS: u32 = 16;

const KEY_COLUMNS: &str = "id, agent, created_at, expires_at, revoked_at";
// Times are compared and sorted in byte order (COLLATE "C"), as SQLite does, whatever the
// database's collation: fixed-width UTC times in byte order are in time order.
const LIVE: &str = "revoked_at IS NULL AND (expires_at IS NULL OR expires_at COLLATE \"C\" > $2)";

/// The credentials of a book in a PostgreSQL schema (`?schema=NAME` in the URL, as for
/// [`crate::PostgresStore`]).
///
/// Any number of handles, in any number of processes, may share a book. Nothing is cached:
/// every call asks the database, so a key revoked by another process is refused at once. Like
/// [`crate::PostgresStore`], a handle must not be used (or dropped) on a thread that runs an
/// async runtime.
pub struct PostgresCredentials {
    pub(crate) client: Client,
    schema: String,
    pub(crate) location: String,
    statements: Statements,
}

impl fmt::Debug for PostgresCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresCredentials")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// Every statement, prepared once per connection: the key lookup is on each request's path.
struct Statements {
    count_live: Statement,
    insert: Statement,
    find: Statement,
    list: Statement,
    revoke: Statement,
    set_password: Statement,
    password: Statement,
}

impl Statements {
    fn prepare(client: &mut Client) -> Result<Statements, postgres::Error> {
        Ok(Statements {
            count_live: client.prepare(&format!(
                "SELECT count(*) FROM fs_api_keys WHERE agent = $1 AND {LIVE}"
            ))?,
            insert: client.prepare(
                "INSERT INTO fs_api_keys (key_hash, id, agent, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )?,
            find: client.prepare(&format!(
                "SELECT {KEY_COLUMNS} FROM fs_api_keys WHERE key_hash = $1 AND {LIVE}"
            ))?,
            list: client.prepare(&format!(
                "SELECT {KEY_COLUMNS} FROM fs_api_keys WHERE agent = $1 \
                 ORDER BY created_at COLLATE \"C\", id COLLATE \"C\""
            ))?,
            // One statement: the first revocation time stays, and the answer is the stored row.
            revoke: client.prepare(&format!(
                "UPDATE fs_api_keys SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1 \
                 RETURNING {KEY_COLUMNS}"
            ))?,
            set_password: client.prepare(
                "INSERT INTO fs_credentials (agent, password_phc, updated_at) \
                 VALUES ($1, $2, $3) \
                 ON CONFLICT (agent) DO UPDATE SET password_phc = excluded.password_phc, \
                 updated_at = excluded.updated_at",
            )?,
            password: client
                .prepare("SELECT password_phc, updated_at FROM fs_credentials WHERE agent = $1")?,
        })
    }
}

impl PostgresCredentials {
    /// Connects to the book's database and schema, and creates the credential tables or
    /// migrates them (including the unversioned tables of older servers). The schema must
    /// already hold a book (see [`crate::PostgresStore::open`]). A malformed URL is
    /// [`CredentialError::Invalid`].
    pub fn open(url: &str) -> CredentialResult<PostgresCredentials> {
        let target = Target::parse(url).map_err(CredentialError::Invalid)?;
        let location = target.location;
        let mut client = Client::connect(&target.conn_str, NoTls)
            .map_err(|e| backend("connect to", &location, &e))?;
        // Session-wide: every unqualified table name below and in later calls is the book's.
        client
            .batch_execute(&format!(
                "SET search_path TO {}",
                quote_ident(&target.schema)
            ))
            .map_err(|e| backend("open", &location, &e))?;
        migrate(&mut client, &target.schema, &location)?;
        let statements =
            Statements::prepare(&mut client).map_err(|e| backend("open", &location, &e))?;
        Ok(PostgresCredentials {
            client,
            schema: target.schema,
            location,
            statements,
        })
    }

    /// The schema that holds this book's tables.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// Where the credentials live: the URL without its password.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Counts the agent's live keys and inserts the new one in one serializable transaction,
    /// so that concurrent adds cannot together pass the limit. `Ok(Err(..))` is a refusal.
    fn try_add(
        &mut self,
        key: &NewApiKey<'_>,
        id: &str,
    ) -> Result<CredentialResult<()>, postgres::Error> {
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(IsolationLevel::Serializable)
            .start()?;
        let live: i64 = tx
            .query_one(&self.statements.count_live, &[&key.agent, &key.created_at])?
            .try_get(0)?;
        if usize::try_from(live).unwrap_or(usize::MAX) >= API_KEYS_PER_AGENT_MAX {
            // Dropping `tx` rolls it back.
            return Ok(Err(CredentialError::too_many_keys(
                key.agent,
                u64::try_from(live).unwrap_or(0),
            )));
        }
        tx.execute(
            &self.statements.insert,
            &[
                &key.key_hash,
                &id,
                &key.agent,
                &key.created_at,
                &key.expires_at,
            ],
        )?;
        tx.commit()?;
        Ok(Ok(()))
    }
}

impl CredentialStore for PostgresCredentials {
    fn add_api_key(&mut self, key: &NewApiKey<'_>) -> CredentialResult<ApiKey> {
        key.check()?;
        let id = key.id();
        let mut attempt = 1;
        loop {
            match self.try_add(key, &id) {
                Ok(outcome) => outcome?,
                Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                    return Err(CredentialError::key_already_stored(&id));
                }
                Err(e) if attempt < ADD_ATTEMPTS && is_serialization_failure(&e) => {
                    // Racers that retry at once collide again: wait a little longer each time,
                    // each racer (key) its own few milliseconds more.
                    let jitter = u64::from_str_radix(&id[..2], 16).unwrap_or(0) % 8;
                    std::thread::sleep(std::time::Duration::from_millis(
                        u64::from(attempt) * 4 + jitter,
                    ));
                    attempt += 1;
                    continue;
                }
                Err(e) => return Err(backend("add an API key to", &self.location, &e)),
            }
            return Ok(key.stored());
        }
    }

    fn find_active_api_key(
        &mut self,
        key_hash: &str,
        now: &str,
    ) -> CredentialResult<Option<ApiKey>> {
        check_key_hash(key_hash)?;
        check_time("now", now)?;
        self.client
            .query_opt(&self.statements.find, &[&key_hash, &now])
            .and_then(|row| row.as_ref().map(api_key).transpose())
            .map_err(|e| backend("look up an API key in", &self.location, &e))
    }

    fn list_api_keys(&mut self, agent: &str) -> CredentialResult<Vec<ApiKey>> {
        check_agent(agent)?;
        self.client
            .query(&self.statements.list, &[&agent])
            .and_then(|rows| rows.iter().map(api_key).collect())
            .map_err(|e| backend("list the API keys in", &self.location, &e))
    }

    fn revoke_api_key(&mut self, id: &str, at: &str) -> CredentialResult<ApiKey> {
        check_key_id(id)?;
        check_time("revoked_at", at)?;
        self.client
            .query_opt(&self.statements.revoke, &[&id, &at])
            .and_then(|row| row.as_ref().map(api_key).transpose())
            .map_err(|e| backend("revoke an API key in", &self.location, &e))?
            .ok_or_else(|| CredentialError::unknown_key(id))
    }

    fn set_password(&mut self, agent: &str, phc: &str, updated_at: &str) -> CredentialResult<()> {
        check_agent(agent)?;
        check_password_hash(phc)?;
        check_time("updated_at", updated_at)?;
        self.client
            .execute(&self.statements.set_password, &[&agent, &phc, &updated_at])
            .map_err(|e| backend("set a password in", &self.location, &e))?;
        Ok(())
    }

    fn password(&mut self, agent: &str) -> CredentialResult<Option<StoredPassword>> {
        check_agent(agent)?;
        let row = self
            .client
            .query_opt(&self.statements.password, &[&agent])
            .map_err(|e| backend("read a password from", &self.location, &e))?;
        row.map(|row| {
            Ok(StoredPassword {
                phc: row.try_get(0)?,
                updated_at: row.try_get(1)?,
            })
        })
        .transpose()
        .map_err(|e| backend("read a password from", &self.location, &e))
    }
}

/// Creates or migrates the credential tables. Processes opening at once may collide on the
/// catalog (a duplicate table, column or constraint); the loser retries and finds the work
/// done.
fn migrate(client: &mut Client, schema: &str, location: &str) -> CredentialResult<()> {
    let mut attempt = 1;
    loop {
        match try_migrate(client, schema, location) {
            Ok(()) => return Ok(()),
            Err(Failure::Pg(e))
                if attempt < OPEN_ATTEMPTS
                    && (is_race(&e) || e.code() == Some(&SqlState::DUPLICATE_COLUMN)) =>
            {
                attempt += 1;
            }
            Err(Failure::Pg(e)) => {
                return Err(backend("migrate the credentials of", location, &e));
            }
            Err(Failure::Store(StoreError::Backend(message))) => {
                return Err(CredentialError::Backend(message));
            }
            Err(Failure::Store(other)) => return Err(CredentialError::Backend(other.to_string())),
        }
    }
}

fn try_migrate(client: &mut Client, schema: &str, location: &str) -> Result<(), Failure> {
    let refuse = |message: String| Err(Failure::Store(StoreError::Backend(message)));
    if read_meta_version(client, schema, "schema_version", location)? == 0 {
        return refuse(format!(
            "open {location}: not a fairshare book (no schema version); create the book first"
        ));
    }
    let latest = MIGRATIONS.last().map_or(0, |&(v, _)| v);
    let current = read_meta_version(client, schema, VERSION_KEY, location)?;
    if current > latest {
        return refuse(format!(
            "open {location}: credentials version {current} is newer than this build \
             supports ({latest})"
        ));
    }
    if current == latest {
        return Ok(());
    }
    let mut tx = client.transaction()?;
    // DDL is transactional: the tables and the version commit together or not at all.
    for &(version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql)?;
        tx.execute("DELETE FROM meta WHERE key = $1", &[&VERSION_KEY])?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2)",
            &[&VERSION_KEY, &version.to_string()],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// A row of [`KEY_COLUMNS`].
fn api_key(row: &Row) -> Result<ApiKey, postgres::Error> {
    Ok(ApiKey {
        id: row.try_get(0)?,
        agent: row.try_get(1)?,
        created_at: row.try_get(2)?,
        expires_at: row.try_get(3)?,
        revoked_at: row.try_get(4)?,
    })
}

fn is_serialization_failure(e: &postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
    )
}

pub(crate) fn backend(what: &str, location: &str, e: &postgres::Error) -> CredentialError {
    CredentialError::Backend(format!("{what} {location}: {}", describe(e)))
}
