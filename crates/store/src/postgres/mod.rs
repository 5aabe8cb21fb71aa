//! The PostgreSQL engine: a small pool of blocking connections, safe for many replicas.
//!
//! Every write transaction starts by locking the audit head row (`SELECT … FOR UPDATE`), so
//! writes, and with them audit appends, are serialised across all replicas on the database.
//! Reads run in `REPEATABLE READ READ ONLY` transactions (one snapshot each).
//!
//! The sync `postgres` client runs its own small Tokio runtime: never call this store from a
//! thread that runs a Tokio runtime (it panics); from async code use
//! `tokio::task::spawn_blocking`.

mod conn;

use postgres::IsolationLevel;

use crate::logic::{forward_store, Core, GroupCommit};
use crate::migrations::{migrate, Dialect};
use crate::pool::Pool;
use crate::sql::{Backend, Tx};
use crate::{system_clock, Clock, Engine, StoreError};
use conn::{err, PgConn, PgTx};

/// Connections per store unless told otherwise.
pub const DEFAULT_POOL_SIZE: usize = 8;

/// Key of the advisory lock held while migrating ("leash" in ASCII).
const MIGRATION_LOCK: i64 = 0x6c_65_61_73_68;

/// The engine behind [`PostgresStore`].
pub(crate) struct PgBackend {
    pool: Pool<PgConn>,
}

impl Backend for PgBackend {
    fn write<T>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut lease = self.pool.get()?;
        let PgConn { client, stmts } = &mut *lease;
        let mut tx = client.transaction().map_err(err)?;
        let out = {
            let mut t = PgTx { tx: &mut tx, stmts };
            t.query("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE", &[])?;
            f(&mut t)?
        };
        tx.commit().map_err(err)?;
        Ok(out)
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut lease = self.pool.get()?;
        let PgConn { client, stmts } = &mut *lease;
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(err)?;
        let out = f(&mut PgTx { tx: &mut tx, stmts })?;
        tx.commit().map_err(err)?;
        Ok(out)
    }
}

/// Migrates under a transaction-scoped advisory lock, so concurrent starts take turns.
fn migrate_locked(conn: &mut PgConn, now: i64) -> Result<(), StoreError> {
    let PgConn { client, stmts } = conn;
    let mut tx = client.transaction().map_err(err)?;
    {
        let mut t = PgTx { tx: &mut tx, stmts };
        t.batch(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))?;
        migrate(&mut t, Dialect::Postgres, now)?;
    }
    tx.commit().map_err(err)
}

/// The store on a PostgreSQL database; several replicas may share one database.
///
/// Blocking, and **never to be called on a Tokio runtime thread**: the sync `postgres` client
/// runs its own runtime and panics there. From async code call it inside
/// `tokio::task::spawn_blocking`. Tables live in the connection's `search_path`
/// (the `public` schema unless the URL says e.g. `?options=-csearch_path%3Dleash`).
pub struct PostgresStore {
    core: Core<PgBackend>,
}

impl PostgresStore {
    /// Connects with up to [`DEFAULT_POOL_SIZE`] connections and migrates the database to this
    /// build's schema. `url` is `postgres://USER:PASSWORD@HOST:PORT/DATABASE[?options]`
    /// (no TLS). Fails with the host and port (never the password) when unreachable, and if
    /// the database holds a newer schema than this build knows.
    pub fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        Self::connect_with(url, DEFAULT_POOL_SIZE)
    }

    /// [`PostgresStore::connect`] with up to `pool_size` connections (at least 1).
    pub fn connect_with(url: &str, pool_size: usize) -> Result<PostgresStore, StoreError> {
        let config = conn::parse(url)?;
        let mut first = conn::connect(&config)?;
        let clock = system_clock();
        migrate_locked(&mut first, i64::try_from(clock()).unwrap_or(i64::MAX))?;
        let pool = Pool::new(
            first,
            pool_size,
            Box::new(move || conn::connect(&config)),
            |c| c.client.is_closed(),
        );
        Ok(PostgresStore {
            core: Core {
                engine: Engine::Postgres,
                backend: PgBackend { pool },
                clock,
                group: GroupCommit::default(),
            },
        })
    }

    /// The same store with timestamps from `clock` (unix seconds), e.g. a fixed time in tests.
    pub fn with_clock(mut self, clock: Clock) -> PostgresStore {
        self.core.clock = clock;
        self
    }
}

forward_store!(PostgresStore);
