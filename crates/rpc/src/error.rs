//! Errors of the node and bundler clients.

use serde::Deserialize;
use serde_json::Value;
use std::{fmt, time::Duration};

/// What went wrong talking to a node or a bundler.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// The endpoint URL is not an `http://` or `https://` URL.
    #[error("invalid endpoint URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// The request cannot be sent as given.
    #[error("`{method}` cannot be sent: {reason}")]
    InvalidRequest {
        /// The JSON-RPC method.
        method: String,
        /// What is missing or wrong.
        reason: String,
    },
    /// The transaction was mined and reverted.
    #[error("transaction {hash} reverted (gas used {gas_used})")]
    TransactionReverted {
        /// The transaction hash.
        hash: alloy::primitives::B256,
        /// Gas used by the reverted transaction.
        gas_used: u64,
    },
    /// The request did not reach the endpoint or no complete answer came back.
    #[error("`{method}` to {url} failed: {reason}")]
    Transport {
        /// The JSON-RPC method.
        method: String,
        /// The endpoint.
        url: String,
        /// The transport's description (connection refused, timed out, ...).
        reason: String,
    },
    /// An endpoint setting (header, CA certificate, TLS setup) is not usable.
    #[error("invalid endpoint setting: {reason}")]
    InvalidSetting {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// The endpoint's TLS certificate does not chain to a trusted root.
    #[error(
        "the TLS certificate of {url} is not trusted ({reason}); if the endpoint uses a \
         private CA, trust its PEM certificate (leash: --rpc-ca-cert FILE or \
         LEASH_RPC_CA_CERT; SSL_CERT_FILE replaces the system roots)"
    )]
    UntrustedCertificate {
        /// The JSON-RPC method.
        method: String,
        /// The endpoint.
        url: String,
        /// The TLS library's description.
        reason: String,
    },
    /// No answer came within the per-request timeout.
    #[error(
        "`{method}` to {url} got no answer within {timeout:?} (the request timeout; \
         leash: --rpc-timeout SECS or ETH_RPC_TIMEOUT)"
    )]
    RequestTimeout {
        /// The JSON-RPC method.
        method: String,
        /// The endpoint.
        url: String,
        /// The timeout that ran out.
        timeout: Duration,
    },
    /// A transient failure (rate limit, gateway error) lasted through every bounded retry.
    #[error("`{method}` still failed after {attempts} attempts: {last}")]
    RetriesExhausted {
        /// The JSON-RPC method.
        method: String,
        /// How many times the request was sent.
        attempts: u32,
        /// The last attempt's error.
        last: Box<RpcError>,
    },
    /// The endpoint answered with an HTTP status other than 200 and no JSON-RPC error.
    #[error("`{method}` got HTTP {status}: {body}")]
    Http {
        /// The JSON-RPC method.
        method: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// The endpoint answered with a JSON-RPC error object.
    #[error("`{method}` failed: {error}")]
    JsonRpc {
        /// The JSON-RPC method.
        method: String,
        /// The error object, `data` included.
        error: JsonRpcError,
    },
    /// The answer is not the JSON the method should return.
    #[error("`{method}` returned an unexpected answer: {reason}")]
    InvalidResponse {
        /// The JSON-RPC method.
        method: String,
        /// What did not fit.
        reason: String,
    },
    /// A bounded wait ran out.
    #[error("timed out after {waited:?} waiting for {what}")]
    Timeout {
        /// What was awaited (e.g. "the receipt of user operation 0x…").
        what: String,
        /// How long the wait lasted.
        waited: Duration,
    },
}

impl RpcError {
    /// The JSON-RPC error object when the endpoint answered with one.
    ///
    /// Looks through [`RpcError::RetriesExhausted`] at the last attempt's error.
    pub fn json_rpc(&self) -> Option<&JsonRpcError> {
        match self {
            Self::JsonRpc { error, .. } => Some(error),
            Self::RetriesExhausted { last, .. } => last.json_rpc(),
            _ => None,
        }
    }
}

/// A JSON-RPC 2.0 error object as the endpoint sent it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct JsonRpcError {
    /// The error code (ERC-4337 bundlers: -32500 validation failed in the account or factory,
    /// -32501 in the paymaster, -32502 opcode/storage rule, -32602 invalid fields, -32521 the
    /// execution reverted during estimation, ...).
    pub code: i64,
    /// The human-readable message.
    pub message: String,
    /// Extra data, when the endpoint sent some (a node's revert data is a hex string here).
    #[serde(default)]
    pub data: Option<Value>,
}

impl fmt::Display for JsonRpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (code {})", self.message, self.code)?;
        if let Some(data) = &self.data {
            write!(f, ", data: {data}")?;
        }
        Ok(())
    }
}
