//! Plain transactions for the network commands: signed locally with a private key read from
//! an environment variable, or signed by the node for one of its unlocked accounts.

use std::time::Duration;

use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy::eips::eip2718::Encodable2718;
use alloy::primitives::{Address, Bytes, TxKind, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use anyhow::Context;
use leash_rpc::{CallRequest, NodeClient, RpcError, TransactionReceipt};

use crate::exit::{fail, usage, Exit};

/// Priority fee used when the node does not answer `eth_maxPriorityFeePerGas`: 1 gwei.
const FALLBACK_PRIORITY_FEE: u128 = 1_000_000_000;
/// Gas margin over `eth_estimateGas`, in percent (CREATE2 deployments refund nothing, but
/// the estimate is tight).
const GAS_MARGIN_PERCENT: u64 = 20;

/// Who pays for and signs a transaction.
pub(crate) enum TxSender {
    /// A private key held by this process.
    Key(PrivateKeySigner),
    /// An account the node signs for (anvil's dev accounts, `--unlocked`).
    Unlocked(Address),
}

impl TxSender {
    /// The sending address.
    pub(crate) fn address(&self) -> Address {
        match self {
            TxSender::Key(signer) => signer.address(),
            TxSender::Unlocked(address) => *address,
        }
    }

    /// Sends a call of `to` with `input`, waits (bounded) for the receipt and fails when the
    /// transaction reverted.
    pub(crate) async fn send(
        &self,
        node: &NodeClient,
        to: Address,
        input: Bytes,
        timeout: Duration,
    ) -> anyhow::Result<TransactionReceipt> {
        let request = CallRequest::call(to, input.clone()).from(self.address());
        let estimate = node
            .estimate_gas(&request)
            .await
            .context("estimating the transaction's gas")?;
        let gas = estimate + estimate * GAS_MARGIN_PERCENT / 100;
        let hash = match self {
            TxSender::Unlocked(_) => node.send_transaction(&request.gas(gas)).await?,
            TxSender::Key(signer) => {
                let raw = sign_eip1559(node, signer, to, input, gas).await?;
                node.send_raw_transaction(&raw).await?
            }
        };
        let receipt = node.wait_for_transaction(hash, timeout).await?;
        if !receipt.succeeded() {
            return Err(RpcError::TransactionReverted {
                hash,
                gas_used: receipt.gas_used.to(),
            }
            .into());
        }
        Ok(receipt)
    }
}

/// An EIP-1559 transaction from `signer`, signed and EIP-2718 encoded, with the chain's
/// current nonce and fees (twice the base fee plus the priority fee).
async fn sign_eip1559(
    node: &NodeClient,
    signer: &PrivateKeySigner,
    to: Address,
    input: Bytes,
    gas: u64,
) -> anyhow::Result<Bytes> {
    let chain_id = node.chain_id().await?;
    let nonce = node.get_transaction_count(signer.address()).await?;
    let priority = node
        .max_priority_fee_per_gas()
        .await
        .unwrap_or(FALLBACK_PRIORITY_FEE);
    let base_fee: u128 = node
        .latest_block()
        .await?
        .base_fee_per_gas
        .unwrap_or(U256::ZERO)
        .saturating_to();
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: gas,
        max_fee_per_gas: base_fee.saturating_mul(2).saturating_add(priority),
        max_priority_fee_per_gas: priority,
        to: TxKind::Call(to),
        value: U256::ZERO,
        access_list: Default::default(),
        input,
    };
    let signature = signer
        .sign_hash_sync(&tx.signature_hash())
        .context("signing the transaction")?;
    let envelope = TxEnvelope::from(tx.into_signed(signature));
    Ok(envelope.encoded_2718().into())
}

/// The private key held in the environment variable `name` (hex, `0x` optional). The value
/// is never echoed, not even in errors.
pub(crate) fn key_from_env(flag: &str, name: &str) -> anyhow::Result<PrivateKeySigner> {
    let text = std::env::var(name).map_err(|_| {
        usage(
            format!("{flag} {name}: the environment variable is not set (or is not valid UTF-8)"),
            "export the private key (hex) in that variable (it keeps the key off the command line)",
        )
    })?;
    let hex = text.trim();
    let hex = hex.strip_prefix("0x").unwrap_or(hex);
    let bytes = alloy::hex::decode(hex)
        .ok()
        .filter(|bytes| bytes.len() == 32);
    bytes
        .and_then(|bytes| PrivateKeySigner::from_slice(&bytes).ok())
        .ok_or_else(|| {
            usage(
                format!("{flag} {name}: the variable does not hold a 32-byte hex private key"),
                "put 64 hex digits (0x optional) of a valid secp256k1 key in the variable",
            )
        })
}

/// The node at `url`, checked to answer: a malformed URL is bad input (exit 2), an
/// unreachable node a failure (exit 1) with a hint.
pub(crate) async fn connect_node(flag: &str, url: &str) -> anyhow::Result<(NodeClient, u64)> {
    let node = crate::connection::node(flag, url)?;
    match node.chain_id().await {
        Ok(chain_id) => Ok((node, chain_id)),
        Err(error) => Err(fail(
            Exit::Failure,
            format!("{flag} {url}: the node does not answer: {error}"),
            Some(crate::connection::hint(
                &error,
                "check that the node is running and the URL is right",
            )),
        )),
    }
}
