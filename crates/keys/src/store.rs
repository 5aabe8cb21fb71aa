//! The façade the CLI calls: one data directory holding the keystore and the registry, with
//! every lifecycle operation done in the safe order.
//!
//! Layout: `<data_dir>/registry.sqlite` (sessions + audit log) and
//! `<data_dir>/keystore/<uuid>.json` (encrypted keys), all private to the owner (0700 / 0600).
//!
//! Ordering that keeps the two consistent: a key file is written completely before the
//! registry row that names it is committed (if the commit fails the file is removed), and a
//! key file is removed only after the `delete` committed. A crash between the two steps can
//! leave an unreferenced encrypted key file, never a row without its key;
//! [`Store::orphan_key_files`] lists such files.
//!
//! Pending enable grants (an owner's signature that lets a session's first op create it) live
//! in `<data_dir>/enable/` ([`crate::enable`]); they are removed with the session.

use std::path::{Path, PathBuf};

use alloy::primitives::{Address, Bytes, B256};
use alloy::signers::local::PrivateKeySigner;
use serde_json::json;

use crate::audit::{AuditEntry, AuditError, AuditHead, ChainReport};
use crate::enable::{EnableError, EnableGrants, PendingEnable};
use crate::envelope::{self, EnvelopeError};
use crate::fsutil;
use crate::keystore::{ExportedKey, Keystore, KeystoreError};
use crate::password::{PasswordError, PasswordSource};
use crate::permissions::{Asset, CallGrant, PermissionError, Selector, SessionSpec, Target};
use crate::registry::{
    check_usable, Clock, Filter, NewSession, Registry, RegistryError, Replacement, SessionRecord,
    EXTERNAL_KEY_PREFIX,
};

/// File name of the registry database inside the data directory.
pub const REGISTRY_FILE: &str = "registry.sqlite";
/// Directory of key files inside the data directory.
pub const KEYSTORE_DIR: &str = "keystore";

/// Errors of the façade; each wraps the layer that failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The password could not be obtained.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// The keystore failed (wrong password, I/O...).
    #[error(transparent)]
    Keystore(#[from] KeystoreError),
    /// The registry refused or failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The permissions are invalid.
    #[error("permissions: {0}")]
    Permissions(#[from] PermissionError),
    /// Building the signature envelope failed.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// A pending enable grant could not be stored or read, or is not the session's.
    #[error(transparent)]
    Enable(#[from] EnableError),
    /// The audit log could not be read or written.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// The data directory could not be created.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The decrypted key is not the session's signer (the key file was swapped).
    #[error(
        "session {local_id}: key file {file} holds {found}, but the session's signer is {expected}"
    )]
    KeyMismatch {
        /// The session.
        local_id: String,
        /// The keystore file.
        file: String,
        /// The session's signer.
        expected: Address,
        /// The key's address.
        found: Address,
    },
    /// A rotation's new permissions grant more than the old session in `field`.
    #[error("rotation refused: the new grant is larger than the old one in `{field}`: {reason}")]
    RotationEnlarges {
        /// The permission-file name of the field.
        field: &'static str,
        /// How it is larger.
        reason: String,
    },
    /// The session was granted to the app's key (its permission request named the signer):
    /// leash holds no key to sign with, export or rotate.
    #[error(
        "session {local_id} is granted to the app's key {signer}; leash holds no key for it: \
         the app signs its ops (to move it to a leash-held key, revoke it and create a new one)"
    )]
    ExternalSigner {
        /// The session.
        local_id: String,
        /// The app's key.
        signer: Address,
    },
    /// The registry is missing or empty while the keystore holds key files: the sessions
    /// those keys belong to would be forgotten by a new, empty registry.
    #[error(
        "registry {path} is {state}, but {key_files} key file(s) exist in {keystore}: without \
         the registry the sessions they belong to are unknown. Restore registry.sqlite (and \
         registry.sqlite-wal, if there is one) from a backup; leash will not create a new \
         registry over existing keys (to start afresh on purpose, move {keystore} aside first)"
    )]
    RegistryLost {
        /// The registry file.
        path: PathBuf,
        /// `missing` or `empty`.
        state: &'static str,
        /// How many key files the keystore holds.
        key_files: usize,
        /// The keystore directory.
        keystore: PathBuf,
    },
    /// The spec passed to `create_session` already names a signer.
    #[error(
        "signer: set by create_session from the generated key; remove it from the permissions"
    )]
    SignerPreset,
}

/// What `create_session` needs besides the permissions and password.
#[derive(Clone, Debug)]
pub struct CreateRequest {
    /// Free text for the operator.
    pub label: String,
    /// The smart account.
    pub account: Address,
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// The EntryPoint.
    pub entry_point: Address,
    /// The session-key validator module.
    pub module: Address,
    /// The permissions; `signer` must be zero (it is filled from the generated key).
    pub spec: SessionSpec,
}

/// A signed op, ready for `userOp.signature`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedOp {
    /// The session's on-chain id.
    pub session_id: B256,
    /// The period the op is signed for.
    pub period_index: u32,
    /// What the key signed.
    pub op_digest: B256,
    /// `r ‖ s ‖ v`.
    pub signature: [u8; 65],
    /// The full v1 envelope (with the enable grant when one was passed to
    /// [`Store::sign_op_enabling`]).
    pub envelope: Bytes,
    /// Sequence number of the `sign_op` audit entry.
    pub audit_seq: u64,
}

/// Old and new record of a rotation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rotation {
    /// The replaced session, now revoked with reason `rotated`.
    pub old: SessionRecord,
    /// The new session (new key, same permissions).
    pub new: SessionRecord,
}

/// A data directory opened for session management.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    keystore: Keystore,
    registry: Registry,
    enable_grants: EnableGrants,
    cleaned_staging: Vec<PathBuf>,
}

/// Age after which a `.staging-*` directory in the keystore is a leftover: generating and
/// placing a key takes seconds.
pub const STAGING_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(600);

/// The actor recorded when none is set: the OS user, else `cli`.
pub fn default_actor() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "cli".to_owned())
}

impl Store {
    /// Opens (creating if needed, mode 0700) a data directory.
    pub fn open(data_dir: impl Into<PathBuf>) -> Result<Self, Error> {
        let dir = data_dir.into();
        fsutil::ensure_private_dir(&dir).map_err(|source| Error::DataDir {
            path: dir.clone(),
            source,
        })?;
        let keystore = Keystore::open(dir.join(KEYSTORE_DIR))?;
        let registry_path = dir.join(REGISTRY_FILE);
        let state = match std::fs::metadata(&registry_path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some("missing"),
            // A new WAL database can be all in its -wal file; empty means both are.
            Ok(meta) if meta.len() == 0 && wal_is_empty(&registry_path) => Some("empty"),
            _ => None,
        };
        if let Some(state) = state {
            let key_files = keystore.file_names()?.len();
            if key_files > 0 {
                return Err(Error::RegistryLost {
                    path: registry_path,
                    state,
                    key_files,
                    keystore: keystore.dir().to_path_buf(),
                });
            }
        }
        let cleaned_staging = keystore.clean_staging(STAGING_MAX_AGE)?;
        let registry = Registry::open(&registry_path, default_actor())?;
        let enable_grants = EnableGrants::new(&dir);
        Ok(Self {
            dir,
            keystore,
            registry,
            enable_grants,
            cleaned_staging,
        })
    }

    /// Staging directories [`Store::open`] removed (left by an interrupted key generation).
    pub fn cleaned_staging(&self) -> &[PathBuf] {
        &self.cleaned_staging
    }

    /// Sessions matching `filter`, and apart from them an error naming each record that
    /// does not read back.
    pub fn list_report(
        &self,
        filter: &Filter,
    ) -> Result<(Vec<SessionRecord>, Vec<RegistryError>), Error> {
        Ok(self.registry.list_report(filter)?)
    }

    /// Sets the actor written into audit entries.
    pub fn with_actor(mut self, actor: impl Into<String>) -> Self {
        self.registry.set_actor(actor);
        self
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.registry.set_clock(clock);
        self
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The keystore.
    pub fn keystore(&self) -> &Keystore {
        &self.keystore
    }

    /// The registry (read access, audit, integrity checks).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Generates a key, stores it encrypted, records the session and its `create` entry.
    pub fn create_session(
        &mut self,
        request: CreateRequest,
        password: &PasswordSource,
    ) -> Result<SessionRecord, Error> {
        if !request.spec.signer.is_zero() {
            return Err(Error::SignerPreset);
        }
        // Check everything that does not depend on the key before spending a key on it.
        request.spec.validate()?;
        let password = password.read()?;
        let key = self.keystore.generate(&password)?;
        self.record_with_key(request, key)
    }

    /// Like [`Store::create_session`], with an existing key (imported from another keystore)
    /// instead of a generated one: it is stored re-encrypted under `password`.
    pub fn create_session_with_key(
        &mut self,
        request: CreateRequest,
        key: &PrivateKeySigner,
        password: &PasswordSource,
    ) -> Result<SessionRecord, Error> {
        if !request.spec.signer.is_zero() {
            return Err(Error::SignerPreset);
        }
        request.spec.validate()?;
        let password = password.read()?;
        let mut secret = key.to_bytes();
        let stored = self.keystore.import(&secret, &password);
        zeroize::Zeroize::zeroize(&mut secret.0);
        let key = stored?;
        self.record_with_key(request, key)
    }

    /// Records a session whose key was just written; the key file is removed if the
    /// registry refuses.
    fn record_with_key(
        &mut self,
        request: CreateRequest,
        key: crate::keystore::StoredKey,
    ) -> Result<SessionRecord, Error> {
        let new = NewSession {
            label: request.label,
            account: request.account,
            chain_id: request.chain_id,
            entry_point: request.entry_point,
            module: request.module,
            spec: SessionSpec {
                signer: key.address,
                ..request.spec
            },
            keystore_file: key.file_name.clone(),
        };
        self.registry.create(new).map_err(|e| {
            self.discard_key(&key.file_name);
            e.into()
        })
    }

    /// Records a session granted to a key the app holds (`signer`, named by its permission
    /// request): leash builds, grants and enable-grants it, the app signs its ops. No key
    /// file is written; the record's `keystore_file` is [`EXTERNAL_KEY_PREFIX`] + the
    /// session id, and signing, exporting and rotating it are refused.
    pub fn create_external_session(
        &mut self,
        request: CreateRequest,
        signer: Address,
    ) -> Result<SessionRecord, Error> {
        if !request.spec.signer.is_zero() {
            return Err(Error::SignerPreset);
        }
        if signer.is_zero() {
            return Err(PermissionError::new("signer", "zero address").into());
        }
        let spec = SessionSpec {
            signer,
            ..request.spec
        };
        let session_id = spec.session_id()?;
        let new = NewSession {
            label: request.label,
            account: request.account,
            chain_id: request.chain_id,
            entry_point: request.entry_point,
            module: request.module,
            spec,
            keystore_file: format!("{EXTERNAL_KEY_PREFIX}{session_id}"),
        };
        Ok(self.registry.create(new)?)
    }

    /// Signs a user operation hash with a session's key. `period_index` defaults to the
    /// period containing the current time. The signature is returned only after its audit
    /// entry committed, and only if the session is still active then.
    pub fn sign_op(
        &mut self,
        local_id: &str,
        user_op_hash: B256,
        period_index: Option<u32>,
        password: &PasswordSource,
    ) -> Result<SignedOp, Error> {
        self.sign_op_enabling(local_id, user_op_hash, period_index, None, password)
    }

    /// [`Store::sign_op`], with `enable` (the session's pending grant, checked against its
    /// record) carried in the envelope under the ENABLE flag; the audit entry records its
    /// nonce.
    pub fn sign_op_enabling(
        &mut self,
        local_id: &str,
        user_op_hash: B256,
        period_index: Option<u32>,
        enable: Option<&PendingEnable>,
        password: &PasswordSource,
    ) -> Result<SignedOp, Error> {
        let record = self.registry.get(local_id)?;
        refuse_external(&record)?;
        if let Some(pending) = enable {
            pending.check_for(&record)?;
        }
        check_usable(&record, self.registry.now())?;
        let period_index = match period_index {
            Some(index) => index,
            None => record.spec.period_index_at(self.registry.now())?,
        };
        let session = record.spec.to_sol()?;
        let password = password.read()?;
        let signer = self
            .keystore
            .load_signer(&record.keystore_file, &password)?;
        if signer.address() != record.signer {
            return Err(Error::KeyMismatch {
                local_id: record.local_id,
                file: record.keystore_file,
                expected: record.signer,
                found: signer.address(),
            });
        }
        let digest = envelope::op_digest(user_op_hash, record.session_id, period_index);
        let signature = envelope::sign_digest(&signer, &digest)?;
        let grant = enable.map(PendingEnable::grant);
        let envelope = envelope::encode_v1(&session, period_index, &signature, grant.as_ref())?;
        let mut details = json!({
            "user_op_hash": user_op_hash,
            "session_id": record.session_id,
            "period_index": period_index,
            "op_digest": digest,
        });
        if let Some(grant) = &grant {
            details["enable_nonce"] = json!(grant.nonce);
        }
        let entry = self.registry.log_signature(local_id, details)?;
        Ok(SignedOp {
            session_id: record.session_id,
            period_index,
            op_digest: digest,
            signature,
            envelope,
            audit_seq: entry.seq,
        })
    }

    /// Replaces a session's key: new key under `password`, same permissions, new record;
    /// the old one is revoked with reason `rotated`.
    pub fn rotate(
        &mut self,
        local_id: &str,
        new_label: Option<String>,
        password: &PasswordSource,
    ) -> Result<Rotation, Error> {
        let old = self.registry.get(local_id)?;
        refuse_external(&old)?;
        if old.status == crate::registry::Status::Revoked {
            // Fail before generating a key; the registry re-checks inside its transaction.
            return Err(RegistryError::InvalidTransition {
                local_id: old.local_id,
                action: "rotate",
                status: old.status,
                hint: "revoked is final; create a new session",
            }
            .into());
        }
        let password = password.read()?;
        let key = self.keystore.generate(&password)?;
        let replacement = Replacement {
            signer: key.address,
            keystore_file: key.file_name.clone(),
            label: new_label,
        };
        match self.registry.rotate(local_id, replacement) {
            Ok((old, new)) => Ok(Rotation { old, new }),
            Err(e) => {
                self.discard_key(&key.file_name);
                Err(e.into())
            }
        }
    }

    /// Replaces a session's key with a new key granted `new_spec`, which must grant no more
    /// than the old session in any field (typically what is left of it on-chain): the
    /// window no wider, uses, budgets and allowances no larger (a limit never becomes "no
    /// limit"), calls, account functions, tokens and paymasters a subset, the same period
    /// schedule. The old session is revoked with reason `rotated`; `rotated_from` /
    /// `rotated_to` link both. `new_spec.signer` must be zero (it is the new key).
    pub fn rotate_with(
        &mut self,
        local_id: &str,
        new_spec: SessionSpec,
        new_label: Option<String>,
        password: &PasswordSource,
    ) -> Result<Rotation, Error> {
        if !new_spec.signer.is_zero() {
            return Err(Error::SignerPreset);
        }
        new_spec.validate()?;
        let old = self.registry.get(local_id)?;
        refuse_external(&old)?;
        if old.status == crate::registry::Status::Revoked {
            return Err(RegistryError::InvalidTransition {
                local_id: old.local_id,
                action: "rotate",
                status: old.status,
                hint: "revoked is final; create a new session",
            }
            .into());
        }
        check_not_larger(&old.spec, &new_spec)?;
        let password = password.read()?;
        let key = self.keystore.generate(&password)?;
        let replacement = Replacement {
            signer: key.address,
            keystore_file: key.file_name.clone(),
            label: new_label,
        };
        match self
            .registry
            .rotate_with_spec(local_id, replacement, new_spec)
        {
            Ok((old, new)) => Ok(Rotation { old, new }),
            Err(e) => {
                self.discard_key(&key.file_name);
                Err(e.into())
            }
        }
    }

    /// Pauses a session.
    pub fn pause(&mut self, local_id: &str) -> Result<SessionRecord, Error> {
        Ok(self.registry.pause(local_id)?)
    }

    /// Resumes a paused session.
    pub fn resume(&mut self, local_id: &str) -> Result<SessionRecord, Error> {
        Ok(self.registry.resume(local_id)?)
    }

    /// Revokes a session (final).
    pub fn revoke(&mut self, local_id: &str, reason: &str) -> Result<SessionRecord, Error> {
        Ok(self.registry.revoke(local_id, reason)?)
    }

    /// Stores the owner's enable grant of an active session (replacing an earlier one), for
    /// its first op to carry. Refused unless it names the session's id, account, module and
    /// chain, with the matching EIP-712 digest.
    pub fn save_enable_grant(
        &mut self,
        local_id: &str,
        grant: &PendingEnable,
    ) -> Result<SessionRecord, Error> {
        let record = self.registry.get(local_id)?;
        check_usable(&record, self.registry.now())?;
        self.enable_grants.save(&record, grant)?;
        Ok(record)
    }

    /// The session's pending enable grant, if one is stored (checked against its record).
    pub fn pending_enable(&self, local_id: &str) -> Result<Option<PendingEnable>, Error> {
        let record = self.registry.get(local_id)?;
        Ok(self.enable_grants.load(&record)?)
    }

    /// Drops the session's pending enable grant (the session is active on-chain, or the grant
    /// can no longer be used); `true` when there was one.
    pub fn clear_enable_grant(&mut self, local_id: &str) -> Result<bool, Error> {
        let record = self.registry.get(local_id)?;
        Ok(self.enable_grants.remove(&record)?)
    }

    /// Deletes a revoked session's record, then its key file and pending enable grant.
    pub fn delete(&mut self, local_id: &str) -> Result<SessionRecord, Error> {
        let record = self.registry.delete(local_id)?;
        self.enable_grants.remove(&record)?;
        if record.is_external() {
            return Ok(record);
        }
        match self.keystore.remove(&record.keystore_file) {
            Ok(()) | Err(KeystoreError::NotFound { .. }) => Ok(record),
            Err(e) => Err(e.into()),
        }
    }

    /// Sessions matching `filter`.
    pub fn list(&self, filter: &Filter) -> Result<Vec<SessionRecord>, Error> {
        Ok(self.registry.list(filter)?)
    }

    /// One session.
    pub fn show(&self, local_id: &str) -> Result<SessionRecord, Error> {
        Ok(self.registry.get(local_id)?)
    }

    /// Decrypts and returns a session's private key, after logging `export_key`.
    pub fn export_private_key(
        &mut self,
        local_id: &str,
        password: &PasswordSource,
    ) -> Result<ExportedKey, Error> {
        let record = self.registry.get(local_id)?;
        refuse_external(&record)?;
        let password = password.read()?;
        let key = self
            .keystore
            .export_private_key(&record.keystore_file, &password)?;
        if key.address() != record.signer {
            return Err(Error::KeyMismatch {
                local_id: record.local_id,
                file: record.keystore_file,
                expected: record.signer,
                found: key.address(),
            });
        }
        self.registry.log_export(local_id)?;
        Ok(key)
    }

    /// Walks the audit chain, optionally against an anchor kept elsewhere.
    pub fn audit_verify(&self, anchor: Option<&AuditHead>) -> Result<ChainReport, Error> {
        Ok(self.registry.audit_verify(anchor)?)
    }

    /// The latest audit entry, to keep as an external anchor.
    pub fn audit_head(&self) -> Result<Option<AuditHead>, Error> {
        Ok(self.registry.audit_head()?)
    }

    /// Audit entries, all or one session's.
    pub fn audit_entries(&self, session: Option<&str>) -> Result<Vec<AuditEntry>, Error> {
        Ok(self.registry.audit_entries(session)?)
    }

    /// Writes the audit log as JSON lines.
    pub fn audit_export(&self, out: &mut dyn std::io::Write) -> Result<(), Error> {
        Ok(self.registry.audit_export(out)?)
    }

    /// Key files that no session refers to (left by a crash between writing a key and
    /// committing its record, or between deleting a record and its file).
    pub fn orphan_key_files(&self) -> Result<Vec<String>, Error> {
        let referenced: std::collections::HashSet<String> = self
            .registry
            .list(&Filter::default())?
            .into_iter()
            .map(|r| r.keystore_file)
            .collect();
        Ok(self
            .keystore
            .file_names()?
            .into_iter()
            .filter(|name| !referenced.contains(name))
            .collect())
    }

    fn discard_key(&self, file_name: &str) {
        // Best effort: the file holds only ciphertext, and a leftover is reported by
        // `orphan_key_files`. The registry error is the one worth returning.
        let _ = self.keystore.remove(file_name);
    }
}

/// Refuses `new` when it grants more than `old` in any field.
fn check_not_larger(old: &SessionSpec, new: &SessionSpec) -> Result<(), Error> {
    let larger = |field: &'static str, reason: String| Error::RotationEnlarges { field, reason };
    if new.valid_after < old.valid_after {
        return Err(larger(
            "validAfter",
            format!("starts at {} before {}", new.valid_after, old.valid_after),
        ));
    }
    if new.valid_until > old.valid_until {
        return Err(larger(
            "validUntil",
            format!("ends at {} after {}", new.valid_until, old.valid_until),
        ));
    }
    // 0 = no limit for maxUses, rateLimit and gasBudget.
    let limit_grows = |old: u128, new: u128| old != 0 && (new == 0 || new > old);
    if limit_grows(old.max_uses.into(), new.max_uses.into()) {
        return Err(larger(
            "maxUses",
            format!("{} (0 = unlimited) exceeds {}", new.max_uses, old.max_uses),
        ));
    }
    if limit_grows(old.rate_limit.into(), new.rate_limit.into()) {
        return Err(larger(
            "rateLimit",
            format!(
                "{} (0 = unlimited) exceeds {}",
                new.rate_limit, old.rate_limit
            ),
        ));
    }
    if !old.gas_budget.is_zero() && (new.gas_budget.is_zero() || new.gas_budget > old.gas_budget) {
        return Err(larger(
            "gasBudget",
            format!(
                "{} (0 = unlimited) exceeds {}",
                new.gas_budget, old.gas_budget
            ),
        ));
    }
    if new.root && !old.root {
        return Err(larger("root", "the old session is not root".to_owned()));
    }
    if (new.period, new.period_start) != (old.period, old.period_start) {
        return Err(larger(
            "period",
            "a different period schedule would re-grant per-period amounts".to_owned(),
        ));
    }
    for (field, new_amount, old_amount) in [
        (
            "nativeAllowance",
            new.native_allowance,
            old.native_allowance,
        ),
        ("feeBudget", new.fee_budget, old.fee_budget),
    ] {
        if new_amount > old_amount {
            return Err(larger(field, format!("{new_amount} exceeds {old_amount}")));
        }
    }
    for (index, grant) in new.calls.iter().enumerate() {
        if !old.calls.iter().any(|held| covers(held, grant)) {
            return Err(larger(
                "calls",
                format!("calls[{index}] is not covered by any of the old session's grants"),
            ));
        }
    }
    for selector in &new.account_selectors {
        if !old.account_selectors.contains(selector) {
            return Err(larger(
                "accountFunctions",
                format!("{selector} is not an account function of the old session"),
            ));
        }
    }
    for token in &new.tokens {
        match old.tokens.iter().find(|held| held.token == token.token) {
            None => {
                return Err(larger(
                    "tokens",
                    format!("{} has no allowance in the old session", token.token),
                ))
            }
            Some(held) if token.amount > held.amount => {
                return Err(larger(
                    "tokens",
                    format!("{}: {} exceeds {}", token.token, token.amount, held.amount),
                ))
            }
            Some(_) => {}
        }
    }
    for periodic in &new.periodic {
        let held = old
            .periodic
            .iter()
            .find(|held| held.asset == periodic.asset);
        if held.is_none_or(|held| periodic.amount > held.amount) {
            let asset = match periodic.asset {
                Asset::Native => "native".to_owned(),
                Asset::Token(token) => token.to_string(),
            };
            return Err(larger(
                "periodic",
                format!(
                    "{asset}: {} per period is more than the old session allows",
                    periodic.amount
                ),
            ));
        }
    }
    for paymaster in &new.paymasters {
        if !old.paymasters.contains(paymaster) {
            return Err(larger(
                "paymasters",
                format!("{paymaster} may not sponsor the old session"),
            ));
        }
    }
    Ok(())
}

/// Whether `held` allows every call `grant` allows.
fn covers(held: &CallGrant, grant: &CallGrant) -> bool {
    let target = match (held.target, grant.target) {
        (Target::Any, _) => true,
        (Target::Exact(a), Target::Exact(b)) => a == b,
        (Target::Exact(_), Target::Any) => false,
    };
    let selector = match (held.selector, grant.selector) {
        (Selector::Any, _) => true,
        (Selector::Exact(a), Selector::Exact(b)) => a == b,
        (Selector::Exact(_), Selector::Any) => false,
    };
    target && selector
}

fn refuse_external(record: &SessionRecord) -> Result<(), Error> {
    if record.is_external() {
        return Err(Error::ExternalSigner {
            local_id: record.local_id.clone(),
            signer: record.signer,
        });
    }
    Ok(())
}

fn wal_is_empty(registry: &Path) -> bool {
    let mut wal = registry.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(PathBuf::from(wal)).map_or(true, |m| m.len() == 0)
}
