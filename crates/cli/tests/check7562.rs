//! `leash check-7562` run as the real binary against a real anvil (node_modules/.bin/anvil,
//! started per test, killed on drop) with EntryPoint v0.7 deployed at its canonical address
//! through the deterministic deployer. Skipped, with a message, only when node_modules is
//! missing (run `make setup`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy::primitives::{address, Address, U256};
use alloy::sol_types::{SolConstructor, SolValue};
use leash_contracts::bindings::account::TestAccount;
use leash_rpc::{CallRequest, NodeClient};
use leash_userop::{
    address_of, erc7579::validator_nonce, EntryPointVersion, RpcUserOperation, SigningKey,
    UserOperation,
};

/// anvil's first dev account (unlocked, 10000 ETH).
const DEV: Address = address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
const WAIT: Duration = Duration::from_secs(20);
const CHAIN_ID: u64 = 31_337;
const VERSION: EntryPointVersion = EntryPointVersion::V07;
const TEN_ETHER: u128 = 10_000_000_000_000_000_000;

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

/// anvil with EntryPoint v0.7 at its canonical address, and a client to set it up.
struct World {
    anvil: Anvil,
    node: NodeClient,
    runtime: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
}

/// What one run printed and how it exited.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

fn anvil_binary() -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../node_modules/.bin/anvil");
    path.exists().then_some(path)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// Runs `leash args...` (stdin closed, no data directory needed).
fn leash(args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_leash"))
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .env_remove("LEASH_DATA_DIR")
        .stdin(Stdio::null())
        .output()
        .expect("run leash");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

fn path(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

impl World {
    /// Starts anvil and deploys EntryPoint v0.7; `None` when node_modules is missing.
    fn start() -> Option<Self> {
        let Some(binary) = anvil_binary() else {
            eprintln!("SKIPPED: node_modules/.bin/anvil is missing; run `make setup` first");
            return None;
        };
        let port = free_port();
        let child = Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--chain-id", &CHAIN_ID.to_string(), "--silent"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("anvil starts");
        let anvil = Anvil {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let node = NodeClient::new(&anvil.url).expect("a valid URL");
        let started = Instant::now();
        while runtime.block_on(node.chain_id()).is_err() {
            assert!(
                started.elapsed() < WAIT,
                "anvil did not answer within {WAIT:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let world = Self {
            anvil,
            node,
            runtime,
            dir: tempfile::tempdir().expect("a temp dir"),
        };
        world.deploy_entry_point();
        Some(world)
    }

    fn url(&self) -> &str {
        &self.anvil.url
    }

    /// Sends `salt ‖ creation code` to the deterministic deployer, as mainnet did.
    fn deploy_entry_point(&self) {
        let mut payload = leash_contracts::entry_point_salt(VERSION).to_vec();
        payload.extend_from_slice(&leash_contracts::entry_point_creation_code(VERSION));
        let request = CallRequest::call(leash_contracts::DETERMINISTIC_DEPLOYER, payload).from(DEV);
        self.runtime
            .block_on(self.node.send_and_confirm(&request, WAIT))
            .expect("the EntryPoint deploys");
        let code = self
            .runtime
            .block_on(self.node.get_code(VERSION.canonical_address()))
            .unwrap();
        assert!(
            !code.is_empty(),
            "EntryPoint v0.7 is at its canonical address"
        );
    }

    /// Deploys the compiled contract `name` with `args` appended; returns its address.
    fn deploy(&self, name: &str, args: &[u8]) -> Address {
        let artifact = leash_contracts::artifact(name).expect("a compiled contract");
        let mut creation = artifact.bytecode.to_vec();
        creation.extend_from_slice(args);
        let request = CallRequest::create(creation).from(DEV);
        let receipt = self
            .runtime
            .block_on(self.node.send_and_confirm(&request, WAIT))
            .unwrap_or_else(|e| panic!("{name} deploys: {e}"));
        receipt.contract_address.expect("a creation receipt")
    }

    fn fund(&self, who: Address) {
        self.runtime
            .block_on(self.node.anvil_set_balance(who, U256::from(TEN_ETHER)))
            .expect("anvil_setBalance");
    }

    fn block_number(&self) -> u64 {
        self.runtime.block_on(self.node.block_number()).unwrap()
    }

    /// A `TestAccount` whose owner (through a fresh `OwnerValidator`) is `owner`, funded.
    fn test_account(&self, owner: &SigningKey) -> (Address, Address) {
        let validator = self.deploy("OwnerValidator", &[]);
        let constructor = TestAccount::constructorCall {
            entryPoint_: VERSION.canonical_address(),
            validator,
            validatorData: address_of(owner).abi_encode().into(),
        };
        let account = self.deploy("TestAccount", &constructor.abi_encode());
        self.fund(account);
        (account, validator)
    }

    /// Writes `text` to `name` in the temp dir.
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write file");
        path
    }

    /// Writes `op` as bundler JSON and returns its path.
    fn op_file(&self, name: &str, op: &UserOperation) -> PathBuf {
        self.file(name, &RpcUserOperation::from(op).to_json())
    }

    /// `leash check-7562` of the op file against this anvil, with `extra` flags.
    fn check(&self, op: &Path, extra: &[&str]) -> Run {
        let mut args = vec![
            "check-7562",
            "--op",
            path(op),
            "--entry-point",
            "v07",
            "--rpc-url",
            self.url(),
        ];
        args.extend_from_slice(extra);
        leash(&args)
    }
}

/// An op of `sender` with nonce `nonce`, no calls, generous gas and 1 gwei fees.
fn op_of(sender: Address, nonce: U256) -> UserOperation {
    UserOperation::builder()
        .sender(sender)
        .nonce(nonce)
        .call_gas_limit(100_000u64)
        .verification_gas_limit(500_000u64)
        .pre_verification_gas(50_000u64)
        .max_fee_per_gas(2_000_000_000u64)
        .max_priority_fee_per_gas(1_000_000_000u64)
        .build()
        .expect("a well-formed op")
}

fn owner_op(account: Address, validator: Address, owner: &SigningKey) -> UserOperation {
    let mut op = op_of(account, validator_nonce(validator, 0, 0));
    op.sign_with(owner, VERSION, VERSION.canonical_address(), CHAIN_ID);
    op
}

/// The number in "(N frames checked)".
fn frames_checked(text: &str) -> usize {
    let start = text.find('(').expect("a frame count") + 1;
    let end = text.find(" frames checked)").expect("a frame count");
    text[start..end].parse().expect("a number")
}

#[test]
fn a_clean_owner_op_passes_on_the_node() {
    let Some(world) = World::start() else {
        return;
    };
    let before_account = world.block_number();
    let owner = SigningKey::from_slice(&[7u8; 32]).expect("a valid key");
    let (account, validator) = world.test_account(&owner);
    let op = world.op_file("owner.json", &owner_op(account, validator, &owner));

    let run = world.check(&op, &[]);
    run.expect_code(0);
    let line = run.stdout.trim();
    assert!(
        line.starts_with("ok: no ERC-7562 violation in validation ("),
        "{line}"
    );
    assert!(frames_checked(line) >= 2, "{line}");
    assert!(run.stderr.contains("at block"), "{}", run.stderr);

    let json = world.check(&op, &["--json"]);
    json.expect_code(0);
    assert_eq!(json.json(), serde_json::json!([]));

    // Pinned before the account existed, the same op fails validation: v0.7 calls the
    // codeless sender with a Solidity high-level call, which reverts without data.
    let block = before_account.to_string();
    let early = world.check(&op, &["--block", &block]);
    early.expect_code(3);
    let expected = "validation failed: revert without data \
                    (the sender has no code there and the op has no factory)";
    assert!(early.stdout.contains(expected), "{}", early.stdout);
}

#[test]
fn a_timestamp_reading_account_breaks_op_011() {
    let Some(world) = World::start() else {
        return;
    };
    let args: Vec<u8> = [VERSION.canonical_address(), Address::repeat_byte(0x77)]
        .iter()
        .flat_map(|a| a.into_word().0)
        .collect();
    let violator = world.deploy("Erc7562TimestampAccount", &args);
    world.fund(violator);
    let op = world.op_file("timestamp.json", &op_of(violator, U256::ZERO));

    let run = world.check(&op, &[]);
    run.expect_code(3);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    assert!(lines[0].starts_with("OP-011 TIMESTAMP at "), "{}", lines[0]);
    assert!(lines[0].contains("account validation"), "{}", lines[0]);
    assert!(
        run.stderr.contains("breaks 1 ERC-7562 rule"),
        "{}",
        run.stderr
    );

    let json = world.check(&op, &["--json"]);
    json.expect_code(3);
    let list = json.json();
    let list = list.as_array().expect("a JSON list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["rule"], "OP-011");
    assert_eq!(list[0]["phase"], "account validation");
    assert_eq!(
        list[0]["address"].as_str().unwrap().to_lowercase(),
        violator.to_string().to_lowercase()
    );
    let error: serde_json::Value = serde_json::from_str(json.stderr.trim()).expect("JSON error");
    assert_eq!(error["error"]["kind"], "rejected");
}

#[test]
fn a_failing_validation_is_reported_with_its_reason() {
    let Some(world) = World::start() else {
        return;
    };
    let owner = SigningKey::from_slice(&[7u8; 32]).expect("a valid key");
    let stranger = SigningKey::from_slice(&[8u8; 32]).expect("a valid key");
    let (account, validator) = world.test_account(&owner);
    let forged = world.op_file("forged.json", &owner_op(account, validator, &stranger));

    let run = world.check(&forged, &[]);
    run.expect_code(3);
    assert!(
        run.stdout
            .contains("no ERC-7562 violation in the validation that ran"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("validation failed: FailedOp(0, \"AA24 signature error\")"),
        "{}",
        run.stdout
    );
}

#[test]
fn bad_input_is_refused_with_a_clear_message() {
    let Some(world) = World::start() else {
        return;
    };
    let good = RpcUserOperation::from(&op_of(Address::repeat_byte(1), U256::ZERO)).to_json();

    let missing = good.replace("\"callData\":\"0x\",", "");
    assert_ne!(missing, good);
    let run = world.check(&world.file("missing.json", &missing), &[]);
    run.expect_code(2);
    assert!(run.stderr.contains("callData"), "{}", run.stderr);

    let bad_nonce = good.replace("\"nonce\":\"0x0\"", "\"nonce\":\"zero\"");
    assert_ne!(bad_nonce, good);
    let run = world.check(&world.file("nonce.json", &bad_nonce), &[]);
    run.expect_code(2);
    assert!(run.stderr.contains("nonce"), "{}", run.stderr);

    let run = world.check(&world.file("garbage.json", "{not json"), &[]);
    run.expect_code(2);
    assert!(run.stderr.contains("--op"), "{}", run.stderr);

    let op = world.file("op.json", &good);
    let closed = format!("http://127.0.0.1:{}", free_port());
    let run = leash(&[
        "check-7562",
        "--op",
        path(&op),
        "--entry-point",
        "v07",
        "--rpc-url",
        &closed,
    ]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("cannot fork the node at"),
        "{}",
        run.stderr
    );

    // An address without code is not an EntryPoint.
    let nowhere = "0x00000000000000000000000000000000000e0e0e";
    let run = leash(&[
        "check-7562",
        "--op",
        path(&op),
        "--entry-point",
        nowhere,
        "--rpc-url",
        world.url(),
    ]);
    run.expect_code(1);
    assert!(run.stderr.contains("has no code"), "{}", run.stderr);

    let run = leash(&["check-7562", "--op", path(&op), "--entry-point", "v09"]);
    run.expect_code(2);
    assert!(run.stderr.contains("--entry-point"), "{}", run.stderr);

    let run = leash(&[
        "check-7562",
        "--op",
        path(&op),
        "--entry-point",
        "v07",
        "--block",
        "1",
    ]);
    run.expect_code(2);

    let block = (world.block_number() + 100).to_string();
    let run = world.check(&op, &["--block", &block]);
    run.expect_code(1);
    assert!(run.stderr.contains("has no block"), "{}", run.stderr);
}

#[test]
fn the_in_process_chain_only_knows_the_entry_points() {
    let op = op_of(Address::repeat_byte(1), U256::ZERO);
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("op.json");
    std::fs::write(&file, RpcUserOperation::from(&op).to_json()).unwrap();

    let run = leash(&["check-7562", "--op", path(&file), "--entry-point", "v08"]);
    run.expect_code(3);
    assert!(
        run.stdout.contains("AA20 account not deployed"),
        "{}",
        run.stdout
    );

    let custom = "0x1111111111111111111111111111111111111111";
    let run = leash(&["check-7562", "--op", path(&file), "--entry-point", custom]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("canonical EntryPoints"),
        "{}",
        run.stderr
    );
}
