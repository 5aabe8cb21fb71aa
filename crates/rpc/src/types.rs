//! The JSON shapes of the node methods leash uses (only the fields leash reads).

use alloy::primitives::{Address, Bytes, B256, U256, U64};
use serde::{Deserialize, Serialize};

/// A call or transaction as `eth_call`, `eth_estimateGas` and `eth_sendTransaction` take it.
///
/// Unset fields are omitted, so the node fills them in (sender zero, gas estimated, fees from
/// the chain).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallRequest {
    /// Sender (for `eth_sendTransaction`: an unlocked account of the node).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Address>,
    /// Callee; `None` creates a contract from `input`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Address>,
    /// Call data or creation code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Bytes>,
    /// Wei sent along.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<U256>,
    /// Gas limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gas: Option<U64>,
    /// EIP-1559 maximum fee per gas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_fee_per_gas: Option<U256>,
    /// EIP-1559 maximum priority fee per gas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_priority_fee_per_gas: Option<U256>,
}

impl CallRequest {
    /// A call of `to` with `input`.
    pub fn call(to: Address, input: impl Into<Bytes>) -> Self {
        Self {
            to: Some(to),
            input: Some(input.into()),
            ..Self::default()
        }
    }

    /// A contract creation with `creation_code` (constructor arguments appended).
    pub fn create(creation_code: impl Into<Bytes>) -> Self {
        Self {
            input: Some(creation_code.into()),
            ..Self::default()
        }
    }

    /// The same request sent from `from`.
    pub fn from(mut self, from: Address) -> Self {
        self.from = Some(from);
        self
    }

    /// The same request carrying `value` wei.
    pub fn value(mut self, value: U256) -> Self {
        self.value = Some(value);
        self
    }

    /// The same request with a fixed gas limit.
    pub fn gas(mut self, gas: u64) -> Self {
        self.gas = Some(U64::from(gas));
        self
    }
}

/// An event log.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Log {
    /// Emitting contract.
    pub address: Address,
    /// Indexed topics, the event signature hash first (for non-anonymous events).
    pub topics: Vec<B256>,
    /// Non-indexed data.
    pub data: Bytes,
    /// The transaction that emitted it, when mined.
    #[serde(default)]
    pub transaction_hash: Option<B256>,
    /// Position in the block, when mined.
    #[serde(default)]
    pub log_index: Option<U64>,
}

/// A mined transaction's receipt.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionReceipt {
    /// Transaction hash.
    pub transaction_hash: B256,
    /// Block number.
    pub block_number: U64,
    /// Block hash.
    pub block_hash: B256,
    /// Sender.
    pub from: Address,
    /// Callee (`None` for a creation).
    #[serde(default)]
    pub to: Option<Address>,
    /// The created contract, for a creation.
    #[serde(default)]
    pub contract_address: Option<Address>,
    /// `0x1` success, `0x0` reverted.
    pub status: U64,
    /// Gas used by this transaction.
    pub gas_used: U64,
    /// Price paid per gas.
    pub effective_gas_price: U256,
    /// Logs emitted.
    pub logs: Vec<Log>,
}

impl TransactionReceipt {
    /// Whether the transaction succeeded (status 1).
    pub fn succeeded(&self) -> bool {
        self.status == U64::from(1)
    }
}

/// The header fields of `eth_getBlockByNumber` that leash reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockHeader {
    /// Block number.
    pub number: U64,
    /// Block hash.
    pub hash: B256,
    /// Unix timestamp (seconds).
    pub timestamp: U64,
    /// EIP-1559 base fee (absent before London).
    #[serde(default)]
    pub base_fee_per_gas: Option<U256>,
    /// Block gas limit.
    pub gas_limit: U64,
}
