//! The on-chain side of a session's lifecycle: owner ops that make the account call the
//! module (`grantSession`, `revokeSession`), sent through a bundler.

use alloy::primitives::{Bytes, B256, U256};
use alloy::sol_types::SolCall;
use leash_contracts::bindings::session::ISessionKeyValidator;
use leash_keys::SessionRecord;
use leash_rpc::UserOperationReceipt;
use leash_userop::erc7579::Execution;
use leash_userop::EntryPointVersion;

use crate::bundle::Endpoints;
use crate::exit::usage;
use crate::onchain::{self, status_name};
use crate::output::Ui;
use crate::owner::{send_owner_op, OwnerContext};

/// What an owner op that manages sessions did.
pub(crate) struct ModuleOp {
    /// Its receipt.
    pub(crate) receipt: UserOperationReceipt,
    /// The on-chain status of each session id asked about afterwards.
    pub(crate) statuses: Vec<(B256, &'static str)>,
}

/// `grantSession(record's session)` call data.
pub(crate) fn create_call(record: &SessionRecord) -> anyhow::Result<Bytes> {
    onchain::create_session_call(&record.spec)
}

/// `revokeSession(record's id)` call data.
pub(crate) fn revoke_call(record: &SessionRecord) -> Bytes {
    ISessionKeyValidator::revokeSessionCall {
        sessionId: record.session_id,
    }
    .abi_encode()
    .into()
}

/// Sends one owner op of `record`'s account calling its module with each of `module_calls`
/// (a batch for more than one), then reads the module's status of `ids`.
pub(crate) async fn owner_calls_module(
    owner: &OwnerContext,
    record: &SessionRecord,
    module_calls: &[Bytes],
    ids: &[B256],
    ui: Ui,
) -> anyhow::Result<ModuleOp> {
    let version =
        EntryPointVersion::from_canonical_address(record.entry_point).ok_or_else(|| {
            usage(
                format!(
                    "session {}: EntryPoint {} is neither canonical v0.7 nor v0.8",
                    record.local_id, record.entry_point
                ),
                "leash sends ops to the canonical EntryPoints only",
            )
        })?;
    let endpoints =
        Endpoints::connect(&owner.rpc_url, &owner.bundler_url, record.entry_point).await?;
    if endpoints.chain_id != record.chain_id {
        return Err(usage(
            format!(
                "{} is chain {}, session {} is for chain {}",
                owner.rpc_url, endpoints.chain_id, record.local_id, record.chain_id
            ),
            "use a node and bundler of the session's chain",
        ));
    }
    let calls: Vec<Execution> = module_calls
        .iter()
        .map(|data| Execution::new(record.module, U256::ZERO, data.clone()))
        .collect();
    ui.progress(&format!(
        "owner op of {} through {}…",
        record.account, owner.bundler_url
    ));
    let kind =
        crate::account_kind::resolve(owner.account_kind, &endpoints.node, record.account, ui)
            .await?;
    let receipt = send_owner_op(
        &endpoints,
        version,
        record.account,
        kind,
        &owner.owner,
        onchain::execute_call_data(&calls)?,
        owner.factory.as_ref(),
        owner.timeout,
    )
    .await?;
    let mut statuses = Vec::with_capacity(ids.len());
    for id in ids {
        let status =
            super::enable::session_status(&endpoints.node, record.module, record.account, *id)
                .await?;
        statuses.push((*id, status_name(status)));
    }
    Ok(ModuleOp { receipt, statuses })
}

/// Text lines describing `op`.
pub(crate) fn op_lines(op: &ModuleOp) -> Vec<String> {
    let mut lines = vec![format!(
        "  owner op {} in transaction {}",
        op.receipt.user_op_hash, op.receipt.receipt.transaction_hash
    )];
    lines.extend(
        op.statuses
            .iter()
            .map(|(id, status)| format!("  on-chain status of {id}: {status}")),
    );
    lines
}

/// `op` as JSON.
pub(crate) fn op_json(op: &ModuleOp) -> serde_json::Value {
    serde_json::json!({
        "userOpHash": op.receipt.user_op_hash,
        "transactionHash": op.receipt.receipt.transaction_hash,
        "statuses": op.statuses.iter().map(|(id, status)| serde_json::json!({"sessionId": id, "status": status})).collect::<Vec<_>>(),
    })
}
