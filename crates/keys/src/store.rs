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

use std::path::{Path, PathBuf};

use alloy::primitives::{Address, Bytes, B256};
use serde_json::json;

use crate::audit::{AuditEntry, AuditError, AuditHead, ChainReport};
use crate::envelope::{self, EnvelopeError};
use crate::fsutil;
use crate::keystore::{ExportedKey, Keystore, KeystoreError};
use crate::password::{PasswordError, PasswordSource};
use crate::permissions::{PermissionError, SessionSpec};
use crate::registry::{
    check_usable, Clock, Filter, NewSession, Registry, RegistryError, Replacement, SessionRecord,
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
    /// The full v1 envelope (no enable grant).
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
}

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
        let registry = Registry::open(&dir.join(REGISTRY_FILE), default_actor())?;
        Ok(Self {
            dir,
            keystore,
            registry,
        })
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
        let record = self.registry.get(local_id)?;
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
        let envelope = envelope::encode_v1(&session, period_index, &signature, None)?;
        let entry = self.registry.log_signature(
            local_id,
            json!({
                "user_op_hash": user_op_hash,
                "session_id": record.session_id,
                "period_index": period_index,
                "op_digest": digest,
            }),
        )?;
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

    /// Deletes a revoked session's record, then its key file.
    pub fn delete(&mut self, local_id: &str) -> Result<SessionRecord, Error> {
        let record = self.registry.delete(local_id)?;
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
