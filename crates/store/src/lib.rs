#![doc = include_str!("../README.md")]

mod audit_hash;
mod clock;
mod error;
mod logic;
mod migrations;
mod model;
mod pool;
mod postgres;
mod sql;
mod sqlite;

use std::path::Path;

pub use audit_hash::{audit_hash, GENESIS_HASH};
pub use clock::{system_clock, Clock};
pub use error::StoreError;
pub use migrations::SCHEMA_VERSION;
pub use model::*;
pub use postgres::{PostgresStore, DEFAULT_POOL_SIZE};
pub use sqlite::SqliteStore;

/// Opens the store named by `url_or_path`: `postgres://…` or `postgresql://…` connects to
/// PostgreSQL ([`PostgresStore::connect`]); `sqlite://PATH`, `sqlite:PATH` or a plain path
/// opens an SQLite file ([`SqliteStore::open`]). Either way the schema is migrated first.
///
/// The PostgreSQL store is blocking and must not be called on a Tokio runtime thread (use
/// `spawn_blocking`). Share the result between threads with `Arc::from(store)`.
pub fn open(url_or_path: &str) -> Result<Box<dyn Store>, StoreError> {
    if url_or_path.starts_with("postgres://") || url_or_path.starts_with("postgresql://") {
        return Ok(Box::new(PostgresStore::connect(url_or_path)?));
    }
    let path = url_or_path
        .strip_prefix("sqlite://")
        .or_else(|| url_or_path.strip_prefix("sqlite:"))
        .unwrap_or(url_or_path);
    if path.is_empty() {
        return Err(StoreError::Backend {
            engine: "sqlite",
            message: "no database path given; pass a file path, sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB".into(),
        });
    }
    Ok(Box::new(SqliteStore::open(Path::new(path))?))
}

/// The store of `leash serve`, one interface over SQLite and PostgreSQL.
///
/// Every method is blocking (callers in async code run it on a blocking thread). Every
/// mutation runs in one transaction together with its audit entry: a change without its audit
/// row cannot be committed, and an audit row without its change neither. `actor` is the id of
/// the API key that asked (or `cli:<user>` for the admin CLI).
///
/// Replicas on one PostgreSQL database see each other's writes on their next call: nothing is
/// cached across calls by implementations.
pub trait Store: Send + Sync {
    /// Which engine this is.
    fn engine(&self) -> Engine;
    /// A cheap round trip proving the database answers and has this build's schema.
    fn health(&self) -> Result<(), StoreError>;

    // ------------------------------------------------------------------ API keys
    /// Inserts a key (audited as `apikey.create`). Fails with [`StoreError::Conflict`] if the
    /// id exists.
    fn create_api_key(&self, key: NewApiKey, actor: &str) -> Result<ApiKey, StoreError>;
    /// One key by id ([`StoreError::NotFound`] if absent or deleted).
    fn api_key(&self, id: &str) -> Result<ApiKey, StoreError>;
    /// Every key not deleted, oldest first.
    fn list_api_keys(&self) -> Result<Vec<ApiKey>, StoreError>;
    /// Enables or disables a key (audited `apikey.enable` / `apikey.disable`). A revoked key
    /// stays revoked: [`StoreError::Conflict`].
    fn set_api_key_enabled(
        &self,
        id: &str,
        enabled: bool,
        actor: &str,
    ) -> Result<ApiKey, StoreError>;
    /// Revokes a key for good with a reason (audited `apikey.revoke`, reason in details).
    fn revoke_api_key(&self, id: &str, reason: &str, actor: &str) -> Result<ApiKey, StoreError>;
    /// Replaces the secret's hash (audited `apikey.rotate`): the old secret fails at once.
    /// A revoked key cannot be rotated ([`StoreError::Conflict`]).
    fn rotate_api_key(
        &self,
        id: &str,
        secret: SecretDigest,
        actor: &str,
    ) -> Result<ApiKey, StoreError>;
    /// Deletes a key (audited `apikey.delete`); afterwards [`Store::api_key`] says NotFound.
    fn delete_api_key(&self, id: &str, actor: &str) -> Result<ApiKey, StoreError>;

    // ------------------------------------------------------------------ sessions
    /// Inserts a served session (audited `session.grant`, with the session id and account).
    fn insert_session(
        &self,
        session: NewServedSession,
        actor: &str,
    ) -> Result<ServedSession, StoreError>;
    /// One session by its permission context.
    fn session(&self, context: &str) -> Result<ServedSession, StoreError>;
    /// The sessions of one account on one chain (`account` lower-case 0x hex), oldest first.
    fn sessions_of(&self, account: &str, chain_id: u64) -> Result<Vec<ServedSession>, StoreError>;
    /// Stores the owner's signed enable grant (JSON, opaque here) for the session's first op
    /// (audited `session.enable-grant`).
    fn set_enable_grant(
        &self,
        context: &str,
        grant: &str,
        actor: &str,
    ) -> Result<ServedSession, StoreError>;
    /// Drops the enable grant once an op carrying it landed (audited `session.enabled`).
    /// Returns whether one was there.
    fn clear_enable_grant(&self, context: &str, actor: &str) -> Result<bool, StoreError>;
    /// Revokes a session with a reason (audited `session.revoke`); a revoked session stays
    /// revoked ([`StoreError::Conflict`] when already revoked).
    fn revoke_session(
        &self,
        context: &str,
        reason: &str,
        actor: &str,
    ) -> Result<ServedSession, StoreError>;

    // ------------------------------------------------------------------ nonces and signatures
    /// Takes the next nonce sequence number of a session for one op, atomically across
    /// processes and replicas: returns `max(next, floor)` and stores it + 1 as the next. `floor`
    /// is the EntryPoint's current sequence when the caller read it. In the same transaction
    /// appends the audit entry `op.sign` with `details` and the sequence taken. Refuses a
    /// session that is not active ([`StoreError::Conflict`]).
    fn take_nonce(
        &self,
        context: &str,
        floor: Option<u64>,
        details: serde_json::Value,
        actor: &str,
    ) -> Result<NonceTaken, StoreError>;
    /// Gives back a sequence that was never sent, if it is still the last one taken (compare-
    /// and-swap: next == seq + 1 → next = seq). Returns whether it was given back. Audited
    /// `op.release` when it was.
    fn release_nonce(&self, context: &str, seq: u64, actor: &str) -> Result<bool, StoreError>;

    // ------------------------------------------------------------------ calls (EIP-5792 batches)
    /// Records a batch handed to the bundler (audited `op.send`). The id is the user-op hash.
    fn insert_call(&self, call: NewCall, actor: &str) -> Result<CallRecord, StoreError>;
    /// One batch by id.
    fn call(&self, id: &str) -> Result<CallRecord, StoreError>;
    /// Sets a batch's status and receipt JSON (not audited: it is what the chain said).
    fn set_call_outcome(
        &self,
        id: &str,
        status: CallStatus,
        receipt: Option<&str>,
    ) -> Result<CallRecord, StoreError>;

    // ------------------------------------------------------------------ audit log
    /// Appends an entry on its own (for events with no other write, e.g. a refused request).
    fn append_audit(&self, entry: NewAuditEntry) -> Result<AuditEntry, StoreError>;
    /// Entries from `after_seq` (exclusive), oldest first, at most `limit`.
    fn audit_entries(&self, after_seq: u64, limit: u32) -> Result<Vec<AuditEntry>, StoreError>;
    /// Walks the whole chain: every hash recomputed, every link and the stored head checked.
    fn verify_audit(&self) -> Result<AuditReport, StoreError>;
}
