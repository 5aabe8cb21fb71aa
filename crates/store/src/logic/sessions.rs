//! Served sessions, their enable grants and their nonces.

use serde_json::{json, Value};

use super::audit::log;
use super::codec::{session_state, session_state_str};
use super::Core;
use crate::sql::{int, Backend, Row, Tx};
use crate::{NewServedSession, NonceTaken, ServedSession, SessionState, StoreError};

const COLUMNS: &str = "context, session_id, account, chain_id, entry_point, module, signer, spec, \
    request, sealed_key, nonce_key, created_by, state, revoke_reason, enable_grant, next_nonce, \
    created_at, revoked_at";

fn from_row(row: &Row) -> Result<ServedSession, StoreError> {
    Ok(ServedSession {
        new: NewServedSession {
            context: row.text(0)?,
            session_id: row.text(1)?,
            account: row.text(2)?,
            chain_id: row.u64(3)?,
            entry_point: row.text(4)?,
            module: row.text(5)?,
            signer: row.text(6)?,
            spec: row.text(7)?,
            request: row.text(8)?,
            sealed_key: row.opt_blob(9)?,
            nonce_key: row.text(10)?,
            created_by: row.text(11)?,
        },
        state: session_state(row, 12)?,
        revoke_reason: row.opt_text(13)?,
        enable_grant: row.opt_text(14)?,
        next_nonce: row.u64(15)?,
        created_at: row.u64(16)?,
        revoked_at: row.opt_u64(17)?,
    })
}

/// The session `context`, if stored.
pub(crate) fn load(tx: &mut dyn Tx, context: &str) -> Result<ServedSession, StoreError> {
    match tx.query_opt(
        &format!("SELECT {COLUMNS} FROM sessions WHERE context = $1"),
        &[context.into()],
    )? {
        Some(row) => from_row(&row),
        None => Err(StoreError::NotFound {
            what: "session",
            id: context.to_owned(),
        }),
    }
}

fn refuse_revoked(s: &ServedSession, doing: &str) -> Result<(), StoreError> {
    if s.state == SessionState::Revoked {
        return Err(StoreError::Conflict(format!(
            "session {} is revoked and cannot be {doing}; grant a new session",
            s.new.context
        )));
    }
    Ok(())
}

/// `details` with `"nonceSeq": seq` added (an object gains the field; anything else is kept
/// under `"details"`).
fn with_seq(details: Value, seq: u64) -> Value {
    match details {
        Value::Object(mut m) => {
            m.insert("nonceSeq".into(), seq.into());
            Value::Object(m)
        }
        Value::Null => json!({ "nonceSeq": seq }),
        other => json!({ "details": other, "nonceSeq": seq }),
    }
}

impl<B: Backend> Core<B> {
    pub(crate) fn insert_session_impl(
        &self,
        s: NewServedSession,
        actor: &str,
    ) -> Result<ServedSession, StoreError> {
        let now = self.now();
        self.backend.write(|tx| {
            if tx.query_opt("SELECT 1 FROM sessions WHERE context = $1", &[s.context.as_str().into()])?.is_some() {
                return Err(StoreError::Conflict(format!("session {} already exists", s.context)));
            }
            tx.execute(
                "INSERT INTO sessions (context, session_id, account, chain_id, entry_point, module, \
                 signer, spec, request, sealed_key, nonce_key, created_by, state, next_nonce, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, $14)",
                &[
                    s.context.as_str().into(),
                    s.session_id.as_str().into(),
                    s.account.as_str().into(),
                    int(s.chain_id, "chain id")?,
                    s.entry_point.as_str().into(),
                    s.module.as_str().into(),
                    s.signer.as_str().into(),
                    s.spec.as_str().into(),
                    s.request.as_str().into(),
                    s.sealed_key.clone().into(),
                    s.nonce_key.as_str().into(),
                    s.created_by.as_str().into(),
                    session_state_str(SessionState::Active).into(),
                    int(now, "time")?,
                ],
            )?;
            log(
                tx,
                now,
                actor,
                "session.grant",
                &s.context,
                json!({
                    "sessionId": s.session_id,
                    "account": s.account,
                    "chainId": s.chain_id,
                    "signer": s.signer,
                    "serverHeldKey": s.sealed_key.is_some(),
                }),
            )?;
            load(tx, &s.context)
        })
    }

    pub(crate) fn session_impl(&self, context: &str) -> Result<ServedSession, StoreError> {
        self.backend.read(|tx| load(tx, context))
    }

    pub(crate) fn sessions_of_impl(
        &self,
        account: &str,
        chain_id: u64,
    ) -> Result<Vec<ServedSession>, StoreError> {
        self.backend.read(|tx| {
            tx.query(
                &format!("SELECT {COLUMNS} FROM sessions WHERE account = $1 AND chain_id = $2 ORDER BY ord"),
                &[account.into(), int(chain_id, "chain id")?],
            )?
            .iter()
            .map(from_row)
            .collect()
        })
    }

    pub(crate) fn set_enable_grant_impl(
        &self,
        context: &str,
        grant: &str,
        actor: &str,
    ) -> Result<ServedSession, StoreError> {
        let now = self.now();
        self.backend.write(|tx| {
            let s = load(tx, context)?;
            refuse_revoked(&s, "given an enable grant")?;
            tx.execute(
                "UPDATE sessions SET enable_grant = $1 WHERE context = $2",
                &[grant.into(), context.into()],
            )?;
            log(
                tx,
                now,
                actor,
                "session.enable-grant",
                context,
                json!({ "replaced": s.enable_grant.is_some() }),
            )?;
            load(tx, context)
        })
    }

    pub(crate) fn clear_enable_grant_impl(
        &self,
        context: &str,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let now = self.now();
        self.backend.write(|tx| {
            let s = load(tx, context)?;
            if s.enable_grant.is_none() {
                return Ok(false);
            }
            tx.execute(
                "UPDATE sessions SET enable_grant = NULL WHERE context = $1",
                &[context.into()],
            )?;
            log(tx, now, actor, "session.enabled", context, json!({}))?;
            Ok(true)
        })
    }

    pub(crate) fn revoke_session_impl(
        &self,
        context: &str,
        reason: &str,
        actor: &str,
    ) -> Result<ServedSession, StoreError> {
        let now = self.now();
        self.backend.write(|tx| {
            let s = load(tx, context)?;
            refuse_revoked(&s, "revoked again")?;
            tx.execute(
                "UPDATE sessions SET state = $1, revoke_reason = $2, revoked_at = $3 WHERE context = $4",
                &[session_state_str(SessionState::Revoked).into(), reason.into(), int(now, "time")?, context.into()],
            )?;
            log(tx, now, actor, "session.revoke", context, json!({ "reason": reason }))?;
            load(tx, context)
        })
    }

    pub(crate) fn take_nonce_impl(
        &self,
        context: &str,
        floor: Option<u64>,
        details: Value,
        actor: &str,
    ) -> Result<NonceTaken, StoreError> {
        let now = self.now();
        let (context, actor) = (context.to_owned(), actor.to_owned());
        self.group.write(&self.backend, move |tx| {
            let context = context.as_str();
            let actor = actor.as_str();
            let s = load(tx, context)?;
            refuse_revoked(&s, "used to sign")?;
            let seq = s.next_nonce.max(floor.unwrap_or(0));
            let next = seq.checked_add(1).ok_or_else(|| {
                StoreError::Conflict(format!("session {context} has no nonce sequence left"))
            })?;
            tx.execute(
                "UPDATE sessions SET next_nonce = $1 WHERE context = $2",
                &[int(next, "nonce sequence")?, context.into()],
            )?;
            let entry = log(tx, now, actor, "op.sign", context, with_seq(details, seq))?;
            Ok(NonceTaken {
                seq,
                audit_seq: entry.seq,
            })
        })
    }

    pub(crate) fn release_nonce_impl(
        &self,
        context: &str,
        seq: u64,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let now = self.now();
        self.backend.write(|tx| {
            let s = load(tx, context)?;
            if seq.checked_add(1) != Some(s.next_nonce) {
                return Ok(false);
            }
            tx.execute(
                "UPDATE sessions SET next_nonce = $1 WHERE context = $2",
                &[int(seq, "nonce sequence")?, context.into()],
            )?;
            log(
                tx,
                now,
                actor,
                "op.release",
                context,
                json!({ "nonceSeq": seq }),
            )?;
            Ok(true)
        })
    }
}
