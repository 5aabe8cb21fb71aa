//! One JSON-RPC endpoint for untyped requests, over alloy's provider stack.

use crate::from_alloy::excerpt;
use crate::{Endpoint, RpcError};
use alloy::providers::{Provider, RootProvider};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;
use std::time::Duration;

/// A JSON-RPC endpoint reached through alloy's `RootProvider` (built by [`Endpoint`]: retries,
/// timeout, headers, https), with requests whose params and result are any serde types.
#[derive(Debug, Clone)]
pub struct JsonRpcTransport {
    url: String,
    provider: RootProvider,
}

impl JsonRpcTransport {
    /// A transport for `url` with the [`Endpoint`] defaults.
    ///
    /// # Errors
    ///
    /// [`RpcError::InvalidUrl`] unless `url` is `http://…` or `https://…`.
    pub fn new(url: &str) -> Result<Self, RpcError> {
        Self::connect(&Endpoint::new(url)?)
    }

    /// A transport for `url` whose requests fail after `timeout`.
    ///
    /// # Errors
    ///
    /// As [`JsonRpcTransport::new`].
    pub fn with_timeout(url: &str, timeout: Duration) -> Result<Self, RpcError> {
        Self::connect(&Endpoint::new(url)?.with_timeout(timeout))
    }

    /// A transport for a configured endpoint (headers, CA certificates, retries, timeout).
    ///
    /// # Errors
    ///
    /// [`RpcError::InvalidSetting`] when the HTTP client cannot be built.
    pub fn connect(endpoint: &Endpoint) -> Result<Self, RpcError> {
        Ok(Self {
            url: endpoint.url().to_owned(),
            provider: endpoint.provider()?,
        })
    }

    /// The endpoint URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// alloy's provider underneath (every `Provider` method works on it).
    pub fn provider(&self) -> &RootProvider {
        &self.provider
    }

    /// Calls `method` with `params` (a JSON array) and reads the result as `R`.
    ///
    /// A `null` result reads as `R` only when `R` accepts null (e.g. `Option<T>`).
    ///
    /// # Errors
    ///
    /// [`RpcError::JsonRpc`] with the endpoint's error object; [`RpcError::Transport`],
    /// [`RpcError::RequestTimeout`], [`RpcError::Http`], [`RpcError::RetriesExhausted`],
    /// [`RpcError::UntrustedCertificate`] or [`RpcError::InvalidResponse`] otherwise.
    pub async fn request<P: Serialize, R: DeserializeOwned>(
        &self,
        method: &str,
        params: P,
    ) -> Result<R, RpcError> {
        let params = serde_json::to_value(params).map_err(|error| RpcError::InvalidRequest {
            method: method.to_owned(),
            reason: error.to_string(),
        })?;
        // The result comes back as JSON and is read here, so any `DeserializeOwned` works
        // (alloy's typed requests also want `Debug + Send + Sync + Unpin`).
        let result: Value = self
            .provider
            .raw_request(method.to_owned().into(), params)
            .await
            .map_err(|error| RpcError::from_transport(method, error))?;
        serde_json::from_value(result.clone()).map_err(|error| RpcError::InvalidResponse {
            method: method.to_owned(),
            reason: format!("{error} in {}", excerpt(&result.to_string())),
        })
    }
}
