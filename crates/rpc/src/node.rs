//! Client of an Ethereum node: standard `eth_*` methods plus anvil's test methods.
//!
//! Methods whose answer is a plain value go through alloy's `Provider` (and `AnvilApi` for
//! anvil's methods). Calls, gas estimates, sends, receipts and headers keep leash's own
//! types ([`CallRequest`], [`TransactionReceipt`], [`BlockHeader`]) over raw requests: those
//! serialise only the fields set (the node fills in the rest, as `eth_sendTransaction` from
//! an unlocked account needs), and parse only what leash reads, the same way a bundler's
//! `eth_getUserOperationReceipt` embeds them; alloy's network types require every field of
//! a full Ethereum receipt and block.

use crate::poll::poll_until;
use crate::{BlockHeader, CallRequest, Endpoint, JsonRpcTransport, RpcError, TransactionReceipt};
use alloy::primitives::{Address, Bytes, B256, U256, U64};
use alloy::providers::{ext::AnvilApi, Provider, RootProvider};
use alloy::transports::TransportError;
use serde_json::json;
use std::time::Duration;

/// How often [`NodeClient::wait_for_transaction`] asks for the receipt.
const RECEIPT_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// An Ethereum node's JSON-RPC API (any node; the `anvil_*`/`evm_*` methods need anvil).
///
/// State reads are at the `latest` block. [`NodeClient::provider`] gives alloy's provider
/// for everything else.
#[derive(Debug, Clone)]
pub struct NodeClient {
    transport: JsonRpcTransport,
}

/// Maps an alloy error of `method` to [`RpcError`].
fn named(method: &'static str) -> impl FnOnce(TransportError) -> RpcError {
    move |error| RpcError::from_transport(method, error)
}

impl NodeClient {
    /// A client of the node at `url` with the [`Endpoint`] defaults.
    ///
    /// # Errors
    ///
    /// [`RpcError::InvalidUrl`] for a URL that is not http(s).
    pub fn new(url: &str) -> Result<Self, RpcError> {
        Ok(Self {
            transport: JsonRpcTransport::new(url)?,
        })
    }

    /// A client of a configured endpoint (headers, CA certificates, timeout, retries).
    ///
    /// # Errors
    ///
    /// [`RpcError::InvalidSetting`] when the HTTP client cannot be built.
    pub fn connect(endpoint: &Endpoint) -> Result<Self, RpcError> {
        Ok(Self {
            transport: JsonRpcTransport::connect(endpoint)?,
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

    /// alloy's provider for this node.
    pub fn provider(&self) -> &RootProvider {
        self.transport.provider()
    }

    /// `eth_chainId`.
    pub async fn chain_id(&self) -> Result<u64, RpcError> {
        self.provider()
            .get_chain_id()
            .await
            .map_err(named("eth_chainId"))
    }

    /// `eth_blockNumber`.
    pub async fn block_number(&self) -> Result<u64, RpcError> {
        self.provider()
            .get_block_number()
            .await
            .map_err(named("eth_blockNumber"))
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
        self.provider()
            .get_code_at(address)
            .latest()
            .await
            .map_err(named("eth_getCode"))
    }

    /// `eth_getBalance` in wei.
    pub async fn get_balance(&self, address: Address) -> Result<U256, RpcError> {
        self.provider()
            .get_balance(address)
            .latest()
            .await
            .map_err(named("eth_getBalance"))
    }

    /// `eth_getTransactionCount` (the account's next transaction nonce).
    pub async fn get_transaction_count(&self, address: Address) -> Result<u64, RpcError> {
        self.provider()
            .get_transaction_count(address)
            .latest()
            .await
            .map_err(named("eth_getTransactionCount"))
    }

    /// `eth_getStorageAt`.
    pub async fn get_storage_at(&self, address: Address, slot: B256) -> Result<B256, RpcError> {
        let value = self
            .provider()
            .get_storage_at(address, slot.into())
            .latest()
            .await
            .map_err(named("eth_getStorageAt"))?;
        Ok(value.into())
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
        self.provider()
            .get_gas_price()
            .await
            .map_err(named("eth_gasPrice"))
    }

    /// `eth_maxPriorityFeePerGas` in wei.
    pub async fn max_priority_fee_per_gas(&self) -> Result<u128, RpcError> {
        self.provider()
            .get_max_priority_fee_per_gas()
            .await
            .map_err(named("eth_maxPriorityFeePerGas"))
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
        let pending = self
            .provider()
            .send_raw_transaction(raw)
            .await
            .map_err(named("eth_sendRawTransaction"))?;
        Ok(*pending.tx_hash())
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

    // ----- anvil test methods (alloy's `AnvilApi`) -----

    /// `anvil_setCode`: replaces the runtime code at `address` (no constructor runs, so
    /// immutables stay as they are in `code`).
    pub async fn anvil_set_code(&self, address: Address, code: &Bytes) -> Result<(), RpcError> {
        self.provider()
            .anvil_set_code(address, code.clone())
            .await
            .map_err(named("anvil_setCode"))
    }

    /// `anvil_setBalance`.
    pub async fn anvil_set_balance(&self, address: Address, balance: U256) -> Result<(), RpcError> {
        self.provider()
            .anvil_set_balance(address, balance)
            .await
            .map_err(named("anvil_setBalance"))
    }

    /// `anvil_impersonateAccount`: `eth_sendTransaction` then accepts `address` as sender.
    pub async fn impersonate_account(&self, address: Address) -> Result<(), RpcError> {
        self.provider()
            .anvil_impersonate_account(address)
            .await
            .map_err(named("anvil_impersonateAccount"))
    }

    /// `evm_increaseTime`: moves the next block's timestamp forward by `seconds`.
    pub async fn increase_time(&self, seconds: u64) -> Result<(), RpcError> {
        self.provider()
            .anvil_increase_time(seconds)
            .await
            .map_err(named("evm_increaseTime"))?;
        Ok(())
    }

    /// `evm_mine`: mines one block.
    pub async fn mine(&self) -> Result<(), RpcError> {
        self.provider()
            .evm_mine(None)
            .await
            .map_err(named("evm_mine"))?;
        Ok(())
    }

    /// `evm_snapshot`: a snapshot id for [`NodeClient::revert_to_snapshot`].
    pub async fn snapshot(&self) -> Result<U256, RpcError> {
        self.provider()
            .anvil_snapshot()
            .await
            .map_err(named("evm_snapshot"))
    }

    /// `evm_revert`: restores a snapshot; `false` when the id is unknown.
    pub async fn revert_to_snapshot(&self, id: U256) -> Result<bool, RpcError> {
        self.provider()
            .anvil_revert(id)
            .await
            .map_err(named("evm_revert"))
    }
}
