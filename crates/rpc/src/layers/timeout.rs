//! A per-request timeout as a tower layer, so the error says which limit ran out.
//!
//! reqwest's own timeout would work too, but its error only says "operation timed out";
//! this layer knows the limit and the endpoint and returns them in a [`TimedOut`], which
//! [`crate::RpcError::from_transport`] turns into [`crate::RpcError::RequestTimeout`].

use alloy::rpc::json_rpc::{RequestPacket, ResponsePacket};
use alloy::transports::{TransportError, TransportErrorKind, TransportFut};
use std::task::{Context, Poll};
use std::time::Duration;
use tower::{Layer, Service};

/// The error a request gets when no answer came within the timeout.
#[derive(Debug, Clone, thiserror::Error)]
#[error("no answer from {url} within {timeout:?}")]
pub struct TimedOut {
    /// The endpoint.
    pub url: String,
    /// The limit that ran out.
    pub timeout: Duration,
}

/// Fails every request that takes longer than `timeout` (connecting, sending and reading the
/// whole answer) with a [`TimedOut`] wrapped in [`TransportErrorKind::Custom`].
#[derive(Debug, Clone)]
pub struct TimeoutLayer {
    url: String,
    timeout: Duration,
}

impl TimeoutLayer {
    /// A layer for requests to `url` (named in the error) limited to `timeout` each.
    pub fn new(url: impl Into<String>, timeout: Duration) -> Self {
        Self {
            url: url.into(),
            timeout,
        }
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = TimeoutService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        TimeoutService {
            inner,
            url: self.url.clone(),
            timeout: self.timeout,
        }
    }
}

/// The service [`TimeoutLayer`] makes.
#[derive(Debug, Clone)]
pub struct TimeoutService<S> {
    inner: S,
    url: String,
    timeout: Duration,
}

impl<S> Service<RequestPacket> for TimeoutService<S>
where
    S: Service<
            RequestPacket,
            Response = ResponsePacket,
            Error = TransportError,
            Future = TransportFut<'static>,
        > + Send
        + 'static,
{
    type Response = ResponsePacket;
    type Error = TransportError;
    type Future = TransportFut<'static>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: RequestPacket) -> Self::Future {
        let answer = self.inner.call(request);
        let timed_out = TimedOut {
            url: self.url.clone(),
            timeout: self.timeout,
        };
        Box::pin(async move {
            tokio::time::timeout(timed_out.timeout, answer)
                .await
                .map_err(|_| TransportErrorKind::custom(timed_out))?
        })
    }
}
