//! The session registry: one row per session in the SQLite file, every change written in one
//! `BEGIN IMMEDIATE` transaction together with its audit entry.
//!
//! Status machine (`revoked` is final):
//!
//! ```text
//! active ──pause──▶ paused ──resume──▶ active
//! active|paused ──revoke / rotate──▶ revoked ──delete──▶ (row gone; audit entries stay)
//! ```

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use alloy::primitives::{Address, B256};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde_json::json;

use crate::audit::{self, Action, AuditEntry, AuditError, AuditHead, ChainReport};
use crate::db::{Database, DbError};
use crate::permissions::{PermissionError, SessionSpec};

/// Unix seconds source; replaceable for tests.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The system clock in unix seconds.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    })
}

/// `keystore_file` of a session whose key the app holds (granted to the signer its
/// permission request named), followed by the session id: there is no key file.
pub const EXTERNAL_KEY_PREFIX: &str = "external:";

/// Most characters in a label.
pub const MAX_LABEL_CHARS: usize = 128;

/// Where a session is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Usable.
    Active,
    /// Temporarily unusable; can be resumed.
    Paused,
    /// Permanently unusable.
    Revoked,
}

impl Status {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Paused => "paused",
            Status::Revoked => "revoked",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "active" => Ok(Status::Active),
            "paused" => Ok(Status::Paused),
            "revoked" => Ok(Status::Revoked),
            other => Err(format!(
                "unknown status {other:?} (expected active, paused or revoked)"
            )),
        }
    }
}

/// One session as the registry knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// Local id (`s_` + 16 hex digits), the handle the CLI uses.
    pub local_id: String,
    /// Free text chosen by the operator.
    pub label: String,
    /// The smart account.
    pub account: Address,
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// The EntryPoint the account uses.
    pub entry_point: Address,
    /// The session-key validator module.
    pub module: Address,
    /// The granted permissions (with `signer` set).
    pub spec: SessionSpec,
    /// Window start (copy of `spec.valid_after`, indexed).
    pub valid_after: u64,
    /// Window end (copy of `spec.valid_until`, indexed).
    pub valid_until: u64,
    /// Status.
    pub status: Status,
    /// On-chain id, `keccak256(pack(session))`.
    pub session_id: B256,
    /// The session key's address.
    pub signer: Address,
    /// Keystore file name.
    pub keystore_file: String,
    /// Creation time (unix seconds).
    pub created_at: u64,
    /// When this session was replaced by rotation.
    pub rotated_at: Option<u64>,
    /// When it was revoked.
    pub revoked_at: Option<u64>,
    /// Why it was revoked (`rotated` for rotation).
    pub revoke_reason: Option<String>,
    /// The session this one replaced.
    pub rotated_from: Option<String>,
    /// The session that replaced this one.
    pub rotated_to: Option<String>,
}

impl SessionRecord {
    /// Whether the app holds the session's key (leash has no key file for it).
    pub fn is_external(&self) -> bool {
        self.keystore_file.starts_with(EXTERNAL_KEY_PREFIX)
    }

    /// The status to show at `now`: the stored one, except that an active session whose
    /// window has ended is `expired`.
    pub fn status_at(&self, now: u64) -> &'static str {
        if self.status == Status::Active && now > self.valid_until {
            "expired"
        } else {
            self.status.as_str()
        }
    }
}

/// What [`Registry::create`] records.
#[derive(Clone, Debug)]
pub struct NewSession {
    /// Free text (1..=128 characters, no control characters).
    pub label: String,
    /// The smart account.
    pub account: Address,
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// The EntryPoint.
    pub entry_point: Address,
    /// The validator module.
    pub module: Address,
    /// Permissions, `signer` already set to the generated key.
    pub spec: SessionSpec,
    /// Keystore file holding the key.
    pub keystore_file: String,
}

/// The new key of a rotation.
#[derive(Clone, Debug)]
pub struct Replacement {
    /// The new key's address.
    pub signer: alloy::primitives::Address,
    /// Its keystore file.
    pub keystore_file: String,
    /// New label; `None` keeps the old one.
    pub label: Option<String>,
}

/// Filters of [`Registry::list`]; all set filters must match.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only this account.
    pub account: Option<Address>,
    /// Only this chain.
    pub chain_id: Option<u64>,
    /// Only this status.
    pub status: Option<Status>,
    /// Only sessions whose window ends before this time (unix seconds).
    pub expiring_before: Option<u64>,
}

/// Registry errors.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// No session has this local id.
    #[error("session {local_id}: not found")]
    NotFound {
        /// The id asked for.
        local_id: String,
    },
    /// The action is not allowed in the session's current status.
    #[error("session {local_id} is {status}: cannot {action} it ({hint})")]
    InvalidTransition {
        /// The session.
        local_id: String,
        /// What was attempted.
        action: &'static str,
        /// Its status.
        status: Status,
        /// What to do instead.
        hint: &'static str,
    },
    /// The session's window is over.
    #[error("session {local_id}: expired at {valid_until} (now {now})")]
    Expired {
        /// The session.
        local_id: String,
        /// End of its window.
        valid_until: u64,
        /// Current time.
        now: u64,
    },
    /// An input field is invalid.
    #[error("{field}: {reason}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The permissions are invalid.
    #[error("permissions: {0}")]
    Permissions(#[from] PermissionError),
    /// A stored row does not parse (the file was edited by hand).
    #[error("session {local_id}: stored field {field} is corrupt: {reason}")]
    Corrupt {
        /// The session.
        local_id: String,
        /// The column.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The registry (sessions + audit log) in one SQLite file.
pub struct Registry {
    db: Database,
    actor: String,
    clock: Clock,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("db", &self.db.path())
            .field("actor", &self.actor)
            .finish()
    }
}

const COLUMNS: &str = "local_id, label, account, chain_id, entry_point, module, permissions, \
    valid_after, valid_until, status, session_id, signer, keystore_file, created_at, rotated_at, \
    revoked_at, revoke_reason, rotated_from, rotated_to";

impl Registry {
    /// Opens the registry file, creating and migrating it as needed. `actor` is written into
    /// every audit entry.
    pub fn open(path: &Path, actor: impl Into<String>) -> Result<Self, RegistryError> {
        Ok(Self {
            db: Database::open(path)?,
            actor: actor.into(),
            clock: system_clock(),
        })
    }

    /// Replaces the clock (tests, replays).
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    /// Replaces the actor recorded in audit entries.
    pub fn set_actor(&mut self, actor: impl Into<String>) {
        self.actor = actor.into();
    }

    /// Current time per the registry's clock.
    pub fn now(&self) -> u64 {
        (self.clock)()
    }

    /// The underlying database (integrity checks, inspection).
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Records a new active session and its `create` audit entry.
    pub fn create(&mut self, new: NewSession) -> Result<SessionRecord, RegistryError> {
        check_new(&new)?;
        let now = self.now();
        let actor = self.actor.clone();
        self.db.write(|tx| {
            let local_id = fresh_local_id(tx).map_err(|e| sql(tx, e))?;
            let record = insert(tx, &local_id, &new, now, None).map_err(|e| sql(tx, e))?;
            audit::append(
                tx,
                now,
                &actor,
                Action::Create,
                Some(&local_id),
                &json!({
                    "label": record.label,
                    "account": record.account,
                    "chain_id": record.chain_id,
                    "entry_point": record.entry_point,
                    "module": record.module,
                    "session_id": record.session_id,
                    "signer": record.signer,
                    "valid_after": record.valid_after,
                    "valid_until": record.valid_until,
                }),
            )
            .map_err(|e| sql(tx, e))?;
            Ok(record)
        })
    }

    /// One session.
    pub fn get(&self, local_id: &str) -> Result<SessionRecord, RegistryError> {
        self.db.read(|tx| load(tx, local_id))
    }

    /// Sessions matching `filter`, oldest first. Fails on the first row that does not
    /// read back (see [`Registry::list_report`] to list the others anyway).
    pub fn list(&self, filter: &Filter) -> Result<Vec<SessionRecord>, RegistryError> {
        let (records, mut bad) = self.list_report(filter)?;
        if bad.is_empty() {
            Ok(records)
        } else {
            Err(bad.swap_remove(0))
        }
    }

    /// Sessions matching `filter`, oldest first, and apart from them an error naming each
    /// row that does not read back (edited or damaged), so one bad row hides no other.
    pub fn list_report(
        &self,
        filter: &Filter,
    ) -> Result<(Vec<SessionRecord>, Vec<RegistryError>), RegistryError> {
        let chain_id = filter.chain_id.map(chain_id_sql).transpose()?;
        self.db.read(|tx| {
            let mut stmt = tx
                .prepare(&format!(
                    "SELECT {COLUMNS} FROM sessions
                     WHERE (?1 IS NULL OR account = ?1) AND (?2 IS NULL OR chain_id = ?2)
                       AND (?3 IS NULL OR status = ?3) AND (?4 IS NULL OR valid_until < ?4)
                     ORDER BY created_at, rowid"
                ))
                .map_err(|e| sql(tx, e))?;
            let rows = stmt
                .query_map(
                    params![
                        filter.account.map(|a| address_sql(&a)),
                        chain_id,
                        filter.status.map(Status::as_str),
                        filter
                            .expiring_before
                            .map(|t| t.min(i64::MAX as u64) as i64),
                    ],
                    RawRecord::from_row,
                )
                .map_err(|e| sql(tx, e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| sql(tx, e))?;
            let mut records = Vec::new();
            let mut bad = Vec::new();
            for row in rows {
                match row.parse() {
                    Ok(record) => records.push(record),
                    Err(e) => bad.push(e),
                }
            }
            Ok((records, bad))
        })
    }

    /// `active → paused`.
    pub fn pause(&mut self, local_id: &str) -> Result<SessionRecord, RegistryError> {
        self.transition(local_id, Action::Pause, |status| match status {
            Status::Active => Ok(Status::Paused),
            Status::Paused => Err("already paused"),
            Status::Revoked => Err("revoked is final; create a new session"),
        })
    }

    /// `paused → active`.
    pub fn resume(&mut self, local_id: &str) -> Result<SessionRecord, RegistryError> {
        self.transition(local_id, Action::Resume, |status| match status {
            Status::Paused => Ok(Status::Active),
            Status::Active => Err("only paused sessions can be resumed"),
            Status::Revoked => Err("revoked is final; create a new session"),
        })
    }

    /// `active|paused → revoked`, with a reason.
    pub fn revoke(&mut self, local_id: &str, reason: &str) -> Result<SessionRecord, RegistryError> {
        check_reason(reason)?;
        let now = self.now();
        let actor = self.actor.clone();
        self.db.write(|tx| {
            let record = load(tx, local_id)?;
            if record.status == Status::Revoked {
                return Err(invalid(&record, "revoke", "already revoked"));
            }
            tx.execute(
                "UPDATE sessions SET status = 'revoked', revoked_at = ?2, revoke_reason = ?3
                 WHERE local_id = ?1",
                params![local_id, now as i64, reason],
            )
            .map_err(|e| sql(tx, e))?;
            audit::append(
                tx,
                now,
                &actor,
                Action::Revoke,
                Some(local_id),
                &json!({ "reason": reason, "session_id": record.session_id, "from": record.status.as_str() }),
            )
            .map_err(|e| sql(tx, e))?;
            load(tx, local_id)
        })
    }

    /// Replaces a session's key: a new record with the same permissions and a new signer,
    /// in the old one's status; the old one is revoked with reason `rotated`. Both links are
    /// set. Returns `(old, new)`.
    pub fn rotate(
        &mut self,
        local_id: &str,
        replacement: Replacement,
    ) -> Result<(SessionRecord, SessionRecord), RegistryError> {
        self.rotate_inner(local_id, replacement, None)
    }

    /// Like [`Registry::rotate`], but the new record gets `spec` (its signer replaced by the
    /// new key's) instead of the old permissions. The caller checks that `spec` grants no
    /// more than the old session (see `Store::rotate_with`).
    pub fn rotate_with_spec(
        &mut self,
        local_id: &str,
        replacement: Replacement,
        spec: SessionSpec,
    ) -> Result<(SessionRecord, SessionRecord), RegistryError> {
        self.rotate_inner(local_id, replacement, Some(spec))
    }

    fn rotate_inner(
        &mut self,
        local_id: &str,
        replacement: Replacement,
        spec: Option<SessionSpec>,
    ) -> Result<(SessionRecord, SessionRecord), RegistryError> {
        if let Some(label) = &replacement.label {
            check_label(label)?;
        }
        let now = self.now();
        let actor = self.actor.clone();
        self.db.write(|tx| {
            let old = load(tx, local_id)?;
            if old.status == Status::Revoked {
                return Err(invalid(
                    &old,
                    "rotate",
                    "revoked is final; create a new session",
                ));
            }
            let new = NewSession {
                label: replacement
                    .label
                    .clone()
                    .unwrap_or_else(|| old.label.clone()),
                account: old.account,
                chain_id: old.chain_id,
                entry_point: old.entry_point,
                module: old.module,
                spec: SessionSpec {
                    signer: replacement.signer,
                    ..spec.clone().unwrap_or_else(|| old.spec.clone())
                },
                keystore_file: replacement.keystore_file.clone(),
            };
            check_new(&new)?;
            let new_id = fresh_local_id(tx).map_err(|e| sql(tx, e))?;
            insert(tx, &new_id, &new, now, Some(local_id)).map_err(|e| sql(tx, e))?;
            if old.status == Status::Paused {
                tx.execute(
                    "UPDATE sessions SET status = 'paused' WHERE local_id = ?1",
                    [&new_id],
                )
                .map_err(|e| sql(tx, e))?;
            }
            tx.execute(
                "UPDATE sessions SET status = 'revoked', revoked_at = ?2, revoke_reason = 'rotated',
                 rotated_at = ?2, rotated_to = ?3 WHERE local_id = ?1",
                params![local_id, now as i64, new_id],
            )
            .map_err(|e| sql(tx, e))?;
            let new_record = load(tx, &new_id)?;
            audit::append(
                tx,
                now,
                &actor,
                Action::Rotate,
                Some(local_id),
                &json!({
                    "rotated_to": new_id,
                    "old_session_id": old.session_id,
                    "new_session_id": new_record.session_id,
                    "new_signer": new_record.signer,
                }),
            )
            .map_err(|e| sql(tx, e))?;
            audit::append(
                tx,
                now,
                &actor,
                Action::Create,
                Some(&new_id),
                &json!({
                    "rotated_from": local_id,
                    "session_id": new_record.session_id,
                    "signer": new_record.signer,
                    "status": new_record.status.as_str(),
                }),
            )
            .map_err(|e| sql(tx, e))?;
            Ok((load(tx, local_id)?, new_record))
        })
    }

    /// Removes a revoked session's row (its audit entries stay). Returns the removed record
    /// so the caller can delete its key file.
    pub fn delete(&mut self, local_id: &str) -> Result<SessionRecord, RegistryError> {
        let now = self.now();
        let actor = self.actor.clone();
        self.db.write(|tx| {
            let record = load(tx, local_id)?;
            if record.status != Status::Revoked {
                return Err(invalid(
                    &record,
                    "delete",
                    "only revoked sessions can be deleted; revoke it first",
                ));
            }
            tx.execute("DELETE FROM sessions WHERE local_id = ?1", [local_id])
                .map_err(|e| sql(tx, e))?;
            audit::append(
                tx,
                now,
                &actor,
                Action::Delete,
                Some(local_id),
                &json!({ "session_id": record.session_id, "keystore_file": record.keystore_file }),
            )
            .map_err(|e| sql(tx, e))?;
            Ok(record)
        })
    }

    /// Logs a signed op. Checked inside the write transaction, so a concurrent revoke or
    /// pause either happens before (and this fails) or after (and the signature was logged).
    pub fn log_signature(
        &mut self,
        local_id: &str,
        details: serde_json::Value,
    ) -> Result<AuditEntry, RegistryError> {
        let now = self.now();
        let actor = self.actor.clone();
        self.db.write(|tx| {
            let record = load(tx, local_id)?;
            check_usable(&record, now)?;
            Ok(
                audit::append(tx, now, &actor, Action::SignOp, Some(local_id), &details)
                    .map_err(|e| sql(tx, e))?,
            )
        })
    }

    /// Logs that a session's private key was exported.
    pub fn log_export(&mut self, local_id: &str) -> Result<AuditEntry, RegistryError> {
        let now = self.now();
        let actor = self.actor.clone();
        self.db.write(|tx| {
            let record = load(tx, local_id)?;
            Ok(audit::append(
                tx,
                now,
                &actor,
                Action::ExportKey,
                Some(local_id),
                &json!({ "signer": record.signer, "session_id": record.session_id }),
            )
            .map_err(|e| sql(tx, e))?)
        })
    }

    /// Audit entries in order, all or one session's.
    pub fn audit_entries(&self, session: Option<&str>) -> Result<Vec<AuditEntry>, AuditError> {
        Ok(self
            .db
            .read(|tx| audit::read_entries(tx, session).map_err(|e| sql(tx, e)))?)
    }

    /// The latest audit entry (for external anchoring).
    pub fn audit_head(&self) -> Result<Option<AuditHead>, AuditError> {
        Ok(self
            .db
            .read(|tx| audit::read_head(tx).map_err(|e| sql(tx, e)))?)
    }

    /// Walks the whole chain; see [`audit::verify_entries`].
    pub fn audit_verify(&self, anchor: Option<&AuditHead>) -> Result<ChainReport, AuditError> {
        let entries = self.audit_entries(None)?;
        let report = audit::verify_entries(&entries, anchor);
        if report.problem.is_some() {
            return Ok(report);
        }
        // The head recorded with the last append is an anchor the log carries with it: a log
        // emptied or cut short no longer reaches it.
        let recorded = self
            .db
            .read(|tx| audit::read_recorded_head(tx).map_err(|e| sql(tx, e)))?;
        Ok(audit::verify_entries(&entries, recorded.as_ref()))
    }

    /// Writes the whole log as JSON lines.
    pub fn audit_export(&self, out: &mut dyn std::io::Write) -> Result<(), AuditError> {
        audit::write_jsonl(&self.audit_entries(None)?, out)
    }

    fn transition(
        &mut self,
        local_id: &str,
        action: Action,
        next: impl FnOnce(Status) -> Result<Status, &'static str>,
    ) -> Result<SessionRecord, RegistryError> {
        let now = self.now();
        let actor = self.actor.clone();
        self.db.write(|tx| {
            let record = load(tx, local_id)?;
            let to = next(record.status).map_err(|hint| invalid(&record, action.as_str(), hint))?;
            tx.execute(
                "UPDATE sessions SET status = ?2 WHERE local_id = ?1",
                params![local_id, to.as_str()],
            )
            .map_err(|e| sql(tx, e))?;
            audit::append(
                tx,
                now,
                &actor,
                action,
                Some(local_id),
                &json!({ "from": record.status.as_str(), "to": to.as_str() }),
            )
            .map_err(|e| sql(tx, e))?;
            load(tx, local_id)
        })
    }
}

/// Fails unless the session may sign at `now`: active and inside its window's end.
pub fn check_usable(record: &SessionRecord, now: u64) -> Result<(), RegistryError> {
    match record.status {
        Status::Active => {}
        Status::Paused => return Err(invalid(record, "sign with", "resume it first")),
        Status::Revoked => return Err(invalid(record, "sign with", "revoked is final")),
    }
    if now > record.valid_until {
        return Err(RegistryError::Expired {
            local_id: record.local_id.clone(),
            valid_until: record.valid_until,
            now,
        });
    }
    Ok(())
}

fn invalid(record: &SessionRecord, action: &'static str, hint: &'static str) -> RegistryError {
    RegistryError::InvalidTransition {
        local_id: record.local_id.clone(),
        action,
        status: record.status,
        hint,
    }
}

fn sql(tx: &Transaction<'_>, source: rusqlite::Error) -> DbError {
    DbError::Sqlite {
        path: tx.path().map(Into::into).unwrap_or_default(),
        source,
    }
}

fn check_label(label: &str) -> Result<(), RegistryError> {
    let reason = if label.trim().is_empty() {
        "must not be empty".to_owned()
    } else if label.chars().count() > MAX_LABEL_CHARS {
        format!("longer than {MAX_LABEL_CHARS} characters")
    } else if label.chars().any(char::is_control) {
        "must not contain control characters".to_owned()
    } else {
        return Ok(());
    };
    Err(RegistryError::InvalidField {
        field: "label",
        reason,
    })
}

fn check_reason(reason: &str) -> Result<(), RegistryError> {
    if reason.trim().is_empty() || reason.len() > 1024 {
        return Err(RegistryError::InvalidField {
            field: "reason",
            reason: "must be 1 to 1024 bytes of text".to_owned(),
        });
    }
    Ok(())
}

fn check_new(new: &NewSession) -> Result<(), RegistryError> {
    check_label(&new.label)?;
    for (field, address) in [
        ("account", new.account),
        ("entry_point", new.entry_point),
        ("module", new.module),
    ] {
        if address.is_zero() {
            return Err(RegistryError::InvalidField {
                field,
                reason: "zero address".to_owned(),
            });
        }
    }
    if new.chain_id == 0 {
        return Err(RegistryError::InvalidField {
            field: "chain_id",
            reason: "must not be 0".to_owned(),
        });
    }
    chain_id_sql(new.chain_id)?;
    if new.spec.signer.is_zero() {
        return Err(RegistryError::InvalidField {
            field: "signer",
            reason: "the session key's address is not set".to_owned(),
        });
    }
    new.spec.validate()?;
    let external = new
        .keystore_file
        .strip_prefix(EXTERNAL_KEY_PREFIX)
        .is_some_and(|id| id.parse::<B256>().is_ok());
    if !external && !crate::keystore::is_keystore_file_name(&new.keystore_file) {
        return Err(RegistryError::InvalidField {
            field: "keystore_file",
            reason: format!(
                "{:?} is not a keystore file name (<uuid>.json)",
                new.keystore_file
            ),
        });
    }
    Ok(())
}

fn chain_id_sql(chain_id: u64) -> Result<i64, RegistryError> {
    i64::try_from(chain_id).map_err(|_| RegistryError::InvalidField {
        field: "chain_id",
        reason: format!("{chain_id} is larger than the registry supports (2^63 - 1)"),
    })
}

fn address_sql(address: &Address) -> String {
    format!("{address:#x}")
}

fn fresh_local_id(tx: &Transaction<'_>) -> Result<String, rusqlite::Error> {
    loop {
        let id = format!(
            "s_{}",
            alloy::hex::encode(crate::keystore::random_bytes::<8>())
        );
        let taken: Option<i64> = tx
            .query_row("SELECT 1 FROM sessions WHERE local_id = ?1", [&id], |r| {
                r.get(0)
            })
            .optional()?;
        if taken.is_none() {
            return Ok(id);
        }
    }
}

fn insert(
    tx: &Transaction<'_>,
    local_id: &str,
    new: &NewSession,
    now: u64,
    rotated_from: Option<&str>,
) -> Result<SessionRecord, rusqlite::Error> {
    // `check_new` validated the spec, so the id exists.
    let session_id = new.spec.session_id().unwrap_or_default();
    let permissions = new.spec.to_json().to_string();
    tx.execute(
        &format!(
            "INSERT INTO sessions ({COLUMNS}) VALUES
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'active', ?10, ?11, ?12, ?13,
              NULL, NULL, NULL, ?14, NULL)"
        ),
        params![
            local_id,
            new.label,
            address_sql(&new.account),
            new.chain_id as i64,
            address_sql(&new.entry_point),
            address_sql(&new.module),
            permissions,
            new.spec.valid_after as i64,
            new.spec.valid_until as i64,
            session_id.to_string(),
            address_sql(&new.spec.signer),
            new.keystore_file,
            now as i64,
            rotated_from,
        ],
    )?;
    Ok(SessionRecord {
        local_id: local_id.to_owned(),
        label: new.label.clone(),
        account: new.account,
        chain_id: new.chain_id,
        entry_point: new.entry_point,
        module: new.module,
        spec: new.spec.clone(),
        valid_after: new.spec.valid_after,
        valid_until: new.spec.valid_until,
        status: Status::Active,
        session_id,
        signer: new.spec.signer,
        keystore_file: new.keystore_file.clone(),
        created_at: now,
        rotated_at: None,
        revoked_at: None,
        revoke_reason: None,
        rotated_from: rotated_from.map(str::to_owned),
        rotated_to: None,
    })
}

fn load(tx: &Transaction<'_>, local_id: &str) -> Result<SessionRecord, RegistryError> {
    let raw = tx
        .query_row(
            &format!("SELECT {COLUMNS} FROM sessions WHERE local_id = ?1"),
            [local_id],
            RawRecord::from_row,
        )
        .optional()
        .map_err(|e| sql(tx, e))?
        .ok_or_else(|| RegistryError::NotFound {
            local_id: local_id.to_owned(),
        })?;
    raw.parse()
}

/// A row as stored, before parsing.
struct RawRecord {
    local_id: String,
    label: String,
    account: String,
    chain_id: i64,
    entry_point: String,
    module: String,
    permissions: String,
    valid_after: i64,
    valid_until: i64,
    status: String,
    session_id: String,
    signer: String,
    keystore_file: String,
    created_at: i64,
    rotated_at: Option<i64>,
    revoked_at: Option<i64>,
    revoke_reason: Option<String>,
    rotated_from: Option<String>,
    rotated_to: Option<String>,
}

impl RawRecord {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            local_id: row.get(0)?,
            label: row.get(1)?,
            account: row.get(2)?,
            chain_id: row.get(3)?,
            entry_point: row.get(4)?,
            module: row.get(5)?,
            permissions: row.get(6)?,
            valid_after: row.get(7)?,
            valid_until: row.get(8)?,
            status: row.get(9)?,
            session_id: row.get(10)?,
            signer: row.get(11)?,
            keystore_file: row.get(12)?,
            created_at: row.get(13)?,
            rotated_at: row.get(14)?,
            revoked_at: row.get(15)?,
            revoke_reason: row.get(16)?,
            rotated_from: row.get(17)?,
            rotated_to: row.get(18)?,
        })
    }

    fn parse(self) -> Result<SessionRecord, RegistryError> {
        let id = self.local_id.clone();
        let corrupt = |field: &'static str, reason: String| RegistryError::Corrupt {
            local_id: id.clone(),
            field,
            reason,
        };
        let address = |field: &'static str, text: &str| {
            text.parse::<Address>()
                .map_err(|e| corrupt(field, e.to_string()))
        };
        let spec = SessionSpec::from_json_str(&self.permissions)
            .map_err(|e| corrupt("permissions", e.to_string()))?;
        let record = SessionRecord {
            account: address("account", &self.account)?,
            entry_point: address("entry_point", &self.entry_point)?,
            module: address("module", &self.module)?,
            signer: address("signer", &self.signer)?,
            session_id: self
                .session_id
                .parse()
                .map_err(|_| corrupt("session_id", format!("{:?}", self.session_id)))?,
            status: self.status.parse().map_err(|e| corrupt("status", e))?,
            chain_id: self.chain_id as u64,
            valid_after: self.valid_after as u64,
            valid_until: self.valid_until as u64,
            created_at: self.created_at as u64,
            rotated_at: self.rotated_at.map(|t| t as u64),
            revoked_at: self.revoked_at.map(|t| t as u64),
            spec,
            local_id: self.local_id,
            label: self.label,
            keystore_file: self.keystore_file,
            revoke_reason: self.revoke_reason,
            rotated_from: self.rotated_from,
            rotated_to: self.rotated_to,
        };
        // The indexed copies and the signer/id must agree with the permissions they derive
        // from; otherwise the row was edited.
        let expected_id = record
            .spec
            .session_id()
            .map_err(|e| corrupt("permissions", e.to_string()))?;
        if expected_id != record.session_id {
            return Err(corrupt(
                "session_id",
                "does not match the permissions".into(),
            ));
        }
        if record.spec.signer != record.signer
            || record.spec.valid_after != record.valid_after
            || record.spec.valid_until != record.valid_until
        {
            return Err(corrupt(
                "signer/valid_after/valid_until",
                "do not match the permissions".into(),
            ));
        }
        Ok(record)
    }
}
