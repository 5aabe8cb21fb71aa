//! JSON-RPC 2.0 envelopes and the errors `leash serve` answers with.
//!
//! Hand-written rather than taken from jsonrpsee: the service needs the HTTP status of each
//! failure (401, 429) next to the JSON-RPC error, a bearer key checked per request before any
//! method runs, and nothing else of a JSON-RPC framework (no subscriptions, no WebSocket).

use axum::http::StatusCode;
use serde_json::{json, Value};

/// Invalid JSON.
pub(crate) const PARSE_ERROR: i64 = -32700;
/// Not a JSON-RPC 2.0 request.
pub(crate) const INVALID_REQUEST: i64 = -32600;
/// Unknown method.
pub(crate) const METHOD_NOT_FOUND: i64 = -32601;
/// Bad parameters.
pub(crate) const INVALID_PARAMS: i64 = -32602;
/// The server failed.
pub(crate) const INTERNAL_ERROR: i64 = -32603;
/// No valid API key (leash's code; sent with HTTP 401).
pub(crate) const UNAUTHORIZED: i64 = -32001;
/// Not found: an unknown permission context or call id (EIP-1474 "resource not found").
pub(crate) const NOT_FOUND: i64 = -32002;
/// The op was refused: by the module (named reason in `data`), the bundler or because the
/// session is revoked or expired (EIP-1474 "transaction rejected").
pub(crate) const REJECTED: i64 = -32003;
/// Rate limit (EIP-1474 "limit exceeded"; sent with HTTP 429).
pub(crate) const LIMIT_EXCEEDED: i64 = -32005;
/// The key may not use this account or method (EIP-1193 "unauthorized").
pub(crate) const FORBIDDEN: i64 = 4100;
/// Unknown batch id (EIP-5792).
pub(crate) const UNKNOWN_BUNDLE: i64 = 5730;
/// The chain asked for is not the one this server serves (EIP-5792).
pub(crate) const UNSUPPORTED_CHAIN: i64 = 5710;

/// A JSON-RPC error with the HTTP status it travels with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    /// JSON-RPC error code.
    pub(crate) code: i64,
    /// What went wrong and how to fix it.
    pub(crate) message: String,
    /// Structured details (e.g. the module's reason).
    pub(crate) data: Option<Value>,
    /// HTTP status of the response.
    pub(crate) http: StatusCode,
}

impl Failure {
    /// A failure with HTTP 200 (JSON-RPC errors travel in a successful HTTP response).
    pub(crate) fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
            http: StatusCode::OK,
        }
    }

    /// Bad parameters.
    pub(crate) fn params(message: impl Into<String>) -> Self {
        Self::new(INVALID_PARAMS, message)
    }

    /// The key may not do this.
    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(FORBIDDEN, message)
    }

    /// No valid API key.
    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(UNAUTHORIZED, message).with_http(StatusCode::UNAUTHORIZED)
    }

    /// A refused op.
    pub(crate) fn rejected(message: impl Into<String>) -> Self {
        Self::new(REJECTED, message)
    }

    /// The server failed (store, node, bundler): the message says which.
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(INTERNAL_ERROR, message)
    }

    /// Adds structured details.
    pub(crate) fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// Sets the HTTP status.
    pub(crate) fn with_http(mut self, http: StatusCode) -> Self {
        self.http = http;
        self
    }

    /// The `error` member of a response.
    pub(crate) fn to_json(&self) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(data) = &self.data {
            error["data"] = data.clone();
        }
        error
    }
}

/// One parsed call of a request (a request body is one call or a batch of them).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Call {
    /// The request id (`null` for a notification-like call; answered anyway).
    pub(crate) id: Value,
    /// The method name.
    pub(crate) method: String,
    /// The params as sent (array, object or absent = `null`).
    pub(crate) params: Value,
}

/// Reads one call object, or the failure to answer with (and the id, when it was readable).
pub(crate) fn parse_call(value: &Value) -> Result<Call, (Value, Failure)> {
    let id = value.get("id").cloned().unwrap_or(Value::Null);
    let invalid = |message: &str| (id.clone(), Failure::new(INVALID_REQUEST, message));
    let object = value
        .as_object()
        .ok_or_else(|| invalid("a JSON-RPC request is an object: {\"jsonrpc\":\"2.0\",\"id\":1,\"method\":…,\"params\":[…]}"))?;
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(invalid("\"jsonrpc\" must be \"2.0\""));
    }
    let method = object
        .get("method")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("\"method\" must be a string"))?
        .to_owned();
    let params = object.get("params").cloned().unwrap_or(Value::Null);
    if !(params.is_array() || params.is_object() || params.is_null()) {
        return Err(invalid("\"params\" must be an array or an object"));
    }
    Ok(Call { id, method, params })
}

/// A response carrying `result` (its addresses checksummed, as every leash JSON output).
pub(crate) fn success(id: Value, mut result: Value) -> Value {
    crate::output::checksum_addresses(&mut result);
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

/// A response carrying `failure`.
pub(crate) fn error(id: Value, failure: &Failure) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": failure.to_json() })
}

/// The first positional parameter (or the params object itself), which every method of
/// `leash serve` takes.
pub(crate) fn first_param<'a>(params: &'a Value, method: &str) -> Result<&'a Value, Failure> {
    match params {
        Value::Array(items) => items.first(),
        Value::Object(_) => Some(params),
        _ => None,
    }
    .ok_or_else(|| Failure::params(format!("{method} takes one parameter: params [ {{…}} ]")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_needs_version_and_method() {
        let bad = parse_call(&json!({"id": 7, "method": "x"})).unwrap_err();
        assert_eq!(bad.0, json!(7));
        assert_eq!(bad.1.code, INVALID_REQUEST);
        let call = parse_call(&json!({"jsonrpc": "2.0", "id": "a", "method": "m", "params": [1]}))
            .unwrap();
        assert_eq!(call.method, "m");
        assert_eq!(call.params, json!([1]));
        let bad = parse_call(&json!({"jsonrpc": "2.0", "id": 1, "method": "m", "params": 3}))
            .unwrap_err();
        assert!(bad.1.message.contains("params"));
    }

    #[test]
    fn failures_carry_their_http_status() {
        let failure = Failure::unauthorized("no key");
        assert_eq!(failure.http, StatusCode::UNAUTHORIZED);
        assert_eq!(
            failure.to_json(),
            json!({"code": UNAUTHORIZED, "message": "no key"})
        );
        let failure = Failure::rejected("over").with_data(json!({"reason": "X"}));
        assert_eq!(failure.to_json()["data"]["reason"], "X");
    }
}
