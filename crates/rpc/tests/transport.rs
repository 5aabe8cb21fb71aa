//! The transport against local endpoints: https with a test CA (trusted and not), the
//! per-request timeout, bounded retries, methods that must not be resent, extra headers,
//! and the bundler API on a plain alloy provider.

#[path = "support/json_rpc_server.rs"]
mod json_rpc_server;

use json_rpc_server::{JsonRpcServer, Reply, TestCa};
use leash_rpc::{BundlerApi, BundlerClient, Endpoint, NodeClient, RpcError};
use leash_userop::RpcUserOperation;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A backoff short enough to keep retry tests fast.
const FAST_BACKOFF: Duration = Duration::from_millis(10);

/// Answers `eth_chainId` with anvil's 31337 and anything else with `[]`.
fn chain_31337(_: usize, request: &Value) -> Reply {
    match request["method"].as_str() {
        Some("eth_chainId") => Reply::result(&request["id"], json!("0x7a69")),
        _ => Reply::result(&request["id"], json!([])),
    }
}

fn user_operation() -> RpcUserOperation {
    RpcUserOperation::from_json(
        &json!({
            "sender": "0x1111111111111111111111111111111111111111",
            "nonce": "0x0",
            "callData": "0x",
            "callGasLimit": "0x1",
            "verificationGasLimit": "0x1",
            "preVerificationGas": "0x1",
            "maxFeePerGas": "0x1",
            "maxPriorityFeePerGas": "0x1",
            "signature": "0x"
        })
        .to_string(),
    )
    .expect("a well-formed op")
}

#[tokio::test]
async fn https_is_reached_when_the_test_ca_is_trusted() {
    let ca = TestCa::generate();
    let server = JsonRpcServer::https(&ca, chain_31337);
    assert!(server.url.starts_with("https://"));
    let endpoint = Endpoint::new(&server.url)
        .unwrap()
        .with_ca_cert_pem(ca.ca_pem.as_bytes())
        .unwrap();
    let node = NodeClient::connect(&endpoint).unwrap();
    assert_eq!(node.chain_id().await.unwrap(), 31337);
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn https_with_an_untrusted_ca_is_refused_with_a_hint() {
    let ca = TestCa::generate();
    let server = JsonRpcServer::https(&ca, chain_31337);
    let node = NodeClient::new(&server.url).unwrap();
    let error = node.chain_id().await.unwrap_err();
    assert!(
        matches!(error, RpcError::UntrustedCertificate { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("not trusted"), "{message}");
    assert!(message.contains("--rpc-ca-cert"), "{message}");
    assert_eq!(
        server.hits(),
        0,
        "no request may pass an untrusted handshake"
    );
}

#[tokio::test]
async fn a_slow_answer_times_out_and_says_so() {
    let server = JsonRpcServer::http(|_, request| {
        Reply::result(&request["id"], json!("0x7a69")).after(Duration::from_secs(3))
    });
    let endpoint = Endpoint::new(&server.url)
        .unwrap()
        .with_timeout(Duration::from_millis(200));
    let node = NodeClient::connect(&endpoint).unwrap();
    let started = Instant::now();
    let error = node.chain_id().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    match &error {
        RpcError::RequestTimeout {
            method, timeout, ..
        } => {
            assert_eq!(method, "eth_chainId");
            assert_eq!(*timeout, Duration::from_millis(200));
        }
        other => panic!("not a request timeout: {other:?}"),
    }
    let message = error.to_string();
    assert!(message.contains("no answer within 200ms"), "{message}");
    assert_eq!(server.hits(), 1, "a timeout is not retried");
}

#[tokio::test]
async fn http_429_is_retried_until_it_succeeds() {
    let server = JsonRpcServer::http(|index, request| {
        if index < 2 {
            Reply::status(429)
        } else {
            chain_31337(index, request)
        }
    });
    let endpoint = Endpoint::new(&server.url)
        .unwrap()
        .with_retries(3, FAST_BACKOFF);
    let node = NodeClient::connect(&endpoint).unwrap();
    assert_eq!(node.chain_id().await.unwrap(), 31337);
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn a_json_rpc_rate_limit_error_is_retried() {
    let server = JsonRpcServer::http(|index, request| {
        if index == 0 {
            Reply {
                status: 200,
                body: json!({"jsonrpc": "2.0", "id": request["id"],
                    "error": {"code": -32005, "message": "limit exceeded"}})
                .to_string(),
                delay: Duration::ZERO,
            }
        } else {
            chain_31337(index, request)
        }
    });
    let endpoint = Endpoint::new(&server.url)
        .unwrap()
        .with_retries(2, FAST_BACKOFF);
    let node = NodeClient::connect(&endpoint).unwrap();
    assert_eq!(node.chain_id().await.unwrap(), 31337);
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn retries_are_bounded() {
    let server = JsonRpcServer::http(|_, _| Reply::status(429));
    let endpoint = Endpoint::new(&server.url)
        .unwrap()
        .with_retries(2, FAST_BACKOFF);
    let node = NodeClient::connect(&endpoint).unwrap();
    let error = node.chain_id().await.unwrap_err();
    match &error {
        RpcError::RetriesExhausted { attempts, last, .. } => {
            assert_eq!(*attempts, 3);
            assert!(
                matches!(**last, RpcError::Http { status: 429, .. }),
                "{last:?}"
            );
        }
        other => panic!("not RetriesExhausted: {other:?}"),
    }
    assert!(error.to_string().contains("after 3 attempts"), "{error}");
    assert_eq!(server.hits(), 3, "one request and two retries");
}

#[tokio::test]
async fn sends_are_not_resent_after_a_gateway_error_reads_are() {
    let server = JsonRpcServer::http(|_, _| Reply::status(503));
    let endpoint = Endpoint::new(&server.url)
        .unwrap()
        .with_retries(2, FAST_BACKOFF);
    let bundler = BundlerClient::connect(&endpoint).unwrap();
    let sent = bundler
        .send_user_operation(&user_operation(), leash_userop::ENTRY_POINT_V07)
        .await
        .unwrap_err();
    assert!(
        matches!(sent, RpcError::Http { status: 503, .. }),
        "{sent:?}"
    );
    assert_eq!(server.hits(), 1, "eth_sendUserOperation went out once");

    let read = bundler.supported_entry_points().await.unwrap_err();
    assert!(
        matches!(read, RpcError::RetriesExhausted { attempts: 3, .. }),
        "{read:?}"
    );
    assert_eq!(server.hits(), 4, "the read was retried twice");
}

#[tokio::test]
async fn extra_headers_reach_the_server() {
    let server = JsonRpcServer::http(chain_31337);
    let endpoint = Endpoint::new(&server.url)
        .unwrap()
        .with_header_line("X-Api-Key: k-123")
        .unwrap()
        .with_header_line("Authorization: Bearer t-456")
        .unwrap();
    let bundler = BundlerClient::connect(&endpoint).unwrap();
    bundler.supported_entry_points().await.unwrap();
    let node = NodeClient::connect(&endpoint).unwrap();
    node.chain_id().await.unwrap();
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    for request in &seen {
        assert_eq!(
            request.header("x-api-key"),
            Some("k-123"),
            "{}",
            request.method()
        );
        assert_eq!(request.header("authorization"), Some("Bearer t-456"));
    }
}

#[tokio::test]
async fn the_bundler_api_extends_any_alloy_provider() {
    let server = JsonRpcServer::http(|_, request| {
        Reply::result(
            &request["id"],
            json!(["0x0000000071727De22E5E9d8BAf0edAc6f37da032"]),
        )
    });
    // A provider built by alloy alone, without leash's endpoint settings.
    let provider = alloy::providers::RootProvider::<alloy::network::Ethereum>::new_http(
        server.url.parse().unwrap(),
    );
    let served = provider.supported_entry_points().await.unwrap();
    assert_eq!(served, vec![leash_userop::ENTRY_POINT_V07]);
    assert_eq!(server.seen()[0].method(), "eth_supportedEntryPoints");
}
