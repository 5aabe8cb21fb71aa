//! Client of an Ethereum node: standard `eth_*` methods plus anvil's test methods.

use crate::poll::poll_until;
use crate::{BlockHeader, CallRequest, JsonRpcTransport, RpcError, TransactionReceipt};
use alloy::primitives::{Address, Bytes, B256, U256, U64};
use serde_json::json;
use std::time::Duration;

/// How often [`NodeClient::wait_for_transaction`] asks for the receipt.
const RECEIPT_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// An Ethereum node's JSON-RPC API (any node; the `anvil_*`/`evm_*` methods need anvil).
///
/// State reads are at the `latest` block.
#[derive(Debug)]
pub struct NodeClient {
    transport: JsonRpcTransport,
}

impl NodeClient {
    /// A client of the node at `url`.
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

    /// The node's URL.
    pub fn url(&self) -> &str {
        self.transport.url()
    }

    /// `eth_chainId`.
    pub async fn chain_id(&self) -> Result<u64, RpcError> {
        let id: U64 = self.transport.request("eth_chainId", json!([])).await?;
        Ok(id.to())
    }

    /// `eth_blockNumber`.
    pub async fn block_number(&self) -> Result<u64, RpcError> {
        let number: U64 = self.transport.request("eth_blockNumber", json!([])).await?;
        Ok(number.to())
    }

    /// The latest block's header (`eth_getBlockByNumber("latest", false)`).
    pub async fn latest_block(&self) -> Result<BlockHeader, RpcError> {
        let block: Option<BlockHeader> = self
            .transport
            .request("eth_getBlockByNumber", json!(["latest", false]))
            .await?;
        block.ok_or_else(|| RpcError::InvalidResponse {
            method: "eth_getBlockByNumber".to_owned(),
            reason: "the node has no latest block".to_owned(),
        })
    }

    /// `eth_getCode` (empty for an account without code).
    pub async fn get_code(&self, address: Address) -> Result<Bytes, RpcError> {
        self.transport
            .request("eth_getCode", json!([address, "latest"]))
            .await
    }

    /// `eth_getBalance` in wei.
    pub async fn get_balance(&self, address: Address) -> Result<U256, RpcError> {
        self.transport
            .request("eth_getBalance", json!([address, "latest"]))
            .await
    }

    /// `eth_getTransactionCount` (the account's next transaction nonce).
    pub async fn get_transaction_count(&self, address: Address) -> Result<u64, RpcError> {
        let count: U64 = self
            .transport
            .request("eth_getTransactionCount", json!([address, "latest"]))
            .await?;
        Ok(count.to())
    }

    /// `eth_getStorageAt`.
    pub async fn get_storage_at(&self, address: Address, slot: B256) -> Result<B256, RpcError> {
        self.transport
            .request("eth_getStorageAt", json!([address, slot, "latest"]))
            .await
    }

    /// `eth_call`. A revert is an [`RpcError::JsonRpc`] whose `data` holds the revert bytes
    /// (see [`crate::revert_data`]).
    pub async fn call(&self, request: &CallRequest) -> Result<Bytes, RpcError> {
        self.transport
            .request("eth_call", json!([request, "latest"]))
            .await
    }

    /// `eth_estimateGas`.
    pub async fn estimate_gas(&self, request: &CallRequest) -> Result<u64, RpcError> {
        let gas: U64 = self
            .transport
            .request("eth_estimateGas", json!([request]))
            .await?;
        Ok(gas.to())
    }

    /// `eth_gasPrice` in wei.
    pub async fn gas_price(&self) -> Result<u128, RpcError> {
        let price: U256 = self.transport.request("eth_gasPrice", json!([])).await?;
        to_u128("eth_gasPrice", price)
    }

    /// `eth_maxPriorityFeePerGas` in wei.
    pub async fn max_priority_fee_per_gas(&self) -> Result<u128, RpcError> {
        let fee: U256 = self
            .transport
            .request("eth_maxPriorityFeePerGas", json!([]))
            .await?;
        to_u128("eth_maxPriorityFeePerGas", fee)
    }

    /// `eth_sendTransaction`: the node signs with `request.from`, which must be one of its
    /// unlocked accounts (anvil's dev accounts, or any account after
    /// [`NodeClient::impersonate_account`]). Returns the transaction hash.
    pub async fn send_transaction(&self, request: &CallRequest) -> Result<B256, RpcError> {
        if request.from.is_none() {
            return Err(RpcError::InvalidRequest {
                method: "eth_sendTransaction".to_owned(),
                reason: "the request has no `from` account; the node cannot sign it".to_owned(),
            });
        }
        self.transport
            .request("eth_sendTransaction", json!([request]))
            .await
    }

    /// `eth_sendRawTransaction` with a signed, EIP-2718-encoded transaction.
    pub async fn send_raw_transaction(&self, raw: &Bytes) -> Result<B256, RpcError> {
        self.transport
            .request("eth_sendRawTransaction", json!([raw]))
            .await
    }

    /// `eth_getTransactionReceipt`: `None` while the transaction is not mined.
    pub async fn get_transaction_receipt(
        &self,
        hash: B256,
    ) -> Result<Option<TransactionReceipt>, RpcError> {
        self.transport
            .request("eth_getTransactionReceipt", json!([hash]))
            .await
    }

    /// Polls the receipt of `hash` until it is mined or `timeout` passes.
    ///
    /// # Errors
    ///
    /// [`RpcError::Timeout`] when no receipt came in time (a reverted transaction has a
    /// receipt: check [`TransactionReceipt::succeeded`]).
    pub async fn wait_for_transaction(
        &self,
        hash: B256,
        timeout: Duration,
    ) -> Result<TransactionReceipt, RpcError> {
        poll_until(
            || format!("the receipt of transaction {hash}"),
            timeout,
            RECEIPT_POLL_INTERVAL,
            || self.get_transaction_receipt(hash),
        )
        .await
    }

    /// Sends from an unlocked account and waits for the receipt; a reverted transaction is
    /// [`RpcError::TransactionReverted`].
    pub async fn send_and_confirm(
        &self,
        request: &CallRequest,
        timeout: Duration,
    ) -> Result<TransactionReceipt, RpcError> {
        let hash = self.send_transaction(request).await?;
        let receipt = self.wait_for_transaction(hash, timeout).await?;
        if !receipt.succeeded() {
            return Err(RpcError::TransactionReverted {
                hash,
                gas_used: receipt.gas_used.to(),
            });
        }
        Ok(receipt)
    }

    /// `debug_traceCall` with the given tracer options (e.g. `{"tracer": "callTracer"}`);
    /// the trace is returned as JSON because its shape depends on the tracer.
    pub async fn debug_trace_call(
        &self,
        request: &CallRequest,
        options: serde_json::Value,
    ) -> Result<serde_json::Value, RpcError> {
        self.transport
            .request("debug_traceCall", json!([request, "latest", options]))
            .await
    }

    // ----- anvil test methods -----

    /// `anvil_setCode`: replaces the runtime code at `address` (no constructor runs, so
    /// immutables stay as they are in `code`).
    pub async fn anvil_set_code(&self, address: Address, code: &Bytes) -> Result<(), RpcError> {
        self.transport
            .request::<_, serde_json::Value>("anvil_setCode", json!([address, code]))
            .await?;
        Ok(())
    }

    /// `anvil_setBalance`.
    pub async fn anvil_set_balance(&self, address: Address, balance: U256) -> Result<(), RpcError> {
        self.transport
            .request::<_, serde_json::Value>("anvil_setBalance", json!([address, balance]))
            .await?;
        Ok(())
    }

    /// `anvil_impersonateAccount`: `eth_sendTransaction` then accepts `address` as sender.
    pub async fn impersonate_account(&self, address: Address) -> Result<(), RpcError> {
        self.transport
            .request::<_, serde_json::Value>("anvil_impersonateAccount", json!([address]))
            .await?;
        Ok(())
    }

    /// `evm_increaseTime`: moves the next block's timestamp forward by `seconds`.
    pub async fn increase_time(&self, seconds: u64) -> Result<(), RpcError> {
        self.transport
            .request::<_, serde_json::Value>("evm_increaseTime", json!([U64::from(seconds)]))
            .await?;
        Ok(())
    }

    /// `evm_mine`: mines one block.
    pub async fn mine(&self) -> Result<(), RpcError> {
        self.transport
            .request::<_, serde_json::Value>("evm_mine", json!([]))
            .await?;
        Ok(())
    }

    /// `evm_snapshot`: a snapshot id for [`NodeClient::revert_to_snapshot`].
    pub async fn snapshot(&self) -> Result<U256, RpcError> {
        self.transport.request("evm_snapshot", json!([])).await
    }

    /// `evm_revert`: restores a snapshot; `false` when the id is unknown.
    pub async fn revert_to_snapshot(&self, id: U256) -> Result<bool, RpcError> {
        self.transport.request("evm_revert", json!([id])).await
    }
}

fn to_u128(method: &str, value: U256) -> Result<u128, RpcError> {
    u128::try_from(value).map_err(|_| RpcError::InvalidResponse {
        method: method.to_owned(),
        reason: format!("{value} does not fit in 128 bits"),
    })
}
