//! EIP-5792 call batches.

use serde_json::json;

use super::audit::log;
use super::codec::{call_status, call_status_str};
use super::{sessions, Core};
use crate::sql::{int, Backend, Row, Tx};
use crate::{CallRecord, CallStatus, NewCall, StoreError};

const COLUMNS: &str =
    "id, context, chain_id, nonce_seq, user_op, status, receipt, created_at, updated_at";

fn from_row(row: &Row) -> Result<CallRecord, StoreError> {
    Ok(CallRecord {
        new: NewCall {
            id: row.text(0)?,
            context: row.text(1)?,
            chain_id: row.u64(2)?,
            nonce_seq: row.u64(3)?,
            user_op: row.text(4)?,
        },
        status: call_status(row, 5)?,
        receipt: row.opt_text(6)?,
        created_at: row.u64(7)?,
        updated_at: row.u64(8)?,
    })
}

fn load(tx: &mut dyn Tx, id: &str) -> Result<CallRecord, StoreError> {
    match tx.query_opt(
        &format!("SELECT {COLUMNS} FROM calls WHERE id = $1"),
        &[id.into()],
    )? {
        Some(row) => from_row(&row),
        None => Err(StoreError::NotFound {
            what: "call",
            id: id.to_owned(),
        }),
    }
}

impl<B: Backend> Core<B> {
    pub(crate) fn insert_call_impl(
        &self,
        call: NewCall,
        actor: &str,
    ) -> Result<CallRecord, StoreError> {
        let now = self.now();
        self.backend.write(|tx| {
            sessions::load(tx, &call.context)?;
            if tx.query_opt("SELECT 1 FROM calls WHERE id = $1", &[call.id.as_str().into()])?.is_some() {
                return Err(StoreError::Conflict(format!("call {} is already recorded", call.id)));
            }
            tx.execute(
                "INSERT INTO calls (id, context, chain_id, nonce_seq, user_op, status, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
                &[
                    call.id.as_str().into(),
                    call.context.as_str().into(),
                    int(call.chain_id, "chain id")?,
                    int(call.nonce_seq, "nonce sequence")?,
                    call.user_op.as_str().into(),
                    call_status_str(CallStatus::Pending).into(),
                    int(now, "time")?,
                ],
            )?;
            log(
                tx,
                now,
                actor,
                "op.send",
                &call.id,
                json!({ "context": call.context, "chainId": call.chain_id, "nonceSeq": call.nonce_seq }),
            )?;
            load(tx, &call.id)
        })
    }

    pub(crate) fn call_impl(&self, id: &str) -> Result<CallRecord, StoreError> {
        self.backend.read(|tx| load(tx, id))
    }

    pub(crate) fn set_call_outcome_impl(
        &self,
        id: &str,
        status: CallStatus,
        receipt: Option<&str>,
    ) -> Result<CallRecord, StoreError> {
        let now = self.now();
        self.backend.write(|tx| {
            let n = tx.execute(
                "UPDATE calls SET status = $1, receipt = $2, updated_at = $3 WHERE id = $4",
                &[
                    call_status_str(status).into(),
                    receipt.into(),
                    int(now, "time")?,
                    id.into(),
                ],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound {
                    what: "call",
                    id: id.to_owned(),
                });
            }
            load(tx, id)
        })
    }
}
