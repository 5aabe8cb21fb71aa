//! `leash deploy`: the session module at its deterministic address, the same on every chain
//! (CREATE2 through the deterministic-deployment proxy with the salt of
//! `script/DeploySessionKeyValidator.s.sol`). Idempotent; the code on chain is checked
//! against the compiled runtime byte for byte.

use std::time::Duration;

use alloy::primitives::{keccak256, Address, Bytes, B256};
use leash_contracts::{artifact, DETERMINISTIC_DEPLOYER};
use leash_rpc::NodeClient;
use serde_json::json;

use super::{parse_address, runtime};
use crate::cli::DeployArgs;
use crate::exit::{fail, Exit};
use crate::module_error::MODULE_ARTIFACT;
use crate::output::Ui;
use crate::signer_source::{KeyFlags, KeySource, KeystorePassword};
use crate::txsend::{connect_node, TxSender};

/// The text whose keccak256 is the module's CREATE2 salt (the forge script's `SALT`).
pub(crate) const SALT_LABEL: &str = "leash.SessionKeyValidator.v1";

/// The module's CREATE2 salt.
pub(crate) fn module_salt() -> B256 {
    keccak256(SALT_LABEL)
}

/// Where the proxy puts `creation_code` with the module's salt.
pub(crate) fn predicted_address(creation_code: &[u8]) -> Address {
    DETERMINISTIC_DEPLOYER.create2(module_salt(), keccak256(creation_code))
}

/// The deployer's key source, if one was given (clap allows one at most).
fn deployer_key(args: &DeployArgs) -> Option<KeySource> {
    KeyFlags {
        env: ("--private-key-env", args.private_key_env.as_deref()),
        private_key: args.private_key.as_deref(),
        keystore: args.keystore.as_deref(),
        account: ("--account", args.account.as_deref()),
    }
    .source()
}

/// The deployer's key from cast's variables, when no flag names a sender.
fn deployer_key_from_env() -> anyhow::Result<Option<KeySource>> {
    KeyFlags {
        env: ("--private-key-env", None),
        private_key: None,
        keystore: None,
        account: ("--account", None),
    }
    .source_or_env()
}

/// Runs `leash deploy`.
pub(crate) fn run(args: DeployArgs, ui: Ui) -> anyhow::Result<()> {
    let flagged = deployer_key(&args);
    let key = match (&flagged, &args.unlocked) {
        (None, None) => deployer_key_from_env()?,
        _ => flagged,
    };
    let sender = match (key, &args.unlocked) {
        (Some(source), None) => {
            let password = KeystorePassword {
                file_flag: "--password-file",
                file: args.password_file.as_deref(),
            };
            TxSender::Key(source.signer(password, ui)?)
        }
        (None, Some(text)) => TxSender::Unlocked(parse_address("--unlocked", text)?),
        _ => {
            return Err(crate::exit::usage(
                "give exactly one of --private-key-env, --private-key, --keystore, --account and --unlocked",
                "--private-key-env VAR, --private-key HEX, --keystore PATH or --account NAME sign here ($ETH_KEYSTORE / $ETH_KEYSTORE_ACCOUNT stand for the last two); --unlocked ADDR lets the node sign",
            ))
        }
    };
    let module = artifact(MODULE_ARTIFACT)?;
    let address = predicted_address(&module.bytecode);
    let timeout = Duration::from_secs(args.timeout);
    let outcome = runtime()?.block_on(async {
        let (node, chain_id) = connect_node("--rpc-url", &args.rpc_url).await?;
        ui.progress(&format!(
            "chain {chain_id}: SessionKeyValidator goes to {address}"
        ));
        let existing = node.get_code(address).await?;
        if !existing.is_empty() {
            check_runtime(address, &existing, &module.deployed_bytecode)?;
            return Ok((chain_id, None));
        }
        if node.get_code(DETERMINISTIC_DEPLOYER).await?.is_empty() {
            return Err(fail(
                Exit::Failure,
                format!(
                    "chain {chain_id} has no deterministic-deployment proxy at {DETERMINISTIC_DEPLOYER}"
                ),
                Some("deploy the proxy first with its pre-signed transaction (see docs/deployment.md)"),
            ));
        }
        let mut input = module_salt().to_vec();
        input.extend_from_slice(&module.bytecode);
        ui.progress(&format!(
            "sending the deployment from {}…",
            sender.address()
        ));
        let receipt = sender
            .send(&node, DETERMINISTIC_DEPLOYER, input.into(), timeout)
            .await?;
        verify_deployed(&node, address, &module.deployed_bytecode).await?;
        Ok((chain_id, Some(receipt.transaction_hash)))
    });
    let (chain_id, transaction) = outcome?;
    let init_code_hash = keccak256(&module.bytecode);
    let value = json!({
        "address": address,
        "chainId": chain_id,
        "salt": module_salt(),
        "initCodeHash": init_code_hash,
        "alreadyDeployed": transaction.is_none(),
        "transactionHash": transaction,
        "runtimeMatches": true,
    });
    ui.result(&value, || {
        let head = match transaction {
            None => format!("SessionKeyValidator already deployed at {address} on chain {chain_id}: nothing to do"),
            Some(hash) => format!(
                "SessionKeyValidator deployed at {address} on chain {chain_id} (transaction {hash})"
            ),
        };
        format!(
            "{head}\n  salt:            {} (keccak256(\"{SALT_LABEL}\"))\n  init code hash:  {init_code_hash}\n  runtime:         matches the compiled artifact byte for byte",
            module_salt()
        )
    });
    Ok(())
}

async fn verify_deployed(
    node: &NodeClient,
    address: Address,
    expected: &Bytes,
) -> anyhow::Result<()> {
    let code = node.get_code(address).await?;
    if code.is_empty() {
        return Err(fail(
            Exit::Failure,
            format!("the deployment transaction succeeded but {address} has no code"),
            Some("the proxy at the deterministic address is not the expected one"),
        ));
    }
    check_runtime(address, &code, expected)
}

fn check_runtime(address: Address, code: &Bytes, expected: &Bytes) -> anyhow::Result<()> {
    if code == expected {
        return Ok(());
    }
    Err(fail(
        Exit::Integrity,
        format!(
            "the code at {address} ({} bytes, keccak {}) is not the compiled runtime ({} bytes, keccak {})",
            code.len(),
            keccak256(code),
            expected.len(),
            keccak256(expected)
        ),
        Some("rebuild with the pinned toolchain (make setup) and compare again; see docs/deployment.md"),
    ))
}
