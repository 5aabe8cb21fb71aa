//! One JSON-RPC 2.0 endpoint over HTTP.

use crate::{JsonRpcError, RpcError};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::Value;
use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

/// How long one request may take before it fails with [`RpcError::Transport`].
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The most characters of an unexpected body kept in an error.
const BODY_EXCERPT_CHARS: usize = 300;

/// A JSON-RPC 2.0 endpoint reached over HTTP POST, one request per call.
#[derive(Debug)]
pub struct JsonRpcTransport {
    url: String,
    http: reqwest::Client,
    next_id: AtomicU64,
}

#[derive(Serialize)]
struct Request<'a, P> {
    jsonrpc: &'static str,
    id: u64,
    method: &'a str,
    params: P,
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    error: Option<JsonRpcError>,
}

impl JsonRpcTransport {
    /// A transport for `url` with [`DEFAULT_REQUEST_TIMEOUT`].
    ///
    /// # Errors
    ///
    /// [`RpcError::InvalidUrl`] unless `url` is `http://…` (or `https://…` with the `tls`
    /// feature).
    pub fn new(url: &str) -> Result<Self, RpcError> {
        Self::with_timeout(url, DEFAULT_REQUEST_TIMEOUT)
    }

    /// A transport for `url` whose requests fail after `timeout`.
    ///
    /// # Errors
    ///
    /// As [`JsonRpcTransport::new`].
    pub fn with_timeout(url: &str, timeout: Duration) -> Result<Self, RpcError> {
        check_url(url)?;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|error| RpcError::InvalidUrl {
                url: url.to_owned(),
                reason: error.to_string(),
            })?;
        Ok(Self {
            url: url.to_owned(),
            http,
            next_id: AtomicU64::new(1),
        })
    }

    /// The endpoint URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Calls `method` with `params` (a JSON array) and reads the result as `R`.
    ///
    /// A `null` result reads as `R` only when `R` accepts null (e.g. `Option<T>`).
    ///
    /// # Errors
    ///
    /// [`RpcError::JsonRpc`] with the endpoint's error object; [`RpcError::Transport`],
    /// [`RpcError::Http`] or [`RpcError::InvalidResponse`] otherwise.
    pub async fn request<P: Serialize, R: DeserializeOwned>(
        &self,
        method: &str,
        params: P,
    ) -> Result<R, RpcError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let request = Request {
            jsonrpc: "2.0",
            id,
            method,
            params,
        };
        let transport_error = |error: reqwest::Error| RpcError::Transport {
            method: method.to_owned(),
            url: self.url.clone(),
            reason: describe(&error),
        };
        let response = self
            .http
            .post(&self.url)
            .json(&request)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let body = response.text().await.map_err(transport_error)?;
        let parsed: Response = match serde_json::from_str(&body) {
            Ok(parsed) => parsed,
            Err(_) if !status.is_success() => {
                return Err(RpcError::Http {
                    method: method.to_owned(),
                    status: status.as_u16(),
                    body: excerpt(&body),
                })
            }
            Err(error) => {
                return Err(RpcError::InvalidResponse {
                    method: method.to_owned(),
                    reason: format!("not a JSON-RPC response ({error}): {}", excerpt(&body)),
                })
            }
        };
        if let Some(error) = parsed.error {
            return Err(RpcError::JsonRpc {
                method: method.to_owned(),
                error,
            });
        }
        let result = parsed.result.unwrap_or(Value::Null);
        serde_json::from_value(result.clone()).map_err(|error| RpcError::InvalidResponse {
            method: method.to_owned(),
            reason: format!("{error} in {}", excerpt(&result.to_string())),
        })
    }
}

fn check_url(url: &str) -> Result<(), RpcError> {
    let invalid = |reason: &str| RpcError::InvalidUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let parsed = reqwest::Url::parse(url).map_err(|error| invalid(&error.to_string()))?;
    match parsed.scheme() {
        "http" => Ok(()),
        "https" if cfg!(feature = "tls") => Ok(()),
        "https" => Err(invalid("https needs leash-rpc's `tls` feature")),
        other => Err(invalid(&format!("scheme `{other}` is not http"))),
    }?;
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    Ok(())
}

/// The error and its sources on one line (reqwest hides "connection refused" in a source).
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn excerpt(text: &str) -> String {
    let mut short: String = text.chars().take(BODY_EXCERPT_CHARS).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(JsonRpcTransport::new("http://127.0.0.1:8545").is_ok());
        for bad in [
            "127.0.0.1:8545",
            "ws://127.0.0.1:8545",
            "http://",
            "",
            "file:///etc/passwd",
        ] {
            assert!(
                matches!(JsonRpcTransport::new(bad), Err(RpcError::InvalidUrl { .. })),
                "{bad} accepted"
            );
        }
        let https = JsonRpcTransport::new("https://rpc.example");
        assert_eq!(https.is_ok(), cfg!(feature = "tls"));
    }

    #[test]
    fn long_bodies_are_cut() {
        let long = "x".repeat(1000);
        let short = excerpt(&long);
        assert_eq!(short.chars().count(), BODY_EXCERPT_CHARS + 1);
        assert_eq!(excerpt("short"), "short");
    }
}
