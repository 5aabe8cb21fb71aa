//! `leash session grant ID --enable-in-first-op`: the owner's EIP-712 grant signed against a
//! real anvil with the module deployed (digest, signature layout, stored for the first op,
//! nonces checked on-chain), and its bad-input errors.

mod common;

use alloy::primitives::{Address, Bytes, Signature, B256, U256};
use common::anvil::{cast, deploy_module, start_anvil};
use common::{path, Env, ACCOUNT, ENTRY_POINT, PERMISSIONS};
use leash_keys::envelope::enable_digest;

/// anvil's first dev account (it deploys the module).
/// The account owner's key of these tests (anvil's dev key #5, never a real secret).
const OWNER_KEY: &str = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba";
/// The account's owner validator (only its address matters to the grant).
const OWNER_VALIDATOR: &str = "0x3333333333333333333333333333333333333333";

/// A session of ACCOUNT on `chain_id` for `module`; returns its local id and on-chain id.
fn create(env: &Env, chain_id: &str, module: &str) -> (String, B256) {
    let permissions = env.file("perm.json", PERMISSIONS);
    let run = env.run(&[
        "--json",
        "session",
        "create",
        "--permissions",
        path(&permissions),
        "--account",
        ACCOUNT,
        "--chain-id",
        chain_id,
        "--entry-point",
        ENTRY_POINT,
        "--module",
        module,
        "--password-env",
        "LEASH_TEST_PASSWORD",
    ]);
    run.expect_code(0);
    let value = run.json();
    (
        value["localId"].as_str().expect("localId").to_owned(),
        value["sessionId"]
            .as_str()
            .expect("sessionId")
            .parse()
            .expect("a session id"),
    )
}

fn grant(env: &Env, id: &str, rpc_url: &str, extra: &[&str]) -> common::Run {
    let mut args = vec![
        "session",
        "grant",
        id,
        "--enable-in-first-op",
        "--rpc-url",
        rpc_url,
        "--owner-key-env",
        "LEASH_TEST_OWNER_KEY",
        "--owner-validator",
        OWNER_VALIDATOR,
    ];
    args.extend_from_slice(extra);
    env.run_with_env(&args, &[("LEASH_TEST_OWNER_KEY", OWNER_KEY)])
}

#[test]
fn the_grant_is_the_owners_eip712_signature_prefixed_by_the_validator() {
    let Some(anvil) = start_anvil() else { return };
    let env = Env::new();
    let module: Address = deploy_module(&env, &anvil.url)
        .parse()
        .expect("module address");
    let (id, session_id) = create(&env, "31337", &module.to_string());

    let run = env.run_with_env(
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
            "--owner-key-env",
            "LEASH_TEST_OWNER_KEY",
            "--owner-validator",
            OWNER_VALIDATOR,
        ],
        &[("LEASH_TEST_OWNER_KEY", OWNER_KEY)],
    );
    run.expect_code(0);
    let value = run.json();
    let grant_value = &value["enableGrant"];
    assert_eq!(grant_value["nonce"], "7");
    assert_eq!(grant_value["onChainStatus"], "none");
    let owner = cast(&["wallet", "address", "--private-key", OWNER_KEY]);
    assert_eq!(
        grant_value["owner"].as_str().unwrap().to_lowercase(),
        owner.to_lowercase()
    );
    let digest: B256 = grant_value["digest"].as_str().unwrap().parse().unwrap();
    let account: Address = ACCOUNT.parse().unwrap();
    assert_eq!(
        digest,
        enable_digest(31337, module, account, session_id, U256::from(7))
    );
    // The module computes the same digest.
    let on_chain = cast(&[
        "call",
        "--rpc-url",
        &anvil.url,
        &module.to_string(),
        "enableDigest(address,bytes32,uint256)(bytes32)",
        ACCOUNT,
        &session_id.to_string(),
        "7",
    ]);
    assert_eq!(on_chain.parse::<B256>().unwrap(), digest);
    let signature: Bytes = grant_value["signature"].as_str().unwrap().parse().unwrap();
    assert_eq!(signature.len(), 20 + 65, "validator ‖ r ‖ s ‖ v");
    assert_eq!(
        Address::from_slice(&signature[..20]),
        OWNER_VALIDATOR.parse::<Address>().unwrap()
    );
    let recovered = Signature::try_from(&signature[20..])
        .unwrap()
        .recover_address_from_prehash(&digest)
        .unwrap();
    assert_eq!(recovered, owner.parse::<Address>().unwrap());
    let stored = env.data_dir().join("enable").join(format!("{id}.json"));
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stored).unwrap()).unwrap();
    assert_eq!(file["signature"], grant_value["signature"]);

    // Without --enable-nonce: a fresh random nonce, text output.
    let text = grant(&env, &id, &anvil.url, &[]);
    text.expect_code(0);
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "enable grant for session {id} signed and stored: its next `leash op send` creates it on-chain (envelope flag ENABLE)"
        )
    );
    assert_eq!(lines[1], format!("  account:      {account}"));
    assert_eq!(lines[2], format!("  session id:   {session_id}"));
    assert!(lines[3].starts_with("  enable nonce: "));
    assert_ne!(lines[3], "  enable nonce: 7");
    assert!(lines[4].ends_with(&format!(
        "(EIP-712 EnableSession, LeashSessionKeyValidator v1, chain 31337, module {module})"
    )));
    assert_eq!(
        lines[5],
        format!(
            "  signed by:    owner {} through validator {}",
            owner.parse::<Address>().unwrap(),
            OWNER_VALIDATOR.parse::<Address>().unwrap()
        )
    );
    assert_eq!(lines[6], "  on-chain status now: none");

    // A nonce the account invalidated is refused, naming it.
    cast(&[
        "rpc",
        "--rpc-url",
        &anvil.url,
        "anvil_setBalance",
        ACCOUNT,
        "0xde0b6b3a7640000",
    ]);
    cast(&[
        "rpc",
        "--rpc-url",
        &anvil.url,
        "anvil_impersonateAccount",
        ACCOUNT,
    ]);
    cast(&[
        "send",
        "--rpc-url",
        &anvil.url,
        "--unlocked",
        "--from",
        ACCOUNT,
        &module.to_string(),
        "invalidateEnableNonce(uint256)",
        "9",
    ]);
    let used = grant(&env, &id, &anvil.url, &["--enable-nonce", "9"]);
    used.expect_code(2);
    assert!(
        used.stderr.contains(&format!(
            "error: --enable-nonce 9: used or invalidated for {account} on the module"
        )),
        "{}",
        used.stderr
    );

    // A nonce of another install generation (top 32 bits) is refused: the module is in install
    // generation 0 on the account, and a grant works only in the install it was signed for.
    let later = ((U256::from(1u8) << 224usize) | U256::from(9u8)).to_string();
    let stale = grant(&env, &id, &anvil.url, &["--enable-nonce", &later]);
    stale.expect_code(2);
    assert!(
        stale.stderr.contains(&format!(
            "its top 32 bits name install generation 1, but the module is in install generation 0 on {account}"
        )),
        "{}",
        stale.stderr
    );

    // A session on another chain is refused before anything is signed.
    let (other, _) = create(&env, "8453", &module.to_string());
    let wrong_chain = grant(&env, &other, &anvil.url, &[]);
    wrong_chain.expect_code(2);
    assert!(
        wrong_chain.stderr.contains("is chain 31337, session"),
        "{}",
        wrong_chain.stderr
    );
    assert!(!env
        .data_dir()
        .join("enable")
        .join(format!("{other}.json"))
        .exists());
}

#[test]
fn a_missing_owner_key_variable_is_named_and_nothing_is_stored() {
    let env = Env::new();
    let (id, _) = create(&env, "8453", common::MODULE);
    let run = env.run(&[
        "session",
        "grant",
        &id,
        "--enable-in-first-op",
        "--rpc-url",
        "http://127.0.0.1:1",
        "--owner-key-env",
        "LEASH_NO_SUCH_OWNER_KEY",
        "--owner-validator",
        OWNER_VALIDATOR,
    ]);
    run.expect_code(2);
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        "error: --owner-key-env LEASH_NO_SUCH_OWNER_KEY: the environment variable is not set (or is not valid UTF-8)"
    );
    assert!(!env.data_dir().join("enable").exists());
}

#[test]
fn bad_grant_input_exits_2_naming_what_is_wrong() {
    let env = Env::new();
    let (id, _) = create(&env, "8453", common::MODULE);
    let missing = env.run(&["session", "grant", &id, "--enable-in-first-op"]);
    missing.expect_code(2);
    assert_eq!(
        missing.stderr.lines().next().unwrap(),
        "error: session grant --enable-in-first-op needs --rpc-url, an owner key (--owner-key-env, --private-key, --keystore or --owner-account; or $ETH_KEYSTORE / $ETH_KEYSTORE_ACCOUNT), --owner-validator"
    );
    let bad_nonce = grant(&env, &id, "http://127.0.0.1:1", &["--enable-nonce", "abc"]);
    bad_nonce.expect_code(2);
    assert!(
        bad_nonce
            .stderr
            .contains("--enable-nonce \"abc\": not an unsigned 256-bit number"),
        "{}",
        bad_nonce.stderr
    );
    let nonce_alone = env.run(&["session", "grant", &id, "--enable-nonce", "1"]);
    nonce_alone.expect_code(2);
    assert!(
        nonce_alone.stderr.contains("--enable-in-first-op"),
        "{}",
        nonce_alone.stderr
    );
    let unknown = grant(&env, "s_0000000000000000", "http://127.0.0.1:1", &[]);
    unknown.expect_code(4);
}
