//! The SQLite file shared by the registry and the audit log: connection settings, schema and
//! migrations.
//!
//! Settings: WAL journal (readers never block the writer), `synchronous=FULL` (a commit is on
//! disk when it returns), a bounded wait for another process's write lock (announced through
//! [`set_lock_wait_notice`] after a second, [`DbError::Locked`] after [`BUSY_TIMEOUT`]), and
//! every mutation in `BEGIN IMMEDIATE` (the write lock is taken up front, so two writers never
//! deadlock upgrading a read lock). Opening takes the write lock only to migrate an older
//! schema: readers never wait behind a writer.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};

/// How long a writer waits for another process's write lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 2;

/// How long a writer waits before [`set_lock_wait_notice`]'s notice is given.
const NOTICE_AFTER: Duration = Duration::from_secs(1);
/// Pause between two tries for a busy lock.
const BUSY_STEP: Duration = Duration::from_millis(10);

static LOCK_WAIT_NOTICE: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

/// Sets what is called (once per wait) when a write has waited a second for another
/// process's write lock, e.g. a line on stderr saying what the command waits for. The first
/// call wins.
pub fn set_lock_wait_notice(notice: fn()) {
    let _ = LOCK_WAIT_NOTICE.set(notice);
}

/// SQLite's busy handler: waits in small steps up to [`BUSY_TIMEOUT`], giving the notice
/// once after [`NOTICE_AFTER`].
fn on_busy(attempt: i32) -> bool {
    let waited = BUSY_STEP * u32::try_from(attempt).unwrap_or(0);
    if waited >= BUSY_TIMEOUT {
        return false;
    }
    if waited >= NOTICE_AFTER && waited < NOTICE_AFTER + BUSY_STEP {
        if let Some(notice) = LOCK_WAIT_NOTICE.get() {
            notice();
        }
    }
    std::thread::sleep(BUSY_STEP);
    true
}

/// Errors of the database layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite reported an error.
    #[error("registry database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// SQLite would not switch the file to WAL mode (e.g. a network filesystem).
    #[error(
        "registry database {path}: journal_mode=WAL refused (got {mode}); use a local filesystem"
    )]
    WalRefused {
        /// The database file.
        path: PathBuf,
        /// The journal mode SQLite kept.
        mode: String,
    },
    /// Another process held the write lock for all of [`BUSY_TIMEOUT`].
    #[error(
        "registry database {path}: another process held its write lock for {}s (a leash \
         command still changing this store, e.g. a session create or an op being signed); \
         wait for it to finish, or find it with `fuser {}`",
        BUSY_TIMEOUT.as_secs(),
        path.display()
    )]
    Locked {
        /// The database file.
        path: PathBuf,
    },
    /// The file was written by a newer leash.
    #[error(
        "registry database {path}: schema version {found} is newer than this build supports \
         ({supported}); upgrade leash"
    )]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// `user_version` found in the file.
        found: i64,
        /// Highest version this build knows.
        supported: i64,
    },
}

/// An open registry database.
#[derive(Debug)]
pub struct Database {
    conn: Connection,
    path: PathBuf,
}

impl Database {
    /// Opens (creating if needed) the database at `path` and migrates it to
    /// [`SCHEMA_VERSION`].
    pub fn open(path: &Path) -> Result<Self, DbError> {
        let sqlite = |source| DbError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(sqlite)?;
        conn.busy_handler(Some(on_busy)).map_err(sqlite)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))
            .map_err(sqlite)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(DbError::WalRefused {
                path: path.to_path_buf(),
                mode,
            });
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sqlite)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sqlite)?;
        let mut db = Self {
            conn,
            path: path.to_path_buf(),
        };
        db.migrate()?;
        Ok(db)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Wraps a SQLite error with the file name.
    pub(crate) fn err(&self, source: rusqlite::Error) -> DbError {
        DbError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction, committing only if it returns `Ok`.
    pub(crate) fn write<T, E>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<DbError>,
    {
        let path = self.path.clone();
        let sqlite = move |source: rusqlite::Error| {
            if source.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) {
                return DbError::Locked { path: path.clone() };
            }
            DbError::Sqlite {
                path: path.clone(),
                source,
            }
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&sqlite)?;
        let value = f(&tx)?;
        tx.commit().map_err(sqlite)?;
        Ok(value)
    }

    /// Runs `f` in a read transaction: every query inside sees one snapshot.
    pub(crate) fn read<T, E>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<DbError>,
    {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let value = f(&tx)?;
        // Read-only: ending it cannot lose anything, and a failure to end it is not an error
        // of the read.
        let _ = tx.finish();
        Ok(value)
    }

    /// `PRAGMA integrity_check`: `Ok(())` or the problems SQLite found.
    pub fn integrity_check(&self) -> Result<Vec<String>, DbError> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(if rows == ["ok"] { Vec::new() } else { rows })
    }

    /// The raw connection, for tests and tools that inspect the file.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn migrate(&mut self) -> Result<(), DbError> {
        // Read the version without a lock first: an up-to-date file is opened without ever
        // taking the write lock, so readers do not queue behind a writer.
        let current: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(|e| self.err(e))?;
        if current == SCHEMA_VERSION {
            return Ok(());
        }
        let path = self.path.clone();
        self.write(|tx| {
            let sqlite = |source| DbError::Sqlite {
                path: path.clone(),
                source,
            };
            let mut version: i64 = tx
                .query_row("PRAGMA user_version", [], |row| row.get(0))
                .map_err(sqlite)?;
            if version > SCHEMA_VERSION {
                return Err(DbError::TooNew {
                    path: path.clone(),
                    found: version,
                    supported: SCHEMA_VERSION,
                });
            }
            while version < SCHEMA_VERSION {
                tx.execute_batch(MIGRATIONS[version as usize])
                    .map_err(sqlite)?;
                version += 1;
                tx.pragma_update(None, "user_version", version)
                    .map_err(sqlite)?;
            }
            Ok(())
        })
    }
}

/// `MIGRATIONS[v]` takes the schema from version `v` to `v + 1`.
const MIGRATIONS: [&str; SCHEMA_VERSION as usize] = [
    r#"
CREATE TABLE sessions (
    local_id      TEXT PRIMARY KEY NOT NULL,
    label         TEXT NOT NULL,
    account       TEXT NOT NULL,
    chain_id      INTEGER NOT NULL CHECK (chain_id >= 0),
    entry_point   TEXT NOT NULL,
    module        TEXT NOT NULL,
    permissions   TEXT NOT NULL,
    valid_after   INTEGER NOT NULL,
    valid_until   INTEGER NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active', 'paused', 'revoked')),
    session_id    TEXT NOT NULL UNIQUE,
    signer        TEXT NOT NULL,
    keystore_file TEXT NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    rotated_at    INTEGER,
    revoked_at    INTEGER,
    revoke_reason TEXT,
    rotated_from  TEXT,
    rotated_to    TEXT,
    CHECK ((status = 'revoked') = (revoked_at IS NOT NULL)),
    CHECK ((revoked_at IS NULL) = (revoke_reason IS NULL))
) STRICT;
CREATE INDEX sessions_by_account ON sessions (account);
CREATE INDEX sessions_by_status ON sessions (status);
CREATE INDEX sessions_by_valid_until ON sessions (valid_until);

CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY NOT NULL,
    time      INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    session   TEXT,
    details   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
) STRICT;
-- Append-only against accidents. Deliberate tampering (dropping these triggers) is what
-- the hash chain detects.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
"#,
    r#"
-- The latest audit entry, written with every append: a log emptied or cut short (after
-- dropping the triggers above) no longer reaches it, which `audit verify` reports.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
) STRICT;
INSERT INTO audit_head (id, seq, hash)
    SELECT 1, seq, hash FROM audit ORDER BY seq DESC LIMIT 1;
"#,
];
