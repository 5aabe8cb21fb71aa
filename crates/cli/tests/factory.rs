//! `--factory` / `--factory-data`: the first op of a counterfactual account carries its factory
//! and deploys it. On a real anvil with the canonical EntryPoint v0.7 (npm bytecode), the
//! module and `tests/fixtures/TestAccountFactory.sol`: the op's userOpHash is the EntryPoint's
//! `getUserOpHash`, and `handleOps` deploys the account and runs the op. Owner ops carry the
//! factory too and refuse it for an account that has code: here the fields leash sends are read
//! by a listener that only records requests (it says which EntryPoint it serves and answers
//! nothing else); the same owner op through a real bundler (alto) deploys a counterfactual
//! account in `make e2e` (e2e/test.sh, "counterfactual v0.8 account").

mod common;

use std::path::{Path, PathBuf};

use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use common::anvil::{cast, create_contract, deploy_module, start_anvil, DEV_ACCOUNT};
use common::{path, Env, Run, ENTRY_POINT, TOKEN};
use leash_contracts::bindings::entry_point::IEntryPoint;
use leash_userop::{EntryPointVersion, RpcUserOperation, UserOperation};

const KEYSTORE_PASSWORD: &str = "session key's keystore password";
/// Like `common::PERMISSIONS`, with a fee budget that pays for deploying the account.
const PERMISSIONS: &str = r#"{
  "validAfter": 0,
  "validUntil": 4102444800,
  "maxUses": 10,
  "feeBudget": "100000000000000000",
  "calls": [{ "target": "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238", "selector": "transfer(address,uint256)" }],
  "tokens": [{ "token": "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238", "amount": "5000000" }]
}"#;

/// Sends `data` to `to` from the dev account (anvil signs and mines it).
fn send(url: &str, to: Address, data: &[u8]) {
    cast(&[
        "send",
        &to.to_string(),
        "--data",
        &Bytes::copy_from_slice(data).to_string(),
        "--unlocked",
        "--from",
        DEV_ACCOUNT,
        "--rpc-url",
        url,
    ]);
}

fn call(url: &str, to: Address, data: &[u8]) -> String {
    cast(&[
        "call",
        &to.to_string(),
        "--data",
        &Bytes::copy_from_slice(data).to_string(),
        "--rpc-url",
        url,
    ])
}

/// The canonical EntryPoint v0.7, from its npm creation code through the deterministic
/// deployment proxy; returns its address.
fn deploy_entry_point(url: &str) -> Address {
    let version = EntryPointVersion::V07;
    let mut payload = leash_contracts::entry_point_salt(version).to_vec();
    payload.extend_from_slice(&leash_contracts::entry_point_creation_code(version));
    send(url, leash_contracts::DETERMINISTIC_DEPLOYER, &payload);
    let entry_point = version.canonical_address();
    assert_ne!(
        cast(&["code", &entry_point.to_string(), "--rpc-url", url]),
        "0x"
    );
    entry_point
}

/// A keystore file (cast's format) of a fresh key, the session key of both sessions below.
fn keystore(env: &Env) -> PathBuf {
    let dir = env.data_dir().with_file_name("keystores");
    std::fs::create_dir_all(&dir).unwrap();
    PrivateKeySigner::new_keystore(
        &dir,
        &mut rand::thread_rng(),
        KEYSTORE_PASSWORD,
        Some("session"),
    )
    .unwrap();
    dir.join("session")
}

fn create(env: &Env, account: &str, module: &str, keystore: &Path) -> serde_json::Value {
    let permissions = env.file("perm.json", PERMISSIONS);
    let run = env.run_with_env(
        &[
            "--json",
            "session",
            "create",
            "--permissions",
            path(&permissions),
            "--account",
            account,
            "--chain-id",
            "31337",
            "--entry-point",
            ENTRY_POINT,
            "--module",
            module,
            "--import-keystore",
            path(keystore),
            "--password-env",
            "LEASH_TEST_PASSWORD",
        ],
        &[("ETH_PASSWORD", KEYSTORE_PASSWORD)],
    );
    run.expect_code(0);
    run.json()
}

fn transfer_call() -> String {
    format!("{TOKEN},0,0xa9059cbb{:064x}{:064x}", 0x3333, 1000)
}

fn sign(env: &Env, id: &str, url: &str, extra: &[&str]) -> Run {
    let call = transfer_call();
    let mut args = vec![
        "--json",
        "op",
        "sign",
        "--session",
        id,
        "--rpc-url",
        url,
        "--call",
        &call,
        "--verification-gas-limit",
        "3000000",
        "--max-fee-per-gas",
        "2000000000",
        "--max-priority-fee-per-gas",
        "1000000000",
        "--password-env",
        "LEASH_TEST_PASSWORD",
    ];
    args.extend_from_slice(extra);
    env.run(&args)
}

#[test]
fn the_first_op_of_a_counterfactual_account_carries_its_factory_and_deploys_it() {
    let Some(anvil) = start_anvil() else { return };
    let url = anvil.url.as_str();
    let env = Env::new();
    let entry_point = deploy_entry_point(url);
    let module: Address = deploy_module(&env, url).parse().unwrap();
    let factory: Address = create_contract(url, "TestAccountFactory", "")
        .parse()
        .unwrap();

    // The account installs the module with one session granted (its onInstall data is
    // abi.encode(Session[])): the same session for a throwaway account, in a store of its
    // own (a registry holds a session id once), gives it: its grantSession arguments are
    // abi.encode(Session).
    let keystore = keystore(&env);
    let scratch = Env::new();
    let template = create(&scratch, common::ACCOUNT, &module.to_string(), &keystore);
    let grant: Bytes = template["grantSessionCalldata"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let mut install_data = U256::from(0x20).to_be_bytes_vec();
    install_data.extend_from_slice(&U256::from(1).to_be_bytes::<32>());
    install_data.extend_from_slice(&grant[4..]);
    let install_data = Bytes::from(install_data);
    let salt = B256::with_last_byte(42);
    let factory_args = [
        entry_point.to_string(),
        module.to_string(),
        install_data.to_string(),
        salt.to_string(),
    ];
    let mut get_address = vec![
        "call".to_owned(),
        factory.to_string(),
        "getAddress(address,address,bytes,bytes32)(address)".to_owned(),
    ];
    get_address.extend(factory_args.iter().cloned());
    get_address.extend(["--rpc-url".to_owned(), url.to_owned()]);
    let get_address: Vec<&str> = get_address.iter().map(String::as_str).collect();
    let account: Address = cast(&get_address).parse().unwrap();
    let mut calldata = vec!["calldata", "createAccount(address,address,bytes,bytes32)"];
    calldata.extend(factory_args.iter().map(String::as_str));
    let factory_data = cast(&calldata);
    assert_eq!(
        cast(&["code", &account.to_string(), "--rpc-url", url]),
        "0x"
    );

    let session = create(&env, &account.to_string(), &module.to_string(), &keystore);
    let id = session["localId"].as_str().unwrap();
    assert_eq!(
        session["sessionId"], template["sessionId"],
        "the same session"
    );
    cast(&[
        "rpc",
        "anvil_setBalance",
        &account.to_string(),
        "0xde0b6b3a7640000",
        "--rpc-url",
        url,
    ]);

    let factory_text = factory.to_string();
    let signed = sign(
        &env,
        id,
        url,
        &["--factory", &factory_text, "--factory-data", &factory_data],
    );
    signed.expect_code(0);
    let signed = signed.json();
    let rpc_op = &signed["userOperation"];
    assert_eq!(rpc_op["factory"], factory.to_checksum(None));
    assert_eq!(rpc_op["factoryData"], factory_data);
    let op = UserOperation::try_from(
        serde_json::from_value::<RpcUserOperation>(rpc_op.clone()).unwrap(),
    )
    .unwrap();
    let packed = op.pack();
    let hash = call(
        url,
        entry_point,
        &IEntryPoint::getUserOpHashCall {
            userOp: packed.clone().into(),
        }
        .abi_encode(),
    );
    assert_eq!(hash, signed["userOpHash"].as_str().unwrap());

    // Bundled as it is, the op deploys the account and passes the module's validation.
    send(
        url,
        entry_point,
        &IEntryPoint::handleOpsCall {
            ops: vec![packed.into()],
            beneficiary: DEV_ACCOUNT.parse().unwrap(),
        }
        .abi_encode(),
    );
    assert_ne!(
        cast(&["code", &account.to_string(), "--rpc-url", url]),
        "0x"
    );
    let nonce = call(
        url,
        entry_point,
        &IEntryPoint::getNonceCall {
            sender: account,
            key: (op.nonce >> 64usize).to::<alloy::primitives::aliases::U192>(),
        }
        .abi_encode(),
    );
    let nonce: U256 = nonce.parse().unwrap();
    assert_eq!(
        nonce,
        op.nonce + U256::from(1),
        "the op was validated and run"
    );

    // Deployed now: the flag is refused, saying to drop it.
    let again = sign(&env, id, url, &["--factory", &factory_text]);
    again.expect_code(2);
    assert!(
        again.stderr.contains("already deployed"),
        "{}",
        again.stderr
    );
    assert!(again.stderr.contains("drop --factory"), "{}", again.stderr);
}

#[test]
fn factory_data_without_a_factory_is_refused() {
    let env = Env::new();
    let id = env.create("counterfactual");
    let call = transfer_call();
    let run = env.run(&[
        "op",
        "build",
        "--session",
        &id,
        "--nonce-seq",
        "0",
        "--call",
        &call,
        "--factory-data",
        "0x1234",
    ]);
    run.expect_code(2);
    assert!(run.stderr.contains("--factory"), "{}", run.stderr);
    // Offline, the flags land in the op as given.
    let factory = "0x4444444444444444444444444444444444444444";
    let built = env.run(&[
        "--json",
        "op",
        "build",
        "--session",
        &id,
        "--nonce-seq",
        "0",
        "--call",
        &call,
        "--factory",
        factory,
        "--factory-data",
        "0x1234",
    ]);
    built.expect_code(0);
    let op = &built.json()["userOperation"];
    assert_eq!(op["factory"], factory);
    assert_eq!(op["factoryData"], "0x1234");
}

/// Requests a stub bundler received.
type Seen = std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>;

/// A bundler that only says which EntryPoint and chain it serves (enough for leash to build
/// the owner op and ask for its gas estimate, which it does not give); keeps every request it
/// gets and answers until the test ends.
fn stub_bundler(entry_point: Address) -> (String, Seen) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Seen::default();
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let mut reader = BufReader::new(stream);
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            record.lock().unwrap().push(request.clone());
            let result = match request["method"].as_str() {
                Some("eth_supportedEntryPoints") => serde_json::json!([entry_point]),
                Some("eth_chainId") => serde_json::json!("0x7a69"),
                _ => serde_json::Value::Null,
            };
            let answer =
                serde_json::json!({"jsonrpc": "2.0", "id": request["id"], "result": result})
                    .to_string();
            let mut stream = reader.into_inner();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (url, seen)
}

#[test]
fn an_owner_op_carries_the_factory_and_refuses_it_for_an_account_with_code() {
    let Some(anvil) = start_anvil() else { return };
    let url = anvil.url.as_str();
    let env = Env::new();
    // Any address with code stands for a deployed account: the module's.
    let account = deploy_module(&env, url);
    let (bundler, seen) = stub_bundler(deploy_entry_point(url));
    let run = env.run_with_env(
        &[
            "account",
            "install-module",
            "--account",
            &account,
            "--account-kind",
            "openzeppelin",
            "--rpc-url",
            url,
            "--bundler-url",
            &bundler,
            "--owner-key-env",
            "OWNER_KEY",
            "--owner-validator",
            "0x3333333333333333333333333333333333333333",
            "--factory",
            "0x4444444444444444444444444444444444444444",
            "--factory-data",
            "0x1234",
        ],
        &[(
            "OWNER_KEY",
            "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
        )],
    );
    run.expect_code(2);
    assert!(run.stderr.contains("already deployed"), "{}", run.stderr);
    assert!(run.stderr.contains("drop --factory"), "{}", run.stderr);
    // The same flags on an account with no code get past the check (to the gas estimate,
    // which this bundler does not answer).
    let fresh = env.run_with_env(
        &[
            "account",
            "install-module",
            "--account",
            "0x5555555555555555555555555555555555555555",
            "--account-kind",
            "openzeppelin",
            "--rpc-url",
            url,
            "--bundler-url",
            &bundler,
            "--owner-key-env",
            "OWNER_KEY",
            "--owner-validator",
            "0x3333333333333333333333333333333333333333",
            "--factory",
            "0x4444444444444444444444444444444444444444",
        ],
        &[(
            "OWNER_KEY",
            "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
        )],
    );
    assert_ne!(fresh.code, 0);
    assert!(
        !fresh.stderr.contains("already deployed"),
        "{}",
        fresh.stderr
    );
    assert!(
        fresh.stderr.contains("eth_estimateUserOperationGas"),
        "{}",
        fresh.stderr
    );
    let seen = seen.lock().unwrap();
    let estimated = seen
        .iter()
        .find(|request| request["method"] == "eth_estimateUserOperationGas")
        .expect("the owner op was sent for estimation");
    let op = &estimated["params"][0];
    assert_eq!(op["sender"], "0x5555555555555555555555555555555555555555");
    assert_eq!(op["factory"], "0x4444444444444444444444444444444444444444");
    assert_eq!(op["factoryData"], "0x");
}
