//! The SQLite engine: one file, safe for many threads and several processes.
//!
//! Writers serialise on a process-local mutex and, across processes, on `BEGIN IMMEDIATE`
//! (the database's write lock, waited for up to 30 s). Readers use their own pooled
//! connections and see a consistent snapshot thanks to write-ahead logging.

mod conn;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, TransactionBehavior};

use crate::logic::{forward_store, Core, GroupCommit};
use crate::migrations::{migrate, Dialect};
use crate::pool::Pool;
use crate::sql::{Backend, Tx};
use crate::{system_clock, Clock, Engine, StoreError};
use conn::{err, SqliteTx};

/// Connections kept per store (one writes at a time; the others read).
const POOL_SIZE: usize = 4;

/// The engine behind [`SqliteStore`].
pub(crate) struct SqliteBackend {
    pool: Pool<Connection>,
    writer: Mutex<()>,
}

impl SqliteBackend {
    fn run<T>(
        &self,
        behavior: TransactionBehavior,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.pool.get()?;
        let tx = conn.transaction_with_behavior(behavior).map_err(err)?;
        let out = f(&mut SqliteTx(&tx))?;
        tx.commit().map_err(err)?;
        Ok(out)
    }
}

impl Backend for SqliteBackend {
    fn write<T>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _one_writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        self.run(TransactionBehavior::Immediate, f)
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.run(TransactionBehavior::Deferred, f)
    }
}

/// The store on an SQLite file (WAL, `synchronous=FULL`, foreign keys, 30 s busy timeout).
///
/// Share one instance between threads (it is `Send + Sync`); several processes may also
/// open the same file, their writes serialise on the database's lock.
pub struct SqliteStore {
    core: Core<SqliteBackend>,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and migrates it to this build's
    /// schema. Fails if the file holds a newer schema than this build knows.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let first = conn::open(path)?;
        let owned = path.to_path_buf();
        let pool = Pool::new(
            first,
            POOL_SIZE,
            Box::new(move || conn::open(&owned)),
            |_| false,
        );
        let backend = SqliteBackend {
            pool,
            writer: Mutex::new(()),
        };
        let clock = system_clock();
        let now = i64::try_from(clock()).unwrap_or(i64::MAX);
        backend.write(|tx| migrate(tx, Dialect::Sqlite, now))?;
        Ok(SqliteStore {
            core: Core {
                engine: Engine::Sqlite,
                backend,
                clock,
                group: GroupCommit::default(),
            },
            path: path.to_path_buf(),
        })
    }

    /// The same store with timestamps from `clock` (unix seconds), e.g. a fixed time in tests.
    pub fn with_clock(mut self, clock: Clock) -> SqliteStore {
        self.core.clock = clock;
        self
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

forward_store!(SqliteStore);
