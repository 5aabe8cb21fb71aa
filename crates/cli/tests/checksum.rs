//! Every address in leash's JSON output is checksummed (EIP-55), whatever case it was given
//! in: the main commands' `--json` output is scanned for any `0x` + 40 hex digits string that
//! is not. (`Run::json` and the serve test harness scan every other JSON result too.)

mod common;

use common::checksum::unchecksummed;
use common::{path, Env, PERMISSIONS};

/// Addresses with letters, given in lowercase.
const ACCOUNT: &str = "0xabcdefabcdefabcdefabcdefabcdefabcdefabcd";
const MODULE: &str = "0xfedcbafedcbafedcbafedcbafedcbafedcbafedc";
const PAYMASTER: &str = "0xdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef";

fn checksummed(address: &str) -> String {
    address
        .parse::<alloy::primitives::Address>()
        .unwrap()
        .to_checksum(None)
}

fn scanned(env: &Env, args: &[&str]) -> serde_json::Value {
    let run = env.run(args);
    run.expect_code(0);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(
        unchecksummed(&value),
        Vec::<String>::new(),
        "{args:?}:\n{value:#}"
    );
    value
}

#[test]
fn the_json_of_the_main_commands_has_only_checksummed_addresses() {
    let env = Env::new();
    let permissions = env.file(
        "perm.json",
        &PERMISSIONS.replace(common::TOKEN, &common::TOKEN.to_lowercase()),
    );
    let created = scanned(
        &env,
        &[
            "--json",
            "session",
            "create",
            "--permissions",
            path(&permissions),
            "--account",
            ACCOUNT,
            "--chain-id",
            "8453",
            "--entry-point",
            "0x0000000071727de22e5e9d8baf0edac6f37da032",
            "--module",
            MODULE,
            "--paymaster",
            PAYMASTER,
            "--password-env",
            "LEASH_TEST_PASSWORD",
        ],
    );
    let id = created["localId"].as_str().unwrap().to_owned();
    let shown = scanned(&env, &["--json", "session", "show", &id]);
    assert_eq!(shown["account"], checksummed(ACCOUNT));
    scanned(&env, &["--json", "session", "list"]);
    let call = format!(
        "{},0,0xa9059cbb{:064x}{:064x}",
        common::TOKEN.to_lowercase(),
        0xabcdef,
        1
    );
    let op = [
        "--session",
        &id,
        "--nonce-seq",
        "0",
        "--call",
        &call,
        "--paymaster",
        PAYMASTER,
        "--factory",
        "0xbeefbeefbeefbeefbeefbeefbeefbeefbeefbeef",
    ];
    let built = scanned(&env, &[&["--json", "op", "build"][..], &op].concat());
    assert_eq!(built["userOperation"]["paymaster"], checksummed(PAYMASTER));
    scanned(
        &env,
        &[
            &["--json", "op", "sign"][..],
            &op,
            &["--password-env", "LEASH_TEST_PASSWORD"],
        ]
        .concat(),
    );
    scanned(&env, &["--json", "session", "pause", &id]);
    scanned(&env, &["--json", "session", "resume", &id]);
    scanned(
        &env,
        &["--json", "session", "revoke", &id, "--reason", "done"],
    );
    scanned(&env, &["--json", "audit", "verify"]);
}
