//! `leash deploy` against a real anvil (node_modules/.bin/anvil, started per test on a free
//! port, killed when the guard drops), its bad-input errors, and the bytecode identity of the
//! Rust build and forge's (both compile without a metadata hash, so the deterministic address
//! depends on the code alone). Tests that need node_modules are skipped, with a message, only
//! when it is missing (run `make setup`).

mod common;

use std::path::Path;
use std::process::Command;

use alloy::primitives::{keccak256, Address};
use common::anvil::{cast, root, start_anvil, tool, DEV_ACCOUNT};
use common::Env;
use leash_contracts::{artifact, DETERMINISTIC_DEPLOYER};

const DEV_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const SALT_LABEL: &str = "leash.SessionKeyValidator.v1";

fn predicted() -> Address {
    let module = artifact("SessionKeyValidator").expect("module artifact");
    DETERMINISTIC_DEPLOYER.create2(keccak256(SALT_LABEL), keccak256(&module.bytecode))
}

#[test]
fn deploy_twice_the_second_run_finds_the_module() {
    let Some(anvil) = start_anvil() else { return };
    let env = Env::new();
    let address = predicted();
    let vars = [("LEASH_E2E_KEY", DEV_KEY)];
    let first = env.run_with_env(
        &[
            "deploy",
            "--rpc-url",
            &anvil.url,
            "--private-key-env",
            "LEASH_E2E_KEY",
        ],
        &vars,
    );
    first.expect_code(0);
    let salt = keccak256(SALT_LABEL);
    let module = artifact("SessionKeyValidator").expect("module artifact");
    let tail = format!(
        "  salt:            {salt} (keccak256(\"{SALT_LABEL}\"))\n  init code hash:  {}\n  \
         runtime:         matches the compiled artifact byte for byte\n",
        keccak256(&module.bytecode)
    );
    let head = format!("SessionKeyValidator deployed at {address} on chain 31337 (transaction ");
    assert!(first.stdout.starts_with(&head), "{}", first.stdout);
    assert!(first.stdout.ends_with(&tail), "{}", first.stdout);
    assert_eq!(
        first.stderr,
        format!(
            "chain 31337: SessionKeyValidator goes to {address}\nsending the deployment from {DEV_ACCOUNT}…\n"
        )
    );
    let code = cast(&["code", "--rpc-url", &anvil.url, &address.to_string()]);
    assert_eq!(
        code,
        module.deployed_bytecode.to_string(),
        "the runtime on chain is the artifact's"
    );

    let second = env.run(&[
        "--quiet",
        "deploy",
        "--rpc-url",
        &anvil.url,
        "--unlocked",
        DEV_ACCOUNT,
    ]);
    second.expect_code(0);
    assert_eq!(
        second.stdout,
        format!("SessionKeyValidator already deployed at {address} on chain 31337: nothing to do\n{tail}")
    );
    let json = env.run(&[
        "--json",
        "deploy",
        "--rpc-url",
        &anvil.url,
        "--unlocked",
        DEV_ACCOUNT,
    ]);
    json.expect_code(0);
    let value = json.json();
    assert_eq!(value["alreadyDeployed"], true);
    assert_eq!(value["transactionHash"], serde_json::Value::Null);
    assert_eq!(value["address"], address.to_checksum(None));
}

#[test]
fn deploy_refuses_a_chain_without_the_proxy() {
    let Some(anvil) = start_anvil() else { return };
    cast(&[
        "rpc",
        "--rpc-url",
        &anvil.url,
        "anvil_setCode",
        &DETERMINISTIC_DEPLOYER.to_string(),
        "0x",
    ]);
    let run = Env::new().run(&[
        "--quiet",
        "deploy",
        "--rpc-url",
        &anvil.url,
        "--unlocked",
        DEV_ACCOUNT,
    ]);
    run.expect_code(1);
    assert_eq!(
        run.stderr,
        format!(
            "error: chain 31337 has no deterministic-deployment proxy at {DETERMINISTIC_DEPLOYER}\n\
             hint: deploy the proxy first with its pre-signed transaction (see docs/deployment.md)\n"
        )
    );
}

#[test]
fn deploy_bad_input_errors() {
    let env = Env::new();
    let run = env.run(&[
        "deploy",
        "--rpc-url",
        "not a url",
        "--unlocked",
        DEV_ACCOUNT,
    ]);
    run.expect_code(2);
    assert!(
        run.stderr
            .starts_with("error: --rpc-url: invalid endpoint URL `not a url`"),
        "{}",
        run.stderr
    );
    assert!(run
        .stderr
        .contains("\nhint: give the node's JSON-RPC endpoint, e.g. http://127.0.0.1:8545\n"));

    let run = env.run(&[
        "deploy",
        "--rpc-url",
        "http://127.0.0.1:9",
        "--unlocked",
        DEV_ACCOUNT,
    ]);
    run.expect_code(1);
    assert!(
        run.stderr.starts_with("error: --rpc-url http://127.0.0.1:9: the node does not answer: `eth_chainId` to http://127.0.0.1:9 failed"),
        "{}",
        run.stderr
    );
    assert!(run
        .stderr
        .ends_with("hint: check that the node is running and the URL is right\n"));

    let run = env.run(&[
        "deploy",
        "--rpc-url",
        "http://127.0.0.1:9",
        "--private-key-env",
        "LEASH_NO_SUCH_KEY",
    ]);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "error: --private-key-env LEASH_NO_SUCH_KEY: the environment variable is not set (or is not valid UTF-8)\n\
         hint: export the private key (hex) in that variable (it keeps the key off the command line)\n"
    );

    let secret_looking = "0x1234567890abcdef";
    let run = env.run_with_env(
        &[
            "deploy",
            "--rpc-url",
            "http://127.0.0.1:9",
            "--private-key-env",
            "BAD_KEY",
        ],
        &[("BAD_KEY", secret_looking)],
    );
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "error: --private-key-env BAD_KEY: the variable does not hold a 32-byte hex private key\n\
         hint: put 64 hex digits (0x optional) of a valid secp256k1 key in the variable\n"
    );
    assert!(
        !run.stderr.contains(secret_looking),
        "the value is never echoed"
    );

    let run = env.run(&["deploy", "--rpc-url", "http://127.0.0.1:9"]);
    run.expect_code(2);
    assert!(
        run.stderr.starts_with("error: give exactly one of --private-key-env, --private-key, --keystore, --account and --unlocked\n"),
        "{}",
        run.stderr
    );
    let run = env.run(&[
        "deploy",
        "--rpc-url",
        "http://127.0.0.1:9",
        "--unlocked",
        "0x12",
    ]);
    run.expect_code(2);
    assert!(
        run.stderr
            .starts_with("error: --unlocked \"0x12\": not a 20-byte 0x address\n"),
        "{}",
        run.stderr
    );
}

/// Compiles the module with forge into a private directory (so a concurrent build elsewhere
/// cannot interfere) and returns its artifact JSON.
fn forge_artifact(dir: &Path) -> Option<serde_json::Value> {
    let forge = tool("forge")?;
    let output = Command::new(forge)
        .current_dir(root())
        .args([
            "build",
            "contracts/session/SessionKeyValidator.sol",
            "--out",
        ])
        .arg(dir.join("out"))
        .arg("--cache-path")
        .arg(dir.join("cache"))
        .output()
        .expect("run forge");
    assert!(
        output.status.success(),
        "forge build failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let text =
        std::fs::read_to_string(dir.join("out/SessionKeyValidator.sol/SessionKeyValidator.json"))
            .expect("forge artifact");
    Some(serde_json::from_str(&text).expect("artifact JSON"))
}

#[test]
fn forge_and_the_rust_build_give_the_same_bytecode_and_address() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(forged) = forge_artifact(dir.path()) else {
        return;
    };
    let module = artifact("SessionKeyValidator").expect("module artifact");
    let forge_creation = forged["bytecode"]["object"]
        .as_str()
        .expect("bytecode.object");
    let forge_runtime = forged["deployedBytecode"]["object"]
        .as_str()
        .expect("deployedBytecode.object");
    assert_eq!(
        forge_creation,
        module.bytecode.to_string(),
        "creation code differs"
    );
    assert_eq!(
        forge_runtime,
        module.deployed_bytecode.to_string(),
        "runtime code differs"
    );

    // The Solidity side's own prediction (the deploy script's predictAddress) from forge's code.
    let forge = tool("forge").expect("forge");
    let output = Command::new(forge)
        .current_dir(root())
        .args([
            "script",
            "script/DeploySessionKeyValidator.s.sol",
            "--sig",
            "predictAddress(bytes)",
            forge_creation,
            "--out",
        ])
        .arg(dir.path().join("script-out"))
        .arg("--cache-path")
        .arg(dir.path().join("script-cache"))
        .output()
        .expect("run forge script");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "forge script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let address = predicted();
    assert!(
        stdout.contains(&format!("0: address {address}")),
        "the script predicts another address than {address}:\n{stdout}"
    );
}

/// docs/deployment.md states the address and init-code hash of this revision; a module change
/// that forgets to update them fails here, so the published address never goes stale.
#[test]
fn the_documented_address_is_this_revisions() {
    let doc = std::fs::read_to_string(root().join("docs/deployment.md")).expect("read docs");
    let field = |name: &str| -> String {
        // The last `name = value` line: the formula earlier in the doc uses the same names.
        doc.lines()
            .filter_map(|line| line.trim().strip_prefix(name))
            .filter_map(|rest| rest.trim().strip_prefix('='))
            .map(|value| value.trim().to_owned())
            .next_back()
            .unwrap_or_else(|| panic!("docs/deployment.md has no `{name} = …` line"))
    };
    let module = artifact("SessionKeyValidator").expect("module artifact");
    let documented: Address = field("address").parse().expect("documented address parses");
    assert_eq!(
        documented,
        predicted(),
        "docs/deployment.md states {documented}, this revision deploys to {}: update the doc",
        predicted()
    );
    assert_eq!(
        field("init code hash"),
        keccak256(&module.bytecode).to_string(),
        "docs/deployment.md states a stale init code hash"
    );
}

#[test]
fn deploy_signs_with_a_foundry_account_like_cast() {
    let Some(anvil) = start_anvil() else { return };
    let env = Env::new();
    let keystores = env.data_dir().with_file_name("keystores");
    std::fs::create_dir_all(&keystores).expect("keystore folder");
    let key = alloy::hex::decode(DEV_KEY).expect("hex key");
    alloy::signers::local::PrivateKeySigner::encrypt_keystore(
        &keystores,
        &mut rand::thread_rng(),
        key,
        "deployer password",
        Some("deployer"),
    )
    .expect("keystore");
    let folder = keystores.to_str().expect("utf-8 path");
    let vars = [
        ("FOUNDRY_KEYSTORES_DIR", folder),
        ("ETH_PASSWORD", "deployer password"),
    ];
    let run = env.run_with_env(
        &["deploy", "--rpc-url", &anvil.url, "--account", "deployer"],
        &vars,
    );
    run.expect_code(0);
    assert!(
        run.stderr
            .contains(&format!("sending the deployment from {DEV_ACCOUNT}")),
        "{}",
        run.stderr
    );
    let wrong = env.run_with_env(
        &[
            "deploy",
            "--rpc-url",
            &anvil.url,
            "--keystore",
            &format!("{folder}/deployer"),
        ],
        &[("ETH_PASSWORD", "not it")],
    );
    wrong.expect_code(2);
    assert!(wrong.stderr.contains("wrong password"), "{}", wrong.stderr);
}

#[test]
fn deploy_reads_cast_keystore_variables_and_a_flag_wins_over_them() {
    let Some(anvil) = start_anvil() else { return };
    let env = Env::new();
    let keystores = env.data_dir().with_file_name("keystores");
    std::fs::create_dir_all(&keystores).expect("keystore folder");
    let key = alloy::hex::decode(DEV_KEY).expect("hex key");
    alloy::signers::local::PrivateKeySigner::encrypt_keystore(
        &keystores,
        &mut rand::thread_rng(),
        key,
        "deployer password",
        Some("deployer"),
    )
    .expect("keystore");
    let folder = keystores.to_str().expect("utf-8 path");
    // $ETH_KEYSTORE_ACCOUNT stands for --account.
    let run = env.run_with_env(
        &["deploy", "--rpc-url", &anvil.url],
        &[
            ("ETH_KEYSTORE_ACCOUNT", "deployer"),
            ("FOUNDRY_KEYSTORES_DIR", folder),
            ("ETH_PASSWORD", "deployer password"),
        ],
    );
    run.expect_code(0);
    assert!(
        run.stderr
            .contains(&format!("sending the deployment from {DEV_ACCOUNT}")),
        "{}",
        run.stderr
    );
    // A flag wins over a variable that names nothing usable.
    let unlocked = env.run_with_env(
        &["deploy", "--rpc-url", &anvil.url, "--unlocked", DEV_ACCOUNT],
        &[("ETH_KEYSTORE", "/nonexistent/keystore")],
    );
    unlocked.expect_code(0);
    assert!(
        unlocked.stdout.contains("already deployed"),
        "{}",
        unlocked.stdout
    );
    // $ETH_KEYSTORE stands for --keystore: a wrong password shows it was read.
    let wrong = env.run_with_env(
        &["deploy", "--rpc-url", &anvil.url],
        &[
            ("ETH_KEYSTORE", &format!("{folder}/deployer")),
            ("ETH_PASSWORD", "not it"),
        ],
    );
    wrong.expect_code(2);
    assert!(wrong.stderr.contains("$ETH_KEYSTORE"), "{}", wrong.stderr);
    // Neither a flag nor a variable: the sources are named.
    let none = env.run(&["deploy", "--rpc-url", &anvil.url]);
    none.expect_code(2);
    assert!(none.stderr.contains("--unlocked"), "{}", none.stderr);
}
