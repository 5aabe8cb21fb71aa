//! The node client against a real anvil (node_modules/.bin/anvil, started per test on a free
//! port, killed when the guard drops). Skipped, with a message, only when node_modules is
//! missing (run `make setup`).

use alloy::{
    json_abi::JsonAbi,
    primitives::{address, b256, Address, Bytes, B256, U256},
    sol,
    sol_types::SolError,
};
use leash_rpc::{decode_revert, revert_data, CallRequest, NodeClient, RpcError};
use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// anvil's first dev account (unlocked, 10000 ETH).
const DEV_ACCOUNT: Address = address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
const WAIT: Duration = Duration::from_secs(20);

/// Runtime that reverts with its calldata: CALLDATASIZE PUSH0 PUSH0 CALLDATACOPY CALLDATASIZE PUSH0 REVERT.
const ECHO_REVERT_RUNTIME: [u8; 7] = [0x36, 0x5f, 0x5f, 0x37, 0x36, 0x5f, 0xfd];
/// Runtime that returns its calldata (same with RETURN).
const ECHO_RETURN_RUNTIME: [u8; 7] = [0x36, 0x5f, 0x5f, 0x37, 0x36, 0x5f, 0xf3];

sol! {
    error TokenAllowanceExceeded(bytes32 sessionId, address token, uint256 asked, uint256 left);
    error FailedOpWithRevert(uint256 opIndex, string reason, bytes inner);
}

/// A running anvil, killed on drop.
struct Anvil {
    child: Child,
    url: String,
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn anvil_binary() -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../node_modules/.bin/anvil");
    path.exists().then_some(path)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind a free port")
        .local_addr()
        .unwrap()
        .port()
}

/// Starts anvil and waits (bounded) until it answers; `None` when node_modules is missing.
async fn start_anvil() -> Option<(Anvil, NodeClient)> {
    let Some(binary) = anvil_binary() else {
        eprintln!("SKIPPED: node_modules/.bin/anvil is missing; run `make setup` (npm ci) first");
        return None;
    };
    let port = free_port();
    let child = Command::new(binary)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--chain-id",
            "31337",
            "--silent",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("anvil starts");
    let anvil = Anvil {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let node = NodeClient::new(&anvil.url).unwrap();
    let started = Instant::now();
    while node.chain_id().await.is_err() {
        assert!(
            started.elapsed() < WAIT,
            "anvil did not answer at {} within {WAIT:?}",
            anvil.url
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Some((anvil, node))
}

/// Init code that deploys `runtime` (at most 32 bytes): PUSHn runtime PUSH0 MSTORE PUSH1 n PUSH1 32-n RETURN.
fn init_code_for(runtime: &[u8]) -> Bytes {
    assert!(!runtime.is_empty() && runtime.len() <= 32);
    let n = runtime.len() as u8;
    let mut code = vec![0x5f + n];
    code.extend_from_slice(runtime);
    code.extend_from_slice(&[0x5f, 0x52, 0x60, n, 0x60, 32 - n, 0xf3]);
    code.into()
}

async fn deploy(node: &NodeClient, runtime: &[u8]) -> Address {
    let request = CallRequest::create(init_code_for(runtime)).from(DEV_ACCOUNT);
    let receipt = node
        .send_and_confirm(&request, WAIT)
        .await
        .expect("deployment mined");
    let deployed = receipt
        .contract_address
        .expect("a creation receipt names the contract");
    assert_eq!(
        node.get_code(deployed).await.unwrap(),
        Bytes::copy_from_slice(runtime)
    );
    deployed
}

#[tokio::test]
async fn chain_state_reads() {
    let Some((_anvil, node)) = start_anvil().await else {
        return;
    };
    assert_eq!(node.chain_id().await.unwrap(), 31337);
    assert_eq!(node.block_number().await.unwrap(), 0);
    let ten_thousand_eth = U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18u64));
    assert_eq!(
        node.get_balance(DEV_ACCOUNT).await.unwrap(),
        ten_thousand_eth
    );
    assert_eq!(node.get_transaction_count(DEV_ACCOUNT).await.unwrap(), 0);
    assert!(node.get_code(DEV_ACCOUNT).await.unwrap().is_empty());
    let block = node.latest_block().await.unwrap();
    assert_eq!(block.number.to::<u64>(), 0);
    assert!(block.base_fee_per_gas.is_some_and(|fee| fee > U256::ZERO));
    assert!(node.gas_price().await.unwrap() > 0);
    assert!(node.max_priority_fee_per_gas().await.unwrap() > 0);
    // anvil has the deterministic-deployment proxy that deploy scripts rely on.
    let deployer = address!("0x4e59b44847b379578588920cA78FbF26c0B4956C");
    assert!(!node.get_code(deployer).await.unwrap().is_empty());
}

#[tokio::test]
async fn transactions_calls_and_receipts() {
    let Some((_anvil, node)) = start_anvil().await else {
        return;
    };
    let echo = deploy(&node, &ECHO_RETURN_RUNTIME).await;
    assert_eq!(node.get_transaction_count(DEV_ACCOUNT).await.unwrap(), 1);

    let input = Bytes::from_static(b"leash says hello");
    assert_eq!(
        node.call(&CallRequest::call(echo, input.clone()))
            .await
            .unwrap(),
        input
    );
    let gas = node
        .estimate_gas(&CallRequest::call(echo, input.clone()).from(DEV_ACCOUNT))
        .await;
    assert!(gas.unwrap() > 21_000);

    let value = U256::from(12_345u64);
    let request = CallRequest::call(echo, input)
        .from(DEV_ACCOUNT)
        .value(value);
    let receipt = node.send_and_confirm(&request, WAIT).await.unwrap();
    assert!(receipt.succeeded());
    assert_eq!(receipt.from, DEV_ACCOUNT);
    assert_eq!(receipt.to, Some(echo));
    assert!(receipt.gas_used.to::<u64>() > 21_000);
    assert_eq!(node.get_balance(echo).await.unwrap(), value);

    let fetched = node
        .get_transaction_receipt(receipt.transaction_hash)
        .await
        .unwrap();
    assert_eq!(fetched.as_ref(), Some(&receipt));
    let unknown = b256!("0x1111111111111111111111111111111111111111111111111111111111111111");
    assert_eq!(node.get_transaction_receipt(unknown).await.unwrap(), None);
    let timeout = node
        .wait_for_transaction(unknown, Duration::from_millis(300))
        .await;
    assert!(
        matches!(timeout, Err(RpcError::Timeout { .. })),
        "{timeout:?}"
    );
}

#[tokio::test]
async fn reverts_carry_decodable_data() {
    let Some((_anvil, node)) = start_anvil().await else {
        return;
    };
    let reverter = deploy(&node, &ECHO_REVERT_RUNTIME).await;
    let session_id = B256::repeat_byte(0xab);
    let token = address!("0x00000000000000000000000000000000000000aa");
    let custom = TokenAllowanceExceeded {
        sessionId: session_id,
        token,
        asked: U256::from(150u64),
        left: U256::from(100u64),
    }
    .abi_encode();

    let error = node
        .call(&CallRequest::call(reverter, custom.clone()))
        .await
        .unwrap_err();
    let rpc_error = error
        .json_rpc()
        .expect("a revert is a JSON-RPC error")
        .clone();
    let data = revert_data(&rpc_error).expect("the revert data is in the error");
    assert_eq!(data, Bytes::from(custom.clone()));

    let abi = JsonAbi::parse([
        "error TokenAllowanceExceeded(bytes32 sessionId, address token, uint256 asked, uint256 left)",
        "error FailedOpWithRevert(uint256 opIndex, string reason, bytes inner)",
    ])
    .unwrap();
    let expected = format!(
        "TokenAllowanceExceeded(sessionId: {session_id}, token: {}, asked: 150, left: 100)",
        token.to_checksum(None)
    );
    assert_eq!(
        decode_revert(&data, &[&abi]).as_deref(),
        Some(expected.as_str())
    );

    // The EntryPoint wraps a validation revert: the inner error is decoded too.
    let wrapped = FailedOpWithRevert {
        opIndex: U256::ZERO,
        reason: "AA23 reverted".into(),
        inner: custom.into(),
    }
    .abi_encode();
    let error = node
        .call(&CallRequest::call(reverter, wrapped))
        .await
        .unwrap_err();
    let data = revert_data(error.json_rpc().unwrap()).unwrap();
    assert_eq!(
        decode_revert(&data, &[&abi]).as_deref(),
        Some(
            format!("FailedOpWithRevert(opIndex: 0, reason: \"AA23 reverted\", inner: {expected})")
                .as_str()
        )
    );

    // A mined revert is reported as such.
    let request = CallRequest::call(reverter, Bytes::from_static(&[1, 2, 3, 4]))
        .from(DEV_ACCOUNT)
        .gas(100_000);
    let mined = node.send_and_confirm(&request, WAIT).await;
    assert!(
        matches!(mined, Err(RpcError::TransactionReverted { .. })),
        "{mined:?}"
    );
}

#[tokio::test]
async fn anvil_test_methods() {
    let Some((_anvil, node)) = start_anvil().await else {
        return;
    };
    let target = address!("0x0000000000000000000000000000000000001234");
    let code = Bytes::from_static(&ECHO_RETURN_RUNTIME);
    node.anvil_set_code(target, &code).await.unwrap();
    assert_eq!(node.get_code(target).await.unwrap(), code);

    let balance = U256::from(7u64);
    node.anvil_set_balance(target, balance).await.unwrap();
    assert_eq!(node.get_balance(target).await.unwrap(), balance);

    let before = node.latest_block().await.unwrap();
    let snapshot = node.snapshot().await.unwrap();
    node.increase_time(3_600).await.unwrap();
    node.mine().await.unwrap();
    let after = node.latest_block().await.unwrap();
    assert_eq!(after.number.to::<u64>(), before.number.to::<u64>() + 1);
    assert!(after.timestamp.to::<u64>() >= before.timestamp.to::<u64>() + 3_600);
    assert!(node.revert_to_snapshot(snapshot).await.unwrap());
    assert_eq!(
        node.block_number().await.unwrap(),
        before.number.to::<u64>()
    );

    // A locked account can send once impersonated (with code, it needs gas for its code too).
    let stranger = address!("0x000000000000000000000000000000000000bEEF");
    let pay = CallRequest::call(DEV_ACCOUNT, Bytes::new())
        .from(stranger)
        .value(U256::from(1u64));
    assert!(matches!(
        node.send_transaction(&pay).await,
        Err(RpcError::JsonRpc { .. })
    ));
    node.anvil_set_balance(stranger, U256::from(10u64).pow(U256::from(18u64)))
        .await
        .unwrap();
    node.impersonate_account(stranger).await.unwrap();
    let receipt = node.send_and_confirm(&pay, WAIT).await.unwrap();
    assert_eq!(receipt.from, stranger);

    let trace = node
        .debug_trace_call(
            &CallRequest::call(target, Bytes::from_static(b"ping")),
            serde_json::json!({ "tracer": "callTracer" }),
        )
        .await
        .unwrap();
    assert_eq!(trace["output"], serde_json::json!("0x70696e67"));
}

#[tokio::test]
async fn bad_requests_and_endpoints_are_errors() {
    let Some((anvil, node)) = start_anvil().await else {
        return;
    };
    let unsigned = node
        .send_transaction(&CallRequest::call(DEV_ACCOUNT, Bytes::new()))
        .await;
    assert!(
        matches!(unsigned, Err(RpcError::InvalidRequest { .. })),
        "{unsigned:?}"
    );

    let locked = address!("0x000000000000000000000000000000000000dEaD");
    let refused = node
        .send_transaction(&CallRequest::call(DEV_ACCOUNT, Bytes::new()).from(locked))
        .await;
    assert!(
        matches!(refused, Err(RpcError::JsonRpc { .. })),
        "{refused:?}"
    );

    let port = anvil.url.rsplit(':').next().unwrap().to_owned();
    drop(anvil);
    let gone = NodeClient::new(&format!("http://127.0.0.1:{port}"))
        .unwrap()
        .chain_id()
        .await;
    assert!(matches!(gone, Err(RpcError::Transport { .. })), "{gone:?}");
}
