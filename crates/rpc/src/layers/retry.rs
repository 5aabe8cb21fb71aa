//! Bounded retries that know which JSON-RPC methods are safe to send twice.
//!
//! alloy ships a `RetryBackoffLayer`, but its policy sees only the error, never the method:
//! it would resend an `eth_sendUserOperation` or `eth_sendRawTransaction` after a 503 from a
//! gateway that may already have passed it on (its own docs say to route non-idempotent
//! methods around it), and when it gives up it replaces the last error with a plain string,
//! so a JSON-RPC error object (and the revert data in it) would be lost. This layer:
//!
//! - retries a request the endpoint *refused before processing it* (HTTP 429, or a JSON-RPC
//!   rate-limit error as alloy's `ErrorPayload::is_retry_err` recognises them) whatever the
//!   method: nothing ran, so sending it again cannot do anything twice;
//! - retries a gateway failure (HTTP 502, 503, 504) only when every method in the request
//!   is a read ([`is_read_only`]): a send may have reached the node before the gateway
//!   failed, and resending it could, for a user operation, make the bundler refuse the
//!   second copy as already known and hide the first one's hash;
//! - never retries a timeout or a connection failure (the caller sees them at once);
//! - waits `initial_backoff`, doubling up to [`MAX_BACKOFF`] (or the server's `Retry-After`
//!   up to the same cap) between attempts, and stops after `max_retries` retries with a
//!   [`RetriesExhausted`] that keeps the last error intact.

use alloy::rpc::json_rpc::{ErrorPayload, RequestPacket, ResponsePacket};
use alloy::transports::{TransportError, TransportErrorKind, TransportFut};
use std::task::{Context, Poll};
use std::time::Duration;
use tower::{Layer, Service};

/// The longest wait between two attempts, whatever the server asks for.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The error a request gets when every bounded attempt failed with a retryable error.
#[derive(Debug, thiserror::Error)]
#[error("still failing after {attempts} attempts: {last}")]
pub struct RetriesExhausted {
    /// How many times the request was sent.
    pub attempts: u32,
    /// The last attempt's error, unchanged.
    #[source]
    pub last: TransportError,
}

/// Retries transient failures at most `max_retries` times (see the module docs for which).
#[derive(Debug, Clone, Copy)]
pub struct RetryLayer {
    max_retries: u32,
    initial_backoff: Duration,
}

impl RetryLayer {
    /// A layer that sends a request at most `1 + max_retries` times, waiting
    /// `initial_backoff` before the first retry and twice as long before each next one.
    pub fn new(max_retries: u32, initial_backoff: Duration) -> Self {
        Self {
            max_retries,
            initial_backoff,
        }
    }
}

impl<S> Layer<S> for RetryLayer {
    type Service = RetryService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RetryService {
            inner,
            max_retries: self.max_retries,
            initial_backoff: self.initial_backoff,
        }
    }
}

/// The service [`RetryLayer`] makes.
#[derive(Debug, Clone)]
pub struct RetryService<S> {
    inner: S,
    max_retries: u32,
    initial_backoff: Duration,
}

impl<S> Service<RequestPacket> for RetryService<S>
where
    S: Service<
            RequestPacket,
            Response = ResponsePacket,
            Error = TransportError,
            Future = TransportFut<'static>,
        > + Clone
        + Send
        + 'static,
{
    type Response = ResponsePacket;
    type Error = TransportError;
    type Future = TransportFut<'static>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: RequestPacket) -> Self::Future {
        // The ready inner service takes this call; a clone serves the retries.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let reads_only = request.method_names().all(is_read_only);
        let max_retries = self.max_retries;
        let mut backoff = self.initial_backoff;
        Box::pin(async move {
            let mut attempts = 0u32;
            loop {
                attempts += 1;
                let result = inner.call(request.clone()).await;
                let retryable = match &result {
                    // A JSON-RPC error object comes back as a response; only a rate-limit
                    // one (refused before processing) is retried.
                    Ok(response) => response.as_error().is_some_and(ErrorPayload::is_retry_err),
                    Err(error) => should_retry(error, reads_only),
                };
                if !retryable {
                    return result;
                }
                let error = match result {
                    Ok(response) => match response.as_error() {
                        Some(payload) => TransportError::ErrorResp(payload.clone()),
                        None => return Ok(response),
                    },
                    Err(error) => error,
                };
                if attempts > max_retries {
                    return Err(TransportErrorKind::custom(RetriesExhausted {
                        attempts,
                        last: error,
                    }));
                }
                let wait = retry_after(&error).unwrap_or(backoff).min(MAX_BACKOFF);
                tokio::time::sleep(wait).await;
                backoff = backoff.saturating_mul(2).min(MAX_BACKOFF);
            }
        })
    }
}

/// Whether a JSON-RPC method only reads, so sending it twice changes nothing: `eth_*`
/// except `eth_send*`/`eth_sign*`, `net_*`, `web3_*`, `debug_trace*` and `pimlico_get*`.
/// Everything else (sends, `anvil_*`/`evm_*` test methods, unknown methods) is not.
pub fn is_read_only(method: &str) -> bool {
    if let Some(eth) = method.strip_prefix("eth_") {
        return !eth.starts_with("send") && !eth.starts_with("sign");
    }
    ["net_", "web3_", "debug_trace", "pimlico_get"]
        .iter()
        .any(|prefix| method.starts_with(prefix))
}

/// Whether `error` may be retried for a request that is (`reads_only`) or is not only reads.
fn should_retry(error: &TransportError, reads_only: bool) -> bool {
    refused_before_processing(error) || (reads_only && gateway_failure(error))
}

/// HTTP 429, or a JSON-RPC rate-limit error: the endpoint did not run the request.
fn refused_before_processing(error: &TransportError) -> bool {
    match error {
        TransportError::ErrorResp(payload) => payload.is_retry_err(),
        TransportError::Transport(kind) => http_status(kind) == Some(429),
        _ => false,
    }
}

/// HTTP 502, 503 or 504: a gateway or a restarting node; the request may have gone through.
fn gateway_failure(error: &TransportError) -> bool {
    match error {
        TransportError::Transport(kind) => matches!(http_status(kind), Some(502..=504)),
        _ => false,
    }
}

fn http_status(kind: &TransportErrorKind) -> Option<u16> {
    match kind {
        TransportErrorKind::HttpError(http) => Some(http.status),
        TransportErrorKind::HttpErrorWithRetryAfter { error, .. } => Some(error.status),
        _ => None,
    }
}

fn retry_after(error: &TransportError) -> Option<Duration> {
    match error {
        TransportError::Transport(TransportErrorKind::HttpErrorWithRetryAfter {
            retry_after,
            ..
        }) => Some(*retry_after),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_and_test_methods_are_not_reads() {
        for read in [
            "eth_chainId",
            "eth_call",
            "eth_estimateUserOperationGas",
            "eth_getUserOperationReceipt",
            "eth_supportedEntryPoints",
            "debug_traceCall",
            "pimlico_getUserOperationGasPrice",
            "net_version",
        ] {
            assert!(is_read_only(read), "{read}");
        }
        for write in [
            "eth_sendUserOperation",
            "eth_sendRawTransaction",
            "eth_sendTransaction",
            "eth_signTypedData_v4",
            "evm_mine",
            "evm_increaseTime",
            "anvil_setBalance",
            "pimlico_sendCompressedUserOperation",
            "unknown_method",
        ] {
            assert!(!is_read_only(write), "{write}");
        }
    }

    #[test]
    fn rate_limits_are_retried_for_every_method_gateway_errors_only_for_reads() {
        let too_many = TransportErrorKind::http_error(429, String::new());
        assert!(should_retry(&too_many, false));
        let unavailable = TransportErrorKind::http_error(503, String::new());
        assert!(should_retry(&unavailable, true));
        assert!(!should_retry(&unavailable, false));
        let not_found = TransportErrorKind::http_error(404, String::new());
        assert!(!should_retry(&not_found, true));
    }
}
