//! How `leash` reaches endpoints: https with a test CA (refused until the CA is trusted),
//! `ETH_RPC_URL` as the `--rpc-url` fallback, extra headers, the request timeout, and bad
//! connection flags. The TLS endpoint is a small proxy in front of a real anvil.

mod common;

#[path = "../../rpc/tests/support/json_rpc_server.rs"]
mod json_rpc_server;

use common::anvil::{start_anvil, DEV_ACCOUNT};
use common::{path, Env};
use json_rpc_server::{JsonRpcServer, Reply, TestCa};
use serde_json::json;
use std::time::Duration;

#[test]
fn deploy_over_https_needs_the_test_ca_and_reads_eth_rpc_url() {
    let Some(anvil) = start_anvil() else { return };
    let ca = TestCa::generate();
    let tls = JsonRpcServer::proxy(Some(&ca), &anvil.url);
    let env = Env::new();

    let refused = env.run(&["deploy", "--rpc-url", &tls.url, "--unlocked", DEV_ACCOUNT]);
    refused.expect_code(1);
    assert!(refused.stderr.contains("not trusted"), "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("hint: trust the endpoint's CA with --rpc-ca-cert FILE"),
        "{}",
        refused.stderr
    );
    assert_eq!(tls.hits(), 0);

    let ca_file = env.file("ca.pem", &ca.ca_pem);
    let deployed = env.run_with_env(
        &[
            "deploy",
            "--unlocked",
            DEV_ACCOUNT,
            "--rpc-ca-cert",
            path(&ca_file),
        ],
        &[("ETH_RPC_URL", &tls.url)],
    );
    deployed.expect_code(0);
    assert!(
        deployed
            .stdout
            .starts_with("SessionKeyValidator deployed at "),
        "{}",
        deployed.stdout
    );
    assert!(
        tls.hits() > 0,
        "the deployment went through the https endpoint"
    );
}

#[test]
fn rpc_headers_reach_the_node_on_every_request() {
    let Some(anvil) = start_anvil() else { return };
    let proxy = JsonRpcServer::proxy(None, &anvil.url);
    let env = Env::new();
    let run = env.run(&[
        "deploy",
        "--rpc-url",
        &proxy.url,
        "--unlocked",
        DEV_ACCOUNT,
        "--rpc-header",
        "x-api-key: k-123",
        "--rpc-header",
        "Authorization: Bearer t-456",
    ]);
    run.expect_code(0);
    let seen = proxy.seen();
    assert!(seen.len() >= 3, "{} requests", seen.len());
    for request in seen {
        assert_eq!(
            request.header("x-api-key"),
            Some("k-123"),
            "{}",
            request.method()
        );
        assert_eq!(request.header("authorization"), Some("Bearer t-456"));
    }
}

#[test]
fn a_silent_node_times_out_with_a_hint() {
    let server = JsonRpcServer::http(|_, request| {
        Reply::result(&request["id"], json!("0x7a69")).after(Duration::from_secs(4))
    });
    let env = Env::new();
    let run = env.run_with_env(
        &[
            "deploy",
            "--rpc-url",
            &server.url,
            "--unlocked",
            DEV_ACCOUNT,
        ],
        &[("ETH_RPC_TIMEOUT", "1")],
    );
    run.expect_code(1);
    assert!(run.stderr.contains("no answer within 1s"), "{}", run.stderr);
    assert!(run.stderr.contains("--rpc-timeout SECS"), "{}", run.stderr);
}

#[test]
fn bad_connection_flags_are_usage_errors() {
    let env = Env::new();
    let header = env.run(&[
        "deploy",
        "--rpc-url",
        "http://127.0.0.1:9",
        "--unlocked",
        DEV_ACCOUNT,
        "--rpc-header",
        "no colon here",
    ]);
    header.expect_code(2);
    assert!(header.stderr.contains("Name: value"), "{}", header.stderr);

    let missing_ca = env.run(&[
        "deploy",
        "--rpc-url",
        "https://127.0.0.1:9",
        "--unlocked",
        DEV_ACCOUNT,
        "--rpc-ca-cert",
        "/nonexistent/ca.pem",
    ]);
    missing_ca.expect_code(2);
    assert!(
        missing_ca.stderr.contains("/nonexistent/ca.pem"),
        "{}",
        missing_ca.stderr
    );

    let scheme = env.run(&[
        "deploy",
        "--rpc-url",
        "ws://127.0.0.1:9",
        "--unlocked",
        DEV_ACCOUNT,
    ]);
    scheme.expect_code(2);
    assert!(scheme.stderr.contains("http or https"), "{}", scheme.stderr);
}
