//! The rows of the store, as plain data.

use serde::{Deserialize, Serialize};

/// The database engine behind a [`crate::Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// What an API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages API keys over HTTP and may use every account.
    Admin,
    /// Uses only its accounts (and methods, when limited).
    App,
}

/// Where a key is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    /// Accepted.
    Enabled,
    /// Refused until enabled again.
    Disabled,
    /// Refused for good.
    Revoked,
}

/// The stored form of a secret: its SHA-256 and what may be shown of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretDigest {
    /// Lower-case hex SHA-256 of the whole secret string.
    pub sha256: String,
    /// First characters of the secret, shown afterwards (`leash_ab12…`).
    pub prefix: String,
    /// Last four characters of the secret.
    pub suffix: String,
}

/// A key to insert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiKey {
    /// Public id (also inside the secret).
    pub id: String,
    /// A name for people.
    pub name: String,
    /// Admin or app.
    pub role: Role,
    /// Accounts an app key may use (lower-case 0x hex); empty for admin keys.
    pub accounts: Vec<String>,
    /// Methods an app key may call; `None` = every app method.
    pub methods: Option<Vec<String>>,
    /// Requests per minute this key may make (per replica).
    pub rate_limit_per_minute: u32,
    /// The secret's digest.
    pub secret: SecretDigest,
}

/// A stored key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    /// Public id.
    pub id: String,
    /// A name for people.
    pub name: String,
    /// Admin or app.
    pub role: Role,
    /// Accounts an app key may use.
    pub accounts: Vec<String>,
    /// Methods an app key may call; `None` = every app method.
    pub methods: Option<Vec<String>>,
    /// Requests per minute.
    pub rate_limit_per_minute: u32,
    /// The secret's digest.
    pub secret: SecretDigest,
    /// Lifecycle state.
    pub status: KeyStatus,
    /// Why it was revoked.
    pub revoke_reason: Option<String>,
    /// Unix seconds.
    pub created_at: u64,
    /// Unix seconds of the last change.
    pub updated_at: u64,
    /// Unix seconds of the last rotation.
    pub rotated_at: Option<u64>,
}

/// Where a served session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionState {
    /// The server signs for it (server-held key) or accepts the app's signatures.
    Active,
    /// Refused for good.
    Revoked,
}

/// A session to insert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewServedSession {
    /// The permission context handed to the app (0x hex), the session's key in the store.
    pub context: String,
    /// The on-chain session id (0x hex, 32 bytes).
    pub session_id: String,
    /// The smart account (lower-case 0x hex).
    pub account: String,
    /// Chain id.
    pub chain_id: u64,
    /// EntryPoint (lower-case 0x hex).
    pub entry_point: String,
    /// The module (lower-case 0x hex).
    pub module: String,
    /// The session key's address (lower-case 0x hex).
    pub signer: String,
    /// The permission as leash's JSON (opaque here).
    pub spec: String,
    /// The ERC-7715 request as the app sent it (opaque JSON).
    pub request: String,
    /// The session key encrypted by the server (`None`: the app holds the key).
    pub sealed_key: Option<Vec<u8>>,
    /// The 192-bit EntryPoint nonce key ops of this session use (0x hex).
    pub nonce_key: String,
    /// The API key that granted it.
    pub created_by: String,
}

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServedSession {
    /// Fields as inserted.
    #[serde(flatten)]
    pub new: NewServedSession,
    /// Lifecycle state.
    pub state: SessionState,
    /// Why it was revoked.
    pub revoke_reason: Option<String>,
    /// The owner's signed enable grant waiting for the first op (opaque JSON).
    pub enable_grant: Option<String>,
    /// The next nonce sequence the store hands out.
    pub next_nonce: u64,
    /// Unix seconds.
    pub created_at: u64,
    /// Unix seconds of the revocation.
    pub revoked_at: Option<u64>,
}

/// What [`crate::Store::take_nonce`] gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonceTaken {
    /// The sequence number for this op.
    pub seq: u64,
    /// The audit entry logging the signature.
    pub audit_seq: u64,
}

/// EIP-5792 status of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallStatus {
    /// Handed to the bundler, not yet included.
    Pending,
    /// Included and the op succeeded.
    Confirmed,
    /// Included but the op's execution reverted.
    Reverted,
    /// Dropped by the bundler before inclusion.
    Failed,
}

/// A batch to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCall {
    /// The user-op hash (0x hex), the EIP-5792 batch id.
    pub id: String,
    /// The session's context.
    pub context: String,
    /// Chain id.
    pub chain_id: u64,
    /// The nonce sequence the op used.
    pub nonce_seq: u64,
    /// The signed user op as sent (JSON).
    pub user_op: String,
}

/// A recorded batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    /// Fields as recorded.
    #[serde(flatten)]
    pub new: NewCall,
    /// Last known status.
    pub status: CallStatus,
    /// The bundler's receipt once included (JSON).
    pub receipt: Option<String>,
    /// Unix seconds.
    pub created_at: u64,
    /// Unix seconds of the last status change.
    pub updated_at: u64,
}

/// An audit entry to append.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAuditEntry {
    /// API key id or `cli:<user>`.
    pub actor: String,
    /// Dotted action name (`apikey.create`, `op.sign`, …).
    pub action: String,
    /// What it acted on (key id, context, call id), if anything.
    pub subject: Option<String>,
    /// Details as JSON (never secrets).
    pub details: serde_json::Value,
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// 1, 2, 3, … without gaps.
    pub seq: u64,
    /// Unix seconds.
    pub time: u64,
    /// Fields as appended.
    #[serde(flatten)]
    pub entry: NewAuditEntry,
    /// Hash of the previous entry (64 zero hex digits for the first).
    pub prev_hash: String,
    /// SHA-256 over this entry's fields and `prev_hash` (lower-case hex).
    pub hash: String,
}

/// What [`crate::Store::verify_audit`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditReport {
    /// Entries walked.
    pub entries: u64,
    /// The last entry's hash, if any.
    pub head: Option<String>,
    /// Every break found (empty = intact).
    pub problems: Vec<String>,
}

impl AuditReport {
    /// Whether the chain is whole.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}
