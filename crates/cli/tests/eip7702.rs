//! EIP-7702 session ops through the real binary: `--account-kind eip7702`, an authorization
//! signed from `--eip7702-delegate` + `--owner-key-env` or read from `--eip7702-auth FILE`, and
//! the refusal of an op whose initCode is the marker followed by data.

mod common;

use alloy::primitives::{address, Address};
use alloy::primitives::{Bytes, Signature, B256};
use alloy::signers::local::PrivateKeySigner;
use common::anvil::{deploy_module, start_anvil};
use common::{path, Env, MODULE, PERMISSIONS, TOKEN};
use leash_userop::eip7702::{recover_authority, sign_authorization};
use leash_userop::{EntryPointVersion, RpcEip7702Auth, UserOperation, EIP7702_INIT_CODE_MARKER};

const EOA_KEY: &str = "0x7777777777777777777777777777777777777777777777777777777777777777";
const OTHER_KEY: &str = "0x8888888888888888888888888888888888888888888888888888888888888888";
const DELEGATE: Address = address!("0x5FbDB2315678afecb367f032d93F642f64180aa3");
const CHAIN_ID: u64 = 8453;

fn eoa() -> PrivateKeySigner {
    EOA_KEY.parse().unwrap()
}

/// A session of the EOA on `entry_point` (chain 8453, the test module); returns its local id.
fn create(env: &Env, entry_point: &str) -> String {
    create_on(env, entry_point, "8453", MODULE)
}

/// A session of the EOA on `entry_point`, `chain_id` and `module`; returns its local id.
fn create_on(env: &Env, entry_point: &str, chain_id: &str, module: &str) -> String {
    let permissions = env.file("perm.json", PERMISSIONS);
    let account = eoa().address().to_checksum(None);
    let run = env.run(&[
        "--json",
        "session",
        "create",
        "--permissions",
        path(&permissions),
        "--account",
        &account,
        "--chain-id",
        chain_id,
        "--entry-point",
        entry_point,
        "--module",
        module,
        "--label",
        "eoa",
        "--password-env",
        "LEASH_TEST_PASSWORD",
    ]);
    run.expect_code(0);
    run.json()["localId"].as_str().unwrap().to_owned()
}

fn v08() -> String {
    EntryPointVersion::V08.canonical_address().to_checksum(None)
}

/// `leash --json op build` of one token transfer with `extra` flags, the keys in the env.
fn build(env: &Env, id: &str, extra: &[&str]) -> common::Run {
    let call = format!(
        "{TOKEN},0,0xa9059cbb0000000000000000000000003333333333333333333333333333333333333333{:064x}",
        1000
    );
    let mut args = vec![
        "--json",
        "op",
        "build",
        "--session",
        id,
        "--nonce-seq",
        "3",
        "--call",
        &call,
    ];
    args.extend_from_slice(extra);
    env.run_with_env(&args, &[("EOA_KEY", EOA_KEY), ("OTHER_KEY", OTHER_KEY)])
}

#[test]
fn delegate_flag_signs_and_attaches_the_authorization() {
    let env = Env::new();
    let id = create(&env, &v08());
    let delegate = DELEGATE.to_checksum(None);
    let run = build(
        &env,
        &id,
        &[
            "--account-kind",
            "eip7702",
            "--eip7702-delegate",
            &delegate,
            "--owner-key-env",
            "EOA_KEY",
            "--eip7702-nonce",
            "5",
        ],
    );
    run.expect_code(0);
    let json = run.json();
    let op_json = &json["userOperation"];
    assert_eq!(op_json["factory"], "0x7702");
    assert_eq!(op_json["factoryData"], "0x");
    // OpenZeppelin's nonce layout: module, lane 0, sequence 3.
    assert_eq!(
        op_json["nonce"],
        "0x2222222222222222222222222222222222222222000000000000000000000003"
    );
    let auth = &op_json["eip7702Auth"];
    assert_eq!(auth["address"], delegate);
    assert_eq!(auth["chainId"], "0x2105");
    assert_eq!(auth["nonce"], "0x5");

    // The authorization is the EOA's, and the hash the session key would sign is v0.8's with
    // the delegate in place of the marker.
    let op: UserOperation = serde_json::from_value(op_json.clone()).unwrap();
    let signed = op.eip7702_auth.clone().unwrap();
    assert_eq!(recover_authority(&signed).unwrap(), eoa().address());
    assert_eq!(op.factory, Some(EIP7702_INIT_CODE_MARKER));
    let version = EntryPointVersion::V08;
    let expected =
        op.hash_with_eip7702_delegate(version, version.canonical_address(), CHAIN_ID, DELEGATE);
    assert_eq!(json["userOpHash"], format!("{expected}"));

    // The same authorization from a file (viem's shape) gives the same op.
    let file = env.file(
        "auth.json",
        &RpcEip7702Auth::from(&sign_authorization(&eoa(), CHAIN_ID, DELEGATE, 5).unwrap())
            .to_json(),
    );
    let from_file = build(&env, &id, &["--eip7702-auth", path(&file)]);
    from_file.expect_code(0);
    assert_eq!(from_file.json(), json);
}

#[test]
fn a_bad_authorization_is_exit_2() {
    let env = Env::new();
    let id = create(&env, &v08());
    let delegate = DELEGATE.to_checksum(None);

    // Signed by another key.
    let other: PrivateKeySigner = OTHER_KEY.parse().unwrap();
    let file = env.file(
        "other.json",
        &RpcEip7702Auth::from(&sign_authorization(&other, CHAIN_ID, DELEGATE, 0).unwrap())
            .to_json(),
    );
    let run = build(&env, &id, &["--eip7702-auth", path(&file)]);
    run.expect_code(2);
    assert!(run.stderr.contains("not by the sender"), "{}", run.stderr);

    // For another chain.
    let file = env.file(
        "chain.json",
        &RpcEip7702Auth::from(&sign_authorization(&eoa(), 1, DELEGATE, 0).unwrap()).to_json(),
    );
    let run = build(&env, &id, &["--eip7702-auth", path(&file)]);
    run.expect_code(2);
    assert!(run.stderr.contains("signed for chain 1"), "{}", run.stderr);

    // Not viem's shape: the field is named.
    let file = env.file(
        "bad.json",
        r#"{"address":"0x5FbDB2315678afecb367f032d93F642f64180aa3","chainId":"0x2105","nonce":"0x0","r":"0x1","s":"0x1","yParity":"0x2"}"#,
    );
    let run = build(&env, &id, &["--eip7702-auth", path(&file)]);
    run.expect_code(2);
    assert!(run.stderr.contains("eip7702Auth.yParity"), "{}", run.stderr);

    // --eip7702-delegate with a key that is not the account's.
    let run = build(
        &env,
        &id,
        &[
            "--eip7702-delegate",
            &delegate,
            "--owner-key-env",
            "OTHER_KEY",
            "--eip7702-nonce",
            "0",
        ],
    );
    run.expect_code(2);
    assert!(
        run.stderr.contains("not of the session's account"),
        "{}",
        run.stderr
    );

    // No nonce and no node to read it from.
    let run = build(
        &env,
        &id,
        &[
            "--eip7702-delegate",
            &delegate,
            "--owner-key-env",
            "EOA_KEY",
        ],
    );
    run.expect_code(2);
    assert!(run.stderr.contains("--eip7702-nonce"), "{}", run.stderr);
}

#[test]
fn eip7702_needs_entry_point_v08() {
    let env = Env::new();
    let id = create(
        &env,
        &EntryPointVersion::V07.canonical_address().to_checksum(None),
    );
    let run = build(
        &env,
        &id,
        &[
            "--eip7702-delegate",
            &DELEGATE.to_checksum(None),
            "--owner-key-env",
            "EOA_KEY",
            "--eip7702-nonce",
            "0",
        ],
    );
    run.expect_code(2);
    assert!(
        run.stderr.contains("needs EntryPoint v0.8"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_init_call_after_the_marker_is_refused() {
    let env = Env::new();
    let id = create(&env, &v08());
    let run = build(&env, &id, &[]);
    run.expect_code(0);
    let mut op = run.json()["userOperation"].clone();
    // initCode = marker ‖ accountId(): a call the EntryPoint would make before validation.
    op["factory"] = "0x7702".into();
    op["factoryData"] = "0x9cfd7cff".into();
    op["signature"] = format!("0x{}", "11".repeat(65)).into();
    let file = env.file("signed.json", &op.to_string());
    let run = env.run(&[
        "op",
        "send",
        "--session",
        &id,
        "--signed-op",
        path(&file),
        "--bundler-url",
        "http://127.0.0.1:9",
        "--password-env",
        "LEASH_TEST_PASSWORD",
    ]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("Eip7702InitCallDenied"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("bare marker"), "{}", run.stderr);
    // The bare marker alone is accepted up to the network (the bundler is unreachable: exit 1).
    op["factoryData"] = "0x".into();
    let file = env.file("bare.json", &op.to_string());
    let run = env.run(&[
        "op",
        "send",
        "--session",
        &id,
        "--signed-op",
        path(&file),
        "--bundler-url",
        "http://127.0.0.1:9",
        "--password-env",
        "LEASH_TEST_PASSWORD",
    ]);
    assert!(
        !run.stderr.contains("Eip7702InitCallDenied"),
        "{}",
        run.stderr
    );
    assert_ne!(run.code, 0);
}

#[test]
fn on_anvil_the_grant_is_the_eoas_raw_signature_and_the_nonce_is_read() {
    let Some(anvil) = start_anvil() else { return };
    let env = Env::new();
    let module = deploy_module(&env, &anvil.url);
    let id = create_on(&env, &v08(), "31337", &module);
    let keys = [("EOA_KEY", EOA_KEY), ("OTHER_KEY", OTHER_KEY)];
    let grant = |key_env: &str| {
        env.run_with_env(
            &[
                "--json",
                "session",
                "grant",
                &id,
                "--enable-in-first-op",
                "--enable-nonce",
                "7",
                "--rpc-url",
                &anvil.url,
                "--account-kind",
                "eip7702",
                "--owner-key-env",
                key_env,
            ],
            &keys,
        )
    };

    // Another key than the EOA's: its ERC-1271 would refuse the grant.
    let run = grant("OTHER_KEY");
    run.expect_code(2);
    assert!(
        run.stderr.contains("not of the EIP-7702 account"),
        "{}",
        run.stderr
    );

    // No --owner-validator: the EOA's raw 65-byte signature over the enable digest.
    let run = grant("EOA_KEY");
    run.expect_code(0);
    let value = run.json();
    let grant_value = &value["enableGrant"];
    assert_eq!(grant_value["ownerValidator"], serde_json::Value::Null);
    let digest: B256 = grant_value["digest"].as_str().unwrap().parse().unwrap();
    let signature: Bytes = grant_value["signature"].as_str().unwrap().parse().unwrap();
    assert_eq!(signature.len(), 65, "r ‖ s ‖ v, no validator prefix");
    let recovered = Signature::try_from(signature.as_ref())
        .unwrap()
        .recover_address_from_prehash(&digest)
        .unwrap();
    assert_eq!(recovered, eoa().address());

    // --eip7702-delegate without --eip7702-nonce reads the EOA's nonce at --rpc-url.
    let run = build(
        &env,
        &id,
        &[
            "--rpc-url",
            &anvil.url,
            "--eip7702-delegate",
            &DELEGATE.to_checksum(None),
            "--owner-key-env",
            "EOA_KEY",
        ],
    );
    run.expect_code(0);
    let auth = &run.json()["userOperation"]["eip7702Auth"];
    assert_eq!(auth["nonce"], "0x0");
    assert_eq!(auth["chainId"], "0x7a69");
}

#[test]
fn the_delegating_eoa_key_can_come_from_a_keystore() {
    let env = Env::new();
    let id = create(&env, &v08());
    let keystores = env.data_dir().with_file_name("keystores");
    std::fs::create_dir_all(&keystores).unwrap();
    PrivateKeySigner::encrypt_keystore(
        &keystores,
        &mut rand::thread_rng(),
        eoa().to_bytes(),
        "eoa password",
        Some("eoa"),
    )
    .unwrap();
    let password = env.file("eoa-password", "eoa password\n");
    let delegate = DELEGATE.to_checksum(None);
    let run = build(
        &env,
        &id,
        &[
            "--eip7702-delegate",
            &delegate,
            "--keystore",
            path(&keystores.join("eoa")),
            "--owner-password-file",
            path(&password),
            "--eip7702-nonce",
            "5",
        ],
    );
    run.expect_code(0);
    let op: UserOperation = serde_json::from_value(run.json()["userOperation"].clone()).unwrap();
    let signed = op.eip7702_auth.clone().unwrap();
    assert_eq!(recover_authority(&signed).unwrap(), eoa().address());

    // Two key sources, or a password file without --eip7702-delegate, are usage errors.
    let run = build(
        &env,
        &id,
        &[
            "--eip7702-delegate",
            &delegate,
            "--keystore",
            path(&keystores),
            "--owner-key-env",
            "EOA_KEY",
        ],
    );
    run.expect_code(2);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
    let run = build(&env, &id, &["--keystore", path(&keystores)]);
    run.expect_code(2);
}

#[test]
fn the_delegating_eoa_key_can_come_from_eth_keystore() {
    let env = Env::new();
    let id = create(&env, &v08());
    let keystores = env.data_dir().with_file_name("keystores");
    std::fs::create_dir_all(&keystores).unwrap();
    PrivateKeySigner::encrypt_keystore(
        &keystores,
        &mut rand::thread_rng(),
        eoa().to_bytes(),
        "eoa password",
        Some("eoa"),
    )
    .unwrap();
    let delegate = DELEGATE.to_checksum(None);
    let call = format!("{TOKEN},0,0x");
    let args = [
        "--json",
        "op",
        "build",
        "--session",
        &id,
        "--nonce-seq",
        "3",
        "--call",
        &call,
        "--eip7702-delegate",
        &delegate,
        "--eip7702-nonce",
        "5",
    ];
    let file = path(&keystores.join("eoa")).to_owned();
    let run = env.run_with_env(
        &args,
        &[("ETH_KEYSTORE", &file), ("ETH_PASSWORD", "eoa password")],
    );
    run.expect_code(0);
    let op: UserOperation = serde_json::from_value(run.json()["userOperation"].clone()).unwrap();
    let signed = op.eip7702_auth.clone().unwrap();
    assert_eq!(recover_authority(&signed).unwrap(), eoa().address());
    // Neither a key flag nor a variable: the sources are named.
    let run = env.run(&args);
    run.expect_code(2);
    assert!(run.stderr.contains("needs the EOA's key"), "{}", run.stderr);
    assert!(run.stderr.contains("ETH_KEYSTORE"), "{}", run.stderr);
}
