//! The store's rules, written once over [`Backend`] and shared by both engines.

mod api_keys;
mod audit;
mod calls;
mod codec;
mod group;
mod sessions;

pub(crate) use group::GroupCommit;

use crate::sql::Backend;
use crate::{
    ApiKey, AuditEntry, AuditReport, CallRecord, CallStatus, Clock, Engine, NewApiKey,
    NewAuditEntry, NewCall, NewServedSession, NonceTaken, SecretDigest, ServedSession, Store,
    StoreError,
};

/// An engine's backend plus the clock: implements [`Store`].
pub(crate) struct Core<B> {
    pub(crate) engine: Engine,
    pub(crate) backend: B,
    pub(crate) clock: Clock,
    /// Batches concurrent signature writes into one commit.
    pub(crate) group: GroupCommit,
}

impl<B: Backend> Core<B> {
    fn now(&self) -> u64 {
        (self.clock)()
    }
}

impl<B: Backend> Store for Core<B> {
    fn engine(&self) -> Engine {
        self.engine
    }

    fn health(&self) -> Result<(), StoreError> {
        self.backend.read(crate::migrations::check)
    }

    fn create_api_key(&self, key: NewApiKey, actor: &str) -> Result<ApiKey, StoreError> {
        self.create_api_key_impl(key, actor)
    }

    fn api_key(&self, id: &str) -> Result<ApiKey, StoreError> {
        self.api_key_impl(id)
    }

    fn list_api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        self.list_api_keys_impl()
    }

    fn set_api_key_enabled(
        &self,
        id: &str,
        enabled: bool,
        actor: &str,
    ) -> Result<ApiKey, StoreError> {
        self.set_api_key_enabled_impl(id, enabled, actor)
    }

    fn revoke_api_key(&self, id: &str, reason: &str, actor: &str) -> Result<ApiKey, StoreError> {
        self.revoke_api_key_impl(id, reason, actor)
    }

    fn rotate_api_key(
        &self,
        id: &str,
        secret: SecretDigest,
        actor: &str,
    ) -> Result<ApiKey, StoreError> {
        self.rotate_api_key_impl(id, secret, actor)
    }

    fn delete_api_key(&self, id: &str, actor: &str) -> Result<ApiKey, StoreError> {
        self.delete_api_key_impl(id, actor)
    }

    fn insert_session(
        &self,
        session: NewServedSession,
        actor: &str,
    ) -> Result<ServedSession, StoreError> {
        self.insert_session_impl(session, actor)
    }

    fn session(&self, context: &str) -> Result<ServedSession, StoreError> {
        self.session_impl(context)
    }

    fn sessions_of(&self, account: &str, chain_id: u64) -> Result<Vec<ServedSession>, StoreError> {
        self.sessions_of_impl(account, chain_id)
    }

    fn set_enable_grant(
        &self,
        context: &str,
        grant: &str,
        actor: &str,
    ) -> Result<ServedSession, StoreError> {
        self.set_enable_grant_impl(context, grant, actor)
    }

    fn clear_enable_grant(&self, context: &str, actor: &str) -> Result<bool, StoreError> {
        self.clear_enable_grant_impl(context, actor)
    }

    fn revoke_session(
        &self,
        context: &str,
        reason: &str,
        actor: &str,
    ) -> Result<ServedSession, StoreError> {
        self.revoke_session_impl(context, reason, actor)
    }

    fn take_nonce(
        &self,
        context: &str,
        floor: Option<u64>,
        details: serde_json::Value,
        actor: &str,
    ) -> Result<NonceTaken, StoreError> {
        self.take_nonce_impl(context, floor, details, actor)
    }

    fn release_nonce(&self, context: &str, seq: u64, actor: &str) -> Result<bool, StoreError> {
        self.release_nonce_impl(context, seq, actor)
    }

    fn insert_call(&self, call: NewCall, actor: &str) -> Result<CallRecord, StoreError> {
        self.insert_call_impl(call, actor)
    }

    fn call(&self, id: &str) -> Result<CallRecord, StoreError> {
        self.call_impl(id)
    }

    fn set_call_outcome(
        &self,
        id: &str,
        status: CallStatus,
        receipt: Option<&str>,
    ) -> Result<CallRecord, StoreError> {
        self.set_call_outcome_impl(id, status, receipt)
    }

    fn append_audit(&self, entry: NewAuditEntry) -> Result<AuditEntry, StoreError> {
        let now = self.now();
        self.backend.write(|tx| audit::append(tx, now, entry))
    }

    fn audit_entries(&self, after_seq: u64, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        self.backend.read(|tx| audit::entries(tx, after_seq, limit))
    }

    fn verify_audit(&self) -> Result<AuditReport, StoreError> {
        self.backend.read(audit::verify)
    }
}

/// Implements [`Store`] for a public engine type by forwarding to its `core` field.
macro_rules! forward_store {
    ($ty:ty) => {
        impl $crate::Store for $ty {
            fn engine(&self) -> $crate::Engine {
                self.core.engine()
            }
            fn health(&self) -> Result<(), $crate::StoreError> {
                self.core.health()
            }
            fn create_api_key(
                &self,
                key: $crate::NewApiKey,
                actor: &str,
            ) -> Result<$crate::ApiKey, $crate::StoreError> {
                self.core.create_api_key(key, actor)
            }
            fn api_key(&self, id: &str) -> Result<$crate::ApiKey, $crate::StoreError> {
                self.core.api_key(id)
            }
            fn list_api_keys(&self) -> Result<Vec<$crate::ApiKey>, $crate::StoreError> {
                self.core.list_api_keys()
            }
            fn set_api_key_enabled(
                &self,
                id: &str,
                enabled: bool,
                actor: &str,
            ) -> Result<$crate::ApiKey, $crate::StoreError> {
                self.core.set_api_key_enabled(id, enabled, actor)
            }
            fn revoke_api_key(
                &self,
                id: &str,
                reason: &str,
                actor: &str,
            ) -> Result<$crate::ApiKey, $crate::StoreError> {
                self.core.revoke_api_key(id, reason, actor)
            }
            fn rotate_api_key(
                &self,
                id: &str,
                secret: $crate::SecretDigest,
                actor: &str,
            ) -> Result<$crate::ApiKey, $crate::StoreError> {
                self.core.rotate_api_key(id, secret, actor)
            }
            fn delete_api_key(
                &self,
                id: &str,
                actor: &str,
            ) -> Result<$crate::ApiKey, $crate::StoreError> {
                self.core.delete_api_key(id, actor)
            }
            fn insert_session(
                &self,
                session: $crate::NewServedSession,
                actor: &str,
            ) -> Result<$crate::ServedSession, $crate::StoreError> {
                self.core.insert_session(session, actor)
            }
            fn session(&self, context: &str) -> Result<$crate::ServedSession, $crate::StoreError> {
                self.core.session(context)
            }
            fn sessions_of(
                &self,
                account: &str,
                chain_id: u64,
            ) -> Result<Vec<$crate::ServedSession>, $crate::StoreError> {
                self.core.sessions_of(account, chain_id)
            }
            fn set_enable_grant(
                &self,
                context: &str,
                grant: &str,
                actor: &str,
            ) -> Result<$crate::ServedSession, $crate::StoreError> {
                self.core.set_enable_grant(context, grant, actor)
            }
            fn clear_enable_grant(
                &self,
                context: &str,
                actor: &str,
            ) -> Result<bool, $crate::StoreError> {
                self.core.clear_enable_grant(context, actor)
            }
            fn revoke_session(
                &self,
                context: &str,
                reason: &str,
                actor: &str,
            ) -> Result<$crate::ServedSession, $crate::StoreError> {
                self.core.revoke_session(context, reason, actor)
            }
            fn take_nonce(
                &self,
                context: &str,
                floor: Option<u64>,
                details: serde_json::Value,
                actor: &str,
            ) -> Result<$crate::NonceTaken, $crate::StoreError> {
                self.core.take_nonce(context, floor, details, actor)
            }
            fn release_nonce(
                &self,
                context: &str,
                seq: u64,
                actor: &str,
            ) -> Result<bool, $crate::StoreError> {
                self.core.release_nonce(context, seq, actor)
            }
            fn insert_call(
                &self,
                call: $crate::NewCall,
                actor: &str,
            ) -> Result<$crate::CallRecord, $crate::StoreError> {
                self.core.insert_call(call, actor)
            }
            fn call(&self, id: &str) -> Result<$crate::CallRecord, $crate::StoreError> {
                self.core.call(id)
            }
            fn set_call_outcome(
                &self,
                id: &str,
                status: $crate::CallStatus,
                receipt: Option<&str>,
            ) -> Result<$crate::CallRecord, $crate::StoreError> {
                self.core.set_call_outcome(id, status, receipt)
            }
            fn append_audit(
                &self,
                entry: $crate::NewAuditEntry,
            ) -> Result<$crate::AuditEntry, $crate::StoreError> {
                self.core.append_audit(entry)
            }
            fn audit_entries(
                &self,
                after_seq: u64,
                limit: u32,
            ) -> Result<Vec<$crate::AuditEntry>, $crate::StoreError> {
                self.core.audit_entries(after_seq, limit)
            }
            fn verify_audit(&self) -> Result<$crate::AuditReport, $crate::StoreError> {
                self.core.verify_audit()
            }
        }
    };
}
pub(crate) use forward_store;
