//! Module reasons that an account hides. Safe7579 runs its validator through the Safe
//! (`execTransactionFromModuleReturnData`) and re-raises any revert as `ExecutionFailed()`, so a
//! bundler reports no reason for a session op the module refused. leash then re-runs the
//! module's `validateUserOp(op, userOpHash)` in an `eth_call` from the account (the module
//! checks `msg.sender == op.sender` and nothing else of the caller) and names the module's own
//! error, like any other rejection.

use alloy::primitives::{Address, B256};
use alloy::sol_types::SolValue;
use leash_rpc::{revert_data, CallRequest, NodeClient};
use leash_userop::UserOperation;

use crate::exit::{fail, Exit};
use crate::module_error::ModuleError;

/// ERC-7579 validator `validateUserOp(PackedUserOperation,bytes32)`.
const VALIDATE_USER_OP: [u8; 4] = [0x97, 0x00, 0x32, 0x03];

/// The module's named error for `op` (hash `user_op_hash`), simulated as `account` calls it:
/// `None` when the module does not revert with one of its errors.
pub(crate) async fn module_reason(
    node: &NodeClient,
    module: Address,
    op: &UserOperation,
    user_op_hash: B256,
) -> Option<ModuleError> {
    let mut data = VALIDATE_USER_OP.to_vec();
    data.extend_from_slice(&(op.pack(), user_op_hash).abi_encode_params());
    let mut request = CallRequest::call(module, data);
    request.from = Some(op.sender);
    let error = node.call(&request).await.err()?;
    let data = revert_data(error.json_rpc()?)?;
    ModuleError::decode(&data)
}

/// `result`, or, when it failed and the module names a reason for `op`, a rejection (exit 3)
/// with that reason: what a bundler could not show because the account hid it.
pub(crate) async fn with_module_reason<T>(
    result: anyhow::Result<T>,
    node: &NodeClient,
    module: Address,
    op: &UserOperation,
    user_op_hash: B256,
) -> anyhow::Result<T> {
    let error = match result {
        Ok(value) => return Ok(value),
        Err(error) => error,
    };
    match module_reason(node, module, op, user_op_hash).await {
        Some(reason) => Err(fail(
            Exit::Rejected,
            format!(
                "the bundler rejected the op: {reason} (the module's reason, recovered by simulating its validateUserOp from the account; the bundler said: {error})"
            ),
            Some("the error names the permission that failed; `leash session show ID --rpc-url URL` shows what is left"),
        )),
        None => Err(error),
    }
}
