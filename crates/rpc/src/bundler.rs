//! Client of an ERC-4337 bundler (`eth_*UserOperation*` methods, EntryPoint v0.7/v0.8 shape).

use crate::poll::poll_until;
use crate::{JsonRpcTransport, Log, RpcError, TransactionReceipt};
use alloy::primitives::{Address, Bytes, B256, U256, U64};
use leash_userop::RpcUserOperation;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

/// How often [`BundlerClient::wait_for_receipt`] asks for the receipt.
const RECEIPT_POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Gas limits a bundler estimated for a user operation (`eth_estimateUserOperationGas`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserOperationGasEstimate {
    /// Pre-verification gas (the bundler's overhead and calldata cost).
    pub pre_verification_gas: U256,
    /// Validation gas limit (account, and factory when there is one).
    pub verification_gas_limit: U256,
    /// Execution gas limit.
    pub call_gas_limit: U256,
    /// Paymaster validation gas limit (with a paymaster only).
    #[serde(default)]
    pub paymaster_verification_gas_limit: Option<U256>,
    /// Paymaster `postOp` gas limit (with a paymaster only).
    #[serde(default)]
    pub paymaster_post_op_gas_limit: Option<U256>,
}

/// The outcome of an included user operation (`eth_getUserOperationReceipt`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserOperationReceipt {
    /// The userOpHash.
    pub user_op_hash: B256,
    /// The EntryPoint that ran it.
    pub entry_point: Address,
    /// The account.
    pub sender: Address,
    /// The op's nonce.
    pub nonce: U256,
    /// The paymaster (zero address or absent without one).
    #[serde(default)]
    pub paymaster: Option<Address>,
    /// Wei the account (or paymaster) paid.
    pub actual_gas_cost: U256,
    /// Gas the EntryPoint charged for.
    pub actual_gas_used: U256,
    /// Whether the op's execution succeeded (validation always did, or it would not be here).
    pub success: bool,
    /// Revert data of a failed execution, when the bundler reports it.
    #[serde(default)]
    pub reason: Option<Bytes>,
    /// The logs the op emitted.
    pub logs: Vec<Log>,
    /// The receipt of the bundle transaction.
    pub receipt: TransactionReceipt,
}

/// Where a known user operation is (`eth_getUserOperationByHash`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserOperationLookup {
    /// The op as the bundler stores it (JSON: bundlers add fields of their own).
    pub user_operation: serde_json::Value,
    /// The EntryPoint it was sent to.
    pub entry_point: Address,
    /// The block that included it (`None` while pending).
    #[serde(default)]
    pub block_number: Option<U64>,
    /// That block's hash.
    #[serde(default)]
    pub block_hash: Option<B256>,
    /// The bundle transaction.
    #[serde(default)]
    pub transaction_hash: Option<B256>,
}

/// One fee level of `pimlico_getUserOperationGasPrice`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeeLevel {
    /// Maximum fee per gas.
    pub max_fee_per_gas: U256,
    /// Maximum priority fee per gas.
    pub max_priority_fee_per_gas: U256,
}

/// The fees a Pimlico bundler (alto) accepts now (`pimlico_getUserOperationGasPrice`). An
/// op whose fees are below `slow` is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct BundlerGasPrice {
    /// The lowest accepted fees.
    pub slow: FeeLevel,
    /// The recommended fees.
    pub standard: FeeLevel,
    /// Fees for quick inclusion.
    pub fast: FeeLevel,
}

/// An ERC-4337 bundler's JSON-RPC API.
#[derive(Debug)]
pub struct BundlerClient {
    transport: JsonRpcTransport,
}

impl BundlerClient {
    /// A client of the bundler at `url`.
    ///
    /// # Errors
    ///
    /// [`RpcError::InvalidUrl`] for a URL that is not http(s).
    pub fn new(url: &str) -> Result<Self, RpcError> {
        Ok(Self {
            transport: JsonRpcTransport::new(url)?,
        })
    }

    /// A client over an existing transport (e.g. one with a custom timeout).
    pub fn with_transport(transport: JsonRpcTransport) -> Self {
        Self { transport }
    }

    /// The bundler's URL.
    pub fn url(&self) -> &str {
        self.transport.url()
    }

    /// `eth_chainId` as the bundler reports it.
    pub async fn chain_id(&self) -> Result<u64, RpcError> {
        let id: U64 = self.transport.request("eth_chainId", json!([])).await?;
        Ok(id.to())
    }

    /// `eth_supportedEntryPoints`.
    pub async fn supported_entry_points(&self) -> Result<Vec<Address>, RpcError> {
        self.transport
            .request("eth_supportedEntryPoints", json!([]))
            .await
    }

    /// `eth_sendUserOperation`: returns the userOpHash the bundler computed.
    ///
    /// # Errors
    ///
    /// [`RpcError::JsonRpc`] when the bundler refuses the op; for a revert during validation
    /// its `data` or message carries the revert bytes (see [`crate::revert_data`]).
    pub async fn send_user_operation(
        &self,
        op: &RpcUserOperation,
        entry_point: Address,
    ) -> Result<B256, RpcError> {
        self.transport
            .request("eth_sendUserOperation", json!([op, entry_point]))
            .await
    }

    /// `eth_estimateUserOperationGas`. The op's signature must have the final length and
    /// pass the account's checks up to the signature itself (a dummy signature that fails
    /// only the ECDSA check is fine on EntryPoint v0.7/v0.8).
    pub async fn estimate_user_operation_gas(
        &self,
        op: &RpcUserOperation,
        entry_point: Address,
    ) -> Result<UserOperationGasEstimate, RpcError> {
        self.transport
            .request("eth_estimateUserOperationGas", json!([op, entry_point]))
            .await
    }

    /// `eth_getUserOperationReceipt`: `None` while the op is not included.
    pub async fn get_user_operation_receipt(
        &self,
        hash: B256,
    ) -> Result<Option<UserOperationReceipt>, RpcError> {
        self.transport
            .request("eth_getUserOperationReceipt", json!([hash]))
            .await
    }

    /// `eth_getUserOperationByHash`: `None` for an unknown op.
    pub async fn get_user_operation_by_hash(
        &self,
        hash: B256,
    ) -> Result<Option<UserOperationLookup>, RpcError> {
        self.transport
            .request("eth_getUserOperationByHash", json!([hash]))
            .await
    }

    /// `pimlico_getUserOperationGasPrice` (alto and other Pimlico-compatible bundlers).
    pub async fn pimlico_gas_price(&self) -> Result<BundlerGasPrice, RpcError> {
        self.transport
            .request("pimlico_getUserOperationGasPrice", json!([]))
            .await
    }

    /// Polls the receipt of the op `hash` until it is included or `timeout` passes.
    ///
    /// # Errors
    ///
    /// [`RpcError::Timeout`] when no receipt came in time. An included op whose execution
    /// reverted has a receipt with `success == false`.
    pub async fn wait_for_receipt(
        &self,
        hash: B256,
        timeout: Duration,
    ) -> Result<UserOperationReceipt, RpcError> {
        poll_until(
            || format!("the receipt of user operation {hash}"),
            timeout,
            RECEIPT_POLL_INTERVAL,
            || self.get_user_operation_receipt(hash),
        )
        .await
    }
}
