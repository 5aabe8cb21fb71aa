//! The ERC-4337 bundler API (`eth_*UserOperation*` methods, EntryPoint v0.7/v0.8 shape) as
//! an extension of alloy's `Provider`: [`BundlerApi`] works on any `P: Provider`, the
//! provider a Rust user already holds, with whatever layers it has.
//!
//! alloy ships an `Erc4337Api` too; leash does not build on it because its
//! `eth_getUserOperationReceipt` returns a receipt, not an `Option` (a pending op, answered
//! with `null`, is then an error instead of "not yet", which [`BundlerApi::wait_for_receipt`]
//! needs), it types the userOpHash as `Bytes`, it lacks `eth_getUserOperationByHash` and
//! `pimlico_getUserOperationGasPrice`, and its `PackedUserOperation` would be a second copy
//! of the op leash already holds in its own strict [`RpcUserOperation`] (the one leash signs
//! and hashes).

use crate::poll::poll_until;
use crate::{Endpoint, JsonRpcTransport, Log, RpcError, TransactionReceipt};
use alloy::network::Network;
use alloy::primitives::{Address, Bytes, B256, U256, U64};
use alloy::providers::{Provider, RootProvider};
use alloy::rpc::json_rpc::{RpcRecv, RpcSend};
use leash_userop::RpcUserOperation;
use serde::Deserialize;
use std::future::Future;
use std::time::Duration;

/// How often [`BundlerApi::wait_for_receipt`] asks for the receipt.
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

/// The ERC-4337 bundler methods, for any alloy `Provider` connected to a bundler.
///
/// Errors are [`RpcError`]s: a bundler's refusal is [`RpcError::JsonRpc`] with its code and
/// message (see [`crate::revert_data`] for the revert bytes in it).
pub trait BundlerApi<N: Network = alloy::network::Ethereum>: Provider<N> {
    /// `eth_chainId` as the bundler reports it.
    fn bundler_chain_id(&self) -> impl Future<Output = Result<u64, RpcError>> + Send {
        async move {
            let id: U64 = bundler_request(self, "eth_chainId", ()).await?;
            Ok(id.to())
        }
    }

    /// `eth_supportedEntryPoints`.
    fn supported_entry_points(
        &self,
    ) -> impl Future<Output = Result<Vec<Address>, RpcError>> + Send {
        bundler_request(self, "eth_supportedEntryPoints", ())
    }

    /// `eth_sendUserOperation`: returns the userOpHash the bundler computed.
    ///
    /// With leash's endpoints this is sent again only when the bundler refused it unprocessed
    /// (HTTP 429 or a rate-limit error), never after a gateway error or a timeout: the op may
    /// have been accepted then (see [`crate::layers`]).
    ///
    /// # Errors
    ///
    /// [`RpcError::JsonRpc`] when the bundler refuses the op; for a revert during validation
    /// its `data` or message carries the revert bytes (see [`crate::revert_data`]).
    fn send_user_operation(
        &self,
        op: &RpcUserOperation,
        entry_point: Address,
    ) -> impl Future<Output = Result<B256, RpcError>> + Send {
        bundler_request(self, "eth_sendUserOperation", (op.clone(), entry_point))
    }

    /// `eth_estimateUserOperationGas`. The op's signature must have the final length and
    /// pass the account's checks up to the signature itself (a dummy signature that fails
    /// only the ECDSA check is fine on EntryPoint v0.7/v0.8).
    fn estimate_user_operation_gas(
        &self,
        op: &RpcUserOperation,
        entry_point: Address,
    ) -> impl Future<Output = Result<UserOperationGasEstimate, RpcError>> + Send {
        bundler_request(
            self,
            "eth_estimateUserOperationGas",
            (op.clone(), entry_point),
        )
    }

    /// `eth_getUserOperationReceipt`: `None` while the op is not included.
    fn get_user_operation_receipt(
        &self,
        hash: B256,
    ) -> impl Future<Output = Result<Option<UserOperationReceipt>, RpcError>> + Send {
        bundler_request(self, "eth_getUserOperationReceipt", (hash,))
    }

    /// `eth_getUserOperationByHash`: `None` for an unknown op.
    fn get_user_operation_by_hash(
        &self,
        hash: B256,
    ) -> impl Future<Output = Result<Option<UserOperationLookup>, RpcError>> + Send {
        bundler_request(self, "eth_getUserOperationByHash", (hash,))
    }

    /// `pimlico_getUserOperationGasPrice` (alto and other Pimlico-compatible bundlers).
    fn pimlico_gas_price(&self) -> impl Future<Output = Result<BundlerGasPrice, RpcError>> + Send {
        bundler_request(self, "pimlico_getUserOperationGasPrice", ())
    }

    /// Polls the receipt of the op `hash` until it is included or `timeout` passes.
    ///
    /// # Errors
    ///
    /// [`RpcError::Timeout`] when no receipt came in time. An included op whose execution
    /// reverted has a receipt with `success == false`.
    fn wait_for_receipt(
        &self,
        hash: B256,
        timeout: Duration,
    ) -> impl Future<Output = Result<UserOperationReceipt, RpcError>> + Send
    where
        Self: Sized,
    {
        poll_until(
            move || format!("the receipt of user operation {hash}"),
            timeout,
            RECEIPT_POLL_INTERVAL,
            move || self.get_user_operation_receipt(hash),
        )
    }
}

impl<N: Network, P: Provider<N>> BundlerApi<N> for P {}

/// One request of `method` through `provider`, its error as an [`RpcError`].
async fn bundler_request<N, P, Params, R>(
    provider: &P,
    method: &'static str,
    params: Params,
) -> Result<R, RpcError>
where
    N: Network,
    P: Provider<N> + ?Sized,
    Params: RpcSend,
    R: RpcRecv,
{
    provider
        .client()
        .request(method, params)
        .await
        .map_err(|error| RpcError::from_transport(method, error))
}

/// A bundler endpoint: alloy's `RootProvider` built by [`Endpoint`] (timeout, bounded retries,
/// headers such as an API key, https). It is a `Provider`, so [`BundlerApi`] applies.
#[derive(Debug, Clone)]
pub struct BundlerClient {
    transport: JsonRpcTransport,
}

impl BundlerClient {
    /// A client of the bundler at `url` with the [`Endpoint`] defaults.
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

    /// A client over an existing transport.
    pub fn with_transport(transport: JsonRpcTransport) -> Self {
        Self { transport }
    }

    /// The bundler's URL.
    pub fn url(&self) -> &str {
        self.transport.url()
    }
}

impl Provider for BundlerClient {
    fn root(&self) -> &RootProvider {
        self.transport.provider()
    }
}
