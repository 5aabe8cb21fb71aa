//! alloy's transport errors as leash's [`RpcError`], so callers keep matching one error type
//! (a JSON-RPC error object keeps its `data`, where revert bytes live).

use crate::layers::{RetriesExhausted, TimedOut};
use crate::{JsonRpcError, RpcError};
use alloy::rpc::json_rpc::ErrorPayload;
use alloy::transports::{TransportError, TransportErrorKind};
use serde_json::Value;

/// The most characters of an unexpected body kept in an error.
const BODY_EXCERPT_CHARS: usize = 300;

/// What a URL-less error says where it went.
const UNKNOWN_ENDPOINT: &str = "the endpoint";

impl RpcError {
    /// The error of `method` as alloy's transport stack reported it.
    pub fn from_transport(method: &str, error: TransportError) -> Self {
        let method = method.to_owned();
        match error {
            TransportError::ErrorResp(payload) => Self::JsonRpc {
                method,
                error: payload.into(),
            },
            TransportError::NullResp => Self::InvalidResponse {
                method,
                reason: "a null result where a value was expected".to_owned(),
            },
            TransportError::SerError(error) => Self::InvalidRequest {
                method,
                reason: error.to_string(),
            },
            TransportError::DeserError { err, text } => Self::InvalidResponse {
                method,
                reason: format!("not a JSON-RPC response ({err}): {}", excerpt(&text)),
            },
            TransportError::UnsupportedFeature(feature) => Self::InvalidRequest {
                method,
                reason: format!("unsupported feature: {feature}"),
            },
            TransportError::LocalUsageError(error) => Self::InvalidRequest {
                method,
                reason: describe(error.as_ref()),
            },
            TransportError::Transport(kind) => from_kind(method, kind),
        }
    }
}

fn from_kind(method: String, kind: TransportErrorKind) -> RpcError {
    match kind {
        TransportErrorKind::HttpError(http)
        | TransportErrorKind::HttpErrorWithRetryAfter { error: http, .. } => RpcError::Http {
            method,
            status: http.status,
            body: excerpt(&http.body),
        },
        TransportErrorKind::Custom(custom) => from_custom(method, custom),
        other => RpcError::Transport {
            method,
            url: UNKNOWN_ENDPOINT.to_owned(),
            reason: describe(&other),
        },
    }
}

fn from_custom(method: String, custom: Box<dyn std::error::Error + Send + Sync>) -> RpcError {
    let custom = match custom.downcast::<RetriesExhausted>() {
        Ok(exhausted) => {
            let RetriesExhausted { attempts, last } = *exhausted;
            return RpcError::RetriesExhausted {
                last: Box::new(RpcError::from_transport(&method, last)),
                method,
                attempts,
            };
        }
        Err(other) => other,
    };
    if let Some(TimedOut { url, timeout }) = custom.downcast_ref::<TimedOut>() {
        return RpcError::RequestTimeout {
            method,
            url: url.clone(),
            timeout: *timeout,
        };
    }
    let url = custom
        .downcast_ref::<reqwest::Error>()
        .and_then(reqwest::Error::url)
        .map_or_else(|| UNKNOWN_ENDPOINT.to_owned(), shown);
    let reason = describe(custom.as_ref());
    if is_untrusted_certificate(&reason) {
        return RpcError::UntrustedCertificate {
            method,
            url,
            reason,
        };
    }
    RpcError::Transport {
        method,
        url,
        reason,
    }
}

/// `url` as a user writes it: the parser's `/` after a bare host is left out.
fn shown(url: &reqwest::Url) -> String {
    let text = url.as_str();
    if url.path() == "/" && url.query().is_none() && url.fragment().is_none() {
        text.trim_end_matches('/').to_owned()
    } else {
        text.to_owned()
    }
}

/// rustls' words for a server certificate that chains to no trusted root (rustls'
/// `Error` sits behind an `io::Error` in reqwest's chain, where it cannot be downcast to).
fn is_untrusted_certificate(reason: &str) -> bool {
    reason.contains("invalid peer certificate")
        && (reason.contains("UnknownIssuer") || reason.contains("BadSignature"))
}

impl From<ErrorPayload> for JsonRpcError {
    fn from(payload: ErrorPayload) -> Self {
        Self {
            code: payload.code,
            message: payload.message.into_owned(),
            data: payload
                .data
                .and_then(|raw| serde_json::from_str::<Value>(raw.get()).ok()),
        }
    }
}

/// The error and its sources on one line (reqwest hides "connection refused" in a source).
pub(crate) fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The start of `text`, cut at [`BODY_EXCERPT_CHARS`] characters.
pub(crate) fn excerpt(text: &str) -> String {
    let mut short: String = text.chars().take(BODY_EXCERPT_CHARS).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn long_bodies_are_cut() {
        let long = "x".repeat(1000);
        let short = excerpt(&long);
        assert_eq!(short.chars().count(), BODY_EXCERPT_CHARS + 1);
        assert_eq!(excerpt("short"), "short");
    }

    #[test]
    fn error_objects_keep_their_data() {
        let payload: ErrorPayload = serde_json::from_str(
            r#"{"code": 3, "message": "execution reverted", "data": "0x1234"}"#,
        )
        .unwrap();
        let error = RpcError::from_transport("eth_call", TransportError::ErrorResp(payload));
        let object = error.json_rpc().expect("a JSON-RPC error");
        assert_eq!(object.code, 3);
        assert_eq!(object.data, Some(Value::from("0x1234")));
    }

    #[test]
    fn layer_errors_become_their_own_variants() {
        let timed_out = TransportErrorKind::custom(TimedOut {
            url: "http://127.0.0.1:1".to_owned(),
            timeout: Duration::from_millis(5),
        });
        assert!(matches!(
            RpcError::from_transport("eth_chainId", timed_out),
            RpcError::RequestTimeout { .. }
        ));
        let exhausted = TransportErrorKind::custom(RetriesExhausted {
            attempts: 4,
            last: TransportErrorKind::http_error(429, "slow down".to_owned()),
        });
        let error = RpcError::from_transport("eth_chainId", exhausted);
        match &error {
            RpcError::RetriesExhausted { attempts, last, .. } => {
                assert_eq!(*attempts, 4);
                assert!(matches!(**last, RpcError::Http { status: 429, .. }));
            }
            other => panic!("not RetriesExhausted: {other:?}"),
        }
        assert!(error.to_string().contains("after 4 attempts"), "{error}");
    }
}
