//! leash against viem (the TypeScript client most wallets use) on an EIP-7702 user operation:
//! viem signs the authorization and formats the bundler JSON (`formatUserOperationRequest`),
//! leash parses it field by field, writes the same JSON, signs the same authorization, computes
//! the same v0.8 userOpHash and recovers the same authority.
//!
//! Runs `node` on `tests/viem/eip7702_op.mjs` with viem from the workspace's `node_modules`
//! (`npm ci`). Without `node` or without viem it prints one line saying so and passes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use alloy::primitives::{address, Address, Bytes, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use leash_userop::eip7702::{recover_authority, sign_authorization};
use leash_userop::{
    EntryPointVersion, RpcEip7702Auth, RpcUserOperation, UserOperation, EIP7702_INIT_CODE_MARKER,
};
use serde_json::{json, Value};

const KEY: [u8; 32] = [0x42; 32];
const DELEGATE: Address = address!("0x5FbDB2315678afecb367f032d93F642f64180aa3");
const PAYMASTER: Address = address!("0x2222222222222222222222222222222222222222");
const CHAIN_ID: u64 = 31_337;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Why viem can't run here, if it can't.
fn viem_missing() -> Option<String> {
    if Command::new("node").arg("--version").output().is_err() {
        return Some("`node` is not on PATH".to_owned());
    }
    let viem = workspace_root().join("node_modules/viem/package.json");
    if !viem.exists() {
        return Some(format!("{} is missing (run `npm ci`)", viem.display()));
    }
    None
}

/// Writes past the test harness's capture, so the skip shows in a normal `cargo test`.
fn skip(test: &str, why: &str) {
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// The op's fields as the script takes them (quantities as decimal strings).
fn op_input(factory: &str) -> Value {
    json!({
        "nonce": "123456789",
        "factory": factory,
        "factoryData": "0x",
        "callData": "0xe9ae5c530000000000000000000000000000000000000000000000000000000000000000",
        "callGasLimit": "100000",
        "verificationGasLimit": "300000",
        "preVerificationGas": "60000",
        "maxFeePerGas": "30000000000",
        "maxPriorityFeePerGas": "1000000000",
        "paymaster": PAYMASTER.to_checksum(None),
        "paymasterVerificationGasLimit": "50000",
        "paymasterPostOpGasLimit": "20000",
        "paymasterData": "0xc0ffee",
        "signature": "0x01ff",
    })
}

/// What viem produced for `factory` (`cases`: one authorization of each yParity).
fn run_viem(factory: &str) -> Value {
    let input = json!({
        "privateKey": format!("0x{}", "42".repeat(32)),
        "delegate": DELEGATE.to_checksum(None),
        "chainId": CHAIN_ID,
        "entryPoint": EntryPointVersion::V08.canonical_address().to_checksum(None),
        "op": op_input(factory),
    });
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/viem/eip7702_op.mjs");
    let output = Command::new("node")
        .arg(&script)
        .arg(input.to_string())
        .current_dir(workspace_root())
        .output()
        .expect("run node");
    assert!(
        output.status.success(),
        "node {} failed:\n{}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the script prints JSON")
}

/// The op leash builds from the same inputs, with the authorization leash signs itself.
fn leash_op(sender: Address, authorization_nonce: u64) -> UserOperation {
    let signer = PrivateKeySigner::from_slice(&KEY).unwrap();
    let authorization =
        sign_authorization(&signer, CHAIN_ID, DELEGATE, authorization_nonce).unwrap();
    let mut call_data = vec![0xe9, 0xae, 0x5c, 0x53];
    call_data.extend_from_slice(&[0; 32]);
    UserOperation::builder()
        .sender(sender)
        .nonce(123_456_789u64)
        .factory(EIP7702_INIT_CODE_MARKER)
        .call_data(call_data)
        .call_gas_limit(100_000)
        .verification_gas_limit(300_000)
        .pre_verification_gas(60_000)
        .max_fee_per_gas(30_000_000_000u64)
        .max_priority_fee_per_gas(1_000_000_000u64)
        .paymaster(PAYMASTER)
        .paymaster_verification_gas_limit(50_000)
        .paymaster_post_op_gas_limit(20_000)
        .paymaster_data(vec![0xc0, 0xff, 0xee])
        .signature(vec![0x01, 0xff])
        .eip7702_auth(authorization)
        .build()
        .unwrap()
}

#[test]
fn viem_eip7702_op_json_matches_leash() {
    if let Some(why) = viem_missing() {
        return skip("viem_eip7702_op_json_matches_leash", &why);
    }
    let viem = run_viem("0x7702");
    let signer = PrivateKeySigner::from_slice(&KEY).unwrap();
    let sender: Address = viem["sender"].as_str().unwrap().parse().unwrap();
    assert_eq!(sender, signer.address());
    let cases = viem["cases"].as_array().unwrap();
    let parities: Vec<u64> = cases
        .iter()
        .map(|case| case["authorization"]["yParity"].as_u64().unwrap())
        .collect();
    assert_eq!(parities.len(), 2);
    assert!(
        parities.contains(&0) && parities.contains(&1),
        "{parities:?}"
    );

    for case in cases {
        let request = &case["request"];
        let authorization_nonce = case["authorization"]["nonce"].as_u64().unwrap();

        // viem's JSON parses, field by field, into the op leash builds itself.
        let parsed: UserOperation = serde_json::from_value(request.clone()).unwrap();
        let expected = leash_op(sender, authorization_nonce);
        assert_eq!(parsed.sender, expected.sender);
        assert_eq!(parsed.nonce, expected.nonce);
        assert_eq!(parsed.factory, Some(EIP7702_INIT_CODE_MARKER));
        assert_eq!(parsed.factory_data, Bytes::new());
        assert_eq!(parsed.call_data, expected.call_data);
        assert_eq!(parsed.call_gas_limit, 100_000);
        assert_eq!(parsed.verification_gas_limit, 300_000);
        assert_eq!(parsed.pre_verification_gas, U256::from(60_000));
        assert_eq!(parsed.max_fee_per_gas, 30_000_000_000);
        assert_eq!(parsed.max_priority_fee_per_gas, 1_000_000_000);
        assert_eq!(parsed.paymaster, Some(PAYMASTER));
        assert_eq!(parsed.paymaster_verification_gas_limit, 50_000);
        assert_eq!(parsed.paymaster_post_op_gas_limit, 20_000);
        assert_eq!(parsed.paymaster_data, Bytes::from(vec![0xc0, 0xff, 0xee]));
        assert_eq!(parsed.signature, Bytes::from(vec![0x01, 0xff]));
        let auth = parsed.eip7702_auth.as_ref().expect("eip7702Auth parsed");
        let theirs = &case["authorization"];
        assert_eq!(auth.address, DELEGATE);
        assert_eq!(auth.chain_id, U256::from(CHAIN_ID));
        assert_eq!(auth.nonce, authorization_nonce);
        assert_eq!(
            auth.r(),
            theirs["r"].as_str().unwrap().parse::<U256>().unwrap()
        );
        assert_eq!(
            auth.s(),
            theirs["s"].as_str().unwrap().parse::<U256>().unwrap()
        );
        assert_eq!(
            u64::from(auth.y_parity()),
            theirs["yParity"].as_u64().unwrap()
        );
        // The whole op, the authorization leash signs included (RFC 6979: same bytes).
        assert_eq!(parsed, expected);

        // leash writes viem's JSON exactly (string for string; object key order aside).
        assert_eq!(serde_json::to_value(&expected).unwrap(), *request);
        let auth_json: Value = serde_json::from_str(&RpcEip7702Auth::from(auth).to_json()).unwrap();
        assert_eq!(auth_json, request["eip7702Auth"]);
        let rpc = RpcUserOperation::from_json(&request.to_string()).unwrap();
        assert_eq!(RpcUserOperation::from(&expected), rpc);

        // The authorization viem signed recovers, in alloy, to the address viem recovers.
        let authority: Address = case["authority"].as_str().unwrap().parse().unwrap();
        assert_eq!(recover_authority(auth).unwrap(), authority);
        assert_eq!(authority, signer.address());

        // The userOpHash: viem's v0.8 hash puts the delegate in place of the marker, as leash.
        let hash: B256 = case["hash"].as_str().unwrap().parse().unwrap();
        let version = EntryPointVersion::V08;
        assert_eq!(
            parsed.hash(version, version.canonical_address(), CHAIN_ID),
            hash
        );
    }
}

#[test]
fn viem_full_marker_reads_as_the_marker() {
    // viem passes a full 20-byte marker through as given; leash reads it as the marker too (and
    // writes viem's short `0x7702`, the form its own 7702 accounts send and alto requires).
    if let Some(why) = viem_missing() {
        return skip("viem_full_marker_reads_as_the_marker", &why);
    }
    let viem = run_viem("0x7702000000000000000000000000000000000000");
    let sender: Address = viem["sender"].as_str().unwrap().parse().unwrap();
    for case in viem["cases"].as_array().unwrap() {
        let request = &case["request"];
        assert_eq!(
            request["factory"],
            "0x7702000000000000000000000000000000000000"
        );
        let parsed: UserOperation = serde_json::from_value(request.clone()).unwrap();
        let nonce = case["authorization"]["nonce"].as_u64().unwrap();
        assert_eq!(parsed, leash_op(sender, nonce));
        let hash: B256 = case["hash"].as_str().unwrap().parse().unwrap();
        let version = EntryPointVersion::V08;
        assert_eq!(
            parsed.hash(version, version.canonical_address(), CHAIN_ID),
            hash
        );
        let written = serde_json::to_value(&parsed).unwrap();
        assert_eq!(written["factory"], "0x7702");
    }
}
