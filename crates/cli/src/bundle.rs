//! User operations through a real bundler: nonce from the EntryPoint, gas from
//! `eth_estimateUserOperationGas` (with a placeholder signature of the final length), fees
//! from `pimlico_getUserOperationGasPrice` or the node, `eth_sendUserOperation`, and a
//! bounded wait for the receipt. A refusal is a rejection (exit 3) with the module's error
//! decoded.

use std::time::Duration;

use alloy::json_abi::JsonAbi;
use alloy::primitives::{aliases::U192, Address, Bytes, B256, U256};
use alloy::sol_types::SolCall;
use leash_contracts::bindings::entry_point::IEntryPoint;
use leash_rpc::{
    decode_revert, revert_data, BundlerApi, BundlerClient, CallRequest, NodeClient, RpcError,
    UserOperationReceipt,
};
use leash_userop::{EntryPointVersion, RpcUserOperation, UserOperation};

use crate::exit::{fail, usage, Exit};
use crate::module_error::{ModuleError, MODULE_ARTIFACT};
use crate::txsend::connect_node;

/// Margins over the bundler's estimate, in percent plus a fixed amount. The estimate is
/// made with a placeholder signature and, by alto, without the account's prefund transfer to
/// the EntryPoint, which the real validation pays: without a margin the bundle simulation
/// fails with AA26 (over verificationGasLimit) and the bundler drops the op.
const VERIFICATION_MARGIN_PERCENT: u128 = 50;
const VERIFICATION_MARGIN_GAS: u128 = 30_000;
const CALL_MARGIN_PERCENT: u128 = 20;

/// Fallback priority fee when the bundler has no fee method and the node none either: 1 gwei.
const FALLBACK_PRIORITY_FEE: u128 = 1_000_000_000;

/// A node and a bundler of the same chain.
pub(crate) struct Endpoints {
    /// The node (state reads).
    pub(crate) node: NodeClient,
    /// The bundler.
    pub(crate) bundler: BundlerClient,
    /// The chain id both report.
    pub(crate) chain_id: u64,
}

/// Fees of an op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fees {
    /// `maxFeePerGas`.
    pub(crate) max_fee_per_gas: u128,
    /// `maxPriorityFeePerGas`.
    pub(crate) max_priority_fee_per_gas: u128,
}

impl Endpoints {
    /// Connects to both and checks they answer, agree on the chain and that the bundler
    /// serves `entry_point`.
    pub(crate) async fn connect(
        rpc_url: &str,
        bundler_url: &str,
        entry_point: Address,
    ) -> anyhow::Result<Self> {
        let (node, chain_id) = connect_node("--rpc-url", rpc_url).await?;
        let bundler = crate::connection::bundler("--bundler-url", bundler_url)?;
        let served = bundler.supported_entry_points().await.map_err(|error| {
            fail(
                Exit::Failure,
                format!("--bundler-url {bundler_url}: the bundler does not answer: {error}"),
                Some(crate::connection::hint(
                    &error,
                    "check that the bundler is running and the URL is right",
                )),
            )
        })?;
        if !served.contains(&entry_point) {
            return Err(usage(
                format!("the bundler at {bundler_url} does not serve EntryPoint {entry_point} (it serves {served:?})"),
                "use a bundler for the account's EntryPoint",
            ));
        }
        let bundler_chain = bundler.bundler_chain_id().await?;
        if bundler_chain != chain_id {
            return Err(usage(
                format!("the node is chain {chain_id} but the bundler is chain {bundler_chain}"),
                "point --rpc-url and --bundler-url at the same chain",
            ));
        }
        Ok(Self {
            node,
            bundler,
            chain_id,
        })
    }

    /// The next sequence number of `account`'s nonce lane `key` (192 bits).
    pub(crate) async fn nonce_seq(
        &self,
        entry_point: Address,
        account: Address,
        key: U256,
    ) -> anyhow::Result<u64> {
        read_nonce_seq(&self.node, entry_point, account, key).await
    }

    /// The fees the bundler accepts (`standard`), else the node's: twice the base fee plus
    /// its priority fee.
    pub(crate) async fn fees(&self) -> anyhow::Result<Fees> {
        if let Ok(price) = self.bundler.pimlico_gas_price().await {
            return Ok(Fees {
                max_fee_per_gas: price.standard.max_fee_per_gas.saturating_to(),
                max_priority_fee_per_gas: price.standard.max_priority_fee_per_gas.saturating_to(),
            });
        }
        let priority = self
            .node
            .max_priority_fee_per_gas()
            .await
            .unwrap_or(FALLBACK_PRIORITY_FEE);
        let base: u128 = self
            .node
            .latest_block()
            .await?
            .base_fee_per_gas
            .unwrap_or(U256::ZERO)
            .saturating_to();
        Ok(Fees {
            max_fee_per_gas: base.saturating_mul(2).saturating_add(priority),
            max_priority_fee_per_gas: priority,
        })
    }

    /// Sets `op`'s fees (`fees`, else [`Endpoints::fees`]) and its gas limits from the
    /// bundler's estimate of `op` carrying `placeholder` (a signature of the final length
    /// that fails only the signature check). Leaves `op.signature` empty: sign it next.
    pub(crate) async fn prepare(
        &self,
        op: &mut UserOperation,
        entry_point: Address,
        fees: Option<Fees>,
        placeholder: Bytes,
    ) -> anyhow::Result<()> {
        let fees = match fees {
            Some(fees) => fees,
            None => self.fees().await?,
        };
        op.max_fee_per_gas = fees.max_fee_per_gas;
        op.max_priority_fee_per_gas = fees.max_priority_fee_per_gas;
        op.signature = placeholder;
        let estimate = self
            .bundler
            .estimate_user_operation_gas(&RpcUserOperation::from(&*op), entry_point)
            .await
            .map_err(|error| refusal(error, "eth_estimateUserOperationGas"))?;
        op.pre_verification_gas = estimate.pre_verification_gas;
        let verification: u128 = estimate.verification_gas_limit.saturating_to();
        let call: u128 = estimate.call_gas_limit.saturating_to();
        op.verification_gas_limit = verification
            .saturating_add(verification * VERIFICATION_MARGIN_PERCENT / 100)
            .saturating_add(VERIFICATION_MARGIN_GAS);
        op.call_gas_limit = call.saturating_add(call * CALL_MARGIN_PERCENT / 100);
        if op.paymaster.is_some() {
            if let Some(limit) = estimate.paymaster_verification_gas_limit {
                op.paymaster_verification_gas_limit = limit.saturating_to();
            }
            if let Some(limit) = estimate.paymaster_post_op_gas_limit {
                op.paymaster_post_op_gas_limit = limit.saturating_to();
            }
        }
        op.signature = Bytes::new();
        Ok(())
    }

    /// Sends the signed `op`, waits up to `timeout` for its receipt and fails (exit 3) when
    /// the bundler refuses it or its execution reverted.
    pub(crate) async fn submit(
        &self,
        op: &UserOperation,
        entry_point: Address,
        timeout: Duration,
    ) -> anyhow::Result<UserOperationReceipt> {
        submit(&self.bundler, op, entry_point, timeout).await
    }

    /// [`Endpoints::submit`] for a session op validated by `module`: a refusal whose reason the
    /// account hid (Safe7579) gets the module's own reason back ([`crate::reason`]).
    pub(crate) async fn submit_session(
        &self,
        op: &UserOperation,
        entry_point: Address,
        timeout: Duration,
        module: Address,
        user_op_hash: B256,
    ) -> anyhow::Result<UserOperationReceipt> {
        let sent = send(&self.bundler, op, entry_point).await;
        let hash =
            crate::reason::with_module_reason(sent, &self.node, module, op, user_op_hash).await?;
        wait_included(&self.bundler, hash, timeout).await
    }
}

/// Sends `op` to `bundler` and waits (bounded) for a successful receipt.
pub(crate) async fn submit(
    bundler: &BundlerClient,
    op: &UserOperation,
    entry_point: Address,
    timeout: Duration,
) -> anyhow::Result<UserOperationReceipt> {
    let hash = send(bundler, op, entry_point).await?;
    wait_included(bundler, hash, timeout).await
}

/// `eth_sendUserOperation`: the op's hash, or the bundler's refusal (exit 3).
async fn send(
    bundler: &BundlerClient,
    op: &UserOperation,
    entry_point: Address,
) -> anyhow::Result<B256> {
    bundler
        .send_user_operation(&RpcUserOperation::from(op), entry_point)
        .await
        .map_err(|error| refusal(error, "eth_sendUserOperation"))
}

/// Waits (bounded) for op `hash`'s receipt and fails (exit 3) when its execution reverted.
async fn wait_included(
    bundler: &BundlerClient,
    hash: B256,
    timeout: Duration,
) -> anyhow::Result<UserOperationReceipt> {
    let receipt = bundler.wait_for_receipt(hash, timeout).await?;
    if !receipt.success {
        let why = receipt
            .reason
            .as_ref()
            .and_then(describe_revert)
            .unwrap_or_else(|| "no reason given".to_owned());
        return Err(fail(
            Exit::Rejected,
            format!("op {hash} was included but its execution reverted: {why}"),
            Some("what the op paid for gas is spent; check the call data"),
        ));
    }
    Ok(receipt)
}

/// The next sequence number of `account`'s nonce lane `key` (the 192-bit EntryPoint key an
/// account profile builds; EntryPoint `getNonce`).
pub(crate) async fn read_nonce_seq(
    node: &NodeClient,
    entry_point: Address,
    account: Address,
    key: U256,
) -> anyhow::Result<u64> {
    let call = IEntryPoint::getNonceCall {
        sender: account,
        key: key.to::<U192>(),
    };
    let output = node
        .call(&CallRequest::call(entry_point, call.abi_encode()))
        .await?;
    let nonce = IEntryPoint::getNonceCall::abi_decode_returns(&output)?;
    Ok((nonce & U256::from(u64::MAX)).to())
}

/// The EntryPoint ABIs and the module's, for decoding reverts.
pub(crate) fn abis() -> Vec<&'static JsonAbi> {
    let mut abis = vec![
        leash_contracts::entry_point_abi(EntryPointVersion::V07),
        leash_contracts::entry_point_abi(EntryPointVersion::V08),
    ];
    if let Ok(module) = leash_contracts::artifact(MODULE_ARTIFACT) {
        abis.insert(0, &module.abi);
    }
    abis
}

/// Revert bytes as text: the module's error with its named fields first, else any known
/// error.
pub(crate) fn describe_revert(data: &Bytes) -> Option<String> {
    ModuleError::decode(data)
        .map(|error| error.to_string())
        .or_else(|| decode_revert(data, &abis()))
}

/// A bundler's refusal is a rejection (exit 3) with the revert decoded; anything else
/// (unreachable bundler, bad answer) is a plain failure.
pub(crate) fn refusal(error: RpcError, method: &str) -> anyhow::Error {
    let Some(json_rpc) = error.json_rpc() else {
        return error.into();
    };
    let decoded = revert_data(json_rpc).and_then(|data| describe_revert(&data));
    let reason = match decoded {
        Some(decoded) => format!("{decoded} ({})", aa_code(&json_rpc.message)),
        None => json_rpc.message.clone(),
    };
    fail(
        Exit::Rejected,
        format!("the bundler rejected the op ({method}): {reason}"),
        Some("the error names the permission that failed; `leash session show ID --rpc-url URL` shows what is left"),
    )
}

/// The EntryPoint's `AAxx` code in a bundler message, or the message's start.
fn aa_code(message: &str) -> String {
    message
        .split_whitespace()
        .find(|word| {
            word.len() == 4
                && word.starts_with("AA")
                && word[2..].chars().all(|c| c.is_ascii_digit())
        })
        .map(|code| format!("EntryPoint {code}"))
        .unwrap_or_else(|| message.chars().take(80).collect())
}

/// A signature placeholder for estimation: `len` bytes of an ECDSA signature made by a
/// throwaway key over `digest`, so the signature check fails (SIG_VALIDATION_FAILED) after
/// every other check ran, as a wrong but well-formed signature does.
pub(crate) fn throwaway_signature(digest: B256) -> anyhow::Result<[u8; 65]> {
    let secret: [u8; 32] = rand::random();
    let key = alloy::signers::local::PrivateKeySigner::from_slice(&secret)
        .map_err(|error| anyhow::anyhow!("generating a throwaway key: {error}"))?;
    Ok(leash_keys::envelope::sign_digest(&key, &digest)?)
}
